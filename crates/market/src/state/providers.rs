//! Providers (SPEC 5): model attestations, bids, the contract's record of each provider, and
//! which bids selection may be offered. The selection order itself is
//! [`crate::selection::order`], applied by the caller to [`State::offers`].

use alloy_primitives::Address;
use yellowstone_api::{ApiError, ProviderRecord};
use yellowstone_protocol::messages::{Bid, ModelAttestation, Signed};

use super::{check_model, signing::verify, State};
use crate::{
    records::{AttestationRecord, BidRecord, Change},
    selection::{Backoff, Candidate, Score},
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
    /// Records a provider's model attestation (SPEC 5).
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
        verify(&signed, &self.domain, None, &self.signatures)?;
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
