//! Bad input (issue 7): property-based fuzzing of every decoder and verifier that takes bytes
//! from outside — signed-message tokens, EIP-712 signatures in both encodings, and Merkle
//! proofs. Each property asserts no panic and a clear answer: `Ok`, or an `Err` that says why.
//!
//! Every property runs a bounded number of cases (256 by default, [`CASES`]) so the file stays
//! fast in CI. For a longer run set `PROPTEST_CASES`, for example
//! `PROPTEST_CASES=100000 cargo test -p yellowstone-protocol --test it fuzz:: --release`.

use alloy_primitives::{Address, Bytes, B256, U256};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::Eip712Domain;
use proptest::prelude::*;
use yellowstone_protocol::eip712::SECP256K1_HALF_ORDER;
use yellowstone_protocol::eip712::{types::domain, Signature, SignatureError};
use yellowstone_protocol::merkle::{self, MerkleTree};
use yellowstone_protocol::messages::{
    recover, signature_bytes, Party, Receipt, Rfc, Signed, Ticket, VerifyError,
};

/// Cases per property unless `PROPTEST_CASES` says otherwise.
const CASES: u32 = 256;

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(CASES);
    ProptestConfig::with_cases(cases)
}

/// The secp256k1 group order n.
fn curve_order() -> U256 {
    SECP256K1_HALF_ORDER * U256::from(2) + U256::from(1)
}

fn key(seed: [u8; 32]) -> PrivateKeySigner {
    // A seed that is zero or not below n is not a key; fall back to a fixed one.
    PrivateKeySigner::from_bytes(&B256::from(seed))
        .unwrap_or_else(|_| PrivateKeySigner::from_bytes(&B256::repeat_byte(7)).unwrap())
}

fn sign<T: Party>(signer: &PrivateKeySigner, message: T, d: &Eip712Domain) -> Signed<T> {
    let sig = signer
        .sign_hash_sync(&message.eip712_signing_hash(d))
        .unwrap();
    Signed {
        message,
        signature: signature_bytes(&sig),
    }
}

fn address() -> impl Strategy<Value = Address> {
    any::<[u8; 20]>().prop_map(Address::from)
}

fn b256() -> impl Strategy<Value = B256> {
    any::<[u8; 32]>().prop_map(B256::from)
}

fn rfc_fields() -> impl Strategy<Value = (String, u64, u64, u64)> {
    (".{0,40}", any::<u64>(), any::<u64>(), any::<u64>())
}

/// Every outcome of verifying a message that is not the original: refused with a printable
/// reason, or attributed to someone other than `original`.
fn assert_not_original<T: Party>(
    signed: &Signed<T>,
    d: &Eip712Domain,
    expected: Option<Address>,
    original: Address,
) {
    match signed.verify(d, expected) {
        Ok(signer) => assert_ne!(
            signer, original,
            "an altered message verified as its signer"
        ),
        Err(e) => assert!(!e.to_string().is_empty()),
    }
    if let Ok(signer) = signed.signer(d) {
        assert_ne!(signer, original, "an altered message recovered its signer");
    }
}

/// Flips one byte of `bytes` at `index % len` by XOR with a non-zero `mask`.
fn flip(bytes: &mut [u8], index: usize, mask: u8) {
    let len = bytes.len();
    bytes[index % len] ^= mask;
}

