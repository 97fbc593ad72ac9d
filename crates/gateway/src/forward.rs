//! Forwarding a checked request to the backend and signing the receipt.
//!
//! Not streaming: the backend's JSON answer is relayed as is, with the receipt in the
//! `X-Yellowstone-Receipt` header; its tokens are the backend's `usage.completion_tokens`
//! (or the answer's words when it sends no usage), capped at the output limit.
//!
//! Streaming: chunks are relayed as they arrive, one token counted per chunk with content;
//! content past the output limit is not relayed (the backend is cut off). Then the receipt is
//! sent as `event: yellowstone.receipt` and the stream ends with `data: [DONE]`. Its tokens
//! are the backend's final usage when it sent one and nothing was cut, else the chunks
//! relayed, capped at the limit. A backend failing after the stream started gets an
//! `event: error`, then the receipt for what was delivered, then the end (no `[DONE]`).
//!
//! Every receipt is also posted to the router in the background, so a user cannot withhold it.
//!
//! The request's place under the gateway's capacity is held until the answer ends: a whole
//! answer once it is read, a stream when the relay ends (the backend finished or failed, or
//! the user hung up, noticed at once even while the backend is silent).

use std::sync::Arc;

use alloy_primitives::B256;
use axum::{
    body::{Body, Bytes},
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use futures_util::StreamExt;
use serde_json::Value;
use tokio::sync::{mpsc, OwnedSemaphorePermit};
use yellowstone_protocol::messages::{Receipt, Signed};

use yellowstone_api::openai::OpenAiError;

use super::{error::GatewayError, ticket::CheckedRequest, Gateway};

/// The response header carrying a non-streamed answer's receipt (`Signed<Receipt>` token).
pub const RECEIPT_HEADER: &str = "x-yellowstone-receipt";

/// Sends a checked request to the backend and answers the user, holding `slot` (its place
/// under the capacity) until the answer ends.
pub(crate) async fn forward(
    gateway: Arc<Gateway>,
    checked: CheckedRequest,
    slot: OwnedSemaphorePermit,
) -> Response {
    let url = format!("{}/v1/chat/completions", gateway.config.backend);
    let mut request = gateway.backend.post(&url).json(&checked.body);
    if !checked.stream {
        request = request.timeout(gateway.config.backend_timeout);
    }
    let sent = tokio::time::timeout(gateway.config.backend_timeout, request.send()).await;
    let response = match sent {
        Err(_) => return timed_out().into_response(),
        Ok(Err(err)) if err.is_timeout() => return timed_out().into_response(),
        Ok(Err(err)) => {
            tracing::warn!(%err, "the backend is unreachable");
            let err = err.without_url(); // the backend's address is the provider's business
            let message = format!("the provider's backend is unreachable: {err}");
            return GatewayError::backend("backend_unreachable", message).into_response();
        }
        Ok(Ok(response)) => response,
    };
    if !response.status().is_success() {
        return refused(response).await.into_response();
    }
    if checked.stream {
        stream(gateway, checked, response, slot)
    } else {
        complete(gateway, checked, response)
            .await
            .unwrap_or_else(IntoResponse::into_response)
    }
}

fn timed_out() -> GatewayError {
    GatewayError::backend("backend_timeout", "the backend did not answer in time")
}

/// A backend's non-2xx answer, with its own error message when it gave one.
async fn refused(response: reqwest::Response) -> GatewayError {
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    let detail = OpenAiError::message_of(&text).unwrap_or(text);
    let detail: String = detail.chars().take(500).collect();
    GatewayError::backend(
        "backend_status",
        format!("the backend answered {status}: {detail}"),
    )
}

async fn complete(
    gateway: Arc<Gateway>,
    checked: CheckedRequest,
    response: reqwest::Response,
) -> Result<Response, GatewayError> {
    let bytes = response.bytes().await.map_err(|e| {
        if e.is_timeout() {
            timed_out()
        } else {
            GatewayError::backend(
                "backend_cut",
                format!("the backend's answer was cut off: {e}"),
            )
        }
    })?;
    let answer: Value = serde_json::from_slice(&bytes)
        .ok()
        .filter(|v: &Value| v["choices"].is_array())
        .ok_or_else(|| {
            GatewayError::backend(
                "backend_malformed",
                "the backend's answer is not a chat completion",
            )
        })?;
    let tokens = answer["usage"]["completion_tokens"]
        .as_u64()
        .unwrap_or_else(|| words(&answer))
        .min(checked.max_tokens);
    let receipt = receipt(&gateway, checked.ticket.requestId, tokens).map_err(|e| {
        GatewayError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "receipt_failed",
            e,
        )
    })?;
    let token = HeaderValue::from_str(&receipt.to_token()).map_err(|e| {
        GatewayError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "receipt_failed",
            e.to_string(),
        )
    })?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ),
            (header::HeaderName::from_static(RECEIPT_HEADER), token),
        ],
        bytes,
    )
        .into_response())
}

