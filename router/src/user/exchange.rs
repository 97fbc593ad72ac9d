//! One request through the market, as the user lives it: [`admit`] (RFC signed on the
//! router's clock, ticket checked), [`Exchange::send`] (the prompt straight to the provider
//! with the ticket as bearer token), the tally of the answer ([`Exchange::event`] for a stream,
//! [`Exchange::whole`] otherwise), and [`Exchange::report`] (the signed report, with the
//! provider's receipt when it verifies).

use std::{
    hash::{BuildHasher, Hasher},
    sync::atomic::{AtomicU64, Ordering},
    time::{Duration, Instant},
};

use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::Eip712Domain;
use serde_json::Value;
use yellowstone_protocol::messages::{
    request_id, signature_bytes, Party, Receipt, Report, Rfc, Signed,
};

use super::sse::SseEvent;
use crate::client::{ClientError, Issued, Judged, RouterClient};

/// Seconds from the router's `now` to the RFC's deadline.
const DEADLINE_SECONDS: u64 = 120;
/// The response header carrying a non-streamed answer's signed receipt.
pub const RECEIPT_HEADER: &str = "x-yellowstone-receipt";
/// The SSE event carrying a streamed answer's signed receipt.
pub const RECEIPT_EVENT: &str = "yellowstone.receipt";

/// A ticket in hand, checked: issued by the market's router to this user for this RFC.
#[derive(Clone, Debug)]
pub struct Admitted {
    /// What the router issued.
    pub issued: Issued,
    /// The market's signing domain.
    pub domain: Eip712Domain,
}

/// Signs `message` with `key` under `domain`.
pub fn sign<T: Party>(
    key: &PrivateKeySigner,
    message: T,
    domain: &Eip712Domain,
) -> Result<Signed<T>, ClientError> {
    let sig = key
        .sign_hash_sync(&message.eip712_signing_hash(domain))
        .map_err(|e| ClientError::Signing(e.to_string()))?;
    Ok(Signed {
        message,
        signature: signature_bytes(&sig),
    })
}

/// A fresh RFC nonce: the system time's nanoseconds, the process id and a counter, hashed.
pub fn nonce() -> u64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(nanos);
    h.write_u32(std::process::id());
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    h.finish()
}

/// Signs an RFC for `token_max` tokens of `model` (deadline on the router's clock), gets a
/// ticket and checks it was signed by the market's router for this very request.
pub async fn admit(
    client: &RouterClient,
    key: &PrivateKeySigner,
    model: &str,
    token_max: u64,
) -> Result<Admitted, ClientError> {
    let market = client.market().await?;
    let domain = market.domain();
    let rfc = Rfc {
        user: key.address(),
        model: model.into(),
        tokenMax: token_max,
        nonce: nonce(),
        deadline: market.now + DEADLINE_SECONDS,
    };
    let id = request_id(&rfc, &domain);
    let issued = client.rfc(&sign(key, rfc, &domain)?).await?;
    issued
        .ticket
        .verify(&domain, Some(market.router))
        .map_err(|e| ClientError::Answer(format!("the ticket: {e}")))?;
    let t = &issued.ticket.message;
    if t.requestId != id || t.user != key.address() {
        return Err(ClientError::Answer(format!(
            "the ticket is for request {} of {}, not {id} of {}",
            t.requestId,
            t.user,
            key.address()
        )));
    }
    Ok(Admitted { issued, domain })
}

/// A provider call that failed: the status to show (502 when the provider was unreachable)
/// and why.
#[derive(Clone, Debug, thiserror::Error)]
#[error("{message}")]
pub struct Failure {
    /// HTTP status: the provider's, or 502.
    pub status: u16,
    /// What went wrong.
    pub message: String,
}

/// What one event of a streamed answer was.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// An answer chunk, with its text (`None` for a chunk without content).
    Chunk(Option<String>),
    /// The provider's signed receipt (kept for the report; not for the application).
    Receipt,
    /// The provider reported an error.
    Error(String),
    /// `[DONE]`: the answer is complete.
    Done,
}

/// What was reported, and the router's answer.
#[derive(Debug)]
pub struct Reported {
    /// Whether the user reported pass.
    pub pass: bool,
    /// Tokens the user counted.
    pub tokens: u64,
    /// Milliseconds from sending the prompt to the last token.
    pub elapsed_ms: u64,
    /// Why the provider's receipt was not forwarded, if it was not.
    pub receipt_note: Option<String>,
    /// The router's judgement, or why the report was not accepted.
    pub judged: Result<Judged, ClientError>,
}

/// The tally of one answer, from the prompt to the report.
#[derive(Debug)]
pub struct Exchange {
    /// The ticket.
    pub admitted: Admitted,
    sent: Instant,
    last_token: Option<Instant>,
    ended: Option<Instant>,
    /// Tokens counted so far.
    pub tokens: u64,
    receipt: Option<Signed<Receipt>>,
    /// Why the answer failed, once it did.
    pub failure: Option<String>,
    done: bool,
}

/// The HTTP client for provider calls: no overall timeout (answers stream for long).
pub fn provider_http() -> reqwest::Client {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .read_timeout(Duration::from_secs(120))
        .build()
        .unwrap_or_default()
}

impl Exchange {
    /// Starts the tally of the request `admitted` admitted.
    pub fn new(admitted: Admitted) -> Exchange {
        Exchange {
            admitted,
            sent: Instant::now(),
            last_token: None,
            ended: None,
            tokens: 0,
            receipt: None,
            failure: None,
            done: false,
        }
    }

