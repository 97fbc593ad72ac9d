//! # The writer
//!
//! A dedicated thread that commits batches of [`Change`]s for the whole router. Callers send a
//! batch and wait for its commit; batches that arrive while a transaction is being committed
//! wait together and are committed in the next transaction (group commit), in arrival order,
//! so thousands of small batches per second cost a few fsyncs rather than thousands. Before
//! it drains the queue, the writer yields its core once: where it shares a core with the
//! threads that send it work, its wake-up would otherwise preempt them at every batch, and
//! each transaction would carry one request (with every page that request touches rewritten
//! in the WAL, and two context switches). With the yield the senders run on until they wait,
//! and their batches go in one transaction: 30-50 us less CPU per request with the router on
//! one core (`yellowstone bench router`). An idle core gives the writer back at once.
//!
//! ## Failures
//!
//! Group commit never makes one caller's failure another's: when a transaction holding
//! several batches fails, it is rolled back entirely and the writer re-applies the same batches
//! one transaction each, in arrival order, so every caller gets the result of its own batch
//! (the same result it would have had committing alone) and what is on disk is exactly the
//! batches that returned `Ok`. The writer keeps serving after any error.
//!
//! ## Checkpoints
//!
//! While the writer runs, commits never checkpoint the WAL themselves (`wal_autocheckpoint`
//! is 0 on the write connection): a checkpoint inside a commit would make every caller of that
//! group commit wait for it. A second thread runs PASSIVE checkpoints on a connection of its
//! own every [`CHECKPOINT_EVERY`] and makes a final one when the writer stops. Under steady
//! writes SQLite never starts the WAL again from its beginning (it does so only when a
//! transaction begins after a checkpoint copied the whole WAL, and a commit is nearly always
//! in progress); so once the WAL passes [`RESTART_FRAMES`], the writer itself makes a second
//! checkpoint before its next transaction: it copies only the few frames committed since the
//! thread's pass (a short pause, instead of a whole checkpoint inside a commit), and that
//! transaction starts the WAL again, which keeps it bounded. The writer does it, not the
//! checkpoint thread, because a thread waiting for the write lock can starve behind steady
//! commits on a busy machine. And should the checkpoint thread fall behind anyway (a slow
//! disk stalling its fsync: the WAL once grew to 47 MB that way), the writer stops committing
//! once the WAL passes [`HARD_LIMIT_FRAMES`] until a checkpoint has caught up: commits wait a
//! moment rather than the WAL filling the disk. Durability is unchanged: a
//! batch is acknowledged only after its commit, and a committed batch is durable in the WAL
//! whether or not it was checkpointed yet.
//!
//! ## Cancellation
//!
//! A batch is committed once sent, even if the future of [`Writer::commit`] is dropped before
//! it resolves.

use std::sync::{
    atomic::{AtomicBool, Ordering},
    mpsc, Arc,
};
use std::time::Duration;

use tokio::sync::oneshot;

use yellowstone_market::records::Change;

use crate::{Store, StoreError};

/// How often the checkpoint thread checkpoints the WAL while the writer runs.
pub const CHECKPOINT_EVERY: Duration = Duration::from_millis(50);

/// WAL frames (pages) past which, once the checkpoint thread has copied what it could without
/// stopping commits, the writer copies the rest before its next transaction, so the WAL starts
/// again from its beginning (SQLite's automatic checkpoint threshold).
pub const RESTART_FRAMES: u64 = crate::AUTO_CHECKPOINT_PAGES as u64;

/// WAL frames past which the writer stops committing until a checkpoint has caught up: the
/// backstop for a checkpoint thread that falls behind (a slow disk stalling its fsync), so the
/// WAL, and the disk it fills, stay bounded whatever the machine does.
pub const HARD_LIMIT_FRAMES: u64 = 2 * RESTART_FRAMES;

/// Where the result of one batch goes.
enum Reply {
    /// An async caller.
    Async(oneshot::Sender<Result<(), StoreError>>),
    /// A blocking caller.
    Blocking(mpsc::SyncSender<Result<(), StoreError>>),
}

