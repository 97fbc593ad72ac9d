//! Merkle leaves and proofs, hashed exactly as OpenZeppelin's `MerkleProof` and
//! `@openzeppelin/merkle-tree` (`StandardMerkleTree`) do, so standard tools can check them.
//!
//! A leaf is `keccak256(keccak256(abi.encode(provider, cumulativeEarned, cumulativeBootstrap)))`
//! (double hashing keeps a 64-byte inner node from passing as a leaf); a parent is the hash
//! of its two children sorted ascending, so a proof carries no left/right flags.

use alloy_primitives::{keccak256, Address, B256, U256};

/// The leaf committed for one provider: its cumulative earned and bootstrap wei.
pub fn leaf_hash(provider: Address, cumulative_earned: U256, cumulative_bootstrap: U256) -> B256 {
    let mut encoded = [0u8; 96];
    encoded[12..32].copy_from_slice(provider.as_slice());
    encoded[32..64].copy_from_slice(&cumulative_earned.to_be_bytes::<32>());
    encoded[64..96].copy_from_slice(&cumulative_bootstrap.to_be_bytes::<32>());
    keccak256(keccak256(encoded))
}

/// The parent of two nodes: `keccak256(min(a, b) ++ max(a, b))`.
pub fn hash_pair(a: B256, b: B256) -> B256 {
    let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
    let mut buf = [0u8; 64];
    buf[..32].copy_from_slice(lo.as_slice());
    buf[32..].copy_from_slice(hi.as_slice());
    keccak256(buf)
}

/// The root reached by folding `proof` into `leaf`.
pub fn process_proof(proof: &[B256], leaf: B256) -> B256 {
    proof
        .iter()
        .fold(leaf, |node, sibling| hash_pair(node, *sibling))
}

/// Whether `proof` proves `leaf` under `root`.
pub fn verify(proof: &[B256], root: B256, leaf: B256) -> bool {
    process_proof(proof, leaf) == root
}

#[cfg(feature = "std")]
pub use tree::MerkleTree;

#[cfg(feature = "std")]
mod tree {
    use alloc::vec::Vec;

    use super::*;

    /// A complete Merkle tree laid out as `@openzeppelin/merkle-tree` lays it out: leaves
    /// sorted by hash, stored at the end of one array in reverse order, node `i` the parent of
    /// `2i + 1` and `2i + 2`. Same leaves, same root and same proofs as the JavaScript library.
    #[derive(Clone, Debug)]
    pub struct MerkleTree {
        nodes: Vec<B256>,
        leaves: usize,
    }

    impl MerkleTree {
        /// Builds the tree over `leaves` (in any order); `None` when there are none.
        pub fn new(mut leaves: Vec<B256>) -> Option<Self> {
            if leaves.is_empty() {
                return None;
            }
            leaves.sort_unstable();
            let count = leaves.len();
            let mut nodes = vec![B256::ZERO; 2 * count - 1];
            let last = nodes.len() - 1;
            for (i, leaf) in leaves.into_iter().enumerate() {
                nodes[last - i] = leaf;
            }
            for i in (0..nodes.len() - count).rev() {
                nodes[i] = hash_pair(nodes[2 * i + 1], nodes[2 * i + 2]);
            }
            Some(Self {
                nodes,
                leaves: count,
            })
        }

        /// The root committed on-chain.
        pub fn root(&self) -> B256 {
            self.nodes[0]
        }

        /// Number of leaves.
        pub fn len(&self) -> usize {
            self.leaves
        }

        /// Always false: a tree has at least one leaf.
        pub fn is_empty(&self) -> bool {
            false
        }

        /// The proof for `leaf`, or `None` when it is not in the tree.
        pub fn proof(&self, leaf: B256) -> Option<Vec<B256>> {
            let first_leaf = self.nodes.len() - self.leaves;
            let mut i = first_leaf + self.nodes[first_leaf..].iter().position(|n| *n == leaf)?;
            let mut proof = Vec::new();
            while i > 0 {
                let sibling = if i % 2 == 1 { i + 1 } else { i - 1 };
                proof.push(self.nodes[sibling]);
                i = (i - 1) / 2;
            }
            Some(proof)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::{address, b256};

    #[test]
    fn a_leaf_is_the_double_keccak_of_the_abi_encoded_values() {
        // Independently: keccak256(keccak256(abi.encode(address(1), 2, 3))).
        let provider = address!("0000000000000000000000000000000000000001");
        let mut encoded = Vec::new();
        encoded.extend_from_slice(&B256::left_padding_from(provider.as_slice()).0);
        encoded.extend_from_slice(&U256::from(2).to_be_bytes::<32>());
        encoded.extend_from_slice(&U256::from(3).to_be_bytes::<32>());
        let expected = keccak256(keccak256(&encoded));
        assert_eq!(leaf_hash(provider, U256::from(2), U256::from(3)), expected);
    }

    #[test]
    fn pairs_hash_the_same_in_either_order() {
        let a = b256!("0000000000000000000000000000000000000000000000000000000000000001");
        let b = b256!("ff00000000000000000000000000000000000000000000000000000000000000");
        assert_eq!(hash_pair(a, b), hash_pair(b, a));
        assert_eq!(
            hash_pair(a, b),
            keccak256([a.as_slice(), b.as_slice()].concat())
        );
    }

    #[test]
    fn every_leaf_of_every_tree_size_proves_against_the_root() {
        for n in 1..=33u64 {
            let leaves: Vec<B256> = (0..n)
                .map(|i| {
                    leaf_hash(
                        Address::with_last_byte(i as u8),
                        U256::from(i * 7),
                        U256::from(i),
                    )
                })
                .collect();
            let tree = MerkleTree::new(leaves.clone()).unwrap();
            assert_eq!(tree.len(), n as usize);
            for leaf in &leaves {
                let proof = tree.proof(*leaf).unwrap();
                assert!(verify(&proof, tree.root(), *leaf), "n={n}");
                let other = leaf_hash(Address::with_last_byte(200), U256::from(1), U256::ZERO);
                assert!(
                    !verify(&proof, tree.root(), other),
                    "a foreign leaf must not prove"
                );
            }
        }
    }

    #[test]
    fn a_single_leaf_is_its_own_root_and_no_leaves_make_no_tree() {
        let leaf = leaf_hash(Address::ZERO, U256::from(1), U256::ZERO);
        let tree = MerkleTree::new(vec![leaf]).unwrap();
        assert_eq!(tree.root(), leaf);
        assert_eq!(tree.proof(leaf).unwrap(), Vec::<B256>::new());
        assert!(MerkleTree::new(vec![]).is_none());
    }

    #[test]
    fn the_layout_matches_openzeppelin_merkle_tree() {
        // Three sorted leaves l0 < l1 < l2 sit at nodes 4, 3, 2 (reverse order), so node 1 is
        // H(l1, l0), node 2 is l2 and the root is H(H(l0, l1), l2).
        let mut leaves: Vec<B256> = (1..=3u8)
            .map(|i| leaf_hash(Address::with_last_byte(i), U256::from(i), U256::ZERO))
            .collect();
        leaves.sort();
        let tree = MerkleTree::new(leaves.clone()).unwrap();
        let expected = hash_pair(hash_pair(leaves[0], leaves[1]), leaves[2]);
        assert_eq!(tree.root(), expected);
        assert_eq!(
            tree.proof(leaves[2]).unwrap(),
            vec![hash_pair(leaves[0], leaves[1])]
        );
    }
}
