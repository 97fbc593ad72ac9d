//! The provider gateway (SPEC 4 steps 7 and 8): an OpenAI-compatible endpoint in front of any
//! OpenAI-compatible backend (llama.cpp server, vLLM, Ollama, [`crate::textgen`]).
//!
//! The router's ticket is the bearer token. It is checked before anything reaches the backend
//! (module `ticket`): signed by the trusted router under the market's EIP-712 domain, issued
//! to this provider, unexpired, for the model asked, unused, and for no more than its
//! `tokenMax` output tokens. The request is then forwarded with `max_tokens` capped, always as a
//! stream (module `forward`), read, counted and cut at the limit by one code path (module
//! `relay`); the answer comes back, streamed or put together whole, with a provider-signed
//! receipt of the tokens delivered (a response header, or a final server-sent event), which is
//! also posted to the router. Tokens are counted by the rule the user's client counts with
//! ([`yellowstone_api::stream`]).
//! Refusals and backend failures are the OpenAI error body
//! ([`OpenAiError`], module `error`), never an empty 200.
//!
//! | route | what it does |
//! |---|---|
//! | `POST /v1/chat/completions` | ticket checks, then the backend's answer, streaming or not |
//! | `GET /v1/models` | the models this gateway serves, OpenAI list format |
//! | `GET /health` | [`GatewayHealth`]: 200 when the backend answers, else 503 |
//! | `GET /health?challenge=0x<32 bytes>` | the router's liveness probe: 200, [`GatewayHealth`] with the challenge signed by the provider key |
//!
//! At most `capacity` requests are served at once (the capacity the provider's bids state):
//! above it a request is answered 503 `busy` at once, before anything is forwarded and without
//! using its ticket. Used tickets are journalled on disk when `used_tickets_path` is set
//! (module `used`), so a restart does not let a ticket be served twice.

mod error;
mod forward;
mod health;
mod relay;
pub mod textgen;
mod ticket;
mod used;

pub use forward::RECEIPT_HEADER;
pub use health::{answer_health, challenge_of};
pub use yellowstone_api::GatewayHealth;

use std::{collections::HashMap, net::SocketAddr, path::PathBuf, sync::Arc, time::Duration};

use alloy_primitives::Address;
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::Eip712Domain;
use anyhow::Context;
use axum::{
    body::Bytes,
    extract::{Query, State},
    http::{header::RETRY_AFTER, HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
    Json, Router,
};
use serde_json::{json, Value};
use tokio::{
    net::TcpListener,
    sync::{OwnedSemaphorePermit, Semaphore},
    task::JoinHandle,
};
use yellowstone_api::{openai::OpenAiError, v1::MarketInfo};
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

/// The capacity of a gateway configured without one (and of the CLI's `--capacity`).
pub const DEFAULT_CAPACITY: u32 = 8;

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
    /// Requests served at once: the capacity the provider's bids state (at least 1). Above it
    /// a request is answered 503 `busy`.
    pub capacity: u32,
    /// The journal of used tickets, so a restart does not let a ticket be served twice
    /// (`None`: kept in memory, forgotten on restart).
    pub used_tickets_path: Option<PathBuf>,
}

impl GatewayConfig {
    /// A configuration with the defaults: 5 seconds of clock skew, no clock offset, a
    /// 120-second backend timeout, a capacity of [`DEFAULT_CAPACITY`], used tickets in memory.
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
            capacity: DEFAULT_CAPACITY,
            used_tickets_path: None,
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
    used: used::UsedTickets,
    health: health::Health,
    /// One permit per request being served, `config.capacity` in all.
    slots: Arc<Semaphore>,
}

impl Gateway {
    /// The provider's address: tickets must name it, receipts carry it.
    fn provider(&self) -> Address {
        self.key.address()
    }

    /// Unix seconds, system clock plus the configured offset.
    fn now(&self) -> u64 {
        now_with(self.config.now_offset)
    }

    /// Requests being served now.
    fn in_flight(&self) -> u32 {
        let free = u32::try_from(self.slots.available_permits()).unwrap_or(u32::MAX);
        self.config.capacity.saturating_sub(free)
    }

