//! Admission under saturation (SPEC section 4, step 3).
//!
//! "The router admits RFCs by remaining allowance; when it is saturated it serves them in order
//! of the user's MOR balance and sheds the rest with a clear 'busy' answer." [`AdmissionQueue`]
//! is that order: a bounded priority queue, highest MOR balance first, first come first within
//! equal balances. A full queue lets a newcomer with a higher balance evict the lowest waiting
//! entry (the latest arrival among the lowest balance); anyone else is shed at once, so nobody
//! waits on a request that will never be served.

use std::cmp::Reverse;
use std::collections::BTreeMap;

use alloy_primitives::U256;

/// A bounded priority queue of waiting requests: highest MOR balance first, first-come first
/// within equal balances. When full, a newcomer with a higher balance than the lowest waiting
/// entry evicts it; otherwise the newcomer is shed.
///
/// Keyed by `(balance, Reverse(arrival))` in a [`BTreeMap`], so the next to serve is the last
/// key and the next to evict is the first; push, pop and eviction are all O(log n).
#[derive(Clone, Debug)]
pub struct AdmissionQueue<T> {
    entries: BTreeMap<(U256, Reverse<u64>), T>,
    capacity: usize,
    next_seq: u64,
}

/// What became of a pushed request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Pushed<T> {
    /// The newcomer was queued and nobody was displaced.
    Queued,
    /// The newcomer was queued and this lower-balance entry was evicted (answer it "busy").
    Evicted(T),
    /// The queue is full of higher or equal balances: the newcomer is shed (answer it "busy").
    Shed(T),
}

impl<T> AdmissionQueue<T> {
    /// An empty queue holding at most `capacity` waiting requests (0 sheds everything).
    pub fn new(capacity: usize) -> Self {
        Self {
            entries: BTreeMap::new(),
            capacity,
            next_seq: 0,
        }
    }

    /// Offers a request from a user holding `balance` MOR wei; see [`Pushed`] for the outcomes.
    pub fn push(&mut self, balance: U256, item: T) -> Pushed<T> {
        let mut evicted = None;
        if self.entries.len() >= self.capacity {
            match self.entries.first_key_value() {
                Some((&(lowest, _), _)) if balance > lowest => {
                    evicted = self.entries.pop_first().map(|(_, item)| item);
                }
                _ => return Pushed::Shed(item),
            }
        }
        let seq = self.take_seq();
        self.entries.insert((balance, Reverse(seq)), item);
        match evicted {
            Some(item) => Pushed::Evicted(item),
            None => Pushed::Queued,
        }
    }

    /// Takes the next request to serve with its balance: the highest balance, earliest arrival.
    pub fn pop(&mut self) -> Option<(U256, T)> {
        self.entries
            .pop_last()
            .map(|((balance, _), item)| (balance, item))
    }

    /// Number of waiting requests.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is waiting.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The most requests that may wait at once.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Removes entries for which `keep` returns false (a waiter that gave up), returning how
    /// many.
    pub fn retain(&mut self, mut keep: impl FnMut(&T) -> bool) -> usize {
        let before = self.entries.len();
        self.entries.retain(|_, item| keep(item));
        before - self.entries.len()
    }

