//! Settlement (SPEC section 6, "Settlement", "Daily cap", "Bootstrap"): anyone may submit an
//! epoch root signed (EIP-712) by an authorised router; the contract recovers the signer,
//! requires epochs and cumulative totals to grow, and keeps the credit within the day's cap,
//! the bootstrap limit and window, and the funds ever received.
//!
//! Every signature here is a real secp256k1 signature; the `ecrecover` precompile, which the
//! test VM cannot run, is answered with a real off-chain recovery of the same input.

use alloy_primitives::{B256, U256};
use yellowstone_protocol::abi::EpochCommitted;

use crate::common::*;

const POOL: u64 = 1_000_000;

/// Deployed, with a pool of 1,000,000 MOR funded on the deployment day.
fn funded() -> World {
    let mut w = World::deploy();
    w.fund(FUNDER, mor(POOL)).unwrap();
    w
}

fn root(n: u8) -> B256 {
    B256::repeat_byte(n)
}

// ---- who may sign, who may submit ----------------------------------------------------------

#[test]
fn a_root_signed_by_an_authorised_router_is_accepted_from_anyone() {
    let mut w = funded();
    let signature = w.sign_epoch(1, root(1), mor(100), mor(10));
    w.submit(STRANGER, 1, root(1), mor(100), mor(10), signature)
        .unwrap();
    assert_eq!(w.c().latest_epoch(), (1, root(1), mor(100), mor(10)));
    let t = w.totals();
    assert_eq!((t.credited, t.bootstrap), (mor(100), mor(10)));
}

#[test]
fn the_signer_is_recovered_through_the_ecrecover_precompile() {
    let mut w = funded();
    let signature = w.sign_epoch(1, root(1), mor(100), U256::ZERO);
    w.submit(ALICE, 1, root(1), mor(100), U256::ZERO, signature.clone())
        .unwrap();
    let digest = epoch_digest(1, root(1), mor(100), U256::ZERO);
    let input = yellowstone_protocol::eip712::Signature::parse(&signature)
        .unwrap()
        .ecrecover_input(digest);
    assert_eq!(
        w.tx_calls(),
        vec![ExternalCall {
            kind: CallKind::Static,
            to: ECRECOVER,
            data: input.to_vec(),
            value: U256::ZERO
        }],
        "one static call to 0x01 with (digest, v, r, s), and nothing else"
    );
    assert_eq!(&ecrecover(&input)[12..], w.router_address().as_slice());
}

#[test]
fn a_committed_epoch_is_announced() {
    let mut w = funded();
    w.commit(1, root(7), mor(300), mor(20)).unwrap();
    let event = w.tx_event::<EpochCommitted>();
    assert_eq!(
        event,
        EpochCommitted {
            epoch: 1,
            router: w.router_address(),
            root: root(7),
            cumulativeCredited: mor(300),
            cumulativeBootstrap: mor(20),
        }
    );
    let (topics, _) = w.tx_logs().pop().unwrap();
    assert_eq!(topics[1], B256::from(U256::from(1)), "the epoch is indexed");
    assert_eq!(
        topics[2],
        B256::left_padding_from(w.router_address().as_slice()),
        "the router is indexed"
    );
}

#[test]
fn a_root_signed_by_an_unknown_key_is_refused() {
    let mut w = funded();
    let stranger_key = key(0x22);
    let signature = w.sign_epoch_with(&stranger_key, 1, root(1), mor(100), U256::ZERO);
    let err = expect_err!(
        w.submit(STRANGER, 1, root(1), mor(100), U256::ZERO, signature),
        UnknownRouter
    );
    assert_eq!(err.router, address_of(&stranger_key));
    assert_eq!(w.totals().credited, U256::ZERO);
}

#[test]
fn a_revoked_router_can_no_longer_commit() {
    let mut w = funded();
    w.commit(1, root(1), mor(1), U256::ZERO).unwrap();
    let router = w.router_address();
    w.tx(OWNER, |c| c.revoke_router(router)).unwrap();
    let err = expect_err!(w.commit(2, root(2), mor(2), U256::ZERO), UnknownRouter);
    assert_eq!(err.router, router);
    assert_eq!(w.epoch(), 1);
}

