//! Receipts and reports (SPEC 4 steps 9-10): one report per request, from its user, within the
//! report window; the credit is the smallest of the counts times the price, and only a passing,
//! fast enough request earns it.

use alloy_primitives::{B256, U256};
use yellowstone_api::{Refusal, Verdict};
use yellowstone_market::{
    allowance::Allowance,
    judge::JudgePolicy,
    records::{Change, TicketStatus},
    state::Rules,
};

use crate::fixture::*;

// ---- receipts -------------------------------------------------------------------------------

#[test]
fn a_receipt_from_a_provider_other_than_the_tickets_is_refused() {
    let mut m = Market::new();
    let issued = m.open(&user(), 1, 100, &provider(), NOW);
    refused(
        m.state
            .receipt(receipt(&other_provider(), issued.request_id, 50)),
        403,
        "forbidden",
    );
    // Signed by another key in the ticketed provider's name.
    let mut forged = receipt(&provider(), issued.request_id, 50);
    forged.signature = receipt(&other_provider(), issued.request_id, 50).signature;
    refused(m.state.receipt(forged), 401, "bad_signature");
}

#[test]
fn a_receipt_for_an_unknown_request_is_refused() {
    let mut m = Market::new();
    refused(
        m.state
            .receipt(receipt(&provider(), B256::repeat_byte(0x42), 50)),
        404,
        "not_found",
    );
}

#[test]
fn the_first_receipt_stands() {
    let mut m = Market::new();
    let issued = m.open(&user(), 1, 100, &provider(), NOW);
    let id = issued.request_id;
    let first = m.state.receipt(receipt(&provider(), id, 50)).unwrap();
    assert!(matches!(&first[..], [Change::Receipt(r)] if r.tokens == 50));
    assert!(m
        .state
        .receipt(receipt(&provider(), id, 80))
        .unwrap()
        .is_empty());
    // A report without a receipt of its own uses the receipt on file.
    let (verdict, _) = m
        .state
        .report(report(&user(), id, 100, 100, true), None, NOW + 5)
        .unwrap();
    credited(50, PRICE, &verdict);
}

// ---- reports --------------------------------------------------------------------------------

#[test]
fn a_report_from_another_user_is_refused() {
    let mut m = Market::new();
    let issued = m.open(&user(), 1, 100, &provider(), NOW);
    refused(
        m.state.report(
            report(&other_user(), issued.request_id, 100, 100, true),
            None,
            NOW,
        ),
        403,
        "forbidden",
    );
    assert_eq!(
        m.state.ticket(issued.request_id).unwrap().status,
        TicketStatus::Open
    );
}

#[test]
fn a_report_for_an_unknown_request_is_refused() {
    let mut m = Market::new();
    refused(
        m.state.report(
            report(&user(), B256::repeat_byte(0x42), 1, 1, true),
            None,
            NOW,
        ),
        404,
        "not_found",
    );
}

#[test]
fn a_second_report_is_refused() {
    let mut m = Market::new();
    let id = m.serve(&provider(), 1, 100, NOW);
    refused(
        m.state.report(
            report(&user(), id, 100, 100, true),
            Some(receipt(&provider(), id, 100)),
            NOW + 1,
        ),
        409,
        "replayed",
    );
    assert_eq!(m.state.pending_of(provider().address()), u(100 * PRICE));
}

#[test]
fn a_report_after_the_report_window_is_refused() {
    let mut m = Market::new();
    let issued = m.open(&user(), 1, 100, &provider(), NOW);
    let closes = issued.ticket.message.expiry + Rules::default().report_seconds;
    let late = m.state.report(
        report(&user(), issued.request_id, 100, 100, true),
        Some(receipt(&provider(), issued.request_id, 100)),
        closes + 1,
    );
    refused(late, 410, "expired");
    // At the last second it is still accepted.
    let (verdict, _) = m
        .state
        .report(
            report(&user(), issued.request_id, 100, 100, true),
            Some(receipt(&provider(), issued.request_id, 100)),
            closes,
        )
        .unwrap();
    credited(100, PRICE, &verdict);
}

#[test]
fn credited_tokens_are_the_smallest_of_the_users_count_the_receipt_and_token_max_times_price() {
    let mut m = Market::new();
    let p = provider();
    for (nonce, (user_count, receipt_count, token_max, want)) in
        [(90, 80, 100, 80), (70, 80, 100, 70), (200, 100, 100, 100)]
            .into_iter()
            .enumerate()
    {
        let issued = m.open(&user(), nonce as u64, token_max, &p, NOW);
        let verdict = m.report(
            &user(),
            &p,
            issued.request_id,
            user_count,
            receipt_count,
            100,
            true,
            NOW,
        );
        credited(want, PRICE, &verdict);
    }
    assert_eq!(m.state.pending_of(p.address()), u((80 + 70 + 100) * PRICE));
    assert_eq!(m.state.day_volume(DAY0), (u(250 * PRICE), 250));
}

