//! Yield into protocol-owned liquidity: price observations, the daily harvest and the owner's
//! one bootstrap of an empty pool.
//!
//! The harvest's price comes from the pair itself: the time-weighted average of its cumulative
//! price over an observation at least `twapWindow` old (Uniswap's counterfactual cumulative for
//! the current block, so a same-block manipulation moves spot but not the average), spot within
//! `maxDeviationBps` of it, and a swap that must return the TWAP quote less the pair's fee and
//! `slippageBps`. It talks to the pair directly (`transfer` + `swap`, `transfer` + `mint`); the
//! LP tokens are minted to the contract, and no function moves them.

use alloy_primitives::{Address, U256};
use alloy_sol_types::SolEvent;
use stylus_sdk::prelude::*;
use yellowstone_protocol::{
    capital::{abi::*, amm, backing, params},
    math::div,
    WAD,
};

use yellowstone_stylus_kit::{emit, Ownable};

use crate::{
    calls::{PRICE0_CUMULATIVE, PRICE1_CUMULATIVE, TOTAL_SUPPLY},
    errors::{add, sub, CapitalError, OrOverflow, Word},
    store::*,
    YellowstoneCapital,
};

/// The pair's reserves as wstETH and native token, and its cumulative price (native per wstETH)
/// as of the current block.
#[derive(Clone, Copy, Debug)]
struct Market {
    wst: U256,
    native: U256,
    cumulative: U256,
}

impl YellowstoneCapital {
    /// The pair's reserves, ordered (wstETH, native). Zero reserves are the caller's to judge.
    fn oriented_reserves(&self) -> Result<(U256, U256, u32), CapitalError> {
        let r = self.reserves()?;
        Ok(if self.get_bool(WST_IS_TOKEN0) {
            (r.reserve0, r.reserve1, r.timestamp)
        } else {
            (r.reserve1, r.reserve0, r.timestamp)
        })
    }

    /// The market now; [`PoolEmpty`] if either reserve is zero.
    fn market(&self) -> Result<Market, CapitalError> {
        let (wst, native, timestamp) = self.oriented_reserves()?;
        if wst.is_zero() || native.is_zero() {
            return Err(PoolEmpty {}.into());
        }
        let selector = if self.get_bool(WST_IS_TOKEN0) {
            PRICE0_CUMULATIVE
        } else {
            PRICE1_CUMULATIVE
        };
        let last = self.pair_word(selector)?;
        let cumulative =
            amm::cumulative_now(last, native, wst, timestamp, self.now()).or_overflow()?;
        Ok(Market {
            wst,
            native,
            cumulative,
        })
    }

    /// Records an observation of `cumulative` at now.
    fn observe(&mut self, cumulative: U256) -> Result<(), CapitalError> {
        let now = self.now();
        self.set_u64(OBSERVED_AT, now);
        self.set(OBSERVED_CUMULATIVE, cumulative)?;
        emit(
            self.vm(),
            &[Poked::SIGNATURE_HASH],
            &[cumulative.word(), now.word()],
        );
        Ok(())
    }

    pub(crate) fn open_observation(&mut self) -> Result<(), CapitalError> {
        let (observed_at, now) = (self.get_u64(OBSERVED_AT), self.now());
        if observed_at != 0 {
            let reopens_at =
                observed_at.saturating_add(self.get_u64(TWAP_WINDOW).saturating_mul(2));
            if now < reopens_at {
                return Err(ObservationOpen {
                    reopensAt: reopens_at,
                    now,
                }
                .into());
            }
        }
        let cumulative = self.market()?.cumulative;
        self.observe(cumulative)
    }

    /// Wraps the yield (backing above principal) into wstETH: (the yield in stETH, the wstETH
    /// now available with what was carried).
    fn wrap_yield(&mut self) -> Result<(U256, U256), CapitalError> {
        let (st_eth, wst_eth) = (self.get_address(ST_ETH), self.get_address(WST_ETH));
        let held = self.balance_of(st_eth, self.this())?;
        let yielded = backing::yield_of(held, self.get(TOTAL_PRINCIPAL));
        let mut wrapped = U256::ZERO;
        if !yielded.is_zero() {
            self.approve(st_eth, wst_eth, yielded)?;
            wrapped = self.wrap(wst_eth, yielded)?;
        }
        Ok((yielded, add(self.get(CARRIED_WST), wrapped)?))
    }

    /// Sends `amount` of `token` to the pair.
    fn send_to_pair(&mut self, token: Address, amount: U256) -> Result<(), CapitalError> {
        let pair = self.get_address(PAIR);
        self.transfer(token, pair, amount)
    }

    /// [`PriceOutOfBounds`] unless `price_wad` (native wei per wstETH wei, 1e18 scale) lies in
    /// the band fixed at deployment.
    fn within_price_band(&self, price_wad: U256) -> Result<(), CapitalError> {
        let (minimum, maximum) = (self.get(MIN_BOOTSTRAP_PRICE), self.get(MAX_BOOTSTRAP_PRICE));
        if price_wad < minimum || price_wad > maximum {
            return Err(PriceOutOfBounds {
                priceWad: price_wad,
                minimum,
                maximum,
            }
            .into());
        }
        Ok(())
    }

