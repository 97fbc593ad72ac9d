//! SPEC 8: the liveness probe is a signed challenge. `GET /health?challenge=0x<32 bytes>` is
//! answered with `Liveness { provider, challenge }` signed by the key the gateway holds, under
//! the market's domain; a plain `GET /health` stays unsigned, for people.

use std::time::Duration;

use alloy_primitives::B256;
use yellowstone_gateway::{GatewayHealth, RunningGateway};

use crate::common::*;

async fn get(gw: &RunningGateway, query: &str) -> reqwest::Response {
    reqwest::get(format!("{}/health{query}", gw.url()))
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_challenge_is_signed_by_the_key_the_gateway_holds_and_no_other() {
    let backend = textgen(Duration::ZERO).await;
    let gw = gateway(config(backend.url())).await;
    let challenge = B256::repeat_byte(0x5a);

    let response = get(&gw, &format!("?challenge={challenge}")).await;
    assert_eq!(response.status(), 200);
    let answer: GatewayHealth = response.json().await.unwrap();
    let signed = answer.liveness.expect("a signed answer");
    assert_eq!(signed.message.challenge, challenge);
    assert_eq!(signed.verify(&market(), None), Ok(provider_key().address()));
    assert_eq!(answer.provider, provider_key().address());
    assert!(answer.backend_live);
    // A second key bid behind this endpoint: the answer is not its signature.
    let second = key(0x23).address();
    assert_ne!(signed.message.provider, second);
    assert_ne!(signed.signer(&market()), Ok(second));
    // Under another market's domain the signature proves nothing.
    let other = yellowstone_protocol::eip712::types::domain(CHAIN_ID + 1, CONTRACT);
    assert!(signed.verify(&other, None).is_err());

    // Each challenge gets its own signature: an answer cannot be replayed to another.
    let again: GatewayHealth = get(&gw, &format!("?challenge={}", B256::repeat_byte(1)))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        again.liveness.unwrap().message.challenge,
        B256::repeat_byte(1)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn plain_health_is_unsigned_and_follows_the_backend_a_challenge_is_answered_regardless() {
    let backend = textgen(Duration::ZERO).await;
    let gw = gateway(config(backend.url())).await;
    let plain = get(&gw, "").await;
    assert_eq!(plain.status(), 200);
    let plain: GatewayHealth = plain.json().await.unwrap();
    assert_eq!(
        (
            plain.liveness,
            plain.status.as_str(),
            plain.capacity,
            plain.in_flight
        ),
        (None, "ok", 8, 0)
    );

    for bad in ["?challenge=0x1234", "?challenge=nothex", "?challenge="] {
        assert_eq!(
            outcome(get(&gw, bad).await).await,
            (400, Some("invalid_challenge".into())),
            "{bad}"
        );
    }

    backend.kill();
    tokio::time::sleep(Duration::from_millis(2_100)).await; // past the backend check's cache
    let plain = get(&gw, "").await;
    assert_eq!(plain.status(), 503);
    assert_eq!(
        plain.json::<GatewayHealth>().await.unwrap().status,
        "backend_down"
    );
    // The probe still gets a signed answer, saying the backend is down: the router can tell
    // "wrong key" from "backend down".
    let probed = get(&gw, &format!("?challenge={}", B256::repeat_byte(2))).await;
    assert_eq!(probed.status(), 200);
    let probed: GatewayHealth = probed.json().await.unwrap();
    assert!(!probed.backend_live);
    assert!(probed.liveness.is_some());
}
