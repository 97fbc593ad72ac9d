//! Uniswap V2 arithmetic for the harvest (SPEC 7): the pair's swap formula with its 0.3% fee,
//! the single-sided optimal swap, the UQ112x112 cumulative price and the guards built on it.
//!
//! The contract talks to the genuine pair directly (`transfer` + `swap`, `transfer` + `mint`),
//! so these must give the pair's own answers: `amount_out` is `UniswapV2Library.getAmountOut`,
//! `quote` is its `quote`, `price_x112` is `UQ112x112.encode(num).uqdiv(den)`, and
//! `cumulative_now` is `UniswapV2OracleLibrary.currentCumulativePrices` (u32 timestamps and a
//! 256-bit cumulative that wrap, as in the pair). Every function is total: `None` where the pair
//! would revert (an empty reserve) or a product would overflow.

use alloy_primitives::U256;

use crate::{
    math::{div, div_u32},
    schedule::div_u64,
};

/// Basis points in one: the unit of the deviation and slippage bounds.
pub const BPS: u32 = 10_000;

/// The pair keeps 997/1000 of every input (the 0.3% fee goes to liquidity).
const FEE_KEPT: u32 = 997;
const FEE_SCALE: u32 = 1_000;

/// What the pair pays for `amount_in` against reserves `(reserve_in, reserve_out)`:
/// `amount_in * 997 * reserve_out / (reserve_in * 1000 + amount_in * 997)`, rounded down (the
/// pair's `k` check accepts exactly this much). `None` if a reserve is empty or on overflow.
pub fn amount_out(amount_in: U256, reserve_in: U256, reserve_out: U256) -> Option<U256> {
    if reserve_in.is_zero() || reserve_out.is_zero() {
        return None;
    }
    let kept = amount_in.checked_mul(U256::from(FEE_KEPT))?;
    let denominator = reserve_in
        .checked_mul(U256::from(FEE_SCALE))?
        .checked_add(kept)?;
    div(kept.checked_mul(reserve_out)?, denominator)
}

/// How much of `amount` (one asset, reserve `reserve_in` in the pair) to swap so that the rest
/// and the proceeds match the pair's ratio after the swap, fee and price impact included:
/// `(sqrt(r * (r * 3988009 + amount * 3988000)) - r * 1997) / 1994`, rounded down (the root of
/// `997 s^2 + 1997 r s - 1000 r amount = 0`). About half of `amount`: a little more while it
/// is small against the pool (the fee takes part of the swapped share), less as its own price
/// impact grows. `None` if the reserve is empty (no price to swap at) or on overflow.
pub fn optimal_swap_in(amount: U256, reserve_in: U256) -> Option<U256> {
    if reserve_in.is_zero() {
        return None;
    }
    let inner = reserve_in
        .checked_mul(U256::from(3_988_009u32))?
        .checked_add(amount.checked_mul(U256::from(3_988_000u32))?)?;
    let root = isqrt(reserve_in.checked_mul(inner)?);
    // root >= r * 1997, since 1997^2 == 3988009.
    div_u32(
        root.checked_sub(reserve_in.checked_mul(U256::from(1_997u32))?)?,
        1_994,
    )
}

/// `amount_a` of one asset valued in the other at the reserves' ratio, no fee:
/// `amount_a * reserve_b / reserve_a`, rounded down. `None` if `reserve_a` is empty or on overflow.
pub fn quote(amount_a: U256, reserve_a: U256, reserve_b: U256) -> Option<U256> {
    div(amount_a.checked_mul(reserve_b)?, reserve_a)
}

/// The spot price `numerator / denominator` as UQ112x112 (`numerator * 2^112 / denominator`,
/// rounded down), the unit of the pair's cumulative prices. `None` if `denominator` is zero or
/// `numerator` has more than 144 bits (a pair's reserves have 112).
pub fn price_x112(numerator: U256, denominator: U256) -> Option<U256> {
    if numerator.bit_len() > 144 {
        return None;
    }
    div(numerator << 112usize, denominator)
}

/// The pair's cumulative price (of `reserve_num / reserve_den`) at block timestamp `now`, as if
/// the pair were touched now: `cumulative_last + price * (now - timestamp_last)`, the elapsed
/// time taken modulo 2^32 and the sum modulo 2^256, exactly as the pair does (differences of
/// two cumulatives stay right across both wraps). The reserves and `timestamp_last` are the
/// pair's `getReserves()`. `None` only if time has passed and `reserve_den` is empty.
pub fn cumulative_now(
    cumulative_last: U256,
    reserve_num: U256,
    reserve_den: U256,
    timestamp_last: u32,
    now: u64,
) -> Option<U256> {
    // Truncation to u32 is the pair's `uint32(block.timestamp % 2**32)`.
    let elapsed = (now as u32).wrapping_sub(timestamp_last);
    if elapsed == 0 {
        return Some(cumulative_last);
    }
    let price = price_x112(reserve_num, reserve_den)?;
    Some(cumulative_last.wrapping_add(price.wrapping_mul(U256::from(elapsed))))
}

