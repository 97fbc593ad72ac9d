//! The chain core through signed transactions: transfers, deployments, calls, logs, the
//! refusals, and deploying `0xEF`-prefixed (Stylus) code.

use alloy_consensus::{SignableTransaction, TxEip1559, TxEnvelope, TxLegacy};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Address, Bytes, TxKind, B256, U256};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use yellowstone_devnet::chain::{
    BlockTag, CallRequest, Chain, DevnetError, LogFilter, BASE_FEE, DEFAULT_CHAIN_ID, DEV_ACCOUNTS,
    DEV_BALANCE,
};

const GWEI: u128 = 1_000_000_000;

fn sign<T: SignableTransaction<alloy_primitives::Signature>>(key: &B256, tx: T) -> Vec<u8>
where
    TxEnvelope: From<alloy_consensus::Signed<T>>,
{
    let signer = PrivateKeySigner::from_bytes(key).unwrap();
    let signature = signer.sign_hash_sync(&tx.signature_hash()).unwrap();
    TxEnvelope::from(tx.into_signed(signature)).encoded_2718()
}

fn eip1559(account: usize, nonce: u64, to: TxKind, value: U256, input: Vec<u8>) -> Vec<u8> {
    eip1559_on(DEFAULT_CHAIN_ID, account, nonce, to, value, input)
}

fn eip1559_on(
    chain_id: u64,
    account: usize,
    nonce: u64,
    to: TxKind,
    value: U256,
    input: Vec<u8>,
) -> Vec<u8> {
    let tx = TxEip1559 {
        chain_id,
        nonce,
        gas_limit: 1_000_000,
        max_fee_per_gas: GWEI,
        max_priority_fee_per_gas: 0,
        to,
        value,
        access_list: Default::default(),
        input: input.into(),
    };
    sign(&DEV_ACCOUNTS[account].private_key, tx)
}

fn legacy(account: usize, nonce: u64, to: TxKind, value: U256, input: Vec<u8>) -> Vec<u8> {
    let tx = TxLegacy {
        chain_id: Some(DEFAULT_CHAIN_ID),
        nonce,
        gas_price: GWEI,
        gas_limit: 1_000_000,
        to,
        value,
        input: input.into(),
    };
    sign(&DEV_ACCOUNTS[account].private_key, tx)
}

/// Init code that deploys `runtime` (at most 255 bytes) as the contract's code.
fn init_code(runtime: &[u8]) -> Vec<u8> {
    let len = u8::try_from(runtime.len()).unwrap();
    // PUSH1 len DUP1 PUSH1 11 PUSH1 0 CODECOPY PUSH1 0 RETURN
    let mut code = vec![
        0x60, len, 0x80, 0x60, 0x0b, 0x60, 0x00, 0x39, 0x60, 0x00, 0xf3,
    ];
    code.extend_from_slice(runtime);
    code
}

/// A store contract: empty calldata returns slot 0; one byte of calldata reverts with
/// `0xdeadbeef`; otherwise stores the first calldata word in slot 0, emits it in a `LOG1` with
/// topic 1, and returns it.
const STORE: [u8; 61] = [
    0x36, 0x80, 0x15, 0x60, 0x22, 0x57, 0x60, 0x01, 0x14, 0x60, 0x2f, 0x57, // dispatch
    0x60, 0x00, 0x35, 0x80, 0x60, 0x00, 0x55, 0x60, 0x00, 0x52, // sstore, mstore
    0x60, 0x01, 0x60, 0x20, 0x60, 0x00, 0xa1, // log1
    0x60, 0x20, 0x60, 0x00, 0xf3, // return
    0x5b, 0x50, 0x60, 0x00, 0x54, 0x60, 0x00, 0x52, 0x60, 0x20, 0x60, 0x00, 0xf3, // getter
    0x5b, 0x63, 0xde, 0xad, 0xbe, 0xef, 0x60, 0x00, 0x52, 0x60, 0x04, 0x60, 0x1c,
    0xfd, // revert
];

fn word(n: u64) -> Vec<u8> {
    U256::from(n).to_be_bytes::<32>().to_vec()
}

