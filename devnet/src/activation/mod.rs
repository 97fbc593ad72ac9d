//! Stylus program activation: the checks Nitro runs when `ArbWasm.activateProgram` is called,
//! mirrored so that a program the devnet accepts is one Arbitrum would accept.
//!
//! [`activate`] takes a contract's code as stored at its address (`EF F0 00 <dictionary>` then a
//! brotli stream), decompresses it with the artifact pipeline's bounded decompressor and hands the
//! Wasm to [`check_module`], which validates it and returns what an executor needs
//! ([`ModuleInfo`]).
//!
//! # Sources
//!
//! The rules were read from Nitro's sources (OffchainLabs/nitro, snapshot of 2026-04-23):
//!
//! * `crates/prover/src/binary.rs`: `parse_with_version` (the Wasm feature set, import kinds,
//!   inconsistent imports, exports shadowing imports, the reserved `stylus` prefix) and
//!   `WasmBinary::parse_user` / `instrument` (page limit, count limits, name lengths, start
//!   function, the `user_entrypoint` export and its type);
//! * `crates/prover/src/programs/mod.rs` (`memory_info`: exactly one memory, exported as
//!   `memory`), `programs/start.rs` (no start function), `programs/heap.rs` (128-page bound; a
//!   growable memory needs the `pay_for_memory_grow` import), `programs/config.rs`
//!   (`heap_bound = 128` pages);
//! * `crates/prover/src/machine.rs` (`from_binary`: imports resolve only against the user host
//!   functions with exact signatures; data and element segments must fit; funcref tables) and
//!   `crates/prover/src/wavm.rs` (`wasm_to_wavm`: float arithmetic has no implementation for user
//!   programs; `memory.init`, `data.drop` and every table instruction are refused);
//! * `crates/prover/src/programs/meter.rs` (`pricing_v1`: float `const`/`load`/`store` and the
//!   reinterpretations are priced at `u64::MAX` ink, i.e. they pass activation but any basic
//!   block containing one runs out of ink when executed);
//! * `crates/wasm-libraries/forward/lib.rs` (`HOSTIOS`: the 42 `vm_hooks` functions a user
//!   program may import, with their Wasm signatures) cross-checked against the `extern "C"`
//!   block of `stylus-sdk` 0.10.10's `hostio.rs` ([`HOSTIOS`]).
//!
//! # Not mirrored
//!
//! * Nitro's compression dictionary `0x01` (the Stylus program dictionary) is recognised but
//!   refused ([`ActivationError::UnsupportedDictionary`]): this crate decompresses without a
//!   dictionary only. Fragmented ("root"/"fragment") programs are refused as not Stylus.
//! * Nitro's depth checker limit on a function's worst-case frame size (10 Ki words) is not
//!   computed; the 348-locals limit is.
//! * Activation gas is predicted here ([`ModuleInfo::activation_gas`]) and charged by ArbWasm.
//! * Debug-only host modules (`console`) are refused, as on a non-debug chain.
//!
//! # Layout
//!
//! One private submodule per phase of [`check_module`], in Nitro's order: `validate`, `parser`
//! (`parse_with_version`), `instrument`, `limits` (`parse_user`) and `builder` (`from_binary`,
//! `wasm_to_wavm`), then `costs`. `sections` reads the module once for all of them, `hostio`
//! holds the host function table and `error` the error type.

mod builder;
mod costs;
mod error;
mod hostio;
mod instrument;
mod limits;
mod parser;
mod sections;
mod validate;

pub use costs::{
    activation_gas, asm_estimate, entry_costs, ActivationShape, INSTRUMENTATION_GLOBALS,
};
pub use error::ActivationError;
pub use hostio::{hostio_by_name, HostType, Hostio, HOSTIOS};
pub use limits::{
    Count, MAX_DATA_SEGMENTS, MAX_ELEMENT_ENTRIES, MAX_ELEMENT_SEGMENTS, MAX_EXPORTS,
    MAX_FUNCTIONS, MAX_GLOBALS, MAX_IMPORTS, MAX_LOCALS, MAX_NAME_LEN, MAX_OPCODES,
    MAX_TABLE_ENTRIES,
};
pub use validate::{nitro_features, Feature};

use yellowstone_artifact::{MAX_DECOMPRESSED_SIZE, MAX_DEPLOYABLE_SIZE};

/// The three bytes every classic Stylus program's code starts with, before the dictionary byte.
pub const STYLUS_MAGIC: [u8; 3] = [0xEF, 0xF0, 0x00];

/// Dictionary byte `0x00`: the brotli stream uses no dictionary. The only one supported here.
pub const DICTIONARY_NONE: u8 = 0x00;

/// Dictionary byte `0x01`: Nitro's built-in Stylus program dictionary. Known, but not
/// supported by this crate.
pub const DICTIONARY_STYLUS_PROGRAM: u8 = 0x01;

/// Name of the function export Nitro calls: `user_entrypoint`, of type `(i32) -> i32`.
pub const ENTRYPOINT: &str = "user_entrypoint";

/// The only module user programs may import from.
pub const HOST_MODULE: &str = "vm_hooks";

/// Name the single memory must be exported under.
pub const MEMORY_EXPORT: &str = "memory";

/// Largest initial memory, in 64 KiB pages (Nitro's `heap_bound` and `PageLimit`: 128 pages,
/// 8 MiB; [`StylusParams::page_limit`](crate::stylus::ink::StylusParams::page_limit)).
pub const MAX_PAGES: u64 = crate::stylus::ink::STYLUS_PARAMS.page_limit as u64;

/// Names starting with this are reserved for Nitro's instrumentation: no import may have such
/// a name, and no export may end in a `__`-separated segment starting with it.
pub const RESERVED_PREFIX: &str = "stylus";

