//! Capital providers: deposits, withdrawals and claims, and the per-second accrual of the capital
//! bucket's emission into a reward-per-share accumulator (the remainder carried, so no wei is
//! lost; emission while nothing is deposited kept for the compute contract).

use alloy_primitives::{Address, U256};
use alloy_sol_types::SolEvent;
use stylus_sdk::prelude::*;
use yellowstone_protocol::capital::{abi::*, backing, lock, rewards};

use yellowstone_stylus_kit::{emit, Ownable};

use crate::{
    errors::{add, sub, CapitalError, OrOverflow, Word},
    store::*,
    YellowstoneCapital,
};

/// The capital bucket's books, accrued to some instant.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Accrual {
    pub(crate) acc: U256,
    carry: U256,
    pub(crate) distributed: U256,
    pub(crate) kept: U256,
}

impl YellowstoneCapital {
    /// The capital bucket's books accrued from the last accrual to now, without writing them.
    pub(crate) fn accrued(&self) -> Result<Accrual, CapitalError> {
        let mut a = Accrual {
            acc: self.get(ACC),
            carry: self.get(CARRY),
            distributed: self.get(DISTRIBUTED),
            kept: self.get(KEPT),
        };
        let reward = self
            .bucket(false)
            .reward(self.get_u64(LAST_ACCRUAL), self.now());
        if reward.is_zero() {
            return Ok(a);
        }
        let principal = self.get(TOTAL_PRINCIPAL);
        if principal.is_zero() {
            a.kept = add(a.kept, reward)?;
        } else {
            (a.acc, a.carry) =
                rewards::accumulate(a.acc, a.carry, reward, principal).or_overflow()?;
            a.distributed = add(a.distributed, reward)?;
        }
        Ok(a)
    }

    /// Accrues the capital bucket to now: the accumulator every position settles against.
    pub(crate) fn accrue(&mut self) -> Result<Accrual, CapitalError> {
        let now = self.now();
        if now <= self.get_u64(LAST_ACCRUAL) {
            return self.accrued();
        }
        let a = self.accrued()?;
        self.set(ACC, a.acc)?;
        self.set(CARRY, a.carry)?;
        self.set(DISTRIBUTED, a.distributed)?;
        self.set(KEPT, a.kept)?;
        self.set_u64(LAST_ACCRUAL, now);
        Ok(a)
    }

    /// What the position `r` is owed at accumulator `acc`.
    fn owed_at(&self, r: Record, acc: U256) -> Result<U256, CapitalError> {
        let earned = rewards::earned(self.get(r.at(PRINCIPAL)), acc, self.get(r.at(ACC_PAID)))
            .or_overflow()?;
        add(self.get(r.at(OWED)), earned)
    }

    /// Moves what the position `r` earned up to `acc` into its owed amount.
    fn settle(&mut self, r: Record, acc: U256) -> Result<(), CapitalError> {
        let owed = self.owed_at(r, acc)?;
        self.set(r.at(OWED), owed)?;
        self.set(r.at(ACC_PAID), acc)
    }

    pub(crate) fn deposit_from(&mut self, amount: U256) -> Result<(), CapitalError> {
        self.when_not_paused()?;
        if amount.is_zero() {
            return Err(ZeroAmount {}.into());
        }
        let account = self.vm().msg_sender();
        let r = position(account);
        let acc = self.accrue()?.acc;
        self.settle(r, acc)?;
        let (st_eth, this) = (self.get_address(ST_ETH), self.this());
        let before = self.balance_of(st_eth, this)?;
        self.transfer_from(st_eth, account, amount)?;
        let credited = self.balance_of(st_eth, this)?.saturating_sub(before);
        if credited.is_zero() {
            return Err(ZeroAmount {}.into());
        }
        // Under a loss, principal is taken at the under-water price (1:1 otherwise).
        let total = self.get(TOTAL_PRINCIPAL);
        let units = backing::deposit_principal(credited, before, total).or_overflow()?;
        let principal = self.get(r.at(PRINCIPAL));
        let unlock_at = lock::weighted_unlock(
            principal,
            self.get_u64(r.at(UNLOCK_AT)),
            units,
            self.now(),
            self.get_u64(MIN_LOCK),
        )
        .or_overflow()?;
        let principal = add(principal, units)?;
        self.set(r.at(PRINCIPAL), principal)?;
        self.set_u64(r.at(UNLOCK_AT), unlock_at);
        self.set(TOTAL_PRINCIPAL, add(total, units)?)?;
        emit(
            self.vm(),
            &[Deposited::SIGNATURE_HASH, account.word()],
            &[credited.word(), principal.word(), unlock_at.word()],
        );
        Ok(())
    }

