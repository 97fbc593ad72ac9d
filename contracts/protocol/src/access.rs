//! The access rate: how much free inference a MOR buys per day (SPEC section 3).
//!
//! `MaxT = budget / price per T`; `AccessRate = MaxT / supply`; `UserMax = MaxT * balance /
//! supply`. The router uses the MOR form ([`max_tokens`]), which needs no price oracle; the
//! dollar form ([`max_tokens_usd`]) is the seed's, kept for operators who quote in dollars.
//! All quantities are integers: MOR and dollar amounts in 1e18 fixed point, tokens whole.

use alloy_primitives::U256;

use crate::WAD;

/// MaxT from a daily budget in wei and a price in wei per output token, rounded down.
/// Zero when the price is zero (no price, no access).
pub fn max_tokens(budget_wei: U256, price_wei_per_token: U256) -> U256 {
    budget_wei
        .checked_div(price_wei_per_token)
        .unwrap_or_default()
}

/// MaxT in the seed's dollar form: `budget * mor_price * 1000 / t_price_per_1000`, every input
/// in 1e18 fixed point (MOR, USD per MOR, USD per 1000 T), rounded down; `None` on overflow
/// or a zero token price.
pub fn max_tokens_usd(
    budget_mor: U256,
    mor_price_usd: U256,
    t_price_usd_per_1000: U256,
) -> Option<U256> {
    let dollars = budget_mor
        .checked_mul(mor_price_usd)?
        .checked_mul(U256::from(1_000))?;
    dollars.checked_div(t_price_usd_per_1000.checked_mul(WAD)?)
}

/// AccessRate in tokens per MOR per day, in 1e18 fixed point: `max_t / supply`, rounded down;
/// `None` on overflow or a zero supply.
pub fn access_rate(max_t: U256, supply_wei: U256) -> Option<U256> {
    max_t
        .checked_mul(WAD)?
        .checked_mul(WAD)?
        .checked_div(supply_wei)
}

/// UserMax in tokens per day for a balance: `max_t * balance / supply`, rounded down once, so
/// no precision is lost through the rate; `None` on overflow or a zero supply.
pub fn user_max(max_t: U256, supply_wei: U256, balance_wei: U256) -> Option<U256> {
    max_t.checked_mul(balance_wei)?.checked_div(supply_wei)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mor(n: u64) -> U256 {
        U256::from(n) * WAD
    }

    /// SPEC section 3: supply 10,000,000 MOR; budget 3,000 MOR/day; MOR = $20; 1000 T = $0.002;
    /// balance 5 MOR -> MaxT = 30,000,000,000 T; AccessRate = 3,000 T/MOR/day; UserMax = 15,000 T.
    #[test]
    fn the_seed_example_is_reproduced_exactly() {
        let t_price = U256::from(2) * WAD / U256::from(1_000); // $0.002 per 1000 T
        let max_t = max_tokens_usd(mor(3_000), mor(20), t_price).unwrap();
        assert_eq!(max_t, U256::from(30_000_000_000u64));
        assert_eq!(access_rate(max_t, mor(10_000_000)).unwrap(), mor(3_000));
        assert_eq!(
            user_max(max_t, mor(10_000_000), mor(5)).unwrap(),
            U256::from(15_000)
        );
        assert_eq!(
            user_max(max_t, mor(10_000_000), mor(500)).unwrap(),
            U256::from(1_500_000)
        );
    }

    #[test]
    fn the_mor_form_needs_no_price_oracle() {
        // 3,000 MOR a day at 1e11 wei per token (= $0.002 per 1000 T at $20 per MOR).
        let max_t = max_tokens(mor(3_000), U256::from(100_000_000_000u64));
        assert_eq!(max_t, U256::from(30_000_000_000u64));
        assert_eq!(max_tokens(mor(1), U256::ZERO), U256::ZERO);
    }

    #[test]
    fn degenerate_inputs_are_refused_not_panicked_on() {
        assert_eq!(access_rate(U256::from(1), U256::ZERO), None);
        assert_eq!(user_max(U256::MAX, U256::from(1), U256::from(2)), None);
        assert_eq!(max_tokens_usd(U256::MAX, U256::MAX, U256::from(1)), None);
        assert_eq!(max_tokens_usd(mor(1), mor(1), U256::ZERO), None);
    }
}
