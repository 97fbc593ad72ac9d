//! # The writer
//!
//! A dedicated thread that commits batches of [`Change`]s for the whole router. Callers send a
//! batch and wait for its commit; batches that arrive while a transaction is being committed
//! wait together and are committed in the next transaction (group commit), in arrival order,
//! so thousands of small batches per second cost a few fsyncs rather than thousands.
//!
//! ## Failures
//!
//! Group commit never makes one caller's failure another's: when a transaction holding
//! several batches fails, it is rolled back entirely and the writer re-applies the same batches
//! one transaction each, in arrival order, so every caller gets the result of its own batch
//! (the same result it would have had committing alone) and what is on disk is exactly the
//! batches that returned `Ok`. The writer keeps serving after any error.
//!
//! ## Cancellation
//!
//! A batch is committed once sent, even if the future of [`Writer::commit`] is dropped before
//! it resolves.

use std::sync::{mpsc, Arc};

use tokio::sync::oneshot;

use super::{Store, StoreError};
use crate::records::Change;

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
        let (tx, rx) = mpsc::channel();
        let max_batch = max_batch.max(1);
        let spawned = std::thread::Builder::new()
            .name("store-writer".to_string())
            .spawn(move || run(&store, &rx, max_batch));
        if let Err(error) = spawned {
            // The receiver is dropped with the closure: every commit reports WriterStopped.
            tracing::error!(%error, "cannot start the store writer thread");
        }
        Writer { tx }
    }

    /// Commits `changes`; resolves once they are durable (per the store's
    /// [`Durability`](super::Durability)). An empty batch resolves immediately.
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

/// The writer thread: takes the first waiting batch, every batch waiting behind it (up to
/// `max_batch`), commits them together and answers each caller.
fn run(store: &Store, rx: &mpsc::Receiver<Job>, max_batch: usize) {
    let mut jobs: Vec<Job> = Vec::with_capacity(max_batch);
    while let Ok(first) = rx.recv() {
        jobs.push(first);
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
    use crate::records::{CreditRecord, TicketStatus};
    use crate::store::tests::{addr, report, ticket, TempDir};
    use crate::store::Durability;
    use alloy_primitives::{B256, U256};

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
}
