//! The byte-level steps: normalise, validate, strip, compress, decompress.

use std::io::Read;

use wasmparser::{Parser, Payload, Validator, WasmFeatures};

use crate::{Error, Result, BROTLI_LGWIN, BROTLI_QUALITY, STYLUS_PREFIX};

/// Re-encodes a Wasm module through its text form (`wasmprinter`, then `wat`), as `cargo stylus`
/// does before deploying.
///
/// The result is the same module in canonical encoding. This matters because Rust 1.82+ (with
/// the `reference-types` target feature on by default) encodes the table index of every
/// `call_indirect` as an overlong, 5-byte LEB128 (`80 80 80 80 00`): a module that validates
/// only with reference types (or wasmparser's `call_indirect_overlong`) enabled, which Nitro's
/// validator does not enable. The text form has no encoding, so writing it back yields the
/// one-byte `00` table index, and minimal LEB128s everywhere else (the linker pads relocated
/// indices to 5 bytes), which also makes the module smaller.
///
/// Custom sections survive the round trip (names become `$identifiers` and come back as a
/// `name` section); strip them afterwards with [`strip_custom_sections`].
///
/// # Errors
///
/// [`Error::InvalidWasm`] if the input is not a valid module even with every Wasm feature on,
/// [`Error::Normalize`] if either conversion fails.
pub fn normalize(raw: &[u8]) -> Result<Vec<u8>> {
    Validator::new_with_features(WasmFeatures::default())
        .validate_all(raw)
        .map_err(|e| Error::InvalidWasm(e.to_string()))?;
    let text = wasmprinter::print_bytes(raw)
        .map_err(|e| Error::Normalize(format!("binary -> text: {e:#}")))?;
    wat::parse_str(&text).map_err(|e| Error::Normalize(format!("text -> binary: {e}")))
}

/// The Wasm features Nitro enables when it validates a user (Stylus) program, ArbOS 60 and
/// later (`parse_with_version` in Nitro's prover):
///
/// * on: mutable globals, sign extension, non-trapping float-to-int, bulk memory, and the
///   MVP's `funcref` table (wasmparser's `gc_types`, which Nitro also sets);
/// * off: reference types (including the overlong `call_indirect` encoding), multi-value
///   (off since ArbOS 60), SIMD, relaxed SIMD, threads, tail calls, exceptions, multiple
///   memories, memory64, extended constants, function references, GC, the component model,
///   and every later proposal.
///
/// Floats are on here, as in Nitro: this crate's own rule against floats is enforced, with a
/// precise location, by [`crate::check_no_floats`].
pub(crate) fn stylus_features() -> WasmFeatures {
    WasmFeatures::MUTABLE_GLOBAL
        | WasmFeatures::SATURATING_FLOAT_TO_INT
        | WasmFeatures::SIGN_EXTENSION
        | WasmFeatures::BULK_MEMORY
        | WasmFeatures::FLOATS
        | WasmFeatures::GC_TYPES
}

/// Validates a module with the feature set Nitro uses for Stylus programs (see the crate
/// documentation): no reference types, no overlong `call_indirect`, no SIMD, threads, tail
/// calls or multi-value.
///
/// Run it on normalised Wasm ([`normalize`]): raw `rustc` output fails it because of the overlong
/// `call_indirect` encoding. It does not reject floats; [`crate::check_no_floats`] does.
///
/// # Errors
///
/// [`Error::NotStylusCompatible`] with wasmparser's message and offset.
pub fn validate(wasm: &[u8]) -> Result<()> {
    Validator::new_with_features(stylus_features())
        .validate_all(wasm)
        .map(drop)
        .map_err(|e| Error::NotStylusCompatible(e.to_string()))
}

/// Removes every custom section (`name`, `producers`, `target_features`, DWARF, ...) and keeps
/// every other section byte for byte, as `cargo stylus` does to keep build metadata (paths,
/// toolchain, names) out of the deployed code. Returns the new module and the names of the
/// removed sections, in order.
///
/// # Errors
///
/// [`Error::InvalidWasm`] if the module cannot be parsed, is a component, or has a section with
/// an unknown id.
pub fn strip_custom_sections(wasm: &[u8]) -> Result<(Vec<u8>, Vec<String>)> {
    let invalid = |e: wasmparser::BinaryReaderError| Error::InvalidWasm(e.to_string());
    let mut module = wasm_encoder::Module::new();
    let mut removed = Vec::new();
    for payload in Parser::new(0).parse_all(wasm) {
        match payload.map_err(invalid)? {
            Payload::Version { encoding, .. } if encoding != wasmparser::Encoding::Module => {
                return Err(Error::InvalidWasm("a component, not a core module".into()));
            }
            Payload::CustomSection(reader) => removed.push(reader.name().to_string()),
            Payload::UnknownSection { id, .. } => {
                return Err(Error::InvalidWasm(format!("unknown section id {id}")));
            }
            other => copy_section(&mut module, wasm, &other)?,
        }
    }
    Ok((module.finish(), removed))
}

