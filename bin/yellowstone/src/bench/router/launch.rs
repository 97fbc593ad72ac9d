//! The load process's launch: its temporary directory, the users' keys file, and its report.

use std::{
    io::Write,
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::{SystemTime, UNIX_EPOCH},
};

use alloy_signer_local::PrivateKeySigner;
use anyhow::{ensure, Context, Result};

use super::{recoveries_per_second, Options};
use crate::bench::load::LoadReport;

pub(super) fn temp_dir() -> Result<PathBuf> {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH)?.as_nanos();
    let dir = std::env::temp_dir().join(format!(
        "yellowstone-bench-router-{}-{nanos}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    Ok(dir)
}

/// Writes the users' keys, one per line, readable by this user only.
pub(super) fn write_keys(path: &Path, keys: &[PrivateKeySigner]) -> Result<()> {
    let mut open = std::fs::OpenOptions::new();
    open.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut open, 0o600);
    let mut file = open
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    for key in keys {
        writeln!(file, "{}", key.to_bytes())?;
    }
    Ok(())
}

/// Runs `yellowstone bench load` against `url` and reads its report.
pub(super) fn run_load(options: &Options, url: &str, keys: &Path) -> Result<LoadReport> {
    // Bounds the RFCs signed ahead of the full-speed phase: it admits no more than the
    // machine recovers signatures.
    let max_rate = recoveries_per_second(options.recover_seconds.min(0.5)).all_cores * 1.2;
    let exe = match &options.load_exe {
        Some(exe) => exe.clone(),
        None => std::env::current_exe().context("locating this executable")?,
    };
    let output = Command::new(&exe)
        .args(["bench", "load", "--url", url, "--keys"])
        .arg(keys)
        .args([
            "--duration".to_string(),
            options.duration.to_string(),
            "--concurrency".to_string(),
            options.concurrency.to_string(),
            "--max-rate".to_string(),
            format!("{max_rate:.0}"),
            "--recover-seconds".to_string(),
            options.recover_seconds.to_string(),
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("running {} bench load", exe.display()))?;
    ensure!(
        output.status.success(),
        "the load process failed ({})",
        output.status
    );
    serde_json::from_slice(&output.stdout).with_context(|| {
        format!(
            "reading the load process's report: {}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}
