//! Allowances (SPEC 3 and 8): held in MOR wei. A ticket holds `tokenMax × price` of the user's
//! day; its settlement charges what was delivered, whatever the verdict: the receipt when the
//! router holds one, else the user's count on a pass, nothing on a fail, and `tokenMax` for a
//! ticket never reported. A receipt that lands after its ticket was settled charges what it
//! adds to that settlement. The day held is the day the allowance was computed, even across
//! midnight.

use alloy_primitives::U256;
use yellowstone_api::{Refusal, Verdict};
use yellowstone_market::{
    allowance::Allowance,
    records::{Change, TicketStatus},
    state::Rules,
};

use crate::fixture::*;

/// `tokens` at the fixture's bid price, in wei.
fn at_price(tokens: u64) -> U256 {
    u(tokens * PRICE)
}

#[test]
fn issuing_a_ticket_holds_token_max_times_the_price_of_the_allowance() {
    let mut m = Market::new();
    let issued = m.open(&user(), 1, 500, &provider(), NOW);
    assert_eq!(
        m.allowance(&user()),
        Allowance {
            allowance: u(ALLOWANCE),
            used: U256::ZERO,
            held: at_price(500)
        }
    );
    m.open(&user(), 2, 300, &provider(), NOW);
    assert_eq!(m.allowance(&user()).held, at_price(800));
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
    m.allow(&poor, 100 * PRICE, NOW);
    let checked = m
        .state
        .check_rfc(rfc(&poor, 1, 101, NOW + 60), NOW)
        .unwrap();
    let e = refused(
        m.state.issue(&checked, provider().address(), NOW),
        429,
        "allowance_exhausted",
    );
    assert!(
        e.message.contains("700 wei left") && e.message.contains("707 wei asked"),
        "{e}"
    );
    let a = m.state.allowance(DAY0, poor.address()).unwrap().allowance;
    assert_eq!((a.used, a.held), (U256::ZERO, U256::ZERO));
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
fn one_tokens_worth_of_allowance_cannot_hold_two_tickets() {
    let mut m = Market::new();
    let poor = key(7);
    m.allow(&poor, PRICE, NOW);
    m.open(&poor, 1, 1, &provider(), NOW);
    let checked = m.state.check_rfc(rfc(&poor, 2, 1, NOW + 60), NOW).unwrap();
    refused(
        m.state.issue(&checked, provider().address(), NOW),
        429,
        "allowance_exhausted",
    );
    let a = m.state.allowance(DAY0, poor.address()).unwrap().allowance;
    assert_eq!((a.held, a.left()), (at_price(1), U256::ZERO));
}

#[test]
fn a_dearer_provider_holds_more_of_the_same_allowance() {
    let mut m = Market::new();
    let dear = other_provider();
    m.add_provider(&dear, 3 * PRICE);
    let poor = key(7);
    m.allow(&poor, 100 * PRICE, NOW);
    // 100 tokens at PRICE fit; 34 tokens at three times the price do not.
    let checked = m.state.check_rfc(rfc(&poor, 1, 34, NOW + 60), NOW).unwrap();
    refused(
        m.state.issue(&checked, dear.address(), NOW),
        429,
        "allowance_exhausted",
    );
    m.open(&poor, 2, 33, &dear, NOW);
    assert_eq!(
        m.state
            .allowance(DAY0, poor.address())
            .unwrap()
            .allowance
            .left(),
        at_price(1)
    );
}

#[test]
fn a_token_max_whose_hold_overflows_256_bits_is_refused_not_wrapped() {
    // Only an operator who lifts every price bound lets such a price reach a ticket; the hold
    // must still never wrap to a small number.
    let rules = Rules {
        max_price_per_token: U256::MAX,
        reference_prices: [(MODEL.to_string(), U256::MAX / u(2))].into(),
        ..Rules::default()
    };
    let mut m = Market::with(rules);
    let absurd = other_provider();
    m.add_provider(&absurd, PRICE);
    let mut high = bid(&absurd, 0, 2, NOW + DAY);
    high.pricePerToken = U256::MAX / u(2);
    m.state.bid(sign(&absurd, high), NOW).unwrap();
    let rich = key(7);
    m.state
        .set_allowance(yellowstone_market::records::AllowanceRecord {
            allowance: Allowance {
                allowance: U256::MAX,
                ..Allowance::default()
            },
            ..allowance_record(rich.address(), DAY0, 0)
        });
    let checked = m.state.check_rfc(rfc(&rich, 1, 3, NOW + 60), NOW).unwrap();
    let e = refused(
        m.state.issue(&checked, absurd.address(), NOW),
        400,
        "invalid",
    );
    assert!(e.message.contains("overflows 256 bits"), "{e}");
    let a = m.state.allowance(DAY0, rich.address()).unwrap().allowance;
    assert_eq!(
        (a.used, a.held),
        (U256::ZERO, U256::ZERO),
        "nothing wrapped"
    );
}

#[test]
fn a_credited_report_releases_the_hold_and_charges_the_delivered_tokens() {
    let mut m = Market::new();
    let issued = m.open(&user(), 1, 1_000, &provider(), NOW);
    assert_eq!(m.allowance(&user()).held, at_price(1_000));
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
            allowance: u(ALLOWANCE),
            used: at_price(400),
            held: U256::ZERO
        }
    );
}

