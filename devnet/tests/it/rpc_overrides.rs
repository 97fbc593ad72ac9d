//! State and block overrides on `eth_call` / `eth_estimateGas`, and anvil's account setters,
//! driven over HTTP by alloy's provider as cargo-stylus and e2e harnesses drive a node.
//!
//! The specification, in short: an override changes a copy of the chosen block's state for one
//! call (balance, nonce, code, `state` replacing the whole storage, `stateDiff` patching slots)
//! and never the chain; overridden Stylus code runs when its code hash is activated, and
//! `activateProgram` sees overridden code. The setters change the latest state in place: no
//! block is mined, older blocks keep their state, and `evm_revert` undoes them.

use std::sync::{Arc, Mutex};

use alloy_eips::BlockId;
use alloy_primitives::{address, keccak256, Address, Bytes, B256, U256};
use alloy_provider::Provider;
use alloy_rpc_types_eth::{
    state::{AccountOverride, StateOverride, StateOverridesBuilder},
    BlockOverrides, TransactionRequest,
};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::{sol, SolCall};
use serde_json::{json, Value};
use yellowstone_devnet::{
    chain::{
        stylus_deploy_init_code, BlockTag, CallRequest, Chain, Overrides, ARB_WASM, DEV_ACCOUNTS,
        DEV_BALANCE, STYLUS_VERSION,
    },
    rpc::RpcHandle,
};

use crate::common::rpc::{create, serve_chain, wallet};

sol! {
    interface IArbWasm {
        function activateProgram(address program) external payable returns (uint16 version, uint256 dataFee);
    }
}

/// Returns the 32-byte word 42.
const RETURN_42: &[u8] = &[0x60, 0x2a, 0x5f, 0x52, 0x60, 0x20, 0x5f, 0xf3];
/// Returns the storage slot named by the first 32 bytes of calldata.
const READ_SLOT: &[u8] = &[0x5f, 0x35, 0x54, 0x5f, 0x52, 0x60, 0x20, 0x5f, 0xf3];
/// Returns the balance of the address in the first 32 bytes of calldata.
const BALANCE_OF: &[u8] = &[0x5f, 0x35, 0x31, 0x5f, 0x52, 0x60, 0x20, 0x5f, 0xf3];
/// CREATEs an empty contract and returns its address (which depends on the creator's nonce).
const CREATOR: &[u8] = &[0x5f, 0x5f, 0x5f, 0xf0, 0x5f, 0x52, 0x60, 0x20, 0x5f, 0xf3];
/// Returns the block's timestamp, number, coinbase and base fee as four words.
const BLOCK_INFO: &[u8] = &[
    0x42, 0x5f, 0x52, 0x43, 0x60, 0x20, 0x52, 0x41, 0x60, 0x40, 0x52, 0x48, 0x60, 0x60, 0x52, 0x60,
    0x80, 0x5f, 0xf3,
];

/// An address nobody holds a key for, without code or balance.
const EMPTY: Address = address!("00000000000000000000000000000000000c0de1");
/// Another one, for a second program.
const EMPTY_2: Address = address!("00000000000000000000000000000000000c0de2");
/// A sender without funds (cargo-stylus's random sender).
const POOR: Address = address!("0000000000000000000000000000000000000b0b");

fn start() -> (Arc<Mutex<Chain>>, RpcHandle) {
    serve_chain(Chain::new())
}

/// A provider signing with `key`.
fn provider(handle: &RpcHandle, key: &B256) -> impl Provider {
    wallet(handle, key)
}

/// A provider signing with development account 0.
fn dev(handle: &RpcHandle) -> impl Provider {
    provider(handle, &DEV_ACCOUNTS[0].private_key)
}

/// A key nobody funded: its account starts empty.
fn random_key() -> B256 {
    keccak256("rpc_overrides: a key the devnet does not know")
}

fn word(value: u64) -> Bytes {
    Bytes::from(U256::from(value).to_be_bytes::<32>().to_vec())
}

fn call_to(to: Address, data: impl Into<Bytes>) -> TransactionRequest {
    TransactionRequest::default()
        .to(to)
        .input(data.into().into())
}

/// Raw JSON-RPC; panics on an error answer.
async fn rpc(provider: &impl Provider, method: &'static str, params: Value) -> Value {
    provider.raw_request(method.into(), params).await.unwrap()
}