impl Reply {
    /// Hands the result over; a caller that went away is ignored.
    fn send(self, result: Result<(), StoreError>) {
        match self {
            Reply::Async(tx) => {
                let _ = tx.send(result);
            }
            Reply::Blocking(tx) => {
                let _ = tx.send(result);
            }
        }
    }
}

/// One caller's batch.
struct Job {
    changes: Vec<Change>,
    reply: Reply,
}

/// A dedicated thread owning the write connection: callers send batches and await the commit;
/// batches waiting together are committed in one transaction (group commit), in arrival order.
/// A failed transaction is retried batch by batch, so each caller gets the error of its own
/// batch only, and the writer keeps serving. Cloning gives another handle to the same thread;
/// the thread ends when the last handle is dropped (after committing what was sent).
#[derive(Clone)]
pub struct Writer {
    tx: mpsc::Sender<Job>,
}

impl std::fmt::Debug for Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writer").finish_non_exhaustive()
    }
}

impl Writer {
    /// Starts the writer thread over `store`, committing at most `max_batch` batches per
    /// transaction (at least 1).
    pub fn spawn(store: Arc<Store>, max_batch: usize) -> Writer {
        Writer::spawn_checkpointing(store, max_batch, CHECKPOINT_EVERY)
    }

    /// [`Writer::spawn`] with the WAL checkpointed every `every` instead of
    /// [`CHECKPOINT_EVERY`].
    pub fn spawn_checkpointing(store: Arc<Store>, max_batch: usize, every: Duration) -> Writer {
        let (tx, rx) = mpsc::channel();
        let max_batch = max_batch.max(1);
        let spawned = std::thread::Builder::new()
            .name("store-writer".to_string())
            .spawn(move || {
                let restart_due = Arc::new(AtomicBool::new(false));
                let checkpoints = Checkpoints::start(&store, every, restart_due.clone());
                run(&store, &rx, max_batch, &restart_due);
                if let Some(checkpoints) = checkpoints {
                    checkpoints.stop(&store);
                }
            });
        if let Err(error) = spawned {
            // The receiver is dropped with the closure: every commit reports WriterStopped.
            tracing::error!(%error, "cannot start the store writer thread");
        }
        Writer { tx }
    }

    /// Commits `changes`; resolves once they are durable (per the store's
    /// [`Durability`](crate::Durability)). An empty batch resolves immediately.
    pub async fn commit(&self, changes: Vec<Change>) -> Result<(), StoreError> {
        if changes.is_empty() {
            return Ok(());
        }
        let (reply, result) = oneshot::channel();
        self.tx
            .send(Job {
                changes,
                reply: Reply::Async(reply),
            })
            .map_err(|_| StoreError::WriterStopped)?;
        result.await.map_err(|_| StoreError::WriterStopped)?
    }

    /// Blocking form of [`Writer::commit`] for non-async callers (do not call it on an async
    /// runtime's worker thread: it blocks the thread until the commit).
    pub fn commit_blocking(&self, changes: Vec<Change>) -> Result<(), StoreError> {
        if changes.is_empty() {
            return Ok(());
        }
        let (reply, result) = mpsc::sync_channel(1);
        self.tx
            .send(Job {
                changes,
                reply: Reply::Blocking(reply),
            })
            .map_err(|_| StoreError::WriterStopped)?;
        result.recv().map_err(|_| StoreError::WriterStopped)?
    }
}

/// The checkpoint thread of a running writer.
struct Checkpoints {
    /// Dropped to stop the thread.
    stop: mpsc::Sender<()>,
    thread: std::thread::JoinHandle<()>,
}

