//! Settlement is live (SPEC 8): a signed root stays valid on-chain until its deadline, so the
//! router never signs a second root for a number before the first's deadline has passed on the
//! chain, keeps every root it signed, adopts a root of its own that someone else landed
//! (reconciling the pending credits to the wei), and stops at a foreign root until the
//! operator rebases it.

use alloy_primitives::{Address, B256, U256};
use yellowstone_market::{
    records::{Change, EpochRecord, EpochStatus, LeafRecord, Loaded},
    settle::Table,
    state::{ChainRoot, Rules, State},
};

use crate::fixture::*;

/// A market with epoch 1 committed (100 tokens of `provider()`), then 50 more tokens served
/// and epoch 2 built from them: (market, epoch 2, the time it was built at).
fn with_epoch_2_in_flight() -> (Market, EpochRecord, u64) {
    let mut m = Market::new();
    m.serve(&provider(), 1, 100, NOW);
    let t = next_block(NOW);
    m.build(t, BIG, BIG).unwrap();
    m.commit();
    m.serve(&provider(), 2, 50, t);
    let e2 = m.build(t + 12, BIG, BIG).unwrap();
    (m, e2, t + 12)
}

/// The full table a root was built on, as the store archives it.
fn archived_table(changes: &[Change]) -> (EpochRecord, Table) {
    let Some(Change::ArchiveEpoch { epoch, table }) = changes.first() else {
        panic!("expected an archived root, got {changes:?}");
    };
    let table = table
        .iter()
        .map(|l: &LeafRecord| (l.provider, (l.earned, l.bootstrap)))
        .collect();
    (epoch.clone(), table)
}

#[test]
fn a_root_carries_a_signed_deadline_of_now_plus_the_configured_seconds() {
    let (_, e2, built_at) = with_epoch_2_in_flight();
    assert_eq!(e2.deadline, built_at + 300);
    assert_eq!(epoch_signer(&e2), router_key().address());
    // The deadline is signed: the same root with another deadline recovers someone else.
    let stretched = EpochRecord {
        deadline: e2.deadline + 3_600,
        ..e2.clone()
    };
    assert_ne!(epoch_signer(&stretched), router_key().address());
    let mut m = Market::with(Rules {
        epoch_deadline_seconds: 60,
        ..Rules::default()
    });
    m.serve(&provider(), 1, 10, NOW);
    assert_eq!(m.build(NOW + 12, BIG, BIG).unwrap().deadline, NOW + 72);
}

#[test]
fn a_refused_root_stays_in_flight_until_the_chain_is_past_its_deadline() {
    // The attack: the contract refuses root 2 (a pause); the old router signed another root 2
    // at once, and a saved copy of the first landed later and froze settlement.
    let (mut m, e2, t) = with_epoch_2_in_flight();
    for (chain_time, chain_epoch) in [(t, 1), (e2.deadline, 1), (e2.deadline + 1, 2)] {
        assert!(
            m.state.epoch_expired(chain_time, chain_epoch).is_empty(),
            "time {chain_time}, chain epoch {chain_epoch}"
        );
        assert_eq!(m.state.in_flight(), Some(&e2));
        assert_eq!(
            m.build(e2.deadline + 600, BIG, BIG),
            None,
            "no second root 2"
        );
    }
    // Past the deadline on-chain with the number still free: no copy can land any more.
    let changes = m.state.epoch_expired(e2.deadline + 1, 1);
    let (archived, table) = archived_table(&changes);
    assert_eq!(archived, e2, "archived as signed, not deleted");
    assert_eq!(
        table[&provider().address()],
        (u(150 * PRICE), U256::ZERO),
        "the archive holds the full table, not only what changed"
    );
    assert!(m.state.in_flight().is_none());
    assert_eq!(m.state.pending_credit(), (u(50 * PRICE), 1));
    let again = m.build(e2.deadline + 2, BIG, BIG).unwrap();
    assert_eq!((again.epoch, again.root), (2, e2.root));
    assert_eq!(again.tx, None, "nothing was sent for the expired root");
    assert_eq!(again.deadline, e2.deadline + 2 + 300, "a fresh deadline");
    assert_ne!(again.signature, e2.signature);
}

