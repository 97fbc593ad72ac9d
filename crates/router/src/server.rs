//! Starting a router: connect to the chain, open the database, restore the state, start the
//! background loops and serve the API. Used by `yellowstone router` and by the tests, which run
//! routers in-process against the devnet.

use std::{
    future::Future,
    net::SocketAddr,
    sync::{Arc, Weak},
    time::Duration,
};

use crate::api;
use alloy_signer_local::PrivateKeySigner;
use anyhow::Context;
use tokio::{
    net::TcpListener,
    sync::oneshot,
    task::JoinHandle,
    time::{timeout_at, Instant},
};

use yellowstone_chain::{
    submit::{SubmitPolicy, Submitter},
    ChainClient,
};

use crate::config::{refuse_dev_key, Config};

use yellowstone_api::v1::DayFigures;

use crate::service::{clock::Clock, Parts, Router, ServiceSettings};

use yellowstone_store::{writer::Writer, Store};

/// The longest a stopping router waits for its database to close (the writer's queue committed
/// and the WAL checkpointed) once its requests are done.
const CLOSE_DEADLINE: Duration = Duration::from_secs(5);

/// A router serving on a socket.
pub struct Running {
    /// The service.
    pub router: Arc<Router>,
    /// Where the API listens.
    pub addr: SocketAddr,
    server: JoinHandle<()>,
    /// Starts the graceful stop of the API server.
    stop: oneshot::Sender<()>,
    /// Gone once the writer thread has committed what it was sent and closed the database.
    store: Weak<Store>,
}

impl Running {
    /// The API's base URL.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops serving and every background loop at once, as a killed process would (nothing
    /// is flushed: whatever was acknowledged is already in the database).
    pub fn kill(self) {
        self.router.stop();
        self.server.abort();
    }

    /// Serves until `shutdown` resolves (the caller owns the signals: `yellowstone router`
    /// passes SIGINT or SIGTERM), then stops as [`Running::shutdown`] does. An error if the
    /// API server failed first.
    pub async fn serve_until(
        mut self,
        shutdown: impl Future<Output = ()>,
        drain: Duration,
    ) -> anyhow::Result<()> {
        tokio::select! {
            served = &mut self.server => {
                self.router.stop();
                served.context("the API server failed")?;
                anyhow::bail!("the API server stopped")
            }
            () = shutdown => {}
        }
        self.shutdown(drain).await;
        Ok(())
    }

    /// Stops gracefully: no new connections; the requests in flight get up to `drain` to be
    /// answered (each answer is committed before it is sent), then are cut; the background
    /// loops stop (a settlement step in progress is abandoned safely: a root it sent was
    /// persisted first and is adopted from the chain at the next start); the database writer
    /// commits what it was sent and closes. True when nothing had to be cut.
    pub async fn shutdown(self, drain: Duration) -> bool {
        let Running {
            router,
            mut server,
            stop,
            store,
            ..
        } = self;
        let _ = stop.send(());
        let drained = timeout_at(Instant::now() + drain, &mut server)
            .await
            .is_ok();
        if !drained {
            tracing::warn!(
                ?drain,
                "requests still in flight at the drain deadline were cut"
            );
            server.abort();
        }
        router.stop();
        drop(router);
        // Cut connections hold the router until the runtime ends: do not wait for them.
        let closed = drained && released(&store, Instant::now() + CLOSE_DEADLINE).await;
        if drained && !closed {
            tracing::warn!(
                "the database writer did not close in time: committed batches are safe in the WAL"
            );
        }
        closed
    }
}

