//! What the router persists: one record type per table, and [`Change`], the unit the state
//! hands to the store. Every change of a request is committed before the request is answered,
//! and the store applies changes in the order they were made, so a restart resumes from a
//! consistent prefix of history.

use alloy_primitives::{Address, Bytes, B256, U256};
use serde::{Deserialize, Serialize};

/// How an epoch stands: the wire type, stored as it is published.
pub use yellowstone_api::v1::EpochStatus;

use crate::{
    allowance::Allowance,
    judge::{SpeedSample, Verdict},
    selection::Score,
};

/// A provider's latest bid for one model, as signed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BidRecord {
    /// The bidding provider.
    pub provider: Address,
    /// The model served.
    pub model: String,
    /// MOR wei per output token.
    pub price: U256,
    /// Concurrent requests the provider serves (the bid's `capacity`).
    pub capacity: u32,
    /// Where users send prompts (the provider gateway's base URL).
    pub endpoint: String,
    /// The bid's nonce: a later nonce replaces the bid.
    pub nonce: u64,
    /// Unix seconds after which the bid is dead.
    pub expiry: u64,
    /// The provider's signature over the bid.
    pub signature: Bytes,
}

/// A provider's attestation that it holds a model's weights.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttestationRecord {
    /// The attesting provider.
    pub provider: Address,
    /// The model.
    pub model: String,
    /// keccak-256 of the weights file.
    pub weights_hash: B256,
    /// Unix seconds the provider signed it.
    pub issued_at: u64,
    /// The provider's signature.
    pub signature: Bytes,
}

/// One user's allowance on one day, with the snapshot balance it was computed from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AllowanceRecord {
    /// UTC day index.
    pub day: u64,
    /// The user.
    pub user: Address,
    /// MOR balance at the day's snapshot block.
    pub balance: U256,
    /// The reference price (wei per token) the allowance is shown in tokens at (SPEC 3's
    /// token view). Only the view: each ticket holds and charges at its own price.
    pub price: U256,
    /// Wei allowed, used and held.
    pub allowance: Allowance,
}

/// Where a ticket is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketStatus {
    /// Handed out, not yet reported.
    Open,
    /// Reported and judged.
    Reported,
    /// Never reported in time: charged at its receipt, else at TokenMax.
    Expired,
}

/// A ticket the router signed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketRecord {
    /// The request id (the RFC's EIP-712 digest).
    pub request_id: B256,
    /// The user.
    pub user: Address,
    /// The provider chosen.
    pub provider: Address,
    /// The model.
    pub model: String,
    /// Most output tokens.
    pub token_max: u64,
    /// MOR wei per output token, from the provider's bid.
    pub price: U256,
    /// Unix seconds after which the provider must refuse the ticket.
    pub expiry: u64,
    /// Unix seconds the ticket was issued.
    pub issued_at: u64,
    /// The allowance day the ticket is held on.
    pub day: u64,
    /// Open, reported or expired.
    pub status: TicketStatus,
    /// Wei the user's allowance was charged when the ticket was settled (reported or swept);
    /// 0 while it is open. Why: the provider posts its receipt asynchronously, so it may land
    /// after the report; it then charges only what it adds to this (SPEC 8 "What is delivered
    /// is paid for by the user", [`crate::state::State::receipt`]).
    #[serde(default)]
    pub charged: U256,
    /// The router's signature over the ticket.
    pub signature: Bytes,
}

/// A user's judged report, with the provider's receipt when there was one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportRecord {
    /// The request.
    pub request_id: B256,
    /// The model (for the speed history).
    pub model: String,
    /// The provider judged.
    pub provider: Address,
    /// Milliseconds from prompt to first token, as the user reported.
    pub first_token_ms: u64,
    /// Milliseconds from prompt to last token, as the user reported.
    pub elapsed_ms: u64,
    /// Tokens the user counted.
    pub user_tokens: u64,
    /// Tokens the provider's receipt states, if a receipt was known.
    pub receipt_tokens: Option<u64>,
    /// Whether the user was satisfied.
    pub pass: bool,
    /// The verdict of the credit rule.
    pub verdict: Verdict,
    /// Unix seconds the report was accepted.
    pub accepted_at: u64,
    /// The user's signature.
    pub signature: Bytes,
}

/// A provider's receipt for a request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptRecord {
    /// The request.
    pub request_id: B256,
    /// The provider.
    pub provider: Address,
    /// Tokens delivered.
    pub tokens: u64,
    /// The provider's signature.
    pub signature: Bytes,
}

/// A credit not yet (or not wholly) committed on-chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditRecord {
    /// Acceptance order: when a day's headroom is short each provider's pro-rata share pays its
    /// credits oldest first ([`crate::settle::fold`]).
    pub seq: u64,
    /// The provider credited.
    pub provider: Address,
    /// Wei still to commit.
    pub amount: U256,
    /// A bootstrap share rather than payment for work.
    pub bootstrap: bool,
    /// The inference block the credit was accepted in.
    pub block: u64,
}

