//! Settlement (SPEC 6): epoch roots fold the credits of closed inference blocks within the
//! contract's headroom, signed by the router, and every leaf proves against the committed root;
//! bootstrap shares follow the previous day's work.

use alloy_primitives::{Address, U256};
use alloy_signer_local::PrivateKeySigner;
use yellowstone_market::records::Change;
use yellowstone_protocol::merkle::{leaf_hash, verify};

use crate::fixture::*;

// ---- settlement -----------------------------------------------------------------------------

#[test]
fn an_epoch_folds_only_credits_of_closed_inference_blocks() {
    let mut m = Market::new();
    let at = NOW + 5; // inside the block starting at NOW
    m.serve(&provider(), 1, 100, at);
    assert_eq!(
        m.build(at, BIG, BIG),
        None,
        "the credit's block is still open"
    );
    assert_eq!(m.build(NOW + 11, BIG, BIG), None);
    let e = m.build(NOW + 12, BIG, BIG).expect("the block closed");
    assert_eq!(e.epoch, 1);
    assert_eq!(e.up_to_block, (NOW + 12) / 12);
    assert_eq!(e.cumulative_credited, u(100 * PRICE));
    assert_eq!(e.cumulative_bootstrap, U256::ZERO);
    assert_eq!(e.fold, vec![(1, u(100 * PRICE))]);
}

#[test]
fn nothing_is_built_with_nothing_due_or_with_an_epoch_in_flight() {
    let mut m = Market::new();
    assert_eq!(m.build(NOW, BIG, BIG), None);
    m.serve(&provider(), 1, 100, NOW);
    let t = next_block(NOW);
    m.build(t, BIG, BIG).unwrap();
    assert!(m.state.in_flight().is_some());
    m.serve(&provider(), 2, 100, t);
    assert_eq!(m.build(t + 60, BIG, BIG), None, "an epoch is in flight");
    m.commit();
    assert_eq!(m.build(t + 60, BIG, BIG).unwrap().epoch, 2);
    // No headroom at all: nothing is taken, nothing is built.
    let mut m = Market::new();
    m.serve(&provider(), 1, 100, NOW);
    assert_eq!(m.build(next_block(NOW), 0, 0), None);
}

#[test]
fn an_epoch_is_signed_by_the_router() {
    let mut m = Market::new();
    m.serve(&provider(), 1, 100, NOW);
    let e = m.build(next_block(NOW), BIG, BIG).unwrap();
    assert_eq!(epoch_signer(&e), router_key().address());
    assert_eq!(e.signature.len(), 65);
}

#[test]
fn the_headroom_limits_what_an_epoch_takes_and_the_rest_waits_for_the_next() {
    let mut m = Market::new();
    let p = provider();
    m.serve(&p, 1, 100, NOW); // 700 wei
    let t = next_block(NOW);
    let e1 = m.build(t, 500, BIG).unwrap();
    assert_eq!(e1.fold, vec![(1, u(500))]);
    assert_eq!(e1.cumulative_credited, u(500));
    m.commit();
    assert_eq!(m.state.pending_credit(), (u(200), 1));
    assert_eq!(
        m.state.committed_leaf(p.address()),
        Some((u(500), U256::ZERO))
    );
    let e2 = m.build(t + 12, BIG, BIG).unwrap();
    assert_eq!(e2.epoch, 2);
    assert_eq!(e2.fold, vec![(1, u(200))]);
    assert_eq!(e2.cumulative_credited, u(700));
    m.commit();
    assert_eq!(m.state.pending_credit(), (U256::ZERO, 0));
    assert_eq!(
        m.state.committed_leaf(p.address()),
        Some((u(700), U256::ZERO))
    );
    assert_eq!(m.build(t + 24, BIG, BIG), None);
}

#[test]
fn epoch_numbers_are_consecutive() {
    let mut m = Market::new();
    let mut t = NOW;
    for n in 1..=4u64 {
        m.serve(&provider(), n, 10, t);
        t = next_block(t);
        let e = m.build(t, BIG, BIG).unwrap();
        assert_eq!(e.epoch, n);
        assert_eq!(epoch_signer(&e), router_key().address());
        m.commit();
        assert_eq!(m.state.committed().unwrap().epoch, n);
    }
}

#[test]
fn every_providers_leaf_proves_against_the_committed_root() {
    let mut m = Market::new();
    let others: Vec<PrivateKeySigner> = (10..15).map(key).collect();
    for (i, p) in others.iter().enumerate() {
        m.add_provider(p, 3 + i as u64);
    }
    let mut nonce = 0;
    for p in others.iter().chain([&provider()]) {
        nonce += 1;
        m.serve(p, nonce, 10 * nonce, NOW);
    }
    assert!(
        m.state.proof(provider().address()).is_none(),
        "nothing committed yet"
    );
    m.build(next_block(NOW), BIG, BIG).unwrap();
    assert!(
        m.state.proof(provider().address()).is_none(),
        "still in flight"
    );
    m.commit();
    let committed = m.state.committed().unwrap().clone();
    for p in others.iter().chain([&provider()]) {
        let (epoch, earned, bootstrap, proof) = m.state.proof(p.address()).unwrap();
        assert_eq!(epoch.root, committed.root);
        assert_eq!(
            Some((earned, bootstrap)),
            m.state.committed_leaf(p.address())
        );
        assert!(verify(
            &proof,
            committed.root,
            leaf_hash(p.address(), earned, bootstrap)
        ));
        assert!(!verify(
            &proof,
            committed.root,
            leaf_hash(p.address(), earned + u(1), bootstrap)
        ));
    }
    assert!(m.state.proof(key(30).address()).is_none());
}

