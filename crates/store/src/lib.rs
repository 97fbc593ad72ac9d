//! # The store
//!
//! The router's database: one SQLite file in WAL mode, holding every [`Change`] the router
//! made, in the order it made them. The router keeps its working state in memory; this module
//! makes that state durable ([`Store::apply`], usually through the group-committing
//! [`writer::Writer`]), rebuilds it at start-up ([`Store::load`]) and answers the few queries
//! that are not worth keeping in memory (a ticket, report or receipt by request id, the epoch
//! table at any epoch, a day's volume).
//!
//! ## Encoding
//!
//! | Rust | SQLite |
//! |---|---|
//! | `Address`, `B256`, signatures | BLOB (20, 32 and any bytes) |
//! | `U256`, `u128` | decimal TEXT (lossless; SQLite integers are 64-bit) |
//! | `u64` | INTEGER, bit-cast to `i64`: values above `i64::MAX` read back exactly but are stored negative |
//! | `bool` | INTEGER 0 or 1 |
//! | statuses | TEXT in snake case (`open`, `reported`, `expired`; `built`, `sent`, `committed`) |
//! | a report's verdict | JSON TEXT (its serde form), plus the credited tokens, wei and speed as columns |
//! | an epoch's fold | JSON TEXT `[[seq, "wei"], ...]` |
//!
//! No user-supplied value can make a write fail (a failed write would fail every request
//! committed in the same transaction): `u64`s are bit-cast rather than range-checked, and the
//! queries that compare user-chosen `u64`s (nonce deadlines, ticket expiries) treat a negative
//! stored value as "above `i64::MAX`" (days, epochs, blocks and seqs come from the router's own
//! clock and counters and are assumed below 2^63). Values read back are checked: a row that does not decode
//! is reported as [`StoreError::Corrupt`] naming its table and column, never a panic.
//!
//! ## Schema (version [`SCHEMA_VERSION`], in `PRAGMA user_version`)
//!
//! | table | key | notes |
//! |---|---|---|
//! | `bids` | (provider, model) | |
//! | `attestations` | (provider, model) | |
//! | `allowances` | (day, user) | index (user, day) for [`Store::latest_allowance`] |
//! | `nonces` | (user, nonce) | index deadline for pruning |
//! | `tickets` | request_id | index (status, expiry) for start-up |
//! | `reports` | rowid (acceptance order); request_id unique | partial index (model) where credited, for speeds |
//! | `receipts` | request_id | |
//! | `credits` | seq | pending credits only |
//! | `counters` | name | `next_seq`: 1 + the greatest credit seq ever inserted |
//! | `work` | (day, provider) | |
//! | `scores` | provider | |
//! | `epochs` | epoch | index (status, epoch) |
//! | `leaves` | (provider, epoch) | index epoch |
//! | `meta` | key | |

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use alloy_primitives::{Address, Bytes, B256, U256};
use rusqlite::{params, Connection, ErrorCode, OpenFlags, Row};

use yellowstone_protocol::time::DAY;
use yellowstone_market::{allowance::Allowance, judge::Verdict, selection::Score};
use yellowstone_market::records::{
    AllowanceRecord, AttestationRecord, BidRecord, Change, CreditRecord, EpochRecord, EpochStatus,
    LeafRecord, Loaded, ReceiptRecord, ReportRecord, TicketRecord, TicketStatus,
};

pub mod writer;

/// The schema version this build creates and reads (`PRAGMA user_version`).
pub const SCHEMA_VERSION: i64 = 1;

/// How long a connection waits for a lock held by another connection before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Prepared statements kept per connection (every statement of this module fits).
const STATEMENT_CACHE: usize = 64;

/// Seconds in a UTC day.

/// Days of allowances and work kept by [`Store::prune`] before the current day.
const KEEP_DAYS: u64 = 7;

/// Seconds after a reported ticket's expiry during which it is still loaded at start-up.
const REPORTED_GRACE: u64 = 3_600;