#[test]
fn a_receipt_for_more_tokens_than_the_ticket_allows_is_refused() {
    let mut m = Market::new();
    let p = provider();
    let issued = m.open(&user(), 1, 100, &p, NOW);
    let err = m
        .state
        .receipt(receipt(&p, issued.request_id, 101))
        .unwrap_err();
    assert_eq!((err.status, err.code), (400, "invalid"), "{err:?}");
    assert!(
        err.message.contains("101 tokens") && err.message.contains("at most 100"),
        "{err:?}"
    );
    // Exactly TokenMax stands.
    assert!(!m
        .state
        .receipt(receipt(&p, issued.request_id, 100))
        .unwrap()
        .is_empty());
}

#[test]
fn a_user_claiming_more_tokens_than_the_receipt_gets_the_receipts_count() {
    let mut m = Market::new();
    let issued = m.open(&user(), 1, 1_000, &provider(), NOW);
    let verdict = m.report(
        &user(),
        &provider(),
        issued.request_id,
        900,
        300,
        300,
        true,
        NOW,
    );
    credited(300, PRICE, &verdict);
    assert_eq!(m.allowance(&user()).used, u(300 * PRICE));
}

#[test]
fn a_report_without_a_receipt_earns_nothing_and_charges_the_tokens_the_user_says_arrived() {
    let mut m = Market::new();
    let issued = m.open(&user(), 1, 100, &provider(), NOW);
    let (verdict, changes) = m
        .state
        .report(
            report(&user(), issued.request_id, 100, 100, true),
            None,
            NOW,
        )
        .unwrap();
    assert_eq!(
        verdict,
        Verdict::Refused {
            reason: Refusal::NoReceipt
        }
    );
    assert_eq!(
        m.allowance(&user()),
        Allowance {
            allowance: u(ALLOWANCE),
            used: u(100 * PRICE),
            held: U256::ZERO
        }
    );
    assert!(!changes.iter().any(|c| matches!(c, Change::Credit(_))));
    assert_eq!(m.state.pending_credit(), (U256::ZERO, 0));
    assert_eq!(
        m.state.ticket(issued.request_id).unwrap().status,
        TicketStatus::Reported
    );
}

#[test]
fn a_failed_report_earns_nothing_and_counts_a_fail_but_one_user_cannot_back_off() {
    let mut m = Market::new();
    let p = provider();
    let issued = m.open(&user(), 1, 100, &p, NOW);
    let verdict = m.report(&user(), &p, issued.request_id, 100, 100, 100, false, NOW);
    assert_eq!(
        verdict,
        Verdict::Refused {
            reason: Refusal::Failed
        }
    );
    let info = m.state.provider(p.address()).unwrap();
    assert_eq!((info.score.passes, info.score.fails), (0, 1));
    assert_eq!(m.state.unselectable(p.address(), MODEL, NOW), None);
    assert_eq!(m.state.pending_credit(), (U256::ZERO, 0));
    // The receipt says 100 tokens were delivered: the fail withholds the credit, not the charge.
    assert_eq!(m.allowance(&user()).used, u(100 * PRICE));
    assert_eq!(m.allowance(&user()).held, U256::ZERO);
    assert!(
        !m.log.iter().any(|c| matches!(c, Change::Speed { .. })),
        "a fail is no speed sample"
    );
}

#[test]
fn fails_from_three_users_within_the_memory_back_the_provider_off() {
    let mut m = Market::new();
    let p = provider();
    let third = key(5);
    m.allow(&third, ALLOWANCE, NOW);
    for (n, who) in [user(), other_user(), third].iter().enumerate() {
        let now = NOW + n as u64;
        let issued = m.open(who, 1, 100, &p, now);
        m.report(who, &p, issued.request_id, 100, 100, 100, false, now);
        let why = m.state.unselectable(p.address(), MODEL, now);
        if n < 2 {
            assert_eq!(why, None, "{n} users");
        } else {
            assert!(why.unwrap().contains("backed off"));
        }
    }
    let score = m.state.provider(p.address()).unwrap().score;
    assert_eq!(score.fails, 3);
}

