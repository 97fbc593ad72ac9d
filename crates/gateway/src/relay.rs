//! Reading the backend's stream: every answer is asked of the backend as a stream with its
//! usage (module `ticket`), so counting and cutting are one code path for streamed and whole
//! answers alike.
//!
//! Each server-sent event is read as it completes, whatever pieces the bytes arrive in (a
//! character's bytes split across reads are joined before anything is decoded); CRLF line
//! endings, comments and keep-alives are accepted. Each chunk is taken into the
//! [`Tally`] both sides count with ([`yellowstone_api::stream`]). A chunk that would be token
//! `limit + 1` is not delivered and the backend is cut off: a backend that ignores
//! `max_tokens` delivers no more than the ticket's tokenMax. The backend's usage chunk is held
//! back; the gateway states its own at the end ([`Relay::usage_chunk`]), saying what the
//! receipt says.

use axum::body::Bytes;
use futures_util::StreamExt;
use serde_json::{json, Value};
use tokio::sync::mpsc;
use yellowstone_api::stream::{chunk_text, is_usage_chunk, usage_stating, Assembly, Tally};

use super::error::GatewayError;

/// Where the chunks go: to the user as they come, or into a whole answer.
pub(crate) enum Out<'a> {
    /// A stream to the user (frames as they are written on the wire).
    Stream(mpsc::Sender<Bytes>),
    /// A whole answer being put together.
    Whole(&'a mut Assembly),
}

impl Out<'_> {
    /// Delivers a chunk (`data` is its JSON text); false when the user hung up.
    async fn deliver(&mut self, chunk: &Value, data: &str) -> bool {
        match self {
            Out::Stream(tx) => tx
                .send(Bytes::from(format!("data: {data}\n\n")))
                .await
                .is_ok(),
            Out::Whole(assembly) => {
                assembly.take(chunk);
                true
            }
        }
    }

    /// Resolves when the user hung up (a whole answer's user is noticed by axum instead).
    async fn closed(&self) {
        match self {
            Out::Stream(tx) => tx.closed().await,
            Out::Whole(_) => std::future::pending().await,
        }
    }
}

/// What one server-sent event from the backend means.
enum Step {
    /// Deliver this chunk (parsed, and its JSON text).
    Deliver(Value, String),
    /// Nothing to deliver (a comment, a keep-alive, the usage chunk, held back).
    Skip,
    /// The backend's `[DONE]`, or a token past the limit: stop reading.
    Stop,
    /// The backend reported an error or sent something unreadable.
    Fail(GatewayError),
}

/// The state of one answer's relay.
pub(crate) struct Relay {
    /// The output limit: tokens past it are not delivered.
    limit: u64,
    /// The count, by the rule both sides share.
    pub(crate) tally: Tally,
    /// A `finish_reason` or `[DONE]` was seen: the answer is complete.
    pub(crate) finished: bool,
    /// A token past the limit was dropped and the backend cut off.
    pub(crate) cut: bool,
    /// The backend's usage chunk, held back.
    usage_chunk: Option<Value>,
    /// The last `usage` object the backend sent, in its usage chunk or any other.
    usage: Option<Value>,
    /// The first chunk's `id`, `created` and `model`, for a usage chunk of the gateway's own.
    head: Option<Value>,
}

impl Relay {
    /// A relay delivering at most `limit` tokens.
    pub(crate) fn new(limit: u64) -> Relay {
        Relay {
            limit,
            tally: Tally::default(),
            finished: false,
            cut: false,
            usage_chunk: None,
            usage: None,
            head: None,
        }
    }

    /// The tokens the receipt states: the tally, at most the limit.
    pub(crate) fn tokens(&self) -> u64 {
        self.tally.tokens().min(self.limit)
    }

    /// The answer's `usage`: the backend's, stating [`Relay::tokens`] as `completion_tokens`.
    pub(crate) fn usage(&self) -> Value {
        usage_stating(self.usage.as_ref(), self.tokens())
    }

    /// The usage chunk that ends a stream asked with `include_usage`: the backend's, or one
    /// of the gateway's own, stating [`Relay::usage`].
    pub(crate) fn usage_chunk(&self) -> Value {
        let mut chunk = self.usage_chunk.clone().unwrap_or_else(|| {
            let head = self.head.clone().unwrap_or(Value::Null);
            json!({"id": head["id"], "object": "chat.completion.chunk", "created": head["created"],
                   "model": head["model"], "choices": []})
        });
        chunk["usage"] = self.usage();
        chunk
    }

    /// The chunk that closes an answer the gateway cut: `finish_reason` `length`, as a server
    /// that stops at `max_tokens` ends it, so clients see why the answer stopped.
    fn cut_chunk(&self) -> Value {
        let head = self.head.clone().unwrap_or(Value::Null);
        json!({"id": head["id"], "object": "chat.completion.chunk", "created": head["created"],
               "model": head["model"],
               "choices": [{"index": 0, "delta": {}, "finish_reason": "length"}]})
    }

