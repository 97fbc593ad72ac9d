//! The native token going out: claims (minted, or paid from the reserve) and the compute
//! bucket's emission forwarded to the compute contract's `fund`, where a refusal is remembered
//! and retried, never lost and never minted twice.

use alloy_primitives::{Address, U256};
use alloy_sol_types::SolEvent;
use stylus_sdk::prelude::*;
use yellowstone_protocol::capital::abi::*;

use yellowstone_stylus_kit::emit;

use crate::{
    errors::{add, sub, CapitalError, Word},
    store::*,
    YellowstoneCapital,
};

impl YellowstoneCapital {
    /// [`ReserveShort`] unless the reserve (the native balance less what a harvest carries)
    /// holds `needed`.
    fn check_reserve(&self, native: Address, needed: U256) -> Result<(), CapitalError> {
        let held = self.balance_of(native, self.this())?;
        let available = held.saturating_sub(self.get(CARRIED_NATIVE));
        if available < needed {
            return Err(ReserveShort { needed, available }.into());
        }
        Ok(())
    }

    /// Pays `amount` of the native token to `to`: minted in mint mode, else from the reserve.
    pub(crate) fn pay_native(&mut self, to: Address, amount: U256) -> Result<(), CapitalError> {
        let native = self.get_address(NATIVE);
        if self.get_bool(MINTS_NATIVE) {
            return self.mint_native(native, to, amount);
        }
        self.check_reserve(native, amount)?;
        self.transfer(native, to, amount)
    }

    pub(crate) fn forward_compute(&mut self) -> Result<U256, CapitalError> {
        let kept = self.accrue()?.kept;
        let now = self.now();
        let last = self.get_u64(COMPUTE_LAST);
        let mut fresh = self.bucket(true).reward(last, now);
        if now > last {
            self.set_u64(COMPUTE_LAST, now);
        }
        fresh = add(fresh, sub(kept, self.get(KEPT_ROUTED))?)?;
        self.set(KEPT_ROUTED, kept)?;
        let amount = add(self.get(COMPUTE_OWED), fresh)?;
        if amount.is_zero() {
            return Ok(U256::ZERO);
        }
        let native = self.get_address(NATIVE);
        let this = self.this();
        if !self.get_bool(MINTS_NATIVE) {
            self.check_reserve(native, amount)?;
        } else if !fresh.is_zero() {
            // Minted once, when first taken up: a retry sends what is already held.
            self.mint_native(native, this, fresh)?;
        }
        let compute = self.get_address(COMPUTE);
        self.approve(native, compute, amount)?;
        if self.fund(compute, amount) {
            self.set(COMPUTE_SENT, add(self.get(COMPUTE_SENT), amount)?)?;
            self.set(COMPUTE_OWED, U256::ZERO)?;
            emit(
                self.vm(),
                &[ComputeFunded::SIGNATURE_HASH],
                &[amount.word()],
            );
            Ok(amount)
        } else {
            self.approve(native, compute, U256::ZERO)?;
            self.set(COMPUTE_OWED, amount)?;
            emit(
                self.vm(),
                &[ComputeFundingFailed::SIGNATURE_HASH],
                &[amount.word()],
            );
            Ok(U256::ZERO)
        }
    }
}