/// Whitespace-separated words in the answer's messages: the token estimate when a backend
/// reports no usage.
fn words(answer: &Value) -> u64 {
    answer["choices"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["message"]["content"].as_str())
        .map(|s| s.split_whitespace().count() as u64)
        .sum()
}

/// Signs the receipt for `tokens` delivered and posts it to the router in the background.
fn receipt(
    gateway: &Arc<Gateway>,
    request_id: B256,
    tokens: u64,
) -> Result<Signed<Receipt>, String> {
    let message = Receipt {
        requestId: request_id,
        provider: gateway.provider(),
        tokens,
    };
    let signed = Signed::sign(message, &gateway.key, &gateway.domain)
        .map_err(|e| format!("signing the receipt: {e}"))?;
    if let Some(router) = gateway.config.router.clone() {
        let client = gateway.router.clone();
        let posted = signed.clone();
        tokio::spawn(async move {
            let url = format!("{}/v1/receipts", router.trim_end_matches('/'));
            match client.post(&url).json(&posted).send().await {
                Ok(r) if r.status().is_success() => {}
                Ok(r) => {
                    tracing::warn!(status = %r.status(), %request_id, "the router refused a receipt")
                }
                Err(err) => {
                    tracing::warn!(%err, %request_id, "could not post a receipt to the router")
                }
            }
        });
    }
    Ok(signed)
}

/// Starts relaying a streamed answer; the relay runs on its own task, so a receipt is signed
/// and posted even when the user hangs up.
fn stream(
    gateway: Arc<Gateway>,
    checked: CheckedRequest,
    response: reqwest::Response,
    slot: OwnedSemaphorePermit,
) -> Response {
    let (tx, rx) = mpsc::channel::<Bytes>(64);
    tokio::spawn(async move {
        relay(gateway, checked, response, tx).await;
        drop(slot);
    });
    let body = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|b| (Ok::<_, std::convert::Infallible>(b), rx))
    });
    (
        [
            (header::CONTENT_TYPE, "text/event-stream"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        Body::from_stream(body),
    )
        .into_response()
}

/// What one server-sent event from the backend means.
enum Step {
    /// Relay this frame.
    Send(String),
    /// Nothing to relay (a comment, a keep-alive, a usage chunk nobody asked for).
    Skip,
    /// The backend's `[DONE]`, or content past the limit: stop reading.
    Stop,
    /// The backend reported an error or sent something unreadable.
    Fail(GatewayError),
}

/// The count of a stream so far.
#[derive(Default)]
struct Count {
    /// Chunks with content relayed.
    delivered: u64,
    /// The backend's `usage.completion_tokens`, when it sent one.
    usage: Option<u64>,
    /// A `finish_reason` or `[DONE]` was seen: the answer is complete.
    finished: bool,
    /// Content past the limit was dropped.
    cut: bool,
}

impl Count {
    /// Reads one event (its text without the blank line ending it).
    fn step(&mut self, event: &str, limit: u64, wants_usage: bool) -> Step {
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
            return Step::Fail(GatewayError::backend(
                "backend_error",
                format!("the backend failed: {data}"),
            ));
        }
        if data == "[DONE]" {
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
            return Step::Fail(GatewayError::backend(
                "backend_error",
                format!("the backend failed: {data}"),
            ));
        }
        if let Some(tokens) = chunk["usage"]["completion_tokens"].as_u64() {
            self.usage = Some(tokens);
        }
        let choice = &chunk["choices"][0];
        if choice["finish_reason"].is_string() {
            self.finished = true;
        }
        if choice["delta"]["content"]
            .as_str()
            .is_some_and(|c| !c.is_empty())
        {
            if self.delivered >= limit {
                self.cut = true;
                return Step::Stop;
            }
            self.delivered += 1;
        } else if choice.is_null() && self.usage.is_some() && !wants_usage {
            return Step::Skip;
        }
        Step::Send(format!("data: {data}\n\n"))
    }

    /// The tokens the receipt states.
    fn tokens(&self, limit: u64) -> u64 {
        match self.usage {
            Some(usage) if !self.cut => usage,
            _ => self.delivered,
        }
        .min(limit)
    }
}

