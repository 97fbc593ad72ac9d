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
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AllowanceView {
    /// Tokens allowed today.
    pub allowance: u64,
    /// MOR wei at the day's snapshot block.
    pub balance: U256,
    /// UTC day.
    pub day: u64,
    /// Tokens held by open tickets.
    pub held: u64,
    /// Tokens left.
    pub left: u64,
    /// Tokens settled.
    pub used: u64,
    /// The user.
    pub user: Address,
}
