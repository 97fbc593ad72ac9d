//! The owner's powers, and their limits: authorise and revoke router keys, pause and unpause
//! commits and claims, hand ownership over in two steps. Nothing here can move MOR.

use alloy_primitives::Address;
use stylus_sdk::prelude::*;
use yellowstone_protocol::abi::*;

use crate::{errors::ComputeError, YellowstoneCompute};

impl YellowstoneCompute {
    fn only_owner(&self) -> Result<(), ComputeError> {
        let caller = self.vm().msg_sender();
        if caller != self.owner.get() {
            return Err(NotOwner { caller }.into());
        }
        Ok(())
    }

    pub(crate) fn set_router(&mut self, router: Address, authorized: bool) -> Result<(), ComputeError> {
        self.only_owner()?;
        if router.is_zero() {
            return Err(ZeroAddress { what: "router".into() }.into());
        }
        match (self.routers.get(router), authorized) {
            (true, true) => return Err(RouterAlreadyAuthorized { router }.into()),
            (false, false) => return Err(UnknownRouter { router }.into()),
            _ => {}
        }
        self.routers.setter(router).set(authorized);
        if authorized {
            self.vm().log(RouterAuthorized { router });
        } else {
            self.vm().log(RouterRevoked { router });
        }
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
        if paused {
            self.vm().log(Paused { account });
        } else {
            self.vm().log(Unpaused { account });
        }
        Ok(())
    }

    pub(crate) fn offer_ownership(&mut self, new_owner: Address) -> Result<(), ComputeError> {
        self.only_owner()?;
        self.pending_owner.set(new_owner);
        self.vm().log(OwnershipTransferStarted { previousOwner: self.owner.get(), newOwner: new_owner });
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
        self.vm().log(OwnershipTransferred { previousOwner: previous, newOwner: caller });
        Ok(())
    }
}
