//! The artifact pipeline on small committed fixtures (no cargo build, so it runs in
//! milliseconds).

use std::path::PathBuf;

use yellowstone_artifact::{
    check_no_floats, compress, decompress, decompress_with_limit, normalize, process,
    strip_custom_sections, validate, Error, FloatSite, Limits, SizeKind, MAX_DECOMPRESSED_SIZE,
    MAX_DEPLOYABLE_SIZE, STYLUS_PREFIX,
};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn wat(name: &str) -> Vec<u8> {
    wat::parse_file(fixture(name)).expect("fixture parses")
}

/// Names of the custom sections in a module.
fn custom_sections(wasm: &[u8]) -> Vec<String> {
    wasmparser::Parser::new(0)
        .parse_all(wasm)
        .filter_map(|p| match p.expect("parses") {
            wasmparser::Payload::CustomSection(r) => Some(r.name().to_string()),
            _ => None,
        })
        .collect()
}

/// `rustc 1.95 --target wasm32-unknown-unknown` output (opt-level "z", LTO, panic abort,
/// stripped) for this `#![no_std]` cdylib, whose trait-object call compiles to `call_indirect`:
///
/// ```rust,ignore
/// #![no_std]
/// #[panic_handler]
/// fn panic(_: &core::panic::PanicInfo) -> ! { loop {} }
/// pub trait Op { fn apply(&self, x: i32) -> i32; }
/// struct Add(i32);
/// struct Mul(i32);
/// impl Op for Add { fn apply(&self, x: i32) -> i32 { x.wrapping_add(self.0) } }
/// impl Op for Mul { fn apply(&self, x: i32) -> i32 { x.wrapping_mul(self.0) } }
/// static OPS: [&(dyn Op + Sync); 2] = [&Add(3), &Mul(7)];
/// #[no_mangle]
/// pub extern "C" fn run(which: i32, x: i32) -> i32 {
///     let op: &dyn Op = OPS[(which as usize) & 1];
///     core::hint::black_box(op).apply(x)
/// }
/// ```
const RUSTC_CALL_INDIRECT: &[u8] = include_bytes!("../fixtures/call_indirect_overlong.wasm");

#[test]
fn rustc_overlong_call_indirect_fails_stylus_validation_until_normalised() {
    let raw = RUSTC_CALL_INDIRECT;
    // `call_indirect` with type index and table index both padded to 5-byte LEB128s.
    let overlong = [
        0x11, 0x80, 0x80, 0x80, 0x80, 0x00, 0x80, 0x80, 0x80, 0x80, 0x00,
    ];
    assert!(raw.windows(overlong.len()).any(|w| w == overlong));

    // Valid Wasm with reference types, yet rejected by Stylus' feature set...
    wasmparser::Validator::new()
        .validate_all(raw)
        .expect("valid with reference types");
    let err = validate(raw).expect_err("overlong call_indirect must fail without reference types");
    assert!(matches!(err, Error::NotStylusCompatible(_)), "{err}");

    // ...and accepted once normalised: the table index is the single byte 00 again.
    let normalized = normalize(raw).expect("normalises");
    validate(&normalized).expect("normalised module validates");
    assert!(normalized.windows(3).any(|w| w == [0x11, 0x00, 0x00]));
    assert!(!normalized.windows(overlong.len()).any(|w| w == overlong));
    assert!(
        normalized.len() < raw.len(),
        "minimal LEB128s shrink the module"
    );

    let artifact = process(raw).expect("processes");
    validate(&artifact.normalized).expect("artifact validates");
    assert_eq!(
        decompress(&artifact.deployable).unwrap(),
        artifact.normalized
    );
}

