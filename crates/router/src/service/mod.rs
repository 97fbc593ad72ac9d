//! The running router: the market [`State`] behind a lock, the database writer, the chain
//! client, the admission gate and the background loops (settlement once per inference block,
//! stake refresh, sweeping of unreported tickets).
//!
//! Every handler follows one pattern: check signatures and sign tickets before the lock (a
//! secp256k1 recovery or signing costs hundreds of microseconds and runs on every core at
//! once; see [`Verified`]), check and change the state under the lock (microseconds, no I/O
//! there), commit the resulting changes through the group-commit writer, then answer. A
//! database failure stops the process (fail-stop): a restart resumes from what was committed,
//! and nothing uncommitted was ever acknowledged.

mod allowance;
pub mod clock;
pub mod gate;
pub mod probe;
mod settler;

use std::{
    sync::{
        atomic::{AtomicU64, Ordering::Relaxed},
        Arc, Mutex, MutexGuard,
    },
    time::Duration,
};

use alloy_primitives::{Address, U256};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::Eip712Domain;
use yellowstone_protocol::{
    messages::{Bid, ModelAttestation, Receipt, Report, Rfc, Signed},
    time::DAY,
};

pub use self::allowance::DAY_PARAMS;
use self::{clock::Clock, gate::Gate, probe::Prober};
use crate::metrics::{Gauges, Metrics};
use yellowstone_api::error::ApiError;
use yellowstone_api::v1::{AllowanceView, Issued};
use yellowstone_chain::{submit::Submitter, ChainClient};
use yellowstone_market::records::Change;
use yellowstone_market::{judge::Verdict, selection};
use yellowstone_market::{
    signatures::SignatureCounts,
    state::{sign_ticket, State, Verified},
};
use yellowstone_store::{writer::Writer, Store};

/// Service tunables that are not market rules.
#[derive(Clone, Debug)]
pub struct ServiceSettings {
    /// RFCs admitted concurrently before the gate queues them.
    pub admission_concurrency: usize,
    /// Places in the admission queue.
    pub admission_queue: usize,
    /// Seconds a shed client is told to wait.
    pub retry_after_seconds: u64,
    /// Provider probe timeout.
    pub probe_timeout: Duration,
    /// How long a probe answer is reused.
    pub probe_cache: Duration,
    /// Seconds a provider's stake read stays fresh.
    pub stake_refresh_seconds: u64,
}

impl Default for ServiceSettings {
    fn default() -> Self {
        Self {
            admission_concurrency: 256,
            admission_queue: 4_096,
            retry_after_seconds: 2,
            probe_timeout: Duration::from_secs(2),
            probe_cache: Duration::from_secs(5),
            stake_refresh_seconds: 30,
        }
    }
}

/// What a [`Router`] is made of.
pub struct Parts {
    /// The restored market state.
    pub state: State,
    /// The database.
    pub store: Arc<Store>,
    /// Its group-commit writer.
    pub writer: Writer,
    /// The chain client.
    pub chain: ChainClient,
    /// The epoch submitter.
    pub submitter: Submitter,
    /// The clock.
    pub clock: Clock,
    /// Service limits.
    pub settings: ServiceSettings,
    /// Persisted figures of past days.
    pub days: Vec<yellowstone_api::v1::DayFigures>,
}

/// The router service, shared by the HTTP handlers and the background loops.
pub struct Router {
    state: Mutex<State>,
    /// The state's domain and key, copied out so signatures are checked and tickets signed
    /// before the lock is taken (a recovery or a signing costs hundreds of microseconds; the
    /// rule checks under the lock, a few).
    domain: Eip712Domain,
    key: PrivateKeySigner,
    signatures: Arc<SignatureCounts>,
    store: Arc<Store>,
    writer: Writer,
    chain: ChainClient,
    submitter: Submitter,
    clock: Clock,
    gate: Gate,
    prober: Prober,
    settings: ServiceSettings,
    days: allowance::Days,
    rng: AtomicU64,
    loops: Mutex<Vec<tokio::task::JoinHandle<()>>>,
    /// The inference block in which the contract last refused the root in flight (or the
    /// chain's latest root stopped settlement): the next try is in the next block.
    refused_in: AtomicU64,
    /// Counters for `/metrics`.
    pub metrics: Metrics,
}

