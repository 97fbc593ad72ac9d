//! Funding and the daily ledger (SPEC section 6, "Funding" and "Daily cap"): anyone may fund
//! the pool with MOR pulled by `transferFrom`; the day's cap is the scheduled emission plus 1%
//! of the pool left unused at the start of the day.

use alloy_primitives::{B256, U256};
use yellowstone_protocol::abi::Funded;

use crate::common::*;

// ---- fund ----------------------------------------------------------------------------------

#[test]
fn funding_pulls_the_amount_from_the_funder_into_the_contract() {
    let mut w = World::deploy();
    w.fund(FUNDER, mor(10_000)).unwrap();
    assert_eq!(
        w.tx_token_calls(),
        vec![transfer_from_calldata(FUNDER, CONTRACT, mor(10_000))]
    );
    assert_eq!(w.totals().funded, mor(10_000));
    assert_eq!(w.unused_pool(), mor(10_000));
}

#[test]
fn anyone_may_fund_and_funding_adds_up() {
    let mut w = World::deploy();
    w.fund(FUNDER, mor(1_000)).unwrap();
    w.fund(STRANGER, mor(250)).unwrap();
    w.fund(ALICE, U256::from(1)).unwrap();
    assert_eq!(w.totals().funded, mor(1_250) + U256::from(1));
}

#[test]
fn funding_emits_funded_with_the_funder_the_amount_and_the_new_total() {
    let mut w = World::deploy();
    w.fund(FUNDER, mor(1_000)).unwrap();
    w.fund(STRANGER, mor(500)).unwrap();
    let event = w.tx_event::<Funded>();
    assert_eq!(
        event,
        Funded {
            from: STRANGER,
            amount: mor(500),
            totalFunded: mor(1_500)
        }
    );
    let (topics, _) = w.tx_logs().pop().unwrap();
    assert_eq!(
        topics[1],
        B256::left_padding_from(STRANGER.as_slice()),
        "the funder is indexed"
    );
}

#[test]
fn funding_zero_is_refused_and_touches_no_token() {
    let mut w = World::deploy();
    expect_err!(w.fund(FUNDER, U256::ZERO), ZeroAmount);
    assert!(w.tx_calls().is_empty());
    assert_eq!(w.totals().funded, U256::ZERO);
}

fn fund_with_reply(reply: TokenReply) -> (World, Result<(), yellowstone_compute::ComputeError>) {
    let mut w = World::deploy();
    w.mock_transfer_from(FUNDER, mor(100), reply);
    let result = w.tx(FUNDER, |c| c.fund(mor(100)));
    (w, result)
}

#[test]
fn a_token_returning_false_fails_the_funding() {
    let (w, result) = fund_with_reply(TokenReply::False);
    let err = expect_err!(result, TokenTransferFailed);
    assert_eq!((err.from, err.to, err.amount), (FUNDER, CONTRACT, mor(100)));
    assert_eq!(w.totals().funded, U256::ZERO);
    assert!(w.tx_events::<Funded>().is_empty());
}

#[test]
fn a_reverting_token_fails_the_funding() {
    let (w, result) = fund_with_reply(TokenReply::Revert);
    let err = expect_err!(result, TokenTransferFailed);
    assert_eq!((err.from, err.to, err.amount), (FUNDER, CONTRACT, mor(100)));
    assert_eq!(w.totals().funded, U256::ZERO);
}

#[test]
fn a_token_returning_nothing_is_accepted_only_when_it_is_a_contract() {
    // SafeERC20 semantics: no return data is success from a contract, failure from an EOA.
    let (_, result) = fund_with_reply(TokenReply::Nothing);
    expect_err!(result, TokenTransferFailed);

    let mut w = World::deploy();
    w.chain.vm.set_code(MOR, vec![0x60, 0x00]);
    w.mock_transfer_from(FUNDER, mor(100), TokenReply::Nothing);
    w.tx(FUNDER, |c| c.fund(mor(100))).unwrap();
    assert_eq!(w.totals().funded, mor(100));
}

#[test]
fn a_token_returning_anything_but_one_word_of_true_fails_the_funding() {
    for reply in [
        vec![1u8],
        vec![0u8; 31],
        vec![0u8; 64],
        U256::from(2).to_be_bytes::<32>().to_vec(),
    ] {
        let mut w = World::deploy();
        w.chain.vm.mock_call(
            MOR,
            transfer_from_calldata(FUNDER, CONTRACT, mor(1)),
            U256::ZERO,
            Ok(reply.clone()),
        );
        expect_err!(w.tx(FUNDER, |c| c.fund(mor(1))), TokenTransferFailed);
    }
}

#[test]
fn a_transfer_from_for_another_amount_does_not_count() {
    // Only the exact call `transferFrom(funder, contract, amount)` is answered by the token.
    let mut w = World::deploy();
    w.mock_transfer_from(FUNDER, mor(99), TokenReply::True);
    expect_err!(w.tx(FUNDER, |c| c.fund(mor(100))), TokenTransferFailed);
}

#[test]
fn funding_is_not_stopped_by_a_pause() {
    let mut w = World::deploy();
    w.tx(OWNER, |c| c.pause()).unwrap();
    w.fund(FUNDER, mor(1)).unwrap();
}

