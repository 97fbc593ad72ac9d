//! Stakes cannot be frozen (SPEC 8 "Stakes"): anyone may claim for a provider, so a withdrawal
//! is limited only by the stake added in the current stake-cap period that backs the period's
//! payouts. Stake from earlier periods leaves in full after the lock end, whoever claimed
//! meanwhile; a payout restaked in the same period stays until the period ends.

use alloy_primitives::U256;
use yellowstone_protocol::abi::Withdrawn;

use crate::common::*;

/// Alice staked 1,000 MOR at deployment with a 30-day lock; a year later (her second
/// stake-cap period) epoch 1 proves 500 MOR earned for her.
fn second_period() -> (World, Tree) {
    let mut w = World::deploy();
    w.fund(FUNDER, mor(1_000_000)).unwrap();
    w.stake(ALICE, mor(1_000), DEPLOY_TIME + 30 * DAY).unwrap();
    w.set_time(DEPLOY_TIME + YEAR + DAY);
    let tree = Tree::new(&[
        Leaf::new(ALICE, mor(500), U256::ZERO),
        Leaf::new(BOB, mor(1), U256::ZERO),
    ]);
    w.commit_tree(1, &tree).unwrap();
    (w, tree)
}

#[test]
fn a_claim_by_a_stranger_cannot_freeze_stake_from_an_earlier_period() {
    let (mut w, tree) = second_period();
    // The stranger front-runs Alice's withdrawal with a claim on her behalf (proofs are public).
    w.claim_paying(STRANGER, &tree, ALICE, mor(500));
    // The withdrawal still takes the whole stake.
    w.withdraw(ALICE, mor(1_000)).unwrap();
    assert_eq!(
        w.tx_event::<Withdrawn>(),
        Withdrawn {
            provider: ALICE,
            amount: mor(1_000),
            stake: U256::ZERO
        }
    );
    assert_eq!(w.totals().staked, U256::ZERO);
}

#[test]
fn a_payout_restaked_in_the_same_period_is_held_until_the_period_ends() {
    let (mut w, tree) = second_period();
    w.claim_paying(ALICE, &tree, ALICE, mor(500));
    let now = w.now();
    w.stake(ALICE, mor(500), now).unwrap();
    // The old 1,000 may leave; the 500 re-added this period back its 500 of payouts.
    let err = expect_err!(w.withdraw(ALICE, mor(1_001)), StakeBacksPayouts);
    assert_eq!(
        (err.requested, err.withdrawable, err.periodEnd),
        (mor(1_001), mor(1_000), DEPLOY_TIME + 2 * YEAR)
    );
    w.withdraw(ALICE, mor(1_000)).unwrap();
    expect_err!(w.withdraw(ALICE, U256::from(1)), StakeBacksPayouts);
    w.set_time(DEPLOY_TIME + 2 * YEAR);
    w.withdraw(ALICE, mor(500)).unwrap();
}

#[test]
fn restaking_and_claiming_in_rounds_never_frees_the_re_added_stake() {
    let (mut w, _) = second_period();
    let tree = Tree::new(&[
        Leaf::new(ALICE, mor(5_000), U256::ZERO),
        Leaf::new(BOB, mor(1), U256::ZERO),
    ]);
    w.commit_tree(2, &tree).unwrap();
    let now = w.now();
    // Paid 1,000 (the cap), restake it, paid 1,000 more: 2,000 paid, 1,000 re-added.
    w.claim_paying(ALICE, &tree, ALICE, mor(1_000));
    w.stake(ALICE, mor(1_000), now).unwrap();
    w.claim_paying(ALICE, &tree, ALICE, mor(1_000));
    // Withdrawing in two steps does not let the re-added part out: a withdrawal takes the
    // older stake first.
    w.withdraw(ALICE, mor(600)).unwrap();
    w.withdraw(ALICE, mor(400)).unwrap();
    let err = expect_err!(w.withdraw(ALICE, U256::from(1)), StakeBacksPayouts);
    assert_eq!(err.withdrawable, U256::ZERO);
    assert_eq!(w.provider(ALICE).stake, mor(1_000));
    assert_eq!(w.c().stake_cap_remaining(ALICE), U256::ZERO);
}

#[test]
fn withdrawing_first_cannot_turn_older_stake_into_held_stake() {
    // Alice adds 500 this period and withdraws 500: the older stake goes first, so what stays
    // counts as 500 added and 500 older. A stranger's claim of 500 then holds only the added
    // part: the older 500 still leaves.
    let (mut w, tree) = second_period();
    let now = w.now();
    w.stake(ALICE, mor(500), now).unwrap();
    w.withdraw(ALICE, mor(500)).unwrap();
    w.claim_paying(STRANGER, &tree, ALICE, mor(500));
    let err = expect_err!(w.withdraw(ALICE, mor(1_000)), StakeBacksPayouts);
    assert_eq!(err.withdrawable, mor(500));
    w.withdraw(ALICE, mor(500)).unwrap();
}

#[test]
fn in_the_first_period_the_stake_backs_its_payouts() {
    // All of a new provider's stake is added in its first period, so that period's payouts
    // hold it (as before): the rule frees only capital older than the period.
    let mut w = World::deploy();
    w.fund(FUNDER, mor(1_000_000)).unwrap();
    w.stake(ALICE, mor(100), DEPLOY_TIME + DAY).unwrap();
    let tree = Tree::new(&[
        Leaf::new(ALICE, mor(40), U256::ZERO),
        Leaf::new(BOB, mor(1), U256::ZERO),
    ]);
    w.commit_tree(1, &tree).unwrap();
    w.claim_paying(STRANGER, &tree, ALICE, mor(40));
    w.advance_days(1);
    let err = expect_err!(w.withdraw(ALICE, mor(100)), StakeBacksPayouts);
    assert_eq!(err.withdrawable, mor(60));
}
