//! Hand-written WAT programs exercising each group of `vm_hooks` host functions through the
//! Stylus executor, against a small in-memory `EvmApi`.

use std::collections::BTreeMap;

use alloy_primitives::{address, keccak256, Address, Bytes, B256, U256};
use yellowstone_devnet::activation::{check_module, Program};
use yellowstone_devnet::stylus::api::{
    CallKind, CallOutcome, CreateOutcome, EvmApi, EvmApiError, EvmData,
};
use yellowstone_devnet::stylus::{execute, Outcome, Status};

const GAS: u64 = 1_000_000;
const CALLEE: Address = address!("00000000000000000000000000000000000000ca");
const SENDER: Address = address!("00000000000000000000000000000000000000f1");

#[derive(Default)]
struct Api {
    storage: BTreeMap<U256, B256>,
    sloads: Vec<U256>,
    sstores: Vec<(U256, B256)>,
    calls: Vec<(CallKind, Address, Vec<u8>, u64, U256)>,
    logs: Vec<(Vec<B256>, Bytes)>,
}

impl EvmApi for Api {
    fn sload(&mut self, key: U256) -> (B256, u64) {
        self.sloads.push(key);
        (self.storage.get(&key).copied().unwrap_or_default(), 2_100)
    }
    fn sstore(&mut self, key: U256, value: B256) -> Result<u64, EvmApiError> {
        self.sstores.push((key, value));
        self.storage.insert(key, value);
        Ok(22_100)
    }
    fn call(
        &mut self,
        kind: CallKind,
        to: Address,
        input: &[u8],
        gas: u64,
        value: U256,
    ) -> CallOutcome {
        self.calls.push((kind, to, input.to_vec(), gas, value));
        CallOutcome {
            success: kind != CallKind::Static,
            output: (0u8..10).collect(),
            gas_used: 700,
        }
    }
    fn create(
        &mut self,
        _code: &[u8],
        _value: U256,
        salt: Option<B256>,
        _gas: u64,
    ) -> CreateOutcome {
        match salt {
            Some(_) => CreateOutcome {
                address: None,
                output: Bytes::from_static(b"nope"),
                gas_used: 100,
            },
            None => CreateOutcome {
                address: Some(CALLEE),
                output: Bytes::new(),
                gas_used: 32_000,
            },
        }
    }
    fn emit_log(&mut self, topics: Vec<B256>, data: Bytes) -> Result<(), EvmApiError> {
        self.logs.push((topics, data));
        Ok(())
    }
    fn account_balance(&mut self, _address: Address) -> (U256, u64) {
        (U256::from(1234), 2_600)
    }
    fn account_code(&mut self, _address: Address) -> (Bytes, u64) {
        (Bytes::from_static(&[0x60, 0x00, 0x60, 0x00]), 2_600)
    }
    fn account_codehash(&mut self, _address: Address) -> (B256, u64) {
        (B256::repeat_byte(0xcc), 2_600)
    }
}

fn program(wat: &str) -> Program {
    let wasm = wat::parse_str(wat).expect("valid WAT");
    let info = check_module(&wasm).expect("activates");
    Program {
        wasm,
        compressed_len: 0,
        info,
    }
}

fn data() -> EvmData {
    EvmData {
        chain_id: 412_346,
        block_number: 7,
        block_timestamp: 1_700_000_000,
        block_gas_limit: 32_000_000,
        msg_sender: SENDER,
        tx_origin: SENDER,
        tx_ink_price: 10_000,
        ..Default::default()
    }
}

fn run(p: &Program, api: &mut Api, calldata: &[u8]) -> Outcome {
    execute(p, api, &data(), calldata, GAS)
}

const STORAGE: &str = r#"(module
  (import "vm_hooks" "write_result" (func $write_result (param i32 i32)))
  (import "vm_hooks" "storage_load_bytes32" (func $load (param i32 i32)))
  (import "vm_hooks" "storage_cache_bytes32" (func $cache (param i32 i32)))
  (import "vm_hooks" "storage_flush_cache" (func $flush (param i32)))
  (memory (export "memory") 1 1)
  (data (i32.const 31) "\02")
  (data (i32.const 63) "\01")
  (data (i32.const 95) "\aa")
  (data (i32.const 127) "\bb")
  (data (i32.const 191) "\03")
  (func (export "user_entrypoint") (param i32) (result i32)
    (call $cache (i32.const 0) (i32.const 64))
    (call $cache (i32.const 32) (i32.const 96))
    (call $load (i32.const 0) (i32.const 128))
    (call $load (i32.const 160) (i32.const 128))
    (call $load (i32.const 160) (i32.const 128))
    (call $flush (i32.const 1))
    (call $write_result (i32.const 128) (i32.const 32))
    (i32.const 0)))"#;

