//! Two-step ownership and pause, over a contract's own slots, errors and events.
//!
//! The owner offers ownership and the offered account takes it, so a typo never hands the
//! contract to nobody; pausing and unpausing are refused when they would change nothing, so a
//! log always records a change.

use alloy_primitives::{Address, B256};
use stylus_sdk::prelude::MessageAccess;

use crate::{emit, store::Field, Storage, Word};

/// The refusals of [`Ownable`], which a contract turns into its own typed errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// `NotOwner(caller)`: an owner-only function called by someone else.
    NotOwner(Address),
    /// `NotPendingOwner(caller)`: ownership taken by someone it was not offered to.
    NotPendingOwner(Address),
    /// `EnforcedPause()`: paused (or pausing again).
    EnforcedPause,
    /// `ExpectedPause()`: unpausing what is not paused.
    ExpectedPause,
}

/// The signature hashes of the contract's ownership and pause events, OpenZeppelin's:
/// `OwnershipTransferStarted(address indexed, address indexed)`,
/// `OwnershipTransferred(address indexed, address indexed)`, `Paused(address indexed)`,
/// `Unpaused(address indexed)`.
#[derive(Clone, Copy, Debug)]
pub struct OwnershipEvents {
    /// `OwnershipTransferStarted(previousOwner, newOwner)`.
    pub transfer_started: B256,
    /// `OwnershipTransferred(previousOwner, newOwner)`.
    pub transferred: B256,
    /// `Paused(account)`.
    pub paused: B256,
    /// `Unpaused(account)`.
    pub unpaused: B256,
}

/// Ownership and pause for a contract's storage: its slots, its errors, its events.
pub trait Ownable: Storage {
    /// The owner (20 bytes).
    const OWNER: Field;
    /// The offered owner, not yet accepted (20 bytes).
    const PENDING_OWNER: Field;
    /// Whether paused (1 byte).
    const PAUSED: Field;
    /// The events' signature hashes.
    const EVENTS: OwnershipEvents;

    /// The contract's error for `refusal`.
    fn refuse(refusal: Refusal) -> Self::Error;

    /// `NotOwner` unless the caller is the owner.
    fn only_owner(&self) -> Result<(), Self::Error> {
        let caller = self.vm().msg_sender();
        if caller != self.get_address(Self::OWNER) {
            return Err(Self::refuse(Refusal::NotOwner(caller)));
        }
        Ok(())
    }

    /// `EnforcedPause` while paused.
    fn when_not_paused(&self) -> Result<(), Self::Error> {
        if self.get_bool(Self::PAUSED) {
            return Err(Self::refuse(Refusal::EnforcedPause));
        }
        Ok(())
    }

    /// Owner only: pauses or unpauses. Errors: `NotOwner`, `EnforcedPause` (already paused),
    /// `ExpectedPause` (not paused). Emits `Paused(caller)` or `Unpaused(caller)`.
    fn set_paused(&mut self, paused: bool) -> Result<(), Self::Error> {
        self.only_owner()?;
        match (self.get_bool(Self::PAUSED), paused) {
            (true, true) => return Err(Self::refuse(Refusal::EnforcedPause)),
            (false, false) => return Err(Self::refuse(Refusal::ExpectedPause)),
            _ => {}
        }
        self.set_bool(Self::PAUSED, paused);
        let account = self.vm().msg_sender();
        let events = Self::EVENTS;
        let event = if paused {
            events.paused
        } else {
            events.unpaused
        };
        emit(self.vm(), &[event, account.word()], &[]);
        Ok(())
    }

    /// Owner only: offers ownership to `new_owner` (zero withdraws an offer). Errors:
    /// `NotOwner`. Emits `OwnershipTransferStarted(owner, new_owner)`.
    fn offer_ownership(&mut self, new_owner: Address) -> Result<(), Self::Error> {
        self.only_owner()?;
        self.set_address(Self::PENDING_OWNER, new_owner);
        let owner = self.get_address(Self::OWNER);
        emit(
            self.vm(),
            &[
                Self::EVENTS.transfer_started,
                owner.word(),
                new_owner.word(),
            ],
            &[],
        );
        Ok(())
    }

