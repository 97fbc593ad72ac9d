//! The router's refusals: every one names what was wrong, carries a stable machine-readable
//! code, and maps to an HTTP status. The API renders them as `{"code", "message"}`.

use std::fmt;

/// A refused request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status code.
    pub status: u16,
    /// Stable code for programs, e.g. `allowance_exhausted`.
    pub code: &'static str,
    /// What was wrong, for people.
    pub message: String,
    /// Seconds to wait before retrying (503 answers), sent as `Retry-After`.
    pub retry_after: Option<u64>,
}

impl ApiError {
    fn new(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    /// 400: the body is malformed or a field is out of range.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(400, "invalid", message)
    }

    /// 401: the signature does not verify (malformed, high-s, wrong signer, other domain).
    pub fn signature(message: impl Into<String>) -> Self {
        Self::new(401, "bad_signature", message)
    }

    /// 403: a valid signer that may not do this (not the ticket's user or provider).
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(403, "forbidden", message)
    }

    /// 404: no such request, epoch, provider or model.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(404, "not_found", message)
    }

    /// 409: seen before (a replayed RFC nonce, a second report, an older bid nonce).
    pub fn replayed(message: impl Into<String>) -> Self {
        Self::new(409, "replayed", message)
    }

    /// 410: past its deadline or expiry.
    pub fn expired(message: impl Into<String>) -> Self {
        Self::new(410, "expired", message)
    }

    /// 429: the user's allowance for today cannot cover the request.
    pub fn exhausted(message: impl Into<String>) -> Self {
        Self::new(429, "allowance_exhausted", message)
    }

    /// 503: the router is saturated and shed this request; retry after `seconds`.
    pub fn busy(seconds: u64) -> Self {
        Self {
            retry_after: Some(seconds),
            ..Self::new(
                503,
                "busy",
                format!("the router is saturated: requests from larger MOR balances are served first; retry after {seconds} s"),
            )
        }
    }

    /// 503: no live provider serves the model right now.
    pub fn no_provider(message: impl Into<String>) -> Self {
        Self {
            retry_after: Some(5),
            ..Self::new(503, "no_provider", message)
        }
    }

    /// 503: the chain is needed and unreachable.
    pub fn chain(message: impl Into<String>) -> Self {
        Self {
            retry_after: Some(5),
            ..Self::new(503, "chain_unavailable", message)
        }
    }

    /// 500: the router failed (its database); nothing was acknowledged.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(500, "internal", message)
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}): {}", self.code, self.status, self.message)
    }
}

impl std::error::Error for ApiError {}

/// The body of every refusal: `{"code", "message"}`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ErrorBody {
    /// The stable code, e.g. `allowance_exhausted`.
    pub code: String,
    /// What was wrong.
    pub message: String,
}

impl From<&ApiError> for ErrorBody {
    fn from(e: &ApiError) -> Self {
        ErrorBody {
            code: e.code.to_string(),
            message: e.message.clone(),
        }
    }
}
