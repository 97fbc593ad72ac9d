//! Fails (SPEC 8 "What is delivered is paid for by the user", "Fail"). Under the old rules the
//! allowance was charged only what was credited, so a fail got a whole answer for nothing,
//! and every fail backed the provider off (5 s, doubling to 300 s): one user could keep the
//! only provider of a model out of the market for free.

use super::*;

/// `user` asks for `tokens`, receives them all streamed from the real gateway (with its
/// receipt) and reports fail. Returns the verdict and the wei the allowance was charged.
async fn fail_a_full_answer(m: &Market, user: &PrivateKeySigner, tokens: u64) -> (Value, U256) {
    let used = u256(&m.allowance(user.address()).await["used"]);
    let (status, issued) = m.ask(user, MODEL, tokens).await;
    assert_eq!(status, 200, "{issued}");
    let ticket = ticket_of(&issued);
    let answer = fetch(issued["endpoint"].as_str().unwrap(), &ticket, tokens, true).await;
    assert_eq!(
        (answer.status, answer.tokens),
        (200, tokens),
        "{:?}",
        answer.error
    );
    let said = Said {
        pass: false,
        ..Said::truth(&answer)
    };
    let id = ticket.message.requestId;
    let (status, judged) = report_as(&m.net, &m.api, user, id, said, answer.receipt.as_ref()).await;
    assert_eq!(status, 200, "{judged}");
    let charged = u256(&m.allowance(user.address()).await["used"]) - used;
    (judged["verdict"].clone(), charged)
}

/// The honest provider's score: (passes, fails).
async fn score(m: &Market) -> (u64, u64) {
    let view = m.provider(key(HONEST).address()).await;
    let s = &view["score"];
    (s["passes"].as_u64().unwrap(), s["fails"].as_u64().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fail_spam_by_a_large_and_a_small_holder_is_paid_for_and_backs_off_no_one() {
    let net = chain().await;
    let small = fresh_holder(&net, 0, mor(50)).await;
    let m = Market::open(net, "fail-spam").await;
    let (large, provider) = (key(2), key(HONEST).address());
    for user in USERS {
        assert!(is_credited(&m.honest(&key(user)).await));
    }
    let start = score(&m).await;
    let cost = U256::from(ANSWER) * honest_price();

    // The large holder (1,000,000 MOR): twenty whole answers, each reported fail.
    for _ in 0..20 {
        let (verdict, charged) = fail_a_full_answer(&m, &large, ANSWER).await;
        assert_eq!(verdict["reason"]["reason"], "failed", "{verdict}");
        assert_eq!(charged, cost, "a fail pays for what was delivered");
        assert!(
            !m.backed_off(provider).await,
            "one user backed the provider off"
        );
    }
    let after_large = score(&m).await;
    assert!(after_large.1 - start.1 <= 1, "{start:?} -> {after_large:?}");
    assert!(is_credited(&m.honest(&key(USERS[0])).await));

    // The small holder (50 MOR): whole answers reported fail until its allowance is spent.
    let allowance = u256(&m.allowance(small.address()).await["allowance"]);
    let per = ANSWER / 4;
    let mut spam = 0u32;
    while u256(&m.allowance(small.address()).await["left"]) >= U256::from(per) * honest_price() {
        let (verdict, charged) = fail_a_full_answer(&m, &small, per).await;
        assert_eq!(verdict["reason"]["reason"], "failed", "{verdict}");
        assert_eq!(charged, U256::from(per) * honest_price());
        spam += 1;
        assert!(
            !m.backed_off(provider).await,
            "two users backed the provider off"
        );
    }
    let (status, body) = m.ask(&small, MODEL, per).await;
    assert_eq!(
        (status, &body["code"]),
        (429, &json!("allowance_exhausted")),
        "{body}"
    );
    let after_small = score(&m).await;
    assert!(spam >= 1, "the small holder could not afford one answer");
    assert!(
        after_small.1 - after_large.1 <= 1,
        "{after_large:?} -> {after_small:?}"
    );
    assert!(is_credited(&m.honest(&key(USERS[1])).await));

    // A third user's fail, with the two above, is a complaint from three users: a back-off.
    let (verdict, _) = fail_a_full_answer(&m, &key(USERS[2]), ANSWER).await;
    assert_eq!(verdict["reason"]["reason"], "failed", "{verdict}");
    let backed_off = m.backed_off(provider).await;
    eprintln!(
        "fail spam: the large holder paid {} for 20 failed answers, the small holder {} \
         answers of {per} tokens on an allowance of {}; score (passes, fails) {start:?} -> \
         {after_large:?} -> {after_small:?}; backed off after one user: no, two: no, three: \
         {backed_off} (old rules: 0 wei paid, a back-off after the first fail, up to 300 s)",
        mor_text(cost * U256::from(20u64)),
        spam,
        mor_text(allowance),
    );
    assert!(backed_off, "three users' fails back the provider off");
    m.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fail_reported_before_the_answer_is_fetched_is_charged_when_the_receipt_arrives() {
    let net = chain().await;
    let m = Market::open(net, "fail-first").await;
    let user = key(USERS[0]);
    let used = u256(&m.allowance(user.address()).await["used"]);

    // Report fail with no receipt first: nothing was delivered yet, so nothing is charged.
    let (status, issued) = m.ask(&user, MODEL, ANSWER).await;
    assert_eq!(status, 200, "{issued}");
    let ticket = ticket_of(&issued);
    let said = Said {
        first_token_ms: 0,
        elapsed_ms: 0,
        tokens: 0,
        pass: false,
    };
    let id = ticket.message.requestId;
    let (status, judged) = report_as(&m.net, &m.api, &user, id, said, None).await;
    assert_eq!(status, 200, "{judged}");

    // Then fetch the answer with the same ticket: the gateway serves it and posts its receipt.
    let answer = fetch(issued["endpoint"].as_str().unwrap(), &ticket, ANSWER, false).await;
    assert_eq!(
        (answer.status, answer.tokens),
        (200, ANSWER),
        "{:?}",
        answer.error
    );
    let due = used + U256::from(ANSWER) * honest_price();
    let mut charged = U256::ZERO;
    for _ in 0..50 {
        charged = u256(&m.allowance(user.address()).await["used"]) - used;
        if used + charged == due {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!(
        "a fail reported before the answer: {ANSWER} tokens delivered, {charged} wei charged \
         (due {})",
        due - used
    );
    assert_eq!(
        used + charged,
        due,
        "the receipt that came after the report is paid for"
    );
    m.stop();
}
