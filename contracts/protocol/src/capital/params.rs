//! The capital contract's owner-set parameters, their hard bounds and defaults (SPEC 7): the
//! owner tunes the harvest and the lock, but only inside limits fixed in code, so no setting
//! can lock deposits for years or open the harvest to a sandwich.

use alloy_primitives::U256;

use super::abi::ParameterOutOfBounds;
use crate::time::DAY;

/// A harvest runs at most once per this many seconds.
pub const HARVEST_INTERVAL: u64 = DAY;

/// Inclusive hard bounds of one parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bounds {
    /// The least value the owner may set.
    pub min: u64,
    /// The greatest value the owner may set.
    pub max: u64,
}

/// `minLock`, seconds: at least a day (a deposit sits through a daily rebase), at most a year.
pub const MIN_LOCK: Bounds = Bounds {
    min: DAY,
    max: 365 * DAY,
};
/// `twapWindow`, seconds: at least 30 minutes (a price held that long costs real arbitrage
/// losses to fake), at most a day (a harvest is daily).
pub const TWAP_WINDOW: Bounds = Bounds {
    min: 1_800,
    max: DAY,
};
/// `maxDeviationBps`: how far spot may stray from the TWAP, 0.1% to 10%.
pub const MAX_DEVIATION_BPS: Bounds = Bounds {
    min: 10,
    max: 1_000,
};
/// `slippageBps`: how far below the TWAP quote (less the fee) a swap may fill, 0.1% to 10%.
pub const SLIPPAGE_BPS: Bounds = Bounds {
    min: 10,
    max: 1_000,
};

/// The capital contract's parameters, in `setParameters` order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Parameters {
    /// Seconds a fresh deposit stays locked (weighted on top-ups, see [`super::lock`]).
    pub min_lock: u64,
    /// Least age of the price observation a harvest averages over.
    pub twap_window: u64,
    /// Greatest deviation of spot from the TWAP a harvest accepts, in basis points.
    pub max_deviation_bps: u16,
    /// Slippage below the TWAP quote (less the fee) a harvest's swap accepts, in basis points.
    pub slippage_bps: u16,
}

impl Parameters {
    /// The values at deployment: 7 days, 30 minutes, 2%, 1%.
    pub const DEFAULT: Self = Self {
        min_lock: 7 * DAY,
        twap_window: 1_800,
        max_deviation_bps: 200,
        slippage_bps: 100,
    };

    /// `Ok` if every parameter lies inside its bounds, else the error naming the first that does
    /// not (index 0 minLock, 1 twapWindow, 2 maxDeviationBps, 3 slippageBps), its value and its
    /// bounds.
    pub fn check(&self) -> Result<(), ParameterOutOfBounds> {
        let values = [
            (self.min_lock, MIN_LOCK),
            (self.twap_window, TWAP_WINDOW),
            (u64::from(self.max_deviation_bps), MAX_DEVIATION_BPS),
            (u64::from(self.slippage_bps), SLIPPAGE_BPS),
        ];
        for (parameter, (value, bounds)) in (0u8..).zip(values) {
            if value < bounds.min || value > bounds.max {
                return Err(ParameterOutOfBounds {
                    parameter,
                    value: U256::from(value),
                    minimum: U256::from(bounds.min),
                    maximum: U256::from(bounds.max),
                });
            }
        }
        Ok(())
    }
}
