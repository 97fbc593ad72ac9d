//! A request across 00:00 UTC. The router's clock is the chain's here (`chain_clock`, moved
//! with `evm_increaseTime`), so midnight can be put anywhere in a test. Under the old rules an
//! RFC checked on one day and issued on the next (after waiting at the admission gate, or for
//! a slow health probe) looked for the allowance of the day of issue, found none, and was
//! answered 500.

use super::*;

/// How long the provider's endpoint takes to answer a health check.
const SLOW_PROBE: Duration = Duration::from_millis(2_500);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_across_midnight_holds_the_allowance_of_the_day_it_was_admitted() {
    let net = chain().await;
    // One RFC at a time through the admission gate, and probes that may take their time.
    let m = Market::open_with(net, "midnight", 8, |config| {
        config.service.admission_concurrency = 1;
        config.service.probe_timeout_ms = 5_000;
    })
    .await;
    let users: Vec<PrivateKeySigner> = USERS.iter().map(|a| key(*a)).collect();
    let hold = U256::from(ANSWER) * honest_price();
    let midnight = (m.net.now().await / 86_400 + 1) * 86_400;
    travel_to(&m.net, &m.api, midnight - 8).await;

    // A ticket admitted and issued before midnight, to be reported after.
    let (status, body) = m.ask(&users[0], MODEL, ANSWER).await;
    assert_eq!(status, 200, "{body}");
    let before = ticket_of(&body);
    let view = m.allowance(users[0].address()).await;
    assert_eq!(view["day"], json!(midnight / 86_400 - 1), "{view}");
    assert_eq!(u256(&view["held"]), hold, "{view}");

    // The provider's endpoint now answers health checks slowly. In the last second of the
    // day, one RFC holds the gate through that probe while a second waits behind it: both
    // are checked before midnight and issued after.
    let slow = slow_health(m.honest.gateway.url(), SLOW_PROBE).await;
    let offer = Offer {
        model: MODEL.into(),
        price: honest_price(),
        capacity: 8,
        endpoint: slow.clone(),
        nonce: 2,
    };
    let (status, body) = bid_offer(&m.net, &m.api, &key(HONEST), &offer).await;
    assert_eq!(status, 200, "{body}");
    eventually("the last second of the day", || async {
        router_now(&m.api).await >= midnight - 1
    })
    .await;
    let (holder, waiter) = tokio::join!(m.ask(&users[1], MODEL, ANSWER), async {
        tokio::time::sleep(Duration::from_millis(150)).await;
        m.ask(&users[2], MODEL, ANSWER).await
    });
    let now = router_now(&m.api).await;
    let brief = |(status, body): &(u16, Value)| match status {
        200 => format!(
            "200, ticket expiring at {}",
            body["ticket"]["message"]["expiry"]
        ),
        _ => format!("{status} {body}"),
    };
    eprintln!(
        "across midnight ({midnight}, router now {now}): the RFC holding the gate: {}; the \
         one waiting behind it: {}",
        brief(&holder),
        brief(&waiter)
    );
    assert_ne!(holder.0, 500, "{}", holder.1);
    assert_ne!(waiter.0, 500, "{}", waiter.1);
    assert_eq!(holder.0, 200, "{}", holder.1);
    assert_eq!(waiter.0, 200, "{}", waiter.1);
    let seconds = m.api.get("/v1/market").await.1["rules"]["ticket_seconds"]
        .as_u64()
        .unwrap();
    let tickets = [before, ticket_of(&holder.1), ticket_of(&waiter.1)];
    assert!(
        tickets[2].message.expiry >= midnight + seconds,
        "the waiting RFC was issued after midnight"
    );

    // The devnet mines only on transactions: a block after midnight starts the new day's
    // snapshot, as a live chain's next block would.
    m.net.advance(1).await;

    // The new day's allowances hold none of the three: each ticket holds the day it was
    // admitted on. Each is served and reported after midnight, without a 500.
    for (user, ticket) in users.iter().zip(&tickets) {
        let view = m.allowance(user.address()).await;
        assert_eq!(view["day"], json!(midnight / 86_400), "{view}");
        assert_eq!(u256(&view["held"]), U256::ZERO, "{view}");
        let answer = fetch(&slow, ticket, ANSWER, true).await;
        assert_eq!(answer.status, 200, "{:?}", answer.error);
        let id = ticket.message.requestId;
        let said = Said::truth(&answer);
        let (status, judged) =
            report_as(&m.net, &m.api, user, id, said, answer.receipt.as_ref()).await;
        assert_eq!(status, 200, "{judged}");
        assert!(is_credited(&judged["verdict"]), "{judged}");
        let view = m.allowance(user.address()).await;
        assert_eq!(
            (u256(&view["held"]), u256(&view["used"])),
            (U256::ZERO, U256::ZERO),
            "settled on the day of admission: {view}"
        );
    }
    let after = tickets
        .iter()
        .filter(|t| t.message.expiry >= midnight + seconds)
        .count();
    eprintln!(
        "across midnight: 3 tickets admitted on day {} ({after} issued after midnight), \
         reported on day {}: no 500, 0 wei held or used on the new day",
        midnight / 86_400 - 1,
        midnight / 86_400
    );
    m.stop();
}