    pub(crate) fn harvest_yield(&mut self) -> Result<(), CapitalError> {
        self.when_not_paused()?;
        let now = self.now();
        let last = self.get_u64(LAST_HARVEST);
        let next_at = last.saturating_add(params::HARVEST_INTERVAL);
        if last != 0 && now < next_at {
            return Err(HarvestTooSoon {
                nextAt: next_at,
                now,
            }
            .into());
        }
        let observed_at = self.get_u64(OBSERVED_AT);
        if observed_at == 0 {
            return Err(NoObservation {}.into());
        }
        let (elapsed, window) = (now.saturating_sub(observed_at), self.get_u64(TWAP_WINDOW));
        if elapsed < window {
            return Err(TwapWindowTooShort {
                elapsed,
                minimum: window,
            }
            .into());
        }
        let m = self.market()?;
        let twap =
            amm::twap_x112(m.cumulative, self.get(OBSERVED_CUMULATIVE), elapsed).or_overflow()?;
        let spot = amm::price_x112(m.native, m.wst).or_overflow()?;
        let bps = self.get_u64(MAX_DEVIATION_BPS) as u16;
        if !amm::within_deviation(spot, twap, bps) {
            return Err(SpotDeviates {
                spotX112: spot,
                twapX112: twap,
                maxDeviationBps: U256::from(bps),
            }
            .into());
        }
        // The deployment's price band holds for every harvest, not only the bootstrap: whoever
        // gave the empty pair its first price, the contract never trades outside the band.
        let twap_wad = twap.checked_mul(WAD).map_or(U256::MAX, |p| p >> 112usize);
        self.within_price_band(twap_wad)?;
        let (yielded, wst) = self.wrap_yield()?;
        let native = self.get(CARRIED_NATIVE);
        if wst.is_zero() && native.is_zero() {
            return Err(NothingToHarvest {}.into());
        }
        // Swap only the wstETH the carried native cannot pair with, and no more than the
        // slippage bound lets through: the minimum values the input at the TWAP, so the swap's
        // own price impact must fit in it. The rest is carried to a deeper pool.
        let slippage = self.get_u64(SLIPPAGE_BPS) as u16;
        let matched = amm::quote(native, m.native, m.wst).or_overflow()?;
        let optimal = amm::optimal_swap_in(wst.saturating_sub(matched), m.wst).or_overflow()?;
        let mut swapped = optimal.min(amm::max_swap_in(m.wst, slippage).or_overflow()?);
        let bought = amm::amount_out(swapped, m.wst, m.native).or_overflow()?;
        let wst_eth = self.get_address(WST_ETH);
        if bought.is_zero() {
            swapped = U256::ZERO;
        } else {
            let minimum = amm::min_out(swapped, twap, slippage).or_overflow()?;
            if bought < minimum {
                return Err(SlippageExceeded {
                    amountOut: bought,
                    minimumOut: minimum,
                }
                .into());
            }
            self.send_to_pair(wst_eth, swapped)?;
            if self.get_bool(WST_IS_TOKEN0) {
                self.swap(U256::ZERO, bought)?;
            } else {
                self.swap(bought, U256::ZERO)?;
            }
        }
        let (wst, native) = (sub(wst, swapped)?, add(native, bought)?);
        let (reserve_wst, reserve_native, _) = self.oriented_reserves()?;
        let (use_wst, use_native) =
            amm::liquidity_split(wst, native, reserve_wst, reserve_native).or_overflow()?;
        let mut minted = U256::ZERO;
        if !use_wst.is_zero() && !use_native.is_zero() {
            self.send_to_pair(wst_eth, use_wst)?;
            self.send_to_pair(self.get_address(NATIVE), use_native)?;
            minted = self.pair_mint()?;
        }
        let (carried_wst, carried_native) = (sub(wst, use_wst)?, sub(native, use_native)?);
        self.set(CARRIED_WST, carried_wst)?;
        self.set(CARRIED_NATIVE, carried_native)?;
        self.set(LIQUIDITY, add(self.get(LIQUIDITY), minted)?)?;
        self.set_u64(LAST_HARVEST, now);
        emit(
            self.vm(),
            &[Harvested::SIGNATURE_HASH],
            &[
                yielded.word(),
                swapped.word(),
                bought.word(),
                minted.word(),
                carried_wst.word(),
                carried_native.word(),
            ],
        );
        self.observe(m.cumulative)
    }

    pub(crate) fn bootstrap(&mut self, native_amount: U256) -> Result<(), CapitalError> {
        self.only_owner()?;
        self.when_not_paused()?;
        if native_amount.is_zero() {
            return Err(ZeroAmount {}.into());
        }
        if !self.pair_word(TOTAL_SUPPLY)?.is_zero() {
            return Err(PoolNotEmpty {}.into());
        }
        let (_, wst) = self.wrap_yield()?;
        if wst.is_zero() {
            return Err(NothingToHarvest {}.into());
        }
        self.within_price_band(
            div(native_amount.checked_mul(WAD).or_overflow()?, wst).or_overflow()?,
        )?;
        let owner = self.vm().msg_sender();
        let native = self.get_address(NATIVE);
        self.transfer_from(native, owner, native_amount)?;
        self.send_to_pair(self.get_address(WST_ETH), wst)?;
        self.send_to_pair(native, native_amount)?;
        let minted = self.pair_mint()?;
        self.set(CARRIED_WST, U256::ZERO)?;
        self.set(LIQUIDITY, add(self.get(LIQUIDITY), minted)?)?;
        emit(
            self.vm(),
            &[PoolBootstrapped::SIGNATURE_HASH, owner.word()],
            &[wst.word(), native_amount.word(), minted.word()],
        );
        let cumulative = self.market()?.cumulative;
        self.observe(cumulative)
    }
}
