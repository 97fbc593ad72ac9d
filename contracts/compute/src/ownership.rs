//! The owner's powers, and their limits: authorise and revoke router keys, pause and unpause
//! commits and claims, hand ownership over in two steps. Nothing here can move MOR.

use alloy_primitives::{Address, U256};
use alloy_sol_types::SolEvent;
use stylus_sdk::prelude::*;
use yellowstone_protocol::abi::*;

use crate::{
    errors::{ComputeError, Word},
    events::emit,
    store::{self, OWNER, PAUSED, PENDING_OWNER},
    YellowstoneCompute,
};

impl YellowstoneCompute {
    fn only_owner(&self) -> Result<(), ComputeError> {
        let caller = self.vm().msg_sender();
        if caller != self.get_address(OWNER) {
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

    pub(crate) fn set_paused(&mut self, paused: bool) -> Result<(), ComputeError> {
        self.only_owner()?;
        match (!self.get(PAUSED).is_zero(), paused) {
            (true, true) => return Err(EnforcedPause {}.into()),
            (false, false) => return Err(ExpectedPause {}.into()),
            _ => {}
        }
        self.set(PAUSED, U256::from(paused as u8))?;
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

    pub(crate) fn take_ownership(&mut self) -> Result<(), ComputeError> {
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
