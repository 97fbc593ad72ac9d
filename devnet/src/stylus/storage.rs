//! The per-call storage cache behind `storage_load_bytes32`, `storage_cache_bytes32` and
//! `storage_flush_cache` (Nitro's `StorageCache` in `crates/arbutil/src/evm/storage.rs` and its
//! use in `crates/arbutil/src/evm/req.rs`).

use std::collections::BTreeMap;

use alloy_primitives::{B256, U256};

use super::ink::{cache_read_gas, cache_write_gas};

/// One cached slot: its current value and the value known to be in the state, if any.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Word {
    value: B256,
    known: Option<B256>,
}

impl Word {
    fn dirty(&self) -> bool {
        Some(self.value) != self.known
    }
}

/// The slots a program call has read or written, kept in slot order so that a flush stores
/// them in a deterministic order.
#[derive(Debug, Default)]
pub struct StorageCache {
    slots: BTreeMap<U256, Word>,
    reads: usize,
    writes: usize,
}

impl StorageCache {
    /// The cached value of `key`, if the slot is cached, with the cache's own read gas
    /// (charged on every read, hit or miss).
    pub fn read(&mut self, key: U256) -> (Option<B256>, u64) {
        self.reads += 1;
        (
            self.slots.get(&key).map(|w| w.value),
            cache_read_gas(self.reads),
        )
    }

    /// Records `value` as loaded from the state for `key` (clean).
    pub fn loaded(&mut self, key: U256, value: B256) {
        self.slots.insert(
            key,
            Word {
                value,
                known: Some(value),
            },
        );
    }

    /// Writes `value` to `key` in the cache (dirty until flushed): the cache's write gas.
    pub fn write(&mut self, key: U256, value: B256) -> u64 {
        self.writes += 1;
        self.slots
            .entry(key)
            .and_modify(|w| w.value = value)
            .or_insert(Word { value, known: None });
        cache_write_gas(self.writes)
    }

    /// The dirty slots in slot order, marking them clean; empties the cache when `clear`.
    pub fn take_dirty(&mut self, clear: bool) -> Vec<(U256, B256)> {
        let mut dirty = Vec::new();
        for (key, word) in self.slots.iter_mut() {
            if word.dirty() {
                dirty.push((*key, word.value));
                word.known = Some(word.value);
            }
        }
        if clear {
            self.slots.clear();
        }
        dirty
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dirty_slots_flush_in_order() {
        let mut c = StorageCache::default();
        c.write(U256::from(5), B256::with_last_byte(1));
        c.loaded(U256::from(1), B256::with_last_byte(2));
        c.write(U256::from(2), B256::with_last_byte(3));
        assert_eq!(c.read(U256::from(1)).0, Some(B256::with_last_byte(2)));
        let d = c.take_dirty(false);
        assert_eq!(
            d.iter().map(|(k, _)| k.to::<u64>()).collect::<Vec<_>>(),
            vec![2, 5]
        );
        assert!(c.take_dirty(true).is_empty());
        assert_eq!(c.read(U256::from(5)).0, None);
    }
}
