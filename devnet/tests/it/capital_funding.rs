//! The native token going out, on the devnet: the capital bucket paid to depositors and the
//! compute bucket forwarded to the compute contract, each to the wei of the linear schedule
//! (`yellowstone_protocol::schedule`) across many intervals and after the curve's end; emission
//! while nothing is deposited kept and routed to compute; a refused `fund` remembered and
//! retried, never counted or minted twice; a short reserve refused by name.

use alloy_primitives::U256;
use yellowstone_devnet::capital::{set_toggle_fund_reverting, CapitalConfig, ComputeTarget};
use yellowstone_devnet::chain::{BlockTag, Receipt};
use yellowstone_devnet::fixtures::IToggleFund;
use yellowstone_protocol::capital::abi::*;
use yellowstone_protocol::schedule::{MORPHEUS_CAPITAL, MORPHEUS_INTERVAL};

use crate::common::capital::*;
use crate::common::{address_of, keep_programs_alive, I};

const HOUR: u64 = 3_600;
const DAY: u64 = 86_400;

/// The timestamp of the block `receipt` was mined in.
fn time_of(w: &World, receipt: &Receipt) -> u64 {
    w.chain
        .block_by_number(BlockTag::Number(receipt.block_number))
        .unwrap()
        .timestamp()
}

/// The wall clock, which a fresh devnet's clock follows.
fn wall_clock() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// `account` deposits `amount`; the block time it was credited at.
fn deposit_at(w: &mut World, account: usize, amount: U256) -> u64 {
    let receipt = w.deposit(account, amount);
    time_of(w, &receipt)
}

/// A schedule of hourly intervals starting ten minutes after now whose decrease does not
/// divide its first amount: 12 intervals, the last one short.
fn hourly(compute: ComputeTarget) -> CapitalConfig {
    let initial = tokens(100) + U256::from(7);
    let decrease = tokens(9) + U256::from(3);
    CapitalConfig {
        payout_start: wall_clock() + 600,
        interval: HOUR,
        capital_initial: initial,
        capital_decrease: decrease,
        compute_initial: initial * U256::from(2),
        compute_decrease: decrease,
        compute,
        ..CapitalConfig::default()
    }
}

#[test]
fn emission_adds_up_to_the_schedule_across_intervals_and_stops_at_its_end() {
    let mut w = world(hourly(ComputeTarget::Deployment));
    let (capital, compute) = w.buckets();
    let start = w.accrual_start();
    assert_eq!(start, capital.start, "accrual waits for the payout start");
    assert_eq!(capital.end(), start + 12 * HOUR);

    // Nothing deposited for the first hour and a half: kept, not dropped.
    w.advance(start + 3 * HOUR / 2 - w.now());
    let first = deposit_at(&mut w, 1, tokens(100));
    w.advance(2 * HOUR + 17);
    deposit_at(&mut w, 2, tokens(300));
    w.advance(3 * HOUR);
    let receipt = w.ok(1, C::claimCall {});
    let mut paid = event::<Claimed>(&receipt, w.cap.capital).amount;
    w.advance(HOUR + 5);
    let receipt = w.ok(3, C::fundComputeCall {});
    let mut sent = event::<ComputeFunded>(&receipt, w.cap.capital).amount;

    // Past the end, and long past it: the totals are the whole curve, to the wei.
    let end = capital.end();
    w.advance(end + 3 * HOUR - w.now());
    for _ in 0..2 {
        let t = w.totals();
        assert_eq!(t.kept, capital.reward(start, first));
        assert_eq!(t.distributed + t.kept, capital.reward(start, end));
        assert_eq!(t.paid, paid);
        let owed = w.position(1).owed + w.position(2).owed;
        // Per-account rounding (down) leaves at most a wei per settlement unpaid.
        assert!(t.paid + owed <= t.distributed && t.distributed - t.paid - owed <= U256::from(6));
        w.advance(10 * HOUR);
    }
    for account in [1, 2] {
        let receipt = w.ok(account, C::claimCall {});
        paid += event::<Claimed>(&receipt, w.cap.capital).amount;
    }
    let receipt = w.ok(3, C::fundComputeCall {});
    sent += event::<ComputeFunded>(&receipt, w.cap.capital).amount;
    let t = w.totals();
    assert_eq!(t.paid, paid);
    // The compute bucket's own curve (twice the amounts, so 23 intervals) has ended too.
    assert!(compute.end() < w.now());
    let whole = compute.reward(start, compute.end());
    assert_eq!(sent, whole + t.kept, "the compute bucket and the kept");
    assert_eq!(t.computeSent, sent);
    assert_eq!(t.computeOwed, U256::ZERO);

    // Nothing more to pay or send, ever.
    w.advance(100 * HOUR);
    w.refused::<NothingToClaim, _>(1, C::claimCall {});
    let receipt = w.ok(3, C::fundComputeCall {});
    assert!(events::<ComputeFunded>(&receipt, w.cap.capital).is_empty());
    assert_eq!(w.totals(), t);
}

