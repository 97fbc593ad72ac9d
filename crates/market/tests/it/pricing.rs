//! Bounded prices (SPEC 8): per model, the reference price is the stake-weighted median of the
//! bids that are live, staked and attested (one per provider); a bid above `k` times it or
//! above the operator's maximum is accepted but never selected or ticketed. A model with fewer
//! than 3 such providers takes the operator's reference for it, else the market-wide one.

use alloy_primitives::U256;
use yellowstone_market::{pricing::ReferenceSource, state::Rules};

use crate::fixture::*;

const PRIVATE: &str = "private-model";
const OTHER: &str = "other-model";

/// Three honest providers on `MODEL` at 100, 100 and 120 wei, 1,000 MOR each: reference 100.
fn honest(rules: Rules) -> Market {
    let mut m = Market::empty(rules);
    m.offer(&provider(), MODEL, u(100), mor(1_000), 8);
    m.offer(&other_provider(), MODEL, u(100), mor(1_000), 8);
    m.offer(&key(6), MODEL, u(120), mor(1_000), 8);
    m
}

fn e(n: u32) -> U256 {
    U256::from(10u64).pow(U256::from(n))
}

// ---- the attacks ------------------------------------------------------------------------------

/// The attack of issue 13: a provider staking 1 wei bids 10^30 wei a token on a model of its
/// own, and an accomplice asks for it. Before: offered and ticketed at 10^30. After: refused.
#[test]
fn a_one_wei_stake_bidding_ten_to_the_thirty_on_a_private_model_is_never_ticketed() {
    let mut m = honest(Rules::default());
    let absurd = key(7);
    m.offer(&absurd, PRIVATE, e(30), u(1), 8);
    let why = m
        .state
        .unselectable(absurd.address(), PRIVATE, NOW)
        .unwrap();
    assert!(why.contains(&e(30).to_string()), "{why}");
    assert!(m.state.offers(PRIVATE, NOW).is_empty());
    let accomplice = other_user();
    let e = refused(
        m.try_open(&accomplice, 1, PRIVATE, &absurd, NOW),
        503,
        "no_provider",
    );
    assert!(
        e.message.contains("no ticket is issued above the bound"),
        "{e}"
    );
    assert_eq!(m.allowance(&accomplice).held, U256::ZERO, "nothing held");
    // Its own median does not count (one provider): the market-wide reference bounds it.
    assert_eq!(m.state.reference_price(Some(PRIVATE), NOW), Some(u(100)));
}

/// Three such keys make the private model its own median of 10^30; the hard maximum still
/// bounds it.
#[test]
fn three_colluding_keys_cannot_lift_a_private_model_above_the_hard_maximum() {
    let mut m = honest(Rules::default());
    let keys = [key(7), key(8), key(10)];
    for k in &keys {
        m.offer(k, PRIVATE, e(30), u(1), 8);
    }
    let bound = m.state.price_bound(PRIVATE, NOW);
    assert_eq!(
        (bound.reference, bound.source),
        (Some(e(30)), ReferenceSource::Model)
    );
    assert_eq!(bound.limit(), e(18), "1 MOR a token");
    for k in &keys {
        let why = m.state.unselectable(k.address(), PRIVATE, NOW).unwrap();
        assert!(why.contains("operator's maximum"), "{why}");
    }
    assert!(m.state.offers(PRIVATE, NOW).is_empty());
    refused(
        m.try_open(&user(), 1, PRIVATE, &keys[0], NOW),
        503,
        "no_provider",
    );
}

