//! Event emission. Events are declared in `yellowstone-protocol`'s `capital/events.sol`; [`emit`]
//! writes a log from an event's topics and static data words with one non-generic function
//! rather than one `SolEvent` encoder per event (kilobytes of Wasm). The tests decode every
//! emitted log with the `sol!` types, so a word out of order cannot pass.

use alloc::vec::Vec;

use alloy_primitives::B256;
use stylus_sdk::stylus_core::host::RawLogAccess;

/// Emits a log: `topics` (the event's signature hash first, then its indexed fields) and the
/// non-indexed fields as static ABI words.
pub(crate) fn emit<H: RawLogAccess + ?Sized>(host: &H, topics: &[B256], data: &[B256]) {
    let mut log = Vec::with_capacity(32 * (topics.len() + data.len()));
    for word in topics.iter().chain(data) {
        log.extend_from_slice(word.as_slice());
    }
    host.emit_log(&log, topics.len());
}
