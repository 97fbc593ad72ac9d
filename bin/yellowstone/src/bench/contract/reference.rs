//! An exact reference for the MRC40 power multiplier, written independently of
//! `yellowstone_protocol::multiplier` to measure it.
//!
//! It shares nothing with the contract's method but the formula of SPEC section 5:
//!
//! ```text
//! multiplier(start, end) = 16.61327546 * (tanh(2(end-S)/D) - tanh(2(start-S)/D)), in [1, 10.7]
//! ```
//!
//! Arithmetic is binary fixed point with [`FRAC_BITS`] = 320 fraction bits on a 768-bit
//! [`Uint`] (the contract uses 120 bits on 256). With `E = e^(2x)`, `tanh(x) = (E - 1)/(E + 1)`
//! is one division per side (the contract instead combines both sides into one quotient).
//! `e^y` for `y = 4a/D` in [0, 4] is computed by halving the argument eight times
//! (`y / 256 <= 1/64`), summing the Taylor series until its terms vanish below 2^-320 (about
//! 35 terms; no tables, no precomputed constants) and squaring eight times.
//!
//! Error: each truncation costs at most 2^-320; about 40 of them in the series and eight
//! squarings (which multiply a relative error by 2^8) leave `e^y` within about 2^-305
//! relative, so the value is exact to about 1e-72 in units of 1e-18 — far below anything
//! measured against it. The unit test `the_reference_matches_the_python_fixture` checks it
//! against the independent 60-digit Python fixture to 1e-24 on all 100,000 of its pairs.

use alloy_primitives::{ruint::Uint, U256};
use yellowstone_protocol::multiplier::{WINDOW_END, WINDOW_START};

/// The reference's integers: 768 bits hold every product of two values below 2^326.
pub type Big = Uint<768, 12>;

/// Fraction bits of the reference's fixed point.
pub const FRAC_BITS: usize = 320;

/// Argument halvings before the Taylor series (undone by as many squarings).
const HALVINGS: usize = 8;

/// D, the window length in seconds.
const WINDOW: u64 = WINDOW_END - WINDOW_START;

/// 16.61327546 * 1e18: the curve's factor at the result's scale (an exact integer).
const FACTOR_E18: u128 = 16_613_275_460_000_000_000;

/// The clamps at 1e18 scale.
const LOW_E18: u128 = 1_000_000_000_000_000_000;
const HIGH_E18: u128 = 10_700_000_000_000_000_000;

/// The exact multiplier of one (start, end) pair.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Exact {
    /// `multiplier * 1e18` in fixed point with [`FRAC_BITS`] fraction bits (clamps applied).
    pub scaled: Big,
    /// Whether a clamp (1, 10.7, or `start >= end`) decided the value.
    pub clamped: bool,
}

impl Exact {
    /// `floor(multiplier * 1e18)`: what a truncating implementation must return.
    pub fn floor_e18(&self) -> u128 {
        (self.scaled >> FRAC_BITS).to::<u128>()
    }

    /// `floor(multiplier * 10^digits)` for `digits >= 18` (the Python fixture uses 24).
    pub fn floor_scaled(&self, digits: u32) -> Big {
        let extra = Big::from(10u64).pow(Big::from(digits.saturating_sub(18)));
        (self.scaled * extra) >> FRAC_BITS
    }

    /// `|result - exact|` in units of 1e-18, for a result at 1e18 scale.
    pub fn error_of(&self, result_e18: u128) -> f64 {
        let ours = Big::from(result_e18) << FRAC_BITS;
        let diff = if ours >= self.scaled {
            ours - self.scaled
        } else {
            self.scaled - ours
        };
        // Keep 64 fraction bits: plenty for an f64.
        let coarse = diff >> (FRAC_BITS - 64);
        let coarse: u128 = coarse.try_into().unwrap_or(u128::MAX);
        coarse as f64 / 2f64.powi(64)
    }
}

/// Seconds since S after clamping `t` into [S, S+D].
fn offset(t: U256) -> u64 {
    let clamped = t.clamp(U256::from(WINDOW_START), U256::from(WINDOW_END));
    clamped.to::<u64>() - WINDOW_START
}

/// `e^(4a/D)` in fixed point, for `a` in `0..=D`.
pub fn exp_four_a_over_d(a: u64) -> Big {
    let one = Big::from(1u8) << FRAC_BITS;
    // y = 4a / (D * 2^HALVINGS), at most 1/64.
    let y = (Big::from(4 * u128::from(a)) << FRAC_BITS) / Big::from(u128::from(WINDOW) << HALVINGS);
    let (mut sum, mut term) = (one, one);
    let mut n = 1u64;
    loop {
        term = ((term * y) >> FRAC_BITS) / Big::from(n);
        if term.is_zero() {
            break;
        }
        sum += term;
        n += 1;
    }
    for _ in 0..HALVINGS {
        sum = (sum * sum) >> FRAC_BITS;
    }
    sum
}

/// `tanh(2a/D) = (E - 1)/(E + 1)` with `E = e^(4a/D)`, in fixed point.
fn tanh_of_offset(a: u64) -> Big {
    let one = Big::from(1u8) << FRAC_BITS;
    let e = exp_four_a_over_d(a);
    ((e - one) << FRAC_BITS) / (e + one)
}

/// The exact power multiplier of a lock from `start` to `end` (unix seconds, any U256).
pub fn exact(start: U256, end: U256) -> Exact {
    let low = Exact {
        scaled: Big::from(LOW_E18) << FRAC_BITS,
        clamped: true,
    };
    if start >= end {
        return low;
    }
    let (a, b) = (offset(start), offset(end));
    if a >= b {
        return low;
    }
    let rise = tanh_of_offset(b) - tanh_of_offset(a);
    let scaled = rise * Big::from(FACTOR_E18);
    if scaled <= low.scaled {
        return low;
    }
    let high = Big::from(HIGH_E18) << FRAC_BITS;
    if scaled >= high {
        return Exact {
            scaled: high,
            clamped: true,
        };
    }
    Exact {
        scaled,
        clamped: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use yellowstone_protocol::time::DAY;

    const S: u64 = WINDOW_START;

    fn at(start: u64, end: u64) -> u128 {
        exact(U256::from(start), U256::from(end)).floor_e18()
    }

    #[test]
    fn e_comes_out_to_60_digits() {
        // e^4 = 54.598150033144239078110261202860878402790737038614068725826593...
        let e4 = exp_four_a_over_d(WINDOW);
        let digits = (e4 * Big::from(10u64).pow(Big::from(60u64))) >> FRAC_BITS;
        assert_eq!(
            digits.to_string(),
            "54598150033144239078110261202860878402790737038614068725826593"
        );
    }

    #[test]
    fn the_specs_known_values() {
        assert_eq!(at(S + 100 * DAY, S + 400 * DAY), 1_744_946_883_956_739_643);
        assert_eq!(at(0, S + 200 * DAY), 1_171_513_456_453_704_514);
        assert_eq!(at(S, S + 2), LOW_E18);
        assert_eq!(at(0, u64::MAX), HIGH_E18);
        assert_eq!(at(S + 400 * DAY, S + 100 * DAY), LOW_E18);
    }
}
