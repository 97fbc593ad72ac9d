//! SPEC 8: a gateway serves at most its capacity at once (the capacity its bids state); above
//! it a request is answered 503 `busy` at once, before the backend, and its ticket stays
//! usable. A place is held for the whole streamed answer and freed when the stream ends or
//! the user hangs up.

use std::time::{Duration, Instant};

use yellowstone_gateway::{GatewayHealth, RunningGateway};

use crate::common::*;

async fn health(gw: &RunningGateway) -> GatewayHealth {
    reqwest::get(format!("{}/health", gw.url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Waits up to 3 s for the gateway to report `n` requests in flight.
async fn in_flight(gw: &RunningGateway, n: u32) {
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        let seen = health(gw).await.in_flight;
        if seen == n {
            return;
        }
        assert!(Instant::now() < deadline, "{seen} in flight, not {n}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_request_over_capacity_is_busy_and_its_ticket_stays_usable() {
    let backend = textgen(Duration::from_millis(100)).await; // 12 tokens: 1.2 s a stream
    let mut two = config(backend.url());
    two.capacity = 2;
    let gw = gateway(two).await;
    assert_eq!(
        (health(&gw).await.capacity, health(&gw).await.in_flight),
        (2, 0)
    );

    let first = post_chat(&gw, bearer(1), &chat(true)).await;
    let second = post_chat(&gw, bearer(2), &chat(true)).await;
    assert_eq!(
        (first.status().as_u16(), second.status().as_u16()),
        (200, 200)
    );
    assert_eq!(health(&gw).await.in_flight, 2);

    // The third, while both stream: busy at once, and it never reached the backend.
    let started = Instant::now();
    let third = post_chat(&gw, bearer(3), &chat(true)).await;
    assert!(started.elapsed() < Duration::from_millis(500));
    assert_eq!(third.status(), 503);
    assert_eq!(third.headers()["retry-after"], "1");
    let body: serde_json::Value = third.json().await.unwrap();
    assert_eq!(body["error"]["code"], "busy");
    assert_eq!(body["error"]["type"], "server_error");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("capacity of 2"));
    assert_eq!(backend.requests(), 2);
    // A bad ticket is still refused for what it is: the checks come first.
    assert_eq!(
        outcome(post_chat(&gw, "Bearer zzz".into(), &chat(true)).await).await,
        (401, Some("invalid_ticket".into()))
    );

    // The places are held until the streams end, then freed.
    for stream in [first, second] {
        assert!(stream.text().await.unwrap().ends_with("data: [DONE]\n\n"));
    }
    in_flight(&gw, 0).await;
    // The busy ticket was not used: the same ticket is served now.
    let retried = post_chat(&gw, bearer(3), &chat(false)).await;
    assert_eq!(retried.status(), 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_user_hanging_up_frees_the_place_at_once() {
    let backend = textgen(Duration::from_secs(5)).await; // a minute a stream
    let mut one = config(backend.url());
    one.capacity = 1;
    let gw = gateway(one).await;

    let stream = post_chat(&gw, bearer(1), &chat(true)).await;
    assert_eq!(stream.status(), 200);
    assert_eq!(
        outcome(post_chat(&gw, bearer(2), &chat(true)).await).await,
        (503, Some("busy".into()))
    );
    drop(stream); // the user hangs up while the backend is between tokens
    in_flight(&gw, 0).await;
    let next = post_chat(&gw, bearer(2), &chat(true)).await;
    assert_eq!(next.status(), 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_capacity_of_zero_is_refused() {
    let mut none = config("http://127.0.0.1:9".into());
    none.capacity = 0;
    let err = yellowstone_gateway::start(none, provider_key())
        .await
        .err()
        .expect("refused");
    assert!(err.to_string().contains("capacity is 0"), "{err}");
}
