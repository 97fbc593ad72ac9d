//! What anyone may read of the market: `GET /health`, `GET /v1/market`, `GET /v1/bids`.
//! Fields are in alphabetical order, the order the router has always written them in.

use std::collections::BTreeMap;

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::Eip712Domain;
use serde::{Deserialize, Serialize};
use yellowstone_protocol::eip712::types::domain;

/// `GET /health`: liveness and a settlement summary. Fields in alphabetical order (wire order).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    /// The chain id of the signing domain.
    pub chain_id: u64,
    /// Seconds since the chain last answered; `None` if it never has.
    pub chain_lag_seconds: Option<u64>,
    /// The compute contract.
    pub contract: Address,
    /// The latest committed epoch (0 before the first).
    pub epoch: u64,
    /// Whether an epoch waits for the chain.
    pub epoch_in_flight: bool,
    /// Wei credited but not yet in a committed root.
    pub pending_wei: U256,
    /// The router's address.
    pub router: Address,
    /// Always `ok`.
    pub status: String,
}

/// `GET /v1/market`: what a client needs to sign and to choose a model. Fields in alphabetical
/// order (wire order).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarketInfo {
    /// The chain id of the signing domain.
    pub chain_id: u64,
    /// The compute contract (the domain's verifying contract).
    pub contract: Address,
    /// The UTC day of `now`.
    pub day: u64,
    /// The EIP-712 domain's name and version.
    pub domain: SigningDomain,
    /// The inference block of `now`.
    pub inference_block: u64,
    /// Models with at least one unexpired bid, sorted.
    pub models: Vec<String>,
    /// The MOR token.
    pub mor: Address,
    /// The router's clock, unix seconds (the chain's on a devnet).
    pub now: u64,
    /// The router's address (signs tickets).
    pub router: Address,
    /// The market's rules.
    pub rules: MarketRules,
    /// Today's allowance figures, once the day's first allowance computed them.
    pub today: Option<DayFigures>,
}

impl MarketInfo {
    /// The EIP-712 domain every message is signed under.
    pub fn domain(&self) -> Eip712Domain {
        domain(self.chain_id, self.contract)
    }
}

/// The name and version of the EIP-712 domain (`Yellowstone`, `1`). Alphabetical (wire order).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SigningDomain {
    /// `Yellowstone`.
    pub name: String,
    /// `1`.
    pub version: String,
}

/// The market's rules as `GET /v1/market` publishes them: the wire form of the router's
/// configured rules (`yellowstone_market::state::Rules`, which the router converts field by
/// field). Fields in alphabetical order (wire order).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarketRules {
    /// Back-off after a provider failure: base seconds, doubling per consecutive failure.
    pub backoff_base_seconds: u64,
    /// Longest back-off, in seconds.
    pub backoff_max_seconds: u64,
    /// Seconds per inference block: the unit of aggregation and settlement.
    pub block_seconds: u64,
    /// Providers sharing a day's bootstrap emission.
    pub bootstrap_top: u64,
    /// The reference price when no model has a bid that counts, wei per token (`null`: none).
    pub default_reference_price: Option<U256>,
    /// The credit rule.
    pub judge: JudgeRules,
    /// Largest bid `capacity` taken at its word (larger ones are capped).
    pub max_capacity: u32,
    /// The operator's hard maximum price, wei per token.
    pub max_price_per_token: U256,
    /// Largest `tokenMax` one RFC may ask for.
    pub max_token_max: u64,
    /// Per model, the only `weightsHash` values an attestation may sign.
    pub pinned_weights: BTreeMap<String, Vec<B256>>,
    /// `k`: no bid above `k` times its model's reference price is selectable or ticketed.
    pub price_band_k: u64,
    /// The operator's reference price per model (used while a model has fewer than 3
    /// selectable providers), wei per token.
    pub reference_prices: BTreeMap<String, U256>,
    /// Seconds after a ticket's expiry that its report is still accepted.
    pub report_seconds: u64,
    /// Whether a provider must attest a model before its bids are selectable.
    pub require_attestation: bool,
    /// Furthest an RFC deadline may lie in the future, in seconds.
    pub rfc_window_seconds: u64,
    /// Provider selection.
    pub selection: SelectionRules,
    /// Seconds a ticket stays valid for the provider.
    pub ticket_seconds: u64,
}

/// The credit rule's parameters. Fields in alphabetical order (wire order).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JudgeRules {
    /// Distinct users whose fails within the back-off memory a provider's back-off needs.
    pub backoff_fail_users: u64,
    /// Seconds a user's fail is remembered for the back-off.
    pub backoff_memory_seconds: u64,
    /// The seed's balance rule: a fail withholds credit only if the user's MOR balance exceeds
    /// the provider's stake.
    pub fail_needs_balance_over_stake: bool,
    /// How many percent slower than the expected time a credited request may be (X).
    pub slower_percent: u64,
    /// How many samples a model's window needs before speed is judged at all.
    pub warmup: u64,
    /// How many recent passed reports of a model make its averages (Z).
    pub window: u64,
}

/// Provider selection's parameters. Fields in alphabetical order (wire order).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SelectionRules {
    /// Bids within `min price * (1 + band)` compete on weight, in basis points.
    pub band_bps: u64,
    /// Share of requests offered first to a new provider, per mille.
    pub explore_permille: u64,
    /// Least stake (wei) a new provider needs to be offered exploration traffic.
    pub min_explore_stake: U256,
    /// A provider with fewer judged reports than this is new.
    pub new_provider_reports: u64,
}

/// The figures every allowance of one day is computed from. Fields in alphabetical order
/// (wire order).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayFigures {
    /// The day's compute budget in wei: the contract's daily cap.
    pub budget: U256,
    /// UTC day.
    pub day: u64,
    /// Wei per output token: yesterday's volume-weighted credited price, or the median live bid.
    pub price: U256,
    /// The last block before 00:00 UTC of the day: balances are read there.
    pub snapshot_block: u64,
    /// MOR total supply at the snapshot block.
    pub supply: U256,
}

/// `GET /v1/bids`: the live bids.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveBids {
    /// Unexpired bids, for the model asked or all.
    pub bids: Vec<LiveBid>,
}

/// One live bid. Fields in alphabetical order (wire order).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveBid {
    /// Concurrent requests the provider serves (the bid's `capacity`).
    pub capacity: u32,
    /// The gateway's base URL.
    pub endpoint: String,
    /// Unix second the bid expires.
    pub expiry: u64,
    /// The model.
    pub model: String,
    /// The bid's nonce.
    pub nonce: u64,
    /// Wei per output token.
    pub price_per_token: U256,
    /// The provider.
    pub provider: Address,
    /// Whether selection may pick it now.
    pub selectable: bool,
}
