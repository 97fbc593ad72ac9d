//! Settlement (SPEC section 6, "Settlement", "Daily cap", "Bootstrap"; section 8, "Settlement
//! is fair and live").
//!
//! Judged credits wait as [`Pending`] entries until the next inference block; then [`fold`]
//! takes what fits within what the contract still allows today (the daily cap, which
//! bootstrap counts inside, and the bootstrap limit), [`apply`] adds it to the cumulative
//! per-provider [`Table`], and [`tree`] and [`totals`] give the epoch root's Merkle root and
//! cumulative totals. Leaves are [`yellowstone_protocol::merkle::leaf_hash`], the tree is
//! [`yellowstone_protocol::merkle::MerkleTree`], exactly what the contract verifies claims
//! against. Cumulative figures only grow, as the contract requires.
//!
//! When the headroom is short, it is shared pro rata across providers ([`fold`]): a queue
//! paid first come, first paid would let one huge credit (an accomplice's, at an absurd price)
//! take every day's cap while every later honest credit waits behind it.

use std::{
    cmp::Ordering,
    collections::{BTreeMap, BinaryHeap},
};

use alloy_primitives::{Address, U256, U512};
use yellowstone_protocol::merkle::{leaf_hash, MerkleTree};

use crate::narrow;

/// A credit waiting to be folded into an epoch, in the order it was accepted.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Pending {
    /// Acceptance order, unique: a provider's own credits are paid oldest first. A credit
    /// paid in part keeps its seq for the remainder.
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
    /// taken (the caller keeps `amount - taken` pending, under the same seq). An entry of
    /// zero amount is taken whole, with 0; an entry given nothing does not appear.
    pub taken: Vec<(u64, U256)>,
    /// Work wei taken.
    pub credited: U256,
    /// Bootstrap wei taken.
    pub bootstrap: U256,
}

/// Takes what fits of the pending credits (SPEC 8, "Settlement is fair and live").
///
/// `headroom` is what the daily cap still allows today (bootstrap counts inside it);
/// `bootstrap_headroom` is what the bootstrap limit still allows. When everything fits,
/// everything is taken. Otherwise, in two steps, each [`apportion`]ed pro rata:
/// 1. each provider's bootstrap allotment: `bootstrap_headroom` shared pro rata to the
///    providers' pending bootstrap shares;
/// 2. each provider's share: `headroom` shared pro rata to what each may be paid (pending
///    work plus its bootstrap allotment).
///
/// Each provider's share then pays its own credits oldest first (lowest seq), a bootstrap
/// credit only within the provider's bootstrap allotment. So the fold takes exactly
/// `min(headroom, work + min(bootstrap, bootstrap_headroom))`, no provider more than it is
/// owed, and no one credit, however large, holds back anyone else's: a provider's pay depends
/// on its own total, never on its place in a queue. `pending` need not be sorted; of entries
/// sharing a seq the first counts, as in [`apply`]. (A provider owed more than `U256::MAX`
/// in total counts as owed `U256::MAX`: still never overpaid, only its share is then smaller.)
pub fn fold(pending: &[Pending], headroom: U256, bootstrap_headroom: U256) -> Fold {
    let mut by_seq: BTreeMap<u64, &Pending> = BTreeMap::new();
    for entry in pending {
        by_seq.entry(entry.seq).or_insert(entry);
    }
    let mut work: BTreeMap<Address, U256> = BTreeMap::new();
    let mut boot: BTreeMap<Address, U256> = BTreeMap::new();
    for entry in by_seq.values() {
        let sums = if entry.bootstrap {
            &mut boot
        } else {
            &mut work
        };
        let sum = sums.entry(entry.provider).or_default();
        *sum = sum.saturating_add(entry.amount);
    }
    let boot_allotted = apportion(bootstrap_headroom, &boot);
    let mut payable = work;
    for (provider, allotted) in &boot_allotted {
        let sum = payable.entry(*provider).or_default();
        *sum = sum.saturating_add(*allotted);
    }
    // Per provider: (share left, bootstrap allotment left).
    let mut left: BTreeMap<Address, (U256, U256)> = apportion(headroom, &payable)
        .into_iter()
        .map(|(provider, share)| {
            let boot_left = boot_allotted.get(&provider).copied().unwrap_or_default();
            (provider, (share, boot_left))
        })
        .collect();
    let mut out = Fold::default();
    for (seq, entry) in by_seq {
        if entry.amount.is_zero() {
            out.taken.push((seq, U256::ZERO));
            continue;
        }
        let Some((room, boot_room)) = left.get_mut(&entry.provider) else {
            continue;
        };
        let limit = if entry.bootstrap {
            (*room).min(*boot_room)
        } else {
            *room
        };
        let take = entry.amount.min(limit);
        if take.is_zero() {
            continue;
        }
        *room = room.saturating_sub(take);
        if entry.bootstrap {
            *boot_room = boot_room.saturating_sub(take);
            out.bootstrap = out.bootstrap.saturating_add(take);
        } else {
            out.credited = out.credited.saturating_add(take);
        }
        out.taken.push((seq, take));
    }
    out
}

