//! Linear, interval-decreasing emission schedules (SPEC sections 6 and 7): Morpheus's curve in
//! exact integers over any span of time.
//!
//! Interval `k`, counted from `start`, emits `initial - k * decrease` wei spread evenly over its
//! `interval` seconds, until that amount reaches zero. [`LinearSchedule::cumulative`] is the
//! exact emission in `[start, t)`: the whole intervals as an arithmetic series plus the current
//! interval's elapsed share, floored once. A reward between two instants is the difference of
//! two cumulatives, so rewards are additive to the wei: accruing every second or once a year
//! pays the same. Morpheus's `getPeriodReward` floors a span's head and tail separately, so
//! splitting a span can lose a wei per piece; it never pays more than [`LinearSchedule::reward`].

use alloy_primitives::{uint, U256};

use crate::math::{div, div_u32};

/// Morpheus's payout start: 2024-02-08 12:00 UTC, the first second of interval 0.
pub const MORPHEUS_PAYOUT_START: u64 = 1_707_393_600;

/// Morpheus's interval: one day, in seconds.
pub const MORPHEUS_INTERVAL: u64 = 86_400;

/// 3456 MOR on day one, the first amount of the capital, code, compute and community buckets.
const BUCKET_INITIAL: U256 = uint!(3_456_000_000_000_000_000_000_U256);
/// 0.59255872824 MOR, their daily decrease.
const BUCKET_DECREASE: U256 = uint!(592_558_728_240_000_000_U256);

const fn morpheus(initial: U256, decrease: U256) -> LinearSchedule {
    LinearSchedule {
        start: MORPHEUS_PAYOUT_START,
        interval: MORPHEUS_INTERVAL,
        initial,
        decrease,
    }
}

/// Morpheus's capital bucket (pool 0): the emission the capital contract pays depositors.
pub const MORPHEUS_CAPITAL: LinearSchedule = morpheus(BUCKET_INITIAL, BUCKET_DECREASE);
/// Morpheus's code bucket.
pub const MORPHEUS_CODE: LinearSchedule = morpheus(BUCKET_INITIAL, BUCKET_DECREASE);
/// Morpheus's compute bucket (pool 3): what funds the compute contract.
pub const MORPHEUS_COMPUTE_BUCKET: LinearSchedule = morpheus(BUCKET_INITIAL, BUCKET_DECREASE);
/// Morpheus's community bucket.
pub const MORPHEUS_COMMUNITY: LinearSchedule = morpheus(BUCKET_INITIAL, BUCKET_DECREASE);
/// Morpheus's protection bucket: 576 MOR on day one, falling 0.09875978804 MOR a day.
pub const MORPHEUS_PROTECTION: LinearSchedule = morpheus(
    uint!(576_000_000_000_000_000_000_U256),
    uint!(98_759_788_040_000_000_U256),
);

/// A linear schedule fixed at deployment: interval `k` (from `start`) emits
/// `initial - k * decrease` wei, never below zero; `decrease == 0` emits `initial` forever.
///
/// Every method is total: an `interval` of zero emits nothing, and an emission too large for
/// 256 bits saturates at `U256::MAX` instead of wrapping. That happens only for schedules no
/// token could pay (the curve's total, or `initial * interval`, at 2^256 wei); every amount
/// below that is exact.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LinearSchedule {
    /// Unix second at which interval 0 begins.
    pub start: u64,
    /// Length of one interval in seconds.
    pub interval: u64,
    /// Wei emitted over interval 0.
    pub initial: U256,
    /// Wei by which each following interval's amount falls.
    pub decrease: U256,
}

impl LinearSchedule {
    /// Wei emitted over interval `k`: `initial - k * decrease`, zero once that would go negative.
    pub fn interval_amount(&self, k: u64) -> U256 {
        match self.decrease.checked_mul(U256::from(k)) {
            Some(decrease) => self.initial.saturating_sub(decrease),
            None => U256::ZERO,
        }
    }

    /// The first second after the curve: `start + ceil(initial / decrease) * interval`
    /// (`start` for a schedule that emits nothing, `u64::MAX` for one that never ends).
    pub fn end(&self) -> u64 {
        if self.interval == 0 {
            return self.start;
        }
        match self.intervals() {
            Some(n) => self.start.saturating_add(n.saturating_mul(self.interval)),
            None => u64::MAX,
        }
    }

    /// Wei emitted in `[start, t)`: nondecreasing in `t`, constant from [`Self::end`] on.
    pub fn cumulative(&self, t: u64) -> U256 {
        if self.interval == 0 || t <= self.start {
            return U256::ZERO;
        }
        let elapsed = t - self.start;
        let k = elapsed / self.interval;
        let amount = self.interval_amount(k);
        if amount.is_zero() {
            // At or past the end: `decrease * k >= initial`, so the curve has at most k intervals.
            // Only here is the (long) division for the interval count paid.
            return self.whole(self.intervals().map_or(k, |n| n.min(k)));
        }
        let share = amount
            .checked_mul(U256::from(elapsed % self.interval))
            .and_then(|part| div_u64(part, self.interval));
        match share {
            Some(share) => self.whole(k).saturating_add(share),
            None => U256::MAX,
        }
    }

    /// Wei emitted in `[from, to)`: `cumulative(to) - cumulative(from)`, zero if `to <= from`.
    /// Exactly additive: `reward(a, b) + reward(b, c) == reward(a, c)` for `a <= b <= c`.
    pub fn reward(&self, from: u64, to: u64) -> U256 {
        if to <= from {
            return U256::ZERO;
        }
        self.cumulative(to).saturating_sub(self.cumulative(from))
    }

    /// How many intervals emit: `ceil(initial / decrease)`, or `None` when the curve never ends
    /// inside `u64` intervals (`decrease == 0`, or too small to matter).
    fn intervals(&self) -> Option<u64> {
        if self.initial.is_zero() {
            return Some(0);
        }
        let quotient = div(self.initial, self.decrease)?;
        // quotient * decrease <= initial, so the product cannot overflow.
        let exact = quotient.wrapping_mul(self.decrease) == self.initial;
        let n = if exact {
            quotient
        } else {
            quotient + U256::from(1)
        };
        u64::try_from(n).ok()
    }

    /// Wei emitted by the first `n` intervals, all of them positive: the arithmetic series
    /// `n * amount(n - 1) + decrease * n * (n - 1) / 2` (each term at most the sum, so it
    /// overflows only if the sum does; then it saturates).
    fn whole(&self, n: u64) -> U256 {
        let Some(last) = n.checked_sub(1) else {
            return U256::ZERO;
        };
        // n * (n - 1) < 2^128: exact in u128, and even, so the halving is exact.
        let pairs = u128::from(n) * u128::from(last) / 2;
        U256::from(n)
            .checked_mul(self.interval_amount(last))
            .zip(self.decrease.checked_mul(U256::from(pairs)))
            .and_then(|(tail, series)| tail.checked_add(series))
            .unwrap_or(U256::MAX)
    }
}

/// `a / d` rounded down, or `None` when `d` is zero: native 32-bit digits when `d` fits in 32
/// bits (every realistic interval and elapsed time), else the compact long division.
pub(crate) fn div_u64(a: U256, d: u64) -> Option<U256> {
    match u32::try_from(d) {
        Ok(d) => div_u32(a, d),
        Err(_) => div(a, U256::from(d)),
    }
}
