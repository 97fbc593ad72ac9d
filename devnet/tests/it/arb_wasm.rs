//! ArbWasm (0x71) and ArbWasmCache (0x72) as Nitro has them (`precompiles/ArbWasm.go`,
//! `ArbWasmCache.go`, `arbos/programs/{programs,params,data_pricer}.go`, snapshot of
//! 2026-04-23): every view's value, every error where Nitro raises it, the data fee and where
//! it goes, the gas activation burns, the events, and the calling convention (unknown methods,
//! static calls, value) under arbitrary calldata. Expected figures are transcribed from Nitro's
//! sources here, not read from the devnet's constants.

use alloy_primitives::{keccak256, Address, Bytes, TxKind, B256, U256};
use alloy_sol_types::{SolCall, SolEvent, SolInterface};
use proptest::prelude::*;
use yellowstone_devnet::chain::{
    stylus::abi::{ArbWasm as W, ArbWasmCache as C},
    BlockTag, CallRequest, Chain, DevnetError, Receipt, ARB_WASM, ARB_WASM_CACHE, DEV_ACCOUNTS,
};

use crate::common::*;

/// Nitro's `ArbitrumStartTime`.
const ARBITRUM_START: u64 = 1_421_388_000;
const DAY: u64 = 86_400;
/// The network fee account of a Nitro dev node: the initial chain owner, dev account 0 here.
const NETWORK: usize = 0;
/// The activating account in these tests (not the fee account, so balances separate).
const DEV: usize = 1;

/// A one-page program whose entrypoint returns success with no output.
fn wasm() -> Vec<u8> {
    wat::parse_str(
        r#"(module
          (memory (export "memory") 1 1)
          (func (export "user_entrypoint") (param i32) (result i32) (i32.const 0)))"#,
    )
    .unwrap()
}

struct World {
    chain: Chain,
    program: Address,
    code_hash: B256,
    wasm: Vec<u8>,
    /// The next timestamp [`World::at`] hands out.
    now: u64,
}

impl World {
    fn new() -> Self {
        let mut chain = Chain::new();
        let wasm = wasm();
        let code = yellowstone_artifact::compress(&wasm);
        let program = deploy(&mut chain, 0, &code);
        let now = chain.latest_block().timestamp() + 1;
        World {
            chain,
            program,
            code_hash: keccak256(&code),
            wasm,
            now,
        }
    }

    /// Makes the next block's timestamp `seconds` after the previous one this world set.
    fn after(&mut self, seconds: u64) -> u64 {
        self.now += seconds.max(1);
        self.chain.set_next_block_timestamp(self.now).unwrap();
        self.now
    }

    /// Mines an empty block `seconds` later, so `eth_call`s see that time.
    fn mine_after(&mut self, seconds: u64) -> u64 {
        let t = self.after(seconds);
        self.chain.mine(None).unwrap();
        t
    }

    /// Sends `data` to `to` from `account` with `value`, one second later.
    fn send(&mut self, account: usize, to: Address, value: U256, data: Vec<u8>) -> Receipt {
        self.after(1);
        try_send_value(&mut self.chain, account, TxKind::Call(to), value, data, GAS).unwrap()
    }

    fn activate_with(&mut self, value: U256) -> Receipt {
        let data = W::activateProgramCall {
            program: self.program,
        }
        .abi_encode();
        self.send(DEV, ARB_WASM, value, data)
    }

    /// Activates the program paying exactly its fee; returns the receipt and the fee.
    fn activate(&mut self) -> (Receipt, U256) {
        let fee = activation_fee(&self.chain, DEV, self.program);
        let receipt = self.activate_with(fee);
        assert!(receipt.status, "{receipt:?}");
        (receipt, fee)
    }

    fn balance(&self, account: usize) -> U256 {
        self.chain
            .balance(address_of(account), BlockTag::Latest)
            .unwrap()
    }

    fn timestamp(&self, receipt: &Receipt) -> u64 {
        self.chain
            .block_by_number(BlockTag::Number(receipt.block_number))
            .unwrap()
            .timestamp()
    }
}

