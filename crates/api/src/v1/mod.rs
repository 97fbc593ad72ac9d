//! The bodies of the router's `/v1` routes, each defined once: the router serialises them,
//! the client deserialises them, and the OpenAPI check compares them with
//! `docs/openapi.yaml`.

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::Eip712Domain;
use serde::{Deserialize, Serialize};
use yellowstone_protocol::{
    eip712::types::domain,
    messages::{Receipt, Report, Signed, Ticket},
};

use crate::Verdict;

/// `POST /v1/reports` body: the user's signed report and, when the user has it, the
/// provider's signed receipt.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ReportBody {
    /// The user's signed report.
    pub report: Signed<Report>,
    /// The provider's signed receipt, if the user received one.
    #[serde(default)]
    pub receipt: Option<Signed<Receipt>>,
}

/// `GET /v1/market`: what a client needs to sign and to choose a model.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct MarketInfo {
    /// The router's address (signs tickets).
    pub router: Address,
    /// The chain id of the signing domain.
    pub chain_id: u64,
    /// The compute contract (the domain's verifying contract).
    pub contract: Address,
    /// The router's clock, unix seconds (the chain's on a devnet).
    pub now: u64,
    /// Models with at least one unexpired bid.
    pub models: Vec<String>,
}

impl MarketInfo {
    /// The EIP-712 domain every message is signed under.
    pub fn domain(&self) -> Eip712Domain {
        domain(self.chain_id, self.contract)
    }
}

/// `POST /v1/rfcs`: a ticket issued.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Issued {
    /// The request id.
    pub request_id: B256,
    /// The router-signed ticket: the bearer token at the provider.
    pub ticket: Signed<Ticket>,
    /// The provider gateway's base URL.
    pub endpoint: String,
}

/// `POST /v1/reports`: the router's judgement.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Judged {
    /// The request id.
    pub request_id: B256,
    /// Credited or refused, and why.
    pub verdict: Verdict,
}

/// `GET /v1/allowance/{user}`: today's allowance.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Allowance {
    /// UTC day.
    pub day: u64,
    /// The user.
    pub user: Address,
    /// MOR wei at the day's snapshot block.
    pub balance: U256,
    /// Tokens allowed today.
    pub allowance: u64,
    /// Tokens settled.
    pub used: u64,
    /// Tokens held by open tickets.
    pub held: u64,
    /// Tokens left.
    pub left: u64,
}

/// `GET /v1/bids`: one live bid.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LiveBid {
    /// The provider.
    pub provider: Address,
    /// The model.
    pub model: String,
    /// Wei per output token.
    pub price_per_token: U256,
    /// The gateway's base URL.
    pub endpoint: String,
    /// The bid's nonce.
    pub nonce: u64,
    /// Unix second the bid expires.
    pub expiry: u64,
    /// Whether selection may pick it now.
    pub selectable: bool,
}

/// `POST /v1/bids`: whether the bid can be selected now.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct BidAccepted {
    /// Always true on a 200.
    pub accepted: bool,
    /// Whether selection may pick it now.
    pub selectable: bool,
    /// Why not, when not.
    pub reason: Option<String>,
}

/// `GET /v1/proofs/{provider}`: the arguments of the contract's `claim`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Proof {
    /// The committed epoch.
    pub epoch: u64,
    /// Its Merkle root.
    pub root: B256,
    /// The provider.
    pub provider: Address,
    /// Cumulative earned wei.
    pub cumulative_earned: U256,
    /// Cumulative bootstrap wei.
    pub cumulative_bootstrap: U256,
    /// Sibling hashes, leaf to root.
    pub proof: Vec<B256>,
}
