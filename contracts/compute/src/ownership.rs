//! The owner's powers, and their limits: authorise and revoke router keys, pause and unpause
//! commits and claims, hand ownership over in two steps. Nothing here can move MOR.

use alloy_primitives::Address;
use alloy_sol_types::SolEvent;
use stylus_sdk::prelude::*;
use yellowstone_protocol::abi::*;

use crate::{
    errors::{ComputeError, Word},
    events::emit,
    YellowstoneCompute,
};

impl YellowstoneCompute {
    fn only_owner(&self) -> Result<(), ComputeError> {
        let caller = self.vm().msg_sender();
        if caller != self.owner.get() {
            return Err(NotOwner { caller }.into());
        }
        Ok(())
    }

    pub(crate) fn set_router(
        &mut self,
        router: Address,
        authorized: bool,
    ) -> Result<(), ComputeError> {
        self.only_owner()?;
        if router.is_zero() {
            return Err(ZeroAddress {}.into());
        }
        match (self.routers.get(router), authorized) {
            (true, true) => return Err(RouterAlreadyAuthorized { router }.into()),
            (false, false) => return Err(UnknownRouter { router }.into()),
            _ => {}
        }
        self.routers.setter(router).set(authorized);
        let event = if authorized {
            RouterAuthorized::SIGNATURE_HASH
        } else {
            RouterRevoked::SIGNATURE_HASH
        };
        emit(self.vm(), &[event, router.word()], &[]);
        Ok(())
    }

    pub(crate) fn set_paused(&mut self, paused: bool) -> Result<(), ComputeError> {
        self.only_owner()?;
        match (self.paused.get(), paused) {
            (true, true) => return Err(EnforcedPause {}.into()),
            (false, false) => return Err(ExpectedPause {}.into()),
            _ => {}
        }
        self.paused.set(paused);
        let account = self.vm().msg_sender();
        let event = if paused {
            Paused::SIGNATURE_HASH
        } else {
            Unpaused::SIGNATURE_HASH
        };
        emit(self.vm(), &[event, account.word()], &[]);
        Ok(())
    }

    pub(crate) fn offer_ownership(&mut self, new_owner: Address) -> Result<(), ComputeError> {
        self.only_owner()?;
        self.pending_owner.set(new_owner);
        let owner = self.owner.get();
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

    pub(crate) fn take_ownership(&mut self) -> Result<(), ComputeError> {
        let caller = self.vm().msg_sender();
        if caller != self.pending_owner.get() || caller.is_zero() {
            return Err(NotPendingOwner { caller }.into());
        }
        let previous = self.owner.get();
        self.owner.set(caller);
        self.pending_owner.set(Address::ZERO);
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