#[test]
fn a_second_authorised_router_may_commit_too() {
    let mut w = funded();
    let second = key(0x33);
    let address = address_of(&second);
    w.tx(OWNER, |c| c.authorize_router(address)).unwrap();
    let signature = w.sign_epoch_with(&second, 1, root(1), mor(1), U256::ZERO);
    w.submit(BOB, 1, root(1), mor(1), U256::ZERO, signature)
        .unwrap();
    assert_eq!(w.tx_event::<EpochCommitted>().router, address);
}

#[test]
fn a_signature_over_other_values_recovers_someone_else_and_is_refused() {
    let mut w = funded();
    // Signed for 100 MOR, submitted claiming 200 MOR.
    let signature = w.sign_epoch(1, root(1), mor(100), U256::ZERO);
    w.mock_ecrecover(&signature, epoch_digest(1, root(1), mor(200), U256::ZERO));
    let err = expect_err!(
        w.submit(STRANGER, 1, root(1), mor(200), U256::ZERO, signature),
        UnknownRouter
    );
    assert_ne!(err.router, w.router_address());
}

#[test]
fn a_signature_for_another_contract_or_chain_is_refused() {
    for (chain_id, contract) in [(CHAIN_ID, STRANGER), (CHAIN_ID + 1, CONTRACT)] {
        let mut w = funded();
        let digest = yellowstone_protocol::eip712::signing_hash(
            yellowstone_protocol::eip712::domain_separator(chain_id, contract),
            yellowstone_protocol::eip712::epoch_root_hash(1, root(1), mor(1), U256::ZERO, FAR),
        );
        let signature = sign_digest(&w.router, digest);
        w.mock_ecrecover(&signature, epoch_digest(1, root(1), mor(1), U256::ZERO));
        let err = expect_err!(
            w.submit(STRANGER, 1, root(1), mor(1), U256::ZERO, signature),
            UnknownRouter
        );
        assert_ne!(err.router, w.router_address());
    }
}

// ---- signature form -------------------------------------------------------------------------

#[test]
fn the_top_bit_of_vs_is_the_recovery_parity() {
    // The same r and s with the other parity recover a different key: not the router.
    let mut w = funded();
    let good = w.sign_epoch(1, root(1), mor(1), U256::ZERO);
    let mut flipped = good.clone();
    flipped[64] = if good[64] == 27 { 28 } else { 27 };
    w.mock_ecrecover(&flipped, epoch_digest(1, root(1), mor(1), U256::ZERO));
    let err = expect_err!(
        w.submit(STRANGER, 1, root(1), mor(1), U256::ZERO, flipped),
        UnknownRouter
    );
    assert_ne!(err.router, w.router_address());
    w.submit(STRANGER, 1, root(1), mor(1), U256::ZERO, good)
        .unwrap();
}

#[test]
fn a_signature_with_a_zero_scalar_is_malformed() {
    let mut w = funded();
    let good = w.sign_epoch(1, root(1), mor(1), U256::ZERO);
    for range in [0..32, 32..64] {
        let mut bad = good.clone();
        bad[range].fill(0);
        expect_err!(
            w.submit(STRANGER, 1, root(1), mor(1), U256::ZERO, bad),
            SignatureMalformed
        );
    }
}

#[test]
fn a_high_s_is_refused_before_any_recovery() {
    // EIP-2: only s <= n/2 is canonical. The malleable twin n - s of a real signature is
    // almost always >= 2^255 and so cannot even be written in the compact form; the values it
    // can take in (n/2, 2^255) are refused outright.
    let mut w = funded();
    let good = w.sign_epoch(1, root(1), mor(1), U256::ZERO);
    let (r, _) = compact(&good);
    let half_order = yellowstone_protocol::eip712::SECP256K1_HALF_ORDER;
    for s in [
        half_order + U256::from(1),
        (U256::from(1) << 255) - U256::from(1),
    ] {
        let vs = B256::from(s);
        expect_err!(
            w.submit_compact(STRANGER, 1, root(1), mor(1), U256::ZERO, r, vs),
            SignatureHighS
        );
        assert!(
            w.tx_calls().is_empty(),
            "refused before the precompile is called"
        );
    }
    // The low-s original still goes through.
    w.submit(STRANGER, 1, root(1), mor(1), U256::ZERO, good)
        .unwrap();
}

