//! Validation with Nitro's Wasm feature set, the first activation step: a module that needs a
//! proposal Nitro leaves off is refused naming that proposal ([`Feature`]).

use std::fmt;

use wasmparser::{Parser, Payload, TypeRef, Validator, WasmFeatures};

use super::ActivationError;

/// A Wasm proposal Nitro's validator leaves off for user programs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Feature {
    /// Reference types (also needed by the overlong `call_indirect` table index that Rust 1.82+
    /// emits before normalisation).
    ReferenceTypes,
    /// Fixed-width SIMD (`v128`).
    Simd,
    /// Relaxed SIMD.
    RelaxedSimd,
    /// Threads: shared memories and atomics.
    Threads,
    /// Tail calls (`return_call`, `return_call_indirect`).
    TailCall,
    /// Multi-value: more than one result, or block types with parameters (off since ArbOS 60).
    MultiValue,
    /// 64-bit memories.
    Memory64,
    /// Exception handling.
    Exceptions,
    /// Extended constant expressions.
    ExtendedConst,
    /// Typed function references.
    FunctionReferences,
    /// Garbage collection.
    Gc,
}

impl Feature {
    fn flags(self) -> WasmFeatures {
        match self {
            Feature::ReferenceTypes => WasmFeatures::REFERENCE_TYPES,
            Feature::Simd => WasmFeatures::SIMD,
            Feature::RelaxedSimd => WasmFeatures::RELAXED_SIMD | WasmFeatures::SIMD,
            Feature::Threads => WasmFeatures::THREADS,
            Feature::TailCall => WasmFeatures::TAIL_CALL,
            Feature::MultiValue => WasmFeatures::MULTI_VALUE,
            Feature::Memory64 => WasmFeatures::MEMORY64,
            Feature::Exceptions => WasmFeatures::EXCEPTIONS,
            Feature::ExtendedConst => WasmFeatures::EXTENDED_CONST,
            Feature::FunctionReferences => {
                WasmFeatures::FUNCTION_REFERENCES | WasmFeatures::REFERENCE_TYPES
            }
            Feature::Gc => {
                WasmFeatures::GC | WasmFeatures::FUNCTION_REFERENCES | WasmFeatures::REFERENCE_TYPES
            }
        }
    }

    const ALL: [Feature; 11] = [
        Feature::ReferenceTypes,
        Feature::Simd,
        Feature::RelaxedSimd,
        Feature::Threads,
        Feature::TailCall,
        Feature::MultiValue,
        Feature::Memory64,
        Feature::Exceptions,
        Feature::ExtendedConst,
        Feature::FunctionReferences,
        Feature::Gc,
    ];
}

impl fmt::Display for Feature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Feature::ReferenceTypes => "reference types",
            Feature::Simd => "SIMD",
            Feature::RelaxedSimd => "relaxed SIMD",
            Feature::Threads => "threads",
            Feature::TailCall => "tail calls",
            Feature::MultiValue => "multi-value",
            Feature::Memory64 => "memory64",
            Feature::Exceptions => "exception handling",
            Feature::ExtendedConst => "extended constant expressions",
            Feature::FunctionReferences => "typed function references",
            Feature::Gc => "garbage collection",
        })
    }
}

/// The Wasm features Nitro enables for user programs at ArbOS 60 and later
/// (`parse_with_version` in `crates/prover/src/binary.rs`).
pub fn nitro_features() -> WasmFeatures {
    WasmFeatures::MUTABLE_GLOBAL
        | WasmFeatures::SATURATING_FLOAT_TO_INT
        | WasmFeatures::SIGN_EXTENSION
        | WasmFeatures::BULK_MEMORY
        | WasmFeatures::FLOATS
        | WasmFeatures::GC_TYPES
}

fn validates(wasm: &[u8], features: WasmFeatures) -> bool {
    Validator::new_with_features(features)
        .validate_all(wasm)
        .is_ok()
}

/// Validates with Nitro's features; on failure, names the disabled proposal the module needs.
pub(super) fn validate(wasm: &[u8]) -> Result<(), ActivationError> {
    let base = nitro_features();
    let Err(err) = Validator::new_with_features(base).validate_all(wasm) else {
        return Ok(());
    };
    let message = err.to_string();
    let multi_memory = |wasm: &[u8]| -> ActivationError {
        ActivationError::MemoryCount {
            count: count_memories(wasm),
        }
    };
    // One proposal alone makes it valid?
    if validates(wasm, base | WasmFeatures::MULTI_MEMORY) {
        return Err(multi_memory(wasm));
    }
    for feature in Feature::ALL {
        if validates(wasm, base | feature.flags()) {
            return Err(ActivationError::UnsupportedFeature { feature, message });
        }
    }
    // Several: find the first one the module cannot do without.
    let all = Feature::ALL
        .iter()
        .fold(base | WasmFeatures::MULTI_MEMORY, |acc, f| acc | f.flags());
    if validates(wasm, all) {
        if !validates(wasm, all.difference(WasmFeatures::MULTI_MEMORY)) {
            return Err(multi_memory(wasm));
        }
        for feature in Feature::ALL {
            let without = Feature::ALL
                .iter()
                .filter(|f| **f != feature)
                .fold(base | WasmFeatures::MULTI_MEMORY, |acc, f| acc | f.flags());
            if !validates(wasm, without) {
                return Err(ActivationError::UnsupportedFeature { feature, message });
            }
        }
    }
    Err(ActivationError::InvalidWasm(message))
}

fn count_memories(wasm: &[u8]) -> u32 {
    let mut count = 0;
    for payload in Parser::new(0).parse_all(wasm).flatten() {
        match payload {
            Payload::ImportSection(reader) => {
                count += reader
                    .into_imports()
                    .flatten()
                    .filter(|i| matches!(i.ty, TypeRef::Memory(_)))
                    .count() as u32;
            }
            Payload::MemorySection(reader) => count += reader.count(),
            _ => {}
        }
    }
    count
}
