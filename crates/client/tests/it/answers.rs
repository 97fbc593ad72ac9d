//! The tally of one answer against a mock provider: `firstTokenMs` is timed on every answer
//! that streams, a whole answer is asked as a stream and assembled (unless its shape cannot
//! be), and the receipt at the end of the stream is kept.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{
    body::Body,
    extract::State,
    http::HeaderMap,
    response::{IntoResponse, Response},
    routing::post,
    Json,
};
use serde_json::{json, Value};
use yellowstone_client::{
    assemble::{self, Assembly},
    exchange::{provider_http, Exchange, Step},
};
use yellowstone_protocol::messages::{Signed, Ticket};

use crate::support::{admitted, key, receipt};

const WORDS: [&str; 4] = ["Slow", " and", " steady", " wins"];
const DELAY: Duration = Duration::from_millis(60);

/// A provider that streams one word per `delay` (or, asked whole, answers after as long).
struct Provider {
    delay: Duration,
    /// Answers whole even when asked for a stream.
    whole_only: bool,
    /// The requests it received.
    seen: Mutex<Vec<Value>>,
    /// How many requests it still answers `503 busy`, as a gateway at its capacity does.
    busy: Mutex<u32>,
}

async fn completions(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    p.seen.lock().unwrap().push(body.clone());
    {
        let mut busy = p.busy.lock().unwrap();
        if *busy > 0 {
            *busy -= 1;
            let error = json!({"error": {"code": "busy", "message": "at capacity", "type": "server_error"}});
            return (
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                [("retry-after", "1")],
                Json(error),
            )
                .into_response();
        }
    }
    let token = headers["authorization"].to_str().unwrap()["Bearer ".len()..].to_string();
    let ticket = Signed::<Ticket>::from_token(&token).unwrap().message;
    let receipt = receipt(ticket.requestId, WORDS.len() as u64);
    let usage = json!({"prompt_tokens": 3, "completion_tokens": WORDS.len(), "total_tokens": 3 + WORDS.len()});
    if body["stream"] != json!(true) || p.whole_only {
        tokio::time::sleep(p.delay * WORDS.len() as u32).await;
        let answer = json!({"id": "cmpl-whole", "object": "chat.completion", "created": 7, "model": "mock-1b",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": WORDS.concat()}, "finish_reason": "stop"}],
            "usage": usage});
        return (
            [("x-yellowstone-receipt", receipt.to_token())],
            Json(answer),
        )
            .into_response();
    }
    let chunk = |choices: Value, usage: Value| {
        let c = json!({"id": "cmpl-7", "object": "chat.completion.chunk", "created": 1_700_000_000,
                       "model": "mock-1b", "system_fingerprint": "fp-1", "choices": choices, "usage": usage});
        format!("data: {c}\n\n")
    };
    let mut frames = vec![chunk(
        json!([{"index": 0, "delta": {"role": "assistant", "content": ""}}]),
        Value::Null,
    )];
    for w in WORDS {
        frames.push(chunk(
            json!([{"index": 0, "delta": {"content": w}}]),
            Value::Null,
        ));
    }
    frames.push(chunk(
        json!([{"index": 0, "delta": {}, "finish_reason": "length"}]),
        Value::Null,
    ));
    if body["stream_options"]["include_usage"] == json!(true) {
        frames.push(chunk(json!([]), usage));
    }
    frames.push(format!(
        "event: yellowstone.receipt\ndata: {}\n\n",
        serde_json::to_string(&receipt).unwrap()
    ));
    frames.push("data: [DONE]\n\n".into());
    let delay = p.delay;
    let stream = futures_util::stream::iter(frames.into_iter().enumerate()).then(
        move |(i, frame)| async move {
            // The role chunk at once, then one word per delay.
            if (1..=WORDS.len()).contains(&i) {
                tokio::time::sleep(delay).await;
            }
            Ok::<_, std::convert::Infallible>(frame)
        },
    );
    (
        [("content-type", "text/event-stream")],
        Body::from_stream(stream),
    )
        .into_response()
}

use futures_util::StreamExt;

async fn provider(delay: Duration, whole_only: bool) -> (String, Arc<Provider>) {
    let p = Arc::new(Provider {
        delay,
        whole_only,
        seen: Mutex::new(Vec::new()),
        busy: Mutex::new(0),
    });
    let app = axum::Router::new()
        .route("/v1/chat/completions", post(completions))
        .with_state(p.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, p)
}

