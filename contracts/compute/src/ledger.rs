//! The emission pool and its daily ledger: funding, the unused pool, and the per-day cap.
//!
//! Day accounting is rolled lazily by the first state change of each UTC day, *before* that
//! change applies, so `day_start_pool` is exactly the unused pool at 00:00 UTC (nothing moves
//! the pool between the last change of one day and the first of the next).

use alloy_primitives::{aliases::U64, U256};
use alloy_sol_types::SolEvent;
use stylus_sdk::prelude::*;
use yellowstone_protocol::{
    abi::{Funded, ZeroAmount},
    emission::{bootstrap_limit, daily_cap, in_bootstrap_window},
    time::day_of,
};

use crate::{
    amount::Amount,
    errors::{add, ComputeError, Word},
    events::emit,
    YellowstoneCompute,
};

/// The day's figures as the contract sees them now.
pub(crate) struct Today {
    /// The UTC day index.
    pub day: u64,
    /// The day's cap on credit.
    pub cap: U256,
    /// Credit committed so far today.
    pub credited: U256,
    /// The day's bootstrap limit; zero outside the bootstrap window.
    pub bootstrap_limit: U256,
    /// Bootstrap credit committed so far today.
    pub bootstrap: U256,
}

impl YellowstoneCompute {
    /// Everything funded minus everything credited (work and bootstrap).
    pub(crate) fn unused(&self) -> U256 {
        let credited = self
            .cumulative_credited
            .amount()
            .saturating_add(self.cumulative_bootstrap.amount());
        self.total_funded.amount().saturating_sub(credited)
    }

    /// Today's figures, whether or not the day has been rolled yet.
    pub(crate) fn today(&self) -> Today {
        let day = day_of(self.now());
        let rolled = self.day.get().saturating_to::<u64>() == day;
        let (pool, credited, bootstrap) = if rolled {
            (
                self.day_start_pool.amount(),
                self.credited_today.amount(),
                self.bootstrap_today.amount(),
            )
        } else {
            (self.unused(), U256::ZERO, U256::ZERO)
        };
        let scheduled = self.schedule().scheduled(day);
        let limit = if in_bootstrap_window(self.bootstrap_start_day.get().saturating_to(), day) {
            bootstrap_limit(scheduled)
        } else {
            U256::ZERO
        };
        Today {
            day,
            cap: daily_cap(scheduled, pool),
            credited,
            bootstrap_limit: limit,
            bootstrap,
        }
    }

    /// Starts a new day's accounting if the UTC day changed since the last state change.
    pub(crate) fn roll_day(&mut self) -> Result<(), ComputeError> {
        let day = day_of(self.now());
        if self.day.get().saturating_to::<u64>() != day {
            let pool = self.unused();
            self.day.set(U64::from(day));
            self.day_start_pool.set_amount(pool)?;
            self.credited_today.set_amount(U256::ZERO)?;
            self.bootstrap_today.set_amount(U256::ZERO)?;
        }
        Ok(())
    }

    /// Pulls `amount` MOR from the caller into the pool.
    pub(crate) fn fund_pool(&mut self, amount: U256) -> Result<(), ComputeError> {
        if amount.is_zero() {
            return Err(ZeroAmount {}.into());
        }
        self.roll_day()?;
        let total = add(self.total_funded.amount(), amount)?;
        self.total_funded.set_amount(total)?;
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
