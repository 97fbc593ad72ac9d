//! The market's signed messages (SPEC sections 4 and 5): EIP-712 typed data under the compute
//! contract's domain, defined once here for the router, the provider gateway and the user client.
//!
//! | message | signed by | says |
//! |---|---|---|
//! | [`ModelAttestation`] | provider | "I hold the model whose weights file hashes to this" |
//! | [`Bid`] | provider | "I serve this model at this price per output token, here, until then" |
//! | [`Rfc`] | user | "I request up to `tokenMax` output tokens of this model" |
//! | [`Ticket`] | router | "this user may send this request to this provider" |
//! | [`Receipt`] | provider | "I delivered this many tokens for this request" |
//! | [`Report`] | user | "the first token came after this long, the last after that, I received this many tokens, it passed (or not)" |
//! | [`Liveness`] | provider | "this endpoint holds my key": its answer to the router's health challenge |
//!
//! A request is named by its RFC's EIP-712 digest ([`request_id`]): unique per user and nonce,
//! and binding every field the user signed. [`Signed`] carries a message and its 65-byte
//! signature; [`Signed::signer`] recovers the signer, refusing non-canonical (high-s)
//! signatures, and [`Signed::verify`] also checks it is the party the message names.

use alloy_primitives::{Address, Bytes, B256};
use alloy_sol_types::{sol, Eip712Domain, SolStruct};

use crate::eip712::{Signature, SignatureError};

sol! {
    /// A provider's proof that it holds a model: its signature over the weights file's hash.
    #[derive(Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
    struct ModelAttestation {
        address provider;
        string model;
        bytes32 weightsHash;
        uint64 issuedAt;
    }

    /// A provider's offer: a model served at a price in MOR wei per output token, at an
    /// endpoint, for at most `capacity` concurrent requests, until an expiry. A later nonce
    /// replaces an earlier bid for the same model.
    #[derive(Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
    struct Bid {
        address provider;
        string model;
        uint256 pricePerToken;
        uint32 capacity;
        string endpoint;
        uint64 nonce;
        uint64 expiry;
    }

    /// A user's request for compute: at most `tokenMax` output tokens of `model`, valid until
    /// `deadline`. Each nonce can be admitted once.
    #[derive(Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
    struct Rfc {
        address user;
        string model;
        uint64 tokenMax;
        uint64 nonce;
        uint64 deadline;
    }

    /// The router's permission for one request: the user may send its prompt to the provider,
    /// for at most `tokenMax` output tokens at `pricePerToken`, until `expiry`.
    #[derive(Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
    struct Ticket {
        bytes32 requestId;
        address user;
        address provider;
        string model;
        uint64 tokenMax;
        uint256 pricePerToken;
        uint64 expiry;
    }

    /// A provider's statement of the output tokens it delivered for a request.
    #[derive(Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
    struct Receipt {
        bytes32 requestId;
        address provider;
        uint64 tokens;
    }

    /// A user's verdict on a request: milliseconds from sending the prompt to the first token
    /// and to the last, the tokens received, and whether the answer was satisfactory.
    #[derive(Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
    struct Report {
        bytes32 requestId;
        address user;
        uint64 firstTokenMs;
        uint64 elapsedMs;
        uint64 tokens;
        bool pass;
    }

    /// A provider's answer to the router's liveness challenge: proof that the endpoint it bids
    /// at holds its key, so many keys cannot share one endpoint unnoticed.
    #[derive(Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
    struct Liveness {
        address provider;
        bytes32 challenge;
    }
}

/// A message whose signer is named inside it: the party [`Signed::verify`] checks against.
pub trait Party: SolStruct {
    /// The address that must have signed this message; `None` when the verifier knows it from
    /// elsewhere (a ticket is signed by the router the verifier trusts).
    fn party(&self) -> Option<Address>;
}

impl Party for ModelAttestation {
    fn party(&self) -> Option<Address> {
        Some(self.provider)
    }
}
impl Party for Bid {
    fn party(&self) -> Option<Address> {
        Some(self.provider)
    }
}
impl Party for Rfc {
    fn party(&self) -> Option<Address> {
        Some(self.user)
    }
}
impl Party for Ticket {
    fn party(&self) -> Option<Address> {
        None
    }
}
impl Party for Receipt {
    fn party(&self) -> Option<Address> {
        Some(self.provider)
    }
}
impl Party for Report {
    fn party(&self) -> Option<Address> {
        Some(self.user)
    }
}
impl Party for Liveness {
    fn party(&self) -> Option<Address> {
        Some(self.provider)
    }
}

/// Why a signed message was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VerifyError {
    /// The signature bytes are malformed or non-canonical.
    Signature(SignatureError),
    /// No public key recovers from the signature and digest.
    Unrecoverable,
    /// The signature recovers to `signer`, not to the party the message names (`expected`):
    /// forged, signed for another chain or contract, or the fields were altered.
    WrongSigner {
        /// Who the message says signed it.
        expected: Address,
        /// Who actually signed this digest.
        signer: Address,
    },
}

