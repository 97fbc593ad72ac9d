//! The ticket checks, in order, each refusal an OpenAI-style error, all before the backend is
//! called:
//!
//! | # | check | refusal |
//! |---|---|---|
//! | 1 | `Authorization: Bearer <Signed<Ticket> token>` present and well formed | 401 `missing_ticket` / `invalid_ticket` |
//! | 2 | signed by the trusted router under the market's domain | 401 `bad_ticket_signature` |
//! | 3 | issued to this provider | 403 `wrong_provider` |
//! | 4 | `expiry` + clock skew not in the past | 401 `ticket_expired` |
//! | 5 | the body is a JSON object naming the ticket's model (and one this gateway serves) | 400 `invalid_body` / `model_mismatch` / `model_not_served` |
//! | 6 | the ticket was not used before | 409 `ticket_used` |
//! | 7 | `max_tokens` and `max_completion_tokens` at most `tokenMax` (absent: set to it) | 400 `max_tokens_exceeds_ticket` |
//!
//! Single use is kept in memory: a request id is remembered until a minute after its ticket
//! expired, and refused once expired anyway. A restarted gateway forgets the ids it saw, so a
//! ticket could be replayed to it until its expiry (minutes): bounded, and a replay earns the
//! provider nothing more, since the router credits each request once.

use std::{collections::HashMap, sync::Mutex};

use alloy_primitives::B256;
use axum::http::{header::AUTHORIZATION, HeaderMap, StatusCode};
use serde_json::{Map, Value};
use yellowstone_protocol::messages::{Signed, Ticket};

use super::{error::GatewayError, Gateway};

/// Seconds a used request id is kept after its ticket expired.
const FORGET_AFTER: u64 = 60;

/// A user's request that passed every ticket check, ready to forward.
pub(crate) struct CheckedRequest {
    /// The router's ticket.
    pub(crate) ticket: Ticket,
    /// The body to forward: the user's, with the output limit set to `max_tokens`.
    pub(crate) body: Map<String, Value>,
    /// The output limit: what the user asked, or the ticket's `tokenMax`.
    pub(crate) max_tokens: u64,
    /// Whether the user asked for a stream.
    pub(crate) stream: bool,
    /// Whether the user asked for the usage chunk at the end of a stream.
    pub(crate) wants_usage: bool,
}

/// Request ids already served, each with the time after which it can be forgotten; and when
/// forgotten ids were last swept out (at most once a second).
#[derive(Default)]
pub(crate) struct UsedTickets(Mutex<(HashMap<B256, u64>, u64)>);

impl UsedTickets {
    fn lock(&self) -> std::sync::MutexGuard<'_, (HashMap<B256, u64>, u64)> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn contains(&self, id: &B256) -> bool {
        self.lock().0.contains_key(id)
    }

    /// Marks `id` used until `forget_at`; false if already used.
    fn claim(&self, id: B256, forget_at: u64, now: u64) -> bool {
        let mut guard = self.lock();
        let (used, swept) = &mut *guard;
        if *swept < now {
            used.retain(|_, until| *until >= now);
            *swept = now;
        }
        used.insert(id, forget_at).is_none()
    }
}

/// Runs the checks on a request; the ticket is marked used only when all pass.
pub(crate) fn check(
    gateway: &Gateway,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<CheckedRequest, GatewayError> {
    let signed = bearer(headers)?;
    let config = &gateway.config;
    signed
        .verify(&gateway.domain, Some(config.trust.router))
        .map_err(|e| {
            GatewayError::unauthorized(
                "bad_ticket_signature",
                format!("the ticket is not the router's: {e}"),
            )
        })?;
    let ticket = signed.message;
    if ticket.provider != gateway.provider() {
        return Err(GatewayError::new(
            StatusCode::FORBIDDEN,
            "permission_error",
            "wrong_provider",
            format!(
                "the ticket is for provider {}, this is {}",
                ticket.provider,
                gateway.provider()
            ),
        ));
    }
    let now = gateway.now();
    if ticket.expiry.saturating_add(config.clock_skew_seconds) < now {
        return Err(GatewayError::unauthorized(
            "ticket_expired",
            format!("the ticket expired at {}; it is now {now}", ticket.expiry),
        ));
    }
    let mut body = match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => map,
        _ => {
            return Err(GatewayError::invalid(
                "invalid_body",
                "the body is not a JSON object",
            ))
        }
    };
    let model = body
        .get("model")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if model != ticket.model {
        return Err(GatewayError::invalid(
            "model_mismatch",
            format!(
                "the ticket is for model {:?}, the request asks for {model:?}",
                ticket.model
            ),
        ));
    }
    if !config.models.is_empty() && !config.models.iter().any(|m| m == model) {
        return Err(GatewayError::invalid(
            "model_not_served",
            format!("this gateway does not serve {model:?}"),
        ));
    }
    if gateway.used.contains(&ticket.requestId) {
        return Err(used(&ticket));
    }
    let max_tokens = output_limit(&mut body, ticket.tokenMax)?;
    let forget_at = ticket.expiry + config.clock_skew_seconds + FORGET_AFTER;
    if !gateway.used.claim(ticket.requestId, forget_at, now) {
        return Err(used(&ticket));
    }
    let stream = body.get("stream").and_then(Value::as_bool) == Some(true);
    let wants_usage = body
        .get("stream_options")
        .and_then(|o| o.get("include_usage"))
        .and_then(Value::as_bool)
        == Some(true);
    if stream {
        let options = body
            .entry("stream_options")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(options) = options {
            options.insert("include_usage".into(), Value::Bool(true));
        }
    }
    Ok(CheckedRequest {
        ticket,
        body,
        max_tokens,
        stream,
        wants_usage,
    })
}

