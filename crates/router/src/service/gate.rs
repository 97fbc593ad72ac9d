//! The admission gate (SPEC 4 step 3): at most `capacity` RFCs are worked on at once; the rest
//! wait in a bounded queue served in order of MOR balance, and when that is full the smallest
//! balance is shed with a clear "busy, retry after" answer.

use std::sync::{Arc, Mutex};

use alloy_primitives::U256;
use tokio::sync::oneshot;

use yellowstone_market::admission::{AdmissionQueue, Pushed};

/// The gate shared by every admission.
#[derive(Clone)]
pub struct Gate {
    inner: Arc<Mutex<Inner>>,
    capacity: usize,
}

struct Inner {
    active: usize,
    waiting: AdmissionQueue<oneshot::Sender<Permit>>,
}

/// The right to work on one RFC; passed to the next waiter when dropped.
pub struct Permit {
    gate: Option<Gate>,
}

/// The request was shed: the router is saturated.
#[derive(Debug, PartialEq, Eq)]
pub struct Shed;

impl Gate {
    /// A gate letting `capacity` admissions run at once, with `queue` places to wait.
    pub fn new(capacity: usize, queue: usize) -> Self {
        Self {
            inner: Arc::new(Mutex::new(Inner {
                active: 0,
                waiting: AdmissionQueue::new(queue),
            })),
            capacity: capacity.max(1),
        }
    }

    /// Waits for a permit, in order of `balance` when saturated; `Err(Shed)` when the queue is
    /// full of larger balances (or this one was evicted by a larger one).
    pub async fn enter(&self, balance: U256) -> Result<Permit, Shed> {
        let rx = {
            let mut inner = self.lock();
            if inner.active < self.capacity {
                inner.active += 1;
                return Ok(Permit {
                    gate: Some(self.clone()),
                });
            }
            let (tx, rx) = oneshot::channel();
            match inner.waiting.push(balance, tx) {
                Pushed::Queued => {}
                Pushed::Evicted(evicted) => drop(evicted), // its waiter sees the channel close
                Pushed::Shed(_) => return Err(Shed),
            }
            rx
        };
        rx.await.map_err(|_| Shed)
    }

    /// RFCs being worked on and waiting.
    pub fn load(&self) -> (usize, usize) {
        let inner = self.lock();
        (inner.active, inner.waiting.len())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn release(&self) {
        let mut inner = self.lock();
        // Hand the slot to the richest waiter still listening.
        while let Some((_, tx)) = inner.waiting.pop() {
            let permit = Permit {
                gate: Some(self.clone()),
            };
            match tx.send(permit) {
                Ok(()) => return,
                Err(mut unwanted) => unwanted.gate = None, // gave up waiting: try the next
            }
        }
        inner.active -= 1;
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        if let Some(gate) = self.gate.take() {
            gate.release();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mor(n: u64) -> U256 {
        U256::from(n)
    }

    #[tokio::test]
    async fn when_saturated_the_largest_balance_is_served_first_and_the_smallest_is_shed() {
        let gate = Gate::new(1, 2);
        let first = gate.enter(mor(1)).await.unwrap();
        let g = gate.clone();
        let small = tokio::spawn(async move { g.enter(mor(5)).await.map(|_| 5) });
        let g = gate.clone();
        let large = tokio::spawn(async move { g.enter(mor(50)).await.map(|_| 50) });
        while gate.load().1 < 2 {
            tokio::task::yield_now().await;
        }
        // Queue full of 5 and 50: a balance of 1 is shed at once, a balance of 10 evicts the 5.
        assert_eq!(gate.enter(mor(1)).await.err(), Some(Shed));
        let g = gate.clone();
        let middle = tokio::spawn(async move { g.enter(mor(10)).await.map(|_| 10) });
        assert_eq!(small.await.unwrap(), Err(Shed));
        drop(first);
        assert_eq!(large.await.unwrap(), Ok(50));
        assert_eq!(middle.await.unwrap(), Ok(10));
        assert_eq!(gate.load(), (0, 0));
    }

    #[tokio::test]
    async fn a_waiter_that_gave_up_does_not_leak_its_slot() {
        let gate = Gate::new(1, 4);
        let first = gate.enter(mor(1)).await.unwrap();
        let g = gate.clone();
        let quitter = tokio::spawn(async move { g.enter(mor(9)).await.is_ok() });
        while gate.load().1 < 1 {
            tokio::task::yield_now().await;
        }
        quitter.abort();
        let _ = quitter.await;
        drop(first);
        assert_eq!(gate.load(), (0, 0));
        let _again = gate.enter(mor(1)).await.unwrap();
        assert_eq!(gate.load(), (1, 0));
    }
}
