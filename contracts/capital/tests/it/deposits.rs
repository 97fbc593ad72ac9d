//! Deposits, withdrawals, the weighted lock and losses: the capital providers' side of SPEC 7.

use alloy_primitives::U256;
use yellowstone_capital::CapitalError;
use yellowstone_protocol::capital::abi::*;

use crate::common::*;

const WEEK: u64 = 7 * DAY;

/// `ceil((p * max(old, now) + a * (now + lock)) / (p + a))`, written out here.
fn weighted(p: U256, old: u64, a: U256, now: u64, lock: u64) -> u64 {
    let num = p * U256::from(old.max(now)) + a * U256::from(now + lock);
    let den = p + a;
    let q = (num + den - U256::from(1)) / den;
    q.to::<u64>()
}

#[test]
fn a_deposit_is_credited_what_arrived_and_locked_for_the_minimum() {
    let mut w = World::deploy();
    w.give_st_eth(ALICE, eth(10));
    w.deposit(ALICE, eth(10)).unwrap();
    let (principal, unlock_at, owed) = w.position(ALICE);
    assert_eq!(
        principal,
        w.st_eth_of(CAPITAL),
        "principal is exactly what the contract holds"
    );
    assert!(
        principal <= eth(10) && principal + U256::from(2) >= eth(10),
        "stETH loses at most a wei or two"
    );
    assert_eq!(unlock_at, DEPLOY_TIME + WEEK);
    assert_eq!(owed, U256::ZERO);
    let e = w.tx_event::<Deposited>();
    assert_eq!(
        (e.account, e.amount, e.principal, e.unlockAt),
        (ALICE, principal, principal, unlock_at)
    );
    assert_eq!(w.totals().principal, principal);
}

#[test]
fn a_token_that_delivers_less_than_asked_is_credited_only_what_arrived() {
    // The attack: a deposit of 10 that delivers 9 would be credited 10 by a contract that trusts
    // the amount, and the last to withdraw would find the contract short.
    let mut w = World::deploy();
    w.give_st_eth(ALICE, eth(10));
    w.chain.sim_mut(|s| s.st_eth.short_wei = eth(1));
    w.deposit(ALICE, eth(10)).unwrap();
    let (principal, _, _) = w.position(ALICE);
    assert_eq!(principal, w.st_eth_of(CAPITAL));
    assert!(principal < eth(9) + U256::from(1) && principal + U256::from(2) >= eth(9));
    assert_eq!(w.tx_event::<Deposited>().amount, principal);
}

#[test]
fn a_deposit_that_delivers_nothing_is_refused() {
    let mut w = World::deploy();
    w.give_st_eth(ALICE, eth(1));
    w.chain.sim_mut(|s| s.st_eth.short_wei = eth(1));
    assert_eq!(
        w.deposit(ALICE, eth(1)),
        Err(CapitalError::ZeroAmount(ZeroAmount {}))
    );
    assert_eq!(w.position(ALICE).0, U256::ZERO);
}

#[test]
fn refusals_name_what_was_wrong_and_lose_nothing() {
    let mut w = World::deploy();
    assert_eq!(w.deposit(ALICE, U256::ZERO), Err(ZeroAmount {}.into()));
    // No allowance, no stETH: the token's refusal, named with the token.
    assert_eq!(
        w.deposit(BOB, eth(1)),
        Err(TokenCallFailed {
            token: ST_ETH,
            to: CAPITAL,
            amount: eth(1)
        }
        .into())
    );
    w.give_st_eth(ALICE, eth(10));
    w.deposit(ALICE, eth(4)).unwrap();
    let (principal, unlock_at, _) = w.position(ALICE);
    assert_eq!(w.withdraw(ALICE, U256::ZERO), Err(ZeroAmount {}.into()));
    assert_eq!(
        w.withdraw(ALICE, principal + U256::from(1)),
        Err(InsufficientPrincipal {
            requested: principal + U256::from(1),
            principal
        }
        .into())
    );
    w.advance(WEEK - 1);
    assert_eq!(
        w.withdraw(ALICE, principal),
        Err(StillLocked {
            unlockAt: unlock_at,
            now: unlock_at - 1
        }
        .into())
    );
    w.advance(1);
    w.withdraw(ALICE, principal).unwrap();
    assert_eq!(w.position(ALICE).0, U256::ZERO);
}