impl Router {
    /// Assembles a router from its parts; [`Router::spawn_loops`] starts its background work.
    pub fn new(parts: Parts) -> Arc<Self> {
        let Parts {
            state,
            store,
            writer,
            chain,
            submitter,
            clock,
            settings,
            days,
        } = parts;
        let seed = clock.now() ^ 0x9e37_79b9_7f4a_7c15 ^ u64::from(std::process::id());
        Arc::new(Self {
            domain: state.domain().clone(),
            key: state.key().clone(),
            signatures: state.signatures().clone(),
            state: Mutex::new(state),
            store,
            writer,
            chain,
            submitter,
            gate: Gate::new(settings.admission_concurrency, settings.admission_queue),
            prober: Prober::new(settings.probe_timeout, settings.probe_cache),
            clock,
            settings,
            days: allowance::Days::new(days),
            rng: AtomicU64::new(seed | 1),
            loops: Mutex::new(Vec::new()),
            refused_in: AtomicU64::new(u64::MAX),
            metrics: Metrics::default(),
        })
    }

    /// The state, locked. Never held across an await.
    pub fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Unix seconds by the router's clock.
    pub fn now(&self) -> u64 {
        self.clock.now()
    }

    /// The chain client.
    pub fn chain(&self) -> &ChainClient {
        &self.chain
    }

    /// The database (read side).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Commits changes; a database failure stops the router (see the module docs).
    async fn commit(&self, changes: Vec<Change>) {
        if let Err(err) = self.writer.commit(changes).await {
            tracing::error!(%err, "database commit failed: stopping so a restart resumes from the last commit");
            std::process::exit(70);
        }
    }

    // ---- providers ----------------------------------------------------------------------

    /// `POST /v1/attestations`.
    pub async fn attest(&self, signed: Signed<ModelAttestation>) -> Result<(), ApiError> {
        let changes = self.state().attest(signed, self.now())?;
        self.commit(changes).await;
        Ok(())
    }

    /// `POST /v1/bids`: records the bid and reads the provider's stake at once, returning why
    /// it is not selectable yet, if it is not.
    pub async fn bid(&self, signed: Signed<Bid>) -> Result<Option<String>, ApiError> {
        let (provider, model) = (signed.message.provider, signed.message.model.clone());
        let changes = self.state().bid(signed, self.now())?;
        self.commit(changes).await;
        self.refresh_provider(provider).await;
        Ok(self.state().unselectable(provider, &model, self.now()))
    }

    async fn refresh_provider(&self, provider: Address) {
        match self.chain.provider_record(provider).await {
            Ok(record) => {
                self.chain_seen();
                self.state().set_chain_record(provider, record, self.now());
            }
            Err(err) => {
                self.metrics.chain_errors.fetch_add(1, Relaxed);
                tracing::warn!(%provider, %err, "could not read the provider's stake");
            }
        }
    }

    // ---- admission ----------------------------------------------------------------------