/// The error a raw JSON-RPC request answers: code and message.
async fn refusal(provider: &impl Provider, method: &'static str, params: Value) -> (i64, String) {
    let error = provider
        .raw_request::<_, Value>(method.into(), params)
        .await
        .expect_err("the request must be refused");
    let payload = error.as_error_resp().expect("a JSON-RPC error object");
    (payload.code, payload.message.to_string())
}

/// Deploys code whose constructor sets slot 0 to 5 and slot 1 to 6 and whose runtime is
/// [`READ_SLOT`]; returns its address.
async fn deploy_storage(provider: &impl Provider) -> Address {
    let mut init = vec![0x60, 0x05, 0x5f, 0x55, 0x60, 0x06, 0x60, 0x01, 0x55];
    init.extend_from_slice(&[0x60, 0x09, 0x80, 0x60, 0x12, 0x5f, 0x39, 0x5f, 0xf3]);
    init.extend_from_slice(READ_SLOT);
    deploy(provider, init).await
}

async fn deploy(provider: &impl Provider, init: Vec<u8>) -> Address {
    create(provider, init).await.contract_address.unwrap()
}

/// Slots 0 and 1 of the storage contract as an `eth_call` sees them with `overrides`.
async fn slots(provider: &impl Provider, at: Address, overrides: &StateOverride) -> (U256, U256) {
    let mut read = [U256::ZERO; 2];
    for (slot, value) in read.iter_mut().enumerate() {
        let out = provider
            .call(call_to(at, word(slot as u64)))
            .overrides(overrides.clone())
            .await
            .unwrap();
        *value = U256::from_be_slice(&out);
    }
    (read[0], read[1])
}

fn slot(n: u64) -> B256 {
    B256::from(U256::from(n))
}

#[tokio::test]
async fn balance_override_is_seen_by_contracts_and_pays_for_value() {
    let (_chain, handle) = start();
    let p = dev(&handle);
    let probe = StateOverridesBuilder::default()
        .with_code(EMPTY, BALANCE_OF)
        .build();
    let of_poor = call_to(EMPTY, B256::left_padding_from(POOR.as_slice()));
    let seen = p
        .call(of_poor.clone())
        .overrides(probe.clone())
        .await
        .unwrap();
    assert_eq!(U256::from_be_slice(&seen), U256::ZERO);
    let funded = StateOverridesBuilder::from_iter(probe)
        .with_balance(
            POOR,
            U256::from(7u64) * U256::from(10u64).pow(U256::from(18)),
        )
        .build();
    let seen = p.call(of_poor).overrides(funded.clone()).await.unwrap();
    assert_eq!(
        U256::from_be_slice(&seen),
        U256::from(7_000_000_000_000_000_000u128)
    );

    // A call sending value from an empty account fails, and succeeds with the balance given.
    let pay = TransactionRequest::default()
        .from(POOR)
        .to(DEV_ACCOUNTS[1].address)
        .value(U256::from(1u64));
    let err = p.call(pay.clone()).await.unwrap_err();
    assert_eq!(err.as_error_resp().unwrap().code, -32000, "{err}");
    p.call(pay).overrides(funded).await.unwrap();
}

#[tokio::test]
async fn code_override_places_code_and_nonce_override_moves_creations() {
    let (_chain, handle) = start();
    let p = dev(&handle);
    assert_eq!(
        p.call(call_to(EMPTY, Bytes::new())).await.unwrap(),
        Bytes::new()
    );
    let code = StateOverridesBuilder::default()
        .with_code(EMPTY, RETURN_42)
        .build();
    assert_eq!(
        p.call(call_to(EMPTY, Bytes::new()))
            .overrides(code)
            .await
            .unwrap(),
        word(42)
    );

    // CREATE's address is keccak(rlp(creator, nonce)): the nonce override is what it uses.
    let creator = |nonce: Option<u64>| {
        let mut account = AccountOverride::default().with_code(CREATOR);
        account.nonce = nonce;
        StateOverridesBuilder::default()
            .append(EMPTY, account)
            .build()
    };
    for (nonce, expected) in [(None, 0), (Some(7), 7), (Some(1_000), 1_000)] {
        let out = p
            .call(call_to(EMPTY, Bytes::new()))
            .overrides(creator(nonce))
            .await
            .unwrap();
        assert_eq!(Address::from_slice(&out[12..]), EMPTY.create(expected));
    }
}

