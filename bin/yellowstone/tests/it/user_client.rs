//! The user's tools against a real router on the devnet and a mock provider gateway: chat
//! (streamed and whole, `--fail`, a failing provider), the allowance, and the local
//! OpenAI-compatible proxy. Its outbox (issue 13): a report is on disk before the application
//! sees the end of its answer, and a proxy that crashes with the router unreachable still gets
//! the report judged when it starts again; `firstTokenMs` from a slow provider, streamed and
//! whole. Plus the MOR formatting and the SSE reader.

use std::{
    path::{Path as FsPath, PathBuf},
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::Duration,
};

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
    chat::{chat, chat_with_outbox, ChatRequest},
    outbox::Outbox,
    proxy::{start_proxy, start_proxy_with, ProxyConfig, RunningProxy},
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
/// While `paused`, a stream stops after its last word until `release`: the answer is all
/// there but has not ended (no receipt, no `[DONE]`).
struct Mock {
    domain: Eip712Domain,
    router: Address,
    paused: AtomicBool,
    release: tokio::sync::Notify,
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
        let (tx, rx) = tokio::sync::mpsc::channel::<String>(16);
        tokio::spawn(async move {
            let mut frames = vec![
                "data: {\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\n"
                    .to_string(),
            ];
            for w in WORDS {
                let chunk = json!({"choices": [{"delta": {"content": w}}]});
                frames.push(format!("data: {chunk}\n\n"));
            }
            for frame in frames {
                let _ = tx.send(frame).await;
            }
            if m.paused.load(Ordering::SeqCst) {
                m.release.notified().await;
            }
            let receipt = serde_json::to_string(&receipt).unwrap();
            let _ = tx
                .send(format!("event: yellowstone.receipt\ndata: {receipt}\n\n"))
                .await;
            let _ = tx.send("data: [DONE]\n\n".to_string()).await;
        });
        let body = futures_util::stream::unfold(rx, |mut rx| async move {
            rx.recv()
                .await
                .map(|frame| (Ok::<_, std::convert::Infallible>(frame), rx))
        });
        (
            [("content-type", "text/event-stream")],
            axum::body::Body::from_stream(body),
        )
            .into_response()
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

/// The liveness challenge, answered as the real gateway does (signed with the provider's key).
async fn health(
    State(m): State<Arc<Mock>>,
    Path(name): Path<String>,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> Response {
    let target = format!("/{name}/health?{}", query.unwrap_or_default());
    let body = health_answer(&provider_key(&name), &m.domain, &target);
    ([("content-type", "application/json")], body).into_response()
}

/// The market every mock test starts from: both mock providers staked and joined, a router
/// with 1-second blocks on a database named `name`.
struct Mocked {
    net: Net,
    mock: Arc<Mock>,
    running: yellowstone_router::server::Running,
    client: RouterClient,
}

async fn mocked_market(name: &str) -> Mocked {
    let net = Net::start();
    net.fund(mor(10_000)).await;
    net.stake(GOOD, mor(10_000), 365).await;
    net.stake(BAD, mor(10_000), 365).await;
    net.next_day().await;
    let (gateways, mock) = mock_gateways(&net).await;
    let running = router(&net, &net.rpc.url(), &temp_db(name), 1).await;
    let client = RouterClient::new(&running.url());
    providers_join(&net, &client, &gateways).await;
    Mocked {
        net,
        mock,
        running,
        client,
    }
}

async fn mock_gateways(net: &Net) -> (String, Arc<Mock>) {
    let mock = Arc::new(Mock {
        domain: net.domain(),
        router: key(9).address(),
        paused: AtomicBool::new(false),
        release: tokio::sync::Notify::new(),
    });
    let app = axum::Router::new()
        .route("/{name}/health", get(health))
        .route("/{name}/v1/chat/completions", post(completions))
        .with_state(mock.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, mock)
}

/// `tokens` at the providers' bid price (1e15 wei): what the allowance is charged for them.
fn at_bid(tokens: u64) -> U256 {
    U256::from(tokens) * U256::from(10u64).pow(U256::from(15))
}

/// Both providers stake, attest and bid through the client.
async fn providers_join(net: &Net, client: &RouterClient, gateways: &str) {
    for (account, model, name) in [(GOOD, MODEL, "good"), (BAD, BROKEN, "bad")] {
        let price = at_bid(1);
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
    let Mocked {
        net: _net,
        running,
        client,
        ..
    } = mocked_market("user").await;

    // Chat, streamed then whole: the answer arrives, the report is credited.
    let user = key(4);
    for (n, stream) in [(1u64, true), (2, false)] {
        let out = chat(&client, &user, &request(MODEL, stream, false))
            .await
            .unwrap();
        assert_eq!(out.answer, WORDS.concat());
        assert_eq!(out.provider, key(GOOD).address());
        assert!(out.pass && out.error.is_none() && out.receipt_note.is_none());
        // The first token is timed, streamed or whole (a whole answer is assembled from a
        // stream); 0 would mean "not seen".
        assert!(
            out.first_token_ms >= 1 && out.first_token_ms <= out.elapsed_ms,
            "{out:?}"
        );
        assert!(
            matches!(out.verdict, Some(Verdict::Credited { tokens: 5, .. })),
            "{out:?}"
        );
        let a = client.allowance(user.address()).await.unwrap();
        assert_eq!((a.used, a.held), (at_bid(5 * n), U256::ZERO));
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
    // Several answers for one ticket: refused by the proxy, before the router holds anything.
    let several = json!({"model": MODEL, "n": 2, "messages": [{"role": "user", "content": "hi"}]});
    let refused = http.post(&url).json(&several).send().await.unwrap();
    assert_eq!(refused.status(), 400);
    let refused: Value = refused.json().await.unwrap();
    assert_eq!(refused["error"]["code"], "n_unsupported", "{refused}");
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
    assert_eq!(streamed_content(&text), WORDS.concat());
    assert_eq!(events.last().unwrap().data, "[DONE]");
    // Both reports are credited in the background.
    eventually("the proxy's reports", || async {
        client.allowance(proxy_user.address()).await.unwrap().used == at_bid(10)
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
    // --fail (last: a fail backs the provider off): refused "failed", yet the answer arrived
    // with its receipt, so its 5 tokens are paid for (SPEC 8).
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
    assert!(a.balance > U256::ZERO && !a.allowance.is_zero());
    assert_eq!((a.used, a.held), (at_bid(15), U256::ZERO));
    assert_eq!(a.left, a.allowance - a.used - a.held);

    proxy.kill();
    running.kill();
}

/// A TCP gate in front of the router: shut, it refuses connections and cuts the open ones
/// (keep-alive connections too), so the router is unreachable to whoever calls through it.
struct Gate {
    url: String,
    open: Arc<AtomicBool>,
    cut: tokio::sync::watch::Sender<u64>,
}

impl Gate {
    async fn start(upstream: std::net::SocketAddr) -> Gate {
        let open = Arc::new(AtomicBool::new(true));
        let (cut, _) = tokio::sync::watch::channel(0u64);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (is_open, cuts) = (open.clone(), cut.clone());
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if !is_open.load(Ordering::SeqCst) {
                    continue; // dropped at once
                }
                let mut cut = cuts.subscribe();
                tokio::spawn(async move {
                    let Ok(mut outbound) = tokio::net::TcpStream::connect(upstream).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = cut.changed() => {}
                    }
                });
            }
        });
        Gate { url, open, cut }
    }

    fn shut(&self) {
        self.open.store(false, Ordering::SeqCst);
        self.cut.send_modify(|n| *n += 1);
    }

    fn open(&self) {
        self.open.store(true, Ordering::SeqCst);
    }
}

/// A fresh outbox file.
fn temp_outbox(name: &str) -> PathBuf {
    temp_db(name).with_file_name("outbox.jsonl")
}

/// The reports stored in the outbox file (settled or not), as JSON.
fn stored_reports(path: &FsPath) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|l| l["kind"] == "report")
        .collect()
}

