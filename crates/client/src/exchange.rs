//! One request through the market, as the user lives it: [`admit`] (RFC signed on the
//! router's clock, ticket checked), [`Exchange::send`] (the prompt straight to the provider
//! with the ticket as bearer token), the tally of the answer ([`Exchange::event`] for a stream,
//! [`Exchange::read_whole`] otherwise), and [`Exchange::seal`] (the signed report, with the
//! provider's receipt when it verifies), which the caller stores in its outbox and posts
//! ([`crate::outbox`], [`crate::postman`]).
//!
//! `firstTokenMs` is measured on every answer that streams. A whole answer is asked of the
//! provider as a stream and assembled for the caller ([`crate::assemble`]), unless the
//! request's shape cannot be assembled soundly; only then, or when a provider answers a whole
//! answer anyway, is the first token unseen and `firstTokenMs` reported as 0.
//!
//! A provider that stalls (nothing for the stall timeout), answers garbage (not a chat
//! completion, not an event stream, a bogus receipt) or disappears mid-answer fails the
//! answer: the failure names what went wrong, and the report says fail, which earns the
//! provider nothing and backs it off.

use std::{
    hash::{BuildHasher, Hasher},
    sync::atomic::{AtomicU64, Ordering},
    time::{Duration, Instant},
};

use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::Eip712Domain;
use axum::body::Bytes;
use futures_util::{Stream, StreamExt};
use serde_json::Value;
use yellowstone_api::stream::{is_usage_chunk, whole_tokens, Tally};
use yellowstone_protocol::messages::{request_id, Party, Receipt, Report, Rfc, Signed};

pub use super::failure::{
    Failure, DEFAULT_STALL_TIMEOUT, PROVIDER_BAD_RECEIPT, PROVIDER_CUT, PROVIDER_ERROR,
    PROVIDER_GARBAGE, PROVIDER_REFUSED, PROVIDER_STALLED, PROVIDER_UNREACHABLE,
};
use super::{
    assemble::{self, Assembly},
    failure::{chain, content_type, error_text, shown_type, snippet},
    sse::{SseEvent, SseParser},
};
use yellowstone_api::v1::Issued;

use crate::router::{ClientError, RouterClient};

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
    Signed::sign(message, key, domain).map_err(|e| ClientError::Signing(e.to_string()))
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

/// What one event of a streamed answer was.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// An answer chunk, with its text (`None` for a chunk without content).
    Chunk(Option<String>),
    /// The usage chunk ending the stream (no choices): relayed only to whom asked for it.
    Usage,
    /// The provider's signed receipt, checked (kept for the report; not for the application).
    Receipt,
    /// The answer failed here: the provider reported an error, sent something that is not a
    /// chat completion chunk, or a receipt that does not hold. Nothing more is read.
    Error(String),
    /// `[DONE]`: the answer is complete.
    Done,
}

/// A signed report, ready to be stored and posted, with what it says in plain figures.
#[derive(Clone, Debug)]
pub struct Sealed {
    /// Whether the user reported pass.
    pub pass: bool,
    /// Tokens the user counted.
    pub tokens: u64,
    /// Milliseconds from sending the prompt to the first streamed token (0: not seen).
    pub first_token_ms: u64,
    /// Milliseconds from sending the prompt to the last token.
    pub elapsed_ms: u64,
    /// Why the provider's receipt was not forwarded, if it was not.
    pub receipt_note: Option<String>,
    /// The signed report.
    pub report: Signed<Report>,
    /// The provider's receipt, checked, when it sent one that holds.
    pub receipt: Option<Signed<Receipt>>,
}

/// The tally of one answer, from the prompt to the report.
#[derive(Debug)]
pub struct Exchange {
    /// The ticket.
    pub admitted: Admitted,
    sent: Instant,
    first_token: Option<Instant>,
    last_token: Option<Instant>,
    ended: Option<Instant>,
    /// The count of a streamed answer ([`yellowstone_api::stream`]: the provider's gateway
    /// counts the same chunks the same way).
    tally: Tally,
    /// The count of an answer taken whole, once taken.
    whole_tokens: Option<u64>,
    receipt: Option<Signed<Receipt>>,
    /// Why the answer failed, once it did (the first failure stands).
    failed: Option<Failure>,
    done: bool,
    stall: Duration,
    parser: SseParser,
    /// Set while a whole answer is being assembled from a stream.
    assembly: Option<Assembly>,
}

/// How many times a request the provider's gateway answered `503 busy` is sent again.
const BUSY_RETRIES: u32 = 3;