#[tokio::test]
async fn state_replaces_the_storage_and_state_diff_patches_it() {
    let (_chain, handle) = start();
    let p = dev(&handle);
    let store = deploy_storage(&p).await;
    let none = StateOverride::default();
    let five_six = (U256::from(5u64), U256::from(6u64));
    assert_eq!(slots(&p, store, &none).await, five_six);

    let nine = [(slot(1), slot(9))];
    let state = StateOverridesBuilder::default()
        .with_state(store, nine)
        .build();
    assert_eq!(
        slots(&p, store, &state).await,
        (U256::ZERO, U256::from(9u64)),
        "state: every slot not listed reads zero"
    );
    let diff = StateOverridesBuilder::default()
        .with_state_diff(store, nine)
        .build();
    assert_eq!(
        slots(&p, store, &diff).await,
        (U256::from(5u64), U256::from(9u64)),
        "stateDiff: the other slots keep their values"
    );
    let empty = StateOverridesBuilder::default()
        .with_state(store, [])
        .build();
    assert_eq!(slots(&p, store, &empty).await, (U256::ZERO, U256::ZERO));

    // Both at once contradict each other: refused, naming the parameter and the account.
    let (code, message) = refusal(
        &p,
        "eth_call",
        json!([{"to": store}, "latest", {store.to_string(): {
            "state": {slot(1).to_string(): slot(9).to_string()},
            "stateDiff": {slot(1).to_string(): slot(9).to_string()},
        }}]),
    )
    .await;
    assert_eq!(code, -32602);
    assert!(
        message.contains("parameter 2 (state overrides)") && message.contains("stateDiff"),
        "{message}"
    );
    assert!(message.contains(&store.to_string()), "{message}");

    // Nothing leaked into the chain.
    assert_eq!(slots(&p, store, &none).await, five_six);
    assert_eq!(
        p.get_storage_at(store, U256::from(1u64)).await.unwrap(),
        U256::from(6u64)
    );
}

#[tokio::test]
async fn overrides_never_leak_into_the_chain() {
    let (_chain, handle) = start();
    let p = dev(&handle);
    let key = random_key();
    let poor = PrivateKeySigner::from_bytes(&key).unwrap().address();
    let rich = StateOverridesBuilder::default()
        .with_balance(poor, U256::MAX)
        .with_nonce(poor, 9)
        .with_code(EMPTY, RETURN_42)
        .with_state_diff(EMPTY, [(slot(0), slot(1))])
        .build();
    let block = p.get_block_number().await.unwrap();
    let pay = TransactionRequest::default()
        .from(poor)
        .to(DEV_ACCOUNTS[1].address)
        .value(U256::from(10u64).pow(U256::from(18)));
    p.call(pay.clone()).overrides(rich.clone()).await.unwrap();
    p.estimate_gas(pay.clone()).overrides(rich).await.unwrap();

    assert_eq!(p.get_block_number().await.unwrap(), block);
    assert_eq!(p.get_balance(poor).await.unwrap(), U256::ZERO);
    assert_eq!(p.get_transaction_count(poor).await.unwrap(), 0);
    assert_eq!(p.get_code_at(EMPTY).await.unwrap(), Bytes::new());
    assert_eq!(
        p.get_storage_at(EMPTY, U256::ZERO).await.unwrap(),
        U256::ZERO
    );
    assert_eq!(
        p.call(call_to(EMPTY, Bytes::new())).await.unwrap(),
        Bytes::new()
    );
    // The attack: an override that funded a call does not fund a real transaction.
    let err = provider(&handle, &key)
        .send_transaction(pay.gas_limit(21_000))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("insufficient funds"), "{err}");
}

#[tokio::test]
async fn estimate_gas_takes_overrides_that_make_a_call_affordable() {
    let (_chain, handle) = start();
    let p = dev(&handle);
    let pay = TransactionRequest::default()
        .from(POOR)
        .to(DEV_ACCOUNTS[1].address)
        .value(U256::from(10u64).pow(U256::from(18)));
    let err = p.estimate_gas(pay.clone()).await.unwrap_err();
    assert_eq!(err.as_error_resp().unwrap().code, -32000, "{err}");
    let funded = StateOverridesBuilder::default()
        .with_balance(
            POOR,
            U256::from(2u64) * U256::from(10u64).pow(U256::from(18)),
        )
        .build();
    assert_eq!(p.estimate_gas(pay).overrides(funded).await.unwrap(), 21_000);

    // Code placed by an override is estimated too: a call to it costs more than a transfer.
    let code = StateOverridesBuilder::default()
        .with_code(EMPTY, RETURN_42)
        .build();
    let gas = p
        .estimate_gas(call_to(EMPTY, Bytes::new()))
        .overrides(code)
        .await
        .unwrap();
    assert!(gas > 21_000, "{gas}");
}

