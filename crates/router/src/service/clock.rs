//! The router's clock: the system's, or the chain's when the chain's time runs ahead of it (a
//! devnet that travels in time). Days, inference blocks and expiries are all read from here.

use std::{
    sync::Mutex,
    time::{Instant, SystemTime, UNIX_EPOCH},
};

/// Where the router's time comes from.
#[derive(Debug)]
pub enum Clock {
    /// The system clock (production).
    System,
    /// The later of the system clock and the latest block's timestamp extrapolated by the time
    /// elapsed since it was read: follows a devnet's `evm_increaseTime`. Never goes backwards.
    Chain(Mutex<ChainTime>),
}

/// What [`Clock::Chain`] last learned from the chain.
#[derive(Debug)]
pub struct ChainTime {
    block_timestamp: u64,
    observed: Instant,
    last: u64,
}

impl Clock {
    /// A clock following the chain, starting from the system time.
    pub fn chain() -> Self {
        Clock::Chain(Mutex::new(ChainTime {
            block_timestamp: 0,
            observed: Instant::now(),
            last: 0,
        }))
    }

    /// Unix seconds now.
    pub fn now(&self) -> u64 {
        let system = system_now();
        match self {
            Clock::System => system,
            Clock::Chain(t) => {
                let mut t = t.lock().unwrap_or_else(|p| p.into_inner());
                let chain = t.block_timestamp + t.observed.elapsed().as_secs();
                let now = system.max(chain).max(t.last);
                t.last = now;
                now
            }
        }
    }

    /// Tells a chain clock the latest block's timestamp (ignored by the system clock). Only a
    /// block ahead of the extrapolated time moves it: re-reading the same block (a devnet mines
    /// only on transactions) must not restart the extrapolation, or the clock would stand still
    /// and the wall time between a ticket and its report (SPEC 8) would read as zero.
    pub fn observe(&self, block_timestamp: u64) {
        if let Clock::Chain(t) = self {
            let mut t = t.lock().unwrap_or_else(|p| p.into_inner());
            if block_timestamp > t.block_timestamp + t.observed.elapsed().as_secs() {
                t.block_timestamp = block_timestamp;
                t.observed = Instant::now();
            }
        }
    }
}

fn system_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chain_clock_follows_a_block_ahead_of_the_system_and_never_goes_back() {
        let clock = Clock::chain();
        let system = system_now();
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
        let ahead = system_now() + 86_400;
        clock.observe(ahead);
        let start = clock.now();
        let until = Instant::now() + std::time::Duration::from_millis(1_100);
        while Instant::now() < until {
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