    pub(crate) fn withdraw_to(&mut self, amount: U256) -> Result<(), CapitalError> {
        if amount.is_zero() {
            return Err(ZeroAmount {}.into());
        }
        let account = self.vm().msg_sender();
        let r = position(account);
        let principal = self.get(r.at(PRINCIPAL));
        if amount > principal {
            return Err(InsufficientPrincipal {
                requested: amount,
                principal,
            }
            .into());
        }
        let (unlock_at, now) = (self.get_u64(r.at(UNLOCK_AT)), self.now());
        if now < unlock_at {
            return Err(StillLocked {
                unlockAt: unlock_at,
                now,
            }
            .into());
        }
        let acc = self.accrue()?.acc;
        self.settle(r, acc)?;
        let st_eth = self.get_address(ST_ETH);
        let total = self.get(TOTAL_PRINCIPAL);
        let held = self.balance_of(st_eth, self.this())?;
        let paid = backing::withdrawal_payout(amount, held, total).or_overflow()?;
        let principal = sub(principal, amount)?;
        self.set(r.at(PRINCIPAL), principal)?;
        self.set(TOTAL_PRINCIPAL, sub(total, amount)?)?;
        if !paid.is_zero() {
            self.transfer(st_eth, account, paid)?;
        }
        emit(
            self.vm(),
            &[Withdrawn::SIGNATURE_HASH, account.word()],
            &[amount.word(), paid.word(), principal.word()],
        );
        Ok(())
    }

    pub(crate) fn claim_owed(&mut self) -> Result<U256, CapitalError> {
        let account = self.vm().msg_sender();
        let r = position(account);
        let acc = self.accrue()?.acc;
        self.settle(r, acc)?;
        let owed = self.get(r.at(OWED));
        if owed.is_zero() {
            return Err(NothingToClaim { account }.into());
        }
        self.set(r.at(OWED), U256::ZERO)?;
        self.set(PAID, add(self.get(PAID), owed)?)?;
        self.pay_native(account, owed)?;
        emit(
            self.vm(),
            &[Claimed::SIGNATURE_HASH, account.word()],
            &[owed.word()],
        );
        Ok(owed)
    }

    pub(crate) fn position_of(&self, account: Address) -> Result<(U256, u64, U256), CapitalError> {
        let r = position(account);
        let owed = self.owed_at(r, self.accrued()?.acc)?;
        Ok((
            self.get(r.at(PRINCIPAL)),
            self.get_u64(r.at(UNLOCK_AT)),
            owed,
        ))
    }

    #[allow(clippy::type_complexity)] // the ABI's seven-word tuple
    pub(crate) fn books(&self) -> Result<(U256, U256, U256, U256, U256, U256, U256), CapitalError> {
        let a = self.accrued()?;
        Ok((
            self.get(TOTAL_PRINCIPAL),
            self.balance_of(self.get_address(ST_ETH), self.this())?,
            a.distributed,
            self.get(PAID),
            a.kept,
            self.get(COMPUTE_SENT),
            self.get(COMPUTE_OWED),
        ))
    }
}