/// The time-weighted average price (UQ112x112) between two cumulatives taken `elapsed` seconds
/// apart: `(cumulative_now - cumulative_then) / elapsed`, the difference modulo 2^256 as the
/// pair's cumulative wraps. `None` if `elapsed` is zero.
pub fn twap_x112(cumulative_now: U256, cumulative_then: U256, elapsed: u64) -> Option<U256> {
    div_u64(cumulative_now.wrapping_sub(cumulative_then), elapsed)
}

/// Whether `spot` lies within `max_bps` basis points of `twap`:
/// `|spot - twap| <= max_bps * twap / 10000`, compared exactly (`|spot - twap| * 10000 <=
/// max_bps * twap`). A spot pushed away by a same-block sandwich fails it. `false` if a product
/// would overflow (no real price comes near).
pub fn within_deviation(spot: U256, twap: U256, max_bps: u16) -> bool {
    let gap = spot.abs_diff(twap);
    match (
        gap.checked_mul(U256::from(BPS)),
        twap.checked_mul(U256::from(max_bps)),
    ) {
        (Some(gap), Some(bound)) => gap <= bound,
        _ => false,
    }
}

/// The least a swap of `amount_in` must return: its value at the time-weighted price, less the
/// pair's 0.3% fee, less `slippage_bps`:
/// `floor(floor(amount_in * twap / 2^112) * 997 * (10000 - slippage_bps) / 10^7)`.
/// `None` if `slippage_bps` exceeds 10000 or on overflow.
pub fn min_out(amount_in: U256, twap_x112: U256, slippage_bps: u16) -> Option<U256> {
    let value = amount_in.checked_mul(twap_x112)? >> 112usize;
    let kept = FEE_KEPT * BPS.checked_sub(u32::from(slippage_bps))?;
    div_u32(value.checked_mul(U256::from(kept))?, FEE_SCALE * BPS)
}

/// The most one harvest swaps against `reserve_in`: `reserve_in * slippage_bps / 20000`, half
/// the slippage budget as a share of the reserve. [`min_out`] values the input at the TWAP, so
/// the swap's own price impact (about `amount_in / reserve_in`) must fit inside the slippage; at
/// this size it takes at most half of it, leaving the other half for spot's drift from the TWAP.
/// What a harvest cannot swap is carried to the next, when the pool is deeper. `None` on overflow.
pub fn max_swap_in(reserve_in: U256, slippage_bps: u16) -> Option<U256> {
    div_u32(reserve_in.checked_mul(U256::from(slippage_bps))?, 2 * BPS)
}

/// How much of `(amount_a, amount_b)` to add as liquidity at reserves `(reserve_a, reserve_b)`,
/// as `UniswapV2Router02` does: all of `a` with its quote in `b` if that much `b` is at hand,
/// else all of `b` with its quote in `a`. What is left over stays with the caller (the pair
/// would keep anything beyond the ratio as a gift to existing liquidity). An empty pair takes
/// both amounts whole. `None` if exactly one reserve is empty or on overflow.
pub fn liquidity_split(
    amount_a: U256,
    amount_b: U256,
    reserve_a: U256,
    reserve_b: U256,
) -> Option<(U256, U256)> {
    if reserve_a.is_zero() && reserve_b.is_zero() {
        return Some((amount_a, amount_b));
    }
    let b_for_a = quote(amount_a, reserve_a, reserve_b)?;
    if b_for_a <= amount_b {
        return Some((amount_a, b_for_a));
    }
    // Here quote(amount_b) < amount_a: the exact ratio puts a below amount_a.
    Some((quote(amount_b, reserve_b, reserve_a)?, amount_b))
}

/// `floor(sqrt(n))`, one result bit per step from the top, with shifts and subtractions only:
/// no division (the expensive operation in the contract's Wasm).
fn isqrt(n: U256) -> U256 {
    let mut rest = n;
    let mut root = U256::ZERO;
    // The highest power of four not above n.
    let mut bit = match n.bit_len() {
        0 => return U256::ZERO,
        len => U256::from(1) << ((len - 1) & !1),
    };
    while !bit.is_zero() {
        let trial = root + bit;
        if rest >= trial {
            rest -= trial;
            root = (root >> 1usize) + bit;
        } else {
            root >>= 1usize;
        }
        bit >>= 2usize;
    }
    root
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn isqrt_is_the_floor_of_the_square_root(limbs in any::<[u64; 4]>(), bits in 0usize..=256) {
            let n = U256::from_limbs(limbs) >> (256 - bits);
            let root = isqrt(n);
            prop_assert!(root * root <= n);
            let next = root + U256::from(1);
            prop_assert!(next.checked_mul(next).is_none_or(|square| square > n));
        }
    }
}
