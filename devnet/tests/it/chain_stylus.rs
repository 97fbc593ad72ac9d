//! Stylus programs inside the chain, through signed transactions: the real MOR token and
//! compute contract deployed as `cargo stylus deploy` does (CREATE returning the compressed
//! program, `activateProgram` on ArbWasm, the constructor), then calls between them.

use alloy_primitives::{keccak256, uint, Address, TxKind, B256, U256};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::{sol, SolCall, SolError, SolEvent, SolValue};
use yellowstone_devnet::chain::{
    stylus::{activate_program_selector, program_not_activated_error},
    BlockTag, CallRequest, Chain, ARB_WASM, ARB_WASM_CACHE, CACHE_MANAGER, DEV_ACCOUNTS,
};
use yellowstone_devnet::{activation, stylus::ink};
use yellowstone_protocol::time::DAY;

use crate::common::*;

sol! {
    interface IArbWasmCache {
        function cacheProgram(address addr) external;
        function evictCodehash(bytes32 codehash) external;
        function codehashIsCached(bytes32 codehash) external view returns (bool);
    }
}

const S: u64 = 1_721_908_800;

struct World {
    chain: Chain,
    mor: Address,
    compute: Address,
}

fn world() -> World {
    let mut chain = Chain::new();
    let mor_token = deploy_mor_token(&mut chain);
    let compute = deploy_compute(&mut chain, mor_token);
    World {
        chain,
        mor: mor_token,
        compute,
    }
}

fn balance_of(w: &World, who: Address) -> U256 {
    let out = call(
        &w.chain,
        w.mor,
        IERC20::balanceOfCall { account: who }.abi_encode(),
    )
    .unwrap();
    IERC20::balanceOfCall::abi_decode_returns(&out).unwrap()
}

#[test]
fn deploy_activate_construct_and_query() {
    let w = world();
    for account in DEV_ACCOUNTS {
        assert_eq!(balance_of(&w, account.address), mor(1_000_000));
    }
    let out = call(&w.chain, w.compute, I::morCall {}.abi_encode()).unwrap();
    assert_eq!(I::morCall::abi_decode_returns(&out).unwrap(), w.mor);
    let out = call(&w.chain, w.compute, I::ownerCall {}.abi_encode()).unwrap();
    assert_eq!(
        I::ownerCall::abi_decode_returns(&out).unwrap(),
        address_of(0)
    );

    let out = call(
        &w.chain,
        w.compute,
        I::powerMultiplierCall {
            start: U256::from(S + 100 * DAY),
            end: U256::from(S + 400 * DAY),
        }
        .abi_encode(),
    )
    .unwrap();
    assert_eq!(
        I::powerMultiplierCall::abi_decode_returns(&out).unwrap(),
        uint!(1744946883956739643_U256)
    );
}

#[test]
fn fund_moves_mor_between_two_programs() {
    let mut w = world();
    let funder = address_of(1);
    let approve = ok(
        &mut w.chain,
        1,
        w.mor,
        IERC20::approveCall {
            spender: w.compute,
            value: mor(100),
        }
        .abi_encode(),
    );
    println!("approve gas: {}", approve.gas_used);
    let estimate = w
        .chain
        .estimate_gas(
            &CallRequest {
                from: Some(funder),
                to: Some(w.compute),
                data: I::fundCall { amount: mor(100) }.abi_encode().into(),
                ..CallRequest::default()
            },
            BlockTag::Latest,
        )
        .unwrap();
    println!("fund gas estimate: {estimate}");
    let receipt = ok(
        &mut w.chain,
        1,
        w.compute,
        I::fundCall { amount: mor(100) }.abi_encode(),
    );
    println!("fund gas: {}", receipt.gas_used);
    assert!(receipt.gas_used > 21_000);
    assert!(estimate >= receipt.gas_used);
    assert_eq!(balance_of(&w, funder), mor(999_900));
    assert_eq!(balance_of(&w, w.compute), mor(100));

    // both contracts' logs, token first
    let transfer = receipt
        .logs
        .iter()
        .find(|l| l.log.address == w.mor)
        .expect("a Transfer log from the token");
    let transfer = IERC20::Transfer::decode_log(&transfer.log).unwrap();
    assert_eq!(transfer.from, funder);
    assert_eq!(transfer.to, w.compute);
    assert_eq!(transfer.value, mor(100));
    let funded = receipt
        .logs
        .iter()
        .find(|l| l.log.address == w.compute)
        .expect("a Funded log from the compute contract");
    let funded = I::Funded::decode_log(&funded.log).unwrap();
    assert_eq!(funded.from, funder);
    assert_eq!(funded.amount, mor(100));

    let out = call(&w.chain, w.compute, I::totalsCall {}.abi_encode()).unwrap();
    assert_eq!(
        I::totalsCall::abi_decode_returns(&out).unwrap()._0,
        mor(100)
    );
}