/// The ticket in the `Authorization: Bearer` header.
fn bearer(headers: &HeaderMap) -> Result<Signed<Ticket>, GatewayError> {
    let value = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| {
            GatewayError::unauthorized(
                "missing_ticket",
                "send the router's ticket as Authorization: Bearer <ticket>",
            )
        })?;
    let token = match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token,
        _ => {
            return Err(GatewayError::unauthorized(
                "invalid_ticket",
                "the Authorization header is not Bearer <ticket>",
            ))
        }
    };
    Signed::from_token(token).map_err(|e| GatewayError::unauthorized("invalid_ticket", e))
}

fn used(ticket: &Ticket) -> GatewayError {
    GatewayError::new(
        StatusCode::CONFLICT,
        "conflict_error",
        "ticket_used",
        format!(
            "the ticket for request {} was already used",
            ticket.requestId
        ),
    )
}

/// Checks `max_tokens` and `max_completion_tokens` against `token_max` and sets the limit in
/// the body: the smaller of those given, or `token_max` when neither is.
fn output_limit(body: &mut Map<String, Value>, token_max: u64) -> Result<u64, GatewayError> {
    let mut limit = token_max;
    for field in ["max_tokens", "max_completion_tokens"] {
        let asked = match body.get(field) {
            None | Some(Value::Null) => continue,
            Some(value) => value.as_u64().ok_or_else(|| {
                GatewayError::invalid(
                    "invalid_max_tokens",
                    format!("{field} is not a whole number"),
                )
            })?,
        };
        if asked > token_max {
            return Err(GatewayError::invalid(
                "max_tokens_exceeds_ticket",
                format!("{field} = {asked} is more than the ticket's tokenMax {token_max}"),
            ));
        }
        limit = limit.min(asked);
    }
    body.insert("max_tokens".into(), limit.into());
    if body.contains_key("max_completion_tokens") {
        body.insert("max_completion_tokens".into(), limit.into());
    }
    Ok(limit)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_request_id_is_used_once_and_forgotten_after_its_time() {
        let used = UsedTickets::default();
        let id = B256::repeat_byte(1);
        assert!(used.claim(id, 100, 10));
        assert!(!used.claim(id, 100, 11));
        assert!(used.contains(&id));
        assert!(used.claim(B256::repeat_byte(2), 200, 101));
        assert!(!used.contains(&id));
    }

    #[test]
    fn the_output_limit_is_the_smallest_asked_or_the_ticket() {
        let mut body = json!({"max_completion_tokens": 7})
            .as_object()
            .unwrap()
            .clone();
        assert_eq!(output_limit(&mut body, 10).unwrap(), 7);
        assert_eq!(
            (
                body["max_tokens"].clone(),
                body["max_completion_tokens"].clone()
            ),
            (json!(7), json!(7))
        );
        let mut body = Map::new();
        assert_eq!(output_limit(&mut body, 10).unwrap(), 10);
        assert_eq!(body["max_tokens"], json!(10));
        let mut body = json!({"max_tokens": 11}).as_object().unwrap().clone();
        assert_eq!(
            output_limit(&mut body, 10).unwrap_err().code,
            "max_tokens_exceeds_ticket"
        );
        let mut body = json!({"max_tokens": "many"}).as_object().unwrap().clone();
        assert_eq!(
            output_limit(&mut body, 10).unwrap_err().code,
            "invalid_max_tokens"
        );
    }
}
