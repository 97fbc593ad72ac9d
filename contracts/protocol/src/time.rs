//! Clocks: the UTC day index and the 365-day period.

/// Seconds in one UTC day.
pub const DAY: u64 = 86_400;

/// Days in one stake-cap period and in the bootstrap window.
pub const PERIOD_DAYS: u64 = 365;

/// Seconds in one 365-day period.
pub const PERIOD: u64 = DAY * PERIOD_DAYS;

/// The UTC day index of a unix timestamp: `floor(seconds / 86400)`.
pub const fn day_of(unix_seconds: u64) -> u64 {
    unix_seconds / DAY
}

/// The index of the 365-day period that `now` falls in, counted from `origin`
/// (0 for any `now` before `origin`).
pub const fn period_index(origin: u64, now: u64) -> u64 {
    now.saturating_sub(origin) / PERIOD
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_starts_at_midnight_utc() {
        // 2024-02-08 00:00:00 UTC, the first day of Morpheus emissions.
        assert_eq!(day_of(1_707_350_400), 19_761);
        assert_eq!(day_of(1_707_350_400 - 1), 19_760);
        assert_eq!(day_of(1_707_350_400 + DAY - 1), 19_761);
    }

    #[test]
    fn periods_are_365_days_from_the_origin() {
        assert_eq!(period_index(1_000, 999), 0);
        assert_eq!(period_index(1_000, 1_000 + PERIOD - 1), 0);
        assert_eq!(period_index(1_000, 1_000 + PERIOD), 1);
    }
}