#[tokio::test]
async fn block_overrides_change_the_call_environment_only() {
    let (_chain, handle) = start();
    let p = dev(&handle);
    let code = StateOverridesBuilder::default()
        .with_code(EMPTY, BLOCK_INFO)
        .build();
    let coinbase = address!("00000000000000000000000000000000000000cb");
    let block = BlockOverrides {
        time: Some(1_234_567),
        number: Some(U256::from(99u64)),
        coinbase: Some(coinbase),
        base_fee: Some(U256::from(7u64)),
        ..BlockOverrides::default()
    };
    let out = p
        .call(call_to(EMPTY, Bytes::new()))
        .overrides(code.clone())
        .with_block_overrides(block)
        .await
        .unwrap();
    assert_eq!(U256::from_be_slice(&out[..32]), U256::from(1_234_567u64));
    assert_eq!(U256::from_be_slice(&out[32..64]), U256::from(99u64));
    assert_eq!(Address::from_slice(&out[76..96]), coinbase);
    assert_eq!(U256::from_be_slice(&out[96..]), U256::from(7u64));
    assert_eq!(p.get_block_number().await.unwrap(), 0);
    let out = p
        .call(call_to(EMPTY, Bytes::new()))
        .overrides(code)
        .await
        .unwrap();
    assert_eq!(U256::from_be_slice(&out[32..64]), U256::ZERO);

    // Fields the chain has no use for are refused by name, as parameter 3.
    let (code, message) = refusal(
        &p,
        "eth_call",
        json!([{"to": EMPTY}, "latest", {}, {"blobBaseFee": "0x1"}]),
    )
    .await;
    assert_eq!(code, -32602);
    assert!(
        message.contains("parameter 3 (block overrides)") && message.contains("blobBaseFee"),
        "{message}"
    );
}

#[tokio::test]
async fn malformed_overrides_are_refused_by_name() {
    let (_chain, handle) = start();
    let p = dev(&handle);
    let to = json!({"to": EMPTY});
    let cases = [
        (
            json!({EMPTY.to_string(): {"movePrecompileToAddress": POOR}}),
            "movePrecompileToAddress",
        ),
        (
            json!({EMPTY.to_string(): {"balanse": "0x1"}}),
            "unknown field",
        ),
        (
            json!({EMPTY.to_string(): {"code": "0xef0100"}}),
            "invalid code",
        ),
        (
            json!({EMPTY.to_string(): {"balance": "0xzz"}}),
            "parameter 2",
        ),
        (
            json!({EMPTY.to_string(): {"state": {"0x01": "0x02"}}}),
            "parameter 2",
        ),
        (json!({"0x1234": {"balance": "0x1"}}), "parameter 2"),
        (json!(["not", "a", "map"]), "parameter 2"),
    ];
    for method in ["eth_call", "eth_estimateGas"] {
        for (overrides, expected) in &cases {
            let (code, message) = refusal(&p, method, json!([to, "latest", overrides])).await;
            assert_eq!(code, -32602, "{method} {overrides}: {message}");
            assert!(
                message.contains("parameter 2 (state overrides)") && message.contains(expected),
                "{method} {overrides}: {message}"
            );
        }
    }
}

// ---- Stylus ---------------------------------------------------------------------------------

/// A Stylus program answering `text`.
fn program(text: &str) -> Vec<u8> {
    let wasm = wat::parse_str(format!(
        r#"(module
          (import "vm_hooks" "read_args" (func $read_args (param i32)))
          (import "vm_hooks" "write_result" (func $write_result (param i32 i32)))
          (memory (export "memory") 1 1)
          (data (i32.const 0) "{text}")
          (func (export "user_entrypoint") (param $len i32) (result i32)
            (call $write_result (i32.const 0) (i32.const {len}))
            (i32.const 0)))"#,
        len = text.len()
    ))
    .unwrap();
    yellowstone_artifact::compress(&wasm)
}

