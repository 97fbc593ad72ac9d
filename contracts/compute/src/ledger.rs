//! The emission pool and its daily ledger: funding, the unused pool, and the per-day cap.
//!
//! Day accounting is rolled lazily by the first state change of each UTC day, *before* that
//! change applies, so the day's cap is fixed from exactly the unused pool at 00:00 UTC
//! (nothing moves the pool between the last change of one day and the first of the next). The
//! roll stores the cap, so a commit reads one slot instead of recomputing the schedule; the
//! bootstrap limit is recomputed only by the commits that carry bootstrap credit.

use alloy_primitives::U256;
use alloy_sol_types::SolEvent;
use stylus_sdk::prelude::*;
use yellowstone_protocol::{
    abi::{Funded, ZeroAmount},
    emission::{bootstrap_limit, daily_cap, in_bootstrap_window},
    time::day_of,
};

use yellowstone_stylus_kit::emit;

use crate::{
    errors::{add, ComputeError, Word},
    store::*,
    YellowstoneCompute,
};

/// The largest amount a 128-bit slot holds: a day's cap is stored saturated to it (any credit
/// is bounded far below by the funds, which are 128-bit too).
const U128_MAX: U256 = U256::from_limbs([u64::MAX, u64::MAX, 0, 0]);

/// A day's books as the contract sees them now.
pub(crate) struct Books {
    /// The UTC day index.
    pub day: u64,
    /// The day's cap on credit.
    pub cap: U256,
    /// Credit committed so far on the day.
    pub credited: U256,
    /// The day's bootstrap limit; zero outside the bootstrap window.
    pub bootstrap_limit: U256,
    /// Bootstrap credit committed so far on the day.
    pub bootstrap: U256,
}

impl YellowstoneCompute {
    /// Everything funded minus everything credited (work and bootstrap).
    pub(crate) fn unused(&self) -> U256 {
        let credited = self
            .get(CUMULATIVE_CREDITED)
            .saturating_add(self.get(CUMULATIVE_BOOTSTRAP));
        self.get(TOTAL_FUNDED).saturating_sub(credited)
    }

    /// The cap of UTC day `day` whose start finds `pool` unused, saturated to 128 bits.
    fn cap_of(&self, day: u64, pool: U256) -> U256 {
        daily_cap(self.schedule().scheduled(day), pool).min(U128_MAX)
    }

    /// The bootstrap limit of UTC day `day`: zero outside the window.
    pub(crate) fn bootstrap_limit_of(&self, day: u64) -> U256 {
        if in_bootstrap_window(self.get_u64(BOOTSTRAP_START_DAY), day) {
            bootstrap_limit(self.schedule().scheduled(day))
        } else {
            U256::ZERO
        }
    }

    /// Today's books, whether or not the day has been rolled yet (a view).
    pub(crate) fn books(&self) -> Books {
        let day = day_of(self.now());
        let (cap, credited, bootstrap) = if self.get_u64(DAY) == day {
            (
                self.get(DAY_CAP),
                self.get(CREDITED_TODAY),
                self.get(BOOTSTRAP_TODAY),
            )
        } else {
            (self.cap_of(day, self.unused()), U256::ZERO, U256::ZERO)
        };
        Books {
            day,
            cap,
            credited,
            bootstrap_limit: self.bootstrap_limit_of(day),
            bootstrap,
        }
    }

    /// Starts a new day's accounting if the UTC day changed since the last state change:
    /// fixes the day's cap from the unused pool now, and zeroes the day's credit.
    pub(crate) fn roll_day(&mut self) -> Result<(), ComputeError> {
        let day = day_of(self.now());
        if self.get_u64(DAY) != day {
            let cap = self.cap_of(day, self.unused());
            self.set_u64(DAY, day);
            self.set(DAY_CAP, cap)?;
            self.set(CREDITED_TODAY, U256::ZERO)?;
            self.set(BOOTSTRAP_TODAY, U256::ZERO)?;
        }
        Ok(())
    }

    /// Pulls `amount` MOR from the caller into the pool.
    pub(crate) fn fund_pool(&mut self, amount: U256) -> Result<(), ComputeError> {
        if amount.is_zero() {
            return Err(ZeroAmount {}.into());
        }
        self.roll_day()?;
        let total = add(self.get(TOTAL_FUNDED), amount)?;
        self.set(TOTAL_FUNDED, total)?;
        let from = self.vm().msg_sender();
        self.pull_mor(from, amount)?;
        emit(
            self.vm(),
            &[Funded::SIGNATURE_HASH, from.word()],
            &[amount.word(), total.word()],
        );
        Ok(())
    }
}