    /// Reads one event (its text without the blank line ending it, `\r` removed).
    fn step(&mut self, event: &str) -> Step {
        let mut name = None;
        let mut data = Vec::new();
        for line in event.lines() {
            if let Some(v) = line.strip_prefix("event:") {
                name = Some(v.trim());
            } else if let Some(v) = line.strip_prefix("data:") {
                data.push(v.strip_prefix(' ').unwrap_or(v));
            }
        }
        let data = data.join("\n");
        if data.is_empty() {
            return Step::Skip;
        }
        if name == Some("error") {
            let message = format!("the backend failed: {data}");
            return Step::Fail(GatewayError::backend("backend_error", message));
        }
        if data.trim() == "[DONE]" {
            self.finished = true;
            return Step::Stop;
        }
        let Ok(chunk) = serde_json::from_str::<Value>(&data) else {
            return Step::Fail(GatewayError::backend(
                "backend_malformed",
                "the backend sent a chunk that is not JSON",
            ));
        };
        if chunk.get("error").is_some() {
            let message = format!("the backend failed: {data}");
            return Step::Fail(GatewayError::backend("backend_error", message));
        }
        if !chunk.is_object() || !(chunk["choices"].is_array() || is_usage_chunk(&chunk)) {
            return Step::Fail(GatewayError::backend(
                "backend_malformed",
                "the backend sent a chunk that is not a chat completion chunk",
            ));
        }
        if chunk_text(&chunk).token && self.tally.chunks() >= self.limit {
            self.cut = true;
            return Step::Stop;
        }
        self.tally.take(&chunk);
        if chunk["usage"].is_object() {
            self.usage = Some(chunk["usage"].clone());
        }
        if self.head.is_none() {
            self.head = Some(chunk.clone());
        }
        let choices = chunk["choices"].as_array().into_iter().flatten();
        if choices.clone().any(|c| c["finish_reason"].is_string()) {
            self.finished = true;
        }
        if is_usage_chunk(&chunk) {
            self.usage_chunk = Some(chunk);
            return Step::Skip;
        }
        Step::Deliver(chunk, data)
    }
}

/// Reads the backend's events into `out` until `[DONE]`, the end, the limit, a failure, a
/// silence of `idle`, or the user hanging up. Returns the failure, if any.
pub(crate) async fn read(
    relay: &mut Relay,
    response: reqwest::Response,
    idle: std::time::Duration,
    out: &mut Out<'_>,
) -> Option<GatewayError> {
    let mut chunks = response.bytes_stream();
    let mut buffer: Vec<u8> = Vec::new();
    loop {
        let next = tokio::select! {
            next = tokio::time::timeout(idle, chunks.next()) => next,
            () = out.closed() => return None, // the user hung up: receipt for what was delivered
        };
        let ended = match next {
            Err(_) => return Some(super::forward::timed_out()),
            Ok(Some(Ok(bytes))) => {
                // A `\r` is never part of JSON text or of a UTF-8 multi-byte character.
                buffer.extend(bytes.iter().filter(|b| **b != b'\r'));
                false
            }
            Ok(Some(Err(err))) => {
                let message = format!("the backend's stream was cut off: {}", err.without_url());
                return Some(GatewayError::backend("backend_cut", message));
            }
            Ok(None) => {
                buffer.extend_from_slice(b"\n\n"); // a last event without its blank line
                true
            }
        };
        while let Some(end) = buffer.windows(2).position(|w| w == b"\n\n") {
            let event: Vec<u8> = buffer.drain(..end + 2).collect();
            let event = String::from_utf8_lossy(&event[..end]);
            match relay.step(&event) {
                Step::Deliver(chunk, data) => {
                    if !out.deliver(&chunk, &data).await {
                        return None; // the user hung up: receipt for what was delivered
                    }
                }
                Step::Skip => {}
                Step::Stop if relay.cut => {
                    let chunk = relay.cut_chunk();
                    out.deliver(&chunk, &chunk.to_string()).await;
                    return None;
                }
                Step::Stop => return None,
                Step::Fail(err) => return Some(err),
            }
        }
        if ended {
            return (!relay.finished).then(|| {
                GatewayError::backend(
                    "backend_cut",
                    "the backend's stream ended before the answer finished",
                )
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn content(text: &str) -> String {
        format!(r#"data: {{"choices":[{{"index":0,"delta":{{"content":"{text}"}}}}]}}"#)
    }

    #[test]
    fn tokens_are_cut_at_the_limit_empty_ones_included() {
        let mut relay = Relay::new(2);
        for text in ["a", ""] {
            assert!(matches!(relay.step(&content(text)), Step::Deliver(..)));
        }
        assert!(matches!(relay.step(&content("é")), Step::Stop));
        assert_eq!((relay.tally.chunks(), relay.cut), (2, true));
        assert_eq!(relay.tokens(), 1, "one byte delivered");
        assert_eq!(relay.cut_chunk()["choices"][0]["finish_reason"], "length");
    }

    #[test]
    fn the_usage_chunk_is_held_and_restated() {
        let mut relay = Relay::new(10);
        assert!(matches!(relay.step(&content("abc")), Step::Deliver(..)));
        let usage =
            r#"data: {"id":"x","choices":[],"usage":{"prompt_tokens":2,"completion_tokens":70}}"#;
        assert!(matches!(relay.step(usage), Step::Skip));
        assert_eq!(relay.tokens(), 3, "70 claimed, 3 bytes delivered");
        assert_eq!(
            relay.usage_chunk(),
            json!({"id": "x", "choices": [],
                   "usage": {"prompt_tokens": 2, "completion_tokens": 3, "total_tokens": 5}})
        );
        assert!(matches!(relay.step(": keep-alive"), Step::Skip));
        assert!(matches!(relay.step("data: [DONE]"), Step::Stop));
        assert!(relay.finished);
        assert!(matches!(relay.step("data: {oops"), Step::Fail(_)));
        assert!(matches!(relay.step("data: [1]"), Step::Fail(_)));
        assert!(matches!(
            relay.step("event: error\ndata: {}"),
            Step::Fail(_)
        ));
    }
}
