//! Claims (SPEC sections 5 and 6, "Settlement" and "Stake"): a provider, or anyone on its
//! behalf, proves its leaf (cumulative earned, cumulative bootstrap) against the latest root
//! and is paid `cumulative - already claimed`, always to the provider, at most its stake per
//! 365-day period since registration, the rest staying claimable later.

use alloy_primitives::{B256, U256};
use yellowstone_protocol::abi::Claimed;

use crate::common::*;

const BIG_STAKE: u64 = 1_000_000;

/// Funded with 1,000,000 MOR; Alice and Bob staked `BIG_STAKE` MOR (so their caps do not bind);
/// Carol never staked. Epoch 1 credits Alice 100 + 10 bootstrap, Bob 50 and Carol 30.
fn epoch_one() -> (World, Tree) {
    let mut w = World::deploy();
    w.fund(FUNDER, mor(1_000_000)).unwrap();
    let lock_end = DEPLOY_TIME + YEAR;
    w.stake(ALICE, mor(BIG_STAKE), lock_end).unwrap();
    w.stake(BOB, mor(BIG_STAKE), lock_end).unwrap();
    let tree = Tree::new(&[
        Leaf::new(ALICE, mor(100), mor(10)),
        Leaf::new(BOB, mor(50), U256::ZERO),
        Leaf::new(CAROL, mor(30), U256::ZERO),
    ]);
    w.commit_tree(1, &tree).unwrap();
    (w, tree)
}

// ---- paying what is owed -------------------------------------------------------------------

#[test]
fn a_claim_pays_the_cumulative_minus_what_was_already_paid() {
    let (mut w, tree) = epoch_one();
    w.claim_paying(ALICE, &tree, ALICE, mor(110));
    let alice = w.provider(ALICE);
    assert_eq!((alice.earned, alice.claimed), (mor(110), mor(110)));
    assert_eq!(w.totals().claimed, mor(110));
    w.claim_paying(BOB, &tree, BOB, mor(50));
    assert_eq!(w.totals().claimed, mor(160));
}

#[test]
fn the_payment_goes_to_the_provider_even_when_someone_else_claims() {
    let (mut w, tree) = epoch_one();
    w.claim_paying(STRANGER, &tree, ALICE, mor(110));
    let event = w.tx_event::<Claimed>();
    assert_eq!(
        event,
        Claimed {
            provider: ALICE,
            caller: STRANGER,
            amount: mor(110),
            totalClaimed: mor(110),
            deferred: U256::ZERO
        }
    );
    let (topics, _) = w.tx_logs().pop().unwrap();
    assert_eq!(
        topics[1],
        B256::left_padding_from(ALICE.as_slice()),
        "the provider is indexed"
    );
    assert_eq!(
        topics[2],
        B256::left_padding_from(STRANGER.as_slice()),
        "the caller is indexed"
    );
}

#[test]
fn the_same_leaf_cannot_be_claimed_twice() {
    let (mut w, tree) = epoch_one();
    w.claim_paying(ALICE, &tree, ALICE, mor(110));
    let err = expect_err!(w.claim(ALICE, &tree, ALICE), NothingToClaim);
    assert_eq!(
        (err.provider, err.cumulative, err.claimed),
        (ALICE, mor(110), mor(110))
    );
    assert!(w.tx_token_calls().is_empty(), "and nothing is sent");
    expect_err!(w.claim(STRANGER, &tree, ALICE), NothingToClaim);
}

#[test]
fn a_later_root_with_a_bigger_cumulative_pays_the_difference() {
    let (mut w, tree) = epoch_one();
    w.claim_paying(ALICE, &tree, ALICE, mor(110));
    let tree2 = Tree::new(&[
        Leaf::new(ALICE, mor(300), mor(20)),
        Leaf::new(BOB, mor(50), U256::ZERO),
        Leaf::new(CAROL, mor(30), U256::ZERO),
    ]);
    w.commit_tree(2, &tree2).unwrap();
    w.claim_paying(ALICE, &tree2, ALICE, mor(210));
    assert_eq!(w.provider(ALICE).claimed, mor(320));
    assert_eq!(w.tx_event::<Claimed>().totalClaimed, mor(320));
}

