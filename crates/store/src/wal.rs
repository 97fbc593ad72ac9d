//! WAL checkpoints: whether commits make their own (`wal_autocheckpoint`), the PASSIVE
//! checkpoints the [`Writer`](crate::writer::Writer) runs on a connection of their own, and
//! the WAL length each commit leaves, which the writer watches to keep the WAL bounded.

use crate::error::{sqlite, StoreError};
use crate::{lock, Store};

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

// Set by the WAL hook on the committing thread: the writer reads it right after its own commits.
thread_local! {
    static WAL_FRAMES: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// The WAL's length in frames after the last commit this thread made on a store watched by
/// [`Store::watch_wal_frames`] (0 before any).
pub fn wal_frames_seen() -> u64 {
    WAL_FRAMES.with(|f| f.get())
}

impl Store {
    /// Sets after how many WAL pages a commit on the write connection checkpoints by itself
    /// (`PRAGMA wal_autocheckpoint`; 0 = never). The [`Writer`](crate::writer::Writer) sets 0 while it runs
    /// and checkpoints from a thread of its own with [`Store::checkpoint`], so no commit waits
    /// for a checkpoint; it restores [`AUTO_CHECKPOINT_PAGES`] when it stops.
    pub fn set_auto_checkpoint(&self, pages: u32) -> Result<(), StoreError> {
        lock(&self.write)
            .pragma_update(None, "wal_autocheckpoint", pages)
            .map_err(sqlite("setting wal_autocheckpoint"))
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
            .map_err(sqlite("reading wal_autocheckpoint"))
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
            .map_err(sqlite("checkpointing the WAL"))?;
        Ok(Checkpoint {
            wal_frames: log.max(0) as u64,
            checkpointed: done.max(0) as u64,
        })
    }
}
