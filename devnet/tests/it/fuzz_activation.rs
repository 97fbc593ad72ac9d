//! Bad input (issue 7): property-based fuzzing of the Wasm activation checks, [`activate`] on
//! deployable code and [`check_module`] on a decompressed module. Whatever the bytes, each
//! returns `Ok` or an [`ActivationError`] whose message is non-empty: never a panic or a hang.
//!
//! Inputs are arbitrary byte strings (bare, behind the `EF F0 00 00` prefix, brotli-compressed
//! behind it, and behind a Wasm header) and random mutations of the real compute contract
//! (`target/stylus/yellowstone_compute.br`; those properties are skipped with a note when it
//! has not been built, as in `tests/it/activation.rs`).
//!
//! Each property runs a bounded number of cases so the file stays fast in CI (see the
//! `cases` arguments below). For a longer run set `PROPTEST_CASES`, which replaces every
//! property's count, for example
//! `PROPTEST_CASES=20000 cargo test -p yellowstone-devnet --release --test it fuzz_activation::`.

use std::path::PathBuf;
use std::sync::OnceLock;

use proptest::prelude::*;
use yellowstone_artifact::{compress, decompress};
use yellowstone_devnet::activation::{activate, check_module, ActivationError};

use crate::common::config;

/// The deployable code's prefix: `EF F0 00` and dictionary byte `00`.
const PREFIX: [u8; 4] = [0xEF, 0xF0, 0x00, 0x00];
/// A Wasm module header: magic and version 1.
const WASM_HEADER: [u8; 8] = *b"\0asm\x01\0\0\0";

fn clear(result: Result<impl Sized, ActivationError>) {
    if let Err(e) = result {
        assert!(!e.to_string().is_empty(), "empty message for {e:?}");
    }
}

fn bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..max)
}

/// The real compute contract's decompressed Wasm, or `None` (with a note) when not built.
fn compute_wasm() -> Option<&'static [u8]> {
    static WASM: OnceLock<Option<Vec<u8>>> = OnceLock::new();
    WASM.get_or_init(|| {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join("target/stylus/yellowstone_compute.br");
        match std::fs::read(&path) {
            Ok(code) => Some(decompress(&code).expect("the built compute artifact decompresses")),
            Err(_) => {
                eprintln!(
                    "SKIPPED: {} not found (build it with `yellowstone build-contract`; CI does)",
                    path.display()
                );
                None
            }
        }
    })
    .as_deref()
}

/// Byte edits to apply to a module: (position, new byte) pairs, positions taken modulo length.
fn edits(max: usize) -> impl Strategy<Value = Vec<(usize, u8)>> {
    prop::collection::vec((any::<usize>(), any::<u8>()), 1..max)
}

fn mutate(wasm: &[u8], edits: &[(usize, u8)]) -> Vec<u8> {
    let mut out = wasm.to_vec();
    for &(i, b) in edits {
        let len = out.len();
        out[i % len] = b;
    }
    out
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn activate_any_bytes(code in bytes(256)) {
        clear(activate(&code));
    }

    #[test]
    fn activate_any_bytes_behind_the_prefix(body in bytes(1024), dictionary in prop_oneof![Just(0u8), any::<u8>()]) {
        let mut code = PREFIX.to_vec();
        code[3] = dictionary;
        code.extend_from_slice(&body);
        clear(activate(&code));
    }

    #[test]
    fn activate_any_bytes_behind_a_wrong_prefix(prefix in bytes(5), body in bytes(64)) {
        let mut code = prefix;
        code.extend_from_slice(&body);
        let result = activate(&code);
        if !code.starts_with(&PREFIX[..3]) {
            prop_assert!(
                matches!(result, Err(ActivationError::NotStylusProgram { .. })),
                "expected NotStylusProgram"
            );
        }
        clear(result);
    }

    #[test]
    fn check_module_any_bytes(wasm in bytes(1024)) {
        clear(check_module(&wasm));
    }

    #[test]
    fn check_module_any_bytes_behind_a_wasm_header(body in bytes(1024)) {
        let mut wasm = WASM_HEADER.to_vec();
        wasm.extend_from_slice(&body);
        clear(check_module(&wasm));
    }

    /// Section-shaped garbage: a valid header and a run of (id, length, payload) sections, so
    /// the checks get past the framing more often than with raw bytes.
    #[test]
    fn check_module_and_activate_section_shaped_garbage(
        sections in prop::collection::vec((0u8..14, bytes(48)), 0..8),
    ) {
        let mut wasm = WASM_HEADER.to_vec();
        for (id, payload) in &sections {
            wasm.push(*id);
            wasm.push(payload.len() as u8); // below 128: a one-byte LEB128
            wasm.extend_from_slice(payload);
        }
        clear(check_module(&wasm));
        clear(activate(&compress(&wasm)));
    }
}

proptest! {
    #![proptest_config(config(64))]

    #[test]
    fn activate_compressed_garbage(wasm in bytes(2048), header in any::<bool>()) {
        let mut wasm = wasm;
        if header {
            wasm.splice(0..0, WASM_HEADER);
        }
        clear(activate(&compress(&wasm)));
    }

    /// The real contract with a few bytes replaced, checked as Wasm.
    #[test]
    fn check_module_mutated_compute_contract(edits in edits(8)) {
        let Some(wasm) = compute_wasm() else { return Ok(()); };
        clear(check_module(&mutate(wasm, &edits)));
    }

    /// The real contract cut short or with a byte run inserted.
    #[test]
    fn check_module_truncated_or_spliced_compute_contract(
        at in any::<usize>(),
        insert in bytes(16),
    ) {
        let Some(wasm) = compute_wasm() else { return Ok(()); };
        let at = at % wasm.len();
        clear(check_module(&wasm[..at]));
        let mut spliced = wasm.to_vec();
        spliced.splice(at..at, insert);
        clear(check_module(&spliced));
    }

    /// The real contract's deployable code with bytes of its brotli stream replaced.
    #[test]
    fn activate_mutated_compressed_compute_contract(edits in edits(8)) {
        let Some(wasm) = compute_wasm() else { return Ok(()); };
        static CODE: OnceLock<Vec<u8>> = OnceLock::new();
        let code = CODE.get_or_init(|| compress(wasm));
        // Keep the prefix: the stream is what is being fuzzed here.
        let mut mutated = code.clone();
        for &(i, b) in &edits {
            mutated[PREFIX.len() + i % (code.len() - PREFIX.len())] = b;
        }
        clear(activate(&mutated));
    }
}

proptest! {
    // Recompressing the whole contract is the slow step; a few cases here, many above.
    #![proptest_config(config(8))]

    /// The real contract with a few bytes replaced, recompressed and activated end to end.
    #[test]
    fn activate_mutated_compute_contract(edits in edits(8)) {
        let Some(wasm) = compute_wasm() else { return Ok(()); };
        clear(activate(&compress(&mutate(wasm, &edits))));
    }
}
