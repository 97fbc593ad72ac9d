//! The books, over random histories: emission distributed + kept == scheduled and paid + owed
//! == distributed (less per-settlement rounding dust, bounded), compute funding sent + owed ==
//! its schedule + the kept emission, to the wei; and without a negative rebase, every principal
//! comes back whole.

use alloy_primitives::{Address, U256};
use proptest::prelude::*;
use yellowstone_protocol::capital::abi::*;

use crate::common::*;

const ACCOUNTS: [Address; 3] = [ALICE, BOB, CAROL];

#[derive(Clone, Debug)]
enum Op {
    Deposit(usize, U256),
    /// Withdraw this many thousandths of the principal (if unlocked).
    Withdraw(usize, u16),
    Claim(usize),
    Advance(u64),
    /// A positive rebase, in basis points.
    Rebase(u16),
    FundCompute,
    /// The compute contract starts or stops refusing `fund`.
    ToggleCompute,
}

fn amount() -> impl Strategy<Value = U256> {
    prop_oneof![
        (1u64..1_000).prop_map(U256::from),
        (1u64..1_000_000).prop_map(|n| U256::from(n) * U256::from(1_000_000_000_000u64)),
        (1u64..1_000).prop_map(eth),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..3usize, amount()).prop_map(|(a, x)| Op::Deposit(a, x)),
        2 => (0..3usize, 1..=1_000u16).prop_map(|(a, f)| Op::Withdraw(a, f)),
        2 => (0..3usize).prop_map(Op::Claim),
        3 => prop_oneof![0..120u64, 0..(3 * DAY), Just(7 * DAY)].prop_map(Op::Advance),
        1 => (0..50u16).prop_map(Op::Rebase),
        1 => Just(Op::FundCompute),
        1 => Just(Op::ToggleCompute),
    ]
}

/// Checks the books after every step; `settlements` bounds the rounding dust.
fn check_books(w: &World, settlements: u64) -> Result<(), TestCaseError> {
    let t = w.totals();
    prop_assert_eq!(
        t.distributed + t.kept,
        w.capital_scheduled(),
        "distributed + kept == scheduled"
    );
    let owed: U256 = ACCOUNTS.iter().map(|a| w.position(*a).2).sum();
    let accounted = t.paid + owed;
    prop_assert!(
        accounted <= t.distributed,
        "never more owed than distributed"
    );
    prop_assert!(
        t.distributed - accounted <= U256::from(settlements + ACCOUNTS.len() as u64 + 1),
        "dust {} after {} settlements",
        t.distributed - accounted,
        settlements
    );
    let principal: U256 = ACCOUNTS.iter().map(|a| w.position(*a).0).sum();
    prop_assert_eq!(principal, t.principal);
    prop_assert!(t.backing >= t.principal, "no negative rebase: fully backed");
    Ok(())
}

fn run(ops: Vec<Op>, mints_native: bool) -> Result<(), TestCaseError> {
    let mut w = World::deploy_with(Config {
        mints_native,
        ..Config::default()
    });
    if !mints_native {
        w.fund_reserve(eth(100_000_000));
    }
    for a in ACCOUNTS {
        w.give_st_eth(a, eth(1_000_000));
    }
    let mut settlements = 0u64;
    for op in ops {
        match op {
            Op::Deposit(a, x) => {
                if w.deposit(ACCOUNTS[a], x).is_ok() {
                    settlements += 1;
                }
            }
            Op::Withdraw(a, f) => {
                let (p, unlock_at, _) = w.position(ACCOUNTS[a]);
                let x = p * U256::from(f) / U256::from(1_000);
                if w.withdraw(ACCOUNTS[a], x).is_ok() {
                    settlements += 1;
                    let e = w.tx_event::<Withdrawn>();
                    prop_assert_eq!(e.paid, e.amount, "no loss: paid in full");
                } else {
                    prop_assert!(x.is_zero() || w.now() < unlock_at);
                }
            }
            Op::Claim(a) => {
                let owed = w.position(ACCOUNTS[a]).2;
                match w.claim(ACCOUNTS[a]) {
                    Ok(paid) => {
                        settlements += 1;
                        prop_assert_eq!(paid, owed);
                    }
                    Err(_) => prop_assert!(owed.is_zero()),
                }
            }
            Op::Advance(s) => w.advance(s),
            Op::Rebase(bps) => w.rebase_bps(i64::from(bps)),
            Op::FundCompute => {
                w.fund_compute().unwrap();
            }
            Op::ToggleCompute => w.chain.sim_mut(|s| s.compute_reverts = !s.compute_reverts),
        }
        check_books(&w, settlements)?;
    }
    // Compute funding, once accepted, has sent its whole schedule plus everything kept.
    w.chain.sim_mut(|s| s.compute_reverts = false);
    w.fund_compute().unwrap();
    let t = w.totals();
    prop_assert_eq!(t.compute_owed, U256::ZERO);
    prop_assert_eq!(t.compute_sent, w.compute_scheduled() + t.kept);
    prop_assert_eq!(w.native_of(COMPUTE), t.compute_sent);
    if mints_native {
        prop_assert_eq!(
            w.chain.sim(|s| s.native.supply),
            t.paid + t.compute_sent,
            "minted == paid + sent"
        );
    }
    // Every principal comes back whole.
    w.advance(365 * DAY);
    for a in ACCOUNTS {
        let (p, _, _) = w.position(a);
        if p.is_zero() {
            continue;
        }
        w.withdraw(a, p).unwrap();
        prop_assert_eq!(w.tx_event::<Withdrawn>().paid, p);
    }
    prop_assert_eq!(w.totals().principal, U256::ZERO);
    // Capital flows never write to the pair (the constructor only reads its tokens).
    prop_assert!(w
        .chain
        .calls()
        .iter()
        .all(|c| c.to != PAIR || c.is_static()));
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn the_books_balance_to_the_wei_in_reserve_mode(ops in prop::collection::vec(op(), 1..40)) {
        run(ops, false)?;
    }

    #[test]
    fn the_books_balance_to_the_wei_in_mint_mode(ops in prop::collection::vec(op(), 1..40)) {
        run(ops, true)?;
    }

    #[test]
    fn a_loss_is_the_same_fraction_for_every_leaver(
        deposits in prop::collection::vec(amount(), 3),
        loss_bps in 1..5_000i64,
        order in Just([0usize, 1, 2]).prop_shuffle(),
    ) {
        let mut w = World::deploy();
        for (a, x) in ACCOUNTS.iter().zip(&deposits) {
            w.give_st_eth(*a, *x + eth(1));
            w.deposit(*a, *x).unwrap();
        }
        w.rebase_bps(-loss_bps);
        w.advance(7 * DAY);
        let t = w.totals();
        for i in order {
            let (p, _, _) = w.position(ACCOUNTS[i]);
            w.withdraw(ACCOUNTS[i], p).unwrap();
            let paid = w.tx_event::<Withdrawn>().paid;
            // The fraction at the start, to within a few wei: each earlier payout and each stETH
            // transfer rounds down, leaving its wei to those who stay.
            let fair = p * t.backing / t.principal;
            prop_assert!(paid + U256::from(1) >= fair, "never less than the fair share: {paid} vs {fair}");
            prop_assert!(paid <= fair + U256::from(8), "{paid} vs {fair}");
        }
    }
}
