//! The gateway's refusals and failures, answered as the OpenAI error body
//! ([`OpenAiError`]), which every OpenAI client library knows how to raise.

use axum::{
    http::StatusCode,
    response::{IntoResponse, Response},
    Json,
};
use yellowstone_api::openai::OpenAiError;

/// A refusal or failure answered to the user (the router's refusals are
/// `yellowstone_api::ApiError`; this is the provider side's).
#[derive(Debug)]
pub(crate) struct GatewayError {
    /// The HTTP status.
    pub(crate) status: StatusCode,
    /// The OpenAI error type: `authentication_error`, `permission_error`,
    /// `invalid_request_error`, `conflict_error`, `backend_error` or `server_error`.
    pub(crate) kind: &'static str,
    /// A stable machine-readable code, such as `ticket_expired`.
    pub(crate) code: &'static str,
    /// What went wrong, for people.
    pub(crate) message: String,
}

impl GatewayError {
    /// An error with any status, type and code.
    pub(crate) fn new(
        status: StatusCode,
        kind: &'static str,
        code: &'static str,
        message: impl Into<String>,
    ) -> Self {
        Self {
            status,
            kind,
            code,
            message: message.into(),
        }
    }

    /// 401: the bearer ticket is missing, malformed, forged or expired.
    pub(crate) fn unauthorized(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "authentication_error",
            code,
            message,
        )
    }

    /// 400: the request does not fit the ticket or is malformed.
    pub(crate) fn invalid(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            code,
            message,
        )
    }

    /// 502: the backend failed (unreachable, timed out, non-2xx, malformed, cut off).
    pub(crate) fn backend(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_GATEWAY, "backend_error", code, message)
    }

    /// The OpenAI error body.
    pub(crate) fn body(&self) -> OpenAiError {
        OpenAiError::new(self.kind, Some(self.code), self.message.clone())
    }
}

impl IntoResponse for GatewayError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body())).into_response()
    }
}
