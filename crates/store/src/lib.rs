//! # The store
//!
//! The router's database: one SQLite file in WAL mode, holding the state the router's
//! [`Change`](yellowstone_market::records::Change)s leave, applied in the order it made them.
//! The router keeps its working state in memory; this crate makes that state durable
//! ([`Store::apply`], usually through the group-committing [`writer::Writer`]), rebuilds it at
//! start-up ([`Store::load`]) and answers the few queries that are not worth keeping in memory
//! (a ticket, report or receipt by request id, the epoch table at any epoch, a day's volume).
//!
//! ## Layout
//!
//! | module | what |
//! |---|---|
//! | `lib.rs` | [`Store`]: opening, the write, read and checkpoint connections; [`Durability`] |
//! | `schema` | the DDL and its version ([`SCHEMA_VERSION`]), created on first open |
//! | `upgrade` | an older version upgraded in place at open (version 1 to 2: see below) |
//! | `sql` | the SQL kept out of the code (writes, column lists) and the helpers that run it |
//! | `codec`, `cols` | records to and from rows, per the encoding below; checked column reads |
//! | `apply` | [`Store::apply`]: one transaction per call, one function per kind of change |
//! | `load` | [`Store::load`] at start-up, and [`Store::prune`] of what it would never load |
//! | `reads` | reads by key: [`Store::ticket`], [`Store::table_at`], [`Store::day_volume`], ... |
//! | `wal` | WAL checkpoints: [`Store::checkpoint`], [`Checkpoint`], [`wal_frames_seen`] |
//! | `stats` | [`StoreStats`] for `/metrics` |
//! | `error` | [`StoreError`] |
//! | [`writer`] | the group-committing [`writer::Writer`] thread |
//!
//! Only `writer` is a public module; the rest is re-exported at the crate root or is an `impl
//! Store` block. Unit tests sit in each module; `test_support` holds their shared fixtures.
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
//! | a list of addresses (a score's `failed_by`) | one BLOB, 20 bytes each, in order |
//!
//! No user-supplied value can make a write fail (a failed write would fail every request
//! committed in the same transaction): `u64`s are bit-cast rather than range-checked, and the
//! queries that compare user-chosen `u64`s (nonce deadlines, ticket expiries) treat a negative
//! stored value as "above `i64::MAX`" (days, epochs, blocks and seqs come from the router's own
//! clock and counters and are assumed below 2^63). Values read back are checked: a row that does
//! not decode is reported as [`StoreError::Corrupt`] naming its table and column, never a panic.
//!
//! ## Schema (version [`SCHEMA_VERSION`], in `PRAGMA user_version`)
//!
//! | table | key | notes |
//! |---|---|---|
//! | `bids` | (provider, model) | with the bid's `capacity` |
//! | `attestations` | (provider, model) | |
//! | `allowances` | (day, user) | wei (`allowance`, `used`, `held`) and the day's reference `price`; index (user, day) for [`Store::latest_allowance`] |
//! | `nonces` | (user, nonce) | index deadline for pruning |
//! | `tickets` | request_id | index (status, expiry) for start-up; `charged`: the wei the user was charged at settlement (0 while open) |
//! | `reports` | rowid (acceptance order); request_id unique | the audit trail (speeds are in `speeds`) |
//! | `receipts` | request_id | |
//! | `credits` | seq | pending credits only |
//! | `counters` | name | `next_seq`: 1 + the greatest credit seq ever inserted |
//! | `work` | (day, provider) | |
//! | `scores` | provider | `failed_by`: the users whose negative point the score counts |
//! | `speeds` | (model, seq) | each model's speed window: the samples the credit rule averages |
//! | `epochs` | epoch | index (status, epoch); `deadline`: the last block timestamp the contract accepts the root at |
//! | `leaves` | (provider, epoch) | index epoch |
//! | `archived_epochs` | (epoch, root) | every signed root that can never land (expired, or its number taken), kept ([`Store::archived`]) |
//! | `archived_leaves` | (epoch, root, provider) | each archived root's full table |
//! | `meta` | key | |
//!
//! **Upgrades.** Opening a database of an older version upgrades it in place, in the same
//! immediate transaction that creates a schema (so a failed upgrade changes nothing, and a
//! second open finds the new version and does nothing). Version 1 to 2 (SPEC 8): bids are
//! dropped (signed without `capacity`: providers bid again), allowances are converted from
//! tokens to wei at each day's reference price (rows of a day without figures are dropped and
//! recomputed), reports get `first_token_ms` 0, scores an empty `failed_by`, tickets what
//! version 1 charged, and `speeds` starts empty. Version 2 to 3 (contract v2): epochs gain
//! `deadline` (0 for the old roots: one in flight is archived at the first look at the chain)
//! and the archive tables are created. The details are in `upgrade.rs`. Back up the file
//! before upgrading: an older router cannot open it afterwards.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

mod apply;
mod codec;
mod cols;
mod error;
mod load;
mod reads;
mod schema;
mod sql;
mod stats;
#[cfg(test)]
mod test_support;
mod upgrade;
mod wal;
pub mod writer;

pub use error::StoreError;
pub use schema::SCHEMA_VERSION;
pub use stats::StoreStats;
pub use wal::{wal_frames_seen, Checkpoint, AUTO_CHECKPOINT_PAGES};

use error::sqlite;
use schema::{check_version, migrate};

/// How long a connection waits for a lock held by another connection before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Prepared statements kept per connection (every statement of this crate fits).
const STATEMENT_CACHE: usize = 64;

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

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

/// Locks a connection, recovering it from a poisoned mutex (a panic elsewhere while holding
/// the lock leaves no transaction open: rusqlite rolls back on drop).
pub(crate) fn lock(mutex: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
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
        let mut conn = Connection::open_in_memory().map_err(sqlite("opening in memory"))?;
        configure(&conn).map_err(sqlite("opening in memory"))?;
        migrate(&mut conn, ":memory:")?;
        Ok(Store {
            path: None,
            write: Mutex::new(conn),
            read: None,
            checkpoints: None,
        })
    }

    /// The database file, `None` in memory.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The connection reads use.
    pub(crate) fn reader(&self) -> MutexGuard<'_, Connection> {
        lock(self.read.as_ref().unwrap_or(&self.write))
    }
}

/// Settings every connection gets.
fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    conn.pragma_update(None, "foreign_keys", "OFF")
}

#[cfg(test)]
mod tests {
    use crate::test_support::{check_every_change, every_change, ticket, TempDir, NOW};
    use crate::{Durability, Store, StoreError};
    use yellowstone_market::records::{Change, TicketStatus};

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
