//! The compute bucket's emission schedule and the limits derived from it (SPEC section 6).
//!
//! The router may credit at most [`daily_cap`] on day `d`: the day's scheduled emission plus 1%
//! of the pool left unused at the start of the day. Inside that cap, bootstrap shares are
//! limited to [`bootstrap_limit`], 10% of the compute bucket (2.4% of all emissions), and only
//! inside the 365-day [`in_bootstrap_window`].

use alloy_primitives::{uint, U256};

use crate::{math::div_u32, schedule::LinearSchedule, time::PERIOD_DAYS};

/// Morpheus's compute bucket as deployed today: 3456 MOR on the first day (2024-02-08, UTC
/// day 19761), falling by 0.59255872824 MOR a day.
pub const MORPHEUS_COMPUTE: EmissionSchedule = EmissionSchedule {
    start_day: 19_761,
    first_day: uint!(3_456_000_000_000_000_000_000_U256),
    daily_decrease: uint!(592_558_728_240_000_000_U256),
};

/// A linear emission schedule fixed at deployment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EmissionSchedule {
    /// UTC day index of the first emission day.
    pub start_day: u64,
    /// Wei emitted on `start_day`.
    pub first_day: U256,
    /// Wei by which each following day's emission falls.
    pub daily_decrease: U256,
}

impl EmissionSchedule {
    /// Wei scheduled for UTC day `day`: zero before the start, `first_day - n * daily_decrease`
    /// on the n-th day after it, never below zero (the capital side's curve, one interval a day:
    /// [`LinearSchedule::interval_amount`]).
    pub fn scheduled(&self, day: u64) -> U256 {
        match day.checked_sub(self.start_day) {
            Some(n) => self.daily().interval_amount(n),
            None => U256::ZERO,
        }
    }

    /// The same curve as a [`LinearSchedule`] counted in days (`start` and `interval` in days).
    const fn daily(&self) -> LinearSchedule {
        LinearSchedule {
            start: self.start_day,
            interval: 1,
            initial: self.first_day,
            decrease: self.daily_decrease,
        }
    }
}

/// The most the router may credit on a day: `scheduled + unused_pool_at_day_start / 100`.
pub fn daily_cap(scheduled: U256, unused_pool_at_day_start: U256) -> U256 {
    scheduled.saturating_add(div_u32(unused_pool_at_day_start, 100).unwrap_or_default())
}

/// The most bootstrap credit a day may carry: 10% of the day's scheduled compute emission.
pub fn bootstrap_limit(scheduled: U256) -> U256 {
    div_u32(scheduled, 10).unwrap_or_default()
}

/// Whether `day` lies in the 365-day bootstrap window that opens on `bootstrap_start_day`.
pub const fn in_bootstrap_window(bootstrap_start_day: u64, day: u64) -> bool {
    day >= bootstrap_start_day && day - bootstrap_start_day < PERIOD_DAYS
}

#[cfg(test)]
mod tests {
    use super::*;

    const MOR: u128 = 1_000_000_000_000_000_000;

    #[test]
    fn morpheus_emits_3456_mor_on_its_first_day_and_falls_linearly() {
        let s = MORPHEUS_COMPUTE;
        assert_eq!(s.scheduled(19_760), U256::ZERO, "nothing before the start");
        assert_eq!(s.scheduled(19_761), U256::from(3_456 * MOR));
        assert_eq!(
            s.scheduled(19_762),
            U256::from(3_456 * MOR - 592_558_728_240_000_000)
        );
        assert_eq!(
            s.scheduled(19_761 + 1_000),
            U256::from(3_456 * MOR - 1_000 * 592_558_728_240_000_000)
        );
    }

    #[test]
    fn the_schedule_ends_at_zero_and_never_goes_negative() {
        let s = MORPHEUS_COMPUTE;
        // 3456 / 0.59255872824 = 5832.39..., so day 5833 after the start is the first at zero.
        assert!(s.scheduled(19_761 + 5_832) > U256::ZERO);
        assert_eq!(s.scheduled(19_761 + 5_833), U256::ZERO);
        assert_eq!(s.scheduled(u64::MAX), U256::ZERO);
        let huge = EmissionSchedule {
            start_day: 0,
            first_day: U256::MAX,
            daily_decrease: U256::MAX,
        };
        assert_eq!(
            huge.scheduled(2),
            U256::ZERO,
            "an overflowing decrease saturates to zero"
        );
    }

    #[test]
    fn the_daily_cap_is_the_emission_plus_one_percent_of_the_unused_pool() {
        let cap = daily_cap(U256::from(3_456 * MOR), U256::from(100_000 * MOR));
        assert_eq!(cap, U256::from(4_456 * MOR));
        assert_eq!(
            daily_cap(U256::MAX, U256::MAX),
            U256::MAX,
            "saturates instead of wrapping"
        );
        assert_eq!(
            daily_cap(U256::ZERO, U256::from(99)),
            U256::ZERO,
            "rounds down"
        );
    }

    #[test]
    fn bootstrap_is_ten_percent_of_the_compute_bucket_for_365_days() {
        assert_eq!(
            bootstrap_limit(U256::from(3_456 * MOR)),
            U256::from(3_456 * MOR / 10)
        );
        assert!(!in_bootstrap_window(100, 99));
        assert!(in_bootstrap_window(100, 100));
        assert!(in_bootstrap_window(100, 464));
        assert!(!in_bootstrap_window(100, 465));
    }
}
