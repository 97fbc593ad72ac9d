//! The capital bucket's emission: per-second accrual pro rata to principal, kept while nothing
//! is deposited, claimed from the reserve or minted.

use alloy_primitives::U256;
use yellowstone_capital::CapitalError;
use yellowstone_protocol::capital::abi::*;

use crate::common::*;

/// A short curve starting at deployment: 10, 7, 4, 1 tokens over four days, then nothing.
fn short_curve() -> Config {
    Config {
        payout_start: DEPLOY_TIME,
        capital: (eth(10), eth(3)),
        compute: (eth(5), eth(2)),
        ..Config::default()
    }
}

#[test]
fn a_lone_depositor_earns_the_whole_bucket_to_the_wei_less_rounding() {
    let mut w = World::deploy();
    w.give_st_eth(ALICE, eth(5));
    w.deposit(ALICE, eth(5)).unwrap();
    w.advance(3 * DAY + 12_345);
    let owed = w.position(ALICE).2;
    let scheduled = w.capital_scheduled();
    assert!(
        owed <= scheduled && scheduled - owed <= U256::from(1),
        "{owed} vs {scheduled}"
    );
    assert_eq!(w.totals().distributed, scheduled);
}

#[test]
fn a_late_deposit_earns_nothing_of_the_past() {
    // The attack on daily crediting: deposit just before the credit and take a whole day.
    let mut w = World::deploy();
    w.give_st_eth(ALICE, eth(1));
    w.give_st_eth(BOB, eth(1_000));
    w.deposit(ALICE, eth(1)).unwrap();
    w.advance(DAY - 1);
    w.deposit(BOB, eth(1_000)).unwrap();
    assert_eq!(w.position(BOB).2, U256::ZERO, "nothing of the day before");
    let alice = w.position(ALICE).2;
    let day = w.capital_scheduled();
    assert!(
        day - alice <= U256::from(1),
        "Alice keeps the day she was alone"
    );
    w.advance(1);
    let bob = w.position(BOB).2;
    assert!(bob < eth(1), "one second's emission at most: {bob}");
}

#[test]
fn emission_is_shared_pro_rata_to_principal() {
    let mut w = World::deploy();
    w.give_st_eth(ALICE, eth(1));
    w.give_st_eth(BOB, eth(3));
    w.deposit(ALICE, eth(1)).unwrap();
    w.deposit(BOB, eth(3)).unwrap();
    let (pa, pb) = (w.position(ALICE).0, w.position(BOB).0);
    let start = w.totals().distributed;
    w.advance(5 * DAY);
    let d = w.totals().distributed - start;
    let (a, b) = (w.position(ALICE).2, w.position(BOB).2);
    assert!(a + b <= d && d - (a + b) <= U256::from(2));
    assert!(a.abs_diff(d * pa / (pa + pb)) <= U256::from(2));
}

#[test]
fn emission_while_nothing_is_deposited_is_kept_not_dropped() {
    let mut w = World::deploy();
    w.advance(10 * DAY);
    let t = w.totals();
    assert_eq!(t.kept, w.capital_scheduled());
    assert_eq!(t.distributed, U256::ZERO);
    w.give_st_eth(ALICE, eth(1));
    w.deposit(ALICE, eth(1)).unwrap();
    w.advance(DAY);
    let t = w.totals();
    assert_eq!(
        t.kept + t.distributed,
        w.capital_scheduled(),
        "kept + distributed == scheduled"
    );
    // Emptying the contract starts keeping again.
    w.advance(7 * DAY);
    let p = w.position(ALICE).0;
    w.withdraw(ALICE, p).unwrap();
    let kept = w.totals().kept;
    w.advance(DAY);
    assert!(w.totals().kept > kept);
    assert_eq!(
        w.totals().kept + w.totals().distributed,
        w.capital_scheduled()
    );
}

#[test]
fn accrual_crosses_many_intervals_and_stops_at_the_curve_end() {
    let mut w = World::deploy_with(short_curve());
    w.give_st_eth(ALICE, eth(1));
    w.deposit(ALICE, eth(1)).unwrap();
    w.advance(DAY / 2);
    let half = w.position(ALICE).2;
    assert!(eth(5) - half <= U256::from(1), "half of day one's 10");
    w.advance(100 * DAY);
    let all = w.position(ALICE).2;
    assert!(
        eth(22) - all <= U256::from(1),
        "10 + 7 + 4 + 1, then nothing: {all}"
    );
    assert_eq!(w.totals().distributed, eth(22));
    w.claim(ALICE).unwrap_err(); // no reserve: refused, and nothing lost
    w.fund_reserve(eth(22));
    assert_eq!(w.claim(ALICE).unwrap(), all);
    w.advance(1_000 * DAY);
    assert_eq!(
        w.claim(ALICE),
        Err(NothingToClaim { account: ALICE }.into())
    );
}