/// `eth_call` of `call` on `to` at the latest block: its return, or its revert data.
fn view<T: SolCall>(chain: &Chain, to: Address, call: T) -> Result<T::Return, Bytes> {
    let out = chain.call(
        &CallRequest {
            from: Some(address_of(DEV)),
            to: Some(to),
            gas: Some(GAS),
            data: call.abi_encode().into(),
            ..CallRequest::default()
        },
        BlockTag::Latest,
    );
    match out {
        Ok(out) => Ok(T::abi_decode_returns(&out).unwrap()),
        Err(DevnetError::Reverted { data, .. }) => Err(data),
        Err(e) => panic!("{e}"),
    }
}

/// The ABI encoding of an ArbWasm error.
fn error(e: W::ArbWasmErrors) -> Bytes {
    e.abi_encode().into()
}

/// The gas a transaction's calldata costs (EIP-2028).
fn calldata_gas(data: &[u8]) -> u64 {
    data.iter().map(|b| if *b == 0 { 4 } else { 16 }).sum()
}

/// Nitro's `ApproxExpBasisPoints(x, 12)` for non-negative `x` (util/arbmath/math.go).
fn nitro_exp_bips(x: u64) -> u64 {
    let b = 10_000u64;
    let mut res = b + x / 12;
    for i in (1..12u64).rev() {
        res = b + res.saturating_mul(x) / (i * b);
    }
    res
}

/// Nitro's data fee of a first activation of `bytes` on a chain with no demand
/// (`DataPricer.UpdateModel` with the initial parameters: min price 82,928,201 wei, inertia
/// 21,360,419).
fn first_data_fee(bytes: u64) -> U256 {
    let multiplier = nitro_exp_bips(10_000 * bytes / 21_360_419);
    U256::from(82_928_201 * multiplier / 10_000 * bytes)
}

/// Nitro's asm estimate of [`wasm`] (`parse_user`: 1 function, type length 2).
fn asm_estimate(wasm_len: u64) -> u64 {
    512_000 + 996_829 / 1_000 + 2 * 11_416 / 1_000 + wasm_len * 62_628 / 10_000
}

// ---- parameters ---------------------------------------------------------------------------------

#[test]
fn every_parameter_view_answers_nitros_value() {
    let c = Chain::new();
    assert_eq!(view(&c, ARB_WASM, W::stylusVersionCall {}).unwrap(), 2);
    assert_eq!(view(&c, ARB_WASM, W::inkPriceCall {}).unwrap(), 10_000);
    assert_eq!(view(&c, ARB_WASM, W::maxStackDepthCall {}).unwrap(), 22_000);
    assert_eq!(view(&c, ARB_WASM, W::freePagesCall {}).unwrap(), 2);
    assert_eq!(view(&c, ARB_WASM, W::pageGasCall {}).unwrap(), 1_000);
    assert_eq!(view(&c, ARB_WASM, W::pageRampCall {}).unwrap(), 620_674_314);
    assert_eq!(view(&c, ARB_WASM, W::pageLimitCall {}).unwrap(), 128);
    let min = view(&c, ARB_WASM, W::minInitGasCall {}).unwrap();
    assert_eq!((min.gas, min.cached), (69 * 128, 11 * 32));
    assert_eq!(view(&c, ARB_WASM, W::initCostScalarCall {}).unwrap(), 100);
    assert_eq!(view(&c, ARB_WASM, W::expiryDaysCall {}).unwrap(), 365);
    assert_eq!(view(&c, ARB_WASM, W::keepaliveDaysCall {}).unwrap(), 31);
    assert_eq!(view(&c, ARB_WASM, W::blockCacheSizeCall {}).unwrap(), 32);
    assert_eq!(view(&c, ARB_WASM, W::activationGasCall {}).unwrap(), 0);
}

// ---- activation ---------------------------------------------------------------------------------