fn deploy_store(chain: &mut Chain, account: usize, nonce: u64) -> Address {
    let hash = chain
        .send_raw_transaction(&eip1559(
            account,
            nonce,
            TxKind::Create,
            U256::ZERO,
            init_code(&STORE),
        ))
        .unwrap();
    let receipt = chain.receipt(hash).unwrap();
    assert!(receipt.status, "deployment failed: {receipt:?}");
    receipt.contract_address.unwrap()
}

#[test]
fn genesis_funds_the_development_accounts() {
    let chain = Chain::new();
    assert_eq!(chain.chain_id(), 412_346);
    assert_eq!(chain.block_number(), 0);
    for account in DEV_ACCOUNTS {
        assert_eq!(
            chain.balance(account.address, BlockTag::Latest).unwrap(),
            DEV_BALANCE
        );
        assert_eq!(chain.nonce(account.address, BlockTag::Latest).unwrap(), 0);
    }
}

#[test]
fn eth_transfer_with_eip1559_and_legacy() {
    let mut chain = Chain::new();
    let (alice, bob) = (DEV_ACCOUNTS[0].address, DEV_ACCOUNTS[1].address);
    let one_eth = U256::from(10u64).pow(U256::from(18u64));

    let first = chain
        .send_raw_transaction(&eip1559(0, 0, TxKind::Call(bob), one_eth, Vec::new()))
        .unwrap();
    assert_eq!(chain.block_number(), 1);
    let receipt = chain.receipt(first).unwrap().clone();
    assert!(receipt.status);
    assert_eq!(receipt.gas_used, 21_000);
    assert_eq!(receipt.cumulative_gas_used, 21_000);
    assert_eq!(receipt.block_number, 1);
    assert_eq!(receipt.from, alice);
    assert_eq!(receipt.to, Some(bob));
    assert_eq!(receipt.transaction_type, 2);
    // max priority fee 0: the price paid is the base fee.
    assert_eq!(receipt.effective_gas_price, BASE_FEE as u128);
    let fee = U256::from(21_000u64) * U256::from(BASE_FEE);
    assert_eq!(
        chain.balance(alice, BlockTag::Latest).unwrap(),
        DEV_BALANCE - one_eth - fee
    );
    assert_eq!(
        chain.balance(bob, BlockTag::Latest).unwrap(),
        DEV_BALANCE + one_eth
    );
    assert_eq!(chain.nonce(alice, BlockTag::Latest).unwrap(), 1);

    let record = chain.transaction_by_hash(first).unwrap();
    assert_eq!(record.from, alice);
    assert_eq!(record.block_number, 1);
    let block = chain.block_by_number(BlockTag::Number(1)).unwrap();
    assert_eq!(block.transactions, vec![first]);
    assert_eq!(block.hash, receipt.block_hash);
    assert_eq!(
        block.header.parent_hash,
        chain.block_by_number(BlockTag::Earliest).unwrap().hash
    );
    assert_eq!(chain.block_by_hash(block.hash).unwrap().number(), 1);

    // Legacy (EIP-155) from Bob back to Alice: pays its gas price in full.
    let second = chain
        .send_raw_transaction(&legacy(1, 0, TxKind::Call(alice), one_eth, Vec::new()))
        .unwrap();
    assert_eq!(chain.block_number(), 2);
    let receipt = chain.receipt(second).unwrap();
    assert!(receipt.status);
    assert_eq!(receipt.transaction_type, 0);
    assert_eq!(receipt.effective_gas_price, GWEI);
    let legacy_fee = U256::from(21_000u64) * U256::from(GWEI);
    assert_eq!(
        chain.balance(bob, BlockTag::Latest).unwrap(),
        DEV_BALANCE - legacy_fee
    );
    assert_eq!(chain.nonce(bob, BlockTag::Latest).unwrap(), 1);
    // Each block is strictly later than its parent.
    let t1 = chain
        .block_by_number(BlockTag::Number(1))
        .unwrap()
        .timestamp();
    let t2 = chain
        .block_by_number(BlockTag::Number(2))
        .unwrap()
        .timestamp();
    assert!(t2 > t1);
}