#[test]
fn counter_fixture_round_trip_strip_compress_prefix() {
    let raw = wat("counter.wat");
    let sections = custom_sections(&raw);
    for expected in ["name", "producers", "target_features"] {
        assert!(
            sections.iter().any(|s| s == expected),
            "fixture lacks {expected}: {sections:?}"
        );
    }

    let artifact = process(&raw).expect("processes");
    assert_eq!(artifact.raw_len, raw.len());

    // Custom sections are gone, and reported.
    assert!(custom_sections(&artifact.normalized).is_empty());
    let mut stripped = artifact.stripped_sections.clone();
    stripped.sort();
    assert_eq!(stripped, ["name", "producers", "target_features"]);

    // A canonically encoded module survives the text round trip byte for byte.
    let (stripped_input, _) = strip_custom_sections(&raw).unwrap();
    assert_eq!(artifact.normalized, stripped_input);

    // Prefix, then a brotli stream of the normalised Wasm.
    assert_eq!(artifact.deployable[..4], STYLUS_PREFIX);
    assert_eq!(artifact.deployable[..4], [0xEF, 0xF0, 0x00, 0x00]);
    assert_eq!(artifact.compressed_len(), artifact.deployable.len());
    assert_eq!(artifact.brotli(), &artifact.deployable[4..]);
    assert_eq!(artifact.deployable, compress(&artifact.normalized));
    assert_eq!(
        decompress(&artifact.deployable).unwrap(),
        artifact.normalized
    );

    validate(&artifact.normalized).unwrap();
    check_no_floats(&artifact.normalized).unwrap();
    artifact.check_limits(&Limits::default()).unwrap();
    assert!(artifact.percent_of(MAX_DEPLOYABLE_SIZE) < 5.0);
}

#[test]
fn processing_is_deterministic_and_idempotent() {
    let raw = wat("counter.wat");
    let a = process(&raw).unwrap();
    let b = process(&raw).unwrap();
    assert_eq!(a, b);
    let again = process(&a.normalized).unwrap();
    assert_eq!(again.normalized, a.normalized);
    assert_eq!(again.deployable, a.deployable);
}

#[test]
fn float_instruction_is_reported_with_function_index_and_name() {
    let raw = wat("floats.wat");
    let err = check_no_floats(&raw).expect_err("f64 must be rejected");
    let Error::Float(found) = &err else {
        panic!("expected a float error, got {err}")
    };
    // The first float instruction of function 2 (`halve`): the import is function 0.
    assert_eq!(
        found.site,
        FloatSite::Operator {
            func: 2,
            name: Some("halve".into()),
            operator: "F64ConvertI32S".into(),
        }
    );
    assert!(found.offset.is_some());
    let message = err.to_string();
    assert!(message.contains("function 2 (`halve`)"), "{message}");
    assert!(message.contains("F64ConvertI32S"), "{message}");

    // `process` refuses it too, and without a name section the index still locates it.
    assert!(matches!(process(&raw), Err(Error::Float(_))));
    let (stripped, _) = strip_custom_sections(&raw).unwrap();
    match check_no_floats(&stripped) {
        Err(Error::Float(f)) => assert!(matches!(
            f.site,
            FloatSite::Operator {
                func: 2,
                name: None,
                ..
            }
        )),
        other => panic!("{other:?}"),
    }
}

