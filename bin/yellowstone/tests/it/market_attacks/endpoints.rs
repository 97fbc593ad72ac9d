//! Endpoints (SPEC 8 "Attestation means something", "Selection"). Under the old rules the
//! health probe was an unsigned `GET /health`, so any number of staked keys could bid with
//! one machine's endpoint and all looked live; and a provider had no capacity, so the router
//! ticketed it without limit.

use alloy_primitives::B256;
use yellowstone_protocol::messages::{Signed, Ticket};

use super::*;

/// Tokens of the answers that fill the capacity: about a second each at 10 ms a token.
const LONG: u64 = 100;

/// Staked keys that bid with the honest gateway's endpoint (which holds only key 1).
const SYBILS: [usize; 3] = [2, 3, 8];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_keys_behind_one_endpoint_only_the_gateways_key_is_ticketed() {
    let net = chain().await;
    for sybil in SYBILS {
        net.stake(sybil, mor(100), 365).await;
    }
    let m = Market::open(net, "one-endpoint").await;
    // Each sybil attests the model and bids below the honest price, at the gateway's endpoint.
    for sybil in SYBILS {
        attest_model(&m.net, &m.api, &key(sybil), MODEL).await;
        let offer = Offer {
            model: MODEL.into(),
            price: honest_price() * U256::from(9u64) / U256::from(10u64),
            capacity: 8,
            endpoint: m.honest.gateway.url(),
            nonce: 1,
        };
        let (status, body) = bid_offer(&m.net, &m.api, &key(sybil), &offer).await;
        assert_eq!(status, 200, "{body}");
    }

    let honest = key(HONEST).address();
    let mut to_gateway = 0;
    for i in 0..20 {
        let user = key(USERS[i % USERS.len()]);
        let (status, issued) = m.ask(&user, MODEL, ANSWER).await;
        assert_eq!(status, 200, "{issued}");
        let ticket = ticket_of(&issued);
        assert_eq!(
            ticket.message.provider, honest,
            "ticketed to a sybil: {issued}"
        );
        to_gateway += 1;
        let answer = fetch(issued["endpoint"].as_str().unwrap(), &ticket, ANSWER, true).await;
        assert_eq!(answer.status, 200, "{:?}", answer.error);
        let id = ticket.message.requestId;
        let said = Said::truth(&answer);
        let (status, _) = report_as(&m.net, &m.api, &user, id, said, answer.receipt.as_ref()).await;
        assert_eq!(status, 200);
    }
    let mut failures = Vec::new();
    for sybil in SYBILS {
        let view = m.provider(key(sybil).address()).await;
        let n = view["backoff"]["failures"].as_u64().unwrap_or(0);
        assert!(n >= 1, "a sybil was never found not live: {view}");
        assert_eq!(u256(&view["pending_wei"]), U256::ZERO, "{view}");
        failures.push(n);
    }
    eprintln!(
        "many keys behind one endpoint: {to_gateway} of 20 tickets to the gateway's key, 0 to \
         the 3 cheaper sybils (failed liveness challenges: {failures:?}); old rules: every key \
         live, the cheaper sybils ticketed first"
    );
    m.stop();
}

/// An RFC's outcome: a ticket, or the refusal's (status, code, message).
fn outcome(status: u16, body: &Value) -> Result<Signed<Ticket>, (u16, String, String)> {
    if status == 200 {
        return Ok(ticket_of(body));
    }
    let text = |k: &str| body[k].as_str().unwrap_or_default().to_string();
    Err((status, text("code"), text("message")))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_over_its_capacity_is_not_ticketed_and_its_gateway_answers_busy() {
    let net = chain().await;
    // The only provider of the model bids a capacity of 2; its gateway serves 2 at once.
    let m = Market::open_with(net, "capacity", 2, |_| {}).await;
    let users: Vec<PrivateKeySigner> = USERS.iter().map(|a| key(*a)).collect();

    // Three concurrent RFCs: two tickets; the third is refused, naming the capacity.
    let (a, b, c) = tokio::join!(
        m.ask(&users[0], MODEL, LONG),
        m.ask(&users[1], MODEL, LONG),
        m.ask(&users[2], MODEL, LONG),
    );
    let outcomes = [outcome(a.0, &a.1), outcome(b.0, &b.1), outcome(c.0, &c.1)];
    let tickets: Vec<&Signed<Ticket>> = outcomes.iter().filter_map(|o| o.as_ref().ok()).collect();
    let refused: Vec<_> = outcomes.iter().filter_map(|o| o.as_ref().err()).collect();
    eprintln!("three concurrent RFCs at a capacity of 2: {refused:?} refused");
    assert_eq!((tickets.len(), refused.len()), (2, 1), "{outcomes:?}");
    let (status, code, message) = refused[0];
    assert_eq!(*status, 503, "{refused:?}");
    assert!(code == "busy" || code == "no_provider", "{refused:?}");
    assert!(message.contains("capacity"), "{refused:?}");

    // A user who reports at once (a fail, nothing received) frees its place at the router, so
    // a third ticket is issued while two answers are still to be served: the gateway itself
    // holds the line.
    let early = tickets[0].clone();
    let late = tickets[1].clone();
    let first_user = users
        .iter()
        .find(|u| u.address() == early.message.user)
        .unwrap();
    let said = Said {
        first_token_ms: 0,
        elapsed_ms: 0,
        tokens: 0,
        pass: false,
    };
    let id: B256 = early.message.requestId;
    let (status, body) = report_as(&m.net, &m.api, first_user, id, said, None).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = m.ask(&users[3], MODEL, ANSWER).await;
    assert_eq!(status, 200, "{body}");
    let third = ticket_of(&body);
    let endpoint = m.honest.gateway.url();
    let (one, two, busy) = tokio::join!(
        fetch(&endpoint, &early, LONG, true),
        fetch(&endpoint, &late, LONG, true),
        async {
            tokio::time::sleep(Duration::from_millis(100)).await;
            fetch(&endpoint, &third, ANSWER, false).await
        },
    );
    eprintln!(
        "the gateway at a capacity of 2: {} and {} served, the third answered {} {}",
        one.status, two.status, busy.status, busy.error
    );
    assert_eq!((one.status, two.status), (200, 200));
    assert_eq!(busy.status, 503, "{:?}", busy.error);
    assert_eq!(busy.error["error"]["code"], "busy", "{}", busy.error);
    // Busy left the ticket unused: once a place is free it is served.
    let again = fetch(&endpoint, &third, ANSWER, false).await;
    assert_eq!(
        (again.status, again.tokens),
        (200, ANSWER),
        "{}",
        again.error
    );
    m.stop();
}
