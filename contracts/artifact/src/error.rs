//! The error type of the crate.

use std::fmt;
use std::path::PathBuf;
use std::process::ExitStatus;

/// Result of this crate's operations.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong between a contract crate and its deployable artifact.
///
/// Every message says what failed and, where there is one, what to do about it.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// Reading or writing a file, or running a program, failed.
    Io {
        /// What was being done, e.g. `reading target/x.wasm`.
        context: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The `wasm32-unknown-unknown` standard library is not installed for the toolchain.
    WasmTargetMissing {
        /// The toolchain's library directory for the target that was looked for, if known.
        libdir: Option<PathBuf>,
    },
    /// `cargo build` ran and failed.
    CargoFailed {
        /// The package being built.
        package: String,
        /// Cargo's exit status.
        status: ExitStatus,
        /// The last lines cargo wrote to stderr, when its output was captured (else empty).
        stderr_tail: String,
    },
    /// A cargo helper command (e.g. `cargo locate-project`) gave an unusable answer.
    Cargo(String),
    /// `cargo build` succeeded but the expected `.wasm` file is not there.
    WasmNotFound {
        /// Where the file was expected.
        expected: PathBuf,
        /// `.wasm` files that are in that directory instead.
        found: Vec<PathBuf>,
    },
    /// The input is not a valid WebAssembly module, even with every Wasm feature enabled.
    InvalidWasm(String),
    /// The Wasm → text → Wasm round trip failed.
    Normalize(String),
    /// The module uses a Wasm feature Arbitrum's Stylus validator rejects.
    NotStylusCompatible(String),
    /// The module contains a floating-point type or instruction.
    Float(FloatUse),
    /// A size limit is exceeded.
    TooLarge {
        /// Which size.
        kind: SizeKind,
        /// The size, in bytes.
        size: usize,
        /// The limit, in bytes.
        limit: usize,
    },
    /// The bytes do not start with the Stylus prefix `EF F0 00 <dictionary>`.
    NotStylusProgram,
    /// The prefix names a compression dictionary this crate does not handle (only `00`, none).
    UnsupportedDictionary(u8),
    /// The brotli stream is corrupt.
    Decompress(std::io::Error),
    /// The brotli stream decompresses to more than the allowed number of bytes (decompression
    /// stops there).
    DecompressedTooLarge {
        /// The bound, in bytes.
        limit: usize,
    },
}

/// Which of the two Stylus size limits an [`Error::TooLarge`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SizeKind {
    /// The deployable code: prefix + brotli stream (limit [`crate::MAX_DEPLOYABLE_SIZE`]).
    Deployable,
    /// The Wasm module once decompressed (limit [`crate::MAX_DECOMPRESSED_SIZE`]).
    Decompressed,
}

/// Where a floating-point type or instruction was found, for [`Error::Float`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FloatUse {
    /// The kind of place.
    pub site: FloatSite,
    /// Byte offset in the module that was checked, if known.
    pub offset: Option<usize>,
}