#[test]
fn storage_cache_and_flush_in_slot_order() {
    let p = program(STORAGE);
    let mut api = Api::default();
    api.storage.insert(U256::from(3), B256::repeat_byte(0x33));
    let out = run(&p, &mut api, &[]);
    assert_eq!(out.status, Status::Success, "{out:?}");
    // slot 2 came from the cache, slot 3 was loaded once from the state
    assert_eq!(api.sloads, vec![U256::from(3)]);
    assert_eq!(out.output, B256::repeat_byte(0x33).to_vec());
    assert_eq!(
        api.sstores,
        vec![
            (U256::from(1), B256::with_last_byte(0xbb)),
            (U256::from(2), B256::with_last_byte(0xaa)),
        ]
    );
}

const STATUS: &str = r#"(module
  (import "vm_hooks" "read_args" (func $read_args (param i32)))
  (import "vm_hooks" "write_result" (func $write_result (param i32 i32)))
  (import "vm_hooks" "exit_early" (func $exit_early (param i32)))
  (import "vm_hooks" "transient_load_bytes32" (func $tload (param i32 i32)))
  (memory (export "memory") 1 1)
  (data (i32.const 100) "oops")
  (func (export "user_entrypoint") (param $len i32) (result i32)
    (call $read_args (i32.const 0))
    (call $write_result (i32.const 100) (i32.const 4))
    (block
      (br_if 0 (i32.ne (i32.load8_u (i32.const 0)) (i32.const 9)))
      (call $exit_early (i32.const 1)))
    (block
      (br_if 0 (i32.ne (i32.load8_u (i32.const 0)) (i32.const 8)))
      unreachable)
    (block
      (br_if 0 (i32.ne (i32.load8_u (i32.const 0)) (i32.const 7)))
      (call $tload (i32.const 0) (i32.const 0)))
    (block
      (br_if 0 (i32.ne (i32.load8_u (i32.const 0)) (i32.const 6)))
      (loop (br 0)))
    (i32.load8_u (i32.const 0))))"#;

#[test]
fn statuses_exit_early_traps_and_ink() {
    let p = program(STATUS);
    let mut api = Api::default();
    let ok = run(&p, &mut api, &[0]);
    assert_eq!(
        (ok.status.clone(), ok.output.clone()),
        (Status::Success, b"oops".to_vec())
    );
    let revert = run(&p, &mut api, &[1]);
    assert_eq!(
        (revert.status.clone(), revert.output.clone()),
        (Status::Revert, b"oops".to_vec())
    );
    assert!(revert.gas_left > 0);
    let exit = run(&p, &mut api, &[9]);
    assert_eq!(
        (exit.status.clone(), exit.output.clone()),
        (Status::Revert, b"oops".to_vec())
    );
    assert!(
        exit.gas_left > revert.gas_left - 2_000,
        "exit_early stops at once"
    );
    let bad = run(&p, &mut api, &[2]);
    assert!(matches!(bad.status, Status::Failure(ref r) if r.contains("invalid status")));
    let trap = run(&p, &mut api, &[8]);
    assert!(
        matches!(trap.status, Status::Failure(ref r) if r.contains("trap")),
        "{trap:?}"
    );
    assert_eq!(trap.gas_left, 0);
    let tload = run(&p, &mut api, &[7]);
    assert!(
        matches!(tload.status, Status::Failure(ref r) if r.contains("unsupported hostio transient_load_bytes32"))
    );
    let spin = run(&p, &mut api, &[6]);
    assert_eq!(spin.status, Status::Failure("out of ink".into()));
    assert_eq!(spin.gas_left, 0);
    // gas: entry 9,184 (one page, free) plus a few host calls and operators
    let used = GAS - ok.gas_left;
    assert!((9_184..9_300).contains(&used), "used {used}");
}