proptest! {
    #![proptest_config(config())]

    // ------------------------------------------------------------ (a) token decoding

    #[test]
    fn from_token_never_panics_on_any_string(token in any::<String>()) {
        check_from_token(&token);
    }

    #[test]
    fn from_token_never_panics_on_hex_of_any_bytes(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        check_from_token(&alloy_primitives::hex::encode(&bytes));
        check_from_token(&format!("0x{}", alloy_primitives::hex::encode(&bytes)));
    }

    #[test]
    fn from_token_never_panics_on_json_shaped_input(
        message in "\\{(\"[a-zA-Z]{0,12}\":(\"[0-9a-fx]{0,70}\"|[0-9]{0,25}|true|null|\\{\\}),?){0,8}\\}",
        signature in "(0x)?[0-9a-f]{0,140}",
    ) {
        let json = format!("{{\"message\":{message},\"signature\":\"{signature}\"}}");
        check_from_token(&alloy_primitives::hex::encode(json.as_bytes()));
    }

    // ------------------------------------------------------------ (b) signed messages

    #[test]
    fn a_signed_rfc_round_trips_verifies_and_refuses_any_alteration(
        seed in any::<[u8; 32]>(),
        chain_id in any::<u64>(),
        contract in address(),
        (model, token_max, nonce, deadline) in rfc_fields(),
        index in any::<usize>(),
        mask in 1u8..,
        field in 0usize..6,
    ) {
        let d = domain(chain_id, contract);
        let user = key(seed);
        let rfc = Rfc { user: user.address(), model, tokenMax: token_max, nonce, deadline };
        let signed = sign(&user, rfc, &d);

        // Round trip through the token, and verification against the party it names.
        let back = Signed::<Rfc>::from_token(&signed.to_token()).expect("own token decodes");
        prop_assert_eq!(&back, &signed);
        prop_assert_eq!(back.verify(&d, None), Ok(user.address()));

        // One byte of the signature altered. (Writing v as 0/1 instead of 27/28 is the same
        // signature by design, so a mask that maps 27 to 0 or 28 to 1 is skipped.)
        let mut sig = signed.signature.to_vec();
        let i = index % sig.len();
        let same_v = i == 64 && matches!((sig[64], sig[64] ^ mask), (27, 0) | (28, 1));
        if !same_v {
            flip(&mut sig, index, mask);
            let altered = Signed { message: signed.message.clone(), signature: Bytes::from(sig) };
            assert_not_original(&altered, &d, None, user.address());
        }

        // One field altered.
        let mut message = signed.message.clone();
        match field {
            0 => {
                let mut a = message.user.0 .0;
                flip(&mut a, index, mask);
                message.user = Address::from(a);
            }
            1 => message.tokenMax ^= u64::from(mask),
            2 => message.nonce ^= u64::from(mask),
            3 => message.deadline ^= u64::from(mask),
            4 => message.model.push(char::from(b'a' + mask % 26)),
            _ => {
                // The same message under another domain.
                let other = domain(chain_id ^ u64::from(mask), contract);
                let moved = Signed { message: message.clone(), signature: signed.signature.clone() };
                assert_not_original(&moved, &other, None, user.address());
                return Ok(());
            }
        }
        let altered = Signed { message, signature: signed.signature.clone() };
        assert_not_original(&altered, &d, None, user.address());
    }

    #[test]
    fn a_signed_ticket_round_trips_and_any_token_byte_change_is_caught(
        router_seed in any::<[u8; 32]>(),
        request_id in b256(),
        user in address(),
        provider in address(),
        model in ".{0,24}",
        token_max in any::<u64>(),
        price in any::<[u8; 32]>(),
        expiry in any::<u64>(),
        index in any::<usize>(),
        byte in any::<u8>(),
    ) {
        let d = domain(412_346, Address::repeat_byte(0xc0));
        let router = key(router_seed);
        let ticket = Ticket {
            requestId: request_id,
            user,
            provider,
            model,
            tokenMax: token_max,
            pricePerToken: U256::from_be_bytes(price),
            expiry,
        };
        let signed = sign(&router, ticket, &d);
        let token = signed.to_token();
        let back = Signed::<Ticket>::from_token(&token).expect("own token decodes");
        prop_assert_eq!(&back, &signed);
        prop_assert_eq!(back.verify(&d, Some(router.address())), Ok(router.address()));

        // Replace one byte of the JSON inside the token with any byte.
        let mut json = alloy_primitives::hex::decode(&token).unwrap();
        let i = index % json.len();
        json[i] = byte;
        match Signed::<Ticket>::from_token(&alloy_primitives::hex::encode(&json)) {
            Err(e) => prop_assert!(!e.is_empty()),
            // Only an edit that decodes to the same message (hex case, say) may still verify.
            Ok(decoded) if decoded == signed => {}
            Ok(decoded) => {
                // An equivalent v (0/1 for 27/28) is the same signature by design.
                let same_sig = decoded.message == signed.message
                    && Signature::parse(&decoded.signature).ok()
                        == Signature::parse(&signed.signature).ok();
                if !same_sig {
                    assert_not_original(&decoded, &d, Some(router.address()), router.address());
                }
            }
        }
    }

    #[test]
    fn the_high_s_twin_of_a_valid_signature_is_refused(
        seed in any::<[u8; 32]>(),
        request_id in b256(),
        tokens in any::<u64>(),
    ) {
        let d = domain(1, Address::ZERO);
        let provider = key(seed);
        let signed = sign(&provider, Receipt { requestId: request_id, provider: provider.address(), tokens }, &d);
        prop_assert_eq!(signed.verify(&d, None), Ok(provider.address()));

        // (r, n - s, !v) recovers the same key, but is the malleable twin EIP-2 forbids.
        let sig = &signed.signature;
        let s = U256::from_be_slice(&sig[32..64]);
        let mut twin = sig.to_vec();
        twin[32..64].copy_from_slice(&(curve_order() - s).to_be_bytes::<32>());
        twin[64] = if sig[64] == 27 { 28 } else { 27 };
        prop_assert_eq!(Signature::parse(&twin), Err(SignatureError::HighS));
        let twin = Signed { message: signed.message.clone(), signature: Bytes::from(twin) };
        prop_assert_eq!(twin.signer(&d), Err(VerifyError::Signature(SignatureError::HighS)));
        prop_assert_eq!(twin.verify(&d, None), Err(VerifyError::Signature(SignatureError::HighS)));
    }

    // ------------------------------------------------------------ (c) signature parsing

    #[test]
    fn signature_parse_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..130)) {
        check_parse(&bytes);
    }

    #[test]
    fn signature_parse_never_panics_on_65_bytes(
        bytes in prop::collection::vec(any::<u8>(), 65),
        v in prop_oneof![Just(0u8), Just(1), Just(27), Just(28), any::<u8>()],
        low_s in any::<bool>(),
    ) {
        let mut bytes = bytes;
        bytes[64] = v;
        if low_s {
            bytes[32] &= 0x7f;
        }
        check_parse(&bytes);
    }

    #[test]
    fn from_compact_never_panics_and_round_trips(r in b256(), vs in b256()) {
        match Signature::from_compact(r, vs) {
            Ok(sig) => {
                prop_assert!(sig.v == 27 || sig.v == 28);
                prop_assert!(U256::from_be_bytes(sig.s.0) <= SECP256K1_HALF_ORDER);
                prop_assert_eq!(sig.compact(), (r, vs));
                let _ = sig.ecrecover_input(r);
            }
            Err(e) => prop_assert!(matches!(e, SignatureError::Zero | SignatureError::HighS)),
        }
    }

    #[test]
    fn recover_never_panics(digest in b256(), bytes in prop::collection::vec(any::<u8>(), 0..130)) {
        if let Err(e) = recover(digest, &bytes) {
            prop_assert!(!e.to_string().is_empty());
        }
    }

    // ------------------------------------------------------------ (d) Merkle proofs

    #[test]
    fn every_generated_proof_verifies_and_no_altered_one_does(
        entries in prop::collection::vec((address(), any::<[u8; 32]>(), any::<[u8; 32]>()), 1..48),
        pick in any::<usize>(),
        index in any::<usize>(),
        mask in 1u8..,
        stranger in b256(),
    ) {
        let leaves: Vec<B256> = entries
            .iter()
            .map(|(a, e, b)| merkle::leaf_hash(*a, U256::from_be_bytes(*e), U256::from_be_bytes(*b)))
            .collect();
        let tree = MerkleTree::new(leaves.clone()).expect("non-empty");
        let root = tree.root();
        for leaf in &leaves {
            let proof = tree.proof(*leaf).expect("leaf in tree");
            prop_assert!(merkle::verify(&proof, root, *leaf));
        }

        let leaf = leaves[pick % leaves.len()];
        let proof = tree.proof(leaf).unwrap();
        // A leaf that is not in the tree, with this proof.
        if !leaves.contains(&stranger) {
            prop_assert!(tree.proof(stranger).is_none());
            prop_assert!(!merkle::verify(&proof, root, stranger));
        }
        // The leaf with one byte of it altered.
        let mut altered = leaf;
        flip(&mut altered.0, index, mask);
        prop_assert!(!merkle::verify(&proof, root, altered));
        // One byte of one proof element altered.
        if !proof.is_empty() {
            let mut bad = proof.clone();
            let j = index % bad.len();
            flip(&mut bad[j].0, index / proof.len(), mask);
            prop_assert!(!merkle::verify(&bad, root, leaf));
            // A proof with an element dropped or repeated.
            let mut short = proof.clone();
            short.remove(j);
            prop_assert!(!merkle::verify(&short, root, leaf));
            let mut long = proof.clone();
            long.push(proof[j]);
            prop_assert!(!merkle::verify(&long, root, leaf));
        }
        // Another root.
        let mut other_root = root;
        flip(&mut other_root.0, index, mask);
        prop_assert!(!merkle::verify(&proof, other_root, leaf));
    }

    #[test]
    fn arbitrary_proofs_never_panic_and_do_not_verify(
        proof in prop::collection::vec(b256(), 0..64),
        root in b256(),
        leaf in b256(),
    ) {
        let reached = merkle::process_proof(&proof, leaf);
        prop_assert_eq!(merkle::verify(&proof, root, leaf), reached == root);
        if !proof.is_empty() {
            prop_assert!(!merkle::verify(&proof, root, leaf));
        }
    }

    #[test]
    fn a_tree_over_arbitrary_hashes_proves_each(leaves in prop::collection::vec(b256(), 0..40)) {
        match MerkleTree::new(leaves.clone()) {
            None => prop_assert!(leaves.is_empty()),
            Some(tree) => {
                prop_assert_eq!(tree.len(), leaves.len());
                for leaf in &leaves {
                    let proof = tree.proof(*leaf).expect("leaf in tree");
                    prop_assert!(merkle::verify(&proof, tree.root(), *leaf));
                }
            }
        }
    }
}

