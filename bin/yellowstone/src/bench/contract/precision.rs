//! The power multiplier's precision: `yellowstone_protocol::multiplier::power_multiplier`
//! against the exact [`reference`](super::reference) over many seeded random inputs, on every
//! core.
//!
//! The inputs follow the distribution of `scripts/multiplier_reference.py` (whose fixture
//! `contracts/protocol/tests/it/multiplier.rs` checks), so the whole range is covered, clamps and
//! absurd times included; sample `i` is drawn from its own generator seeded with `(seed, i)`,
//! so a run is reproducible whatever the number of threads.

use std::{
    sync::atomic::{AtomicUsize, Ordering},
    time::{Duration, Instant},
};

use alloy_primitives::U256;
use yellowstone_protocol::{
    multiplier::{power_multiplier, POWER_MAX, WINDOW_END, WINDOW_START},
    time::DAY,
};

use super::reference::exact;

const S: u64 = WINDOW_START;
const YEAR: u64 = 365 * DAY;
const D: u64 = WINDOW_END - WINDOW_START;

/// A small, fast, seedable generator (SplitMix64): inputs, not secrets.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator for stream `index` of `seed`.
    pub fn new(seed: u64, index: u64) -> Self {
        let mut rng = Rng(seed ^ index.wrapping_mul(0xd1b5_4a32_d192_ed03));
        rng.next_u64();
        rng
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..=hi`.
    pub fn between(&mut self, lo: u64, hi: u64) -> u64 {
        let span = hi - lo;
        if span == u64::MAX {
            return self.next_u64();
        }
        lo + ((u128::from(self.next_u64()) * u128::from(span + 1)) >> 64) as u64
    }

    /// Uniform in `lo..=hi` for signed offsets.
    fn offset(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.between(0, (hi - lo) as u64) as i64
    }
}

/// The edges every implementation gets wrong first.
const EDGES: [U256; 10] = [
    U256::ZERO,
    U256::from_limbs([1, 0, 0, 0]),
    U256::from_limbs([S - 1, 0, 0, 0]),
    U256::from_limbs([S, 0, 0, 0]),
    U256::from_limbs([S + 1, 0, 0, 0]),
    U256::from_limbs([WINDOW_END - 1, 0, 0, 0]),
    U256::from_limbs([WINDOW_END, 0, 0, 0]),
    U256::from_limbs([WINDOW_END + 1, 0, 0, 0]),
    U256::from_limbs([u64::MAX, 0, 0, 0]),
    U256::MAX,
];

/// Where the unclamped multiplier from offset `a` reaches `level`, as an offset (f64 is enough
/// to aim inputs near a clamp), or `None` if it never does.
fn crossing(a: u64, level: f64) -> Option<f64> {
    let power = POWER_MAX.to::<u128>() as f64 / 1e18;
    let y = (2.0 * a as f64 / D as f64).tanh() + level / power;
    (y < 2f64.tanh()).then(|| y.atanh() * D as f64 / 2.0)
}

/// Input `index` of a run seeded with `seed`. Per 100 inputs, as the Python fixture: 30 inside
/// the window, 15 locks, 15 wide, 10 before S, 10 tiny, 5 near 1, 5 near 10.7, 5 edges, 5 huge.
pub fn sample(seed: u64, index: u64) -> (U256, U256) {
    let mut rng = Rng::new(seed, index);
    let u = U256::from;
    let end5 = WINDOW_END + 5 * YEAR;
    match rng.between(0, 99) {
        0..=29 => {
            let (x, y) = (rng.between(S, WINDOW_END), rng.between(S, WINDOW_END));
            (u(x.min(y)), u(x.max(y)))
        }
        30..=44 => {
            let start = rng.between(S - YEAR, WINDOW_END);
            (u(start), u(start + rng.between(1, 10 * YEAR)))
        }
        45..=59 => (
            u(rng.between(S - 5 * YEAR, end5)),
            u(rng.between(S - 5 * YEAR, end5)),
        ),
        60..=69 => (u(rng.between(0, S)), u(rng.between(0, end5))),
        70..=79 => {
            let start = rng.between(S - 1000, WINDOW_END + 1000);
            (u(start), u((start as i64 + rng.offset(-10, 10_000)) as u64))
        }
        80..=89 => {
            let level = if rng.between(0, 9) < 5 { 1.0 } else { 10.7 };
            loop {
                let a = rng.between(0, D);
                if let Some(b) = crossing(a, level) {
                    let end = (S as i64 + b as i64 + rng.offset(-2000, 2000)) as u64;
                    break (u(S + a), u(end));
                }
            }
        }
        90..=94 => {
            let edge = EDGES[rng.between(0, 9) as usize];
            let other = if rng.between(0, 1) == 1 {
                EDGES[rng.between(0, 9) as usize]
            } else {
                u(rng.between(0, end5))
            };
            if rng.between(0, 1) == 1 {
                (edge, other)
            } else {
                (other, edge)
            }
        }
        _ => {
            let mut huge = || {
                if rng.between(0, 1) == 1 {
                    return u(rng.between(0, end5));
                }
                let bits = rng.between(1, 256) as usize;
                let limbs = [
                    rng.next_u64(),
                    rng.next_u64(),
                    rng.next_u64(),
                    rng.next_u64(),
                ];
                let value = U256::from_limbs(limbs);
                if bits == 256 {
                    value
                } else {
                    value & ((U256::from(1u8) << bits) - U256::from(1u8))
                }
            };
            (huge(), huge())
        }
    }
}

/// What a precision run found. Errors are `|result - exact|` in units of 1e-18 (the result's
/// last decimal).
#[derive(Clone, Debug, Default)]
pub struct Precision {
    /// Inputs compared.
    pub samples: u64,
    /// Of those, decided by a clamp (1, 10.7, `start >= end`): exact by construction.
    pub clamped: u64,
    /// The largest error.
    pub max_error: f64,
    /// The input of the largest error.
    pub worst: Option<(U256, U256)>,
    /// The sum of all errors.
    pub total_error: f64,
    /// The sum of the errors of the unclamped inputs.
    pub unclamped_error: f64,
    /// Results that are not `floor(exact * 1e18)`.
    pub not_floor: u64,
    /// The first few inputs that are not the floor.
    pub not_floor_examples: Vec<(U256, U256)>,
    /// Wall time of the run.
    pub elapsed: Duration,
    /// Threads used.
    pub threads: usize,
}

impl Precision {
    /// The mean error over every input.
    pub fn mean_error(&self) -> f64 {
        self.total_error / self.samples.max(1) as f64
    }

    /// The mean error over the inputs no clamp decided.
    pub fn mean_unclamped_error(&self) -> f64 {
        self.unclamped_error / (self.samples - self.clamped).max(1) as f64
    }

    fn merge(&mut self, other: Precision) {
        self.samples += other.samples;
        self.clamped += other.clamped;
        if other.max_error > self.max_error || self.worst.is_none() {
            self.max_error = self.max_error.max(other.max_error);
            self.worst = other.worst.or(self.worst);
        }
        self.total_error += other.total_error;
        self.unclamped_error += other.unclamped_error;
        self.not_floor += other.not_floor;
        self.not_floor_examples.extend(other.not_floor_examples);
        self.not_floor_examples.truncate(10);
    }

    fn record(&mut self, start: U256, end: U256) {
        let ours = power_multiplier(start, end).to::<u128>();
        let reference = exact(start, end);
        let error = reference.error_of(ours);
        self.samples += 1;
        self.total_error += error;
        if reference.clamped {
            self.clamped += 1;
        } else {
            self.unclamped_error += error;
        }
        if error > self.max_error || self.worst.is_none() {
            self.max_error = self.max_error.max(error);
            self.worst = Some((start, end));
        }
        if ours != reference.floor_e18() {
            self.not_floor += 1;
            if self.not_floor_examples.len() < 10 {
                self.not_floor_examples.push((start, end));
            }
        }
    }
}

/// Compares `samples` inputs of `seed` on `threads` threads (0: every core), printing progress
/// on stderr when `progress` is set.
pub fn run(samples: u64, seed: u64, threads: usize, progress: bool) -> Precision {
    let threads = if threads == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        threads
    };
    const CHUNK: u64 = 1_000;
    let chunks = samples.div_ceil(CHUNK) as usize;
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let began = Instant::now();
    let mut total = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut mine = Precision::default();
                    loop {
                        let chunk = next.fetch_add(1, Ordering::Relaxed);
                        if chunk >= chunks {
                            break mine;
                        }
                        let first = chunk as u64 * CHUNK;
                        for index in first..(first + CHUNK).min(samples) {
                            let (start, end) = sample(seed, index);
                            mine.record(start, end);
                        }
                        let finished = done.fetch_add(1, Ordering::Relaxed) + 1;
                        let tenth = chunks.div_ceil(10).max(1);
                        if progress && (finished.is_multiple_of(tenth) || finished == chunks) {
                            eprintln!(
                                "  multiplier precision: {} of {samples} inputs ({:.1?})",
                                (finished as u64 * CHUNK).min(samples),
                                began.elapsed()
                            );
                        }
                    }
                })
            })
            .collect();
        let mut total = Precision::default();
        for worker in workers {
            total.merge(worker.join().expect("a precision worker panicked"));
        }
        total
    });
    total.elapsed = began.elapsed();
    total.threads = threads;
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_are_reproducible_and_cover_the_clamps() {
        assert_eq!(sample(7, 123), sample(7, 123));
        assert_ne!(sample(7, 123), sample(7, 124));
        let found = run(2_000, 7, 2, false);
        assert_eq!(found.samples, 2_000);
        assert!(found.clamped > 100 && found.clamped < 1_900, "{found:?}");
    }
}
