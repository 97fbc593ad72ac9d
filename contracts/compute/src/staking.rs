//! Provider stakes under MRC40: a stake locked until a chosen end earns the power multiplier
//! of its lock; the lock end only ever moves later; stake leaves only after the lock end.

use alloy_primitives::{aliases::U64, Address, U256};
use alloy_sol_types::SolEvent;
use stylus_sdk::prelude::*;
use yellowstone_protocol::{abi::*, math::div, multiplier::power_multiplier, time::PERIOD, WAD};

use crate::{
    amount::Amount,
    errors::{add, ComputeError, Word},
    events::emit,
    YellowstoneCompute,
};

impl YellowstoneCompute {
    pub(crate) fn add_stake(&mut self, amount: U256, lock_end: u64) -> Result<(), ComputeError> {
        if amount.is_zero() {
            return Err(ZeroAmount {}.into());
        }
        let provider = self.vm().msg_sender();
        let now = self.now();
        let minimum = self
            .providers
            .get(provider)
            .lock_end
            .get()
            .saturating_to::<u64>()
            .max(now);
        if lock_end < minimum {
            return Err(LockEndTooEarly {
                lockEnd: lock_end,
                minimum,
            }
            .into());
        }
        let total_staked = add(self.total_staked.amount(), amount)?;
        let stake = add(self.providers.get(provider).stake.amount(), amount)?;
        let multiplier = power_multiplier(U256::from(now), U256::from(lock_end));

        let mut record = self.providers.setter(provider);
        let first = !record.registered();
        if first {
            record.registered_at.set(U64::from(now));
        }
        record.stake.set_amount(stake)?;
        record.lock_start.set(U64::from(now));
        record.lock_end.set(U64::from(lock_end));
        record.multiplier.set(multiplier);
        self.total_staked.set_amount(total_staked)?;
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
            &[
                amount.word(),
                stake.word(),
                now.word(),
                lock_end.word(),
                multiplier.word(),
            ],
        );
        Ok(())
    }

    pub(crate) fn extend_lock(&mut self, new_end: u64) -> Result<(), ComputeError> {
        let provider = self.vm().msg_sender();
        let record = self.providers.get(provider);
        if !record.registered() {
            return Err(NotRegistered { provider }.into());
        }
        let minimum = record.lock_end.get().saturating_to::<u64>().max(self.now());
        if new_end <= minimum {
            return Err(LockEndTooEarly {
                lockEnd: new_end,
                minimum,
            }
            .into());
        }
        let start = record.lock_start.get().saturating_to::<u64>();
        let multiplier = power_multiplier(U256::from(start), U256::from(new_end));
        let mut record = self.providers.setter(provider);
        record.lock_end.set(U64::from(new_end));
        record.multiplier.set(multiplier);
        emit(
            self.vm(),
            &[LockExtended::SIGNATURE_HASH, provider.word()],
            &[start.word(), new_end.word(), multiplier.word()],
        );
        Ok(())
    }

    pub(crate) fn withdraw_stake(&mut self, amount: U256) -> Result<(), ComputeError> {
        if amount.is_zero() {
            return Err(ZeroAmount {}.into());
        }
        let provider = self.vm().msg_sender();
        let now = self.now();
        let record = self.providers.get(provider);
        if !record.registered() {
            return Err(NotRegistered { provider }.into());
        }
        let lock_end = record.lock_end.get().saturating_to::<u64>();
        if now < lock_end {
            return Err(StakeLocked {
                lockEnd: lock_end,
                now,
            }
            .into());
        }
        let staked = record.stake.amount();
        if amount > staked {
            return Err(InsufficientStake {
                requested: amount,
                staked,
            }
            .into());
        }
        // The stake backs this period's payouts until the period ends: otherwise restaking a
        // payout and withdrawing at once would lift the cap without limit.
        let withdrawable = staked.saturating_sub(self.paid_this_period(provider));
        if amount > withdrawable {
            let origin = record.registered_at.get().saturating_to::<u64>();
            let periods = self.current_period(provider).saturating_add(1);
            return Err(StakeBacksPayouts {
                requested: amount,
                withdrawable,
                periodEnd: origin.saturating_add(periods.saturating_mul(PERIOD)),
            }
            .into());
        }
        let stake = staked - amount;
        self.providers.setter(provider).stake.set_amount(stake)?;
        self.total_staked
            .set_amount(self.total_staked.amount().saturating_sub(amount))?;
        self.send_mor(provider, amount)?;
        emit(
            self.vm(),
            &[Withdrawn::SIGNATURE_HASH, provider.word()],
            &[amount.word(), stake.word()],
        );
        Ok(())
    }

    pub(crate) fn provider_record(
        &self,
        provider: Address,
    ) -> (bool, U256, u64, u64, U256, U256, U256, U256) {
        let r = self.providers.get(provider);
        let stake = r.stake.amount();
        let multiplier = r.multiplier.get();
        // stake <= total MOR supply (< 2^100) and multiplier <= 10.7e18, so this cannot overflow.
        let weight = div(stake.saturating_mul(multiplier), WAD).unwrap_or_default();
        (
            r.registered(),
            stake,
            r.lock_start.get().saturating_to(),
            r.lock_end.get().saturating_to(),
            multiplier,
            weight,
            r.earned.amount(),
            r.claimed.amount(),
        )
    }
}