// ---- the daily cap -------------------------------------------------------------------------

#[test]
fn the_scheduled_emission_follows_the_schedule_for_any_day() {
    let w = World::deploy();
    for day in [
        EMISSION_START_DAY,
        DEPLOY_DAY,
        DEPLOY_DAY + 1,
        DEPLOY_DAY + 1_000,
    ] {
        assert_eq!(w.scheduled_emission(day), scheduled(day));
    }
}

#[test]
fn on_the_deployment_day_the_cap_is_the_scheduled_emission() {
    let w = World::deploy();
    assert_eq!(w.daily_cap(), scheduled(DEPLOY_DAY));
    assert_eq!(w.credited_today(), U256::ZERO);
}

#[test]
fn funding_during_a_day_does_not_raise_that_days_cap() {
    let mut w = World::deploy();
    w.fund(FUNDER, mor(1_000_000)).unwrap();
    assert_eq!(
        w.daily_cap(),
        scheduled(DEPLOY_DAY),
        "the pool was empty at 00:00"
    );
    assert_eq!(w.unused_pool(), mor(1_000_000));
}

#[test]
fn the_next_day_the_cap_includes_one_percent_of_the_unused_pool() {
    let mut w = World::deploy();
    w.fund(FUNDER, mor(1_000_000)).unwrap();
    w.next_midnight();
    assert_eq!(w.daily_cap(), scheduled(DEPLOY_DAY + 1) + mor(10_000));
    // Still so after a state change of the new day has rolled the day over.
    w.fund(FUNDER, mor(500_000)).unwrap();
    assert_eq!(w.daily_cap(), scheduled(DEPLOY_DAY + 1) + mor(10_000));
    w.next_midnight();
    assert_eq!(w.daily_cap(), scheduled(DEPLOY_DAY + 2) + mor(15_000));
}

#[test]
fn the_one_percent_rounds_down_to_the_wei() {
    let mut w = World::deploy();
    w.fund(FUNDER, U256::from(199)).unwrap();
    w.next_midnight();
    assert_eq!(w.daily_cap(), scheduled(DEPLOY_DAY + 1) + U256::from(1));
}

#[test]
fn the_unused_pool_is_funded_minus_credited() {
    let mut w = World::deploy();
    w.fund(FUNDER, mor(100_000)).unwrap();
    w.commit(1, B256::repeat_byte(1), mor(1_000), mor(200))
        .unwrap();
    assert_eq!(w.unused_pool(), mor(100_000) - mor(1_200));
    w.next_midnight();
    assert_eq!(
        w.daily_cap(),
        scheduled(DEPLOY_DAY + 1) + (mor(100_000) - mor(1_200)) / U256::from(100)
    );
}

#[test]
fn credited_today_counts_work_and_bootstrap_and_resets_at_midnight() {
    let mut w = World::deploy();
    w.fund(FUNDER, mor(100_000)).unwrap();
    w.commit(1, B256::repeat_byte(1), mor(1_000), mor(100))
        .unwrap();
    w.commit(2, B256::repeat_byte(2), mor(1_500), mor(100))
        .unwrap();
    assert_eq!(w.credited_today(), mor(1_600));
    assert_eq!(
        w.bootstrap_today(),
        (scheduled(DEPLOY_DAY) / U256::from(10), mor(100))
    );
    w.advance(DAY - 3_600 - 1);
    assert_eq!(
        w.credited_today(),
        mor(1_600),
        "23:59:59 is still the same day"
    );
    w.advance(1);
    assert_eq!(w.credited_today(), U256::ZERO);
    assert_eq!(w.bootstrap_today().1, U256::ZERO);
}

#[test]
fn outside_the_bootstrap_window_the_bootstrap_limit_is_zero() {
    let w = World::deploy_with(Config {
        bootstrap_start_day: DEPLOY_DAY + 1,
        ..Config::default()
    });
    assert_eq!(w.bootstrap_today(), (U256::ZERO, U256::ZERO));
    w.advance_days(1);
    assert_eq!(
        w.bootstrap_today().0,
        scheduled(DEPLOY_DAY + 1) / U256::from(10)
    );
    w.advance_days(365);
    assert_eq!(w.bootstrap_today().0, U256::ZERO);
}

// ---- amounts are stored in 128 bits ----------------------------------------------------------

#[test]
fn funding_up_to_the_largest_stored_amount_is_kept_exactly() {
    let mut w = World::deploy();
    let largest = U256::from(u128::MAX);
    w.fund(FUNDER, largest - U256::from(1)).unwrap();
    w.fund(FUNDER, U256::from(1)).unwrap();
    assert_eq!(w.totals().funded, largest);
    assert_eq!(w.unused_pool(), largest);
}

#[test]
fn funding_beyond_128_bits_is_refused_not_truncated() {
    let mut w = World::deploy();
    w.fund(FUNDER, U256::from(u128::MAX)).unwrap();
    expect_err!(w.fund(FUNDER, U256::from(1)), ArithmeticOverflow);
    assert_eq!(w.totals().funded, U256::from(u128::MAX));
    let mut w = World::deploy();
    expect_err!(w.fund(FUNDER, U256::from(1) << 128), ArithmeticOverflow);
    assert_eq!(w.totals().funded, U256::ZERO);
}
