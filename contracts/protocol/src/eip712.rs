//! EIP-712 signing under the compute contract's domain, and the signature rules every
//! verifier applies (SPEC section 4 step 1).
//!
//! The domain is `EIP712Domain(string name,string version,uint256 chainId,address
//! verifyingContract)` with name [`DOMAIN_NAME`] and version [`DOMAIN_VERSION`]. The contract
//! hashes with the precomputed type hashes below (one keccak each at run time); off-chain code
//! uses the `sol!` types in [`types`], and a test proves both give the same digest.

use alloy_primitives::{b256, keccak256, Address, B256, U256};

/// The EIP-712 domain name.
pub const DOMAIN_NAME: &str = "Yellowstone";
/// The EIP-712 domain version.
/// Version 2: the `EpochRoot` of contract v2 carries a deadline (issue 14), so a v1 signature
/// can never verify under a v2 contract.
pub const DOMAIN_VERSION: &str = "2";

/// `keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)")`.
pub const DOMAIN_TYPEHASH: B256 =
    b256!("8b73c3c69bb8fe3d512ecc4cf759cc79239f7b179b0ffacaa9a75d522b39400f");
/// `keccak256("Yellowstone")`.
pub const NAME_HASH: B256 =
    b256!("3f6e35c87db54533f7f115f7642a8da412467247440dd974c3561a338f03926b");
/// `keccak256("2")`.
pub const VERSION_HASH: B256 =
    b256!("ad7c5bef027816a800da1736444fb58a807ef4c9603b7848673f7e3a68eb14a5");
/// `keccak256("EpochRoot(uint64 epoch,bytes32 root,uint256 cumulativeCredited,uint256 cumulativeBootstrap,uint64 deadline)")`.
pub const EPOCH_ROOT_TYPEHASH: B256 =
    b256!("875f49774eea475b2ee8c1ca35a27c808f73859ae6b7b35a31508f72fd07f789");

/// secp256k1's group order divided by two: a valid signature's `s` is at most this (EIP-2).
pub const SECP256K1_HALF_ORDER: U256 = U256::from_be_bytes(
    b256!("7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0").0,
);

/// The domain separator for the compute contract at `verifying_contract` on `chain_id`.
pub fn domain_separator(chain_id: u64, verifying_contract: Address) -> B256 {
    let mut buf = [0u8; 160];
    buf[0..32].copy_from_slice(DOMAIN_TYPEHASH.as_slice());
    buf[32..64].copy_from_slice(NAME_HASH.as_slice());
    buf[64..96].copy_from_slice(VERSION_HASH.as_slice());
    buf[96..128].copy_from_slice(&U256::from(chain_id).to_be_bytes::<32>());
    buf[140..160].copy_from_slice(verifying_contract.as_slice());
    keccak256(buf)
}

/// The EIP-712 struct hash of an `EpochRoot`. `deadline` is the last block timestamp (unix
/// seconds) at which the root may be committed (SPEC 8: settlement is live).
pub fn epoch_root_hash(
    epoch: u64,
    root: B256,
    cumulative_credited: U256,
    cumulative_bootstrap: U256,
    deadline: u64,
) -> B256 {
    let mut buf = [0u8; 192];
    buf[0..32].copy_from_slice(EPOCH_ROOT_TYPEHASH.as_slice());
    buf[56..64].copy_from_slice(&epoch.to_be_bytes());
    buf[64..96].copy_from_slice(root.as_slice());
    buf[96..128].copy_from_slice(&cumulative_credited.to_be_bytes::<32>());
    buf[128..160].copy_from_slice(&cumulative_bootstrap.to_be_bytes::<32>());
    buf[184..192].copy_from_slice(&deadline.to_be_bytes());
    keccak256(buf)
}