/// The wait a gateway's `503 busy` asks for (`Retry-After` seconds, 1 s without one), at most
/// 5 s.
fn busy_wait(answer: &reqwest::Response) -> Duration {
    let seconds = answer
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(1);
    Duration::from_secs(seconds.clamp(1, 5))
}

/// The HTTP client for provider calls: no overall timeout (answers stream for long); silence
/// is bounded by the exchange's stall timeout instead.
pub fn provider_http() -> reqwest::Client {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .build()
        .unwrap_or_default()
}

impl Exchange {
    /// Starts the tally of the request `admitted` admitted; the provider may stay silent for
    /// `stall` at the most.
    pub fn new(admitted: Admitted, stall: Duration) -> Exchange {
        Exchange {
            admitted,
            sent: Instant::now(),
            first_token: None,
            last_token: None,
            ended: None,
            tally: Tally::default(),
            whole_tokens: None,
            receipt: None,
            failed: None,
            done: false,
            stall,
            parser: SseParser::default(),
            assembly: None,
        }
    }

    /// Whether the answer asked whole is being taken as a stream and assembled (so its first
    /// token is timed).
    pub fn assembling(&self) -> bool {
        self.assembly.is_some()
    }

    /// The failure, with its status and code, once the answer failed.
    pub fn failed(&self) -> Option<&Failure> {
        self.failed.as_ref()
    }

    /// Sends the OpenAI chat request `body` to the provider with the ticket, `model` and
    /// `max_tokens` set from the ticket. A whole answer is asked as a stream when it can be
    /// assembled ([`assemble::sound`]; read it with [`Exchange::read_whole`]). A refusal, an
    /// unreachable or silent provider, or a stream answered with something other than an
    /// event stream is recorded as the failure and returned (a whole answer to a request the
    /// caller asked whole is taken whole).
    pub async fn send(
        &mut self,
        http: &reqwest::Client,
        mut body: Value,
    ) -> Result<reqwest::Response, Failure> {
        let ticket = &self.admitted.issued.ticket;
        let asked_stream = body["stream"].as_bool().unwrap_or(false);
        if !asked_stream && assemble::sound(&body) {
            assemble::as_stream(&mut body);
            self.assembly = Some(Assembly::default());
        }
        let stream = asked_stream || self.assembly.is_some();
        if asked_stream {
            // The usage lets the count agree with the provider's receipt (the gateway asks its
            // backend for it anyway); a caller that did not ask has the usage chunk withheld.
            assemble::as_stream(&mut body);
        }
        if let Some(map) = body.as_object_mut() {
            map.remove("max_completion_tokens");
            map.insert("model".into(), ticket.message.model.clone().into());
            map.insert("max_tokens".into(), ticket.message.tokenMax.into());
        }
        let url = format!(
            "{}/v1/chat/completions",
            self.admitted.issued.endpoint.trim_end_matches('/')
        );
        let mut busy_retries = BUSY_RETRIES;
        let answer = loop {
            self.sent = Instant::now();
            let request = http
                .post(&url)
                .bearer_auth(ticket.to_token())
                .json(&body)
                .send();
            let answer = tokio::time::timeout(self.stall, request).await;
            // A gateway at its capacity answers 503 with `Retry-After` before using the ticket:
            // the same ticket is good once a place frees.
            match &answer {
                Ok(Ok(r)) if r.status() == 503 && busy_retries > 0 => {
                    busy_retries -= 1;
                    tokio::time::sleep(busy_wait(r)).await;
                }
                _ => break answer,
            }
        };
        let failure = match answer {
            Err(_) => Failure {
                status: 504,
                code: PROVIDER_STALLED,
                message: format!(
                    "the provider at {url} stalled: no answer within the stall timeout ({:?})",
                    self.stall
                ),
            },
            Ok(Ok(r)) if r.status().is_success() => {
                let content_type = content_type(&r);
                if !stream || content_type.starts_with("text/event-stream") {
                    return Ok(r);
                }
                if !asked_stream {
                    // The provider answered whole what the caller asked whole: take it so.
                    self.assembly = None;
                    return Ok(r);
                }
                let text = self.text_within_stall(r).await;
                Failure {
                    status: 502,
                    code: PROVIDER_GARBAGE,
                    message: format!(
                        "the provider answered a streamed request with {}, not an event stream: {}",
                        shown_type(&content_type),
                        snippet(&text)
                    ),
                }
            }
            Ok(Ok(r)) => {
                let status = r.status().as_u16();
                let text = self.text_within_stall(r).await;
                Failure {
                    status,
                    code: PROVIDER_REFUSED,
                    message: format!("the provider answered {status}: {}", error_text(&text)),
                }
            }
            Ok(Err(e)) => Failure {
                status: 502,
                code: PROVIDER_UNREACHABLE,
                message: format!("the provider at {url} is unreachable: {}", chain(&e)),
            },
        };
        self.record(failure.clone());
        Err(failure)
    }