impl Checkpoints {
    /// Turns automatic checkpoints off on the write connection and starts checkpointing every
    /// `every` on a thread of its own. `None` (automatic checkpoints left as they were) in
    /// memory or if the thread cannot start.
    fn start(
        store: &Arc<Store>,
        every: Duration,
        restart_due: Arc<AtomicBool>,
    ) -> Option<Checkpoints> {
        store.path()?;
        let (stop, stopped) = mpsc::channel::<()>();
        let own = store.clone();
        let thread = std::thread::Builder::new()
            .name("store-checkpoint".to_string())
            .spawn(move || loop {
                let last = stopped.recv_timeout(every) != Err(mpsc::RecvTimeoutError::Timeout);
                match own.checkpoint() {
                    // The writer makes the restarting checkpoint between two transactions: a
                    // thread waiting for the write lock could starve behind steady commits.
                    Ok(done) if done.wal_frames >= RESTART_FRAMES => {
                        restart_due.store(true, Ordering::Release)
                    }
                    Ok(_) => {}
                    Err(error) => tracing::warn!(%error, "WAL checkpoint failed"),
                }
                if last {
                    break;
                }
            });
        let thread = match thread {
            Ok(thread) => thread,
            Err(error) => {
                tracing::warn!(%error, "cannot start the WAL checkpoint thread; commits checkpoint");
                return None;
            }
        };
        if let Err(error) = store.set_auto_checkpoint(0) {
            tracing::warn!(%error, "cannot turn automatic WAL checkpoints off");
        }
        store.watch_wal_frames();
        Some(Checkpoints { stop, thread })
    }

    /// Makes a last checkpoint, ends the thread and gives commits their automatic checkpoints
    /// back (for whoever writes to the store after the writer).
    fn stop(self, store: &Store) {
        drop(self.stop);
        let _ = self.thread.join();
        if let Err(error) = store.set_auto_checkpoint(crate::AUTO_CHECKPOINT_PAGES) {
            tracing::warn!(%error, "cannot turn automatic WAL checkpoints back on");
        }
    }
}