/// Copies `payload`'s section, byte for byte, from `wasm` into `module` (nothing for payloads
/// that are not sections, such as the header or the end).
pub(crate) fn copy_section(
    module: &mut wasm_encoder::Module,
    wasm: &[u8],
    payload: &Payload<'_>,
) -> Result<()> {
    if let Some((id, range)) = payload.as_section() {
        let range = usize::try_from(range.start).unwrap_or(usize::MAX)
            ..usize::try_from(range.end).unwrap_or(usize::MAX);
        let data = wasm
            .get(range)
            .ok_or_else(|| Error::InvalidWasm(format!("section {id} runs past the end")))?;
        module.section(&wasm_encoder::RawSection { id, data });
    }
    Ok(())
}

/// Compresses a Wasm module into deployable code: [`STYLUS_PREFIX`] followed by the brotli
/// stream (quality [`BROTLI_QUALITY`] = 11, window 2^[`BROTLI_LGWIN`] = 2^22, generic mode, no
/// dictionary), with the pure-Rust `brotli` crate.
///
/// These are exactly `cargo stylus`'s parameters (`brotli2`'s defaults at quality 11: window
/// 22, generic mode, automatic block size), but brotli does not fix one encoding per input:
/// `cargo stylus` runs the C library `brotli2` bundles (brotli 0.6.0), whose stream differs
/// slightly from this encoder's (typically by a few tenths of a percent of its size). So the
/// deployable bytes, and the code hash, can differ from `cargo stylus`'s; the decompressed
/// Wasm, which is what Nitro validates and runs, is identical.
pub fn compress(wasm: &[u8]) -> Vec<u8> {
    let params = brotli::enc::BrotliEncoderParams {
        quality: BROTLI_QUALITY as i32,
        lgwin: BROTLI_LGWIN as i32,
        mode: brotli::enc::backward_references::BrotliEncoderMode::BROTLI_MODE_GENERIC,
        ..Default::default()
    };
    let mut out = Vec::with_capacity(STYLUS_PREFIX.len() + wasm.len() / 2);
    out.extend_from_slice(&STYLUS_PREFIX);
    let mut input = wasm;
    // Reading from a slice and writing to a Vec cannot fail.
    brotli::BrotliCompress(&mut input, &mut out, &params).expect("in-memory brotli compression");
    out
}

/// Turns deployable code back into the Wasm module, as Nitro does on activation: checks the
/// `EF F0 00` prefix and the dictionary byte (only `00`, no dictionary, is supported), then
/// decompresses with output bounded by [`crate::MAX_DECOMPRESSED_SIZE`].
///
/// # Errors
///
/// [`Error::NotStylusProgram`], [`Error::UnsupportedDictionary`], [`Error::Decompress`], or
/// [`Error::DecompressedTooLarge`] if the output would exceed the bound.
pub fn decompress(deployable: &[u8]) -> Result<Vec<u8>> {
    decompress_with_limit(deployable, crate::MAX_DECOMPRESSED_SIZE)
}

/// [`decompress`] with a chosen bound on the output size, in bytes (a chain's `MaxWasmSize`
/// may differ from the default 128 KiB).
///
/// # Errors
///
/// As [`decompress`].
pub fn decompress_with_limit(deployable: &[u8], max_size: usize) -> Result<Vec<u8>> {
    let Some((prefix, stream)) = deployable.split_first_chunk::<4>() else {
        return Err(Error::NotStylusProgram);
    };
    if prefix[..3] != STYLUS_PREFIX[..3] {
        return Err(Error::NotStylusProgram);
    }
    if prefix[3] != STYLUS_PREFIX[3] {
        return Err(Error::UnsupportedDictionary(prefix[3]));
    }
    let mut out = Vec::new();
    let bound = u64::try_from(max_size)
        .unwrap_or(u64::MAX)
        .saturating_add(1);
    brotli::Decompressor::new(stream, 4096)
        .take(bound)
        .read_to_end(&mut out)
        .map_err(Error::Decompress)?;
    if out.len() > max_size {
        return Err(Error::DecompressedTooLarge { limit: max_size });
    }
    Ok(out)
}
