//! Activation checks: each rule triggered by a small hand-made module, a minimal valid program,
//! and the real compute contract.

use std::path::PathBuf;

use yellowstone_artifact::{compress, MAX_DECOMPRESSED_SIZE, MAX_DEPLOYABLE_SIZE};
use yellowstone_devnet::activation::{
    activate, check_module, entry_costs, hostio_by_name, ActivationError as E, Count, Feature,
    HostType, HOSTIOS,
};

const ENTRY: &str = r#"(func (export "user_entrypoint") (param i32) (result i32) i32.const 0)"#;
const MEMORY: &str = r#"(memory (export "memory") 1 1)"#;

/// A module with the given imports, the standard fixed memory and entrypoint, and `extra`.
fn module(imports: &str, extra: &str) -> Vec<u8> {
    wat(&format!("(module {imports} {MEMORY} {ENTRY} {extra})"))
}

fn wat(text: &str) -> Vec<u8> {
    wat::parse_str(text).unwrap_or_else(|e| panic!("bad test WAT: {e}\n{text}"))
}

fn err(wasm: &[u8]) -> E {
    match check_module(wasm) {
        Ok(info) => panic!("expected an activation error, got {info:?}"),
        Err(e) => {
            // Every message is non-empty and printable.
            assert!(!e.to_string().is_empty());
            e
        }
    }
}

fn feature(wasm: &[u8]) -> Feature {
    match err(wasm) {
        E::UnsupportedFeature { feature, .. } => feature,
        other => panic!("expected UnsupportedFeature, got {other:?}"),
    }
}

fn too_many(wasm: &[u8]) -> (Count, Option<u32>, u64, u64) {
    match err(wasm) {
        E::TooMany {
            what,
            func,
            count,
            limit,
        } => (what, func, count, limit),
        other => panic!("expected TooMany, got {other:?}"),
    }
}

// ---------------------------------------------------------------- valid programs

#[test]
fn minimal_valid_module_passes() {
    let wasm = module(
        r#"(import "vm_hooks" "read_args" (func (param i32)))
           (import "vm_hooks" "write_result" (func (param i32 i32)))"#,
        "",
    );
    let info = check_module(&wasm).expect("valid");
    assert_eq!(info.memory_initial_pages, 1);
    assert_eq!(info.memory_max_pages, Some(1));
    assert_eq!(info.entrypoint, 2);
    assert_eq!(info.defined_functions, 1);
    assert_eq!(info.imports.len(), 2);
    assert_eq!(info.imports[1].func_index, 1);
    assert_eq!(info.imports[1].hostio.name, "write_result");
    assert_eq!(info.unmeterable_float_ops, 0);

    let program = activate(&compress(&wasm)).expect("activates");
    assert_eq!(program.wasm, wasm);
    assert_eq!(program.info, info);
}

#[test]
fn growable_memory_with_pay_for_memory_grow_passes() {
    let wasm = wat(&format!(
        r#"(module (import "vm_hooks" "pay_for_memory_grow" (func (param i32)))
           (memory (export "memory") 2) {ENTRY})"#
    ));
    let info = check_module(&wasm).expect("valid");
    assert_eq!(info.memory_initial_pages, 2);
    assert_eq!(info.memory_max_pages, None);
}

#[test]
fn float_const_load_store_pass_but_are_counted() {
    // Nitro: these pass activation but cost u64::MAX ink.
    let wasm = module(
        "",
        "(func (result i64) i32.const 0 f64.const 1.5 f64.store
                              i32.const 0 f64.load i64.reinterpret_f64)",
    );
    let info = check_module(&wasm).expect("valid");
    assert_eq!(info.unmeterable_float_ops, 4);
}

#[test]
fn boundaries_at_the_limits_pass() {
    // 128 pages, 348 locals, 65536 opcodes (65535 nops + end), 512-byte names.
    let name = "n".repeat(512);
    let nops = "nop ".repeat(65_535);
    let wasm = wat(&format!(
        r#"(module ${name} (memory (export "memory") 128 128) {ENTRY}
           (func (export "{name}") (local {locals}) {nops}))"#,
        locals = "i32 ".repeat(348),
    ));
    let info = check_module(&wasm).expect("valid at the limits");
    assert_eq!(info.memory_initial_pages, 128);
    assert_eq!(info.module_name.as_deref(), Some(name.as_str()));
}