#[test]
fn morpheus_emission_ends_on_day_5833_and_nothing_accrues_after() {
    let mut w = world(CapitalConfig {
        mints_native: true,
        reserve: U256::ZERO,
        compute: ComputeTarget::ToggleFund,
        ..CapitalConfig::default()
    });
    let (capital, compute) = w.buckets();
    assert_eq!(
        (capital.start, capital.interval),
        (MORPHEUS_CAPITAL.start, MORPHEUS_INTERVAL)
    );
    assert_eq!(capital, MORPHEUS_CAPITAL);
    let end = capital.end();
    assert_eq!(end, capital.start + 5_833 * DAY);
    let start = w.accrual_start();
    let supply = w.native_supply();

    let joined = deposit_at(&mut w, 1, tokens(10));
    // Sixteen years on, the programs' activations expired long ago (Nitro's 365 days): their
    // operator re-activates them before the claim.
    w.chain.mine(Some(end + 30 * DAY)).unwrap();
    keep_programs_alive(&mut w.chain, &[w.cap.capital, w.base.compute]);
    let receipt = w.ok(1, C::claimCall {});
    let paid = event::<Claimed>(&receipt, w.cap.capital).amount;
    let earned = capital.reward(joined, end);
    assert!(
        paid <= earned && earned - paid <= U256::from(2),
        "{paid} vs {earned}"
    );
    let t = w.totals();
    assert_eq!(t.kept, capital.reward(start, joined));
    assert_eq!(t.distributed + t.kept, capital.reward(start, end));

    let receipt = w.ok(3, C::fundComputeCall {});
    let sent = event::<ComputeFunded>(&receipt, w.cap.capital).amount;
    assert_eq!(sent, compute.reward(start, end) + t.kept);
    // Minted exactly what was paid and sent.
    assert_eq!(w.native_supply(), supply + paid + sent);

    w.advance(365 * DAY);
    keep_programs_alive(&mut w.chain, &[w.cap.capital, w.base.compute]);
    assert_eq!(w.position(1).owed, U256::ZERO);
    w.refused::<NothingToClaim, _>(1, C::claimCall {});
    assert_eq!(w.totals().distributed, t.distributed);
}

#[test]
fn a_refused_fund_is_remembered_and_retried_once() {
    let mut w = world(CapitalConfig {
        compute: ComputeTarget::ToggleFund,
        ..CapitalConfig::default()
    });
    let fund = w.compute;
    let (capital, compute) = w.buckets();
    let start = w.accrual_start();
    let reserve = w.native(w.cap.capital);
    set_toggle_fund_reverting(&mut w.chain, fund, true).unwrap();

    w.advance(HOUR);
    let receipt = w.ok(3, C::fundComputeCall {});
    let t1 = time_of(&w, &receipt);
    let failed: ComputeFundingFailed = event(&receipt, w.cap.capital);
    // The compute bucket and the capital bucket kept while nothing was deposited.
    assert_eq!(
        failed.amount,
        compute.reward(start, t1) + capital.reward(start, t1)
    );
    assert!(events::<ComputeFunded>(&receipt, w.cap.capital).is_empty());
    let t = w.totals();
    assert_eq!((t.computeSent, t.computeOwed), (U256::ZERO, failed.amount));
    assert_eq!(w.read(fund, IToggleFund::fundedCall {}), U256::ZERO);
    assert_eq!(w.native(w.cap.capital), reserve, "nothing left the reserve");
    let allowance = w.read(
        w.cap.native,
        crate::common::IERC20::allowanceCall {
            owner: w.cap.capital,
            spender: fund,
        },
    );
    assert_eq!(allowance, U256::ZERO, "the approval is withdrawn");

    let joined = deposit_at(&mut w, 1, tokens(10));
    w.advance(HOUR);
    set_toggle_fund_reverting(&mut w.chain, fund, false).unwrap();
    let receipt = w.ok(3, C::fundComputeCall {});
    let t2 = time_of(&w, &receipt);
    let funded: ComputeFunded = event(&receipt, w.cap.capital);
    let owed_in_full = compute.reward(start, t2) + capital.reward(start, joined);
    assert_eq!(funded.amount, owed_in_full);
    assert_eq!(w.read(fund, IToggleFund::fundedCall {}), owed_in_full);
    let t = w.totals();
    assert_eq!((t.computeSent, t.computeOwed), (owed_in_full, U256::ZERO));
    assert_eq!(w.native(w.cap.capital), reserve - owed_in_full);

    // The next call sends only what accrued since.
    let receipt = w.ok(3, C::fundComputeCall {});
    let next: ComputeFunded = event(&receipt, w.cap.capital);
    assert_eq!(next.amount, compute.reward(t2, time_of(&w, &receipt)));
    assert_eq!(
        w.read(fund, IToggleFund::fundedCall {}),
        owed_in_full + next.amount
    );
}

