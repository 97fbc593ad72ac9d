//! Selection (SPEC 8): a provider weighs stake times its multiplier while its lock runs and
//! stake alone after; exploration goes only to new providers priced inside the band with at
//! least the operator's minimum stake; and a provider never holds more tickets in flight than
//! the capacity its bid states (a ticket occupies it from issue until its receipt, its report
//! or its expiry, whichever comes first).

use alloy_primitives::{Address, U256};
use yellowstone_market::{
    selection::{order, SelectionPolicy},
    state::Rules,
};

use crate::fixture::*;

const OTHER: &str = "other-model";

fn xorshift(seed: u64) -> impl FnMut() -> u64 {
    let mut x = seed.max(1);
    move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    }
}

fn weight_offered(m: &Market, p: Address, now: u64) -> Option<U256> {
    m.state
        .offers(MODEL, now)
        .into_iter()
        .find(|o| o.candidate.provider == p)
        .map(|o| o.candidate.weight)
}

// ---- weight -----------------------------------------------------------------------------------

/// Before: the contract's `weight` (stake times multiplier) counted forever. After: the
/// multiplier counts only while the lock runs.
#[test]
fn a_lock_that_ended_weighs_stake_alone() {
    let mut m = Market::empty(Rules::default());
    let p = provider();
    m.offer(&p, MODEL, u(100), mor(1_000), 8);
    m.state
        .set_chain_record(p.address(), stake_record(mor(1_000), 2_500, NOW + 100), NOW);
    assert_eq!(weight_offered(&m, p.address(), NOW), Some(mor(2_500)));
    assert_eq!(weight_offered(&m, p.address(), NOW + 99), Some(mor(2_500)));
    assert_eq!(weight_offered(&m, p.address(), NOW + 100), Some(mor(1_000)));
    assert_eq!(
        weight_offered(&m, p.address(), NOW + DAY - 1),
        Some(mor(1_000))
    );
}

#[test]
fn a_running_lock_with_a_zero_multiplier_has_no_weight_and_is_unselectable() {
    let mut m = Market::empty(Rules::default());
    let p = provider();
    m.offer(&p, MODEL, u(100), mor(1_000), 8);
    m.state
        .set_chain_record(p.address(), stake_record(mor(1_000), 0, NOW + 100), NOW);
    let why = m.state.unselectable(p.address(), MODEL, NOW).unwrap();
    assert!(why.contains("no selection weight"), "{why}");
    assert_eq!(m.state.unselectable(p.address(), MODEL, NOW + 100), None);
}

// ---- exploration ------------------------------------------------------------------------------

/// Everyone new, exploration on every request: who goes first, over 2,000 orders.
fn firsts(m: &Market, policy: &SelectionPolicy) -> Vec<(Address, u32)> {
    let offers = m.state.offers(MODEL, NOW);
    let candidates: Vec<_> = offers.iter().map(|o| o.candidate.clone()).collect();
    let mut counts = vec![0u32; candidates.len()];
    let mut rng = xorshift(31);
    for _ in 0..2_000 {
        counts[order(&candidates, policy, &mut rng)[0]] += 1;
    }
    candidates.iter().map(|c| c.provider).zip(counts).collect()
}

fn always_explore() -> SelectionPolicy {
    SelectionPolicy {
        explore_permille: 1_000,
        ..SelectionPolicy::default()
    }
}

/// Before: any new provider went first on exploration, at any price. After: only new
/// providers inside the band of the cheapest.
#[test]
fn a_new_provider_at_ten_times_the_cheapest_never_gets_exploration_traffic() {
    let mut m = Market::empty(Rules::default());
    let (cheap, greedy) = (provider(), key(7));
    m.offer(&cheap, MODEL, u(10), mor(1_000), 8);
    m.offer(&other_provider(), MODEL, u(100), mor(1_000), 8);
    m.offer(&key(6), MODEL, u(100), mor(1_000), 8);
    m.offer(&greedy, MODEL, u(100), mor(1_000), 8);
    // Within 4 times the reference (100): selectable, only not explored.
    assert_eq!(m.state.unselectable(greedy.address(), MODEL, NOW), None);
    for (p, first) in firsts(&m, &always_explore()) {
        assert_eq!(first, if p == cheap.address() { 2_000 } else { 0 }, "{p}");
    }
}