#[test]
fn a_root_rebuilt_after_expiry_replaces_the_expired_roots_transaction_at_its_nonce() {
    let (mut m, e2, _) = with_epoch_2_in_flight();
    let stuck = (B256::repeat_byte(5), 41, 1_000, 10);
    m.state.epoch_sent(stuck);
    m.state.epoch_expired(e2.deadline + 1, 1);
    let again = m.build(e2.deadline + 2, BIG, BIG).unwrap();
    assert_eq!(again.tx, Some(stuck));
    assert_eq!(
        again.status,
        EpochStatus::Built,
        "its own signature is not published"
    );
    m.commit();
    m.serve(&provider(), 9, 1, e2.deadline + 2);
    assert_eq!(m.build(e2.deadline + 30, BIG, BIG).unwrap().tx, None);
}

#[test]
fn the_chain_is_classified_against_the_committed_and_in_flight_roots() {
    let (m, e2, _) = with_epoch_2_in_flight();
    let e1 = m.state.committed().unwrap().clone();
    assert_eq!(m.state.classify(1, e1.root), ChainRoot::Committed);
    assert_eq!(m.state.classify(2, e2.root), ChainRoot::InFlight);
    assert_eq!(m.state.classify(0, B256::ZERO), ChainRoot::Behind);
    let other = B256::repeat_byte(9);
    // Another root under our committed number, or any root above it, is not ours in memory.
    assert_eq!(m.state.classify(1, other), ChainRoot::Unknown);
    assert_eq!(m.state.classify(2, other), ChainRoot::Unknown);
    assert_eq!(m.state.classify(3, other), ChainRoot::Unknown);
    assert_eq!(
        Market::new().state.classify(0, B256::ZERO),
        ChainRoot::Committed
    );
}

#[test]
fn an_adopted_archived_root_pays_each_providers_pending_credits_to_the_wei() {
    let mut m = Market::new();
    let (p, q) = (provider(), other_provider());
    m.add_provider(&q, 11);
    m.serve(&p, 1, 100, NOW); // 700 wei
    m.serve(&q, 2, 10, NOW); // 110 wei
    let t = next_block(NOW);
    m.build(t, BIG, BIG).unwrap();
    m.commit();
    // Root 2(a) takes only part of the new credits (a short headroom), is refused, expires.
    m.serve(&p, 3, 40, t); // 280
    m.serve(&p, 4, 30, t); // 210
    m.serve(&q, 5, 20, t); // 220
    let a = m.build(t + 12, 400, BIG).unwrap();
    let (archived, table_a) = archived_table(&m.state.epoch_expired(a.deadline + 1, 1));
    // More work arrives; root 2(b) carries everything.
    m.serve(&q, 6, 5, a.deadline); // 55
    let b = m.build(a.deadline + 12, BIG, BIG).unwrap();
    assert_eq!(b.epoch, 2);
    // The chain holds 2(a) after all (it landed before its deadline; the router missed it).
    assert_eq!(m.state.classify(2, a.root), ChainRoot::Unknown);
    let before = m.state.pending_credit().0;
    let (changes, rec) = m.state.adopt(archived, table_a.clone()).unwrap();
    assert!(rec.unmatched.is_empty());
    let paid = a.cumulative_credited - u(810);
    assert_eq!(rec.work, paid);
    assert_eq!(
        m.state.pending_credit().0,
        before - paid,
        "paid once, to the wei"
    );
    assert!(
        matches!(&changes[0], Change::ArchiveEpoch { epoch, .. } if epoch.root == b.root),
        "2(b) can never land now: archived"
    );
    assert!(m.state.in_flight().is_none());
    let committed = m.state.committed().unwrap();
    assert_eq!((committed.epoch, committed.root), (2, a.root));
    assert_eq!(committed.status, EpochStatus::Committed);
    assert_eq!(m.state.classify(2, a.root), ChainRoot::Committed);
    // Every leaf proves against the adopted root.
    for who in [p.address(), q.address()] {
        let (e, earned, boot, proof) = m.state.proof(who).unwrap();
        assert_eq!((earned, boot), table_a[&who]);
        let leaf = yellowstone_protocol::merkle::leaf_hash(who, earned, boot);
        assert!(yellowstone_protocol::merkle::verify(&proof, e.root, leaf));
    }
    // Epoch 3 settles the rest: each provider's total is exactly what it served.
    let c = m.build(a.deadline + 24, BIG, BIG).unwrap();
    assert_eq!(c.epoch, 3);
    m.commit();
    assert_eq!(m.state.pending_credit(), (U256::ZERO, 0));
    assert_eq!(
        m.state.committed_leaf(p.address()),
        Some((u(700 + 280 + 210), U256::ZERO))
    );
    assert_eq!(
        m.state.committed_leaf(q.address()),
        Some((u(110 + 220 + 55), U256::ZERO))
    );
}