#[test]
fn activation_records_the_program_as_nitro_does() {
    let mut w = World::new();
    let not_activated = error(W::ArbWasmErrors::ProgramNotActivated(
        W::ProgramNotActivated {},
    ));
    let version = W::codehashVersionCall {
        codehash: w.code_hash,
    };
    assert_eq!(
        view(&w.chain, ARB_WASM, version.clone()).unwrap_err(),
        not_activated
    );
    let (receipt, _) = w.activate();
    let activated_at = w.timestamp(&receipt);
    let now = w.mine_after(3 * DAY);

    assert_eq!(view(&w.chain, ARB_WASM, version).unwrap(), 2);
    let p = w.program;
    assert_eq!(
        view(&w.chain, ARB_WASM, W::programVersionCall { program: p }).unwrap(),
        2
    );
    let kb = asm_estimate(w.wasm.len() as u64).div_ceil(1024);
    let size = W::codehashAsmSizeCall {
        codehash: w.code_hash,
    };
    assert_eq!(
        u64::from(view(&w.chain, ARB_WASM, size).unwrap()),
        kb * 1024
    );
    let footprint = W::programMemoryFootprintCall { program: p };
    assert_eq!(view(&w.chain, ARB_WASM, footprint).unwrap(), 1);
    // age counts from the activation's whole hour since Arbitrum began
    let hour_start = ARBITRUM_START + (activated_at - ARBITRUM_START) / 3600 * 3600;
    let left = view(&w.chain, ARB_WASM, W::programTimeLeftCall { program: p }).unwrap();
    assert_eq!(left, 365 * DAY - (now - hour_start));
}

#[test]
fn program_init_gas_is_what_a_call_pays() {
    let mut w = World::new();
    w.activate();
    let p = w.program;
    let init = view(&w.chain, ARB_WASM, W::programInitGasCall { program: p }).unwrap();
    // version 2: the cached cost is paid on every call, the init cost only uncached
    assert!(init.gas > init.gasWhenCached && init.gasWhenCached >= 11 * 32);
    assert!(init.gas - init.gasWhenCached >= 69 * 128);

    let uncached = w.send(DEV, p, U256::ZERO, Vec::new());
    assert!(uncached.status);

    let cache = C::cacheProgramCall { addr: p }.abi_encode();
    assert!(w.send(NETWORK, ARB_WASM_CACHE, U256::ZERO, cache).status);
    let cached = w.send(DEV, p, U256::ZERO, Vec::new());
    assert!(cached.status);
    // The program does nothing (two operators, under a gas of ink) in its one free page: a
    // call is the 21,000 of a transaction, the entry, and that ink rounded up to a gas.
    let run = uncached.gas_used - 21_000 - init.gas;
    assert!(run <= 1, "{run}");
    assert_eq!(cached.gas_used - 21_000 - init.gasWhenCached, run);
    // caching does not change what the views report
    let again = view(&w.chain, ARB_WASM, W::programInitGasCall { program: p }).unwrap();
    assert_eq!(
        (again.gas, again.gasWhenCached),
        (init.gas, init.gasWhenCached)
    );
}

#[test]
fn activation_pays_the_data_fee_to_the_network_account_and_refunds_the_rest_to_the_wei() {
    let mut w = World::new();
    let fee = activation_fee(&w.chain, DEV, w.program);
    let asm = asm_estimate(w.wasm.len() as u64);
    assert_eq!(fee, first_data_fee(asm));

    let (dev, network) = (w.balance(DEV), w.balance(NETWORK));
    let extra = U256::from(123_456_789u64);
    let receipt = w.activate_with(fee + extra);
    assert!(receipt.status);
    let out = W::activateProgramCall::abi_decode_returns(&receipt.output).unwrap();
    assert_eq!((out.version, out.dataFee), (2, fee));
    let gas_cost = U256::from(receipt.gas_used) * U256::from(receipt.effective_gas_price);
    assert_eq!(
        w.balance(DEV),
        dev - gas_cost - fee,
        "the excess comes back"
    );
    assert_eq!(w.balance(NETWORK), network + fee);
    assert_eq!(
        w.chain.balance(ARB_WASM, BlockTag::Latest).unwrap(),
        U256::ZERO
    );

    let log = &receipt.logs[0].log;
    assert_eq!(log.address, ARB_WASM);
    let event = W::ProgramActivated::decode_log_data(&log.data).unwrap();
    assert_eq!(event.codehash, w.code_hash);
    assert_eq!(event.moduleHash, keccak256(&w.wasm));
    assert_eq!(event.program, w.program);
    assert_eq!((event.dataFee, event.version), (fee, 2));
}

