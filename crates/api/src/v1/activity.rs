//! The market's recent activity, readable by anyone (the market page at `/` reads these):
//! `GET /v1/today` and `GET /v1/epochs`. Fields are in alphabetical order (wire order).

use alloy_primitives::{B256, U256};
use serde::{Deserialize, Serialize};

use super::{EpochStatus, Mined};

/// `GET /v1/today`: the day's settlement so far, for a chart over its inference blocks.
/// Fields in alphabetical order (wire order).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Today {
    /// Work and bootstrap credit (wei) in the roots built before the day began: the day's
    /// committed credit after an epoch is its cumulative work and bootstrap less this.
    pub before: U256,
    /// Seconds per inference block.
    pub block_seconds: u64,
    /// The contract's figures of the day, read at one block.
    pub contract: ContractDay,
    /// The UTC day of `now`.
    pub day: u64,
    /// The epochs built on `day`, oldest first: one per inference block that settled credit
    /// (at most [`Today::MAX_EPOCHS`], the latest).
    pub epochs: Vec<EpochSummary>,
    /// The inference block of `now`.
    pub inference_block: u64,
    /// The router's clock, unix seconds.
    pub now: u64,
    /// Wei credited (work and bootstrap) and not yet in a committed root.
    pub pending_wei: U256,
    /// Whether earlier epochs of the day were left out (more than [`Today::MAX_EPOCHS`]).
    pub truncated: bool,
}

impl Today {
    /// The most epochs one answer lists.
    pub const MAX_EPOCHS: usize = 2_000;
}

/// The compute contract's figures of a day (`today()`, `totals()`, `paused()` at one block).
/// Fields in alphabetical order (wire order).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContractDay {
    /// The block the figures were read at.
    pub block: u64,
    /// Bootstrap credit a root may still add today (zero outside the bootstrap window).
    pub bootstrap_headroom: U256,
    /// The day's bootstrap limit (zero outside the bootstrap window).
    pub bootstrap_limit: U256,
    /// Bootstrap credit committed today.
    pub bootstrap_today: U256,
    /// Credit (work and bootstrap) committed today.
    pub credited_today: U256,
    /// The most credit (work and bootstrap) the contract accepts today: the daily cap.
    pub daily_cap: U256,
    /// The UTC day of the block.
    pub day: u64,
    /// Credit a new root may still add today: the cap left, or the funds left if fewer.
    pub headroom: U256,
    /// Whether commits and claims are paused.
    pub paused: bool,
    /// The block's timestamp (unix seconds).
    pub timestamp: u64,
}

/// `GET /v1/epochs`: the latest epochs, newest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecentEpochs {
    /// At most the `limit` asked for (default 10, at most [`RecentEpochs::MAX`]).
    pub epochs: Vec<EpochSummary>,
}

impl RecentEpochs {
    /// The most epochs one answer lists.
    pub const MAX: u64 = 100;
}

/// An epoch without its table or signature (`GET /v1/epochs/{n}` has both), with the credit
/// it added. Fields in alphabetical order (wire order).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EpochSummary {
    /// Bootstrap wei it added to the previous epoch's.
    pub bootstrap: U256,
    /// Unix seconds it was built.
    pub built_at: u64,
    /// The inference block it was built in: it settles every credit accepted before it.
    pub built_in_block: u64,
    /// Sum of every provider's cumulative bootstrap shares.
    pub cumulative_bootstrap: U256,
    /// Sum of every provider's cumulative earnings.
    pub cumulative_credited: U256,
    /// The last block timestamp at which the contract accepts it.
    pub deadline: u64,
    /// Epoch number.
    pub epoch: u64,
    /// Block and gas used, once committed by the router's transaction.
    pub mined: Option<Mined>,
    /// Merkle root of its table.
    pub root: B256,
    /// Built, sent or committed.
    pub status: EpochStatus,
    /// Hash of the last transaction sent for it.
    pub tx: Option<B256>,
    /// Work wei it added to the previous epoch's.
    pub work: U256,
}
