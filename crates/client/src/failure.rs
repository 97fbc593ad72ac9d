//! How a provider call fails, as the user sees it: a [`Failure`] with the status to show, a
//! stable `PROVIDER_*` code (the proxy's OpenAI error `code`) and a message naming what went
//! wrong, and the helpers that put what a provider sent into such a message.

use std::time::Duration;

use yellowstone_api::openai::OpenAiError;

/// A provider call that failed: the status to show, a stable code and why.
#[derive(Clone, Debug, thiserror::Error)]
#[error("{message}")]
pub struct Failure {
    /// HTTP status: the provider's own for a refusal; 504 for a stall; 502 otherwise.
    pub status: u16,
    /// What kind of failure, one of the `PROVIDER_*` codes (the proxy's OpenAI error `code`).
    pub code: &'static str,
    /// What went wrong.
    pub message: String,
}

/// The provider could not be reached.
pub const PROVIDER_UNREACHABLE: &str = "provider_unreachable";
/// The provider refused the request (a non-2xx status).
pub const PROVIDER_REFUSED: &str = "provider_refused";
/// The provider said nothing for the stall timeout.
pub const PROVIDER_STALLED: &str = "provider_stalled";
/// The provider's connection or stream ended before the answer did.
pub const PROVIDER_CUT: &str = "provider_cut";
/// The provider's answer is not an OpenAI chat completion (or stream of chunks).
pub const PROVIDER_GARBAGE: &str = "provider_garbage";
/// The provider's receipt does not verify, is for another request or claims too much.
pub const PROVIDER_BAD_RECEIPT: &str = "provider_bad_receipt";
/// The provider reported an error inside its answer.
pub const PROVIDER_ERROR: &str = "provider_error";

/// How long the provider may stay silent (no byte at all: no headers, no chunk) before the
/// answer is given up as stalled, unless the caller says otherwise (`--stall-timeout`). A
/// whole (non-streamed) answer is silent until it is complete, so this also bounds it.
pub const DEFAULT_STALL_TIMEOUT: Duration = Duration::from_secs(60);

/// The message of an OpenAI-style error body, or the text itself (shortened).
pub(super) fn error_text(text: &str) -> String {
    OpenAiError::message_of(text).unwrap_or_else(|| snippet(text))
}

/// A response's content type, lower case (empty when absent).
pub(super) fn content_type(response: &reqwest::Response) -> String {
    response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

/// A content type for a message.
pub(super) fn shown_type(content_type: &str) -> String {
    match content_type {
        "" => "no content type".into(),
        t => format!("content type {t}"),
    }
}

/// The start of what a provider sent, on one line, for an error message.
pub(super) fn snippet(text: &str) -> String {
    const MAX: usize = 160;
    let line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match line.char_indices().nth(MAX) {
        None if line.is_empty() => "(empty)".into(),
        None => format!("{line:?}"),
        Some((cut, _)) => format!("{:?}…", &line[..cut]),
    }
}

/// An error with its sources: reqwest's own message alone ("error decoding response body")
/// hides what happened.
pub(super) fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}
