//! How many secp256k1 operations the rules have done in this process: two atomic counters,
//! bumped where a signature is recovered or made (no I/O). The router exports them on
//! `/metrics`, and `yellowstone bench router` divides by them to count signatures per request.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// secp256k1 signature recoveries done by the rule checks (every signed message accepted or
/// refused costs one).
pub static RECOVERIES: AtomicU64 = AtomicU64::new(0);

/// secp256k1 signatures made by the rules (tickets and epoch roots).
pub static MADE: AtomicU64 = AtomicU64::new(0);

/// Counts one recovery.
pub(crate) fn recovered() {
    RECOVERIES.fetch_add(1, Relaxed);
}

/// Counts one signature made.
pub(crate) fn made() {
    MADE.fetch_add(1, Relaxed);
}
