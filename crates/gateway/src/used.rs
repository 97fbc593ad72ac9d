//! The used-ticket set, which survives a restart (SPEC 8): without it a restarted gateway would
//! serve a ticket a second time until the ticket expired.
//!
//! A request id is claimed in memory first (so a concurrent copy of the ticket is refused at
//! once), then appended to the journal and fsync'd before the answer starts: accepted work is
//! persisted before it is acknowledged. A failed write releases the claim and the request is
//! refused, so the user may retry the same ticket.
//!
//! The journal is a file of std I/O only: an 8-byte magic, then fixed 48-byte records of
//! `request id (32) ++ ticket expiry (8, big-endian) ++ check (8)`, the check being the first
//! 8 bytes of the keccak-256 of the 40 before it. Loading drops a torn last record (a crash
//! mid-write) and any record failing its check, keeps the ids whose ticket can still be
//! accepted, and rewrites the file with those alone (written aside, fsync'd, renamed over);
//! the file is compacted the same way whenever it holds more than twice the live ids (and at
//! least [`COMPACT_AT`] records). One file serves one gateway at a time.

use std::{
    collections::HashMap,
    fs::{self, File, OpenOptions},
    io::{self, Write},
    path::{Path, PathBuf},
    sync::{Mutex, MutexGuard},
};

use alloy_primitives::{keccak256, B256};

/// The journal's first bytes: a file without them is not ours and is never overwritten.
const MAGIC: &[u8; 8] = b"YSUSED1\n";
/// Bytes per record.
const RECORD: usize = 48;
/// Records below which the journal is never compacted outside a start.
pub(crate) const COMPACT_AT: u64 = 4_096;

/// Request ids already served, each with its ticket's expiry.
pub(crate) struct UsedTickets {
    /// Seconds an id is kept after its ticket's expiry (the clock skew allowed, and a margin).
    keep: u64,
    ids: Mutex<Ids>,
    journal: Option<Mutex<Journal>>,
}

#[derive(Default)]
struct Ids {
    expiry: HashMap<B256, u64>,
    /// When expired ids were last swept out (at most once a second).
    swept: u64,
}

struct Journal {
    path: PathBuf,
    file: File,
    records: u64,
    compact_at: u64,
}

/// What loading a journal found, for the start-up log.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Loaded {
    /// Ids kept: their tickets can still be presented.
    pub(crate) kept: usize,
    /// Ids dropped because their tickets are long expired.
    pub(crate) expired: usize,
    /// Records dropped because they fail their check.
    pub(crate) corrupt: usize,
    /// Bytes of a torn last record, dropped.
    pub(crate) torn: usize,
}

impl UsedTickets {
    /// A set kept in memory only: a restart forgets it.
    pub(crate) fn memory(keep: u64) -> Self {
        Self {
            keep,
            ids: Mutex::default(),
            journal: None,
        }
    }

    /// The set journalled at `path` (created with its directory when missing), loaded and
    /// compacted as of `now`.
    pub(crate) fn open(path: &Path, keep: u64, now: u64) -> io::Result<(Self, Loaded)> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            fs::create_dir_all(dir)?;
        }
        let bytes = match fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(e),
        };
        let parsed = parse(&bytes).map_err(|e| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{}: {e}", path.display()),
            )
        })?;
        let mut loaded = Loaded {
            corrupt: parsed.corrupt,
            torn: parsed.torn,
            ..Loaded::default()
        };
        let mut expiry = HashMap::new();
        for (id, at) in parsed.records {
            if at.saturating_add(keep) >= now {
                expiry.insert(id, at);
            } else {
                loaded.expired += 1;
            }
        }
        loaded.kept = expiry.len();
        let (file, records) = rewrite(path, &expiry)?;
        let journal = Journal {
            path: path.to_path_buf(),
            file,
            records,
            compact_at: COMPACT_AT,
        };
        let used = Self {
            keep,
            ids: Mutex::new(Ids { expiry, swept: now }),
            journal: Some(Mutex::new(journal)),
        };
        Ok((used, loaded))
    }

    /// Whether writes go to a journal (and so block on the disk).
    pub(crate) fn persistent(&self) -> bool {
        self.journal.is_some()
    }

    /// Whether `id` was served (or is being).
    pub(crate) fn contains(&self, id: &B256) -> bool {
        self.ids().expiry.contains_key(id)
    }

    /// Claims `id`, whose ticket expires at `expiry`, in memory; false if already claimed.
    /// Also forgets ids whose tickets can no longer be presented.
    pub(crate) fn reserve(&self, id: B256, expiry: u64, now: u64) -> bool {
        let mut ids = self.ids();
        if ids.swept < now {
            let keep = self.keep;
            ids.expiry.retain(|_, at| at.saturating_add(keep) >= now);
            ids.swept = now;
        }
        if ids.expiry.contains_key(&id) {
            return false;
        }
        ids.expiry.insert(id, expiry);
        true
    }

    /// Undoes a [`UsedTickets::reserve`] whose request was not served after all.
    pub(crate) fn release(&self, id: &B256) {
        self.ids().expiry.remove(id);
    }

    /// Appends `id` to the journal and waits for the disk (a no-op in memory); compacts the
    /// journal when it has grown. Blocking: call off the async runtime.
    pub(crate) fn persist(&self, id: B256, expiry: u64, now: u64) -> io::Result<()> {
        let Some(journal) = &self.journal else {
            return Ok(());
        };
        let mut journal = journal.lock().unwrap_or_else(|e| e.into_inner());
        journal.file.write_all(&record(id, expiry))?;
        journal.file.sync_data()?;
        journal.records = journal.records.saturating_add(1);
        // Under the journal's lock no record is appended meanwhile; ids reserved but not yet
        // appended are in the snapshot and will be appended again (a harmless duplicate).
        let live: HashMap<B256, u64> = {
            let ids = self.ids();
            let limit = journal
                .compact_at
                .max(len_u64(ids.expiry.len()).saturating_mul(2));
            if journal.records <= limit {
                return Ok(());
            }
            let keep = self.keep;
            ids.expiry
                .iter()
                .filter(|(_, at)| at.saturating_add(keep) >= now)
                .map(|(id, at)| (*id, *at))
                .collect()
        };
        let (file, records) = rewrite(&journal.path, &live)?;
        journal.file = file;
        journal.records = records;
        Ok(())
    }

    fn ids(&self) -> MutexGuard<'_, Ids> {
        self.ids.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Test hook: compact once the journal holds more than `records` (and twice the live ids).
    #[cfg(test)]
    fn compact_at(&self, records: u64) {
        if let Some(journal) = &self.journal {
            journal.lock().unwrap_or_else(|e| e.into_inner()).compact_at = records;
        }
    }
}