/// Shares `room` among `claims` (wei owed per provider): all of each claim when they fit;
/// otherwise `floor(room * claim / total)` each (512-bit products, exact), then the rounding
/// wei left (fewer than the number of claims) one at a time to the highest
/// `claim / (allotted + 1)`, ties to the lower address: D'Hondt's rule, which from these
/// floors gives exactly D'Hondt's apportionment of `room`. Why not largest remainders: with
/// them, more room can pay a provider less (the "Alabama paradox"; claims 1, 3, 3 get 1, 1, 1
/// of 3 wei but 0, 2, 2 of 4); D'Hondt never does. The result uses all of `room` (or pays
/// every claim), never gives a claim more than it asked, and gives each at least its floor.
pub fn apportion(room: U256, claims: &BTreeMap<Address, U256>) -> BTreeMap<Address, U256> {
    let total = claims.values().fold(U512::ZERO, |sum, claim| {
        sum.saturating_add(U512::from(*claim))
    });
    if total <= U512::from(room) {
        return claims.clone();
    }
    // room < total, so each floor is at most its claim and the floors sum to at most room.
    let mut allotted: BTreeMap<Address, U256> = claims
        .iter()
        .map(|(provider, claim)| {
            let product: U512 = room.widening_mul(*claim);
            let floor = product.checked_div(total).and_then(narrow);
            (*provider, floor.unwrap_or_default().min(*claim))
        })
        .collect();
    let given = allotted
        .values()
        .fold(U256::ZERO, |sum, a| sum.saturating_add(*a));
    let mut rest = room.saturating_sub(given);
    let mut heap: BinaryHeap<Claim> = claims
        .iter()
        .map(|(provider, claim)| Claim {
            provider: *provider,
            claim: *claim,
            allotted: allotted.get(provider).copied().unwrap_or_default(),
        })
        .filter(|c| c.allotted < c.claim)
        .collect();
    while !rest.is_zero() {
        let Some(mut top) = heap.pop() else {
            break;
        };
        top.allotted = top.allotted.saturating_add(U256::from(1));
        rest = rest.saturating_sub(U256::from(1));
        allotted.insert(top.provider, top.allotted);
        if top.allotted < top.claim {
            heap.push(top);
        }
    }
    allotted
}

/// A claim in the rounding step, ordered by its D'Hondt priority `claim / (allotted + 1)`,
/// then by lower address.
struct Claim {
    provider: Address,
    claim: U256,
    allotted: U256,
}

impl Ord for Claim {
    fn cmp(&self, other: &Self) -> Ordering {
        // a / (x + 1) against b / (y + 1), cross-multiplied in 512 bits; allotted < claim, so
        // allotted + 1 does not overflow.
        let one = U256::from(1);
        let mine: U512 = self.claim.widening_mul(other.allotted.saturating_add(one));
        let theirs: U512 = other.claim.widening_mul(self.allotted.saturating_add(one));
        mine.cmp(&theirs)
            .then_with(|| other.provider.cmp(&self.provider))
    }
}

impl PartialOrd for Claim {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Claim {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Claim {}

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
    fn a_providers_own_credits_are_paid_oldest_first_whatever_the_input_order() {
        // Provider 1 is owed 20 of 30, so it gets 10 of 15: all of its seq 1, none of seq 3.
        let pending = [work(3, 1, 10), work(1, 1, 10), work(2, 2, 10)];
        let f = fold(&pending, u(15), u(0));
        assert_eq!(f.taken, vec![(1, u(10)), (2, u(5))]);
    }

