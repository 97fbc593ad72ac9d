//! The outbox: signed reports kept on disk until the router has judged them (issue 13), so a
//! proxy that crashes between answering the application and posting the report loses
//! nothing: the next start posts it.
//!
//! One append-only file of JSON lines. A line is a stored report (`{"kind": "report", ...}`:
//! the router's URL, when it was stored, the signed report and the provider's receipt) or the
//! note that a report is settled (`{"kind": "settled", "request": ..., "outcome": ...}`:
//! judged, refused for good, or given up). A report is written with one `write` call and
//! fsync'd before the application sees the end of its answer. A crash tears at most the line
//! being written; a line that does not parse is ignored, and since every line also starts
//! with a newline, a line appended after a torn one is read whole.
//!
//! The file is rewritten without what is settled when it opens and once it has grown well
//! past its last rewrite. Several processes may share one outbox (`user proxy` and `user
//! chat`): one rewrites at a time (a `.compacting` marker file), copies what others appended
//! while it worked, and a writer that finds its file renamed away after its write writes the
//! line again. A report read twice is one report.

use std::{
    collections::HashSet,
    ffi::OsString,
    fs::{self, File, OpenOptions},
    io::{self, Read, Write},
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use alloy_primitives::B256;
use serde::{Deserialize, Serialize};
use yellowstone_protocol::messages::{Receipt, Report, Signed};

use crate::exchange::Sealed;

/// Seconds after it was stored that a report the router never took is given up: its report
/// window (`report_seconds` after the ticket's expiry, 900 s by default) closed long before.
pub const GIVE_UP_SECONDS: u64 = 86_400;
/// The file is rewritten once it is this long and four times its length after the last
/// rewrite.
const COMPACT_BYTES: u64 = 64 * 1024;
/// A `.compacting` marker older than this was left by a process that died while rewriting.
const STALE_MARKER: Duration = Duration::from_secs(60);

/// A report waiting for the router's judgement, as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stored {
    /// The base URL of the router the report is for.
    pub router: String,
    /// Unix seconds (this machine's clock) when it was stored.
    pub stored: u64,
    /// The user's signed report.
    pub report: Signed<Report>,
    /// The provider's receipt, when the user has one that holds.
    pub receipt: Option<Signed<Receipt>>,
}

impl Stored {
    /// The record of `sealed`, for the router at `router`, stored at `now`.
    pub fn new(router: &str, sealed: &Sealed, now: u64) -> Stored {
        Stored {
            router: router.trim_end_matches('/').to_string(),
            stored: now,
            report: sealed.report.clone(),
            receipt: sealed.receipt.clone(),
        }
    }

    /// The request the report is on.
    pub fn request_id(&self) -> B256 {
        self.report.message.requestId
    }

    /// Whether it has waited past [`GIVE_UP_SECONDS`] at `now`.
    pub fn given_up(&self, now: u64) -> bool {
        now > self.stored.saturating_add(GIVE_UP_SECONDS)
    }
}

/// One line of the file.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Line {
    Report(Stored),
    Settled { request: B256, outcome: String },
}

impl Line {
    /// The line as written: a newline, the JSON, a newline.
    fn bytes(&self) -> Vec<u8> {
        let mut out = vec![b'\n'];
        // A Line is plain data; serialising it cannot fail.
        out.extend(serde_json::to_vec(self).unwrap_or_default());
        out.push(b'\n');
        out
    }
}

/// What a file holds: the reports not settled, each once, in file order.
fn pending_in(bytes: &[u8]) -> Vec<Stored> {
    let (mut reports, mut seen, mut settled) = (Vec::new(), HashSet::new(), HashSet::new());
    let mut unreadable = 0u64;
    for line in bytes.split(|b| *b == b'\n') {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match serde_json::from_slice::<Line>(line) {
            Ok(Line::Report(s)) => {
                if seen.insert(s.request_id()) {
                    reports.push(s);
                }
            }
            Ok(Line::Settled { request, .. }) => {
                settled.insert(request);
            }
            Err(_) => unreadable = unreadable.saturating_add(1),
        }
    }
    if unreadable > 0 {
        tracing::warn!(
            unreadable,
            "the outbox has lines that do not parse (a write torn by a crash); ignored"
        );
    }
    reports.retain(|s| !settled.contains(&s.request_id()));
    reports
}

