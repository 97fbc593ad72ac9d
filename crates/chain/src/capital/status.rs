//! Everything `yellowstone capital status` shows, read at ONE block so the figures agree: an
//! account's position, the totals, the harvest state with the pair's price, the parameters and
//! both buckets' schedules with today's emission.

use alloy_primitives::{Address, U256};
use serde::Serialize;
use yellowstone_protocol::{capital::amm, schedule::LinearSchedule, WAD};

use super::IYellowstoneCapital as I;
use super::{Capital, CapitalCallError, CapitalConfig, ICapitalToken, IUniswapV2PairView};
use alloy_sol_types::SolCall as _;

/// The status of the capital contract at one block.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CapitalStatus {
    /// The block every figure was read at.
    pub block: u64,
    /// Its timestamp (unix seconds): "now" for the unlock and harvest times.
    pub timestamp: u64,
    /// The contracts.
    pub config: CapitalConfig,
    /// The native token's symbol (`native` if it has none).
    pub native_symbol: String,
    /// The owner.
    pub owner: Address,
    /// Whether deposits, harvests and the bootstrap are paused.
    pub paused: bool,
    /// The account asked about, if any.
    pub account: Option<AccountView>,
    /// The books.
    pub totals: TotalsView,
    /// The harvest's state and the pair's price.
    pub harvest: HarvestView,
    /// The protocol-owned liquidity.
    pub pool: PoolView,
    /// The owner's parameters.
    pub parameters: ParametersView,
    /// Both buckets' schedules.
    pub schedule: ScheduleView,
}

/// One capital provider's position.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AccountView {
    /// The account.
    pub address: Address,
    /// stETH principal (withdrawable in full unless a loss is shared).
    pub principal: U256,
    /// When the principal unlocks (unix seconds; 0 without a deposit).
    pub unlock_at: u64,
    /// Native token owed, claimable now.
    pub owed: U256,
    /// stETH held in the wallet.
    pub st_eth_balance: U256,
    /// Native token held in the wallet.
    pub native_balance: U256,
}

/// The contract's `totals()`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TotalsView {
    /// stETH principal of all capital providers.
    pub principal: U256,
    /// stETH the contract holds.
    pub backing: U256,
    /// `backing - principal`, never negative: the yield the next harvest takes.
    pub pending_yield: U256,
    /// Capital-bucket emission distributed to capital providers so far.
    pub distributed: U256,
    /// Of it, paid out by claims.
    pub paid: U256,
    /// Capital-bucket emission kept while nothing was deposited (routed to compute).
    pub kept: U256,
    /// Native token sent to the compute contract's `fund`.
    pub compute_sent: U256,
    /// Owed to the compute contract after a refused `fund` (retried by the next call).
    pub compute_owed: U256,
}

/// The harvest's state (`harvestState()`) with the pair's spot price and the TWAP of the open
/// observation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HarvestView {
    /// The last harvest (unix seconds; 0 before the first).
    pub last_harvest: u64,
    /// The earliest next harvest: a day after the last.
    pub next_harvest_at: u64,
    /// When the open observation opened (0: none).
    pub observed_at: u64,
    /// Its age in seconds at the block read.
    pub observation_age: u64,
    /// When it is old enough (the TWAP window) for a harvest.
    pub twap_ready_at: u64,
    /// wstETH carried into the next harvest.
    pub carried_wst: U256,
    /// Native token carried into the next harvest.
    pub carried_native: U256,
    /// The pair's spot price, native wei per wstETH times 1e18 (0 while empty).
    pub spot_price_wad: U256,
    /// The TWAP since the open observation, same unit (0 without one or while empty).
    pub twap_price_wad: U256,
    /// Whether spot lies within the allowed deviation of that TWAP (what a harvest checks).
    pub spot_within_deviation: bool,
}

/// The wstETH/native pair and the contract's share of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PoolView {
    /// The pair.
    pub pair: Address,
    /// wstETH in the pair.
    pub reserve_wst: U256,
    /// Native token in the pair.
    pub reserve_native: U256,
    /// LP tokens in existence.
    pub lp_supply: U256,
    /// LP tokens the capital contract holds (forever: no function moves them).
    pub lp_held: U256,
    /// The wstETH those LP tokens own.
    pub owned_wst: U256,
    /// The native token those LP tokens own.
    pub owned_native: U256,
}

/// The contract's `parameters()`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ParametersView {
    /// The minimum lock of a deposit, seconds.
    pub min_lock: u64,
    /// The TWAP window, seconds.
    pub twap_window: u64,
    /// The largest deviation of spot from the TWAP, basis points.
    pub max_deviation_bps: u16,
    /// The slippage allowed below the TWAP quote, basis points.
    pub slippage_bps: u16,
}

