//! # yellowstone-mor-token
//!
//! A standard ERC-20 Stylus contract, a test fixture for the devnet tests that need a Stylus
//! token (the devnet deploys MOR as an EVM ERC-20, `contracts/mor-erc20`, as on Arbitrum;
//! production uses the MOR token Morpheus has deployed). It behaves as OpenZeppelin's `ERC20`
//! (v5) does:
//!
//! - `transfer`, `transferFrom` and `approve` return `true` on success and revert otherwise,
//!   with OpenZeppelin's ERC-6093 errors (see [`abi`]); a transfer of zero is allowed;
//! - `Transfer` and `Approval` events; `transferFrom` spends allowance without an `Approval`
//!   event, and an allowance of `type(uint256).max` is infinite (never decreased);
//! - the storage layout is OpenZeppelin's: balances in slot 0, allowances in slot 1, the total
//!   supply in slot 2.
//!
//! **Minting happens only in the constructor**, which gives `amountEach` to every holder (the
//! devnet passes its development accounts). There is no other mint path, and no burn, owner or
//! pause: the token is a fixed test fixture, so its supply is whatever the deployment set and
//! nothing after deployment can change it, which is what the compute contract's tests and the
//! demo rely on. (stylus-sdk refuses to run a constructor twice.)
#![cfg_attr(not(any(test, feature = "export-abi")), no_main)]
#![cfg_attr(
    all(target_arch = "wasm32", not(any(test, feature = "export-abi"))),
    no_std
)]
// stylus-sdk's macros add undocumented public functions to the crate root (`#[entrypoint]`'s
// `user_entrypoint` outside stylus-test builds, `#[public]`'s `print_from_args` with export-abi),
// and a lint level reaches generated items only from an enclosing module: here, the root.
#![allow(missing_docs)]

extern crate alloc;

/// A panic in a contract traps, which reverts the call: no message to build or print.
#[cfg(all(target_arch = "wasm32", not(any(test, feature = "export-abi"))))]
#[panic_handler]
fn panic(_info: &core::panic::PanicInfo<'_>) -> ! {
    core::arch::wasm32::unreachable()
}

pub mod abi;
pub mod errors;

use alloc::{string::String, vec, vec::Vec};

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::SolEvent;
use stylus_sdk::{prelude::*, storage::*, stylus_core::host::RawLogAccess};

use abi::*;
pub use errors::MorError;

/// The token's name.
pub const NAME: &str = "Morpheus (devnet)";
/// The token's symbol.
pub const SYMBOL: &str = "MOR";
/// The token's decimals.
pub const DECIMALS: u8 = 18;

/// The token's storage, in OpenZeppelin `ERC20`'s slot order.
#[storage]
#[entrypoint]
pub struct MorToken {
    /// Each account's balance in wei.
    balances: StorageMap<Address, StorageU256>,
    /// `allowances[owner][spender]`: what `spender` may still move from `owner`.
    allowances: StorageMap<Address, StorageMap<Address, StorageU256>>,
    /// The sum of all balances.
    total_supply: StorageU256,
}

#[public]
impl MorToken {
    /// Mints `amount_each` to every one of `holders` (a holder listed twice gets it twice).
    /// Reverts with `ERC20InvalidReceiver(0)` for a zero holder and `Panic(0x11)` if the
    /// total supply would overflow. The only mint path.
    #[constructor]
    pub fn constructor(
        &mut self,
        holders: Vec<Address>,
        amount_each: U256,
    ) -> Result<(), MorError> {
        for holder in holders {
            if holder.is_zero() {
                return Err(ERC20InvalidReceiver { receiver: holder }.into());
            }
            self.update(Address::ZERO, holder, amount_each)?;
        }
        Ok(())
    }

    /// The token's name, "Morpheus (devnet)".
    pub fn name(&self) -> String {
        NAME.into()
    }

    /// The token's symbol, "MOR".
    pub fn symbol(&self) -> String {
        SYMBOL.into()
    }

    /// 18: amounts are in wei of MOR.
    pub fn decimals(&self) -> u8 {
        DECIMALS
    }

    /// The sum of all balances.
    pub fn total_supply(&self) -> U256 {
        self.total_supply.get()
    }

    /// The balance of `account`.
    pub fn balance_of(&self, account: Address) -> U256 {
        self.balances.get(account)
    }

