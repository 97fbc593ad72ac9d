//! The router's market state in memory, and every rule that changes it.
//!
//! Each method checks one message against SPEC sections 3 to 6, changes the state and returns
//! the [`Change`]s to persist; the service commits them before it answers, so what is acknowledged
//! is durable and a restart ([`State::restore`]) resumes exactly. Nothing here does I/O or reads
//! a clock: chain figures and `now` come in as arguments, which keeps every rule testable.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use alloy_primitives::{Address, Bytes, B256, U256};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::{Eip712Domain, SolStruct};
use serde::{Deserialize, Serialize};
use yellowstone_protocol::{
    eip712::types::EpochRoot,
    merkle::MerkleTree,
    messages::{
        recover, signature_bytes, Bid, ModelAttestation, Party, Receipt, Report, Rfc, Signed,
        Ticket, VerifyError,
    },
    time::DAY,
};

use yellowstone_api::{
    v1::{Allowance as AllowanceView, Issued},
    ApiError, ProviderRecord,
};

use crate::{
    allowance::Allowance,
    bootstrap,
    judge::{judge, Evidence, JudgePolicy, ModelSpeed, Refusal, Verdict},
    records::*,
    selection::{Backoff, Candidate, Score, SelectionPolicy},
    settle::{self, Pending, Table},
    signatures,
};

/// Meta key: the last day whose bootstrap shares were issued.
const BOOTSTRAP_DAY: &str = "bootstrap_day";
/// Scores count at most this many recent reports (both counts halve beyond it).
const SCORE_WINDOW: u64 = 100;

/// The market's tunables, with SPEC's defaults.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Rules {
    /// Seconds per inference block: the unit of aggregation and settlement (SPEC 2).
    pub block_seconds: u64,
    /// Seconds a ticket stays valid for the provider.
    pub ticket_seconds: u64,
    /// Seconds after a ticket's expiry that its report is still accepted; after that the ticket
    /// is charged at TokenMax.
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
    /// The credit rule (SPEC 4 step 10).
    pub judge: JudgePolicy,
    /// Provider selection (SPEC 5).
    pub selection: SelectionPolicy,
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
            judge: JudgePolicy::default(),
            selection: SelectionPolicy::default(),
        }
    }
}

/// What the router knows about one provider beyond its bids.
#[derive(Clone, Debug, Default)]
pub struct ProviderInfo {
    /// The contract's record, when read.
    pub chain: Option<ProviderRecord>,
    /// Unix seconds of that read.
    pub read_at: u64,
    /// Recent passes and fails.
    pub score: Score,
    /// Back-off after failures.
    pub backoff: Backoff,
}

/// An RFC that passed every check but allowance and selection.
#[derive(Clone, Debug)]
pub struct CheckedRfc {
    /// The signed RFC.
    pub rfc: Signed<Rfc>,
    /// Its request id.
    pub request_id: B256,
}

/// A signed message with its signature already checked, so the costly part of a rule check (a
/// secp256k1 recovery, a few hundred microseconds) can run before the state's lock is taken and
/// on every core at once; the rule checks under the lock then only read the outcome.
///
/// The outcome is the one [`Signed::verify`] gives with no expected signer (the message names
/// its signer), as the same refusal; it is reported exactly where the rule checks would have
/// recovered the signature, so the order of refusals does not change. It must be made under the
/// state's own domain ([`State::domain`]).
#[derive(Clone, Debug)]
pub struct Verified<T> {
    signed: Signed<T>,
    digest: B256,
    outcome: Result<Address, ApiError>,
}

impl<T: Party> Verified<T> {
    /// Recovers `signed`'s signer under `domain` and checks it is the party the message names.
    pub fn new(signed: Signed<T>, domain: &Eip712Domain) -> Self {
        signatures::recovered();
        let digest = signed.digest(domain);
        let outcome = recover(digest, &signed.signature)
            .and_then(|signer| {
                let expected = signed.message.party().unwrap_or(signer);
                if signer == expected {
                    Ok(signer)
                } else {
                    Err(VerifyError::WrongSigner { expected, signer })
                }
            })
            .map_err(|e| ApiError::signature(e.to_string()));
        Self {
            signed,
            digest,
            outcome,
        }
    }

    /// The signed message.
    pub fn signed(&self) -> &Signed<T> {
        &self.signed
    }

    /// The message's EIP-712 digest (for an RFC, its request id).
    pub fn digest(&self) -> B256 {
        self.digest
    }

    /// The signer, or the refusal of the signature.
    pub fn outcome(&self) -> Result<Address, ApiError> {
        self.outcome.clone()
    }
}

/// Signs `ticket` with the router's `key` under `domain`.
pub fn sign_ticket(
    key: &PrivateKeySigner,
    domain: &Eip712Domain,
    ticket: Ticket,
) -> Result<Signed<Ticket>, ApiError> {
    let signature = sign_digest(key, ticket.eip712_signing_hash(domain))?;
    Ok(Signed {
        message: ticket,
        signature,
    })
}

