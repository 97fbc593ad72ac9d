//! Providers (SPEC 5 and 8): model attestations (against pinned weights hashes), bids (with
//! their capacity), the contract's record of each provider, which bids selection may be
//! offered, the reference price that bounds them, and the tickets that occupy a provider's
//! capacity. The selection order itself is [`crate::selection::order`], applied by the caller
//! to [`State::offers`].
//!
//! A bid is *counted* (toward its model's reference price) when it is live, its provider's
//! stake is read and non-zero, and it is attested as the rules require (a pinned model: with
//! one of the pinned hashes). A counted bid is *selectable* when, in addition, its provider has
//! a selection weight, its price is within the model's [`PriceBound`], its provider has
//! capacity left and is not backed off. The reference leaves out the last three on purpose:
//! the price bound would make it circular, and load and back-off would make it move with
//! every request.

use std::collections::HashMap;

use alloy_primitives::{Address, B256, U256};
use yellowstone_api::{ApiError, ProviderRecord};
use yellowstone_protocol::messages::{Bid, ModelAttestation, Signed};

use super::{check_model, signing::verify, State};
use crate::{
    pricing::{weighted_median, PriceBound, ReferenceSource, MIN_REFERENCE_PROVIDERS},
    records::{AttestationRecord, BidRecord, Change, TicketStatus},
    selection::{selection_weight, Backoff, Candidate, Score},
};

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

/// A live bid offered to selection, with its endpoint.
#[derive(Clone, Debug)]
pub struct Offer {
    /// What selection weighs.
    pub candidate: Candidate,
    /// The provider gateway's base URL.
    pub endpoint: String,
}

