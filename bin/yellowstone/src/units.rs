//! Exact MOR amounts and times as people type and read them: decimal MOR to wei and back (no
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

/// A 1e18 fixed-point value (wei as MOR, a multiplier) with all 18 decimals, exactly:
/// `1500000000000000000` → `"1.500000000000000000"`.
pub fn format_wad_exact(value: U256) -> String {
    let (whole, fraction) = (value / unit(), value % unit());
    format!("{whole}.{:0>DECIMALS$}", fraction.to_string())
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
    parse_seconds_or_date(text).map_err(|why| {
        format!("{text:?} is not a lock end: {why}; expected unix seconds or YYYY-MM-DD (UTC)")
    })
}

/// Parses unix seconds or a UTC date `YYYY-MM-DD` (its 00:00:00 UTC), saying what is wrong
/// with anything else.
pub fn parse_seconds_or_date(text: &str) -> Result<u64, String> {
    let text = text.trim();
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return text
            .parse::<u64>()
            .map_err(|_| "too many seconds for 64 bits".to_string());
    }
    let (year, month, day) = split_date(text).ok_or_else(|| "not a time".to_string())?;
    if !(1970..=9999).contains(&year) {
        return Err("the year must be between 1970 and 9999".into());
    }
    if !(1..=12).contains(&month) {
        return Err("the month must be between 01 and 12".into());
    }
    if day == 0 || day > days_in_month(year, month) {
        return Err(format!("{year:04}-{month:02} has no day {day:02}"));
    }
    Ok(days_from_civil(year, month, day) * DAY)
}

/// Splits `YYYY-MM-DD` (exactly four, two and two digits) into numbers, unchecked.
fn split_date(text: &str) -> Option<(u64, u64, u64)> {
    let bytes = text.as_bytes();
    if !(bytes.len() == 10 && bytes[4] == b'-' && bytes[7] == b'-') {
        return None;
    }
    let digits = |range: std::ops::Range<usize>| -> Option<u64> {
        let part = text.get(range)?;
        if part.bytes().all(|b| b.is_ascii_digit()) {
            part.parse().ok()
        } else {
            None
        }
    };
    Some((digits(0..4)?, digits(5..7)?, digits(8..10)?))
}

/// Days in `month` (1..=12) of `year` in the Gregorian calendar: the gap to the next month's
/// first day, so the leap-year rules live in [`days_from_civil`] alone.
fn days_in_month(year: u64, month: u64) -> u64 {
    let (next_year, next_month) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    days_from_civil(next_year, next_month, 1) - days_from_civil(year, month, 1)
}

/// Days from 1970-01-01 to a date on or after it (Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: u64, month: u64, day: u64) -> u64 {
    // Count years from March, so the leap day ends the year.
    let year = if month <= 2 { year - 1 } else { year };
    let (era, year_of_era) = (year / 400, year % 400);
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}