const CONTEXT: &str = r#"(module
  (import "vm_hooks" "read_args" (func $read_args (param i32)))
  (import "vm_hooks" "write_result" (func $write_result (param i32 i32)))
  (import "vm_hooks" "native_keccak256" (func $keccak (param i32 i32 i32)))
  (import "vm_hooks" "msg_sender" (func $msg_sender (param i32)))
  (import "vm_hooks" "block_timestamp" (func $timestamp (result i64)))
  (import "vm_hooks" "chainid" (func $chainid (result i64)))
  (import "vm_hooks" "block_number" (func $number (result i64)))
  (import "vm_hooks" "tx_ink_price" (func $ink_price (result i32)))
  (import "vm_hooks" "msg_reentrant" (func $reentrant (result i32)))
  (import "vm_hooks" "evm_gas_left" (func $gas_left (result i64)))
  (import "vm_hooks" "account_balance" (func $balance (param i32 i32)))
  (import "vm_hooks" "account_code_size" (func $code_size (param i32) (result i32)))
  (import "vm_hooks" "account_codehash" (func $codehash (param i32 i32)))
  (memory (export "memory") 1 1)
  (func (export "user_entrypoint") (param $len i32) (result i32)
    (call $read_args (i32.const 1000))
    (call $keccak (i32.const 1000) (local.get $len) (i32.const 0))
    (call $msg_sender (i32.const 32))
    (i64.store (i32.const 52) (call $timestamp))
    (i64.store (i32.const 60) (call $chainid))
    (i64.store (i32.const 68) (call $number))
    (i32.store (i32.const 76) (call $ink_price))
    (i32.store (i32.const 80) (call $reentrant))
    (i64.store (i32.const 84) (call $gas_left))
    (call $balance (i32.const 32) (i32.const 92))
    (i32.store (i32.const 124) (call $code_size (i32.const 32)))
    (call $codehash (i32.const 32) (i32.const 128))
    (call $write_result (i32.const 0) (i32.const 160))
    (i32.const 0)))"#;

#[test]
fn keccak_context_and_accounts() {
    let p = program(CONTEXT);
    let mut api = Api::default();
    let input = b"hello stylus, a message longer than sixty-four bytes to pay for extra words";
    let out = run(&p, &mut api, input);
    assert_eq!(out.status, Status::Success, "{out:?}");
    let o = &out.output;
    assert_eq!(&o[0..32], keccak256(input).as_slice());
    assert_eq!(&o[32..52], SENDER.as_slice());
    assert_eq!(
        u64::from_le_bytes(o[52..60].try_into().unwrap()),
        1_700_000_000
    );
    assert_eq!(u64::from_le_bytes(o[60..68].try_into().unwrap()), 412_346);
    assert_eq!(u64::from_le_bytes(o[68..76].try_into().unwrap()), 7);
    assert_eq!(u32::from_le_bytes(o[76..80].try_into().unwrap()), 10_000);
    assert_eq!(u32::from_le_bytes(o[80..84].try_into().unwrap()), 0);
    let gas_left = u64::from_le_bytes(o[84..92].try_into().unwrap());
    assert!(
        gas_left < GAS - 9_184 && gas_left > GAS - 12_000,
        "{gas_left}"
    );
    assert_eq!(U256::from_be_slice(&o[92..124]), U256::from(1234));
    assert_eq!(u32::from_le_bytes(o[124..128].try_into().unwrap()), 4);
    assert_eq!(&o[128..160], B256::repeat_byte(0xcc).as_slice());
}