fn submit_with_ecrecover_answer(
    answer: Result<Vec<u8>, Vec<u8>>,
) -> Result<(), yellowstone_compute::ComputeError> {
    let mut w = funded();
    let signature = sign_digest(&w.router, epoch_digest(1, root(1), mor(1), U256::ZERO));
    let input = yellowstone_protocol::eip712::Signature::parse(&signature)
        .unwrap()
        .ecrecover_input(epoch_digest(1, root(1), mor(1), U256::ZERO));
    w.chain
        .vm
        .mock_static_call(ECRECOVER, input.to_vec(), answer);
    let result = w.submit(STRANGER, 1, root(1), mor(1), U256::ZERO, signature);
    assert_eq!(w.epoch(), 0);
    result
}

#[test]
fn a_signature_ecrecover_finds_no_signer_for_is_invalid() {
    expect_err!(
        submit_with_ecrecover_answer(Ok(Vec::new())),
        SignatureInvalid
    );
}

#[test]
fn a_signature_recovering_the_zero_address_is_invalid() {
    expect_err!(
        submit_with_ecrecover_answer(Ok(vec![0u8; 32])),
        SignatureInvalid
    );
}

#[test]
fn an_ecrecover_answer_of_the_wrong_size_or_a_failed_call_is_invalid() {
    expect_err!(
        submit_with_ecrecover_answer(Ok(vec![1u8; 31])),
        SignatureInvalid
    );
    expect_err!(
        submit_with_ecrecover_answer(Ok(vec![1u8; 33])),
        SignatureInvalid
    );
    expect_err!(
        submit_with_ecrecover_answer(Err(Vec::new())),
        SignatureInvalid
    );
}

#[test]
fn a_signature_real_recovery_rejects_is_invalid() {
    // r is not the x coordinate of any curve point: the precompile returns nothing.
    let mut w = funded();
    let digest = epoch_digest(1, root(1), mor(1), U256::ZERO);
    let mut signature = sign_digest(&w.router, digest);
    signature[..32].fill(0xff);
    w.mock_ecrecover(&signature, digest);
    let input = yellowstone_protocol::eip712::Signature::parse(&signature)
        .unwrap()
        .ecrecover_input(digest);
    assert!(ecrecover(&input).is_empty(), "no point has x = 2^256 - 1");
    expect_err!(
        w.submit(STRANGER, 1, root(1), mor(1), U256::ZERO, signature),
        SignatureInvalid
    );
}

// ---- epochs and cumulative totals ----------------------------------------------------------

#[test]
fn epochs_are_consecutive() {
    let mut w = funded();
    w.commit(1, root(1), mor(1), U256::ZERO).unwrap();
    let err = expect_err!(w.commit(1, root(2), mor(2), U256::ZERO), UnexpectedEpoch);
    assert_eq!(
        (err.epoch, err.expected),
        (1, 2),
        "a replayed or repeated epoch"
    );
    let err = expect_err!(w.commit(3, root(3), mor(2), U256::ZERO), UnexpectedEpoch);
    assert_eq!((err.epoch, err.expected), (3, 2), "no epoch may be skipped");
    w.commit(2, root(2), mor(2), U256::ZERO).unwrap();
    assert_eq!(w.epoch(), 2);
}

#[test]
fn epochs_are_numbered_from_one() {
    let mut w = funded();
    let err = expect_err!(w.commit(0, root(1), mor(1), U256::ZERO), UnexpectedEpoch);
    assert_eq!((err.epoch, err.expected), (0, 1));
    w.commit(1, root(1), mor(1), U256::ZERO).unwrap();
}

#[test]
fn a_stolen_key_cannot_freeze_settlement_with_the_last_epoch_number() {
    let mut w = funded();
    let err = expect_err!(
        w.commit(u64::MAX, root(1), mor(1), U256::ZERO),
        UnexpectedEpoch
    );
    assert_eq!(err.expected, 1);
    w.commit(1, root(1), mor(1), U256::ZERO).unwrap();
}