#[test]
fn deploy_call_and_logs() {
    let mut chain = Chain::new();
    let store = deploy_store(&mut chain, 0, 0);
    assert_eq!(store, DEV_ACCOUNTS[0].address.create(0));
    assert_eq!(
        chain.code(store, BlockTag::Latest).unwrap().as_ref(),
        &STORE[..]
    );

    let hash = chain
        .send_raw_transaction(&legacy(0, 1, TxKind::Call(store), U256::ZERO, word(42)))
        .unwrap();
    let receipt = chain.receipt(hash).unwrap().clone();
    assert!(receipt.status);
    assert_eq!(receipt.output.as_ref(), &word(42)[..]);
    assert_eq!(receipt.logs.len(), 1);
    let entry = &receipt.logs[0];
    assert_eq!(entry.log.address, store);
    assert_eq!(entry.log.data.topics(), &[B256::with_last_byte(1)]);
    assert_eq!(entry.log.data.data.as_ref(), &word(42)[..]);
    assert_eq!(
        (entry.block_number, entry.transaction_index, entry.log_index),
        (2, 0, 0)
    );
    assert_eq!(entry.transaction_hash, hash);
    assert_eq!(entry.block_hash, receipt.block_hash);
    assert_eq!(
        chain
            .storage_at(store, U256::ZERO, BlockTag::Latest)
            .unwrap(),
        U256::from(42)
    );

    let getter = CallRequest {
        to: Some(store),
        ..CallRequest::default()
    };
    assert_eq!(
        chain.call(&getter, BlockTag::Latest).unwrap().as_ref(),
        &word(42)[..]
    );

    chain
        .send_raw_transaction(&eip1559(1, 0, TxKind::Call(store), U256::ZERO, word(7)))
        .unwrap();
    let all = chain
        .logs(&LogFilter {
            from_block: BlockTag::Earliest,
            to_block: BlockTag::Latest,
            ..LogFilter::default()
        })
        .unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!((all[0].block_number, all[1].block_number), (2, 3));
    let only_latest = chain.logs(&LogFilter::default()).unwrap();
    assert_eq!(only_latest.len(), 1);
    assert_eq!(only_latest[0].log.data.data.as_ref(), &word(7)[..]);
    let by_topic = LogFilter {
        from_block: BlockTag::Number(0),
        to_block: BlockTag::Number(100),
        addresses: vec![store],
        topics: vec![Some(vec![B256::with_last_byte(1)])],
    };
    assert_eq!(chain.logs(&by_topic).unwrap().len(), 2);
    let other_topic = LogFilter {
        topics: vec![Some(vec![B256::with_last_byte(2)])],
        ..by_topic
    };
    assert!(chain.logs(&other_topic).unwrap().is_empty());
    let other_address = LogFilter {
        from_block: BlockTag::Earliest,
        addresses: vec![DEV_ACCOUNTS[0].address],
        ..LogFilter::default()
    };
    assert!(chain.logs(&other_address).unwrap().is_empty());

    // Estimation: enough gas to store a fresh value, and the estimate actually suffices.
    let set = CallRequest {
        from: Some(DEV_ACCOUNTS[2].address),
        to: Some(store),
        data: Bytes::from(word(9)),
        ..CallRequest::default()
    };
    let estimate = chain.estimate_gas(&set, BlockTag::Latest).unwrap();
    assert!(estimate > 21_000 + 2_900, "estimate {estimate}");
    let tight = CallRequest {
        gas: Some(estimate),
        ..set.clone()
    };
    assert!(chain.call(&tight, BlockTag::Latest).is_ok());
    let short = CallRequest {
        gas: Some(estimate - 1),
        ..set
    };
    assert!(chain.call(&short, BlockTag::Latest).is_err());
}

