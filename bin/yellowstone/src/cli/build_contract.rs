//! `yellowstone build-contract`: compile a Stylus contract crate into its deployable artifact
//! (with [`yellowstone_artifact`], the same pipeline the devnet, the tests and the deploy
//! scripts use) and report its size against the Stylus limits.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use yellowstone_artifact::{
    build, process, BuildOptions, Limits, MAX_DECOMPRESSED_SIZE, MAX_DEPLOYABLE_SIZE,
};

const AFTER_LONG_HELP: &str = "\
What it does, in order (what `cargo stylus` does, without needing it installed):

 1. Build: `cargo build --lib --profile contract --target wasm32-unknown-unknown -p <PACKAGE>`
    into <workspace>/target/stylus, a target directory of its own so that the Wasm build
    neither evicts the native build nor waits on its lock. The `contract` profile is release
    with opt-level \"z\", LTO, one codegen unit, panic = \"abort\" and stripped symbols:
    Arbitrum charges and caps contracts by their bytes. Two compiler flags are pinned for
    every contract build: a lower LLVM inline threshold (25), which keeps one copy of
    stylus-sdk's generic encoders instead of one per entry point, and --remap-path-prefix
    for the registry and the workspace, so the bytes do not depend on where they live.
 2. Normalise: Wasm -> text -> Wasm. Rust 1.82+ writes every `call_indirect` with an overlong
    5-byte table index, valid only under the reference-types proposal, which Arbitrum's
    validator does not enable; re-encoding from text writes the canonical form (and drops the
    linker's padding of every other index, so the module also shrinks).
 3. Check: validate with Nitro's feature set for Stylus programs (no reference types, SIMD,
    threads, tail calls or multi-value) and refuse any f32/f64 type or instruction: a float
    in a contract is a bug here, typically float formatting pulled in by a dependency.
 4. Strip every custom section (names, producers, target features): metadata the chain never
    uses, and paths and versions nobody needs to publish.
 5. Compress with brotli (quality 11, window 2^22) behind the 4-byte prefix EF F0 00 00
    (the Stylus program marker, then 00 for \"no dictionary\"). Those bytes are the contract's
    code: EIP-170 caps them at 24,576 bytes, and Nitro caps the decompressed Wasm at 128 KiB.

Outputs, in --out-dir: <lib>.wasm (the normalised, stripped Wasm the chain runs) and <lib>.br
(the deployable bytes: prefix + brotli, raw). The exit status is non-zero if the build or a
check fails, or if the contract is over a limit.

Requires the Wasm target: rustup target add wasm32-unknown-unknown";

/// Builds the compute contract into its deployable Stylus artifact and checks it against the limits.
///
/// The artifact is made the way `cargo stylus` makes it: normalised, stripped, brotli-11
/// compressed Wasm behind the EF F0 00 00 prefix (the same Wasm; the brotli stream, a pure-Rust
/// encoder's, can differ from cargo-stylus's by a few bytes).
#[derive(Debug, clap::Args)]
#[command(after_long_help = AFTER_LONG_HELP)]
pub struct Args {
    /// Cargo package of the contract (a workspace member with a cdylib target).
    #[arg(short, long, default_value = "yellowstone-compute")]
    pub package: String,

    /// Directory for the <lib>.wasm and <lib>.br outputs [default: <workspace>/target/stylus].
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,

    /// Largest deployable size accepted, in bytes (compressed, 4-byte prefix included).
    #[arg(long, value_name = "BYTES", default_value_t = MAX_DEPLOYABLE_SIZE)]
    pub max_size: usize,

    /// Print one JSON object on stdout (package, raw_bytes, wasm_bytes, compressed_bytes,
    /// limit, percent_of_limit, within_limit, raw_path, wasm_path, deployable_path) instead of
    /// the human report. Cargo's own output still goes to stderr.
    #[arg(long)]
    pub json: bool,
}

impl Args {
    /// Builds, processes, writes the outputs, reports, and fails above the size limit.
    pub fn run(self) -> Result<()> {
        let opts = BuildOptions::new(&self.package);
        let built = build(&opts).with_context(|| format!("building {}", self.package))?;
        let raw = std::fs::read(&built.wasm_path)
            .with_context(|| format!("reading {}", built.wasm_path.display()))?;
        let artifact =
            process(&raw).with_context(|| format!("processing {}", built.wasm_path.display()))?;
        let out_dir = self
            .out_dir
            .clone()
            .unwrap_or_else(|| built.target_dir.clone());
        let paths = artifact.write(&out_dir, &built.lib_name)?;

        let limits = Limits {
            max_deployable: self.max_size,
            max_decompressed: MAX_DECOMPRESSED_SIZE,
        };
        let verdict = artifact.check_limits(&limits);
        let percent = artifact.percent_of(self.max_size);

        if self.json {
            let report = serde_json::json!({
                "package": self.package,
                "raw_bytes": artifact.raw_len,
                "wasm_bytes": artifact.normalized_len(),
                "compressed_bytes": artifact.compressed_len(),
                "limit": self.max_size,
                "percent_of_limit": (percent * 100.0).round() / 100.0,
                "within_limit": verdict.is_ok(),
                "raw_path": built.wasm_path,
                "wasm_path": paths.wasm,
                "deployable_path": paths.deployable,
            });
            println!("{report}");
        } else {
            println!(
                "{} (profile contract, target wasm32-unknown-unknown)",
                self.package
            );
            let rows = [
                ("raw (cargo)", artifact.raw_len, &built.wasm_path),
                ("normalised", artifact.normalized_len(), &paths.wasm),
                ("compressed", artifact.compressed_len(), &paths.deployable),
            ];
            for (label, size, path) in rows {
                println!(
                    "  {label:<12} {:>9} bytes  {}",
                    thousands(size),
                    shown(path)
                );
            }
            let headroom = if artifact.compressed_len() <= self.max_size {
                format!(
                    "{} bytes left",
                    thousands(self.max_size - artifact.compressed_len())
                )
            } else {
                format!(
                    "{} bytes over",
                    thousands(artifact.compressed_len() - self.max_size)
                )
            };
            println!(
                "  {percent:.1}% of the {}-byte limit ({headroom})",
                thousands(self.max_size)
            );
            if !artifact.stripped_sections.is_empty() {
                println!(
                    "  stripped custom sections: {}",
                    artifact.stripped_sections.join(", ")
                );
            }
        }
        verdict.with_context(|| format!("{} does not fit", self.package))
    }
}

/// `path` relative to the current directory when it is below it.
fn shown(path: &Path) -> String {
    std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(cwd).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| path.to_path_buf())
        .display()
        .to_string()
}

/// `24576` as `24,576`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        args: Args,
    }

    #[test]
    fn defaults() {
        let cli = Cli::parse_from(["yellowstone"]);
        assert_eq!(cli.args.package, "yellowstone-compute");
        assert_eq!(cli.args.out_dir, None);
        assert_eq!(cli.args.max_size, 24_576);
        assert!(!cli.args.json);
    }

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(24_576), "24,576");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
