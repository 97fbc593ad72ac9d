//! A fault-injecting JSON-RPC proxy in front of the devnet, on loopback: the chain as the
//! router sees it can be made unreachable, slow, or answer errors and garbage, and healed.
//!
//! Two stages: a TCP front that refuses connections and cuts open ones while the chain is
//! down (keep-alive connections must die too, or "down" would only affect new ones), and an
//! HTTP stage that delays or replaces each answer.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{body::Bytes, extract::State, http::StatusCode, response::IntoResponse};
use serde_json::{json, Value};

/// What the proxy does to each JSON-RPC request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Forwards faithfully.
    None,
    /// Refuses connections and cuts the open ones: the chain is unreachable.
    Down,
    /// Forwards after a delay.
    Slow(Duration),
    /// Answers HTTP 502 with a text body, as a failing load balancer does.
    BadGateway,
    /// Answers HTTP 200 with a JSON-RPC error for every request.
    RpcError,
    /// Answers HTTP 200 with a body that is not JSON.
    Garbage,
}

/// The running proxy.
pub struct ChainProxy {
    /// The URL to give the router instead of the devnet's.
    pub url: String,
    fault: Arc<Mutex<Fault>>,
    cut: tokio::sync::watch::Sender<u64>,
    counts: Arc<Mutex<Counts>>,
}

/// Requests the HTTP stage answered, by what it did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Forwarded to the chain (faithfully or late).
    pub forwarded: u64,
    /// Answered with an injected fault.
    pub faulted: u64,
}

impl ChainProxy {
    /// Starts the proxy in front of `upstream` (the devnet's JSON-RPC URL).
    pub async fn start(upstream: String) -> ChainProxy {
        let fault = Arc::new(Mutex::new(Fault::None));
        let counts = Arc::new(Mutex::new(Counts::default()));
        let http = http_stage(upstream, fault.clone(), counts.clone()).await;
        let (cut, _) = tokio::sync::watch::channel(0u64);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (front_fault, cuts) = (fault.clone(), cut.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    return;
                };
                if *front_fault.lock().unwrap() == Fault::Down {
                    continue; // dropped at once: connection reset
                }
                let mut cut = cuts.subscribe();
                tokio::spawn(async move {
                    let Ok(mut outbound) = tokio::net::TcpStream::connect(http).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = cut.changed() => {}
                    }
                });
            }
        });
        ChainProxy {
            url,
            fault,
            cut,
            counts,
        }
    }

    /// Injects `fault` from now on (`Fault::None` heals).
    pub fn set(&self, fault: Fault) {
        *self.fault.lock().unwrap() = fault;
        if fault == Fault::Down {
            self.cut.send_modify(|n| *n += 1);
        }
    }

    /// What the HTTP stage has done so far.
    pub fn counts(&self) -> Counts {
        *self.counts.lock().unwrap()
    }
}

#[derive(Clone)]
struct Stage {
    upstream: String,
    client: reqwest::Client,
    fault: Arc<Mutex<Fault>>,
    counts: Arc<Mutex<Counts>>,
}

/// Serves the per-request faults on a loopback port of its own; returns its address.
async fn http_stage(
    upstream: String,
    fault: Arc<Mutex<Fault>>,
    counts: Arc<Mutex<Counts>>,
) -> std::net::SocketAddr {
    let stage = Stage {
        upstream,
        client: reqwest::Client::new(),
        fault,
        counts,
    };
    let app = axum::Router::new()
        .fallback(axum::routing::post(relay))
        .with_state(stage);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

async fn relay(State(stage): State<Stage>, body: Bytes) -> axum::response::Response {
    let fault = *stage.fault.lock().unwrap();
    let injected = match fault {
        Fault::None | Fault::Down | Fault::Slow(_) => None,
        Fault::BadGateway => Some((
            StatusCode::BAD_GATEWAY,
            "text/plain",
            "upstream unavailable".into(),
        )),
        Fault::RpcError => Some((
            StatusCode::OK,
            "application/json",
            rpc_errors(&body).to_string(),
        )),
        Fault::Garbage => Some((StatusCode::OK, "text/html", "<html>garbage".into())),
    };
    if let Some((status, kind, text)) = injected {
        stage.counts.lock().unwrap().faulted += 1;
        return (status, [("content-type", kind)], text).into_response();
    }
    if let Fault::Slow(delay) = fault {
        tokio::time::sleep(delay).await;
    }
    stage.counts.lock().unwrap().forwarded += 1;
    let forwarded = stage
        .client
        .post(&stage.upstream)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await;
    match forwarded {
        Ok(response) => {
            let status = StatusCode::from_u16(response.status().as_u16()).unwrap();
            let text = response.text().await.unwrap_or_default();
            (status, [("content-type", "application/json")], text).into_response()
        }
        Err(e) => (StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
    }
}

/// A JSON-RPC error answer to each request in `body` (one object or a batch).
fn rpc_errors(body: &[u8]) -> Value {
    let error = |id: &Value| json!({"jsonrpc": "2.0", "id": id, "error": {"code": -32603, "message": "injected fault"}});
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Array(batch)) => batch.iter().map(|r| error(&r["id"])).collect(),
        Ok(request) => error(&request["id"]),
        Err(_) => error(&Value::Null),
    }
}
