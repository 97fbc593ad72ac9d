//! Deployment and the owner's powers, and their limits: set the four parameters inside hard
//! bounds, pause and unpause deposits and harvests, hand ownership over in two steps (the pool
//! bootstrap is in `harvest.rs`). Nothing here moves principal, emission or LP tokens.

use alloy_primitives::{Address, U256};
use alloy_sol_types::SolEvent;
use stylus_sdk::prelude::*;
use yellowstone_protocol::capital::{abi::*, params};

use crate::{
    calls::{TOKEN0, TOKEN1},
    errors::{CapitalError, Word},
    events::emit,
    store::*,
    YellowstoneCapital,
};

impl YellowstoneCapital {
    pub(crate) fn init(
        &mut self,
        addresses: [Address; 6],
        mints_native: bool,
        payout_start: u64,
        interval: u64,
        amounts: [U256; 4],
        price_bounds: [U256; 2],
    ) -> Result<(), CapitalError> {
        if addresses.iter().any(|a| a.is_zero()) {
            return Err(ZeroAddress {}.into());
        }
        let [st_eth, wst_eth, native, pair, compute, owner] = addresses;
        let places = [ST_ETH, WST_ETH, NATIVE, PAIR, COMPUTE, OWNER];
        for (place, address) in places.into_iter().zip(addresses) {
            self.set_address(place, address);
        }
        let (token0, token1) = (self.pair_token(TOKEN0)?, self.pair_token(TOKEN1)?);
        if !(token0 == wst_eth && token1 == native || token0 == native && token1 == wst_eth) {
            return Err(PairMismatch { pair }.into());
        }
        self.set_bool(WST_IS_TOKEN0, token0 == wst_eth);
        self.set_bool(MINTS_NATIVE, mints_native);
        self.set_u64(PAYOUT_START, payout_start);
        self.set_u64(INTERVAL, interval);
        let places = [
            CAPITAL_INITIAL,
            CAPITAL_DECREASE,
            COMPUTE_INITIAL,
            COMPUTE_DECREASE,
        ];
        for (place, amount) in places.into_iter().zip(amounts) {
            self.set(place, amount)?;
        }
        self.set(MIN_BOOTSTRAP_PRICE, price_bounds[0])?;
        self.set(MAX_BOOTSTRAP_PRICE, price_bounds[1])?;
        let start = self.now().max(payout_start);
        self.set_u64(LAST_ACCRUAL, start);
        self.set_u64(COMPUTE_LAST, start);
        let defaults = params::Parameters::DEFAULT;
        self.set_u64(MIN_LOCK, defaults.min_lock);
        self.set_u64(TWAP_WINDOW, defaults.twap_window);
        self.set_u64(MAX_DEVIATION_BPS, defaults.max_deviation_bps.into());
        self.set_u64(SLIPPAGE_BPS, defaults.slippage_bps.into());
        emit(
            self.vm(),
            &[
                OwnershipTransferred::SIGNATURE_HASH,
                Address::ZERO.word(),
                owner.word(),
            ],
            &[],
        );
        emit(
            self.vm(),
            &[Initialized::SIGNATURE_HASH, st_eth.word()],
            &[
                wst_eth.word(),
                native.word(),
                pair.word(),
                compute.word(),
                mints_native.word(),
            ],
        );
        Ok(())
    }

    pub(crate) fn only_owner(&self) -> Result<(), CapitalError> {
        let caller = self.vm().msg_sender();
        if caller != self.get_address(OWNER) {
            return Err(NotOwner { caller }.into());
        }
        Ok(())
    }

    /// [`EnforcedPause`] while paused.
    pub(crate) fn when_not_paused(&self) -> Result<(), CapitalError> {
        if self.get_bool(PAUSED) {
            return Err(EnforcedPause {}.into());
        }
        Ok(())
    }

    pub(crate) fn set_params(
        &mut self,
        min_lock: u64,
        twap_window: u64,
        max_deviation_bps: u16,
        slippage_bps: u16,
    ) -> Result<(), CapitalError> {
        self.only_owner()?;
        params::Parameters {
            min_lock,
            twap_window,
            max_deviation_bps,
            slippage_bps,
        }
        .check()?;
        let values = [
            min_lock,
            twap_window,
            max_deviation_bps.into(),
            slippage_bps.into(),
        ];
        let places = [MIN_LOCK, TWAP_WINDOW, MAX_DEVIATION_BPS, SLIPPAGE_BPS];
        for (place, value) in places.into_iter().zip(values) {
            self.set_u64(place, value);
        }
        emit(
            self.vm(),
            &[ParametersChanged::SIGNATURE_HASH],
            &[
                min_lock.word(),
                twap_window.word(),
                max_deviation_bps.word(),
                slippage_bps.word(),
            ],
        );
        Ok(())
    }

    pub(crate) fn set_paused(&mut self, paused: bool) -> Result<(), CapitalError> {
        self.only_owner()?;
        match (self.get_bool(PAUSED), paused) {
            (true, true) => return Err(EnforcedPause {}.into()),
            (false, false) => return Err(ExpectedPause {}.into()),
            _ => {}
        }
        self.set_bool(PAUSED, paused);
        let account = self.vm().msg_sender();
        let event = if paused {
            Paused::SIGNATURE_HASH
        } else {
            Unpaused::SIGNATURE_HASH
        };
        emit(self.vm(), &[event, account.word()], &[]);
        Ok(())
    }

    pub(crate) fn offer_ownership(&mut self, new_owner: Address) -> Result<(), CapitalError> {
        self.only_owner()?;
        self.set_address(PENDING_OWNER, new_owner);
        let owner = self.get_address(OWNER);
        emit(
            self.vm(),
            &[
                OwnershipTransferStarted::SIGNATURE_HASH,
                owner.word(),
                new_owner.word(),
            ],
            &[],
        );
        Ok(())
    }

    pub(crate) fn take_ownership(&mut self) -> Result<(), CapitalError> {
        let caller = self.vm().msg_sender();
        if caller != self.get_address(PENDING_OWNER) || caller.is_zero() {
            return Err(NotPendingOwner { caller }.into());
        }
        let previous = self.get_address(OWNER);
        self.set_address(OWNER, caller);
        self.set_address(PENDING_OWNER, Address::ZERO);
        emit(
            self.vm(),
            &[
                OwnershipTransferred::SIGNATURE_HASH,
                previous.word(),
                caller.word(),
            ],
            &[],
        );
        Ok(())
    }
}