#[test]
fn after_the_warm_up_a_report_slower_than_the_limit_is_refused() {
    let mut m = Market::with(Rules {
        judge: JudgePolicy {
            warmup: 2,
            ..JudgePolicy::default()
        },
        ..Rules::default()
    });
    let p = provider();
    // Warm-up: two users, 100 tokens in 100 ms each (no first-token time: 1 ms a token
    // after the first, E(100) = 99 ms).
    for (nonce, who) in [(1, user()), (2, other_user())] {
        let issued = m.open(&who, nonce, 100, &p, NOW);
        let v = m.report(&who, &p, issued.request_id, 100, 100, 99, true, NOW);
        credited(100, PRICE, &v);
    }
    // Twice that is more than 50% slower: refused, and counted as a fail.
    let issued = m.open(&user(), 3, 100, &p, NOW);
    let v = m.report(&user(), &p, issued.request_id, 100, 100, 198, true, NOW);
    assert_eq!(
        v,
        Verdict::Refused {
            reason: Refusal::TooSlow {
                elapsed_ms: 198,
                expected_ms: 99,
                limit_ms: 148
            }
        }
    );
    let score = m.state.provider(p.address()).unwrap().score;
    assert_eq!((score.passes, score.fails), (2, 1));
    // The refused one entered the window too (the window learns from every passed report):
    // E(100) = (99 + 99 + 198) / 3 = 132 ms, so 198 ms is now exactly at the limit.
    let issued = m.open(&other_user(), 4, 100, &p, NOW);
    let v = m.report(
        &other_user(),
        &p,
        issued.request_id,
        100,
        100,
        198,
        true,
        NOW,
    );
    credited(100, PRICE, &v);
    // Too slow is not a failure to answer: no back-off.
    assert_eq!(m.state.unselectable(p.address(), MODEL, NOW), None);
}

#[test]
fn during_the_warm_up_pass_alone_decides() {
    let mut m = Market::new();
    let p = provider();
    for (nonce, elapsed) in [(1, 100), (2, 100_000)] {
        let issued = m.open(&user(), nonce, 100, &p, NOW);
        let later = NOW + 100;
        let v = m.report(
            &user(),
            &p,
            issued.request_id,
            100,
            100,
            elapsed,
            true,
            later,
        );
        credited(100, PRICE, &v);
    }
}

#[test]
fn a_credited_report_returns_the_report_ticket_allowance_credit_and_work_records() {
    let mut m = Market::new();
    let p = provider();
    let issued = m.open(&user(), 1, 1_000, &p, NOW);
    let id = issued.request_id;
    let (_, changes) = m
        .state
        .report(
            report(&user(), id, 400, 400, true),
            Some(receipt(&p, id, 400)),
            NOW + 3,
        )
        .unwrap();
    let has = |f: &dyn Fn(&Change) -> bool| changes.iter().filter(|c| f(c)).count();
    assert_eq!(
        has(&|c| matches!(c, Change::Receipt(r) if r.request_id == id && r.tokens == 400)),
        1
    );
    assert_eq!(
        has(
            &|c| matches!(c, Change::Report(r) if r.request_id == id && r.user_tokens == 400
            && r.receipt_tokens == Some(400) && r.accepted_at == NOW + 3)
        ),
        1
    );
    assert_eq!(
        has(
            &|c| matches!(c, Change::Ticket(t) if t.request_id == id && t.status == TicketStatus::Reported)
        ),
        1
    );
    assert_eq!(
        has(
            &|c| matches!(c, Change::Allowance(a) if a.allowance.used == u(400 * PRICE) && a.allowance.held.is_zero())
        ),
        1
    );
    assert_eq!(
        has(
            &|c| matches!(c, Change::Credit(cr) if cr.provider == p.address()
            && cr.amount == u(400 * PRICE) && !cr.bootstrap && cr.block == (NOW + 3) / 12)
        ),
        1
    );
    assert_eq!(
        has(&|c| matches!(c, Change::Work { day, provider, wei, tokens }
            if *day == DAY0 && *provider == p.address() && *wei == u(400 * PRICE) && *tokens == 400)),
        1
    );
    assert_eq!(
        has(&|c| matches!(c, Change::Score { score, .. } if score.passes == 1)),
        1
    );
    assert_eq!(
        has(&|c| matches!(c, Change::Speed { model, put, drop }
            if model == MODEL && drop.is_empty()
            && put.iter().map(|s| (s.user, s.first_ms, s.rest_ms, s.weight)).eq([(user().address(), 0, 400, 399)]))),
        1
    );
}