#[test]
fn revert_data_comes_back_from_call_and_estimate() {
    let mut chain = Chain::new();
    let store = deploy_store(&mut chain, 0, 0);
    let request = CallRequest {
        to: Some(store),
        data: Bytes::from(vec![1u8]),
        ..Default::default()
    };
    let error = chain.call(&request, BlockTag::Latest).unwrap_err();
    assert_eq!(
        error.revert_data().unwrap().as_ref(),
        &[0xde, 0xad, 0xbe, 0xef]
    );
    assert_eq!(error.to_string(), "execution reverted: 0xdeadbeef");
    let error = chain.estimate_gas(&request, BlockTag::Latest).unwrap_err();
    assert_eq!(
        error.revert_data().unwrap().as_ref(),
        &[0xde, 0xad, 0xbe, 0xef]
    );

    // A reverting transaction is mined with status 0 and its revert data.
    let hash = chain
        .send_raw_transaction(&eip1559(0, 1, TxKind::Call(store), U256::ZERO, vec![1]))
        .unwrap();
    let receipt = chain.receipt(hash).unwrap();
    assert!(!receipt.status);
    assert!(receipt.logs.is_empty());
    assert_eq!(receipt.output.as_ref(), &[0xde, 0xad, 0xbe, 0xef]);
    assert_eq!(
        chain
            .nonce(DEV_ACCOUNTS[0].address, BlockTag::Latest)
            .unwrap(),
        2
    );
}

#[test]
fn refusals_are_typed_and_clear() {
    let mut chain = Chain::new();
    let bob = TxKind::Call(DEV_ACCOUNTS[1].address);

    let error = chain
        .send_raw_transaction(&eip1559_on(1, 0, 0, bob, U256::ZERO, Vec::new()))
        .unwrap_err();
    assert_eq!(
        error,
        DevnetError::WrongChainId {
            expected: 412_346,
            got: 1
        }
    );
    assert!(error.to_string().contains("chain 1"), "{error}");

    let error = chain
        .send_raw_transaction(&eip1559(0, 3, bob, U256::ZERO, Vec::new()))
        .unwrap_err();
    assert_eq!(
        error,
        DevnetError::NonceTooHigh {
            expected: 0,
            got: 3
        }
    );
    assert_eq!(
        error.to_string(),
        "nonce too high: next nonce 0, tx nonce 3"
    );

    chain
        .send_raw_transaction(&eip1559(0, 0, bob, U256::ZERO, Vec::new()))
        .unwrap();
    let replay = eip1559(0, 0, bob, U256::ZERO, Vec::new());
    assert_eq!(
        chain.send_raw_transaction(&replay).unwrap_err(),
        DevnetError::AlreadyKnown
    );
    let error = chain
        .send_raw_transaction(&legacy(0, 0, bob, U256::ZERO, Vec::new()))
        .unwrap_err();
    assert_eq!(
        error,
        DevnetError::NonceTooLow {
            expected: 1,
            got: 0
        }
    );
    assert_eq!(error.to_string(), "nonce too low: next nonce 1, tx nonce 0");

    let error = chain
        .send_raw_transaction(&eip1559(2, 0, bob, DEV_BALANCE, Vec::new()))
        .unwrap_err();
    assert!(
        matches!(error, DevnetError::InsufficientFunds { address, .. } if address == DEV_ACCOUNTS[2].address)
    );
    assert!(
        error.to_string().starts_with("insufficient funds"),
        "{error}"
    );

    let unprotected = TxLegacy {
        chain_id: None,
        nonce: 0,
        gas_price: GWEI,
        gas_limit: 21_000,
        to: bob,
        value: U256::ZERO,
        input: Default::default(),
    };
    let error = chain
        .send_raw_transaction(&sign(&DEV_ACCOUNTS[3].private_key, unprotected))
        .unwrap_err();
    assert_eq!(error, DevnetError::MissingChainId);

    assert!(matches!(
        chain.send_raw_transaction(&[0x02, 0xc0]).unwrap_err(),
        DevnetError::InvalidTransaction(_)
    ));
    // None of the refusals mined a block.
    assert_eq!(chain.block_number(), 1);
}