    /// A refused answer's text, as much as arrives within the stall timeout.
    async fn text_within_stall(&self, response: reqwest::Response) -> String {
        tokio::time::timeout(self.stall, response.text())
            .await
            .ok()
            .and_then(Result::ok)
            .unwrap_or_default()
    }

    /// Records a failure (the first one stands) and ends the answer.
    pub fn fail(&mut self, why: String) {
        self.record(Failure {
            status: 502,
            code: PROVIDER_ERROR,
            message: why,
        });
    }

    fn fail_as(&mut self, status: u16, code: &'static str, why: String) -> String {
        self.record(Failure {
            status,
            code,
            message: why.clone(),
        });
        why
    }

    fn record(&mut self, failure: Failure) {
        if self.failed.is_none() {
            self.failed = Some(failure);
        }
        self.ended.get_or_insert_with(Instant::now);
    }

    /// The next piece of the provider's answer body, waiting at most the stall timeout. `None`
    /// at the end of the body, or when the provider stalled or the connection broke (both
    /// recorded as the failure).
    pub async fn next_piece<S>(&mut self, body: &mut S) -> Option<Bytes>
    where
        S: Stream<Item = reqwest::Result<Bytes>> + Unpin,
    {
        match tokio::time::timeout(self.stall, body.next()).await {
            Ok(Some(Ok(piece))) => Some(piece),
            Ok(None) => None,
            Err(_) => {
                let why = format!(
                    "the provider stalled: nothing for the stall timeout ({:?}) after {} tokens",
                    self.stall,
                    self.tokens()
                );
                self.fail_as(504, PROVIDER_STALLED, why);
                None
            }
            Ok(Some(Err(e))) => {
                let why = format!(
                    "the provider's connection broke after {} tokens, before the answer ended: {}",
                    self.tokens(),
                    chain(&e)
                );
                self.fail_as(502, PROVIDER_CUT, why);
                None
            }
        }
    }

    /// Checks the provider's receipt and keeps it: it must verify, be signed by the ticket's
    /// provider, be for this request and claim no more than tokenMax. Anything else is a
    /// bogus receipt and fails the answer.
    fn take_receipt(&mut self, receipt: Result<Signed<Receipt>, String>) -> Result<(), String> {
        let ticket = &self.admitted.issued.ticket.message;
        let checked = receipt
            .map_err(|e| format!("it does not parse: {e}"))
            .and_then(|r| match r.verify(&self.admitted.domain, None) {
                Err(e) => Err(format!("it does not verify: {e}")),
                Ok(signer) if signer != ticket.provider => Err(format!(
                    "it is signed by {signer}, not by the ticket's provider {}",
                    ticket.provider
                )),
                Ok(_) if r.message.requestId != ticket.requestId => Err(format!(
                    "it is for request {}, not this one ({})",
                    r.message.requestId, ticket.requestId
                )),
                Ok(_) if r.message.tokens > ticket.tokenMax => Err(format!(
                    "it claims {} tokens, more than the ticket's tokenMax {}",
                    r.message.tokens, ticket.tokenMax
                )),
                Ok(_) => Ok(r),
            });
        match checked {
            Ok(r) => {
                self.receipt = Some(r);
                Ok(())
            }
            Err(e) => {
                let why = format!("the provider sent a bogus receipt: {e}");
                Err(self.fail_as(502, PROVIDER_BAD_RECEIPT, why))
            }
        }
    }

    /// Takes the next piece of a streamed answer: each event it completes, with what it was
    /// ([`Exchange::event`]); a line that is not server-sent events fails the answer. Stops
    /// after `[DONE]` or a failure.
    pub fn stream_piece(&mut self, piece: &[u8]) -> Vec<(SseEvent, Step)> {
        let mut out = Vec::new();
        for item in self.parser.push_checked(piece) {
            let (event, step) = match item {
                Ok(event) => {
                    let step = self.event(&event);
                    (event, step)
                }
                Err(line) => {
                    let why = format!(
                        "the provider sent a line that is not server-sent events: {}",
                        snippet(&line)
                    );
                    let step = Step::Error(self.fail_as(502, PROVIDER_GARBAGE, why));
                    (
                        SseEvent {
                            event: None,
                            data: line,
                        },
                        step,
                    )
                }
            };
            let stop = matches!(step, Step::Done | Step::Error(_));
            out.push((event, step));
            if stop {
                break;
            }
        }
        out
    }