    /// The next arrival number. Should the counter ever run out, the waiting entries are
    /// renumbered in their current order, so keys never collide and order is kept.
    fn take_seq(&mut self) -> u64 {
        if self.next_seq == u64::MAX {
            // Descending keys visit each balance's entries in arrival order, so numbering
            // them in that order keeps first come, first served within every balance.
            let old = std::mem::take(&mut self.entries);
            let count = old.len();
            self.entries = old
                .into_iter()
                .rev()
                .zip(0u64..)
                .map(|(((balance, _), item), seq)| ((balance, Reverse(seq)), item))
                .collect();
            self.next_seq = u64::try_from(count).unwrap_or(u64::MAX - 1);
        }
        let seq = self.next_seq;
        self.next_seq = self.next_seq.saturating_add(1);
        seq
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(n: u64) -> U256 {
        U256::from(n)
    }

    #[test]
    fn the_highest_balance_is_served_first() {
        let mut q = AdmissionQueue::new(10);
        assert_eq!(q.push(b(5), "five"), Pushed::Queued);
        assert_eq!(q.push(b(50), "fifty"), Pushed::Queued);
        assert_eq!(q.push(b(1), "one"), Pushed::Queued);
        assert_eq!(q.pop(), Some((b(50), "fifty")));
        assert_eq!(q.pop(), Some((b(5), "five")));
        assert_eq!(q.pop(), Some((b(1), "one")));
        assert_eq!(q.pop(), None);
    }

    #[test]
    fn equal_balances_are_served_first_come_first_served() {
        let mut q = AdmissionQueue::new(10);
        for i in 0..5 {
            q.push(b(7), i);
        }
        let order: Vec<_> = std::iter::from_fn(|| q.pop().map(|(_, i)| i)).collect();
        assert_eq!(order, vec![0, 1, 2, 3, 4]);
    }

    #[test]
    fn a_full_queue_evicts_the_lowest_balance_for_a_richer_newcomer() {
        let mut q = AdmissionQueue::new(2);
        q.push(b(10), "a");
        q.push(b(3), "b");
        assert_eq!(q.push(b(4), "c"), Pushed::Evicted("b"));
        assert_eq!(q.len(), 2);
        assert_eq!(q.pop(), Some((b(10), "a")));
        assert_eq!(q.pop(), Some((b(4), "c")));
    }

    #[test]
    fn a_full_queue_sheds_a_newcomer_with_an_equal_or_lower_balance() {
        let mut q = AdmissionQueue::new(2);
        q.push(b(10), "a");
        q.push(b(3), "b");
        assert_eq!(q.push(b(3), "c"), Pushed::Shed("c"));
        assert_eq!(q.push(b(1), "d"), Pushed::Shed("d"));
        assert_eq!(q.len(), 2);
    }

    #[test]
    fn among_equal_lowest_balances_the_latest_arrival_is_evicted() {
        let mut q = AdmissionQueue::new(3);
        q.push(b(1), "early");
        q.push(b(1), "late");
        q.push(b(9), "rich");
        assert_eq!(q.push(b(2), "new"), Pushed::Evicted("late"));
    }

    #[test]
    fn a_zero_capacity_queue_sheds_everything() {
        let mut q = AdmissionQueue::new(0);
        assert_eq!(q.push(U256::MAX, 1), Pushed::Shed(1));
        assert!(q.is_empty());
        assert_eq!(q.capacity(), 0);
    }

    #[test]
    fn retain_removes_waiters_that_gave_up_and_counts_them() {
        let mut q = AdmissionQueue::new(10);
        for i in 0..6u64 {
            q.push(b(i), i);
        }
        assert_eq!(q.retain(|i| i % 2 == 0), 3);
        assert_eq!(q.len(), 3);
        assert_eq!(q.pop(), Some((b(4), 4)));
    }

    #[test]
    fn renumbering_when_the_arrival_counter_runs_out_keeps_the_order() {
        let mut q = AdmissionQueue::new(10);
        q.push(b(1), "low-early");
        q.push(b(5), "high-early");
        q.push(b(1), "low-late");
        q.push(b(5), "high-late");
        q.next_seq = u64::MAX;
        q.push(b(5), "high-latest");
        assert_eq!(q.len(), 5);
        let order: Vec<_> = std::iter::from_fn(|| q.pop().map(|(_, i)| i)).collect();
        assert_eq!(
            order,
            vec![
                "high-early",
                "high-late",
                "high-latest",
                "low-early",
                "low-late"
            ]
        );
    }

    #[test]
    fn the_queue_always_serves_the_best_waiting_entry_and_never_exceeds_capacity() {
        // A deterministic model check against a sorted vector.
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        let mut rng = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for capacity in 0..6usize {
            let mut q = AdmissionQueue::new(capacity);
            let mut model: Vec<(u64, u64)> = Vec::new(); // (balance, arrival)
            for arrival in 0..300u64 {
                if rng() % 3 == 0 {
                    let got = q.pop();
                    // Best = highest balance, then earliest arrival.
                    model.sort_by(|l, r| r.0.cmp(&l.0).then(l.1.cmp(&r.1)));
                    let want = if model.is_empty() {
                        None
                    } else {
                        Some(model.remove(0))
                    };
                    assert_eq!(got, want.map(|(bal, a)| (b(bal), a)));
                } else {
                    let balance = rng() % 5;
                    let pushed = q.push(b(balance), arrival);
                    if model.len() < capacity {
                        assert_eq!(pushed, Pushed::Queued);
                        model.push((balance, arrival));
                    } else {
                        // Worst = lowest balance, then latest arrival.
                        model.sort_by(|l, r| l.0.cmp(&r.0).then(r.1.cmp(&l.1)));
                        match model.first() {
                            Some(&(low, a)) if balance > low => {
                                assert_eq!(pushed, Pushed::Evicted(a));
                                model.remove(0);
                                model.push((balance, arrival));
                            }
                            _ => assert_eq!(pushed, Pushed::Shed(arrival)),
                        }
                    }
                }
                assert!(q.len() <= capacity);
                assert_eq!(q.len(), model.len());
            }
        }
    }
}