#[test]
fn morpheus_s_curve_pays_out_to_its_end_in_2040_and_not_a_wei_more() {
    let mut w = World::deploy();
    w.give_st_eth(ALICE, eth(1));
    w.deposit(ALICE, eth(1)).unwrap();
    // 5,833 intervals from 2024-02-08: the curve ends on 2040-01-28 12:00 UTC.
    let end = PAYOUT_START + 5_833 * DAY;
    w.set_time(end - DAY / 2);
    let before_end = w.position(ALICE).2;
    w.set_time(end + 10 * 365 * DAY);
    let all = w.position(ALICE).2;
    let scheduled = w.capital_scheduled();
    assert_eq!(w.totals().distributed, scheduled);
    assert!(scheduled - all <= U256::from(1));
    assert!(all > before_end, "the last half interval still pays");
    let config = Config::default();
    assert_eq!(
        emitted(&config, config.capital, end),
        emitted(&config, config.capital, u64::MAX / 2),
        "nothing after the end"
    );
}

#[test]
fn claiming_often_or_once_pays_the_same() {
    let mut often = World::deploy();
    let mut once = World::deploy();
    for w in [&mut often, &mut once] {
        w.fund_reserve(eth(1_000_000));
        w.give_st_eth(ALICE, eth(3));
        w.deposit(ALICE, eth(3)).unwrap();
    }
    let mut paid = U256::ZERO;
    for _ in 0..40 {
        often.advance(61_001);
        paid += often.claim(ALICE).unwrap();
    }
    once.advance(40 * 61_001);
    let single = once.claim(ALICE).unwrap();
    assert!(
        single >= paid && single - paid <= U256::from(40),
        "{single} vs {paid}"
    );
    assert_eq!(often.totals().distributed, once.totals().distributed);
}

#[test]
fn nothing_accrues_before_the_payout_start() {
    let config = Config {
        payout_start: DEPLOY_TIME + 10 * DAY,
        ..Config::default()
    };
    let mut w = World::deploy_with(config);
    w.give_st_eth(ALICE, eth(1));
    w.deposit(ALICE, eth(1)).unwrap();
    w.advance(10 * DAY);
    assert_eq!(w.position(ALICE).2, U256::ZERO);
    assert_eq!(w.totals().kept, U256::ZERO);
    w.advance(DAY);
    assert!(INITIAL - w.position(ALICE).2 <= U256::from(1));
}

#[test]
fn a_claim_pays_from_the_reserve_and_names_a_shortfall() {
    let mut w = World::deploy();
    w.give_st_eth(ALICE, eth(1));
    w.deposit(ALICE, eth(1)).unwrap();
    w.advance(DAY);
    let owed = w.position(ALICE).2;
    w.fund_reserve(owed / U256::from(2));
    assert_eq!(
        w.claim(ALICE),
        Err(ReserveShort {
            needed: owed,
            available: owed / U256::from(2)
        }
        .into())
    );
    w.fund_reserve(owed);
    assert_eq!(w.claim(ALICE).unwrap(), owed);
    assert_eq!(w.native_of(ALICE), owed);
    let e = w.tx_event::<Claimed>();
    assert_eq!((e.account, e.amount), (ALICE, owed));
    assert_eq!(w.position(ALICE).2, U256::ZERO);
    assert_eq!(w.totals().paid, owed);
    assert_eq!(
        w.claim(ALICE),
        Err(NothingToClaim { account: ALICE }.into())
    );
}

#[test]
fn a_claim_in_mint_mode_mints_exactly_what_is_owed() {
    let mut w = World::deploy_with(Config {
        mints_native: true,
        ..Config::default()
    });
    w.give_st_eth(ALICE, eth(1));
    w.deposit(ALICE, eth(1)).unwrap();
    w.advance(2 * DAY);
    let owed = w.position(ALICE).2;
    let supply = w.chain.sim(|s| s.native.supply);
    assert_eq!(w.claim(ALICE).unwrap(), owed);
    assert_eq!(w.native_of(ALICE), owed);
    assert_eq!(w.chain.sim(|s| s.native.supply), supply + owed);
    assert_eq!(
        w.native_of(CAPITAL),
        U256::ZERO,
        "no reserve needed or touched"
    );
}

#[test]
fn a_token_that_refuses_to_mint_fails_the_claim_and_loses_nothing() {
    let mut w = World::deploy_with(Config {
        mints_native: true,
        ..Config::default()
    });
    w.chain.sim_mut(|s| s.minter = None);
    w.give_st_eth(ALICE, eth(1));
    w.deposit(ALICE, eth(1)).unwrap();
    w.advance(DAY);
    let owed = w.position(ALICE).2;
    assert_eq!(
        w.claim(ALICE),
        Err(CapitalError::TokenCallFailed(TokenCallFailed {
            token: NATIVE,
            to: ALICE,
            amount: owed
        }))
    );
    assert_eq!(w.position(ALICE).2, owed);
}

#[test]
fn claims_are_never_paused_nor_locked() {
    let mut w = World::deploy();
    w.fund_reserve(eth(1_000_000));
    w.give_st_eth(ALICE, eth(1));
    w.deposit(ALICE, eth(1)).unwrap();
    w.advance(DAY);
    w.tx(OWNER, |c| c.pause()).unwrap();
    assert!(w.position(ALICE).1 > w.now(), "still locked");
    assert!(w.claim(ALICE).unwrap() > U256::ZERO);
}
