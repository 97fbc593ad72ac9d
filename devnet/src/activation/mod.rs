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
//! * Activation gas is not charged here.
//! * Debug-only host modules (`console`) are refused, as on a non-debug chain.

use std::collections::{HashMap, HashSet};
use std::fmt;

use wasmparser::{
    DataKind, ElementItems, ElementKind, ExternalKind, FuncType, Name, NameSectionReader, Operator,
    Parser, Payload, TypeRef, ValType, Validator, WasmFeatures,
};
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
/// 8 MiB).
pub const MAX_PAGES: u64 = 128;

/// Largest number of defined functions (Nitro: 4096).
pub const MAX_FUNCTIONS: u64 = 4096;
/// Largest number of exports (Nitro: 1024).
pub const MAX_EXPORTS: u64 = 1024;
/// Largest number of data segments (Nitro: 128).
pub const MAX_DATA_SEGMENTS: u64 = 128;
/// Largest number of element segments (Nitro: 128).
pub const MAX_ELEMENT_SEGMENTS: u64 = 128;
/// Largest number of globals (Nitro: 32768).
pub const MAX_GLOBALS: u64 = 32_768;
/// Largest number of declared locals in one function, parameters excluded (Nitro: 348).
pub const MAX_LOCALS: u64 = 348;
/// Largest number of operators in one function body, the final `end` included (Nitro: 65536).
pub const MAX_OPCODES: u64 = 65_536;
/// Largest number of imports (Nitro: 513, since ArbOS's Stylus charging fixes).
pub const MAX_IMPORTS: u64 = 513;
/// Largest sum of the tables' initial sizes (Nitro: 4096).
pub const MAX_TABLE_ENTRIES: u64 = 4096;
/// Largest sum of the element segments' sizes (Nitro: 4096; Nitro measures each segment by the
/// length of its encoding in bytes, which this crate mirrors).
pub const MAX_ELEMENT_ENTRIES: u64 = 4096;
/// Longest export name and module name (from the `name` section), in bytes (Nitro: 512).
pub const MAX_NAME_LEN: usize = 512;
/// Names starting with this are reserved for Nitro's instrumentation: no import may have such
/// a name, and no export may end in a `__`-separated segment starting with it.
pub const RESERVED_PREFIX: &str = "stylus";

/// A Wasm value type that appears in a host function signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HostType {
    /// `i32`: Rust's `u8`, `u16`, `u32`, `bool`, `usize` and pointers on `wasm32`.
    I32,
    /// `i64`: Rust's `u64`.
    I64,
}

impl fmt::Display for HostType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            HostType::I32 => "i32",
            HostType::I64 => "i64",
        })
    }
}

/// One host function of the `vm_hooks` module.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Hostio {
    /// The import name, e.g. `read_args`.
    pub name: &'static str,
    /// Parameter types.
    pub params: &'static [HostType],
    /// Result types (empty or one).
    pub results: &'static [HostType],
    /// Whether `stylus-sdk` 0.10 declares it (34 of the 42 do; Nitro also offers `exit_early`,
    /// the `transient_*` and `math_*` functions).
    pub in_sdk: bool,
}

impl Hostio {
    /// The signature, formatted as `(i32, i32) -> (i32)`.
    pub fn signature(&self) -> String {
        format_signature(self.params, self.results)
    }
}

fn format_signature(params: &[HostType], results: &[HostType]) -> String {
    let list = |t: &[HostType]| {
        t.iter()
            .map(|t| t.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!("({}) -> ({})", list(params), list(results))
}

const fn hostio(
    name: &'static str,
    params: &'static [HostType],
    results: &'static [HostType],
    in_sdk: bool,
) -> Hostio {
    Hostio {
        name,
        params,
        results,
        in_sdk,
    }
}

use HostType::{I32, I64};

/// Every function a user program may import from `vm_hooks`, with its Wasm signature, in
/// Nitro's order (`HOSTIOS` in `crates/wasm-libraries/forward/lib.rs`). The signatures agree with
/// `stylus-sdk` 0.10.10's `hostio.rs` (`usize`, pointers, `bool`, `u8`, `u16` and `u32` are
/// `i32` on `wasm32`; `u64` is `i64`) for the 34 it declares ([`Hostio::in_sdk`]).
pub const HOSTIOS: [Hostio; 42] = [
    hostio("read_args", &[I32], &[], true),
    hostio("write_result", &[I32, I32], &[], true),
    hostio("exit_early", &[I32], &[], false),
    hostio("storage_load_bytes32", &[I32, I32], &[], true),
    hostio("storage_cache_bytes32", &[I32, I32], &[], true),
    hostio("storage_flush_cache", &[I32], &[], true),
    hostio("transient_load_bytes32", &[I32, I32], &[], false),
    hostio("transient_store_bytes32", &[I32, I32], &[], false),
    hostio(
        "call_contract",
        &[I32, I32, I32, I32, I64, I32],
        &[I32],
        true,
    ),
    hostio(
        "delegate_call_contract",
        &[I32, I32, I32, I64, I32],
        &[I32],
        true,
    ),
    hostio(
        "static_call_contract",
        &[I32, I32, I32, I64, I32],
        &[I32],
        true,
    ),
    hostio("create1", &[I32, I32, I32, I32, I32], &[], true),
    hostio("create2", &[I32, I32, I32, I32, I32, I32], &[], true),
    hostio("read_return_data", &[I32, I32, I32], &[I32], true),
    hostio("return_data_size", &[], &[I32], true),
    hostio("emit_log", &[I32, I32, I32], &[], true),
    hostio("account_balance", &[I32, I32], &[], true),
    hostio("account_code", &[I32, I32, I32, I32], &[I32], true),
    hostio("account_code_size", &[I32], &[I32], true),
    hostio("account_codehash", &[I32, I32], &[], true),
    hostio("evm_gas_left", &[], &[I64], true),
    hostio("evm_ink_left", &[], &[I64], true),
    hostio("block_basefee", &[I32], &[], true),
    hostio("chainid", &[], &[I64], true),
    hostio("block_coinbase", &[I32], &[], true),
    hostio("block_gas_limit", &[], &[I64], true),
    hostio("block_number", &[], &[I64], true),
    hostio("block_timestamp", &[], &[I64], true),
    hostio("contract_address", &[I32], &[], true),
    hostio("math_div", &[I32, I32], &[], false),
    hostio("math_mod", &[I32, I32], &[], false),
    hostio("math_pow", &[I32, I32], &[], false),
    hostio("math_add_mod", &[I32, I32, I32], &[], false),
    hostio("math_mul_mod", &[I32, I32, I32], &[], false),
    hostio("msg_reentrant", &[], &[I32], true),
    hostio("msg_sender", &[I32], &[], true),
    hostio("msg_value", &[I32], &[], true),
    hostio("native_keccak256", &[I32, I32, I32], &[], true),
    hostio("tx_gas_price", &[I32], &[], true),
    hostio("tx_ink_price", &[], &[I32], true),
    hostio("tx_origin", &[I32], &[], true),
    hostio("pay_for_memory_grow", &[I32], &[], true),
];

/// Looks a `vm_hooks` function up by name in [`HOSTIOS`].
pub fn hostio_by_name(name: &str) -> Option<&'static Hostio> {
    HOSTIOS.iter().find(|h| h.name == name)
}

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
}

