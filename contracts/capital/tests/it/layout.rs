//! The storage layout of docs/CAPITAL.md, read back slot by slot: what an explorer or an
//! off-chain reader of raw storage relies on.

use alloy_primitives::{keccak256, Address, B256, U256};

use crate::common::*;

/// The raw word at `slot`.
fn slot(w: &World, slot: U256) -> B256 {
    stylus_sdk::stylus_core::StorageAccess::storage_load_bytes32(&w.chain.vm, slot)
}

/// `bytes` bytes at byte `byte` from the low-order end of `word`.
fn field(word: B256, byte: usize, bytes: usize) -> U256 {
    U256::from_be_slice(&word.0[32 - byte - bytes..32 - byte])
}

fn address(word: B256) -> Address {
    Address::from_slice(&word.0[12..])
}

#[test]
fn the_fields_sit_where_the_document_says() {
    let mut w = World::deploy();
    w.give_st_eth(ALICE, eth(3));
    w.deposit(ALICE, eth(3)).unwrap();
    w.tx(OWNER, |c| c.set_parameters(2 * DAY, 3_600, 300, 50))
        .unwrap();
    w.tx(OWNER, |c| c.pause()).unwrap();
    w.advance(DAY);
    w.fund_reserve(eth(1_000_000));
    w.claim(ALICE).unwrap();
    let s = |n: u64| slot(&w, U256::from(n));

    let s0 = s(0);
    assert_eq!(field(s0, 0, 1), U256::from(1), "paused");
    assert_eq!(field(s0, 1, 1), U256::ZERO, "mints native");
    assert_eq!(field(s0, 2, 1), U256::from(1), "wstETH is token0");
    assert_eq!(field(s0, 3, 8), U256::from(w.now()), "last accrual");
    assert_eq!(field(s0, 11, 8), U256::from(DEPLOY_TIME), "compute last");
    assert_eq!(address(s(1)), OWNER);
    assert_eq!(field(s(1), 20, 8), U256::from(PAYOUT_START));
    assert_eq!(field(s(2), 20, 8), U256::from(DAY), "interval");
    assert_eq!(address(s(3)), ST_ETH);
    assert_eq!(field(s(3), 20, 8), U256::from(2 * DAY), "min lock");
    assert_eq!(address(s(4)), WST_ETH);
    assert_eq!(field(s(4), 20, 8), U256::from(3_600), "TWAP window");
    assert_eq!(field(s(4), 28, 2), U256::from(300), "max deviation");
    assert_eq!(field(s(4), 30, 2), U256::from(50), "slippage");
    assert_eq!(address(s(5)), NATIVE);
    assert_eq!(address(s(6)), PAIR);
    assert_eq!(address(s(7)), COMPUTE);
    assert_eq!(
        (field(s(8), 0, 16), field(s(8), 16, 16)),
        (INITIAL, DECREASE)
    );
    assert_eq!(
        (field(s(9), 0, 16), field(s(9), 16, 16)),
        (INITIAL, DECREASE)
    );
    assert_eq!(U256::from_be_bytes(s(10).0), eth(100));
    assert_eq!(U256::from_be_bytes(s(11).0), eth(10_000));
    let t = w.totals();
    assert_eq!(
        (field(s(12), 0, 16), field(s(12), 16, 16)),
        (t.principal, t.distributed)
    );
    assert_eq!(field(s(14), 16, 16), t.paid);
    assert_eq!(field(s(15), 0, 16), t.kept);

    let mut preimage = [0u8; 64];
    preimage[12..32].copy_from_slice(ALICE.as_slice());
    preimage[63] = 20;
    let base = U256::from_be_bytes(keccak256(preimage).0);
    let (principal, unlock_at, owed) = w.position(ALICE);
    assert_eq!(field(slot(&w, base), 0, 16), principal);
    assert_eq!(field(slot(&w, base), 16, 16), owed);
    assert_eq!(
        U256::from_be_bytes(slot(&w, base + U256::from(1)).0),
        U256::from_be_bytes(s(13).0),
        "acc paid == acc"
    );
    assert_eq!(
        field(slot(&w, base + U256::from(2)), 0, 8),
        U256::from(unlock_at)
    );
}
