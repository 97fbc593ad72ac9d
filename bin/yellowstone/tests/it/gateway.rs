//! The provider gateway over real HTTP, in-process: textgen (or a misbehaving mock) behind it,
//! tickets signed here by a router key the gateway is told to trust, receipts posted to a mock
//! router that records them.

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::Duration,
};

use alloy_primitives::{address, keccak256, Address, B256, U256};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::Eip712Domain;
use axum::{body::Body, extract::State, response::IntoResponse, routing::post, Json, Router};
use futures_util::StreamExt;
use serde_json::{json, Value};
use yellowstone_gateway::textgen::{start_textgen, RunningTextgen, TextgenConfig};
use yellowstone_gateway::{GatewayConfig, RunningGateway, Trust, RECEIPT_HEADER};
use yellowstone_protocol::{
    eip712::types::domain,
    messages::{Party, Receipt, Signed, Ticket},
};

const MODEL: &str = "demo-1b";
const CHAIN_ID: u64 = 412_346;
const CONTRACT: Address = address!("00000000000000000000000000000000000c0de1");
const TOKEN_MAX: u64 = 12;

fn key(n: u8) -> PrivateKeySigner {
    PrivateKeySigner::from_bytes(&B256::repeat_byte(n)).unwrap()
}
fn router_key() -> PrivateKeySigner {
    key(0x11)
}
fn provider_key() -> PrivateKeySigner {
    key(0x22)
}
fn market() -> Eip712Domain {
    domain(CHAIN_ID, CONTRACT)
}
fn local() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}
fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn sign<T: Party>(signer: &PrivateKeySigner, message: T) -> Signed<T> {
    Signed::sign(message, signer, &market()).unwrap()
}

/// A ticket for request `n`, valid for two minutes, for [`TOKEN_MAX`] tokens.
fn ticket(n: u64) -> Ticket {
    Ticket {
        requestId: keccak256(n.to_be_bytes()),
        user: key(0x33).address(),
        provider: provider_key().address(),
        model: MODEL.into(),
        tokenMax: TOKEN_MAX,
        pricePerToken: U256::from(1_000u64),
        expiry: now() + 120,
    }
}

fn bearer(ticket: Ticket) -> String {
    format!("Bearer {}", sign(&router_key(), ticket).to_token())
}

fn chat(stream: bool) -> Value {
    json!({"model": MODEL, "stream": stream,
           "messages": [{"role": "user", "content": "Tell me about the park"}]})
}

/// A mock router recording the receipts posted to it.
async fn mock_router() -> (String, Arc<Mutex<Vec<Signed<Receipt>>>>) {
    let receipts = Arc::new(Mutex::new(Vec::new()));
    let app = Router::new()
        .route(
            "/v1/receipts",
            post(
                |State(r): State<Arc<Mutex<Vec<Signed<Receipt>>>>>,
                 Json(receipt): Json<Signed<Receipt>>| async move {
                    r.lock().unwrap().push(receipt);
                    Json(json!({"accepted": true}))
                },
            ),
        )
        .with_state(receipts.clone());
    (serve(app).await, receipts)
}

async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind(local()).await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

async fn textgen(fail_after: Option<u64>) -> RunningTextgen {
    start_textgen(TextgenConfig {
        listen: local(),
        token_delay: Duration::ZERO,
        fail_after,
    })
    .await
    .unwrap()
}

fn config(backend: String) -> GatewayConfig {
    let trust = Trust {
        router: router_key().address(),
        chain_id: CHAIN_ID,
        contract: CONTRACT,
    };
    let mut config = GatewayConfig::new(local(), backend, trust);
    config.models = vec![MODEL.into()];
    config.backend_timeout = Duration::from_secs(5);
    config
}

async fn gateway(config: GatewayConfig) -> RunningGateway {
    yellowstone_gateway::start(config, provider_key())
        .await
        .unwrap()
}

async fn post_chat(gw: &RunningGateway, auth: Option<String>, body: &Value) -> reqwest::Response {
    let mut request = reqwest::Client::new()
        .post(format!("{}/v1/chat/completions", gw.url()))
        .json(body);
    if let Some(auth) = auth {
        request = request.header("authorization", auth);
    }
    request.send().await.unwrap()
}

/// Server-sent events as (event name, data).
fn events(text: &str) -> Vec<(Option<String>, String)> {
    text.split("\n\n")
        .filter(|e| !e.trim().is_empty())
        .map(|e| {
            let mut name = None;
            let mut data = String::new();
            for line in e.lines() {
                if let Some(v) = line.strip_prefix("event: ") {
                    name = Some(v.to_string());
                } else if let Some(v) = line.strip_prefix("data: ") {
                    data.push_str(v);
                }
            }
            (name, data)
        })
        .collect()
}