/// What Nitro predicts the program costs to enter, from its shape, at activation
/// (`WasmBinary::parse_user` in `crates/prover/src/binary.rs`, program version 2, where the
/// cached cost is no longer part of the init cost). Returns `(init_cost, cached_init_cost)`.
///
/// `globals` counts the module's own; Nitro's instrumentation adds three (ink left, ink
/// status, depth left) before counting. `data_len` is the bytes of data segments plus the
/// entries of element segments.
pub fn entry_costs(
    funcs: u64,
    type_len: u64,
    wasm_len: u64,
    globals: u64,
    data_len: u64,
    footprint: u16,
) -> (u64, u64) {
    let globals = globals.saturating_add(3);
    let mut cached: u64 = 0;
    cached = cached.saturating_add(funcs.saturating_mul(13_420) / 100_000);
    cached = cached.saturating_add(type_len.saturating_mul(89) / 100_000);
    cached = cached.saturating_add(wasm_len.saturating_mul(122) / 100_000);
    cached = cached.saturating_add(globals.saturating_mul(1_628) / 1_000);
    cached = cached.saturating_add(data_len.saturating_mul(75_244) / 100_000);
    cached = cached.saturating_add(u64::from(footprint) * 5);
    let mut init: u64 = 0;
    init = init.saturating_add(funcs.saturating_mul(8_252) / 1_000);
    init = init.saturating_add(type_len.saturating_mul(1_059) / 1_000);
    init = init.saturating_add(wasm_len.saturating_mul(1_286) / 10_000);
    (init, cached)
}

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

/// A counted quantity Nitro bounds; see [`ActivationError::TooMany`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Count {
    /// Defined functions ([`MAX_FUNCTIONS`]).
    Functions,
    /// Exports ([`MAX_EXPORTS`]).
    Exports,
    /// Data segments ([`MAX_DATA_SEGMENTS`]).
    DataSegments,
    /// Element segments ([`MAX_ELEMENT_SEGMENTS`]).
    ElementSegments,
    /// Globals ([`MAX_GLOBALS`]).
    Globals,
    /// Declared locals of one function ([`MAX_LOCALS`]).
    Locals,
    /// Operators in one function body ([`MAX_OPCODES`]).
    Opcodes,
    /// Imports ([`MAX_IMPORTS`]).
    Imports,
    /// Sum of the tables' initial sizes ([`MAX_TABLE_ENTRIES`]).
    TableEntries,
    /// Sum of the element segments' encoded sizes ([`MAX_ELEMENT_ENTRIES`]).
    ElementEntries,
}

impl fmt::Display for Count {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Count::Functions => "functions",
            Count::Exports => "exports",
            Count::DataSegments => "data segments",
            Count::ElementSegments => "element segments",
            Count::Globals => "globals",
            Count::Locals => "locals",
            Count::Opcodes => "opcodes",
            Count::Imports => "imports",
            Count::TableEntries => "table entries",
            Count::ElementEntries => "element entries (bytes of element segments)",
        })
    }
}

