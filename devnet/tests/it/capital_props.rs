//! Properties of the capital contract over random histories on the devnet (each case a fresh
//! chain with the real Wasm, so few cases: `PROPTEST_CASES` raises them):
//!
//! 1. Principal is always withdrawable in full: through random deposits, positive rebases,
//!    harvests into the genuine Uniswap V2 pair (each one due succeeds, however large the yield
//!    against the pool) and withdrawals, every withdrawal pays exactly the principal withdrawn,
//!    and the backing never falls below the principal.
//! 2. Emission adds up to the schedule, to the wei: at every step the capital bucket's
//!    distributed plus kept equals `schedule::reward(start, now)`; what was paid plus what is
//!    owed falls short of the distributed by at most a wei per settlement (each account's
//!    rounding down); the compute bucket sent equals its schedule plus the kept; and the tokens
//!    minted equal what was paid and sent.

use alloy_primitives::U256;
use proptest::prelude::*;
use yellowstone_devnet::capital::{CapitalConfig, ComputeTarget};
use yellowstone_protocol::capital::abi::*;

use crate::common::capital::*;
use crate::common::{address_of, config};

const DAY: u64 = 86_400;

/// One step of a random history.
#[derive(Clone, Debug)]
enum Op {
    /// Account (1 to 3) deposits whole tokens plus some wei.
    Deposit(usize, u64, u64),
    /// Account withdraws this percentage (1 to 100) of its principal, if unlocked.
    Withdraw(usize, u64),
    /// stETH gains this many parts per million (up to 0.3%: days of yield against a small pool).
    Rebase(i64),
    /// Anyone harvests (when a day has passed since the last).
    Harvest,
    /// Account claims what it is owed.
    Claim(usize),
    /// Anyone forwards the compute bucket.
    FundCompute,
    /// The clock moves this many seconds.
    Advance(u64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (1..=3usize, 1..500u64, 0..1_000_000u64).prop_map(|(a, n, wei)| Op::Deposit(a, n, wei)),
        (1..=3usize, 1..=100u64).prop_map(|(a, p)| Op::Withdraw(a, p)),
        (0..3_000i64).prop_map(Op::Rebase),
        Just(Op::Harvest),
        (1..=3usize).prop_map(Op::Claim),
        Just(Op::FundCompute),
        (1..3 * DAY).prop_map(Op::Advance),
    ]
}

/// `account` withdraws `percent` of its principal if it has some and it is unlocked; asserts
/// it was paid in full (and received all but stETH's share rounding).
fn withdraw_in_full(w: &mut World, account: usize, percent: u64) {
    let p = w.position(account);
    if p.principal.is_zero() || p.unlockAt > w.now() + 1 {
        return;
    }
    let amount = (p.principal * U256::from(percent) / U256::from(100)).max(U256::from(1));
    let before = w.st_eth(address_of(account));
    let receipt = w.ok(account, C::withdrawCall { amount });
    let out: Withdrawn = event(&receipt, w.cap.capital);
    assert_eq!(out.paid, amount, "a withdrawal lost principal");
    let got = w.st_eth(address_of(account)) - before;
    assert!(amount - got <= U256::from(2), "received {got} of {amount}");
}

/// A harvest when one is due (a day since the last, an observation a window old and yield to
/// wrap): it succeeds, whatever the yield against the pool (what one harvest cannot swap
/// within its slippage bound is carried).
fn harvest_if_due(w: &mut World) {
    let s = w.harvest_state();
    let t = w.totals();
    let window = w.view(C::parametersCall {}).twapWindow;
    let due = w.now() + 1 >= (s.lastHarvest + DAY).max(s.observedAt + window);
    if due && t.backing > t.principal + U256::from(1_000_000) {
        w.ok(4, C::harvestCall {});
    }
}