fn content_of(data: &str) -> Option<String> {
    let chunk: Value = serde_json::from_str(data).ok()?;
    let content = chunk["choices"][0]["delta"]["content"].as_str()?;
    (!content.is_empty()).then(|| content.to_string())
}

/// The receipt event of a stream, checked to be signed by the provider.
fn receipt_event(events: &[(Option<String>, String)]) -> Receipt {
    let (_, data) = events
        .iter()
        .find(|(n, _)| n.as_deref() == Some("yellowstone.receipt"))
        .expect("a receipt event");
    let signed: Signed<Receipt> = serde_json::from_str(data).unwrap();
    assert_eq!(signed.verify(&market(), None), Ok(provider_key().address()));
    signed.message
}

#[tokio::test(flavor = "multi_thread")]
async fn a_valid_ticket_gets_an_answer_and_a_signed_receipt() {
    let backend = textgen(None).await;
    let (router, posted) = mock_router().await;
    let mut config = config(backend.url());
    config.router = Some(router);
    let gw = gateway(config).await;

    let response = post_chat(&gw, Some(bearer(ticket(1))), &chat(false)).await;
    assert_eq!(response.status(), 200);
    let header = response.headers()[RECEIPT_HEADER]
        .to_str()
        .unwrap()
        .to_string();
    let answer: Value = response.json().await.unwrap();
    let content = answer["choices"][0]["message"]["content"].as_str().unwrap();
    assert_eq!(content.split_whitespace().count() as u64, TOKEN_MAX);
    assert_eq!(answer["usage"]["completion_tokens"], TOKEN_MAX);
    let receipt = Signed::<Receipt>::from_token(&header).unwrap();
    assert_eq!(
        receipt.verify(&market(), None),
        Ok(provider_key().address())
    );
    assert_eq!(receipt.message.requestId, ticket(1).requestId);
    assert_eq!(receipt.message.tokens, TOKEN_MAX);

    let mut asked = chat(false);
    asked["max_tokens"] = json!(5);
    let response = post_chat(&gw, Some(bearer(ticket(2))), &asked).await;
    assert_eq!(response.status(), 200);
    let header = response.headers()[RECEIPT_HEADER]
        .to_str()
        .unwrap()
        .to_string();
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["usage"]["completion_tokens"], 5);
    assert_eq!(
        Signed::<Receipt>::from_token(&header)
            .unwrap()
            .message
            .tokens,
        5
    );
    assert_eq!(backend.requests(), 2);

    for _ in 0..50 {
        if posted.lock().unwrap().len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let posted = posted.lock().unwrap();
    assert_eq!(posted.len(), 2, "both receipts reach the router");
    assert!(posted.contains(&receipt));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stream_relays_chunks_then_the_receipt_then_done() {
    let backend = textgen(None).await;
    let gw = gateway(config(backend.url())).await; // no router: receipts go to the user only

    let response = post_chat(&gw, Some(bearer(ticket(1))), &chat(true)).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let events = events(&response.text().await.unwrap());
    let contents: Vec<String> = events.iter().filter_map(|(_, d)| content_of(d)).collect();
    assert_eq!(contents.len() as u64, TOKEN_MAX);
    assert!(
        events.iter().all(|(_, d)| !d.contains("\"usage\":{")),
        "no usage chunk unless the user asked for one"
    );
    let receipt = receipt_event(&events);
    assert_eq!(receipt.tokens, contents.len() as u64);
    let n = events.len();
    assert_eq!(events[n - 2].0.as_deref(), Some("yellowstone.receipt"));
    assert_eq!(events[n - 1], (None, "[DONE]".to_string()));

    // The same prompt, not streamed, is the same text: textgen is deterministic.
    let response = post_chat(&gw, Some(bearer(ticket(2))), &chat(false)).await;
    let answer: Value = response.json().await.unwrap();
    assert_eq!(
        answer["choices"][0]["message"]["content"],
        contents.concat()
    );
}

/// A backend that ignores `max_tokens`: 50 streamed words (the gateway always asks for a
/// stream); or, in `cut` mode, three streamed words and then a dropped connection.
async fn unruly_backend(cut: bool) -> String {
    let app = Router::new().route(
        "/v1/chat/completions",
        post(move |Json(body): Json<Value>| async move {
            let chunk = |w: &str| {
                let c = json!({"choices": [{"index": 0, "delta": {"content": w}}]});
                Ok::<_, std::io::Error>(format!("data: {c}\n\n"))
            };
            assert_eq!(body["stream"], json!(true), "the gateway asks for a stream");
            let mut frames: Vec<Result<String, std::io::Error>> = (0..if cut { 3 } else { 50 })
                .map(|_| chunk(" word"))
                .collect();
            if cut {
                frames.push(Err(std::io::Error::other("the backend crashed")));
            } else {
                frames.push(Ok("data: [DONE]\n\n".into()));
            }
            // Paced, so the first chunks are on the wire before the connection drops.
            let paced = futures_util::stream::iter(frames).then(|frame| async move {
                tokio::time::sleep(Duration::from_millis(10)).await;
                frame
            });
            Body::from_stream(paced).into_response()
        }),
    );
    serve(app).await
}

#[tokio::test(flavor = "multi_thread")]
async fn output_is_capped_at_token_max_even_when_the_backend_sends_more() {
    let gw = gateway(config(unruly_backend(false).await)).await;

    let response = post_chat(&gw, Some(bearer(ticket(1))), &chat(true)).await;
    let events = events(&response.text().await.unwrap());
    let contents = events.iter().filter_map(|(_, d)| content_of(d)).count() as u64;
    assert_eq!(contents, TOKEN_MAX);
    assert_eq!(receipt_event(&events).tokens, TOKEN_MAX);
    assert_eq!(events.last().unwrap().1, "[DONE]");

    let response = post_chat(&gw, Some(bearer(ticket(2))), &chat(false)).await;
    assert_eq!(response.status(), 200);
    let header = response.headers()[RECEIPT_HEADER].to_str().unwrap();
    let receipt = Signed::<Receipt>::from_token(header).unwrap();
    assert_eq!(
        receipt.message.tokens, TOKEN_MAX,
        "usage 50 is capped at tokenMax"
    );
    // The whole answer is cut too: the gateway streams from the backend and assembles it.
    let answer: Value = response.json().await.unwrap();
    let content = answer["choices"][0]["message"]["content"].as_str().unwrap();
    assert_eq!(content.split_whitespace().count() as u64, TOKEN_MAX);
    assert_eq!(answer["choices"][0]["finish_reason"], "length");
    assert_eq!(answer["usage"]["completion_tokens"], TOKEN_MAX);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stream_cut_midway_ends_with_an_error_event_and_a_receipt() {
    let gw = gateway(config(unruly_backend(true).await)).await;
    let response = post_chat(&gw, Some(bearer(ticket(1))), &chat(true)).await;
    assert_eq!(response.status(), 200);
    let events = events(&response.text().await.unwrap());
    let contents = events.iter().filter_map(|(_, d)| content_of(d)).count();
    assert_eq!(contents, 3);
    let (_, error) = events
        .iter()
        .find(|(n, _)| n.as_deref() == Some("error"))
        .expect("an error event");
    let error: Value = serde_json::from_str(error).unwrap();
    assert_eq!(error["error"]["type"], "backend_error");
    assert_eq!(receipt_event(&events).tokens, 3);
    assert!(events.iter().all(|(_, d)| d != "[DONE]"));
    // The ticket stays used.
    let again = post_chat(&gw, Some(bearer(ticket(1))), &chat(true)).await;
    assert_eq!(again.status(), 409);
}

async fn refused(gw: &RunningGateway, auth: Option<String>, body: &Value, status: u16, code: &str) {
    let response = post_chat(gw, auth, body).await;
    assert_eq!(response.status(), status, "{code}");
    let error: Value = response.json().await.unwrap();
    assert_eq!(error["error"]["code"], code);
    assert!(error["error"]["type"].is_string() && error["error"]["message"].is_string());
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_tickets_are_refused_before_the_backend() {
    let backend = textgen(None).await;
    let gw = gateway(config(backend.url())).await;
    let body = chat(false);

    refused(&gw, None, &body, 401, "missing_ticket").await;
    refused(&gw, Some("Bearer zzz".into()), &body, 401, "invalid_ticket").await;
    refused(&gw, Some("Basic abc".into()), &body, 401, "invalid_ticket").await;
    let forged = format!("Bearer {}", sign(&key(0x44), ticket(1)).to_token());
    refused(&gw, Some(forged), &body, 401, "bad_ticket_signature").await;
    let mut other = ticket(1);
    other.provider = key(0x55).address();
    refused(&gw, Some(bearer(other)), &body, 403, "wrong_provider").await;
    let mut expired = ticket(1);
    expired.expiry = now() - 60;
    refused(&gw, Some(bearer(expired)), &body, 401, "ticket_expired").await;
    let mut wrong_model = body.clone();
    wrong_model["model"] = json!("other-model");
    refused(
        &gw,
        Some(bearer(ticket(1))),
        &wrong_model,
        400,
        "model_mismatch",
    )
    .await;
    for field in ["max_tokens", "max_completion_tokens"] {
        let mut greedy = body.clone();
        greedy[field] = json!(TOKEN_MAX + 1);
        refused(
            &gw,
            Some(bearer(ticket(1))),
            &greedy,
            400,
            "max_tokens_exceeds_ticket",
        )
        .await;
    }
    assert_eq!(
        backend.requests(),
        0,
        "no refused request reached the backend"
    );

    // Refusals did not burn the ticket; its first use does.
    assert_eq!(
        post_chat(&gw, Some(bearer(ticket(1))), &body)
            .await
            .status(),
        200
    );
    refused(&gw, Some(bearer(ticket(1))), &body, 409, "ticket_used").await;
    refused(
        &gw,
        Some(bearer(ticket(1))),
        &chat(true),
        409,
        "ticket_used",
    )
    .await;
    assert_eq!(backend.requests(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_clock_offset_decides_expiry() {
    let backend = textgen(None).await;
    let mut ahead = config(backend.url());
    ahead.now_offset = 3_600; // a devnet an hour in the future
    let gw = gateway(ahead).await;
    refused(
        &gw,
        Some(bearer(ticket(1))),
        &chat(false),
        401,
        "ticket_expired",
    )
    .await;

    let mut behind = config(backend.url());
    behind.now_offset = -3_600;
    let gw = gateway(behind).await;
    let mut old = ticket(1);
    old.expiry = now() - 600;
    assert_eq!(
        post_chat(&gw, Some(bearer(old)), &chat(false))
            .await
            .status(),
        200
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_backend_is_a_502_openai_error() {
    let backend = textgen(Some(0)).await;
    let gw = gateway(config(backend.url())).await;
    for (n, stream) in [(1, false), (2, true)] {
        let response = post_chat(&gw, Some(bearer(ticket(n))), &chat(stream)).await;
        assert_eq!(response.status(), 502);
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["error"]["type"], "backend_error");
        assert_eq!(error["error"]["code"], "backend_status");
        assert!(error["error"]["message"].as_str().unwrap().contains("500"));
    }
    assert_eq!(backend.requests(), 2);

    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let gw = gateway(config(format!("http://{closed}"))).await;
    let response = post_chat(&gw, Some(bearer(ticket(3))), &chat(false)).await;
    assert_eq!(response.status(), 502);
    let error: Value = response.json().await.unwrap();
    assert_eq!(error["error"]["code"], "backend_unreachable");
}

#[tokio::test(flavor = "multi_thread")]
async fn health_follows_the_backend_and_models_are_listed() {
    let backend = textgen(None).await;
    let gw = gateway(config(backend.url())).await;
    let client = reqwest::Client::new();
    let health = client
        .get(format!("{}/health", gw.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    assert_eq!(
        health.json::<Value>().await.unwrap(),
        json!({"backend_live": true, "capacity": 8, "in_flight": 0,
               "provider": provider_key().address(), "status": "ok"})
    );
    let models: Value = client
        .get(format!("{}/v1/models", gw.url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(models["object"], "list");
    assert_eq!(models["data"][0]["id"], MODEL);

    backend.kill();
    tokio::time::sleep(Duration::from_millis(2_100)).await; // past the probe cache
    let health = client
        .get(format!("{}/health", gw.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 503);
}

/// SPEC 8, many keys behind one endpoint: the router's own prober against the real gateway.
/// Only the key the gateway holds is live there; a second key bid at the same endpoint is not,
/// and the prober says why.
#[tokio::test(flavor = "multi_thread")]
async fn the_routers_probe_finds_only_the_key_the_gateway_holds_live() {
    use yellowstone_router::service::probe::Prober;
    let backend = textgen(None).await;
    let gw = gateway(config(backend.url())).await;
    let prober = Prober::new(Duration::from_secs(2), Duration::from_secs(60));
    let held = provider_key().address();
    assert!(prober.live(&gw.url(), held, &market()).await);
    assert_eq!(prober.failure(&gw.url(), held), None);

    let second = key(0x55).address();
    assert!(!prober.live(&gw.url(), second, &market()).await);
    let why = prober.failure(&gw.url(), second).unwrap();
    assert!(why.contains(&format!("holds the key of {held}")), "{why}");

    // Under another market's domain the same gateway proves nothing.
    let other = domain(CHAIN_ID + 1, CONTRACT);
    let fresh = Prober::new(Duration::from_secs(2), Duration::from_secs(60));
    assert!(!fresh.live(&gw.url(), held, &other).await);
    // A gateway whose backend is down is not live either.
    backend.kill();
    tokio::time::sleep(Duration::from_millis(2_100)).await; // past the gateway's backend cache
    let later = Prober::new(Duration::from_secs(2), Duration::from_secs(60));
    assert!(!later.live(&gw.url(), held, &market()).await);
    assert!(later
        .failure(&gw.url(), held)
        .unwrap()
        .contains("backend is down"));
}
