//! Speed-average poisoning (SPEC 8 "The credit rule, robust"). The attack of issue 13: a user
//! sends 120 one-token requests, fetches each answer from the gateway and reports each as
//! passed with `elapsedMs = 0`; under the old rule the model's average was learned only from
//! credited requests, so it fell to zero and 0 of the next 20 honest requests were credited,
//! for good. Its mirror reports huge times (all within the wall time since the ticket) to
//! make slow answers look normal. And a report claiming more time than has passed, or a first
//! token after the last, is invalid.

use alloy_primitives::B256;
use yellowstone_protocol::messages::{Receipt, Signed};

use super::*;

/// Honest users besides the four dev accounts: a model's window leaves its warm-up only once
/// ten distinct users have passed answers.
const FRESH_HONEST: usize = 8;
/// Honest requests before the attack (three from each of the twelve honest users).
const WARM_UP: usize = 36;
/// Honest requests after each attack.
const AFTER: usize = 20;
/// How long the huge-time attackers hold their tickets before reporting, seconds.
const HOLD: u64 = 300;

/// The four dev users and [`FRESH_HONEST`] fresh ones holding 1,000 MOR each (before the
/// day's snapshot).
async fn honest_users(net: &Net) -> Vec<PrivateKeySigner> {
    let mut users: Vec<PrivateKeySigner> = USERS.iter().map(|a| key(*a)).collect();
    for _ in 0..FRESH_HONEST {
        users.push(fresh_holder(net, 0, mor(1_000)).await);
    }
    users
}

/// `count` honest requests, round robin over `users`; whether each was credited, in order.
async fn honest_round(m: &Market, users: &[PrivateKeySigner], count: usize) -> Vec<bool> {
    let mut credited = Vec::with_capacity(count);
    for i in 0..count {
        let verdict = m.honest(&users[i % users.len()]).await;
        credited.push(is_credited(&verdict));
    }
    credited
}

fn count(credited: &[bool]) -> usize {
    credited.iter().filter(|c| **c).count()
}

/// An attacker's one-token request: admitted, its answer fetched whole from the real gateway
/// and its receipt posted, so the router holds it. Returns the request id and the receipt.
async fn one_token(m: &Market, attacker: &PrivateKeySigner) -> (B256, Signed<Receipt>) {
    let (status, issued) = m.ask(attacker, MODEL, 1).await;
    assert_eq!(status, 200, "{issued}");
    let ticket = ticket_of(&issued);
    let answer = fetch(issued["endpoint"].as_str().unwrap(), &ticket, 1, false).await;
    assert_eq!(
        (answer.status, answer.tokens),
        (200, 1),
        "{:?}",
        answer.error
    );
    let receipt = answer.receipt.expect("the gateway's receipt");
    let (status, body) = m.api.post("/v1/receipts", &receipt).await;
    assert_eq!(status, 200, "{body}");
    (ticket.message.requestId, receipt)
}

/// Each attacker sends `per_user` one-token requests, each reported pass at once with
/// `firstTokenMs = elapsedMs = 0`. Returns how many of them were credited.
async fn poison_zero(m: &Market, attackers: &[PrivateKeySigner], per_user: usize) -> usize {
    let mut credited = 0;
    for _ in 0..per_user {
        for attacker in attackers {
            let (id, receipt) = one_token(m, attacker).await;
            let said = Said {
                first_token_ms: 0,
                elapsed_ms: 0,
                tokens: 1,
                pass: true,
            };
            let (status, judged) =
                report_as(&m.net, &m.api, attacker, id, said, Some(&receipt)).await;
            assert_eq!(status, 200, "{judged}");
            credited += usize::from(is_credited(&judged["verdict"]));
        }
    }
    credited
}

/// Each attacker admits `per_user` one-token requests and fetches them; the clock then moves
/// [`HOLD`] seconds and each is reported pass with `firstTokenMs = 0` and `elapsedMs` ten
/// seconds short of the hold: within the wall time, so valid. Returns how many were credited.
async fn poison_huge(m: &Market, attackers: &[PrivateKeySigner], per_user: usize) -> usize {
    let mut held = Vec::new();
    for _ in 0..per_user {
        for attacker in attackers {
            held.push((attacker, one_token(m, attacker).await));
        }
    }
    let now = router_now(&m.api).await;
    travel_to(&m.net, &m.api, now + HOLD).await;
    let mut credited = 0;
    for (attacker, (id, receipt)) in held {
        let said = Said {
            first_token_ms: 0,
            elapsed_ms: (HOLD - 10) * 1_000,
            tokens: 1,
            pass: true,
        };
        let (status, judged) = report_as(&m.net, &m.api, attacker, id, said, Some(&receipt)).await;
        assert_eq!(status, 200, "{judged}");
        credited += usize::from(is_credited(&judged["verdict"]));
    }
    credited
}