fn sign_digest(key: &PrivateKeySigner, digest: B256) -> Result<Bytes, ApiError> {
    signatures::made();
    let sig = key
        .sign_hash_sync(&digest)
        .map_err(|e| ApiError::internal(format!("signing failed: {e}")))?;
    Ok(signature_bytes(&sig))
}

/// A live bid offered to selection, with its endpoint.
#[derive(Clone, Debug)]
pub struct Offer {
    /// What selection weighs.
    pub candidate: Candidate,
    /// The provider gateway's base URL.
    pub endpoint: String,
}

/// The epoch root built for submission.
#[derive(Clone, Debug)]
pub struct Built {
    /// The record, as persisted.
    pub epoch: EpochRecord,
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
    credits: BTreeMap<u64, CreditRecord>,
    next_seq: u64,
    work: HashMap<(u64, Address), (U256, u64)>,
    speeds: HashMap<String, ModelSpeed>,
    committed: Option<EpochRecord>,
    committed_table: Table,
    committed_tree: Option<MerkleTree>,
    in_flight: Option<EpochRecord>,
    table: Table,
    bootstrap_day: u64,
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
            credits: BTreeMap::new(),
            next_seq: 1,
            work: HashMap::new(),
            speeds: HashMap::new(),
            committed: None,
            committed_table: Table::new(),
            committed_tree: None,
            in_flight: None,
            table: Table::new(),
            bootstrap_day: 0,
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
        for c in loaded.credits {
            state.credits.insert(c.seq, c);
        }
        state.next_seq = loaded.next_seq.max(1);
        for (day, provider, wei, tokens) in loaded.work {
            state.work.insert((day, provider), (wei, tokens));
        }
        for (provider, score) in loaded.scores {
            state.providers.entry(provider).or_default().score = score;
        }
        for (model, samples) in loaded.speeds {
            let speed = state.speeds.entry(model).or_default();
            for s in samples {
                speed.record(s, &state.rules.judge);
            }
        }
        for (key, value) in loaded.meta {
            if key == BOOTSTRAP_DAY {
                state.bootstrap_day = value.parse().unwrap_or(0);
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

    /// The router's signing key, for signing tickets outside the lock ([`sign_ticket`]).
    pub fn key(&self) -> &PrivateKeySigner {
        &self.key
    }

    /// The inference block `now` falls in.
    pub fn block_of(&self, now: u64) -> u64 {
        now / self.rules.block_seconds.max(1)
    }

    // ---- providers ----------------------------------------------------------------------

    /// Records a provider's model attestation (SPEC 5).
    pub fn attest(
        &mut self,
        signed: Signed<ModelAttestation>,
        now: u64,
    ) -> Result<Vec<Change>, ApiError> {
        verify(&signed, &self.domain, None)?;
        let m = &signed.message;
        check_model(&m.model)?;
        if m.weightsHash.is_zero() {
            return Err(ApiError::invalid(
                "weightsHash is zero: sign the keccak-256 of the model's weights file",
            ));
        }
        if m.issuedAt > now + 300 {
            return Err(ApiError::invalid(format!(
                "issuedAt {} is in the future (now {now})",
                m.issuedAt
            )));
        }
        if let Some(old) = self.attestations.get(&(m.provider, m.model.clone())) {
            if old.issued_at > m.issuedAt {
                return Err(ApiError::replayed(format!(
                    "an attestation issued at {} is newer than this one ({})",
                    old.issued_at, m.issuedAt
                )));
            }
        }
        let record = AttestationRecord {
            provider: m.provider,
            model: m.model.clone(),
            weights_hash: m.weightsHash,
            issued_at: m.issuedAt,
            signature: signed.signature.clone(),
        };
        self.attestations
            .insert((record.provider, record.model.clone()), record.clone());
        Ok(vec![Change::Attestation(record)])
    }

    /// Records a provider's bid, replacing an older nonce for the same model (SPEC 5).
    pub fn bid(&mut self, signed: Signed<Bid>, now: u64) -> Result<Vec<Change>, ApiError> {
        verify(&signed, &self.domain, None)?;
        let b = &signed.message;
        check_model(&b.model)?;
        if b.pricePerToken.is_zero() {
            return Err(ApiError::invalid("pricePerToken must be above zero"));
        }
        if b.expiry <= now {
            return Err(ApiError::expired(format!(
                "bid expired at {} (now {now})",
                b.expiry
            )));
        }
        check_endpoint(&b.endpoint)?;
        if let Some(old) = self.bids.get(&(b.model.clone(), b.provider)) {
            if old.nonce >= b.nonce {
                return Err(ApiError::replayed(format!(
                    "bid nonce {} is not above the current bid's nonce {}",
                    b.nonce, old.nonce
                )));
            }
        }
        let record = BidRecord {
            provider: b.provider,
            model: b.model.clone(),
            price: b.pricePerToken,
            endpoint: b.endpoint.trim_end_matches('/').to_string(),
            nonce: b.nonce,
            expiry: b.expiry,
            signature: signed.signature.clone(),
        };
        self.bids
            .insert((record.model.clone(), record.provider), record.clone());
        Ok(vec![Change::Bid(record)])
    }

    /// Stores the contract's record of a provider, read at `now`.
    pub fn set_chain_record(&mut self, provider: Address, record: ProviderRecord, now: u64) {
        let info = self.providers.entry(provider).or_default();
        info.chain = Some(record);
        info.read_at = now;
    }

    /// Providers with a bid whose chain record is older than `max_age` seconds (or unread).
    pub fn stale_providers(&self, now: u64, max_age: u64) -> Vec<Address> {
        let mut out: Vec<Address> = self
            .bids
            .values()
            .map(|b| b.provider)
            .filter(|p| {
                self.providers
                    .get(p)
                    .is_none_or(|i| i.chain.is_none() || i.read_at + max_age <= now)
            })
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// Why a provider's bid for `model` cannot be selected right now, if it cannot.
    pub fn unselectable(&self, provider: Address, model: &str, now: u64) -> Option<String> {
        let Some(bid) = self.bids.get(&(model.to_string(), provider)) else {
            return Some(format!("no bid for {model}"));
        };
        if bid.expiry <= now {
            return Some(format!("bid expired at {}", bid.expiry));
        }
        if self.rules.require_attestation
            && !self
                .attestations
                .contains_key(&(provider, model.to_string()))
        {
            return Some(format!("no attestation for {model}"));
        }
        let info = self.providers.get(&provider);
        match info.and_then(|i| i.chain.as_ref()) {
            None => return Some("stake not read from the chain yet".into()),
            Some(r) if r.weight.is_zero() => {
                return Some("no stake in the compute contract".into())
            }
            Some(_) => {}
        }
        if let Some(i) = info {
            if !i.backoff.available(now) {
                return Some(format!(
                    "backed off until {} after {} failures",
                    i.backoff.until, i.backoff.failures
                ));
            }
        }
        None
    }

    /// Live, staked, attested, not backed-off bids for `model` (SPEC 5: never an unstaked,
    /// expired or unsigned bid).
    pub fn offers(&self, model: &str, now: u64) -> Vec<Offer> {
        self.bids
            .range((model.to_string(), Address::ZERO)..)
            .take_while(|((m, _), _)| m == model)
            .filter(|((_, p), _)| self.unselectable(*p, model, now).is_none())
            .map(|((_, p), bid)| {
                let info = &self.providers[p];
                Offer {
                    candidate: Candidate {
                        provider: *p,
                        price: bid.price,
                        weight: info.chain.as_ref().map(|r| r.weight).unwrap_or_default(),
                        score: info.score,
                    },
                    endpoint: bid.endpoint.clone(),
                }
            })
            .collect()
    }

    /// Every live bid (expiry in the future), optionally for one model.
    pub fn live_bids(&self, model: Option<&str>, now: u64) -> Vec<&BidRecord> {
        self.bids
            .values()
            .filter(|b| b.expiry > now && model.is_none_or(|m| m == b.model))
            .collect()
    }

    /// A provider failed a probe or a report: back it off.
    pub fn provider_failed(&mut self, provider: Address, now: u64) {
        let (base, max) = (
            self.rules.backoff_base_seconds,
            self.rules.backoff_max_seconds,
        );
        self.providers
            .entry(provider)
            .or_default()
            .backoff
            .fail(now, base, max);
    }

    /// A provider answered a probe: clear its back-off.
    pub fn provider_live(&mut self, provider: Address) {
        if let Some(info) = self.providers.get_mut(&provider) {
            info.backoff.succeed();
        }
    }

    /// What the router knows of a provider.
    pub fn provider(&self, provider: Address) -> Option<&ProviderInfo> {
        self.providers.get(&provider)
    }

    /// A provider's attestations.
    pub fn attestations_of(&self, provider: Address) -> Vec<&AttestationRecord> {
        self.attestations
            .values()
            .filter(|a| a.provider == provider)
            .collect()
    }

    // ---- admission ----------------------------------------------------------------------

    /// Checks an RFC's signature, deadline, size and nonce (SPEC 4 steps 2-3).
    pub fn check_rfc(&self, rfc: Signed<Rfc>, now: u64) -> Result<CheckedRfc, ApiError> {
        self.check_verified_rfc(Verified::new(rfc, &self.domain), now)
    }

    /// [`State::check_rfc`] of an RFC whose signature was checked already.
    pub fn check_verified_rfc(&self, rfc: Verified<Rfc>, now: u64) -> Result<CheckedRfc, ApiError> {
        rfc.outcome()?;
        let request_id = rfc.digest;
        let rfc = rfc.signed;
        let m = &rfc.message;
        check_model(&m.model)?;
        if m.deadline < now {
            return Err(ApiError::expired(format!(
                "RFC deadline {} has passed (now {now})",
                m.deadline
            )));
        }
        if m.deadline > now + self.rules.rfc_window_seconds {
            return Err(ApiError::invalid(format!(
                "RFC deadline {} is more than {} s ahead",
                m.deadline, self.rules.rfc_window_seconds
            )));
        }
        if m.tokenMax == 0 || m.tokenMax > self.rules.max_token_max {
            return Err(ApiError::invalid(format!(
                "tokenMax {} is outside 1..={}",
                m.tokenMax, self.rules.max_token_max
            )));
        }
        if self.nonces.contains_key(&(m.user, m.nonce)) {
            return Err(ApiError::replayed(format!(
                "nonce {} of {} was already admitted",
                m.nonce, m.user
            )));
        }
        Ok(CheckedRfc { rfc, request_id })
    }

    /// The user's allowance record for `day`, if computed.
    pub fn allowance(&self, day: u64, user: Address) -> Option<&AllowanceRecord> {
        self.allowances.get(&(day, user))
    }

    /// Installs a user's allowance for a day, computed from the snapshot balance.
    pub fn set_allowance(&mut self, record: AllowanceRecord) -> Change {
        self.oldest_allowance_day = self.oldest_allowance_day.min(record.day);
        let entry = self
            .allowances
            .entry((record.day, record.user))
            .or_insert(record);
        Change::Allowance(entry.clone())
    }

    /// Issues a ticket for `rfc` to `provider`, holding TokenMax of the user's allowance
    /// (SPEC 3 and 4 step 6).
    pub fn issue(
        &mut self,
        checked: &CheckedRfc,
        provider: Address,
        now: u64,
    ) -> Result<(Issued, Vec<Change>), ApiError> {
        self.issue_presigned(checked, provider, now, None)
    }

    /// The ticket [`State::issue`] hands out for `checked` at `provider`, if the provider's bid
    /// is still at `price` at `now`: what the service signs before it takes the lock.
    pub fn draft_ticket(
        &self,
        checked: &CheckedRfc,
        provider: Address,
        price: U256,
        now: u64,
    ) -> Ticket {
        let m = &checked.rfc.message;
        Ticket {
            requestId: checked.request_id,
            user: m.user,
            provider,
            model: m.model.clone(),
            tokenMax: m.tokenMax,
            pricePerToken: price,
            expiry: now + self.rules.ticket_seconds,
        }
    }

    /// [`State::issue`], using `presigned` as the ticket when it is exactly the ticket issued
    /// (signed outside the lock, see [`State::draft_ticket`]); otherwise signing it here.
    pub fn issue_presigned(
        &mut self,
        checked: &CheckedRfc,
        provider: Address,
        now: u64,
        presigned: Option<Signed<Ticket>>,
    ) -> Result<(Issued, Vec<Change>), ApiError> {
        let m = &checked.rfc.message;
        if self.nonces.contains_key(&(m.user, m.nonce)) {
            return Err(ApiError::replayed(format!(
                "nonce {} of {} was already admitted",
                m.nonce, m.user
            )));
        }
        if provider == m.user {
            return Err(ApiError::forbidden(format!(
                "{provider} cannot be ticketed to its own request: a provider never serves itself"
            )));
        }
        let bid = self
            .bids
            .get(&(m.model.clone(), provider))
            .ok_or_else(|| ApiError::no_provider(format!("{provider} withdrew its bid")))?
            .clone();
        let day = now / DAY;
        let record = self
            .allowances
            .get_mut(&(day, m.user))
            .ok_or_else(|| ApiError::internal("allowance not computed before issuing a ticket"))?;
        record
            .allowance
            .hold(m.tokenMax)
            .map_err(|e| ApiError::exhausted(e.to_string()))?;
        let allowance = record.clone();
        let ticket = Ticket {
            requestId: checked.request_id,
            user: m.user,
            provider,
            model: m.model.clone(),
            tokenMax: m.tokenMax,
            pricePerToken: bid.price,
            expiry: now + self.rules.ticket_seconds,
        };
        let signature = match presigned {
            Some(signed) if signed.message == ticket => signed.signature,
            _ => self.sign(ticket.eip712_signing_hash(&self.domain))?,
        };
        let record = TicketRecord {
            request_id: checked.request_id,
            user: m.user,
            provider,
            model: m.model.clone(),
            token_max: m.tokenMax,
            price: bid.price,
            expiry: ticket.expiry,
            issued_at: now,
            day,
            status: TicketStatus::Open,
            signature: signature.clone(),
        };
        self.spend_nonce(m.user, m.nonce, m.deadline);
        self.hold_ticket(record.clone());
        let changes = vec![
            Change::Nonce {
                user: m.user,
                nonce: m.nonce,
                deadline: m.deadline,
            },
            Change::Allowance(allowance),
            Change::Ticket(record),
        ];
        Ok((
            Issued {
                request_id: checked.request_id,
                ticket: Signed {
                    message: ticket,
                    signature,
                },
                endpoint: bid.endpoint,
            },
            changes,
        ))
    }

    /// A ticket the router still holds in memory.
    pub fn ticket(&self, request_id: B256) -> Option<&TicketRecord> {
        self.tickets.get(&request_id)
    }

    // ---- receipts and reports -----------------------------------------------------------

    /// Records a provider's receipt for an open ticket; the first receipt stands.
    pub fn receipt(&mut self, signed: Signed<Receipt>) -> Result<Vec<Change>, ApiError> {
        self.receipt_verified(Verified::new(signed, &self.domain))
    }

    /// [`State::receipt`] of a receipt whose signature was checked already.
    pub fn receipt_verified(&mut self, signed: Verified<Receipt>) -> Result<Vec<Change>, ApiError> {
        let record = self.check_receipt(&signed)?;
        if self.receipts.contains_key(&record.request_id) {
            return Ok(Vec::new());
        }
        self.receipts.insert(record.request_id, record.clone());
        Ok(vec![Change::Receipt(record)])
    }

    fn check_receipt(&self, signed: &Verified<Receipt>) -> Result<ReceiptRecord, ApiError> {
        signed.outcome()?;
        let signed = &signed.signed;
        let r = &signed.message;
        let ticket = self.tickets.get(&r.requestId).ok_or_else(|| {
            ApiError::not_found(format!("no open ticket {} for this receipt", r.requestId))
        })?;
        if ticket.provider != r.provider {
            return Err(ApiError::forbidden(format!(
                "request {} was ticketed to {}, not {}",
                r.requestId, ticket.provider, r.provider
            )));
        }
        if r.tokens > ticket.token_max {
            return Err(ApiError::invalid(format!(
                "the receipt claims {} tokens; ticket {} allows at most {}",
                r.tokens, r.requestId, ticket.token_max
            )));
        }
        Ok(ReceiptRecord {
            request_id: r.requestId,
            provider: r.provider,
            tokens: r.tokens,
            signature: signed.signature.clone(),
        })
    }

    /// Judges a user's report and credits the provider (SPEC 4 steps 9-10). One report per
    /// request; the receipt may come with it or earlier from the provider.
    pub fn report(
        &mut self,
        report: Signed<Report>,
        receipt: Option<Signed<Receipt>>,
        now: u64,
    ) -> Result<(Verdict, Vec<Change>), ApiError> {
        let report = Verified::new(report, &self.domain);
        let receipt = receipt.map(|r| Verified::new(r, &self.domain));
        self.report_verified(report, receipt, now)
    }

    /// [`State::report`] of a report (and receipt) whose signatures were checked already.
    pub fn report_verified(
        &mut self,
        report: Verified<Report>,
        receipt: Option<Verified<Receipt>>,
        now: u64,
    ) -> Result<(Verdict, Vec<Change>), ApiError> {
        report.outcome()?;
        let report = report.signed;
        let r = &report.message;
        let ticket = self.tickets.get(&r.requestId).ok_or_else(|| {
            ApiError::not_found(format!(
                "no open ticket {} (unknown or too old)",
                r.requestId
            ))
        })?;
        if ticket.user != r.user {
            return Err(ApiError::forbidden(format!(
                "request {} belongs to {}, not {}",
                r.requestId, ticket.user, r.user
            )));
        }
        match ticket.status {
            TicketStatus::Open => {}
            TicketStatus::Reported => {
                return Err(ApiError::replayed(format!(
                    "request {} was already reported",
                    r.requestId
                )))
            }
            TicketStatus::Expired => {
                return Err(ApiError::expired(format!(
                    "request {}'s report window closed; it was charged at TokenMax",
                    r.requestId
                )))
            }
        }
        if now > ticket.expiry + self.rules.report_seconds {
            return Err(ApiError::expired(format!(
                "reports for {} closed at {} (now {now})",
                r.requestId,
                ticket.expiry + self.rules.report_seconds
            )));
        }
        let mut changes = Vec::new();
        if let Some(receipt) = receipt {
            changes.extend(self.receipt_verified(receipt)?);
        }
        let ticket = self.tickets[&r.requestId].clone();
        let receipt_tokens = self.receipts.get(&r.requestId).map(|x| x.tokens);
        let speed = self.speeds.entry(ticket.model.clone()).or_default();
        let verdict = judge(
            &Evidence {
                token_max: ticket.token_max,
                user_tokens: r.tokens,
                receipt_tokens,
                elapsed_ms: r.elapsedMs,
                pass: r.pass,
                price_wei_per_token: ticket.price,
            },
            speed,
            &self.rules.judge,
        );
        let info = self.providers.entry(ticket.provider).or_default();
        let credited = match &verdict {
            Verdict::Credited {
                tokens,
                wei,
                micros_per_token,
            } => {
                speed.record(*micros_per_token, &self.rules.judge);
                info.score.passes += 1;
                let seq = self.next_seq;
                self.next_seq += 1;
                let credit = CreditRecord {
                    seq,
                    provider: ticket.provider,
                    amount: *wei,
                    bootstrap: false,
                    block: now / self.rules.block_seconds.max(1),
                };
                self.credits.insert(seq, credit.clone());
                let day = now / DAY;
                let work = self.work.entry((day, ticket.provider)).or_default();
                work.0 += *wei;
                work.1 += *tokens;
                changes.push(Change::Credit(credit));
                changes.push(Change::Work {
                    day,
                    provider: ticket.provider,
                    wei: *wei,
                    tokens: *tokens,
                });
                *tokens
            }
            Verdict::Refused { reason } => {
                if matches!(reason, Refusal::Failed | Refusal::TooSlow { .. }) {
                    info.score.fails += 1;
                    if matches!(reason, Refusal::Failed) {
                        info.backoff.fail(
                            now,
                            self.rules.backoff_base_seconds,
                            self.rules.backoff_max_seconds,
                        );
                    }
                }
                0
            }
        };
        if info.score.passes + info.score.fails > SCORE_WINDOW {
            info.score.passes /= 2;
            info.score.fails /= 2;
        }
        changes.push(Change::Score {
            provider: ticket.provider,
            score: info.score,
        });
        if let Some(a) = self.allowances.get_mut(&(ticket.day, ticket.user)) {
            a.allowance.settle(ticket.token_max, credited);
            changes.push(Change::Allowance(a.clone()));
        }
        let t = self.tickets.get_mut(&r.requestId).expect("checked above");
        t.status = TicketStatus::Reported;
        self.open_by_expiry.remove(&(t.expiry, t.request_id));
        changes.push(Change::Ticket(t.clone()));
        changes.push(Change::Report(ReportRecord {
            request_id: r.requestId,
            model: ticket.model.clone(),
            provider: ticket.provider,
            elapsed_ms: r.elapsedMs,
            user_tokens: r.tokens,
            receipt_tokens,
            pass: r.pass,
            verdict: verdict.clone(),
            accepted_at: now,
            signature: report.signature.clone(),
        }));
        Ok((verdict, changes))
    }

    /// Charges unreported tickets at TokenMax once their report window closes (SPEC 3), and
    /// forgets what can no longer matter: spent nonces past their deadline, old allowances and
    /// closed tickets.
    pub fn sweep(&mut self, now: u64) -> Vec<Change> {
        let mut changes = Vec::new();
        let window = self.rules.report_seconds;
        // Open tickets whose report window closed, oldest first.
        while let Some(&(expiry, id)) = self.open_by_expiry.first() {
            if expiry + window >= now {
                break;
            }
            self.open_by_expiry.pop_first();
            let Some(t) = self.tickets.get_mut(&id) else {
                continue;
            };
            if t.status != TicketStatus::Open || t.expiry != expiry {
                continue;
            }
            t.status = TicketStatus::Expired;
            changes.push(Change::Ticket(t.clone()));
            if let Some(a) = self.allowances.get_mut(&(t.day, t.user)) {
                a.allowance.expire(t.token_max);
                changes.push(Change::Allowance(a.clone()));
            }
        }
        // Closed tickets an hour past their report window, and their receipts.
        let mut still_open = Vec::new();
        while let Some(&(expiry, id)) = self.tickets_by_expiry.first() {
            if expiry + window + 3_600 >= now {
                break;
            }
            self.tickets_by_expiry.pop_first();
            match self.tickets.get(&id) {
                Some(t) if t.expiry != expiry => {}
                Some(t) if t.status == TicketStatus::Open => still_open.push((expiry, id)),
                Some(_) => {
                    self.tickets.remove(&id);
                    self.receipts.remove(&id);
                }
                None => {}
            }
        }
        self.tickets_by_expiry.extend(still_open);
        // Spent nonces past their deadline.
        while let Some(&(deadline, user, nonce)) = self.nonces_by_deadline.first() {
            if deadline >= now {
                break;
            }
            self.nonces_by_deadline.pop_first();
            if self.nonces.get(&(user, nonce)) == Some(&deadline) {
                self.nonces.remove(&(user, nonce));
            }
        }
        let today = now / DAY;
        if self.oldest_allowance_day.saturating_add(1) < today {
            self.allowances.retain(|(day, _), _| day + 1 >= today);
            self.oldest_allowance_day = today - 1;
        }
        self.work.retain(|(day, _), _| day + 2 >= today);
        changes
    }

    // ---- settlement ---------------------------------------------------------------------

    /// Issues the bootstrap shares paid on `day` (SPEC 6): `amount` shared pro rata among the
    /// top providers by the previous day's credited work. **Decision**: shares are paid on the
    /// day after the work, so every payment falls on a day the contract's window accepts and
    /// ranks a complete day. Returns nothing when already issued for `day`.
    pub fn issue_bootstrap(&mut self, day: u64, amount: U256, now: u64) -> Vec<Change> {
        if day <= self.bootstrap_day {
            return Vec::new();
        }
        self.bootstrap_day = day;
        let mut changes = vec![Change::Meta {
            key: BOOTSTRAP_DAY.into(),
            value: day.to_string(),
        }];
        let work: Vec<(Address, U256)> = self
            .work
            .iter()
            .filter(|((d, _), _)| *d + 1 == day)
            .map(|((_, p), (wei, _))| (*p, *wei))
            .collect();
        for (provider, share) in bootstrap::shares(&work, amount, self.rules.bootstrap_top) {
            let seq = self.next_seq;
            self.next_seq += 1;
            let credit = CreditRecord {
                seq,
                provider,
                amount: share,
                bootstrap: true,
                block: self.block_of(now),
            };
            self.credits.insert(seq, credit.clone());
            changes.push(Change::Credit(credit));
        }
        changes
    }

    /// Bootstrap shares issued and not yet in a committed root.
    pub fn pending_bootstrap(&self) -> U256 {
        self.credits
            .values()
            .filter(|c| c.bootstrap)
            .fold(U256::ZERO, |acc, c| acc.saturating_add(c.amount))
    }

    /// Drops pending bootstrap shares: the contract refuses bootstrap credit once the window
    /// has closed, so they can never be paid. Not while an epoch carrying some is in flight.
    pub fn drop_bootstrap(&mut self) -> Vec<Change> {
        if self.in_flight.is_some() {
            return Vec::new();
        }
        let dropped: Vec<u64> = self
            .credits
            .values()
            .filter(|c| c.bootstrap)
            .map(|c| c.seq)
            .collect();
        dropped
            .into_iter()
            .filter_map(|seq| self.credits.remove(&seq))
            .map(|mut c| {
                c.amount = U256::ZERO;
                Change::Credit(c)
            })
            .collect()
    }

    /// The last day whose bootstrap shares were issued.
    pub fn bootstrap_day(&self) -> u64 {
        self.bootstrap_day
    }

    /// Builds and signs the next epoch root from the credits of every closed inference block,
    /// within `headroom` (the contract's daily cap and funding left) and `bootstrap_headroom`;
    /// what does not fit stays pending for the next epoch (SPEC 6). `None` when an epoch is
    /// already in flight or nothing new is due.
    pub fn build_epoch(
        &mut self,
        now: u64,
        headroom: U256,
        bootstrap_headroom: U256,
    ) -> Result<Option<(EpochRecord, Vec<Change>)>, ApiError> {
        if self.in_flight.is_some() {
            return Ok(None);
        }
        let block = self.block_of(now);
        let pending: Vec<Pending> = self
            .credits
            .values()
            .filter(|c| c.block < block && !c.amount.is_zero())
            .map(|c| Pending {
                seq: c.seq,
                provider: c.provider,
                amount: c.amount,
                bootstrap: c.bootstrap,
            })
            .collect();
        let fold = settle::fold(&pending, headroom, bootstrap_headroom);
        if fold.taken.is_empty() {
            return Ok(None);
        }
        let table = settle::apply(&self.committed_table, &pending, &fold);
        let tree = settle::tree(&table).ok_or_else(|| ApiError::internal("empty epoch table"))?;
        let (credited, bootstrap) = settle::totals(&table);
        let epoch = self.committed.as_ref().map_or(0, |e| e.epoch) + 1;
        let message = EpochRoot {
            epoch,
            root: tree.root(),
            cumulativeCredited: credited,
            cumulativeBootstrap: bootstrap,
        };
        let signature = self.sign(message.eip712_signing_hash(&self.domain))?;
        let record = EpochRecord {
            epoch,
            root: tree.root(),
            cumulative_credited: credited,
            cumulative_bootstrap: bootstrap,
            signature,
            up_to_block: block,
            built_at: now,
            fold: fold.taken.clone(),
            status: EpochStatus::Built,
            tx: None,
            mined: None,
        };
        let mut changes = vec![Change::Epoch(record.clone())];
        for (provider, figures) in &table {
            if self.committed_table.get(provider) != Some(figures) {
                changes.push(Change::Leaf(LeafRecord {
                    provider: *provider,
                    epoch,
                    earned: figures.0,
                    bootstrap: figures.1,
                }));
            }
        }
        self.table = table;
        self.in_flight = Some(record.clone());
        Ok(Some((record, changes)))
    }

    /// The epoch waiting for the chain, if any.
    pub fn in_flight(&self) -> Option<&EpochRecord> {
        self.in_flight.as_ref()
    }

    /// The latest epoch the contract holds.
    pub fn committed(&self) -> Option<&EpochRecord> {
        self.committed.as_ref()
    }

    /// A transaction carrying the in-flight epoch was sent.
    pub fn epoch_sent(&mut self, tx: (B256, u64, u128, u128)) -> Vec<Change> {
        match self.in_flight.as_mut() {
            Some(e) => {
                e.status = EpochStatus::Sent;
                e.tx = Some(tx);
                vec![Change::Epoch(e.clone())]
            }
            None => Vec::new(),
        }
    }

    /// The contract holds the in-flight epoch: its credits are paid out of the pending queue.
    pub fn epoch_committed(&mut self, mined: Option<(u64, u64)>) -> Vec<Change> {
        let Some(mut epoch) = self.in_flight.take() else {
            return Vec::new();
        };
        epoch.status = EpochStatus::Committed;
        if mined.is_some() {
            epoch.mined = mined;
        }
        let mut changes = vec![Change::Epoch(epoch.clone())];
        for (seq, taken) in &epoch.fold {
            if let Some(c) = self.credits.get_mut(seq) {
                c.amount = c.amount.saturating_sub(*taken);
                changes.push(Change::Credit(c.clone()));
                if c.amount.is_zero() {
                    self.credits.remove(seq);
                }
            }
        }
        self.committed_table = self.table.clone();
        self.committed_tree = settle::tree(&self.committed_table);
        self.committed = Some(epoch);
        changes
    }

    /// The contract refused the in-flight epoch for good: drop it; its credits stay pending
    /// and the next build starts again from the committed table.
    pub fn epoch_rejected(&mut self) -> Vec<Change> {
        let Some(epoch) = self.in_flight.take() else {
            return Vec::new();
        };
        self.table = self.committed_table.clone();
        vec![Change::DropEpoch(epoch.epoch)]
    }

    /// A provider's leaf in the latest committed epoch and its proof: what `claim` takes.
    pub fn proof(&self, provider: Address) -> Option<(&EpochRecord, U256, U256, Vec<B256>)> {
        // Borrowed, not cloned: the record carries the fold of every credit it settled.
        let epoch = self.committed.as_ref()?;
        let (earned, bootstrap) = *self.committed_table.get(&provider)?;
        let leaf = yellowstone_protocol::merkle::leaf_hash(provider, earned, bootstrap);
        let proof = self.committed_tree.as_ref()?.proof(leaf)?;
        Some((epoch, earned, bootstrap, proof))
    }

    /// Wei credited but not yet in a committed root, and the number of such credits.
    pub fn pending_credit(&self) -> (U256, usize) {
        let total = self
            .credits
            .values()
            .fold(U256::ZERO, |acc, c| acc.saturating_add(c.amount));
        (total, self.credits.len())
    }

    /// A provider's pending (uncommitted) credit.
    pub fn pending_of(&self, provider: Address) -> U256 {
        self.credits
            .values()
            .filter(|c| c.provider == provider)
            .fold(U256::ZERO, |acc, c| acc.saturating_add(c.amount))
    }

    /// A provider's cumulative (earned, bootstrap) in the latest committed root.
    pub fn committed_leaf(&self, provider: Address) -> Option<(U256, U256)> {
        self.committed_table.get(&provider).copied()
    }

    /// Credited (wei, tokens) of a day, all providers together.
    pub fn day_volume(&self, day: u64) -> (U256, u64) {
        self.work
            .iter()
            .filter(|((d, _), _)| *d == day)
            .fold((U256::ZERO, 0), |acc, (_, (w, t))| {
                (acc.0.saturating_add(*w), acc.1.saturating_add(*t))
            })
    }

    /// Open tickets, for metrics.
    pub fn open_tickets(&self) -> usize {
        self.open_by_expiry.len()
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

    fn sign(&self, digest: B256) -> Result<Bytes, ApiError> {
        sign_digest(&self.key, digest)
    }
}

/// Checks a signed message, mapping each failure to a clear refusal.
fn verify<T: yellowstone_protocol::messages::Party>(
    signed: &Signed<T>,
    domain: &Eip712Domain,
    expected: Option<Address>,
) -> Result<Address, ApiError> {
    signatures::recovered();
    signed
        .verify(domain, expected)
        .map_err(|e| ApiError::signature(e.to_string()))
}

fn check_model(model: &str) -> Result<(), ApiError> {
    if model.is_empty() || model.len() > 128 || model.chars().any(char::is_control) {
        return Err(ApiError::invalid(
            "model must be 1 to 128 printable characters",
        ));
    }
    Ok(())
}

fn check_endpoint(endpoint: &str) -> Result<(), ApiError> {
    let ok = (endpoint.starts_with("http://") || endpoint.starts_with("https://"))
        && endpoint.len() <= 512
        && !endpoint
            .chars()
            .any(|c| c.is_control() || c.is_whitespace());
    if !ok {
        return Err(ApiError::invalid(format!(
            "endpoint {endpoint:?} is not an http(s) URL of at most 512 characters"
        )));
    }
    Ok(())
}

impl From<&AllowanceRecord> for AllowanceView {
    fn from(r: &AllowanceRecord) -> Self {
        let a: Allowance = r.allowance;
        Self {
            day: r.day,
            user: r.user,
            balance: r.balance,
            allowance: a.allowance,
            used: a.used,
            held: a.held,
            left: a.left(),
        }
    }
}
