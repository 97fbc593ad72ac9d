//! The router's clock: the system's, or the chain's when the chain's time runs ahead of it (a
//! devnet that travels in time). Days, inference blocks and expiries are all read from here.

use std::{
    sync::Mutex,
    time::{SystemTime, UNIX_EPOCH},
};

/// Where the router's time comes from.
#[derive(Debug)]
pub enum Clock {
    /// The system clock (production).
    System,
    /// The system clock plus how far the chain's blocks have been seen ahead of it: follows a
    /// devnet's `evm_increaseTime`. Never goes backwards.
    Chain(Mutex<ChainTime>),
}

/// What [`Clock::Chain`] last learned from the chain.
#[derive(Debug)]
pub struct ChainTime {
    /// The most the chain has been seen ahead of the system clock, in milliseconds.
    ahead_ms: u64,
    last: u64,
}

impl Clock {
    /// A clock following the chain, starting from the system time.
    pub fn chain() -> Self {
        Clock::Chain(Mutex::new(ChainTime {
            ahead_ms: 0,
            last: 0,
        }))
    }

    /// Unix seconds now.
    pub fn now(&self) -> u64 {
        let system = system_ms();
        match self {
            Clock::System => system / 1_000,
            Clock::Chain(t) => {
                let mut t = t.lock().unwrap_or_else(|p| p.into_inner());
                let now = (system.saturating_add(t.ahead_ms) / 1_000).max(t.last);
                t.last = now;
                now
            }
        }
    }

    /// Tells a chain clock the latest block's timestamp (ignored by the system clock).
    ///
    /// Why an offset kept at its largest rather than the block's time extrapolated: a block's
    /// timestamp is whole seconds, read some time after it was mined, so each reading lags
    /// by up to a second or more; extrapolating from the latest block would let the clock's
    /// lag change between a ticket and its report, and the wall time between them (SPEC 8)
    /// read short. The largest offset seen only moves the clock forward, and the system
    /// clock keeps it running when the devnet mines nothing.
    pub fn observe(&self, block_timestamp: u64) {
        if let Clock::Chain(t) = self {
            let mut t = t.lock().unwrap_or_else(|p| p.into_inner());
            let ahead = block_timestamp
                .saturating_mul(1_000)
                .saturating_sub(system_ms());
            t.ahead_ms = t.ahead_ms.max(ahead);
        }
    }
}

fn system_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chain_clock_follows_a_block_ahead_of_the_system_and_never_goes_back() {
        let clock = Clock::chain();
        let system = system_ms() / 1_000;
        assert!(clock.now() >= system);
        clock.observe(system + 86_400);
        let ahead = clock.now();
        assert!(ahead >= system + 86_400);
        clock.observe(system); // an older block changes nothing
        assert!(clock.now() >= ahead);
    }

    #[test]
    fn re_reading_the_same_block_does_not_stop_a_chain_clock() {
        let clock = Clock::chain();
        let ahead = system_ms() / 1_000 + 86_400;
        clock.observe(ahead);
        let start = clock.now();
        let until = std::time::Instant::now() + std::time::Duration::from_millis(1_100);
        while std::time::Instant::now() < until {
            clock.observe(ahead); // the devnet mined nothing new
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        assert!(clock.now() > start, "the clock stood still at {start}");
    }

    #[test]
    fn the_system_clock_ignores_the_chain() {
        let clock = Clock::System;
        clock.observe(u64::MAX / 2);
        assert!(clock.now() < u64::MAX / 4);
    }
}
