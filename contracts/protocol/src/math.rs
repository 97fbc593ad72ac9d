//! Integer helpers for the contract's hot paths.
//!
//! [`div`] is a binary long division. ruint's general division is fast but adds about 10 KB
//! of Wasm, and Stylus charges and caps programs by their compressed size. A bit at a time
//! through ruint's generic shifts is not cheap in ink, though (about 80 gas a bit at
//! `opt-level = "z"`), so the daily cap's divisions by 100 and 10, on every commit, go
//! through [`div_u32`]: eight native 64-bit divisions. Every other U256 division the
//! contract performs goes through [`div`].

use alloy_primitives::U256;

/// `a / b` rounded down, or `None` when `b` is zero.
pub fn div(a: U256, b: U256) -> Option<U256> {
    if b.is_zero() {
        return None;
    }
    // Restoring division, one bit of `a` at a time from its top bit: the remainder stays below
    // `b`, so doubling it overflows only when `b` is above 2^255, and then it exceeds `b`.
    let mut remainder = U256::ZERO;
    let mut quotient = U256::ZERO;
    for bit in (0..a.bit_len()).rev() {
        let overflow = remainder.bit(255);
        remainder = (remainder << 1usize) | U256::from(a.bit(bit) as u8);
        if overflow || remainder >= b {
            remainder = remainder.wrapping_sub(b);
            quotient.set_bit(bit, true);
        }
    }
    Some(quotient)
}

/// `a / d` rounded down, or `None` when `d` is zero: schoolbook division by 32-bit digits, so
/// every step is one native 64-bit division (the remainder stays below `d < 2^32`).
pub fn div_u32(a: U256, d: u32) -> Option<U256> {
    if d == 0 {
        return None;
    }
    let d = u64::from(d);
    let mut limbs = a.into_limbs();
    let mut rem = 0u64;
    for limb in limbs.iter_mut().rev() {
        let high = (rem << 32) | (*limb >> 32);
        rem = high % d;
        let low = (rem << 32) | (*limb & 0xffff_ffff);
        rem = low % d;
        *limb = ((high / d) << 32) | (low / d);
    }
    Some(U256::from_limbs(limbs))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn division_rounds_down_and_refuses_zero() {
        assert_eq!(div(U256::from(7), U256::from(2)), Some(U256::from(3)));
        assert_eq!(div(U256::from(1), U256::from(2)), Some(U256::ZERO));
        assert_eq!(div(U256::MAX, U256::from(1)), Some(U256::MAX));
        assert_eq!(div(U256::MAX, U256::MAX), Some(U256::from(1)));
        assert_eq!(div(U256::from(1), U256::ZERO), None);
    }

    fn any_u256() -> impl Strategy<Value = U256> {
        (any::<[u64; 4]>(), 0usize..=256)
            .prop_map(|(limbs, bits)| U256::from_limbs(limbs) >> (256 - bits))
    }

    proptest! {
        #[test]
        fn division_by_32_bit_digits_agrees_with_ruint(a in any_u256(), d in any::<u32>()) {
            prop_assert_eq!(div_u32(a, d), a.checked_div(U256::from(d)));
        }

        #[test]
        fn long_division_agrees_with_ruint(a in any_u256(), b in any_u256()) {
            prop_assert_eq!(div(a, b), a.checked_div(b));
        }
    }
}