#[test]
fn a_new_provider_inside_the_band_is_explored() {
    let mut m = Market::empty(Rules::default());
    m.offer(&provider(), MODEL, u(100), mor(1_000), 8);
    m.offer(&key(7), MODEL, u(105), mor(1), 8);
    let got = firsts(&m, &always_explore());
    // Uniform among the two: about 1,000 each.
    for (p, first) in got {
        assert!((850..=1_150).contains(&first), "{p}: {first}");
    }
}

/// A key with less than the minimum stake (default 1 MOR) gets no exploration traffic, only
/// its weight's share of the band.
#[test]
fn a_new_provider_staking_less_than_the_minimum_never_gets_exploration_traffic() {
    let mut m = Market::empty(Rules::default());
    let (staked, dust) = (provider(), key(7));
    m.offer(&staked, MODEL, u(100), mor(1_000), 8);
    m.offer(&dust, MODEL, u(100), mor(1) - u(1), 8);
    for (p, first) in firsts(&m, &always_explore()) {
        assert_eq!(first, if p == staked.address() { 2_000 } else { 0 }, "{p}");
    }
}

// ---- capacity ---------------------------------------------------------------------------------

/// Three providers on `MODEL` at 100 wei: `provider()` with `capacity`, the others with 8.
fn with_capacity(capacity: u32, rules: Rules) -> Market {
    let mut m = Market::empty(rules);
    m.offer(&provider(), MODEL, u(100), mor(1_000), capacity);
    m.offer(&other_provider(), MODEL, u(100), mor(1_000), 8);
    m.offer(&key(6), MODEL, u(100), mor(1_000), 8);
    m
}

/// Before: a provider was offered and ticketed whatever it had in flight. After: at its
/// capacity it is left out of the offers, and a ticket to it is refused as busy.
#[test]
fn a_provider_with_capacity_two_gets_at_most_two_concurrent_tickets() {
    let mut m = with_capacity(2, Rules::default());
    let p = provider();
    m.try_open(&user(), 1, MODEL, &p, NOW).unwrap();
    m.try_open(&user(), 2, MODEL, &p, NOW).unwrap();
    assert_eq!(m.state.tickets_in_flight(p.address(), NOW), 2);
    assert!(!m.offered(MODEL, NOW).contains(&p.address()));
    let why = m.state.unselectable(p.address(), MODEL, NOW).unwrap();
    assert!(why.contains("at capacity: 2 of 2"), "{why}");
    let e = refused(m.try_open(&user(), 3, MODEL, &p, NOW + 20), 503, "busy");
    assert!(e.message.contains("at capacity"), "{e}");
    assert_eq!(
        e.retry_after,
        Some(100),
        "the first ticket expires at NOW + 120"
    );
    // The third request goes elsewhere.
    m.try_open(&user(), 3, MODEL, &other_provider(), NOW)
        .unwrap();
    assert_eq!(m.offered(MODEL, NOW).len(), 2);
}