    /// The offered owner only: takes ownership. Errors: `NotPendingOwner`. Emits
    /// `OwnershipTransferred(previous, caller)`.
    fn take_ownership(&mut self) -> Result<(), Self::Error> {
        let caller = self.vm().msg_sender();
        if caller != self.get_address(Self::PENDING_OWNER) || caller.is_zero() {
            return Err(Self::refuse(Refusal::NotPendingOwner(caller)));
        }
        let previous = self.get_address(Self::OWNER);
        self.set_address(Self::OWNER, caller);
        self.set_address(Self::PENDING_OWNER, Address::ZERO);
        emit(
            self.vm(),
            &[Self::EVENTS.transferred, previous.word(), caller.word()],
            &[],
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use alloc::{vec, vec::Vec};

    use alloy_primitives::U256;
    use stylus_sdk::{stylus_core::HostAccess, testing::TestVM};

    use super::*;
    use crate::field;

    struct Contract(TestVM);

    impl HostAccess for Contract {
        type Host = TestVM;
        fn vm(&self) -> &TestVM {
            &self.0
        }
    }

    impl Storage for Contract {
        type Error = Refusal;
        fn overflow() -> Refusal {
            unreachable!("ownership writes only addresses and flags")
        }
    }

    impl Ownable for Contract {
        const OWNER: Field = field(1, 0, 20);
        const PENDING_OWNER: Field = field(2, 0, 20);
        const PAUSED: Field = field(0, 0, 1);
        const EVENTS: OwnershipEvents = OwnershipEvents {
            transfer_started: B256::repeat_byte(1),
            transferred: B256::repeat_byte(2),
            paused: B256::repeat_byte(3),
            unpaused: B256::repeat_byte(4),
        };
        fn refuse(refusal: Refusal) -> Refusal {
            refusal
        }
    }

    const OWNER: Address = Address::repeat_byte(0x0a);
    const NEXT: Address = Address::repeat_byte(0x0b);

    fn deployed() -> Contract {
        let mut c = Contract(TestVM::new());
        c.set_address(Contract::OWNER, OWNER);
        c
    }

    fn as_caller(c: &Contract, caller: Address) {
        c.0.set_sender(caller);
    }

    /// Topics of the logs emitted so far.
    fn topics(c: &Contract) -> Vec<Vec<B256>> {
        c.0.get_emitted_logs().into_iter().map(|(t, _)| t).collect()
    }

    #[test]
    fn ownership_moves_only_when_the_offered_account_takes_it() {
        let mut c = deployed();
        as_caller(&c, NEXT);
        assert_eq!(c.offer_ownership(NEXT), Err(Refusal::NotOwner(NEXT)));
        as_caller(&c, OWNER);
        assert_eq!(c.offer_ownership(NEXT), Ok(()));
        assert_eq!(
            c.get_address(Contract::OWNER),
            OWNER,
            "an offer moves nothing"
        );
        assert_eq!(c.take_ownership(), Err(Refusal::NotPendingOwner(OWNER)));
        as_caller(&c, NEXT);
        assert_eq!(c.take_ownership(), Ok(()));
        assert_eq!(c.get_address(Contract::OWNER), NEXT);
        assert_eq!(c.get_address(Contract::PENDING_OWNER), Address::ZERO);
        assert_eq!(
            c.take_ownership(),
            Err(Refusal::NotPendingOwner(NEXT)),
            "an offer is taken once"
        );
        assert_eq!(
            topics(&c),
            [
                vec![B256::repeat_byte(1), OWNER.word(), NEXT.word()],
                vec![B256::repeat_byte(2), OWNER.word(), NEXT.word()],
            ]
        );
    }

    #[test]
    fn nobody_takes_an_unoffered_contract_not_even_the_zero_address() {
        let mut c = deployed();
        as_caller(&c, Address::ZERO);
        assert_eq!(
            c.take_ownership(),
            Err(Refusal::NotPendingOwner(Address::ZERO))
        );
    }

    #[test]
    fn pause_is_the_owners_and_refuses_what_would_change_nothing() {
        let mut c = deployed();
        as_caller(&c, NEXT);
        assert_eq!(c.set_paused(true), Err(Refusal::NotOwner(NEXT)));
        as_caller(&c, OWNER);
        assert_eq!(c.when_not_paused(), Ok(()));
        assert_eq!(c.set_paused(false), Err(Refusal::ExpectedPause));
        assert_eq!(c.set_paused(true), Ok(()));
        assert_eq!(c.when_not_paused(), Err(Refusal::EnforcedPause));
        assert_eq!(c.set_paused(true), Err(Refusal::EnforcedPause));
        assert_eq!(c.get(Contract::PAUSED), U256::from(1));
        assert_eq!(c.set_paused(false), Ok(()));
        assert_eq!(c.when_not_paused(), Ok(()));
        assert_eq!(
            topics(&c),
            [
                vec![B256::repeat_byte(3), OWNER.word()],
                vec![B256::repeat_byte(4), OWNER.word()],
            ]
        );
    }
}
