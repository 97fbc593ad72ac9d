//! Daily allowances (SPEC 3 "Access rate" and SPEC 8 "Allowances are held in MOR").
//!
//! A MOR holder may spend `budget * balance / supply` wei of compute a day. The allowance is
//! held in wei, not tokens, because tickets carry different prices: a ticket holds
//! `tokenMax * price` wei and settles at what was delivered ([`charge`]), so a user's day buys
//! the same MOR of compute whoever serves it. The token figures of SPEC 3 (`MaxT`,
//! `AccessRate`, `UserMax`) are the view of the same allowance at the day's reference price
//! ([`reference_price`], [`tokens_at`]); they are what the user sees, never what is charged.
//! Unused allowance does not carry over: the caller starts a fresh [`Allowance`] each UTC day.

use alloy_primitives::U256;
use yellowstone_api::ApiError;
use yellowstone_protocol::access::max_tokens;

use super::mul_div;

/// Reference price per output token in wei for a day's token view: the volume-weighted average
/// of what was credited over the previous day (total wei / total tokens, floor, at least 1 wei
/// when any tokens), or the median of `bid_prices` when there is no history (lower median for
/// an even count), `None` when neither exists.
///
/// Why: SPEC 3 prices `MaxT` in MOR so no oracle is needed; yesterday's real prices resist a
/// single provider bidding absurdly, and the bids cover the first day. The caller must pass
/// only prices that stake stands behind (the router passes the market-wide stake-weighted
/// reference, `State::reference_price(None, now)`, SPEC 8): a median of any live bid could be
/// set by one key's junk bids on invented models.
pub fn reference_price(
    prev_day_wei: U256,
    prev_day_tokens: u64,
    bid_prices: &[U256],
) -> Option<U256> {
    if prev_day_tokens > 0 {
        let average = prev_day_wei / U256::from(prev_day_tokens);
        return Some(average.max(U256::from(1)));
    }
    if bid_prices.is_empty() {
        return None;
    }
    let mut sorted = bid_prices.to_vec();
    sorted.sort_unstable();
    sorted.get((sorted.len() - 1) / 2).copied()
}

/// A user's daily allowance in wei: `budget * balance / supply`, floor, through a 512-bit
/// product; 0 for a zero supply, `U256::MAX` if the quotient does not fit (balance > supply
/// with an absurd budget).
///
/// Why: SPEC 8 holds allowances in MOR, so the day's allowance needs no price at all.
pub fn daily_allowance(budget_wei: U256, supply_wei: U256, balance_wei: U256) -> U256 {
    if supply_wei.is_zero() {
        return U256::ZERO;
    }
    mul_div(budget_wei, balance_wei, supply_wei).unwrap_or(U256::MAX)
}

/// Whole tokens `wei` buys at `price` wei per token: floor, saturating at `u64::MAX`, 0 at a
/// zero price.
///
/// Why: the token view of SPEC 3. `tokens_at(daily_allowance(..), price)` is
/// `floor(budget * balance / (supply * price))`, `UserMax` rounded once (the seed's example
/// gives 15,000 tokens to a 5 MOR holder exactly).
pub fn tokens_at(wei: U256, price: U256) -> u64 {
    u64::try_from(max_tokens(wei, price)).unwrap_or(u64::MAX)
}

/// What a ticket holds: `token_max * price` wei, `None` when it overflows 256 bits.
pub fn ticket_hold(token_max: u64, price: U256) -> Option<U256> {
    price.checked_mul(U256::from(token_max))
}

/// The wei a ticket costs the user when it is settled (SPEC 8 "What is delivered is paid for by
/// the user"), whatever the credit rule's verdict:
///
/// - the router holds the provider's receipt: `min(receipt tokens, token_max) * price`, even on
///   a fail or a report of fewer tokens (a fail withholds the provider's credit, not the user's
///   charge: otherwise a fail is a free answer);
/// - no receipt, a fail: nothing (nothing provably delivered);
/// - no receipt, a pass: `min(user tokens, token_max) * price`. **Decision:** the user said the
///   answer arrived, so the user pays for what they say they got; charging nothing would make
///   dropping the receipt a free pass, charging `token_max` would punish a receipt lost in
///   transit;
/// - never reported (`reported = None`, swept when its report window closed): the receipt if
///   held, else `token_max * price`.
///
/// `reported` is `(user tokens, pass)`. Never more than the ticket's hold ([`ticket_hold`],
/// which was checked when the ticket was issued, so the product here cannot overflow; it
/// saturates all the same).
pub fn charge(
    price: U256,
    token_max: u64,
    receipt_tokens: Option<u64>,
    reported: Option<(u64, bool)>,
) -> U256 {
    let tokens = match (receipt_tokens, reported) {
        (Some(receipt), _) => receipt,
        (None, Some((_, false))) => 0,
        (None, Some((user, true))) => user,
        (None, None) => token_max,
    };
    price.saturating_mul(U256::from(tokens.min(token_max)))
}

