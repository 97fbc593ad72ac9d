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
//! | 8 | one answer (`n` absent or 1): the ticket pays for one | 400 `n_unsupported` |
//!
//! The body forwarded always asks for a stream with its usage (`stream: true`,
//! `stream_options.include_usage: true`), whatever the user asked (module `forward`).
//!
//! Then, in [`crate::chat`], a place under the gateway's capacity (else 503 `busy`, the ticket
//! left unused) and the claim ([`claim`]): the request id is marked used, in the journal on disk
//! before the answer starts when one is configured (module `used`), so a restarted gateway
//! still refuses it. A used id is remembered until a minute after its ticket can no longer be
//! presented, and refused once expired anyway.

use std::sync::Arc;

use axum::http::{header::AUTHORIZATION, HeaderMap, StatusCode};
use serde_json::{Map, Value};
use yellowstone_protocol::messages::{Signed, Ticket};

use super::{error::GatewayError, Gateway};

/// Seconds a used request id is kept after its ticket can no longer be presented.
pub(crate) const FORGET_AFTER: u64 = 60;

/// A user's request that passed every ticket check, ready to forward.
pub(crate) struct CheckedRequest {
    /// The router's ticket.
    pub(crate) ticket: Ticket,
    /// The body to forward: the user's, with the output limit set to `max_tokens`, asking for a
    /// stream with its usage.
    pub(crate) body: Map<String, Value>,
    /// The output limit: what the user asked, or the ticket's `tokenMax`.
    pub(crate) max_tokens: u64,
    /// Whether the user asked for a stream.
    pub(crate) stream: bool,
    /// Whether the user asked for the usage chunk at the end of a stream.
    pub(crate) wants_usage: bool,
}

/// Runs the checks on a request; nothing is marked used (see [`claim`]).
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
    let stream = body.get("stream").and_then(Value::as_bool) == Some(true);
    let wants_usage = body
        .get("stream_options")
        .and_then(|o| o.get("include_usage"))
        .and_then(Value::as_bool)
        == Some(true);
    if body
        .get("n")
        .is_some_and(|n| !n.is_null() && n.as_u64() != Some(1))
    {
        return Err(GatewayError::invalid(
            "n_unsupported",
            "n asks for several answers; a ticket pays for one (send n = 1 or none)",
        ));
    }
    body.insert("stream".into(), Value::Bool(true));
    let options = body
        .entry("stream_options")
        .or_insert_with(|| Value::Object(Map::new()));
    if !options.is_object() {
        *options = Value::Object(Map::new());
    }
    if let Value::Object(options) = options {
        options.insert("include_usage".into(), Value::Bool(true));
    }
    Ok(CheckedRequest {
        ticket,
        body,
        max_tokens,
        stream,
        wants_usage,
    })
}

/// Marks the checked ticket used, durably when the gateway has a journal: a copy presented
/// meanwhile, or after a restart, is refused. A failed write leaves the ticket unused.
pub(crate) async fn claim(gateway: &Arc<Gateway>, ticket: &Ticket) -> Result<(), GatewayError> {
    let (id, expiry, now) = (ticket.requestId, ticket.expiry, gateway.now());
    if !gateway.used.reserve(id, expiry, now) {
        return Err(used(ticket));
    }
    if !gateway.used.persistent() {
        return Ok(());
    }
    let writer = gateway.clone();
    let written = tokio::task::spawn_blocking(move || writer.used.persist(id, expiry, now))
        .await
        .map_err(|e| e.to_string())
        .and_then(|r| r.map_err(|e| e.to_string()));
    written.map_err(|e| {
        gateway.used.release(&id);
        tracing::error!(err = %e, request_id = %id, "could not record a used ticket");
        GatewayError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "ticket_store_failed",
            format!(
                "the gateway could not record the ticket as used ({e}); it was not used, retry it"
            ),
        )
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
