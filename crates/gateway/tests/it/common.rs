//! Keys, tickets and a gateway in front of textgen.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use alloy_primitives::{address, keccak256, Address, B256, U256};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::Eip712Domain;
use serde_json::{json, Value};
use yellowstone_gateway::textgen::{start_textgen, RunningTextgen, TextgenConfig};
use yellowstone_gateway::{GatewayConfig, RunningGateway, Trust};
use yellowstone_protocol::{
    eip712::types::domain,
    messages::{Signed, Ticket},
};

pub(crate) const MODEL: &str = "demo-1b";
pub(crate) const CHAIN_ID: u64 = 412_346;
pub(crate) const CONTRACT: Address = address!("00000000000000000000000000000000000c0de1");
pub(crate) const TOKEN_MAX: u64 = 12;

pub(crate) fn key(n: u8) -> PrivateKeySigner {
    PrivateKeySigner::from_bytes(&B256::repeat_byte(n)).unwrap()
}
pub(crate) fn router_key() -> PrivateKeySigner {
    key(0x11)
}
pub(crate) fn provider_key() -> PrivateKeySigner {
    key(0x22)
}
pub(crate) fn market() -> Eip712Domain {
    domain(CHAIN_ID, CONTRACT)
}
fn local() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}
fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// The router's bearer ticket for request `n`, valid for two minutes.
pub(crate) fn bearer(n: u64) -> String {
    bearer_max(n, TOKEN_MAX)
}

/// The router's bearer ticket for request `n` for `token_max` tokens, valid for two minutes.
pub(crate) fn bearer_max(n: u64, token_max: u64) -> String {
    let ticket = Ticket {
        requestId: keccak256(n.to_be_bytes()),
        user: key(0x33).address(),
        provider: provider_key().address(),
        model: MODEL.into(),
        tokenMax: token_max,
        pricePerToken: U256::from(1_000u64),
        expiry: now() + 120,
    };
    let signed = Signed::sign(ticket, &router_key(), &market()).unwrap();
    format!("Bearer {}", signed.to_token())
}

pub(crate) fn chat(stream: bool) -> Value {
    json!({"model": MODEL, "stream": stream,
           "messages": [{"role": "user", "content": "Tell me about the park"}]})
}

/// Textgen, waiting `delay` between tokens.
pub(crate) async fn textgen(delay: Duration) -> RunningTextgen {
    start_textgen(TextgenConfig {
        listen: local(),
        token_delay: delay,
        fail_after: None,
    })
    .await
    .unwrap()
}

pub(crate) fn config(backend: String) -> GatewayConfig {
    let trust = Trust {
        router: router_key().address(),
        chain_id: CHAIN_ID,
        contract: CONTRACT,
    };
    let mut config = GatewayConfig::new(local(), backend, trust);
    config.models = vec![MODEL.into()];
    config.backend_timeout = Duration::from_secs(5);
    config
}

pub(crate) async fn gateway(config: GatewayConfig) -> RunningGateway {
    yellowstone_gateway::start(config, provider_key())
        .await
        .unwrap()
}

/// A fresh client per call: no pooled connection outlives a request.
pub(crate) async fn post_chat(
    gw: &RunningGateway,
    auth: String,
    body: &Value,
) -> reqwest::Response {
    reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap()
        .post(format!("{}/v1/chat/completions", gw.url()))
        .header("authorization", auth)
        .json(body)
        .send()
        .await
        .unwrap()
}

/// The status and OpenAI error code of an answer (`None` for a success).
pub(crate) async fn outcome(response: reqwest::Response) -> (u16, Option<String>) {
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or_default();
    (status, body["error"]["code"].as_str().map(str::to_string))
}

/// A journal path in a directory of its own under the system's temporary directory, removed
/// with it when dropped.
pub(crate) struct Scratch(PathBuf);

impl Scratch {
    pub(crate) fn new(name: &str) -> Scratch {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        Scratch(std::env::temp_dir().join(format!(
            "yellowstone-gateway-{name}-{}-{nanos}",
            std::process::id()
        )))
    }

    /// The journal's path (its directory is not created).
    pub(crate) fn path(&self) -> PathBuf {
        self.0.join("used-tickets.db")
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
