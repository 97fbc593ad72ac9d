//! The devnet's entry-cost model and dynamic meter against Nitro's source (OffchainLabs/nitro,
//! snapshot of 2026-04-23). Each test builds a module by hand, computes the figure Nitro's
//! formula gives for it in the test itself, and checks the devnet agrees. Each failed on the
//! devnet's earlier model (payload-only segment sizes, three instrumentation globals, flat
//! `memory.copy` / `memory.fill`, Stylus version 1).

use alloy_primitives::{Address, Bytes, B256, U256};
use alloy_sol_types::SolCall;
use yellowstone_devnet::activation::{check_module, Program};
use yellowstone_devnet::chain::Chain;
use yellowstone_devnet::stylus::api::{
    CallKind, CallOutcome, CreateOutcome, EvmApi, EvmApiError, EvmData,
};
use yellowstone_devnet::stylus::{execute, Outcome, Status};

use crate::common::{activate, deploy, IArbWasm};

/// Nitro's `cached_init` prediction, transcribed from `WasmBinary::instrument` in
/// `crates/prover/src/binary.rs` (each term divided separately, as there). `globals` is the
/// count after instrumentation.
fn nitro_cached_init(
    funcs: u64,
    type_len: u64,
    wasm_len: u64,
    globals: u64,
    data_len: u64,
    footprint: u64,
) -> u64 {
    funcs * 13_420 / 100_000
        + type_len * 89 / 100_000
        + wasm_len * 122 / 100_000
        + globals * 1_628 / 1_000
        + data_len * 75_244 / 100_000
        + footprint * 5
}

/// Whether `needle` occurs in `hay` (ties a hand-spelled encoding to the module under test).
fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// Nitro counts each data and element segment's whole encoding (`x.range.len()` over
/// `self.datas` and `self.elements` in `WasmBinary::instrument`), header included, not its
/// payload bytes or entries.
#[test]
fn cached_init_cost_counts_whole_segment_encodings() {
    let wasm = wat::parse_str(
        r#"(module
          (memory (export "memory") 1 1)
          (table 2 funcref)
          (elem (i32.const 0) $main $main)
          (data (i32.const 1024) "a")
          (data (i32.const 2048) "bc")
          (func $main (export "user_entrypoint") (param i32) (result i32) (i32.const 0)))"#,
    )
    .unwrap();
    // flags 0, `i32.const 1024` (41 80 08), `end`, length, bytes
    let data_a = [0x00, 0x41, 0x80, 0x08, 0x0b, 0x01, b'a'];
    let data_bc = [0x00, 0x41, 0x80, 0x10, 0x0b, 0x02, b'b', b'c'];
    // flags 0, `i32.const 0`, `end`, count 2, function 0 twice
    let elem = [0x00, 0x41, 0x00, 0x0b, 0x02, 0x00, 0x00];
    for segment in [&data_a[..], &data_bc, &elem] {
        assert!(contains(&wasm, segment), "{segment:02x?} not in the module");
    }
    let data_len = (data_a.len() + data_bc.len() + elem.len()) as u64;
    assert_eq!(data_len, 22, "payloads alone are 1 + 2 bytes and 2 entries");
    // one function of type (i32) -> i32; four globals, all the instrumentation's; one page
    let expected = nitro_cached_init(1, 2, wasm.len() as u64, 4, data_len, 1);
    let info = check_module(&wasm).unwrap();
    assert_eq!(u64::from(info.cached_init_cost), expected);
    // the payload-only count (5) would be 12 gas lower here
    assert_ne!(
        expected,
        nitro_cached_init(1, 2, wasm.len() as u64, 4, 5, 1)
    );
}

/// Nitro's instrumentation adds four globals before counting: `STYLUS_INK_LEFT` and
/// `STYLUS_INK_STATUS` (`Meter::update_module`, `programs/meter.rs`), `SCRATCH_GLOBAL`
/// (`DynamicMeter::update_module`, `programs/dynamic.rs`) and `STYLUS_STACK_LEFT`
/// (`DepthChecker::update_module`, `programs/depth.rs`).
#[test]
fn cached_init_cost_counts_four_instrumentation_globals() {
    assert_eq!(yellowstone_devnet::activation::INSTRUMENTATION_GLOBALS, 4);
    let wasm = wat::parse_str(
        r#"(module
          (memory (export "memory") 2 2)
          (global (mut i32) (i32.const 0))
          (func (export "user_entrypoint") (param i32) (result i32) (i32.const 0)))"#,
    )
    .unwrap();
    let own = 1;
    let expected = nitro_cached_init(1, 2, wasm.len() as u64, own + 4, 0, 2);
    let info = check_module(&wasm).unwrap();
    assert_eq!(u64::from(info.cached_init_cost), expected);
    // with three the globals term is 6 instead of 8
    assert_ne!(
        expected,
        nitro_cached_init(1, 2, wasm.len() as u64, own + 3, 0, 2)
    );
}