/// The kind of place a float was found in; see [`FloatUse`].
///
/// Function indices are in the module's function index space (imported functions first), the
/// numbering `wasmprinter`/`wasm-tools print` shows as `(func (;N;) ...)`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FloatSite {
    /// An instruction in a function body.
    Operator {
        /// Function index.
        func: u32,
        /// The function's name, if the module had a name section.
        name: Option<String>,
        /// The instruction, as wasmparser prints it (e.g. `F64Add`).
        operator: String,
    },
    /// A local variable declared with a float type.
    Local {
        /// Function index.
        func: u32,
        /// The function's name, if the module had a name section.
        name: Option<String>,
        /// The local's type (`f32` or `f64`).
        ty: &'static str,
    },
    /// A function type with a float parameter or result.
    Type {
        /// Type index.
        index: u32,
        /// The type, e.g. `(f64, i32) -> (f64)`.
        signature: String,
    },
    /// A global of float type.
    Global {
        /// Global index.
        index: u32,
        /// `f32` or `f64`.
        ty: &'static str,
    },
    /// An imported global of float type.
    Import {
        /// Import module.
        module: String,
        /// Import name.
        field: String,
    },
    /// The module fails validation with float support disabled (the scan found no specific
    /// place, e.g. a float in a block type); the validator's message.
    Validation(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io { context, source } => write!(f, "{context}: {source}"),
            Error::WasmTargetMissing { libdir } => {
                write!(f, "the {} target is not installed", crate::WASM_TARGET)?;
                if let Some(dir) = libdir {
                    write!(f, " (no {})", dir.display())?;
                }
                write!(f, "; run `rustup target add {}`", crate::WASM_TARGET)
            }
            Error::CargoFailed {
                package,
                status,
                stderr_tail,
            } => {
                write!(
                    f,
                    "`cargo build` of {package} for {} failed ({status})",
                    crate::WASM_TARGET
                )?;
                if !stderr_tail.is_empty() {
                    write!(f, ":\n{stderr_tail}")?;
                }
                Ok(())
            }
            Error::Cargo(message) => f.write_str(message),
            Error::WasmNotFound { expected, found } => {
                write!(
                    f,
                    "cargo built no {}: the package must have a cdylib library target \
                     (`[lib] crate-type = [\"lib\", \"cdylib\"]`), whose name sets the file \
                     name (`BuildOptions::lib_name` if it differs from the package name)",
                    expected.display()
                )?;
                if !found.is_empty() {
                    let names: Vec<String> =
                        found.iter().map(|p| p.display().to_string()).collect();
                    write!(f, "; the directory has {}", names.join(", "))?;
                }
                Ok(())
            }
            Error::InvalidWasm(message) => write!(f, "not a valid WebAssembly module: {message}"),
            Error::Normalize(message) => {
                write!(
                    f,
                    "normalising the Wasm (binary -> text -> binary) failed: {message}"
                )
            }
            Error::NotStylusCompatible(message) => write!(
                f,
                "the Wasm uses a feature Stylus rejects (no reference types, SIMD, threads, \
                 tail calls, multi-value, exceptions, multiple memories or memory64): {message}"
            ),
            Error::Float(use_) => write!(f, "{use_}"),
            Error::TooLarge { kind, size, limit } => {
                let (what, advice) = match kind {
                    SizeKind::Deployable => (
                        "compressed contract (prefix + brotli)",
                        "shrink the contract (fewer dependencies, no formatting/panic strings, \
                         opt-level \"z\") or split it",
                    ),
                    SizeKind::Decompressed => (
                        "decompressed Wasm",
                        "shrink the contract (fewer dependencies, less generic code)",
                    ),
                };
                write!(
                    f,
                    "the {what} is {size} bytes, over the Stylus limit of {limit} bytes by {} \
                     bytes ({:.1}% of the limit); {advice}",
                    size.saturating_sub(*limit),
                    percent(*size, *limit),
                )
            }
            Error::NotStylusProgram => write!(
                f,
                "not a deployable Stylus program: the code does not start with EF F0 00 \
                 followed by a dictionary byte"
            ),
            Error::UnsupportedDictionary(byte) => write!(
                f,
                "the Stylus program is compressed with dictionary {byte:#04x}; only 0x00 (no \
                 dictionary) is supported"
            ),
            Error::Decompress(err) => write!(f, "the brotli stream is corrupt: {err}"),
            Error::DecompressedTooLarge { limit } => write!(
                f,
                "the Stylus program decompresses to more than {limit} bytes, the maximum Wasm size"
            ),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source),
            Error::Decompress(source) => Some(source),
            _ => None,
        }
    }
}

impl fmt::Display for FloatUse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn func(f: &mut fmt::Formatter<'_>, index: u32, name: &Option<String>) -> fmt::Result {
            write!(f, "function {index}")?;
            if let Some(name) = name {
                write!(f, " (`{name}`)")?;
            }
            Ok(())
        }
        f.write_str("floating point is not allowed in a Stylus contract: ")?;
        match &self.site {
            FloatSite::Operator {
                func: index,
                name,
                operator,
            } => {
                func(f, *index, name)?;
                write!(f, " uses the float instruction `{operator}`")?;
            }
            FloatSite::Local {
                func: index,
                name,
                ty,
            } => {
                func(f, *index, name)?;
                write!(f, " declares a local of type {ty}")?;
            }
            FloatSite::Type { index, signature } => {
                write!(
                    f,
                    "function type {index} `{signature}` has a float parameter or result"
                )?;
            }
            FloatSite::Global { index, ty } => write!(f, "global {index} has type {ty}")?,
            FloatSite::Import { module, field } => {
                write!(f, "the imported global {module}::{field} is a float")?;
            }
            FloatSite::Validation(message) => write!(f, "{message}")?,
        }
        if let Some(offset) = self.offset {
            write!(f, " (at byte offset {offset:#x})")?;
        }
        write!(
            f,
            "; find the f32/f64 code (often float formatting or `as f64` casts pulled in by a \
             dependency) with `wasm-tools print` on the .wasm"
        )
    }
}

/// `size` as a percentage of `limit`.
pub(crate) fn percent(size: usize, limit: usize) -> f64 {
    if limit == 0 {
        return f64::INFINITY;
    }
    size as f64 * 100.0 / limit as f64
}