#[test]
fn cumulative_credit_never_decreases() {
    let mut w = funded();
    w.commit(1, root(1), mor(100), mor(10)).unwrap();
    let err = expect_err!(
        w.commit(2, root(2), mor(100) - U256::from(1), mor(10)),
        CreditedDecreased
    );
    assert_eq!(
        (err.given, err.previous),
        (mor(100) - U256::from(1), mor(100))
    );
    assert_eq!(w.c().latest_epoch(), (1, root(1), mor(100), mor(10)));
}

#[test]
fn cumulative_bootstrap_never_decreases() {
    let mut w = funded();
    w.commit(1, root(1), mor(100), mor(10)).unwrap();
    let err = expect_err!(w.commit(2, root(2), mor(200), mor(9)), BootstrapDecreased);
    assert_eq!((err.given, err.previous), (mor(9), mor(10)));
}

#[test]
fn an_epoch_with_no_new_credit_is_accepted() {
    let mut w = funded();
    w.commit(1, root(1), mor(100), mor(10)).unwrap();
    w.commit(2, root(2), mor(100), mor(10)).unwrap();
    assert_eq!(w.credited_today(), mor(110));
    assert_eq!(
        w.c().latest_epoch().1,
        root(2),
        "the new root replaces the old one"
    );
}

// ---- the daily cap -------------------------------------------------------------------------

#[test]
fn credit_exactly_at_the_daily_cap_is_accepted() {
    let mut w = funded();
    let cap = w.daily_cap();
    assert_eq!(cap, scheduled(DEPLOY_DAY));
    w.commit(1, root(1), cap, U256::ZERO).unwrap();
    assert_eq!(w.credited_today(), cap);
}

#[test]
fn one_wei_over_the_daily_cap_is_refused() {
    let mut w = funded();
    let cap = w.daily_cap();
    let err = expect_err!(
        w.commit(1, root(1), cap + U256::from(1), U256::ZERO),
        DailyCapExceeded
    );
    assert_eq!(
        (err.day, err.creditedToday, err.cap),
        (DEPLOY_DAY, cap + U256::from(1), cap)
    );
    assert_eq!(w.credited_today(), U256::ZERO);
}

#[test]
fn the_daily_cap_holds_across_several_epochs_of_the_day() {
    let mut w = funded();
    let cap = w.daily_cap();
    let half = cap / U256::from(2);
    w.commit(1, root(1), half, U256::ZERO).unwrap();
    w.commit(2, root(2), cap - U256::from(1), U256::ZERO)
        .unwrap();
    let err = expect_err!(
        w.commit(3, root(3), cap + U256::from(1), U256::ZERO),
        DailyCapExceeded
    );
    assert_eq!(err.creditedToday, cap + U256::from(1));
    w.commit(3, root(3), cap, U256::ZERO).unwrap();
}

#[test]
fn bootstrap_credit_counts_inside_the_daily_cap() {
    let mut w = funded();
    let cap = w.daily_cap();
    let bootstrap = scheduled(DEPLOY_DAY) / U256::from(10);
    w.commit(1, root(1), cap - bootstrap, bootstrap).unwrap();
    let err = expect_err!(
        w.commit(2, root(2), cap - bootstrap + U256::from(1), bootstrap),
        DailyCapExceeded
    );
    assert_eq!(err.creditedToday, cap + U256::from(1));
}

