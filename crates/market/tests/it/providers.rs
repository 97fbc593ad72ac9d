//! Providers (SPEC 5 and 8): attestations and bids are accepted only as signed by the provider
//! they name and newer than what is held (an attestation of a pinned model only with a pinned
//! weights hash, a bid only with a capacity); a bid is offered to selection only while it is
//! live, its provider attested (with a pinned hash where pinned), staked, within the price
//! bound, below capacity and not backed off.

use alloy_primitives::{B256, U256};
use yellowstone_api::ProviderRecord;
use yellowstone_market::{
    records::Change,
    state::{Rules, State},
};

use crate::fixture::*;

// ---- attestations ---------------------------------------------------------------------------

#[test]
fn an_attestation_signed_by_anyone_but_the_provider_it_names_is_refused() {
    let mut state = State::new(Rules::default(), dom(), router_key());
    let forged = sign(&key(5), attestation(&provider(), NOW));
    refused(state.attest(forged, NOW), 401, "bad_signature");
    assert!(state.attestations_of(provider().address()).is_empty());
}

#[test]
fn an_attestation_older_than_the_one_held_is_refused() {
    let mut state = State::new(Rules::default(), dom(), router_key());
    state
        .attest(sign(&provider(), attestation(&provider(), NOW)), NOW)
        .unwrap();
    refused(
        state.attest(sign(&provider(), attestation(&provider(), NOW - 1)), NOW),
        409,
        "replayed",
    );
    let newer = state
        .attest(
            sign(&provider(), attestation(&provider(), NOW + 10)),
            NOW + 10,
        )
        .unwrap();
    assert!(matches!(&newer[..], [Change::Attestation(a)] if a.issued_at == NOW + 10));
}

#[test]
fn an_attestation_issued_in_the_future_is_refused() {
    let mut state = State::new(Rules::default(), dom(), router_key());
    refused(
        state.attest(sign(&provider(), attestation(&provider(), NOW + 301)), NOW),
        400,
        "invalid",
    );
    // Five minutes of clock skew are tolerated.
    state
        .attest(sign(&provider(), attestation(&provider(), NOW + 300)), NOW)
        .unwrap();
}

#[test]
fn an_attestation_of_a_zero_weights_hash_is_refused() {
    let mut state = State::new(Rules::default(), dom(), router_key());
    let mut unset = attestation(&provider(), NOW);
    unset.weightsHash = B256::ZERO;
    let err = state.attest(sign(&provider(), unset), NOW).unwrap_err();
    assert_eq!((err.status, err.code), (400, "invalid"));
    assert!(err.message.contains("weightsHash is zero"), "{err:?}");
    assert!(state.attestations_of(provider().address()).is_empty());
}

// ---- bids -----------------------------------------------------------------------------------

#[test]
fn a_bid_at_price_zero_is_refused() {
    let mut state = State::new(Rules::default(), dom(), router_key());
    let p = provider();
    refused(
        state.bid(sign(&p, bid(&p, 0, 1, NOW + 60)), NOW),
        400,
        "invalid",
    );
}

#[test]
fn an_expired_bid_is_refused() {
    let mut state = State::new(Rules::default(), dom(), router_key());
    let p = provider();
    refused(state.bid(sign(&p, bid(&p, 7, 1, NOW)), NOW), 410, "expired");
    refused(
        state.bid(sign(&p, bid(&p, 7, 1, NOW - 1)), NOW),
        410,
        "expired",
    );
}

#[test]
fn a_bid_whose_endpoint_is_not_http_is_refused() {
    let mut state = State::new(Rules::default(), dom(), router_key());
    let p = provider();
    for endpoint in [
        "ftp://provider.example",
        "provider.example",
        "http://a b",
        "",
    ] {
        let mut b = bid(&p, 7, 1, NOW + 60);
        b.endpoint = endpoint.into();
        refused(state.bid(sign(&p, b), NOW), 400, "invalid");
    }
    let mut b = bid(&p, 7, 1, NOW + 60);
    b.endpoint = "https://provider.example".into();
    state.bid(sign(&p, b), NOW).unwrap();
}

#[test]
fn a_bid_signed_by_anyone_but_the_provider_it_names_is_refused() {
    let mut state = State::new(Rules::default(), dom(), router_key());
    refused(
        state.bid(sign(&key(5), bid(&provider(), 7, 1, NOW + 60)), NOW),
        401,
        "bad_signature",
    );
}