fn ask(stream: bool) -> Value {
    json!({"model": "anything", "stream": stream, "messages": [{"role": "user", "content": "go"}]})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_streamed_answer_times_its_first_token() {
    let (url, _) = provider(DELAY, false).await;
    let mut exchange = Exchange::new(admitted(1, &url, 16), Duration::from_secs(10));
    let response = exchange.send(&provider_http(), ask(true)).await.unwrap();
    let mut body = response.bytes_stream();
    let mut text = String::new();
    while let Some(piece) = exchange.next_piece(&mut body).await {
        for (_, step) in exchange.stream_piece(&piece) {
            if let Step::Chunk(Some(t)) = step {
                text.push_str(&t);
            }
        }
    }
    exchange.end_stream();
    assert_eq!(text, WORDS.concat());
    let sealed = exchange.seal(&key(3), false).unwrap();
    let (first, elapsed) = (sealed.first_token_ms, sealed.elapsed_ms);
    let delay = DELAY.as_millis() as u64;
    assert!(
        first >= delay,
        "first token {first} ms: sooner than the provider's {delay} ms"
    );
    assert!(
        first <= elapsed,
        "first token {first} ms after the last ({elapsed} ms)"
    );
    // The last token left the provider three delays after the first; a loaded machine may
    // deliver them closer together, but not all at once.
    assert!(elapsed >= 4 * delay, "{first} .. {elapsed}");
    assert!(elapsed >= first + delay, "{first} .. {elapsed}");
    assert_eq!(sealed.report.message.firstTokenMs, first);
    assert_eq!(sealed.report.message.elapsedMs, elapsed);
    assert!(sealed.pass && sealed.receipt.is_some() && sealed.tokens == 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_at_its_capacity_is_asked_again_with_the_same_ticket() {
    let (url, p) = provider(Duration::ZERO, false).await;
    *p.busy.lock().unwrap() = 2;
    let mut exchange = Exchange::new(admitted(5, &url, 16), Duration::from_secs(10));
    let response = exchange.send(&provider_http(), ask(true)).await.unwrap();
    assert!(response.status().is_success());
    assert_eq!(
        p.seen.lock().unwrap().len(),
        3,
        "two busy answers, then served"
    );

    // Busy for longer than the client waits: the answer fails with the gateway's status.
    *p.busy.lock().unwrap() = 10;
    let mut exchange = Exchange::new(admitted(6, &url, 16), Duration::from_secs(10));
    let failure = exchange
        .send(&provider_http(), ask(true))
        .await
        .unwrap_err();
    assert_eq!(failure.status, 503, "{failure:?}");
    assert!(failure.message.contains("at capacity"), "{failure:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_seen_at_once_is_still_timed_at_one_millisecond_at_least() {
    let (url, _) = provider(Duration::ZERO, false).await;
    let mut exchange = Exchange::new(admitted(2, &url, 16), Duration::from_secs(10));
    let response = exchange.send(&provider_http(), ask(true)).await.unwrap();
    let mut body = response.bytes_stream();
    while let Some(piece) = exchange.next_piece(&mut body).await {
        exchange.stream_piece(&piece);
    }
    exchange.end_stream();
    // 0 means "not seen" to the router: a seen token is never 0.
    let (first, elapsed) = (exchange.first_token_ms(), exchange.elapsed_ms());
    assert!(first >= 1 && first <= elapsed, "{first} / {elapsed}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whole_answer_is_asked_as_a_stream_and_assembled() {
    let (url, p) = provider(DELAY, false).await;
    let mut exchange = Exchange::new(admitted(3, &url, 16), Duration::from_secs(10));
    let mut request = ask(false);
    request["temperature"] = json!(0.2);
    let response = exchange.send(&provider_http(), request).await.unwrap();
    assert!(exchange.assembling());
    let (answer, text) = exchange.read_whole(response).await.unwrap();
    assert!(exchange.failed().is_none(), "{:?}", exchange.failed());
    assert_eq!(text, WORDS.concat());
    let answer: Value = serde_json::from_slice(&answer).unwrap();
    assert_eq!(
        answer,
        json!({
            "id": "cmpl-7", "object": "chat.completion", "created": 1_700_000_000,
            "model": "mock-1b", "system_fingerprint": "fp-1",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": WORDS.concat()},
                         "finish_reason": "length", "logprobs": null}],
            "usage": {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7},
        })
    );
    // The provider was asked for a stream with its usage; the rest of the request unchanged.
    let seen = p.seen.lock().unwrap()[0].clone();
    assert_eq!(seen["stream"], true);
    assert_eq!(seen["stream_options"]["include_usage"], true);
    assert_eq!(
        (seen["temperature"].clone(), seen["max_tokens"].clone()),
        (json!(0.2), json!(16))
    );
    let sealed = exchange.seal(&key(3), false).unwrap();
    let delay = DELAY.as_millis() as u64;
    assert!(sealed.first_token_ms >= delay, "{sealed:?}");
    assert!(
        sealed.first_token_ms + delay <= sealed.elapsed_ms && sealed.elapsed_ms >= 4 * delay,
        "{sealed:?}"
    );
    // The receipt came at the end of the stream, and was kept.
    assert_eq!(sealed.receipt.as_ref().map(|r| r.message.tokens), Some(4));
    assert_eq!(sealed.tokens, 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_that_cannot_be_assembled_is_taken_whole_with_no_first_token() {
    let (url, p) = provider(DELAY, false).await;
    let mut exchange = Exchange::new(admitted(4, &url, 16), Duration::from_secs(10));
    let mut request = ask(false);
    request["tools"] = json!([{"type": "function", "function": {"name": "f"}}]);
    let response = exchange.send(&provider_http(), request).await.unwrap();
    assert!(!exchange.assembling());
    let (answer, text) = exchange.read_whole(response).await.unwrap();
    assert_eq!(text, WORDS.concat());
    let answer: Value = serde_json::from_slice(&answer).unwrap();
    assert_eq!(
        answer["id"], "cmpl-whole",
        "relayed as the provider sent it"
    );
    assert_eq!(p.seen.lock().unwrap()[0]["stream"], false);
    let sealed = exchange.seal(&key(3), false).unwrap();
    assert_eq!(
        sealed.first_token_ms, 0,
        "a whole answer's first token is not seen"
    );
    assert!(sealed.elapsed_ms >= 4 * DELAY.as_millis() as u64);
    assert!(sealed.receipt.is_some() && sealed.pass);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_that_answers_whole_when_asked_for_a_stream_is_taken_whole() {
    let (url, p) = provider(Duration::ZERO, true).await;
    let mut exchange = Exchange::new(admitted(5, &url, 16), Duration::from_secs(10));
    let response = exchange.send(&provider_http(), ask(false)).await.unwrap();
    assert_eq!(p.seen.lock().unwrap()[0]["stream"], true);
    let (_, text) = exchange.read_whole(response).await.unwrap();
    assert!(exchange.failed().is_none(), "{:?}", exchange.failed());
    assert_eq!(text, WORDS.concat());
    assert_eq!(exchange.first_token_ms(), 0);
    // A stream the application asked for must still be one.
    let mut exchange = Exchange::new(admitted(6, &url, 16), Duration::from_secs(10));
    let failure = exchange
        .send(&provider_http(), ask(true))
        .await
        .unwrap_err();
    assert!(failure.message.contains("not an event stream"), "{failure}");
}

#[test]
fn only_one_plain_text_choice_is_assembled() {
    for (request, sound) in [
        (json!({"messages": []}), true),
        (
            json!({"n": 1, "tool_choice": null, "logprobs": false}),
            true,
        ),
        (json!({"modalities": ["text"]}), true),
        (json!({"n": 2}), false),
        (json!({"tools": []}), false),
        (json!({"tool_choice": "auto"}), false),
        (json!({"functions": [{"name": "f"}]}), false),
        (json!({"function_call": "auto"}), false),
        (json!({"logprobs": true}), false),
        (json!({"modalities": ["text", "audio"]}), false),
        (json!({"audio": {"voice": "alloy"}}), false),
        (json!("not an object"), false),
    ] {
        assert_eq!(assemble::sound(&request), sound, "{request}");
    }
    let mut request = json!({"stream": false, "stream_options": {"other": 1}});
    assemble::as_stream(&mut request);
    assert_eq!(
        request,
        json!({"stream": true, "stream_options": {"other": 1, "include_usage": true}})
    );
}

#[test]
fn an_assembly_without_ids_or_finish_says_so_plainly() {
    let mut a = Assembly::default();
    a.take(&json!({"choices": [{"delta": {"content": "Hi"}}]}));
    a.take(&json!({"choices": [{"index": 1, "delta": {"content": " other choice"}}]}));
    a.take(&json!({"choices": [{"index": 0, "delta": {"content": " there", "refusal": "no"}}]}));
    assert_eq!(a.text(), "Hi there");
    assert_eq!(
        a.completion("yellowstone-0x01", "mock-1b"),
        json!({"id": "yellowstone-0x01", "object": "chat.completion", "created": 0, "model": "mock-1b",
               "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hi there", "refusal": "no"},
                            "finish_reason": "stop", "logprobs": null}]})
    );
}