    /// `POST /v1/rfcs`: admits an RFC and hands out a ticket (SPEC 4 steps 2-6).
    pub async fn admit(&self, rfc: Signed<Rfc>) -> Result<Issued, ApiError> {
        let now = self.now();
        let rfc = Verified::new(rfc, &self.domain, &self.signatures);
        let checked = self.state().check_verified_rfc(rfc, now)?;
        let (user, model, token_max) = (
            checked.rfc.message.user,
            checked.rfc.message.model.clone(),
            checked.rfc.message.tokenMax,
        );
        // The day the RFC was checked on: the ticket holds it even if issued after midnight.
        let day = checked.day;
        let balance = self.ensure_allowance(day, user).await?;
        let left = self
            .state()
            .allowance(day, user)
            .map(|a| a.allowance.left())
            .unwrap_or_default();
        // A lower bound (a token costs at least 1 wei): the exact hold, tokenMax times the
        // chosen provider's price, is checked when the ticket is issued.
        if left < U256::from(token_max) {
            self.metrics.exhausted.fetch_add(1, Relaxed);
            return Err(ApiError::exhausted(format!(
                "{user} has {left} wei left today, less than tokenMax {token_max} at 1 wei per token"
            )));
        }
        let _permit = self.gate.enter(balance).await.map_err(|_| {
            self.metrics.sheds.fetch_add(1, Relaxed);
            ApiError::busy(self.settings.retry_after_seconds)
        })?;
        // The wait may have been long: judge the deadline and date the ticket from now.
        let now = self.now();
        if checked.rfc.message.deadline < now {
            return Err(ApiError::expired(format!(
                "RFC deadline {} passed while it waited for admission",
                checked.rfc.message.deadline
            )));
        }
        let mut offers = self.state().offers(&model, now);
        if offers.is_empty() {
            return Err(self.no_offer(&model, now));
        }
        // A provider never serves its own requests: self-dealing would turn its allowance
        // into credit at a price it sets.
        offers.retain(|o| o.candidate.provider != user);
        if offers.is_empty() {
            return Err(ApiError::no_provider(format!(
                "{user} is the only provider bidding for {model}, and a provider is never ticketed to itself"
            )));
        }
        let candidates: Vec<_> = offers.iter().map(|o| o.candidate.clone()).collect();
        let policy = self.state().rules().selection;
        let order = selection::order(&candidates, &policy, &mut || self.random());
        let mut refused = None;
        for index in order {
            let offer = &offers[index];
            let provider = offer.candidate.provider;
            if !self
                .prober
                .live(&offer.endpoint, provider, &self.domain)
                .await
            {
                self.metrics.probe_failures.fetch_add(1, Relaxed);
                self.state()
                    .provider_failed(offer.candidate.provider, self.now());
                continue;
            }
            // Signed before the lock; issued under it only if still exactly the ticket due.
            let draft = self
                .state()
                .draft_ticket(&checked, provider, offer.candidate.price, now);
            let presigned = sign_ticket(&self.key, &self.domain, draft, &self.signatures).ok();
            let issued = {
                let mut state = self.state();
                state.provider_live(provider);
                state.issue_presigned(&checked, provider, now, presigned)
            };
            match issued {
                Ok((issued, changes)) => {
                    self.commit(changes).await;
                    self.metrics.admissions.fetch_add(1, Relaxed);
                    return Ok(issued);
                }
                // This provider filled up or its bid moved out of bounds since the offers were
                // read: the next one may still take the request.
                Err(mut e) if e.code == "busy" || e.code == "no_provider" => {
                    // The market's wait is the latest a place frees (its first ticket's
                    // expiry); places free at every receipt too, so ask again sooner.
                    e.retry_after = e
                        .retry_after
                        .map(|s| s.min(self.settings.retry_after_seconds));
                    refused = Some(e);
                }
                Err(e) => return Err(e),
            }
        }
        Err(refused.unwrap_or_else(|| {
            ApiError::no_provider(format!("no provider of {model} answered its health check"))
        }))
    }

    /// Why no bid for `model` is offered: `busy` when every otherwise selectable provider is at
    /// capacity, else `no_provider` naming why each live bid (the first few) is skipped.
    fn no_offer(&self, model: &str, now: u64) -> ApiError {
        let state = self.state();
        let reasons: Vec<String> = state
            .live_bids(Some(model), now)
            .into_iter()
            .filter_map(|b| {
                let why = state.unselectable(b.provider, model, now)?;
                Some(format!("{}: {why}", b.provider))
            })
            .collect();
        if !reasons.is_empty() && reasons.iter().all(|r| r.contains("at capacity")) {
            let mut busy = ApiError::busy(self.settings.retry_after_seconds);
            busy.message = format!(
                "every provider of {model} is at capacity ({}); retry after {} s",
                reasons.join("; "),
                self.settings.retry_after_seconds
            );
            return busy;
        }
        if reasons.is_empty() {
            return ApiError::no_provider(format!("no live bid for {model}"));
        }
        let shown = reasons.len().min(3);
        ApiError::no_provider(format!(
            "no selectable bid for {model}: {}{}",
            reasons[..shown].join("; "),
            if reasons.len() > shown {
                format!("; and {} more", reasons.len() - shown)
            } else {
                String::new()
            }
        ))
    }