    /// What `spender` may still move from `owner`'s balance.
    pub fn allowance(&self, owner: Address, spender: Address) -> U256 {
        self.allowances.getter(owner).get(spender)
    }

    /// Moves `value` from the caller to `to`; returns `true`.
    pub fn transfer(&mut self, to: Address, value: U256) -> Result<bool, MorError> {
        let from = self.vm().msg_sender();
        self.move_tokens(from, to, value)?;
        Ok(true)
    }

    /// Sets the caller's allowance for `spender` to `value` (replacing the previous one);
    /// returns `true`.
    pub fn approve(&mut self, spender: Address, value: U256) -> Result<bool, MorError> {
        let owner = self.vm().msg_sender();
        self.set_allowance(owner, spender, value)?;
        emit(
            self,
            &[
                Approval::SIGNATURE_HASH,
                owner.into_word(),
                spender.into_word(),
            ],
            value,
        );
        Ok(true)
    }

    /// Moves `value` from `from` to `to`, spending the caller's allowance from `from` (unless
    /// it is infinite, `type(uint256).max`); returns `true`.
    pub fn transfer_from(
        &mut self,
        from: Address,
        to: Address,
        value: U256,
    ) -> Result<bool, MorError> {
        let spender = self.vm().msg_sender();
        let allowance = self.allowance(from, spender);
        if allowance != U256::MAX {
            if allowance < value {
                return Err(ERC20InsufficientAllowance {
                    spender,
                    allowance,
                    needed: value,
                }
                .into());
            }
            self.set_allowance(from, spender, allowance - value)?;
        }
        self.move_tokens(from, to, value)?;
        Ok(true)
    }
}

impl MorToken {
    /// OpenZeppelin's `_transfer`: refuses the zero address at either end, then moves.
    fn move_tokens(&mut self, from: Address, to: Address, value: U256) -> Result<(), MorError> {
        if from.is_zero() {
            return Err(ERC20InvalidSender { sender: from }.into());
        }
        if to.is_zero() {
            return Err(ERC20InvalidReceiver { receiver: to }.into());
        }
        self.update(from, to, value)
    }

    /// OpenZeppelin's `_update` without burning: `from` zero mints; `to` is never zero. Checks
    /// everything before writing anything, and reads `to`'s balance after writing `from`'s, so
    /// a self-transfer leaves the balance unchanged.
    fn update(&mut self, from: Address, to: Address, value: U256) -> Result<(), MorError> {
        if from.is_zero() {
            let supply = self.total_supply.get();
            let supply = supply.checked_add(value).ok_or(MorError::Overflow)?;
            self.total_supply.set(supply);
        } else {
            let balance = self.balances.get(from);
            if balance < value {
                return Err(ERC20InsufficientBalance {
                    sender: from,
                    balance,
                    needed: value,
                }
                .into());
            }
            self.balances.setter(from).set(balance - value);
        }
        // Cannot overflow: every balance is at most the total supply, which is checked above.
        let mut balance = self.balances.setter(to);
        let new_balance = balance.get().checked_add(value).ok_or(MorError::Overflow)?;
        balance.set(new_balance);
        emit(
            self,
            &[Transfer::SIGNATURE_HASH, from.into_word(), to.into_word()],
            value,
        );
        Ok(())
    }

    /// OpenZeppelin's `_approve` without the event: refuses zero addresses, then sets.
    fn set_allowance(
        &mut self,
        owner: Address,
        spender: Address,
        value: U256,
    ) -> Result<(), MorError> {
        if owner.is_zero() {
            return Err(ERC20InvalidApprover { approver: owner }.into());
        }
        if spender.is_zero() {
            return Err(ERC20InvalidSpender { spender }.into());
        }
        self.allowances.setter(owner).setter(spender).set(value);
        Ok(())
    }
}

/// Emits a log of `topics` (the event's signature hash, then its indexed fields) and one
/// `uint256` data word: the shape of both `Transfer` and `Approval`. One non-generic function
/// instead of a `SolEvent` encoder per event keeps the Wasm small; the tests decode every log
/// with the `sol!` types.
fn emit(token: &MorToken, topics: &[B256; 3], value: U256) {
    let mut log = Vec::with_capacity(32 * 4);
    for word in topics {
        log.extend_from_slice(word.as_slice());
    }
    log.extend_from_slice(&value.to_be_bytes::<32>());
    token.vm().emit_log(&log, topics.len());
}