#[test]
fn in_mint_mode_a_retry_never_mints_twice() {
    let mut w = world(CapitalConfig {
        mints_native: true,
        reserve: U256::ZERO,
        compute: ComputeTarget::ToggleFund,
        ..CapitalConfig::default()
    });
    let fund = w.compute;
    let supply = w.native_supply();
    set_toggle_fund_reverting(&mut w.chain, fund, true).unwrap();
    w.advance(HOUR);
    let receipt = w.ok(3, C::fundComputeCall {});
    let a = event::<ComputeFundingFailed>(&receipt, w.cap.capital).amount;
    assert_eq!(
        w.native_supply(),
        supply + a,
        "minted once, held by the contract"
    );
    assert_eq!(w.native(w.cap.capital), a);

    w.advance(HOUR);
    let receipt = w.ok(3, C::fundComputeCall {});
    let b = event::<ComputeFundingFailed>(&receipt, w.cap.capital).amount;
    assert!(b > a);
    assert_eq!(
        w.native_supply(),
        supply + b,
        "only the new accrual was minted"
    );

    set_toggle_fund_reverting(&mut w.chain, fund, false).unwrap();
    let receipt = w.ok(3, C::fundComputeCall {});
    let c = event::<ComputeFunded>(&receipt, w.cap.capital).amount;
    assert!(c > b);
    assert_eq!(w.native_supply(), supply + c);
    assert_eq!(w.native(fund), c);
    assert_eq!(w.native(w.cap.capital), U256::ZERO);
    assert_eq!(w.totals().computeSent, c);
}

#[test]
fn fund_compute_feeds_the_real_compute_contract_exactly_its_bucket_and_the_kept() {
    let mut w = world(CapitalConfig::default());
    assert_eq!(w.compute, w.base.compute);
    let (capital, compute) = w.buckets();
    let start = w.accrual_start();
    let funded = |w: &World| w.read(w.base.compute, I::totalsCall {})._0;
    let before = funded(&w);

    w.advance(2 * HOUR);
    let joined = deposit_at(&mut w, 1, tokens(50));
    w.advance(DAY);
    let receipt = w.ok(3, C::fundComputeCall {});
    let t1 = time_of(&w, &receipt);
    let sent = event::<ComputeFunded>(&receipt, w.cap.capital).amount;
    assert_eq!(
        sent,
        compute.reward(start, t1) + capital.reward(start, joined)
    );
    assert_eq!(funded(&w), before + sent);

    // A day later: the bucket's day alone (nothing more was kept: principal is deposited).
    w.advance(DAY);
    let receipt = w.ok(4, C::fundComputeCall {});
    let more = event::<ComputeFunded>(&receipt, w.cap.capital).amount;
    assert_eq!(more, compute.reward(t1, time_of(&w, &receipt)));
    assert_eq!(funded(&w), before + sent + more);
    assert_eq!(w.totals().computeSent, sent + more);
}

#[test]
fn a_short_reserve_is_refused_by_name_and_pays_once_topped_up() {
    let mut w = world(CapitalConfig {
        reserve: tokens(1),
        ..CapitalConfig::default()
    });
    deposit_at(&mut w, 1, tokens(10));
    w.advance(DAY);
    let owed = w.position(1).owed;
    w.next_block_in(1);
    let e: ReserveShort = w.refused(1, C::claimCall {});
    assert!(e.needed > owed, "a second more accrued");
    assert_eq!(e.available, tokens(1));
    let e: ReserveShort = w.refused(3, C::fundComputeCall {});
    assert_eq!(e.available, tokens(1));

    let (token, capital) = (w.cap.native, w.cap.capital);
    w.ok_to(
        0,
        token,
        IToken::transferCall {
            to: capital,
            value: tokens(100_000),
        },
    );
    let receipt = w.ok(1, C::claimCall {});
    let paid = event::<Claimed>(&receipt, capital).amount;
    assert!(paid > owed);
    assert_eq!(w.native(address_of(1)), tokens(1_000_000) + paid);
}