/// Why a program fails activation. Each variant is one rule; its message names the rule and
/// the offending value.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ActivationError {
    /// The code does not start with `EF F0 00` followed by a dictionary byte.
    NotStylusProgram {
        /// Up to the first four bytes of the code.
        prefix: Vec<u8>,
    },
    /// The dictionary byte is not `00`. `01` (Nitro's Stylus program dictionary) is valid on
    /// Arbitrum but not supported here; any other value is unknown to Nitro too.
    UnsupportedDictionary(u8),
    /// The code, prefix included, is longer than [`MAX_DEPLOYABLE_SIZE`].
    CompressedTooLarge {
        /// Its size in bytes.
        size: usize,
        /// The limit in bytes.
        limit: usize,
    },
    /// The brotli stream is corrupt.
    Decompress(String),
    /// The brotli stream inflates beyond [`MAX_DECOMPRESSED_SIZE`].
    DecompressedTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The module uses a Wasm proposal Nitro does not enable for user programs.
    UnsupportedFeature {
        /// The proposal.
        feature: Feature,
        /// The validator's message.
        message: String,
    },
    /// The module is not valid Wasm (for a reason other than a disabled proposal).
    InvalidWasm(String),
    /// An import is not a function.
    ImportNotFunction {
        /// Import module.
        module: String,
        /// Import name.
        name: String,
        /// What it imports instead (`memory`, `table`, `global`, ...).
        kind: &'static str,
    },
    /// The same module and name are imported twice with different type indices.
    InconsistentImport {
        /// Import module.
        module: String,
        /// Import name.
        name: String,
    },
    /// An export's last `__`-separated segment equals an import's name.
    ExportShadowsImport {
        /// The import name.
        name: String,
    },
    /// An import name, or an export name's last `__` segment, starts with `stylus`.
    ReservedName {
        /// `"import"` or `"export"`.
        kind: &'static str,
        /// The offending name (for exports, the segment).
        name: String,
    },
    /// The module has a start function.
    StartFunction {
        /// Its function index.
        func: u32,
    },
    /// The module has no memory.
    NoMemory,
    /// The module has more than one memory.
    MemoryCount {
        /// How many.
        count: u32,
    },
    /// The memory is not exported as `memory`.
    MemoryNotExported,
    /// The initial memory exceeds [`MAX_PAGES`].
    MemoryTooLarge {
        /// Initial pages.
        pages: u64,
        /// The limit in pages.
        limit: u64,
    },
    /// The memory can grow (its maximum is not its initial size) but `vm_hooks`
    /// `pay_for_memory_grow` is not imported.
    MissingPayForMemoryGrow,
    /// No export named `user_entrypoint`.
    MissingEntrypoint,
    /// `user_entrypoint` is exported but is not a function.
    EntrypointNotFunction {
        /// What it is (`memory`, `global`, ...).
        kind: &'static str,
    },
    /// `user_entrypoint` does not have type `(i32) -> (i32)`.
    EntrypointSignature {
        /// Its type.
        found: String,
    },
    /// A count limit is exceeded.
    TooMany {
        /// What is counted.
        what: Count,
        /// For per-function limits, the function index.
        func: Option<u32>,
        /// The count.
        count: u64,
        /// The limit.
        limit: u64,
    },
    /// An export name or the module name is longer than [`MAX_NAME_LEN`].
    NameTooLong {
        /// `"export name"` or `"module name"`.
        kind: &'static str,
        /// The name.
        name: String,
        /// The limit in bytes.
        limit: usize,
    },
    /// An import from a module other than `vm_hooks`.
    ImportModule {
        /// Import module.
        module: String,
        /// Import name.
        name: String,
    },
    /// A `vm_hooks` import that is not a known host function.
    UnknownHostio {
        /// Import name.
        name: String,
    },
    /// A `vm_hooks` import whose type differs from the host function's.
    HostioSignature {
        /// Import name.
        name: String,
        /// The host function's type.
        expected: String,
        /// The import's type.
        found: String,
    },
    /// Float arithmetic, comparison or conversion (Nitro has no implementation for user
    /// programs).
    FloatArithmetic {
        /// Function index.
        func: u32,
        /// The instruction, e.g. `F64Add`.
        operator: String,
    },
    /// A table instruction (`table.get`/`set`/`size`/`grow`/`fill`/`copy`/`init`, `elem.drop`).
    TableOperator {
        /// Function index.
        func: u32,
        /// The instruction.
        operator: String,
    },
    /// `memory.init` or `data.drop`.
    PassiveDataOperator {
        /// Function index.
        func: u32,
        /// The instruction.
        operator: String,
    },
    /// Another instruction Nitro does not support that validation let through.
    UnsupportedOperator {
        /// Function index.
        func: u32,
        /// The instruction.
        operator: String,
    },
    /// A global's initialiser is not a single constant.
    NonConstantGlobal {
        /// Global index.
        index: u32,
    },
    /// An active data segment does not fit in the initial memory, or its offset is not an
    /// `i32.const`.
    DataSegmentOutOfBounds {
        /// Segment index.
        index: u32,
        /// Its offset, if constant.
        offset: Option<u32>,
        /// Its length in bytes.
        len: usize,
        /// The initial memory size in bytes.
        memory: u64,
    },
    /// An active element segment does not fit in its table, its offset is not an `i32.const`,
    /// or it is not a list of function indices.
    ElementSegmentInvalid {
        /// Segment index.
        index: u32,
        /// What is wrong.
        reason: String,
    },
    /// Nitro's predicted entry cost does not fit its 16-bit field (`init cost too high`).
    CostTooHigh {
        /// Which cost: `init` or `cached`.
        what: &'static str,
        /// The predicted cost.
        cost: u64,
    },
}