#[test]
fn a_ticket_stops_occupying_capacity_at_its_receipt_its_report_or_its_expiry() {
    let mut m = with_capacity(1, Rules::default());
    let p = provider();
    let t1 = m.try_open(&user(), 1, MODEL, &p, NOW).unwrap();
    refused(m.try_open(&user(), 2, MODEL, &p, NOW), 503, "busy");
    // The receipt, once or twice.
    for _ in 0..2 {
        let c = m.state.receipt(receipt(&p, t1.request_id, 10)).unwrap();
        m.log.extend(c);
    }
    assert_eq!(m.state.tickets_in_flight(p.address(), NOW), 0);
    let t2 = m.try_open(&user(), 2, MODEL, &p, NOW).unwrap();
    refused(m.try_open(&user(), 3, MODEL, &p, NOW), 503, "busy");
    // The report, with no receipt.
    let (_, c) = m
        .state
        .report(report(&user(), t2.request_id, 10, 5, true), None, NOW + 1)
        .unwrap();
    m.log.extend(c);
    assert!(m.offered(MODEL, NOW + 1).contains(&p.address()));
    m.try_open(&user(), 3, MODEL, &p, NOW + 1).unwrap();
    refused(m.try_open(&user(), 4, MODEL, &p, NOW + 1), 503, "busy");
    // Silence: the ticket's expiry (120 s), not its 15-minute report window.
    let expiry = NOW + 1 + m.state.rules().ticket_seconds;
    refused(m.try_open(&user(), 4, MODEL, &p, expiry - 1), 503, "busy");
    assert_eq!(m.state.tickets_in_flight(p.address(), expiry), 0);
    m.try_open(&user(), 4, MODEL, &p, expiry).unwrap();
}

#[test]
fn a_capacity_above_the_operators_maximum_is_capped() {
    let mut m = with_capacity(
        u32::MAX,
        Rules {
            max_capacity: 2,
            ..Rules::default()
        },
    );
    let p = provider();
    m.try_open(&user(), 1, MODEL, &p, NOW).unwrap();
    m.try_open(&user(), 2, MODEL, &p, NOW).unwrap();
    refused(m.try_open(&user(), 3, MODEL, &p, NOW), 503, "busy");
}

/// Capacity is the provider's, across its models; each ticket is checked against the capacity
/// of the bid it is issued on.
#[test]
fn capacity_counts_every_model_of_a_provider_against_the_bid_issued_on() {
    let mut m = with_capacity(1, Rules::default());
    let p = provider();
    m.offer(&p, OTHER, u(100), mor(1_000), 3);
    m.try_open(&user(), 1, OTHER, &p, NOW).unwrap();
    // One in flight: `MODEL`'s bid (capacity 1) is full, `OTHER`'s (3) is not.
    assert!(!m.offered(MODEL, NOW).contains(&p.address()));
    refused(m.try_open(&user(), 2, MODEL, &p, NOW), 503, "busy");
    assert!(m.offered(OTHER, NOW).contains(&p.address()));
    m.try_open(&user(), 2, OTHER, &p, NOW).unwrap();
    m.try_open(&user(), 3, OTHER, &p, NOW).unwrap();
    refused(m.try_open(&user(), 4, OTHER, &p, NOW), 503, "busy");
}

#[test]
fn a_restart_rebuilds_what_each_provider_has_in_flight() {
    let mut m = with_capacity(2, Rules::default());
    let p = provider();
    let t1 = m.try_open(&user(), 1, MODEL, &p, NOW).unwrap();
    m.try_open(&user(), 2, MODEL, &p, NOW).unwrap();
    let c = m.state.receipt(receipt(&p, t1.request_id, 10)).unwrap();
    m.log.extend(c);
    let mut restarted = restored(Rules::default(), &m.log);
    for k in [provider(), other_provider(), key(6)] {
        restarted.set_chain_record(k.address(), stake_record(mor(1_000), 1_000, 0), NOW);
    }
    assert_eq!(
        restarted.tickets_in_flight(p.address(), NOW),
        1,
        "t1 has its receipt"
    );
    let issue = |state: &mut yellowstone_market::state::State, nonce| {
        let checked = state.check_rfc(rfc_on(&user(), MODEL, nonce, 10, NOW), NOW)?;
        state.issue(&checked, p.address(), NOW).map(|_| ())
    };
    issue(&mut restarted, 3).unwrap();
    refused(issue(&mut restarted, 4), 503, "busy");
}