#[test]
fn the_whole_principal_comes_back_after_a_positive_rebase_and_the_yield_stays() {
    let mut w = World::deploy();
    w.give_st_eth(ALICE, eth(10));
    let before = w.st_eth_of(ALICE);
    w.deposit(ALICE, eth(10)).unwrap();
    let (principal, _, _) = w.position(ALICE);
    w.rebase_bps(50);
    w.advance(WEEK);
    w.withdraw(ALICE, principal).unwrap();
    let e = w.tx_event::<Withdrawn>();
    assert_eq!(
        (e.amount, e.paid, e.principal),
        (principal, principal, U256::ZERO)
    );
    // Two stETH transfers, each rounding down by at most a wei or two.
    assert!(w.st_eth_of(ALICE) + U256::from(4) >= before);
    assert!(
        w.st_eth_of(CAPITAL) > eth(10) / U256::from(250),
        "the yield stays for the harvest"
    );
}

#[test]
fn a_loss_is_shared_pro_rata_the_first_and_last_to_leave_take_the_same_fraction() {
    // The attack on a first-come-first-served contract: after a slashing, the first to leave
    // takes all of their principal and the last takes the whole loss.
    let mut w = World::deploy();
    for who in [ALICE, BOB, CAROL] {
        w.give_st_eth(who, eth(30));
        w.deposit(who, eth(30)).unwrap();
    }
    w.rebase_bps(-1_000);
    w.advance(WEEK);
    let mut fractions = Vec::new();
    for who in [ALICE, BOB, CAROL] {
        let (principal, _, _) = w.position(who);
        w.withdraw(who, principal).unwrap();
        let e = w.tx_event::<Withdrawn>();
        assert!(e.paid < e.amount, "a loss is taken");
        fractions.push(e.paid * U256::from(1_000_000) / e.amount);
    }
    assert!(fractions[0] >= U256::from(899_990) && fractions[0] <= U256::from(900_000));
    let spread = fractions.iter().max().unwrap() - fractions.iter().min().unwrap();
    assert!(spread <= U256::from(1), "{fractions:?}");
    assert_eq!(w.totals().principal, U256::ZERO);
}

#[test]
fn a_deposit_after_a_loss_neither_fills_the_hole_nor_takes_any_of_it() {
    // The trap of crediting 1:1 under water: Bob deposits after Alice's 10% slashing and, on
    // leaving, would pay for part of her loss. He takes principal at the under-water price.
    let mut w = World::deploy();
    w.give_st_eth(ALICE, eth(100));
    w.deposit(ALICE, eth(100)).unwrap();
    w.rebase_bps(-1_000);
    w.give_st_eth(BOB, eth(90));
    let held = w.st_eth_of(CAPITAL);
    w.deposit(BOB, eth(90)).unwrap();
    let credited = w.st_eth_of(CAPITAL) - held;
    let (units, _, _) = w.position(BOB);
    assert!(
        units > credited,
        "more units than stETH: each is worth less than one"
    );
    w.advance(WEEK);
    w.withdraw(BOB, units).unwrap();
    let paid = w.tx_event::<Withdrawn>().paid;
    assert!(
        paid <= credited && credited - paid <= U256::from(2),
        "{paid} of {credited}"
    );
    let (alice, _, _) = w.position(ALICE);
    w.withdraw(ALICE, alice).unwrap();
    let paid = w.tx_event::<Withdrawn>().paid;
    assert!(
        paid >= eth(90) - U256::from(4) && paid <= eth(90),
        "Alice keeps her own loss only"
    );
}

#[test]
fn a_partial_withdrawal_under_a_loss_pays_the_same_fraction_as_a_full_one() {
    let mut w = World::deploy();
    w.give_st_eth(ALICE, eth(10));
    w.give_st_eth(BOB, eth(10));
    w.deposit(ALICE, eth(10)).unwrap();
    w.deposit(BOB, eth(10)).unwrap();
    w.rebase_bps(-2_000);
    w.advance(WEEK);
    let total = w.totals();
    let half = w.position(ALICE).0 / U256::from(2);
    w.withdraw(ALICE, half).unwrap();
    assert_eq!(
        w.tx_event::<Withdrawn>().paid,
        half * total.backing / total.principal
    );
}

