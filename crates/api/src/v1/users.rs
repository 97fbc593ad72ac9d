//! A user's calls: `POST /v1/rfcs`, `POST /v1/reports`, `GET /v1/allowance/{user}`. Answer
//! fields are in alphabetical order, the order the router has always written them in.

use alloy_primitives::{Address, B256, U256};
use serde::{Deserialize, Serialize};
use yellowstone_protocol::messages::{Receipt, Report, Signed, Ticket};

use super::sorted;
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

/// `POST /v1/rfcs`: a ticket issued. Fields in alphabetical order (wire order).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Issued {
    /// The provider gateway's base URL.
    pub endpoint: String,
    /// The request id.
    pub request_id: B256,
    /// The router-signed ticket: the bearer token at the provider (its message's keys sorted).
    #[serde(serialize_with = "sorted")]
    pub ticket: Signed<Ticket>,
}

/// `POST /v1/reports`: the router's judgement. Fields in alphabetical order (wire order).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Judged {
    /// The request id.
    pub request_id: B256,
    /// Credited or refused, and why (keys sorted, the tag among them).
    #[serde(serialize_with = "sorted")]
    pub verdict: Verdict,
}

/// `GET /v1/allowance/{user}`: today's allowance. Fields in alphabetical order (wire order).
///
/// The allowance is held in MOR wei (SPEC 8): `allowance`, `used`, `held`, `left`. The token
/// figures are SPEC 3's view of the same wei at the day's reference `price`; a ticket holds
/// `tokenMax × its own price`, so the tokens a user actually gets depend on who serves them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AllowanceView {
    /// Wei allowed today: `budget × balance / supply`.
    pub allowance: U256,
    /// MOR wei at the day's snapshot block.
    pub balance: U256,
    /// UTC day.
    pub day: u64,
    /// Wei held by open tickets (`tokenMax × price` each).
    pub held: U256,
    /// Wei left: `allowance − used − held`.
    pub left: U256,
    /// The day's reference price, wei per token, of the token view.
    pub price: U256,
    /// `UserMax` (SPEC 3): `allowance / price` tokens.
    pub tokens_allowed: u64,
    /// `left / price` tokens.
    pub tokens_left: u64,
    /// Wei settled: what was delivered, or `tokenMax × price` of tickets never reported.
    pub used: U256,
    /// The user.
    pub user: Address,
}