/// One bucket's schedule and today's emission.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BucketView {
    /// Wei over interval 0.
    pub initial: U256,
    /// Wei less each interval.
    pub decrease: U256,
    /// Wei over the current interval.
    pub this_interval: U256,
    /// The first second after the curve.
    pub end: u64,
}

/// Both buckets' schedules (`schedule()`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ScheduleView {
    /// The first second of interval 0.
    pub payout_start: u64,
    /// Seconds per interval.
    pub interval: u64,
    /// The current interval's number.
    pub current_interval: u64,
    /// The capital bucket (paid to capital providers).
    pub capital: BucketView,
    /// The compute bucket (forwarded to the compute contract).
    pub compute: BucketView,
}

impl ScheduleView {
    /// The capital bucket as the protocol's schedule.
    pub fn capital_schedule(&self) -> LinearSchedule {
        self.bucket(&self.capital)
    }

    /// The compute bucket as the protocol's schedule.
    pub fn compute_schedule(&self) -> LinearSchedule {
        self.bucket(&self.compute)
    }

    fn bucket(&self, b: &BucketView) -> LinearSchedule {
        LinearSchedule {
            start: self.payout_start,
            interval: self.interval,
            initial: b.initial,
            decrease: b.decrease,
        }
    }
}

/// The totals at `block` (latest when `None`).
pub(super) async fn totals(
    c: &Capital,
    block: Option<u64>,
) -> Result<TotalsView, CapitalCallError> {
    let t = c.view(c.config.capital, I::totalsCall {}, block).await?;
    Ok(TotalsView {
        principal: t._0,
        backing: t._1,
        pending_yield: t._1.saturating_sub(t._0),
        distributed: t._2,
        paid: t._3,
        kept: t._4,
        compute_sent: t._5,
        compute_owed: t._6,
    })
}

impl Capital {
    /// The status at the latest block, with `account`'s position when given.
    ///
    /// # Errors
    /// [`CapitalCallError::Node`] when the node fails or answers something undecodable.
    pub async fn status(
        &self,
        account: Option<Address>,
    ) -> Result<CapitalStatus, CapitalCallError> {
        let (block, timestamp) = self.latest_block().await?;
        let at = Some(block);
        let cap = self.config.capital;
        let (symbol, owner, paused, totals, state, params, schedule) = tokio::join!(
            self.view(self.config.native, ICapitalToken::symbolCall {}, at),
            self.view(cap, I::ownerCall {}, at),
            self.view(cap, I::pausedCall {}, at),
            totals(self, at),
            self.view(cap, I::harvestStateCall {}, at),
            self.view(cap, I::parametersCall {}, at),
            self.view(cap, I::scheduleCall {}, at),
        );
        let (state, params, schedule) = (state?, params?, schedule?);
        let parameters = ParametersView {
            min_lock: params._0,
            twap_window: params._1,
            max_deviation_bps: params._2,
            slippage_bps: params._3,
        };
        let account = match account {
            Some(address) => Some(self.account(address, block).await?),
            None => None,
        };
        let (pool, wst_is_token0, last_update) = self.pool(state._5, block).await?;
        let (spot, cumulative) = self
            .price(&pool, wst_is_token0, last_update, block, timestamp)
            .await?;
        let observed = state._1 != 0 && !pool.reserve_wst.is_zero();
        let age = timestamp.saturating_sub(state._1);
        let twap = match observed {
            true => amm::twap_x112(cumulative, state._2, age).unwrap_or_default(),
            false => U256::ZERO,
        };
        let harvest = HarvestView {
            last_harvest: state._0,
            next_harvest_at: if state._0 == 0 {
                0
            } else {
                state
                    ._0
                    .saturating_add(yellowstone_protocol::capital::params::HARVEST_INTERVAL)
            },
            observed_at: state._1,
            observation_age: if state._1 == 0 { 0 } else { age },
            twap_ready_at: if state._1 == 0 {
                0
            } else {
                state._1.saturating_add(parameters.twap_window)
            },
            carried_wst: state._3,
            carried_native: state._4,
            spot_price_wad: x112_to_wad(spot),
            twap_price_wad: x112_to_wad(twap),
            spot_within_deviation: !twap.is_zero()
                && amm::within_deviation(spot, twap, parameters.max_deviation_bps),
        };
        let schedule = schedule_view(&schedule, timestamp);
        Ok(CapitalStatus {
            block,
            timestamp,
            config: self.config,
            native_symbol: symbol.unwrap_or_else(|_| "native".into()),
            owner: owner?,
            paused: paused?,
            account,
            totals: totals?,
            harvest,
            pool,
            parameters,
            schedule,
        })
    }

