//! Block timestamps: wall-clock time plus an adjustable offset, strictly increasing.

use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch, now.
fn now() -> i128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i128)
        .unwrap_or(0)
}

/// Decides the timestamp of each new block, as anvil does: wall-clock time plus an offset that
/// `evm_increaseTime` grows, or exactly the value `evm_setNextBlockTimestamp` set (after which
/// time continues from there); never less than one second after the previous block.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Clock {
    /// Seconds added to the wall clock.
    offset: i128,
    /// The timestamp forced for the next block, if any.
    next: Option<u64>,
}

impl Clock {
    /// The timestamp the next block gets, after a block with timestamp `latest`.
    pub(crate) fn peek(&self, latest: u64) -> u64 {
        match self.next {
            Some(forced) => forced,
            None => {
                let wall = (now() + self.offset).clamp(0, u64::MAX as i128) as u64;
                wall.max(latest.saturating_add(1))
            }
        }
    }

    /// Records that a block with `timestamp` (from [`Clock::peek`]) was mined.
    pub(crate) fn mined(&mut self, timestamp: u64) {
        if self.next.take().is_some() {
            self.offset = timestamp as i128 - now();
        }
    }

    /// Moves time forward by `seconds`; returns the total offset from the wall clock.
    pub(crate) fn increase(&mut self, seconds: u64) -> i128 {
        self.offset += seconds as i128;
        self.offset
    }

    /// Forces the next block's timestamp (the caller checks it is increasing).
    pub(crate) fn set_next(&mut self, timestamp: u64) {
        self.next = Some(timestamp);
    }

    /// The current wall-clock time with the offset applied.
    pub(crate) fn now(&self) -> u64 {
        (now() + self.offset).clamp(0, u64::MAX as i128) as u64
    }
}