/// `ProgramNotActivated()`'s selector.
fn not_activated() -> [u8; 4] {
    keccak256("ProgramNotActivated()")[..4].try_into().unwrap()
}

/// Revert data of a failed call.
fn revert_data(err: &alloy_provider::transport::TransportError) -> Bytes {
    err.as_error_resp()
        .and_then(|e| e.as_revert_data())
        .unwrap_or_else(|| panic!("expected a revert, got {err}"))
}

#[tokio::test]
async fn activation_sees_overridden_code_and_activated_code_runs_anywhere() {
    let (_chain, handle) = start();
    let p = dev(&handle);
    let active = program("stylus!");
    let fresh = program("fresh!");
    let at = |code: &[u8]| {
        StateOverridesBuilder::default()
            .with_code(EMPTY, code.to_vec())
            .build()
    };

    // cargo-stylus's estimate: activateProgram on an address whose code exists only in the
    // override, from a random sender given the balance to send 1 ether.
    let estimate = TransactionRequest::default()
        .from(POOR)
        .to(ARB_WASM)
        .value(U256::from(10u64).pow(U256::from(18)))
        .input(Bytes::from(IArbWasm::activateProgramCall { program: EMPTY }.abi_encode()).into());
    let both = StateOverridesBuilder::from_iter(at(&active))
        .with_balance(POOR, U256::MAX)
        .build();
    let out = p
        .call(estimate.clone())
        .overrides(both.clone())
        .await
        .unwrap();
    let answer = IArbWasm::activateProgramCall::abi_decode_returns(&out).unwrap();
    assert_eq!(answer.version, STYLUS_VERSION);
    p.estimate_gas(estimate.clone())
        .overrides(both)
        .await
        .unwrap();
    // Without the code there is nothing to activate; without the balance, no value to send.
    let balance_only = StateOverridesBuilder::default()
        .with_balance(POOR, U256::MAX)
        .build();
    let err = p
        .call(estimate.clone())
        .overrides(balance_only)
        .await
        .unwrap_err();
    assert_eq!(err.as_error_resp().unwrap().code, 3, "a revert: {err}");
    let err = p.call(estimate).overrides(at(&active)).await.unwrap_err();
    assert_eq!(err.as_error_resp().unwrap().code, -32000, "{err}");
    // The simulated activation left nothing behind.
    let err = p
        .call(call_to(EMPTY, Bytes::new()))
        .overrides(at(&active))
        .await
        .unwrap_err();
    assert_eq!(revert_data(&err).as_ref(), not_activated());

    // Deploy and activate for real, paying the estimated fee bumped by 20% as cargo-stylus does.
    let deployed = deploy(&p, stylus_deploy_init_code(&active)).await;
    let activate = call_to(
        ARB_WASM,
        IArbWasm::activateProgramCall { program: deployed }.abi_encode(),
    )
    .value(answer.dataFee * U256::from(12u64) / U256::from(10u64));
    let receipt = p
        .send_transaction(activate)
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    assert!(receipt.status());

    // The activated code placed elsewhere by an override runs as Stylus.
    let out = p
        .call(call_to(EMPTY, Bytes::new()))
        .overrides(at(&active))
        .await
        .unwrap();
    assert_eq!(out.as_ref(), b"stylus!");
    // Code whose hash was never activated does not run.
    let err = p
        .call(call_to(EMPTY, Bytes::new()))
        .overrides(at(&fresh))
        .await
        .unwrap_err();
    assert_eq!(revert_data(&err).as_ref(), not_activated());

    // anvil_setCode with activated Stylus code runs it too.
    rpc(&p, "anvil_setCode", json!([EMPTY_2, Bytes::from(active)])).await;
    let out = p.call(call_to(EMPTY_2, Bytes::new())).await.unwrap();
    assert_eq!(out.as_ref(), b"stylus!");
}

// ---- anvil's setters ------------------------------------------------------------------------

