//! One prompt through the market ([`chat`]): ticket, the prompt straight to the provider,
//! the answer (streamed or whole), the signed report, the verdict. With an outbox
//! ([`chat_with_outbox`], as `yellowstone user chat` runs), the report is stored before it is
//! posted; one the router could not take now stays there, and is posted with this router's
//! other waiting reports by the next `user chat` or `user proxy`.

use std::time::Duration;

use alloy_primitives::{Address, B256};
use alloy_signer_local::PrivateKeySigner;
use serde::Serialize;
use serde_json::json;

use super::exchange::{admit, provider_http, Exchange, Step};
use yellowstone_api::Verdict;

use crate::{
    outbox::{unix_now, Outbox, Stored},
    postman::{post_once, Posted},
    router::{ClientError, RouterClient},
};

/// One prompt to send.
#[derive(Clone, Debug)]
pub struct ChatRequest {
    /// The model.
    pub model: String,
    /// The prompt, sent as one user message.
    pub prompt: String,
    /// `tokenMax`: the most output tokens asked for.
    pub max_tokens: u64,
    /// Stream the answer (SSE) or take it whole.
    pub stream: bool,
    /// Report the answer as bad even if it completed.
    pub fail: bool,
    /// How long the provider may send nothing at all before the answer is given up as
    /// stalled and reported as failed ([`super::exchange::DEFAULT_STALL_TIMEOUT`] unless told otherwise).
    pub stall_timeout: Duration,
}

/// What happened to one prompt.
#[derive(Clone, Debug, Serialize)]
pub struct ChatOutcome {
    /// The request id.
    pub request_id: B256,
    /// The provider the router chose.
    pub provider: Address,
    /// The answer's text (what arrived, if it failed midway).
    pub answer: String,
    /// Tokens counted.
    pub tokens: u64,
    /// Milliseconds from sending the prompt to the first token (0 when the answer came whole
    /// and its first token was not seen).
    pub first_token_ms: u64,
    /// Milliseconds from sending the prompt to the last token.
    pub elapsed_ms: u64,
    /// Whether the report said pass.
    pub pass: bool,
    /// Why the answer failed, if it did.
    pub error: Option<String>,
    /// What kind of failure it was (`provider_stalled`, `provider_cut`, `provider_garbage`,
    /// `provider_bad_receipt`, ...: the `PROVIDER_*` codes of [`super::exchange`]).
    pub error_code: Option<&'static str>,
    /// Why the provider's receipt was not forwarded, if it was not.
    pub receipt_note: Option<String>,
    /// The router's verdict, once the report was accepted.
    pub verdict: Option<Verdict>,
    /// Why the report was not accepted, if it was not.
    pub report_error: Option<String>,
    /// Whether the report waits in the outbox (the router could not take it now).
    pub report_kept: bool,
}

/// Sends one prompt through the market and reports on it. A router refusal before the ticket
/// is an error; a provider failure is reported (pass = false) and described in the outcome.
pub async fn chat(
    client: &RouterClient,
    key: &PrivateKeySigner,
    request: &ChatRequest,
) -> Result<ChatOutcome, ClientError> {
    chat_with(client, key, request, |_| {}).await
}

/// [`chat`], handing each piece of the answer to `on_text` as it arrives.
pub async fn chat_with(
    client: &RouterClient,
    key: &PrivateKeySigner,
    request: &ChatRequest,
    on_text: impl FnMut(&str),
) -> Result<ChatOutcome, ClientError> {
    chat_with_outbox(client, key, request, &Outbox::memory(), on_text).await
}

/// [`chat_with`], storing the report in `outbox` before posting it once; a report the router
/// could not take now (unreachable, 5xx) stays in the outbox. Then posts, once each, the
/// outbox's other reports for this router, stopping at the first that cannot be taken.
pub async fn chat_with_outbox(
    client: &RouterClient,
    key: &PrivateKeySigner,
    request: &ChatRequest,
    outbox: &Outbox,
    mut on_text: impl FnMut(&str),
) -> Result<ChatOutcome, ClientError> {
    let admitted = admit(client, key, &request.model, request.max_tokens).await?;
    let (request_id, provider) = (
        admitted.issued.request_id,
        admitted.issued.ticket.message.provider,
    );
    let mut exchange = Exchange::new(admitted, request.stall_timeout);
    let body = json!({
        "model": request.model,
        "messages": [{"role": "user", "content": request.prompt}],
        "stream": request.stream,
    });
    let mut answer = String::new();
    if let Ok(response) = exchange.send(&provider_http(), body).await {
        if request.stream {
            let mut bytes = response.bytes_stream();
            'read: while let Some(piece) = exchange.next_piece(&mut bytes).await {
                for (_, step) in exchange.stream_piece(&piece) {
                    match step {
                        Step::Chunk(Some(text)) => {
                            on_text(&text);
                            answer.push_str(&text);
                        }
                        Step::Done | Step::Error(_) => break 'read,
                        Step::Chunk(None) | Step::Usage | Step::Receipt => {}
                    }
                }
            }
            exchange.end_stream();
        } else if let Some((_, text)) = exchange.read_whole(response).await {
            on_text(&text);
            answer = text;
        }
    }
    let error = exchange.failed().map(|f| f.message.clone());
    let error_code = exchange.failed().map(|f| f.code);
    let sealed = exchange.seal(key, request.fail)?;
    let record = Stored::new(client.url(), &sealed, unix_now());
    let mut report_error = None;
    if let Err(e) = outbox.store(&record).await {
        report_error = Some(format!("the outbox could not store the report: {e}"));
    }
    let (mut verdict, mut report_kept) = (None, false);
    match post_once(client, outbox, &record, unix_now()).await {
        Posted::Judged(j) => verdict = Some(j.verdict),
        Posted::Refused(e) | Posted::GivenUp(e) => report_error = Some(e.to_string()),
        Posted::Retry(e) => {
            report_kept = outbox.path().is_some() && report_error.is_none();
            report_error = Some(match outbox.path() {
                Some(path) if report_kept => format!(
                    "{e}; the report waits in the outbox {} for the next `user chat` or `user proxy` against this router",
                    path.display()
                ),
                _ => e.to_string(),
            });
        }
    }
    if verdict.is_some() {
        replay(client, outbox, request_id).await;
    }
    Ok(ChatOutcome {
        request_id,
        provider,
        answer,
        tokens: sealed.tokens,
        first_token_ms: sealed.first_token_ms,
        elapsed_ms: sealed.elapsed_ms,
        pass: sealed.pass,
        error,
        error_code,
        receipt_note: sealed.receipt_note,
        verdict,
        report_error,
        report_kept,
    })
}

/// Posts, once each, the outbox's waiting reports for `client`'s router other than `this`;
/// stops at the first the router cannot take now.
async fn replay(client: &RouterClient, outbox: &Outbox, this: B256) {
    let waiting = match outbox.pending(client.url()) {
        Ok(w) => w,
        Err(e) => {
            tracing::warn!(%e, "the outbox could not be read");
            return;
        }
    };
    for record in waiting.iter().filter(|r| r.request_id() != this) {
        let request = record.request_id();
        match post_once(client, outbox, record, unix_now()).await {
            Posted::Judged(j) => {
                tracing::info!(%request, "a waiting report: {}", crate::describe(&j.verdict))
            }
            Posted::Refused(e) | Posted::GivenUp(e) => {
                tracing::warn!(%request, %e, "a waiting report is settled unjudged")
            }
            Posted::Retry(_) => return,
        }
    }
}
