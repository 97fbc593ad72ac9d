//! Provider claims: a leaf proven against the latest epoch root pays the provider its
//! cumulative earnings minus what it was already paid, within its stake cap (at most its stake
//! per 365-day period; the rest stays claimable later) and never above total credit.

use alloy_primitives::{aliases::U64, Address, B256, U256};
use alloy_sol_types::SolEvent;
use stylus_sdk::prelude::*;
use yellowstone_protocol::{abi::*, merkle, time::period_index};

use crate::{
    amount::Amount,
    errors::{add, ComputeError, Word},
    events::emit,
    YellowstoneCompute,
};

impl YellowstoneCompute {
    pub(crate) fn pay_claim(
        &mut self,
        provider: Address,
        cumulative_earned: U256,
        cumulative_bootstrap: U256,
        proof: &[B256],
    ) -> Result<U256, ComputeError> {
        if self.paused.get() {
            return Err(EnforcedPause {}.into());
        }
        if self.epoch.get().is_zero() {
            return Err(NoEpoch {}.into());
        }
        let leaf = merkle::leaf_hash(provider, cumulative_earned, cumulative_bootstrap);
        if !merkle::verify(proof, self.root.get(), leaf) {
            return Err(InvalidProof { provider }.into());
        }
        if !self.providers.get(provider).registered() {
            return Err(NotRegistered { provider }.into());
        }
        let cumulative = add(cumulative_earned, cumulative_bootstrap)?;
        let claimed = self.providers.get(provider).claimed.amount();
        if cumulative <= claimed {
            return Err(NothingToClaim {
                provider,
                cumulative,
                claimed,
            }
            .into());
        }
        let owed = cumulative - claimed;
        let remaining = self.cap_remaining(provider);
        if remaining.is_zero() {
            return Err(StakeCapReached {
                provider,
                paidThisPeriod: self.paid_this_period(provider),
                stake: self.providers.get(provider).stake.amount(),
            }
            .into());
        }
        let amount = owed.min(remaining);
        let total_claimed = add(self.total_claimed.amount(), amount)?;
        let total_credited = add(
            self.cumulative_credited.amount(),
            self.cumulative_bootstrap.amount(),
        )?;
        if total_claimed > total_credited {
            return Err(ClaimExceedsCredit {
                totalClaimed: total_claimed,
                totalCredited: total_credited,
            }
            .into());
        }

        let period = self.current_period(provider);
        let paid_before = self.paid_this_period(provider);
        let mut record = self.providers.setter(provider);
        record.claimed.set_amount(claimed + amount)?;
        record.earned.set_amount(cumulative)?;
        record.cap_period.set(U64::from(period));
        record.paid_in_period.set_amount(paid_before + amount)?;
        self.total_claimed.set_amount(total_claimed)?;
        self.send_mor(provider, amount)?;
        let caller = self.vm().msg_sender();
        emit(
            self.vm(),
            &[Claimed::SIGNATURE_HASH, provider.word(), caller.word()],
            &[
                amount.word(),
                (claimed + amount).word(),
                (owed - amount).word(),
            ],
        );
        Ok(amount)
    }

    /// What `provider` may still be paid in the current 365-day period.
    pub(crate) fn cap_remaining(&self, provider: Address) -> U256 {
        let stake = self.providers.get(provider).stake.amount();
        stake.saturating_sub(self.paid_this_period(provider))
    }

    /// The index of `provider`'s current stake-cap period, counted from its registration.
    pub(crate) fn current_period(&self, provider: Address) -> u64 {
        period_index(
            self.providers
                .get(provider)
                .registered_at
                .get()
                .saturating_to(),
            self.now(),
        )
    }

    /// Wei paid to `provider` in its current period (zero once a new period has begun).
    pub(crate) fn paid_this_period(&self, provider: Address) -> U256 {
        let record = self.providers.get(provider);
        if record.cap_period.get().saturating_to::<u64>() == self.current_period(provider) {
            record.paid_in_period.amount()
        } else {
            U256::ZERO
        }
    }
}