#[test]
fn a_fail_after_a_full_answer_with_a_receipt_is_charged_the_receipt() {
    // Attack (fails are free): a whole answer, then "fail" to keep the allowance.
    let mut m = Market::new();
    let issued = m.open(&user(), 1, 500, &provider(), NOW);
    m.report(
        &user(),
        &provider(),
        issued.request_id,
        480,
        480,
        480,
        false,
        NOW,
    );
    assert_eq!(m.allowance(&user()).used, at_price(480));
    assert_eq!(m.state.pending_credit(), (U256::ZERO, 0), "no credit");
}

#[test]
fn a_fail_without_attaching_the_receipt_the_provider_posted_is_charged_the_receipt() {
    let mut m = Market::new();
    let issued = m.open(&user(), 1, 500, &provider(), NOW);
    let id = issued.request_id;
    m.state.receipt(receipt(&provider(), id, 480)).unwrap();
    m.state
        .report(report(&user(), id, 0, 480, false), None, NOW)
        .unwrap();
    assert_eq!(m.allowance(&user()).used, at_price(480));
}

#[test]
fn a_pass_claiming_one_token_of_a_full_answer_is_charged_the_receipt() {
    // Attack: the user under-counts; the provider is credited 1 token, the user pays 480.
    let mut m = Market::new();
    let issued = m.open(&user(), 1, 500, &provider(), NOW);
    m.report(
        &user(),
        &provider(),
        issued.request_id,
        1,
        480,
        1,
        true,
        NOW,
    );
    assert_eq!(m.allowance(&user()).used, at_price(480));
}