#[test]
fn every_kind_of_float_use_is_caught() {
    type Expect = fn(&FloatSite) -> bool;
    let cases: &[(&str, Expect)] = &[
        // f64.add itself, after integer code.
        (
            "(module (func (param i32) (result i32) local.get 0 drop
               f64.const 1 f64.const 2 f64.add drop i32.const 0))",
            |s| matches!(s, FloatSite::Operator { func: 0, operator, .. } if operator.starts_with("F64Const")),
        ),
        // A saturating truncation is a float instruction too.
        (
            "(module (func (param i64) (result i32) i32.const 0
               f32.reinterpret_i32 i32.trunc_sat_f32_s))",
            |s| matches!(s, FloatSite::Operator { operator, .. } if operator == "F32ReinterpretI32"),
        ),
        // A float load.
        (
            "(module (memory 1) (func i32.const 0 f32.load drop))",
            |s| matches!(s, FloatSite::Operator { operator, .. } if operator.starts_with("F32Load")),
        ),
        // A float-typed select.
        (
            "(module (func (param f64 f64 i32) (result f64) local.get 0 local.get 1 local.get 2
               select (result f64)))",
            |s| matches!(s, FloatSite::Operator { operator, .. } if operator.contains("F64")),
        ),
        // A float local nobody touches.
        ("(module (func (local f32)))", |s| {
            matches!(
                s,
                FloatSite::Local {
                    func: 0,
                    ty: "f32",
                    ..
                }
            )
        }),
        // An unused function type with an f64 parameter.
        (
            "(module (type (func (param f64))))",
            |s| matches!(s, FloatSite::Type { index: 0, signature } if signature == "(f64) -> ()"),
        ),
        // A float global.
        ("(module (global f64 (f64.const 0)))", |s| {
            matches!(
                s,
                FloatSite::Global {
                    index: 0,
                    ty: "f64"
                }
            )
        }),
        // An imported float global.
        (
            r#"(module (import "env" "g" (global f32)))"#,
            |s| matches!(s, FloatSite::Import { module, field } if module == "env" && field == "g"),
        ),
    ];
    for (text, expected) in cases {
        let wasm = wat::parse_str(text).unwrap();
        match check_no_floats(&wasm) {
            Err(Error::Float(found)) => assert!(expected(&found.site), "{text}: {found:?}"),
            other => panic!("{text}: expected a float error, got {other:?}"),
        }
    }
    // Integer-only code passes.
    let ok = wat::parse_str("(module (func (param i64) (result i32) local.get 0 i32.wrap_i64))");
    check_no_floats(&ok.unwrap()).unwrap();
}

#[test]
fn features_stylus_rejects_are_reported() {
    for text in [
        // multi-value (rejected since ArbOS 60)
        "(module (func (result i32 i32) i32.const 1 i32.const 2))",
        // reference types
        "(module (table 1 funcref) (func (result funcref) i32.const 0 table.get 0))",
        // tail calls
        "(module (func $f (return_call $f)))",
        // threads
        "(module (memory 1 1 shared) (func (result i32) i32.const 0 i32.atomic.load))",
        // several memories
        "(module (memory 1) (memory 1))",
    ] {
        let wasm = wat::parse_str(text).unwrap();
        match process(&wasm) {
            Err(Error::NotStylusCompatible(message)) => assert!(!message.is_empty()),
            other => panic!("{text}: expected NotStylusCompatible, got {other:?}"),
        }
    }
    // Bulk memory (memory.copy/fill, on by default in Rust 1.87+) is fine.
    let bulk = wat::parse_str(
        "(module (memory 1) (func i32.const 0 i32.const 1 i32.const 2 memory.copy
           i32.const 0 i32.const 0 i32.const 8 memory.fill))",
    );
    process(&bulk.unwrap()).unwrap();
}

#[test]
fn garbage_is_not_wasm() {
    assert!(matches!(process(b"not wasm"), Err(Error::InvalidWasm(_))));
    assert!(matches!(process(&[]), Err(Error::InvalidWasm(_))));
}

/// A module whose only content is a data segment of `len` bytes from `byte(i)`.
fn module_with_data(len: usize, byte: impl Fn(usize) -> u8) -> Vec<u8> {
    let mut text = String::from("(module (memory 4) (data (i32.const 0) \"");
    for i in 0..len {
        text.push_str(&format!("\\{:02x}", byte(i)));
    }
    text.push_str("\"))");
    wat::parse_str(text).unwrap()
}

