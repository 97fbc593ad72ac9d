//! Every refusal of the token, as revert data.
//!
//! [`MorError`] is encoded by one non-generic function (`abi_words`) rather than one
//! `SolError::abi_encode` instance per error, which keeps the Wasm small; every parameter is one
//! static ABI word, so `selector ++ words` is the whole encoding. A test checks each error's
//! bytes against `abi_encode`.

use alloc::vec::Vec;

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::{Panic, PanicKind, SolError};

use crate::abi::*;

/// Why a call reverted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MorError {
    /// The sender's balance is below the amount.
    InsufficientBalance(ERC20InsufficientBalance),
    /// Tokens would move from the zero address.
    InvalidSender(ERC20InvalidSender),
    /// Tokens would move to the zero address.
    InvalidReceiver(ERC20InvalidReceiver),
    /// The spender's allowance is below the amount.
    InsufficientAllowance(ERC20InsufficientAllowance),
    /// An allowance would be granted by the zero address.
    InvalidApprover(ERC20InvalidApprover),
    /// An allowance would be granted to the zero address.
    InvalidSpender(ERC20InvalidSpender),
    /// The total supply would exceed `uint256`: Solidity's `Panic(0x11)`, as OpenZeppelin's
    /// checked `_totalSupply += value` reverts.
    Overflow,
}

macro_rules! from_errors {
    ($($variant:ident($ty:ident)),* $(,)?) => {$(
        impl From<$ty> for MorError {
            fn from(err: $ty) -> Self {
                MorError::$variant(err)
            }
        }
    )*};
}

from_errors! {
    InsufficientBalance(ERC20InsufficientBalance),
    InvalidSender(ERC20InvalidSender),
    InvalidReceiver(ERC20InvalidReceiver),
    InsufficientAllowance(ERC20InsufficientAllowance),
    InvalidApprover(ERC20InvalidApprover),
    InvalidSpender(ERC20InvalidSpender),
}

/// The 32-byte ABI word of an address.
fn address(a: Address) -> B256 {
    a.into_word()
}

/// The 32-byte ABI word of an amount.
fn amount(n: U256) -> B256 {
    B256::from(n)
}

/// `prefix ++ words`: the ABI encoding of an error or an event's data. The compute contract has
/// the same helper; sharing one through `yellowstone-protocol` was measured to change LTO's
/// inlining and push the compute contract past the 24,576-byte limit, so each keeps its own.
pub(crate) fn abi_words(prefix: &[u8], words: &[B256]) -> Vec<u8> {
    let mut out = Vec::with_capacity(prefix.len() + 32 * words.len());
    out.extend_from_slice(prefix);
    for word in words {
        out.extend_from_slice(word.as_slice());
    }
    out
}

impl From<MorError> for Vec<u8> {
    fn from(err: MorError) -> Self {
        use MorError::*;
        match err {
            InsufficientBalance(e) => abi_words(
                &ERC20InsufficientBalance::SELECTOR,
                &[address(e.sender), amount(e.balance), amount(e.needed)],
            ),
            InvalidSender(e) => abi_words(&ERC20InvalidSender::SELECTOR, &[address(e.sender)]),
            InvalidReceiver(e) => {
                abi_words(&ERC20InvalidReceiver::SELECTOR, &[address(e.receiver)])
            }
            InsufficientAllowance(e) => abi_words(
                &ERC20InsufficientAllowance::SELECTOR,
                &[address(e.spender), amount(e.allowance), amount(e.needed)],
            ),
            InvalidApprover(e) => {
                abi_words(&ERC20InvalidApprover::SELECTOR, &[address(e.approver)])
            }
            InvalidSpender(e) => abi_words(&ERC20InvalidSpender::SELECTOR, &[address(e.spender)]),
            Overflow => abi_words(
                &Panic::SELECTOR,
                &[amount(U256::from(PanicKind::UnderOverflow as u32))],
            ),
        }
    }
}

/// Under `export-abi` stylus-sdk asks the error type for its declarations; `main.rs` splices
/// them in from `erc20.sol` instead, with parameter names, so this lists none.
#[cfg(feature = "export-abi")]
impl stylus_sdk::abi::export::internal::InnerTypes for MorError {}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::address;

    #[test]
    fn every_error_encodes_exactly_as_solidity_would() {
        let a = address!("00000000000000000000000000000000000000a1");
        let (x, y) = (
            U256::from(7) << 200 | U256::from(1),
            U256::MAX - U256::from(2),
        );
        let cases: Vec<(MorError, Vec<u8>)> = alloc::vec![
            {
                let e = ERC20InsufficientBalance {
                    sender: a,
                    balance: x,
                    needed: y,
                };
                (e.clone().into(), e.abi_encode())
            },
            {
                let e = ERC20InvalidSender { sender: a };
                (e.clone().into(), e.abi_encode())
            },
            {
                let e = ERC20InvalidReceiver { receiver: a };
                (e.clone().into(), e.abi_encode())
            },
            {
                let e = ERC20InsufficientAllowance {
                    spender: a,
                    allowance: x,
                    needed: y,
                };
                (e.clone().into(), e.abi_encode())
            },
            {
                let e = ERC20InvalidApprover { approver: a };
                (e.clone().into(), e.abi_encode())
            },
            {
                let e = ERC20InvalidSpender { spender: a };
                (e.clone().into(), e.abi_encode())
            },
            (
                MorError::Overflow,
                Panic::from(PanicKind::UnderOverflow).abi_encode()
            ),
        ];
        for (err, expected) in cases {
            assert_eq!(Vec::<u8>::from(err.clone()), expected, "{err:?}");
        }
    }
}
