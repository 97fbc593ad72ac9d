//! The capital contract's deposits on the devnet, the real Wasm against the rebasing stETH
//! fixture: principal credited by balance difference and held 1:1, yield that is never
//! principal, a loss shared pro rata, the weighted lock, emission that a late deposit cannot
//! reach back into, and a pause that never traps anyone's money.

use alloy_primitives::U256;
use yellowstone_devnet::capital::CapitalConfig;
use yellowstone_protocol::capital::{
    abi::*, backing::withdrawal_payout, lock::weighted_unlock, params::Parameters,
};
use yellowstone_protocol::schedule::MORPHEUS_CAPITAL;

use crate::common::address_of;
use crate::common::capital::*;

const MIN_LOCK: u64 = Parameters::DEFAULT.min_lock;

/// A deposit credits what arrived (the balance difference), which is the principal.
fn credited(w: &mut World, account: usize, amount: U256) -> U256 {
    let receipt = w.deposit(account, amount);
    let d: Deposited = event(&receipt, w.cap.capital);
    assert_eq!(d.account, address_of(account));
    assert!(
        d.amount <= amount && amount - d.amount <= U256::from(2),
        "credited {} of {amount}",
        d.amount
    );
    d.amount
}

#[test]
fn a_positive_rebase_is_yield_and_principal_comes_back_whole() {
    let mut w = world(CapitalConfig::default());
    let a = credited(&mut w, 1, tokens(100));
    let b = credited(&mut w, 2, tokens(300));
    assert_eq!(w.position(1).principal, a);
    assert_eq!(w.totals().principal, a + b);

    w.rebase(10_000); // +1%
    let t = w.totals();
    assert_eq!(t.principal, a + b, "a rebase never changes principal");
    assert_eq!(t.backing, w.st_eth(w.cap.capital));
    assert!(t.backing > t.principal + tokens(3), "the yield: {t:?}");

    w.advance(MIN_LOCK);
    for (account, amount) in [(1, a), (2, b)] {
        let before = w.st_eth(address_of(account));
        let receipt = w.ok(account, C::withdrawCall { amount });
        let out: Withdrawn = event(&receipt, w.cap.capital);
        assert_eq!(
            (out.amount, out.paid, out.principal),
            (amount, amount, U256::ZERO)
        );
        // stETH moves shares: the holder may see a wei or two less than was sent.
        let got = w.st_eth(address_of(account)) - before;
        assert!(amount - got <= U256::from(2), "{got} of {amount}");
    }
    let t = w.totals();
    assert_eq!(t.principal, U256::ZERO);
    assert!(t.backing > tokens(3), "the yield stays for the harvest");
}

#[test]
fn a_loss_is_shared_pro_rata_not_left_to_the_last_to_leave() {
    let mut w = world(CapitalConfig::default());
    let a = credited(&mut w, 1, tokens(100));
    let b = credited(&mut w, 2, tokens(300));
    w.rebase(-100_000); // a 10% slashing
    w.advance(MIN_LOCK);

    // The first to leave gets the same fraction as everyone: not all of it.
    let t = w.totals();
    assert!(t.backing < t.principal);
    let receipt = w.ok(1, C::withdrawCall { amount: a });
    let first: Withdrawn = event(&receipt, w.cap.capital);
    assert_eq!(
        first.paid,
        withdrawal_payout(a, t.backing, t.principal).unwrap()
    );
    assert!(first.paid < a * U256::from(91) / U256::from(100));

    let t = w.totals();
    let receipt = w.ok(2, C::withdrawCall { amount: b });
    let last: Withdrawn = event(&receipt, w.cap.capital);
    assert_eq!(
        last.paid,
        withdrawal_payout(b, t.backing, t.principal).unwrap()
    );
    // The same fraction (paid / amount) for both, to rounding: cross-multiplied, within one
    // wei per unit of the other amount.
    let (x, y) = (first.paid * b, last.paid * a);
    let gap = if x > y { x - y } else { y - x };
    assert!(gap <= a + b, "fractions differ: {x} vs {y}");
    assert!(last.paid >= b * U256::from(89) / U256::from(100));
    // Rounding down keeps whatever is left with the contract: it never owes more than it holds.
    assert!(w.st_eth(w.cap.capital) <= U256::from(4));
}

