//! # yellowstone-example-counter
//!
//! A counter with an owner, written as stylus-sdk 0.10's examples are: the program the devnet
//! deploys through `StylusDeployer` the way `cargo stylus deploy` does
//! (`devnet/tests/it/stylus_deployer.rs`). It is not part of Yellowstone.
//!
//! - The **constructor** `constructor(address owner, uint256 start)` is payable: it records the
//!   owner, the starting number and the value it received (`endowment`, the deployer's
//!   `initValue`). It refuses the zero owner with `ZeroOwner()`, so a deployment can be made to
//!   fail in its constructor. stylus-sdk runs it at most once.
//! - `increment()` is open to anyone and returns the new number; `setNumber(uint256)` is the
//!   owner's only, `NotOwner(address)` otherwise.
#![cfg_attr(not(any(test, feature = "export-abi")), no_main)]
#![cfg_attr(
    all(target_arch = "wasm32", not(any(test, feature = "export-abi"))),
    no_std
)]
// stylus-sdk's macros add undocumented public functions to the crate root, and a lint level
// reaches generated items only from an enclosing module: here, the root.
#![allow(missing_docs)]

extern crate alloc;

/// A panic in a contract traps, which reverts the call: no message to build or print.
#[cfg(all(target_arch = "wasm32", not(any(test, feature = "export-abi"))))]
#[panic_handler]
fn panic(_info: &core::panic::PanicInfo<'_>) -> ! {
    core::arch::wasm32::unreachable()
}

use alloc::{vec, vec::Vec};

use alloy_primitives::{Address, U256};
use alloy_sol_types::sol;
use stylus_sdk::{prelude::*, storage::*};

sol! {
    /// The constructor was given the zero address as owner.
    #[derive(Debug)]
    error ZeroOwner();
    /// `caller` is not the owner.
    #[derive(Debug)]
    error NotOwner(address caller);
    /// The number is `type(uint256).max` and cannot be incremented.
    #[derive(Debug)]
    error NumberOverflow();
}

/// Why a call reverted, as ABI-encoded revert data.
#[derive(SolidityError, Debug)]
pub enum CounterError {
    /// See [`ZeroOwner`].
    ZeroOwner(ZeroOwner),
    /// See [`NotOwner`].
    NotOwner(NotOwner),
    /// See [`NumberOverflow`].
    NumberOverflow(NumberOverflow),
}

/// The counter's storage.
#[storage]
#[entrypoint]
pub struct Counter {
    /// Who may set the number.
    owner: StorageAddress,
    /// The number.
    number: StorageU256,
    /// The wei the constructor received.
    endowment: StorageU256,
}

#[public]
impl Counter {
    /// Sets the owner and the starting number, and records the value sent with the call.
    /// Reverts with `ZeroOwner()` if `owner` is zero.
    #[constructor]
    #[payable]
    pub fn constructor(&mut self, owner: Address, start: U256) -> Result<(), CounterError> {
        if owner.is_zero() {
            return Err(CounterError::ZeroOwner(ZeroOwner {}));
        }
        let value = self.vm().msg_value();
        self.owner.set(owner);
        self.number.set(start);
        self.endowment.set(value);
        Ok(())
    }

    /// The owner.
    pub fn owner(&self) -> Address {
        self.owner.get()
    }

    /// The number.
    pub fn number(&self) -> U256 {
        self.number.get()
    }

    /// The wei the constructor received.
    pub fn endowment(&self) -> U256 {
        self.endowment.get()
    }

    /// Adds one to the number and returns it. Reverts with `NumberOverflow()` at the maximum.
    pub fn increment(&mut self) -> Result<U256, CounterError> {
        let next = self
            .number
            .get()
            .checked_add(U256::from(1))
            .ok_or(CounterError::NumberOverflow(NumberOverflow {}))?;
        self.number.set(next);
        Ok(next)
    }

    /// Sets the number. Reverts with `NotOwner(caller)` unless the caller is the owner.
    pub fn set_number(&mut self, number: U256) -> Result<(), CounterError> {
        let caller = self.vm().msg_sender();
        if caller != self.owner.get() {
            return Err(CounterError::NotOwner(NotOwner { caller }));
        }
        self.number.set(number);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use alloy_primitives::{address, U256};
    use stylus_sdk::testing::*;

    use super::*;

    const OWNER: Address = address!("00000000000000000000000000000000000000aa");
    const OTHER: Address = address!("00000000000000000000000000000000000000bb");

    fn deployed(value: u64) -> (TestVM, Counter) {
        let vm = TestVM::default();
        vm.set_value(U256::from(value));
        let mut counter = Counter::from(&vm);
        counter.constructor(OWNER, U256::from(41)).unwrap();
        (vm, counter)
    }

    #[test]
    fn the_constructor_records_owner_start_and_value() {
        let (_, counter) = deployed(7);
        assert_eq!(counter.owner(), OWNER);
        assert_eq!(counter.number(), U256::from(41));
        assert_eq!(counter.endowment(), U256::from(7));
    }

    #[test]
    fn the_constructor_refuses_the_zero_owner() {
        let vm = TestVM::default();
        let mut counter = Counter::from(&vm);
        let err = counter
            .constructor(Address::ZERO, U256::from(1))
            .unwrap_err();
        assert!(matches!(err, CounterError::ZeroOwner(_)));
        assert_eq!(counter.owner(), Address::ZERO);
    }

    #[test]
    fn anyone_increments() {
        let (vm, mut counter) = deployed(0);
        vm.set_sender(OTHER);
        assert_eq!(counter.increment().unwrap(), U256::from(42));
        assert_eq!(counter.number(), U256::from(42));
    }

    #[test]
    fn increment_refuses_to_wrap() {
        let (vm, mut counter) = deployed(0);
        vm.set_sender(OWNER);
        counter.set_number(U256::MAX).unwrap();
        assert!(matches!(
            counter.increment().unwrap_err(),
            CounterError::NumberOverflow(_)
        ));
        assert_eq!(counter.number(), U256::MAX);
    }

    #[test]
    fn only_the_owner_sets_the_number() {
        let (vm, mut counter) = deployed(0);
        vm.set_sender(OTHER);
        match counter.set_number(U256::from(5)).unwrap_err() {
            CounterError::NotOwner(e) => assert_eq!(e.caller, OTHER),
            other => panic!("{other:?}"),
        }
        vm.set_sender(OWNER);
        counter.set_number(U256::from(5)).unwrap();
        assert_eq!(counter.number(), U256::from(5));
    }
}