#[tokio::test]
async fn set_balance_funds_a_random_key_that_then_transacts() {
    let (_chain, handle) = start();
    let p = dev(&handle);
    let key = random_key();
    let funded = PrivateKeySigner::from_bytes(&key).unwrap().address();
    let ether = U256::from(10u64).pow(U256::from(18));
    let before = p.get_block_number().await.unwrap();

    let answer = rpc(
        &p,
        "anvil_setBalance",
        json!([funded, format!("{ether:#x}")]),
    )
    .await;
    assert_eq!(answer, Value::Null);
    assert_eq!(p.get_balance(funded).await.unwrap(), ether);
    assert_eq!(
        p.get_block_number().await.unwrap(),
        before,
        "no block is mined"
    );

    // A transfer signed by the funded key, sent with eth_sendRawTransaction.
    let half = ether / U256::from(2u64);
    let receipt = provider(&handle, &key)
        .send_transaction(
            TransactionRequest::default()
                .to(DEV_ACCOUNTS[1].address)
                .value(half),
        )
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    assert!(receipt.status());
    let fee = U256::from(receipt.gas_used) * U256::from(receipt.effective_gas_price);
    assert_eq!(p.get_balance(funded).await.unwrap(), ether - half - fee);
    assert_eq!(
        p.get_balance(DEV_ACCOUNTS[1].address).await.unwrap(),
        DEV_BALANCE + half
    );

    // hardhat's name, a decimal string and a JSON number are accepted too.
    rpc(&p, "hardhat_setBalance", json!([funded, "1000"])).await;
    assert_eq!(p.get_balance(funded).await.unwrap(), U256::from(1_000u64));
    rpc(&p, "anvil_setBalance", json!([funded, 5])).await;
    assert_eq!(p.get_balance(funded).await.unwrap(), U256::from(5u64));
}

#[tokio::test]
async fn set_code_nonce_and_storage_are_observed() {
    let (_chain, handle) = start();
    let p = dev(&handle);
    let store = deploy_storage(&p).await;

    assert_eq!(
        rpc(
            &p,
            "anvil_setCode",
            json!([EMPTY, Bytes::from_static(RETURN_42)])
        )
        .await,
        Value::Null
    );
    assert_eq!(p.get_code_at(EMPTY).await.unwrap().as_ref(), RETURN_42);
    assert_eq!(
        p.call(call_to(EMPTY, Bytes::new())).await.unwrap(),
        word(42)
    );
    rpc(&p, "hardhat_setCode", json!([EMPTY, "0x"])).await;
    assert_eq!(p.get_code_at(EMPTY).await.unwrap(), Bytes::new());

    // The nonce: eth_getTransactionCount and a CREATE's address follow it.
    rpc(&p, "anvil_setNonce", json!([POOR, "0x5"])).await;
    assert_eq!(p.get_transaction_count(POOR).await.unwrap(), 5);
    rpc(
        &p,
        "anvil_setCode",
        json!([POOR, Bytes::from_static(CREATOR)]),
    )
    .await;
    rpc(&p, "hardhat_setNonce", json!([POOR, 12])).await;
    let out = p.call(call_to(POOR, Bytes::new())).await.unwrap();
    assert_eq!(Address::from_slice(&out[12..]), POOR.create(12));
    assert_eq!(
        p.get_code_at(POOR).await.unwrap().as_ref(),
        CREATOR,
        "setNonce keeps the code"
    );

    // A slot: read back by eth_getStorageAt and by the contract; the other slot kept.
    let answer = rpc(&p, "anvil_setStorageAt", json!([store, "0x1", slot(77)])).await;
    assert_eq!(answer, Value::Bool(true));
    assert_eq!(
        p.get_storage_at(store, U256::from(1u64)).await.unwrap(),
        U256::from(77u64)
    );
    let none = StateOverride::default();
    assert_eq!(
        slots(&p, store, &none).await,
        (U256::from(5u64), U256::from(77u64))
    );
    rpc(&p, "hardhat_setStorageAt", json!([store, "0x0", slot(0)])).await;
    assert_eq!(
        slots(&p, store, &none).await,
        (U256::ZERO, U256::from(77u64))
    );
}