const CALLS: &str = r#"(module
  (import "vm_hooks" "write_result" (func $write_result (param i32 i32)))
  (import "vm_hooks" "call_contract" (func $call (param i32 i32 i32 i32 i64 i32) (result i32)))
  (import "vm_hooks" "static_call_contract" (func $static (param i32 i32 i32 i64 i32) (result i32)))
  (import "vm_hooks" "delegate_call_contract" (func $delegate (param i32 i32 i32 i64 i32) (result i32)))
  (import "vm_hooks" "read_return_data" (func $rrd (param i32 i32 i32) (result i32)))
  (import "vm_hooks" "return_data_size" (func $rds (result i32)))
  (import "vm_hooks" "create1" (func $create1 (param i32 i32 i32 i32 i32)))
  (import "vm_hooks" "create2" (func $create2 (param i32 i32 i32 i32 i32 i32)))
  (import "vm_hooks" "emit_log" (func $log (param i32 i32 i32)))
  (memory (export "memory") 1 1)
  (data (i32.const 19) "\ca")
  (data (i32.const 20) "abcd")
  (data (i32.const 63) "\05")
  (func (export "user_entrypoint") (param i32) (result i32)
    ;; call CALLEE with "abcd", value 5, gas u64::MAX; status at 200, len at 204
    (i32.store8 (i32.const 200)
      (call $call (i32.const 0) (i32.const 20) (i32.const 4) (i32.const 32) (i64.const -1) (i32.const 204)))
    (i32.store (i32.const 208) (call $rds))
    ;; copy return data from offset 2, up to 100 bytes, to 212; copied length at 240
    (i32.store (i32.const 240) (call $rrd (i32.const 212) (i32.const 2) (i32.const 100)))
    (i32.store8 (i32.const 244)
      (call $static (i32.const 0) (i32.const 20) (i32.const 4) (i64.const 1000) (i32.const 248)))
    (i32.store8 (i32.const 252)
      (call $delegate (i32.const 0) (i32.const 20) (i32.const 4) (i64.const 1000) (i32.const 248)))
    ;; create1 -> address at 256, revert len at 276; create2 fails -> zero at 280, len at 300
    (call $create1 (i32.const 20) (i32.const 4) (i32.const 32) (i32.const 256) (i32.const 276))
    (call $create2 (i32.const 20) (i32.const 4) (i32.const 32) (i32.const 64) (i32.const 280) (i32.const 300))
    (i32.store (i32.const 304) (call $rds))
    ;; a log with two topics (bytes 64..128) and data "abcd"
    (memory.copy (i32.const 400) (i32.const 0) (i32.const 64))
    (i32.store (i32.const 464) (i32.const 0x64636261))
    (call $log (i32.const 400) (i32.const 68) (i32.const 2))
    (call $write_result (i32.const 200) (i32.const 108))
    (i32.const 0)))"#;

#[test]
fn calls_return_data_creates_and_logs() {
    let p = program(CALLS);
    let mut api = Api::default();
    let out = run(&p, &mut api, &[]);
    assert_eq!(out.status, Status::Success, "{out:?}");
    let o = &out.output;
    let word = |at: usize| u32::from_le_bytes(o[at - 200..at - 196].try_into().unwrap());
    assert_eq!(o[0], 0, "call succeeded");
    assert_eq!(word(204), 10, "return data length written to the pointer");
    assert_eq!(word(208), 10, "return_data_size");
    assert_eq!(word(240), 8, "copied from offset 2");
    assert_eq!(&o[12..20], &[2, 3, 4, 5, 6, 7, 8, 9]);
    assert_eq!(o[44], 1, "the static call reverted");
    assert_eq!(o[52], 0, "the delegate call succeeded");
    assert_eq!(&o[56..76], CALLEE.as_slice());
    assert_eq!(&o[80..100], Address::ZERO.as_slice());
    assert_eq!(word(300), 4, "revert data length of the failed create2");
    assert_eq!(word(304), 4, "return data is the revert data");
    let (kind, to, input, gas, value) = api.calls[0].clone();
    assert_eq!(
        (kind, to, input, value),
        (CallKind::Call, CALLEE, b"abcd".to_vec(), U256::from(5))
    );
    assert!(
        gas < GAS && gas > GAS * 62 / 64 - 30_000,
        "63/64 of what is left: {gas}"
    );
    assert_eq!(api.calls[1].0, CallKind::Static);
    assert_eq!(
        api.calls[1].3, 1000,
        "the requested gas when less than available"
    );
    assert_eq!(api.calls[2].0, CallKind::Delegate);
    let (topics, data) = &api.logs[0];
    let mut t0 = [0u8; 32];
    t0[19] = 0xca;
    t0[20..24].copy_from_slice(b"abcd");
    assert_eq!(topics, &vec![B256::from(t0), B256::with_last_byte(5)]);
    assert_eq!(data.as_ref(), b"abcd");
}