impl State {
    /// Records a provider's model attestation (SPEC 5); for a model with pinned weights hashes
    /// only one of them (SPEC 8).
    pub fn attest(
        &mut self,
        signed: Signed<ModelAttestation>,
        now: u64,
    ) -> Result<Vec<Change>, ApiError> {
        verify(&signed, &self.domain, None, &self.signatures)?;
        let m = &signed.message;
        check_model(&m.model)?;
        if m.weightsHash.is_zero() {
            return Err(ApiError::invalid(
                "weightsHash is zero: sign the keccak-256 of the model's weights file",
            ));
        }
        if let Some(pinned) = self.rules.pinned_weights.get(&m.model) {
            if !pinned.contains(&m.weightsHash) {
                return Err(ApiError::forbidden(format!(
                    "model {} accepts only the pinned weights hashes; {} is not one",
                    m.model, m.weightsHash
                )));
            }
        }
        if m.issuedAt > now.saturating_add(300) {
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

    /// Records a provider's bid, replacing an older nonce for the same model (SPEC 5). A bid
    /// above the price bound is accepted, so its provider can see (in
    /// [`State::unselectable`]) why it is not selected; a capacity of 0 is refused.
    pub fn bid(&mut self, signed: Signed<Bid>, now: u64) -> Result<Vec<Change>, ApiError> {
        verify(&signed, &self.domain, None, &self.signatures)?;
        let b = &signed.message;
        check_model(&b.model)?;
        if b.pricePerToken.is_zero() {
            return Err(ApiError::invalid("pricePerToken must be above zero"));
        }
        if b.capacity == 0 {
            return Err(ApiError::invalid(
                "capacity must be at least 1: the concurrent requests the provider serves",
            ));
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
            capacity: b.capacity,
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
                    .is_none_or(|i| i.chain.is_none() || i.read_at.saturating_add(max_age) <= now)
            })
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// Why a provider's bid for `model` cannot be selected right now, if it cannot: naming the
    /// price, the reference and `k` when the price is out of bounds.
    pub fn unselectable(&self, provider: Address, model: &str, now: u64) -> Option<String> {
        let Some(bid) = self.bids.get(&(model.to_string(), provider)) else {
            return Some(format!("no bid for {model}"));
        };
        self.unselectable_within(bid, &self.price_bound(model, now), now)
    }

    /// [`State::unselectable`] of `bid` under its model's `bound`.
    fn unselectable_within(&self, bid: &BidRecord, bound: &PriceBound, now: u64) -> Option<String> {
        if let Some(why) = self.uncounted(bid, now) {
            return Some(why);
        }
        let info = self.providers.get(&bid.provider);
        let record = info.and_then(|i| i.chain.as_ref());
        if record.is_none_or(|r| selection_weight(r, now).is_zero()) {
            return Some("no selection weight: stake times the lock's multiplier is zero".into());
        }
        if let Some(why) = bound.exceeded_by(bid.price) {
            return Some(why);
        }
        let capacity = self.capacity_of(bid);
        let busy = self.tickets_in_flight(bid.provider, now);
        if busy >= capacity {
            return Some(format!(
                "at capacity: {busy} of {capacity} concurrent tickets in flight"
            ));
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

    /// Why `bid` does not count toward its model's reference price, if it does not: expired,
    /// not attested as required (or not with a pinned hash), stake unread or zero.
    fn uncounted(&self, bid: &BidRecord, now: u64) -> Option<String> {
        if bid.expiry <= now {
            return Some(format!("bid expired at {}", bid.expiry));
        }
        let model = &bid.model;
        let attested = self.attestations.get(&(bid.provider, model.clone()));
        match (self.rules.pinned_weights.get(model), attested) {
            (Some(_), None) => {
                return Some(format!(
                    "no attestation for {model}, whose weights hashes are pinned"
                ))
            }
            (Some(pinned), Some(a)) if !pinned.contains(&a.weights_hash) => {
                return Some(format!(
                    "attested weights hash {} is not one of the {} pinned for {model}",
                    a.weights_hash,
                    pinned.len()
                ))
            }
            (None, None) if self.rules.require_attestation => {
                return Some(format!("no attestation for {model}"))
            }
            _ => {}
        }
        match self
            .providers
            .get(&bid.provider)
            .and_then(|i| i.chain.as_ref())
        {
            None => Some("stake not read from the chain yet".into()),
            Some(r) if r.stake.is_zero() => Some("no stake in the compute contract".into()),
            Some(_) => None,
        }
    }

    /// A provider's staked wei as last read (zero when unread).
    fn stake_of(&self, provider: Address) -> U256 {
        self.providers
            .get(&provider)
            .and_then(|i| i.chain.as_ref())
            .map(|r| r.stake)
            .unwrap_or_default()
    }

    /// The bids for `model`, one per provider.
    fn bids_of<'a>(&'a self, model: &'a str) -> impl Iterator<Item = &'a BidRecord> + 'a {
        self.bids
            .range((model.to_string(), Address::ZERO)..)
            .take_while(move |((m, _), _)| m == model)
            .map(|(_, bid)| bid)
    }

    /// The reference price per token (SPEC 8): with `Some(model)`, that model's (the one its
    /// [`State::price_bound`] uses); with `None`, the market-wide one (the stake-weighted
    /// median over every counted bid of every model, else `rules.default_reference_price`).
    /// `None` when there is none.
    pub fn reference_price(&self, model: Option<&str>, now: u64) -> Option<U256> {
        match model {
            Some(model) => self.price_bound(model, now).reference,
            None => self
                .market_reference(now)
                .or(self.rules.default_reference_price),
        }
    }

    /// The bound on `model`'s prices at `now` (SPEC 8): `min(k * reference, max)` where the
    /// reference is the stake-weighted lower median ([`weighted_median`], weight = stake) of
    /// the model's counted bids when at least [`MIN_REFERENCE_PROVIDERS`] providers have one,
    /// else the operator's reference for the model, else the market-wide reference, else
    /// the operator's default.
    pub fn price_bound(&self, model: &str, now: u64) -> PriceBound {
        let (reference, source) = self.model_reference(model, now);
        PriceBound {
            reference,
            source,
            k: self.rules.price_band_k,
            max: self.rules.max_price_per_token,
        }
    }

    fn model_reference(&self, model: &str, now: u64) -> (Option<U256>, ReferenceSource) {
        let counted: Vec<(U256, U256)> = self
            .bids_of(model)
            .filter(|b| self.uncounted(b, now).is_none())
            .map(|b| (b.price, self.stake_of(b.provider)))
            .collect();
        if counted.len() >= MIN_REFERENCE_PROVIDERS {
            if let Some(median) = weighted_median(&counted) {
                return (Some(median), ReferenceSource::Model);
            }
        }
        if let Some(configured) = self.rules.reference_prices.get(model) {
            return (Some(*configured), ReferenceSource::Configured);
        }
        match self.market_reference(now) {
            Some(market) => (Some(market), ReferenceSource::Market),
            None => (self.rules.default_reference_price, ReferenceSource::Default),
        }
    }

    /// The stake-weighted lower median of every counted bid of every model, each weighing its
    /// provider's stake divided by that provider's number of counted bids (floor).
    ///
    /// Why divided: one bid per provider per model, yet a provider's say in the market-wide
    /// price is its stake once, however many models (real or invented) it bids on.
    fn market_reference(&self, now: u64) -> Option<U256> {
        let counted: Vec<&BidRecord> = self
            .bids
            .values()
            .filter(|b| self.uncounted(b, now).is_none())
            .collect();
        let mut bids_per_provider: HashMap<Address, u64> = HashMap::new();
        for b in &counted {
            let n = bids_per_provider.entry(b.provider).or_default();
            *n = n.saturating_add(1);
        }
        let weighted: Vec<(U256, U256)> = counted
            .iter()
            .map(|b| {
                let n = bids_per_provider.get(&b.provider).copied().unwrap_or(1);
                (b.price, self.stake_of(b.provider) / U256::from(n.max(1)))
            })
            .collect();
        weighted_median(&weighted)
    }

    /// Live, staked, attested, in-bounds, not full, not backed-off bids for `model` (SPEC 5
    /// and 8: never an unstaked, expired, unsigned or overpriced bid, nor one whose provider
    /// is at capacity), each weighing [`selection_weight`] at `now`.
    pub fn offers(&self, model: &str, now: u64) -> Vec<Offer> {
        let bound = self.price_bound(model, now);
        self.bids_of(model)
            .filter(|bid| self.unselectable_within(bid, &bound, now).is_none())
            .filter_map(|bid| {
                let record = self.providers.get(&bid.provider)?.chain.as_ref()?;
                Some(Offer {
                    candidate: Candidate {
                        provider: bid.provider,
                        price: bid.price,
                        weight: selection_weight(record, now),
                        stake: record.stake,
                        score: self.providers[&bid.provider].score,
                    },
                    endpoint: bid.endpoint.clone(),
                })
            })
            .collect()
    }

    /// Checks, at issue, that `bid` may carry a ticket now (SPEC 8): its price within the
    /// model's bound (`no_provider` otherwise), and its provider below the bid's capacity
    /// (`busy`, retry when its first ticket in flight expires).
    pub(super) fn check_issuable(&self, bid: &BidRecord, now: u64) -> Result<(), ApiError> {
        if let Some(why) = self.price_bound(&bid.model, now).exceeded_by(bid.price) {
            return Err(ApiError::no_provider(format!(
                "{}'s bid for {}: {why}; no ticket is issued above the bound",
                bid.provider, bid.model
            )));
        }
        let capacity = self.capacity_of(bid);
        let busy = self.tickets_in_flight(bid.provider, now);
        if busy >= capacity {
            let first_free = self
                .occupancy
                .get(&bid.provider)
                .and_then(|held| held.iter().find(|(expiry, _)| *expiry > now))
                .map_or(1, |(expiry, _)| expiry.saturating_sub(now).max(1));
            let mut refusal = ApiError::busy(first_free);
            refusal.message = format!(
                "{} is at capacity: {busy} of its {capacity} concurrent requests in flight; \
                 a place frees at each receipt or report, at the latest in {first_free} s",
                bid.provider
            );
            return Err(refusal);
        }
        Ok(())
    }

    /// The concurrent requests `bid` allows: its capacity, capped at `rules.max_capacity`.
    fn capacity_of(&self, bid: &BidRecord) -> usize {
        usize::try_from(bid.capacity.min(self.rules.max_capacity)).unwrap_or(usize::MAX)
    }

    /// Tickets of `provider` in flight at `now`: issued, with neither receipt nor report yet,
    /// and not expired (SPEC 8: the ticket's expiry, not its longer report window, bounds how
    /// long a silent request occupies capacity).
    ///
    /// Counts the expired entries at the front of the set and subtracts them from its length:
    /// `State::occupy` drops them at every ticket, so this walks a handful of entries where
    /// counting the live ones walked every ticket in flight (under the state's lock, twice per
    /// admission: 16% of the router's CPU at 20,000 tickets in flight).
    pub fn tickets_in_flight(&self, provider: Address, now: u64) -> usize {
        self.occupancy.get(&provider).map_or(0, |held| {
            let expired = held.iter().take_while(|(expiry, _)| *expiry <= now).count();
            held.len() - expired
        })
    }

    /// A ticket was issued: it occupies its provider's capacity until [`State::release_capacity`]
    /// or its expiry; the provider's expired entries are forgotten here, so each provider
    /// holds at most its capacity of entries.
    pub(super) fn occupy(&mut self, provider: Address, expiry: u64, request_id: B256, now: u64) {
        let held = self.occupancy.entry(provider).or_default();
        while held.first().is_some_and(|(e, _)| *e <= now) {
            held.pop_first();
        }
        held.insert((expiry, request_id));
    }

    /// The request's receipt or report arrived: its ticket no longer occupies its provider's
    /// capacity. Idempotent; a no-op for an unknown request.
    pub(crate) fn release_capacity(&mut self, request_id: B256) {
        let Some(t) = self.tickets.get(&request_id) else {
            return;
        };
        if let Some(held) = self.occupancy.get_mut(&t.provider) {
            held.remove(&(t.expiry, request_id));
            if held.is_empty() {
                self.occupancy.remove(&t.provider);
            }
        }
    }

    /// Rebuilds the occupancy from the tickets and receipts held (after a restore): every
    /// open ticket without a receipt occupies its provider until its expiry.
    pub(super) fn rebuild_occupancy(&mut self) {
        self.occupancy.clear();
        for t in self.tickets.values() {
            if t.status == TicketStatus::Open && !self.receipts.contains_key(&t.request_id) {
                self.occupancy
                    .entry(t.provider)
                    .or_default()
                    .insert((t.expiry, t.request_id));
            }
        }
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
}

/// Refuses an endpoint that is not an http(s) URL of at most 512 characters without spaces.
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

#[cfg(test)]
mod tests {
    use super::check_endpoint;

    #[test]
    fn an_endpoint_is_at_most_512_characters() {
        let longest = format!("https://{}", "a".repeat(504));
        assert!(check_endpoint(&longest).is_ok());
        assert!(check_endpoint(&format!("{longest}a")).is_err());
    }
}