#[test]
fn cumulative_totals_equal_the_sum_of_credits_committed() {
    let mut m = Market::new();
    let q = other_provider();
    m.add_provider(&q, 11);
    let mut t = NOW;
    let mut credited_p = 0u64;
    let mut credited_q = 0u64;
    for n in 1..=5u64 {
        m.serve(&provider(), 2 * n, 10 * n, t);
        m.serve(&q, 2 * n + 1, n, t);
        credited_p += 10 * n * PRICE;
        credited_q += n * 11;
        t = next_block(t);
        // A tight headroom on odd epochs: some is left over each time.
        let head = if n % 2 == 1 { 100 } else { BIG };
        m.build(t, head, BIG).unwrap();
        m.commit();
    }
    t = next_block(t);
    if m.build(t, BIG, BIG).is_some() {
        m.commit();
    }
    let e = m.state.committed().unwrap();
    assert_eq!(e.cumulative_credited, u(credited_p + credited_q));
    assert_eq!(
        m.state.committed_leaf(provider().address()),
        Some((u(credited_p), U256::ZERO))
    );
    assert_eq!(
        m.state.committed_leaf(q.address()),
        Some((u(credited_q), U256::ZERO))
    );
    assert_eq!(m.state.pending_credit(), (U256::ZERO, 0));
}

// ---- bootstrap ------------------------------------------------------------------------------

#[test]
fn bootstrap_shares_the_amount_pro_rata_to_the_previous_days_work_once_per_day() {
    let mut m = Market::new();
    let (p, q) = (provider(), other_provider());
    m.add_provider(&q, PRICE);
    m.serve(&p, 1, 300, NOW); // 2100 wei of work
    m.serve(&q, 2, 100, NOW); // 700 wei
    let tomorrow = (DAY0 + 1) * DAY + 60;
    let changes = m.state.issue_bootstrap(DAY0 + 1, u(1_000), tomorrow);
    let mut shares: Vec<(Address, U256)> = changes
        .iter()
        .filter_map(|c| match c {
            Change::Credit(cr) => {
                assert!(cr.bootstrap);
                assert_eq!(cr.block, tomorrow / 12);
                Some((cr.provider, cr.amount))
            }
            _ => None,
        })
        .collect();
    shares.sort();
    let mut want = vec![(p.address(), u(750)), (q.address(), u(250))];
    want.sort();
    assert_eq!(shares, want);
    assert!(changes
        .iter()
        .any(|c| matches!(c, Change::Meta { value, .. } if *value == (DAY0 + 1).to_string())));
    assert_eq!(m.state.bootstrap_day(), DAY0 + 1);
    // Only once per day (and never for an earlier day).
    assert!(m
        .state
        .issue_bootstrap(DAY0 + 1, u(1_000), tomorrow + 1)
        .is_empty());
    assert!(m
        .state
        .issue_bootstrap(DAY0, u(1_000), tomorrow + 1)
        .is_empty());
    assert_eq!(m.state.pending_of(p.address()), u(2_100 + 750));
}

#[test]
fn bootstrap_with_no_work_the_day_before_shares_nothing() {
    let mut m = Market::new();
    m.serve(&provider(), 1, 100, NOW);
    // Work was on DAY0; day DAY0 + 2 looks at DAY0 + 1, which had none.
    let changes = m
        .state
        .issue_bootstrap(DAY0 + 2, u(1_000), (DAY0 + 2) * DAY);
    assert!(!changes.iter().any(|c| matches!(c, Change::Credit(_))));
    assert_eq!(m.state.pending_credit(), (u(100 * PRICE), 1));
    // Nor does a fresh market.
    let mut m = Market::new();
    let changes = m
        .state
        .issue_bootstrap(DAY0 + 1, u(1_000), (DAY0 + 1) * DAY);
    assert!(!changes.iter().any(|c| matches!(c, Change::Credit(_))));
}

#[test]
fn bootstrap_shares_fold_within_the_bootstrap_headroom() {
    let mut m = Market::new();
    let (p, q) = (provider(), other_provider());
    m.add_provider(&q, PRICE);
    m.serve(&p, 1, 300, NOW);
    m.serve(&q, 2, 100, NOW);
    let t = next_block(NOW);
    m.build(t, BIG, BIG).unwrap();
    m.commit();
    let tomorrow = (DAY0 + 1) * DAY + 60;
    m.state.issue_bootstrap(DAY0 + 1, u(1_000), tomorrow);
    assert_eq!(
        m.build(tomorrow, BIG, BIG),
        None,
        "the shares' block is open"
    );
    let e = m.build(next_block(tomorrow), BIG, 600).unwrap();
    assert_eq!(e.cumulative_credited, u(2_800));
    assert_eq!(e.cumulative_bootstrap, u(600));
    m.commit();
    assert_eq!(m.state.pending_credit().0, u(400));
    let e = m.build(next_block(tomorrow) + 12, BIG, BIG).unwrap();
    assert_eq!(e.cumulative_bootstrap, u(1_000));
    m.commit();
    assert_eq!(
        m.state.committed_leaf(p.address()),
        Some((u(2_100), u(750)))
    );
    assert_eq!(m.state.committed_leaf(q.address()), Some((u(700), u(250))));
    for x in [&p, &q] {
        let (epoch, earned, bootstrap, proof) = m.state.proof(x.address()).unwrap();
        assert!(verify(
            &proof,
            epoch.root,
            leaf_hash(x.address(), earned, bootstrap)
        ));
    }
}