#[test]
fn a_reverted_fund_rolls_back_with_the_typed_error() {
    let mut w = world();
    let funder = address_of(2);
    let fund = I::fundCall { amount: mor(5) }.abi_encode();
    let expected = I::TokenTransferFailed {
        from: funder,
        to: w.compute,
        amount: mor(5),
    }
    .abi_encode();

    // eth_call: the revert data is the typed error
    let err = w
        .chain
        .call(
            &CallRequest {
                from: Some(funder),
                to: Some(w.compute),
                data: fund.clone().into(),
                ..CallRequest::default()
            },
            BlockTag::Latest,
        )
        .unwrap_err();
    assert_eq!(err.revert_data().unwrap().as_ref(), expected.as_slice());

    let receipt = send(&mut w.chain, 2, TxKind::Call(w.compute), fund);
    assert!(!receipt.status);
    assert_eq!(receipt.output.as_ref(), expected.as_slice());
    assert!(receipt.logs.is_empty());
    println!("fund (reverted) gas: {}", receipt.gas_used);
    assert_eq!(balance_of(&w, funder), mor(1_000_000));
    assert_eq!(balance_of(&w, w.compute), U256::ZERO);
    let out = call(&w.chain, w.compute, I::totalsCall {}.abi_encode()).unwrap();
    assert_eq!(
        I::totalsCall::abi_decode_returns(&out).unwrap()._0,
        U256::ZERO
    );
}

#[test]
fn a_program_that_is_not_activated_reverts() {
    let mut chain = Chain::new();
    let compute = deploy(&mut chain, 0, &compute_code());
    let err = call(&chain, compute, I::ownerCall {}.abi_encode()).unwrap_err();
    assert_eq!(
        err.revert_data().unwrap().as_ref(),
        program_not_activated_error().as_slice()
    );
    let receipt = send(
        &mut chain,
        0,
        TxKind::Call(compute),
        I::pauseCall {}.abi_encode(),
    );
    assert!(!receipt.status);

    // activation of code whose Wasm cannot be read reverts with no data, as Nitro's
    let junk = deploy(&mut chain, 0, &[0xEF, 0xF0, 0x00, 0x00, 1, 2, 3]);
    let mut data = activate_program_selector().to_vec();
    data.extend_from_slice(&junk.into_word().0);
    let receipt = send(&mut chain, 0, TxKind::Call(ARB_WASM), data);
    assert!(!receipt.status);
    assert!(receipt.output.is_empty());

    // once activated, the same code hash runs at any address
    activate(&mut chain, 0, compute);
    let out = call(&chain, compute, I::ownerCall {}.abi_encode()).unwrap();
    assert_eq!(
        I::ownerCall::abi_decode_returns(&out).unwrap(),
        Address::ZERO
    );
}

#[test]
fn ecrecover_still_works_for_evm_callers() {
    let chain = Chain::new();
    let key = PrivateKeySigner::from_bytes(&B256::repeat_byte(0x11)).unwrap();
    let digest = keccak256(b"hello");
    let sig = key.sign_hash_sync(&digest).unwrap();
    let mut input = digest.to_vec();
    input.extend_from_slice(&U256::from(27 + sig.v() as u64).to_be_bytes::<32>());
    input.extend_from_slice(&sig.r().to_be_bytes::<32>());
    input.extend_from_slice(&sig.s().to_be_bytes::<32>());
    let out = call(&chain, Address::with_last_byte(1), input).unwrap();
    assert_eq!(Address::from_slice(&out[12..]), key.address());
}