/// The digest a signer signs: `keccak256(0x1901 ++ domain_separator ++ struct_hash)`.
pub fn signing_hash(domain_separator: B256, struct_hash: B256) -> B256 {
    let mut buf = [0u8; 66];
    buf[0] = 0x19;
    buf[1] = 0x01;
    buf[2..34].copy_from_slice(domain_separator.as_slice());
    buf[34..66].copy_from_slice(struct_hash.as_slice());
    keccak256(buf)
}

/// Why a signature was refused before any recovery was attempted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignatureError {
    /// Not 65 bytes of `r ++ s ++ v`.
    Length,
    /// `v` is not 27, 28, 0 or 1.
    RecoveryId,
    /// `r` or `s` is zero.
    Zero,
    /// `s` is in the upper half of the curve order: the malleable twin of a valid signature.
    HighS,
}

/// A 65-byte signature split and checked: canonical (low-s), `v` normalised to 27 or 28.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Signature {
    /// The `r` scalar.
    pub r: B256,
    /// The `s` scalar, at most [`SECP256K1_HALF_ORDER`].
    pub s: B256,
    /// 27 or 28.
    pub v: u8,
}

impl Signature {
    /// Parses `r ++ s ++ v`, accepting `v` as 27/28 or 0/1, refusing high-s and zero scalars.
    pub fn parse(bytes: &[u8]) -> Result<Self, SignatureError> {
        if bytes.len() != 65 {
            return Err(SignatureError::Length);
        }
        let v = match bytes[64] {
            0 | 27 => 27,
            1 | 28 => 28,
            _ => return Err(SignatureError::RecoveryId),
        };
        Self::checked(
            B256::from_slice(&bytes[0..32]),
            B256::from_slice(&bytes[32..64]),
            v,
        )
    }

    /// Reads the EIP-2098 compact form the contract takes: `r` and `vs`, where the top bit of
    /// `vs` is the y parity and the rest is `s`. Refuses high-s and zero scalars.
    pub fn from_compact(r: B256, vs: B256) -> Result<Self, SignatureError> {
        let mut s = vs;
        s.0[0] &= 0x7f;
        Self::checked(r, s, 27 + (vs.0[0] >> 7))
    }

    /// The EIP-2098 compact form `(r, vs)`.
    pub fn compact(&self) -> (B256, B256) {
        let mut vs = self.s;
        vs.0[0] |= (self.v - 27) << 7;
        (self.r, vs)
    }

    fn checked(r: B256, s: B256, v: u8) -> Result<Self, SignatureError> {
        if r.is_zero() || s.is_zero() {
            return Err(SignatureError::Zero);
        }
        if U256::from_be_bytes(s.0) > SECP256K1_HALF_ORDER {
            return Err(SignatureError::HighS);
        }
        Ok(Self { r, s, v })
    }

    /// The 128-byte input of the `ecrecover` precompile (address 0x01) for `digest`.
    pub fn ecrecover_input(&self, digest: B256) -> [u8; 128] {
        let mut input = [0u8; 128];
        input[0..32].copy_from_slice(digest.as_slice());
        input[63] = self.v;
        input[64..96].copy_from_slice(self.r.as_slice());
        input[96..128].copy_from_slice(self.s.as_slice());
        input
    }
}

/// The typed messages as `sol!` structs, for off-chain signing with alloy.
pub mod types {
    use alloy_sol_types::sol;

    sol! {
        /// A router's commitment to every provider's cumulative earnings after one inference
        /// block: the Merkle root of the leaves and the totals the contract checks its caps on.
        /// The contract refuses it after `deadline` (a block timestamp), so a root the router
        /// dropped can never land later (SPEC 8).
        #[derive(Debug, PartialEq, Eq)]
        struct EpochRoot {
            uint64 epoch;
            bytes32 root;
            uint256 cumulativeCredited;
            uint256 cumulativeBootstrap;
            uint64 deadline;
        }
    }