impl core::fmt::Display for VerifyError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Signature(SignatureError::Length) => f.write_str("signature is not 65 bytes"),
            Self::Signature(SignatureError::RecoveryId) => {
                f.write_str("signature v is not 27, 28, 0 or 1")
            }
            Self::Signature(SignatureError::Zero) => f.write_str("signature r or s is zero"),
            Self::Signature(SignatureError::HighS) => {
                f.write_str("signature s is in the upper half of the curve order (EIP-2)")
            }
            Self::Unrecoverable => f.write_str("no key recovers from this signature"),
            Self::WrongSigner { expected, signer } => write!(
                f,
                "signed by {signer}, not by {expected} (wrong key, chain, contract or fields)"
            ),
        }
    }
}

impl std::error::Error for VerifyError {}

/// A message with its 65-byte `r ++ s ++ v` signature over the EIP-712 digest.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Signed<T> {
    /// The typed message.
    pub message: T,
    /// `r ++ s ++ v`, hex in JSON.
    pub signature: Bytes,
}

impl<T: Party> Signed<T> {
    /// Signs `message` with `signer` under `domain`: the one way every off-chain party (user,
    /// provider, tools and tests) makes a signed message.
    ///
    /// # Errors
    /// The signer's own error (a local key does not fail; a remote signer may).
    pub fn sign(
        message: T,
        signer: &impl alloy_signer::SignerSync,
        domain: &Eip712Domain,
    ) -> Result<Self, alloy_signer::Error> {
        let sig = signer.sign_hash_sync(&message.eip712_signing_hash(domain))?;
        Ok(Signed {
            message,
            signature: signature_bytes(&sig),
        })
    }

    /// The EIP-712 digest of the message under `domain`.
    pub fn digest(&self, domain: &Eip712Domain) -> B256 {
        self.message.eip712_signing_hash(domain)
    }

    /// The address that signed the message under `domain`, canonical signatures only.
    pub fn signer(&self, domain: &Eip712Domain) -> Result<Address, VerifyError> {
        recover(self.digest(domain), &self.signature)
    }

    /// The signer, checked to be the party the message names (or `expected` when the message
    /// names none, as for a ticket).
    pub fn verify(
        &self,
        domain: &Eip712Domain,
        expected: Option<Address>,
    ) -> Result<Address, VerifyError> {
        let signer = self.signer(domain)?;
        let expected = self.message.party().or(expected).unwrap_or(signer);
        if signer != expected {
            return Err(VerifyError::WrongSigner { expected, signer });
        }
        Ok(signer)
    }
}

impl<T: serde::Serialize> Signed<T> {
    /// The signed message as one opaque token (hex of its JSON): how a ticket travels as an
    /// HTTP bearer token and a receipt as a response header.
    pub fn to_token(&self) -> String {
        alloy_primitives::hex::encode(serde_json::to_vec(self).unwrap_or_default())
    }
}

impl<T: serde::de::DeserializeOwned> Signed<T> {
    /// Reads a token made by [`Signed::to_token`], saying what was wrong with a bad one.
    pub fn from_token(token: &str) -> Result<Self, String> {
        let bytes = alloy_primitives::hex::decode(token.trim())
            .map_err(|e| format!("token is not hex: {e}"))?;
        serde_json::from_slice(&bytes).map_err(|e| format!("token is not a signed message: {e}"))
    }
}

/// Recovers the signer of `digest` from a 65-byte signature, refusing high-s twins.
pub fn recover(digest: B256, signature: &[u8]) -> Result<Address, VerifyError> {
    let parsed = Signature::parse(signature).map_err(VerifyError::Signature)?;
    let sig = alloy_primitives::Signature::new(parsed.r.into(), parsed.s.into(), parsed.v == 28);
    sig.recover_address_from_prehash(&digest)
        .map_err(|_| VerifyError::Unrecoverable)
}

/// The 65-byte `r ++ s ++ v` (v = 27 or 28) form of an alloy signature: what [`Signed`] carries.
pub fn signature_bytes(sig: &alloy_primitives::Signature) -> Bytes {
    let mut out = Vec::with_capacity(65);
    out.extend_from_slice(&sig.r().to_be_bytes::<32>());
    out.extend_from_slice(&sig.s().to_be_bytes::<32>());
    out.push(27 + sig.v() as u8);
    out.into()
}

/// A request's id: the EIP-712 digest of its RFC, unique per user and nonce.
pub fn request_id(rfc: &Rfc, domain: &Eip712Domain) -> B256 {
    rfc.eip712_signing_hash(domain)
}

