//! The storage layout of docs/CONTRACT.md, as `cast storage` reads it: slot by slot, each field
//! in its bytes (Solidity packing: a slot's first field in its low-order bytes). Off-chain
//! tools and the incident procedure read these slots directly.

use alloy_primitives::{keccak256, Address, B256, U256};

use crate::common::*;

/// The word in `slot`.
fn slot(w: &World, slot: U256) -> U256 {
    let storage = w.chain.vm.snapshot().storage;
    U256::from_be_bytes(storage.get(&slot).copied().unwrap_or_default().0)
}

/// Bytes `byte..byte + len` of `word`, counted from its low-order end.
fn bytes(word: U256, byte: usize, len: usize) -> U256 {
    (word >> (8 * byte)) & ((U256::from(1) << (8 * len)) - U256::from(1))
}

/// Solidity's slot of `key` in the mapping at `map`.
fn mapped(key: Address, map: u64) -> U256 {
    let mut preimage = [0u8; 64];
    preimage[12..32].copy_from_slice(key.as_slice());
    preimage[56..].copy_from_slice(&map.to_be_bytes());
    U256::from_be_bytes(keccak256(preimage).0)
}

#[test]
fn every_field_is_where_the_documented_layout_puts_it() {
    let mut w = World::deploy();
    w.fund(FUNDER, mor(1_000)).unwrap();
    w.stake(ALICE, mor(100), DEPLOY_TIME + 30 * DAY).unwrap();
    w.commit(1, B256::repeat_byte(7), mor(5), mor(2)).unwrap();
    let tree = Tree::new(&[
        Leaf::new(ALICE, mor(3), mor(1)),
        Leaf::new(BOB, mor(2), mor(1)),
    ]);
    w.commit_tree(2, &tree).unwrap();
    w.claim_paying(STRANGER, &tree, ALICE, mor(4));
    w.tx(OWNER, |c| c.transfer_ownership(BOB)).unwrap();
    w.tx(OWNER, |c| c.pause()).unwrap();
    let word = |n: u64| slot(&w, U256::from(n));
    let at = |a: Address| U256::from_be_slice(a.as_slice());

    // 0: paused (1), epoch (8), day (8), emission start day (8)
    assert_eq!(bytes(word(0), 0, 1), U256::from(1));
    assert_eq!(bytes(word(0), 1, 8), U256::from(2));
    assert_eq!(bytes(word(0), 9, 8), U256::from(DEPLOY_DAY));
    assert_eq!(bytes(word(0), 17, 8), U256::from(EMISSION_START_DAY));
    // 1: owner (20), bootstrap start day (8); 2: pending owner; 3: MOR
    assert_eq!(bytes(word(1), 0, 20), at(OWNER));
    assert_eq!(bytes(word(1), 20, 8), U256::from(BOOTSTRAP_START_DAY));
    assert_eq!(word(2), at(BOB));
    assert_eq!(word(3), at(MOR));
    // 4: routers
    assert_eq!(slot(&w, mapped(w.router_address(), 4)), U256::from(1));
    // 5: root; 6..10: amounts, two to a slot
    assert_eq!(word(5), U256::from_be_bytes(tree.root().0));
    let pair = |n: u64| (bytes(word(n), 0, 16), bytes(word(n), 16, 16));
    assert_eq!(
        pair(6),
        (mor(5), mor(7)),
        "cumulative credited, credited today"
    );
    assert_eq!(
        pair(7),
        (mor(2), mor(2)),
        "cumulative bootstrap, bootstrap today"
    );
    assert_eq!(
        pair(8),
        (mor(1_000), w.daily_cap()),
        "total funded, day cap"
    );
    assert_eq!(pair(9), (FIRST_DAY_EMISSION, DAILY_DECREASE));
    assert_eq!(pair(10), (mor(4), mor(100)), "total claimed, total staked");

    // 11: providers, four slots from keccak(provider . 11)
    let base = mapped(ALICE, 11);
    let record = |i: u64| slot(&w, base + U256::from(i));
    assert_eq!(
        (bytes(record(0), 0, 16), bytes(record(0), 16, 16)),
        (mor(100), mor(4)),
        "stake, paid in period"
    );
    assert_eq!(
        (bytes(record(1), 0, 16), bytes(record(1), 16, 16)),
        (mor(4), mor(4)),
        "earned, claimed"
    );
    assert_eq!(
        (
            bytes(record(2), 0, 16),
            bytes(record(2), 16, 8),
            bytes(record(2), 24, 8)
        ),
        (mor(100), U256::ZERO, U256::from(DEPLOY_TIME)),
        "added in period, cap period, registered at"
    );
    assert_eq!(
        (bytes(record(3), 0, 8), bytes(record(3), 8, 8)),
        (U256::from(DEPLOY_TIME), U256::from(DEPLOY_TIME + 30 * DAY)),
        "lock start, lock end"
    );
}
