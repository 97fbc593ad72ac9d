//! The router's judgement of a report (SPEC section 4, step 10), as `POST /v1/reports`
//! answers it and as the router stores it.

use alloy_primitives::U256;

/// The judgement of one report.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Verdict {
    /// Credited `tokens * price`.
    Credited {
        /// Credited tokens: the smallest of the user's count, the receipt and `TokenMax`.
        tokens: u64,
        /// `tokens * price` in wei (saturating).
        wei: U256,
        /// The request's speed, `elapsedMs * 1000 / tokens` (floor), for display.
        micros_per_token: u64,
    },
    /// Not credited, with the reason.
    Refused {
        /// Why nothing was credited.
        reason: Refusal,
    },
}

/// Why a report earned nothing.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Refusal {
    /// The user reported fail.
    Failed,
    /// The report carried no provider receipt, so delivery is unproven.
    NoReceipt,
    /// The credited count is zero.
    NothingDelivered,
    /// Slower than the model's expected time allows (SPEC 8's robust credit rule).
    TooSlow {
        /// This request's `elapsedMs`.
        elapsed_ms: u64,
        /// The expected time of an answer of its length, `E(n) = F + (n - 1) * D` (floor).
        expected_ms: u64,
        /// The slowest time still credited: `floor((100 + X) * E(n) / 100)`.
        limit_ms: u64,
    },
}
