//! Daily allowances (SPEC 3 and 8): each user's share of the day's budget in MOR wei,
//! `budget * balance / supply` with the balance at the day's snapshot block. The day's figures
//! (snapshot block, MOR supply, budget = the contract's daily cap, and the reference price the
//! allowance is shown in tokens at) are computed once, persisted, and reused by every user that
//! day.
//!
//! When the chain is unreachable, admission goes on: a user seen before keeps the balance of
//! their latest snapshot, priced with the latest day's figures. That allowance stands for the
//! rest of the day (it already holds tickets); the day's figures themselves are not persisted,
//! so users first seen after the chain returns get the real ones.

use std::{collections::BTreeMap, sync::Mutex};

use alloy_primitives::{Address, U256};

use super::Router;
use yellowstone_api::{error::ApiError, v1::DayFigures};
use yellowstone_chain::ChainError;
use yellowstone_market::allowance::{daily_allowance, reference_price, Allowance};
use yellowstone_market::records::{AllowanceRecord, Change};

/// Meta key prefix of a day's persisted figures.
pub const DAY_PARAMS: &str = "day_params:";

/// The known days, and a lock so one task computes a new day while the others wait.
pub(super) struct Days {
    known: Mutex<BTreeMap<u64, DayFigures>>,
    computing: tokio::sync::Mutex<()>,
}

impl Days {
    pub(super) fn new(days: Vec<DayFigures>) -> Self {
        Self {
            known: Mutex::new(days.into_iter().map(|d| (d.day, d)).collect()),
            computing: tokio::sync::Mutex::new(()),
        }
    }

    fn get(&self, day: u64) -> Option<DayFigures> {
        self.lock().get(&day).cloned()
    }

    fn latest_before(&self, day: u64) -> Option<DayFigures> {
        self.lock().range(..day).next_back().map(|(_, d)| d.clone())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<u64, DayFigures>> {
        self.known.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Router {
    /// Makes sure `user` has an allowance record for `day`; returns their snapshot balance.
    /// `day` is the day the RFC was checked on (`CheckedRfc::day`), which the ticket then holds
    /// even if it is issued after midnight.
    pub(super) async fn ensure_allowance(&self, day: u64, user: Address) -> Result<U256, ApiError> {
        if let Some(r) = self.state().allowance(day, user) {
            return Ok(r.balance);
        }
        let (params, balance) = match self.day_params(day).await {
            Ok(params) => match self.chain.mor_balance_at(user, params.snapshot_block).await {
                Ok(balance) => (params, balance),
                Err(err) if err.is_transient() => self.fallback(day, user, err)?,
                Err(err) => return Err(ApiError::chain(err.to_string())),
            },
            Err(Failure::Chain(err)) if err.is_transient() => self.fallback(day, user, err)?,
            Err(Failure::Chain(err)) => return Err(ApiError::chain(err.to_string())),
            Err(Failure::Api(err)) => return Err(err),
        };
        let record = AllowanceRecord {
            day,
            user,
            balance,
            price: params.price,
            allowance: Allowance {
                allowance: daily_allowance(params.budget, params.supply, balance),
                used: U256::ZERO,
                held: U256::ZERO,
            },
        };
        let change = self.state().set_allowance(record);
        self.commit(vec![change]).await;
        Ok(balance)
    }

    /// With the chain down: the user's latest known balance, priced with the latest known day.
    fn fallback(
        &self,
        day: u64,
        user: Address,
        err: ChainError,
    ) -> Result<(DayFigures, U256), ApiError> {
        self.metrics
            .chain_errors
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let params = self.days.get(day).or_else(|| self.days.latest_before(day));
        let known = self.store.latest_allowance(user).ok().flatten();
        match (params, known) {
            (Some(params), Some(known)) => {
                tracing::warn!(%user, %err, "chain unreachable: allowance from the latest known balance");
                Ok((params, known.balance))
            }
            _ => Err(ApiError::chain(format!(
                "cannot read {user}'s MOR balance and know of no earlier one: {err}"
            ))),
        }
    }

    /// The day's figures: from memory, or computed from the chain once and persisted.
    async fn day_params(&self, day: u64) -> Result<DayFigures, Failure> {
        if let Some(params) = self.days.get(day) {
            return Ok(params);
        }
        let _computing = self.days.computing.lock().await;
        if let Some(params) = self.days.get(day) {
            return Ok(params);
        }
        let snapshot_block = self.chain.snapshot_block(day).await?;
        let supply = self.chain.mor_supply_at(snapshot_block).await?;
        let view = self.chain.settlement_view().await?;
        let (wei, tokens) = self
            .store
            .day_volume(day.saturating_sub(1))
            .map_err(|e| Failure::Api(ApiError::internal(e.to_string())))?;
        // Without history, the market-wide stake-weighted reference of counted bids (SPEC 8),
        // not the median of every live bid: one unstaked key's junk bids on invented models
        // must not set everyone's token view.
        let market = self.state().reference_price(None, self.now());
        let price = reference_price(wei, tokens, market.as_slice()).ok_or_else(|| {
            Failure::Api(ApiError::no_provider(
                "no credited work yesterday and no selectable bid: no price to show allowances in tokens",
            ))
        })?;
        let params = DayFigures {
            day,
            snapshot_block,
            supply,
            budget: view.daily_cap,
            price,
        };
        let value = serde_json::to_string(&params)
            .map_err(|e| Failure::Api(ApiError::internal(e.to_string())))?;
        self.commit(vec![Change::Meta {
            key: format!("{DAY_PARAMS}{day}"),
            value,
        }])
        .await;
        tracing::info!(day, snapshot_block, %supply, budget = %params.budget, %price, "the day's allowance figures");
        self.days.lock().insert(day, params.clone());
        Ok(params)
    }

    /// The figures of `day`, if known (for `GET /v1/market`).
    pub fn day(&self, day: u64) -> Option<DayFigures> {
        self.days.get(day)
    }
}

enum Failure {
    Chain(ChainError),
    Api(ApiError),
}

impl From<ChainError> for Failure {
    fn from(err: ChainError) -> Self {
        Failure::Chain(err)
    }
}