    /// A place for one more request, held until its answer ends; `None` at capacity.
    fn slot(&self) -> Option<OwnedSemaphorePermit> {
        self.slots.clone().try_acquire_owned().ok()
    }

    /// 503 `busy`: the answer above capacity (the ticket is left unused).
    fn busy(&self) -> Response {
        let capacity = self.config.capacity;
        let body = OpenAiError::new(
            "server_error",
            Some("busy"),
            format!("the provider is serving its capacity of {capacity} concurrent requests; retry shortly (the ticket was not used)"),
        );
        (
            StatusCode::SERVICE_UNAVAILABLE,
            [(RETRY_AFTER, "1")],
            Json(body),
        )
            .into_response()
    }
}

/// Unix seconds, system clock plus `offset`.
fn now_with(offset: i64) -> u64 {
    let system = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    system.saturating_add_signed(offset)
}

/// A gateway serving on a socket.
pub struct RunningGateway {
    /// Where it listens.
    pub addr: SocketAddr,
    server: Serving,
    /// Held by every request and stream relay in progress: gone once all have ended.
    gateway: std::sync::Weak<Gateway>,
}

impl RunningGateway {
    /// The gateway's base URL: the endpoint a provider bids with.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops listening at once (tickets seen so far are forgotten, unless journalled).
    pub fn kill(self) {
        self.server.task.abort();
    }

    /// Serves until `shutdown` resolves (the caller owns the signals), then stops as
    /// [`RunningGateway::shutdown`] does. An error if the server failed first.
    pub async fn serve_until(
        mut self,
        shutdown: impl std::future::Future<Output = ()>,
        drain: Duration,
    ) -> anyhow::Result<()> {
        self.server.until(shutdown).await?;
        self.shutdown(drain).await;
        Ok(())
    }

    /// Stops gracefully: no new connections; the answers in flight get up to `drain` to end
    /// (their receipts signed and posted), then are cut. True when nothing had to be cut.
    pub async fn shutdown(self, drain: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + drain;
        let drained = self.server.stop(deadline).await && released(&self.gateway, deadline).await;
        if !drained {
            tracing::warn!(
                ?drain,
                "answers still in flight at the drain deadline were cut"
            );
        }
        drained
    }
}

/// An axum server on its own task that stops gracefully when told.
pub(crate) struct Serving {
    /// Starts the graceful stop; dropped unsent, the server keeps serving.
    stop: tokio::sync::oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl Serving {
    /// Serves `app` on `listener`; `name` is for the log should it fail.
    pub(crate) fn spawn(listener: TcpListener, app: Router, name: &'static str) -> Serving {
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let stopping = async {
            if stopped.await.is_err() {
                std::future::pending::<()>().await;
            }
        };
        let task = tokio::spawn(async move {
            let served = axum::serve(listener, app).with_graceful_shutdown(stopping);
            if let Err(err) = served.await {
                tracing::error!(%err, "{name} stopped");
            }
        });
        Serving { stop, task }
    }

    /// Waits for `shutdown`; an error if the server ended first.
    pub(crate) async fn until(
        &mut self,
        shutdown: impl std::future::Future<Output = ()>,
    ) -> anyhow::Result<()> {
        tokio::select! {
            served = &mut self.task => {
                served.context("the server failed")?;
                anyhow::bail!("the server stopped")
            }
            () = shutdown => Ok(()),
        }
    }

    /// Stops accepting and waits until `deadline` for the connections to end; those still
    /// open then are left to end with the runtime. True if all ended in time.
    pub(crate) async fn stop(self, deadline: tokio::time::Instant) -> bool {
        let Serving { stop, mut task } = self;
        let _ = stop.send(());
        let ended = tokio::time::timeout_at(deadline, &mut task).await.is_ok();
        if !ended {
            task.abort();
        }
        ended
    }
}

/// Waits until nothing holds `what`, or `deadline`; true if released.
async fn released<T>(what: &std::sync::Weak<T>, deadline: tokio::time::Instant) -> bool {
    while what.strong_count() > 0 {
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    true
}

/// Starts a gateway signing receipts with the provider's `key`.
pub async fn start(config: GatewayConfig, key: PrivateKeySigner) -> anyhow::Result<RunningGateway> {
    anyhow::ensure!(
        config.capacity > 0,
        "the capacity is 0: the gateway would serve nothing"
    );
    let slots = usize::try_from(config.capacity)
        .ok()
        .filter(|n| *n <= Semaphore::MAX_PERMITS)
        .with_context(|| format!("a capacity of {} is too large", config.capacity))?;
    let used = used_tickets(&config)?;
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
        used,
        health: health::Health::new()?,
        slots: Arc::new(Semaphore::new(slots)),
        config,
    });
    tracing::info!(
        %addr,
        provider = %gateway.provider(),
        backend = %gateway.config.backend,
        router = %gateway.config.trust.router,
        chain_id = gateway.config.trust.chain_id,
        contract = %gateway.config.trust.contract,
        capacity = gateway.config.capacity,
        "gateway serving"
    );
    let app = Router::new()
        .route("/v1/chat/completions", post(chat))
        .route("/v1/models", get(models))
        .route("/health", get(health))
        .with_state(gateway.clone());
    Ok(RunningGateway {
        addr,
        server: Serving::spawn(listener, app, "the gateway"),
        gateway: Arc::downgrade(&gateway),
    })
}