const BAD_LOG: &str = r#"(module
  (import "vm_hooks" "emit_log" (func $log (param i32 i32 i32)))
  (memory (export "memory") 1 1)
  (func (export "user_entrypoint") (param i32) (result i32)
    (call $log (i32.const 0) (i32.const 40) (i32.const 2))
    (i32.const 0)))"#;

#[test]
fn a_log_shorter_than_its_topics_fails() {
    let p = program(BAD_LOG);
    let out = run(&p, &mut Api::default(), &[]);
    assert_eq!(out.status, Status::Failure("bad topic data".into()));
}

const GROW: &str = r#"(module
  (import "vm_hooks" "pay_for_memory_grow" (func $pay (param i32)))
  (memory (export "memory") 1 128)
  (func (export "user_entrypoint") (param $n i32) (result i32)
    (call $pay (local.get $n))
    (drop (memory.grow (local.get $n)))
    (i32.const 0)))"#;

#[test]
fn memory_growth_is_priced_by_nitros_model() {
    let p = program(GROW);
    let zero = run(&p, &mut Api::default(), &[]);
    let one = run(&p, &mut Api::default(), &[0]);
    let three = run(&p, &mut Api::default(), &[0, 0, 0]);
    assert_eq!(zero.status, Status::Success);
    assert_eq!(three.status, Status::Success);
    // 1 page open; 1 more is free (two free pages); 3 more: 2 paid pages x 1000 gas
    let page_cost = one.gas_left - three.gas_left;
    assert!((2_000..2_010).contains(&page_cost), "{page_cost}");
    // growing by a free page costs no more than growing by none (Nitro buys the base hostio
    // ink only for zero pages)
    assert!(zero.gas_left.abs_diff(one.gas_left) < 10);
}

const LOOP: &str = r#"(module
  (memory (export "memory") 1 1)
  (func (export "user_entrypoint") (param $len i32) (result i32)
    (local $i i32) (local $n i32)
    (local.set $n (i32.mul (local.get $len) (i32.const 1000)))
    (loop $l
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (i32.const 0)))"#;

#[test]
fn operators_cost_nitros_ink() {
    // one iteration in Nitro's pricing: local.get 75 + i32.const 1 + i32.add 70 + local.set 210
    // + local.get 75 + local.get 75 + i32.lt_u 170 + br_if 765 + block header 2450 = 3891 ink
    // (here 3885: 35-ink units)
    let p = program(LOOP);
    let one = run(&p, &mut Api::default(), &[0]);
    let two = run(&p, &mut Api::default(), &[0, 0]);
    assert_eq!(two.status, Status::Success);
    let per_1000 = one.gas_left - two.gas_left;
    println!("1000 loop iterations: {per_1000} gas (Nitro: 389.1)");
    assert!((380..=400).contains(&per_1000), "{per_1000}");
}

/// An api that tracks pages and cached programs, as the devnet's does.
#[derive(Default)]
struct TrackingApi {
    inner: Api,
    pages: (u16, u16),
    cached: bool,
}

impl EvmApi for TrackingApi {
    fn sload(&mut self, key: U256) -> (B256, u64) {
        self.inner.sload(key)
    }
    fn sstore(&mut self, key: U256, value: B256) -> Result<u64, EvmApiError> {
        self.inner.sstore(key, value)
    }
    fn call(
        &mut self,
        kind: CallKind,
        to: Address,
        input: &[u8],
        gas: u64,
        value: U256,
    ) -> CallOutcome {
        self.inner.call(kind, to, input, gas, value)
    }
    fn create(&mut self, code: &[u8], value: U256, salt: Option<B256>, gas: u64) -> CreateOutcome {
        self.inner.create(code, value, salt, gas)
    }
    fn emit_log(&mut self, topics: Vec<B256>, data: Bytes) -> Result<(), EvmApiError> {
        self.inner.emit_log(topics, data)
    }
    fn account_balance(&mut self, address: Address) -> (U256, u64) {
        self.inner.account_balance(address)
    }
    fn account_code(&mut self, address: Address) -> (Bytes, u64) {
        self.inner.account_code(address)
    }
    fn account_codehash(&mut self, address: Address) -> (B256, u64) {
        self.inner.account_codehash(address)
    }
    fn stylus_pages(&mut self) -> (u16, u16) {
        self.pages
    }
    fn set_stylus_pages(&mut self, open: u16, ever: u16) {
        self.pages = (open, ever);
    }
    fn program_cached(&mut self, _code_hash: B256) -> bool {
        self.cached
    }
}

