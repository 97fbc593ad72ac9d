//! # yellowstone-market
//!
//! The pure rules of the Yellowstone compute market as the router applies them: no IO, no
//! async, no clock reads (time is always a `now: u64` unix-seconds parameter), no floats
//! (money is integer wei in [`U256`], tokens are `u64`), and no panics on any input. Randomness
//! comes in from the caller as a `&mut impl FnMut() -> u64`, so every rule is deterministic
//! for a given random sequence and can be replayed by an auditor. The one process-wide effect
//! is counting secp256k1 recoveries and signatures in [`signatures`].
//!
//! | module | what it decides | SPEC |
//! |---|---|---|
//! | [`allowance`] | a user's daily allowance in wei and its token view at the reference price, holds, and what a ticket costs the user | 3, 8 |
//! | [`admission`] | which waiting requests are served when the router is saturated (highest MOR balance first) | 4, step 3 |
//! | [`pricing`] | the bounds on a bid's price: the stake-weighted median reference per model, `k` times it, the hard maximum | 8 Prices are bounded |
//! | [`judge`] | whether a report earns a credit: pass, counts, and speed against the model's recent average | 4, step 10 |
//! | [`selection`] | the order in which providers are offered a request: exploration (inside the band, with the minimum stake), price band, weight (stake x multiplier while locked, stake after), price; back-off | 5 Selection, 4 steps 4-5, 8 Selection |
//! | [`bootstrap`] | the day's bootstrap shares, pro rata among the top providers by credited work | 6 Bootstrap |
//! | [`settle`] | folding pending credits into an epoch within the caps, the cumulative table and its Merkle tree | 6 Settlement |
//! | [`state`] | the market state in memory: the rules applied to signed messages at a given `now`, returning the [`records::Change`]s to persist (the caller runs the [`admission`] queue and the [`selection`] order on what it offers) | 3-6 |
//! | [`signatures`] | process-wide counts of secp256k1 recoveries and signatures | |
//! | [`records`] | what is persisted, and the [`records::Change`] unit of persistence | |
//!
//! Formulas that both the contract and the router must agree on live in
//! `yellowstone_protocol` and are called from here, never re-implemented.

use alloy_primitives::{U256, U512};

pub mod admission;
pub mod allowance;
pub mod bootstrap;
pub mod judge;
pub mod pricing;
pub mod records;
pub mod selection;
pub mod settle;
pub mod signatures;
pub mod state;

/// `floor(a * b / d)` computed through a 512-bit product, so the product never overflows;
/// `None` for a zero divisor or a quotient that does not fit in 256 bits.
pub(crate) fn mul_div(a: U256, b: U256, d: U256) -> Option<U256> {
    if d.is_zero() {
        return None;
    }
    let product: U512 = a.widening_mul(b);
    let quotient = product.checked_div(U512::from(d))?;
    narrow(quotient)
}

/// A 512-bit value as 256 bits, `None` when it does not fit.
pub(crate) fn narrow(value: U512) -> Option<U256> {
    let limbs = value.as_limbs();
    if limbs[4..].iter().any(|limb| *limb != 0) {
        return None;
    }
    Some(U256::from_limbs([limbs[0], limbs[1], limbs[2], limbs[3]]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mul_div_is_exact_where_the_256_bit_product_would_overflow() {
        assert_eq!(
            mul_div(U256::MAX, U256::from(6), U256::from(3)),
            None,
            "a quotient above 2^256 does not fit"
        );
        assert_eq!(
            mul_div(U256::MAX, U256::from(3), U256::from(6)),
            Some(U256::MAX / U256::from(2))
        );
        assert_eq!(mul_div(U256::MAX, U256::MAX, U256::MAX), Some(U256::MAX));
        assert_eq!(
            mul_div(U256::from(7), U256::from(3), U256::from(2)),
            Some(U256::from(10))
        );
        assert_eq!(mul_div(U256::from(1), U256::from(1), U256::ZERO), None);
    }
}
