//! The user's tools against a real router on the devnet and a mock provider gateway: chat
//! (streamed and whole, `--fail`, a failing provider), the allowance, and the local
//! OpenAI-compatible proxy. Plus the MOR formatting and the SSE reader.

use std::sync::Arc;

use alloy_primitives::{Address, U256};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::Eip712Domain;
use axum::{
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
    Json,
};
use serde_json::{json, Value};
use yellowstone_cli::units::format_wad_exact;
use yellowstone_client::exchange::DEFAULT_STALL_TIMEOUT;
use yellowstone_client::router::RouterClient;
use yellowstone_client::{
    chat::{chat, ChatRequest},
    proxy::{start_proxy, ProxyConfig},
    sse::{SseEvent, SseParser},
};
use yellowstone_market::judge::{Refusal, Verdict};
use yellowstone_protocol::messages::{Receipt, Signed, Ticket};
use yellowstone_test_utils::*;

const MODEL: &str = "demo-1b";
const BROKEN: &str = "broken-1b";
const GOOD: usize = 1;
const BAD: usize = 2;
const WORDS: [&str; 5] = ["Hello", " from", " the", " mock", " provider"];

/// The mock gateways: `/good` serves `MODEL` signed by account 1, `/bad` fails with 500.
struct Mock {
    domain: Eip712Domain,
    router: Address,
}

fn provider_key(name: &str) -> PrivateKeySigner {
    key(if name == "good" { GOOD } else { BAD })
}

async fn completions(
    State(m): State<Arc<Mock>>,
    Path(name): Path<String>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    let token = headers["authorization"]
        .to_str()
        .unwrap()
        .strip_prefix("Bearer ")
        .unwrap()
        .to_string();
    let ticket = Signed::<Ticket>::from_token(&token).expect("the bearer token is a ticket");
    ticket
        .verify(&m.domain, Some(m.router))
        .expect("the ticket is the router's");
    let signer = provider_key(&name);
    assert_eq!(ticket.message.provider, signer.address());
    assert!(body["max_tokens"].as_u64().unwrap() <= ticket.message.tokenMax);
    assert_eq!(body["messages"][0]["role"], "user");
    if name == "bad" {
        let error = json!({"error": {"message": "the GPU caught fire", "type": "server_error", "code": "internal"}});
        return (StatusCode::INTERNAL_SERVER_ERROR, Json(error)).into_response();
    }
    let receipt = sign(
        &signer,
        Receipt {
            requestId: ticket.message.requestId,
            provider: signer.address(),
            tokens: WORDS.len() as u64,
        },
        &m.domain,
    );
    if body["stream"] == json!(true) {
        let mut text = String::from(
            "data: {\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\n",
        );
        for w in WORDS {
            let chunk = json!({"choices": [{"delta": {"content": w}}]});
            text.push_str(&format!("data: {chunk}\n\n"));
        }
        text.push_str(&format!(
            "event: yellowstone.receipt\ndata: {}\n\n",
            serde_json::to_string(&receipt).unwrap()
        ));
        text.push_str("data: [DONE]\n\n");
        ([("content-type", "text/event-stream")], text).into_response()
    } else {
        let answer = json!({"choices": [{"message": {"role": "assistant", "content": WORDS.concat()}}],
                            "usage": {"completion_tokens": WORDS.len()}});
        (
            [("x-yellowstone-receipt", receipt.to_token())],
            Json(answer),
        )
            .into_response()
    }
}