#[test]
fn activation_burns_nitros_gas() {
    let mut w = World::new();
    let (receipt, _) = w.activate();
    let data = W::activateProgramCall { program: w.program }.abi_encode();
    let wasm_len = w.wasm.len() as u64;
    // `Module::activate`: microseconds at 28 gas each; one function of two operators
    // (`i32.const`, `end`), one page, no data or elements
    let us = |x: u64| x * 28;
    let compile =
        us(wasm_len * 31_733 / 100_000) + us(17_263 / 100_000) + us(2_217) + us(2 * 535 / 1_000);
    let precompile = 800 // opening ArbOS's state
        + 3 // one argument word
        + 800 // activationGas (0)
        + 1_659_168 // the fixed charge
        + 100 // params
        + 800 // the old record
        + compile
        + 20_000 // module hash
        + 5 * 800 + 2 * 20_000 // data pricer
        + 20_000 // the record
        + 800 // network fee account
        + 375 + 2 * 375 + 8 * 128 // ProgramActivated
        + 3 * 2; // two result words
    assert_eq!(receipt.gas_used, 21_000 + calldata_gas(&data) + precompile);
}

#[test]
fn reactivating_an_up_to_date_program_reverts_program_up_to_date() {
    let mut w = World::new();
    w.activate();
    let receipt = w.activate_with(U256::from(10u64).pow(U256::from(18)));
    assert!(!receipt.status);
    assert_eq!(
        receipt.output,
        error(W::ArbWasmErrors::ProgramUpToDate(W::ProgramUpToDate {}))
    );
}

#[test]
fn underpaying_the_data_fee_reverts_and_keeps_the_value() {
    let mut w = World::new();
    let fee = activation_fee(&w.chain, DEV, w.program);
    let before = w.balance(DEV);
    let receipt = w.activate_with(fee - U256::from(1u64));
    assert!(!receipt.status);
    assert_eq!(
        receipt.output,
        error(W::ArbWasmErrors::ProgramInsufficientValue(
            W::ProgramInsufficientValue {
                have: fee - U256::from(1u64),
                want: fee,
            }
        ))
    );
    let gas_cost = U256::from(receipt.gas_used) * U256::from(receipt.effective_gas_price);
    assert_eq!(w.balance(DEV), before - gas_cost, "only gas was spent");
    assert!(view(
        &w.chain,
        ARB_WASM,
        W::codehashVersionCall {
            codehash: w.code_hash
        }
    )
    .is_err());
    // and a call without value underpays too
    assert!(!w.activate_with(U256::ZERO).status);
}

#[test]
fn evm_code_and_empty_accounts_are_not_programs() {
    let mut w = World::new();
    let not_wasm = error(W::ArbWasmErrors::ProgramNotWasm(W::ProgramNotWasm {}));
    let not_activated = error(W::ArbWasmErrors::ProgramNotActivated(
        W::ProgramNotActivated {},
    ));
    let evm_code = [0x60, 0x00, 0x60, 0x00, 0xf3];
    let evm = deploy(&mut w.chain, 0, &evm_code);
    let nobody = Address::repeat_byte(0x42);
    for (program, expected) in [(evm, not_wasm.clone()), (nobody, not_wasm)] {
        let data = W::activateProgramCall { program }.abi_encode();
        let receipt = w.send(DEV, ARB_WASM, U256::from(1u64), data);
        assert!(!receipt.status);
        assert_eq!(receipt.output, expected);
        let version = view(&w.chain, ARB_WASM, W::programVersionCall { program });
        assert_eq!(version.unwrap_err(), not_activated);
    }
    for codehash in [keccak256(evm_code), B256::ZERO, keccak256([])] {
        let version = view(&w.chain, ARB_WASM, W::codehashVersionCall { codehash });
        assert_eq!(version.unwrap_err(), not_activated);
    }
}