impl fmt::Display for ActivationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use ActivationError as E;
        match self {
            E::NotStylusProgram { prefix } => write!(
                f,
                "not a Stylus program: code must start with EF F0 00 <dictionary>, found {}",
                hex(prefix)
            ),
            E::UnsupportedDictionary(DICTIONARY_STYLUS_PROGRAM) => f.write_str(
                "compression dictionary 0x01 (Nitro's Stylus program dictionary) is not \
                 supported here; compress without a dictionary (prefix EF F0 00 00)",
            ),
            E::UnsupportedDictionary(d) => write!(
                f,
                "unknown compression dictionary byte 0x{d:02x} (0x00 = none is supported)"
            ),
            E::CompressedTooLarge { size, limit } => write!(
                f,
                "compressed program is {size} bytes, over the {limit}-byte limit (prefix included)"
            ),
            E::Decompress(msg) => write!(f, "brotli decompression failed: {msg}"),
            E::DecompressedTooLarge { limit } => {
                write!(f, "decompressed program is over the {limit}-byte limit")
            }
            E::UnsupportedFeature { feature, message } => write!(
                f,
                "Wasm feature not allowed in Stylus programs: {feature} ({message})"
            ),
            E::InvalidWasm(msg) => write!(f, "invalid Wasm: {msg}"),
            E::CostTooHigh { what, cost } => write!(
                f,
                "{what} cost too high: the program's predicted {what} cost {cost} does not fit \
                 in 16 bits (at most 65535)"
            ),
            E::ImportNotFunction { module, name, kind } => write!(
                f,
                "only function imports are allowed: {module}.{name} imports a {kind}"
            ),
            E::InconsistentImport { module, name } => write!(
                f,
                "{module}.{name} is imported more than once with different types"
            ),
            E::ExportShadowsImport { name } => {
                write!(f, "an export has the same name as the import {name}")
            }
            E::ReservedName { kind, name } => write!(
                f,
                "{kind} name {name:?} uses the reserved prefix {RESERVED_PREFIX:?}"
            ),
            E::StartFunction { func } => {
                write!(
                    f,
                    "start functions are not allowed (start is function {func})"
                )
            }
            E::NoMemory => f.write_str("the program has no memory (exactly one is required)"),
            E::MemoryCount { count } => write!(
                f,
                "the program has {count} memories (exactly one is required)"
            ),
            E::MemoryNotExported => write!(f, "the memory must be exported as {MEMORY_EXPORT:?}"),
            E::MemoryTooLarge { pages, limit } => write!(
                f,
                "initial memory is {pages} pages, over the {limit}-page limit"
            ),
            E::MissingPayForMemoryGrow => write!(
                f,
                "the memory can grow but {HOST_MODULE}.pay_for_memory_grow is not imported"
            ),
            E::MissingEntrypoint => write!(f, "missing export {ENTRYPOINT:?}"),
            E::EntrypointNotFunction { kind } => write!(
                f,
                "export {ENTRYPOINT:?} must be a function but is a {kind}"
            ),
            E::EntrypointSignature { found } => write!(
                f,
                "export {ENTRYPOINT:?} must have type (i32) -> (i32) but has {found}"
            ),
            E::TooMany {
                what,
                func: Some(func),
                count,
                limit,
            } => write!(
                f,
                "too many {what} in function {func}: {count}, over the limit of {limit}"
            ),
            E::TooMany {
                what,
                func: None,
                count,
                limit,
            } => write!(f, "too many {what}: {count}, over the limit of {limit}"),
            E::NameTooLong { kind, name, limit } => write!(
                f,
                "{kind} is {} bytes, over the {limit}-byte limit: {:?}",
                name.len(),
                truncate(name, 40)
            ),
            E::ImportModule { module, name } => write!(
                f,
                "import {module}.{name}: imports are only allowed from {HOST_MODULE:?}"
            ),
            E::UnknownHostio { name } => {
                write!(f, "unknown host function {HOST_MODULE}.{name}")
            }
            E::HostioSignature {
                name,
                expected,
                found,
            } => write!(
                f,
                "import {HOST_MODULE}.{name} has type {found}, expected {expected}"
            ),
            E::FloatArithmetic { func, operator } => write!(
                f,
                "float arithmetic is not allowed: {operator} in function {func}"
            ),
            E::TableOperator { func, operator } => write!(
                f,
                "table instructions are not allowed: {operator} in function {func}"
            ),
            E::PassiveDataOperator { func, operator } => write!(
                f,
                "memory.init and data.drop are not allowed: {operator} in function {func}"
            ),
            E::UnsupportedOperator { func, operator } => {
                write!(f, "unsupported instruction {operator} in function {func}")
            }
            E::NonConstantGlobal { index } => {
                write!(f, "global {index} has a non-constant initialiser")
            }
            E::DataSegmentOutOfBounds {
                index,
                offset: Some(offset),
                len,
                memory,
            } => write!(
                f,
                "data segment {index} ({len} bytes at offset {offset}) does not fit in the \
                 {memory}-byte initial memory"
            ),
            E::DataSegmentOutOfBounds { index, .. } => {
                write!(f, "data segment {index} has a non-constant offset")
            }
            E::ElementSegmentInvalid { index, reason } => {
                write!(f, "element segment {index}: {reason}")
            }
        }
    }
}

impl std::error::Error for ActivationError {}