    /// The EIP-712 domain of the compute contract at `verifying_contract` on `chain_id`.
    pub fn domain(
        chain_id: u64,
        verifying_contract: alloy_primitives::Address,
    ) -> alloy_sol_types::Eip712Domain {
        alloy_sol_types::eip712_domain! {
            name: super::DOMAIN_NAME,
            version: super::DOMAIN_VERSION,
            chain_id: chain_id,
            verifying_contract: verifying_contract,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::types::{domain, EpochRoot};
    use super::*;
    use alloy_primitives::address;
    use alloy_sol_types::SolStruct;

    #[test]
    fn the_precomputed_hashes_are_the_keccak_of_their_strings() {
        assert_eq!(
            DOMAIN_TYPEHASH,
            keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)")
        );
        assert_eq!(NAME_HASH, keccak256(DOMAIN_NAME));
        assert_eq!(VERSION_HASH, keccak256(DOMAIN_VERSION));
        assert_eq!(
            EPOCH_ROOT_TYPEHASH,
            keccak256(EpochRoot::eip712_encode_type().as_bytes())
        );
    }

    #[test]
    fn the_contract_digest_equals_alloys_eip712_signing_hash() {
        let contract = address!("00000000000000000000000000000000000c0de1");
        let message = EpochRoot {
            epoch: 42,
            root: keccak256("root"),
            cumulativeCredited: U256::from(1_234_567u64),
            cumulativeBootstrap: U256::from(89u64),
            deadline: 1_700_000_123,
        };
        let ours = signing_hash(
            domain_separator(412_346, contract),
            epoch_root_hash(
                42,
                message.root,
                message.cumulativeCredited,
                message.cumulativeBootstrap,
                message.deadline,
            ),
        );
        assert_eq!(
            ours,
            message.eip712_signing_hash(&domain(412_346, contract))
        );
        assert_eq!(
            domain_separator(412_346, contract),
            domain(412_346, contract).separator()
        );
    }

    #[test]
    fn signatures_must_be_65_canonical_bytes() {
        let mut sig = [1u8; 65];
        sig[64] = 27;
        assert_eq!(Signature::parse(&sig).unwrap().v, 27);
        sig[64] = 1;
        assert_eq!(Signature::parse(&sig).unwrap().v, 28);
        sig[64] = 29;
        assert_eq!(Signature::parse(&sig), Err(SignatureError::RecoveryId));
        assert_eq!(Signature::parse(&sig[..64]), Err(SignatureError::Length));
        let mut high = [0xffu8; 65];
        high[64] = 27;
        assert_eq!(Signature::parse(&high), Err(SignatureError::HighS));
        let mut zero = [0u8; 65];
        zero[64] = 27;
        assert_eq!(Signature::parse(&zero), Err(SignatureError::Zero));
        // The largest canonical s is accepted, one more is not.
        let mut edge = [1u8; 65];
        edge[32..64].copy_from_slice(&SECP256K1_HALF_ORDER.to_be_bytes::<32>());
        edge[64] = 28;
        assert!(Signature::parse(&edge).is_ok());
        edge[32..64].copy_from_slice(&(SECP256K1_HALF_ORDER + U256::from(1)).to_be_bytes::<32>());
        assert_eq!(Signature::parse(&edge), Err(SignatureError::HighS));
    }

    #[test]
    fn the_compact_form_round_trips_and_carries_the_parity_in_the_top_bit() {
        for v in [27u8, 28] {
            let mut bytes = [0x11u8; 65];
            bytes[32] = 0x7f; // the largest top byte a low s can have
            bytes[64] = v;
            let sig = Signature::parse(&bytes).unwrap();
            let (r, vs) = sig.compact();
            assert_eq!(vs.0[0] >> 7, v - 27);
            assert_eq!(Signature::from_compact(r, vs), Ok(sig));
        }
        let high = B256::from(SECP256K1_HALF_ORDER + U256::from(1));
        assert_eq!(
            Signature::from_compact(B256::repeat_byte(1), high),
            Err(SignatureError::HighS)
        );
        assert_eq!(
            Signature::from_compact(B256::ZERO, B256::repeat_byte(1)),
            Err(SignatureError::Zero)
        );
    }
}
