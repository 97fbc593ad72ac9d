//! Settlement (SPEC section 6, "Settlement", "Daily cap", "Bootstrap").
//!
//! Judged credits wait as [`Pending`] entries until the next inference block; then [`fold`]
//! takes as many as fit within what the contract still allows today (the daily cap, which
//! bootstrap counts inside, and the bootstrap limit), [`apply`] adds them to the cumulative
//! per-provider [`Table`], and [`tree`] and [`totals`] give the epoch root's Merkle root and
//! cumulative totals. Leaves are [`yellowstone_protocol::merkle::leaf_hash`], the tree is
//! [`yellowstone_protocol::merkle::MerkleTree`], exactly what the contract verifies claims
//! against. Cumulative figures only grow, as the contract requires.

use std::collections::BTreeMap;

use alloy_primitives::{Address, U256};
use yellowstone_protocol::merkle::{leaf_hash, MerkleTree};

/// A credit waiting to be folded into an epoch, in the order it was accepted.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Pending {
    /// Acceptance order, unique: first come, first paid.
    pub seq: u64,
    /// The provider credited.
    pub provider: Address,
    /// Wei still owed by this credit.
    pub amount: U256,
    /// Whether this is a bootstrap share rather than earned work.
    pub bootstrap: bool,
}

/// What one epoch takes from the pending credits.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Fold {
    /// `(seq, amount taken)` in seq order; an entry taken partially appears with the part
    /// taken (the caller keeps `amount - taken` pending). An entry of zero amount is taken
    /// whole, with 0.
    pub taken: Vec<(u64, U256)>,
    /// Work wei taken.
    pub credited: U256,
    /// Bootstrap wei taken.
    pub bootstrap: U256,
}

/// Takes pending credits in `seq` order while they fit: work credits within `headroom`;
/// bootstrap credits within both `bootstrap_headroom` and what is left of `headroom`. The entry
/// that straddles the limit is taken in part (the rest stays pending); each kind stops at its
/// first partial (or refused) entry, so later entries of that kind wait: first come, first
/// paid. The other kind carries on within its own limits, with what is left of the shared
/// `headroom`.
///
/// `headroom` is what the daily cap still allows today (bootstrap counts inside it);
/// `bootstrap_headroom` is what the bootstrap limit still allows. `pending` need not be sorted.
pub fn fold(pending: &[Pending], headroom: U256, bootstrap_headroom: U256) -> Fold {
    let mut order: Vec<&Pending> = pending.iter().collect();
    order.sort_by_key(|p| p.seq);
    let mut room = headroom;
    let mut boot_room = bootstrap_headroom;
    let mut work_open = true;
    let mut boot_open = true;
    let mut out = Fold::default();
    for entry in order {
        let (open, limit) = if entry.bootstrap {
            (&mut boot_open, room.min(boot_room))
        } else {
            (&mut work_open, room)
        };
        if !*open {
            continue;
        }
        let take = entry.amount.min(limit);
        if take < entry.amount {
            *open = false;
        }
        if take.is_zero() && !entry.amount.is_zero() {
            continue;
        }
        room = room.saturating_sub(take);
        if entry.bootstrap {
            boot_room = boot_room.saturating_sub(take);
            out.bootstrap = out.bootstrap.saturating_add(take);
        } else {
            out.credited = out.credited.saturating_add(take);
        }
        out.taken.push((entry.seq, take));
    }
    out
}

/// Cumulative (earned, bootstrap) per provider: the table a root commits to.
pub type Table = BTreeMap<Address, (U256, U256)>;

/// Applies a fold to the previous table (pending entries looked up by seq), returning the new
/// table. Cumulative figures only grow (saturating). A `seq` not found in `pending` is skipped;
/// for a repeated `seq` the first entry counts.
pub fn apply(previous: &Table, pending: &[Pending], fold: &Fold) -> Table {
    let mut by_seq: BTreeMap<u64, &Pending> = BTreeMap::new();
    for entry in pending {
        by_seq.entry(entry.seq).or_insert(entry);
    }
    let mut table = previous.clone();
    for (seq, amount) in &fold.taken {
        let Some(entry) = by_seq.get(seq) else {
            continue;
        };
        let row = table.entry(entry.provider).or_default();
        if entry.bootstrap {
            row.1 = row.1.saturating_add(*amount);
        } else {
            row.0 = row.0.saturating_add(*amount);
        }
    }
    table
}

