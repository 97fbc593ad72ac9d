//! The streaming variants the gateway accepts, one test per row of the conformance table in
//! `docs/EDGES.md`, each fed from answers recorded from llama.cpp's server (`recorded/`),
//! replayed in chosen pieces; the variants no server here produces are the recordings edited
//! (each test says how). Every test checks the receipt, and that the user's count (the same
//! rule, [`Tally`], over what the gateway relayed) agrees with it.

use serde_json::{json, Value};
use yellowstone_api::stream::Tally;
use yellowstone_gateway::{RunningGateway, RECEIPT_HEADER};
use yellowstone_protocol::messages::{Receipt, Signed};

use crate::common::*;
use crate::replay::*;

/// What the gateway relayed of a stream.
#[derive(Debug, Default)]
struct Relayed {
    /// The chat completion chunks relayed (the usage chunk included).
    chunks: Vec<Value>,
    /// The text, `delta.content` joined.
    text: String,
    /// The usage chunk, if one was relayed.
    usage: Option<Value>,
    /// The receipt, checked to be the provider's.
    receipt: Option<Receipt>,
    /// The error event, if any.
    error: Option<Value>,
    /// Whether the stream ended with `[DONE]`, and nothing after it.
    done: bool,
    /// The user's count of it.
    user: Tally,
}

fn relayed(sse: &[u8]) -> Relayed {
    let mut out = Relayed::default();
    for event in events(sse) {
        assert!(!out.done, "nothing after [DONE]: {event}");
        let name = event.lines().find_map(|l| l.strip_prefix("event: "));
        let data = event
            .lines()
            .find_map(|l| l.strip_prefix("data: "))
            .unwrap();
        match name {
            Some("yellowstone.receipt") => {
                let signed: Signed<Receipt> = serde_json::from_str(data).unwrap();
                assert_eq!(signed.verify(&market(), None), Ok(provider_key().address()));
                out.receipt = Some(signed.message);
            }
            Some("error") => out.error = Some(serde_json::from_str(data).unwrap()),
            Some(other) => panic!("unexpected event {other}"),
            None if data == "[DONE]" => out.done = true,
            None => {
                let chunk: Value = serde_json::from_str(data).unwrap();
                out.user.take(&chunk);
                if let Some(text) = chunk["choices"][0]["delta"]["content"].as_str() {
                    out.text.push_str(text);
                }
                if chunk["usage"].is_object() {
                    out.usage = Some(chunk.clone());
                }
                out.chunks.push(chunk);
            }
        }
    }
    out
}

/// A gateway in front of a backend replaying `body` in `pieces`.
async fn over(body: Vec<u8>, pieces: Pieces, drop_after: bool) -> (RunningGateway, Seen) {
    let (url, seen) = replay(body, pieces, drop_after).await;
    (gateway(config(url)).await, seen)
}

type Seen = std::sync::Arc<dyn Fn() -> Vec<Value> + Send + Sync>;

/// Streams request `n` for `token_max` tokens through `gw`, asking for the usage or not.
async fn stream(gw: &RunningGateway, n: u64, token_max: u64, usage: bool) -> Relayed {
    let mut body = chat(true);
    if usage {
        body["stream_options"] = json!({"include_usage": true});
    }
    let response = post_chat(gw, bearer_max(n, token_max), &body).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    relayed(&response.bytes().await.unwrap())
}

/// Asks request `n` for `token_max` tokens whole: the answer and the receipt's tokens.
async fn whole(gw: &RunningGateway, n: u64, token_max: u64) -> (Value, u64) {
    let response = post_chat(gw, bearer_max(n, token_max), &chat(false)).await;
    assert_eq!(response.status(), 200);
    let header = response.headers()[RECEIPT_HEADER].to_str().unwrap();
    let receipt = Signed::<Receipt>::from_token(header).unwrap();
    assert_eq!(
        receipt.verify(&market(), None),
        Ok(provider_key().address())
    );
    (response.json().await.unwrap(), receipt.message.tokens)
}

