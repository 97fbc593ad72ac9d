//! Integer helpers for the contract's hot paths.
//!
//! [`div`] is a binary long division. ruint's general division is fast but adds about 10 KB
//! of Wasm, and Stylus charges and caps programs by their compressed size; the few hundred
//! cheap operations a long division costs are a rounding error in ink. Every U256 division
//! the contract performs goes through it.

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
        fn long_division_agrees_with_ruint(a in any_u256(), b in any_u256()) {
            prop_assert_eq!(div(a, b), a.checked_div(b));
        }
    }
}