#[test]
fn a_provider_who_skipped_epochs_is_paid_everything_at_once() {
    let (mut w, _) = epoch_one();
    for epoch in 2..=4u64 {
        let tree = Tree::new(&[
            Leaf::new(ALICE, mor(100 * epoch), mor(10)),
            Leaf::new(BOB, mor(50), U256::ZERO),
        ]);
        w.commit_tree(epoch, &tree).unwrap();
    }
    let latest = Tree::new(&[
        Leaf::new(ALICE, mor(400), mor(10)),
        Leaf::new(BOB, mor(50), U256::ZERO),
    ]);
    w.claim_paying(ALICE, &latest, ALICE, mor(410));
}

#[test]
fn only_the_latest_root_counts() {
    let (mut w, tree) = epoch_one();
    let tree2 = Tree::new(&[
        Leaf::new(ALICE, mor(200), mor(10)),
        Leaf::new(BOB, mor(60), U256::ZERO),
    ]);
    w.commit_tree(2, &tree2).unwrap();
    let err = expect_err!(w.claim(ALICE, &tree, ALICE), InvalidProof);
    assert_eq!(err.provider, ALICE);
}

// ---- proofs --------------------------------------------------------------------------------

#[test]
fn a_wrong_proof_is_refused() {
    let (mut w, tree) = epoch_one();
    let leaf = tree.leaf(ALICE);
    let mut proof = tree.proof(ALICE);
    proof[0] = B256::repeat_byte(0x42);
    let err = expect_err!(w.claim_raw(ALICE, leaf, proof), InvalidProof);
    assert_eq!(err.provider, ALICE);
    expect_err!(w.claim_raw(ALICE, leaf, Vec::new()), InvalidProof);
    let mut longer = tree.proof(ALICE);
    longer.push(B256::ZERO);
    expect_err!(w.claim_raw(ALICE, leaf, longer), InvalidProof);
    assert!(w.tx_token_calls().is_empty());
}

#[test]
fn someone_elses_leaf_with_ones_own_address_is_refused() {
    let (mut w, tree) = epoch_one();
    let alice = tree.leaf(ALICE);
    let err = expect_err!(
        w.claim_raw(
            BOB,
            Leaf::new(BOB, alice.earned, alice.bootstrap),
            tree.proof(ALICE)
        ),
        InvalidProof
    );
    assert_eq!(err.provider, BOB);
    // Nor with one's own proof.
    expect_err!(
        w.claim_raw(
            BOB,
            Leaf::new(BOB, alice.earned, alice.bootstrap),
            tree.proof(BOB)
        ),
        InvalidProof
    );
}

#[test]
fn a_tampered_amount_is_refused() {
    let (mut w, tree) = epoch_one();
    let leaf = tree.leaf(ALICE);
    let proof = tree.proof(ALICE);
    let one = U256::from(1);
    for forged in [
        Leaf::new(ALICE, leaf.earned + one, leaf.bootstrap),
        Leaf::new(ALICE, leaf.earned, leaf.bootstrap + one),
        Leaf::new(ALICE, leaf.bootstrap, leaf.earned),
        Leaf::new(ALICE, leaf.earned + leaf.bootstrap, U256::ZERO),
    ] {
        expect_err!(w.claim_raw(ALICE, forged, proof.clone()), InvalidProof);
    }
    assert_eq!(w.provider(ALICE).claimed, U256::ZERO);
}

#[test]
fn an_inner_node_cannot_pass_as_a_leaf() {
    // Leaves are double-hashed, so no (provider, earned, bootstrap) hashes to an inner node.
    let (w, tree) = epoch_one();
    let proof = tree.proof(ALICE);
    let inner = yellowstone_protocol::merkle::hash_pair(tree.leaf(ALICE).hash(), proof[0]);
    assert!(yellowstone_protocol::merkle::verify(
        &proof[1..],
        w.c().latest_epoch().1,
        inner
    ));
    assert_ne!(inner, tree.leaf(ALICE).hash());
}

