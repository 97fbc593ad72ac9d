//! The router's market state in memory, and every rule that changes it.
//!
//! Each method checks one message against SPEC sections 3 to 6, changes the state and returns
//! the [`Change`](crate::records::Change)s to persist; the service commits them before it answers, so what is acknowledged
//! is durable and a restart ([`State::restore`]) resumes exactly. Nothing here does I/O or reads
//! a clock: chain figures and `now` come in as arguments, which keeps every rule testable. The
//! state also counts each signature recovered or made, in its own
//! [`SignatureCounts`].
//!
//! The rules are split by concern, each an `impl State` of its own: `providers`
//! (attestations, bids, chain records, what selection is offered), `tickets` (RFC checks,
//! issuing, the sweep), `reports` (receipts, judging, scores and speeds), `epochs`
//! (bootstrap shares, epoch roots, proofs) and `allowances`; `signing` checks and makes
//! the signatures.

use std::{
    collections::{BTreeMap, BTreeSet, HashMap},
    sync::Arc,
};

use alloy_primitives::{Address, Bytes, B256, U256};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::Eip712Domain;
use serde::{Deserialize, Serialize};
use yellowstone_api::ApiError;
use yellowstone_protocol::merkle::MerkleTree;

use crate::{
    judge::{FailMemory, JudgePolicy, ModelSpeed},
    records::{
        AllowanceRecord, AttestationRecord, BidRecord, CreditRecord, EpochRecord, LeafRecord,
        Loaded, ReceiptRecord, TicketRecord, TicketStatus,
    },
    selection::SelectionPolicy,
    settle::{self, Table},
    signatures::SignatureCounts,
};

mod allowances;
mod epochs;
mod liveness;
mod providers;
mod reports;
mod signing;
mod tickets;

pub use liveness::{ChainRoot, Rebased, Reconciled};
pub use providers::{Offer, ProviderInfo};
pub use signing::{sign_digest, sign_ticket, signing_hash, Verified};
pub use tickets::CheckedRfc;

/// Meta key: the last day whose bootstrap shares were issued.
const BOOTSTRAP_DAY: &str = "bootstrap_day";
/// Meta key: a foreign root the operator told the router to build on (`yellowstone router
/// rebuild --foreign`), as `epoch:0xroot`.
const FOREIGN_BASE: &str = "foreign_base";

/// The market's tunables, with SPEC's defaults.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Rules {
    /// Seconds per inference block: the unit of aggregation and settlement (SPEC 2).
    pub block_seconds: u64,
    /// Seconds a ticket stays valid for the provider.
    pub ticket_seconds: u64,
    /// Seconds after a ticket's expiry that its report is still accepted; after that the ticket
    /// is charged at its receipt if the router holds one, else at `tokenMax × price`.
    pub report_seconds: u64,
    /// Furthest an RFC deadline may lie in the future, in seconds (bounds replay memory).
    pub rfc_window_seconds: u64,
    /// Largest TokenMax one RFC may ask for.
    pub max_token_max: u64,
    /// Whether a provider must attest a model before its bids are selectable.
    pub require_attestation: bool,
    /// Back-off after a provider failure: base seconds, doubling per consecutive failure.
    pub backoff_base_seconds: u64,
    /// Longest back-off, in seconds.
    pub backoff_max_seconds: u64,
    /// Providers sharing a day's bootstrap emission (SPEC 6: top 100).
    pub bootstrap_top: usize,
    /// Seconds an epoch root stays committable after it is signed: its `deadline` (SPEC 8).
    /// Default 300 (25 inference blocks of 12 s): long enough for a transaction to be mined
    /// and retried through a congested block or a short pause, short enough that a root the
    /// contract refuses (a day's cap moved, a pause) holds settlement back for at most five
    /// minutes before the router may sign its credits anew. The router accepts 60 to 86,400.
    pub epoch_deadline_seconds: u64,
    /// The credit rule and the fail rules (SPEC 4 step 10, SPEC 8).
    pub judge: JudgePolicy,
    /// Provider selection (SPEC 5).
    pub selection: SelectionPolicy,
    /// `k`: a bid above `k` times its model's reference price is not selectable and no ticket
    /// is issued above it (SPEC 8); default 4.
    pub price_band_k: u64,
    /// The operator's hard maximum price, wei per token; default 1e18 (1 MOR a token). Why
    /// that figure: it is orders of magnitude above any real price (the demo's are 0.001 to
    /// 0.003 MOR) yet bounds what one token can cost a user or credit an accomplice when a
    /// model has too few providers for its own median. Written as a decimal string.
    #[serde(serialize_with = "crate::pricing::decimal")]
    pub max_price_per_token: U256,
    /// The operator's reference price per model, wei per token, used while the model has fewer
    /// than [`crate::pricing::MIN_REFERENCE_PROVIDERS`] selectable providers (SPEC 8).
    /// Written as decimal strings.
    #[serde(serialize_with = "crate::pricing::decimal_map")]
    pub reference_prices: BTreeMap<String, U256>,
    /// The reference when no model has a bid that counts (and the model has no configured
    /// reference); `None` (the default) leaves only the hard maximum. A decimal string.
    #[serde(
        serialize_with = "crate::pricing::decimal_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub default_reference_price: Option<U256>,
    /// Most concurrent requests a bid's `capacity` is taken to mean (larger ones are capped);
    /// default 4,096.
    pub max_capacity: u32,
    /// Per model, the accepted `weightsHash` values (SPEC 8): an attestation of any other hash
    /// is refused, and a pinned model is selectable only from providers whose attestation is
    /// one of them. A model not listed accepts any non-zero hash.
    pub pinned_weights: BTreeMap<String, Vec<B256>>,
}

