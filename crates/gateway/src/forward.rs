//! Forwarding a checked request to the backend and signing the receipt.
//!
//! Every answer is asked of the backend as a stream with its usage, and read by one code path
//! (module `relay`): counted by the rule both sides share ([`yellowstone_api::stream`]) and
//! cut at the output limit, so a backend that ignores `max_tokens` delivers no more than
//! tokenMax, streamed or whole.
//!
//! Streamed: chunks are relayed as they arrive. Then, when the user asked for it, the usage
//! chunk (the backend's, with `completion_tokens` stating the receipt's tokens); then the
//! receipt as `event: yellowstone.receipt`; then `data: [DONE]`. A backend failing after the
//! stream started gets an `event: error`, then the receipt for what was delivered, then the
//! end (no `[DONE]`).
//!
//! Whole: the gateway puts the `chat.completion` together from the stream (`finish_reason`
//! `length` when it cut the backend off; `usage.completion_tokens` the receipt's tokens) and
//! answers it with the receipt in the `X-Yellowstone-Receipt` header. A backend failing
//! midway is a 502 error, with no receipt: nothing was delivered.
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
use tokio::sync::{mpsc, OwnedSemaphorePermit};
use yellowstone_api::{openai::OpenAiError, stream::Assembly};
use yellowstone_protocol::messages::{Receipt, Signed};

use super::{
    error::GatewayError,
    relay::{self, Out, Relay},
    ticket::CheckedRequest,
    Gateway,
};

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
    let request = gateway.backend.post(&url).json(&checked.body);
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
    // A backend that names no content type is read as the stream asked for.
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap_or("(not text)").to_string());
    if let Some(content_type) = content_type.filter(|t| !t.starts_with("text/event-stream")) {
        let message = format!(
            "the backend answered a stream request with {:?}, not an event stream",
            content_type
        );
        return GatewayError::backend("backend_malformed", message).into_response();
    }
    if checked.stream {
        stream(gateway, checked, response, slot)
    } else {
        whole(gateway, checked, response)
            .await
            .unwrap_or_else(IntoResponse::into_response)
    }
}

/// The backend was silent for the backend timeout.
pub(crate) fn timed_out() -> GatewayError {
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

/// Reads the backend's stream into a whole `chat.completion` and answers it with the
/// receipt in its header.
async fn whole(
    gateway: Arc<Gateway>,
    checked: CheckedRequest,
    response: reqwest::Response,
) -> Result<Response, GatewayError> {
    let mut relay = Relay::new(checked.max_tokens);
    let mut assembly = Assembly::default();
    let idle = gateway.config.backend_timeout;
    let mut out = Out::Whole(&mut assembly);
    if let Some(err) = relay::read(&mut relay, response, idle, &mut out).await {
        return Err(err);
    }
    let tokens = relay.tokens();
    let ticket = &checked.ticket;
    let mut answer =
        assembly.completion(&format!("yellowstone-{}", ticket.requestId), &ticket.model);
    answer["usage"] = relay.usage(); // a cut answer's `finish_reason` is `length` (relay)
    let failed = |e: String| {
        GatewayError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "receipt_failed",
            e,
        )
    };
    let receipt = receipt(&gateway, ticket.requestId, tokens).map_err(failed)?;
    let token = HeaderValue::from_str(&receipt.to_token()).map_err(|e| failed(e.to_string()))?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ),
            (header::HeaderName::from_static(RECEIPT_HEADER), token),
        ],
        answer.to_string(),
    )
        .into_response())
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
        let held = gateway.clone(); // a graceful stop waits for the post
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
            drop(held);
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
        relay_stream(gateway, checked, response, tx).await;
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

/// Relays the backend's stream to the user, then the usage chunk (when asked), the receipt
/// and `[DONE]`, or, after a failure, the error event and the receipt.
async fn relay_stream(
    gateway: Arc<Gateway>,
    checked: CheckedRequest,
    response: reqwest::Response,
    tx: mpsc::Sender<Bytes>,
) {
    let mut relay = Relay::new(checked.max_tokens);
    let mut out = Out::Stream(tx.clone());
    let idle = gateway.config.backend_timeout;
    let failure = relay::read(&mut relay, response, idle, &mut out).await;
    drop(out);
    let request_id = checked.ticket.requestId;
    let mut frames = Vec::new();
    match &failure {
        Some(err) => {
            tracing::warn!(%request_id, code = err.code, "{}", err.message);
            frames.push(format!("event: error\ndata: {}\n\n", err.body().to_json()));
        }
        None if checked.wants_usage => frames.push(format!("data: {}\n\n", relay.usage_chunk())),
        None => {}
    }
    match receipt(&gateway, request_id, relay.tokens()) {
        Ok(signed) => {
            let json = serde_json::to_string(&signed).unwrap_or_default();
            frames.push(format!("event: yellowstone.receipt\ndata: {json}\n\n"));
        }
        Err(err) => tracing::error!(%err, "no receipt for a streamed answer"),
    }
    if failure.is_none() {
        frames.push("data: [DONE]\n\n".into());
    }
    for frame in frames {
        if tx.send(Bytes::from(frame)).await.is_err() {
            break;
        }
    }
}