#[test]
fn a_single_provider_tree_proves_with_an_empty_proof() {
    let mut w = World::deploy();
    w.fund(FUNDER, mor(1_000)).unwrap();
    w.stake(ALICE, mor(1_000), DEPLOY_TIME + YEAR).unwrap();
    let tree = Tree::new(&[Leaf::new(ALICE, mor(7), U256::ZERO)]);
    w.commit_tree(1, &tree).unwrap();
    assert!(tree.proof(ALICE).is_empty());
    w.claim_paying(ALICE, &tree, ALICE, mor(7));
}

#[test]
fn nothing_can_be_claimed_before_the_first_epoch() {
    let mut w = World::deploy();
    w.fund(FUNDER, mor(1_000)).unwrap();
    w.stake(ALICE, mor(1_000), DEPLOY_TIME + YEAR).unwrap();
    let tree = Tree::new(&[Leaf::new(ALICE, mor(7), U256::ZERO)]);
    expect_err!(w.claim(ALICE, &tree, ALICE), NoEpoch);
}

#[test]
fn a_provider_that_never_staked_cannot_claim() {
    let (mut w, tree) = epoch_one();
    let err = expect_err!(w.claim(CAROL, &tree, CAROL), NotRegistered);
    assert_eq!(err.provider, CAROL);
    expect_err!(w.claim(STRANGER, &tree, CAROL), NotRegistered);
}

#[test]
fn a_failed_payment_fails_the_whole_claim() {
    let (mut w, tree) = epoch_one();
    w.mock_transfer(ALICE, mor(110), TokenReply::False);
    let err = expect_err!(w.claim(ALICE, &tree, ALICE), TokenTransferFailed);
    assert_eq!((err.from, err.to, err.amount), (CONTRACT, ALICE, mor(110)));
    assert_eq!(w.provider(ALICE).claimed, U256::ZERO);
    assert_eq!(w.totals().claimed, U256::ZERO);
    w.claim_paying(ALICE, &tree, ALICE, mor(110));
}

#[test]
fn no_claim_is_paid_while_paused() {
    let (mut w, tree) = epoch_one();
    w.tx(OWNER, |c| c.pause()).unwrap();
    expect_err!(w.claim(ALICE, &tree, ALICE), EnforcedPause);
    assert!(w.tx_calls().is_empty());
    w.tx(OWNER, |c| c.unpause()).unwrap();
    w.claim_paying(ALICE, &tree, ALICE, mor(110));
}

#[test]
fn claims_never_pay_out_more_than_the_router_credited_in_total() {
    // A router whose leaves add up to more than its committed totals cannot make the
    // contract pay more than the totals.
    let mut w = World::deploy();
    w.fund(FUNDER, mor(1_000_000)).unwrap();
    w.stake(ALICE, mor(BIG_STAKE), DEPLOY_TIME + YEAR).unwrap();
    let tree = Tree::new(&[
        Leaf::new(ALICE, mor(500), U256::ZERO),
        Leaf::new(BOB, mor(1), U256::ZERO),
    ]);
    w.commit(1, tree.root(), mor(100), U256::ZERO).unwrap();
    let err = expect_err!(w.claim(ALICE, &tree, ALICE), ClaimExceedsCredit);
    assert_eq!((err.totalClaimed, err.totalCredited), (mor(500), mor(100)));
    assert!(w.totals().claimed <= w.totals().credited);
}

#[test]
fn claims_do_not_change_the_unused_pool_or_the_daily_cap() {
    let (mut w, tree) = epoch_one();
    let (pool, cap) = (w.unused_pool(), w.daily_cap());
    w.claim_paying(ALICE, &tree, ALICE, mor(110));
    assert_eq!((w.unused_pool(), w.daily_cap()), (pool, cap));
}

// ---- the stake cap -------------------------------------------------------------------------