#[test]
fn a_root_in_flight_above_the_adopted_one_must_expire_first() {
    let (mut m, e2, _) = with_epoch_2_in_flight();
    let e1 = m.state.committed().unwrap().clone();
    let table: Table = [(provider().address(), (u(100 * PRICE), U256::ZERO))].into();
    assert!(m.state.adopt(e1, table).is_err());
    assert_eq!(m.state.in_flight(), Some(&e2));
}

#[test]
fn over_a_foreign_root_the_routers_own_table_is_signed_even_with_nothing_new() {
    let mut m = Market::new();
    m.serve(&provider(), 1, 100, NOW);
    let t = next_block(NOW);
    m.build(t, BIG, BIG).unwrap();
    m.commit();
    assert_eq!(
        m.build(t + 12, BIG, BIG),
        None,
        "nothing new, nothing signed"
    );
    let foreign = B256::repeat_byte(0xf0);
    m.state
        .rebase(1, foreign, (u(100 * PRICE), U256::ZERO))
        .unwrap();
    let e2 = m.build(t + 12, BIG, BIG).expect("the corrected table");
    assert_eq!((e2.epoch, e2.cumulative_credited), (2, u(100 * PRICE)));
    assert_ne!(e2.root, foreign);
    assert!(e2.fold.is_empty());
}

#[test]
fn a_foreign_root_is_built_on_only_when_the_operator_rebases() {
    let (mut m, e2, _) = with_epoch_2_in_flight();
    let foreign = B256::repeat_byte(0xf0);
    assert_eq!(m.state.classify(7, foreign), ChainRoot::Unknown);
    // Root 2 in flight may still land above a foreign epoch 1 of another root: refused.
    assert!(m
        .state
        .rebase(1, foreign, (U256::ZERO, U256::ZERO))
        .is_err());
    let chain = (u(100 * PRICE + 1), U256::ZERO);
    let (changes, rebased) = m.state.rebase(7, foreign, chain).unwrap();
    assert!(matches!(&changes[0], Change::ArchiveEpoch { epoch, .. } if *epoch == e2));
    assert_eq!(rebased.next_epoch, 8);
    assert_eq!(rebased.ours, (u(100 * PRICE), U256::ZERO));
    assert!(
        !rebased.enough,
        "the chain's totals are above ours by one wei"
    );
    assert_eq!(m.state.classify(7, foreign), ChainRoot::Committed);
    assert!(m.state.rebasing());
    let e8 = m.build(e2.deadline, BIG, BIG).unwrap();
    assert_eq!(e8.epoch, 8);
    assert_eq!(e8.cumulative_credited, u(150 * PRICE));
    m.commit();
    assert!(!m.state.rebasing());
    // The accepted root survives a restart (it is a meta value).
    let meta: Vec<(String, String)> = changes
        .iter()
        .filter_map(|c| match c {
            Change::Meta { key, value } => Some((key.clone(), value.clone())),
            _ => None,
        })
        .collect();
    let loaded = Loaded {
        meta,
        ..Loaded::default()
    };
    let restored = State::restore(Rules::default(), dom(), router_key(), loaded, Vec::new());
    assert_eq!(restored.chain_tip(), (7, foreign));
    let _: Address = restored.router();
}