fn hex(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        return "no bytes".into();
    }
    bytes
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn truncate(s: &str, n: usize) -> String {
    match s.char_indices().nth(n) {
        Some((i, _)) => format!("{}...", &s[..i]),
        None => s.to_string(),
    }
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
fn validate(wasm: &[u8]) -> Result<(), ActivationError> {
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

fn kind_name(kind: ExternalKind) -> &'static str {
    match kind {
        ExternalKind::Func => "function",
        ExternalKind::FuncExact => "function",
        ExternalKind::Table => "table",
        ExternalKind::Memory => "memory",
        ExternalKind::Global => "global",
        ExternalKind::Tag => "tag",
    }
}

fn type_ref_name(ty: &TypeRef) -> &'static str {
    match ty {
        TypeRef::Func(_) | TypeRef::FuncExact(_) => "function",
        TypeRef::Table(_) => "table",
        TypeRef::Memory(_) => "memory",
        TypeRef::Global(_) => "global",
        TypeRef::Tag(_) => "tag",
    }
}

fn to_host_types(types: &[ValType]) -> Option<Vec<HostType>> {
    types
        .iter()
        .map(|t| match t {
            ValType::I32 => Some(HostType::I32),
            ValType::I64 => Some(HostType::I64),
            _ => None,
        })
        .collect()
}

fn func_type_string(ty: &FuncType) -> String {
    let list = |t: &[ValType]| {
        t.iter()
            .map(|t| t.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!("({}) -> ({})", list(ty.params()), list(ty.results()))
}

/// Resolves a `vm_hooks` import by name and checks its type against [`HOSTIOS`].
fn check_hostio_type(
    name: &str,
    ty: u32,
    types: &[FuncType],
) -> Result<&'static Hostio, ActivationError> {
    let hostio = hostio_by_name(name).ok_or_else(|| ActivationError::UnknownHostio {
        name: name.to_string(),
    })?;
    let have = types
        .get(ty as usize)
        .ok_or_else(|| ActivationError::InvalidWasm(format!("import {name} has no type")))?;
    let matches = to_host_types(have.params()).as_deref() == Some(hostio.params)
        && to_host_types(have.results()).as_deref() == Some(hostio.results);
    if !matches {
        return Err(ActivationError::HostioSignature {
            name: name.to_string(),
            expected: hostio.signature(),
            found: func_type_string(have),
        });
    }
    Ok(hostio)
}

fn operator_name(op: &Operator) -> String {
    let debug = format!("{op:?}");
    debug
        .split([' ', '{', '('])
        .next()
        .unwrap_or_default()
        .to_string()
}

/// How Nitro treats an instruction that validation accepts.
enum OpClass {
    Ok,
    /// Passes activation, costs `u64::MAX` ink.
    UnmeterableFloat,
    FloatArithmetic,
    Table,
    PassiveData,
    Unsupported,
}

fn classify(op: &Operator) -> OpClass {
    use Operator::*;
    match op {
        F32Load { .. }
        | F64Load { .. }
        | F32Store { .. }
        | F64Store { .. }
        | F32Const { .. }
        | F64Const { .. }
        | I32ReinterpretF32
        | I64ReinterpretF64
        | F32ReinterpretI32
        | F64ReinterpretI64 => OpClass::UnmeterableFloat,
        F32Eq | F32Ne | F32Lt | F32Gt | F32Le | F32Ge | F64Eq | F64Ne | F64Lt | F64Gt | F64Le
        | F64Ge | F32Abs | F32Neg | F32Ceil | F32Floor | F32Trunc | F32Nearest | F32Sqrt
        | F32Add | F32Sub | F32Mul | F32Div | F32Min | F32Max | F32Copysign | F64Abs | F64Neg
        | F64Ceil | F64Floor | F64Trunc | F64Nearest | F64Sqrt | F64Add | F64Sub | F64Mul
        | F64Div | F64Min | F64Max | F64Copysign | I32TruncF32S | I32TruncF32U | I32TruncF64S
        | I32TruncF64U | I64TruncF32S | I64TruncF32U | I64TruncF64S | I64TruncF64U
        | F32ConvertI32S | F32ConvertI32U | F32ConvertI64S | F32ConvertI64U | F32DemoteF64
        | F64ConvertI32S | F64ConvertI32U | F64ConvertI64S | F64ConvertI64U | F64PromoteF32
        | I32TruncSatF32S | I32TruncSatF32U | I32TruncSatF64S | I32TruncSatF64U
        | I64TruncSatF32S | I64TruncSatF32U | I64TruncSatF64S | I64TruncSatF64U => {
            OpClass::FloatArithmetic
        }
        TableInit { .. }
        | ElemDrop { .. }
        | TableCopy { .. }
        | TableFill { .. }
        | TableGet { .. }
        | TableSet { .. }
        | TableGrow { .. }
        | TableSize { .. } => OpClass::Table,
        MemoryInit { .. } | DataDrop { .. } => OpClass::PassiveData,
        MemoryFill { mem } if *mem != 0 => OpClass::Unsupported,
        MemoryCopy { src_mem, dst_mem } if *src_mem != 0 || *dst_mem != 0 => OpClass::Unsupported,
        MemoryDiscard { .. }
        | TypedSelect { .. }
        | RefNull { .. }
        | RefIsNull
        | RefFunc { .. }
        | ReturnCall { .. }
        | ReturnCallIndirect { .. } => OpClass::Unsupported,
        _ => OpClass::Ok,
    }
}

fn const_i32(expr: &wasmparser::ConstExpr) -> Option<u32> {
    let mut ops = expr.get_operators_reader();
    match (ops.read().ok()?, ops.read().ok()?, ops.eof()) {
        (Operator::I32Const { value }, Operator::End, true) => Some(value as u32),
        _ => None,
    }
}

struct Parsed<'a> {
    types: Vec<FuncType>,
    imports: Vec<wasmparser::Import<'a>>,
    functions: Vec<u32>,
    tables: Vec<u64>,
    memories: Vec<wasmparser::MemoryType>,
    globals: u64,
    non_constant_global: Option<u32>,
    exports: Vec<wasmparser::Export<'a>>,
    start: Option<u32>,
    elements: Vec<wasmparser::Element<'a>>,
    datas: Vec<wasmparser::Data<'a>>,
    bodies: Vec<wasmparser::FunctionBody<'a>>,
    module_name: Option<String>,
}