#[test]
fn entry_cost_follows_cache_and_pages() {
    let p = program(GROW);
    let mut api = TrackingApi::default();
    let first = execute(&p, &mut api, &data(), &[0, 0, 0], GAS);
    assert_eq!(first.status, Status::Success);
    // the call opened 1 + 3 pages and closed them on return
    assert_eq!(api.pages, (0, 4));
    // a call made while a caller program holds two pages open: its page is no longer free
    api.pages = (2, 2);
    let nested = execute(&p, &mut api, &data(), &[], GAS);
    let fresh = execute(&p, &mut Api::default(), &data(), &[], GAS);
    assert_eq!(fresh.gas_left - nested.gas_left, 1_000);
    assert_eq!(api.pages, (2, 3));
    // a cached program pays only the cached entry cost: 8,832 gas plus its init cost less
    api.cached = true;
    api.pages = (0, 0);
    let cached = execute(&p, &mut api, &data(), &[], GAS);
    assert_eq!(
        cached.gas_left - fresh.gas_left,
        8_832 + u64::from(p.info.init_cost)
    );
    assert!(p.info.init_cost > 0);
}

/// An api whose calls run another program, re-entering the executor.
struct Reentrant {
    inner: Api,
    callee: Program,
    depth: u32,
}

impl EvmApi for Reentrant {
    fn sload(&mut self, key: U256) -> (B256, u64) {
        self.inner.sload(key)
    }
    fn sstore(&mut self, key: U256, value: B256) -> Result<u64, EvmApiError> {
        self.inner.sstore(key, value)
    }
    fn call(
        &mut self,
        kind: CallKind,
        to: Address,
        input: &[u8],
        gas: u64,
        value: U256,
    ) -> CallOutcome {
        self.inner
            .calls
            .push((kind, to, input.to_vec(), gas, value));
        let callee = self.callee.clone();
        self.depth += 1;
        let ctx = EvmData {
            reentrant: true,
            ..data()
        };
        let out = execute(&callee, self, &ctx, input, gas);
        CallOutcome {
            success: out.status == Status::Success,
            output: out.output.into(),
            gas_used: gas - out.gas_left,
        }
    }
    fn create(&mut self, code: &[u8], value: U256, salt: Option<B256>, gas: u64) -> CreateOutcome {
        self.inner.create(code, value, salt, gas)
    }
    fn emit_log(&mut self, topics: Vec<B256>, data: Bytes) -> Result<(), EvmApiError> {
        self.inner.emit_log(topics, data)
    }
    fn account_balance(&mut self, address: Address) -> (U256, u64) {
        self.inner.account_balance(address)
    }
    fn account_code(&mut self, address: Address) -> (Bytes, u64) {
        self.inner.account_code(address)
    }
    fn account_codehash(&mut self, address: Address) -> (B256, u64) {
        self.inner.account_codehash(address)
    }
}

#[test]
fn a_call_can_run_another_program() {
    // the callee hashes its calldata and reports msg_reentrant
    let callee = program(CONTEXT);
    let caller = program(CALLS);
    let mut api = Reentrant {
        inner: Api::default(),
        callee,
        depth: 0,
    };
    let out = run_with(&caller, &mut api);
    assert_eq!(out.status, Status::Success, "{out:?}");
    assert_eq!(
        api.depth, 3,
        "call, static call and delegate call each ran the callee"
    );
    let o = &out.output;
    assert_eq!(o[0], 0);
    assert_eq!(
        u32::from_le_bytes(o[4..8].try_into().unwrap()),
        160,
        "callee's result length"
    );
    // return data from offset 2 of the callee's keccak("abcd")
    assert_eq!(&o[12..20], &keccak256(b"abcd")[2..10]);
}

fn run_with(p: &Program, api: &mut dyn EvmApi) -> Outcome {
    execute(p, api, &data(), &[], GAS)
}