/// Issue 13's second attack: one key with 1,000 bids at 1 wei on invented models. Before: the
/// median of all live bids (the old fallback reference) became 1 wei. After: an unstaked
/// key's bids count nowhere, attested or not.
#[test]
fn a_thousand_junk_bids_from_an_unstaked_key_move_no_reference() {
    let mut m = honest(Rules {
        require_attestation: false,
        ..Rules::default()
    });
    m.offer(&key(8), OTHER, u(90), mor(500), 8);
    let before = [
        m.state.reference_price(Some(MODEL), NOW),
        m.state.reference_price(Some(OTHER), NOW),
        m.state.reference_price(None, NOW),
    ];
    assert_eq!(before, [Some(u(100)), Some(u(100)), Some(u(100))]);
    let junk = key(7);
    for n in 0..1_000 {
        m.state
            .bid(bid_on(&junk, &format!("invented-{n}"), u(1), 8, 1), NOW)
            .unwrap();
    }
    // What the old fallback saw: the lower median of every live bid.
    let mut prices: Vec<U256> = m
        .state
        .live_bids(None, NOW)
        .iter()
        .map(|b| b.price)
        .collect();
    prices.sort();
    assert_eq!(
        prices[(prices.len() - 1) / 2],
        u(1),
        "the old fallback moved"
    );
    let after = |m: &Market| {
        [
            m.state.reference_price(Some(MODEL), NOW),
            m.state.reference_price(Some(OTHER), NOW),
            m.state.reference_price(None, NOW),
            m.state.reference_price(Some("invented-7"), NOW),
        ]
    };
    assert_eq!(after(&m)[..3], before);
    assert_eq!(after(&m)[3], Some(u(100)));
    // Read from the chain with no stake: still nowhere.
    m.state
        .set_chain_record(junk.address(), stake_record(U256::ZERO, 1_000, 0), NOW);
    assert_eq!(after(&m)[..3], before);
    assert!(m.state.offers("invented-7", NOW).is_empty());
}

/// A staked provider bidding on many invented models weighs its stake once in the
/// market-wide reference, not once per model.
#[test]
fn a_staked_key_bidding_on_two_hundred_invented_models_weighs_its_stake_once() {
    let mut m = honest(Rules {
        require_attestation: false,
        ..Rules::default()
    });
    let junk = key(7);
    m.state
        .set_chain_record(junk.address(), stake_record(mor(2_000), 1_000, 0), NOW);
    for n in 0..200 {
        m.state
            .bid(bid_on(&junk, &format!("invented-{n}"), u(1), 8, 1), NOW)
            .unwrap();
    }
    // 2,000 MOR at 1 wei against 3,000 MOR at 100-120: the median stays with the majority.
    assert_eq!(m.state.reference_price(None, NOW), Some(u(100)));
    // As much stake as the three others together: half the weight at 1 wei, the lower median.
    m.state
        .set_chain_record(junk.address(), stake_record(mor(3_000), 1_000, 0), NOW);
    assert_eq!(m.state.reference_price(None, NOW), Some(u(1)));
}

#[test]
fn a_bid_at_five_times_the_reference_is_unselectable_and_at_four_times_is() {
    let mut m = honest(Rules::default());
    let dear = key(7);
    // Its small stake leaves the median at 100.
    m.offer(&dear, MODEL, u(400), mor(1), 8);
    assert_eq!(m.state.reference_price(Some(MODEL), NOW), Some(u(100)));
    assert_eq!(m.state.unselectable(dear.address(), MODEL, NOW), None);
    assert!(m.offered(MODEL, NOW).contains(&dear.address()));
    m.try_open(&user(), 1, MODEL, &dear, NOW).unwrap();

    m.rebid(&dear, MODEL, u(500), 8);
    let why = m.state.unselectable(dear.address(), MODEL, NOW).unwrap();
    assert!(
        why.contains("price 500") && why.contains("k = 4") && why.contains("reference of 100"),
        "{why}"
    );
    assert!(!m.offered(MODEL, NOW).contains(&dear.address()));
    refused(
        m.try_open(&user(), 2, MODEL, &dear, NOW),
        503,
        "no_provider",
    );
    // One wei over the bound is over it.
    m.rebid(&dear, MODEL, u(401), 8);
    assert!(m.state.unselectable(dear.address(), MODEL, NOW).is_some());
}

#[test]
fn k_is_the_operators_to_set() {
    let mut m = honest(Rules {
        price_band_k: 2,
        ..Rules::default()
    });
    m.offer(&key(7), MODEL, u(201), mor(1), 8);
    assert!(m.state.unselectable(key(7).address(), MODEL, NOW).is_some());
    m.rebid(&key(7), MODEL, u(200), 8);
    assert_eq!(m.state.unselectable(key(7).address(), MODEL, NOW), None);
}