fn parse(wasm: &[u8]) -> Result<Parsed<'_>, wasmparser::BinaryReaderError> {
    let mut p = Parsed {
        types: Vec::new(),
        imports: Vec::new(),
        functions: Vec::new(),
        tables: Vec::new(),
        memories: Vec::new(),
        globals: 0,
        non_constant_global: None,
        exports: Vec::new(),
        start: None,
        elements: Vec::new(),
        datas: Vec::new(),
        bodies: Vec::new(),
        module_name: None,
    };
    for payload in Parser::new(0).parse_all(wasm) {
        match payload? {
            Payload::TypeSection(reader) => {
                for ty in reader.into_iter_err_on_gc_types() {
                    p.types.push(ty?);
                }
            }
            Payload::ImportSection(reader) => {
                for import in reader.into_imports() {
                    p.imports.push(import?);
                }
            }
            Payload::FunctionSection(reader) => {
                for f in reader {
                    p.functions.push(f?);
                }
            }
            Payload::TableSection(reader) => {
                for t in reader {
                    p.tables.push(t?.ty.initial);
                }
            }
            Payload::MemorySection(reader) => {
                for m in reader {
                    p.memories.push(m?);
                }
            }
            Payload::GlobalSection(reader) => {
                for g in reader {
                    let g = g?;
                    let mut ops = g.init_expr.get_operators_reader();
                    let constant = matches!(
                        (ops.read()?, ops.read()?, ops.eof()),
                        (
                            Operator::I32Const { .. }
                                | Operator::I64Const { .. }
                                | Operator::F32Const { .. }
                                | Operator::F64Const { .. },
                            Operator::End,
                            true
                        )
                    );
                    if !constant && p.non_constant_global.is_none() {
                        p.non_constant_global = Some(p.globals as u32);
                    }
                    p.globals += 1;
                }
            }
            Payload::ExportSection(reader) => {
                for e in reader {
                    p.exports.push(e?);
                }
            }
            Payload::StartSection { func, .. } => p.start = Some(func),
            Payload::ElementSection(reader) => {
                for e in reader {
                    p.elements.push(e?);
                }
            }
            Payload::DataSection(reader) => {
                for d in reader {
                    p.datas.push(d?);
                }
            }
            Payload::CodeSectionEntry(body) => p.bodies.push(body),
            Payload::CustomSection(reader) if reader.name() == "name" => {
                let names = NameSectionReader::new(wasmparser::BinaryReader::new(
                    reader.data(),
                    reader.data_offset(),
                ));
                for name in names {
                    if let Name::Module { name, .. } = name? {
                        p.module_name = Some(name.to_string());
                    }
                }
            }
            _ => {}
        }
    }
    Ok(p)
}

