//! The JSON-RPC server driven by alloy's provider as a real client: chain id, dev balances,
//! signed transfers (EIP-1559 and legacy), deployment, historical `eth_call`, logs, revert data,
//! snapshots and time travel.

use std::sync::{Arc, Mutex};

use alloy_eips::BlockId;
use alloy_primitives::{b256, Address, Bytes, B256, U256};
use alloy_provider::{Provider, ProviderBuilder};
use alloy_rpc_types_eth::{BlockNumberOrTag, Filter, TransactionRequest};
use yellowstone_devnet::{
    chain::{Chain, DEFAULT_CHAIN_ID, DEV_ACCOUNTS, DEV_BALANCE},
    rpc::RpcHandle,
};

use crate::common::rpc::{create, serve_chain, wallet};

/// The topic the test contract logs under.
const TOPIC: B256 = b256!("abababababababababababababababababababababababababababababababab");

/// A tiny contract: empty calldata returns slot 0; 32 bytes of calldata store them in slot 0 and
/// log them under [`TOPIC`]; any other calldata reverts with the calldata as revert data.
fn init_code() -> Vec<u8> {
    let mut runtime = alloy_primitives::hex::decode(
        "36801560135780602014601c57805f5f375ffd\
         5b5f545f5260205ff3\
         5b5f35805f555f527f",
    )
    .unwrap();
    runtime.extend_from_slice(TOPIC.as_slice());
    runtime.extend_from_slice(&[0x60, 0x20, 0x5f, 0xa1, 0x00]);
    assert_eq!(runtime.len(), 0x4a);
    let mut init = alloy_primitives::hex::decode("604a8060095f395ff3").unwrap();
    init.extend_from_slice(&runtime);
    init
}

fn start() -> (Arc<Mutex<Chain>>, RpcHandle) {
    serve_chain(Chain::new())
}

/// A provider signing with development account `account`.
fn provider(handle: &RpcHandle, account: usize) -> impl Provider {
    wallet(handle, &DEV_ACCOUNTS[account].private_key)
}

/// Deploys the test contract from account 0; returns its address and the deployment block.
async fn deploy(provider: &impl Provider) -> (Address, u64) {
    let receipt = create(provider, init_code()).await;
    (
        receipt.contract_address.unwrap(),
        receipt.block_number.unwrap(),
    )
}

/// Stores `value` in the test contract; returns the block it was mined in.
async fn set(provider: &impl Provider, contract: Address, value: u64) -> u64 {
    let tx = TransactionRequest::default()
        .to(contract)
        .input(Bytes::from(U256::from(value).to_be_bytes::<32>().to_vec()).into());
    let receipt = provider
        .send_transaction(tx)
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    assert!(receipt.status());
    receipt.block_number.unwrap()
}

fn get(contract: Address) -> TransactionRequest {
    TransactionRequest::default().to(contract)
}