#[test]
fn a_bid_with_a_later_nonce_replaces_the_current_one() {
    let mut m = Market::new();
    let p = provider();
    let c = m.state.bid(sign(&p, bid(&p, 9, 2, NOW + 60)), NOW).unwrap();
    assert!(matches!(&c[..], [Change::Bid(b)] if b.nonce == 2 && b.price == u(9)));
    let offers = m.state.offers(MODEL, NOW);
    assert_eq!(offers.len(), 1);
    assert_eq!(offers[0].candidate.price, u(9));
    // The endpoint is kept without its trailing slash.
    assert_eq!(offers[0].endpoint, "http://provider.example");
}

#[test]
fn a_bid_with_an_equal_or_older_nonce_is_refused() {
    let mut m = Market::new();
    let p = provider();
    m.state.bid(sign(&p, bid(&p, 9, 5, NOW + 60)), NOW).unwrap();
    refused(
        m.state.bid(sign(&p, bid(&p, 1, 5, NOW + 60)), NOW),
        409,
        "replayed",
    );
    refused(
        m.state.bid(sign(&p, bid(&p, 1, 4, NOW + 60)), NOW),
        409,
        "replayed",
    );
    assert_eq!(m.state.offers(MODEL, NOW)[0].candidate.price, u(9));
}

#[test]
fn a_bid_without_an_attestation_is_unselectable_when_attestation_is_required() {
    let mut state = State::new(Rules::default(), dom(), router_key());
    let p = provider();
    state.bid(sign(&p, bid(&p, 7, 1, NOW + 60)), NOW).unwrap();
    state.set_chain_record(p.address(), staked(), NOW);
    let why = state.unselectable(p.address(), MODEL, NOW).unwrap();
    assert!(why.contains("no attestation"), "{why}");

    let mut lax = State::new(
        Rules {
            require_attestation: false,
            ..Rules::default()
        },
        dom(),
        router_key(),
    );
    lax.bid(sign(&p, bid(&p, 7, 1, NOW + 60)), NOW).unwrap();
    lax.set_chain_record(p.address(), staked(), NOW);
    assert_eq!(lax.unselectable(p.address(), MODEL, NOW), None);
}

#[test]
fn a_bid_without_a_chain_record_is_unselectable() {
    let mut state = State::new(Rules::default(), dom(), router_key());
    let p = provider();
    state.attest(sign(&p, attestation(&p, NOW)), NOW).unwrap();
    state.bid(sign(&p, bid(&p, 7, 1, NOW + 60)), NOW).unwrap();
    let why = state.unselectable(p.address(), MODEL, NOW).unwrap();
    assert!(why.contains("not read from the chain"), "{why}");
    assert_eq!(state.stale_providers(NOW, 60), vec![p.address()]);
}

#[test]
fn a_bid_from_a_provider_with_no_stake_is_unselectable() {
    let mut m = Market::new();
    let p = provider();
    m.state.set_chain_record(
        p.address(),
        ProviderRecord {
            stake: U256::ZERO,
            weight: U256::ZERO,
            ..staked()
        },
        NOW,
    );
    let why = m.state.unselectable(p.address(), MODEL, NOW).unwrap();
    assert!(why.contains("no stake"), "{why}");
    assert!(m.state.offers(MODEL, NOW).is_empty());
}

#[test]
fn a_provider_that_failed_is_backed_off_and_comes_back_after_the_delay() {
    let mut m = Market::new();
    let p = provider();
    assert_eq!(m.state.unselectable(p.address(), MODEL, NOW), None);
    m.state.provider_failed(p.address(), NOW);
    let why = m.state.unselectable(p.address(), MODEL, NOW).unwrap();
    assert!(why.contains("backed off"), "{why}");
    assert!(m.state.offers(MODEL, NOW + 4).is_empty());
    // Base back-off 5 s.
    assert_eq!(m.state.unselectable(p.address(), MODEL, NOW + 5), None);
    m.state.provider_failed(p.address(), NOW + 5);
    m.state.provider_live(p.address());
    assert_eq!(m.state.unselectable(p.address(), MODEL, NOW + 5), None);
}

#[test]
fn an_expired_bid_is_unselectable() {
    let m = Market::new();
    let p = provider();
    assert_eq!(
        m.state.unselectable(p.address(), MODEL, NOW + DAY - 1),
        None
    );
    let why = m.state.unselectable(p.address(), MODEL, NOW + DAY).unwrap();
    assert!(why.contains("expired"), "{why}");
    assert!(m.state.offers(MODEL, NOW + DAY).is_empty());
    assert!(m.state.live_bids(Some(MODEL), NOW + DAY).is_empty());
}