// ---------------------------------------------------------------- prefix and sizes

#[test]
fn not_stylus_prefix() {
    let mut code = compress(&module("", ""));
    code[1] = 0xF1;
    assert_eq!(
        activate(&code).unwrap_err(),
        E::NotStylusProgram {
            prefix: vec![0xEF, 0xF1, 0x00, 0x00]
        }
    );
    assert!(matches!(
        activate(&[0xEF, 0xF0]).unwrap_err(),
        E::NotStylusProgram { .. }
    ));
    assert!(matches!(
        activate(&[0x60, 0x80, 0x60, 0x40, 0x52]).unwrap_err(),
        E::NotStylusProgram { .. }
    ));
}

#[test]
fn dictionary_byte() {
    let mut code = compress(&module("", ""));
    code[3] = 0x01;
    let e = activate(&code).unwrap_err();
    assert_eq!(e, E::UnsupportedDictionary(1));
    assert!(e.to_string().contains("not supported here"), "{e}");
    code[3] = 0x02;
    assert_eq!(activate(&code).unwrap_err(), E::UnsupportedDictionary(2));
}

#[test]
fn compressed_too_large() {
    let mut code = vec![0xEF, 0xF0, 0x00, 0x00];
    code.resize(30_000, 0xAB);
    let e = activate(&code).unwrap_err();
    assert_eq!(
        e,
        E::CompressedTooLarge {
            size: 30_000,
            limit: MAX_DEPLOYABLE_SIZE
        }
    );
    assert_eq!(
        e.to_string(),
        "compressed program is 30000 bytes, over the 24576-byte limit (prefix included)"
    );
}

#[test]
fn corrupt_brotli() {
    let code = [0xEF, 0xF0, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x12];
    assert!(matches!(activate(&code).unwrap_err(), E::Decompress(_)));
}

#[test]
fn decompressed_too_large() {
    let code = compress(&vec![0u8; MAX_DECOMPRESSED_SIZE + 1]);
    assert!(code.len() <= MAX_DEPLOYABLE_SIZE);
    assert_eq!(
        activate(&code).unwrap_err(),
        E::DecompressedTooLarge {
            limit: MAX_DECOMPRESSED_SIZE
        }
    );
}

#[test]
fn not_wasm_at_all() {
    assert!(matches!(err(b"hello world"), E::InvalidWasm(_)));
}

// ---------------------------------------------------------------- features

#[test]
fn reference_types_rejected() {
    let wasm = module("", "(func (result externref) ref.null extern)");
    assert_eq!(feature(&wasm), Feature::ReferenceTypes);
}

#[test]
fn simd_rejected() {
    let wasm = module("", "(func (drop (v128.const i32x4 0 0 0 0)))");
    assert_eq!(feature(&wasm), Feature::Simd);
}

#[test]
fn threads_rejected() {
    let wasm = module("", "(func (drop (i32.atomic.load (i32.const 0))))");
    assert_eq!(feature(&wasm), Feature::Threads);
}

#[test]
fn tail_calls_rejected() {
    let wasm = module("", "(func $f return_call $f)");
    assert_eq!(feature(&wasm), Feature::TailCall);
}

#[test]
fn multi_value_rejected() {
    let wasm = module("", "(func (result i32 i32) i32.const 1 i32.const 2)");
    assert_eq!(feature(&wasm), Feature::MultiValue);
    let block = module(
        "",
        "(func (param i32) (result i32) local.get 0 (block (param i32) (result i32)))",
    );
    assert_eq!(feature(&block), Feature::MultiValue);
}

#[test]
fn memory64_rejected() {
    let wasm = wat(&format!(
        r#"(module (memory (export "memory") i64 1 1) {ENTRY})"#
    ));
    assert_eq!(feature(&wasm), Feature::Memory64);
}

