//! # yellowstone-stylus-kit
//!
//! What the Yellowstone Stylus contracts (`yellowstone-compute`, `yellowstone-capital`) share
//! below their rules: the mechanisms, never a contract's slots, selectors or errors.
//!
//! - [`abi`]: one static ABI word per value ([`Word`]), `prefix ++ words` encoding
//!   ([`abi_words`]), event logs ([`emit`]), and [`sol_errors!`], a contract's error enum with
//!   its revert data written by that one encoder;
//! - [`store`]: packed fields of storage words ([`Field`]) and their accessors ([`Storage`]);
//! - [`args`]: the compact router's calldata decoder ([`Args`]) and return helpers;
//! - [`ownership`]: two-step ownership and pause ([`Ownable`]);
//! - [`contract_root!`]: the crate-root boilerplate (panic handler, top-level storage);
//! - `export` (feature `export-abi`): the Solidity and JSON ABI export.
//!
//! Everything here is generic, macro-generated in the contract, or `#[inline]` (small
//! non-generic functions: without the hint, LTO inlined them across the crate boundary less
//! readily than in-crate code, about 1 KB compressed per contract), so each contract compiles to
//! the code it had when it carried its own copy: same ABI, storage, revert data and events.
#![cfg_attr(not(feature = "export-abi"), no_std)]

extern crate alloc;

pub mod abi;
pub mod args;
#[cfg(feature = "export-abi")]
pub mod export;
pub mod ownership;
pub mod store;

pub use abi::{abi_words, emit, Sample, Word};
pub use args::{done, ret, Args};
pub use ownership::{Ownable, OwnershipEvents, Refusal};
pub use store::{field, mapped, Field, Loc, Place, Record, Storage};

/// Re-exported for the macros' expansions in the contracts.
#[doc(hidden)]
pub use {alloy_sol_types, stylus_sdk};

/// The crate-root items every contract needs: a panic handler that traps (which reverts the
/// call, with no message to build) on the deployed Wasm, and the `TopLevelStorage` declaration
/// for `$contract`, whose storage is the whole of the program's (what `#[entrypoint]` on the
/// struct would declare; the compact router is the entry point instead).
#[macro_export]
macro_rules! contract_root {
    ($contract:ty) => {
        /// A panic in a contract traps, which reverts the call: no message to build or print.
        #[cfg(all(target_arch = "wasm32", not(any(test, feature = "export-abi"))))]
        #[panic_handler]
        fn panic(_info: &core::panic::PanicInfo<'_>) -> ! {
            core::arch::wasm32::unreachable()
        }

        // SAFETY: the contract's storage is the whole of the program's storage: nothing else
        // derives slots from it.
        unsafe impl $crate::stylus_sdk::stylus_core::storage::TopLevelStorage for $contract {}
    };
}
