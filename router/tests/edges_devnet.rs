//! The whole flow with the real edges: textgen behind the real provider gateway, the real
//! router on the devnet, and the user client. A user chats (streamed and whole), the gateway
//! checks the router's ticket and signs the receipt, the router credits the report, an epoch
//! commits, and the provider claims exactly what the user's answers were credited.

mod common;

use std::time::Duration;

use alloy_primitives::{keccak256, U256};
use common::*;
use yellowstone_protocol::messages::{Bid, ModelAttestation};
use yellowstone_router::{
    client::RouterClient,
    gateway::{self, GatewayConfig, Trust},
    market::judge::Verdict,
    textgen::{start_textgen, TextgenConfig},
    user::chat::{chat, ChatRequest},
};

const MODEL: &str = "textgen-words";
const PROVIDER: usize = 1;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_chats_through_the_real_gateway_and_the_provider_is_paid_to_the_wei() {
    let net = Net::start();
    net.fund(mor(10_000)).await;
    net.stake(PROVIDER, mor(1_000), 365).await;
    net.next_day().await;
    let running = router(&net, &net.rpc.url(), &temp_db("edges"), 1).await;

    let textgen = start_textgen(TextgenConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        token_delay: Duration::ZERO,
        fail_after: None,
    })
    .await
    .unwrap();
    let mut config = GatewayConfig::new(
        "127.0.0.1:0".parse().unwrap(),
        textgen.url(),
        Trust {
            router: key(9).address(),
            chain_id: net.d.chain_id,
            contract: net.d.compute,
        },
    );
    config.router = Some(running.url());
    config.models = vec![MODEL.into()];
    let gateway = gateway::start(config, key(PROVIDER)).await.unwrap();

    // The provider attests and bids with its gateway as the endpoint.
    let api = Api::new(running.url());
    let now = net.now().await;
    let domain = net.domain();
    let attestation = ModelAttestation {
        provider: key(PROVIDER).address(),
        model: MODEL.into(),
        weightsHash: keccak256("weights"),
        issuedAt: now,
    };
    assert_eq!(
        api.post(
            "/v1/attestations",
            &sign(&key(PROVIDER), attestation, &domain)
        )
        .await
        .0,
        200
    );
    let bid = Bid {
        provider: key(PROVIDER).address(),
        model: MODEL.into(),
        pricePerToken: U256::from(10u64).pow(U256::from(15)),
        endpoint: gateway.url(),
        nonce: 1,
        expiry: now + 86_400,
    };
    let (status, body) = api
        .post("/v1/bids", &sign(&key(PROVIDER), bid, &domain))
        .await;
    assert_eq!(
        (status, &body["selectable"]),
        (200, &serde_json::json!(true)),
        "{body}"
    );

    // Two users chat, one streamed and one whole; every answer is credited at the receipt.
    let client = RouterClient::new(&running.url());
    let mut credited = U256::ZERO;
    for (user, stream) in [(4, true), (5, false)] {
        let outcome = chat(
            &client,
            &key(user),
            &ChatRequest {
                model: MODEL.into(),
                prompt: "say something deterministic".into(),
                max_tokens: 32,
                stream,
                fail: false,
            },
        )
        .await
        .unwrap();
        assert_eq!(outcome.tokens, 32, "{outcome:?}");
        assert_eq!(outcome.answer.split_whitespace().count(), 32);
        assert!(outcome.receipt_note.is_none(), "{outcome:?}");
        match outcome.verdict {
            Some(Verdict::Credited { tokens, wei, .. }) => {
                assert_eq!(tokens, 32);
                credited += wei;
            }
            other => panic!("not credited: {other:?} {:?}", outcome.report_error),
        }
    }
    assert_eq!(
        credited,
        U256::from(64u64) * U256::from(10u64).pow(U256::from(15))
    );

    // The epoch commits; the provider claims with the served proof.
    eventually("the credits to commit", || async {
        match api.get("/v1/epochs/latest").await {
            (200, e) => u256(&e["cumulative_credited"]) == credited,
            _ => false,
        }
    })
    .await;
    let who = key(PROVIDER).address();
    let (_, p) = api.get(&format!("/v1/proofs/{who}")).await;
    let before = net.mor_of(who).await;
    net.send(
        8,
        net.d.compute,
        yellowstone_router::chain::IYellowstoneCompute::claimCall {
            provider: who,
            cumulative_earned: u256(&p["cumulative_earned"]),
            cumulative_bootstrap: u256(&p["cumulative_bootstrap"]),
            proof: serde_json::from_value(p["proof"].clone()).unwrap(),
        },
    )
    .await;
    assert_eq!(net.mor_of(who).await - before, credited);
    gateway.kill();
    textgen.kill();
    running.kill();
}