#[test]
fn deployable_size_limit() {
    // ~30 KB of xorshift noise does not compress below 24,576 bytes.
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let noise: Vec<u8> = (0..30_000)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 32) as u8
        })
        .collect();
    let artifact = process(&module_with_data(noise.len(), |i| noise[i])).unwrap();
    assert!(artifact.compressed_len() > MAX_DEPLOYABLE_SIZE);
    let err = artifact.check_limits(&Limits::default()).unwrap_err();
    match err {
        Error::TooLarge {
            kind: SizeKind::Deployable,
            size,
            limit: MAX_DEPLOYABLE_SIZE,
        } => assert_eq!(size, artifact.compressed_len()),
        ref other => panic!("{other:?}"),
    }
    let message = err.to_string();
    assert!(
        message.contains(&artifact.compressed_len().to_string()),
        "{message}"
    );
    assert!(message.contains("24576"), "{message}");

    // Exactly at the limit is fine; one byte over is not.
    let small = process(&wat("counter.wat")).unwrap();
    let at = Limits {
        max_deployable: small.compressed_len(),
        ..Limits::default()
    };
    small.check_limits(&at).unwrap();
    let over = Limits {
        max_deployable: small.compressed_len() - 1,
        ..Limits::default()
    };
    assert!(matches!(
        small.check_limits(&over),
        Err(Error::TooLarge {
            kind: SizeKind::Deployable,
            ..
        })
    ));
}

#[test]
fn decompressed_size_limit() {
    // 140,000 equal bytes: a tiny brotli stream, but over 128 KiB of Wasm. (Not zeros: the
    // pipeline leaves those to the zeroed memory.)
    let artifact = process(&module_with_data(140_000, |_| 7)).unwrap();
    assert!(artifact.compressed_len() < 1_000);
    assert!(artifact.normalized_len() > MAX_DECOMPRESSED_SIZE);
    match artifact.check_limits(&Limits::default()) {
        Err(Error::TooLarge {
            kind: SizeKind::Decompressed,
            size,
            limit: MAX_DECOMPRESSED_SIZE,
        }) => assert_eq!(size, artifact.normalized_len()),
        other => panic!("{other:?}"),
    }
    // Decompression is bounded like Nitro's.
    assert!(matches!(
        decompress(&artifact.deployable),
        Err(Error::DecompressedTooLarge {
            limit: MAX_DECOMPRESSED_SIZE
        })
    ));
    let big = decompress_with_limit(&artifact.deployable, 256 * 1024).unwrap();
    assert_eq!(big, artifact.normalized);
}

#[test]
fn decompress_checks_prefix_and_stream() {
    let artifact = process(&wat("counter.wat")).unwrap();

    assert!(matches!(decompress(&[]), Err(Error::NotStylusProgram)));
    assert!(matches!(
        decompress(&[0xEF, 0xF0, 0x00]),
        Err(Error::NotStylusProgram)
    ));
    assert!(matches!(
        decompress(b"\0asm\x01\0\0\0"),
        Err(Error::NotStylusProgram)
    ));

    let mut with_dictionary = artifact.deployable.clone();
    with_dictionary[3] = 0x01;
    assert!(matches!(
        decompress(&with_dictionary),
        Err(Error::UnsupportedDictionary(1))
    ));

    let truncated = &artifact.deployable[..artifact.deployable.len() / 2];
    assert!(matches!(decompress(truncated), Err(Error::Decompress(_))));
}

#[test]
fn write_outputs() {
    let artifact = process(&wat("counter.wat")).unwrap();
    let dir =
        std::env::temp_dir().join(format!("yellowstone-artifact-test-{}", std::process::id()));
    let paths = artifact.write(dir.join("nested"), "counter").unwrap();
    assert_eq!(paths.wasm, dir.join("nested/counter.wasm"));
    assert_eq!(paths.deployable, dir.join("nested/counter.br"));
    assert_eq!(std::fs::read(&paths.wasm).unwrap(), artifact.normalized);
    assert_eq!(
        std::fs::read(&paths.deployable).unwrap(),
        artifact.deployable
    );
    // Overwriting is fine.
    artifact.write(dir.join("nested"), "counter").unwrap();
    let leftovers: Vec<_> = std::fs::read_dir(dir.join("nested")).unwrap().collect();
    assert_eq!(leftovers.len(), 2, "no temporary files left behind");
    std::fs::remove_dir_all(dir).unwrap();
}
