//! Settlement, readable by anyone: `GET /v1/epochs/{latest,n}` and `GET /v1/proofs/{provider}`.
//! Fields are in alphabetical order, the order the router has always written them in.

use alloy_primitives::{Address, Bytes, B256, U256};
use serde::{Deserialize, Serialize};

/// A signed epoch root with its full table: enough for anyone to recompute the root and
/// mirror the proofs. Fields in alphabetical order (wire order).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Epoch {
    /// Sum of every provider's cumulative bootstrap shares.
    pub cumulative_bootstrap: U256,
    /// Sum of every provider's cumulative earnings.
    pub cumulative_credited: U256,
    /// The last block timestamp (unix seconds) at which the contract accepts this root; it is
    /// part of what the router signs. Once the chain is past it with the number still free,
    /// the root can never land and the router may sign another root under the number.
    pub deadline: u64,
    /// Epoch number: consecutive from 1.
    pub epoch: u64,
    /// Every provider's cumulative figures as of this epoch.
    pub leaves: Vec<Leaf>,
    /// Block and gas used, once committed by the router's transaction.
    pub mined: Option<Mined>,
    /// Merkle root of the table.
    pub root: B256,
    /// The router's 65-byte signature over the EIP-712 `EpochRoot`; `null` until a
    /// transaction carrying the root was sent (status `sent` or `committed`): the router never
    /// publishes a signature it has not submitted itself.
    pub signature: Option<Bytes>,
    /// Built, sent or committed.
    pub status: EpochStatus,
    /// Hash of the last transaction sent for it.
    pub tx: Option<B256>,
}

/// How far an epoch got: the router stores it and publishes it as it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EpochStatus {
    /// Built and signed, not yet known on-chain.
    Built,
    /// A transaction carrying it was sent.
    Sent,
    /// The contract holds it.
    Committed,
}

/// Where an epoch's transaction was mined. Fields in alphabetical order (wire order).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mined {
    /// The block.
    pub block: u64,
    /// Gas the transaction used.
    pub gas_used: u64,
}

/// One provider's cumulative figures, hashed as
/// `keccak256(keccak256(abi.encode(provider, earned, bootstrap)))`. Alphabetical (wire order).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Leaf {
    /// Cumulative bootstrap wei.
    pub bootstrap: U256,
    /// Cumulative earned wei.
    pub earned: U256,
    /// The provider.
    pub provider: Address,
}

/// `GET /v1/proofs/{provider}`: the arguments of the contract's `claim` against the latest
/// committed root. Fields in alphabetical order (wire order).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proof {
    /// Cumulative bootstrap wei.
    pub cumulative_bootstrap: U256,
    /// Cumulative earned wei.
    pub cumulative_earned: U256,
    /// The committed epoch.
    pub epoch: u64,
    /// Sibling hashes, leaf to root.
    pub proof: Vec<B256>,
    /// The provider.
    pub provider: Address,
    /// Its Merkle root.
    pub root: B256,
}