/// An activated program: the validated Wasm and what an executor needs to run it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Program {
    /// The decompressed, validated Wasm module.
    pub wasm: Vec<u8>,
    /// Size of the code it came from, prefix included, in bytes.
    pub compressed_len: usize,
    /// What [`check_module`] found.
    pub info: ModuleInfo,
}

/// One imported host function, as found by [`check_module`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedHostio {
    /// Its index in the module's function index space (imports come first).
    pub func_index: u32,
    /// The host function (its name and signature).
    pub hostio: &'static Hostio,
}

/// What an executor needs to know about a validated module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleInfo {
    /// Initial size of the memory, in 64 KiB pages (at most [`MAX_PAGES`]). Nitro calls it the
    /// program's footprint.
    pub memory_initial_pages: u16,
    /// Declared maximum size of the memory in pages, if any.
    pub memory_max_pages: Option<u64>,
    /// Function index of `user_entrypoint` (imports included in the numbering).
    pub entrypoint: u32,
    /// Every import, in order; all are `vm_hooks` functions.
    pub imports: Vec<ImportedHostio>,
    /// Number of functions defined by the module (imports excluded).
    pub defined_functions: u32,
    /// Number of float `const`/`load`/`store`/reinterpret instructions. Nitro lets them pass
    /// activation but prices each at `u64::MAX` ink, so executing a basic block that contains
    /// one runs the program out of ink. An executor should do the same.
    pub unmeterable_float_ops: u32,
    /// The module name from the `name` section, if any.
    pub module_name: Option<String>,
    /// Nitro's predicted cost of loading the program when it is not cached, in gas before
    /// `InitCostScalar` (see [`entry_costs`]).
    pub init_cost: u16,
    /// Nitro's predicted cost of entering a cached program, in gas before `CachedCostScalar`.
    pub cached_init_cost: u16,
    /// Nitro's estimate of the compiled program's size, in bytes ([`asm_estimate`]).
    pub asm_estimate: u32,
    /// The gas activating the module burns ([`activation_gas`]).
    pub activation_gas: u64,
}

/// Activates deployed contract code (`EF F0 00 <dictionary>` then brotli), as
/// `ArbWasm.activateProgram` does: checks the prefix and dictionary byte, the compressed size
/// (prefix included, at most [`MAX_DEPLOYABLE_SIZE`]), decompresses with a bound of
/// [`MAX_DECOMPRESSED_SIZE`], then runs [`check_module`].
///
/// # Errors
///
/// The first rule the code breaks, as an [`ActivationError`].
pub fn activate(code: &[u8]) -> Result<Program, ActivationError> {
    let Some((prefix, _)) = code.split_first_chunk::<4>() else {
        return Err(ActivationError::NotStylusProgram {
            prefix: code.to_vec(),
        });
    };
    if prefix[..3] != STYLUS_MAGIC {
        return Err(ActivationError::NotStylusProgram {
            prefix: prefix.to_vec(),
        });
    }
    if prefix[3] != DICTIONARY_NONE {
        return Err(ActivationError::UnsupportedDictionary(prefix[3]));
    }
    if code.len() > MAX_DEPLOYABLE_SIZE {
        return Err(ActivationError::CompressedTooLarge {
            size: code.len(),
            limit: MAX_DEPLOYABLE_SIZE,
        });
    }
    let wasm =
        yellowstone_artifact::decompress_with_limit(code, MAX_DECOMPRESSED_SIZE).map_err(|e| {
            match e {
                yellowstone_artifact::Error::DecompressedTooLarge { limit } => {
                    ActivationError::DecompressedTooLarge { limit }
                }
                yellowstone_artifact::Error::UnsupportedDictionary(d) => {
                    ActivationError::UnsupportedDictionary(d)
                }
                yellowstone_artifact::Error::NotStylusProgram => {
                    ActivationError::NotStylusProgram {
                        prefix: prefix.to_vec(),
                    }
                }
                other => ActivationError::Decompress(other.to_string()),
            }
        })?;
    let info = check_module(&wasm)?;
    Ok(Program {
        wasm,
        compressed_len: code.len(),
        info,
    })
}

/// Checks an already-decompressed Wasm module against every activation rule Nitro applies to
/// user programs, and returns what an executor needs.
///
/// Order: validation with Nitro's feature set; import kinds, inconsistent imports, exports
/// shadowing imports and reserved names (Nitro's parser); start function, memory and its page
/// limit, growth import and entrypoint (Nitro's instrumentation); count limits and name lengths
/// (Nitro's `parse_user`); host function resolution, instructions, data and element segments
/// (Nitro's module builder); the entry costs.
///
/// # Errors
///
/// The first rule the module breaks, as an [`ActivationError`].
pub fn check_module(wasm: &[u8]) -> Result<ModuleInfo, ActivationError> {
    validate::validate(wasm)?;
    let p = sections::parse(wasm).map_err(|e| ActivationError::InvalidWasm(e.to_string()))?;
    let func_imports = parser::check(&p)?;
    let (memory, entrypoint) = instrument::check(&p, &func_imports)?;
    limits::check(&p, &func_imports)?;
    let (imports, unmeterable_float_ops) = builder::check(&p, &func_imports, memory)?;
    let predicted = costs::check(&p, wasm.len(), memory)?;
    Ok(ModuleInfo {
        init_cost: predicted.init_cost,
        cached_init_cost: predicted.cached_init_cost,
        asm_estimate: predicted.asm_estimate,
        activation_gas: predicted.activation_gas,
        memory_initial_pages: memory.initial as u16,
        memory_max_pages: memory.maximum,
        entrypoint,
        imports,
        defined_functions: p.bodies.len() as u32,
        unmeterable_float_ops,
        module_name: p.module_name,
    })
}