/// A signed epoch root and its transaction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EpochRecord {
    /// Epoch number: consecutive from 1.
    pub epoch: u64,
    /// Merkle root of the table.
    pub root: B256,
    /// Sum of every provider's cumulative earnings.
    pub cumulative_credited: U256,
    /// Sum of every provider's cumulative bootstrap shares.
    pub cumulative_bootstrap: U256,
    /// The last block timestamp at which the contract accepts the root (unix seconds, SPEC 8):
    /// once the chain is past it with the number still free, no copy of the root can ever
    /// land, and only then may the router sign another root under the same number.
    pub deadline: u64,
    /// The router's 65-byte signature over the EIP-712 `EpochRoot`. Published only once a
    /// transaction carrying it was sent (status sent or committed).
    pub signature: Bytes,
    /// The inference blocks it covers: every credit accepted before this block.
    pub up_to_block: u64,
    /// Unix seconds it was built.
    pub built_at: u64,
    /// The credits it folds: (seq, wei taken).
    pub fold: Vec<(u64, U256)>,
    /// Built, sent or committed.
    pub status: EpochStatus,
    /// The last transaction sent for it: hash, nonce, max fee, priority fee.
    pub tx: Option<(B256, u64, u128, u128)>,
    /// Block and gas used once committed by our transaction.
    pub mined: Option<(u64, u64)>,
}

/// One provider's cumulative figures as of an epoch (stored only when they change).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeafRecord {
    /// The provider.
    pub provider: Address,
    /// The epoch these figures took effect.
    pub epoch: u64,
    /// Cumulative earnings for work.
    pub earned: U256,
    /// Cumulative bootstrap shares.
    pub bootstrap: U256,
}

/// One unit of persisted change. The store applies a batch of these in one transaction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Change {
    /// Insert or replace a provider's bid for a model.
    Bid(BidRecord),
    /// Insert or replace a provider's attestation for a model.
    Attestation(AttestationRecord),
    /// Insert or replace a user's allowance for a day.
    Allowance(AllowanceRecord),
    /// An RFC nonce was used; refuse it again until its deadline.
    Nonce {
        /// The user.
        user: Address,
        /// The nonce.
        nonce: u64,
        /// The RFC's deadline (unix seconds), after which the record can be pruned.
        deadline: u64,
    },
    /// Insert or replace a ticket.
    Ticket(TicketRecord),
    /// Insert a report (never replaced: one report per request).
    Report(ReportRecord),
    /// Insert a receipt (the first one stands).
    Receipt(ReceiptRecord),
    /// Insert or replace a pending credit; an amount of zero deletes it.
    Credit(CreditRecord),
    /// Add work to a provider's tally for a day (bootstrap ranking and the reference price).
    Work {
        /// UTC day.
        day: u64,
        /// The provider.
        provider: Address,
        /// Wei credited.
        wei: U256,
        /// Tokens credited.
        tokens: u64,
    },
    /// A provider's recent pass/fail record (replaces the stored one).
    Score {
        /// The provider.
        provider: Address,
        /// Its score.
        score: Score,
        /// The users whose negative point the score counts (each at most once until it halves).
        failed_by: Vec<Address>,
    },
    /// A model's speed window changed: samples written (insert or replace by model and seq)
    /// and seqs deleted, in that order of effect (a seq is never both).
    Speed {
        /// The model.
        model: String,
        /// Samples that entered the window or were re-clamped.
        put: Vec<SpeedSample>,
        /// Seqs that left it.
        drop: Vec<u64>,
    },
    /// Insert or replace an epoch.
    Epoch(EpochRecord),
    /// Move a signed root that can never land (its deadline passed with its number free, or
    /// another root took its number) out of the epochs: its record and its full table are
    /// archived under (epoch, root), its epoch row and its leaves deleted (the number is
    /// rebuilt). Never deleted: every root the router signed stays on record.
    ArchiveEpoch {
        /// The root, as signed.
        epoch: EpochRecord,
        /// Every provider's cumulative figures in it (the full table, not only changes).
        table: Vec<LeafRecord>,
    },
    /// Insert a provider's cumulative figures at an epoch.
    Leaf(LeafRecord),
    /// Set a named value (for example the last day whose bootstrap shares were issued).
    Meta {
        /// The key.
        key: String,
        /// The value.
        value: String,
    },
}

/// What the router loads at start-up: the store reads it, [`crate::state::State::restore`]
/// rebuilds the state from it.
#[derive(Debug, Default)]
pub struct Loaded {
    /// Every bid.
    pub bids: Vec<BidRecord>,
    /// Every attestation.
    pub attestations: Vec<AttestationRecord>,
    /// Allowances of days >= now/86400 - 1.
    pub allowances: Vec<AllowanceRecord>,
    /// Used nonces (user, nonce, deadline) with deadline >= now.
    pub nonces: Vec<(Address, u64, u64)>,
    /// Open tickets, plus reported ones with expiry + 3600 >= now (so duplicates are refused
    /// quickly).
    pub tickets: Vec<TicketRecord>,
    /// The receipts of the tickets above.
    pub receipts: Vec<ReceiptRecord>,
    /// Every pending credit, by seq.
    pub credits: Vec<CreditRecord>,
    /// 1 + the greatest credit seq ever inserted (1 when none ever was).
    pub next_seq: u64,
    /// Work (day, provider, wei, tokens) for days >= now/86400 - 1.
    pub work: Vec<(u64, Address, U256, u64)>,
    /// Every provider's score, with the users whose negative point it counts.
    pub scores: Vec<(Address, Score, Vec<Address>)>,
    /// Per model, the last `speed_window` samples of its speed window, oldest (lowest seq)
    /// first.
    pub speeds: Vec<(String, Vec<SpeedSample>)>,
    /// The latest committed epoch.
    pub committed: Option<EpochRecord>,
    /// The lowest built or sent epoch above the committed one, if any.
    pub in_flight: Option<EpochRecord>,
    /// The table as of the highest of `committed` and `in_flight` (empty without epochs).
    pub table: Vec<LeafRecord>,
    /// Every named value.
    pub meta: Vec<(String, String)>,
}