/// The used-ticket set: journalled at `used_tickets_path`, loaded and compacted now; else in
/// memory.
fn used_tickets(config: &GatewayConfig) -> anyhow::Result<used::UsedTickets> {
    let keep = config
        .clock_skew_seconds
        .saturating_add(ticket::FORGET_AFTER);
    let Some(path) = &config.used_tickets_path else {
        return Ok(used::UsedTickets::memory(keep));
    };
    let now = now_with(config.now_offset);
    let (used, loaded) = used::UsedTickets::open(path, keep, now)
        .with_context(|| format!("opening the used-ticket journal {}", path.display()))?;
    let path = path.display();
    if loaded.corrupt > 0 || loaded.torn > 0 {
        tracing::warn!(%path, corrupt = loaded.corrupt, torn_bytes = loaded.torn, "dropped damaged used-ticket records");
    }
    tracing::info!(%path, kept = loaded.kept, expired = loaded.expired, "used tickets loaded");
    Ok(used)
}

type App = State<Arc<Gateway>>;

/// Ticket checks, then a place under the capacity (held until the answer ends), then the
/// claim of the ticket, then the backend. A refusal or `busy` leaves the ticket unused.
async fn chat(State(gateway): App, headers: HeaderMap, body: Bytes) -> Response {
    let checked = match ticket::check(&gateway, &headers, &body) {
        Ok(checked) => checked,
        Err(refusal) => return refusal.into_response(),
    };
    let Some(slot) = gateway.slot() else {
        return gateway.busy();
    };
    if let Err(refusal) = ticket::claim(&gateway, &checked.ticket).await {
        return refusal.into_response();
    }
    forward::forward(gateway, checked, slot).await
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

/// Plain: 200 while the backend answers, else 503. With `?challenge=`: 200, signed.
async fn health(State(gateway): App, Query(query): Query<HashMap<String, String>>) -> Response {
    let challenge = match query.get("challenge").map(|c| challenge_of(c)).transpose() {
        Ok(challenge) => challenge,
        Err(message) => {
            return error::GatewayError::invalid("invalid_challenge", message).into_response()
        }
    };
    let backend_live = gateway.health.live(&gateway.config.backend).await;
    let answer = answer_health(
        &gateway.key,
        &gateway.domain,
        challenge,
        backend_live,
        gateway.config.capacity,
        gateway.in_flight(),
    );
    match answer {
        Ok(answer) if backend_live || challenge.is_some() => Json(answer).into_response(),
        Ok(answer) => (StatusCode::SERVICE_UNAVAILABLE, Json(answer)).into_response(),
        Err(err) => error::GatewayError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "liveness_failed",
            format!("signing the liveness answer: {err}"),
        )
        .into_response(),
    }
}