/// Reads the backend's events, relays them, then sends the receipt (and any error).
async fn relay(
    gateway: Arc<Gateway>,
    checked: CheckedRequest,
    response: reqwest::Response,
    tx: mpsc::Sender<Bytes>,
) {
    let limit = checked.max_tokens;
    let idle = gateway.config.backend_timeout;
    let mut count = Count::default();
    let mut chunks = response.bytes_stream();
    let mut buffer: Vec<u8> = Vec::new();
    let failure = 'read: loop {
        let next = tokio::select! {
            next = tokio::time::timeout(idle, chunks.next()) => next,
            () = tx.closed() => break None, // the user hung up: receipt for what was delivered
        };
        let ended = match next {
            Err(_) => break Some(timed_out()),
            Ok(Some(Ok(bytes))) => {
                buffer.extend(bytes.iter().filter(|b| **b != b'\r'));
                false
            }
            Ok(Some(Err(err))) => {
                break Some(GatewayError::backend(
                    "backend_cut",
                    format!("the backend's stream was cut off: {}", err.without_url()),
                ))
            }
            Ok(None) => {
                buffer.extend_from_slice(b"\n\n"); // a last event without its blank line
                true
            }
        };
        while let Some(end) = buffer.windows(2).position(|w| w == b"\n\n") {
            let event: Vec<u8> = buffer.drain(..end + 2).collect();
            let event = String::from_utf8_lossy(&event[..end]);
            match count.step(&event, limit, checked.wants_usage) {
                Step::Send(frame) => {
                    if tx.send(Bytes::from(frame)).await.is_err() {
                        break 'read None; // the user hung up: receipt for what was delivered
                    }
                }
                Step::Skip => {}
                Step::Stop => break 'read None,
                Step::Fail(err) => break 'read Some(err),
            }
        }
        if ended {
            break (!count.finished).then(|| {
                GatewayError::backend(
                    "backend_cut",
                    "the backend's stream ended before the answer finished",
                )
            });
        }
    };
    drop(chunks);
    if let Some(err) = &failure {
        tracing::warn!(request_id = %checked.ticket.requestId, code = err.code, "{}", err.message);
        let _ = tx
            .send(Bytes::from(format!(
                "event: error\ndata: {}\n\n",
                err.body().to_json()
            )))
            .await;
    }
    match receipt(&gateway, checked.ticket.requestId, count.tokens(limit)) {
        Ok(signed) => {
            let json = serde_json::to_string(&signed).unwrap_or_default();
            let _ = tx
                .send(Bytes::from(format!(
                    "event: yellowstone.receipt\ndata: {json}\n\n"
                )))
                .await;
        }
        Err(err) => tracing::error!(%err, "no receipt for a streamed answer"),
    }
    if failure.is_none() {
        let _ = tx.send(Bytes::from_static(b"data: [DONE]\n\n")).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn content(text: &str) -> String {
        format!(r#"data: {{"choices":[{{"index":0,"delta":{{"content":"{text}"}}}}]}}"#)
    }

    #[test]
    fn content_chunks_are_counted_and_cut_at_the_limit() {
        let mut count = Count::default();
        for word in ["a", "b"] {
            assert!(matches!(
                count.step(&content(word), 2, false),
                Step::Send(_)
            ));
        }
        assert!(matches!(count.step(&content("c"), 2, false), Step::Stop));
        assert_eq!((count.delivered, count.cut, count.tokens(2)), (2, true, 2));
    }

    #[test]
    fn usage_counts_unless_the_stream_was_cut_and_is_relayed_only_when_asked() {
        let mut count = Count::default();
        let usage = r#"data: {"choices":[],"usage":{"completion_tokens":7}}"#;
        assert!(matches!(count.step(usage, 10, false), Step::Skip));
        assert!(matches!(count.step(usage, 10, true), Step::Send(_)));
        assert_eq!(count.tokens(10), 7);
        assert_eq!(count.tokens(5), 5);
        assert!(matches!(count.step(": keep-alive", 10, false), Step::Skip));
        assert!(matches!(count.step("data: [DONE]", 10, false), Step::Stop));
        assert!(count.finished);
        assert!(matches!(
            count.step("data: {oops", 10, false),
            Step::Fail(_)
        ));
        assert!(matches!(
            count.step("event: error\ndata: {}", 10, false),
            Step::Fail(_)
        ));
    }
}