impl Default for Rules {
    fn default() -> Self {
        Self {
            block_seconds: 12,
            ticket_seconds: 120,
            report_seconds: 900,
            rfc_window_seconds: 600,
            max_token_max: 32_768,
            require_attestation: true,
            backoff_base_seconds: 5,
            backoff_max_seconds: 300,
            bootstrap_top: 100,
            epoch_deadline_seconds: 300,
            judge: JudgePolicy::default(),
            selection: SelectionPolicy::default(),
            price_band_k: 4,
            max_price_per_token: U256::from(crate::selection::WAD),
            reference_prices: BTreeMap::new(),
            default_reference_price: None,
            max_capacity: 4_096,
            pinned_weights: BTreeMap::new(),
        }
    }
}

/// The router's state.
pub struct State {
    rules: Rules,
    domain: Eip712Domain,
    key: PrivateKeySigner,
    bids: BTreeMap<(String, Address), BidRecord>,
    attestations: HashMap<(Address, String), AttestationRecord>,
    providers: HashMap<Address, ProviderInfo>,
    allowances: HashMap<(u64, Address), AllowanceRecord>,
    nonces: HashMap<(Address, u64), u64>,
    tickets: HashMap<B256, TicketRecord>,
    receipts: HashMap<B256, ReceiptRecord>,
    /// Indexes that let [`State::sweep`] (four times a second, under the lock) touch only what
    /// is due rather than scan every ticket and nonce held: open tickets and all tickets by
    /// (expiry, request id), spent nonces by (deadline, user, nonce), and the oldest day an
    /// allowance may be held for.
    open_by_expiry: BTreeSet<(u64, B256)>,
    tickets_by_expiry: BTreeSet<(u64, B256)>,
    nonces_by_deadline: BTreeSet<(u64, Address, u64)>,
    oldest_allowance_day: u64,
    /// Per provider, the tickets occupying its capacity, by (expiry, request id): issued, with
    /// no receipt or report yet (SPEC 8 "Selection"; see `providers`).
    occupancy: HashMap<Address, BTreeSet<(u64, B256)>>,
    credits: BTreeMap<u64, CreditRecord>,
    next_seq: u64,
    work: HashMap<(u64, Address), (U256, u64)>,
    speeds: HashMap<String, ModelSpeed>,
    /// Per provider, the users whose fails its score counts and who failed it recently.
    fails: HashMap<Address, FailMemory>,
    committed: Option<EpochRecord>,
    committed_table: Table,
    committed_tree: Option<MerkleTree>,
    in_flight: Option<EpochRecord>,
    /// The last transaction sent for an expired root, handed to the next root built so the
    /// submitter replaces it at its nonce (a transaction stuck below the base fee would
    /// otherwise hold every later one of the key behind it).
    expired_tx: Option<(B256, u64, u128, u128)>,
    table: Table,
    /// A foreign root the operator accepted as the chain's latest: the next root is numbered
    /// after it, on top of the router's own committed table (`liveness`).
    foreign_base: Option<(u64, B256)>,
    bootstrap_day: u64,
    /// This state's own counts, shared with whoever checks or signs for it outside the lock.
    signatures: Arc<SignatureCounts>,
}

impl State {
    /// A fresh state signing with `key` under `domain`.
    pub fn new(rules: Rules, domain: Eip712Domain, key: PrivateKeySigner) -> Self {
        Self {
            rules,
            domain,
            key,
            bids: BTreeMap::new(),
            attestations: HashMap::new(),
            providers: HashMap::new(),
            allowances: HashMap::new(),
            nonces: HashMap::new(),
            tickets: HashMap::new(),
            receipts: HashMap::new(),
            open_by_expiry: BTreeSet::new(),
            tickets_by_expiry: BTreeSet::new(),
            nonces_by_deadline: BTreeSet::new(),
            oldest_allowance_day: u64::MAX,
            occupancy: HashMap::new(),
            credits: BTreeMap::new(),
            next_seq: 1,
            work: HashMap::new(),
            speeds: HashMap::new(),
            fails: HashMap::new(),
            committed: None,
            committed_table: Table::new(),
            committed_tree: None,
            in_flight: None,
            table: Table::new(),
            foreign_base: None,
            expired_tx: None,
            bootstrap_day: 0,
            signatures: Arc::default(),
        }
    }

