//! Step 1: compiling the contract crate to Wasm with cargo.

use std::ffi::OsString;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::{process, Artifact, Error, Result, CONTRACT_PROFILE, WASM_TARGET};

/// How to compile a contract crate. Build one with [`BuildOptions::new`] and adjust fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildOptions {
    /// The cargo package to build, e.g. `yellowstone-compute`. It must be a workspace member
    /// with a `cdylib` library target.
    pub package: String,
    /// Directory cargo runs in (any directory inside the workspace). Default: the current
    /// directory.
    pub dir: PathBuf,
    /// Cargo target directory for the Wasm build. Default (`None`):
    /// `<workspace root>/target/stylus`. A directory of its own keeps the Wasm build from
    /// invalidating the native build's artifacts, and from blocking on the build lock of the
    /// cargo that runs a test calling [`build`].
    pub target_dir: Option<PathBuf>,
    /// Cargo profile. Default [`CONTRACT_PROFILE`] (`contract`: release with opt-level "z",
    /// LTO, one codegen unit, `panic = "abort"`, stripped).
    pub profile: String,
    /// Name of the library target, if the package renames it (`[lib] name = ...`). Default
    /// (`None`): the package name with `-` replaced by `_`.
    pub lib_name: Option<String>,
    /// Cargo features to enable.
    pub features: Vec<String>,
    /// Pass `--no-default-features`.
    pub no_default_features: bool,
    /// Pass `--locked` (CI and reproducible builds: fail rather than update `Cargo.lock`).
    pub locked: bool,
    /// Let cargo write its progress and diagnostics to this process's stderr. When `false`,
    /// cargo's stderr is captured and its tail is put in [`Error::CargoFailed`].
    pub echo: bool,
    /// The cargo program. Default: `$CARGO` (the cargo running us, under `cargo run` or
    /// `cargo test`), else `cargo`.
    pub cargo: PathBuf,
}

impl BuildOptions {
    /// Options to build `package` from the current directory with the `contract` profile into
    /// `<workspace root>/target/stylus`, cargo's output echoed.
    pub fn new(package: impl Into<String>) -> Self {
        BuildOptions {
            package: package.into(),
            dir: PathBuf::from("."),
            target_dir: None,
            profile: CONTRACT_PROFILE.to_string(),
            lib_name: None,
            features: Vec::new(),
            no_default_features: false,
            locked: false,
            echo: true,
            cargo: std::env::var_os("CARGO")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("cargo")),
        }
    }

    /// The library's file stem: [`BuildOptions::lib_name`] or the package name with `-`
    /// replaced by `_`.
    pub fn lib_name(&self) -> String {
        self.lib_name
            .clone()
            .unwrap_or_else(|| self.package.replace('-', "_"))
    }

    /// The target directory: [`BuildOptions::target_dir`], or `<workspace root>/target/stylus`
    /// (which asks cargo where the workspace root is).
    ///
    /// # Errors
    ///
    /// As [`workspace_root`].
    pub fn resolved_target_dir(&self) -> Result<PathBuf> {
        match &self.target_dir {
            Some(dir) => Ok(self.dir.join(dir)),
            None => Ok(workspace_root(&self.cargo, &self.dir)?
                .join("target")
                .join("stylus")),
        }
    }
}

/// What [`build`] produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuiltWasm {
    /// The raw Wasm cargo wrote:
    /// `<target_dir>/wasm32-unknown-unknown/<profile>/<lib_name>.wasm`.
    pub wasm_path: PathBuf,
    /// The target directory used.
    pub target_dir: PathBuf,
    /// The library's file stem, e.g. `yellowstone_compute`.
    pub lib_name: String,
}