/// Any input to every decoder: a value or a non-empty reason, never a panic.
fn check_from_token(token: &str) {
    fn one<T: serde::de::DeserializeOwned + Party>(token: &str) {
        let d = domain(1, Address::ZERO);
        match Signed::<T>::from_token(token) {
            Ok(signed) => {
                if let Err(e) = signed.verify(&d, Some(Address::ZERO)) {
                    assert!(!e.to_string().is_empty());
                }
            }
            Err(e) => assert!(!e.is_empty()),
        }
    }
    use yellowstone_protocol::messages::{Bid, ModelAttestation, Report};
    one::<ModelAttestation>(token);
    one::<Bid>(token);
    one::<Rfc>(token);
    one::<Ticket>(token);
    one::<Receipt>(token);
    one::<Report>(token);
}

fn check_parse(bytes: &[u8]) {
    match Signature::parse(bytes) {
        Ok(sig) => {
            assert_eq!(bytes.len(), 65);
            assert!(sig.v == 27 || sig.v == 28);
            assert!(!sig.r.is_zero() && !sig.s.is_zero());
            assert!(U256::from_be_bytes(sig.s.0) <= SECP256K1_HALF_ORDER);
            let (r, vs) = sig.compact();
            assert_eq!(Signature::from_compact(r, vs), Ok(sig));
        }
        Err(SignatureError::Length) => assert_ne!(bytes.len(), 65),
        Err(_) => assert_eq!(bytes.len(), 65),
    }
    if let Err(e) = recover(B256::ZERO, bytes) {
        assert!(!e.to_string().is_empty());
    }
}
