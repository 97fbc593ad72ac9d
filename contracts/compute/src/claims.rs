//! Provider claims: a leaf proven against the latest epoch root pays the provider its
//! cumulative earnings minus what it was already paid, within its stake cap (at most its stake
//! per 365-day period; the rest stays claimable later) and never above total credit.

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::SolEvent;
use stylus_sdk::prelude::*;
use yellowstone_protocol::{abi::*, merkle, time::period_index};

use yellowstone_stylus_kit::emit;

use crate::{
    errors::{add, ComputeError, Word},
    store::*,
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
        if !self.get(PAUSED).is_zero() {
            return Err(EnforcedPause {}.into());
        }
        if self.get(EPOCH).is_zero() {
            return Err(NoEpoch {}.into());
        }
        let leaf = merkle::leaf_hash(provider, cumulative_earned, cumulative_bootstrap);
        if !merkle::verify(proof, B256::from(self.get(ROOT)), leaf) {
            return Err(InvalidProof { provider }.into());
        }
        let r = record(provider);
        if !self.registered(r) {
            return Err(NotRegistered { provider }.into());
        }
        let cumulative = add(cumulative_earned, cumulative_bootstrap)?;
        let claimed = self.get(r.at(CLAIMED));
        if cumulative <= claimed {
            return Err(NothingToClaim {
                provider,
                cumulative,
                claimed,
            }
            .into());
        }
        let owed = cumulative - claimed;
        let books = self.period_books(r);
        let stake = self.get(r.at(STAKE));
        let remaining = stake.saturating_sub(books.paid);
        if remaining.is_zero() {
            return Err(StakeCapReached {
                provider,
                paidThisPeriod: books.paid,
                stake,
            }
            .into());
        }
        let amount = owed.min(remaining);
        let total_claimed = add(self.get(TOTAL_CLAIMED), amount)?;
        let total_credited = add(
            self.get(CUMULATIVE_CREDITED),
            self.get(CUMULATIVE_BOOTSTRAP),
        )?;
        if total_claimed > total_credited {
            return Err(ClaimExceedsCredit {
                totalClaimed: total_claimed,
                totalCredited: total_credited,
            }
            .into());
        }

        self.set(r.at(CLAIMED), claimed + amount)?;
        self.set(r.at(EARNED), cumulative)?;
        self.set(r.at(PAID_IN_PERIOD), books.paid + amount)?;
        if books.rolled {
            self.set_u64(r.at(CAP_PERIOD), books.period);
            self.set(r.at(ADDED_IN_PERIOD), U256::ZERO)?;
        }
        self.set(TOTAL_CLAIMED, total_claimed)?;
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
        let r = record(provider);
        self.get(r.at(STAKE))
            .saturating_sub(self.period_books(r).paid)
    }

    /// The books of the provider of `r` for its current stake-cap period (periods count from
    /// its registration): what it was paid and what it added to its stake in it, both zero
    /// once a new period has begun.
    pub(crate) fn period_books(&self, r: Record) -> PeriodBooks {
        let origin = self.get_u64(r.at(REGISTERED_AT));
        let period = period_index(origin, self.now());
        if self.get_u64(r.at(CAP_PERIOD)) == period {
            PeriodBooks {
                period,
                origin,
                rolled: false,
                paid: self.get(r.at(PAID_IN_PERIOD)),
                added: self.get(r.at(ADDED_IN_PERIOD)),
            }
        } else {
            PeriodBooks {
                period,
                origin,
                rolled: true,
                paid: U256::ZERO,
                added: U256::ZERO,
            }
        }
    }
}

/// A provider's books for its current stake-cap period.
pub(crate) struct PeriodBooks {
    /// The period's index, counted from the registration.
    pub period: u64,
    /// The registration time: period `n` ends at `origin + (n + 1) * 365 days`.
    pub origin: u64,
    /// Whether the stored books are of an earlier period (so this one starts from zero).
    pub rolled: bool,
    /// Wei paid in the period.
    pub paid: U256,
    /// Stake added in the period and still staked.
    pub added: U256,
}