#[tokio::test]
async fn setters_leave_older_blocks_unchanged() {
    let (_chain, handle) = start();
    let p = dev(&handle);
    let store = deploy_storage(&p).await;
    let deployed = p.get_block_number().await.unwrap();
    // The edits land on a block that is not the deployment block.
    rpc(&p, "evm_mine", json!([])).await;
    let latest = p.get_block_number().await.unwrap();
    let dev0 = DEV_ACCOUNTS[0].address;
    let dev0_before = p.get_balance(dev0).await.unwrap();

    rpc(&p, "anvil_setStorageAt", json!([store, "0x0", slot(99)])).await;
    rpc(&p, "anvil_setBalance", json!([dev0, "0x1"])).await;
    rpc(&p, "anvil_setNonce", json!([dev0, "0x64"])).await;
    rpc(
        &p,
        "anvil_setCode",
        json!([store, Bytes::from_static(RETURN_42)]),
    )
    .await;

    for block in [0, deployed] {
        let id = BlockId::number(block);
        assert_eq!(
            p.get_balance(dev0).block_id(id).await.unwrap(),
            if block == 0 { DEV_BALANCE } else { dev0_before }
        );
        assert!(p.get_transaction_count(dev0).block_id(id).await.unwrap() < 100);
    }
    let at_deploy = BlockId::number(deployed);
    assert_eq!(
        p.get_storage_at(store, U256::ZERO)
            .block_id(at_deploy)
            .await
            .unwrap(),
        U256::from(5u64)
    );
    assert_eq!(
        p.get_code_at(store)
            .block_id(at_deploy)
            .await
            .unwrap()
            .as_ref(),
        READ_SLOT
    );
    let old = p
        .call(call_to(store, word(0)))
        .block(at_deploy)
        .await
        .unwrap();
    assert_eq!(U256::from_be_slice(&old), U256::from(5u64));
    // The latest block sees the edits (as in anvil, it is edited in place).
    assert_eq!(p.get_block_number().await.unwrap(), latest);
    assert_eq!(p.get_balance(dev0).await.unwrap(), U256::from(1u64));
    assert_eq!(p.get_transaction_count(dev0).await.unwrap(), 100);
    assert_eq!(
        p.get_storage_at(store, U256::ZERO).await.unwrap(),
        U256::from(99u64)
    );
    assert_eq!(p.call(call_to(store, word(0))).await.unwrap(), word(42));
}

#[tokio::test]
async fn evm_revert_undoes_setters() {
    let (_chain, handle) = start();
    let p = dev(&handle);
    let store = deploy_storage(&p).await;
    let ether = U256::from(10u64).pow(U256::from(18));
    // Kept: an edit made before the snapshot.
    rpc(&p, "anvil_setBalance", json!([POOR, format!("{ether:#x}")])).await;
    let block = p.get_block_number().await.unwrap();

    // Edits alone, no block mined in between.
    let id = rpc(&p, "evm_snapshot", json!([])).await;
    rpc(&p, "anvil_setBalance", json!([POOR, "0x2"])).await;
    rpc(&p, "anvil_setStorageAt", json!([store, "0x1", slot(42)])).await;
    rpc(
        &p,
        "anvil_setCode",
        json!([EMPTY, Bytes::from_static(RETURN_42)]),
    )
    .await;
    rpc(&p, "anvil_setNonce", json!([POOR, "0x9"])).await;
    assert_eq!(rpc(&p, "evm_revert", json!([id])).await, Value::Bool(true));
    assert_eq!(p.get_balance(POOR).await.unwrap(), ether);
    assert_eq!(
        p.get_storage_at(store, U256::from(1u64)).await.unwrap(),
        U256::from(6u64)
    );
    assert_eq!(p.get_code_at(EMPTY).await.unwrap(), Bytes::new());
    assert_eq!(p.get_transaction_count(POOR).await.unwrap(), 0);

    // Edits before and after mined blocks.
    let id = rpc(&p, "evm_snapshot", json!([])).await;
    rpc(&p, "anvil_setBalance", json!([POOR, "0x3"])).await;
    rpc(&p, "evm_mine", json!([])).await;
    let sent = p
        .send_transaction(call_to(store, word(8)))
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    assert!(sent.status());
    rpc(&p, "anvil_setStorageAt", json!([store, "0x0", slot(1)])).await;
    assert_eq!(rpc(&p, "evm_revert", json!([id])).await, Value::Bool(true));
    assert_eq!(p.get_block_number().await.unwrap(), block);
    assert_eq!(p.get_balance(POOR).await.unwrap(), ether);
    assert_eq!(
        p.get_storage_at(store, U256::ZERO).await.unwrap(),
        U256::from(5u64)
    );
}