    /// Sends the OpenAI chat request `body` to the provider with the ticket, `model` and
    /// `max_tokens` set from the ticket. A refusal or an unreachable provider is recorded
    /// as the failure and returned.
    pub async fn send(
        &mut self,
        http: &reqwest::Client,
        mut body: Value,
    ) -> Result<reqwest::Response, Failure> {
        let ticket = &self.admitted.issued.ticket;
        if let Some(map) = body.as_object_mut() {
            map.remove("max_completion_tokens");
            map.insert("model".into(), ticket.message.model.clone().into());
            map.insert("max_tokens".into(), ticket.message.tokenMax.into());
        }
        let url = format!(
            "{}/v1/chat/completions",
            self.admitted.issued.endpoint.trim_end_matches('/')
        );
        self.sent = Instant::now();
        let result = http
            .post(&url)
            .bearer_auth(ticket.to_token())
            .json(&body)
            .send()
            .await;
        let failure = match result {
            Ok(r) if r.status().is_success() => return Ok(r),
            Ok(r) => {
                let status = r.status().as_u16();
                let text = r.text().await.unwrap_or_default();
                Failure {
                    status,
                    message: format!("the provider answered {status}: {}", error_text(&text)),
                }
            }
            Err(e) => Failure {
                status: 502,
                message: format!("the provider at {url} is unreachable: {e}"),
            },
        };
        self.fail(failure.message.clone());
        Err(failure)
    }

    /// Records a failure (the first one stands) and ends the answer.
    pub fn fail(&mut self, why: String) {
        self.failure.get_or_insert(why);
        self.ended.get_or_insert_with(Instant::now);
    }

    /// Takes one event of a streamed answer.
    pub fn event(&mut self, event: &SseEvent) -> Step {
        if event.event.as_deref() == Some(RECEIPT_EVENT) {
            match serde_json::from_str(&event.data) {
                Ok(r) => self.receipt = Some(r),
                Err(e) => tracing::warn!(%e, "the provider's receipt event does not parse"),
            }
            return Step::Receipt;
        }
        if event.data.trim() == "[DONE]" {
            self.done = true;
            self.ended.get_or_insert_with(Instant::now);
            return Step::Done;
        }
        let chunk: Value = serde_json::from_str(&event.data).unwrap_or(Value::Null);
        if event.event.as_deref() == Some("error") || chunk.get("error").is_some() {
            let why = format!("the provider failed: {}", error_text(&event.data));
            self.fail(why.clone());
            return Step::Error(why);
        }
        let content = chunk["choices"][0]["delta"]["content"]
            .as_str()
            .filter(|c| !c.is_empty())
            .map(str::to_string);
        if content.is_some() {
            self.tokens += 1;
            self.last_token = Some(Instant::now());
        }
        Step::Chunk(content)
    }

    /// Marks the end of a streamed answer: without `[DONE]` it was cut.
    pub fn end_stream(&mut self) {
        if !self.done {
            self.fail("the provider's stream ended before [DONE]".into());
        }
    }

    /// Takes a whole (non-streamed) answer and the receipt header; returns the answer text.
    pub fn whole(&mut self, receipt: Option<&str>, answer: &Value) -> String {
        let now = Instant::now();
        self.ended = Some(now);
        self.done = true;
        if let Some(token) = receipt {
            match Signed::<Receipt>::from_token(token) {
                Ok(r) => self.receipt = Some(r),
                Err(e) => tracing::warn!(%e, "the provider's receipt header does not parse"),
            }
        }
        let text = answer["choices"][0]["message"]["content"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        self.tokens = answer["usage"]["completion_tokens"]
            .as_u64()
            .unwrap_or_else(|| text.split_whitespace().count() as u64);
        if self.tokens > 0 {
            self.last_token = Some(now);
        }
        text
    }

    /// Milliseconds from sending the prompt to the last token (or to the end, with none).
    pub fn elapsed_ms(&self) -> u64 {
        let end = self.last_token.or(self.ended).unwrap_or_else(Instant::now);
        end.duration_since(self.sent).as_millis() as u64
    }

    /// Signs and posts the report: pass unless the answer failed or `fail` is set; the
    /// receipt goes along when it is the ticket's provider's, for this request.
    pub async fn report(
        self,
        client: &RouterClient,
        key: &PrivateKeySigner,
        fail: bool,
    ) -> Reported {
        let pass = self.failure.is_none() && !fail;
        let elapsed_ms = self.elapsed_ms();
        let ticket = &self.admitted.issued.ticket.message;
        let (receipt, receipt_note) = match self.receipt {
            None => (None, Some("the provider sent no receipt".to_string())),
            Some(r) => match r.verify(&self.admitted.domain, None) {
                Ok(signer)
                    if signer == ticket.provider && r.message.requestId == ticket.requestId =>
                {
                    (Some(r), None)
                }
                Ok(signer) => (
                    None,
                    Some(format!(
                        "dropped a receipt signed by {signer} for request {}",
                        r.message.requestId
                    )),
                ),
                Err(e) => (
                    None,
                    Some(format!("dropped a receipt that does not verify: {e}")),
                ),
            },
        };
        if let Some(note) = &receipt_note {
            tracing::warn!(request = %ticket.requestId, "{note}");
        }
        let report = Report {
            requestId: ticket.requestId,
            user: key.address(),
            elapsedMs: elapsed_ms,
            tokens: self.tokens,
            pass,
        };
        let judged = match sign(key, report, &self.admitted.domain) {
            Ok(signed) => client.report(signed, receipt).await,
            Err(e) => Err(e),
        };
        Reported {
            pass,
            tokens: self.tokens,
            elapsed_ms,
            receipt_note,
            judged,
        }
    }
}

/// The message of an OpenAI-style error body, or the text itself.
fn error_text(text: &str) -> String {
    serde_json::from_str::<Value>(text)
        .ok()
        .and_then(|v| v["error"]["message"].as_str().map(str::to_string))
        .unwrap_or_else(|| text.trim().to_string())
}