    /// Takes one event of a streamed answer.
    pub fn event(&mut self, event: &SseEvent) -> Step {
        if event.event.as_deref() == Some(RECEIPT_EVENT) {
            let receipt = serde_json::from_str(&event.data).map_err(|e| e.to_string());
            return match self.take_receipt(receipt) {
                Ok(()) => Step::Receipt,
                Err(why) => Step::Error(why),
            };
        }
        if event.data.trim() == "[DONE]" {
            self.done = true;
            self.ended.get_or_insert_with(Instant::now);
            return Step::Done;
        }
        let chunk: Value = match serde_json::from_str(&event.data) {
            Ok(chunk) => chunk,
            Err(_) if event.event.as_deref() == Some("error") => Value::Null,
            Err(e) => {
                let why = format!(
                    "the provider sent an event that is not JSON ({e}): {}",
                    snippet(&event.data)
                );
                return Step::Error(self.fail_as(502, PROVIDER_GARBAGE, why));
            }
        };
        if event.event.as_deref() == Some("error") || chunk.get("error").is_some() {
            let why = format!("the provider failed: {}", error_text(&event.data));
            return Step::Error(self.fail_as(502, PROVIDER_ERROR, why));
        }
        if !chunk["choices"].is_array() {
            let why = format!(
                "the provider sent an event that is not a chat completion chunk: {}",
                snippet(&event.data)
            );
            return Step::Error(self.fail_as(502, PROVIDER_GARBAGE, why));
        }
        if let Some(assembly) = &mut self.assembly {
            assembly.take(&chunk);
        }
        if self.tally.take(&chunk).token {
            let now = Instant::now();
            self.first_token.get_or_insert(now);
            self.last_token = Some(now);
        }
        if is_usage_chunk(&chunk) {
            return Step::Usage;
        }
        let content = chunk["choices"][0]["delta"]["content"]
            .as_str()
            .filter(|c| !c.is_empty())
            .map(str::to_string);
        Step::Chunk(content)
    }

    /// Marks the end of a streamed answer: without `[DONE]` it was cut.
    pub fn end_stream(&mut self) {
        if !self.done {
            let why = format!(
                "the provider's stream ended after {} tokens, before {}[DONE]",
                self.tokens(),
                if self.receipt.is_some() {
                    ""
                } else {
                    "its receipt and "
                }
            );
            self.fail_as(502, PROVIDER_CUT, why);
        }
    }