#[tokio::test]
async fn malformed_setter_params_are_refused_by_name() {
    let (_chain, handle) = start();
    let p = dev(&handle);
    let dev0 = DEV_ACCOUNTS[0].address;
    let cases: [(&'static str, Value, &str); 12] = [
        (
            "anvil_setBalance",
            json!(["0x1234", "0x1"]),
            "parameter 0 (address)",
        ),
        (
            "anvil_setBalance",
            json!([dev0]),
            "missing parameter 1 (balance)",
        ),
        (
            "anvil_setBalance",
            json!([dev0, "0xzz"]),
            "parameter 1 (balance)",
        ),
        (
            "anvil_setBalance",
            json!([dev0, "-1"]),
            "parameter 1 (balance)",
        ),
        (
            "anvil_setBalance",
            json!([dev0, "0x"]),
            "parameter 1 (balance)",
        ),
        (
            "anvil_setNonce",
            json!([dev0, "0x10000000000000000"]),
            "parameter 1 (nonce)",
        ),
        (
            "hardhat_setNonce",
            json!([dev0, true]),
            "parameter 1 (nonce)",
        ),
        ("anvil_setCode", json!([dev0, "0xzz"]), "parameter 1 (code)"),
        (
            "anvil_setCode",
            json!([dev0, "0xef0100"]),
            "parameter 1 (code)",
        ),
        (
            "anvil_setStorageAt",
            json!([dev0, "0xzz", slot(1)]),
            "parameter 1 (slot)",
        ),
        (
            "anvil_setStorageAt",
            json!([dev0, "0x0", "0x1"]),
            "parameter 2 (value)",
        ),
        (
            "anvil_setStorageAt",
            json!([dev0, "0x0"]),
            "missing parameter 2 (value)",
        ),
    ];
    for (method, params, expected) in cases {
        let (code, message) = refusal(&p, method, params.clone()).await;
        assert_eq!(code, -32602, "{method} {params}: {message}");
        assert!(message.contains(expected), "{method} {params}: {message}");
    }
    // Nothing changed.
    assert_eq!(p.get_balance(dev0).await.unwrap(), DEV_BALANCE);
    assert_eq!(p.get_transaction_count(dev0).await.unwrap(), 0);
    assert_eq!(p.get_code_at(dev0).await.unwrap(), Bytes::new());
    assert_eq!(
        p.get_storage_at(dev0, U256::ZERO).await.unwrap(),
        U256::ZERO
    );
}

// ---- the Chain API --------------------------------------------------------------------------

#[test]
fn chain_api_takes_overrides_and_setters_in_process() {
    let mut chain = Chain::new();
    let request = CallRequest {
        to: Some(EMPTY),
        ..CallRequest::default()
    };
    let state = StateOverridesBuilder::default()
        .with_code(EMPTY, RETURN_42)
        .build();
    let overrides = Overrides::state(&state).unwrap();
    assert_eq!(
        chain
            .call_with(&request, BlockTag::Latest, &overrides)
            .unwrap(),
        word(42)
    );
    assert!(
        chain
            .estimate_gas_with(&request, BlockTag::Latest, &overrides)
            .unwrap()
            > 21_000
    );
    assert_eq!(
        chain.call(&request, BlockTag::Latest).unwrap(),
        Bytes::new()
    );

    let both = StateOverridesBuilder::default()
        .with_state(EMPTY, [(slot(0), slot(1))])
        .with_state_diff(EMPTY, [(slot(0), slot(1))])
        .build();
    let err = Overrides::state(&both).unwrap_err();
    assert!(
        !err.is_block() && err.to_string().contains("stateDiff"),
        "{err}"
    );

    chain
        .set_code(EMPTY, Bytes::from_static(RETURN_42))
        .unwrap();
    chain.set_balance(EMPTY, U256::from(3u64));
    chain.set_nonce(EMPTY, 4);
    chain.set_storage_at(EMPTY, U256::from(1u64), U256::from(5u64));
    assert_eq!(chain.call(&request, BlockTag::Latest).unwrap(), word(42));
    assert_eq!(
        chain.balance(EMPTY, BlockTag::Latest).unwrap(),
        U256::from(3u64)
    );
    assert_eq!(chain.nonce(EMPTY, BlockTag::Latest).unwrap(), 4);
    assert_eq!(
        chain
            .storage_at(EMPTY, U256::from(1u64), BlockTag::Latest)
            .unwrap(),
        U256::from(5u64)
    );
    assert!(chain
        .set_code(EMPTY, Bytes::from_static(&[0xef, 0x01, 0x00]))
        .unwrap_err()
        .to_string()
        .contains("invalid code"));
}