/// Alice registered at `DEPLOY_TIME` with a 100 MOR stake; epoch 1 credits her 250 MOR.
fn capped() -> (World, Tree) {
    let mut w = World::deploy();
    w.fund(FUNDER, mor(1_000_000)).unwrap();
    w.stake(ALICE, mor(100), DEPLOY_TIME + 2 * YEAR).unwrap();
    w.stake(BOB, mor(BIG_STAKE), DEPLOY_TIME + YEAR).unwrap();
    let tree = Tree::new(&[
        Leaf::new(ALICE, mor(200), mor(50)),
        Leaf::new(BOB, mor(10), U256::ZERO),
    ]);
    w.commit_tree(1, &tree).unwrap();
    (w, tree)
}

#[test]
fn a_provider_is_paid_at_most_its_stake_per_period_and_the_rest_is_deferred() {
    let (mut w, tree) = capped();
    assert_eq!(w.c().stake_cap_remaining(ALICE), mor(100));
    w.claim_paying(ALICE, &tree, ALICE, mor(100));
    let event = w.tx_event::<Claimed>();
    assert_eq!(
        (event.amount, event.totalClaimed, event.deferred),
        (mor(100), mor(100), mor(150))
    );
    assert_eq!(w.c().stake_cap_remaining(ALICE), U256::ZERO);
    let alice = w.provider(ALICE);
    assert_eq!((alice.earned, alice.claimed), (mor(250), mor(100)));
}

#[test]
fn once_the_cap_is_used_up_claims_are_refused_until_the_next_period() {
    let (mut w, tree) = capped();
    w.claim_paying(ALICE, &tree, ALICE, mor(100));
    let err = expect_err!(w.claim(ALICE, &tree, ALICE), StakeCapReached);
    assert_eq!(
        (err.provider, err.paidThisPeriod, err.stake),
        (ALICE, mor(100), mor(100))
    );
    w.set_time(DEPLOY_TIME + YEAR - 1);
    expect_err!(w.claim(ALICE, &tree, ALICE), StakeCapReached);
}

#[test]
fn the_deferred_rest_is_claimable_in_the_next_period() {
    let (mut w, tree) = capped();
    w.claim_paying(ALICE, &tree, ALICE, mor(100));
    w.set_time(DEPLOY_TIME + YEAR); // 365 days after registration
    assert_eq!(w.c().stake_cap_remaining(ALICE), mor(100));
    w.claim_paying(ALICE, &tree, ALICE, mor(100));
    assert_eq!(w.tx_event::<Claimed>().deferred, mor(50));
    expect_err!(w.claim(ALICE, &tree, ALICE), StakeCapReached);
    w.advance_days(365);
    w.claim_paying(ALICE, &tree, ALICE, mor(50));
    assert_eq!(w.tx_event::<Claimed>().deferred, U256::ZERO);
    assert_eq!(w.c().stake_cap_remaining(ALICE), mor(50));
    expect_err!(w.claim(ALICE, &tree, ALICE), NothingToClaim);
}

#[test]
fn periods_count_from_registration_not_from_the_first_claim() {
    let (mut w, tree) = capped();
    w.set_time(DEPLOY_TIME + YEAR - DAY); // claim late in the first period
    w.claim_paying(ALICE, &tree, ALICE, mor(100));
    w.set_time(DEPLOY_TIME + YEAR); // a day later a new period has begun
    w.claim_paying(ALICE, &tree, ALICE, mor(100));
}

#[test]
fn a_later_stake_restarts_no_period() {
    let (mut w, tree) = capped();
    w.advance_days(100);
    w.stake(ALICE, mor(20), DEPLOY_TIME + 2 * YEAR).unwrap();
    w.claim_paying(ALICE, &tree, ALICE, mor(120));
    w.set_time(DEPLOY_TIME + YEAR); // 365 days after registration, not after the second stake
    w.claim_paying(ALICE, &tree, ALICE, mor(120));
}

#[test]
fn a_bigger_stake_raises_the_remaining_cap_within_the_period() {
    let (mut w, tree) = capped();
    w.claim_paying(ALICE, &tree, ALICE, mor(100));
    w.stake(ALICE, mor(60), DEPLOY_TIME + 2 * YEAR).unwrap();
    assert_eq!(w.c().stake_cap_remaining(ALICE), mor(60));
    w.claim_paying(ALICE, &tree, ALICE, mor(60));
    assert_eq!(w.tx_event::<Claimed>().deferred, mor(90));
}