#[test]
fn the_cap_resets_on_the_next_utc_day_and_includes_one_percent_of_the_pool() {
    let mut w = funded();
    let day0 = scheduled(DEPLOY_DAY);
    w.commit(1, root(1), day0, U256::ZERO).unwrap();
    expect_err!(
        w.commit(2, root(2), day0 + U256::from(1), U256::ZERO),
        DailyCapExceeded
    );

    w.advance(DAY - 3_600 - 1); // 23:59:59 of the deployment day
    expect_err!(
        w.commit(2, root(2), day0 + U256::from(1), U256::ZERO),
        DailyCapExceeded
    );

    w.advance(1); // 00:00:00 of the next day
    let cap = scheduled(DEPLOY_DAY + 1) + (mor(POOL) - day0) / U256::from(100);
    assert_eq!(w.daily_cap(), cap);
    let err = expect_err!(
        w.commit(2, root(2), day0 + cap + U256::from(1), U256::ZERO),
        DailyCapExceeded
    );
    assert_eq!((err.day, err.cap), (DEPLOY_DAY + 1, cap));
    w.commit(2, root(2), day0 + cap, U256::ZERO).unwrap();
    assert_eq!(w.credited_today(), cap);
    assert_eq!(w.c().today().0, DEPLOY_DAY + 1, "the day is the block's");
}

#[test]
fn credit_beyond_a_missed_day_is_not_carried_over() {
    // A day without commits does not add its emission to the next day's cap, beyond the 1%.
    let mut w = funded();
    w.advance_days(2);
    let cap = scheduled(DEPLOY_DAY + 2) + mor(POOL) / U256::from(100);
    assert_eq!(w.daily_cap(), cap);
    expect_err!(
        w.commit(1, root(1), cap + U256::from(1), U256::ZERO),
        DailyCapExceeded
    );
    w.commit(1, root(1), cap, U256::ZERO).unwrap();
}

#[test]
fn funding_in_the_morning_raises_only_tomorrows_cap() {
    let mut w = funded();
    w.next_midnight();
    let cap = scheduled(DEPLOY_DAY + 1) + mor(POOL) / U256::from(100);
    w.fund(FUNDER, mor(9_000_000)).unwrap();
    expect_err!(
        w.commit(1, root(1), cap + U256::from(1), U256::ZERO),
        DailyCapExceeded
    );
    w.commit(1, root(1), cap, U256::ZERO).unwrap();
    w.next_midnight();
    let tomorrow = scheduled(DEPLOY_DAY + 2) + (mor(10_000_000) - cap) / U256::from(100);
    w.commit(2, root(2), cap + tomorrow, U256::ZERO).unwrap();
}

// ---- never more than was funded ------------------------------------------------------------

#[test]
fn total_credit_can_never_exceed_what_was_funded() {
    let mut w = World::deploy();
    w.fund(FUNDER, mor(100)).unwrap();
    assert!(w.daily_cap() > mor(100), "the cap alone would allow more");
    let err = expect_err!(
        w.commit(1, root(1), mor(90), mor(10) + U256::from(1)),
        FundingExceeded
    );
    assert_eq!(
        (err.totalCredited, err.totalFunded),
        (mor(100) + U256::from(1), mor(100))
    );
    w.commit(1, root(1), mor(90), mor(10)).unwrap();
    assert_eq!(w.unused_pool(), U256::ZERO);
}

#[test]
fn nothing_can_be_credited_before_anything_is_funded() {
    let mut w = World::deploy();
    let err = expect_err!(
        w.commit(1, root(1), U256::from(1), U256::ZERO),
        FundingExceeded
    );
    assert_eq!(err.totalFunded, U256::ZERO);
}

#[test]
fn credit_sums_that_overflow_are_refused_not_wrapped() {
    let mut w = funded();
    let result = w.commit(1, root(1), U256::MAX, U256::from(1));
    assert!(
        matches!(
            result,
            Err(yellowstone_compute::ComputeError::ArithmeticOverflow(_))
                | Err(yellowstone_compute::ComputeError::DailyCapExceeded(_))
        ),
        "{result:?}"
    );
    assert_eq!(w.epoch(), 0);
}

// ---- bootstrap -----------------------------------------------------------------------------

#[test]
fn bootstrap_up_to_ten_percent_of_the_days_emission_is_accepted() {
    let mut w = funded();
    let limit = scheduled(DEPLOY_DAY) / U256::from(10);
    w.commit(1, root(1), mor(1), limit).unwrap();
    assert_eq!(w.bootstrap_today(), (limit, limit));
}