#[test]
fn a_program_past_expiry_days_reverts_program_expired_until_reactivated() {
    let mut w = World::new();
    let (receipt, _) = w.activate();
    let hour_start = {
        let t = w.timestamp(&receipt);
        ARBITRUM_START + (t - ARBITRUM_START) / 3600 * 3600
    };
    // the last second of its life: still active
    let last = hour_start + 365 * DAY;
    w.mine_after(last - w.now);
    let left = view(
        &w.chain,
        ARB_WASM,
        W::programTimeLeftCall { program: w.program },
    );
    assert_eq!(left.unwrap(), 0);

    let now = w.mine_after(1);
    let expired = error(W::ArbWasmErrors::ProgramExpired(W::ProgramExpired {
        ageInSeconds: now - hour_start,
    }));
    let version = W::codehashVersionCall {
        codehash: w.code_hash,
    };
    assert_eq!(
        view(&w.chain, ARB_WASM, version.clone()).unwrap_err(),
        expired
    );
    let err = view(&w.chain, w.program, W::stylusVersionCall {}).unwrap_err();
    assert_eq!(err, expired, "a call to the program reverts ProgramExpired");
    let cache = C::cacheProgramCall { addr: w.program }.abi_encode();
    let at = w.now + 1;
    let receipt = w.send(NETWORK, ARB_WASM_CACHE, U256::ZERO, cache);
    assert_eq!(
        receipt.output,
        error(W::ArbWasmErrors::ProgramExpired(W::ProgramExpired {
            ageInSeconds: at - hour_start,
        })),
        "an expired program cannot be cached"
    );

    // an expired program may be activated again, and runs again
    w.activate();
    assert_eq!(view(&w.chain, ARB_WASM, version).unwrap(), 2);
    assert!(w.send(DEV, w.program, U256::ZERO, Vec::new()).status);
}

/// A session that moves the clock years ahead re-activates what expired, paying the fee
/// (`deploy::reactivate_expired`), as the operator of a long-lived deployment must.
#[test]
fn a_deployment_outliving_expiry_days_is_reactivated_by_its_operator() {
    let mut w = World::new();
    w.activate();
    let reactivate = |w: &mut World| {
        yellowstone_devnet::deploy::reactivate_expired(&mut w.chain, &[w.program]).unwrap()
    };
    assert!(
        reactivate(&mut w).is_empty(),
        "an active program is left alone"
    );
    w.mine_after(2 * 365 * DAY);
    let call = |w: &World| {
        let request = CallRequest {
            to: Some(w.program),
            ..CallRequest::default()
        };
        w.chain.call(&request, BlockTag::Latest)
    };
    assert!(call(&w).is_err());
    assert_eq!(reactivate(&mut w), vec![w.program]);
    assert!(call(&w).is_ok());
    let version = W::codehashVersionCall {
        codehash: w.code_hash,
    };
    assert_eq!(view(&w.chain, ARB_WASM, version).unwrap(), 2);
    // and again, through the tests' helper
    w.mine_after(400 * DAY);
    assert!(call(&w).is_err());
    keep_programs_alive(&mut w.chain, &[w.program]);
    assert!(call(&w).is_ok());
}

#[test]
fn keepalive_is_refused_too_soon_and_too_late_and_restarts_the_clock_between() {
    let mut w = World::new();
    let (receipt, _) = w.activate();
    let hour_start = {
        let t = w.timestamp(&receipt);
        ARBITRUM_START + (t - ARBITRUM_START) / 3600 * 3600
    };
    let keepalive = W::codehashKeepaliveCall {
        codehash: w.code_hash,
    }
    .abi_encode();
    let one_ether = U256::from(10u64).pow(U256::from(18));

    // too soon: younger than keepaliveDays
    let at = w.now + 1;
    let receipt = w.send(DEV, ARB_WASM, one_ether, keepalive.clone());
    assert_eq!(
        receipt.output,
        error(W::ArbWasmErrors::ProgramKeepaliveTooSoon(
            W::ProgramKeepaliveTooSoon {
                ageInSeconds: at - hour_start,
            }
        ))
    );

    // after 31 days: the fee of the program's asm size, the excess refunded, the clock restarted
    w.after(hour_start + 31 * DAY - w.now);
    let kb = asm_estimate(w.wasm.len() as u64).div_ceil(1024);
    let (dev, network) = (w.balance(DEV), w.balance(NETWORK));
    let underpaid = w.send(DEV, ARB_WASM, U256::from(1u64), keepalive.clone());
    assert!(!underpaid.status);
    let want = W::ArbWasmErrors::abi_decode(&underpaid.output).unwrap();
    let W::ArbWasmErrors::ProgramInsufficientValue(want) = want else {
        panic!("{want:?}")
    };
    let spent = |r: &Receipt| U256::from(r.gas_used) * U256::from(r.effective_gas_price);
    let receipt = w.send(DEV, ARB_WASM, one_ether, keepalive.clone());
    assert!(receipt.status, "{receipt:?}");
    let event = W::ProgramLifetimeExtended::decode_log_data(&receipt.logs[0].log.data).unwrap();
    assert_eq!(event.codehash, w.code_hash);
    // a month drained the activation's demand: the fee is a first one, for the asm size
    assert_eq!(want.want, first_data_fee(kb * 1024));
    assert_eq!(event.dataFee, want.want);
    assert_eq!(
        w.balance(DEV),
        dev - spent(&underpaid) - spent(&receipt) - event.dataFee
    );
    assert_eq!(w.balance(NETWORK), network + event.dataFee);
    let kept_at = w.timestamp(&receipt);
    let new_start = ARBITRUM_START + (kept_at - ARBITRUM_START) / 3600 * 3600;
    let now = w.mine_after(1);
    let left = view(
        &w.chain,
        ARB_WASM,
        W::programTimeLeftCall { program: w.program },
    );
    assert_eq!(left.unwrap(), 365 * DAY - (now - new_start));

    // too late: an expired program cannot be kept alive
    w.mine_after(366 * DAY);
    let receipt = w.send(DEV, ARB_WASM, one_ether, keepalive);
    let err = W::ArbWasmErrors::abi_decode(&receipt.output).unwrap();
    assert!(
        matches!(err, W::ArbWasmErrors::ProgramExpired(_)),
        "{err:?}"
    );
}