#[test]
fn without_a_receipt_a_fail_is_free_and_a_pass_pays_the_users_count() {
    let mut m = Market::new();
    let failed = m.open(&user(), 1, 500, &provider(), NOW);
    m.state
        .report(
            report(&user(), failed.request_id, 500, 480, false),
            None,
            NOW,
        )
        .unwrap();
    assert_eq!(m.allowance(&user()).used, U256::ZERO);
    let passed = m.open(&user(), 2, 500, &provider(), NOW);
    m.state
        .report(
            report(&user(), passed.request_id, 200, 480, true),
            None,
            NOW,
        )
        .unwrap();
    assert_eq!(
        m.allowance(&user()),
        Allowance {
            allowance: u(ALLOWANCE),
            used: at_price(200),
            held: U256::ZERO
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
    assert_eq!(m.allowance(&user()).held, at_price(700));

    let changes = m.state.sweep(closes + 1);
    assert!(matches!(
        &changes[..],
        [Change::Ticket(t), Change::Allowance(a)]
            if t.status == TicketStatus::Expired
                && a.allowance.used == at_price(700)
                && a.allowance.held.is_zero()
    ));
    assert_eq!(
        m.allowance(&user()),
        Allowance {
            allowance: u(ALLOWANCE),
            used: at_price(700),
            held: U256::ZERO
        }
    );
    assert_eq!(m.state.ticket(id).unwrap().status, TicketStatus::Expired);
    // Exactly once.
    assert!(m.state.sweep(closes + 2).is_empty());
    assert_eq!(m.allowance(&user()).used, at_price(700));
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
fn an_unreported_ticket_with_a_receipt_is_charged_the_receipt_not_token_max() {
    let mut m = Market::new();
    let issued = m.open(&user(), 1, 700, &provider(), NOW);
    m.state
        .receipt(receipt(&provider(), issued.request_id, 90))
        .unwrap();
    let closes = issued.ticket.message.expiry + Rules::default().report_seconds;
    m.state.sweep(closes + 1);
    assert_eq!(
        m.allowance(&user()),
        Allowance {
            allowance: u(ALLOWANCE),
            used: at_price(90),
            held: U256::ZERO
        }
    );
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
    assert_eq!(m.allowance(&user()).held, at_price(50));
}

#[test]
fn a_request_checked_before_midnight_and_issued_after_holds_the_days_allowance() {
    // Attack/bug: the gate checks at 23:59:59, the ticket is issued at 00:00:01 (a wait at the
    // gate, a slow probe). It used to look up the new day's allowance, find none and answer 500.
    let mut m = Market::new();
    let midnight = (DAY0 + 1) * DAY;
    let checked = m
        .state
        .check_rfc(rfc(&user(), 1, 100, midnight + 60), midnight - 1)
        .unwrap();
    assert_eq!(checked.day, DAY0);
    let (issued, _) = m
        .state
        .issue(&checked, provider().address(), midnight + 1)
        .unwrap();
    let ticket = m.state.ticket(issued.request_id).unwrap().clone();
    assert_eq!(
        ticket.day, DAY0,
        "held on the day the allowance was computed"
    );
    assert_eq!(m.allowance(&user()).held, at_price(100));
    assert!(m.state.allowance(DAY0 + 1, user().address()).is_none());
    // The report, on the new day, settles the old day's hold.
    m.report(
        &user(),
        &provider(),
        issued.request_id,
        60,
        60,
        60,
        true,
        midnight + 2,
    );
    let a = m.allowance(&user());
    assert_eq!((a.used, a.held), (at_price(60), U256::ZERO));
}

#[test]
fn a_check_from_two_days_ago_is_refused_rather_than_held_on_a_forgotten_day() {
    let mut m = Market::new();
    let checked = m
        .state
        .check_rfc(rfc(&user(), 1, 100, NOW + 60), NOW)
        .unwrap();
    let e = refused(
        m.state.issue(&checked, provider().address(), NOW + 2 * DAY),
        410,
        "expired",
    );
    assert!(e.message.contains("check it again"), "{e}");
    assert_eq!(m.allowance(&user()).held, U256::ZERO);
}

#[test]
fn a_fail_reported_before_the_providers_receipt_lands_is_charged_the_receipt_when_it_lands() {
    // Attack (late receipts): the gateway posts its receipt asynchronously; the user reports
    // fail, without the receipt, before the post lands, to get the whole answer for nothing.
    let mut m = Market::new();
    let issued = m.open(&user(), 1, 500, &provider(), NOW);
    let id = issued.request_id;
    let (verdict, _) = m
        .state
        .report(report(&user(), id, 0, 480, false), None, NOW)
        .unwrap();
    assert_eq!(m.allowance(&user()).used, U256::ZERO, "nothing proven yet");
    assert_eq!(m.state.ticket(id).unwrap().charged, U256::ZERO);

    let changes = m.state.receipt(receipt(&provider(), id, 480)).unwrap();
    assert_eq!(
        m.allowance(&user()),
        Allowance {
            allowance: u(ALLOWANCE),
            used: at_price(480),
            held: U256::ZERO
        }
    );
    let t = m.state.ticket(id).unwrap();
    assert_eq!(
        (t.status, t.charged),
        (TicketStatus::Reported, at_price(480))
    );
    assert!(matches!(
        &changes[..],
        [Change::Receipt(r), Change::Ticket(t), Change::Allowance(a)]
            if r.tokens == 480 && t.charged == at_price(480) && a.allowance.used == at_price(480)
    ));
    // The verdict stands: a fail credits the provider nothing, receipt or not.
    assert!(matches!(
        verdict,
        Verdict::Refused {
            reason: Refusal::Failed
        }
    ));
    assert_eq!(m.state.pending_credit(), (U256::ZERO, 0));
    // The first receipt stands: a second one charges nothing more.
    assert!(m
        .state
        .receipt(receipt(&provider(), id, 500))
        .unwrap()
        .is_empty());
    assert_eq!(m.allowance(&user()).used, at_price(480));
}

#[test]
fn a_pass_without_a_receipt_pays_the_rest_of_the_receipt_when_it_lands_and_is_never_refunded() {
    let mut m = Market::new();
    let under = m.open(&user(), 1, 500, &provider(), NOW).request_id;
    let (verdict, _) = m
        .state
        .report(report(&user(), under, 200, 480, true), None, NOW)
        .unwrap();
    assert!(matches!(
        verdict,
        Verdict::Refused {
            reason: Refusal::NoReceipt
        }
    ));
    assert_eq!(m.state.ticket(under).unwrap().charged, at_price(200));
    m.state.receipt(receipt(&provider(), under, 480)).unwrap();
    assert_eq!(
        m.allowance(&user()).used,
        at_price(480),
        "200 + the 280 more delivered"
    );
    assert_eq!(
        m.state.pending_credit(),
        (U256::ZERO, 0),
        "still no_receipt: no credit"
    );

    // A receipt for fewer tokens than the user's own count refunds nothing.
    let over = m.open(&user(), 2, 500, &provider(), NOW).request_id;
    m.state
        .report(report(&user(), over, 300, 480, true), None, NOW)
        .unwrap();
    let changes = m.state.receipt(receipt(&provider(), over, 100)).unwrap();
    assert!(matches!(&changes[..], [Change::Receipt(_)]), "{changes:?}");
    assert_eq!(m.allowance(&user()).used, at_price(480 + 300));
    assert_eq!(m.state.ticket(over).unwrap().charged, at_price(300));
}

#[test]
fn a_late_receipt_is_charged_even_when_the_allowance_is_spent_and_then_nothing_is_left() {
    // The fail freed the hold, and the user spent it on a second ticket before the receipt
    // landed: what was delivered is still paid for, so used + held may exceed the allowance.
    let mut m = Market::new();
    let poor = key(7);
    m.allow(&poor, 100 * PRICE, NOW);
    let first = m.open(&poor, 1, 100, &provider(), NOW).request_id;
    m.state
        .report(report(&poor, first, 0, 480, false), None, NOW)
        .unwrap();
    m.open(&poor, 2, 100, &provider(), NOW);
    m.state.receipt(receipt(&provider(), first, 100)).unwrap();
    let a = m.state.allowance(DAY0, poor.address()).unwrap().allowance;
    assert_eq!(
        (a.allowance, a.used, a.held, a.left()),
        (at_price(100), at_price(100), at_price(100), U256::ZERO)
    );
    let checked = m.state.check_rfc(rfc(&poor, 3, 1, NOW + 60), NOW).unwrap();
    refused(
        m.state.issue(&checked, provider().address(), NOW),
        429,
        "allowance_exhausted",
    );
}

#[test]
fn a_receipt_landing_after_the_sweep_is_already_covered_by_the_sweeps_token_max_charge() {
    let mut m = Market::new();
    let issued = m.open(&user(), 1, 700, &provider(), NOW);
    let id = issued.request_id;
    let closes = issued.ticket.message.expiry + Rules::default().report_seconds;
    m.state.sweep(closes + 1);
    let t = m.state.ticket(id).unwrap();
    assert_eq!(
        (t.status, t.charged),
        (TicketStatus::Expired, at_price(700))
    );
    let changes = m.state.receipt(receipt(&provider(), id, 700)).unwrap();
    assert!(matches!(&changes[..], [Change::Receipt(_)]), "{changes:?}");
    assert_eq!(
        m.allowance(&user()).used,
        at_price(700),
        "charged once, at tokenMax"
    );
    // Once the ticket is forgotten, a receipt has nothing to settle.
    m.state.sweep(closes + 3_601);
    assert!(m.state.ticket(id).is_none());
    refused(
        m.state.receipt(receipt(&provider(), id, 700)),
        404,
        "not_found",
    );
    assert_eq!(m.allowance(&user()).used, at_price(700));
}

#[test]
fn what_a_reported_ticket_was_charged_survives_a_restart_and_a_late_receipt_adds_only_the_rest() {
    let mut m = Market::new();
    let id = m.open(&user(), 1, 500, &provider(), NOW).request_id;
    let (_, changes) = m
        .state
        .report(report(&user(), id, 200, 480, true), None, NOW)
        .unwrap();
    m.log.extend(changes);
    let mut restarted = restored(Rules::default(), &m.log);
    assert_eq!(restarted.ticket(id).unwrap().charged, at_price(200));
    restarted.receipt(receipt(&provider(), id, 480)).unwrap();
    let a = restarted
        .allowance(DAY0, user().address())
        .unwrap()
        .allowance;
    assert_eq!((a.used, a.held), (at_price(480), U256::ZERO));
}