/// The bound is checked again at issue: a provider offered a moment ago whose price has since
/// left the band gets no ticket.
#[test]
fn a_ticket_is_refused_when_the_bids_price_left_the_band_since_it_was_offered() {
    let mut m = honest(Rules::default());
    let dear = key(7);
    m.offer(&dear, MODEL, u(400), mor(1), 8);
    assert!(m.offered(MODEL, NOW).contains(&dear.address()));
    // The honest providers cut their prices to 50: the bound falls to 200.
    m.rebid(&provider(), MODEL, u(50), 8);
    m.rebid(&other_provider(), MODEL, u(50), 8);
    let e = refused(
        m.try_open(&user(), 1, MODEL, &dear, NOW),
        503,
        "no_provider",
    );
    assert!(e.message.contains("reference of 50"), "{e}");
}

#[test]
fn the_reference_is_weighted_by_stake_not_by_count() {
    let mut m = Market::empty(Rules::default());
    m.offer(&provider(), MODEL, u(10), mor(1), 8);
    m.offer(&other_provider(), MODEL, u(20), mor(1), 8);
    m.offer(&key(6), MODEL, u(30), mor(10), 8);
    assert_eq!(m.state.reference_price(Some(MODEL), NOW), Some(u(30)));
    m.offer(&key(7), MODEL, u(40), mor(8), 8);
    assert_eq!(m.state.reference_price(Some(MODEL), NOW), Some(u(30)));
    // Exactly half the stake at 30 or below: the lower median, 30.
    m.state
        .set_chain_record(key(7).address(), stake_record(mor(12), 1_000, 0), NOW);
    assert_eq!(m.state.reference_price(Some(MODEL), NOW), Some(u(30)));
    m.state
        .set_chain_record(key(7).address(), stake_record(mor(13), 1_000, 0), NOW);
    assert_eq!(m.state.reference_price(Some(MODEL), NOW), Some(u(40)));
}

/// The reference is taken over bids that may be out of bounds themselves, so it never depends
/// on itself; bids that are expired, unattested or unstaked do not count.
#[test]
fn the_reference_counts_out_of_band_bids_but_not_dead_unattested_or_unstaked_ones() {
    let mut m = Market::empty(Rules::default());
    m.offer(&provider(), MODEL, u(10), mor(1), 8);
    m.offer(&other_provider(), MODEL, u(10), mor(1), 8);
    m.offer(&key(6), MODEL, u(1_000), mor(1), 8);
    let bound = m.state.price_bound(MODEL, NOW);
    assert_eq!(
        (bound.reference, bound.source),
        (Some(u(10)), ReferenceSource::Model)
    );
    assert!(m.state.unselectable(key(6).address(), MODEL, NOW).is_some());
    // An unattested bid does not count, however heavy its stake.
    m.state
        .bid(bid_on(&key(7), MODEL, u(1), 8, 1), NOW)
        .unwrap();
    m.state
        .set_chain_record(key(7).address(), stake_record(mor(100), 1_000, 0), NOW);
    assert_eq!(m.state.reference_price(Some(MODEL), NOW), Some(u(10)));
    // Expired bids stop counting: after a day only the market-wide default is left.
    assert_eq!(m.state.reference_price(Some(MODEL), NOW + DAY), None);
    assert_eq!(m.state.price_bound(MODEL, NOW + DAY).limit(), e(18));
}

#[test]
fn fewer_than_three_providers_use_the_configured_reference_then_the_market_wide_one() {
    let mut rules = Rules::default();
    rules.reference_prices.insert(PRIVATE.into(), u(1_000));
    let mut m = honest(rules);
    m.offer(&key(7), PRIVATE, u(4_000), mor(1), 8);
    m.offer(&key(8), OTHER, u(4_000), mor(1), 8);
    let private = m.state.price_bound(PRIVATE, NOW);
    assert_eq!(
        (private.reference, private.source),
        (Some(u(1_000)), ReferenceSource::Configured)
    );
    assert_eq!(m.state.unselectable(key(7).address(), PRIVATE, NOW), None);
    // No configured reference: the market-wide median (3,000 MOR at 100-120 against 2 MOR).
    let other = m.state.price_bound(OTHER, NOW);
    assert_eq!(
        (other.reference, other.source),
        (Some(u(100)), ReferenceSource::Market)
    );
    let why = m.state.unselectable(key(8).address(), OTHER, NOW).unwrap();
    assert!(why.contains("market-wide"), "{why}");
    // With three providers of its own, a model's own median replaces the configured one.
    m.offer(&key(10), PRIVATE, u(4_000), mor(1), 8);
    m.offer(&key(11), PRIVATE, u(4_000), mor(1), 8);
    assert_eq!(
        m.state.price_bound(PRIVATE, NOW).source,
        ReferenceSource::Model
    );
    assert_eq!(m.state.reference_price(Some(PRIVATE), NOW), Some(u(4_000)));
}

