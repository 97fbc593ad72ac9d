//! Signatures checked and made: [`Verified`] recovers a message's signer ahead of the rule
//! checks, [`sign_ticket`] signs a ticket outside the state's lock, [`signing_hash`] is the
//! EIP-712 digest both use. Every recovery and signature
//! is counted in the state's [`SignatureCounts`].

use std::cell::RefCell;

use alloy_primitives::{keccak256, Address, Bytes, B256};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::{Eip712Domain, SolStruct};
use yellowstone_api::ApiError;
use yellowstone_protocol::messages::{
    recover, signature_bytes, Party, Signed, Ticket, VerifyError,
};

use crate::signatures::SignatureCounts;

/// A signed message with its signature already checked, so the costly part of a rule check (a
/// secp256k1 recovery, a few hundred microseconds) can run before the state's lock is taken and
/// on every core at once; the rule checks under the lock then only read the outcome.
///
/// The outcome is the one [`Signed::verify`] gives with no expected signer (the message names
/// its signer), as the same refusal; it is reported exactly where the rule checks would have
/// recovered the signature, so the order of refusals does not change. It must be made under the
/// state's own domain ([`State::domain`](super::State::domain)).
#[derive(Clone, Debug)]
pub struct Verified<T> {
    pub(super) signed: Signed<T>,
    pub(super) digest: B256,
    outcome: Result<Address, ApiError>,
}

impl<T: Party> Verified<T> {
    /// Recovers `signed`'s signer under `domain` and checks it is the party the message names,
    /// counting the recovery in `counts` (the state's, [`State::signatures`](super::State::signatures)).
    pub fn new(signed: Signed<T>, domain: &Eip712Domain, counts: &SignatureCounts) -> Self {
        counts.count_recovery();
        let digest = signing_hash(&signed.message, domain);
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

/// `message`'s EIP-712 signing hash under `domain`: byte for byte
/// [`SolStruct::eip712_signing_hash`] (`keccak256(0x1901 ‖ domainSeparator ‖ hashStruct)`),
/// with the domain separator (four keccaks and two allocations) computed once per domain and
/// thread instead of for every message. The router hashes two messages per admission under
/// the one domain it ever uses.
pub fn signing_hash<T: SolStruct>(message: &T, domain: &Eip712Domain) -> B256 {
    thread_local! {
        static SEPARATOR: RefCell<Option<(Eip712Domain, B256)>> = const { RefCell::new(None) };
    }
    let separator = SEPARATOR.with(|cached| {
        let mut cached = cached.borrow_mut();
        match &*cached {
            Some((known, separator)) if known == domain => *separator,
            _ => {
                let separator = domain.separator();
                *cached = Some((domain.clone(), separator));
                separator
            }
        }
    });
    let mut input = [0u8; 66];
    input[..2].copy_from_slice(&[0x19, 0x01]);
    input[2..34].copy_from_slice(separator.as_slice());
    input[34..].copy_from_slice(message.eip712_hash_struct().as_slice());
    keccak256(input)
}

/// Signs `ticket` with the router's `key` under `domain`, counting the signature in `counts`.
pub fn sign_ticket(
    key: &PrivateKeySigner,
    domain: &Eip712Domain,
    ticket: Ticket,
    counts: &SignatureCounts,
) -> Result<Signed<Ticket>, ApiError> {
    let signature = sign_digest(key, signing_hash(&ticket, domain), counts)?;
    Ok(Signed {
        message: ticket,
        signature,
    })
}

/// Signs `digest` with `key`, counting the signature made: every signature the router makes
/// (tickets and epoch roots) goes through here.
///
/// # Errors
/// `internal` if the signer fails (it does not for a valid key).
pub fn sign_digest(
    key: &PrivateKeySigner,
    digest: B256,
    counts: &SignatureCounts,
) -> Result<Bytes, ApiError> {
    counts.count_signature();
    let sig = key
        .sign_hash_sync(&digest)
        .map_err(|e| ApiError::internal(format!("signing failed: {e}")))?;
    Ok(signature_bytes(&sig))
}

/// Checks a signed message, mapping each failure to a clear refusal.
pub(super) fn verify<T: Party>(
    signed: &Signed<T>,
    domain: &Eip712Domain,
    expected: Option<Address>,
    counts: &SignatureCounts,
) -> Result<Address, ApiError> {
    counts.count_recovery();
    signed
        .verify(domain, expected)
        .map_err(|e| ApiError::signature(e.to_string()))
}

#[cfg(test)]
mod tests {
    use alloy_primitives::{address, Address, B256, U256};
    use alloy_sol_types::{Eip712Domain, SolStruct};
    use yellowstone_protocol::eip712::types::domain;
    use yellowstone_protocol::messages::{Report, Rfc, Ticket};

    use super::signing_hash;

    /// The cached separator never serves another domain: every message under every domain,
    /// in an order that switches domains back and forth, hashes as alloy hashes it.
    #[test]
    fn the_signing_hash_is_alloys_under_every_domain_in_any_order() {
        let domains: Vec<Eip712Domain> = [(1u64, 1u8), (42_161, 1), (1, 2), (31_337, 9)]
            .iter()
            .map(|&(chain, contract)| domain(chain, Address::repeat_byte(contract)))
            .collect();
        let user = address!("00000000000000000000000000000000000000aa");
        for round in 0..3u64 {
            for (n, d) in domains
                .iter()
                .enumerate()
                .chain(domains.iter().enumerate().rev())
            {
                let nonce = round * 10 + n as u64;
                let rfc = Rfc {
                    user,
                    model: format!("model-{nonce}"),
                    tokenMax: 7 + nonce,
                    nonce,
                    deadline: 1_700_000_000 + nonce,
                };
                assert_eq!(signing_hash(&rfc, d), rfc.eip712_signing_hash(d));
                let ticket = Ticket {
                    requestId: B256::repeat_byte(n as u8),
                    user,
                    provider: Address::repeat_byte(3),
                    model: "m".into(),
                    tokenMax: nonce,
                    pricePerToken: U256::from(nonce) << 100,
                    expiry: nonce,
                };
                assert_eq!(signing_hash(&ticket, d), ticket.eip712_signing_hash(d));
                let report = Report {
                    requestId: B256::repeat_byte(9),
                    user,
                    firstTokenMs: nonce,
                    elapsedMs: 2 * nonce,
                    tokens: nonce,
                    pass: nonce.is_multiple_of(2),
                };
                assert_eq!(signing_hash(&report, d), report.eip712_signing_hash(d));
            }
        }
    }
}
