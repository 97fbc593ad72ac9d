//! Daily allowances (SPEC section 3, "Access rate").
//!
//! A MOR holder gets `UserMax = MaxT * balance / supply` output tokens a day, with
//! `MaxT = ComputeBudget_MOR / T_price_MOR` (**Decision (no price oracle)**: the price is the
//! volume-weighted average price per token credited over the previous day, or the median live
//! bid when there is no history). The formulas themselves are
//! [`yellowstone_protocol::access::max_tokens`] and [`yellowstone_protocol::access::user_max`];
//! this module supplies the price and keeps the day's account of one user: tokens allowed,
//! used (settled) and held (tickets out, charged at `TokenMax` until their report is judged;
//! a ticket never reported stays charged at `TokenMax`). Unused access does not carry over:
//! the caller starts a fresh [`Allowance`] each UTC day.

use alloy_primitives::U256;
use yellowstone_protocol::access::{max_tokens, user_max};

use super::mul_div;

/// Reference price per output token in wei: the volume-weighted average of what was credited
/// over the previous day (total wei / total tokens, floor, at least 1 wei when any tokens), or
/// the median live bid when there is no history (lower median for an even count), `None` when
/// neither exists.
///
/// Why: SPEC 3 prices `MaxT` in MOR so no oracle is needed; yesterday's real prices resist a
/// single provider bidding absurdly, and the median bid covers the first day.
pub fn reference_price(
    prev_day_wei: U256,
    prev_day_tokens: u64,
    live_bid_prices: &[U256],
) -> Option<U256> {
    if prev_day_tokens > 0 {
        let average = prev_day_wei / U256::from(prev_day_tokens);
        return Some(average.max(U256::from(1)));
    }
    if live_bid_prices.is_empty() {
        return None;
    }
    let mut sorted = live_bid_prices.to_vec();
    sorted.sort_unstable();
    sorted.get((sorted.len() - 1) / 2).copied()
}

/// A user's daily allowance in output tokens: `UserMax = MaxT * balance / supply` with
/// `MaxT = budget / price` ([`yellowstone_protocol::access`]). Saturates to `u64::MAX`; 0 for
/// zero supply or price.
///
/// Why: this is the whole access rule of SPEC 3 in one call. Should `MaxT * balance` overflow
/// 256 bits (only for absurd inputs), the same floor is taken through a 512-bit product rather
/// than guessed.
pub fn daily_allowance(
    budget_wei: U256,
    price_wei_per_token: U256,
    supply_wei: U256,
    balance_wei: U256,
) -> u64 {
    if supply_wei.is_zero() || price_wei_per_token.is_zero() {
        return 0;
    }
    let max_t = max_tokens(budget_wei, price_wei_per_token);
    let tokens = user_max(max_t, supply_wei, balance_wei)
        .or_else(|| mul_div(max_t, balance_wei, supply_wei))
        .unwrap_or(U256::MAX);
    u64::try_from(tokens).unwrap_or(u64::MAX)
}

/// One user's allowance for one day: tokens allowed, used (settled), held (tickets out).
///
/// Why: admission (SPEC 4 step 3) must count tickets in flight at their `TokenMax`, or a user
/// could open many requests at once and exceed the day's allowance.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Allowance {
    /// Tokens allowed today ([`daily_allowance`]).
    pub allowance: u64,
    /// Tokens already settled today (credited, or expired at `TokenMax`).
    pub used: u64,
    /// Tokens held by tickets that are out and not yet judged, each at its `TokenMax`.
    pub held: u64,
}

/// A ticket was refused because it does not fit in what is left of the day's allowance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("allowance exhausted: {left} tokens left today, {asked} asked")]
pub struct Exhausted {
    /// Tokens left today.
    pub left: u64,
    /// The `TokenMax` asked for.
    pub asked: u64,
}

impl Allowance {
    /// Tokens still available today: `allowance - used - held`, saturating at 0.
    pub fn left(&self) -> u64 {
        self.allowance
            .saturating_sub(self.used)
            .saturating_sub(self.held)
    }

    /// A ticket goes out: holds `token_max` tokens if they fit in [`Allowance::left`], otherwise
    /// refuses and changes nothing.
    pub fn hold(&mut self, token_max: u64) -> Result<(), Exhausted> {
        let left = self.left();
        if token_max > left {
            return Err(Exhausted {
                left,
                asked: token_max,
            });
        }
        self.held = self.held.saturating_add(token_max);
        Ok(())
    }

    /// A report was judged: releases the ticket's hold and charges what was credited, never
    /// more than the ticket's `token_max` (a refused report charges 0).
    pub fn settle(&mut self, token_max: u64, credited: u64) {
        self.held = self.held.saturating_sub(token_max);
        self.used = self.used.saturating_add(credited.min(token_max));
    }

