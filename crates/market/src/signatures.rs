//! How many secp256k1 operations one market state has done: the router exports them on
//! `/metrics`, and `yellowstone bench router` divides by them to count signatures per request.
//! Each [`State`](crate::state::State) has its own [`SignatureCounts`], shared with whoever
//! checks or signs on its behalf outside its lock, so two routers in one process (as in the
//! tests) never count each other's work.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// Signature recoveries and signatures made for one market state.
#[derive(Debug, Default)]
pub struct SignatureCounts {
    recovered: AtomicU64,
    made: AtomicU64,
}

impl SignatureCounts {
    /// secp256k1 recoveries done by the rule checks (every signed message accepted or refused
    /// costs one).
    pub fn recovered(&self) -> u64 {
        self.recovered.load(Relaxed)
    }

    /// secp256k1 signatures made (tickets and epoch roots).
    pub fn made(&self) -> u64 {
        self.made.load(Relaxed)
    }

    /// Counts one recovery.
    pub(crate) fn count_recovery(&self) {
        self.recovered.fetch_add(1, Relaxed);
    }

    /// Counts one signature made.
    pub(crate) fn count_signature(&self) {
        self.made.fetch_add(1, Relaxed);
    }
}
