//! Restore (SPEC 3-6 across a restart): the changes a state returned, applied to a store and
//! loaded back, give a state that refuses, holds, credits, sweeps and settles exactly as the
//! original would have.

use alloy_primitives::{U256, U512};
use yellowstone_api::Verdict;
use yellowstone_market::{
    allowance::Allowance,
    judge::JudgePolicy,
    records::Change,
    state::{Rules, State},
};
use yellowstone_protocol::messages::Report;
use yellowstone_store::Store;

use crate::fixture::*;

#[test]
fn a_restored_state_resumes_exactly_where_the_changes_left_it() {
    let rules = Rules::default();
    let mut m = Market::with(rules.clone());
    let (p, q) = (provider(), other_provider());
    m.add_provider(&q, 11);
    // Committed work.
    let reported = m.serve(&p, 1, 300, NOW);
    m.serve(&q, 2, 100, NOW);
    let t = next_block(NOW);
    m.build(t, 1_000, BIG).unwrap(); // takes 1000 of 2100 + 1100
    m.commit();
    // Pending work, a failed report, a receipt on file, and an open ticket holding 500.
    m.serve(&q, 3, 40, t);
    let failed = m.open(&user(), 4, 100, &p, t);
    m.report(&user(), &p, failed.request_id, 10, 10, 10, false, t);
    let open = m.open(&user(), 5, 500, &p, t + 1);
    let c = m.state.receipt(receipt(&p, open.request_id, 20)).unwrap();
    m.log.extend(c);
    let later = t + 2;

    let store = Store::open_in_memory().unwrap();
    store.apply(&m.log).unwrap();
    let committed = m.state.committed().unwrap().epoch;
    let mut restored = State::restore(
        rules.clone(),
        dom(),
        router_key(),
        store.load(later, rules.judge.window).unwrap(),
        store.table_at(committed).unwrap(),
    );

    // The replayed nonce and the second report are refused.
    refused(
        restored.check_rfc(rfc(&user(), 5, 500, t + 61), later),
        409,
        "replayed",
    );
    refused(
        restored.report(
            report(&user(), reported, 300, 300, true),
            Some(receipt(&p, reported, 300)),
            later,
        ),
        409,
        "replayed",
    );
    // The hold, the allowance and the pending credits are kept.
    assert_eq!(
        restored.allowance(DAY0, user().address()),
        m.state.allowance(DAY0, user().address())
    );
    assert_eq!(
        restored
            .allowance(DAY0, user().address())
            .unwrap()
            .allowance
            .held,
        u(500 * PRICE)
    );
    assert_eq!(restored.pending_credit(), m.state.pending_credit());
    assert_eq!(
        restored.pending_of(p.address()),
        m.state.pending_of(p.address())
    );
    assert_eq!(
        restored.pending_of(q.address()),
        m.state.pending_of(q.address())
    );
    assert_eq!(restored.committed(), m.state.committed());
    assert_eq!(
        restored.committed_leaf(p.address()),
        m.state.committed_leaf(p.address())
    );
    assert_eq!(restored.proof(p.address()), m.state.proof(p.address()));
    assert_eq!(restored.day_volume(DAY0), m.state.day_volume(DAY0));
    assert_eq!(restored.bootstrap_day(), m.state.bootstrap_day());
    assert_eq!(
        restored.provider(p.address()).unwrap().score,
        m.state.provider(p.address()).unwrap().score
    );
    assert_eq!(
        restored.ticket(open.request_id),
        m.state.ticket(open.request_id)
    );
    assert_eq!(restored.live_bids(None, later).len(), 2);
    assert_eq!(restored.attestations_of(q.address()).len(), 1);

    // The receipt on file is kept: the open ticket's report is credited the receipt's 20.
    let (verdict, _) = restored
        .report(
            report(&user(), open.request_id, 500, 200, true),
            None,
            later,
        )
        .unwrap();
    credited(20, PRICE, &verdict);
    let (verdict, c) = m
        .state
        .report(
            report(&user(), open.request_id, 500, 200, true),
            None,
            later,
        )
        .unwrap();
    credited(20, PRICE, &verdict);
    m.log.extend(c);

    // Both build the same next epoch.
    let at = next_block(later);
    let (mine, _) = m.state.build_epoch(at, u(BIG), u(BIG)).unwrap().unwrap();
    let (theirs, _) = restored.build_epoch(at, u(BIG), u(BIG)).unwrap().unwrap();
    assert_eq!(theirs.epoch, 2);
    assert_eq!(theirs, mine);
    assert_eq!(epoch_signer(&theirs), router_key().address());
}

