//! The one place that turns a Stylus contract crate into its deployable artifact, with the
//! steps and parameters `cargo stylus` uses (the Wasm is identical; the brotli stream of this
//! pure-Rust encoder may differ from cargo-stylus's C brotli by a few bytes).
//!
//! Used by the `yellowstone build-contract` command, the local devnet, tests and deploy
//! scripts, so that every one of them ships byte-for-byte the same code.
//!
//! # Pipeline
//!
//! 1. [`build`]: `cargo build --lib --profile contract --target wasm32-unknown-unknown -p <package>`
//!    in a separate target directory (default `<workspace>/target/stylus`, so that a build
//!    started from inside `cargo test` does not wait on the outer cargo's lock), with the
//!    pinned compiler flags of [`wasm_rustflags`], then locate
//!    `<target_dir>/wasm32-unknown-unknown/contract/<lib_name>.wasm`.
//! 2. [`process`]: turn that raw Wasm into an [`Artifact`]:
//!    * **normalise** it by a Wasm → text → Wasm round trip ([`normalize`]; `wasmprinter` then
//!      `wat`, as `cargo stylus` does). Recent Rust (1.82+, reference types on by default) emits
//!      `call_indirect` with an overlong 5-byte table index, which only validates when
//!      reference types are enabled, and Arbitrum's validator disables them. Re-encoding from
//!      text writes the canonical one-byte form (and minimal LEB128s everywhere else, which also
//!      shrinks the module);
//!    * **pack** its data segments ([`pack_data_segments`]): runs of zeros, which a fresh
//!      memory already holds, are left out. Nitro charges every call about 0.75 gas per byte
//!      of data segments, and the linker writes zero-initialised statics out in full;
//!    * **validate** it with the feature set Nitro uses for user programs ([`validate`]): no
//!      reference types, no SIMD, no threads, no tail calls, no multi-value (ArbOS 60+), ...;
//!    * reject **floats** ([`check_no_floats`]): no `f32`/`f64` type or instruction may appear;
//!    * **strip** every custom section ([`strip_custom_sections`]): names, producers,
//!      target features and anything else, as `cargo stylus` does;
//!    * **compress** it with brotli, quality 11 and a 2^22-byte window ([`compress`]; the
//!      parameters `cargo stylus` uses, and Nitro's `arbcompress` window), behind the
//!      4-byte Stylus prefix `EF F0 00 00` ([`STYLUS_PREFIX`]: `EF F0 00` marks a Stylus program,
//!      the last byte `00` says no compression dictionary).
//! 3. [`Artifact::check_limits`]: the deployable code must fit in [`MAX_DEPLOYABLE_SIZE`]
//!    (EIP-170's 24,576 bytes, prefix included) and the Wasm in [`MAX_DECOMPRESSED_SIZE`]
//!    (Nitro's `MaxWasmSize`, 128 KiB).
//! 4. [`Artifact::write`]: write `<out_dir>/<name>.wasm` (the normalised, stripped Wasm: what
//!    the chain executes after decompression) and `<out_dir>/<name>.br` (the deployable bytes:
//!    prefix + brotli, exactly what goes into the contract's code).
//!
//! [`decompress`] is the inverse of the last step, as Nitro performs it on activation.
//!
//! # Example
//!
//! ```no_run
//! use yellowstone_artifact::{build, process, BuildOptions, Limits};
//!
//! # fn main() -> yellowstone_artifact::Result<()> {
//! let built = build(&BuildOptions::new("yellowstone-compute"))?;
//! let raw = std::fs::read(&built.wasm_path).expect("cargo output");
//! let artifact = process(&raw)?;
//! artifact.check_limits(&Limits::default())?;
//! let paths = artifact.write(&built.target_dir, &built.lib_name)?;
//! println!("{} bytes deployable at {}", artifact.compressed_len(), paths.deployable.display());
//! # Ok(())
//! # }
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod artifact;
mod cargo;
mod data;
mod error;
mod floats;
mod wasm;

pub use artifact::{process, Artifact, Limits, OutputPaths};
pub use cargo::{build, build_artifact, wasm_rustflags, workspace_root, BuildOptions, BuiltWasm};
pub use data::{pack_data_segments, MIN_ZERO_RUN};
pub use error::{Error, FloatSite, FloatUse, Result, SizeKind};
pub use floats::check_no_floats;
pub use wasm::{
    compress, decompress, decompress_with_limit, normalize, strip_custom_sections, validate,
};

/// Largest deployable code, in bytes, prefix included: the EVM's contract code size limit
/// (EIP-170), which Arbitrum applies to the compressed Stylus program stored as code.
pub const MAX_DEPLOYABLE_SIZE: usize = 24_576;

/// Largest Wasm module, in bytes, once decompressed: Nitro's `MaxWasmSize` (128 KiB), checked
/// when the program is activated.
pub const MAX_DECOMPRESSED_SIZE: usize = 128 * 1024;

/// The 4 bytes in front of the brotli stream in a deployable Stylus program: `EF F0 00` (an
/// EOF-style magic marking a classic, non-fragmented Stylus program) then the dictionary byte
/// `00` (no dictionary).
pub const STYLUS_PREFIX: [u8; 4] = [0xEF, 0xF0, 0x00, 0x00];

/// Brotli quality used for deployable code: 11, the maximum, as `cargo stylus` uses.
pub const BROTLI_QUALITY: u32 = 11;

/// Brotli window, as a base-2 logarithm: 22 (4 MiB), brotli's default, which is what both
/// `cargo stylus` (through `brotli2`) and Nitro's own `arbcompress` use.
pub const BROTLI_LGWIN: u32 = 22;

/// Rust target the contracts are compiled for.
pub const WASM_TARGET: &str = "wasm32-unknown-unknown";

/// Cargo profile the contracts are compiled with (defined in the workspace `Cargo.toml`).
pub const CONTRACT_PROFILE: &str = "contract";
