//! [`process`] and the [`Artifact`] it produces.

use std::fs;
use std::path::{Path, PathBuf};

use crate::error::percent;
use crate::{
    check_no_floats, compress, normalize, pack_data_segments, strip_custom_sections, validate,
    Error, Result, SizeKind, MAX_DECOMPRESSED_SIZE, MAX_DEPLOYABLE_SIZE, STYLUS_PREFIX,
};

/// A contract ready to deploy: the Wasm the chain will run and the bytes that go into the
/// contract's code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifact {
    /// Size of the Wasm [`process`] was given (e.g. cargo's output), in bytes.
    pub raw_len: usize,
    /// The normalised Wasm with every custom section stripped: what Nitro gets back when it
    /// decompresses [`Artifact::deployable`], and what it validates, instruments and runs.
    pub normalized: Vec<u8>,
    /// The deployable code: [`STYLUS_PREFIX`] followed by the brotli stream of
    /// [`Artifact::normalized`]. Deploy exactly these bytes as the contract's code.
    pub deployable: Vec<u8>,
    /// Names of the custom sections that were removed, in order (e.g. `name`, `producers`,
    /// `target_features`).
    pub stripped_sections: Vec<String>,
}

/// Turns raw contract Wasm (as `cargo build` writes it) into an [`Artifact`]:
///
/// 1. normalise by a Wasm → text → Wasm round trip ([`normalize`]);
/// 2. validate with Nitro's Stylus feature set ([`validate`]);
/// 3. reject any floating point ([`check_no_floats`]);
/// 4. strip every custom section ([`strip_custom_sections`]);
/// 5. brotli-compress behind the Stylus prefix ([`compress`]).
///
/// Size limits are not checked here, so that an oversized contract can still be measured:
/// call [`Artifact::check_limits`].
///
/// # Errors
///
/// [`Error::InvalidWasm`], [`Error::Normalize`], [`Error::NotStylusCompatible`] or
/// [`Error::Float`].
pub fn process(raw_wasm: &[u8]) -> Result<Artifact> {
    let normalized = pack_data_segments(&normalize(raw_wasm)?)?;
    // Custom sections do not take part in validation, so validating before stripping checks
    // exactly the code that ships.
    validate(&normalized)?;
    // Floats are looked for before stripping so that a `name` section, if the build kept one,
    // can name the offending function.
    check_no_floats(&normalized)?;
    let (normalized, stripped_sections) = strip_custom_sections(&normalized)?;
    let deployable = compress(&normalized);
    Ok(Artifact {
        raw_len: raw_wasm.len(),
        normalized,
        deployable,
        stripped_sections,
    })
}

/// The Stylus size limits an [`Artifact`] must fit, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest deployable code, prefix included (default [`MAX_DEPLOYABLE_SIZE`], 24,576).
    pub max_deployable: usize,
    /// Largest decompressed Wasm (default [`MAX_DECOMPRESSED_SIZE`], 131,072).
    pub max_decompressed: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_deployable: MAX_DEPLOYABLE_SIZE,
            max_decompressed: MAX_DECOMPRESSED_SIZE,
        }
    }
}

/// Where [`Artifact::write`] put the files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputPaths {
    /// `<out_dir>/<name>.wasm`: the normalised, stripped Wasm.
    pub wasm: PathBuf,
    /// `<out_dir>/<name>.br`: the deployable code (prefix + brotli), raw bytes.
    pub deployable: PathBuf,
}

impl Artifact {
    /// Size of the deployable code in bytes, the 4-byte prefix included: the number the
    /// 24,576-byte limit applies to.
    pub fn compressed_len(&self) -> usize {
        self.deployable.len()
    }

    /// Size of the normalised, stripped Wasm in bytes: the number the 128 KiB limit applies to.
    pub fn normalized_len(&self) -> usize {
        self.normalized.len()
    }

    /// The brotli stream alone, without the 4-byte prefix.
    pub fn brotli(&self) -> &[u8] {
        &self.deployable[STYLUS_PREFIX.len()..]
    }

    /// The deployable size as a percentage of `limit` (e.g. of [`MAX_DEPLOYABLE_SIZE`]).
    pub fn percent_of(&self, limit: usize) -> f64 {
        percent(self.compressed_len(), limit)
    }

    /// Checks the deployable size, then the decompressed size, against `limits`.
    ///
    /// # Errors
    ///
    /// [`Error::TooLarge`] naming the size, the limit and which of the two it is.
    pub fn check_limits(&self, limits: &Limits) -> Result<()> {
        if self.compressed_len() > limits.max_deployable {
            return Err(Error::TooLarge {
                kind: SizeKind::Deployable,
                size: self.compressed_len(),
                limit: limits.max_deployable,
            });
        }
        if self.normalized_len() > limits.max_decompressed {
            return Err(Error::TooLarge {
                kind: SizeKind::Decompressed,
                size: self.normalized_len(),
                limit: limits.max_decompressed,
            });
        }
        Ok(())
    }

    /// Writes `<out_dir>/<name>.wasm` (the normalised, stripped Wasm) and `<out_dir>/<name>.br`
    /// (the deployable code: prefix + brotli, raw bytes, not hex), creating `out_dir` if needed.
    ///
    /// Each file is written to a temporary name and renamed into place, so a concurrent reader
    /// (a devnet, a test) never sees a half-written file.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] naming the path.
    pub fn write(&self, out_dir: impl AsRef<Path>, name: &str) -> Result<OutputPaths> {
        let out_dir = out_dir.as_ref();
        fs::create_dir_all(out_dir).map_err(|source| Error::Io {
            context: format!("creating {}", out_dir.display()),
            source,
        })?;
        let paths = OutputPaths {
            wasm: out_dir.join(format!("{name}.wasm")),
            deployable: out_dir.join(format!("{name}.br")),
        };
        write_atomically(&paths.wasm, &self.normalized)?;
        write_atomically(&paths.deployable, &self.deployable)?;
        Ok(paths)
    }
}

fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".{}.tmp", std::process::id()));
    let tmp = PathBuf::from(tmp);
    fs::write(&tmp, bytes)
        .and_then(|()| fs::rename(&tmp, path))
        .map_err(|source| {
            let _ = fs::remove_file(&tmp);
            Error::Io {
                context: format!("writing {}", path.display()),
                source,
            }
        })
}