/// The workspace root containing `dir`, from `cargo locate-project --workspace`.
///
/// # Errors
///
/// [`Error::Io`] if cargo cannot be run, [`Error::Cargo`] if it finds no workspace.
pub fn workspace_root(cargo: impl AsRef<Path>, dir: impl AsRef<Path>) -> Result<PathBuf> {
    let cargo = cargo.as_ref();
    let output = Command::new(cargo)
        .args(["locate-project", "--workspace", "--message-format", "plain"])
        .current_dir(dir.as_ref())
        .stdin(Stdio::null())
        .output()
        .map_err(|source| Error::Io {
            context: format!("running `{} locate-project`", cargo.display()),
            source,
        })?;
    if !output.status.success() {
        return Err(Error::Cargo(format!(
            "`cargo locate-project --workspace` in {} failed: {}",
            dir.as_ref().display(),
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    let manifest = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
    manifest.parent().map(Path::to_path_buf).ok_or_else(|| {
        Error::Cargo(format!(
            "unexpected workspace manifest {}",
            manifest.display()
        ))
    })
}

/// Compiles the contract: `cargo build --lib --profile <profile> --target wasm32-unknown-unknown
/// -p <package> --target-dir <target_dir>`, and returns where the `.wasm` is.
///
/// Checks first that the toolchain has the `wasm32-unknown-unknown` standard library, and
/// when it does not and `rustup` is there, adds it (so the first `yellowstone demo` on a fresh
/// machine just works).
///
/// # Errors
///
/// [`Error::WasmTargetMissing`] (with the `rustup target add` command to run),
/// [`Error::CargoFailed`], [`Error::WasmNotFound`], or [`Error::Io`].
pub fn build(opts: &BuildOptions) -> Result<BuiltWasm> {
    if check_wasm_target(&opts.dir).is_err() {
        add_wasm_target(&opts.dir);
    }
    check_wasm_target(&opts.dir)?;
    let target_dir = opts.resolved_target_dir()?;

    let mut cmd = Command::new(&opts.cargo);
    cmd.current_dir(&opts.dir)
        .arg("build")
        .arg("--lib")
        .args(["--profile", &opts.profile])
        .args(["--target", WASM_TARGET])
        .args(["-p", &opts.package])
        .arg("--target-dir")
        .arg(&target_dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(if opts.echo {
            Stdio::inherit()
        } else {
            Stdio::piped()
        });
    if !opts.features.is_empty() {
        cmd.arg("--features").arg(opts.features.join(","));
    }
    if opts.no_default_features {
        cmd.arg("--no-default-features");
    }
    if opts.locked {
        cmd.arg("--locked");
    }
    // The target dir is given explicitly; drop an inherited override so both agree.
    cmd.env_remove("CARGO_TARGET_DIR");
    // With `--target` given, these reach only the Wasm crates, not build scripts or macros.
    cmd.env_remove("RUSTFLAGS");
    cmd.env(
        "CARGO_ENCODED_RUSTFLAGS",
        wasm_rustflags(&workspace_root(&opts.cargo, &opts.dir)?).join("\x1f"),
    );

    let mut child = cmd.spawn().map_err(|source| Error::Io {
        context: format!("running `{}`", opts.cargo.display()),
        source,
    })?;
    let mut stderr = String::new();
    if let Some(mut pipe) = child.stderr.take() {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        stderr = String::from_utf8_lossy(&bytes).into_owned();
    }
    let status = child.wait().map_err(|source| Error::Io {
        context: format!("waiting for `{}`", opts.cargo.display()),
        source,
    })?;
    if !status.success() {
        if mentions_missing_target(&stderr) {
            return Err(Error::WasmTargetMissing { libdir: None });
        }
        return Err(Error::CargoFailed {
            package: opts.package.clone(),
            status,
            stderr_tail: tail(&stderr, 40),
        });
    }

    let lib_name = opts.lib_name();
    let out_dir = target_dir.join(WASM_TARGET).join(&opts.profile);
    let wasm_path = out_dir.join(format!("{lib_name}.wasm"));
    if !wasm_path.is_file() {
        let found = fs::read_dir(&out_dir)
            .map(|entries| {
                entries
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.extension().is_some_and(|x| x == "wasm"))
                    .collect()
            })
            .unwrap_or_default();
        return Err(Error::WasmNotFound {
            expected: wasm_path,
            found,
        });
    }
    Ok(BuiltWasm {
        wasm_path,
        target_dir,
        lib_name,
    })
}

/// Bytes of Wasm stack each contract gets (see [`wasm_rustflags`]).
pub(crate) const STACK_SIZE: u32 = 65_536;

/// The compiler flags of every contract build, the same on every machine:
///
/// - `-C llvm-args=-inline-threshold=20`: LLVM's inliner at `opt-level = "z"` still copies
///   stylus-sdk's generic encoders into every entry point; a lower threshold keeps one copy
///   and takes about 1,000 bytes off the compressed contract (measured in docs/BENCHMARKS.md).
/// - `-z stack-size=65536`: Rust's default Wasm stack is 1 MiB, placed first in memory, so every
///   program would declare 17 pages; Nitro charges each call for its declared pages beyond the
///   two free ones (1,000 gas a page and more), so 64 KiB of stack plus the data fit in the
///   free two. The contracts' deepest call uses far less (docs/BENCHMARKS.md); an overflow
///   runs below address 0 and traps, reverting the call, and never corrupts memory.
/// - `--remap-path-prefix`: panic locations embed source paths; mapping the workspace and the
///   cargo registry to fixed names makes the artifact independent of where they live (and
///   shorter).
pub fn wasm_rustflags(workspace: &Path) -> Vec<String> {
    let mut flags = vec![
        "-C".to_string(),
        "llvm-args=-inline-threshold=20".to_string(),
        "-C".to_string(),
        format!("link-arg=-zstack-size={STACK_SIZE}"),
    ];
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo")));
    if let Some(cargo_home) = cargo_home {
        // Each registry's source directory (`index.crates.io-<hash>`) becomes `/c`: shorter
        // panic locations, and the same bytes whatever the registry's directory is called.
        let sources = cargo_home.join("registry").join("src");
        let mut registries: Vec<PathBuf> = fs::read_dir(&sources)
            .map(|entries| entries.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        registries.sort();
        for registry in registries {
            flags.push(format!("--remap-path-prefix={}=/c", registry.display()));
        }
    }
    flags.push(format!(
        "--remap-path-prefix={}=/yellowstone",
        workspace.display()
    ));
    flags
}

/// [`build`], read the Wasm, [`process`] it: the whole pipeline but the size check and the
/// writing of outputs.
///
/// # Errors
///
/// Those of [`build`] and [`process`], and [`Error::Io`] reading the Wasm.
pub fn build_artifact(opts: &BuildOptions) -> Result<(BuiltWasm, Artifact)> {
    let built = build(opts)?;
    let raw = fs::read(&built.wasm_path).map_err(|source| Error::Io {
        context: format!("reading {}", built.wasm_path.display()),
        source,
    })?;
    let artifact = process(&raw)?;
    Ok((built, artifact))
}

/// Fails early, with the fix, when the toolchain lacks the Wasm standard library. Asks the
/// `rustc` cargo would use (rustup resolves `rust-toolchain.toml` from `dir`) for the target's
/// library directory; if rustc cannot be asked, leaves the diagnosis to cargo.
fn check_wasm_target(dir: &Path) -> Result<()> {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| OsString::from("rustc"));
    let Ok(output) = Command::new(rustc)
        .args(["--print", "target-libdir", "--target", WASM_TARGET])
        .current_dir(dir)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
    else {
        return Ok(());
    };
    if !output.status.success() {
        return Ok(());
    }
    let libdir = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
    let has_core = fs::read_dir(&libdir).is_ok_and(|entries| {
        entries.filter_map(|e| e.ok()).any(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            name.starts_with("libcore-") && name.ends_with(".rlib")
        })
    });
    if has_core {
        Ok(())
    } else {
        Err(Error::WasmTargetMissing {
            libdir: Some(libdir),
        })
    }
}

/// `rustup target add wasm32-unknown-unknown` for the toolchain `dir` uses; a failure is left
/// to the check that follows, which names the fix.
fn add_wasm_target(dir: &Path) {
    eprintln!("adding the {WASM_TARGET} target with rustup (once)");
    let _ = Command::new("rustup")
        .args(["target", "add", WASM_TARGET])
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .status();
}

fn mentions_missing_target(stderr: &str) -> bool {
    stderr.contains("target may not be installed")
        || stderr.contains("can't find crate for `core`")
        || stderr.contains("can't find crate for `std`")
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lib_name_defaults_to_the_underscored_package() {
        let mut opts = BuildOptions::new("yellowstone-compute");
        assert_eq!(opts.lib_name(), "yellowstone_compute");
        assert_eq!(opts.profile, "contract");
        opts.lib_name = Some("renamed".into());
        assert_eq!(opts.lib_name(), "renamed");
    }

    #[test]
    fn explicit_target_dir_is_relative_to_dir() {
        let mut opts = BuildOptions::new("x");
        opts.dir = PathBuf::from("/ws/contracts");
        opts.target_dir = Some(PathBuf::from("out"));
        assert_eq!(
            opts.resolved_target_dir().unwrap(),
            PathBuf::from("/ws/contracts/out")
        );
        opts.target_dir = Some(PathBuf::from("/abs"));
        assert_eq!(opts.resolved_target_dir().unwrap(), PathBuf::from("/abs"));
    }

    #[test]
    fn missing_target_is_recognised_in_rustc_output() {
        assert!(mentions_missing_target(
            "error[E0463]: can't find crate for `core`\n  = note: the `wasm32-unknown-unknown` \
             target may not be installed"
        ));
        assert!(!mentions_missing_target("error[E0308]: mismatched types"));
    }

    #[test]
    fn tail_keeps_the_last_lines() {
        assert_eq!(tail("a\nb\nc\n", 2), "b\nc");
        assert_eq!(tail("a", 5), "a");
        assert_eq!(tail("", 5), "");
    }
}