/// Waits until nothing holds `what` any more, or `deadline`; true if released.
async fn released<T>(what: &Weak<T>, deadline: Instant) -> bool {
    while what.strong_count() > 0 {
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    true
}

/// Connects, restores and starts a router; the API listens on `config.listen`.
pub async fn start(config: &Config, key: PrivateKeySigner) -> anyhow::Result<Running> {
    config.validate()?;
    let contract = config.contract.context("no compute contract configured")?;
    let chain = connect(&config.rpc_url, contract).await;
    refuse_dev_key(&key, chain.chain_id())?;
    match chain.is_router(key.address()).await {
        Ok(true) => {}
        Ok(false) => {
            tracing::warn!(router = %key.address(), "this key is not authorised by the compute contract: its epoch roots will be refused")
        }
        Err(err) => tracing::warn!(%err, "could not check the router's authorisation"),
    }
    let store = Arc::new(
        Store::open(&config.database, config.durability)
            .with_context(|| format!("opening the database {}", config.database.display()))?,
    );
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    let loaded = store.load(now, config.rules.judge.window)?;
    let days: Vec<DayFigures> = loaded
        .meta
        .iter()
        .filter(|(k, _)| k.starts_with(crate::service::DAY_PARAMS))
        .filter_map(|(_, v)| serde_json::from_str(v).ok())
        .collect();
    let state = crate::rebuild::restore(&store, config, key.clone(), &chain, loaded)?;
    let resumed = (
        state.committed().map(|e| e.epoch),
        state.pending_credit().1,
        state.open_tickets(),
    );
    let closed = Arc::downgrade(&store);
    let writer = Writer::spawn(store.clone(), 1_024);
    let policy = SubmitPolicy {
        gas_limit_margin_percent: config.service.gas_margin_percent,
        max_fee_cap: config.service.max_fee_per_gas,
        ..SubmitPolicy::default()
    };
    let submitter = Submitter::new(&chain, key, policy);
    let clock = if config.chain_clock {
        Clock::chain()
    } else {
        Clock::System
    };
    if let Ok((_, timestamp)) = chain.latest_block().await {
        clock.observe(timestamp); // a chain clock is right from the first request
    }
    let settings = ServiceSettings {
        admission_concurrency: config.service.admission_concurrency,
        admission_queue: config.service.admission_queue,
        probe_timeout: Duration::from_millis(config.service.probe_timeout_ms),
        probe_cache: Duration::from_millis(config.service.probe_cache_ms),
        ..ServiceSettings::default()
    };
    let router = Router::new(Parts {
        state,
        store,
        writer,
        chain,
        submitter,
        clock,
        settings,
        days,
    });
    // Bounded: a chain that is down or slow must not keep the API from serving.
    let _ = tokio::time::timeout(Duration::from_secs(5), router.refresh_stakes()).await;
    router.spawn_loops();
    let listener = TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("listening on {}", config.listen))?;
    let addr = listener.local_addr()?;
    tracing::info!(
        %addr,
        router = %router.state().router(),
        chain_id = router.chain().chain_id(),
        contract = %contract,
        epoch = ?resumed.0,
        pending_credits = resumed.1,
        tickets = resumed.2,
        "router serving"
    );
    let app = api::routes(router.clone());
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        // Stops when told; a `Running` dropped without being stopped keeps serving.
        let stopping = async {
            if stopped.await.is_err() {
                std::future::pending::<()>().await;
            }
        };
        if let Err(err) = axum::serve(listener, app)
            .with_graceful_shutdown(stopping)
            .await
        {
            tracing::error!(%err, "the API server stopped");
        }
    });
    Ok(Running {
        router,
        addr,
        server,
        stop,
        store: closed,
    })
}

/// Connects to the chain, retrying with back-off: the router needs the chain id once, to know
/// its signing domain.
async fn connect(rpc_url: &str, contract: alloy_primitives::Address) -> ChainClient {
    let mut wait = Duration::from_millis(250);
    loop {
        match ChainClient::connect(rpc_url, contract, Duration::from_secs(5)).await {
            Ok(chain) => return chain,
            Err(err) => {
                tracing::warn!(%err, rpc_url, "chain unreachable at start-up: retrying in {wait:?}");
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_secs(10));
            }
        }
    }
}