/// The schema of version 1. Every statement is idempotent, so two processes racing to create
/// it (inside an immediate transaction each) cannot fail.
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS bids (
    provider BLOB NOT NULL,
    model TEXT NOT NULL,
    price TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    nonce INTEGER NOT NULL,
    expiry INTEGER NOT NULL,
    signature BLOB NOT NULL,
    PRIMARY KEY (provider, model)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS attestations (
    provider BLOB NOT NULL,
    model TEXT NOT NULL,
    weights_hash BLOB NOT NULL,
    issued_at INTEGER NOT NULL,
    signature BLOB NOT NULL,
    PRIMARY KEY (provider, model)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS allowances (
    day INTEGER NOT NULL,
    user BLOB NOT NULL,
    balance TEXT NOT NULL,
    allowance INTEGER NOT NULL,
    used INTEGER NOT NULL,
    held INTEGER NOT NULL,
    PRIMARY KEY (day, user)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS allowances_user ON allowances (user, day);
CREATE TABLE IF NOT EXISTS nonces (
    user BLOB NOT NULL,
    nonce INTEGER NOT NULL,
    deadline INTEGER NOT NULL,
    PRIMARY KEY (user, nonce)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS nonces_deadline ON nonces (deadline);
CREATE TABLE IF NOT EXISTS tickets (
    request_id BLOB NOT NULL PRIMARY KEY,
    user BLOB NOT NULL,
    provider BLOB NOT NULL,
    model TEXT NOT NULL,
    token_max INTEGER NOT NULL,
    price TEXT NOT NULL,
    expiry INTEGER NOT NULL,
    issued_at INTEGER NOT NULL,
    day INTEGER NOT NULL,
    status TEXT NOT NULL,
    signature BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS tickets_status ON tickets (status, expiry);
CREATE TABLE IF NOT EXISTS reports (
    request_id BLOB NOT NULL UNIQUE,
    model TEXT NOT NULL,
    provider BLOB NOT NULL,
    elapsed_ms INTEGER NOT NULL,
    user_tokens INTEGER NOT NULL,
    receipt_tokens INTEGER,
    pass INTEGER NOT NULL,
    verdict TEXT NOT NULL,
    credited_tokens INTEGER,
    credited_wei TEXT,
    micros_per_token INTEGER,
    accepted_at INTEGER NOT NULL,
    signature BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS reports_speed ON reports (model) WHERE micros_per_token IS NOT NULL;
CREATE TABLE IF NOT EXISTS receipts (
    request_id BLOB NOT NULL PRIMARY KEY,
    provider BLOB NOT NULL,
    tokens INTEGER NOT NULL,
    signature BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS credits (
    seq INTEGER NOT NULL PRIMARY KEY,
    provider BLOB NOT NULL,
    amount TEXT NOT NULL,
    bootstrap INTEGER NOT NULL,
    block INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS counters (
    name TEXT NOT NULL PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS work (
    day INTEGER NOT NULL,
    provider BLOB NOT NULL,
    wei TEXT NOT NULL,
    tokens INTEGER NOT NULL,
    PRIMARY KEY (day, provider)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS scores (
    provider BLOB NOT NULL PRIMARY KEY,
    passes INTEGER NOT NULL,
    fails INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS epochs (
    epoch INTEGER NOT NULL PRIMARY KEY,
    root BLOB NOT NULL,
    cumulative_credited TEXT NOT NULL,
    cumulative_bootstrap TEXT NOT NULL,
    signature BLOB NOT NULL,
    up_to_block INTEGER NOT NULL,
    built_at INTEGER NOT NULL,
    fold TEXT NOT NULL,
    status TEXT NOT NULL,
    tx_hash BLOB,
    tx_nonce INTEGER,
    tx_max_fee TEXT,
    tx_priority_fee TEXT,
    mined_block INTEGER,
    mined_gas INTEGER
);
CREATE INDEX IF NOT EXISTS epochs_status ON epochs (status, epoch);
CREATE TABLE IF NOT EXISTS leaves (
    provider BLOB NOT NULL,
    epoch INTEGER NOT NULL,
    earned TEXT NOT NULL,
    bootstrap TEXT NOT NULL,
    PRIMARY KEY (provider, epoch)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS leaves_epoch ON leaves (epoch);
CREATE TABLE IF NOT EXISTS meta (
    key TEXT NOT NULL PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
";

// Writes.
const PUT_BID: &str = "INSERT OR REPLACE INTO bids (provider, model, price, endpoint, nonce, expiry, signature) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
const PUT_ATTESTATION: &str = "INSERT OR REPLACE INTO attestations (provider, model, weights_hash, issued_at, signature) VALUES (?1, ?2, ?3, ?4, ?5)";
const PUT_ALLOWANCE: &str = "INSERT OR REPLACE INTO allowances (day, user, balance, allowance, used, held) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
const PUT_NONCE: &str = "INSERT OR REPLACE INTO nonces (user, nonce, deadline) VALUES (?1, ?2, ?3)";
const PUT_TICKET: &str = "INSERT OR REPLACE INTO tickets (request_id, user, provider, model, token_max, price, expiry, issued_at, day, status, signature) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";
const PUT_REPORT: &str = "INSERT INTO reports (request_id, model, provider, elapsed_ms, user_tokens, receipt_tokens, pass, verdict, credited_tokens, credited_wei, micros_per_token, accepted_at, signature) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)";
const PUT_RECEIPT: &str = "INSERT OR IGNORE INTO receipts (request_id, provider, tokens, signature) VALUES (?1, ?2, ?3, ?4)";
const PUT_CREDIT: &str = "INSERT OR REPLACE INTO credits (seq, provider, amount, bootstrap, block) VALUES (?1, ?2, ?3, ?4, ?5)";
const DEL_CREDIT: &str = "DELETE FROM credits WHERE seq = ?1";
const BUMP_NEXT_SEQ: &str = "INSERT INTO counters (name, value) VALUES ('next_seq', ?1) ON CONFLICT (name) DO UPDATE SET value = max(value, excluded.value)";
const GET_WORK: &str = "SELECT wei, tokens FROM work WHERE day = ?1 AND provider = ?2";
const PUT_WORK: &str =
    "INSERT OR REPLACE INTO work (day, provider, wei, tokens) VALUES (?1, ?2, ?3, ?4)";
const PUT_SCORE: &str =
    "INSERT OR REPLACE INTO scores (provider, passes, fails) VALUES (?1, ?2, ?3)";
const PUT_EPOCH: &str = "INSERT OR REPLACE INTO epochs (epoch, root, cumulative_credited, cumulative_bootstrap, signature, up_to_block, built_at, fold, status, tx_hash, tx_nonce, tx_max_fee, tx_priority_fee, mined_block, mined_gas) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)";
const DEL_EPOCH: &str = "DELETE FROM epochs WHERE epoch = ?1";
const DEL_EPOCH_LEAVES: &str = "DELETE FROM leaves WHERE epoch = ?1";
const PUT_LEAF: &str =
    "INSERT OR REPLACE INTO leaves (provider, epoch, earned, bootstrap) VALUES (?1, ?2, ?3, ?4)";
const PUT_META: &str = "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)";

// Column lists, shared by every read of a table.
const BID_COLS: &str = "provider, model, price, endpoint, nonce, expiry, signature";
const ATTESTATION_COLS: &str = "provider, model, weights_hash, issued_at, signature";
const ALLOWANCE_COLS: &str = "day, user, balance, allowance, used, held";
const TICKET_COLS: &str =
    "request_id, user, provider, model, token_max, price, expiry, issued_at, day, status, signature";
const REPORT_COLS: &str = "request_id, model, provider, elapsed_ms, user_tokens, receipt_tokens, pass, verdict, accepted_at, signature";
const RECEIPT_COLS: &str = "request_id, provider, tokens, signature";
const CREDIT_COLS: &str = "seq, provider, amount, bootstrap, block";
const EPOCH_COLS: &str = "epoch, root, cumulative_credited, cumulative_bootstrap, signature, up_to_block, built_at, fold, status, tx_hash, tx_nonce, tx_max_fee, tx_priority_fee, mined_block, mined_gas";

/// The tickets loaded at start-up: open ones, and reported ones whose expiry is at most an
/// hour past (`?1` = now - 3600); a negative expiry is a `u64` above `i64::MAX`.
const LIVE_TICKETS: &str =
    "t.status = 'open' OR (t.status = 'reported' AND (t.expiry >= ?1 OR t.expiry < 0))";

/// What can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite failed; `context` says what the store was doing.
    #[error("sqlite error while {context}: {source}")]
    Sqlite {
        /// What the store was doing (often the table touched).
        context: String,
        /// The SQLite error.
        #[source]
        source: rusqlite::Error,
    },
    /// The database's directory could not be created.
    #[error("cannot create the database directory {}: {source}", path.display())]
    Io {
        /// The directory.
        path: PathBuf,
        /// The IO error.
        #[source]
        source: std::io::Error,
    },
    /// A row read back from disk does not decode.
    #[error("corrupt row in table `{table}`, column `{column}`: {why}")]
    Corrupt {
        /// The table.
        table: &'static str,
        /// The column.
        column: &'static str,
        /// What is wrong with the value.
        why: String,
    },
    /// A row that may be written only once was written again (a second report for a request).
    #[error("duplicate row in table `{table}`: {key} is already stored")]
    Duplicate {
        /// The table.
        table: &'static str,
        /// The key already present.
        key: String,
    },
    /// A value could not be encoded for its column.
    #[error("cannot encode table `{table}`, column `{column}`: {why}")]
    Encode {
        /// The table.
        table: &'static str,
        /// The column.
        column: &'static str,
        /// What went wrong.
        why: String,
    },
    /// The database was written by a newer router, with a schema this build does not know.
    #[error(
        "the database {path} has schema version {found} but this router supports version \
         {supported} at most: it was written by a newer router; run that version (or restore \
         a backup)"
    )]
    TooNew {
        /// The database file.
        path: String,
        /// The version found in `PRAGMA user_version`.
        found: i64,
        /// The newest version this build supports.
        supported: i64,
    },
    /// The database's schema version is not one this build ever wrote.
    #[error("the database {path} has an unknown schema version {found}")]
    UnknownVersion {
        /// The database file.
        path: String,
        /// The version found.
        found: i64,
    },
    /// Journal mode WAL could not be set (for example on a file system without shared memory).
    #[error("the database {path} cannot use WAL mode (the journal mode is {mode})")]
    NoWal {
        /// The database file.
        path: String,
        /// The journal mode SQLite kept.
        mode: String,
    },
    /// The writer thread has stopped, so the batch was not committed.
    #[error("the store writer has stopped; the batch was not committed")]
    WriterStopped,
}

/// A closure wrapping a SQLite error with what the store was doing.
fn sql(context: &'static str) -> impl FnOnce(rusqlite::Error) -> StoreError {
    move |source| StoreError::Sqlite {
        context: context.to_string(),
        source,
    }
}

/// Durability of a commit: `Normal` = WAL + synchronous=NORMAL (survives a killed process; the
/// last commits may be lost on power failure), `Full` = synchronous=FULL (survives power
/// failure, slower).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Durability {
    /// WAL with `synchronous=NORMAL`.
    #[default]
    Normal,
    /// WAL with `synchronous=FULL`.
    Full,
}

/// The router's database: SQLite in WAL mode, schema versioned with `PRAGMA user_version`
/// (created on first open; a newer version is refused with a clear error).
///
/// Writes go through one write connection (serialised by a mutex; in practice only the
/// [`writer::Writer`] thread writes); reads go through a separate read connection, so they
/// see the last committed state and never wait for a write in progress. An in-memory store
/// uses one connection for both.
pub struct Store {
    /// The database file (`None` in memory).
    path: Option<PathBuf>,
    /// The write connection.
    write: Mutex<Connection>,
    /// The read connection (`None`: read on the write connection).
    read: Option<Mutex<Connection>>,
    /// The connection WAL checkpoints run on (`None` in memory), so a checkpoint never holds
    /// the write connection.
    checkpoints: Option<Mutex<Connection>>,
}

/// What one `PRAGMA wal_checkpoint(PASSIVE)` did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Checkpoint {
    /// Frames in the WAL (0 in memory).
    pub wal_frames: u64,
    /// Frames of the WAL now copied into the database file (equal to `wal_frames` when the
    /// checkpoint caught up; the next write then starts the WAL again from its beginning).
    pub checkpointed: u64,
}

/// WAL pages after which a commit checkpoints on its own (SQLite's default), when no
/// background checkpointer runs.
pub const AUTO_CHECKPOINT_PAGES: u32 = 1000;

thread_local! {
    static WAL_FRAMES: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// The WAL's length in frames after the last commit this thread made on a store watched by
/// [`Store::watch_wal_frames`] (0 before any).
pub fn wal_frames_seen() -> u64 {
    WAL_FRAMES.with(|f| f.get())
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

/// Counts for `/metrics` and `status`.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct StoreStats {
    /// Tickets ever issued.
    pub tickets: u64,
    /// Reports ever accepted.
    pub reports: u64,
    /// Credits not yet wholly committed.
    pub credits_pending: u64,
    /// Epochs stored.
    pub epochs: u64,
    /// Leaves stored.
    pub leaves: u64,
    /// Size of the database file in bytes (page_count * page_size; the WAL is not counted).
    pub bytes: u64,
}

/// Locks a connection, recovering it from a poisoned mutex (a panic elsewhere while holding
/// the lock leaves no transaction open: rusqlite rolls back on drop).
fn lock(mutex: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Store {
    /// Opens (creating if needed, with its parent directories) the database at `path`: sets
    /// journal_mode=WAL, the busy timeout, `foreign_keys=OFF` and the durability, and creates
    /// the schema on first open.
    pub fn open(path: &Path, durability: Durability) -> Result<Store, StoreError> {
        if let Some(parent) = path.parent() {
            if !parent.as_os_str().is_empty() {
                std::fs::create_dir_all(parent).map_err(|source| StoreError::Io {
                    path: parent.to_path_buf(),
                    source,
                })?;
            }
        }
        let shown = path.display().to_string();
        let opening = |source| StoreError::Sqlite {
            context: format!("opening {shown}"),
            source,
        };
        let mut write = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(opening)?;
        write.busy_timeout(BUSY_TIMEOUT).map_err(opening)?;
        // Refuse a newer schema before changing anything in the file.
        check_version(&write, &shown)?;
        let mode: String = write
            .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
            .map_err(opening)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::NoWal { path: shown, mode });
        }
        let synchronous = match durability {
            Durability::Normal => "NORMAL",
            Durability::Full => "FULL",
        };
        write
            .pragma_update(None, "synchronous", synchronous)
            .map_err(opening)?;
        configure(&write).map_err(opening)?;
        migrate(&mut write, &shown)?;

        let read = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(opening)?;
        read.busy_timeout(BUSY_TIMEOUT).map_err(opening)?;
        configure(&read).map_err(opening)?;

        let checkpoints = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(opening)?;
        checkpoints.busy_timeout(BUSY_TIMEOUT).map_err(opening)?;
        checkpoints
            .pragma_update(None, "synchronous", synchronous)
            .map_err(opening)?;
        checkpoints
            .pragma_update(None, "wal_autocheckpoint", 0)
            .map_err(opening)?;
        Ok(Store {
            path: Some(path.to_path_buf()),
            write: Mutex::new(write),
            read: Some(Mutex::new(read)),
            checkpoints: Some(Mutex::new(checkpoints)),
        })
    }

    /// Opens a fresh in-memory store (for tests): one connection serves reads and writes.
    pub fn open_in_memory() -> Result<Store, StoreError> {
        let mut conn = Connection::open_in_memory().map_err(sql("opening in memory"))?;
        configure(&conn).map_err(sql("opening in memory"))?;
        migrate(&mut conn, ":memory:")?;
        Ok(Store {
            path: None,
            write: Mutex::new(conn),
            read: None,
            checkpoints: None,
        })
    }

    /// Sets after how many WAL pages a commit on the write connection checkpoints by itself
    /// (`PRAGMA wal_autocheckpoint`; 0 = never). The [`writer::Writer`] sets 0 while it runs
    /// and checkpoints from a thread of its own with [`Store::checkpoint`], so no commit waits
    /// for a checkpoint; it restores [`AUTO_CHECKPOINT_PAGES`] when it stops.
    pub fn set_auto_checkpoint(&self, pages: u32) -> Result<(), StoreError> {
        lock(&self.write)
            .pragma_update(None, "wal_autocheckpoint", pages)
            .map_err(sql("setting wal_autocheckpoint"))
    }

    /// Has every later commit on the write connection record, for the thread making it, how
    /// many frames the WAL then holds ([`wal_frames_seen`]). Replaced by the next
    /// [`Store::set_auto_checkpoint`] (SQLite keeps one WAL hook per connection).
    pub fn watch_wal_frames(&self) {
        fn note(_: &rusqlite::hooks::Wal, frames: std::ffi::c_int) -> rusqlite::Result<()> {
            WAL_FRAMES.with(|f| f.set(u64::try_from(frames).unwrap_or(0)));
            Ok(())
        }
        lock(&self.write).wal_hook(Some(note));
    }

    /// The write connection's `wal_autocheckpoint` (pages).
    pub fn auto_checkpoint(&self) -> Result<u32, StoreError> {
        lock(&self.write)
            .pragma_query_value(None, "wal_autocheckpoint", |row| row.get(0))
            .map_err(sql("reading wal_autocheckpoint"))
    }

    /// [`Store::checkpoint`] while holding the write connection, so no commit lands during it:
    /// the checkpoint catches up with the whole WAL (unless a reader still needs its frames)
    /// and the next commit starts the WAL again from its beginning. SQLite does that only for a
    /// transaction that begins after a checkpoint copied the whole WAL, which under steady
    /// writes a checkpoint that does not hold them never arranges, so the WAL would grow without
    /// end; run right after one that did not hold writes, this one copies only the frames
    /// committed in between.
    pub fn checkpoint_holding_writes(&self) -> Result<Checkpoint, StoreError> {
        let _writes = lock(&self.write);
        self.checkpoint()
    }

    /// Runs a PASSIVE WAL checkpoint on a connection of its own: copies committed WAL frames
    /// into the database file without waiting for, or blocking, the writer or readers (frames
    /// a reader still needs stay for a later checkpoint). Durability is unchanged: a commit
    /// is durable in the WAL before it is acknowledged, checkpointed or not. In memory there
    /// is no WAL and nothing is done.
    pub fn checkpoint(&self) -> Result<Checkpoint, StoreError> {
        let Some(conn) = &self.checkpoints else {
            return Ok(Checkpoint::default());
        };
        let (log, done): (i64, i64) = lock(conn)
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| {
                Ok((row.get(1)?, row.get(2)?))
            })
            .map_err(sql("checkpointing the WAL"))?;
        Ok(Checkpoint {
            wal_frames: log.max(0) as u64,
            checkpointed: done.max(0) as u64,
        })
    }

    /// The database file, `None` in memory.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The connection reads use.
    fn reader(&self) -> MutexGuard<'_, Connection> {
        lock(self.read.as_ref().unwrap_or(&self.write))
    }

    /// Applies a batch in ONE transaction, in order. Semantics per [`Change`] variant:
    /// Bid/Attestation/Allowance/Ticket/Epoch insert or replace by key ((provider, model),
    /// (provider, model), (day, user), request_id, epoch); Nonce inserts (replacing the
    /// deadline of the same (user, nonce)); Report inserts (a second report for the same
    /// request id is [`StoreError::Duplicate`]); Receipt inserts or is ignored (the first
    /// stands); Credit inserts or replaces by seq, an amount of zero deletes; Work adds wei and
    /// tokens to (day, provider) (saturating); Score replaces; DropEpoch deletes the epoch row
    /// and its leaves; Leaf inserts or replaces by (provider, epoch); Meta replaces.
    ///
    /// On any error nothing of the batch is persisted.
    pub fn apply(&self, changes: &[Change]) -> Result<(), StoreError> {
        self.apply_all(&[changes])
    }

    /// Applies several batches (from several requests) in ONE transaction, in order; used by
    /// the writer for group commit. On any error nothing of any batch is persisted.
    pub fn apply_all(&self, batches: &[&[Change]]) -> Result<(), StoreError> {
        let mut conn = lock(&self.write);
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(sql("beginning a write transaction"))?;
        for batch in batches {
            for change in batch.iter() {
                apply_change(&tx, change)?;
            }
        }
        tx.commit().map_err(sql("committing"))
    }

    /// Everything the router keeps in memory, read at start-up (in one read transaction, so
    /// from one consistent state).
    pub fn load(&self, now: u64, speed_window: usize) -> Result<Loaded, StoreError> {
        let mut conn = self.reader();
        let tx = conn
            .transaction()
            .map_err(sql("beginning a read transaction"))?;
        let conn: &Connection = &tx;
        let recent_day = int((now / DAY).saturating_sub(1));
        let mut loaded = Loaded {
            bids: query(
                conn,
                "bids",
                &format!("SELECT {BID_COLS} FROM bids ORDER BY provider, model"),
                [],
                bid_from,
            )?,
            attestations: query(
                conn,
                "attestations",
                &format!("SELECT {ATTESTATION_COLS} FROM attestations ORDER BY provider, model"),
                [],
                attestation_from,
            )?,
            allowances: query(
                conn,
                "allowances",
                &format!(
                    "SELECT {ALLOWANCE_COLS} FROM allowances WHERE day >= ?1 \
                     ORDER BY day, user"
                ),
                [recent_day],
                allowance_from,
            )?,
            nonces: query(
                conn,
                "nonces",
                "SELECT user, nonce, deadline FROM nonces WHERE deadline >= ?1 OR deadline < 0 \
                 ORDER BY user, nonce",
                [cmp(now)],
                |row| {
                    let r = Cols::new(row, "nonces");
                    Ok((r.address("user")?, r.u64("nonce")?, r.u64("deadline")?))
                },
            )?,
            tickets: query(
                conn,
                "tickets",
                &format!(
                    "SELECT {} FROM tickets t WHERE {LIVE_TICKETS} ORDER BY t.issued_at, t.request_id",
                    prefixed("t", TICKET_COLS)
                ),
                [cmp(now.saturating_sub(REPORTED_GRACE))],
                ticket_from,
            )?,
            receipts: query(
                conn,
                "receipts",
                &format!(
                    "SELECT {} FROM tickets t JOIN receipts r ON r.request_id = t.request_id \
                     WHERE {LIVE_TICKETS} ORDER BY r.request_id",
                    prefixed("r", RECEIPT_COLS)
                ),
                [cmp(now.saturating_sub(REPORTED_GRACE))],
                receipt_from,
            )?,
            credits: query(
                conn,
                "credits",
                &format!("SELECT {CREDIT_COLS} FROM credits ORDER BY seq"),
                [],
                credit_from,
            )?,
            next_seq: 1,
            work: query(
                conn,
                "work",
                "SELECT day, provider, wei, tokens FROM work WHERE day >= ?1 \
                 ORDER BY day, provider",
                [recent_day],
                |row| {
                    let r = Cols::new(row, "work");
                    Ok((
                        r.u64("day")?,
                        r.address("provider")?,
                        r.u256("wei")?,
                        r.u64("tokens")?,
                    ))
                },
            )?,
            scores: query(
                conn,
                "scores",
                "SELECT provider, passes, fails FROM scores ORDER BY provider",
                [],
                |row| {
                    let r = Cols::new(row, "scores");
                    Ok((
                        r.address("provider")?,
                        Score {
                            passes: r.u64("passes")?,
                            fails: r.u64("fails")?,
                        },
                    ))
                },
            )?,
            speeds: speeds(conn, speed_window)?,
            committed: None,
            in_flight: None,
            table: Vec::new(),
            meta: query(
                conn,
                "meta",
                "SELECT key, value FROM meta ORDER BY key",
                [],
                |row| {
                    let r = Cols::new(row, "meta");
                    Ok((r.string("key")?, r.string("value")?))
                },
            )?,
        };
        let stored_next = query(
            conn,
            "counters",
            "SELECT value FROM counters WHERE name = 'next_seq'",
            [],
            |row| Cols::new(row, "counters").u64("value"),
        )?
        .pop();
        let after_credits = loaded.credits.last().map_or(1, |c| c.seq.saturating_add(1));
        loaded.next_seq = stored_next.unwrap_or(1).max(after_credits);

        loaded.committed = latest_committed(conn)?;
        let above = loaded.committed.as_ref().map_or(0, |e| e.epoch);
        loaded.in_flight = query(
            conn,
            "epochs",
            &format!(
                "SELECT {EPOCH_COLS} FROM epochs WHERE status IN ('built', 'sent') AND epoch > ?1 \
                 ORDER BY epoch LIMIT 1"
            ),
            [int(above)],
            epoch_from,
        )?
        .pop();
        let top = loaded
            .in_flight
            .as_ref()
            .or(loaded.committed.as_ref())
            .map(|e| e.epoch);
        if let Some(top) = top {
            loaded.table = table_at(conn, top)?;
        }
        drop(tx);
        Ok(loaded)
    }

    /// Prunes what can never matter again: nonces with deadline < now, allowances and work of
    /// days < now/86400 - 7. Returns the rows deleted. (Tickets, reports, receipts, epochs and
    /// leaves are kept: they are the audit trail.)
    pub fn prune(&self, now: u64) -> Result<usize, StoreError> {
        let mut conn = lock(&self.write);
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(sql("beginning a prune"))?;
        let mut deleted = tx
            .prepare_cached("DELETE FROM nonces WHERE deadline >= 0 AND deadline < ?1")
            .and_then(|mut s| s.execute([cmp(now)]))
            .map_err(sql("pruning nonces"))?;
        let oldest_kept = (now / DAY).saturating_sub(KEEP_DAYS);
        deleted += tx
            .prepare_cached("DELETE FROM allowances WHERE day >= 0 AND day < ?1")
            .and_then(|mut s| s.execute([cmp(oldest_kept)]))
            .map_err(sql("pruning allowances"))?;
        deleted += tx
            .prepare_cached("DELETE FROM work WHERE day >= 0 AND day < ?1")
            .and_then(|mut s| s.execute([cmp(oldest_kept)]))
            .map_err(sql("pruning work"))?;
        tx.commit().map_err(sql("committing a prune"))?;
        Ok(deleted)
    }

    /// The ticket of a request.
    pub fn ticket(&self, request_id: B256) -> Result<Option<TicketRecord>, StoreError> {
        let conn = self.reader();
        let sql = format!("SELECT {TICKET_COLS} FROM tickets WHERE request_id = ?1");
        Ok(query(&conn, "tickets", &sql, [request_id.as_slice()], ticket_from)?.pop())
    }

    /// The report of a request.
    pub fn report(&self, request_id: B256) -> Result<Option<ReportRecord>, StoreError> {
        let conn = self.reader();
        let sql = format!("SELECT {REPORT_COLS} FROM reports WHERE request_id = ?1");
        Ok(query(&conn, "reports", &sql, [request_id.as_slice()], report_from)?.pop())
    }

    /// The receipt of a request.
    pub fn receipt(&self, request_id: B256) -> Result<Option<ReceiptRecord>, StoreError> {
        let conn = self.reader();
        let sql = format!("SELECT {RECEIPT_COLS} FROM receipts WHERE request_id = ?1");
        Ok(query(
            &conn,
            "receipts",
            &sql,
            [request_id.as_slice()],
            receipt_from,
        )?
        .pop())
    }

    /// An epoch by number.
    pub fn epoch(&self, epoch: u64) -> Result<Option<EpochRecord>, StoreError> {
        let conn = self.reader();
        let sql = format!("SELECT {EPOCH_COLS} FROM epochs WHERE epoch = ?1");
        Ok(query(&conn, "epochs", &sql, [int(epoch)], epoch_from)?.pop())
    }

    /// The committed epoch with the greatest number.
    pub fn latest_committed_epoch(&self) -> Result<Option<EpochRecord>, StoreError> {
        latest_committed(&self.reader())
    }

    /// The full table as of `epoch`: for every provider, its leaf with the greatest epoch <=
    /// `epoch` (one SQL query), sorted by provider.
    pub fn table_at(&self, epoch: u64) -> Result<Vec<LeafRecord>, StoreError> {
        table_at(&self.reader(), epoch)
    }

    /// One provider's leaf as of `epoch` (greatest epoch <= `epoch`).
    pub fn leaf_at(&self, provider: Address, epoch: u64) -> Result<Option<LeafRecord>, StoreError> {
        let conn = self.reader();
        Ok(query(
            &conn,
            "leaves",
            "SELECT provider, epoch, earned, bootstrap FROM leaves \
             WHERE provider = ?1 AND epoch BETWEEN 0 AND ?2 ORDER BY epoch DESC LIMIT 1",
            params![provider.as_slice(), cmp(epoch)],
            |row| leaf_from(row, "epoch"),
        )?
        .pop())
    }

    /// The user's most recent allowance record of any day (fallback balance when the chain is
    /// unreachable).
    pub fn latest_allowance(&self, user: Address) -> Result<Option<AllowanceRecord>, StoreError> {
        let conn = self.reader();
        let sql = format!(
            "SELECT {ALLOWANCE_COLS} FROM allowances WHERE user = ?1 ORDER BY day DESC LIMIT 1"
        );
        Ok(query(&conn, "allowances", &sql, [user.as_slice()], allowance_from)?.pop())
    }

    /// Total (wei, tokens) credited on a day, over all providers (the reference price's
    /// volume-weighted average). Saturates at the type maxima.
    pub fn day_volume(&self, day: u64) -> Result<(U256, u64), StoreError> {
        let conn = self.reader();
        let rows = query(
            &conn,
            "work",
            "SELECT wei, tokens FROM work WHERE day = ?1",
            [int(day)],
            |row| {
                let r = Cols::new(row, "work");
                Ok((r.u256("wei")?, r.u64("tokens")?))
            },
        )?;
        Ok(rows
            .into_iter()
            .fold((U256::ZERO, 0u64), |(wei, tokens), (w, t)| {
                (wei.saturating_add(w), tokens.saturating_add(t))
            }))
    }

    /// Work per provider on a day: (provider, wei), sorted by provider.
    pub fn day_work(&self, day: u64) -> Result<Vec<(Address, U256)>, StoreError> {
        let conn = self.reader();
        query(
            &conn,
            "work",
            "SELECT provider, wei FROM work WHERE day = ?1 ORDER BY provider",
            [int(day)],
            |row| {
                let r = Cols::new(row, "work");
                Ok((r.address("provider")?, r.u256("wei")?))
            },
        )
    }

    /// Counts for /metrics and `status`: rows per table, and the database file size in bytes
    /// (page_count * page_size).
    pub fn stats(&self) -> Result<StoreStats, StoreError> {
        let mut conn = self.reader();
        let tx = conn
            .transaction()
            .map_err(sql("beginning a read transaction"))?;
        let count = |table: &'static str, sql_text: &str| -> Result<u64, StoreError> {
            let n: i64 = tx
                .prepare_cached(sql_text)
                .and_then(|mut s| s.query_row([], |row| row.get(0)))
                .map_err(|source| StoreError::Sqlite {
                    context: format!("counting {table}"),
                    source,
                })?;
            Ok(u64::try_from(n).unwrap_or(0))
        };
        Ok(StoreStats {
            tickets: count("tickets", "SELECT count(*) FROM tickets")?,
            reports: count("reports", "SELECT count(*) FROM reports")?,
            credits_pending: count("credits", "SELECT count(*) FROM credits")?,
            epochs: count("epochs", "SELECT count(*) FROM epochs")?,
            leaves: count("leaves", "SELECT count(*) FROM leaves")?,
            bytes: count(
                "pages",
                "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()",
            )?,
        })
    }
}

/// Settings every connection gets.
fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    conn.pragma_update(None, "foreign_keys", "OFF")
}

/// Fails if the database's schema is newer than this build's (or not one it ever wrote).
fn check_version(conn: &Connection, shown: &str) -> Result<i64, StoreError> {
    let found: i64 = conn
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .map_err(|source| StoreError::Sqlite {
            context: format!("reading the schema version of {shown}"),
            source,
        })?;
    if found > SCHEMA_VERSION {
        return Err(StoreError::TooNew {
            path: shown.to_string(),
            found,
            supported: SCHEMA_VERSION,
        });
    }
    if found < 0 {
        return Err(StoreError::UnknownVersion {
            path: shown.to_string(),
            found,
        });
    }
    Ok(found)
}

/// Creates the schema if the database has none (version 0), inside an immediate transaction.
fn migrate(conn: &mut Connection, shown: &str) -> Result<(), StoreError> {
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(sql("beginning the schema transaction"))?;
    if check_version(&tx, shown)? == 0 {
        tx.execute_batch(SCHEMA)
            .map_err(sql("creating the schema"))?;
        tx.pragma_update(None, "user_version", SCHEMA_VERSION)
            .map_err(sql("setting the schema version"))?;
    }
    tx.commit().map_err(sql("committing the schema"))
}

/// A `u64` as stored: bit-cast to `i64` (lossless; values above `i64::MAX` are negative).
fn int(value: u64) -> i64 {
    value as i64
}

/// A `u64` as a bound in a comparison against stored values, clamped to `i64::MAX` (queries
/// treat negative stored values as larger than every bound).
fn cmp(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// A `U256` as stored: decimal text.
fn dec(value: &U256) -> String {
    value.to_string()
}

/// A column list with each column prefixed by a table alias and named as itself.
fn prefixed(alias: &str, cols: &str) -> String {
    cols.split(',')
        .map(|c| {
            let c = c.trim();
            format!("{alias}.{c} AS {c}")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Runs one cached statement of a write.
fn exec(
    conn: &Connection,
    table: &'static str,
    sql_text: &str,
    params: impl rusqlite::Params,
) -> Result<usize, StoreError> {
    conn.prepare_cached(sql_text)
        .and_then(|mut stmt| stmt.execute(params))
        .map_err(|source| StoreError::Sqlite {
            context: format!("writing {table}"),
            source,
        })
}

/// Runs one cached query and decodes every row.
fn query<T>(
    conn: &Connection,
    table: &'static str,
    sql_text: &str,
    params: impl rusqlite::Params,
    mut decode: impl FnMut(&Row<'_>) -> Result<T, StoreError>,
) -> Result<Vec<T>, StoreError> {
    let failed = |source| StoreError::Sqlite {
        context: format!("reading {table}"),
        source,
    };
    let mut stmt = conn.prepare_cached(sql_text).map_err(failed)?;
    let mut rows = stmt.query(params).map_err(failed)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(failed)? {
        out.push(decode(row)?);
    }
    Ok(out)
}

/// Applies one change inside the caller's transaction.
fn apply_change(conn: &Connection, change: &Change) -> Result<(), StoreError> {
    match change {
        Change::Bid(b) => exec(
            conn,
            "bids",
            PUT_BID,
            params![
                b.provider.as_slice(),
                b.model,
                dec(&b.price),
                b.endpoint,
                int(b.nonce),
                int(b.expiry),
                b.signature.as_ref(),
            ],
        )?,
        Change::Attestation(a) => exec(
            conn,
            "attestations",
            PUT_ATTESTATION,
            params![
                a.provider.as_slice(),
                a.model,
                a.weights_hash.as_slice(),
                int(a.issued_at),
                a.signature.as_ref(),
            ],
        )?,
        Change::Allowance(a) => exec(
            conn,
            "allowances",
            PUT_ALLOWANCE,
            params![
                int(a.day),
                a.user.as_slice(),
                dec(&a.balance),
                int(a.allowance.allowance),
                int(a.allowance.used),
                int(a.allowance.held),
            ],
        )?,
        Change::Nonce {
            user,
            nonce,
            deadline,
        } => exec(
            conn,
            "nonces",
            PUT_NONCE,
            params![user.as_slice(), int(*nonce), int(*deadline)],
        )?,
        Change::Ticket(t) => exec(
            conn,
            "tickets",
            PUT_TICKET,
            params![
                t.request_id.as_slice(),
                t.user.as_slice(),
                t.provider.as_slice(),
                t.model,
                int(t.token_max),
                dec(&t.price),
                int(t.expiry),
                int(t.issued_at),
                int(t.day),
                ticket_status_text(t.status),
                t.signature.as_ref(),
            ],
        )?,
        Change::Report(r) => {
            let verdict = serde_json::to_string(&r.verdict).map_err(|e| StoreError::Encode {
                table: "reports",
                column: "verdict",
                why: e.to_string(),
            })?;
            let (tokens, wei, speed) = match &r.verdict {
                Verdict::Credited {
                    tokens,
                    wei,
                    micros_per_token,
                } => (
                    Some(int(*tokens)),
                    Some(dec(wei)),
                    Some(int(*micros_per_token)),
                ),
                _ => (None, None, None),
            };
            let inserted = conn.prepare_cached(PUT_REPORT).and_then(|mut stmt| {
                stmt.execute(params![
                    r.request_id.as_slice(),
                    r.model,
                    r.provider.as_slice(),
                    int(r.elapsed_ms),
                    int(r.user_tokens),
                    r.receipt_tokens.map(int),
                    r.pass,
                    verdict,
                    tokens,
                    wei,
                    speed,
                    int(r.accepted_at),
                    r.signature.as_ref(),
                ])
            });
            match inserted {
                Ok(n) => n,
                Err(rusqlite::Error::SqliteFailure(e, _))
                    if e.code == ErrorCode::ConstraintViolation =>
                {
                    return Err(StoreError::Duplicate {
                        table: "reports",
                        key: format!("request {}", r.request_id),
                    })
                }
                Err(source) => {
                    return Err(StoreError::Sqlite {
                        context: "writing reports".to_string(),
                        source,
                    })
                }
            }
        }
        Change::Receipt(r) => exec(
            conn,
            "receipts",
            PUT_RECEIPT,
            params![
                r.request_id.as_slice(),
                r.provider.as_slice(),
                int(r.tokens),
                r.signature.as_ref(),
            ],
        )?,
        Change::Credit(c) => {
            if c.amount.is_zero() {
                exec(conn, "credits", DEL_CREDIT, [int(c.seq)])?
            } else {
                exec(
                    conn,
                    "credits",
                    PUT_CREDIT,
                    params![
                        int(c.seq),
                        c.provider.as_slice(),
                        dec(&c.amount),
                        c.bootstrap,
                        int(c.block),
                    ],
                )?;
                exec(
                    conn,
                    "counters",
                    BUMP_NEXT_SEQ,
                    [int(c.seq.saturating_add(1))],
                )?
            }
        }
        Change::Work {
            day,
            provider,
            wei,
            tokens,
        } => {
            let before = query(
                conn,
                "work",
                GET_WORK,
                params![int(*day), provider.as_slice()],
                |row| {
                    let r = Cols::new(row, "work");
                    Ok((r.u256("wei")?, r.u64("tokens")?))
                },
            )?
            .pop()
            .unwrap_or((U256::ZERO, 0));
            exec(
                conn,
                "work",
                PUT_WORK,
                params![
                    int(*day),
                    provider.as_slice(),
                    dec(&before.0.saturating_add(*wei)),
                    int(before.1.saturating_add(*tokens)),
                ],
            )?
        }
        Change::Score { provider, score } => exec(
            conn,
            "scores",
            PUT_SCORE,
            params![provider.as_slice(), int(score.passes), int(score.fails)],
        )?,
        Change::Epoch(e) => {
            let mut fold = String::with_capacity(2 + e.fold.len() * 32);
            fold.push('[');
            for (i, (seq, wei)) in e.fold.iter().enumerate() {
                if i > 0 {
                    fold.push(',');
                }
                // Writing to a String cannot fail.
                let _ = write!(fold, "[{seq},\"{wei}\"]");
            }
            fold.push(']');
            let tx = e.tx.as_ref();
            exec(
                conn,
                "epochs",
                PUT_EPOCH,
                params![
                    int(e.epoch),
                    e.root.as_slice(),
                    dec(&e.cumulative_credited),
                    dec(&e.cumulative_bootstrap),
                    e.signature.as_ref(),
                    int(e.up_to_block),
                    int(e.built_at),
                    fold,
                    epoch_status_text(e.status),
                    tx.map(|t| t.0.as_slice()),
                    tx.map(|t| int(t.1)),
                    tx.map(|t| t.2.to_string()),
                    tx.map(|t| t.3.to_string()),
                    e.mined.map(|m| int(m.0)),
                    e.mined.map(|m| int(m.1)),
                ],
            )?
        }
        Change::DropEpoch(epoch) => {
            exec(conn, "epochs", DEL_EPOCH, [int(*epoch)])?;
            exec(conn, "leaves", DEL_EPOCH_LEAVES, [int(*epoch)])?
        }
        Change::Leaf(l) => exec(
            conn,
            "leaves",
            PUT_LEAF,
            params![
                l.provider.as_slice(),
                int(l.epoch),
                dec(&l.earned),
                dec(&l.bootstrap),
            ],
        )?,
        Change::Meta { key, value } => exec(conn, "meta", PUT_META, params![key, value])?,
    };
    Ok(())
}

/// The latest committed epoch.
fn latest_committed(conn: &Connection) -> Result<Option<EpochRecord>, StoreError> {
    let sql = format!(
        "SELECT {EPOCH_COLS} FROM epochs WHERE status = 'committed' ORDER BY epoch DESC LIMIT 1"
    );
    Ok(query(conn, "epochs", &sql, [], epoch_from)?.pop())
}

/// For every provider, its leaf with the greatest epoch <= `epoch`, sorted by provider. (SQLite
/// takes the bare columns of a `max()` aggregate from the row holding the maximum.)
fn table_at(conn: &Connection, epoch: u64) -> Result<Vec<LeafRecord>, StoreError> {
    query(
        conn,
        "leaves",
        "SELECT provider, max(epoch) AS max_epoch, earned, bootstrap FROM leaves \
         WHERE epoch BETWEEN 0 AND ?1 GROUP BY provider ORDER BY provider",
        [cmp(epoch)],
        |row| leaf_from(row, "max_epoch"),
    )
}

/// Per model, the micros per token of its last `window` credited reports, oldest first. Walks
/// the distinct models of the partial index one seek at a time.
fn speeds(conn: &Connection, window: usize) -> Result<Vec<(String, Vec<u64>)>, StoreError> {
    if window == 0 {
        return Ok(Vec::new());
    }
    let models = query(
        conn,
        "reports",
        "WITH RECURSIVE m(model) AS ( \
             SELECT min(model) FROM reports WHERE micros_per_token IS NOT NULL \
             UNION ALL \
             SELECT (SELECT min(model) FROM reports \
                     WHERE micros_per_token IS NOT NULL AND model > m.model) \
             FROM m WHERE m.model IS NOT NULL) \
         SELECT model FROM m WHERE model IS NOT NULL",
        [],
        |row| Cols::new(row, "reports").string("model"),
    )?;
    let limit = i64::try_from(window).unwrap_or(i64::MAX);
    let mut out = Vec::with_capacity(models.len());
    for model in models {
        let mut recent = query(
            conn,
            "reports",
            "SELECT micros_per_token FROM reports \
             WHERE model = ?1 AND micros_per_token IS NOT NULL ORDER BY rowid DESC LIMIT ?2",
            params![model, limit],
            |row| Cols::new(row, "reports").u64("micros_per_token"),
        )?;
        recent.reverse();
        out.push((model, recent));
    }
    Ok(out)
}

fn ticket_status_text(status: TicketStatus) -> &'static str {
    match status {
        TicketStatus::Open => "open",
        TicketStatus::Reported => "reported",
        TicketStatus::Expired => "expired",
    }
}

fn epoch_status_text(status: EpochStatus) -> &'static str {
    match status {
        EpochStatus::Built => "built",
        EpochStatus::Sent => "sent",
        EpochStatus::Committed => "committed",
    }
}

/// Typed, checked access to the columns of one row of one table.
struct Cols<'a, 'b> {
    row: &'a Row<'b>,
    table: &'static str,
}

impl<'a, 'b> Cols<'a, 'b> {
    fn new(row: &'a Row<'b>, table: &'static str) -> Self {
        Cols { row, table }
    }

    fn corrupt(&self, column: &'static str, why: impl ToString) -> StoreError {
        StoreError::Corrupt {
            table: self.table,
            column,
            why: why.to_string(),
        }
    }

    fn get<T: rusqlite::types::FromSql>(&self, column: &'static str) -> Result<T, StoreError> {
        self.row.get(column).map_err(|e| self.corrupt(column, e))
    }

    fn u64(&self, column: &'static str) -> Result<u64, StoreError> {
        Ok(self.get::<i64>(column)? as u64)
    }

    fn opt_u64(&self, column: &'static str) -> Result<Option<u64>, StoreError> {
        Ok(self.get::<Option<i64>>(column)?.map(|v| v as u64))
    }

    fn bool(&self, column: &'static str) -> Result<bool, StoreError> {
        match self.get::<i64>(column)? {
            0 => Ok(false),
            1 => Ok(true),
            other => Err(self.corrupt(column, format!("{other} is not a boolean (0 or 1)"))),
        }
    }

    fn string(&self, column: &'static str) -> Result<String, StoreError> {
        self.get(column)
    }

    fn digits(&self, column: &'static str, text: &str) -> Result<(), StoreError> {
        if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(self.corrupt(column, format!("{text:?} is not a decimal integer")));
        }
        Ok(())
    }

    fn u256(&self, column: &'static str) -> Result<U256, StoreError> {
        let text: String = self.get(column)?;
        self.parse_u256(column, &text)
    }

    fn parse_u256(&self, column: &'static str, text: &str) -> Result<U256, StoreError> {
        self.digits(column, text)?;
        U256::from_str_radix(text, 10)
            .map_err(|e| self.corrupt(column, format!("{text:?} is not a 256-bit integer: {e}")))
    }

    fn opt_u128(&self, column: &'static str) -> Result<Option<u128>, StoreError> {
        let Some(text) = self.get::<Option<String>>(column)? else {
            return Ok(None);
        };
        self.digits(column, &text)?;
        text.parse::<u128>()
            .map(Some)
            .map_err(|e| self.corrupt(column, format!("{text:?} is not a 128-bit integer: {e}")))
    }

    fn blob(&self, column: &'static str) -> Result<Vec<u8>, StoreError> {
        self.get(column)
    }

    fn address(&self, column: &'static str) -> Result<Address, StoreError> {
        let bytes = self.blob(column)?;
        if bytes.len() != 20 {
            return Err(self.corrupt(
                column,
                format!("{} bytes, not a 20-byte address", bytes.len()),
            ));
        }
        Ok(Address::from_slice(&bytes))
    }

    fn b256(&self, column: &'static str) -> Result<B256, StoreError> {
        self.opt_b256(column)?
            .ok_or_else(|| self.corrupt(column, "NULL, not a 32-byte hash"))
    }

    fn opt_b256(&self, column: &'static str) -> Result<Option<B256>, StoreError> {
        let Some(bytes) = self.get::<Option<Vec<u8>>>(column)? else {
            return Ok(None);
        };
        if bytes.len() != 32 {
            return Err(self.corrupt(column, format!("{} bytes, not a 32-byte hash", bytes.len())));
        }
        Ok(Some(B256::from_slice(&bytes)))
    }

    fn bytes(&self, column: &'static str) -> Result<Bytes, StoreError> {
        Ok(Bytes::from(self.blob(column)?))
    }
}

fn bid_from(row: &Row<'_>) -> Result<BidRecord, StoreError> {
    let r = Cols::new(row, "bids");
    Ok(BidRecord {
        provider: r.address("provider")?,
        model: r.string("model")?,
        price: r.u256("price")?,
        endpoint: r.string("endpoint")?,
        nonce: r.u64("nonce")?,
        expiry: r.u64("expiry")?,
        signature: r.bytes("signature")?,
    })
}

fn attestation_from(row: &Row<'_>) -> Result<AttestationRecord, StoreError> {
    let r = Cols::new(row, "attestations");
    Ok(AttestationRecord {
        provider: r.address("provider")?,
        model: r.string("model")?,
        weights_hash: r.b256("weights_hash")?,
        issued_at: r.u64("issued_at")?,
        signature: r.bytes("signature")?,
    })
}

fn allowance_from(row: &Row<'_>) -> Result<AllowanceRecord, StoreError> {
    let r = Cols::new(row, "allowances");
    Ok(AllowanceRecord {
        day: r.u64("day")?,
        user: r.address("user")?,
        balance: r.u256("balance")?,
        allowance: Allowance {
            allowance: r.u64("allowance")?,
            used: r.u64("used")?,
            held: r.u64("held")?,
        },
    })
}

fn ticket_from(row: &Row<'_>) -> Result<TicketRecord, StoreError> {
    let r = Cols::new(row, "tickets");
    let status = match r.string("status")?.as_str() {
        "open" => TicketStatus::Open,
        "reported" => TicketStatus::Reported,
        "expired" => TicketStatus::Expired,
        other => return Err(r.corrupt("status", format!("unknown ticket status {other:?}"))),
    };
    Ok(TicketRecord {
        request_id: r.b256("request_id")?,
        user: r.address("user")?,
        provider: r.address("provider")?,
        model: r.string("model")?,
        token_max: r.u64("token_max")?,
        price: r.u256("price")?,
        expiry: r.u64("expiry")?,
        issued_at: r.u64("issued_at")?,
        day: r.u64("day")?,
        status,
        signature: r.bytes("signature")?,
    })
}

fn report_from(row: &Row<'_>) -> Result<ReportRecord, StoreError> {
    let r = Cols::new(row, "reports");
    let verdict_text = r.string("verdict")?;
    let verdict: Verdict =
        serde_json::from_str(&verdict_text).map_err(|e| r.corrupt("verdict", e))?;
    Ok(ReportRecord {
        request_id: r.b256("request_id")?,
        model: r.string("model")?,
        provider: r.address("provider")?,
        elapsed_ms: r.u64("elapsed_ms")?,
        user_tokens: r.u64("user_tokens")?,
        receipt_tokens: r.opt_u64("receipt_tokens")?,
        pass: r.bool("pass")?,
        verdict,
        accepted_at: r.u64("accepted_at")?,
        signature: r.bytes("signature")?,
    })
}

fn receipt_from(row: &Row<'_>) -> Result<ReceiptRecord, StoreError> {
    let r = Cols::new(row, "receipts");
    Ok(ReceiptRecord {
        request_id: r.b256("request_id")?,
        provider: r.address("provider")?,
        tokens: r.u64("tokens")?,
        signature: r.bytes("signature")?,
    })
}

fn credit_from(row: &Row<'_>) -> Result<CreditRecord, StoreError> {
    let r = Cols::new(row, "credits");
    Ok(CreditRecord {
        seq: r.u64("seq")?,
        provider: r.address("provider")?,
        amount: r.u256("amount")?,
        bootstrap: r.bool("bootstrap")?,
        block: r.u64("block")?,
    })
}

fn epoch_from(row: &Row<'_>) -> Result<EpochRecord, StoreError> {
    let r = Cols::new(row, "epochs");
    let status = match r.string("status")?.as_str() {
        "built" => EpochStatus::Built,
        "sent" => EpochStatus::Sent,
        "committed" => EpochStatus::Committed,
        other => return Err(r.corrupt("status", format!("unknown epoch status {other:?}"))),
    };
    let fold_text = r.string("fold")?;
    let pairs: Vec<(u64, String)> =
        serde_json::from_str(&fold_text).map_err(|e| r.corrupt("fold", e))?;
    let fold = pairs
        .into_iter()
        .map(|(seq, wei)| Ok((seq, r.parse_u256("fold", &wei)?)))
        .collect::<Result<Vec<_>, StoreError>>()?;
    let tx = match (
        r.opt_b256("tx_hash")?,
        r.opt_u64("tx_nonce")?,
        r.opt_u128("tx_max_fee")?,
        r.opt_u128("tx_priority_fee")?,
    ) {
        (Some(hash), Some(nonce), Some(max_fee), Some(priority)) => {
            Some((hash, nonce, max_fee, priority))
        }
        (None, None, None, None) => None,
        _ => {
            return Err(r.corrupt(
                "tx_hash",
                "tx_hash, tx_nonce, tx_max_fee and tx_priority_fee must be all set or all NULL",
            ))
        }
    };
    let mined = match (r.opt_u64("mined_block")?, r.opt_u64("mined_gas")?) {
        (Some(block), Some(gas)) => Some((block, gas)),
        (None, None) => None,
        _ => {
            return Err(r.corrupt(
                "mined_block",
                "mined_block and mined_gas must be both set or both NULL",
            ))
        }
    };
    Ok(EpochRecord {
        epoch: r.u64("epoch")?,
        root: r.b256("root")?,
        cumulative_credited: r.u256("cumulative_credited")?,
        cumulative_bootstrap: r.u256("cumulative_bootstrap")?,
        signature: r.bytes("signature")?,
        up_to_block: r.u64("up_to_block")?,
        built_at: r.u64("built_at")?,
        fold,
        status,
        tx,
        mined,
    })
}

fn leaf_from(row: &Row<'_>, epoch_column: &'static str) -> Result<LeafRecord, StoreError> {
    let r = Cols::new(row, "leaves");
    Ok(LeafRecord {
        provider: r.address("provider")?,
        epoch: r.u64(epoch_column)?,
        earned: r.u256("earned")?,
        bootstrap: r.u256("bootstrap")?,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use yellowstone_market::judge::Refusal;

    /// A directory under the system temp dir, removed on drop.
    pub(crate) struct TempDir(pub(crate) PathBuf);

    impl TempDir {
        pub(crate) fn new(name: &str) -> TempDir {
            use std::sync::atomic::{AtomicU64, Ordering};
            static NEXT: AtomicU64 = AtomicU64::new(0);
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0);
            let dir = std::env::temp_dir().join(format!(
                "yellowstone-store-{name}-{}-{nanos}-{}",
                std::process::id(),
                NEXT.fetch_add(1, Ordering::Relaxed)
            ));
            std::fs::create_dir_all(&dir).unwrap();
            TempDir(dir)
        }

        pub(crate) fn db(&self) -> PathBuf {
            self.0.join("nested").join("router.db")
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    pub(crate) fn addr(n: u8) -> Address {
        Address::repeat_byte(n)
    }

    pub(crate) fn hash(n: u8) -> B256 {
        B256::repeat_byte(n)
    }

    fn sig(n: u8) -> Bytes {
        Bytes::from(vec![n; 65])
    }

    fn wei(n: u64) -> U256 {
        U256::from(n) * U256::from(10u64).pow(U256::from(18))
    }

    pub(crate) fn ticket(n: u8, status: TicketStatus, expiry: u64) -> TicketRecord {
        TicketRecord {
            request_id: hash(n),
            user: addr(100),
            provider: addr(1),
            model: "llama".into(),
            token_max: 1000,
            price: wei(3) + U256::from(7),
            expiry,
            issued_at: expiry.saturating_sub(60),
            day: expiry / DAY,
            status,
            signature: sig(n),
        }
    }

    pub(crate) fn report(n: u8, model: &str, micros: Option<u64>) -> ReportRecord {
        ReportRecord {
            request_id: hash(n),
            model: model.into(),
            provider: addr(1),
            elapsed_ms: 1234,
            user_tokens: 500,
            receipt_tokens: Some(499),
            pass: micros.is_some(),
            verdict: match micros {
                Some(micros_per_token) => Verdict::Credited {
                    tokens: 499,
                    wei: U256::MAX - U256::from(n),
                    micros_per_token,
                },
                None => Verdict::Refused {
                    reason: Refusal::Failed,
                },
            },
            accepted_at: 1_700_000_000,
            signature: sig(n),
        }
    }

    fn receipt(n: u8, tokens: u64) -> ReceiptRecord {
        ReceiptRecord {
            request_id: hash(n),
            provider: addr(1),
            tokens,
            signature: sig(n),
        }
    }

    fn credit(seq: u64, amount: U256) -> CreditRecord {
        CreditRecord {
            seq,
            provider: addr(seq as u8),
            amount,
            bootstrap: seq.is_multiple_of(2),
            block: 1000 + seq,
        }
    }

    fn epoch(n: u64, status: EpochStatus) -> EpochRecord {
        EpochRecord {
            epoch: n,
            root: hash(n as u8),
            cumulative_credited: U256::MAX,
            cumulative_bootstrap: wei(n),
            signature: sig(n as u8),
            up_to_block: 100 * n,
            built_at: 1_700_000_000 + n,
            fold: vec![(n, wei(1)), (n + 1, U256::MAX)],
            status,
            tx: (status != EpochStatus::Built).then_some((hash(9), 42, u128::MAX, 7)),
            mined: (status == EpochStatus::Committed).then_some((123, 45_678)),
        }
    }

    fn leaf(provider: u8, epoch: u64, earned: u64) -> LeafRecord {
        LeafRecord {
            provider: addr(provider),
            epoch,
            earned: wei(earned),
            bootstrap: U256::from(earned),
        }
    }

    const NOW: u64 = 1_700_000_000;

    /// One of every change, plus what load should return for them.
    fn every_change() -> Vec<Change> {
        let day = NOW / DAY;
        vec![
            Change::Bid(BidRecord {
                provider: addr(1),
                model: "llama".into(),
                price: U256::MAX,
                endpoint: "https://p1.example".into(),
                nonce: u64::MAX,
                expiry: u64::MAX,
                signature: sig(1),
            }),
            Change::Attestation(AttestationRecord {
                provider: addr(1),
                model: "llama".into(),
                weights_hash: hash(77),
                issued_at: NOW - 10,
                signature: sig(2),
            }),
            Change::Allowance(AllowanceRecord {
                day,
                user: addr(100),
                balance: wei(500),
                allowance: Allowance {
                    allowance: 1_500_000,
                    used: 20,
                    held: 1000,
                },
            }),
            Change::Nonce {
                user: addr(100),
                nonce: u64::MAX,
                deadline: u64::MAX,
            },
            Change::Ticket(ticket(1, TicketStatus::Open, NOW + 300)),
            Change::Report(report(2, "llama", Some(1500))),
            Change::Receipt(receipt(1, 480)),
            Change::Credit(credit(5, wei(2))),
            Change::Work {
                day,
                provider: addr(1),
                wei: wei(2),
                tokens: 499,
            },
            Change::Score {
                provider: addr(1),
                score: Score {
                    passes: 9,
                    fails: 1,
                },
            },
            Change::Epoch(epoch(1, EpochStatus::Committed)),
            Change::Leaf(leaf(1, 1, 10)),
            Change::Epoch(epoch(2, EpochStatus::Built)),
            Change::Leaf(leaf(2, 2, 20)),
            Change::Epoch(epoch(3, EpochStatus::Built)),
            Change::Leaf(leaf(3, 3, 30)),
            Change::DropEpoch(3),
            Change::Meta {
                key: "bootstrap_day".into(),
                value: day.to_string(),
            },
        ]
    }

    fn check_every_change(store: &Store) {
        let changes = every_change();
        let loaded = store.load(NOW, 100).unwrap();
        let day = NOW / DAY;
        let Change::Bid(bid) = &changes[0] else {
            unreachable!()
        };
        assert_eq!(loaded.bids, vec![bid.clone()]);
        let Change::Attestation(att) = &changes[1] else {
            unreachable!()
        };
        assert_eq!(loaded.attestations, vec![att.clone()]);
        let Change::Allowance(allowance) = &changes[2] else {
            unreachable!()
        };
        assert_eq!(loaded.allowances, vec![allowance.clone()]);
        assert_eq!(loaded.nonces, vec![(addr(100), u64::MAX, u64::MAX)]);
        assert_eq!(
            loaded.tickets,
            vec![ticket(1, TicketStatus::Open, NOW + 300)]
        );
        assert_eq!(loaded.receipts, vec![receipt(1, 480)]);
        assert_eq!(loaded.credits, vec![credit(5, wei(2))]);
        assert_eq!(loaded.next_seq, 6);
        assert_eq!(loaded.work, vec![(day, addr(1), wei(2), 499)]);
        assert_eq!(
            loaded.scores,
            vec![(
                addr(1),
                Score {
                    passes: 9,
                    fails: 1
                }
            )]
        );
        assert_eq!(loaded.speeds, vec![("llama".to_string(), vec![1500])]);
        assert_eq!(loaded.committed, Some(epoch(1, EpochStatus::Committed)));
        assert_eq!(loaded.in_flight, Some(epoch(2, EpochStatus::Built)));
        assert_eq!(loaded.table, vec![leaf(1, 1, 10), leaf(2, 2, 20)]);
        assert_eq!(
            loaded.meta,
            vec![("bootstrap_day".to_string(), day.to_string())]
        );
        assert_eq!(
            store.report(hash(2)).unwrap(),
            Some(report(2, "llama", Some(1500)))
        );
        assert_eq!(
            store.ticket(hash(1)).unwrap(),
            Some(ticket(1, TicketStatus::Open, NOW + 300))
        );
        assert_eq!(store.receipt(hash(1)).unwrap(), Some(receipt(1, 480)));
        assert_eq!(store.epoch(3).unwrap(), None);
        assert_eq!(store.epoch(2).unwrap(), Some(epoch(2, EpochStatus::Built)));
        assert_eq!(
            store.latest_committed_epoch().unwrap(),
            Some(epoch(1, EpochStatus::Committed))
        );
        assert_eq!(
            store.latest_allowance(addr(100)).unwrap(),
            Some(allowance.clone())
        );
        assert_eq!(store.day_volume(day).unwrap(), (wei(2), 499));
        assert_eq!(store.day_work(day).unwrap(), vec![(addr(1), wei(2))]);
    }

    #[test]
    fn every_change_round_trips_through_apply_and_load() {
        let store = Store::open_in_memory().unwrap();
        store.apply(&every_change()).unwrap();
        check_every_change(&store);
        // Applying the same idempotent changes again (without the report) changes nothing.
        let again: Vec<Change> = every_change()
            .into_iter()
            .filter(|c| !matches!(c, Change::Report(_) | Change::Work { .. }))
            .collect();
        store.apply(&again).unwrap();
        check_every_change(&store);
    }

    #[test]
    fn a_database_reopened_from_disk_loads_the_same_state() {
        let dir = TempDir::new("reopen");
        {
            let store = Store::open(&dir.db(), Durability::Full).unwrap();
            store.apply(&every_change()).unwrap();
            check_every_change(&store);
        }
        let store = Store::open(&dir.db(), Durability::Normal).unwrap();
        check_every_change(&store);
        assert!(store.stats().unwrap().bytes > 0);
    }

    #[test]
    fn replacing_changes_replace_and_receipts_keep_the_first() {
        let store = Store::open_in_memory().unwrap();
        let mut t = ticket(1, TicketStatus::Open, NOW + 300);
        store
            .apply(&[Change::Ticket(t.clone()), Change::Receipt(receipt(1, 10))])
            .unwrap();
        t.status = TicketStatus::Reported;
        store
            .apply(&[Change::Ticket(t.clone()), Change::Receipt(receipt(1, 99))])
            .unwrap();
        assert_eq!(store.ticket(hash(1)).unwrap(), Some(t));
        assert_eq!(store.receipt(hash(1)).unwrap(), Some(receipt(1, 10)));
        let work = |wei_: u64, tokens| Change::Work {
            day: 3,
            provider: addr(4),
            wei: wei(wei_),
            tokens,
        };
        store.apply(&[work(1, 10), work(2, 20)]).unwrap();
        store
            .apply(&[Change::Work {
                day: 3,
                provider: addr(5),
                wei: U256::MAX,
                tokens: u64::MAX,
            }])
            .unwrap();
        assert_eq!(
            store.day_work(3).unwrap(),
            vec![(addr(4), wei(3)), (addr(5), U256::MAX)]
        );
        assert_eq!(
            store.day_volume(3).unwrap(),
            (U256::MAX, u64::MAX),
            "saturates"
        );
    }

    #[test]
    fn a_second_report_is_a_duplicate_and_rolls_back_its_whole_batch() {
        let store = Store::open_in_memory().unwrap();
        store
            .apply(&[Change::Report(report(1, "llama", Some(10)))])
            .unwrap();
        let err = store
            .apply(&[
                Change::Ticket(ticket(2, TicketStatus::Open, NOW)),
                Change::Credit(credit(9, wei(1))),
                Change::Meta {
                    key: "k".into(),
                    value: "v".into(),
                },
                Change::Report(report(1, "llama", None)),
                Change::Leaf(leaf(1, 1, 1)),
            ])
            .unwrap_err();
        assert!(
            matches!(
                err,
                StoreError::Duplicate {
                    table: "reports",
                    ..
                }
            ),
            "{err}"
        );
        assert_eq!(store.ticket(hash(2)).unwrap(), None);
        assert_eq!(
            store.report(hash(1)).unwrap(),
            Some(report(1, "llama", Some(10)))
        );
        let loaded = store.load(NOW, 10).unwrap();
        assert!(loaded.credits.is_empty());
        assert_eq!(loaded.next_seq, 1);
        assert!(loaded.meta.is_empty());
        assert!(store.table_at(10).unwrap().is_empty());
    }

    #[test]
    fn a_zero_credit_deletes_and_next_seq_never_goes_back() {
        let dir = TempDir::new("seq");
        {
            let store = Store::open(&dir.db(), Durability::Normal).unwrap();
            assert_eq!(store.load(NOW, 10).unwrap().next_seq, 1);
            store
                .apply(&[
                    Change::Credit(credit(1, wei(1))),
                    Change::Credit(credit(2, wei(2))),
                    Change::Credit(credit(3, wei(3))),
                ])
                .unwrap();
            store
                .apply(&[
                    Change::Credit(credit(2, wei(5))),
                    Change::Credit(credit(3, U256::ZERO)),
                ])
                .unwrap();
            let loaded = store.load(NOW, 10).unwrap();
            assert_eq!(loaded.credits, vec![credit(1, wei(1)), credit(2, wei(5))]);
            assert_eq!(loaded.next_seq, 4);
            store
                .apply(&[
                    Change::Credit(credit(1, U256::ZERO)),
                    Change::Credit(credit(2, U256::ZERO)),
                ])
                .unwrap();
            let loaded = store.load(NOW, 10).unwrap();
            assert!(loaded.credits.is_empty());
            assert_eq!(loaded.next_seq, 4);
            assert_eq!(store.stats().unwrap().credits_pending, 0);
        }
        let store = Store::open(&dir.db(), Durability::Normal).unwrap();
        let loaded = store.load(NOW, 10).unwrap();
        assert!(loaded.credits.is_empty());
        assert_eq!(
            loaded.next_seq, 4,
            "seq 3 was used and deleted: never reuse it"
        );
    }

    #[test]
    fn table_at_picks_the_latest_leaf_at_or_before_the_epoch() {
        let store = Store::open_in_memory().unwrap();
        store
            .apply(&[
                Change::Leaf(leaf(1, 1, 10)),
                Change::Leaf(leaf(2, 1, 20)),
                Change::Leaf(leaf(1, 3, 11)),
                Change::Leaf(leaf(3, 3, 30)),
                Change::Leaf(leaf(2, 7, 21)),
                Change::Leaf(leaf(3, 7, 31)),
                Change::Leaf(leaf(4, 7, 40)),
            ])
            .unwrap();
        assert!(store.table_at(0).unwrap().is_empty());
        assert_eq!(
            store.table_at(1).unwrap(),
            vec![leaf(1, 1, 10), leaf(2, 1, 20)]
        );
        assert_eq!(
            store.table_at(2).unwrap(),
            vec![leaf(1, 1, 10), leaf(2, 1, 20)]
        );
        let at3 = vec![leaf(1, 3, 11), leaf(2, 1, 20), leaf(3, 3, 30)];
        assert_eq!(store.table_at(3).unwrap(), at3);
        assert_eq!(store.table_at(6).unwrap(), at3);
        let at7 = vec![
            leaf(1, 3, 11),
            leaf(2, 7, 21),
            leaf(3, 7, 31),
            leaf(4, 7, 40),
        ];
        assert_eq!(store.table_at(7).unwrap(), at7);
        assert_eq!(store.table_at(u64::MAX).unwrap(), at7);
        assert_eq!(store.leaf_at(addr(2), 6).unwrap(), Some(leaf(2, 1, 20)));
        assert_eq!(store.leaf_at(addr(2), 7).unwrap(), Some(leaf(2, 7, 21)));
        assert_eq!(store.leaf_at(addr(4), 6).unwrap(), None);
        assert_eq!(store.leaf_at(addr(9), 7).unwrap(), None);
        // A leaf rewritten at the same epoch is replaced.
        store.apply(&[Change::Leaf(leaf(4, 7, 41))]).unwrap();
        assert_eq!(store.leaf_at(addr(4), 7).unwrap(), Some(leaf(4, 7, 41)));
    }

    #[test]
    fn drop_epoch_removes_the_epoch_and_its_leaves_only() {
        let store = Store::open_in_memory().unwrap();
        store
            .apply(&[
                Change::Epoch(epoch(1, EpochStatus::Committed)),
                Change::Leaf(leaf(1, 1, 10)),
                Change::Leaf(leaf(2, 1, 20)),
                Change::Epoch(epoch(2, EpochStatus::Sent)),
                Change::Leaf(leaf(1, 2, 11)),
                Change::Leaf(leaf(3, 2, 30)),
                Change::Credit(credit(4, wei(1))),
            ])
            .unwrap();
        let loaded = store.load(NOW, 10).unwrap();
        assert_eq!(loaded.in_flight, Some(epoch(2, EpochStatus::Sent)));
        assert_eq!(
            loaded.table,
            vec![leaf(1, 2, 11), leaf(2, 1, 20), leaf(3, 2, 30)]
        );
        store.apply(&[Change::DropEpoch(2)]).unwrap();
        assert_eq!(store.epoch(2).unwrap(), None);
        assert_eq!(
            store.epoch(1).unwrap(),
            Some(epoch(1, EpochStatus::Committed))
        );
        assert_eq!(
            store.table_at(9).unwrap(),
            vec![leaf(1, 1, 10), leaf(2, 1, 20)]
        );
        let loaded = store.load(NOW, 10).unwrap();
        assert_eq!(loaded.committed, Some(epoch(1, EpochStatus::Committed)));
        assert_eq!(loaded.in_flight, None);
        assert_eq!(loaded.table, vec![leaf(1, 1, 10), leaf(2, 1, 20)]);
        assert_eq!(loaded.credits, vec![credit(4, wei(1))]);
        let stats = store.stats().unwrap();
        assert_eq!((stats.epochs, stats.leaves), (1, 2));
    }

    #[test]
    fn load_keeps_only_what_still_matters_and_prune_deletes_the_rest() {
        let store = Store::open_in_memory().unwrap();
        let day = NOW / DAY;
        let mut changes = Vec::new();
        for (i, d) in [day - 9, day - 7, day - 2, day - 1, day]
            .into_iter()
            .enumerate()
        {
            changes.push(Change::Allowance(AllowanceRecord {
                day: d,
                user: addr(100),
                balance: U256::from(i),
                allowance: Allowance {
                    allowance: 1,
                    used: 0,
                    held: 0,
                },
            }));
            changes.push(Change::Work {
                day: d,
                provider: addr(1),
                wei: U256::from(i),
                tokens: 1,
            });
        }
        changes.extend([
            Change::Nonce {
                user: addr(100),
                nonce: 1,
                deadline: NOW - 1,
            },
            Change::Nonce {
                user: addr(100),
                nonce: 2,
                deadline: NOW,
            },
            Change::Ticket(ticket(1, TicketStatus::Open, NOW - 100_000)),
            Change::Ticket(ticket(2, TicketStatus::Reported, NOW - 3600)),
            Change::Ticket(ticket(3, TicketStatus::Reported, NOW - 3601)),
            Change::Ticket(ticket(4, TicketStatus::Expired, NOW + 100)),
            Change::Ticket(ticket(5, TicketStatus::Reported, u64::MAX)),
            Change::Receipt(receipt(2, 1)),
            Change::Receipt(receipt(3, 1)),
            Change::Receipt(receipt(4, 1)),
        ]);
        for (i, micros) in (10u8..20).zip(100u64..) {
            changes.push(Change::Report(report(i, "a", Some(micros))));
            changes.push(Change::Report(report(i + 20, "b", None)));
        }
        changes.push(Change::Report(report(50, "b", Some(7))));
        changes.push(Change::Report(report(51, "c", None)));
        store.apply(&changes).unwrap();

        let loaded = store.load(NOW, 3).unwrap();
        let days: Vec<u64> = loaded.allowances.iter().map(|a| a.day).collect();
        assert_eq!(days, vec![day - 1, day]);
        let work_days: Vec<u64> = loaded.work.iter().map(|w| w.0).collect();
        assert_eq!(work_days, vec![day - 1, day]);
        assert_eq!(loaded.nonces, vec![(addr(100), 2, NOW)]);
        let mut tickets: Vec<B256> = loaded.tickets.iter().map(|t| t.request_id).collect();
        tickets.sort();
        assert_eq!(tickets, vec![hash(1), hash(2), hash(5)]);
        assert_eq!(loaded.receipts, vec![receipt(2, 1)]);
        assert_eq!(
            loaded.speeds,
            vec![
                ("a".to_string(), vec![107, 108, 109]),
                ("b".to_string(), vec![7])
            ]
        );
        assert!(store.load(NOW, 0).unwrap().speeds.is_empty());
        assert_eq!(
            store.latest_allowance(addr(100)).unwrap().map(|a| a.day),
            Some(day)
        );

        // Prune: nonce 1 (deadline passed), allowance and work of day - 9 (older than 7 days).
        assert_eq!(store.prune(NOW).unwrap(), 3);
        assert_eq!(store.prune(NOW).unwrap(), 0);
        let loaded = store.load(NOW - 8 * DAY, 3).unwrap();
        let days: Vec<u64> = loaded.allowances.iter().map(|a| a.day).collect();
        assert_eq!(days, vec![day - 7, day - 2, day - 1, day]);
        assert_eq!(loaded.nonces.len(), 1);
        let stats = store.stats().unwrap();
        assert_eq!(
            (stats.tickets, stats.reports),
            (5, 22),
            "the audit trail is kept"
        );
    }

    #[test]
    fn a_corrupt_row_is_an_error_naming_its_table_and_column() {
        let dir = TempDir::new("corrupt");
        let store = Store::open(&dir.db(), Durability::Normal).unwrap();
        store
            .apply(&[
                Change::Credit(credit(1, wei(1))),
                Change::Ticket(ticket(1, TicketStatus::Open, NOW + 10)),
                Change::Leaf(leaf(1, 1, 1)),
            ])
            .unwrap();
        let raw = Connection::open(dir.db()).unwrap();
        let expect = |sql_text: &str, table: &str, column: &str, err: StoreError| {
            let text = err.to_string();
            assert!(
                matches!(&err, StoreError::Corrupt { table: t, column: c, .. } if *t == table && *c == column),
                "{sql_text}: {text}"
            );
            assert!(text.contains(table) && text.contains(column), "{text}");
        };
        let cases: [(&str, &str, &str); 5] = [
            ("UPDATE credits SET amount = 'garbage'", "credits", "amount"),
            ("UPDATE credits SET amount = '1e18'", "credits", "amount"),
            (
                "UPDATE credits SET amount = '1' || amount",
                "credits",
                "amount",
            ),
            (
                "UPDATE credits SET provider = x'0102'",
                "credits",
                "provider",
            ),
            (
                "UPDATE credits SET bootstrap = 'yes'",
                "credits",
                "bootstrap",
            ),
        ];
        for (sql_text, table, column) in cases {
            let backup: String = raw
                .query_row("SELECT amount FROM credits", [], |r| r.get(0))
                .unwrap();
            let backup_provider: Vec<u8> = raw
                .query_row("SELECT provider FROM credits", [], |r| r.get(0))
                .unwrap();
            raw.execute_batch(sql_text).unwrap();
            if sql_text.contains("|| amount") {
                // 78 digits: more than 2^256.
                raw.execute_batch(
                    "UPDATE credits SET amount = amount || amount || amount || amount",
                )
                .unwrap();
            }
            expect(sql_text, table, column, store.load(NOW, 10).unwrap_err());
            raw.execute(
                "UPDATE credits SET amount = ?1, provider = ?2, bootstrap = 0",
                params![backup, backup_provider],
            )
            .unwrap();
        }
        store.load(NOW, 10).unwrap();
        raw.execute_batch("UPDATE tickets SET status = 'lost'")
            .unwrap();
        expect(
            "status",
            "tickets",
            "status",
            store.ticket(hash(1)).unwrap_err(),
        );
        raw.execute_batch("UPDATE tickets SET status = 'open', price = -5")
            .unwrap();
        expect(
            "price",
            "tickets",
            "price",
            store.load(NOW, 10).unwrap_err(),
        );
        raw.execute_batch("UPDATE leaves SET earned = 'x'").unwrap();
        expect("earned", "leaves", "earned", store.table_at(5).unwrap_err());
        raw.execute_batch("UPDATE leaves SET earned = '1', epoch = 2.5")
            .unwrap();
        expect(
            "epoch",
            "leaves",
            "epoch",
            store.leaf_at(addr(1), 5).unwrap_err(),
        );
    }

    #[test]
    fn a_newer_schema_version_is_refused_with_a_clear_message() {
        let dir = TempDir::new("version");
        drop(Store::open(&dir.db(), Durability::Normal).unwrap());
        Connection::open(dir.db())
            .unwrap()
            .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
        let err = Store::open(&dir.db(), Durability::Normal).unwrap_err();
        assert!(
            matches!(
                err,
                StoreError::TooNew {
                    found: 2,
                    supported: 1,
                    ..
                }
            ),
            "{err}"
        );
        let text = err.to_string();
        assert!(
            text.contains("schema version 2") && text.contains("newer router"),
            "{text}"
        );
    }

    #[test]
    fn a_file_that_is_not_a_database_is_an_error() {
        let dir = TempDir::new("garbage");
        std::fs::create_dir_all(dir.db().parent().unwrap()).unwrap();
        std::fs::write(dir.db(), vec![0x5a; 8192]).unwrap();
        let err = Store::open(&dir.db(), Durability::Normal).unwrap_err();
        assert!(matches!(err, StoreError::Sqlite { .. }), "{err}");
    }

    #[test]
    fn reads_on_the_read_connection_see_committed_writes() {
        let dir = TempDir::new("reads");
        let store = std::sync::Arc::new(Store::open(&dir.db(), Durability::Normal).unwrap());
        let reader = {
            let store = store.clone();
            std::thread::spawn(move || {
                let mut seen = 0;
                while seen < 50 {
                    seen = store.stats().unwrap().tickets;
                }
            })
        };
        for n in 0..50u8 {
            store
                .apply(&[Change::Ticket(ticket(n, TicketStatus::Open, NOW))])
                .unwrap();
        }
        reader.join().unwrap();
        assert_eq!(store.path(), Some(dir.db().as_path()));
    }
}
