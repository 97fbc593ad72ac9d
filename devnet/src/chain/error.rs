//! Errors the chain reports, each with a message a user can act on.

use alloy_primitives::{hex, Address, Bytes, U256};
use std::fmt;

/// Why the chain refused a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DevnetError {
    /// The raw bytes are not a valid EIP-2718 transaction envelope.
    InvalidTransaction(String),
    /// The sender could not be recovered from the signature.
    InvalidSignature(String),
    /// The transaction type is one this chain does not accept (EIP-4844 blobs, EIP-7702).
    UnsupportedTransactionType(u8),
    /// A legacy transaction without EIP-155 replay protection.
    MissingChainId,
    /// The transaction was signed for another chain.
    WrongChainId {
        /// This chain's id.
        expected: u64,
        /// The id the transaction carries.
        got: u64,
    },
    /// The transaction's nonce was already used by its sender.
    NonceTooLow {
        /// The sender's next nonce.
        expected: u64,
        /// The transaction's nonce.
        got: u64,
    },
    /// The transaction's nonce leaves a gap (this chain has no transaction pool).
    NonceTooHigh {
        /// The sender's next nonce.
        expected: u64,
        /// The transaction's nonce.
        got: u64,
    },
    /// The sender cannot pay `gas_limit * max_fee + value`.
    InsufficientFunds {
        /// The sender.
        address: Address,
        /// The sender's balance.
        balance: U256,
        /// What the transaction may cost at most.
        required: U256,
    },
    /// The transaction's fee cap is below the block's base fee.
    FeeCapTooLow {
        /// The transaction's max fee per gas (or gas price).
        max_fee: u128,
        /// The block's base fee.
        base_fee: u64,
    },
    /// The priority fee exceeds the max fee.
    TipAboveFeeCap {
        /// The priority fee per gas.
        tip: u128,
        /// The max fee per gas.
        max_fee: u128,
    },
    /// The gas limit exceeds the block gas limit.
    GasLimitTooHigh {
        /// The requested gas limit.
        gas_limit: u64,
        /// The block gas limit.
        block_gas_limit: u64,
    },
    /// The gas limit does not cover the transaction's intrinsic gas.
    IntrinsicGasTooLow {
        /// The requested gas limit.
        gas_limit: u64,
        /// The gas the transaction needs before execution.
        intrinsic: u64,
    },
    /// The transaction was already mined.
    AlreadyKnown,
    /// Execution ended with `REVERT`; `data` is the revert payload (for example an ABI-encoded
    /// `Error(string)` or a custom error).
    Reverted {
        /// The revert data.
        data: Bytes,
        /// Gas used up to the revert.
        gas_used: u64,
    },
    /// Execution halted exceptionally (out of gas, invalid opcode, ...), consuming all gas.
    Halted {
        /// revm's halt reason.
        reason: String,
        /// Gas used.
        gas_used: u64,
    },
    /// The requested block does not exist.
    UnknownBlock(u64),
    /// A timestamp that would not keep block timestamps strictly increasing.
    TimestampNotIncreasing {
        /// The requested timestamp.
        requested: u64,
        /// The latest block's timestamp.
        latest: u64,
    },
    /// Any other rejection reported by the EVM.
    Evm(String),
}

impl DevnetError {
    /// The revert data, if this error is a revert.
    pub fn revert_data(&self) -> Option<&Bytes> {
        match self {
            Self::Reverted { data, .. } => Some(data),
            _ => None,
        }
    }
}

impl fmt::Display for DevnetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidTransaction(why) => write!(f, "invalid raw transaction: {why}"),
            Self::InvalidSignature(why) => write!(f, "invalid transaction signature: {why}"),
            Self::UnsupportedTransactionType(ty) => write!(
                f,
                "transaction type {ty} is not supported (legacy, EIP-2930 and EIP-1559 are)"
            ),
            Self::MissingChainId => write!(
                f,
                "only replay-protected (EIP-155) transactions are accepted: the transaction has \
                 no chain id"
            ),
            Self::WrongChainId { expected, got } => {
                write!(
                    f,
                    "wrong chain id: transaction is for chain {got}, this chain is {expected}"
                )
            }
            Self::NonceTooLow { expected, got } => {
                write!(f, "nonce too low: next nonce {expected}, tx nonce {got}")
            }
            Self::NonceTooHigh { expected, got } => {
                write!(f, "nonce too high: next nonce {expected}, tx nonce {got}")
            }
            Self::InsufficientFunds {
                address,
                balance,
                required,
            } => write!(
                f,
                "insufficient funds for gas * price + value: address {address} have {balance} \
                 want {required}"
            ),
            Self::FeeCapTooLow { max_fee, base_fee } => write!(
                f,
                "max fee per gas less than block base fee: maxFeePerGas {max_fee}, baseFee \
                 {base_fee}"
            ),
            Self::TipAboveFeeCap { tip, max_fee } => write!(
                f,
                "max priority fee per gas higher than max fee per gas: tip {tip}, maxFeePerGas \
                 {max_fee}"
            ),
            Self::GasLimitTooHigh {
                gas_limit,
                block_gas_limit,
            } => write!(
                f,
                "exceeds block gas limit: gas limit {gas_limit}, block gas limit \
                 {block_gas_limit}"
            ),
            Self::IntrinsicGasTooLow {
                gas_limit,
                intrinsic,
            } => write!(
                f,
                "intrinsic gas too low: gas limit {gas_limit}, intrinsic gas {intrinsic}"
            ),
            Self::AlreadyKnown => write!(f, "already known: the transaction was already mined"),
            Self::Reverted { data, .. } => {
                write!(f, "execution reverted")?;
                if !data.is_empty() {
                    write!(f, ": 0x{}", hex::encode(data))?;
                }
                Ok(())
            }
            Self::Halted { reason, gas_used } => {
                write!(f, "execution halted: {reason} (gas used {gas_used})")
            }
            Self::UnknownBlock(number) => write!(f, "unknown block: {number}"),
            Self::TimestampNotIncreasing { requested, latest } => write!(
                f,
                "timestamp {requested} is not after the latest block's timestamp {latest}"
            ),
            Self::Evm(why) => write!(f, "transaction rejected by the EVM: {why}"),
        }
    }
}

impl std::error::Error for DevnetError {}