#[test]
fn a_top_up_is_locked_by_the_weighted_mean_not_all_over_again() {
    let mut w = world(CapitalConfig::default());
    let a = credited(&mut w, 1, tokens(100));
    let t0 = w.now();
    let first = w.position(1);
    assert_eq!(first.unlockAt, t0 + MIN_LOCK);

    w.advance(3 * 86_400);
    let b = credited(&mut w, 1, tokens(100));
    let t1 = w.now();
    let expected = weighted_unlock(a, first.unlockAt, b, t1, MIN_LOCK).unwrap();
    assert_eq!(w.position(1).unlockAt, expected);
    assert!(expected < t1 + MIN_LOCK, "the whole balance was re-locked");
    assert!(expected > first.unlockAt);

    // Claims are never locked; withdrawals are, until then, to the second.
    w.ok(1, C::claimCall {});
    w.next_block_in(expected - w.now() - 1);
    let e: StillLocked = w.refused(1, C::withdrawCall { amount: a });
    assert_eq!((e.unlockAt, e.now), (expected, expected - 1));
    let receipt = w.ok(1, C::withdrawCall { amount: a + b });
    assert_eq!(w.chain.latest_block().timestamp(), expected);
    assert_eq!(event::<Withdrawn>(&receipt, w.cap.capital).paid, a + b);
    assert_eq!(w.position(1).principal, U256::ZERO);

    // More than one's principal is refused, naming both.
    credited(&mut w, 2, tokens(5));
    w.advance(MIN_LOCK);
    let p = w.position(2).principal;
    let e: InsufficientPrincipal = w.refused(
        2,
        C::withdrawCall {
            amount: p + U256::from(1),
        },
    );
    assert_eq!((e.requested, e.principal), (p + U256::from(1), p));
}

#[test]
fn a_late_deposit_earns_nothing_of_the_past() {
    let mut w = world(CapitalConfig::default());
    let a = credited(&mut w, 1, tokens(100));
    let since = w.now();
    w.advance(10 * 86_400);
    let b = credited(&mut w, 2, tokens(100));
    let joined = w.now();
    assert_eq!(
        w.position(2).owed,
        U256::ZERO,
        "nothing of the ten days before"
    );

    w.next_block_in(3_600);
    let receipt = w.ok(2, C::claimCall {});
    let paid = event::<Claimed>(&receipt, w.cap.capital).amount;
    // One hour of the capital bucket, shared by principal: the joiner's part, to the wei or two
    // of the accumulator's rounding (the remainder is carried, never paid twice).
    let hour = MORPHEUS_CAPITAL.reward(joined, w.now());
    let share = hour * b / (a + b);
    assert!(
        paid <= share && share - paid <= U256::from(2),
        "{paid} vs {share}"
    );
    assert_eq!(w.native(address_of(2)), tokens(1_000_000) + paid);
    // Someone who never deposited has nothing to claim, and is told so.
    let e: NothingToClaim = w.refused(3, C::claimCall {});
    assert_eq!(e.account, address_of(3));

    // The first depositor has the ten days alone and half of the hour.
    let owed = w.position(1).owed;
    let alone = MORPHEUS_CAPITAL.reward(since, joined);
    assert!(owed >= alone - U256::from(2), "{owed} < {alone}");
}

#[test]
fn a_pause_stops_deposits_and_harvests_never_withdrawals_or_claims() {
    let mut w = world(CapitalConfig::default());
    let a = credited(&mut w, 1, tokens(10));
    w.advance(MIN_LOCK);
    w.ok(0, C::pauseCall {});
    assert!(w.view(C::pausedCall {}));
    let (st, capital) = (w.cap.st_eth, w.cap.capital);
    w.approve(2, st, capital, tokens(1));
    w.refused::<EnforcedPause, _>(2, C::depositCall { amount: tokens(1) });
    w.refused::<EnforcedPause, _>(3, C::harvestCall {});
    w.refused::<NotOwner, _>(3, C::unpauseCall {});
    w.ok(1, C::claimCall {});
    w.ok(3, C::fundComputeCall {});
    w.ok(1, C::withdrawCall { amount: a });
    w.ok(0, C::unpauseCall {});
    w.ok(2, C::depositCall { amount: tokens(1) });
}
