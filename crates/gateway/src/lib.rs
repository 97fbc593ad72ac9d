//! The provider gateway (SPEC 4 steps 7 and 8): an OpenAI-compatible endpoint in front of any
//! OpenAI-compatible backend (llama.cpp server, vLLM, Ollama, [`crate::textgen`]).
//!
//! The router's ticket is the bearer token. It is checked before anything reaches the backend
//! (module `ticket`): signed by the trusted router under the market's EIP-712 domain, issued
//! to this provider, unexpired, for the model asked, unused, and for no more than its
//! `tokenMax` output tokens. The request is then forwarded with `max_tokens` capped (module
//! `forward`); the answer comes back with a provider-signed receipt of the tokens delivered (a
//! response header, or a final server-sent event), which is also posted to the router.
//! Refusals and backend failures are the OpenAI error body
//! ([`OpenAiError`](yellowstone_api::openai::OpenAiError), module `error`), never an empty 200.
//!
//! | route | what it does |
//! |---|---|
//! | `POST /v1/chat/completions` | ticket checks, then the backend's answer, streaming or not |
//! | `GET /v1/models` | the models this gateway serves, OpenAI list format |
//! | `GET /health` | 200 when the backend answers, else 503 (the router's liveness probe) |

mod error;
mod forward;
mod health;
pub mod textgen;
mod ticket;

pub use forward::RECEIPT_HEADER;

use std::{net::SocketAddr, sync::Arc, time::Duration};

use alloy_primitives::Address;
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::Eip712Domain;
use anyhow::Context;
use axum::{
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
    Json, Router,
};
use serde_json::{json, Value};
use tokio::{net::TcpListener, task::JoinHandle};
use yellowstone_api::v1::MarketInfo;
use yellowstone_protocol::eip712::types::domain;

/// Whom the gateway trusts: the router that signs tickets, and the market's EIP-712 domain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Trust {
    /// The router's address: the only valid ticket signer.
    pub router: Address,
    /// The chain id of the domain.
    pub chain_id: u64,
    /// The compute contract: the domain's verifying contract.
    pub contract: Address,
}

/// Reads [`Trust`] from a router's `GET {router}/v1/market`.
pub async fn discover(router_url: &str) -> anyhow::Result<Trust> {
    let url = format!("{}/v1/market", router_url.trim_end_matches('/'));
    let response = reqwest::Client::new()
        .get(&url)
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .with_context(|| format!("asking {url}"))?
        .error_for_status()
        .with_context(|| format!("asking {url}"))?;
    let market: MarketInfo = response
        .json()
        .await
        .with_context(|| format!("{url} did not answer a market description"))?;
    Ok(Trust {
        router: market.router,
        chain_id: market.chain_id,
        contract: market.contract,
    })
}

/// How to run a gateway.
#[derive(Clone, Debug)]
pub struct GatewayConfig {
    /// Where to listen.
    pub listen: SocketAddr,
    /// The backend's base URL: requests go to `{backend}/v1/chat/completions`.
    pub backend: String,
    /// The router's base URL, where receipts are posted (`None`: receipts only go to users).
    pub router: Option<String>,
    /// The ticket signer and the signing domain.
    pub trust: Trust,
    /// The models served, listed by `/v1/models`; tickets for other models are refused
    /// (empty: any model a ticket names).
    pub models: Vec<String>,
    /// Seconds a ticket is still accepted after its expiry, for clocks that disagree a little.
    pub clock_skew_seconds: u64,
    /// Seconds added to the system clock when checking expiry: lets tests, and a devnet whose
    /// chain was moved in time, look at tickets with the router's idea of now.
    pub now_offset: i64,
    /// How long the backend may take to answer a request, or between two streamed chunks.
    pub backend_timeout: Duration,
}

impl GatewayConfig {
    /// A configuration with the defaults: 5 seconds of clock skew, no clock offset, a
    /// 120-second backend timeout.
    pub fn new(listen: SocketAddr, backend: String, trust: Trust) -> Self {
        Self {
            listen,
            backend: backend.trim_end_matches('/').to_string(),
            router: None,
            trust,
            models: Vec::new(),
            clock_skew_seconds: 5,
            now_offset: 0,
            backend_timeout: Duration::from_secs(120),
        }
    }
}

/// The running gateway's shared state.
struct Gateway {
    config: GatewayConfig,
    domain: Eip712Domain,
    key: PrivateKeySigner,
    backend: reqwest::Client,
    router: reqwest::Client,
    used: ticket::UsedTickets,
    health: health::Health,
}

impl Gateway {
    /// The provider's address: tickets must name it, receipts carry it.
    fn provider(&self) -> Address {
        self.key.address()
    }

    /// Unix seconds, system clock plus the configured offset.
    fn now(&self) -> u64 {
        let system = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default();
        system.saturating_add_signed(self.config.now_offset)
    }
}

/// A gateway serving on a socket.
pub struct RunningGateway {
    /// Where it listens.
    pub addr: SocketAddr,
    server: JoinHandle<()>,
}

impl RunningGateway {
    /// The gateway's base URL: the endpoint a provider bids with.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops listening at once (tickets seen so far are forgotten).
    pub fn kill(self) {
        self.server.abort();
    }

    /// Serves until the task ends (Ctrl-C or SIGTERM).
    pub async fn wait(self) -> anyhow::Result<()> {
        self.server.await.context("the gateway failed")
    }
}

/// Starts a gateway signing receipts with the provider's `key`.
pub async fn start(config: GatewayConfig, key: PrivateKeySigner) -> anyhow::Result<RunningGateway> {
    let backend = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .build()
        .context("building the backend client")?;
    let router = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .context("building the router client")?;
    let listener = TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("listening on {}", config.listen))?;
    let addr = listener.local_addr()?;
    let gateway = Arc::new(Gateway {
        domain: domain(config.trust.chain_id, config.trust.contract),
        key,
        backend,
        router,
        used: ticket::UsedTickets::default(),
        health: health::Health::new()?,
        config,
    });
    tracing::info!(
        %addr,
        provider = %gateway.provider(),
        backend = %gateway.config.backend,
        router = %gateway.config.trust.router,
        chain_id = gateway.config.trust.chain_id,
        contract = %gateway.config.trust.contract,
        "gateway serving"
    );
    let app = Router::new()
        .route("/v1/chat/completions", post(chat))
        .route("/v1/models", get(models))
        .route("/health", get(health))
        .with_state(gateway);
    let server = tokio::spawn(async move {
        if let Err(err) = axum::serve(listener, app).await {
            tracing::error!(%err, "the gateway stopped");
        }
    });
    Ok(RunningGateway { addr, server })
}

type App = State<Arc<Gateway>>;

async fn chat(State(gateway): App, headers: HeaderMap, body: Bytes) -> Response {
    match ticket::check(&gateway, &headers, &body) {
        Ok(checked) => forward::forward(gateway, checked).await,
        Err(refusal) => refusal.into_response(),
    }
}

async fn models(State(gateway): App) -> Json<Value> {
    let owner = gateway.provider().to_string();
    let data: Vec<Value> = gateway
        .config
        .models
        .iter()
        .map(|m| json!({"id": m, "object": "model", "created": 0, "owned_by": owner}))
        .collect();
    Json(json!({"object": "list", "data": data}))
}

async fn health(State(gateway): App) -> Response {
    if gateway.health.live(&gateway.config.backend).await {
        Json(json!({"status": "ok"})).into_response()
    } else {
        let body = json!({"status": "backend_down"});
        (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response()
    }
}
