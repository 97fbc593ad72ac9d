//! Standard Ethereum JSON-RPC over HTTP in front of a [`Chain`].
//!
//! [`serve`] binds a [`SocketAddr`](std::net::SocketAddr) (port 0 picks a free port), runs the
//! server on its own thread (a single-threaded tokio runtime, hyper 1, HTTP/1.1) and returns an
//! [`RpcHandle`] with the bound address and URL; the server stops when the handle is dropped or
//! [`RpcHandle::shutdown`] is called. Requests share the chain through `Arc<Mutex<Chain>>`, so
//! the owner can keep using it in-process. [`handle_body`] answers one HTTP body without any
//! networking, for embedding and tests.
//!
//! JSON-RPC 2.0: single requests and batches; `id` is echoed; notifications (requests without
//! `id`) are executed but not answered. Errors use the standard codes (see [`error`]); a
//! reverted `eth_call` / `eth_estimateGas` answers code 3, "execution reverted", with the revert
//! bytes as `data`, as geth and anvil do. The methods are listed in [`methods`].

mod anvil;
pub mod error;
pub mod methods;
mod server;

pub use error::RpcError;
pub use server::{serve, RpcHandle, DRAIN};

use std::sync::{Arc, Mutex};

use serde_json::{json, Value};

use crate::chain::Chain;

/// Answers one HTTP request body: a JSON-RPC request or batch. Returns the response body, or
/// `None` when nothing is to be sent back (only notifications).
pub fn handle_body(chain: &Arc<Mutex<Chain>>, body: &[u8]) -> Option<Value> {
    let request: Value = match serde_json::from_slice(body) {
        Ok(value) => value,
        Err(e) => return Some(response(Value::Null, Err(RpcError::parse_error(e)))),
    };
    match request {
        Value::Array(batch) if batch.is_empty() => Some(response(
            Value::Null,
            Err(RpcError::invalid_request("empty batch")),
        )),
        Value::Array(batch) => {
            let answers: Vec<Value> = batch
                .into_iter()
                .filter_map(|request| handle_one(chain, request))
                .collect();
            (!answers.is_empty()).then_some(Value::Array(answers))
        }
        request => handle_one(chain, request),
    }
}

/// Answers one request object; `None` for a notification.
fn handle_one(chain: &Arc<Mutex<Chain>>, request: Value) -> Option<Value> {
    let Value::Object(mut object) = request else {
        return Some(response(
            Value::Null,
            Err(RpcError::invalid_request("a request must be a JSON object")),
        ));
    };
    let id = object.remove("id");
    let reply_id = id.clone().unwrap_or(Value::Null);
    if !matches!(reply_id, Value::Null | Value::Number(_) | Value::String(_)) {
        return Some(response(
            Value::Null,
            Err(RpcError::invalid_request(
                "id must be a number, a string or null",
            )),
        ));
    }
    if object.get("jsonrpc") != Some(&Value::String("2.0".into())) {
        return Some(response(
            reply_id,
            Err(RpcError::invalid_request(r#"jsonrpc must be "2.0""#)),
        ));
    }
    let Some(Value::String(method)) = object.remove("method") else {
        return Some(response(
            reply_id,
            Err(RpcError::invalid_request("method must be a string")),
        ));
    };
    let params = object.remove("params");
    let result = {
        let mut chain = chain
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        // A bug in the chain must not take the connection (or the server) down with it.
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            methods::dispatch(&mut chain, &method, params)
        }))
        .unwrap_or_else(|panic| {
            let why = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_owned());
            Err(RpcError::internal(format!("{method} panicked: {why}")))
        })
    };
    id.map(|_| response(reply_id, result))
}

/// A response object.
fn response(id: Value, result: Result<Value, RpcError>) -> Value {
    match result {
        Ok(result) => json!({ "jsonrpc": "2.0", "id": id, "result": result }),
        Err(error) => json!({ "jsonrpc": "2.0", "id": id, "error": error.to_json() }),
    }
}