/// A real answer reported `factor` times slower than it was (first token and last): what a
/// provider that much slower than the model's others looks like to the credit rule.
async fn slowed(m: &Market, user: &PrivateKeySigner, factor: u64) -> Value {
    let (status, issued) = m.ask(user, MODEL, ANSWER).await;
    assert_eq!(status, 200, "{issued}");
    let ticket = ticket_of(&issued);
    let answer = fetch(issued["endpoint"].as_str().unwrap(), &ticket, ANSWER, true).await;
    assert_eq!(answer.status, 200, "{:?}", answer.error);
    let said = Said {
        first_token_ms: answer.first_token_ms * factor,
        elapsed_ms: answer.elapsed_ms * factor,
        ..Said::truth(&answer)
    };
    // A slower provider's answer would have taken that long: the report waits as long, or
    // the wall-time bound would refuse it (SPEC 8).
    tokio::time::sleep(std::time::Duration::from_millis(said.elapsed_ms)).await;
    let id = ticket.message.requestId;
    let (status, judged) = report_as(&m.net, &m.api, user, id, said, answer.receipt.as_ref()).await;
    assert_eq!(status, 200, "{judged}");
    judged["verdict"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn speed_average_poisoning_by_one_user_leaves_honest_answers_credited() {
    let net = chain().await;
    let honest = honest_users(&net).await;
    let m = Market::open(net, "poison-one").await;
    let warm = honest_round(&m, &honest, WARM_UP).await;

    // Zero times: 120 one-token answers reported as instantaneous.
    let attack = poison_zero(&m, &[key(2)], 120).await;
    let after_zero = honest_round(&m, &honest, AFTER).await;
    eprintln!(
        "poisoning, one user, zero times: attacker credited {attack} of 120; honest credited \
         {} of {WARM_UP} before and {} of {AFTER} after (old rule: 0 of 20)",
        count(&warm),
        count(&after_zero)
    );
    assert!(count(&after_zero) >= AFTER - 2, "{after_zero:?}");

    // Huge times: 120 tickets held five minutes, each reported as taking 290 s for one token.
    let attack = poison_huge(&m, &[key(3)], 120).await;
    let after_huge = honest_round(&m, &honest, AFTER).await;
    let slow = slowed(&m, &honest[0], 4).await;
    eprintln!(
        "poisoning, one user, huge times: attacker credited {attack} of 120; honest credited \
         {} of {AFTER} after; an answer 4x slower than it was: {slow}",
        count(&after_huge)
    );
    assert!(count(&after_huge) >= AFTER - 2, "{after_huge:?}");
    assert_eq!(slow["reason"]["reason"], "too_slow", "{slow}");
    m.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn speed_average_poisoning_by_ten_users_leaves_honest_answers_credited() {
    let net = chain().await;
    let honest = honest_users(&net).await;
    let mut attackers = Vec::new();
    for _ in 0..10 {
        attackers.push(fresh_holder(&net, 0, mor(1_000)).await);
    }
    let m = Market::open(net, "poison-ten").await;
    let warm = honest_round(&m, &honest, WARM_UP).await;

    // Zero times: twelve one-token requests from each of ten users, 120 in all.
    let attack = poison_zero(&m, &attackers, 12).await;
    let after_zero = honest_round(&m, &honest, AFTER).await;
    let first_credited = after_zero.iter().position(|c| *c);
    eprintln!(
        "poisoning, ten users, zero times: attackers credited {attack} of 120; honest \
         credited {} of {WARM_UP} before and {} of {AFTER} after, the first after the \
         attack at honest request {first_credited:?} (old rule: 0 of 20)",
        count(&warm),
        count(&after_zero)
    );
    // Ten users can hold the whole window, so the first honest answers may be refused; the
    // honest answers' own samples bring the model back within a few requests (one refusal
    // among the last ten is left to scheduling noise).
    assert!(count(&after_zero) >= AFTER - 8, "{after_zero:?}");
    assert!(count(&after_zero[AFTER - 10..]) >= 9, "{after_zero:?}");

    // Huge times from the same ten users.
    let attack = poison_huge(&m, &attackers, 12).await;
    let after_huge = honest_round(&m, &honest, AFTER).await;
    let slow = slowed(&m, &honest[0], 4).await;
    eprintln!(
        "poisoning, ten users, huge times: attackers credited {attack} of 120; honest \
         credited {} of {AFTER} after; an answer 4x slower than it was: {slow}",
        count(&after_huge)
    );
    assert!(count(&after_huge) >= AFTER - 2, "{after_huge:?}");
    m.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_of_more_time_than_has_passed_or_a_first_token_after_the_last_is_invalid() {
    let net = chain().await;
    let m = Market::open(net, "wall-time").await;
    let user = key(USERS[0]);
    let (status, issued) = m.ask(&user, MODEL, ANSWER).await;
    assert_eq!(status, 200, "{issued}");
    let ticket = ticket_of(&issued);
    let id = ticket.message.requestId;
    let answer = fetch(issued["endpoint"].as_str().unwrap(), &ticket, ANSWER, true).await;
    assert_eq!(answer.status, 200, "{:?}", answer.error);
    let receipt = answer.receipt.as_ref();
    let truth = Said::truth(&answer);

    // An hour, a moment after the ticket was issued.
    let hour = Said {
        elapsed_ms: 3_600_000,
        ..truth
    };
    let (status, body) = report_as(&m.net, &m.api, &user, id, hour, receipt).await;
    eprintln!("elapsedMs of an hour a moment after the ticket: {status} {body}");
    assert_eq!((status, &body["code"]), (400, &json!("invalid")), "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("elapsedMs"),
        "{body}"
    );

    // The first token after the last.
    let backwards = Said {
        first_token_ms: truth.elapsed_ms + 1,
        ..truth
    };
    let (status, body) = report_as(&m.net, &m.api, &user, id, backwards, receipt).await;
    eprintln!("firstTokenMs after elapsedMs: {status} {body}");
    assert_eq!((status, &body["code"]), (400, &json!("invalid")), "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("firstTokenMs"),
        "{body}"
    );

    // Neither used the report up: the truth is judged.
    let (status, body) = report_as(&m.net, &m.api, &user, id, truth, receipt).await;
    assert_eq!(status, 200, "{body}");
    assert!(is_credited(&body["verdict"]), "{body}");
    m.stop();
}