#[test]
fn several_features_name_one_of_them() {
    let wasm = module(
        "",
        "(func $f (drop (v128.const i32x4 0 0 0 0)) return_call $f)",
    );
    let f = feature(&wasm);
    assert!(matches!(f, Feature::Simd | Feature::TailCall), "{f:?}");
}

#[test]
fn messages_name_rule_and_value() {
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (
            module("", "(func $s) (start $s)"),
            "start functions are not allowed",
        ),
        (
            module(r#"(import "vm_hooks" "read_argz" (func (param i32)))"#, ""),
            "read_argz",
        ),
        (
            module("", "(func (result i32 i32) i32.const 1 i32.const 2)"),
            "multi-value",
        ),
        (module("", "(table 4097 funcref)"), "4097"),
        (
            module("", "(func (param f64) (result f64) local.get 0 f64.sqrt)"),
            "F64Sqrt",
        ),
    ];
    for (wasm, needle) in cases {
        let message = err(&wasm).to_string();
        eprintln!("{message}");
        assert!(
            message.contains(needle),
            "{message:?} should mention {needle:?}"
        );
    }
}

#[test]
fn float_arithmetic_rejected() {
    let wasm = module(
        "",
        "(func (param f64) (result f64) local.get 0 local.get 0 f64.add)",
    );
    assert_eq!(
        err(&wasm),
        E::FloatArithmetic {
            func: 1,
            operator: "F64Add".into()
        }
    );
    let convert = module(
        "",
        "(func (param i32) (result f32) local.get 0 f32.convert_i32_s)",
    );
    assert!(matches!(err(&convert), E::FloatArithmetic { .. }));
    let compare = module("", "(func (result i32) f32.const 1 f32.const 2 f32.lt)");
    assert!(matches!(err(&compare), E::FloatArithmetic { operator, .. } if operator == "F32Lt"));
}

#[test]
fn table_operators_rejected() {
    let copy = module(
        "",
        "(table 2 funcref) (func i32.const 0 i32.const 1 i32.const 1 table.copy)",
    );
    assert_eq!(
        err(&copy),
        E::TableOperator {
            func: 1,
            operator: "TableCopy".into()
        }
    );
    let init = module(
        "",
        "(table 2 funcref) (elem $e func 0) (func i32.const 0 i32.const 0 i32.const 1 table.init $e)",
    );
    assert!(matches!(err(&init), E::TableOperator { operator, .. } if operator == "TableInit"));
    let drop = module("", "(elem $e func 0) (func elem.drop $e)");
    assert!(matches!(err(&drop), E::TableOperator { operator, .. } if operator == "ElemDrop"));
    // table.size/get/set/grow/fill are reference-types instructions: the validator refuses them.
    let size = module("", "(table 2 funcref) (func (result i32) table.size 0)");
    assert_eq!(feature(&size), Feature::ReferenceTypes);
}