#[test]
fn one_wei_of_bootstrap_over_ten_percent_is_refused() {
    let mut w = funded();
    let limit = scheduled(DEPLOY_DAY) / U256::from(10);
    let err = expect_err!(
        w.commit(1, root(1), mor(1), limit + U256::from(1)),
        BootstrapCapExceeded
    );
    assert_eq!(
        (err.day, err.bootstrapToday, err.limit),
        (DEPLOY_DAY, limit + U256::from(1), limit)
    );
}

#[test]
fn the_bootstrap_limit_accumulates_over_the_day_and_resets_the_next() {
    let mut w = funded();
    let limit = scheduled(DEPLOY_DAY) / U256::from(10);
    w.commit(1, root(1), U256::ZERO, limit - U256::from(5))
        .unwrap();
    let err = expect_err!(
        w.commit(2, root(2), U256::ZERO, limit + U256::from(1)),
        BootstrapCapExceeded
    );
    assert_eq!(err.bootstrapToday, limit + U256::from(1));
    w.commit(2, root(2), U256::ZERO, limit).unwrap();
    w.next_midnight();
    let next = scheduled(DEPLOY_DAY + 1) / U256::from(10);
    w.commit(3, root(3), U256::ZERO, limit + next).unwrap();
    expect_err!(
        w.commit(4, root(4), U256::ZERO, limit + next + U256::from(1)),
        BootstrapCapExceeded
    );
}

#[test]
fn bootstrap_before_the_window_opens_is_refused() {
    let mut w = World::deploy_with(Config {
        bootstrap_start_day: DEPLOY_DAY + 1,
        ..Config::default()
    });
    w.fund(FUNDER, mor(POOL)).unwrap();
    let err = expect_err!(
        w.commit(1, root(1), U256::ZERO, U256::from(1)),
        BootstrapWindowClosed
    );
    assert_eq!((err.day, err.windowStartDay), (DEPLOY_DAY, DEPLOY_DAY + 1));
    w.commit(1, root(1), mor(1), U256::ZERO).unwrap();
    w.next_midnight();
    w.commit(2, root(2), mor(1), U256::from(1)).unwrap();
}

#[test]
fn bootstrap_is_open_for_365_days_and_refused_after() {
    let mut w = funded();
    w.fund(FUNDER, mor(POOL)).unwrap();
    w.set_time((BOOTSTRAP_START_DAY + 364) * DAY + DAY - 1); // last second of the 365th day
    w.commit(1, root(1), U256::ZERO, U256::from(1)).unwrap();
    w.advance(1);
    let err = expect_err!(
        w.commit(2, root(2), U256::ZERO, U256::from(2)),
        BootstrapWindowClosed
    );
    assert_eq!(
        (err.day, err.windowStartDay),
        (BOOTSTRAP_START_DAY + 365, BOOTSTRAP_START_DAY)
    );
    w.commit(2, root(2), mor(1), U256::from(1)).unwrap();
    assert_eq!(w.bootstrap_today(), (U256::ZERO, U256::ZERO));
}

// ---- pause ---------------------------------------------------------------------------------

#[test]
fn no_root_can_be_committed_while_paused() {
    let mut w = funded();
    w.tx(OWNER, |c| c.pause()).unwrap();
    let signature = w.sign_epoch(1, root(1), mor(1), U256::ZERO);
    expect_err!(
        w.submit(STRANGER, 1, root(1), mor(1), U256::ZERO, signature.clone()),
        EnforcedPause
    );
    w.tx(OWNER, |c| c.unpause()).unwrap();
    w.submit(STRANGER, 1, root(1), mor(1), U256::ZERO, signature)
        .unwrap();
}

#[test]
fn a_refused_root_changes_nothing() {
    let mut w = funded();
    w.commit(1, root(1), mor(10), U256::ZERO).unwrap();
    let before = (
        w.c().latest_epoch(),
        w.totals(),
        w.credited_today(),
        w.logs().len(),
    );
    let cap = w.daily_cap();
    expect_err!(
        w.commit(2, root(2), cap + U256::from(1), U256::ZERO),
        DailyCapExceeded
    );
    assert_eq!(
        (
            w.c().latest_epoch(),
            w.totals(),
            w.credited_today(),
            w.logs().len()
        ),
        before
    );
}
