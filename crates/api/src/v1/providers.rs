//! A provider's calls: `POST /v1/attestations`, `POST /v1/bids`, `POST /v1/receipts`, and
//! `GET /v1/providers/{address}` (and `GET /v1/providers`, all of them). Fields are in alphabetical order, the order the router has
//! always written them in.

use alloy_primitives::{Address, B256, U256};
use serde::{Deserialize, Serialize};

use crate::{Backoff, ProviderRecord, Score};

/// `POST /v1/attestations` and `POST /v1/receipts`: stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Accepted {
    /// Always true on a 200.
    pub accepted: bool,
}

/// `POST /v1/bids`: stored, and whether the bid can be selected now. Fields in alphabetical
/// order (wire order).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BidAccepted {
    /// Always true on a 200.
    pub accepted: bool,
    /// Why not, when not (`null` when selectable).
    pub reason: Option<String>,
    /// Whether selection may pick it now.
    pub selectable: bool,
}

/// `GET /v1/providers/{address}`: what the router knows of a provider (`null` or empty where
/// it knows nothing). Fields in alphabetical order (wire order).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderView {
    /// Its recorded model attestations.
    pub attestations: Vec<ProviderAttestation>,
    /// Its back-off after failures.
    pub backoff: Option<Backoff>,
    /// Its live bids.
    pub bids: Vec<ProviderBid>,
    /// The contract's record as last read.
    pub chain: Option<ProviderRecord>,
    /// Its leaf in the latest committed root.
    pub committed: Option<CommittedLeaf>,
    /// Credit not yet in a committed root, in wei.
    pub pending_wei: U256,
    /// The provider.
    pub provider: Address,
    /// Its recent report score.
    pub score: Option<Score>,
}

/// `GET /v1/providers`: every provider with a live bid, by address.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Providers {
    /// What the router knows of each, as `GET /v1/providers/{address}` answers it.
    pub providers: Vec<ProviderView>,
}

/// One live bid of the provider. Fields in alphabetical order (wire order).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderBid {
    /// Concurrent requests the provider serves (the bid's `capacity`).
    pub capacity: u32,
    /// The gateway's base URL.
    pub endpoint: String,
    /// Unix second it expires.
    pub expiry: u64,
    /// The model.
    pub model: String,
    /// Wei per output token.
    pub price_per_token: U256,
    /// Why selection skips it (`null` when selectable).
    pub unselectable: Option<String>,
}

/// One recorded model attestation. Fields in alphabetical order (wire order).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderAttestation {
    /// When it was signed (unix seconds).
    pub issued_at: u64,
    /// The model.
    pub model: String,
    /// The attested weights hash.
    pub weights_hash: B256,
}

/// The provider's cumulative figures in the latest committed root. Alphabetical (wire order).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommittedLeaf {
    /// Cumulative bootstrap wei.
    pub bootstrap: U256,
    /// Cumulative earned wei.
    pub earned: U256,
}