/// A no-op api: the programs below touch no state.
struct NoState;

impl EvmApi for NoState {
    fn sload(&mut self, _key: U256) -> (B256, u64) {
        (B256::ZERO, 2_100)
    }
    fn sstore(&mut self, _key: U256, _value: B256) -> Result<u64, EvmApiError> {
        Ok(0)
    }
    fn call(&mut self, _: CallKind, _: Address, _: &[u8], _: u64, _: U256) -> CallOutcome {
        CallOutcome {
            success: false,
            output: Bytes::new(),
            gas_used: 0,
        }
    }
    fn create(&mut self, _: &[u8], _: U256, _: Option<B256>, _: u64) -> CreateOutcome {
        CreateOutcome {
            address: None,
            output: Bytes::new(),
            gas_used: 0,
        }
    }
    fn emit_log(&mut self, _: Vec<B256>, _: Bytes) -> Result<(), EvmApiError> {
        Ok(())
    }
    fn account_balance(&mut self, _: Address) -> (U256, u64) {
        (U256::ZERO, 0)
    }
    fn account_code(&mut self, _: Address) -> (Bytes, u64) {
        (Bytes::new(), 0)
    }
    fn account_codehash(&mut self, _: Address) -> (B256, u64) {
        (B256::ZERO, 0)
    }
}

/// Copies or fills as many bytes as the calldata is long (the entrypoint's argument), so two
/// runs differ only in the byte count. No host call reads the calldata.
fn bulk_program(op: &str) -> Program {
    let body = match op {
        "copy" => "(memory.copy (i32.const 0) (i32.const 16384) (local.get 0))",
        _ => "(memory.fill (i32.const 0) (i32.const 7) (local.get 0))",
    };
    let wasm = wat::parse_str(format!(
        r#"(module
          (memory (export "memory") 1 1)
          (func (export "user_entrypoint") (param i32) (result i32) {body} (i32.const 0)))"#
    ))
    .unwrap();
    let info = check_module(&wasm).unwrap();
    Program {
        wasm,
        compressed_len: 0,
        info,
    }
}

fn run(p: &Program, len: usize, gas: u64) -> Outcome {
    let data = EvmData {
        tx_ink_price: 10_000,
        ..Default::default()
    };
    execute(p, &mut NoState, &data, &vec![0; len], gas)
}

/// Nitro's `DynamicMeter` (`programs/dynamic.rs`, `FuncDynamicMeter::feed`) charges
/// `n * memory_copy_ink` / `n * memory_fill_ink` before each `memory.copy` / `memory.fill`
/// of `n` bytes, with both coefficients `800 / 8` = 100 ink (`CompileConfig::version` for
/// Stylus 1 and 2, `programs/config.rs`), on top of the operator's 950 ink.
#[test]
fn memory_copy_and_fill_cost_100_ink_per_byte() {
    const BYTES: usize = 7_000; // 700,000 ink: exactly 70 gas, and whole 35-ink fuel units
    let ink_per_byte = 800 / 8;
    for op in ["copy", "fill"] {
        let p = bulk_program(op);
        let none = run(&p, 0, 1_000_000);
        let some = run(&p, BYTES, 1_000_000);
        assert_eq!(none.status, Status::Success, "{op}");
        assert_eq!(some.status, Status::Success, "{op}");
        let extra_gas = none.gas_left - some.gas_left;
        assert_eq!(extra_gas, (BYTES as u64) * ink_per_byte / 10_000, "{op}");
    }
}

/// The per-byte charge is paid before the operator runs, so a large copy with too little gas
/// runs out of ink (Nitro's inserted code sets the ink status and traps).
#[test]
fn a_copy_beyond_the_ink_left_runs_out_of_ink() {
    let p = bulk_program("copy");
    let entry = 1_000_000 - run(&p, 0, 1_000_000).gas_left;
    // 40,000 bytes cost 400 gas beyond the run with none: give 200
    let out = run(&p, 40_000, entry + 200);
    assert_eq!(out.status, Status::Failure("out of ink".into()));
}

/// `activateProgram` reports Stylus version 2, Nitro's current (`StylusParams::UpgradeToVersion`
/// in `arbos/programs/params.go`, applied at ArbOS 31 in `arbos/arbosState/arbosstate.go`).
#[test]
fn activate_program_reports_stylus_version_2() {
    let wasm = wat::parse_str(
        r#"(module
          (memory (export "memory") 1 1)
          (func (export "user_entrypoint") (param i32) (result i32) (i32.const 0)))"#,
    )
    .unwrap();
    let mut chain = Chain::default();
    let program = deploy(&mut chain, 0, &yellowstone_artifact::compress(&wasm));
    let receipt = activate(&mut chain, 0, program);
    let out = IArbWasm::activateProgramCall::abi_decode_returns(&receipt.output).unwrap();
    assert_eq!(out.version, 2);
    assert_eq!(yellowstone_devnet::chain::STYLUS_VERSION, 2);
}