    /// Reads an answer asked whole, each piece within the stall timeout. Assembling
    /// ([`Exchange::assembling`]): the stream's events are taken ([`Exchange::stream_piece`])
    /// and the chat completion is put together; otherwise the provider's whole answer is taken
    /// ([`Exchange::whole`]). Returns the answer and its text (what arrived, if the stream
    /// failed midway), or `None` when there is none; check [`Exchange::failed`] before passing
    /// it on.
    pub async fn read_whole(&mut self, response: reqwest::Response) -> Option<(Bytes, String)> {
        if self.assembly.is_some() {
            let mut body = response.bytes_stream();
            'read: while let Some(piece) = self.next_piece(&mut body).await {
                for (_, step) in self.stream_piece(&piece) {
                    if matches!(step, Step::Done | Step::Error(_)) {
                        break 'read;
                    }
                }
            }
            self.end_stream();
            let assembly = self.assembly.as_ref()?;
            let ticket = &self.admitted.issued.ticket.message;
            let id = format!("yellowstone-{}", ticket.requestId);
            let completion = assembly.completion(&id, &ticket.model);
            let text = assembly.text().to_string();
            return Some((Bytes::from(completion.to_string()), text));
        }
        let receipt = response
            .headers()
            .get(RECEIPT_HEADER)
            .map(|v| v.to_str().unwrap_or("(not text)").to_string());
        let content_type = content_type(&response);
        let mut body = response.bytes_stream();
        let mut bytes = Vec::new();
        while let Some(piece) = self.next_piece(&mut body).await {
            bytes.extend_from_slice(&piece);
        }
        if self.failed.is_some() {
            return None;
        }
        let text = self.whole(receipt.as_deref(), &content_type, &bytes)?;
        Some((Bytes::from(bytes), text))
    }

    /// Takes a whole (non-streamed) answer: its receipt header, content type and body. The
    /// body must be an OpenAI chat completion and the receipt must hold (a failure is
    /// recorded). Returns the answer's text, `None` when there is none: a bogus receipt fails
    /// the answer, yet its text is returned.
    pub fn whole(
        &mut self,
        receipt: Option<&str>,
        content_type: &str,
        body: &[u8],
    ) -> Option<String> {
        let now = Instant::now();
        self.ended = Some(now);
        let answer: Value = match serde_json::from_slice(body) {
            Ok(answer) => answer,
            Err(e) => {
                let why = format!(
                    "the provider's answer is not JSON ({}; {e}): {}",
                    shown_type(content_type),
                    snippet(&String::from_utf8_lossy(body))
                );
                self.fail_as(502, PROVIDER_GARBAGE, why);
                return None;
            }
        };
        if answer.get("error").is_some() {
            let why = format!(
                "the provider failed: {}",
                error_text(&String::from_utf8_lossy(body))
            );
            self.fail_as(502, PROVIDER_ERROR, why);
            return None;
        }
        if !answer["choices"][0]["message"].is_object() {
            let why = format!(
                "the provider's answer is not a chat completion (no choices[0].message): {}",
                snippet(&answer.to_string())
            );
            self.fail_as(502, PROVIDER_GARBAGE, why);
            return None;
        }
        self.done = true;
        let text = answer["choices"][0]["message"]["content"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let tokens = whole_tokens(&answer);
        self.whole_tokens = Some(tokens);
        if tokens > 0 {
            self.last_token = Some(now);
        }
        if let Some(token) = receipt {
            // A bogus receipt fails the answer (recorded) but the text did arrive.
            let _ = self.take_receipt(Signed::<Receipt>::from_token(token));
        }
        Some(text)
    }

    /// Tokens counted so far, by the rule the provider's gateway counts with
    /// ([`yellowstone_api::stream`]: the usage, else the chunks that are tokens, at most the
    /// bytes of text delivered), at most the ticket's tokenMax.
    pub fn tokens(&self) -> u64 {
        self.whole_tokens
            .unwrap_or_else(|| self.tally.tokens())
            .min(self.admitted.issued.ticket.message.tokenMax)
    }

    /// Milliseconds from sending the prompt to the last token (or to the end, with none),
    /// rounded up.
    pub fn elapsed_ms(&self) -> u64 {
        let end = self.last_token.or(self.ended).unwrap_or_else(Instant::now);
        ms_up(end.duration_since(self.sent))
    }

    /// Milliseconds from sending the prompt to the first streamed token, rounded up (so a
    /// token seen is at least 1 ms, and never more than [`Exchange::elapsed_ms`], rounded the
    /// same way); 0 when the first token was not seen apart from the last (an answer taken
    /// whole), which the credit rule reads as the seed's per-token rule.
    pub fn first_token_ms(&self) -> u64 {
        self.first_token
            .map_or(0, |t| ms_up(t.duration_since(self.sent)))
            .min(self.elapsed_ms())
    }

    /// Signs the report: pass unless the answer failed or `fail` is set; the receipt (checked
    /// when it arrived) goes along.
    pub fn seal(&self, key: &PrivateKeySigner, fail: bool) -> Result<Sealed, ClientError> {
        let pass = self.failed.is_none() && !fail;
        let elapsed_ms = self.elapsed_ms();
        let first_token_ms = self.first_token_ms();
        let ticket = &self.admitted.issued.ticket.message;
        let receipt_note = match (&self.receipt, &self.failed) {
            (Some(_), _) => None,
            (None, Some(f)) if f.code == PROVIDER_BAD_RECEIPT => Some(f.message.clone()),
            (None, _) => Some("the provider sent no receipt".to_string()),
        };
        if let Some(note) = &receipt_note {
            tracing::warn!(request = %ticket.requestId, "{note}");
        }
        let report = Report {
            requestId: ticket.requestId,
            user: key.address(),
            firstTokenMs: first_token_ms,
            elapsedMs: elapsed_ms,
            tokens: self.tokens(),
            pass,
        };
        Ok(Sealed {
            pass,
            tokens: self.tokens(),
            first_token_ms,
            elapsed_ms,
            receipt_note,
            report: sign(key, report, &self.admitted.domain)?,
            receipt: self.receipt.clone(),
        })
    }
}

/// A duration in whole milliseconds, rounded up, saturating.
fn ms_up(d: Duration) -> u64 {
    u64::try_from(d.as_nanos().div_ceil(1_000_000)).unwrap_or(u64::MAX)
}