/// One user's allowance for one day, in wei: allowed, used (settled) and held (tickets out).
///
/// Why: admission (SPEC 4 step 3) must count tickets in flight at their full hold, or a user
/// could open many requests at once and exceed the day's allowance.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Allowance {
    /// Wei allowed today ([`daily_allowance`]).
    pub allowance: U256,
    /// Wei already settled today ([`charge`] of each reported or swept ticket, plus what late
    /// receipts added, [`Allowance::charge_more`]): may exceed `allowance` after a late receipt.
    pub used: U256,
    /// Wei held by tickets that are out and not yet settled, each at [`ticket_hold`].
    pub held: U256,
}

/// A ticket that could not be held against the user's allowance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Unheld {
    /// What is left today does not cover the ticket's hold.
    #[error(
        "allowance exhausted: {left} wei left today, {asked} wei asked (tokenMax {token_max} at {price} wei per token)"
    )]
    Exhausted {
        /// Wei left today.
        left: U256,
        /// The hold asked for: `token_max * price`.
        asked: U256,
        /// The RFC's `tokenMax`.
        token_max: u64,
        /// The ticket's price, wei per token.
        price: U256,
    },
    /// `token_max * price` does not fit in 256 bits: refused, never wrapped.
    #[error(
        "tokenMax {token_max} at {price} wei per token overflows 256 bits: no ticket can hold it"
    )]
    Overflow {
        /// The RFC's `tokenMax`.
        token_max: u64,
        /// The ticket's price, wei per token.
        price: U256,
    },
}

impl From<Unheld> for ApiError {
    fn from(e: Unheld) -> Self {
        match e {
            Unheld::Exhausted { .. } => ApiError::exhausted(e.to_string()),
            Unheld::Overflow { .. } => ApiError::invalid(e.to_string()),
        }
    }
}

impl Allowance {
    /// Wei still available today: `allowance - used - held`, saturating at 0.
    pub fn left(&self) -> U256 {
        self.allowance
            .saturating_sub(self.used)
            .saturating_sub(self.held)
    }

    /// A ticket goes out: holds `token_max * price` wei if it fits in [`Allowance::left`] and
    /// returns the hold; otherwise refuses and changes nothing.
    pub fn hold(&mut self, token_max: u64, price: U256) -> Result<U256, Unheld> {
        let asked = ticket_hold(token_max, price).ok_or(Unheld::Overflow { token_max, price })?;
        let left = self.left();
        if asked > left {
            return Err(Unheld::Exhausted {
                left,
                asked,
                token_max,
                price,
            });
        }
        self.held = self.held.saturating_add(asked);
        Ok(asked)
    }

    /// A ticket is settled (reported, or swept unreported): releases its hold and charges
    /// `charged` wei ([`charge`]), never more than the hold. Returns the wei charged.
    pub fn settle(&mut self, token_max: u64, price: U256, charged: U256) -> U256 {
        let hold = ticket_hold(token_max, price).unwrap_or(U256::MAX);
        let charged = charged.min(hold);
        self.held = self.held.saturating_sub(hold);
        self.used = self.used.saturating_add(charged);
        charged
    }