    /// A ticket was never reported: releases the hold and charges the full `token_max`
    /// (SPEC 3: "a ticket that is never reported stays charged at TokenMax").
    pub fn expire(&mut self, token_max: u64) {
        self.held = self.held.saturating_sub(token_max);
        self.used = self.used.saturating_add(token_max);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WAD: u64 = 1_000_000_000_000_000_000;

    fn mor(n: u64) -> U256 {
        U256::from(n) * U256::from(WAD)
    }

    #[test]
    fn the_seed_example_gives_fifteen_thousand_tokens_to_a_five_mor_holder() {
        // 3,000 MOR a day at 1e11 wei per token (1000 T = $0.002 at $20 per MOR).
        let price = U256::from(100_000_000_000u64);
        assert_eq!(
            daily_allowance(mor(3_000), price, mor(10_000_000), mor(5)),
            15_000
        );
        assert_eq!(
            daily_allowance(mor(3_000), price, mor(10_000_000), mor(500)),
            1_500_000
        );
    }

    #[test]
    fn a_zero_supply_or_a_zero_price_allows_nothing() {
        assert_eq!(daily_allowance(mor(3_000), U256::ZERO, mor(10), mor(5)), 0);
        assert_eq!(
            daily_allowance(mor(3_000), U256::from(1), U256::ZERO, mor(5)),
            0
        );
        assert_eq!(
            daily_allowance(mor(3_000), U256::from(1), mor(10), U256::ZERO),
            0
        );
    }

    #[test]
    fn an_allowance_too_large_for_u64_saturates() {
        assert_eq!(
            daily_allowance(mor(3_000), U256::from(1), mor(1), mor(1)),
            u64::MAX
        );
        assert_eq!(
            daily_allowance(U256::MAX, U256::from(1), U256::from(1), U256::MAX),
            u64::MAX
        );
    }

    #[test]
    fn an_overflowing_product_is_still_divided_exactly() {
        // MaxT * balance = 2^260 overflows 256 bits, but the quotient is 2^260 / 2^255 = 32.
        let budget = U256::from(1u64) << 130;
        let balance = U256::from(1u64) << 130;
        let supply = U256::from(1u64) << 255;
        assert_eq!(daily_allowance(budget, U256::from(1), supply, balance), 32);
    }

    #[test]
    fn the_reference_price_is_yesterdays_volume_weighted_average_rounded_down() {
        assert_eq!(
            reference_price(U256::from(1_000), 3, &[]),
            Some(U256::from(333))
        );
        assert_eq!(
            reference_price(U256::from(1_000), 3, &[U256::from(1)]),
            Some(U256::from(333)),
            "history wins over live bids"
        );
    }

    #[test]
    fn the_reference_price_is_at_least_one_wei_when_tokens_were_credited() {
        assert_eq!(reference_price(U256::from(2), 3, &[]), Some(U256::from(1)));
        assert_eq!(reference_price(U256::ZERO, 3, &[]), Some(U256::from(1)));
    }

    #[test]
    fn without_history_the_reference_price_is_the_lower_median_live_bid() {
        let bids = [5u64, 1, 9].map(U256::from);
        assert_eq!(reference_price(U256::ZERO, 0, &bids), Some(U256::from(5)));
        let bids = [7u64, 1, 9, 3].map(U256::from);
        assert_eq!(reference_price(U256::ZERO, 0, &bids), Some(U256::from(3)));
        assert_eq!(
            reference_price(U256::from(99), 0, &[U256::from(4)]),
            Some(U256::from(4))
        );
    }

    #[test]
    fn without_history_or_bids_there_is_no_reference_price() {
        assert_eq!(reference_price(U256::ZERO, 0, &[]), None);
        assert_eq!(reference_price(U256::from(10), 0, &[]), None);
    }

    #[test]
    fn a_ticket_holds_its_token_max_until_it_is_judged() {
        let mut a = Allowance {
            allowance: 1_000,
            ..Allowance::default()
        };
        a.hold(600).unwrap();
        assert_eq!(a.left(), 400);
        assert_eq!(
            a.hold(401),
            Err(Exhausted {
                left: 400,
                asked: 401
            })
        );
        assert_eq!(a.held, 600, "a refused hold changes nothing");
        a.hold(400).unwrap();
        assert_eq!(a.left(), 0);
        a.settle(600, 250);
        assert_eq!((a.used, a.held, a.left()), (250, 400, 350));
    }

    #[test]
    fn settlement_never_charges_more_than_the_token_max() {
        let mut a = Allowance {
            allowance: 1_000,
            ..Allowance::default()
        };
        a.hold(100).unwrap();
        a.settle(100, 5_000);
        assert_eq!((a.used, a.held), (100, 0));
    }

    #[test]
    fn a_ticket_never_reported_stays_charged_at_token_max() {
        let mut a = Allowance {
            allowance: 1_000,
            ..Allowance::default()
        };
        a.hold(300).unwrap();
        a.expire(300);
        assert_eq!((a.used, a.held, a.left()), (300, 0, 700));
    }

    #[test]
    fn the_account_never_underflows_or_overflows_on_any_sequence() {
        let mut a = Allowance {
            allowance: u64::MAX,
            used: u64::MAX - 1,
            held: 0,
        };
        assert!(a.hold(2).is_err());
        a.hold(1).unwrap();
        a.settle(10, u64::MAX);
        a.expire(u64::MAX);
        assert_eq!((a.used, a.held, a.left()), (u64::MAX, 0, 0));
        let mut b = Allowance {
            allowance: 5,
            used: 10,
            held: 10,
        };
        assert_eq!(b.left(), 0);
        assert_eq!(b.hold(0), Ok(()));
    }

    #[test]
    fn used_plus_held_never_exceeds_the_allowance_through_admission() {
        // Exhaustive over small cases: holds only succeed while they fit.
        for allowance in 0..20u64 {
            let mut a = Allowance {
                allowance,
                ..Allowance::default()
            };
            let mut out = Vec::new();
            for step in 0..40u64 {
                let token_max = step % 7;
                if a.hold(token_max).is_ok() {
                    out.push(token_max);
                }
                assert!(a.used + a.held <= allowance);
                if step % 3 == 0 {
                    if let Some(t) = out.pop() {
                        if step % 2 == 0 {
                            a.settle(t, step % 5);
                        } else {
                            a.expire(t);
                        }
                    }
                }
                assert!(a.used + a.held <= allowance);
                assert_eq!(a.left(), allowance - a.used - a.held);
            }
        }
    }
}
