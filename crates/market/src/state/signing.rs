//! Signatures checked and made: [`Verified`] recovers a message's signer ahead of the rule
//! checks, [`sign_ticket`] signs a ticket outside the state's lock. Every recovery and signature
//! is counted in the state's [`SignatureCounts`].

use alloy_primitives::{Address, Bytes, B256};
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

/// Signs `ticket` with the router's `key` under `domain`, counting the signature in `counts`.
pub fn sign_ticket(
    key: &PrivateKeySigner,
    domain: &Eip712Domain,
    ticket: Ticket,
    counts: &SignatureCounts,
) -> Result<Signed<Ticket>, ApiError> {
    let signature = sign_digest(key, ticket.eip712_signing_hash(domain), counts)?;
    Ok(Signed {
        message: ticket,
        signature,
    })
}

/// Signs `digest` with `key`, counting the signature made.
pub(super) fn sign_digest(
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