    fn random(&self) -> u64 {
        // xorshift64*: selection needs fair draws, not secrecy.
        let mut x = self.rng.load(Relaxed);
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng.store(x, Relaxed);
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// `GET /v1/allowance/{user}`: today's allowance, computing it if needed.
    pub async fn allowance_of(&self, user: Address) -> Result<AllowanceView, ApiError> {
        let day = self.now() / DAY;
        self.ensure_allowance(day, user).await?;
        let state = self.state();
        let record = state
            .allowance(day, user)
            .ok_or_else(|| ApiError::internal("allowance vanished"))?;
        Ok(record.into())
    }

    // ---- reports ------------------------------------------------------------------------

    /// `POST /v1/receipts`: a provider's receipt, ahead of the user's report or after it (a late
    /// receipt charges the user what it proves was delivered, SPEC 8).
    pub async fn receipt(&self, signed: Signed<Receipt>) -> Result<(), ApiError> {
        let signed = Verified::new(signed, &self.domain, &self.signatures);
        let changes = self.state().receipt_verified(signed)?;
        self.commit(changes).await;
        Ok(())
    }

    /// `POST /v1/reports`: judges and credits (SPEC 4 steps 9-10); stored before answered.
    pub async fn report(
        &self,
        report: Signed<Report>,
        receipt: Option<Signed<Receipt>>,
    ) -> Result<Verdict, ApiError> {
        let request_id = report.message.requestId;
        let report = Verified::new(report, &self.domain, &self.signatures);
        let receipt = receipt.map(|r| Verified::new(r, &self.domain, &self.signatures));
        let now = self.now();
        let result = self.state().report_verified(report, receipt, now);
        let (verdict, changes) = match result {
            Ok(ok) => ok,
            Err(err) if err.status == 404 => {
                // Not in memory: say precisely why from the database.
                return Err(match self.store.report(request_id) {
                    Ok(Some(_)) => {
                        ApiError::replayed(format!("request {request_id} was already reported"))
                    }
                    _ => err,
                });
            }
            Err(err) => return Err(err),
        };
        self.commit(changes).await;
        match &verdict {
            Verdict::Credited { tokens, wei, .. } => self.metrics.credit(*tokens, *wei),
            Verdict::Refused { .. } => {
                self.metrics.refused_reports.fetch_add(1, Relaxed);
            }
        }
        Ok(verdict)
    }

    // ---- loops --------------------------------------------------------------------------

    /// Starts the background loops: settlement, stake refresh and the clock follower.
    pub fn spawn_loops(self: &Arc<Self>) {
        let me = self.clone();
        let settle = tokio::spawn(async move { me.settle_loop().await });
        let me = self.clone();
        let refresh = tokio::spawn(async move { me.refresh_loop().await });
        self.loops
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend([settle, refresh]);
    }

    /// Stops the background loops at once (what a killed process would do).
    pub fn stop(&self) {
        for handle in self
            .loops
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .drain(..)
        {
            handle.abort();
        }
    }

    async fn refresh_loop(self: Arc<Self>) {
        loop {
            match self.chain.latest_block().await {
                Ok((_, timestamp)) => {
                    self.chain_seen();
                    self.clock.observe(timestamp);
                }
                Err(_) => {
                    self.metrics.chain_errors.fetch_add(1, Relaxed);
                }
            }
            self.refresh_stakes().await;
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }

    /// Reads the stake of every bidding provider whose chain record is unread or older than
    /// the refresh interval. Run once before serving, so a restarted router selects providers
    /// from its first request instead of answering `no_provider` until the loop has run.
    pub async fn refresh_stakes(&self) {
        let stale = self
            .state()
            .stale_providers(self.now(), self.settings.stake_refresh_seconds);
        for provider in stale {
            self.refresh_provider(provider).await;
        }
    }

    fn chain_seen(&self) {
        self.metrics.chain_seen.store(self.now(), Relaxed);
    }

    /// Gauges for `/metrics`.
    pub fn gauges(&self) -> Gauges {
        let db_bytes = self.store.stats().map(|s| s.bytes).unwrap_or_default();
        let state = self.state();
        let (pending_wei, pending_credits) = state.pending_credit();
        Gauges {
            now: self.now(),
            pending_wei,
            pending_credits,
            epoch: state.committed().map_or(0, |e| e.epoch),
            in_flight: state.in_flight().is_some(),
            open_tickets: state.open_tickets(),
            gate: self.gate.load(),
            db_bytes,
            signatures_recovered: self.signatures.recovered(),
            signatures_made: self.signatures.made(),
        }
    }

    /// The signature recoveries and signatures made for this router's state.
    pub fn signatures(&self) -> &SignatureCounts {
        &self.signatures
    }

    /// A provider's earnings: pending credit and its committed leaf.
    pub fn earnings(&self, provider: Address) -> (U256, Option<(U256, U256)>) {
        let state = self.state();
        (state.pending_of(provider), state.committed_leaf(provider))
    }
}