#[test]
fn a_restored_state_resumes_an_epoch_in_flight() {
    let rules = Rules::default();
    let mut m = Market::with(rules.clone());
    m.serve(&provider(), 1, 100, NOW);
    let t = next_block(NOW);
    m.build(t, BIG, BIG).unwrap();
    m.commit();
    m.serve(&provider(), 2, 50, t);
    let flying = m.build(t + 12, BIG, BIG).unwrap();
    let store = Store::open_in_memory().unwrap();
    store.apply(&m.log).unwrap();
    let mut restored = State::restore(
        rules.clone(),
        dom(),
        router_key(),
        store.load(t + 13, rules.judge.window).unwrap(),
        store.table_at(1).unwrap(),
    );
    assert_eq!(restored.in_flight(), Some(&flying));
    assert_eq!(restored.build_epoch(t + 24, u(BIG), u(BIG)).unwrap(), None);
    // Once it is committed, the proofs are those of epoch 2 on both sides.
    restored.epoch_committed(Some((1, 21_000)));
    m.commit();
    assert_eq!(restored.committed().map(|e| e.root), Some(flying.root));
    assert_eq!(
        restored.proof(provider().address()),
        m.state.proof(provider().address())
    );
    assert_eq!(restored.pending_credit(), (U256::ZERO, 0));
}

/// The restored state of `m` at `now`, from its change log replayed into a fresh store.
fn restore(m: &Market, rules: &Rules, now: u64) -> State {
    let store = Store::open_in_memory().unwrap();
    store.apply(&m.log).unwrap();
    let committed = m.state.committed().map_or(0, |e| e.epoch);
    State::restore(
        rules.clone(),
        dom(),
        router_key(),
        store.load(now, rules.judge.window).unwrap(),
        store.table_at(committed).unwrap(),
    )
}

#[test]
fn a_restored_state_never_reuses_a_credit_sequence_number() {
    let rules = Rules::default();
    let mut m = Market::with(rules.clone());
    m.serve(&provider(), 1, 100, NOW);
    m.serve(&provider(), 2, 100, NOW);
    let t = next_block(NOW);
    m.build(t, BIG, BIG).unwrap();
    m.commit();
    assert_eq!(m.state.pending_credit(), (U256::ZERO, 0));
    let mut restored = restore(&m, &rules, t);
    let issued = {
        let checked = restored.check_rfc(rfc(&user(), 3, 10, t + 60), t).unwrap();
        restored.issue(&checked, provider().address(), t).unwrap().0
    };
    let (_, changes) = restored
        .report(
            report(&user(), issued.request_id, 10, 10, true),
            Some(receipt(&provider(), issued.request_id, 10)),
            t,
        )
        .unwrap();
    let seqs: Vec<u64> = changes
        .iter()
        .filter_map(|c| match c {
            Change::Credit(cr) => Some(cr.seq),
            _ => None,
        })
        .collect();
    assert_eq!(seqs, vec![3]);
    let e = restored
        .build_epoch(next_block(t), u(BIG), u(BIG))
        .unwrap()
        .unwrap()
        .0;
    assert_eq!(e.epoch, 2);
    assert_eq!(e.cumulative_credited, u(210 * PRICE));
}

