//! [`ActivationError`]: one variant per activation rule, with a message naming the rule and the
//! offending value.

use std::fmt;

use super::limits::Count;
use super::validate::Feature;
use super::{DICTIONARY_STYLUS_PROGRAM, ENTRYPOINT, HOST_MODULE, MEMORY_EXPORT, RESERVED_PREFIX};

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
    ///
    /// [`MAX_DEPLOYABLE_SIZE`]: yellowstone_artifact::MAX_DEPLOYABLE_SIZE
    CompressedTooLarge {
        /// Its size in bytes.
        size: usize,
        /// The limit in bytes.
        limit: usize,
    },
    /// The brotli stream is corrupt.
    Decompress(String),
    /// The brotli stream inflates beyond [`MAX_DECOMPRESSED_SIZE`].
    ///
    /// [`MAX_DECOMPRESSED_SIZE`]: yellowstone_artifact::MAX_DECOMPRESSED_SIZE
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
    /// The initial memory exceeds [`MAX_PAGES`](super::MAX_PAGES).
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
    /// An export name or the module name is longer than [`MAX_NAME_LEN`](super::MAX_NAME_LEN).
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