async fn mock_gateways(net: &Net) -> String {
    let mock = Arc::new(Mock {
        domain: net.domain(),
        router: key(9).address(),
    });
    let app = axum::Router::new()
        .route("/{name}/health", get(|| async { "ok" }))
        .route("/{name}/v1/chat/completions", post(completions))
        .with_state(mock);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

/// Both providers stake, attest and bid through the client.
async fn providers_join(net: &Net, client: &RouterClient, gateways: &str) {
    for (account, model, name) in [(GOOD, MODEL, "good"), (BAD, BROKEN, "bad")] {
        let price = U256::from(10u64).pow(U256::from(15));
        join(
            net,
            client,
            account,
            model,
            price,
            format!("{gateways}/{name}"),
        )
        .await;
    }
    assert_eq!(client.bids(Some(MODEL)).await.unwrap().len(), 1);
}

fn request(model: &str, stream: bool, fail: bool) -> ChatRequest {
    ChatRequest {
        model: model.into(),
        prompt: "Say hello".into(),
        max_tokens: 64,
        stream,
        fail,
        stall_timeout: DEFAULT_STALL_TIMEOUT,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_chat_and_proxy_through_the_market() {
    let net = Net::start();
    net.fund(mor(10_000)).await;
    net.stake(GOOD, mor(10_000), 365).await;
    net.stake(BAD, mor(10_000), 365).await;
    net.next_day().await;
    let gateways = mock_gateways(&net).await;
    let running = router(&net, &net.rpc.url(), &temp_db("user"), 1).await;
    let client = RouterClient::new(&running.url());
    providers_join(&net, &client, &gateways).await;

    // Chat, streamed then whole: the answer arrives, the report is credited.
    let user = key(4);
    for (n, stream) in [(1u64, true), (2, false)] {
        let out = chat(&client, &user, &request(MODEL, stream, false))
            .await
            .unwrap();
        assert_eq!(out.answer, WORDS.concat());
        assert_eq!(out.provider, key(GOOD).address());
        assert!(out.pass && out.error.is_none() && out.receipt_note.is_none());
        assert!(
            matches!(out.verdict, Some(Verdict::Credited { tokens: 5, .. })),
            "{out:?}"
        );
        let a = client.allowance(user.address()).await.unwrap();
        assert_eq!((a.used, a.held), (5 * n, 0));
    }

    // The proxy: an OpenAI client gets the provider's answer unchanged.
    let proxy_user = key(5);
    let proxy = start_proxy(
        &ProxyConfig {
            listen: "127.0.0.1:0".parse().unwrap(),
            router_url: running.url(),
            max_tokens: 128,
            stall_timeout: DEFAULT_STALL_TIMEOUT,
        },
        proxy_user.clone(),
    )
    .await
    .unwrap();
    let http = reqwest::Client::new();
    let url = format!("{}/v1/chat/completions", proxy.url());
    let ask = |stream: bool, model: &str| json!({"model": model, "stream": stream, "messages": [{"role": "user", "content": "hi"}]});
    let whole: Value = http
        .post(&url)
        .json(&ask(false, MODEL))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        whole["choices"][0]["message"]["content"],
        WORDS.concat(),
        "{whole}"
    );
    let streamed = http
        .post(&url)
        .json(&ask(true, MODEL))
        .send()
        .await
        .unwrap();
    assert_eq!(streamed.status(), 200);
    let text = streamed.text().await.unwrap();
    assert!(!text.contains("yellowstone.receipt"), "{text}");
    let events = SseParser::default().push(text.as_bytes());
    let content: String = events
        .iter()
        .filter_map(|e| serde_json::from_str::<Value>(&e.data).ok())
        .filter_map(|c| {
            c["choices"][0]["delta"]["content"]
                .as_str()
                .map(str::to_string)
        })
        .collect();
    assert_eq!(content, WORDS.concat());
    assert_eq!(events.last().unwrap().data, "[DONE]");
    // Both reports are credited in the background.
    eventually("the proxy's reports", || async {
        client.allowance(proxy_user.address()).await.unwrap().used == 10
    })
    .await;

    // The models on offer; a refusal as an OpenAI error with the router's status.
    let models: Value = http
        .get(format!("{}/v1/models", proxy.url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ids: Vec<&str> = models["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&MODEL), "{models}");
    let refused = http
        .post(&url)
        .json(&ask(false, "nobody-serves-this"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 503);
    assert!(refused.headers().contains_key("retry-after"));
    let error: Value = refused.json().await.unwrap();
    assert_eq!(error["error"]["code"], "no_provider", "{error}");
    // --fail (last: a fail backs the provider off): refused "failed", nothing used.
    let out = chat(&client, &user, &request(MODEL, true, true))
        .await
        .unwrap();
    assert!(!out.pass && out.error.is_none());
    assert_eq!(
        out.verdict,
        Some(Verdict::Refused {
            reason: Refusal::Failed
        })
    );

    // A failing provider: a clear error, reported as failed.
    let out = chat(&client, &user, &request(BROKEN, true, false))
        .await
        .unwrap();
    assert!(
        out.error
            .as_deref()
            .unwrap()
            .contains("the GPU caught fire"),
        "{out:?}"
    );
    assert!(!out.pass);
    assert_eq!(
        out.verdict,
        Some(Verdict::Refused {
            reason: Refusal::Failed
        })
    );

    // The allowance adds up.
    let a = client.allowance(user.address()).await.unwrap();
    assert_eq!(a.user, user.address());
    assert!(a.balance > U256::ZERO && a.allowance > 0);
    assert_eq!((a.used, a.held), (10, 0));
    assert_eq!(a.left, a.allowance - a.used - a.held);

    proxy.kill();
    running.kill();
}

#[test]
fn mor_is_formatted_exactly_from_wei() {
    assert_eq!(format_wad_exact(U256::ZERO), "0.000000000000000000");
    assert_eq!(format_wad_exact(U256::from(1u64)), "0.000000000000000001");
    assert_eq!(format_wad_exact(mor(5)), "5.000000000000000000");
    assert_eq!(
        format_wad_exact(mor(1_234) + U256::from(500_000_000_000_000_000u64)),
        "1234.500000000000000000"
    );
}

#[test]
fn sse_events_are_read_across_arbitrary_pieces() {
    let wire = "data: {\"a\":1}\r\n\r\n: a comment\nevent: yellowstone.receipt\ndata: {\"r\":2}\n\ndata: line1\ndata: line2\n\ndata: [DONE]\n\n";
    for cut in 1..wire.len() {
        let mut parser = SseParser::default();
        let mut events = parser.push(&wire.as_bytes()[..cut]);
        events.extend(parser.push(&wire.as_bytes()[cut..]));
        assert_eq!(
            events,
            vec![
                SseEvent {
                    event: None,
                    data: "{\"a\":1}".into()
                },
                SseEvent {
                    event: Some("yellowstone.receipt".into()),
                    data: "{\"r\":2}".into()
                },
                SseEvent {
                    event: None,
                    data: "line1\nline2".into()
                },
                SseEvent {
                    event: None,
                    data: "[DONE]".into()
                },
            ],
            "cut at {cut}"
        );
    }
    let event = SseEvent {
        event: Some("error".into()),
        data: "x".into(),
    };
    assert_eq!(event.to_text(), "event: error\ndata: x\n\n");
    // A cut stream leaves its partial event unreported.
    assert!(SseParser::default().push(b"data: partial\n").is_empty());
}