/// The stored report on `request`, if any.
fn stored_report(path: &FsPath, request: &str) -> Option<Value> {
    stored_reports(path)
        .into_iter()
        .find(|r| r["report"]["message"]["requestId"] == request)
}

async fn proxy_for(router_url: &str, user: &PrivateKeySigner, outbox: &FsPath) -> RunningProxy {
    start_proxy_with(
        &ProxyConfig {
            listen: "127.0.0.1:0".parse().unwrap(),
            router_url: router_url.into(),
            max_tokens: 64,
            stall_timeout: DEFAULT_STALL_TIMEOUT,
        },
        user.clone(),
        Outbox::open(outbox).unwrap(),
    )
    .await
    .unwrap()
}

/// The attack on the user's own books: the proxy answers, then dies before its report reaches
/// the router (here the router is unreachable when the answer ends). The report was on disk
/// before the application saw `[DONE]`; the next proxy on the same outbox gets it judged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proxy_that_crashes_after_answering_still_gets_its_report_judged() {
    let Mocked {
        net: _net,
        mock,
        running,
        client,
    } = mocked_market("user-outbox").await;
    let gate = Gate::start(running.addr).await;
    let outbox = temp_outbox("user-outbox");
    let user = key(6);
    let proxy = proxy_for(&gate.url, &user, &outbox).await;

    // The provider sends every word, then holds the end of its answer.
    mock.paused.store(true, Ordering::SeqCst);
    let response = reqwest::Client::new()
        .post(format!("{}/v1/chat/completions", proxy.url()))
        .json(&json!({"model": MODEL, "stream": true, "messages": [{"role": "user", "content": "hi"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let mut body = response.bytes_stream();
    let (mut parser, mut content, mut ended) = (SseParser::default(), String::new(), false);
    let mut next_events = async || {
        use futures_util::StreamExt;
        let piece = body.next().await.expect("the stream ended early").unwrap();
        parser.push(&piece)
    };
    while content != WORDS.concat() {
        for e in next_events().await {
            let chunk: Value = serde_json::from_str(&e.data).unwrap();
            content.push_str(
                chunk["choices"][0]["delta"]["content"]
                    .as_str()
                    .unwrap_or(""),
            );
        }
    }
    // The whole answer is there but it has not ended: nothing to report yet.
    let a = client.allowance(user.address()).await.unwrap();
    assert_eq!(
        (a.used, a.held),
        (U256::ZERO, at_bid(64)),
        "the ticket holds tokenMax"
    );
    assert!(stored_reports(&outbox).is_empty());

    // The router goes away; the provider ends its answer.
    gate.shut();
    mock.release.notify_one();
    while !ended {
        for e in next_events().await {
            ended |= e.data == "[DONE]";
        }
    }
    // The application saw the end: the report is already on disk, signed, with the receipt.
    let stored = stored_reports(&outbox);
    assert_eq!(stored.len(), 1, "{stored:?}");
    let report = &stored[0]["report"]["message"];
    assert_eq!(report["user"], json!(user.address()));
    assert_eq!(
        (report["pass"].clone(), report["tokens"].clone()),
        (json!(true), json!(5))
    );
    let (first, elapsed) = (
        report["firstTokenMs"].as_u64().unwrap(),
        report["elapsedMs"].as_u64().unwrap(),
    );
    assert!(first >= 1 && first <= elapsed, "{report}");
    assert_eq!(stored[0]["receipt"]["message"]["tokens"], 5);
    assert_eq!(stored[0]["router"], gate.url);
    let request = report["requestId"].as_str().unwrap().to_string();

    // The proxy crashes while its postman retries against the unreachable router.
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    proxy.kill();
    gate.open();
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let a = client.allowance(user.address()).await.unwrap();
    assert_eq!(
        (a.used, a.held),
        (U256::ZERO, at_bid(64)),
        "nothing reached the router"
    );
    assert_eq!(
        Outbox::open(&outbox)
            .unwrap()
            .pending(&gate.url)
            .unwrap()
            .len(),
        1
    );

    // A new proxy on the same outbox, the router back: the report is judged and credited.
    let again = proxy_for(&gate.url, &user, &outbox).await;
    eventually("the stored report judged", || async {
        client.allowance(user.address()).await.unwrap().used == at_bid(5)
    })
    .await;
    let a = client.allowance(user.address()).await.unwrap();
    assert_eq!(a.held, U256::ZERO);
    let (_, p) = Api::new(running.url())
        .get(&format!("/v1/providers/{}", key(GOOD).address()))
        .await;
    assert!(u256(&p["pending_wei"]) > U256::ZERO, "{p}");
    // Settled in the outbox, and a second copy would be refused as replayed.
    eventually("the report settled in the outbox", || async {
        Outbox::open(&outbox)
            .unwrap()
            .pending(&gate.url)
            .unwrap()
            .is_empty()
    })
    .await;
    assert!(
        stored_report(&outbox, &request).is_none(),
        "dropped at the rewrite"
    );
    again.kill();
    running.kill();
}

/// `user chat` stores its report before posting it; one the router cannot take stays in the
/// outbox and the next `user chat` posts it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chat_report_the_router_cannot_take_waits_for_the_next_chat() {
    let Mocked {
        net: _net,
        mock,
        running,
        client: direct,
    } = mocked_market("user-chat-outbox").await;
    let gate = Gate::start(running.addr).await;
    let client = RouterClient::new(&gate.url);
    let path = temp_outbox("user-chat-outbox");
    let outbox = Outbox::open(&path).unwrap();
    let user = key(7);

    // The router becomes unreachable while the answer streams.
    mock.paused.store(true, Ordering::SeqCst);
    let chatting = {
        let (client, user, outbox) = (client.clone(), user.clone(), outbox.clone());
        tokio::spawn(async move {
            chat_with_outbox(
                &client,
                &user,
                &request(MODEL, true, false),
                &outbox,
                |_| {},
            )
            .await
        })
    };
    eventually("the ticket issued", || async {
        direct.allowance(user.address()).await.unwrap().held == at_bid(64)
    })
    .await;
    gate.shut();
    mock.release.notify_one();
    let out = chatting.await.unwrap().unwrap();
    assert_eq!(out.answer, WORDS.concat());
    assert!(out.verdict.is_none() && out.report_kept, "{out:?}");
    let why = out.report_error.unwrap();
    assert!(
        why.contains("unreachable") && why.contains("waits in the outbox"),
        "{why}"
    );
    assert_eq!(outbox.pending(&gate.url).unwrap().len(), 1);

    // The next chat, the router back: its own report and the waiting one are judged.
    mock.paused.store(false, Ordering::SeqCst);
    gate.open();
    let out = chat_with_outbox(
        &client,
        &user,
        &request(MODEL, false, false),
        &outbox,
        |_| {},
    )
    .await
    .unwrap();
    assert!(
        matches!(out.verdict, Some(Verdict::Credited { tokens: 5, .. })),
        "{out:?}"
    );
    let a = direct.allowance(user.address()).await.unwrap();
    assert_eq!((a.used, a.held), (at_bid(10), U256::ZERO));
    assert!(outbox.pending(&gate.url).unwrap().is_empty());
    running.kill();
}

/// `firstTokenMs` from a slow provider (textgen behind the real gateway, one word per 40 ms):
/// streamed, and whole (the proxy asks for a stream and assembles the completion the
/// application gets).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_token_is_timed_for_streamed_and_whole_answers() {
    const TEXTGEN: &str = "textgen-words";
    const DELAY_MS: u64 = 40;
    let net = Net::start();
    net.fund(mor(10_000)).await;
    net.stake(GOOD, mor(10_000), 365).await;
    net.next_day().await;
    let running = router(&net, &net.rpc.url(), &temp_db("user-first-token"), 1).await;
    let client = RouterClient::new(&running.url());
    let stack = StackSpec {
        models: vec![TEXTGEN.into()],
        token_delay: Duration::from_millis(DELAY_MS),
        ..StackSpec::default()
    };
    let provider = start_stack(&net, &running.url(), GOOD, stack).await;
    let price = U256::from(10u64).pow(U256::from(15));
    join(&net, &client, GOOD, TEXTGEN, price, provider.gateway.url()).await;
    let user = key(8);
    let path = temp_outbox("user-first-token");
    let proxy = proxy_for(&running.url(), &user, &path).await;
    let http = reqwest::Client::new();
    let ask = |stream: bool| {
        http.post(format!("{}/v1/chat/completions", proxy.url()))
            .json(&json!({"model": TEXTGEN, "stream": stream, "max_tokens": 8,
                          "messages": [{"role": "user", "content": "time me"}]}))
            .send()
    };
    // What each answer's report said, read from the outbox.
    let check = |report: &Value| {
        let m = &report["report"]["message"];
        let (first, elapsed) = (
            m["firstTokenMs"].as_u64().unwrap(),
            m["elapsedMs"].as_u64().unwrap(),
        );
        assert!(
            first >= DELAY_MS,
            "first token after {first} ms: sooner than textgen's {DELAY_MS}: {m}"
        );
        assert!(first <= elapsed, "{m}");
        // Seven more words left textgen one delay apart after the first (a loaded machine
        // may deliver them closer together, not all at once).
        assert!(
            elapsed >= 8 * DELAY_MS && elapsed >= first + 2 * DELAY_MS,
            "{m}"
        );
        assert_eq!(m["tokens"], 8);
        assert_eq!(report["receipt"]["message"]["tokens"], 8);
    };

    let streamed = ask(true).await.unwrap().text().await.unwrap();
    assert!(streamed.ends_with("data: [DONE]\n\n"), "{streamed}");
    // The proxy asks for the usage chunk (to count as the gateway counts) but passes it on
    // only to an application that asked for it.
    assert!(!streamed.contains(r#""choices":[]"#), "{streamed}");
    let reports = stored_reports(&path);
    assert_eq!(reports.len(), 1);
    check(&reports[0]);

    // Whole: a correct chat completion, assembled from the provider's stream.
    let whole: Value = ask(false).await.unwrap().json().await.unwrap();
    let words = textgen_words(&whole["choices"][0]["message"]["content"]);
    assert_eq!(words, 8, "{whole}");
    assert!(
        whole["id"].as_str().unwrap().starts_with("textgen-"),
        "{whole}"
    );
    assert_eq!(whole["object"], "chat.completion");
    assert_eq!(whole["model"], TEXTGEN);
    assert_eq!(whole["choices"][0]["message"]["role"], "assistant");
    assert_eq!(whole["choices"][0]["finish_reason"], "length");
    assert_eq!(whole["usage"]["completion_tokens"], 8, "{whole}");
    assert_eq!(
        whole["usage"]["total_tokens"],
        whole["usage"]["prompt_tokens"].as_u64().unwrap() + 8
    );
    // The same words as the streamed answer to the same prompt.
    assert_eq!(
        whole["choices"][0]["message"]["content"],
        streamed_content(&streamed)
    );
    let reports = stored_reports(&path);
    assert_eq!(reports.len(), 2);
    check(&reports[1]);
    eventually("both reports credited", || async {
        client.allowance(user.address()).await.unwrap().used == at_bid(16)
    })
    .await;

    // `user chat`, whole: the same.
    let out = chat(
        &client,
        &user,
        &ChatRequest {
            max_tokens: 8,
            ..request(TEXTGEN, false, false)
        },
    )
    .await
    .unwrap();
    assert!(
        out.first_token_ms >= DELAY_MS && out.first_token_ms <= out.elapsed_ms,
        "{out:?}"
    );
    assert!(
        matches!(out.verdict, Some(Verdict::Credited { tokens: 8, .. })),
        "{out:?}"
    );

    // An application that asks for the usage chunk gets it: the gateway's, stating the receipt.
    let with_usage = http
        .post(format!("{}/v1/chat/completions", proxy.url()))
        .json(&json!({"model": TEXTGEN, "stream": true, "max_tokens": 8,
                      "stream_options": {"include_usage": true},
                      "messages": [{"role": "user", "content": "count me"}]}))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let events = SseParser::default().push(with_usage.as_bytes());
    let usage: Value = serde_json::from_str(&events[events.len() - 2].data).unwrap();
    assert_eq!(usage["choices"], json!([]), "{with_usage}");
    assert_eq!(usage["usage"]["completion_tokens"], 8, "{with_usage}");
    proxy.kill();
    running.kill();
}

fn textgen_words(content: &Value) -> usize {
    content.as_str().unwrap().split_whitespace().count()
}

/// The flag is documented, with its variable and default.
#[test]
fn the_outbox_flag_is_documented() {
    for command in ["chat", "proxy"] {
        let help = std::process::Command::new(env!("CARGO_BIN_EXE_yellowstone"))
            .args(["user", command, "--help"])
            .env_remove("YELLOWSTONE_OUTBOX")
            .output()
            .unwrap();
        let help = String::from_utf8_lossy(&help.stdout);
        for w in [
            "--outbox <FILE>",
            "YELLOWSTONE_OUTBOX",
            "outbox.jsonl",
            "fsync",
        ] {
            assert!(
                help.contains(w),
                "`user {command} --help` lacks {w:?}:\n{help}"
            );
        }
    }
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

/// The text of a streamed chat completion: every chunk's `delta.content`, in order.
fn streamed_content(text: &str) -> String {
    SseParser::default()
        .push(text.as_bytes())
        .iter()
        .filter_map(|e| serde_json::from_str::<Value>(&e.data).ok())
        .filter_map(|c| {
            c["choices"][0]["delta"]["content"]
                .as_str()
                .map(str::to_string)
        })
        .collect()
}
