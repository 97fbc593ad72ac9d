//! History and time: calls at older blocks, snapshots, and time travel.

use alloy_consensus::{SignableTransaction, TxEip1559, TxEnvelope};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Bytes, TxKind, U256};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use yellowstone_devnet::chain::{
    BlockTag, CallRequest, Chain, DevnetError, DEFAULT_CHAIN_ID, DEV_ACCOUNTS, DEV_BALANCE,
};
use yellowstone_protocol::time::DAY;

fn send(chain: &mut Chain, account: usize, to: TxKind, input: Vec<u8>) -> alloy_primitives::B256 {
    let from = DEV_ACCOUNTS[account];
    let tx = TxEip1559 {
        chain_id: DEFAULT_CHAIN_ID,
        nonce: chain.nonce(from.address, BlockTag::Latest).unwrap(),
        gas_limit: 1_000_000,
        max_fee_per_gas: 1_000_000_000,
        max_priority_fee_per_gas: 1,
        to,
        value: U256::from(1),
        access_list: Default::default(),
        input: input.into(),
    };
    let signer = PrivateKeySigner::from_bytes(&from.private_key).unwrap();
    let signature = signer.sign_hash_sync(&tx.signature_hash()).unwrap();
    let raw = TxEnvelope::from(tx.into_signed(signature)).encoded_2718();
    chain.send_raw_transaction(&raw).unwrap()
}

/// Deploys a contract whose runtime returns `TIMESTAMP` and stores calldata word 0 in slot 0;
/// returns its address.
fn deploy_clock_store(chain: &mut Chain) -> alloy_primitives::Address {
    // runtime: PUSH1 0 CALLDATALOAD PUSH1 0 SSTORE TIMESTAMP PUSH1 0 MSTORE PUSH1 32 PUSH1 0 RETURN
    let runtime = [
        0x60, 0x00, 0x35, 0x60, 0x00, 0x55, 0x42, 0x60, 0x00, 0x52, 0x60, 0x20, 0x60, 0x00, 0xf3,
    ];
    let mut init = vec![
        0x60,
        runtime.len() as u8,
        0x80,
        0x60,
        0x0b,
        0x60,
        0x00,
        0x39,
        0x60,
        0x00,
        0xf3,
    ];
    init.extend_from_slice(&runtime);
    let hash = send(chain, 0, TxKind::Create, init);
    chain.receipt(hash).unwrap().contract_address.unwrap()
}

fn word(n: u64) -> Vec<u8> {
    U256::from(n).to_be_bytes::<32>().to_vec()
}

#[test]
fn calls_at_older_blocks_see_old_state() {
    let mut chain = Chain::new();
    let contract = deploy_clock_store(&mut chain);
    send(&mut chain, 1, TxKind::Call(contract), word(11));
    let after_first = chain.block_number();
    send(&mut chain, 1, TxKind::Call(contract), word(22));
    let slot = |chain: &Chain, block| chain.storage_at(contract, U256::ZERO, block).unwrap();
    assert_eq!(slot(&chain, BlockTag::Latest), U256::from(22));
    assert_eq!(slot(&chain, BlockTag::Number(after_first)), U256::from(11));
    assert_eq!(slot(&chain, BlockTag::Number(1)), U256::ZERO);
    // Before the deployment the contract has no code, and a call to it returns nothing.
    assert!(chain.code(contract, BlockTag::Earliest).unwrap().is_empty());
    let request = CallRequest {
        to: Some(contract),
        data: Bytes::from(word(5)),
        ..Default::default()
    };
    assert!(chain.call(&request, BlockTag::Earliest).unwrap().is_empty());
    // A call runs in its block's environment: TIMESTAMP is that block's.
    for number in 1..=chain.block_number() {
        let expected = chain
            .block_by_number(BlockTag::Number(number))
            .unwrap()
            .timestamp();
        let output = chain.call(&request, BlockTag::Number(number)).unwrap();
        assert_eq!(U256::from_be_slice(&output), U256::from(expected));
    }
    // Balances and nonces at older blocks.
    let bob = DEV_ACCOUNTS[1].address;
    assert_eq!(
        chain.balance(bob, BlockTag::Number(1)).unwrap(),
        DEV_BALANCE
    );
    assert!(chain.balance(bob, BlockTag::Latest).unwrap() < DEV_BALANCE);
    assert_eq!(chain.nonce(bob, BlockTag::Number(after_first)).unwrap(), 1);
    assert_eq!(chain.nonce(bob, BlockTag::Latest).unwrap(), 2);
    // Unknown blocks are refused.
    assert_eq!(
        chain.call(&request, BlockTag::Number(99)).unwrap_err(),
        DevnetError::UnknownBlock(99)
    );
    assert_eq!(
        chain
            .balance(bob, BlockTag::Number(99))
            .unwrap_err()
            .to_string(),
        "unknown block: 99"
    );
}

