//! Deployment and the owner's powers, and their limits: set the four parameters inside hard
//! bounds, pause and unpause deposits and harvests, hand ownership over in two steps (the pool
//! bootstrap is in `harvest.rs`; ownership and pause are the kit's [`Ownable`] over this
//! contract's slots, errors and events). Nothing here moves principal, emission or LP tokens.

use alloy_primitives::{Address, U256};
use alloy_sol_types::SolEvent;
use stylus_sdk::prelude::*;
use yellowstone_protocol::capital::{abi::*, params};

use yellowstone_stylus_kit::{emit, Ownable, OwnershipEvents, Refusal};

use crate::{
    calls::{TOKEN0, TOKEN1},
    errors::{CapitalError, Word},
    store::*,
    YellowstoneCapital,
};

impl Ownable for YellowstoneCapital {
    const OWNER: Field = OWNER;
    const PENDING_OWNER: Field = PENDING_OWNER;
    const PAUSED: Field = PAUSED;
    const EVENTS: OwnershipEvents = OwnershipEvents {
        transfer_started: OwnershipTransferStarted::SIGNATURE_HASH,
        transferred: OwnershipTransferred::SIGNATURE_HASH,
        paused: Paused::SIGNATURE_HASH,
        unpaused: Unpaused::SIGNATURE_HASH,
    };

    fn refuse(refusal: Refusal) -> CapitalError {
        match refusal {
            Refusal::NotOwner(caller) => NotOwner { caller }.into(),
            Refusal::NotPendingOwner(caller) => NotPendingOwner { caller }.into(),
            Refusal::EnforcedPause => EnforcedPause {}.into(),
            Refusal::ExpectedPause => ExpectedPause {}.into(),
        }
    }
}

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
}
