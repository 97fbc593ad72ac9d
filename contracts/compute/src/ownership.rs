//! The owner's powers, and their limits: authorise and revoke router keys, pause and unpause
//! commits and claims, hand ownership over in two steps (the kit's [`Ownable`] over this
//! contract's slots, errors and events). Nothing here can move MOR.

use alloy_primitives::{Address, U256};
use alloy_sol_types::SolEvent;
use stylus_sdk::prelude::*;
use yellowstone_protocol::abi::*;
use yellowstone_stylus_kit::{emit, Field, Ownable, OwnershipEvents, Refusal, Storage};

use crate::{
    errors::{ComputeError, Word},
    store, YellowstoneCompute,
};

impl Ownable for YellowstoneCompute {
    const OWNER: Field = store::OWNER;
    const PENDING_OWNER: Field = store::PENDING_OWNER;
    const PAUSED: Field = store::PAUSED;
    const EVENTS: OwnershipEvents = OwnershipEvents {
        transfer_started: OwnershipTransferStarted::SIGNATURE_HASH,
        transferred: OwnershipTransferred::SIGNATURE_HASH,
        paused: Paused::SIGNATURE_HASH,
        unpaused: Unpaused::SIGNATURE_HASH,
    };

    fn refuse(refusal: Refusal) -> ComputeError {
        match refusal {
            Refusal::NotOwner(caller) => NotOwner { caller }.into(),
            Refusal::NotPendingOwner(caller) => NotPendingOwner { caller }.into(),
            Refusal::EnforcedPause => EnforcedPause {}.into(),
            Refusal::ExpectedPause => ExpectedPause {}.into(),
        }
    }
}

impl YellowstoneCompute {
    pub(crate) fn set_router(
        &mut self,
        router: Address,
        authorized: bool,
    ) -> Result<(), ComputeError> {
        self.only_owner()?;
        if router.is_zero() {
            return Err(ZeroAddress {}.into());
        }
        let flag = store::router(router);
        match (!self.get(flag).is_zero(), authorized) {
            (true, true) => return Err(RouterAlreadyAuthorized { router }.into()),
            (false, false) => return Err(UnknownRouter { router }.into()),
            _ => {}
        }
        self.set(flag, U256::from(authorized as u8))?;
        let event = if authorized {
            RouterAuthorized::SIGNATURE_HASH
        } else {
            RouterRevoked::SIGNATURE_HASH
        };
        emit(self.vm(), &[event, router.word()], &[]);
        Ok(())
    }
}