/// The epoch's Merkle tree over the table's leaves
/// (`yellowstone_protocol::merkle::leaf_hash(provider, earned, bootstrap)`); `None` for an
/// empty table.
pub fn tree(table: &Table) -> Option<MerkleTree> {
    let leaves = table
        .iter()
        .map(|(provider, (earned, bootstrap))| leaf_hash(*provider, *earned, *bootstrap))
        .collect();
    MerkleTree::new(leaves)
}

/// The totals a root commits: (sum of earned, sum of bootstrap), saturating.
pub fn totals(table: &Table) -> (U256, U256) {
    table
        .values()
        .fold((U256::ZERO, U256::ZERO), |(earned, bootstrap), (e, b)| {
            (earned.saturating_add(*e), bootstrap.saturating_add(*b))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use yellowstone_protocol::merkle::verify;

    fn work(seq: u64, provider: u8, amount: u64) -> Pending {
        Pending {
            seq,
            provider: Address::with_last_byte(provider),
            amount: U256::from(amount),
            bootstrap: false,
        }
    }

    fn boot(seq: u64, provider: u8, amount: u64) -> Pending {
        Pending {
            bootstrap: true,
            ..work(seq, provider, amount)
        }
    }

    fn u(n: u64) -> U256 {
        U256::from(n)
    }

    #[test]
    fn everything_is_folded_when_it_fits() {
        let pending = [work(1, 1, 10), boot(2, 2, 5), work(3, 1, 20)];
        let f = fold(&pending, u(100), u(100));
        assert_eq!(f.taken, vec![(1, u(10)), (2, u(5)), (3, u(20))]);
        assert_eq!((f.credited, f.bootstrap), (u(30), u(5)));
    }

    #[test]
    fn entries_are_taken_in_seq_order_whatever_the_input_order() {
        let pending = [work(3, 1, 10), work(1, 1, 10), work(2, 2, 10)];
        let f = fold(&pending, u(15), u(0));
        assert_eq!(f.taken, vec![(1, u(10)), (2, u(5))]);
    }

    #[test]
    fn the_entry_at_the_cap_is_taken_in_part_and_later_work_waits() {
        let pending = [work(1, 1, 60), work(2, 2, 60), work(3, 3, 1)];
        let f = fold(&pending, u(100), u(0));
        assert_eq!(f.taken, vec![(1, u(60)), (2, u(40))]);
        assert_eq!(f.credited, u(100));
        // The remainder the caller keeps pending.
        assert_eq!(pending[1].amount - f.taken[1].1, u(20));
    }

    #[test]
    fn bootstrap_is_limited_by_its_own_headroom() {
        let pending = [
            boot(1, 1, 30),
            boot(2, 2, 30),
            work(3, 3, 50),
            boot(4, 4, 1),
        ];
        let f = fold(&pending, u(1_000), u(40));
        assert_eq!(f.taken, vec![(1, u(30)), (2, u(10)), (3, u(50))]);
        assert_eq!((f.credited, f.bootstrap), (u(50), u(40)));
    }

    #[test]
    fn bootstrap_counts_inside_the_daily_cap() {
        let pending = [work(1, 1, 70), boot(2, 2, 50), work(3, 3, 10)];
        let f = fold(&pending, u(100), u(1_000));
        assert_eq!(f.taken, vec![(1, u(70)), (2, u(30))]);
        assert_eq!(f.credited + f.bootstrap, u(100));
    }

    #[test]
    fn work_carries_on_after_bootstrap_stopped_at_its_own_limit() {
        let pending = [
            boot(1, 1, 50),
            work(2, 2, 10),
            boot(3, 3, 5),
            work(4, 4, 10),
        ];
        let f = fold(&pending, u(100), u(20));
        assert_eq!(f.taken, vec![(1, u(20)), (2, u(10)), (4, u(10))]);
    }

    #[test]
    fn nothing_is_taken_without_headroom_but_zero_amounts_clear() {
        let pending = [work(1, 1, 5), work(2, 1, 0), boot(3, 2, 5)];
        let f = fold(&pending, U256::ZERO, U256::ZERO);
        assert!(f.taken.is_empty());
        let f = fold(&[work(2, 1, 0)], U256::ZERO, U256::ZERO);
        assert_eq!(f.taken, vec![(2, U256::ZERO)]);
        assert_eq!(fold(&[], u(5), u(5)), Fold::default());
    }

    #[test]
    fn a_fold_never_exceeds_either_headroom() {
        let mut x = 0xDEAD_BEEF_u64;
        let mut rng = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for _ in 0..500 {
            let pending: Vec<Pending> = (0..(rng() % 20))
                .map(|seq| Pending {
                    seq,
                    provider: Address::with_last_byte((rng() % 5) as u8),
                    amount: u(rng() % 50),
                    bootstrap: rng() % 3 == 0,
                })
                .collect();
            let (head, boot_head) = (u(rng() % 300), u(rng() % 100));
            let f = fold(&pending, head, boot_head);
            assert!(f.credited + f.bootstrap <= head);
            assert!(f.bootstrap <= boot_head);
            let taken: U256 = f
                .taken
                .iter()
                .map(|(_, a)| *a)
                .fold(U256::ZERO, |a, b| a + b);
            assert_eq!(taken, f.credited + f.bootstrap);
            for (seq, amount) in &f.taken {
                assert!(*amount <= pending[*seq as usize].amount);
            }
            let previous = Table::new();
            let table = apply(&previous, &pending, &f);
            assert_eq!(totals(&table), (f.credited, f.bootstrap));
        }
    }

    #[test]
    fn apply_adds_exactly_the_fold_to_the_previous_totals() {
        let mut previous = Table::new();
        previous.insert(Address::with_last_byte(1), (u(100), u(7)));
        previous.insert(Address::with_last_byte(9), (u(3), u(0)));
        let pending = [work(1, 1, 10), boot(2, 2, 5), work(3, 3, 20), boot(4, 1, 8)];
        let f = fold(&pending, u(40), u(10));
        let table = apply(&previous, &pending, &f);
        let (e0, b0) = totals(&previous);
        assert_eq!(totals(&table), (e0 + f.credited, b0 + f.bootstrap));
        assert_eq!(table[&Address::with_last_byte(1)], (u(110), u(12)));
        assert_eq!(table[&Address::with_last_byte(3)], (u(20), u(0)));
        for (provider, (earned, bootstrap)) in &previous {
            let (e, b) = table[provider];
            assert!(
                e >= *earned && b >= *bootstrap,
                "cumulative figures only grow"
            );
        }
    }

    #[test]
    fn apply_skips_a_seq_it_cannot_find() {
        let f = Fold {
            taken: vec![(42, u(5))],
            credited: u(5),
            bootstrap: U256::ZERO,
        };
        assert!(apply(&Table::new(), &[work(1, 1, 5)], &f).is_empty());
    }

    #[test]
    fn every_leaf_proves_against_the_root_with_the_contracts_verify() {
        for n in [1usize, 2, 3, 10, 257] {
            let table: Table = (0..n)
                .map(|k| {
                    let mut bytes = [0u8; 20];
                    bytes[16..].copy_from_slice(&(k as u32).to_be_bytes());
                    (Address::from(bytes), (u(k as u64 * 1_000 + 1), u(k as u64)))
                })
                .collect();
            let tree = tree(&table).unwrap();
            assert_eq!(tree.len(), n);
            for (provider, (earned, bootstrap)) in &table {
                let leaf = leaf_hash(*provider, *earned, *bootstrap);
                let proof = tree.proof(leaf).unwrap();
                assert!(verify(&proof, tree.root(), leaf), "n = {n}");
                let forged = leaf_hash(*provider, *earned + u(1), *bootstrap);
                assert!(!verify(&proof, tree.root(), forged), "n = {n}");
            }
        }
    }

    #[test]
    fn an_empty_table_has_no_tree_and_zero_totals() {
        assert!(tree(&Table::new()).is_none());
        assert_eq!(totals(&Table::new()), (U256::ZERO, U256::ZERO));
    }
}