/// The writer thread: takes the first waiting batch, every batch waiting behind it (up to
/// `max_batch`), commits them together and answers each caller.
fn run(store: &Store, rx: &mpsc::Receiver<Job>, max_batch: usize, restart_due: &AtomicBool) {
    let mut jobs: Vec<Job> = Vec::with_capacity(max_batch);
    while let Ok(first) = rx.recv() {
        let behind = crate::wal_frames_seen() >= HARD_LIMIT_FRAMES;
        if restart_due.swap(false, Ordering::AcqRel) || behind {
            // Copies what was committed since the checkpoint thread's pass, so the next
            // transaction starts the WAL again from its beginning.
            if let Err(error) = store.checkpoint_holding_writes() {
                tracing::warn!(%error, "WAL checkpoint failed");
            }
        }
        jobs.push(first);
        // Senders sharing this core send their batches before the transaction starts (see
        // the module docs); an idle core returns at once.
        std::thread::yield_now();
        while jobs.len() < max_batch {
            match rx.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        let result = {
            let batches: Vec<&[Change]> = jobs.iter().map(|j| j.changes.as_slice()).collect();
            store.apply_all(&batches)
        };
        match result {
            Ok(()) => {
                for job in jobs.drain(..) {
                    job.reply.send(Ok(()));
                }
            }
            Err(error) if jobs.len() == 1 => {
                if let Some(job) = jobs.pop() {
                    job.reply.send(Err(error));
                }
            }
            Err(error) => {
                tracing::warn!(
                    %error,
                    batches = jobs.len(),
                    "group commit failed; committing its batches one by one"
                );
                for job in jobs.drain(..) {
                    let result = store.apply(&job.changes);
                    job.reply.send(result);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{addr, report, ticket, TempDir};
    use crate::Durability;
    use alloy_primitives::{B256, U256};
    use yellowstone_market::records::{CreditRecord, TicketStatus};

    fn id(n: u64) -> B256 {
        B256::from(U256::from(n) + U256::from(1_000_000u64))
    }

    fn batch(n: u64) -> Vec<Change> {
        let mut t = ticket(0, TicketStatus::Open, 1_700_000_000);
        t.request_id = id(n);
        vec![
            Change::Ticket(t),
            Change::Credit(CreditRecord {
                seq: n,
                provider: addr(1),
                amount: U256::from(n + 1),
                bootstrap: false,
                block: n,
            }),
        ]
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn two_hundred_concurrent_commits_all_land() {
        let dir = TempDir::new("writer");
        let store = Arc::new(Store::open(&dir.db(), Durability::Normal).unwrap());
        let writer = Writer::spawn(store.clone(), 64);
        let tasks: Vec<_> = (0..200u64)
            .map(|n| {
                let writer = writer.clone();
                tokio::spawn(async move { writer.commit(batch(n)).await })
            })
            .collect();
        for task in tasks {
            task.await.unwrap().unwrap();
        }
        writer.commit(Vec::new()).await.unwrap();
        let stats = store.stats().unwrap();
        assert_eq!((stats.tickets, stats.credits_pending), (200, 200));
        drop(writer);
        drop(store);
        let reopened = Store::open(&dir.db(), Durability::Normal).unwrap();
        let loaded = reopened.load(1_700_000_000, 10).unwrap();
        assert_eq!(loaded.tickets.len(), 200);
        assert_eq!(loaded.credits.len(), 200);
        assert_eq!(loaded.next_seq, 200);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failing_batch_fails_only_its_own_callers() {
        let store = Arc::new(Store::open_in_memory().unwrap());
        let writer = Writer::spawn(store.clone(), 1000);
        writer
            .commit(vec![Change::Report(report(1, "llama", Some(5)))])
            .await
            .unwrap();
        // Every tenth batch carries a second report for request 1: a duplicate.
        let tasks: Vec<_> = (0..300u64)
            .map(|n| {
                let writer = writer.clone();
                tokio::spawn(async move {
                    let mut changes = batch(n);
                    if n % 10 == 0 {
                        changes.push(Change::Report(report(1, "llama", None)));
                    }
                    (n, writer.commit(changes).await)
                })
            })
            .collect();
        for task in tasks {
            let (n, result) = task.await.unwrap();
            let stored = store.ticket(id(n)).unwrap().is_some();
            if n % 10 == 0 {
                assert!(
                    matches!(
                        result,
                        Err(StoreError::Duplicate {
                            table: "reports",
                            ..
                        })
                    ),
                    "batch {n}: {result:?}"
                );
                assert!(!stored, "batch {n} failed, so none of it is on disk");
            } else {
                assert!(result.is_ok(), "batch {n}: {result:?}");
                assert!(stored, "batch {n} succeeded, so it is on disk");
            }
        }
        assert_eq!(store.stats().unwrap().tickets, 270);
        // The writer keeps serving.
        writer.commit(batch(1000)).await.unwrap();
        assert!(store.ticket(id(1000)).unwrap().is_some());
    }

    #[test]
    fn commit_blocking_commits_and_reports_errors() {
        let store = Arc::new(Store::open_in_memory().unwrap());
        let writer = Writer::spawn(store.clone(), 0);
        writer.commit_blocking(Vec::new()).unwrap();
        let threads: Vec<_> = (0..8u64)
            .map(|n| {
                let writer = writer.clone();
                std::thread::spawn(move || writer.commit_blocking(batch(n)))
            })
            .collect();
        for thread in threads {
            thread.join().unwrap().unwrap();
        }
        assert_eq!(store.stats().unwrap().tickets, 8);
        writer
            .commit_blocking(vec![Change::Report(report(3, "m", None))])
            .unwrap();
        let err = writer
            .commit_blocking(vec![Change::Report(report(3, "m", None))])
            .unwrap_err();
        assert!(matches!(err, StoreError::Duplicate { .. }), "{err}");
        writer.commit_blocking(batch(99)).unwrap();
        assert_eq!(store.stats().unwrap().tickets, 9);
    }

    fn wal(store: &Store) -> std::path::PathBuf {
        let mut name = store.path().unwrap().as_os_str().to_owned();
        name.push("-wal");
        name.into()
    }

    fn wal_len(store: &Store) -> u64 {
        std::fs::metadata(wal(store)).map(|m| m.len()).unwrap_or(0)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_checkpoint_thread_that_never_runs_cannot_let_the_wal_pass_the_hard_limit() {
        let dir = TempDir::new("stalled");
        let store = Arc::new(Store::open(&dir.db(), Durability::Normal).unwrap());
        // The thread's first pass would come in an hour: only the writer's backstop acts.
        let writer = Writer::spawn_checkpointing(store.clone(), 64, Duration::from_secs(3_600));
        let mut largest = 0;
        for n in 0..3_000u64 {
            writer.commit(batch(n)).await.unwrap();
            largest = largest.max(wal_len(&store));
        }
        // A frame is a 4,096-byte page plus a 24-byte header; one commit adds a few frames.
        let bound = (HARD_LIMIT_FRAMES + 64) * 4_120;
        assert!(
            largest <= bound,
            "the WAL reached {largest} bytes (bound {bound})"
        );
        assert!(
            largest > RESTART_FRAMES * 4_096,
            "3,000 commits did fill the WAL: {largest}"
        );
        assert_eq!(store.stats().unwrap().tickets, 3_000);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn background_checkpoints_keep_the_wal_bounded() {
        let dir = TempDir::new("checkpoint");
        let store = Arc::new(Store::open(&dir.db(), Durability::Normal).unwrap());
        assert_eq!(
            store.auto_checkpoint().unwrap(),
            crate::AUTO_CHECKPOINT_PAGES
        );
        let writer = Writer::spawn_checkpointing(store.clone(), 64, Duration::from_millis(5));
        writer.commit(batch(0)).await.unwrap();
        // Commits never checkpoint themselves while the writer runs.
        assert_eq!(store.auto_checkpoint().unwrap(), 0);
        // Without checkpoints the WAL would hold every page ever written: measure one round.
        let first = wal_len(&store);
        assert!(first > 0);
        // Quiet moments: the checkpoints catch up without holding commits back.
        let mut largest = 0;
        for round in 0..10u64 {
            for n in 0..25u64 {
                writer.commit(batch(1 + round * 25 + n)).await.unwrap();
            }
            largest = largest.max(wal_len(&store));
            tokio::time::sleep(Duration::from_millis(15)).await;
        }
        // Steady commits: the checkpoints never catch up on their own; past RESTART_FRAMES
        // one holds commits back for a moment.
        for n in 251..3001u64 {
            writer.commit(batch(n)).await.unwrap();
            largest = largest.max(wal_len(&store));
        }
        // 3,001 commits, each appending at least one page to the WAL: without checkpoints
        // the WAL would pass 3,001 pages; it stays near RESTART_FRAMES.
        let frames = store.checkpoint().unwrap();
        assert!(
            largest < 3000 * 4096,
            "the WAL reached {largest} bytes (first commit: {first})"
        );
        assert_eq!(frames.wal_frames, frames.checkpointed, "{frames:?}");
        drop(writer);
        // The writer thread ends and gives commits their automatic checkpoints back.
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while Arc::strong_count(&store) > 1 {
            assert!(
                std::time::Instant::now() < deadline,
                "the writer did not stop"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert_eq!(
            store.auto_checkpoint().unwrap(),
            crate::AUTO_CHECKPOINT_PAGES
        );
        assert_eq!(store.stats().unwrap().tickets, 3001);
    }

    #[test]
    fn a_restart_after_an_uncheckpointed_wal_resumes_everything() {
        let dir = TempDir::new("uncheckpointed");
        let store = Store::open(&dir.db(), Durability::Normal).unwrap();
        store.set_auto_checkpoint(0).unwrap();
        for n in 0..300u64 {
            store.apply(&batch(n)).unwrap();
        }
        // Everything is in the WAL only: copy the files as a crash would leave them (the
        // database file and the WAL, no shared-memory index) and open the copy.
        assert!(wal_len(&store) > 300 * 4096, "{} bytes", wal_len(&store));
        let copy = TempDir::new("uncheckpointed-copy");
        std::fs::create_dir_all(copy.db().parent().unwrap()).unwrap();
        std::fs::copy(dir.db(), copy.db()).unwrap();
        let mut copied_wal = copy.db().into_os_string();
        copied_wal.push("-wal");
        std::fs::copy(wal(&store), &copied_wal).unwrap();
        let reopened = Store::open(&copy.db(), Durability::Normal).unwrap();
        let loaded = reopened.load(1_700_000_000, 10).unwrap();
        assert_eq!(loaded.tickets.len(), 300);
        assert_eq!(loaded.credits.len(), 300);
        assert_eq!(loaded.next_seq, 300);
        // A checkpoint on its own connection copies the WAL into the database file.
        let frames = reopened.checkpoint().unwrap();
        assert!(frames.wal_frames > 0);
        assert_eq!(frames.wal_frames, frames.checkpointed, "{frames:?}");
        drop(reopened);
        let again = Store::open(&copy.db(), Durability::Normal).unwrap();
        assert_eq!(again.stats().unwrap().tickets, 300);
    }
}