/// EVM runtime code that calls `target` (STATICCALL when `is_static`, else CALL with no value)
/// with its own calldata and returns the success flag as a word.
fn evm_caller(target: Address, is_static: bool) -> Vec<u8> {
    let mut code = vec![
        0x36, 0x60, 0x00, 0x60, 0x00, 0x37, // calldatacopy(0, 0, calldatasize)
        0x60, 0x00, 0x60, 0x00, 0x36, 0x60, 0x00, // retSize, retOffset, argsSize, argsOffset
    ];
    if !is_static {
        code.extend_from_slice(&[0x60, 0x00]); // value
    }
    code.push(0x73); // PUSH20 target
    code.extend_from_slice(target.as_slice());
    code.extend_from_slice(&[
        0x5a,
        if is_static { 0xfa } else { 0xf1 }, // GAS STATICCALL / CALL
        0x60,
        0x00,
        0x52, // mstore(0, success)
        0x60,
        0x20,
        0x60,
        0x00,
        0xf3, // return(0, 32)
    ]);
    code
}

#[test]
fn evm_contracts_call_programs_and_static_calls_refuse_writes() {
    let mut w = world();
    let mut deploy_evm = |is_static: bool| deploy(&mut w.chain, 3, &evm_caller(w.mor, is_static));
    let caller = deploy_evm(true);
    let plain_caller = deploy_evm(false);

    // a view through STATICCALL succeeds
    let out = call(
        &w.chain,
        caller,
        IERC20::balanceOfCall {
            account: address_of(0),
        }
        .abi_encode(),
    )
    .unwrap();
    assert_eq!(U256::from_be_slice(&out), U256::from(1));

    // a write (approve stores and logs) inside STATICCALL fails
    let out = call(
        &w.chain,
        caller,
        IERC20::approveCall {
            spender: address_of(4),
            value: mor(1),
        }
        .abi_encode(),
    )
    .unwrap();
    assert_eq!(U256::from_be_slice(&out), U256::ZERO);

    // the same write through CALL succeeds: an EVM contract changing a program's state
    let approve = IERC20::approveCall {
        spender: address_of(4),
        value: mor(1),
    }
    .abi_encode();
    let receipt = ok(&mut w.chain, 3, plain_caller, approve);
    assert_eq!(U256::from_be_slice(&receipt.output), U256::from(1));
    assert_eq!(receipt.logs.len(), 1);
    assert_eq!(receipt.logs[0].log.address, w.mor);
    let out = call(
        &w.chain,
        w.mor,
        IERC20::allowanceCall {
            owner: plain_caller,
            spender: address_of(4),
        }
        .abi_encode(),
    )
    .unwrap();
    assert_eq!(U256::from_be_slice(&out), mor(1));
}