/// Unix seconds now, on this machine's clock.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Where reports wait for the router: a file, or nowhere ([`Outbox::memory`]).
#[derive(Clone, Debug, Default)]
pub struct Outbox {
    file: Option<Arc<OutboxFile>>,
}

#[derive(Debug)]
struct OutboxFile {
    path: PathBuf,
    /// The file's length after the last rewrite.
    rewritten: Mutex<u64>,
}

impl Outbox {
    /// No file: reports are posted but a crash loses those not yet judged (library callers and
    /// tests that need no durability).
    pub fn memory() -> Outbox {
        Outbox::default()
    }

    /// Opens (creating it and its directory) the outbox at `path` and rewrites it without what
    /// is settled or given up.
    pub fn open(path: &Path) -> io::Result<Outbox> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            fs::create_dir_all(dir)?;
        }
        OpenOptions::new().create(true).append(true).open(path)?;
        sync_dir(path);
        let file = OutboxFile {
            path: path.to_path_buf(),
            rewritten: Mutex::new(0),
        };
        file.compact(unix_now())?;
        Ok(Outbox {
            file: Some(Arc::new(file)),
        })
    }

    /// The file, unless the outbox is in memory.
    pub fn path(&self) -> Option<&Path> {
        self.file.as_deref().map(|f| f.path.as_path())
    }

    /// The reports for the router at `router` not yet settled, each once, in the order they
    /// reached the file.
    pub fn pending(&self, router: &str) -> io::Result<Vec<Stored>> {
        let Some(file) = &self.file else {
            return Ok(Vec::new());
        };
        let router = router.trim_end_matches('/');
        let mut all = pending_in(&fs::read(&file.path)?);
        all.retain(|s| s.router == router);
        Ok(all)
    }

    /// Appends `record` and fsyncs it: when this returns `Ok`, a crash no longer loses it.
    pub fn store_blocking(&self, record: &Stored) -> io::Result<()> {
        match &self.file {
            Some(file) => append(&file.path, &Line::Report(record.clone()).bytes(), true),
            None => Ok(()),
        }
    }

    /// [`Outbox::store_blocking`] off the async runtime's threads.
    pub async fn store(&self, record: &Stored) -> io::Result<()> {
        let (outbox, record) = (self.clone(), record.clone());
        tokio::task::spawn_blocking(move || outbox.store_blocking(&record))
            .await
            .map_err(io::Error::other)?
    }

    /// Notes that the report on `request` is settled (`outcome` says how), and rewrites the
    /// file when it has grown enough. Not fsync'd: a lost note only means the report is
    /// posted once more, and the router refuses it as replayed.
    pub fn settle_blocking(&self, request: B256, outcome: &str) -> io::Result<()> {
        let Some(file) = &self.file else {
            return Ok(());
        };
        let line = Line::Settled {
            request,
            outcome: outcome.to_string(),
        };
        append(&file.path, &line.bytes(), false)?;
        let length = fs::metadata(&file.path)?.len();
        let rewritten = *file.rewritten.lock().unwrap_or_else(|e| e.into_inner());
        if length >= COMPACT_BYTES && length / 4 >= rewritten {
            file.compact(unix_now())?;
        }
        Ok(())
    }

    /// [`Outbox::settle_blocking`] off the async runtime's threads.
    pub async fn settle(&self, request: B256, outcome: &str) -> io::Result<()> {
        let (outbox, outcome) = (self.clone(), outcome.to_string());
        tokio::task::spawn_blocking(move || outbox.settle_blocking(request, &outcome))
            .await
            .map_err(io::Error::other)?
    }

    /// Rewrites the file now without what is settled, or given up at `now`.
    pub fn compact(&self, now: u64) -> io::Result<()> {
        match &self.file {
            Some(file) => file.compact(now),
            None => Ok(()),
        }
    }
}

