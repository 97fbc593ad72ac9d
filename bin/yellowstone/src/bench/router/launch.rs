//! The load process's launch: its temporary directory, the users' keys file, and its report.

use std::{
    io::{BufRead, BufReader, Write},
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::{SystemTime, UNIX_EPOCH},
};

use alloy_signer_local::PrivateKeySigner;
use anyhow::{bail, ensure, Context, Result};

use super::{cpu, recoveries_per_second, Options};
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

/// Runs `yellowstone bench load` against `url` and reads its report. The load runs on
/// `load_core` when given, and measures the limit on `machine` (every core); at each of its
/// marks (before and after each timed phase, with the router idle) `on_mark` runs with the
/// mark's name before the load goes on.
pub(super) fn run_load(
    options: &Options,
    url: &str,
    keys: &Path,
    machine: &[usize],
    load_core: Option<usize>,
    mut on_mark: impl FnMut(&str),
) -> Result<LoadReport> {
    // Bounds the RFCs signed ahead of the full-speed phase: it admits no more than the
    // machine recovers signatures.
    let max_rate = recoveries_per_second(options.recover_seconds.min(0.5), machine).all_cores * 1.2;
    let exe = match &options.load_exe {
        Some(exe) => exe.clone(),
        None => std::env::current_exe().context("locating this executable")?,
    };
    let mut command = Command::new(&exe);
    command
        .args(["bench", "load", "--marks", "--url", url, "--keys"])
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
        ]);
    if !machine.is_empty() {
        command.args(["--machine-cores", &cpu::format_cores(machine)]);
    }
    if let Some(core) = load_core {
        command.args(["--core", &core.to_string()]);
    }
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .with_context(|| format!("running {} bench load", exe.display()))?;
    let (Some(mut stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
        bail!("the load process has no stdin or stdout");
    };
    let mut report = String::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.context("reading the load process's output")?;
        match line.strip_prefix("mark ") {
            Some(mark) => {
                on_mark(mark.trim());
                writeln!(stdin, "go")
                    .and_then(|()| stdin.flush())
                    .context("answering the load process")?;
            }
            None => report = line,
        }
    }
    let status = child.wait().context("waiting for the load process")?;
    ensure!(status.success(), "the load process failed ({status})");
    serde_json::from_str(&report)
        .with_context(|| format!("reading the load process's report: {report}"))
}