// ---- the cache ----------------------------------------------------------------------------------

#[test]
fn only_the_chain_owner_caches_and_a_refusal_burns_all_gas() {
    let mut w = World::new();
    let owner = DEV_ACCOUNTS[0].address;
    assert!(!view(
        &w.chain,
        ARB_WASM_CACHE,
        C::isCacheManagerCall { manager: owner }
    )
    .unwrap());
    assert!(view(&w.chain, ARB_WASM_CACHE, C::allCacheManagersCall {})
        .unwrap()
        .is_empty());
    let cache = C::cacheProgramCall { addr: w.program }.abi_encode();

    // not activated: nothing to cache
    let receipt = w.send(NETWORK, ARB_WASM_CACHE, U256::ZERO, cache.clone());
    assert_eq!(
        receipt.output,
        error(W::ArbWasmErrors::ProgramNeedsUpgrade(
            W::ProgramNeedsUpgrade {
                version: 0,
                stylusVersion: 2,
            }
        ))
    );
    w.activate();

    // anyone else burns all gas
    let receipt = w.send(DEV, ARB_WASM_CACHE, U256::ZERO, cache.clone());
    assert!(!receipt.status && receipt.output.is_empty());
    assert_eq!(receipt.gas_used, GAS);

    let receipt = w.send(NETWORK, ARB_WASM_CACHE, U256::ZERO, cache.clone());
    assert!(receipt.status);
    let log = &receipt.logs[0].log;
    assert_eq!(log.address, ARB_WASM_CACHE);
    let event = C::UpdateProgramCache::decode_log_data(&log.data).unwrap();
    assert_eq!(
        (event.manager, event.codehash, event.cached),
        (owner, w.code_hash, true)
    );
    let is_cached = C::codehashIsCachedCall {
        codehash: w.code_hash,
    };
    assert!(view(&w.chain, ARB_WASM_CACHE, is_cached.clone()).unwrap());
    // caching again changes nothing and emits nothing
    let receipt = w.send(NETWORK, ARB_WASM_CACHE, U256::ZERO, cache);
    assert!(receipt.status && receipt.logs.is_empty());

    // the deprecated `cacheCodehash` is an unknown method since ArbOS 31
    let old = C::cacheCodehashCall {
        codehash: w.code_hash,
    }
    .abi_encode();
    let receipt = w.send(NETWORK, ARB_WASM_CACHE, U256::ZERO, old);
    assert!(!receipt.status && receipt.output.is_empty());
    assert_eq!(receipt.gas_used, GAS);

    let evict = C::evictCodehashCall {
        codehash: w.code_hash,
    }
    .abi_encode();
    let receipt = w.send(NETWORK, ARB_WASM_CACHE, U256::ZERO, evict);
    assert!(receipt.status);
    let event = C::UpdateProgramCache::decode_log_data(&receipt.logs[0].log.data).unwrap();
    assert!(!event.cached);
    assert!(!view(&w.chain, ARB_WASM_CACHE, is_cached).unwrap());
}