proptest! {
    #![proptest_config(config(12))]

    #[test]
    fn principal_is_always_withdrawable_in_full(ops in prop::collection::vec(op(), 4..14)) {
        let mut w = world(CapitalConfig {
            st_eth_each: tokens(100_000),
            ..CapitalConfig::default()
        });
        w.live_pool();
        w.set_parameters(DAY, 1_800, 200, 100);
        for op in ops {
            match op {
                Op::Deposit(a, n, wei) => {
                    w.deposit(a, tokens(n) + U256::from(wei));
                }
                Op::Withdraw(a, percent) => withdraw_in_full(&mut w, a, percent),
                Op::Rebase(ppm) => w.rebase(ppm),
                Op::Harvest => harvest_if_due(&mut w),
                Op::Claim(a) => {
                    if !w.position(a).owed.is_zero() {
                        w.ok(a, C::claimCall {});
                    }
                }
                Op::FundCompute => {
                    w.ok(4, C::fundComputeCall {});
                }
                Op::Advance(s) => w.advance(s),
            }
            let t = w.totals();
            prop_assert!(
                t.backing >= t.principal,
                "backing {} < principal {}",
                t.backing,
                t.principal
            );
        }
        // Past every lock (the pool's first deposits took the default week).
        w.advance(8 * DAY);
        for a in 1..=3 {
            withdraw_in_full(&mut w, a, 100);
            prop_assert_eq!(w.position(a).principal, U256::ZERO);
        }
        prop_assert_eq!(w.totals().principal, U256::ZERO);
    }

    #[test]
    fn emission_paid_owed_and_kept_is_the_schedule_to_the_wei(
        ops in prop::collection::vec(op(), 4..14),
    ) {
        let mut w = world(CapitalConfig {
            mints_native: true,
            reserve: U256::ZERO,
            compute: ComputeTarget::ToggleFund,
            st_eth_each: tokens(100_000),
            ..CapitalConfig::default()
        });
        w.set_parameters(DAY, 1_800, 200, 100);
        let (capital, compute) = w.buckets();
        let start = w.accrual_start();
        let supply = w.native_supply();
        let (mut paid, mut sent, mut settlements) = (U256::ZERO, U256::ZERO, 0u64);
        for op in ops {
            match op {
                Op::Deposit(a, n, wei) => {
                    w.deposit(a, tokens(n) + U256::from(wei));
                    settlements += 1;
                }
                Op::Withdraw(a, percent) => {
                    withdraw_in_full(&mut w, a, percent);
                    settlements += 1;
                }
                Op::Claim(a) => {
                    if !w.position(a).owed.is_zero() {
                        let receipt = w.ok(a, C::claimCall {});
                        paid += event::<Claimed>(&receipt, w.cap.capital).amount;
                        settlements += 1;
                    }
                }
                Op::FundCompute => {
                    let receipt = w.ok(4, C::fundComputeCall {});
                    sent += events::<ComputeFunded>(&receipt, w.cap.capital)
                        .iter()
                        .map(|e| e.amount)
                        .sum::<U256>();
                    prop_assert_eq!(sent, compute.reward(start, w.now()) + w.totals().kept);
                }
                Op::Advance(s) => w.advance(s),
                Op::Rebase(_) | Op::Harvest => {}
            }
            let t = w.totals();
            prop_assert_eq!(t.distributed + t.kept, capital.reward(start, w.now()));
            prop_assert_eq!(t.paid, paid);
            prop_assert_eq!(t.computeSent, sent);
            let owed: U256 = (1..=3).map(|a| w.position(a).owed).sum();
            prop_assert!(t.paid + owed <= t.distributed);
            // A wei per settlement, and a wei per account in the views' own rounding.
            prop_assert!(
                t.distributed - t.paid - owed <= U256::from(settlements + 3),
                "{} wei unaccounted after {} settlements",
                t.distributed - t.paid - owed,
                settlements
            );
            prop_assert_eq!(w.native_supply(), supply + paid + sent);
        }
    }
}