#[test]
fn commit_epoch_with_a_real_signature() {
    let mut w = world();
    ok(
        &mut w.chain,
        0,
        w.mor,
        IERC20::approveCall {
            spender: w.compute,
            value: mor(100),
        }
        .abi_encode(),
    );
    ok(
        &mut w.chain,
        0,
        w.compute,
        I::fundCall { amount: mor(100) }.abi_encode(),
    );
    let router = PrivateKeySigner::from_bytes(&B256::repeat_byte(0x11)).unwrap();
    let root = B256::repeat_byte(7);
    let commit = signed_commit(&router, w.compute, 1, root, mor(1));

    // not yet authorised: UnknownRouter(router), recovered through ecrecover from Wasm
    let receipt = send(&mut w.chain, 5, TxKind::Call(w.compute), commit.clone());
    assert!(!receipt.status);
    assert_eq!(
        receipt.output.as_ref(),
        I::UnknownRouter {
            router: router.address()
        }
        .abi_encode()
        .as_slice()
    );

    ok(
        &mut w.chain,
        0,
        w.compute,
        I::authorizeRouterCall {
            router: router.address(),
        }
        .abi_encode(),
    );
    let receipt = ok(&mut w.chain, 5, w.compute, commit);
    println!("commitEpoch gas: {}", receipt.gas_used);
    let committed = receipt
        .logs
        .iter()
        .find_map(|l| I::EpochCommitted::decode_log(&l.log).ok())
        .expect("EpochCommitted");
    assert_eq!(committed.epoch, 1);
    assert_eq!(committed.router, router.address());
    let out = call(&w.chain, w.compute, I::latestEpochCall {}.abi_encode()).unwrap();
    let latest = I::latestEpochCall::abi_decode_returns(&out).unwrap();
    assert_eq!(latest._0, 1);
    assert_eq!(latest._1, root);

    // The storage layout of docs/CONTRACT.md section 3, as `cast storage` reads it.
    let slot = |n: u64| {
        w.chain
            .storage_at(w.compute, U256::from(n), BlockTag::Latest)
            .unwrap()
    };
    let low = |word: U256| word & U256::from(u128::MAX);
    let high = |word: U256| word >> 128;
    let u64_at = |word: U256, bit: usize| (word >> bit) & U256::from(u64::MAX);
    assert_eq!(
        slot(0) & U256::from(0xff),
        U256::ZERO,
        "paused at byte 31 of slot 0"
    );
    assert_eq!(
        u64_at(slot(0), 8),
        U256::from(1),
        "epoch at bytes 23-30 of slot 0"
    );
    assert_eq!(
        u64_at(slot(0), 72),
        U256::from(today(&w.chain)),
        "day at bytes 15-22 of slot 0"
    );
    assert_eq!(slot(5), U256::from_be_bytes(root.0), "root in slot 5");
    assert_eq!(
        low(slot(6)),
        mor(1),
        "cumulative_credited at bytes 16-31 of slot 6"
    );
    assert_eq!(
        high(slot(6)),
        mor(1),
        "credited_today at bytes 0-15 of slot 6"
    );
    assert_eq!(
        slot(7),
        U256::ZERO,
        "cumulative_bootstrap and bootstrap_today (slot 7) untouched without bootstrap credit"
    );
    assert_eq!(
        low(slot(8)),
        mor(100),
        "total_funded at bytes 16-31 of slot 8"
    );
    assert!(
        high(slot(8)) > U256::ZERO,
        "the day's cap, fixed at the day roll, at bytes 0-15 of slot 8"
    );
}

#[test]
fn the_chain_stays_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Chain>();
}

#[test]
fn a_cached_program_pays_only_the_cached_entry_cost() {
    let mut w = world();
    let info = activation::activate(&compute_code()).unwrap().info;
    let code_hash = keccak256(compute_code());
    let owner = || I::ownerCall {}.abi_encode();
    let is_cached = |w: &World| {
        let out = call(
            &w.chain,
            ARB_WASM_CACHE,
            IArbWasmCache::codehashIsCachedCall {
                codehash: code_hash,
            }
            .abi_encode(),
        )
        .unwrap();
        bool::abi_decode(&out).unwrap()
    };
    let uncached = ok(&mut w.chain, 1, w.compute, owner()).gas_used;
    assert!(!is_cached(&w));

    // only the cache manager (dev account 0) may cache
    assert_eq!(CACHE_MANAGER, address_of(0));
    let cache = IArbWasmCache::cacheProgramCall { addr: w.compute }.abi_encode();
    assert!(!send(&mut w.chain, 1, TxKind::Call(ARB_WASM_CACHE), cache.clone()).status);
    ok(&mut w.chain, 0, ARB_WASM_CACHE, cache);
    assert!(is_cached(&w));
    let cached = ok(&mut w.chain, 1, w.compute, owner()).gas_used;
    assert_eq!(uncached - cached, ink::init_gas(info.init_cost));

    let evict = IArbWasmCache::evictCodehashCall {
        codehash: code_hash,
    }
    .abi_encode();
    ok(&mut w.chain, 0, ARB_WASM_CACHE, evict);
    assert!(!is_cached(&w));
    assert_eq!(ok(&mut w.chain, 1, w.compute, owner()).gas_used, uncached);
}
