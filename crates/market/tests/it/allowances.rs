//! Allowances (SPEC 3): a ticket holds TokenMax of the user's day; the report settles the hold
//! at the credited tokens, and a ticket never reported is charged at TokenMax.

use alloy_primitives::U256;
use yellowstone_market::{
    allowance::Allowance,
    records::{Change, TicketStatus},
    state::Rules,
};

use crate::fixture::*;

#[test]
fn issuing_a_ticket_holds_token_max_of_the_allowance() {
    let mut m = Market::new();
    let issued = m.open(&user(), 1, 500, &provider(), NOW);
    assert_eq!(
        m.allowance(&user()),
        Allowance {
            allowance: ALLOWANCE,
            used: 0,
            held: 500
        }
    );
    m.open(&user(), 2, 300, &provider(), NOW);
    assert_eq!(m.allowance(&user()).held, 800);
    assert_eq!(
        m.state.ticket(issued.request_id).unwrap().status,
        TicketStatus::Open
    );
    assert_eq!(m.state.open_tickets(), 2);
}

#[test]
fn a_ticket_the_allowance_cannot_cover_is_refused_and_nothing_is_held() {
    let mut m = Market::new();
    let poor = key(7);
    m.allow(&poor, 100, NOW);
    let checked = m
        .state
        .check_rfc(rfc(&poor, 1, 101, NOW + 60), NOW)
        .unwrap();
    refused(
        m.state.issue(&checked, provider().address(), NOW),
        429,
        "allowance_exhausted",
    );
    let a = m.state.allowance(DAY0, poor.address()).unwrap().allowance;
    assert_eq!((a.used, a.held), (0, 0));
    // The nonce was not spent: the same RFC fits once smaller requests are gone.
    m.state
        .check_rfc(rfc(&poor, 1, 101, NOW + 60), NOW)
        .unwrap();
    let checked = m
        .state
        .check_rfc(rfc(&poor, 2, 100, NOW + 60), NOW)
        .unwrap();
    m.state.issue(&checked, provider().address(), NOW).unwrap();
    let checked = m.state.check_rfc(rfc(&poor, 3, 1, NOW + 60), NOW).unwrap();
    refused(
        m.state.issue(&checked, provider().address(), NOW),
        429,
        "allowance_exhausted",
    );
}

#[test]
fn a_credited_report_releases_the_hold_and_charges_the_credited_tokens() {
    let mut m = Market::new();
    let issued = m.open(&user(), 1, 1_000, &provider(), NOW);
    assert_eq!(m.allowance(&user()).held, 1_000);
    m.report(
        &user(),
        &provider(),
        issued.request_id,
        400,
        400,
        400,
        true,
        NOW,
    );
    assert_eq!(
        m.allowance(&user()),
        Allowance {
            allowance: ALLOWANCE,
            used: 400,
            held: 0
        }
    );
}

#[test]
fn an_unreported_ticket_is_charged_at_token_max_once_its_report_window_closes() {
    let mut m = Market::new();
    let issued = m.open(&user(), 1, 700, &provider(), NOW);
    let id = issued.request_id;
    let closes = issued.ticket.message.expiry + Rules::default().report_seconds;
    assert!(m.state.sweep(closes).is_empty(), "the window is still open");
    assert_eq!(m.allowance(&user()).held, 700);

    let changes = m.state.sweep(closes + 1);
    assert!(matches!(
        &changes[..],
        [Change::Ticket(t), Change::Allowance(a)]
            if t.status == TicketStatus::Expired && a.allowance.used == 700 && a.allowance.held == 0
    ));
    assert_eq!(
        m.allowance(&user()),
        Allowance {
            allowance: ALLOWANCE,
            used: 700,
            held: 0
        }
    );
    assert_eq!(m.state.ticket(id).unwrap().status, TicketStatus::Expired);
    // Exactly once.
    assert!(m.state.sweep(closes + 2).is_empty());
    assert_eq!(m.allowance(&user()).used, 700);
    // And a report after that is refused.
    refused(
        m.state.report(
            report(&user(), id, 100, 100, true),
            Some(receipt(&provider(), id, 100)),
            closes + 2,
        ),
        410,
        "expired",
    );
    assert_eq!(m.state.pending_credit(), (U256::ZERO, 0));
}

#[test]
fn a_sweep_leaves_reported_tickets_and_other_holds_alone() {
    let mut m = Market::new();
    let done = m.serve(&provider(), 1, 100, NOW);
    let late = m.open(&user(), 2, 50, &provider(), NOW + 500);
    let changes = m.state.sweep(NOW + 120 + 900 + 1);
    assert!(changes.is_empty(), "{changes:?}");
    assert_eq!(m.state.ticket(done).unwrap().status, TicketStatus::Reported);
    assert_eq!(
        m.state.ticket(late.request_id).unwrap().status,
        TicketStatus::Open
    );
    assert_eq!(m.allowance(&user()).held, 50);
}