/// The keccak-256 of a model's weights, streamed from a reader: what an attestation signs.
pub fn weights_hash(mut reader: impl std::io::Read) -> std::io::Result<B256> {
    let mut hasher = alloy_primitives::Keccak256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = reader.read(&mut buf)?;
        if n == 0 {
            return Ok(hasher.finalize());
        }
        hasher.update(&buf[..n]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eip712::{types::domain, SECP256K1_HALF_ORDER};
    use alloy_primitives::{address, keccak256, U256};
    use alloy_signer_local::PrivateKeySigner;

    fn key(n: u8) -> PrivateKeySigner {
        PrivateKeySigner::from_bytes(&B256::repeat_byte(n)).unwrap()
    }

    fn sign<T: Party>(signer: &PrivateKeySigner, message: T, domain: &Eip712Domain) -> Signed<T> {
        Signed::sign(message, signer, domain).unwrap()
    }

    fn rfc(user: Address) -> Rfc {
        Rfc {
            user,
            model: "llama-3-8b".into(),
            tokenMax: 512,
            nonce: 7,
            deadline: 1_800_000_000,
        }
    }

    const CONTRACT: Address = address!("00000000000000000000000000000000000c0de1");

    #[test]
    fn a_message_verifies_against_the_party_it_names() {
        let d = domain(412_346, CONTRACT);
        let user = key(1);
        let signed = sign(&user, rfc(user.address()), &d);
        assert_eq!(signed.verify(&d, None), Ok(user.address()));
    }

    #[test]
    fn another_chain_contract_or_field_recovers_someone_else() {
        let d = domain(412_346, CONTRACT);
        let user = key(1);
        let signed = sign(&user, rfc(user.address()), &d);
        for other in [
            domain(42_161, CONTRACT),
            domain(
                412_346,
                address!("00000000000000000000000000000000000c0de2"),
            ),
        ] {
            assert!(matches!(
                signed.verify(&other, None),
                Err(VerifyError::WrongSigner { expected, .. }) if expected == user.address()
            ));
        }
        let mut altered = signed.clone();
        altered.message.tokenMax += 1;
        assert!(matches!(
            altered.verify(&d, None),
            Err(VerifyError::WrongSigner { .. })
        ));
    }

    #[test]
    fn a_message_signed_by_someone_else_is_refused() {
        let d = domain(412_346, CONTRACT);
        let forged = sign(&key(2), rfc(key(1).address()), &d);
        assert_eq!(
            forged.verify(&d, None),
            Err(VerifyError::WrongSigner {
                expected: key(1).address(),
                signer: key(2).address()
            })
        );
    }

    #[test]
    fn a_ticket_is_checked_against_the_router_the_verifier_trusts() {
        let d = domain(412_346, CONTRACT);
        let router = key(9);
        let ticket = Ticket {
            requestId: keccak256("r"),
            user: key(1).address(),
            provider: key(2).address(),
            model: "m".into(),
            tokenMax: 10,
            pricePerToken: U256::from(5),
            expiry: 1,
        };
        let signed = sign(&router, ticket, &d);
        assert_eq!(
            signed.verify(&d, Some(router.address())),
            Ok(router.address())
        );
        assert!(signed.verify(&d, Some(key(3).address())).is_err());
    }

    #[test]
    fn the_high_s_twin_of_a_valid_signature_is_refused() {
        let d = domain(412_346, CONTRACT);
        let user = key(1);
        let mut signed = sign(&user, rfc(user.address()), &d);
        // s' = n - s and flipped parity recover the same key: the malleable twin (EIP-2).
        let n = SECP256K1_HALF_ORDER * U256::from(2) + U256::from(1);
        let s = U256::from_be_slice(&signed.signature[32..64]);
        let mut twin = signed.signature.to_vec();
        twin[32..64].copy_from_slice(&(n - s).to_be_bytes::<32>());
        twin[64] = if twin[64] == 27 { 28 } else { 27 };
        signed.signature = twin.into();
        assert_eq!(
            signed.verify(&d, None),
            Err(VerifyError::Signature(SignatureError::HighS))
        );
    }

    #[test]
    fn the_request_id_is_the_rfc_digest_and_json_round_trips() {
        let d = domain(412_346, CONTRACT);
        let user = key(1);
        let signed = sign(&user, rfc(user.address()), &d);
        assert_eq!(request_id(&signed.message, &d), signed.digest(&d));
        let json = serde_json::to_string(&signed).unwrap();
        assert_eq!(serde_json::from_str::<Signed<Rfc>>(&json).unwrap(), signed);
    }

    #[test]
    fn a_signed_message_round_trips_through_a_token() {
        let d = domain(412_346, CONTRACT);
        let user = key(1);
        let signed = sign(&user, rfc(user.address()), &d);
        assert_eq!(Signed::<Rfc>::from_token(&signed.to_token()), Ok(signed));
        assert!(Signed::<Rfc>::from_token("zz")
            .unwrap_err()
            .contains("not hex"));
        assert!(Signed::<Rfc>::from_token("00")
            .unwrap_err()
            .contains("not a signed message"));
    }

    #[test]
    fn the_weights_hash_is_the_keccak_of_the_file() {
        let data = vec![7u8; 3 << 20];
        assert_eq!(weights_hash(&data[..]).unwrap(), keccak256(&data));
    }
}