/// Checks an already-decompressed Wasm module against every activation rule Nitro applies to
/// user programs, and returns what an executor needs.
///
/// Order: validation with Nitro's feature set; import kinds, inconsistent imports, exports
/// shadowing imports and reserved names (Nitro's parser); start function, memory, growth import
/// and entrypoint (Nitro's instrumentation); page and count limits and name lengths (Nitro's
/// `parse_user`); host function resolution, instructions, data and element segments (Nitro's
/// module builder).
///
/// # Errors
///
/// The first rule the module breaks, as an [`ActivationError`].
pub fn check_module(wasm: &[u8]) -> Result<ModuleInfo, ActivationError> {
    validate(wasm)?;
    let p = parse(wasm).map_err(|e| ActivationError::InvalidWasm(e.to_string()))?;
    // Nitro's parser requires single-constant global initialisers (unreachable once validated
    // without extended constants or reference types, kept as a backstop).
    if let Some(index) = p.non_constant_global {
        return Err(ActivationError::NonConstantGlobal { index });
    }

    // --- Nitro's parser (`parse_with_version`) ---
    let mut func_imports: Vec<(&str, &str, u32)> = Vec::new();
    for import in &p.imports {
        match import.ty {
            TypeRef::Func(ty) => func_imports.push((import.module, import.name, ty)),
            ref other => {
                return Err(ActivationError::ImportNotFunction {
                    module: import.module.to_string(),
                    name: import.name.to_string(),
                    kind: type_ref_name(other),
                })
            }
        }
    }
    let mut seen: HashMap<(&str, &str), u32> = HashMap::new();
    for &(module, name, ty) in &func_imports {
        if let Some(prior) = seen.insert((module, name), ty) {
            if prior != ty {
                return Err(ActivationError::InconsistentImport {
                    module: module.to_string(),
                    name: name.to_string(),
                });
            }
        }
    }
    let export_segments: HashSet<&str> = p
        .exports
        .iter()
        .filter_map(|e| e.name.rsplit("__").next())
        .collect();
    for &(_, name, _) in &func_imports {
        if export_segments.contains(name) {
            return Err(ActivationError::ExportShadowsImport {
                name: name.to_string(),
            });
        }
    }
    let reserved = |name: &str| name.starts_with(RESERVED_PREFIX);
    // Nitro iterates a hash set for exports; report the smallest for determinism.
    let mut reserved_exports: Vec<&str> = export_segments
        .iter()
        .copied()
        .filter(|n| reserved(n))
        .collect();
    reserved_exports.sort_unstable();
    if let Some(name) = reserved_exports.first() {
        return Err(ActivationError::ReservedName {
            kind: "export",
            name: name.to_string(),
        });
    }
    if let Some(&(_, name, _)) = func_imports.iter().find(|(_, n, _)| reserved(n)) {
        return Err(ActivationError::ReservedName {
            kind: "import",
            name: name.to_string(),
        });
    }

    // --- Nitro's instrumentation (`instrument`: start mover, heap bound, entrypoint) ---
    if let Some(func) = p.start {
        return Err(ActivationError::StartFunction { func });
    }
    let memory = match p.memories.len() {
        0 => return Err(ActivationError::NoMemory),
        1 => p.memories[0],
        n => return Err(ActivationError::MemoryCount { count: n as u32 }),
    };
    let memory_export = p.exports.iter().find(|e| e.name == MEMORY_EXPORT);
    if !matches!(memory_export, Some(e) if e.kind == ExternalKind::Memory && e.index == 0) {
        return Err(ActivationError::MemoryNotExported);
    }
    if memory.initial > MAX_PAGES {
        return Err(ActivationError::MemoryTooLarge {
            pages: memory.initial,
            limit: MAX_PAGES,
        });
    }
    if memory.maximum != Some(memory.initial) {
        // Nitro's heap bound looks the import up and checks its type here, before the
        // entrypoint; other imports are resolved later.
        let Some(&(_, name, ty)) = func_imports
            .iter()
            .find(|&&(m, n, _)| m == HOST_MODULE && n == "pay_for_memory_grow")
        else {
            return Err(ActivationError::MissingPayForMemoryGrow);
        };
        check_hostio_type(name, ty, &p.types)?;
    }
    let func_type = |index: u32| -> Option<&FuncType> {
        let index = index as usize;
        let ty = if index < func_imports.len() {
            func_imports[index].2
        } else {
            *p.functions.get(index - func_imports.len())?
        };
        p.types.get(ty as usize)
    };
    let entry = p
        .exports
        .iter()
        .find(|e| e.name == ENTRYPOINT)
        .ok_or(ActivationError::MissingEntrypoint)?;
    if entry.kind != ExternalKind::Func {
        return Err(ActivationError::EntrypointNotFunction {
            kind: kind_name(entry.kind),
        });
    }
    let entry_ty = func_type(entry.index)
        .ok_or_else(|| ActivationError::InvalidWasm("entrypoint has no type".into()))?;
    if entry_ty.params() != [ValType::I32] || entry_ty.results() != [ValType::I32] {
        return Err(ActivationError::EntrypointSignature {
            found: func_type_string(entry_ty),
        });
    }

    // --- Nitro's `parse_user` limits ---
    let too_many = |what, func, count: u64, limit: u64| -> Result<(), ActivationError> {
        if count > limit {
            Err(ActivationError::TooMany {
                what,
                func,
                count,
                limit,
            })
        } else {
            Ok(())
        }
    };
    too_many(
        Count::DataSegments,
        None,
        p.datas.len() as u64,
        MAX_DATA_SEGMENTS,
    )?;
    too_many(
        Count::ElementSegments,
        None,
        p.elements.len() as u64,
        MAX_ELEMENT_SEGMENTS,
    )?;
    too_many(Count::Exports, None, p.exports.len() as u64, MAX_EXPORTS)?;
    too_many(Count::Functions, None, p.bodies.len() as u64, MAX_FUNCTIONS)?;
    too_many(Count::Globals, None, p.globals, MAX_GLOBALS)?;
    let first_defined = func_imports.len() as u32;
    for (i, body) in p.bodies.iter().enumerate() {
        let func = Some(first_defined + i as u32);
        let mut locals: u64 = 0;
        let mut reader = body
            .get_locals_reader()
            .map_err(|e| ActivationError::InvalidWasm(e.to_string()))?;
        for _ in 0..reader.get_count() {
            let (count, _) = reader
                .read()
                .map_err(|e| ActivationError::InvalidWasm(e.to_string()))?;
            locals += u64::from(count);
        }
        too_many(Count::Locals, func, locals, MAX_LOCALS)?;
        let mut ops = body
            .get_operators_reader()
            .map_err(|e| ActivationError::InvalidWasm(e.to_string()))?;
        let mut n: u64 = 0;
        while !ops.eof() {
            ops.read()
                .map_err(|e| ActivationError::InvalidWasm(e.to_string()))?;
            n += 1;
        }
        too_many(Count::Opcodes, func, n, MAX_OPCODES)?;
    }
    too_many(Count::Imports, None, p.imports.len() as u64, MAX_IMPORTS)?;
    let table_entries = p.tables.iter().fold(0u64, |a, t| a.saturating_add(*t));
    too_many(Count::TableEntries, None, table_entries, MAX_TABLE_ENTRIES)?;
    let elem_entries = p.elements.iter().fold(0u64, |a, e| {
        a.saturating_add(e.range.end.saturating_sub(e.range.start))
    });
    too_many(
        Count::ElementEntries,
        None,
        elem_entries,
        MAX_ELEMENT_ENTRIES,
    )?;
    if let Some(e) = p.exports.iter().find(|e| e.name.len() > MAX_NAME_LEN) {
        return Err(ActivationError::NameTooLong {
            kind: "export name",
            name: e.name.to_string(),
            limit: MAX_NAME_LEN,
        });
    }
    if let Some(name) = p.module_name.as_ref().filter(|n| n.len() > MAX_NAME_LEN) {
        return Err(ActivationError::NameTooLong {
            kind: "module name",
            name: name.clone(),
            limit: MAX_NAME_LEN,
        });
    }
    // --- Nitro's module builder (`from_binary`, `wasm_to_wavm`) ---
    let mut imports = Vec::with_capacity(func_imports.len());
    for (i, &(module, name, ty)) in func_imports.iter().enumerate() {
        if module != HOST_MODULE {
            return Err(ActivationError::ImportModule {
                module: module.to_string(),
                name: name.to_string(),
            });
        }
        let hostio = check_hostio_type(name, ty, &p.types)?;
        imports.push(ImportedHostio {
            func_index: i as u32,
            hostio,
        });
    }

    let mut unmeterable_float_ops: u32 = 0;
    for (i, body) in p.bodies.iter().enumerate() {
        let func = first_defined + i as u32;
        let mut ops = body
            .get_operators_reader()
            .map_err(|e| ActivationError::InvalidWasm(e.to_string()))?;
        while !ops.eof() {
            let op = ops
                .read()
                .map_err(|e| ActivationError::InvalidWasm(e.to_string()))?;
            let operator = || operator_name(&op);
            match classify(&op) {
                OpClass::Ok => {}
                OpClass::UnmeterableFloat => unmeterable_float_ops += 1,
                OpClass::FloatArithmetic => {
                    return Err(ActivationError::FloatArithmetic {
                        func,
                        operator: operator(),
                    })
                }
                OpClass::Table => {
                    return Err(ActivationError::TableOperator {
                        func,
                        operator: operator(),
                    })
                }
                OpClass::PassiveData => {
                    return Err(ActivationError::PassiveDataOperator {
                        func,
                        operator: operator(),
                    })
                }
                OpClass::Unsupported => {
                    return Err(ActivationError::UnsupportedOperator {
                        func,
                        operator: operator(),
                    })
                }
            }
        }
    }

    let memory_bytes = memory.initial * 65_536;
    for (index, data) in p.datas.iter().enumerate() {
        let DataKind::Active { offset_expr, .. } = &data.kind else {
            continue;
        };
        let offset = const_i32(offset_expr);
        let fits = offset
            .is_some_and(|o| u64::from(o).saturating_add(data.data.len() as u64) <= memory_bytes);
        if !fits {
            return Err(ActivationError::DataSegmentOutOfBounds {
                index: index as u32,
                offset,
                len: data.data.len(),
                memory: memory_bytes,
            });
        }
    }
    for (index, elem) in p.elements.iter().enumerate() {
        let invalid = |reason: String| ActivationError::ElementSegmentInvalid {
            index: index as u32,
            reason,
        };
        let ElementKind::Active {
            table_index,
            offset_expr,
        } = &elem.kind
        else {
            continue;
        };
        let table = table_index.unwrap_or(0);
        let Some(&size) = p.tables.get(table as usize) else {
            return Err(invalid(format!("table {table} does not exist")));
        };
        let offset = const_i32(offset_expr)
            .ok_or_else(|| invalid("the offset is not an i32.const".into()))?;
        let len = match &elem.items {
            ElementItems::Functions(items) => items.count(),
            ElementItems::Expressions(..) => {
                return Err(invalid(
                    "non-constant element initialisers are not supported".into(),
                ))
            }
        };
        if u64::from(offset).saturating_add(u64::from(len)) > size {
            return Err(invalid(format!(
                "{len} entries at offset {offset} do not fit in table {table} of {size} entries"
            )));
        }
    }

    let type_len: u64 = p
        .functions
        .iter()
        .filter_map(|&ty| p.types.get(ty as usize))
        .map(|ty| (ty.params().len() + ty.results().len()) as u64)
        .sum();
    let data_len: u64 = p.datas.iter().map(|d| d.data.len() as u64).sum::<u64>()
        + p.elements
            .iter()
            .map(|e| match &e.items {
                ElementItems::Functions(items) => u64::from(items.count()),
                ElementItems::Expressions(_, items) => u64::from(items.count()),
            })
            .sum::<u64>();
    let (init_cost, cached_init_cost) = entry_costs(
        p.bodies.len() as u64,
        type_len,
        wasm.len() as u64,
        p.globals,
        data_len,
        memory.initial as u16,
    );
    let init_cost = u16::try_from(init_cost).map_err(|_| ActivationError::CostTooHigh {
        what: "init",
        cost: init_cost,
    })?;
    let cached_init_cost =
        u16::try_from(cached_init_cost).map_err(|_| ActivationError::CostTooHigh {
            what: "cached",
            cost: cached_init_cost,
        })?;

    Ok(ModuleInfo {
        init_cost,
        cached_init_cost,
        memory_initial_pages: memory.initial as u16,
        memory_max_pages: memory.maximum,
        entrypoint: entry.index,
        imports,
        defined_functions: p.bodies.len() as u32,
        unmeterable_float_ops,
        module_name: p.module_name,
    })
}