    /// Charges `wei` more for a ticket already settled: the provider's receipt landed after
    /// the report (SPEC 8: what was delivered is paid for). Saturating, and not bounded by
    /// [`Allowance::left`]: the answer was delivered whatever is left, so `used` (plus `held`)
    /// may then exceed `allowance`, and [`Allowance::left`] is 0 until the day ends. The
    /// caller keeps each ticket's total within its hold (`charge` never exceeds it).
    pub fn charge_more(&mut self, wei: U256) {
        self.used = self.used.saturating_add(wei);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WAD: u64 = 1_000_000_000_000_000_000;

    fn mor(n: u64) -> U256 {
        U256::from(n) * U256::from(WAD)
    }

    fn u(n: u64) -> U256 {
        U256::from(n)
    }

    fn wei(allowance: u64) -> Allowance {
        Allowance {
            allowance: u(allowance),
            ..Allowance::default()
        }
    }

    #[test]
    fn the_seed_example_gives_fifteen_thousand_tokens_to_a_five_mor_holder() {
        // 3,000 MOR a day at 1e11 wei per token (1000 T = $0.002 at $20 per MOR).
        let price = u(100_000_000_000);
        let five = daily_allowance(mor(3_000), mor(10_000_000), mor(5));
        assert_eq!(five, u(1_500_000_000_000_000), "0.0015 MOR");
        assert_eq!(tokens_at(five, price), 15_000);
        let five_hundred = daily_allowance(mor(3_000), mor(10_000_000), mor(500));
        assert_eq!(tokens_at(five_hundred, price), 1_500_000);
    }

    #[test]
    fn the_allowance_is_the_holders_share_of_the_budget_rounded_down() {
        assert_eq!(daily_allowance(u(10), u(3), u(1)), u(3));
        assert_eq!(daily_allowance(u(10), u(3), u(3)), u(10));
        assert_eq!(daily_allowance(u(10), u(3), U256::ZERO), U256::ZERO);
    }

    #[test]
    fn a_zero_supply_allows_nothing() {
        assert_eq!(daily_allowance(mor(3_000), U256::ZERO, mor(5)), U256::ZERO);
    }

    #[test]
    fn an_overflowing_product_is_still_divided_exactly() {
        // budget * balance = 2^260 overflows 256 bits, but the quotient is 2^260 / 2^255 = 32.
        let budget = u(1) << 130;
        let balance = u(1) << 130;
        let supply = u(1) << 255;
        assert_eq!(daily_allowance(budget, supply, balance), u(32));
        assert_eq!(
            daily_allowance(U256::MAX, u(1), u(2)),
            U256::MAX,
            "saturates"
        );
    }

    #[test]
    fn the_token_view_rounds_down_saturates_and_is_zero_without_a_price() {
        assert_eq!(tokens_at(u(20), u(7)), 2);
        assert_eq!(tokens_at(u(20), U256::ZERO), 0);
        assert_eq!(tokens_at(U256::MAX, u(1)), u64::MAX);
    }

    #[test]
    fn the_reference_price_is_yesterdays_volume_weighted_average_rounded_down() {
        assert_eq!(reference_price(u(1_000), 3, &[]), Some(u(333)));
        assert_eq!(
            reference_price(u(1_000), 3, &[u(1)]),
            Some(u(333)),
            "history wins over bids"
        );
    }

    #[test]
    fn the_reference_price_is_at_least_one_wei_when_tokens_were_credited() {
        assert_eq!(reference_price(u(2), 3, &[]), Some(u(1)));
        assert_eq!(reference_price(U256::ZERO, 3, &[]), Some(u(1)));
    }

    #[test]
    fn without_history_the_reference_price_is_the_lower_median_bid() {
        let bids = [5u64, 1, 9].map(U256::from);
        assert_eq!(reference_price(U256::ZERO, 0, &bids), Some(u(5)));
        let bids = [7u64, 1, 9, 3].map(U256::from);
        assert_eq!(reference_price(U256::ZERO, 0, &bids), Some(u(3)));
        assert_eq!(reference_price(u(99), 0, &[u(4)]), Some(u(4)));
    }

    #[test]
    fn without_history_or_bids_there_is_no_reference_price() {
        assert_eq!(reference_price(U256::ZERO, 0, &[]), None);
        assert_eq!(reference_price(u(10), 0, &[]), None);
    }

    #[test]
    fn a_ticket_holds_token_max_times_its_price_until_it_is_settled() {
        let mut a = wei(1_000);
        assert_eq!(a.hold(60, u(10)), Ok(u(600)));
        assert_eq!(a.left(), u(400));
        assert_eq!(
            a.hold(41, u(10)),
            Err(Unheld::Exhausted {
                left: u(400),
                asked: u(410),
                token_max: 41,
                price: u(10)
            })
        );
        assert_eq!(a.held, u(600), "a refused hold changes nothing");
        assert_eq!(a.hold(200, u(2)), Ok(u(400)), "another price, another hold");
        assert_eq!(a.left(), U256::ZERO);
        a.settle(60, u(10), u(250));
        assert_eq!((a.used, a.held, a.left()), (u(250), u(400), u(350)));
    }

    #[test]
    fn an_overflowing_hold_is_refused_not_wrapped() {
        let mut a = Allowance {
            allowance: U256::MAX,
            ..Allowance::default()
        };
        let price = U256::MAX / u(2);
        let refused = a.hold(3, price).unwrap_err();
        assert_eq!(
            refused,
            Unheld::Overflow {
                token_max: 3,
                price
            }
        );
        assert!(
            refused.to_string().contains("overflows 256 bits"),
            "{refused}"
        );
        assert_eq!(ApiError::from(refused).status, 400);
        assert_eq!(
            a,
            Allowance {
                allowance: U256::MAX,
                ..Allowance::default()
            }
        );
        // The largest product that fits is held.
        assert_eq!(a.hold(2, price), Ok(U256::MAX - u(1)));
    }

    #[test]
    fn an_exhausted_allowance_is_a_429_naming_the_wei_and_the_tokens() {
        let e = ApiError::from(wei(5).hold(3, u(2)).unwrap_err());
        assert_eq!((e.status, e.code), (429, "allowance_exhausted"));
        assert!(
            e.message.contains("5 wei left") && e.message.contains("6 wei asked"),
            "{e}"
        );
        assert!(e.message.contains("tokenMax 3 at 2 wei per token"), "{e}");
    }

    #[test]
    fn one_tokens_worth_of_allowance_holds_one_ticket_of_one_token() {
        let mut a = wei(7);
        assert_eq!(a.hold(1, u(7)), Ok(u(7)));
        assert!(matches!(a.hold(1, u(7)), Err(Unheld::Exhausted { .. })));
        assert!(matches!(a.hold(1, u(1)), Err(Unheld::Exhausted { .. })));
    }

    #[test]
    fn a_receipt_is_charged_whatever_the_verdict() {
        let p = u(7);
        assert_eq!(charge(p, 100, Some(80), Some((80, true))), u(560));
        assert_eq!(charge(p, 100, Some(80), Some((80, false))), u(560), "fail");
        assert_eq!(charge(p, 100, Some(80), Some((1, true))), u(560), "1 token");
        assert_eq!(charge(p, 100, Some(80), Some((0, false))), u(560));
        assert_eq!(charge(p, 100, Some(80), None), u(560), "unreported");
        assert_eq!(
            charge(p, 100, Some(0), None),
            U256::ZERO,
            "nothing delivered"
        );
        assert_eq!(charge(p, 100, Some(500), None), u(700), "at most token_max");
    }

    #[test]
    fn without_a_receipt_a_fail_is_free_a_pass_pays_its_tokens_and_silence_pays_token_max() {
        let p = u(7);
        assert_eq!(charge(p, 100, None, Some((100, false))), U256::ZERO);
        assert_eq!(charge(p, 100, None, Some((40, true))), u(280));
        assert_eq!(
            charge(p, 100, None, Some((5_000, true))),
            u(700),
            "at most token_max"
        );
        assert_eq!(charge(p, 100, None, None), u(700));
    }

    #[test]
    fn settlement_never_charges_more_than_the_hold() {
        let mut a = wei(1_000);
        a.hold(10, u(10)).unwrap();
        assert_eq!(
            a.settle(10, u(10), u(5_000)),
            u(100),
            "returns what it charged"
        );
        assert_eq!((a.used, a.held), (u(100), U256::ZERO));
    }

    #[test]
    fn a_late_charge_may_take_used_past_the_allowance_and_then_nothing_is_left() {
        let mut a = wei(100);
        a.hold(10, u(10)).unwrap();
        a.charge_more(u(30));
        assert_eq!((a.used, a.held, a.left()), (u(30), u(100), U256::ZERO));
        a.charge_more(U256::MAX);
        assert_eq!((a.used, a.left()), (U256::MAX, U256::ZERO), "saturates");
    }

    #[test]
    fn the_account_never_underflows_or_overflows_on_any_sequence() {
        let mut a = Allowance {
            allowance: U256::MAX,
            used: U256::MAX - u(1),
            held: U256::ZERO,
        };
        assert!(a.hold(2, u(1)).is_err());
        a.hold(1, u(1)).unwrap();
        a.settle(10, U256::MAX, U256::MAX);
        a.settle(u64::MAX, U256::MAX, U256::MAX);
        assert_eq!(
            (a.used, a.held, a.left()),
            (U256::MAX, U256::ZERO, U256::ZERO)
        );
        let mut b = Allowance {
            allowance: u(5),
            used: u(10),
            held: u(10),
        };
        assert_eq!(b.left(), U256::ZERO);
        assert_eq!(b.hold(0, u(3)), Ok(U256::ZERO));
    }

    #[test]
    fn used_plus_held_never_exceeds_the_allowance_through_admission() {
        // Exhaustive over small cases: holds only succeed while they fit, whatever is charged.
        for allowance in 0..30u64 {
            let mut a = wei(allowance);
            let mut out = Vec::new();
            for step in 0..60u64 {
                let (token_max, price) = (step % 7, u(1 + step % 3));
                if a.hold(token_max, price).is_ok() {
                    out.push((token_max, price));
                }
                assert!(a.used + a.held <= u(allowance));
                if step % 3 == 0 {
                    if let Some((t, p)) = out.pop() {
                        let reported = (step % 2 == 0).then_some((step % 5, step % 4 == 0));
                        let receipt = (step % 5 != 0).then_some(step % 9);
                        a.settle(t, p, charge(p, t, receipt, reported));
                    }
                }
                assert!(a.used + a.held <= u(allowance));
                assert_eq!(a.left(), u(allowance) - a.used - a.held);
            }
        }
    }
}