#[test]
fn memory_init_and_data_drop_rejected() {
    let init = module(
        "",
        r#"(data $d "hi") (func i32.const 0 i32.const 0 i32.const 2 memory.init $d)"#,
    );
    assert_eq!(
        err(&init),
        E::PassiveDataOperator {
            func: 1,
            operator: "MemoryInit".into()
        }
    );
    let drop = module("", r#"(data $d "hi") (func data.drop $d)"#);
    assert!(
        matches!(err(&drop), E::PassiveDataOperator { operator, .. } if operator == "DataDrop")
    );
    // memory.copy and memory.fill are allowed.
    let ok = module(
        "",
        "(func i32.const 0 i32.const 8 i32.const 4 memory.copy i32.const 0 i32.const 0 i32.const 4 memory.fill)",
    );
    check_module(&ok).expect("bulk copy/fill are allowed");
}

// ---------------------------------------------------------------- memory, entrypoint, start

#[test]
fn no_memory() {
    assert_eq!(err(&wat(&format!("(module {ENTRY})"))), E::NoMemory);
}

#[test]
fn two_memories() {
    let wasm = module("", "(memory 1 1)");
    assert_eq!(err(&wasm), E::MemoryCount { count: 2 });
}

#[test]
fn memory_not_exported() {
    let wasm = wat(&format!("(module (memory 1 1) {ENTRY})"));
    assert_eq!(err(&wasm), E::MemoryNotExported);
    let renamed = wat(&format!(r#"(module (memory (export "mem") 1 1) {ENTRY})"#));
    assert_eq!(err(&renamed), E::MemoryNotExported);
}

#[test]
fn memory_over_128_pages() {
    let wasm = wat(&format!(
        r#"(module (memory (export "memory") 129 129) {ENTRY})"#
    ));
    assert_eq!(
        err(&wasm),
        E::MemoryTooLarge {
            pages: 129,
            limit: 128
        }
    );
}

#[test]
fn growable_memory_needs_pay_for_memory_grow() {
    let wasm = wat(&format!(
        r#"(module (memory (export "memory") 1 4) {ENTRY})"#
    ));
    assert_eq!(err(&wasm), E::MissingPayForMemoryGrow);
}

#[test]
fn pay_for_memory_grow_checked_before_entrypoint() {
    let wasm = wat(
        r#"(module (import "vm_hooks" "pay_for_memory_grow" (func (param i64)))
                       (memory (export "memory") 1))"#,
    );
    assert!(matches!(err(&wasm), E::HostioSignature { name, .. } if name == "pay_for_memory_grow"));
}

#[test]
fn missing_entrypoint() {
    let wasm = wat(&format!(
        r#"(module {MEMORY} (func (export "main") (param i32) (result i32) i32.const 0))"#
    ));
    assert_eq!(err(&wasm), E::MissingEntrypoint);
}

#[test]
fn entrypoint_not_a_function() {
    let wasm = wat(&format!(
        r#"(module {MEMORY} (global (export "user_entrypoint") i32 (i32.const 0)))"#
    ));
    assert_eq!(err(&wasm), E::EntrypointNotFunction { kind: "global" });
}

#[test]
fn entrypoint_wrong_signature() {
    let wasm = wat(&format!(
        r#"(module {MEMORY} (func (export "user_entrypoint") (param i64) (result i32) i32.const 0))"#
    ));
    assert_eq!(
        err(&wasm),
        E::EntrypointSignature {
            found: "(i64) -> (i32)".into()
        }
    );
}

#[test]
fn start_function() {
    let wasm = module("", "(func $s) (start $s)");
    assert_eq!(err(&wasm), E::StartFunction { func: 1 });
}

// ---------------------------------------------------------------- imports and names

#[test]
fn import_not_a_function() {
    let wasm = module(r#"(import "vm_hooks" "g" (global i32))"#, "");
    assert_eq!(
        err(&wasm),
        E::ImportNotFunction {
            module: "vm_hooks".into(),
            name: "g".into(),
            kind: "global"
        }
    );
}

#[test]
fn import_from_other_module() {
    let wasm = module(r#"(import "env" "foo" (func))"#, "");
    assert_eq!(
        err(&wasm),
        E::ImportModule {
            module: "env".into(),
            name: "foo".into()
        }
    );
    let console = module(r#"(import "console" "log_i32" (func (param i32)))"#, "");
    assert!(matches!(err(&console), E::ImportModule { .. }));
}

#[test]
fn unknown_hostio() {
    let wasm = module(r#"(import "vm_hooks" "read_argz" (func (param i32)))"#, "");
    let e = err(&wasm);
    assert_eq!(
        e,
        E::UnknownHostio {
            name: "read_argz".into()
        }
    );
    assert!(e.to_string().contains("read_argz"));
}

#[test]
fn hostio_wrong_signature() {
    let wasm = module(r#"(import "vm_hooks" "read_args" (func (param i64)))"#, "");
    assert_eq!(
        err(&wasm),
        E::HostioSignature {
            name: "read_args".into(),
            expected: "(i32) -> ()".into(),
            found: "(i64) -> ()".into()
        }
    );
    let result = module(
        r#"(import "vm_hooks" "msg_reentrant" (func (result i64)))"#,
        "",
    );
    assert!(matches!(err(&result), E::HostioSignature { .. }));
}

#[test]
fn inconsistent_imports() {
    let wasm = module(
        r#"(type $a (func (param i32))) (type $b (func (param i32)))
           (import "vm_hooks" "read_args" (func (type $a)))
           (import "vm_hooks" "read_args" (func (type $b)))"#,
        "",
    );
    assert_eq!(
        err(&wasm),
        E::InconsistentImport {
            module: "vm_hooks".into(),
            name: "read_args".into()
        }
    );
}

#[test]
fn export_shadows_import() {
    let wasm = module(
        r#"(import "vm_hooks" "read_args" (func (param i32)))"#,
        r#"(func (export "x__read_args"))"#,
    );
    assert_eq!(
        err(&wasm),
        E::ExportShadowsImport {
            name: "read_args".into()
        }
    );
}

#[test]
fn reserved_names() {
    let export = module("", r#"(func (export "stylus_ink_left"))"#);
    assert_eq!(
        err(&export),
        E::ReservedName {
            kind: "export",
            name: "stylus_ink_left".into()
        }
    );
    let import = module(r#"(import "vm_hooks" "stylus_start" (func))"#, "");
    assert_eq!(
        err(&import),
        E::ReservedName {
            kind: "import",
            name: "stylus_start".into()
        }
    );
}

#[test]
fn names_too_long() {
    let long = "x".repeat(513);
    let export = module("", &format!(r#"(func (export "{long}"))"#));
    assert!(matches!(
        err(&export),
        E::NameTooLong {
            kind: "export name",
            limit: 512,
            ..
        }
    ));
    let module_name = wat(&format!("(module ${long} {MEMORY} {ENTRY})"));
    assert!(matches!(
        err(&module_name),
        E::NameTooLong {
            kind: "module name",
            limit: 512,
            ..
        }
    ));
}

// ---------------------------------------------------------------- count limits

#[test]
fn too_many_functions() {
    let funcs = "(func)".repeat(4096); // plus the entrypoint: 4097
    assert_eq!(
        too_many(&module("", &funcs)),
        (Count::Functions, None, 4097, 4096)
    );
}

#[test]
fn too_many_exports() {
    // memory + entrypoint + 1023 = 1025
    let exports: String = (0..1023)
        .map(|i| format!(r#"(export "e{i}" (func 0))"#))
        .collect();
    assert_eq!(
        too_many(&module("", &exports)),
        (Count::Exports, None, 1025, 1024)
    );
}

#[test]
fn too_many_data_segments() {
    let datas: String = (0..129)
        .map(|i| format!(r#"(data (i32.const {i}) "a")"#))
        .collect();
    assert_eq!(
        too_many(&module("", &datas)),
        (Count::DataSegments, None, 129, 128)
    );
}

#[test]
fn too_many_element_segments() {
    let elems: String = (0..129).map(|_| "(elem (i32.const 0) func 0)").collect();
    assert_eq!(
        too_many(&module("", &format!("(table 1 funcref) {elems}"))),
        (Count::ElementSegments, None, 129, 128)
    );
}

#[test]
fn too_many_globals() {
    let globals = "(global i32 (i32.const 0))".repeat(32_769);
    assert_eq!(
        too_many(&module("", &globals)),
        (Count::Globals, None, 32_769, 32_768)
    );
}

#[test]
fn too_many_locals() {
    let wasm = module("", &format!("(func (local {}))", "i64 ".repeat(349)));
    assert_eq!(too_many(&wasm), (Count::Locals, Some(1), 349, 348));
}

#[test]
fn too_many_opcodes() {
    // 65536 nops + end = 65537 operators.
    let wasm = module("", &format!("(func {})", "nop ".repeat(65_536)));
    assert_eq!(too_many(&wasm), (Count::Opcodes, Some(1), 65_537, 65_536));
}

#[test]
fn too_many_imports() {
    let imports = r#"(import "vm_hooks" "read_args" (func (param i32)))"#.repeat(514);
    assert_eq!(
        too_many(&module(&imports, "")),
        (Count::Imports, None, 514, 513)
    );
}

#[test]
fn too_many_table_entries() {
    let wasm = module("", "(table 4097 funcref)");
    assert_eq!(too_many(&wasm), (Count::TableEntries, None, 4097, 4096));
}

#[test]
fn too_many_element_entries() {
    let funcs = "0 ".repeat(4097);
    let wasm = module(
        "",
        &format!("(table 4096 funcref) (elem (i32.const 0) func {funcs})"),
    );
    let (what, func, count, limit) = too_many(&wasm);
    assert_eq!((what, func, limit), (Count::ElementEntries, None, 4096));
    assert!(count > 4096);
}

// ---------------------------------------------------------------- segments

#[test]
fn data_segment_out_of_bounds() {
    let wasm = module("", r#"(data (i32.const 65535) "ab")"#);
    assert_eq!(
        err(&wasm),
        E::DataSegmentOutOfBounds {
            index: 0,
            offset: Some(65_535),
            len: 2,
            memory: 65_536
        }
    );
}

#[test]
fn element_segment_out_of_bounds() {
    let wasm = module("", "(table 1 funcref) (elem (i32.const 1) func 0)");
    assert!(matches!(
        err(&wasm),
        E::ElementSegmentInvalid { index: 0, .. }
    ));
}

// ---------------------------------------------------------------- host function table

#[test]
fn hostio_table_is_consistent() {
    assert_eq!(HOSTIOS.len(), 42);
    assert_eq!(HOSTIOS.iter().filter(|h| h.in_sdk).count(), 34);
    for h in &HOSTIOS {
        assert_eq!(hostio_by_name(h.name), Some(h));
        assert!(h.results.len() <= 1);
    }
    let call = hostio_by_name("call_contract").unwrap();
    assert_eq!(
        call.params,
        [
            HostType::I32,
            HostType::I32,
            HostType::I32,
            HostType::I32,
            HostType::I64,
            HostType::I32
        ]
    );
    assert_eq!(call.signature(), "(i32, i32, i32, i32, i64, i32) -> (i32)");
}

/// Cross-checks [`HOSTIOS`] against stylus-sdk 0.10.10's `hostio.rs` when its source is in the
/// cargo registry (it is whenever the workspace has been built).
#[test]
fn hostio_table_matches_stylus_sdk_source() {
    let Some(source) = sdk_hostio_source() else {
        eprintln!("SKIPPED: stylus-sdk-0.10.10/src/hostio.rs not found in the cargo registry");
        return;
    };
    // The `vm_hooks` block: from `module("vm_hooks"` to the next `vm_hooks! {`.
    let start = source.find(r#"module("vm_hooks""#).expect("vm_hooks block");
    let block = &source[start..];
    let block = &block[..block.find("vm_hooks! {").unwrap_or(block.len())];
    let mut found = 0;
    for decl in block.split("pub fn ").skip(1) {
        let name = decl[..decl.find('(').unwrap()].trim();
        let close = decl.find(')').unwrap();
        let args = &decl[decl.find('(').unwrap() + 1..close];
        let params: Vec<HostType> = args
            .split(',')
            .filter(|a| a.contains(':'))
            .map(|a| rust_type(a.split(':').nth(1).unwrap()))
            .collect();
        let rest = &decl[close + 1..];
        let end = rest.find([';', '}']).unwrap_or(rest.len());
        let results: Vec<HostType> = rest[..end]
            .split("->")
            .nth(1)
            .map(|r| vec![rust_type(r)])
            .unwrap_or_default();
        let h = hostio_by_name(name).unwrap_or_else(|| panic!("{name} not in HOSTIOS"));
        assert!(h.in_sdk, "{name} is declared by the SDK");
        assert_eq!(h.params, params.as_slice(), "params of {name}");
        assert_eq!(h.results, results.as_slice(), "results of {name}");
        found += 1;
    }
    assert_eq!(
        found, 34,
        "number of vm_hooks functions in stylus-sdk 0.10.10"
    );
}

fn rust_type(t: &str) -> HostType {
    match t.trim() {
        "u64" | "i64" => HostType::I64,
        "usize" | "u32" | "u16" | "u8" | "bool" | "i32" => HostType::I32,
        p if p.starts_with('*') => HostType::I32,
        other => panic!("unexpected type {other}"),
    }
}

fn sdk_hostio_source() -> Option<String> {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))?;
    for entry in std::fs::read_dir(home.join("registry/src")).ok()?.flatten() {
        let path = entry.path().join("stylus-sdk-0.10.10/src/hostio.rs");
        if let Ok(text) = std::fs::read_to_string(path) {
            return Some(text);
        }
    }
    None
}

// ---------------------------------------------------------------- the real contract

fn compute_artifact() -> Option<Vec<u8>> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("target/stylus/yellowstone_compute.br");
    match std::fs::read(&path) {
        Ok(bytes) => Some(bytes),
        Err(_) => {
            eprintln!(
                "SKIPPED: {} not found (build it with `yellowstone build-contract`; CI does)",
                path.display()
            );
            None
        }
    }
}

#[test]
fn real_compute_contract_activates() {
    let Some(code) = compute_artifact() else {
        return;
    };
    let program = activate(&code).unwrap_or_else(|e| panic!("compute contract: {e}"));
    eprintln!(
        "compute contract: {} bytes compressed, {} bytes of Wasm, {} pages, {} functions, {} imports",
        program.compressed_len,
        program.wasm.len(),
        program.info.memory_initial_pages,
        program.info.defined_functions,
        program.info.imports.len()
    );
    assert!(program.info.memory_initial_pages >= 1);
    assert!(!program.info.imports.is_empty());
    assert_eq!(program.info.unmeterable_float_ops, 0);
}

#[test]
fn real_compute_contract_imports_are_all_known() {
    let Some(code) = compute_artifact() else {
        return;
    };
    let program = activate(&code).unwrap_or_else(|e| panic!("compute contract: {e}"));
    for import in &program.info.imports {
        let h = hostio_by_name(import.hostio.name).expect("in table");
        assert!(
            h.in_sdk,
            "{} is used by the contract but not by stylus-sdk",
            h.name
        );
    }
    let names: Vec<_> = program.info.imports.iter().map(|i| i.hostio.name).collect();
    for required in ["read_args", "write_result"] {
        assert!(names.contains(&required), "compute imports {names:?}");
    }
}

#[test]
fn entry_costs_follow_nitros_prediction() {
    // Worked by hand from binary.rs's integer formulas (each term floored on its own):
    // cached = 300*13420/1e5 (40) + 750*89/1e5 (0) + 76578*122/1e5 (93) + (1+4)*1628/1e3 (8)
    //          + 6029*75244/1e5 (4536) + 17*5 (85) = 4762 (instrumentation adds 4 globals)
    // init   = 300*8252/1e3 (2475) + 750*1059/1e3 (794) + 76578*1286/1e4 (9847) = 13116
    assert_eq!(entry_costs(300, 750, 76_578, 1, 6_029, 17), (13_116, 4_762));
    assert_eq!(
        yellowstone_devnet::stylus::ink::init_gas(13_116),
        8_832 + 13_116
    );
    assert_eq!(
        yellowstone_devnet::stylus::ink::cached_gas(4_762),
        352 + 4_762
    );
}

#[test]
fn a_module_knows_its_entry_costs() {
    // One function of type (i32) -> i32: type_len 2. Memory 1 page; one global (none here).
    let wasm = module(
        r#"(import "vm_hooks" "read_args" (func (param i32)))
           (import "vm_hooks" "write_result" (func (param i32 i32)))"#,
        "",
    );
    let info = check_module(&wasm).expect("valid");
    let (init, cached) = entry_costs(1, 2, wasm.len() as u64, 0, 0, 1);
    assert_eq!(u64::from(info.init_cost), init);
    assert_eq!(u64::from(info.cached_init_cost), cached);
    // 4 instrumentation globals (6 gas) and 5 gas for the page, at least.
    assert!(cached >= 11, "{cached}");
}