impl OutboxFile {
    fn compact(&self, now: u64) -> io::Result<()> {
        if !cfg!(unix) {
            return Ok(()); // renaming over an open file is not portable: the file only grows
        }
        let marker = suffixed(&self.path, ".compacting");
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&marker)
        {
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                let age = fs::metadata(&marker)
                    .and_then(|m| m.modified())
                    .ok()
                    .and_then(|t| t.elapsed().ok());
                if age.is_some_and(|a| a > STALE_MARKER) {
                    let _ = fs::remove_file(&marker);
                }
                return Ok(()); // another process is at it (or was, and the next try goes)
            }
            Err(e) => return Err(e),
        }
        let result = self.rewrite(now);
        let _ = fs::remove_file(&marker);
        let length = result?;
        *self.rewritten.lock().unwrap_or_else(|e| e.into_inner()) = length;
        Ok(())
    }

    /// Writes the pending reports to a new file, renames it over the old one, then copies
    /// what was appended to the old one meanwhile. Returns the new length.
    fn rewrite(&self, now: u64) -> io::Result<u64> {
        let mut old = File::open(&self.path)?;
        let mut bytes = Vec::new();
        old.read_to_end(&mut bytes)?;
        // A line still being written belongs with what comes after.
        let whole = bytes.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
        let mut late = bytes.split_off(whole);
        let mut out = Vec::new();
        for record in pending_in(&bytes) {
            if record.given_up(now) {
                tracing::warn!(request = %record.request_id(), router = %record.router,
                    "a report the router never took for a day is given up");
                continue;
            }
            out.extend(Line::Report(record).bytes());
        }
        let tmp = suffixed(&self.path, ".tmp");
        {
            let mut f = File::create(&tmp)?;
            f.write_all(&out)?;
            f.sync_all()?;
        }
        fs::rename(&tmp, &self.path)?;
        sync_dir(&self.path);
        old.read_to_end(&mut late)?;
        if late.contains(&b'\n') {
            late.insert(0, b'\n');
            append(&self.path, &late, true)?;
        }
        Ok(u64::try_from(out.len().saturating_add(late.len())).unwrap_or(u64::MAX))
    }
}

/// `path` with `suffix` added to its file name.
fn suffixed(path: &Path, suffix: &str) -> PathBuf {
    let mut name = OsString::from(path.as_os_str());
    name.push(suffix);
    PathBuf::from(name)
}

/// Appends `bytes` to the file at `path` in one write (fsync'd if `durable`). If the file was
/// renamed away meanwhile (another process rewrote it), writes them again to the new one.
fn append(path: &Path, bytes: &[u8], durable: bool) -> io::Result<()> {
    for _ in 0..64 {
        let mut f = OpenOptions::new().create(true).append(true).open(path)?;
        f.write_all(bytes)?;
        if durable {
            f.sync_data()?;
        }
        if still_at(&f, path)? {
            return Ok(());
        }
    }
    Err(io::Error::other(format!(
        "{} kept being rewritten while this process appended to it",
        path.display()
    )))
}

/// Whether `f` is still the file at `path`.
#[cfg(unix)]
fn still_at(f: &File, path: &Path) -> io::Result<bool> {
    use std::os::unix::fs::MetadataExt;
    let open = f.metadata()?;
    match fs::metadata(path) {
        Ok(now) => Ok(open.dev() == now.dev() && open.ino() == now.ino()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}

/// Whether `f` is still the file at `path` (the file is never renamed off unix).
#[cfg(not(unix))]
fn still_at(_: &File, _: &Path) -> io::Result<bool> {
    Ok(true)
}

/// Makes a new or renamed directory entry durable (best effort: not every platform can).
fn sync_dir(path: &Path) {
    if let Some(dir) = path.parent() {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
    }
}

/// The outbox's default file: `$XDG_DATA_HOME/yellowstone/outbox.jsonl`, else
/// `~/.local/share/yellowstone/outbox.jsonl` (`%APPDATA%\yellowstone\outbox.jsonl` on
/// Windows), else `yellowstone-outbox.jsonl` in the working directory.
pub fn default_path() -> PathBuf {
    let var = |name: &str| {
        std::env::var_os(name)
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
    };
    let dir = var("XDG_DATA_HOME")
        .or_else(|| var("HOME").map(|h| h.join(".local").join("share")))
        .or_else(|| var("APPDATA"));
    match dir {
        Some(d) => d.join("yellowstone").join("outbox.jsonl"),
        None => PathBuf::from("yellowstone-outbox.jsonl"),
    }
}
