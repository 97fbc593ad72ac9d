//! JSON-RPC error objects: the standard codes, and geth's code 3 for reverts.

use alloy_primitives::{hex, Bytes};
use serde_json::{json, Value};

use crate::chain::DevnetError;

/// Invalid JSON was received.
pub const PARSE_ERROR: i64 = -32700;
/// The JSON sent is not a valid request object.
pub const INVALID_REQUEST: i64 = -32600;
/// The method does not exist.
pub const METHOD_NOT_FOUND: i64 = -32601;
/// Invalid method parameters.
pub const INVALID_PARAMS: i64 = -32602;
/// Internal error: the method panicked (a bug).
pub const INTERNAL_ERROR: i64 = -32603;
/// A server error: the chain refused the request (geth's and anvil's generic code).
pub const SERVER_ERROR: i64 = -32000;
/// Execution reverted; `data` holds the revert bytes (geth's and anvil's code).
pub const EXECUTION_REVERTED: i64 = 3;

/// The selector of Solidity's `Error(string)`.
const ERROR_STRING_SELECTOR: [u8; 4] = [0x08, 0xc3, 0x79, 0xa0];

/// A JSON-RPC error object.
#[derive(Clone, Debug, PartialEq)]
pub struct RpcError {
    /// The error code.
    pub code: i64,
    /// The message.
    pub message: String,
    /// Extra data (for a revert, the revert bytes as a 0x-prefixed hex string).
    pub data: Option<Value>,
}

impl RpcError {
    /// An error with `code` and `message` and no data.
    pub fn new(code: i64, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            data: None,
        }
    }

    /// `-32700`: the body is not JSON.
    pub fn parse_error(why: impl std::fmt::Display) -> Self {
        Self::new(PARSE_ERROR, format!("parse error: {why}"))
    }

    /// `-32600`: not a valid request object.
    pub fn invalid_request(why: impl std::fmt::Display) -> Self {
        Self::new(INVALID_REQUEST, format!("invalid request: {why}"))
    }

    /// `-32601`: no such method.
    pub fn method_not_found(method: &str) -> Self {
        Self::new(
            METHOD_NOT_FOUND,
            format!("the method {method} does not exist/is not available"),
        )
    }

    /// `-32602`: a parameter is missing or malformed.
    pub fn invalid_params(why: impl std::fmt::Display) -> Self {
        Self::new(INVALID_PARAMS, format!("invalid params: {why}"))
    }

    /// `-32603`: the server failed (a bug).
    pub fn internal(why: impl std::fmt::Display) -> Self {
        Self::new(INTERNAL_ERROR, format!("internal error: {why}"))
    }

    /// `-32000`: any other refusal.
    pub fn server(why: impl std::fmt::Display) -> Self {
        Self::new(SERVER_ERROR, why.to_string())
    }

    /// Code 3, "execution reverted" (with the reason of an `Error(string)`), `data` the revert
    /// bytes: what geth and anvil answer, so clients decode typed errors from `data`.
    pub fn reverted(data: &Bytes) -> Self {
        let message = match decode_error_string(data) {
            Some(reason) => format!("execution reverted: {reason}"),
            None => "execution reverted".to_owned(),
        };
        Self {
            code: EXECUTION_REVERTED,
            message,
            data: Some(Value::String(format!("0x{}", hex::encode(data)))),
        }
    }

    /// The error object as JSON.
    pub fn to_json(&self) -> Value {
        let mut object = json!({ "code": self.code, "message": self.message });
        if let Some(data) = &self.data {
            object["data"] = data.clone();
        }
        object
    }
}

impl From<DevnetError> for RpcError {
    fn from(error: DevnetError) -> Self {
        match &error {
            DevnetError::Reverted { data, .. } => Self::reverted(data),
            _ => Self::server(error),
        }
    }
}

/// The reason of an ABI-encoded `Error(string)`, if `data` is one.
pub fn decode_error_string(data: &[u8]) -> Option<String> {
    let body = data.strip_prefix(&ERROR_STRING_SELECTOR[..])?;
    let word = |at: usize| -> Option<usize> {
        let slot = body.get(at..at.checked_add(32)?)?;
        if slot[..24].iter().any(|&b| b != 0) {
            return None;
        }
        Some(u64::from_be_bytes(slot[24..].try_into().ok()?) as usize)
    };
    let offset = word(0)?;
    let len = word(offset)?;
    let start = offset.checked_add(32)?;
    let bytes = body.get(start..start.checked_add(len)?)?;
    String::from_utf8(bytes.to_vec()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_error_string() {
        // Error("nope")
        let data = hex::decode(
            "08c379a0\
             0000000000000000000000000000000000000000000000000000000000000020\
             0000000000000000000000000000000000000000000000000000000000000004\
             6e6f706500000000000000000000000000000000000000000000000000000000",
        )
        .unwrap();
        assert_eq!(decode_error_string(&data).as_deref(), Some("nope"));
        let error = RpcError::reverted(&Bytes::from(data));
        assert_eq!(error.code, 3);
        assert_eq!(error.message, "execution reverted: nope");
        assert!(decode_error_string(&[0xde, 0xad, 0xbe, 0xef]).is_none());
        assert_eq!(
            RpcError::reverted(&Bytes::from_static(&[1, 2])).to_json(),
            json!({ "code": 3, "message": "execution reverted", "data": "0x0102" })
        );
    }
}
