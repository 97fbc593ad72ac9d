//! Exact MOR amounts and lock times as people type them: decimal MOR to wei and back (no
//! floats anywhere), 1e18 fixed-point multipliers as decimals, and lock ends as unix seconds
//! or UTC dates.

use alloy_primitives::U256;
use yellowstone_protocol::time::DAY;

/// Decimals of MOR (and of the 1e18 fixed-point multiplier).
const DECIMALS: usize = 18;

/// 10^18.
fn unit() -> U256 {
    U256::from(10u64).pow(U256::from(DECIMALS))
}

/// Parses a decimal MOR amount into wei, exactly: `"12.5"` → 12500000000000000000.
///
/// Accepts digits with at most one `.` and at most 18 decimals (`"0.001"`, `"1000"`,
/// `"2."` is refused). Refuses signs, exponents, spaces inside, more than 18 decimals and
/// amounts above 2^256 - 1 wei, each with a message saying why.
pub fn parse_mor(text: &str) -> Result<U256, String> {
    let text = text.trim();
    let (whole, fraction) = match text.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (text, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || fraction.is_some_and(|f| !digits(f)) {
        return Err(format!(
            "{text:?} is not a MOR amount: expected a non-negative decimal such as 12.5 or 0.001"
        ));
    }
    let fraction = fraction.unwrap_or("");
    if fraction.len() > DECIMALS {
        return Err(format!(
            "{text:?} has {} decimals; MOR has {DECIMALS} (1 wei = 0.000000000000000001 MOR)",
            fraction.len()
        ));
    }
    let too_large = || format!("{text:?} MOR is too large");
    let whole = U256::from_str_radix(whole, 10).map_err(|_| too_large())?;
    let fraction: U256 = format!("{fraction:0<DECIMALS$}")
        .parse()
        .map_err(|_| too_large())?;
    whole
        .checked_mul(unit())
        .and_then(|w| w.checked_add(fraction))
        .ok_or_else(too_large)
}

/// Prints wei as MOR with trailing zeros trimmed: 12500000000000000000 → `"12.5"`, 0 → `"0"`,
/// 1 → `"0.000000000000000001"`.
pub fn format_mor(wei: U256) -> String {
    decimal(wei)
}

/// Prints a 1e18 fixed-point multiplier as a decimal: 1744946883956739643 →
/// `"1.744946883956739643"`.
pub fn format_multiplier(fixed: U256) -> String {
    decimal(fixed)
}

/// `value / 1e18` in decimal, trailing zeros (and a bare point) trimmed.
fn decimal(value: U256) -> String {
    let (whole, fraction) = (value / unit(), value % unit());
    if fraction.is_zero() {
        return whole.to_string();
    }
    let fraction = format!("{:0>DECIMALS$}", fraction.to_string());
    format!("{whole}.{}", fraction.trim_end_matches('0'))
}

/// Parses a lock end: unix seconds (`1790000000`) or a UTC date `YYYY-MM-DD` (its 00:00:00
/// UTC).
pub fn parse_lock_end(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let bad = || format!("{text:?} is not a lock end: expected unix seconds or YYYY-MM-DD (UTC)");
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return text.parse().map_err(|_| bad());
    }
    let part = |range: std::ops::Range<usize>| -> Result<u64, String> {
        let s = text.get(range).ok_or_else(bad)?;
        if s.bytes().all(|b| b.is_ascii_digit()) {
            s.parse().map_err(|_| bad())
        } else {
            Err(bad())
        }
    };
    let shape = text.len() == 10 && text.as_bytes()[4] == b'-' && text.as_bytes()[7] == b'-';
    if !shape {
        return Err(bad());
    }
    let (year, month, day) = (part(0..4)?, part(5..7)?, part(8..10)?);
    if !(1970..=9999).contains(&year) || !(1..=12).contains(&month) || day == 0 {
        return Err(bad());
    }
    let days = days_from_civil(year, month, day);
    let next_month = if month == 12 {
        days_from_civil(year + 1, 1, 1)
    } else {
        days_from_civil(year, month + 1, 1)
    };
    if days >= next_month {
        return Err(format!(
            "{text:?}: {year:04}-{month:02} has no day {day:02}"
        ));
    }
    Ok(days * DAY)
}

/// Days from 1970-01-01 to a date on or after it (Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: u64, month: u64, day: u64) -> u64 {
    let year = if month <= 2 { year - 1 } else { year };
    let (era, year_of_era) = (year / 400, year % 400);
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}