fn len_u64(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

/// One record's bytes.
fn record(id: B256, expiry: u64) -> [u8; RECORD] {
    let mut out = [0u8; RECORD];
    out[..32].copy_from_slice(id.as_slice());
    out[32..40].copy_from_slice(&expiry.to_be_bytes());
    let check = keccak256(&out[..40]);
    out[40..].copy_from_slice(&check[..8]);
    out
}

/// A journal's contents.
#[derive(Debug, Default, PartialEq, Eq)]
struct Parsed {
    records: Vec<(B256, u64)>,
    corrupt: usize,
    torn: usize,
}

/// Reads a journal's bytes: records that pass their check, in order. An empty file, or a torn
/// magic (a crash while creating it), is an empty journal; any other start is refused, so a
/// mistyped path never overwrites someone's file.
fn parse(bytes: &[u8]) -> Result<Parsed, String> {
    if bytes.len() < MAGIC.len() {
        return if MAGIC.starts_with(bytes) {
            Ok(Parsed::default())
        } else {
            Err("not a used-tickets journal (it does not start with YSUSED1)".into())
        };
    }
    let (magic, body) = bytes.split_at(MAGIC.len());
    if magic != MAGIC {
        return Err("not a used-tickets journal (it does not start with YSUSED1)".into());
    }
    let chunks = body.chunks_exact(RECORD);
    let mut parsed = Parsed {
        torn: chunks.remainder().len(),
        ..Parsed::default()
    };
    for chunk in chunks {
        let id = B256::from_slice(&chunk[..32]);
        let mut expiry = [0u8; 8];
        expiry.copy_from_slice(&chunk[32..40]);
        let expiry = u64::from_be_bytes(expiry);
        if record(id, expiry)[..] == *chunk {
            parsed.records.push((id, expiry));
        } else {
            parsed.corrupt += 1;
        }
    }
    Ok(parsed)
}

/// Writes `ids` as the whole journal at `path`, atomically (aside, fsync'd, renamed over, the
/// directory fsync'd); returns the journal opened for appending, and its record count.
fn rewrite(path: &Path, ids: &HashMap<B256, u64>) -> io::Result<(File, u64)> {
    let mut aside = path.as_os_str().to_owned();
    aside.push(".tmp");
    let aside = PathBuf::from(aside);
    let mut bytes =
        Vec::with_capacity(ids.len().saturating_mul(RECORD).saturating_add(MAGIC.len()));
    bytes.extend_from_slice(MAGIC);
    for (id, expiry) in ids {
        bytes.extend_from_slice(&record(*id, *expiry));
    }
    {
        let mut file = File::create(&aside)?;
        file.write_all(&bytes)?;
        file.sync_all()?;
    }
    fs::rename(&aside, path)?;
    #[cfg(unix)]
    {
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        File::open(dir)?.sync_all()?;
    }
    let file = OpenOptions::new().append(true).open(path)?;
    Ok((file, len_u64(ids.len())))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A directory of its own under the system's temporary directory, removed when dropped.
    struct Scratch(PathBuf);

    impl Scratch {
        fn new(name: &str) -> Scratch {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos();
            let dir = format!("yellowstone-used-{name}-{}-{nanos}", std::process::id());
            Scratch(std::env::temp_dir().join(dir))
        }

        fn path(&self) -> PathBuf {
            self.0.join("used.db")
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    fn id(n: u8) -> B256 {
        B256::repeat_byte(n)
    }

    #[test]
    fn an_id_is_claimed_once_and_forgotten_after_its_ticket_can_no_longer_be_presented() {
        let used = UsedTickets::memory(10);
        assert!(used.reserve(id(1), 100, 50));
        assert!(!used.reserve(id(1), 100, 51));
        assert!(used.contains(&id(1)));
        assert!(used.reserve(id(2), 200, 110), "100 + 10 is not yet past");
        assert!(used.contains(&id(1)));
        assert!(used.reserve(id(3), 200, 111));
        assert!(!used.contains(&id(1)));
        used.release(&id(3));
        assert!(
            used.reserve(id(3), 200, 111),
            "a released claim can be made again"
        );
    }

    #[test]
    fn a_persisted_id_survives_reopening_and_an_expired_one_is_dropped() {
        let scratch = Scratch::new("reopen");
        let path = scratch.path();
        let (used, loaded) = UsedTickets::open(&path, 10, 50).unwrap();
        assert_eq!(loaded, Loaded::default());
        for (n, expiry) in [(1, 100), (2, 60)] {
            assert!(used.reserve(id(n), expiry, 50));
            used.persist(id(n), expiry, 50).unwrap();
        }
        drop(used);
        let (used, loaded) = UsedTickets::open(&path, 10, 80).unwrap();
        assert_eq!((loaded.kept, loaded.expired), (1, 1));
        assert!(used.contains(&id(1)));
        assert!(!used.reserve(id(1), 100, 80));
        assert!(!used.contains(&id(2)));
        let on_disk = parse(&fs::read(&path).unwrap()).unwrap();
        assert_eq!(on_disk.records, vec![(id(1), 100)], "compacted on start");
    }

    #[test]
    fn a_torn_last_record_and_a_corrupt_one_are_dropped_not_fatal() {
        let scratch = Scratch::new("torn");
        let path = scratch.path();
        let (used, _) = UsedTickets::open(&path, 10, 50).unwrap();
        for n in 1..=3 {
            used.persist(id(n), 100, 50).unwrap();
        }
        drop(used);
        let mut bytes = fs::read(&path).unwrap();
        bytes[MAGIC.len() + RECORD + 5] ^= 0xff; // the second record is damaged
        bytes.truncate(bytes.len() - 7); // the third is torn
        fs::write(&path, &bytes).unwrap();
        let (used, loaded) = UsedTickets::open(&path, 10, 50).unwrap();
        assert_eq!(
            loaded,
            Loaded {
                kept: 1,
                expired: 0,
                corrupt: 1,
                torn: RECORD - 7
            }
        );
        assert!(used.contains(&id(1)));
        // The rewrite dropped the torn bytes: new records line up again.
        used.persist(id(4), 100, 50).unwrap();
        drop(used);
        let (used, loaded) = UsedTickets::open(&path, 10, 50).unwrap();
        assert_eq!((loaded.kept, loaded.torn), (2, 0));
        assert!(used.contains(&id(4)));
    }

    #[test]
    fn a_file_that_is_not_a_journal_is_refused_and_left_alone() {
        let scratch = Scratch::new("foreign");
        let path = scratch.path();
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, b"precious data, not ours").unwrap();
        assert!(UsedTickets::open(&path, 10, 50).is_err());
        assert_eq!(fs::read(&path).unwrap(), b"precious data, not ours");
        // A crash while creating the journal leaves a prefix of the magic: an empty journal.
        fs::write(&path, &MAGIC[..3]).unwrap();
        assert_eq!(
            UsedTickets::open(&path, 10, 50).unwrap().1,
            Loaded::default()
        );
    }

    #[test]
    fn the_journal_is_compacted_when_it_grows() {
        let scratch = Scratch::new("grow");
        let path = scratch.path();
        let (used, _) = UsedTickets::open(&path, 10, 50).unwrap();
        used.compact_at(4);
        for n in 1..=4 {
            assert!(used.reserve(id(n), 60, 50));
            used.persist(id(n), 60, 50).unwrap();
        }
        assert_eq!(parse(&fs::read(&path).unwrap()).unwrap().records.len(), 4);
        // Later, the first four tickets are long expired: the fifth record compacts.
        assert!(used.reserve(id(5), 200, 100));
        used.persist(id(5), 200, 100).unwrap();
        let on_disk = parse(&fs::read(&path).unwrap()).unwrap();
        assert_eq!(on_disk.records, vec![(id(5), 200)]);
    }
}
