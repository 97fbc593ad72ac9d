//! The OpenAI error body, `{"error": {"code", "message", "type"}}`: what the provider
//! gateway and the user proxy answer with, so every OpenAI client library raises it, and what
//! the user client reads from a provider that refused.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

/// An OpenAI error answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenAiError {
    /// What went wrong.
    pub error: OpenAiErrorDetail,
}

/// The inside of an [`OpenAiError`]. Fields are in alphabetical order, the order the gateway
/// has always written them in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenAiErrorDetail {
    /// A stable machine-readable code, such as `ticket_expired` (`null` when there is none).
    /// Read leniently: some backends (llama.cpp) send the HTTP status as a number.
    #[serde(default, deserialize_with = "code_text")]
    pub code: Option<String>,
    /// What went wrong, for people.
    pub message: String,
    /// The OpenAI error type, e.g. `invalid_request_error`.
    #[serde(rename = "type", default)]
    pub kind: String,
}

impl OpenAiError {
    /// An error of type `kind` with `code` (if any) saying `message`.
    pub fn new(kind: &str, code: Option<&str>, message: impl Into<String>) -> Self {
        OpenAiError {
            error: OpenAiErrorDetail {
                code: code.map(str::to_string),
                message: message.into(),
                kind: kind.to_string(),
            },
        }
    }

    /// The message of an OpenAI error body, or `None` when `text` is not one.
    pub fn message_of(text: &str) -> Option<String> {
        serde_json::from_str::<OpenAiError>(text)
            .ok()
            .map(|e| e.error.message)
    }

    /// The body as JSON text.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// A code as text: a string as it is, a number or other value as its JSON, `null` as `None`.
fn code_text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    Ok(match Option::<Value>::deserialize(deserializer)? {
        None | Some(Value::Null) => None,
        Some(Value::String(code)) => Some(code),
        Some(other) => Some(other.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_is_openais_shape_with_keys_in_order() {
        let e = OpenAiError::new("backend_error", Some("backend_down"), "no answer");
        assert_eq!(
            e.to_json(),
            r#"{"error":{"code":"backend_down","message":"no answer","type":"backend_error"}}"#
        );
        assert_eq!(
            OpenAiError::new("server_error", None, "x").to_json(),
            r#"{"error":{"code":null,"message":"x","type":"server_error"}}"#
        );
    }

    #[test]
    fn a_message_is_read_back_and_other_text_is_not() {
        let e = OpenAiError::new("invalid_request_error", Some("bad"), "too long");
        assert_eq!(
            OpenAiError::message_of(&e.to_json()).as_deref(),
            Some("too long")
        );
        assert_eq!(
            OpenAiError::message_of(r#"{"error":{"message":"m"}}"#).as_deref(),
            Some("m")
        );
        let llama = r#"{"error":{"code":400,"message":"too long","type":"invalid_request_error"}}"#;
        let parsed: OpenAiError = serde_json::from_str(llama).unwrap();
        assert_eq!(parsed.error.code.as_deref(), Some("400"));
        assert_eq!(OpenAiError::message_of("plain text"), None);
        assert_eq!(OpenAiError::message_of(r#"{"error":"flat"}"#), None);
    }
}