#[tokio::test]
async fn chain_id_accounts_and_balances() {
    let (_chain, handle) = start();
    let provider = provider(&handle, 0);
    assert_eq!(provider.get_chain_id().await.unwrap(), DEFAULT_CHAIN_ID);
    assert_eq!(provider.get_block_number().await.unwrap(), 0);
    let accounts = provider.get_accounts().await.unwrap();
    assert_eq!(accounts.len(), 10);
    for (account, dev) in accounts.iter().zip(DEV_ACCOUNTS) {
        assert_eq!(*account, dev.address);
        assert_eq!(provider.get_balance(*account).await.unwrap(), DEV_BALANCE);
    }
    assert_eq!(provider.get_gas_price().await.unwrap(), 100_000_000);
    let version: String = provider
        .raw_request("web3_clientVersion".into(), ())
        .await
        .unwrap();
    assert!(version.starts_with("yellowstone-devnet/"));
    let net: String = provider
        .raw_request("net_version".into(), ())
        .await
        .unwrap();
    assert_eq!(net, DEFAULT_CHAIN_ID.to_string());
    let genesis = provider
        .get_block_by_number(BlockNumberOrTag::Earliest)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(genesis.header.number, 0);
    assert!(provider
        .get_block_by_number(BlockNumberOrTag::Number(5))
        .await
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn signed_transfers_mine_with_receipts() {
    let (_chain, handle) = start();
    let provider = provider(&handle, 0);
    let to = DEV_ACCOUNTS[1].address;
    let value = U256::from(10u64).pow(U256::from(18u64));

    // EIP-1559, filled by alloy (nonce, gas estimate, fee history).
    let tx = TransactionRequest::default().to(to).value(value);
    let pending = provider.send_transaction(tx).await.unwrap();
    let hash = *pending.tx_hash();
    let receipt = pending.get_receipt().await.unwrap();
    assert!(receipt.status());
    assert_eq!(receipt.transaction_hash, hash);
    assert_eq!(receipt.block_number, Some(1));
    assert_eq!(receipt.gas_used, 21_000);
    assert_eq!(receipt.from, DEV_ACCOUNTS[0].address);
    assert_eq!(receipt.to, Some(to));
    assert_eq!(provider.get_balance(to).await.unwrap(), DEV_BALANCE + value);
    let paid = U256::from(receipt.gas_used) * U256::from(receipt.effective_gas_price);
    assert_eq!(
        provider.get_balance(DEV_ACCOUNTS[0].address).await.unwrap(),
        DEV_BALANCE - value - paid
    );
    assert_eq!(
        provider
            .get_transaction_count(DEV_ACCOUNTS[0].address)
            .await
            .unwrap(),
        1
    );

    // The transaction and its block.
    let tx = provider
        .get_transaction_by_hash(hash)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(tx.block_number, Some(1));
    assert_eq!(tx.inner.signer(), DEV_ACCOUNTS[0].address);
    let block = provider
        .get_block_by_number(BlockNumberOrTag::Latest)
        .full()
        .await
        .unwrap()
        .unwrap();
    assert_eq!(block.header.number, 1);
    assert_eq!(block.transactions.len(), 1);
    assert_eq!(
        block.transactions.as_transactions().unwrap()[0]
            .inner
            .tx_hash(),
        &hash
    );
    let by_hash = provider
        .get_block_by_hash(block.header.hash)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(by_hash.transactions.hashes().next(), Some(hash));

    // Legacy (gas price set).
    let tx = TransactionRequest::default()
        .to(to)
        .value(value)
        .gas_price(1_000_000_000);
    let receipt = provider
        .send_transaction(tx)
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    assert!(receipt.status());
    assert_eq!(receipt.transaction_type() as u8, 0);
    assert_eq!(
        provider.get_balance(to).await.unwrap(),
        DEV_BALANCE + value * U256::from(2)
    );

    // An unknown hash has no receipt.
    assert!(provider
        .get_transaction_receipt(B256::repeat_byte(7))
        .await
        .unwrap()
        .is_none());

    // A refused transaction is a server error with the chain's message.
    let raw = provider
        .get_transaction_by_hash(hash)
        .await
        .unwrap()
        .unwrap();
    let mut encoded = Vec::new();
    alloy_eips::eip2718::Encodable2718::encode_2718(raw.inner.inner(), &mut encoded);
    let error = provider.send_raw_transaction(&encoded).await.unwrap_err();
    let payload = error.as_error_resp().unwrap();
    assert_eq!(payload.code, -32000);
    assert!(
        payload.message.contains("already known"),
        "{}",
        payload.message
    );
}

#[tokio::test]
async fn deploy_call_history_storage_and_logs() {
    let (_chain, handle) = start();
    let provider = provider(&handle, 0);
    let (contract, deployed_at) = deploy(&provider).await;
    assert!(!provider.get_code_at(contract).await.unwrap().is_empty());
    assert!(provider
        .get_code_at(contract)
        .block_id(BlockId::number(deployed_at - 1))
        .await
        .unwrap()
        .is_empty());

    let first = set(&provider, contract, 7).await;
    let second = set(&provider, contract, 9).await;
    let value = |bytes: Bytes| U256::from_be_slice(&bytes);
    assert_eq!(
        value(provider.call(get(contract)).await.unwrap()),
        U256::from(9)
    );
    assert_eq!(
        value(
            provider
                .call(get(contract))
                .block(BlockId::number(first))
                .await
                .unwrap()
        ),
        U256::from(7)
    );
    assert_eq!(
        value(
            provider
                .call(get(contract))
                .block(BlockId::number(deployed_at))
                .await
                .unwrap()
        ),
        U256::ZERO
    );
    assert_eq!(
        provider.get_storage_at(contract, U256::ZERO).await.unwrap(),
        U256::from(9)
    );
    assert_eq!(
        provider
            .get_storage_at(contract, U256::ZERO)
            .block_id(BlockId::number(first))
            .await
            .unwrap(),
        U256::from(7)
    );
    let gas = provider
        .estimate_gas(get(contract).input(Bytes::from(vec![0u8; 32]).into()))
        .await
        .unwrap();
    assert!(gas > 21_000 && gas < 100_000, "{gas}");

    let logs = provider
        .get_logs(&Filter::new().address(contract).from_block(0))
        .await
        .unwrap();
    assert_eq!(logs.len(), 2);
    assert_eq!(logs[0].block_number, Some(first));
    assert_eq!(logs[1].block_number, Some(second));
    assert_eq!(logs[0].topics(), &[TOPIC]);
    assert_eq!(U256::from_be_slice(&logs[1].data().data), U256::from(9));
    let only_second = provider
        .get_logs(
            &Filter::new()
                .from_block(second)
                .to_block(second)
                .event_signature(TOPIC),
        )
        .await
        .unwrap();
    assert_eq!(only_second.len(), 1);
    let other_topic = provider
        .get_logs(&Filter::new().from_block(0).event_signature(B256::ZERO))
        .await
        .unwrap();
    assert!(other_topic.is_empty());
    let receipt = provider
        .get_transaction_receipt(logs[1].transaction_hash.unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(receipt.inner.logs().len(), 1);
}

#[tokio::test]
async fn reverts_carry_their_data() {
    let (_chain, handle) = start();
    let provider = provider(&handle, 0);
    let (contract, _) = deploy(&provider).await;

    // A custom error: the raw bytes come back as `data`.
    let custom = Bytes::from_static(&[0xde, 0xad, 0xbe, 0xef, 1, 2]);
    let error = provider
        .call(get(contract).input(custom.clone().into()))
        .await
        .unwrap_err();
    let payload = error.as_error_resp().unwrap();
    assert_eq!(payload.code, 3);
    assert_eq!(payload.message, "execution reverted");
    assert_eq!(payload.as_revert_data(), Some(custom.clone()));

    // Error(string): the reason is in the message too.
    let reason = alloy_sol_types::Revert {
        reason: "no way".into(),
    };
    let encoded = Bytes::from(alloy_sol_types::SolError::abi_encode(&reason));
    let error = provider
        .estimate_gas(get(contract).input(encoded.clone().into()))
        .await
        .unwrap_err();
    let payload = error.as_error_resp().unwrap();
    assert_eq!(payload.code, 3);
    assert_eq!(payload.message, "execution reverted: no way");
    assert_eq!(payload.as_revert_data(), Some(encoded));
}

#[tokio::test]
async fn unlocked_development_accounts() {
    let (_chain, handle) = start();
    // No wallet: alloy sends eth_sendTransaction and the node signs for its dev accounts.
    let provider = ProviderBuilder::new().connect_http(handle.url().parse().unwrap());
    let to = DEV_ACCOUNTS[3].address;
    let tx = TransactionRequest::default()
        .from(DEV_ACCOUNTS[1].address)
        .to(to)
        .value(U256::from(42));
    let receipt = provider
        .send_transaction(tx)
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    assert!(receipt.status());
    assert_eq!(receipt.from, DEV_ACCOUNTS[1].address);
    assert_eq!(
        provider.get_balance(to).await.unwrap(),
        DEV_BALANCE + U256::from(42)
    );

    let stranger = Address::repeat_byte(0x42);
    let error = provider
        .send_transaction(TransactionRequest::default().from(stranger).to(to))
        .await
        .unwrap_err();
    let payload = error.as_error_resp().unwrap();
    assert_eq!(payload.code, -32000);
    assert!(
        payload.message.contains("no key for"),
        "{}",
        payload.message
    );
}

#[tokio::test]
async fn snapshot_and_revert() {
    let (_chain, handle) = start();
    let provider = provider(&handle, 0);
    let id: String = provider
        .raw_request("evm_snapshot".into(), ())
        .await
        .unwrap();
    let to = DEV_ACCOUNTS[2].address;
    let tx = TransactionRequest::default().to(to).value(U256::from(5));
    provider
        .send_transaction(tx)
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    assert_eq!(provider.get_block_number().await.unwrap(), 1);
    assert_eq!(
        provider.get_balance(to).await.unwrap(),
        DEV_BALANCE + U256::from(5)
    );

    let reverted: bool = provider
        .raw_request("evm_revert".into(), (id.clone(),))
        .await
        .unwrap();
    assert!(reverted);
    assert_eq!(provider.get_block_number().await.unwrap(), 0);
    assert_eq!(provider.get_balance(to).await.unwrap(), DEV_BALANCE);
    assert_eq!(
        provider
            .get_transaction_count(DEV_ACCOUNTS[0].address)
            .await
            .unwrap(),
        0
    );
    // A snapshot is consumed by reverting to it.
    let again: bool = provider
        .raw_request("evm_revert".into(), (id,))
        .await
        .unwrap();
    assert!(!again);
}

async fn latest_timestamp(provider: &impl Provider) -> u64 {
    provider
        .get_block_by_number(BlockNumberOrTag::Latest)
        .await
        .unwrap()
        .unwrap()
        .header
        .timestamp
}

#[tokio::test]
async fn time_travel() {
    let (_chain, handle) = start();
    let provider = provider(&handle, 0);
    let before = latest_timestamp(&provider).await;
    let offset: i64 = provider
        .raw_request("evm_increaseTime".into(), (86_400,))
        .await
        .unwrap();
    assert!(offset >= 86_400);
    let mined: String = provider.raw_request("evm_mine".into(), ()).await.unwrap();
    assert_eq!(mined, "0x0");
    assert_eq!(provider.get_block_number().await.unwrap(), 1);
    let after = latest_timestamp(&provider).await;
    assert!(after >= before + 86_400, "{before} -> {after}");

    let target = after + 1_000;
    let () = provider
        .raw_request(
            "evm_setNextBlockTimestamp".into(),
            (format!("{target:#x}"),),
        )
        .await
        .unwrap();
    let _: String = provider.raw_request("evm_mine".into(), ()).await.unwrap();
    assert_eq!(latest_timestamp(&provider).await, target);

    // evm_mine with an explicit timestamp; then one that is not increasing is refused.
    let _: String = provider
        .raw_request("evm_mine".into(), (target + 10,))
        .await
        .unwrap();
    assert_eq!(latest_timestamp(&provider).await, target + 10);
    let error = provider
        .raw_request::<_, ()>("evm_setNextBlockTimestamp".into(), (target,))
        .await
        .unwrap_err();
    assert_eq!(error.as_error_resp().unwrap().code, -32000);

    // Fee history over the mined blocks.
    let history = provider
        .get_fee_history(4, BlockNumberOrTag::Latest, &[50.0])
        .await
        .unwrap();
    assert_eq!(history.oldest_block, 0);
    assert_eq!(history.base_fee_per_gas.len(), 5);
    assert_eq!(history.gas_used_ratio.len(), 4);
    assert_eq!(history.reward.unwrap().len(), 4);
}