/// llama.cpp's own whole answer to the request `stream-16.sse` streams.
fn whole_16() -> Value {
    serde_json::from_slice(&recorded("whole-16.json")).unwrap()
}

/// Checks a relay of `stream-16.sse`: its 16 tokens (7 of them empty byte-token chunks) are
/// delivered and counted as llama.cpp's whole answer counts them, by the gateway and the user.
fn is_stream_16(r: &Relayed) {
    let llama = whole_16();
    assert_eq!(r.text, llama["choices"][0]["message"]["content"]);
    let tokens = llama["usage"]["completion_tokens"].as_u64().unwrap();
    assert_eq!(tokens, 16);
    assert_eq!(r.receipt.as_ref().map(|r| r.tokens), Some(tokens));
    assert_eq!(
        r.user.tokens(),
        tokens,
        "the user counts what the gateway counts"
    );
    assert!(r.done && r.error.is_none(), "{r:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn role_only_first_chunk_empty_content_chunks_and_a_closing_chunk_without_content() {
    let recording = recorded("stream-16.sse");
    let sent = contents(&recording);
    assert_eq!(
        (sent.len(), sent.iter().filter(|c| c.is_empty()).count()),
        (16, 7)
    );
    let (gw, seen) = over(recording, Pieces::One, false).await;
    let r = stream(&gw, 1, 16, false).await;
    is_stream_16(&r);
    assert_eq!(
        r.chunks[0]["choices"][0]["delta"],
        json!({"role": "assistant"})
    );
    let last = &r.chunks[r.chunks.len() - 1]["choices"][0];
    assert_eq!(
        (last["delta"].clone(), last["finish_reason"].clone()),
        (json!({}), json!("length"))
    );
    assert!(
        r.usage.is_none(),
        "no usage chunk unless the user asked for one"
    );
    // The backend was asked for a stream with its usage and the ticket's limit.
    let asked = &seen()[0];
    assert_eq!(
        (
            asked["stream"].clone(),
            asked["stream_options"]["include_usage"].clone(),
            asked["max_tokens"].clone()
        ),
        (json!(true), json!(true), json!(16))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_whole_answer_is_put_together_from_the_stream_as_llama_cpp_answers_it_whole() {
    let (gw, seen) = over(recorded("stream-16.sse"), Pieces::One, false).await;
    let (answer, tokens) = whole(&gw, 1, 16).await;
    let llama = whole_16();
    assert_eq!(answer["object"], "chat.completion");
    assert_eq!(
        answer["choices"][0]["message"],
        json!({"role": "assistant", "content": llama["choices"][0]["message"]["content"]})
    );
    assert_eq!(answer["choices"][0]["finish_reason"], "length");
    assert_eq!(answer["model"], "yellowstone-tiny");
    assert!(answer["id"].as_str().unwrap().starts_with("chatcmpl-"));
    assert_eq!(tokens, 16);
    assert_eq!(answer["usage"]["completion_tokens"], 16);
    assert_eq!(
        seen()[0]["stream"],
        true,
        "asked of the backend as a stream"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_usage_chunk_states_the_receipt_and_reaches_only_who_asked() {
    // llama-cpp-python sends no usage chunk even when asked: the gateway states its own.
    let (gw, _) = over(recorded("stream-16.sse"), Pieces::One, false).await;
    let r = stream(&gw, 1, 16, true).await;
    is_stream_16(&r);
    let usage = r.usage.expect("a usage chunk");
    assert_eq!(
        (
            usage["choices"].clone(),
            usage["usage"]["completion_tokens"].clone()
        ),
        (json!([]), json!(16))
    );

    // Edited: the usage chunk vLLM and llama-server send, before [DONE].
    let usage = r#"data: {"id":"x","object":"chat.completion.chunk","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":28,"completion_tokens":16,"total_tokens":44}}"#;
    let (gw, _) = over(with_usage(usage), Pieces::One, false).await;
    let r = stream(&gw, 2, 16, true).await;
    is_stream_16(&r);
    assert_eq!(
        r.usage.unwrap()["usage"],
        json!({"prompt_tokens": 28, "completion_tokens": 16, "total_tokens": 44})
    );
    let r = stream(&gw, 3, 16, false).await;
    is_stream_16(&r);
    assert!(r.usage.is_none() && r.chunks.iter().all(|c| c["usage"].is_null()));
    // Asked whole: the backend's usage, stating the receipt's tokens.
    let (answer, tokens) = whole(&gw, 4, 16).await;
    assert_eq!(tokens, 16);
    assert_eq!(
        answer["usage"],
        json!({"prompt_tokens": 28, "completion_tokens": 16, "total_tokens": 44})
    );
}

/// `stream-16.sse` with `usage` inserted before its `[DONE]`.
fn with_usage(usage: &str) -> Vec<u8> {
    let mut events = events(&recorded("stream-16.sse"));
    let done = events.len() - 1;
    events.insert(done, usage.to_string());
    stream_of(&events)
}

#[tokio::test(flavor = "multi_thread")]
async fn attack_a_backend_claiming_a_billion_tokens_is_held_to_the_bytes_it_delivered() {
    let usage = r#"data: {"choices":[],"usage":{"prompt_tokens":28,"completion_tokens":1000000000,"total_tokens":1000000028}}"#;
    let (gw, _) = over(with_usage(usage), Pieces::One, false).await;
    let r = stream(&gw, 1, 64, true).await;
    let bytes = r.text.len() as u64;
    assert_eq!(bytes, 18);
    assert_eq!(
        r.receipt.unwrap().tokens,
        bytes,
        "not 10^9, nor tokenMax 64"
    );
    assert_eq!(r.user.tokens(), bytes);
    assert_eq!(r.usage.unwrap()["usage"]["completion_tokens"], bytes);
}

#[tokio::test(flavor = "multi_thread")]
async fn attack_a_backend_padding_with_empty_chunks_earns_nothing_past_its_bytes() {
    let mut events = events(&recorded("stream-16.sse"));
    let pad = events[2].clone(); // an empty byte-token chunk, as llama.cpp sends it
    assert_eq!(
        chunk_of(&pad).unwrap()["choices"][0]["delta"]["content"],
        ""
    );
    let finish = events.len() - 2;
    for _ in 0..200 {
        events.insert(finish, pad.clone());
    }
    let (gw, _) = over(stream_of(&events), Pieces::One, false).await;
    let r = stream(&gw, 1, 64, false).await;
    assert_eq!(r.user.chunks(), 64, "cut at tokenMax");
    assert_eq!(r.receipt.unwrap().tokens, 18, "the bytes delivered, not 64");
    assert_eq!(r.user.tokens(), 18);
}

/// The tokens of the first 8 chunks of `stream-16.sse`: 8 chunks (3 of them empty) carrying 4
/// bytes of text, so 4 (no token yields less than a byte: the random model's dropped control
/// bytes are not paid for).
fn delivered_tokens(contents: &[String]) -> u64 {
    let bytes = contents.concat().len();
    assert_eq!((contents.len(), bytes), (8, 4));
    4
}

#[tokio::test(flavor = "multi_thread")]
async fn done_is_optional_after_a_finish_reason_and_an_end_without_either_is_a_cut() {
    // Edited: no `[DONE]` (the closing chunk has finished the answer).
    let mut events = events(&recorded("stream-16.sse"));
    assert_eq!(events.pop().unwrap(), "data: [DONE]");
    let (gw, _) = over(stream_of(&events), Pieces::One, false).await;
    is_stream_16(&stream(&gw, 1, 16, false).await);

    // Edited: the connection drops after 8 tokens, mid-answer.
    let cut: Vec<String> = events[..9].to_vec();
    let (gw, _) = over(stream_of(&cut), Pieces::One, true).await;
    let r = stream(&gw, 2, 16, false).await;
    assert_eq!(r.error.unwrap()["error"]["code"], "backend_cut");
    assert!(!r.done);
    let delivered = contents(&stream_of(&cut));
    assert_eq!(r.text, delivered.concat());
    assert_eq!(r.receipt.unwrap().tokens, delivered_tokens(&delivered));
    assert_eq!(r.user.tokens(), delivered_tokens(&delivered));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_error_mid_stream_ends_it_with_an_error_event_and_the_receipt_for_what_was_delivered() {
    // Edited: after 8 tokens, the error body an OpenAI-compatible server sends in the stream.
    let mut events = events(&recorded("stream-16.sse"))[..9].to_vec();
    events.push(r#"data: {"error":{"code":500,"message":"llama_decode returned -1","type":"server_error"}}"#.into());
    let (gw, _) = over(stream_of(&events), Pieces::One, false).await;
    let r = stream(&gw, 1, 16, false).await;
    let error = r.error.unwrap();
    assert_eq!(
        (
            error["error"]["type"].clone(),
            error["error"]["code"].clone()
        ),
        (json!("backend_error"), json!("backend_error"))
    );
    assert!(error["error"]["message"]
        .as_str()
        .unwrap()
        .contains("llama_decode"));
    let delivered = contents(&stream_of(&events));
    assert_eq!(r.receipt.unwrap().tokens, delivered_tokens(&delivered));
    assert!(!r.done);
    // Asked whole: a 502 naming it, and nothing delivered.
    let response = post_chat(&gw, bearer_max(2, 16), &chat(false)).await;
    assert_eq!(response.status(), 502);
    assert!(response.headers().get(RECEIPT_HEADER).is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn comments_and_keep_alives_are_skipped() {
    // Edited: sse-starlette's keep-alive comment (llama-cpp-python's server sends it every
    // 15 s of silence) between every two events.
    let ping = ": ping - 2026-12-06 16:04:00.000000+00:00".to_string();
    let events: Vec<String> = events(&recorded("stream-16.sse"))
        .into_iter()
        .flat_map(|e| [ping.clone(), e])
        .collect();
    let (gw, _) = over(stream_of(&events), Pieces::Every(7), false).await;
    let r = stream(&gw, 1, 16, false).await;
    is_stream_16(&r);
}

#[tokio::test(flavor = "multi_thread")]
async fn crlf_line_endings_split_anywhere_are_read() {
    // Edited: CRLF line endings (sse-starlette's default separator), 3 bytes a read, so a
    // `\r` and its `\n` arrive apart.
    let crlf = String::from_utf8(recorded("stream-16.sse"))
        .unwrap()
        .replace('\n', "\r\n");
    let (gw, _) = over(crlf.into_bytes(), Pieces::Every(3), false).await;
    is_stream_16(&stream(&gw, 1, 16, false).await);
}

/// `stream-multibyte.sse`'s 48 tokens: `🦬` and `é` arrive after empty byte-token chunks.
fn is_multibyte(r: &Relayed) {
    let sent = contents(&recorded("stream-multibyte.sse"));
    assert_eq!(sent.len(), 48);
    assert!(
        r.text.contains(" café") && r.text.contains(" 🦬"),
        "{}",
        r.text
    );
    assert_eq!(r.text, sent.concat());
    assert_eq!(r.receipt.as_ref().unwrap().tokens, 48);
    assert_eq!(r.user.tokens(), 48);
}

#[tokio::test(flavor = "multi_thread")]
async fn multi_byte_characters_split_across_token_chunks_and_across_reads() {
    // As recorded: each character completed by the chunk after its byte tokens' empty chunks.
    let recording = recorded("stream-multibyte.sse");
    let (gw, _) = over(recording.clone(), Pieces::Every(5), false).await;
    is_multibyte(&stream(&gw, 1, 64, false).await);

    // Edited: the same chunks with raw UTF-8 (as llama-server and vLLM write them; this server
    // escapes to ASCII), cut inside every multi-byte character.
    let raw: Vec<String> = events(&recording)
        .into_iter()
        .map(|e| match chunk_of(&e) {
            Some(chunk) => format!("data: {chunk}"),
            None => e,
        })
        .collect();
    let raw = stream_of(&raw);
    let inside: Vec<usize> = (1..raw.len()).filter(|i| raw[*i] & 0xc0 == 0x80).collect();
    assert!(inside.len() >= 4, "é and 🦬 are on the wire as raw bytes");
    let (gw, _) = over(raw, Pieces::At(inside), false).await;
    is_multibyte(&stream(&gw, 2, 64, false).await);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_backend_overrunning_max_tokens_is_cut_at_token_max_streamed_and_whole() {
    // As recorded: asked max_tokens 24, llama-cpp-python sent 26 tokens (its whole answer
    // says completion_tokens 26) and no usage chunk although one was asked for.
    let recording = recorded("stream-usage-asked.sse");
    let sent = contents(&recording);
    assert_eq!(sent.len(), 26);
    let whole_24: Value = serde_json::from_slice(&recorded("whole-24.json")).unwrap();
    assert_eq!(whole_24["usage"]["completion_tokens"], 26);
    let first_24 = sent[..24].concat();
    let (gw, _) = over(recording, Pieces::One, false).await;
    let r = stream(&gw, 1, 24, true).await;
    assert_eq!(r.text, first_24);
    assert_eq!(r.receipt.unwrap().tokens, 24);
    assert_eq!(r.user.tokens(), 24);
    assert_eq!(r.usage.unwrap()["usage"]["completion_tokens"], 24);
    let last = r.chunks.iter().rev().find(|c| !c["choices"][0].is_null());
    assert_eq!(
        last.unwrap()["choices"][0]["finish_reason"],
        "length",
        "a cut stream says why it stopped, as one stopped at max_tokens does"
    );
    assert!(r.done);

    let (answer, tokens) = whole(&gw, 2, 24).await;
    assert_eq!(answer["choices"][0]["message"]["content"], first_24);
    assert_eq!(answer["choices"][0]["finish_reason"], "length");
    assert_eq!(
        (tokens, answer["usage"]["completion_tokens"].clone()),
        (24, json!(24))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_backend_answering_json_to_a_stream_request_is_refused_by_name() {
    // llama.cpp's whole answer, to a request that asked for a stream.
    let (gw, _) = over(recorded("whole-16.json"), Pieces::One, false).await;
    let response = post_chat(&gw, bearer_max(1, 16), &chat(false)).await;
    assert_eq!(response.status(), 502);
    let error: Value = response.json().await.unwrap();
    assert_eq!(error["error"]["code"], "backend_malformed", "{error}");
    assert!(error["error"]["message"]
        .as_str()
        .unwrap()
        .contains("application/json"));
}

#[tokio::test(flavor = "multi_thread")]
async fn attack_asking_several_answers_for_one_ticket_is_refused_before_the_backend() {
    let (gw, seen) = over(recorded("stream-16.sse"), Pieces::One, false).await;
    let mut greedy = chat(true);
    greedy["n"] = json!(5);
    let response = post_chat(&gw, bearer_max(1, 16), &greedy).await;
    assert_eq!(outcome(response).await, (400, Some("n_unsupported".into())));
    assert!(seen().is_empty(), "nothing reached the backend");
    // The ticket was not used: asked for one answer, it is served.
    greedy["n"] = json!(1);
    let response = post_chat(&gw, bearer_max(1, 16), &greedy).await;
    assert_eq!(response.status(), 200);
    is_stream_16(&relayed(&response.bytes().await.unwrap()));
}