    #[test]
    fn a_short_headroom_is_shared_pro_rata_not_first_come_first_paid() {
        // Owed 60, 60 and 1 of 100: floors 49, 49, 0, and the 2 rounding wei by D'Hondt. The
        // old queue gave 60, 40 and 0 (and the 1 waited behind the 60).
        let pending = [work(1, 1, 60), work(2, 2, 60), work(3, 3, 1)];
        let f = fold(&pending, u(100), u(0));
        assert_eq!(f.taken, vec![(1, u(50)), (2, u(50))]);
        assert_eq!(f.credited, u(100));
        // A first credit as large as the whole headroom takes only its share.
        let pending = [work(1, 1, 1_000), work(2, 2, 100), work(3, 3, 100)];
        let f = fold(&pending, u(120), u(0));
        assert_eq!(f.taken, vec![(1, u(100)), (2, u(10)), (3, u(10))]);
    }

    #[test]
    fn bootstrap_shares_are_split_pro_rata_within_their_own_headroom() {
        let pending = [
            boot(1, 1, 30),
            boot(2, 2, 30),
            work(3, 3, 50),
            boot(4, 4, 1),
        ];
        let f = fold(&pending, u(1_000), u(40));
        assert_eq!(f.taken, vec![(1, u(20)), (2, u(20)), (3, u(50))]);
        assert_eq!((f.credited, f.bootstrap), (u(50), u(40)));
    }

    #[test]
    fn bootstrap_counts_inside_the_daily_cap() {
        // Owed 70, 50 and 10 of 100: floors 53, 38, 7 and 2 rounding wei.
        let pending = [work(1, 1, 70), boot(2, 2, 50), work(3, 3, 10)];
        let f = fold(&pending, u(100), u(1_000));
        assert_eq!(f.taken, vec![(1, u(54)), (2, u(39)), (3, u(7))]);
        assert_eq!((f.credited, f.bootstrap), (u(61), u(39)));
    }

    #[test]
    fn a_large_bootstrap_share_does_not_shut_out_later_ones() {
        let pending = [
            boot(1, 1, 50),
            work(2, 2, 10),
            boot(3, 3, 5),
            work(4, 4, 10),
        ];
        let f = fold(&pending, u(100), u(20));
        assert_eq!(f.taken, vec![(1, u(19)), (2, u(10)), (3, u(1)), (4, u(10))]);
    }

    #[test]
    fn a_providers_bootstrap_is_paid_only_within_its_bootstrap_allotment() {
        // Provider 1: 10 of bootstrap allowed, so it may be paid 40 (10 + 30), as may 2;
        // 60 of headroom gives each 30: provider 1's oldest credit (bootstrap) takes its 10,
        // the next (work) the other 20.
        let pending = [boot(1, 1, 50), work(2, 1, 30), work(3, 2, 40)];
        let f = fold(&pending, u(60), u(10));
        assert_eq!(f.taken, vec![(1, u(10)), (2, u(20)), (3, u(30))]);
        assert_eq!((f.credited, f.bootstrap), (u(50), u(10)));
    }

    #[test]
    fn nothing_is_taken_without_headroom_but_zero_amounts_clear() {
        let pending = [work(1, 1, 5), work(2, 1, 0), boot(3, 2, 5)];
        let f = fold(&pending, U256::ZERO, U256::ZERO);
        assert_eq!(f.taken, vec![(2, U256::ZERO)]);
        assert_eq!((f.credited, f.bootstrap), (U256::ZERO, U256::ZERO));
        assert_eq!(fold(&[], u(5), u(5)), Fold::default());
    }

    #[test]
    fn a_repeated_seq_counts_once_as_apply_reads_it() {
        let pending = [work(1, 1, 10), work(1, 2, 50)];
        let f = fold(&pending, u(100), u(0));
        assert_eq!(f.taken, vec![(1, u(10))]);
        let table = apply(&Table::new(), &pending, &f);
        assert_eq!(totals(&table), (u(10), U256::ZERO));
    }

    #[test]
    fn amounts_near_the_top_of_u256_neither_overflow_nor_overpay() {
        let pending = [
            Pending {
                amount: U256::MAX,
                ..work(1, 1, 0)
            },
            Pending {
                amount: U256::MAX,
                ..work(2, 1, 0)
            },
            work(3, 2, 7),
        ];
        let f = fold(&pending, U256::MAX, U256::ZERO);
        // Provider 1's claim counts as U256::MAX: floors MAX - 7 and 6, the last wei to 1.
        assert_eq!(f.taken, vec![(1, U256::MAX - u(6)), (3, u(6))]);
        assert_eq!(f.credited, U256::MAX);
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
        // Bootstrap 8 and 5 owed, 10 allowed: 6 and 4.
        assert_eq!(table[&Address::with_last_byte(1)], (u(110), u(13)));
        assert_eq!(table[&Address::with_last_byte(2)], (u(0), u(4)));
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
