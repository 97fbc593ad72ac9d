//! What the market page shows, each readable by anyone: every bidding provider
//! (`GET /v1/providers`), the day's settlement (`GET /v1/today`) and the latest epochs
//! (`GET /v1/epochs`). Reads only: memory, one bounded database walk, and the contract's day
//! figures read at most once a second however many pages poll.

use std::time::{Duration, Instant};

use alloy_primitives::{Address, U256};
use axum::{
    extract::{Query, State},
    Extension, Json,
};
use serde::Deserialize;
use tokio::sync::Mutex;
use yellowstone_api::{
    v1::{
        CommittedLeaf, ContractDay, ProviderAttestation, ProviderBid, ProviderView, Providers,
        RecentEpochs, Today,
    },
    ApiError,
};
use yellowstone_chain::SettlementView;
use yellowstone_protocol::time::DAY;

use super::{wire, App, Refused};
use crate::service::Router;

/// How long the contract's figures are reused: pages poll every few seconds, and each read is
/// five calls to the node.
const FRESH: Duration = Duration::from_secs(1);

/// The contract's day figures as last read, shared by every request.
#[derive(Default)]
pub(super) struct ChainDay {
    last: Mutex<Option<(Instant, SettlementView)>>,
}

impl ChainDay {
    /// The figures, read again when older than [`FRESH`]. Concurrent requests wait for one
    /// read. While the node is unreachable the last figures are served (their block says how
    /// old they are); before any read succeeded, `503 chain_unavailable`.
    async fn view(&self, router: &Router) -> Result<SettlementView, ApiError> {
        let mut last = self.last.lock().await;
        if let Some((at, view)) = last.as_ref() {
            if at.elapsed() < FRESH {
                return Ok(view.clone());
            }
        }
        match router.chain().settlement_view().await {
            Ok(view) => {
                *last = Some((Instant::now(), view.clone()));
                Ok(view)
            }
            Err(err) => match last.as_ref() {
                Some((_, view)) => Ok(view.clone()),
                None => Err(ApiError::chain(format!(
                    "cannot read the contract's figures of the day: {err}"
                ))),
            },
        }
    }
}

/// What the router knows of a provider (`GET /v1/providers/{address}`), from memory.
pub(super) fn provider_view(router: &Router, who: Address, now: u64) -> ProviderView {
    let (pending_wei, committed) = router.earnings(who);
    let state = router.state();
    let info = state.provider(who);
    let bids = state
        .live_bids(None, now)
        .into_iter()
        .filter(|b| b.provider == who)
        .map(|b| ProviderBid {
            capacity: b.capacity,
            endpoint: b.endpoint.clone(),
            expiry: b.expiry,
            model: b.model.clone(),
            price_per_token: b.price,
            unselectable: state.unselectable(who, &b.model, now),
        })
        .collect();
    let attestations = state
        .attestations_of(who)
        .into_iter()
        .map(|a| ProviderAttestation {
            issued_at: a.issued_at,
            model: a.model.clone(),
            weights_hash: a.weights_hash,
        })
        .collect();
    ProviderView {
        attestations,
        backoff: info.map(|i| i.backoff),
        bids,
        chain: info.and_then(|i| i.chain.clone()),
        committed: committed.map(|(earned, bootstrap)| CommittedLeaf { bootstrap, earned }),
        pending_wei,
        provider: who,
        score: info.map(|i| i.score),
    }
}

/// `GET /v1/providers`: every provider with a live bid, by address.
pub(super) async fn providers(State(router): App) -> Json<Providers> {
    let now = router.now();
    let mut who: Vec<Address> = router
        .state()
        .live_bids(None, now)
        .iter()
        .map(|b| b.provider)
        .collect();
    who.sort();
    who.dedup();
    let providers = who
        .into_iter()
        .map(|p| provider_view(&router, p, now))
        .collect();
    Json(Providers { providers })
}

#[derive(Deserialize)]
pub(super) struct Limit {
    limit: Option<String>,
}

/// `GET /v1/epochs?limit=n`: the latest epochs (committed, and the one in flight), newest
/// first; `limit` 1 to 100, default 10.
pub(super) async fn epochs(
    State(router): App,
    Query(q): Query<Limit>,
) -> Result<Json<RecentEpochs>, Refused> {
    let limit = match q.limit.as_deref() {
        None => 10,
        Some(text) => text
            .parse::<u64>()
            .ok()
            .filter(|n| (1..=RecentEpochs::MAX).contains(n))
            .ok_or_else(|| {
                ApiError::invalid(format!(
                    "limit {text:?} is not a number from 1 to {}",
                    RecentEpochs::MAX
                ))
            })?,
    };
    let store = router.store();
    // One more than asked: the oldest listed is measured against it.
    let mut records = store
        .epochs_after(0, usize::try_from(limit + 1).unwrap_or(usize::MAX))
        .map_err(|e| ApiError::internal(e.to_string()))?;
    let base = if records.len() as u64 > limit {
        records
            .pop()
            .map(|e| (e.cumulative_credited, e.cumulative_bootstrap))
    } else {
        None
    };
    let epochs = wire::summaries(records, base.unwrap_or((U256::ZERO, U256::ZERO)));
    Ok(Json(RecentEpochs { epochs }))
}

/// `GET /v1/today`: the contract's figures of the day and the epochs built on it.
pub(super) async fn today(
    State(router): App,
    Extension(chain_day): Extension<std::sync::Arc<ChainDay>>,
) -> Result<Json<Today>, Refused> {
    let view = chain_day.view(&router).await?;
    let now = router.now();
    let day = now / DAY;
    let store = router.store();
    let internal = |e: yellowstone_store::StoreError| ApiError::internal(e.to_string());
    let base = store
        .epoch_built_before(day.saturating_mul(DAY))
        .map_err(internal)?;
    let after = base.as_ref().map_or(0, |e| e.epoch);
    let mut records = store
        .epochs_after(after, Today::MAX_EPOCHS + 1)
        .map_err(internal)?;
    let truncated = records.len() > Today::MAX_EPOCHS;
    // Measured against the epoch before the oldest listed: the base, or one left out.
    let previous = if truncated {
        records.pop()
    } else {
        base.clone()
    };
    let cumulative = |e: &Option<yellowstone_market::records::EpochRecord>| {
        e.as_ref().map_or((U256::ZERO, U256::ZERO), |e| {
            (e.cumulative_credited, e.cumulative_bootstrap)
        })
    };
    let mut epochs = wire::summaries(records, cumulative(&previous));
    epochs.reverse();
    let (before_work, before_bootstrap) = cumulative(&base);
    let (block_seconds, inference_block, pending_wei) = {
        let state = router.state();
        (
            state.rules().block_seconds,
            state.block_of(now),
            state.pending_credit().0,
        )
    };
    Ok(Json(Today {
        before: before_work.saturating_add(before_bootstrap),
        block_seconds,
        contract: ContractDay {
            block: view.block,
            bootstrap_headroom: view.bootstrap_headroom(),
            bootstrap_limit: view.bootstrap_limit,
            bootstrap_today: view.bootstrap_today,
            credited_today: view.credited_today,
            daily_cap: view.daily_cap,
            day: view.day,
            headroom: view.headroom(),
            paused: view.paused,
            timestamp: view.timestamp,
        },
        day,
        epochs,
        inference_block,
        now,
        pending_wei,
        truncated,
    }))
}