// ---- the calling convention ---------------------------------------------------------------------

/// EVM code that STATICCALLs ArbWasm with its own calldata and returns the call's success flag:
/// `CALLDATACOPY(0, 0, size); STATICCALL(gas, 0x71, 0, size, 0, 0); MSTORE(0, ok); RETURN(0, 32)`.
const STATIC_CALLER: [u8; 18] = [
    0x36, 0x5f, 0x5f, 0x37, 0x5f, 0x5f, 0x36, 0x5f, 0x60, 0x71, 0x5a, 0xfa, 0x5f, 0x52, 0x60, 0x20,
    0x5f, 0xf3,
];

#[test]
fn activation_in_a_static_context_is_refused() {
    let mut w = World::new();
    let caller = deploy(&mut w.chain, 0, &STATIC_CALLER);
    let succeeded = |w: &mut World, data: Vec<u8>| {
        let receipt = w.send(DEV, caller, U256::ZERO, data);
        assert!(receipt.status);
        receipt.output[31] == 1
    };
    assert!(succeeded(&mut w, W::stylusVersionCall {}.abi_encode()));
    let activate = W::activateProgramCall { program: w.program }.abi_encode();
    assert!(!succeeded(&mut w, activate));
    let version = W::codehashVersionCall {
        codehash: w.code_hash,
    };
    assert!(view(&w.chain, ARB_WASM, version).is_err());
}

#[test]
fn unknown_methods_value_to_views_and_short_calldata_revert_empty_burning_all_gas() {
    let mut w = World::new();
    for (to, data, value) in [
        (ARB_WASM, vec![0xde, 0xad, 0xbe, 0xef], 0u64),
        (ARB_WASM, vec![0x01, 0x02], 0),
        (ARB_WASM, Vec::new(), 0),
        (ARB_WASM_CACHE, vec![0xde, 0xad, 0xbe, 0xef], 0),
        (ARB_WASM, W::stylusVersionCall {}.abi_encode(), 1),
        // a known selector whose argument is missing
        (ARB_WASM, W::codehashVersionCall::SELECTOR.to_vec(), 0),
    ] {
        let receipt = w.send(DEV, to, U256::from(value), data.clone());
        assert!(!receipt.status, "{data:?}");
        assert!(receipt.output.is_empty(), "{data:?}: {:?}", receipt.output);
        assert_eq!(receipt.gas_used, GAS, "{data:?}");
    }
}

/// Calldata: a known selector of either precompile (or any four bytes) and arbitrary bytes.
fn calldata() -> impl Strategy<Value = Vec<u8>> {
    let selectors: Vec<[u8; 4]> = W::ArbWasmCalls::selectors()
        .chain(C::ArbWasmCacheCalls::selectors())
        .collect();
    (
        prop_oneof![
            proptest::sample::select(selectors).prop_map(|s| s.to_vec()),
            proptest::collection::vec(any::<u8>(), 0..4),
        ],
        proptest::collection::vec(any::<u8>(), 0..100),
    )
        .prop_map(|(mut head, tail)| {
            head.extend(tail);
            head
        })
}

proptest! {
    #![proptest_config(config(48))]

    /// Any calldata, with or without value, to either precompile returns or reverts: never a
    /// panic nor a halt of another kind.
    #[test]
    fn arbitrary_calldata_returns_or_reverts(
        data in calldata(),
        cache in any::<bool>(),
        value in 0u64..3,
    ) {
        let chain = Chain::new();
        let to = if cache { ARB_WASM_CACHE } else { ARB_WASM };
        let out = chain.call(
            &CallRequest {
                from: Some(address_of(DEV)),
                to: Some(to),
                gas: Some(1_000_000),
                value: Some(U256::from(value)),
                data: data.into(),
                ..CallRequest::default()
            },
            BlockTag::Latest,
        );
        match out {
            Ok(_) | Err(DevnetError::Reverted { .. }) => {}
            Err(e) => prop_assert!(false, "{e}"),
        }
    }
}