    async fn account(&self, address: Address, block: u64) -> Result<AccountView, CapitalCallError> {
        let at = Some(block);
        let c = &self.config;
        let (position, st_eth, native) = tokio::join!(
            self.view(c.capital, I::positionCall::new((address,)), at),
            self.view(
                c.st_eth,
                ICapitalToken::balanceOfCall { account: address },
                at
            ),
            self.view(
                c.native,
                ICapitalToken::balanceOfCall { account: address },
                at
            ),
        );
        let position = position?;
        Ok(AccountView {
            address,
            principal: position._0,
            unlock_at: position._1,
            owed: position._2,
            st_eth_balance: st_eth?,
            native_balance: native?,
        })
    }

    /// The pair's reserves (wstETH, native), its LP supply, and what `lp_held` of it owns; and
    /// whether wstETH is its token0, and its last update's timestamp.
    async fn pool(
        &self,
        lp_held: U256,
        block: u64,
    ) -> Result<(PoolView, bool, u32), CapitalCallError> {
        let (at, pair) = (Some(block), self.config.pair);
        let (token0, reserves, supply) = tokio::join!(
            self.view(pair, IUniswapV2PairView::token0Call {}, at),
            self.view(pair, IUniswapV2PairView::getReservesCall {}, at),
            self.view(pair, ICapitalToken::totalSupplyCall {}, at),
        );
        let (reserves, supply) = (reserves?, supply?);
        let (r0, r1) = (U256::from(reserves.reserve0), U256::from(reserves.reserve1));
        let wst_is_token0 = token0? == self.config.wst_eth;
        let (reserve_wst, reserve_native) = if wst_is_token0 { (r0, r1) } else { (r1, r0) };
        let share = |reserve: U256| {
            if supply.is_zero() {
                U256::ZERO
            } else {
                reserve * lp_held / supply
            }
        };
        let view = PoolView {
            pair,
            reserve_wst,
            reserve_native,
            lp_supply: supply,
            lp_held,
            owned_wst: share(reserve_wst),
            owned_native: share(reserve_native),
        };
        Ok((view, wst_is_token0, reserves.blockTimestampLast))
    }

    /// The pair's spot price (native per wstETH, UQ112x112) and its counterfactual cumulative
    /// price at `timestamp`, as the harvest computes them (zeros while the pair is empty).
    async fn price(
        &self,
        pool: &PoolView,
        wst_is_token0: bool,
        last_update: u32,
        block: u64,
        timestamp: u64,
    ) -> Result<(U256, U256), CapitalCallError> {
        if pool.reserve_wst.is_zero() || pool.reserve_native.is_zero() {
            return Ok((U256::ZERO, U256::ZERO));
        }
        let (at, pair) = (Some(block), pool.pair);
        let last = if wst_is_token0 {
            self.view(pair, IUniswapV2PairView::price0CumulativeLastCall {}, at)
                .await?
        } else {
            self.view(pair, IUniswapV2PairView::price1CumulativeLastCall {}, at)
                .await?
        };
        let spot = amm::price_x112(pool.reserve_native, pool.reserve_wst).unwrap_or_default();
        let cumulative = amm::cumulative_now(
            last,
            pool.reserve_native,
            pool.reserve_wst,
            last_update,
            timestamp,
        )
        .unwrap_or_default();
        Ok((spot, cumulative))
    }
}

/// A UQ112x112 price as a 1e18 fixed-point one (rounded down; 0 on overflow).
fn x112_to_wad(price: U256) -> U256 {
    price.checked_mul(WAD).map_or(U256::ZERO, |p| p >> 112usize)
}

fn schedule_view(s: &I::scheduleReturn, now: u64) -> ScheduleView {
    let (start, interval) = (s._0, s._1);
    let current_interval = now
        .saturating_sub(start)
        .checked_div(interval)
        .unwrap_or_default();
    let bucket = |initial: U256, decrease: U256| {
        let schedule = LinearSchedule {
            start,
            interval,
            initial,
            decrease,
        };
        BucketView {
            initial,
            decrease,
            this_interval: if now < start {
                U256::ZERO
            } else {
                schedule.interval_amount(current_interval)
            },
            end: schedule.end(),
        }
    };
    ScheduleView {
        payout_start: start,
        interval,
        current_interval,
        capital: bucket(s._2, s._3),
        compute: bucket(s._4, s._5),
    }
}