#[test]
fn a_provider_that_withdrew_its_whole_stake_can_be_paid_nothing() {
    let mut w = World::deploy();
    w.fund(FUNDER, mor(1_000_000)).unwrap();
    w.stake(ALICE, mor(100), DEPLOY_TIME + DAY).unwrap();
    let tree = Tree::new(&[
        Leaf::new(ALICE, mor(10), U256::ZERO),
        Leaf::new(BOB, mor(1), U256::ZERO),
    ]);
    w.commit_tree(1, &tree).unwrap();
    w.advance_days(1);
    w.withdraw(ALICE, mor(100)).unwrap();
    let err = expect_err!(w.claim(ALICE, &tree, ALICE), StakeCapReached);
    assert_eq!((err.paidThisPeriod, err.stake), (U256::ZERO, U256::ZERO));
}

#[test]
fn restaking_a_payout_cannot_lift_the_cap_because_the_stake_backs_the_period() {
    // 100 MOR staked, 2,000 MOR proven: claim 100, restake it, claim 100 more... The stake
    // grows with every round, but none of it may leave before the period ends, so within a
    // period a provider never holds more than its stake's worth of payouts outside the stake.
    let mut w = World::deploy();
    w.fund(FUNDER, mor(1_000_000)).unwrap();
    let now = w.now();
    w.stake(ALICE, mor(100), now).unwrap();
    let tree = Tree::new(&[
        Leaf::new(ALICE, mor(2_000), U256::ZERO),
        Leaf::new(BOB, mor(1), U256::ZERO),
    ]);
    w.commit_tree(1, &tree).unwrap();
    w.claim_paying(ALICE, &tree, ALICE, mor(100));
    w.stake(ALICE, mor(100), now).unwrap();
    w.claim_paying(ALICE, &tree, ALICE, mor(100));
    let err = expect_err!(w.withdraw(ALICE, mor(200)), StakeBacksPayouts);
    assert_eq!(
        (err.requested, err.withdrawable, err.periodEnd),
        (mor(200), U256::ZERO, DEPLOY_TIME + YEAR)
    );
    // Once the period is over the stake is free again.
    w.set_time(DEPLOY_TIME + YEAR);
    w.withdraw(ALICE, mor(200)).unwrap();
}

#[test]
fn the_part_of_a_stake_above_this_periods_payouts_may_leave_after_the_lock() {
    let mut w = World::deploy();
    w.fund(FUNDER, mor(1_000_000)).unwrap();
    w.stake(ALICE, mor(100), DEPLOY_TIME + DAY).unwrap();
    let tree = Tree::new(&[
        Leaf::new(ALICE, mor(30), U256::ZERO),
        Leaf::new(BOB, mor(1), U256::ZERO),
    ]);
    w.commit_tree(1, &tree).unwrap();
    w.claim_paying(ALICE, &tree, ALICE, mor(30));
    w.advance_days(1);
    let err = expect_err!(w.withdraw(ALICE, mor(71)), StakeBacksPayouts);
    assert_eq!(err.withdrawable, mor(70));
    w.withdraw(ALICE, mor(70)).unwrap();
    assert_eq!(w.provider(ALICE).stake, mor(30));
}

#[test]
fn stake_cap_reached_reports_this_periods_payments_not_a_past_periods() {
    let (mut w, tree) = capped();
    w.claim_paying(ALICE, &tree, ALICE, mor(100));
    // Two periods later, with the lock over, Alice takes her whole stake back.
    w.set_time(DEPLOY_TIME + 2 * YEAR);
    w.withdraw(ALICE, mor(100)).unwrap();
    let err = expect_err!(w.claim(ALICE, &tree, ALICE), StakeCapReached);
    assert_eq!((err.paidThisPeriod, err.stake), (U256::ZERO, U256::ZERO));
}