#[test]
fn offers_list_only_selectable_bids() {
    let mut m = Market::new();
    let (p, q, r) = (provider(), other_provider(), key(6));
    // q bids and attests but its stake is not read; r is staked but backed off.
    m.state.attest(sign(&q, attestation(&q, NOW)), NOW).unwrap();
    m.state.bid(sign(&q, bid(&q, 5, 1, NOW + 60)), NOW).unwrap();
    m.add_provider(&r, 6);
    m.state.provider_failed(r.address(), NOW);
    let offers = m.state.offers(MODEL, NOW);
    assert_eq!(offers.len(), 1);
    assert_eq!(offers[0].candidate.provider, p.address());
    assert_eq!(offers[0].candidate.price, u(PRICE));
    assert_eq!(offers[0].candidate.weight, u(1_000));
    assert_eq!(m.state.live_bids(Some(MODEL), NOW).len(), 3);
    assert!(m.state.offers("another-model", NOW).is_empty());
}

// ---- SPEC 8: capacity and pinned weights hashes -----------------------------------------------

#[test]
fn a_bid_with_capacity_zero_is_refused_naming_the_field() {
    let mut state = State::new(Rules::default(), dom(), router_key());
    let p = provider();
    let mut b = bid(&p, 7, 1, NOW + 60);
    b.capacity = 0;
    let e = refused(state.bid(sign(&p, b), NOW), 400, "invalid");
    assert!(e.message.contains("capacity"), "{e}");
    assert!(state.live_bids(None, NOW).is_empty());
}

fn pinned(hashes: &[B256]) -> Rules {
    let mut rules = Rules::default();
    rules.pinned_weights.insert(MODEL.into(), hashes.to_vec());
    rules
}

/// Before: any non-zero hash was accepted. After: a pinned model takes only its pinned hashes.
#[test]
fn a_pinned_model_refuses_an_attestation_of_any_other_hash() {
    let good = B256::repeat_byte(0xaa);
    let mut state = State::new(
        pinned(&[good, B256::repeat_byte(0xab)]),
        dom(),
        router_key(),
    );
    let p = provider();
    let other = B256::repeat_byte(0xee);
    let e = refused(
        state.attest(attest_on(&p, MODEL, other), NOW),
        403,
        "forbidden",
    );
    assert_eq!(
        e.message,
        format!("model {MODEL} accepts only the pinned weights hashes; {other} is not one")
    );
    assert!(state.attestations_of(p.address()).is_empty());
    state.attest(attest_on(&p, MODEL, good), NOW).unwrap();
    // A model not pinned takes any non-zero hash.
    state.attest(attest_on(&p, "unpinned", other), NOW).unwrap();
}

/// An attestation made before the pin (or under another pin list, as after a restart with a
/// new config) does not make a pinned model selectable.
#[test]
fn a_pinned_model_is_selectable_only_from_providers_attested_with_a_pinned_hash() {
    let m = Market::new(); // attested with 0xee, unpinned
    let p = provider();
    assert_eq!(m.state.unselectable(p.address(), MODEL, NOW), None);
    for rules in [
        pinned(&[B256::repeat_byte(0xaa)]),
        Rules {
            require_attestation: false,
            ..pinned(&[B256::repeat_byte(0xaa)])
        },
    ] {
        let mut restarted = restored(rules, &m.log);
        restarted.set_chain_record(p.address(), staked(), NOW);
        let why = restarted.unselectable(p.address(), MODEL, NOW).unwrap();
        assert!(why.contains("not one of the 1 pinned"), "{why}");
        assert!(restarted.offers(MODEL, NOW).is_empty());
    }
    let mut restarted = restored(pinned(&[B256::repeat_byte(0xee)]), &m.log);
    restarted.set_chain_record(p.address(), staked(), NOW);
    assert_eq!(restarted.unselectable(p.address(), MODEL, NOW), None);
}

#[test]
fn a_pinned_model_needs_an_attestation_even_when_attestation_is_not_required() {
    let mut state = State::new(
        Rules {
            require_attestation: false,
            ..pinned(&[B256::repeat_byte(0xaa)])
        },
        dom(),
        router_key(),
    );
    let p = provider();
    state.bid(sign(&p, bid(&p, 7, 1, NOW + 60)), NOW).unwrap();
    state.set_chain_record(p.address(), staked(), NOW);
    let why = state.unselectable(p.address(), MODEL, NOW).unwrap();
    assert!(why.contains("whose weights hashes are pinned"), "{why}");
}