#[test]
fn snapshot_and_revert() {
    let mut chain = Chain::new();
    let contract = deploy_clock_store(&mut chain);
    send(&mut chain, 0, TxKind::Call(contract), word(1));
    let id = chain.snapshot();
    let before = chain.block_number();
    let later = send(&mut chain, 0, TxKind::Call(contract), word(2));
    chain.mine(None).unwrap();
    let inner = chain.snapshot();
    send(&mut chain, 0, TxKind::Call(contract), word(3));
    assert_eq!(chain.block_number(), before + 3);

    assert!(chain.revert(id));
    assert_eq!(chain.block_number(), before);
    assert_eq!(
        chain
            .storage_at(contract, U256::ZERO, BlockTag::Latest)
            .unwrap(),
        U256::from(1)
    );
    assert!(chain.transaction_by_hash(later).is_none());
    assert!(chain.receipt(later).is_none());
    assert_eq!(
        chain
            .nonce(DEV_ACCOUNTS[0].address, BlockTag::Latest)
            .unwrap(),
        2
    );
    // Reverting consumes the snapshot and the later ones.
    assert!(!chain.revert(id));
    assert!(!chain.revert(inner));
    // The chain carries on from the snapshot.
    send(&mut chain, 0, TxKind::Call(contract), word(4));
    assert_eq!(chain.block_number(), before + 1);
    assert_eq!(
        chain
            .storage_at(contract, U256::ZERO, BlockTag::Latest)
            .unwrap(),
        U256::from(4)
    );
}

#[test]
fn time_travel_across_a_day_boundary() {
    let mut chain = Chain::new();
    let start = chain.block_by_number(BlockTag::Latest).unwrap().timestamp();
    // Park just before midnight (UTC), well in the future.
    let midnight = (start / DAY + 2) * DAY;
    chain.set_next_block_timestamp(midnight - 1000).unwrap();
    let contract = deploy_clock_store(&mut chain);
    let deployed = chain.block_by_number(BlockTag::Latest).unwrap().timestamp();
    assert_eq!(deployed, midnight - 1000);

    chain.increase_time(DAY);
    send(&mut chain, 0, TxKind::Call(contract), word(1));
    let next = chain.block_by_number(BlockTag::Latest).unwrap().timestamp();
    assert!(next >= deployed + DAY, "{next} < {deployed} + {DAY}");
    assert_eq!(next / DAY, deployed / DAY + 1);
    // TIMESTAMP in a call at latest is the latest block's.
    let request = CallRequest {
        to: Some(contract),
        ..Default::default()
    };
    let output = chain.call(&request, BlockTag::Latest).unwrap();
    assert_eq!(U256::from_be_slice(&output), U256::from(next));

    // evm_mine with a timestamp; then timestamps keep increasing.
    let number = chain.mine(Some(next + 3 * DAY)).unwrap();
    assert_eq!(
        chain
            .block_by_number(BlockTag::Number(number))
            .unwrap()
            .timestamp(),
        next + 3 * DAY
    );
    chain.mine(None).unwrap();
    assert!(chain.block_by_number(BlockTag::Latest).unwrap().timestamp() > next + 3 * DAY);

    // Going back in time is refused.
    let latest = chain.block_by_number(BlockTag::Latest).unwrap().timestamp();
    assert_eq!(
        chain.set_next_block_timestamp(latest).unwrap_err(),
        DevnetError::TimestampNotIncreasing {
            requested: latest,
            latest
        }
    );
}

#[test]
fn many_blocks_have_strictly_increasing_timestamps() {
    let mut chain = Chain::new();
    for _ in 0..5 {
        send(
            &mut chain,
            3,
            TxKind::Call(DEV_ACCOUNTS[4].address),
            Vec::new(),
        );
        chain.mine(None).unwrap();
    }
    let stamps: Vec<u64> = (0..=chain.block_number())
        .map(|n| {
            chain
                .block_by_number(BlockTag::Number(n))
                .unwrap()
                .timestamp()
        })
        .collect();
    assert!(
        stamps.windows(2).all(|pair| pair[0] < pair[1]),
        "{stamps:?}"
    );
}

#[test]
fn chain_can_be_shared_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Chain>();
}
