//! Tickets (SPEC 4 steps 2-6): an RFC is admitted once, signed by its user, within its
//! deadline and size; its ticket is signed by the router at the bid's price.

use yellowstone_market::{records::Change, state::Rules};
use yellowstone_protocol::messages::request_id;

use crate::fixture::*;

#[test]
fn an_rfc_past_its_deadline_is_refused() {
    let m = Market::new();
    refused(
        m.state.check_rfc(rfc(&user(), 1, 10, NOW - 1), NOW),
        410,
        "expired",
    );
    m.state.check_rfc(rfc(&user(), 1, 10, NOW), NOW).unwrap();
}

#[test]
fn an_rfc_whose_deadline_is_too_far_ahead_is_refused() {
    let m = Market::new();
    refused(
        m.state.check_rfc(rfc(&user(), 1, 10, NOW + 601), NOW),
        400,
        "invalid",
    );
    m.state
        .check_rfc(rfc(&user(), 1, 10, NOW + 600), NOW)
        .unwrap();
}

#[test]
fn an_rfc_asking_for_zero_tokens_or_more_than_the_maximum_is_refused() {
    let m = Market::new();
    refused(
        m.state.check_rfc(rfc(&user(), 1, 0, NOW + 60), NOW),
        400,
        "invalid",
    );
    refused(
        m.state.check_rfc(rfc(&user(), 1, 32_769, NOW + 60), NOW),
        400,
        "invalid",
    );
    m.state
        .check_rfc(rfc(&user(), 1, 32_768, NOW + 60), NOW)
        .unwrap();
}

#[test]
fn an_rfc_signed_by_anyone_but_its_user_is_refused() {
    let m = Market::new();
    let mut forged = rfc(&user(), 1, 10, NOW + 60);
    forged.signature = rfc(&other_user(), 1, 10, NOW + 60).signature;
    refused(m.state.check_rfc(forged, NOW), 401, "bad_signature");
}

#[test]
fn a_replayed_rfc_nonce_is_refused() {
    let mut m = Market::new();
    let signed = rfc(&user(), 1, 10, NOW + 60);
    let checked = m.state.check_rfc(signed.clone(), NOW).unwrap();
    // Checked twice before issue: both pass the check, only one is issued.
    let twin = m.state.check_rfc(signed.clone(), NOW).unwrap();
    m.state.issue(&checked, provider().address(), NOW).unwrap();
    refused(
        m.state.issue(&twin, provider().address(), NOW),
        409,
        "replayed",
    );
    refused(m.state.check_rfc(signed, NOW + 1), 409, "replayed");
    // The same nonce with other fields is still the same nonce.
    refused(
        m.state.check_rfc(rfc(&user(), 1, 20, NOW + 90), NOW + 1),
        409,
        "replayed",
    );
    // Another user's nonce 1 is theirs.
    m.state
        .check_rfc(rfc(&other_user(), 1, 10, NOW + 60), NOW)
        .unwrap();
    assert_eq!(m.allowance(&user()).held, u(10 * PRICE), "held once");
}

#[test]
fn a_ticket_is_signed_by_the_router_with_the_bids_price_and_the_ticket_lifetime() {
    let mut m = Market::new();
    let signed = rfc(&user(), 1, 500, NOW + 60);
    let checked = m.state.check_rfc(signed.clone(), NOW).unwrap();
    let (issued, changes) = m.state.issue(&checked, provider().address(), NOW).unwrap();
    let router = router_key().address();
    assert_eq!(m.state.router(), router);
    assert_eq!(issued.ticket.verify(&dom(), Some(router)), Ok(router));
    assert!(issued
        .ticket
        .verify(&dom(), Some(key(5).address()))
        .is_err());
    let t = &issued.ticket.message;
    assert_eq!(t.pricePerToken, u(PRICE));
    assert_eq!(t.expiry, NOW + Rules::default().ticket_seconds);
    assert_eq!(t.tokenMax, 500);
    assert_eq!(
        (t.user, t.provider),
        (user().address(), provider().address())
    );
    assert_eq!(t.model, MODEL);
    assert_eq!(issued.endpoint, "http://provider.example");
    // The request id is the RFC's EIP-712 digest.
    let id = request_id(&signed.message, &dom());
    assert_eq!(issued.request_id, id);
    assert_eq!(checked.request_id, id);
    assert_eq!(t.requestId, id);
    assert!(matches!(
        &changes[..],
        [Change::Nonce { nonce: 1, .. }, Change::Allowance(_), Change::Ticket(r)]
            if r.request_id == id && r.price == u(PRICE) && r.day == DAY0
    ));
}

#[test]
fn a_ticket_for_a_provider_without_a_bid_is_refused() {
    let mut m = Market::new();
    let checked = m
        .state
        .check_rfc(rfc(&user(), 1, 10, NOW + 60), NOW)
        .unwrap();
    refused(
        m.state.issue(&checked, other_provider().address(), NOW),
        503,
        "no_provider",
    );
    assert_eq!(m.allowance(&user()).held, u(0));
}

#[test]
fn a_provider_is_never_ticketed_to_its_own_request() {
    let mut m = Market::new();
    m.allow(&provider(), ALLOWANCE, NOW);
    let checked = m
        .state
        .check_rfc(rfc(&provider(), 1, 10, NOW + 60), NOW)
        .unwrap();
    refused(
        m.state.issue(&checked, provider().address(), NOW),
        403,
        "forbidden",
    );
    assert_eq!(m.allowance(&provider()).held, u(0), "nothing held");
    // The nonce is not spent: the same RFC can still go to another provider.
    m.add_provider(&other_provider(), PRICE);
    m.state
        .issue(&checked, other_provider().address(), NOW)
        .unwrap();
}

/// Each state counts its own secp256k1 work (one recovery per RFC checked, one signature per
/// ticket issued), so two routers in one process never count each other's.
#[test]
fn each_state_counts_only_its_own_signature_work() {
    let mut busy = Market::new();
    let idle = Market::new();
    let (recovered, made) = (
        busy.state.signatures().recovered(),
        busy.state.signatures().made(),
    );
    busy.open(&user(), 1, 10, &provider(), NOW);
    assert_eq!(busy.state.signatures().recovered(), recovered + 1);
    assert_eq!(busy.state.signatures().made(), made + 1);
    assert_eq!(idle.state.signatures().recovered(), recovered);
    assert_eq!(idle.state.signatures().made(), made);
}
