//! The user's count of a streamed answer, against answers recorded from llama.cpp's server
//! (`crates/gateway/tests/it/recorded/`) replayed by a provider, and against providers that
//! inflate: the count is the provider's usage, else the chunks that are tokens (empty byte-token
//! chunks included), at most the bytes of text delivered and tokenMax. The gateway counts the
//! same way (`yellowstone_api::stream`), so an honest provider's receipt and the user agree.

use std::sync::{Arc, Mutex};

use axum::{extract::State, routing::post, Json};
use serde_json::{json, Value};
use yellowstone_client::exchange::{provider_http, Exchange, Step};

use crate::support::{admitted, key};

/// A recorded answer of llama.cpp's server (llama-cpp-python 0.3.36).
fn recorded(name: &str) -> String {
    let path = format!(
        "{}/../gateway/tests/it/recorded/llama-cpp-python/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// `stream-16.sse` with `extra` events inserted before its closing chunk.
fn stream_16_with(extra: &[String]) -> String {
    let mut events: Vec<String> = recorded("stream-16.sse")
        .split("\n\n")
        .filter(|e| !e.trim().is_empty())
        .map(str::to_string)
        .collect();
    let finish = events.len() - 2;
    events.splice(finish..finish, extra.iter().cloned());
    events.iter().map(|e| format!("{e}\n\n")).collect()
}

/// A provider answering every request with `body` as an event stream; returns its URL and
/// the requests it received.
async fn provider(body: String) -> (String, Arc<Mutex<Vec<Value>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let app = axum::Router::new()
        .route(
            "/v1/chat/completions",
            post(
                |State((body, seen)): State<(String, Arc<Mutex<Vec<Value>>>)>,
                 Json(request): Json<Value>| async move {
                    seen.lock().unwrap().push(request);
                    ([("content-type", "text/event-stream")], body)
                },
            ),
        )
        .with_state((body, seen.clone()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, seen)
}

/// Streams one request of `token_max` from a provider answering `body`: the user's count, the
/// steps seen, and the requests the provider received.
async fn count(body: String, token_max: u64) -> (u64, Vec<Step>, Vec<Value>) {
    let (url, seen) = provider(body).await;
    let mut exchange = Exchange::new(
        admitted(7, &url, token_max),
        std::time::Duration::from_secs(10),
    );
    let ask =
        json!({"model": "x", "stream": true, "messages": [{"role": "user", "content": "hello"}]});
    let response = exchange.send(&provider_http(), ask).await.unwrap();
    let mut body = response.bytes_stream();
    let mut steps = Vec::new();
    while let Some(piece) = exchange.next_piece(&mut body).await {
        steps.extend(exchange.stream_piece(&piece).into_iter().map(|(_, s)| s));
    }
    exchange.end_stream();
    let sealed = exchange.seal(&key(3), false).unwrap();
    assert_eq!(sealed.report.message.tokens, sealed.tokens);
    let seen = seen.lock().unwrap().clone();
    (sealed.tokens, steps, seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn llama_cpps_empty_byte_token_chunks_are_counted_as_its_usage_counts_them() {
    let (tokens, steps, seen) = count(recorded("stream-16.sse"), 64).await;
    let whole: Value = serde_json::from_str(&recorded("whole-16.json")).unwrap();
    assert_eq!(
        tokens,
        whole["usage"]["completion_tokens"].as_u64().unwrap()
    );
    assert_eq!(tokens, 16, "not 9, the chunks with text in them");
    assert_eq!(
        steps
            .iter()
            .filter(|s| matches!(s, Step::Chunk(Some(_))))
            .count(),
        9
    );
    // Streams are asked with their usage, so the count can agree with the receipt.
    assert_eq!(seen[0]["stream_options"]["include_usage"], true);
    // Capped at tokenMax: llama.cpp overruns max_tokens (26 tokens for 24).
    assert_eq!(count(recorded("stream-usage-asked.sse"), 24).await.0, 24);
    assert_eq!(count(recorded("stream-multibyte.sse"), 64).await.0, 48);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_usage_chunk_counts_and_is_its_own_step() {
    let usage = r#"data: {"choices":[],"usage":{"prompt_tokens":28,"completion_tokens":17,"total_tokens":45}}"#;
    let body =
        recorded("stream-16.sse").replace("data: [DONE]", &format!("{usage}\n\ndata: [DONE]"));
    let (tokens, steps, _) = count(body, 64).await;
    assert_eq!(
        tokens, 17,
        "the provider's usage, within the 18 bytes delivered"
    );
    assert!(steps.contains(&Step::Usage));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attack_a_provider_padding_with_empty_chunks_is_held_to_its_bytes() {
    let pad = r#"data: {"choices":[{"index":0,"delta":{"content":""},"finish_reason":null}]}"#;
    let (tokens, _, _) = count(stream_16_with(&vec![pad.to_string(); 200]), 512).await;
    assert_eq!(tokens, 18, "216 chunks, 18 bytes of text");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attack_a_provider_claiming_a_billion_tokens_is_held_to_its_bytes() {
    let usage = r#"data: {"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":1000000000,"total_tokens":1000000001}}"#;
    let (tokens, _, _) = count(stream_16_with(&[usage.to_string()]), 512).await;
    assert_eq!(tokens, 18);
}