#[test]
fn code_starting_with_ef_deploys() {
    let mut chain = Chain::new();
    let program = [0xef, 0xf0, 0x00, 0x00, 0x1b, 0x2a, 0x00, 0x07];
    let hash = chain
        .send_raw_transaction(&eip1559(
            0,
            0,
            TxKind::Create,
            U256::ZERO,
            init_code(&program),
        ))
        .unwrap();
    let receipt = chain.receipt(hash).unwrap();
    assert!(receipt.status, "{receipt:?}");
    let address = receipt.contract_address.unwrap();
    assert_eq!(
        chain.code(address, BlockTag::Latest).unwrap().as_ref(),
        &program[..]
    );

    // The same through CREATE from a contract: a factory that runs its calldata as init code
    // and returns the new address.
    // CALLDATASIZE PUSH1 0 PUSH1 0 CALLDATACOPY CALLDATASIZE PUSH1 0 PUSH1 0 CREATE
    // PUSH1 0 MSTORE PUSH1 32 PUSH1 0 RETURN
    let factory_code = [
        0x36, 0x60, 0x00, 0x60, 0x00, 0x37, 0x36, 0x60, 0x00, 0x60, 0x00, 0xf0, 0x60, 0x00, 0x52,
        0x60, 0x20, 0x60, 0x00, 0xf3,
    ];
    let hash = chain
        .send_raw_transaction(&eip1559(
            0,
            1,
            TxKind::Create,
            U256::ZERO,
            init_code(&factory_code),
        ))
        .unwrap();
    let factory = chain.receipt(hash).unwrap().contract_address.unwrap();
    let hash = chain
        .send_raw_transaction(&eip1559(
            0,
            2,
            TxKind::Call(factory),
            U256::ZERO,
            init_code(&program),
        ))
        .unwrap();
    let receipt = chain.receipt(hash).unwrap();
    assert!(receipt.status, "{receipt:?}");
    let created = Address::from_word(B256::from_slice(&receipt.output));
    assert_eq!(created, factory.create(1));
    assert_eq!(
        chain.code(created, BlockTag::Latest).unwrap().as_ref(),
        &program[..]
    );
}

#[test]
fn estimate_covers_refunds_and_eip2930_is_accepted() {
    let mut chain = Chain::new();
    let store = deploy_store(&mut chain, 0, 0);
    chain
        .send_raw_transaction(&eip1559(0, 1, TxKind::Call(store), U256::ZERO, word(5)))
        .unwrap();
    // Clearing the slot earns a refund: the gas used is less than the gas the call needs, so
    // the estimate comes from the search, and it is the smallest limit that works.
    let clear = CallRequest {
        from: Some(DEV_ACCOUNTS[0].address),
        to: Some(store),
        data: Bytes::from(word(0)),
        ..CallRequest::default()
    };
    let estimate = chain.estimate_gas(&clear, BlockTag::Latest).unwrap();
    let tight = CallRequest {
        gas: Some(estimate),
        ..clear.clone()
    };
    assert!(chain.call(&tight, BlockTag::Latest).is_ok());
    let short = CallRequest {
        gas: Some(estimate - 1),
        ..clear.clone()
    };
    assert!(chain.call(&short, BlockTag::Latest).is_err());

    let tx = alloy_consensus::TxEip2930 {
        chain_id: DEFAULT_CHAIN_ID,
        nonce: 2,
        gas_price: GWEI,
        gas_limit: estimate,
        to: TxKind::Call(store),
        value: U256::ZERO,
        access_list: Default::default(),
        input: word(0).into(),
    };
    let hash = chain
        .send_raw_transaction(&sign(&DEV_ACCOUNTS[0].private_key, tx))
        .unwrap();
    let receipt = chain.receipt(hash).unwrap();
    assert!(receipt.status, "{receipt:?}");
    assert_eq!(receipt.transaction_type, 1);
    assert!(
        receipt.gas_used < estimate,
        "the refund lowers the gas used"
    );
    assert_eq!(
        chain
            .storage_at(store, U256::ZERO, BlockTag::Latest)
            .unwrap(),
        U256::ZERO
    );
}
