//! The epoch build at scale: once per inference block the router folds the block's credits into
//! the cumulative table, builds the Merkle tree over every provider's leaf and signs the root
//! (`State::build_epoch`, with `yellowstone_market::settle` and `yellowstone_protocol::merkle`). This times
//! exactly that call on a router state holding `providers` providers, each with a leaf from an
//! earlier epoch and a credit in the closed block, restored the way a restarted router restores
//! it; then the proofs of every leaf as the API serves them (`State::proof`), each verified
//! against the root.

use std::time::{Duration, Instant};

use alloy_primitives::{keccak256, Address, Bytes, B256, U256};
use anyhow::{ensure, Context, Result};
use yellowstone_protocol::merkle::{leaf_hash, verify};

use super::clients::{bench_domain, key, DAY_START};
use yellowstone_market::records::Loaded;
use yellowstone_market::records::{CreditRecord, EpochRecord, EpochStatus, LeafRecord};
use yellowstone_market::settle::{self, Table};
use yellowstone_market::state::{Rules, State};

/// What the epoch bench measured.
#[derive(Clone, Debug)]
pub struct EpochTiming {
    /// Providers (leaves) in the tree.
    pub providers: usize,
    /// Each timed `build_epoch`.
    pub builds: Vec<Duration>,
    /// Each timed Merkle tree alone (`yellowstone_market::settle::tree` on the new table).
    pub trees: Vec<Duration>,
    /// Producing every provider's proof with `State::proof` after the commit.
    pub proofs: Duration,
    /// Producing every proof from the tree alone (`MerkleTree::proof`), beside [`proofs`].
    ///
    /// [`proofs`]: EpochTiming::proofs
    pub tree_proofs: Duration,
    /// Proofs that verified against the root (must be `providers`).
    pub verified: usize,
    /// The committed root.
    pub root: B256,
    /// The inference block's length in seconds.
    pub block_seconds: u64,
}

/// The median of `samples`.
pub fn median(samples: &[Duration]) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort();
    sorted.get(sorted.len() / 2).copied().unwrap_or_default()
}

/// Provider `i`'s address.
fn provider(i: usize) -> Address {
    Address::from_slice(&keccak256(format!("yellowstone bench epoch provider {i}"))[12..])
}

/// Times `runs` epoch builds over `providers` providers, then every proof.
pub fn run(providers: usize, runs: usize) -> Result<EpochTiming> {
    ensure!(
        providers > 0 && runs > 0,
        "at least one provider and one run"
    );
    let rules = Rules::default();
    let block = DAY_START / rules.block_seconds;
    let wei = |x: u64| U256::from(x) * U256::from(1_000_000_000_000u64);
    // The previous epoch: every provider already earned something.
    let leaves: Vec<LeafRecord> = (0..providers)
        .map(|i| LeafRecord {
            provider: provider(i),
            epoch: 1,
            earned: wei(1_000 + i as u64),
            bootstrap: wei(i as u64 % 7),
        })
        .collect();
    let table: Table = leaves
        .iter()
        .map(|l| (l.provider, (l.earned, l.bootstrap)))
        .collect();
    let tree = settle::tree(&table).context("an empty table")?;
    let (credited, bootstrap) = settle::totals(&table);
    let committed = EpochRecord {
        epoch: 1,
        root: tree.root(),
        cumulative_credited: credited,
        cumulative_bootstrap: bootstrap,
        deadline: u64::MAX,
        signature: Bytes::new(),
        up_to_block: block - 1,
        built_at: DAY_START - rules.block_seconds,
        fold: Vec::new(),
        status: EpochStatus::Committed,
        tx: None,
        mined: Some((1, 100_000)),
    };
    // The closed block: one credit per provider.
    let credits: Vec<CreditRecord> = (0..providers)
        .map(|i| CreditRecord {
            seq: i as u64 + 1,
            provider: provider(i),
            amount: wei(600 + i as u64 % 100),
            bootstrap: false,
            block,
        })
        .collect();
    let loaded = Loaded {
        credits,
        next_seq: providers as u64 + 1,
        committed: Some(committed),
        table: leaves.clone(),
        ..Loaded::default()
    };
    let mut state = State::restore(rules, bench_domain(), key("router", 0), loaded, leaves);
    let now = (block + 1) * state.rules().block_seconds + 1;

    let (mut builds, mut trees) = (Vec::new(), Vec::new());
    for run in 0..runs {
        let began = Instant::now();
        let built = state.build_epoch(now, U256::MAX, U256::MAX)?;
        builds.push(began.elapsed());
        let (_, changes) = built.context("no epoch was due")?;
        ensure!(
            changes.len() == providers + 1,
            "{} changes for {providers} providers",
            changes.len()
        );
        if run + 1 < runs {
            // Past its deadline with its number free: archived, so the next run builds anew.
            state.epoch_expired(u64::MAX, 0);
        }
    }
    state.epoch_committed(Some((2, 100_000)));
    let root = state.committed().context("no committed epoch")?.root;

    // The tree alone, on the table just committed.
    let table: Table = (0..providers)
        .filter_map(|i| {
            state
                .committed_leaf(provider(i))
                .map(|figures| (provider(i), figures))
        })
        .collect();
    for _ in 0..runs {
        let began = Instant::now();
        let tree = settle::tree(&table).context("an empty table")?;
        trees.push(began.elapsed());
        ensure!(tree.root() == root, "the tree's root is not the epoch's");
    }

    let tree = settle::tree(&table).context("an empty table")?;
    let leaves: Vec<B256> = table
        .iter()
        .map(|(p, (earned, bootstrap))| leaf_hash(*p, *earned, *bootstrap))
        .collect();
    let began = Instant::now();
    let from_tree = leaves.iter().filter_map(|leaf| tree.proof(*leaf)).count();
    let tree_proofs = began.elapsed();
    ensure!(
        from_tree == providers,
        "{from_tree} tree proofs of {providers}"
    );

    let began = Instant::now();
    let proofs: Vec<_> = (0..providers).map(|i| state.proof(provider(i))).collect();
    let proofs_time = began.elapsed();
    let verified = proofs
        .into_iter()
        .enumerate()
        .filter(|(i, proof)| {
            proof
                .as_ref()
                .is_some_and(|(epoch, earned, bootstrap, proof)| {
                    epoch.root == root
                        && verify(proof, root, leaf_hash(provider(*i), *earned, *bootstrap))
                })
        })
        .count();
    Ok(EpochTiming {
        providers,
        builds,
        trees,
        proofs: proofs_time,
        tree_proofs,
        verified,
        root,
        block_seconds: state.rules().block_seconds,
    })
}