#[test]
fn a_restored_state_keeps_the_speed_window_and_the_fail_memory_exactly() {
    let rules = Rules {
        judge: JudgePolicy {
            warmup: 3,
            window: 30,
            ..JudgePolicy::default()
        },
        ..Rules::default()
    };
    let mut m = Market::with(rules.clone());
    let p = provider();
    let users: Vec<_> = (0..35u8).map(|i| key(60 + i)).collect();
    for u in &users {
        m.allow(u, ALLOWANCE, NOW);
    }
    // Warm-up, anchoring, clamping, shares and replacement: samples of every kind, at speeds
    // that differ per request; two fails from two users.
    let mut now = NOW;
    for k in 0..120u64 {
        let who = &users[(k % 35) as usize];
        let tokens = 1 + k % 37;
        let issued = m.open(who, 100 + k, tokens, &p, now);
        let first = (k * 7919) % 900;
        let elapsed = first + tokens * (10 + k % 5);
        now += elapsed / 1000;
        let report = Report {
            requestId: issued.request_id,
            user: who.address(),
            firstTokenMs: first,
            elapsedMs: elapsed,
            tokens,
            pass: k % 50 != 5,
        };
        let (_, c) = m
            .state
            .report(
                sign(who, report),
                Some(receipt(&p, issued.request_id, tokens)),
                now,
            )
            .unwrap();
        m.log.extend(c);
    }
    let over = m.open(&user(), 1, 50, &p, now).request_id;
    let at = m.open(&user(), 2, 50, &p, now).request_id;
    let mut restored = restore(&m, &rules, now);
    assert_eq!(restored.speed(MODEL), m.state.speed(MODEL));
    assert_eq!(restored.speed(MODEL).unwrap().len(), 30);
    assert_eq!(
        restored.fail_memory(p.address()).unwrap().counted(),
        m.state.fail_memory(p.address()).unwrap().counted()
    );
    assert_eq!(
        restored.provider(p.address()).unwrap().score,
        m.state.provider(p.address()).unwrap().score
    );
    // The slowest credited time of a 50-token answer, from the original's window: one ms over
    // it is refused by both, exactly it credited by both (the window then holds the first).
    let (num, den) = m.state.speed(MODEL).unwrap().expected(50).unwrap();
    let limit = u64::try_from(num * U512::from(150) / (den * U512::from(100))).unwrap();
    let later = now + limit / 1000 + 1;
    for (id, elapsed, credited) in [(over, limit + 1, false), (at, limit, true)] {
        let report = || report(&user(), id, 50, elapsed, true);
        let theirs = restored
            .report(report(), Some(receipt(&p, id, 50)), later)
            .unwrap();
        let mine = m
            .state
            .report(report(), Some(receipt(&p, id, 50)), later)
            .unwrap();
        assert_eq!(theirs, mine);
        assert_eq!(
            matches!(mine.0, Verdict::Credited { .. }),
            credited,
            "{mine:?}"
        );
        assert_eq!(restored.speed(MODEL), m.state.speed(MODEL));
    }
}

#[test]
fn a_restored_state_charges_an_unreported_ticket_like_the_original() {
    let rules = Rules::default();
    let mut m = Market::with(rules.clone());
    let issued = m.open(&user(), 1, 700, &provider(), NOW);
    let mut restored = restore(&m, &rules, NOW + 1);
    let closes = issued.ticket.message.expiry + rules.report_seconds;
    let theirs = restored.sweep(closes + 1);
    let mine = m.state.sweep(closes + 1);
    assert_eq!(theirs, mine);
    assert_eq!(
        restored
            .allowance(DAY0, user().address())
            .unwrap()
            .allowance,
        Allowance {
            allowance: u(ALLOWANCE),
            used: u(700 * PRICE),
            held: U256::ZERO
        }
    );
}
