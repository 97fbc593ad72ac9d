//! The bodies of the router's routes, each defined once: the router serialises them, the
//! client deserialises them, and the OpenAPI check compares them with `docs/openapi.yaml`.
//!
//! The router wrote its answers with `serde_json::json!` before these types existed, and a
//! `serde_json::Value` object writes its keys in sorted order; so every answer struct declares
//! its fields in alphabetical order, and nested types with an order of their own (the
//! protocol's signed messages, the tagged [`Verdict`](crate::Verdict)) are written through a
//! `Value`. The bytes on the wire did not change (the `wire` end-to-end test holds them).
//!
//! | route | answer |
//! |---|---|
//! | `GET /health` | [`Health`] |
//! | `GET /v1/market` | [`MarketInfo`] |
//! | `GET /v1/bids` | [`LiveBids`] |
//! | `POST /v1/attestations`, `POST /v1/receipts` | [`Accepted`] |
//! | `POST /v1/bids` | [`BidAccepted`] |
//! | `GET /v1/providers/{address}` | [`ProviderView`] |
//! | `POST /v1/rfcs` | [`Issued`] |
//! | `POST /v1/reports` ([`ReportBody`]) | [`Judged`] |
//! | `GET /v1/allowance/{user}` | [`AllowanceView`] |
//! | `GET /v1/epochs/latest`, `GET /v1/epochs/{n}` | [`Epoch`] |
//! | `GET /v1/proofs/{provider}` | [`Proof`] |
//! | `GET /v1/providers` | [`Providers`] |
//! | `GET /v1/today` | [`Today`] |
//! | `GET /v1/epochs` | [`RecentEpochs`] |
//! | any refusal | [`ErrorBody`](crate::ErrorBody) |

mod activity;
mod market;
mod providers;
mod settlement;
mod users;

pub use activity::{ContractDay, EpochSummary, RecentEpochs, Today};
pub use market::{
    DayFigures, Health, JudgeRules, LiveBid, LiveBids, MarketInfo, MarketRules, SelectionRules,
    SigningDomain,
};
pub use providers::{
    Accepted, BidAccepted, CommittedLeaf, ProviderAttestation, ProviderBid, ProviderView, Providers,
};
pub use settlement::{Epoch, EpochStatus, Leaf, Mined, Proof};
pub use users::{AllowanceView, Issued, Judged, ReportBody};

use serde::{Serialize, Serializer};

/// Serialises `value` through a `serde_json::Value`, which writes object keys in sorted order:
/// for a nested type whose own field order is not alphabetical.
fn sorted<T: Serialize, S: Serializer>(value: &T, serializer: S) -> Result<S::Ok, S::Error> {
    serde_json::to_value(value)
        .map_err(serde::ser::Error::custom)?
        .serialize(serializer)
}
