//! The reward-per-share accumulator (SPEC 7): emission accrues per second to everyone deposited,
//! pro rata to principal, with nothing lost to rounding.
//!
//! `acc` grows by `(reward * SCALE + carry) / principal` and the remainder is carried into the
//! next accrual, so `principal * Δacc + carry` accounts for every unit of `reward * SCALE` ever
//! added: no dust is dropped, however small the rewards or large the principal. An account
//! earns `principal * (acc_now - acc_paid) / SCALE`, floored: less than one wei of dust per
//! settlement, and the sum of what accounts earn never exceeds what was added.

use alloy_primitives::{uint, U256};

use crate::math::{div, div_u32};

/// The accumulator's scale, 1e27: while the total principal stays below 1e9 stETH, the carried
/// remainder holds back less than one wei. An accrual raises `acc` by at most
/// `reward * SCALE + carry` (a 1-wei principal), and an account's `principal * Δacc` is at most
/// what the accruals added: both stay near `SCALE` times the total emission, about 2^173 for
/// Morpheus's capital bucket, far inside 256 bits.
pub const SCALE: U256 = uint!(1_000_000_000_000_000_000_000_000_000_U256);

/// 1e9, the 32-bit digit `SCALE` divides by three times (cheap native divisions).
const BILLION: u32 = 1_000_000_000;

/// Adds `reward` to the accumulator shared by `principal`: `Some((acc', carry'))` with
/// `acc' = acc + (reward * SCALE + carry) / principal` and `carry'` the remainder.
/// `None` when `principal` is zero (nobody to credit: the caller keeps the emission) or on
/// overflow (the caller reverts, nothing is credited).
pub fn accumulate(acc: U256, carry: U256, reward: U256, principal: U256) -> Option<(U256, U256)> {
    let units = reward.checked_mul(SCALE)?.checked_add(carry)?;
    let per_share = div(units, principal)?;
    // per_share * principal <= units: neither overflows nor underflows.
    let carry = units - per_share * principal;
    Some((acc.checked_add(per_share)?, carry))
}

/// Wei earned by `principal` since its account was settled at `acc_paid`:
/// `principal * (acc_now - acc_paid) / SCALE`, rounded down. `None` if `acc_paid > acc_now`
/// (the accumulator never falls) or on overflow.
pub fn earned(principal: U256, acc_now: U256, acc_paid: U256) -> Option<U256> {
    let units = principal.checked_mul(acc_now.checked_sub(acc_paid)?)?;
    // Nested floors compose: floor(floor(floor(x / a) / b) / c) == floor(x / (a * b * c)).
    div_u32(div_u32(div_u32(units, BILLION)?, BILLION)?, BILLION)
}