#[test]
fn a_top_up_locks_only_by_its_weight() {
    let mut w = World::deploy();
    w.give_st_eth(ALICE, eth(101));
    w.deposit(ALICE, eth(100)).unwrap();
    let (p, old, _) = w.position(ALICE);
    w.advance(6 * DAY);
    let before = w.st_eth_of(CAPITAL);
    w.deposit(ALICE, eth(1)).unwrap();
    let a = w.st_eth_of(CAPITAL) - before;
    let (_, unlock_at, _) = w.position(ALICE);
    assert_eq!(unlock_at, weighted(p, old, a, w.now(), WEEK));
    // A 1% top-up a day before the unlock moves it by about 1% of a week, not a whole week.
    assert!(
        unlock_at > old && unlock_at < old + 2 * 3_600,
        "{}",
        unlock_at - old
    );
}

#[test]
fn dust_top_ups_never_shorten_a_lock() {
    // After the owner lowers the minimum lock, a holder might try to pull an old, longer lock
    // down with many tiny top-ups at the shorter lock: the weighted mean, rounded up, forbids it.
    let mut w = World::deploy();
    w.give_st_eth(ALICE, eth(2));
    w.deposit(ALICE, eth(1)).unwrap();
    let (_, original, _) = w.position(ALICE);
    w.tx(OWNER, |c| c.set_parameters(DAY, 1_800, 200, 100))
        .unwrap();
    let mut previous = original;
    for _ in 0..20 {
        let (p, old, _) = w.position(ALICE);
        let before = w.st_eth_of(CAPITAL);
        w.deposit(ALICE, U256::from(3)).unwrap();
        let a = w.st_eth_of(CAPITAL) - before;
        let (_, unlock_at, _) = w.position(ALICE);
        assert_eq!(unlock_at, weighted(p, old, a, w.now(), DAY));
        assert!(unlock_at >= previous.min(w.now() + DAY));
        assert_eq!(unlock_at, original, "a wei beside an ether moves nothing");
        previous = unlock_at;
    }
}

#[test]
fn nobody_can_re_lock_someone_else() {
    // Deposits credit the sender only: a whale depositing a fortune, at any time, cannot touch a
    // small holder's lock (Morpheus re-locks a whole balance on every stake).
    let mut w = World::deploy();
    w.give_st_eth(ALICE, eth(1));
    w.give_st_eth(BOB, eth(10_000));
    w.deposit(ALICE, eth(1)).unwrap();
    let alice = w.position(ALICE);
    w.advance(WEEK - 10);
    w.deposit(BOB, eth(10_000)).unwrap();
    assert_eq!(w.position(ALICE).1, alice.1);
    w.advance(10);
    w.withdraw(ALICE, alice.0).unwrap();
}

#[test]
fn a_fresh_deposit_after_the_lock_ended_locks_only_its_own_weight() {
    let mut w = World::deploy();
    w.give_st_eth(ALICE, eth(2));
    w.deposit(ALICE, eth(1)).unwrap();
    w.advance(30 * DAY);
    let (p, old, _) = w.position(ALICE);
    let before = w.st_eth_of(CAPITAL);
    w.deposit(ALICE, eth(1)).unwrap();
    let a = w.st_eth_of(CAPITAL) - before;
    let unlock_at = w.position(ALICE).1;
    assert_eq!(unlock_at, weighted(p, old, a, w.now(), WEEK));
    assert!(unlock_at >= w.now() + WEEK / 2 - 1 && unlock_at <= w.now() + WEEK / 2 + 1);
}

#[test]
fn pause_stops_deposits_but_never_withdrawals() {
    let mut w = World::deploy();
    w.give_st_eth(ALICE, eth(2));
    w.deposit(ALICE, eth(1)).unwrap();
    w.tx(OWNER, |c| c.pause()).unwrap();
    assert_eq!(w.deposit(ALICE, eth(1)), Err(EnforcedPause {}.into()));
    w.advance(WEEK);
    let (p, _, _) = w.position(ALICE);
    w.withdraw(ALICE, p).unwrap();
}