    /// The state a previous run left in the database.
    pub fn restore(
        rules: Rules,
        domain: Eip712Domain,
        key: PrivateKeySigner,
        loaded: Loaded,
        committed_table: Vec<LeafRecord>,
    ) -> Self {
        let mut state = Self::new(rules, domain, key);
        for bid in loaded.bids {
            state.bids.insert((bid.model.clone(), bid.provider), bid);
        }
        for a in loaded.attestations {
            state.attestations.insert((a.provider, a.model.clone()), a);
        }
        for a in loaded.allowances {
            state.oldest_allowance_day = state.oldest_allowance_day.min(a.day);
            state.allowances.insert((a.day, a.user), a);
        }
        for (user, nonce, deadline) in loaded.nonces {
            state.spend_nonce(user, nonce, deadline);
        }
        for t in loaded.tickets {
            state.hold_ticket(t);
        }
        for r in loaded.receipts {
            // A receipt outlives its ticket nowhere (the sweep forgets both together).
            if state.tickets.contains_key(&r.request_id) {
                state.receipts.insert(r.request_id, r);
            }
        }
        state.rebuild_occupancy();
        for c in loaded.credits {
            state.credits.insert(c.seq, c);
        }
        state.next_seq = loaded.next_seq.max(1);
        for (day, provider, wei, tokens) in loaded.work {
            state.work.insert((day, provider), (wei, tokens));
        }
        for (provider, score, failed_by) in loaded.scores {
            state.providers.entry(provider).or_default().score = score;
            state.fails.insert(provider, FailMemory::restore(failed_by));
        }
        for (model, samples) in loaded.speeds {
            let speed = ModelSpeed::restore(samples, &state.rules.judge);
            state.speeds.insert(model, speed);
        }
        for (key, value) in loaded.meta {
            if key == BOOTSTRAP_DAY {
                state.bootstrap_day = value.parse().unwrap_or(0);
            } else if key == FOREIGN_BASE {
                state.foreign_base = liveness::parse_base(&value);
            }
        }
        state.committed_table = committed_table
            .into_iter()
            .map(|l| (l.provider, (l.earned, l.bootstrap)))
            .collect();
        state.committed_tree = settle::tree(&state.committed_table);
        state.committed = loaded.committed;
        state.table = loaded
            .table
            .into_iter()
            .map(|l| (l.provider, (l.earned, l.bootstrap)))
            .collect();
        if loaded.in_flight.is_none() {
            state.table = state.committed_table.clone();
        }
        state.in_flight = loaded.in_flight;
        state
    }

    /// The rules in force.
    pub fn rules(&self) -> &Rules {
        &self.rules
    }

    /// The EIP-712 domain every message is checked under.
    pub fn domain(&self) -> &Eip712Domain {
        &self.domain
    }

    /// The router's address (the ticket and root signer).
    pub fn router(&self) -> Address {
        self.key.address()
    }

    /// The signature recoveries and signatures made for this state, counted wherever they
    /// happen (here, or outside the lock with [`Verified::new`] and [`sign_ticket`]).
    pub fn signatures(&self) -> &Arc<SignatureCounts> {
        &self.signatures
    }

    /// The router's signing key, for signing tickets outside the lock ([`sign_ticket`]).
    pub fn key(&self) -> &PrivateKeySigner {
        &self.key
    }

    /// The inference block `now` falls in.
    pub fn block_of(&self, now: u64) -> u64 {
        now / self.rules.block_seconds.max(1)
    }

    /// Marks `user`'s `nonce` spent until `deadline`.
    fn spend_nonce(&mut self, user: Address, nonce: u64, deadline: u64) {
        if let Some(old) = self.nonces.insert((user, nonce), deadline) {
            self.nonces_by_deadline.remove(&(old, user, nonce));
        }
        self.nonces_by_deadline.insert((deadline, user, nonce));
    }

    /// Holds a ticket in memory, indexed for the sweep.
    fn hold_ticket(&mut self, ticket: TicketRecord) {
        let key = (ticket.expiry, ticket.request_id);
        let open = ticket.status == TicketStatus::Open;
        if let Some(old) = self.tickets.insert(ticket.request_id, ticket) {
            self.open_by_expiry.remove(&(old.expiry, old.request_id));
            self.tickets_by_expiry.remove(&(old.expiry, old.request_id));
        }
        if open {
            self.open_by_expiry.insert(key);
        }
        self.tickets_by_expiry.insert(key);
    }

    /// Signs `digest` with the router's key (tickets and epoch roots).
    fn sign(&self, digest: B256) -> Result<Bytes, ApiError> {
        signing::sign_digest(&self.key, digest, &self.signatures)
    }
}

/// Refuses a model name that is empty, over 128 bytes or holds control characters.
fn check_model(model: &str) -> Result<(), ApiError> {
    if model.is_empty() || model.len() > 128 || model.chars().any(char::is_control) {
        return Err(ApiError::invalid(
            "model must be 1 to 128 printable characters",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::check_model;

    #[test]
    fn a_model_name_is_1_to_128_printable_characters() {
        assert!(check_model("m").is_ok());
        assert!(check_model(&"m".repeat(128)).is_ok());
        for bad in [String::new(), "m".repeat(129), "llama\n3".into()] {
            assert!(check_model(&bad).is_err(), "{bad:?}");
        }
    }
}