#[test]
fn without_any_counted_bid_the_default_reference_or_only_the_maximum_bounds_prices() {
    let m = Market::empty(Rules::default());
    assert_eq!(m.state.reference_price(None, NOW), None);
    assert_eq!(m.state.price_bound(MODEL, NOW).limit(), e(18));
    let m = Market::empty(Rules {
        default_reference_price: Some(u(5)),
        ..Rules::default()
    });
    assert_eq!(m.state.reference_price(None, NOW), Some(u(5)));
    let bound = m.state.price_bound(MODEL, NOW);
    assert_eq!(
        (bound.reference, bound.source, bound.limit()),
        (Some(u(5)), ReferenceSource::Default, u(20))
    );
}

#[test]
fn the_hard_maximum_bounds_every_price_whatever_the_reference() {
    let mut rules = Rules {
        max_price_per_token: u(1_000),
        ..Rules::default()
    };
    rules.reference_prices.insert(PRIVATE.into(), e(30));
    let mut m = Market::empty(rules);
    m.offer(&provider(), PRIVATE, u(1_000), mor(1), 8);
    assert_eq!(
        m.state.unselectable(provider().address(), PRIVATE, NOW),
        None
    );
    m.rebid(&provider(), PRIVATE, u(1_001), 8);
    let why = m
        .state
        .unselectable(provider().address(), PRIVATE, NOW)
        .unwrap();
    assert!(why.contains("operator's maximum of 1000"), "{why}");
}

#[test]
fn a_bid_above_the_bound_is_accepted_so_its_provider_can_see_why() {
    let mut m = honest(Rules::default());
    let c = m
        .state
        .bid(bid_on(&key(7), MODEL, e(30), 8, 1), NOW)
        .unwrap();
    assert_eq!(c.len(), 1);
    assert_eq!(m.state.live_bids(Some(MODEL), NOW).len(), 4);
}

// ---- the rules' form --------------------------------------------------------------------------

#[test]
fn the_defaults_are_k_4_a_maximum_of_1_mor_a_token_and_capacity_4096() {
    let r = Rules::default();
    assert_eq!(r.price_band_k, 4);
    assert_eq!(r.max_price_per_token, e(18));
    assert_eq!(r.max_capacity, 4_096);
    assert!(r.reference_prices.is_empty() && r.pinned_weights.is_empty());
    assert_eq!(r.default_reference_price, None);
    assert_eq!(r.selection.min_explore_stake, e(18));
}

#[test]
fn amounts_in_the_rules_are_written_as_decimal_strings() {
    let mut rules = Rules::default();
    rules.reference_prices.insert(MODEL.into(), e(15));
    let json = serde_json::to_value(&rules).unwrap();
    assert_eq!(json["max_price_per_token"], "1000000000000000000");
    assert_eq!(json["reference_prices"][MODEL], "1000000000000000");
    assert_eq!(
        json["selection"]["min_explore_stake"],
        "1000000000000000000"
    );
    assert!(json.get("default_reference_price").is_none());
    let back: Rules = serde_json::from_value(json).unwrap();
    assert_eq!(back, rules);
    // An operator may write small amounts as integers.
    let small: Rules = serde_json::from_str(r#"{"max_price_per_token": 5}"#).unwrap();
    assert_eq!(small.max_price_per_token, u(5));
}

#[test]
fn a_state_is_bounded_by_its_own_rules_after_a_restart() {
    let m = honest(Rules::default());
    let tighter = Rules {
        max_price_per_token: u(110),
        ..Rules::default()
    };
    let mut restarted = restored(tighter, &m.log);
    for p in [provider(), other_provider(), key(6)] {
        restarted.set_chain_record(p.address(), stake_record(mor(1_000), 1_000, 0), NOW);
    }
    assert_eq!(
        restarted.offers(MODEL, NOW).len(),
        2,
        "the 120 wei bid is over 110"
    );
}
