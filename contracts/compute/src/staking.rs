//! Provider stakes under MRC40: a stake locked until a chosen end earns the power multiplier
//! of its lock while the lock runs; the lock end only ever moves later; stake leaves only after
//! the lock end, and stake added in the current stake-cap period stays while it backs that
//! period's payouts (SPEC 8 "Stakes").

use alloy_primitives::{Address, U256};
use alloy_sol_types::SolEvent;
use stylus_sdk::prelude::*;
use yellowstone_protocol::{
    abi::*,
    math::div,
    multiplier::{power_multiplier, MULTIPLIER_MIN},
    time::PERIOD,
    WAD,
};

use yellowstone_stylus_kit::emit;

use crate::{
    errors::{add, ComputeError, Word},
    store::*,
    YellowstoneCompute,
};

impl YellowstoneCompute {
    pub(crate) fn add_stake(&mut self, amount: U256, lock_end: u64) -> Result<(), ComputeError> {
        if amount.is_zero() {
            return Err(ZeroAmount {}.into());
        }
        let provider = self.vm().msg_sender();
        let now = self.now();
        let r = record(provider);
        let minimum = self.get_u64(r.at(LOCK_END)).max(now);
        if lock_end < minimum {
            return Err(LockEndTooEarly {
                lockEnd: lock_end,
                minimum,
            }
            .into());
        }
        let total_staked = add(self.get(TOTAL_STAKED), amount)?;
        let stake = add(self.get(r.at(STAKE)), amount)?;
        let first = !self.registered(r);
        // A first stake opens period 0 at `now`, whose books are the stored zeros.
        let books = self.period_books(r);
        let added = add(books.added, amount)?;

        if first {
            self.set_u64(r.at(REGISTERED_AT), now);
        } else if books.rolled {
            self.set_u64(r.at(CAP_PERIOD), books.period);
            self.set(r.at(PAID_IN_PERIOD), U256::ZERO)?;
        }
        self.set(r.at(STAKE), stake)?;
        self.set(r.at(ADDED_IN_PERIOD), added)?;
        self.set_u64(r.at(LOCK_START), now);
        self.set_u64(r.at(LOCK_END), lock_end);
        self.set(TOTAL_STAKED, total_staked)?;
        self.pull_mor(provider, amount)?;
        if first {
            emit(
                self.vm(),
                &[ProviderRegistered::SIGNATURE_HASH, provider.word()],
                &[],
            );
        }
        emit(
            self.vm(),
            &[Staked::SIGNATURE_HASH, provider.word()],
            &[amount.word(), stake.word(), now.word(), lock_end.word()],
        );
        Ok(())
    }

    pub(crate) fn extend_lock(&mut self, new_end: u64) -> Result<(), ComputeError> {
        let provider = self.vm().msg_sender();
        let now = self.now();
        let r = record(provider);
        if !self.registered(r) {
            return Err(NotRegistered { provider }.into());
        }
        let end = self.get_u64(r.at(LOCK_END));
        let minimum = end.max(now);
        if new_end <= minimum {
            return Err(LockEndTooEarly {
                lockEnd: new_end,
                minimum,
            }
            .into());
        }
        // An ended lock restarts now: its old start would price a one-second extension at the
        // multiplier of the whole span since then.
        let start = if now >= end {
            now
        } else {
            self.get_u64(r.at(LOCK_START))
        };
        self.set_u64(r.at(LOCK_START), start);
        self.set_u64(r.at(LOCK_END), new_end);
        emit(
            self.vm(),
            &[LockExtended::SIGNATURE_HASH, provider.word()],
            &[start.word(), new_end.word()],
        );
        Ok(())
    }

    pub(crate) fn withdraw_stake(&mut self, amount: U256) -> Result<(), ComputeError> {
        if amount.is_zero() {
            return Err(ZeroAmount {}.into());
        }
        let provider = self.vm().msg_sender();
        let now = self.now();
        let r = record(provider);
        if !self.registered(r) {
            return Err(NotRegistered { provider }.into());
        }
        let lock_end = self.get_u64(r.at(LOCK_END));
        if now < lock_end {
            return Err(StakeLocked {
                lockEnd: lock_end,
                now,
            }
            .into());
        }
        let staked = self.get(r.at(STAKE));
        if amount > staked {
            return Err(InsufficientStake {
                requested: amount,
                staked,
            }
            .into());
        }
        // Stake added this period backs this period's payouts until the period ends: otherwise
        // restaking a payout and withdrawing at once would lift the cap without limit. Older
        // stake never does, so a claim by someone else cannot hold it.
        let books = self.period_books(r);
        let withdrawable = staked - books.paid.min(books.added);
        if amount > withdrawable {
            let periods = books.period.saturating_add(1);
            return Err(StakeBacksPayouts {
                requested: amount,
                withdrawable,
                periodEnd: books.origin.saturating_add(periods.saturating_mul(PERIOD)),
            }
            .into());
        }
        let stake = staked - amount;
        self.set(r.at(STAKE), stake)?;
        // A withdrawal takes the older stake first, so what stays added this period is what
        // stays of it: the part holding payouts is never taken.
        if !books.rolled && books.added > stake {
            self.set(r.at(ADDED_IN_PERIOD), stake)?;
        }
        self.set(TOTAL_STAKED, self.get(TOTAL_STAKED).saturating_sub(amount))?;
        self.send_mor(provider, amount)?;
        emit(
            self.vm(),
            &[Withdrawn::SIGNATURE_HASH, provider.word()],
            &[amount.word(), stake.word()],
        );
        Ok(())
    }

    /// The multiplier of the lock of `r` at this block: the lock's while it runs, 1 from its
    /// end on.
    pub(crate) fn multiplier_now(&self, r: Record) -> U256 {
        let start = self.get_u64(r.at(LOCK_START));
        let end = self.get_u64(r.at(LOCK_END));
        if self.now() >= end {
            MULTIPLIER_MIN
        } else {
            power_multiplier(U256::from(start), U256::from(end))
        }
    }

    pub(crate) fn provider_record(
        &self,
        provider: Address,
    ) -> (bool, U256, u64, u64, U256, U256, U256, U256) {
        let r = record(provider);
        let stake = self.get(r.at(STAKE));
        let multiplier = self.multiplier_now(r);
        // stake <= total MOR supply (< 2^100) and multiplier <= 10.7e18, so this cannot overflow.
        let weight = div(stake.saturating_mul(multiplier), WAD).unwrap_or_default();
        (
            self.registered(r),
            stake,
            self.get_u64(r.at(LOCK_START)),
            self.get_u64(r.at(LOCK_END)),
            multiplier,
            weight,
            self.get(r.at(EARNED)),
            self.get(r.at(CLAIMED)),
        )
    }
}
