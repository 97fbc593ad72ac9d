//! Bounded prices (SPEC section 8, "Prices are bounded").
//!
//! Per model, the reference price is the stake-weighted median of the bids that pass every
//! selection check except the price bound itself (live, staked, attested as required, one bid
//! per provider). A bid above `k` times that reference, or above the operator's hard maximum,
//! is accepted but not selectable, and no ticket is issued at such a price. The reference is
//! taken over bids that may themselves be out of bounds (so it never depends on itself); being
//! a median, a few absurd bids do not move it.
//!
//! This module holds the pure arithmetic ([`weighted_median`], [`PriceBound`]) and the serde
//! helpers that write wei as decimal strings in the router's TOML; which bids count is the
//! state's business (`State::reference_price`, `State::price_bound`).

use std::collections::BTreeMap;

use alloy_primitives::{U256, U512};
use serde::{ser::SerializeMap, Serializer};

/// Fewest providers whose bids make a model's own reference: below it, the operator's
/// configured reference for the model, else the market-wide reference, is used.
///
/// Why: a median of one or two bids is whatever the bidder wants it to be.
pub const MIN_REFERENCE_PROVIDERS: usize = 3;

/// The stake-weighted **lower** median of `(price, weight)` pairs: the smallest price `p` such
/// that the weights of the pairs priced at most `p` add up to at least half the total weight
/// (`2 * cumulative >= total`, exact integers). `None` when the total weight is zero (no pairs,
/// or only zero weights, which count for nothing).
///
/// With equal weights this is the usual lower median (the `(n - 1) / 2`-th smallest price).
/// Weights are summed in 512 bits, so no sum saturates. Why the lower one: when the weight
/// splits evenly between two prices the cheaper one is the reference, which favours users
/// and never rewards a bidder for pricing high.
pub fn weighted_median(bids: &[(U256, U256)]) -> Option<U256> {
    let mut sorted: Vec<(U256, U256)> =
        bids.iter().copied().filter(|(_, w)| !w.is_zero()).collect();
    sorted.sort_unstable();
    let total = sorted
        .iter()
        .fold(U512::ZERO, |sum, (_, w)| sum.saturating_add(U512::from(*w)));
    if total.is_zero() {
        return None;
    }
    let mut cumulative = U512::ZERO;
    for (price, weight) in sorted {
        cumulative = cumulative.saturating_add(U512::from(weight));
        if cumulative << 1 >= total {
            return Some(price);
        }
    }
    None
}

/// Where a model's reference price came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReferenceSource {
    /// The stake-weighted median of the model's own bids (at least
    /// [`MIN_REFERENCE_PROVIDERS`] providers).
    Model,
    /// The operator's configured reference for the model (`rules.reference_prices`).
    Configured,
    /// The stake-weighted median of every model's bids.
    Market,
    /// The operator's `rules.default_reference_price` (no bid counts anywhere).
    Default,
}

/// The highest price a bid for one model may carry and still be selected or ticketed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PriceBound {
    /// The reference price, wei per token; `None` when there is none at all.
    pub reference: Option<U256>,
    /// Where the reference came from (meaningless when `reference` is `None`).
    pub source: ReferenceSource,
    /// The band multiple `k` (`rules.price_band_k`).
    pub k: u64,
    /// The operator's hard maximum, wei per token (`rules.max_price_per_token`).
    pub max: U256,
}

impl PriceBound {
    /// The bound: `min(k * reference, max)` (the product saturates), or `max` alone when there
    /// is no reference.
    pub fn limit(&self) -> U256 {
        match self.reference {
            Some(reference) => reference.saturating_mul(U256::from(self.k)).min(self.max),
            None => self.max,
        }
    }

    /// Why `price` is out of bounds, naming the price, the reference and `k`; `None` when
    /// it is within them.
    pub fn exceeded_by(&self, price: U256) -> Option<String> {
        if price > self.max {
            return Some(format!(
                "price {price} wei per token is above the operator's maximum of {} wei per token",
                self.max
            ));
        }
        let reference = self.reference?;
        let band = reference.saturating_mul(U256::from(self.k));
        (price > band).then(|| {
            let source = match self.source {
                ReferenceSource::Model => "the stake-weighted median of the model's bids",
                ReferenceSource::Configured => "the operator's reference for the model",
                ReferenceSource::Market => "the market-wide stake-weighted median",
                ReferenceSource::Default => "the operator's default reference",
            };
            format!(
                "price {price} wei per token is above k = {} times the reference of {reference} \
                 wei per token ({source}), i.e. above {band}",
                self.k
            )
        })
    }
}

/// Serialises wei as a decimal string (`"1000000000000000000"`), the way the router's TOML
/// writes amounts: a TOML integer stops at 2^63 and hex is unreadable for money. Reading
/// takes decimal or `0x` hex strings, or small integers (`U256`'s own deserialiser).
pub fn decimal<S: Serializer>(wei: &U256, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&wei.to_string())
}

/// [`decimal`] for an optional amount (write `None` by skipping the field).
pub fn decimal_option<S: Serializer>(wei: &Option<U256>, s: S) -> Result<S::Ok, S::Error> {
    match wei {
        Some(wei) => decimal(wei, s),
        None => s.serialize_none(),
    }
}

/// [`decimal`] for each value of a map (per-model amounts).
pub fn decimal_map<S: Serializer>(map: &BTreeMap<String, U256>, s: S) -> Result<S::Ok, S::Error> {
    let mut out = s.serialize_map(Some(map.len()))?;
    for (key, wei) in map {
        out.serialize_entry(key, &wei.to_string())?;
    }
    out.end()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(n: u64) -> U256 {
        U256::from(n)
    }

    fn pairs(list: &[(u64, u64)]) -> Vec<(U256, U256)> {
        list.iter().map(|&(p, w)| (u(p), u(w))).collect()
    }

    #[test]
    fn with_equal_weights_the_median_is_the_lower_middle_price() {
        assert_eq!(weighted_median(&pairs(&[(5, 1)])), Some(u(5)));
        assert_eq!(
            weighted_median(&pairs(&[(9, 1), (1, 1), (5, 1)])),
            Some(u(5))
        );
        assert_eq!(
            weighted_median(&pairs(&[(9, 1), (1, 1), (5, 1), (7, 1)])),
            Some(u(5))
        );
        assert_eq!(weighted_median(&pairs(&[(2, 3), (8, 3)])), Some(u(2)));
    }

    #[test]
    fn the_median_is_the_cheapest_price_with_half_the_weight_at_or_below_it() {
        // Weights 1, 1, 10: the heavy bid alone holds more than half.
        assert_eq!(
            weighted_median(&pairs(&[(1, 1), (2, 1), (100, 10)])),
            Some(u(100))
        );
        // Exactly half at 3 or below: the lower median is 3.
        assert_eq!(weighted_median(&pairs(&[(3, 5), (4, 5)])), Some(u(3)));
        // One wei short of half: 4.
        assert_eq!(weighted_median(&pairs(&[(3, 4), (4, 5)])), Some(u(4)));
    }

    #[test]
    fn an_absurd_bid_with_a_small_weight_does_not_move_the_median() {
        let honest = pairs(&[(10, 1_000), (11, 1_000), (12, 1_000)]);
        let mut attacked = honest.clone();
        attacked.push((U256::MAX, u(1)));
        attacked.push((u(1), u(1)));
        assert_eq!(weighted_median(&honest), weighted_median(&attacked));
    }

    #[test]
    fn zero_weights_count_for_nothing_and_no_weight_is_no_median() {
        assert_eq!(weighted_median(&[]), None);
        assert_eq!(weighted_median(&pairs(&[(1, 0), (2, 0)])), None);
        assert_eq!(
            weighted_median(&pairs(&[(1, 0), (7, 1), (2, 0)])),
            Some(u(7))
        );
    }

    #[test]
    fn huge_weights_and_prices_never_overflow() {
        let big = [(U256::MAX, U256::MAX), (u(1), U256::MAX), (u(2), U256::MAX)];
        assert_eq!(weighted_median(&big), Some(u(2)));
        let two = [(U256::MAX, U256::MAX), (u(1), U256::MAX)];
        assert_eq!(weighted_median(&two), Some(u(1)));
    }

    fn sum_where(list: &[(U256, U256)], keep: impl Fn(U256) -> bool) -> u128 {
        list.iter()
            .filter(|(p, _)| keep(*p))
            .map(|(_, w)| w.to::<u128>())
            .sum()
    }

    fn small_bids() -> impl proptest::strategy::Strategy<Value = Vec<(U256, U256)>> {
        proptest::collection::vec((1u64..13, 0u64..5), 0..10)
            .prop_map(|v| v.into_iter().map(|(p, w)| (u(p), u(w))).collect())
    }

    use proptest::prelude::*;

    proptest! {
        /// The definition, brute force: the smallest listed price (of positive weight) with at
        /// least half the total weight at or below it; less than half lies strictly below it.
        #[test]
        fn the_median_is_what_its_definition_says(list in small_bids()) {
            let total = sum_where(&list, |_| true);
            let expected = list
                .iter()
                .filter(|(_, w)| !w.is_zero())
                .map(|(p, _)| *p)
                .filter(|p| 2 * sum_where(&list, |q| q <= *p) >= total)
                .min();
            let got = weighted_median(&list);
            prop_assert_eq!(got, expected);
            if let Some(m) = got {
                prop_assert!(2 * sum_where(&list, |q| q < m) < total);
            }
        }

        /// The order of the bids and a common factor on the weights change nothing.
        #[test]
        fn order_and_scale_do_not_matter(list in small_bids(), factor in 1u64..1_000_000) {
            let got = weighted_median(&list);
            let mut reversed = list.clone();
            reversed.reverse();
            prop_assert_eq!(weighted_median(&reversed), got);
            let scaled: Vec<_> = list.iter().map(|(p, w)| (*p, *w * u(factor))).collect();
            prop_assert_eq!(weighted_median(&scaled), got);
        }

        /// One more bid moves the median by at most one listed price either way, and a bid
        /// weighing less than the margin by which the median holds does not move it: a small
        /// staker cannot drag the reference.
        #[test]
        fn a_bid_lighter_than_the_margin_does_not_move_the_median(
            list in small_bids(),
            price in 1u64..1_000,
        ) {
            let Some(m) = weighted_median(&list) else { return Ok(()) };
            let total = sum_where(&list, |_| true);
            let at_or_below = sum_where(&list, |q| q <= m);
            let below = sum_where(&list, |q| q < m);
            // Slack on each side, in units of weight (times 2, exact).
            let margin = (2 * at_or_below - total).min(total - 2 * below) / 2;
            if margin == 0 {
                return Ok(());
            }
            let mut more = list.clone();
            more.push((u(price), u(u64::try_from(margin).unwrap()) / u(2)));
            prop_assert_eq!(weighted_median(&more), Some(m));
        }
    }

    #[test]
    fn the_bound_is_k_times_the_reference_capped_by_the_maximum() {
        let bound = PriceBound {
            reference: Some(u(100)),
            source: ReferenceSource::Model,
            k: 4,
            max: u(1_000),
        };
        assert_eq!(bound.limit(), u(400));
        assert_eq!(bound.exceeded_by(u(400)), None);
        let why = bound.exceeded_by(u(401)).unwrap();
        assert!(
            why.contains("401") && why.contains("k = 4") && why.contains("100"),
            "{why}"
        );
        let capped = PriceBound {
            max: u(300),
            ..bound
        };
        assert_eq!(capped.limit(), u(300));
        assert!(capped.exceeded_by(u(301)).unwrap().contains("maximum"));
        let none = PriceBound {
            reference: None,
            ..bound
        };
        assert_eq!(none.limit(), u(1_000));
        assert_eq!(none.exceeded_by(u(1_000)), None);
        let huge = PriceBound {
            reference: Some(U256::MAX),
            max: U256::MAX,
            ..bound
        };
        assert_eq!(huge.limit(), U256::MAX);
        assert_eq!(huge.exceeded_by(U256::MAX), None);
    }

    #[test]
    fn amounts_are_written_as_decimal_strings_and_read_back() {
        #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
        struct T {
            #[serde(serialize_with = "decimal")]
            a: U256,
            #[serde(serialize_with = "decimal_map")]
            m: BTreeMap<String, U256>,
            #[serde(serialize_with = "decimal_option")]
            o: Option<U256>,
        }
        let t = T {
            a: U256::from(10u64).pow(u(30)),
            m: [("x".to_string(), u(7))].into(),
            o: Some(u(5)),
        };
        let json = serde_json::to_string(&t).unwrap();
        assert_eq!(
            json,
            r#"{"a":"1000000000000000000000000000000","m":{"x":"7"},"o":"5"}"#
        );
        assert_eq!(serde_json::from_str::<T>(&json).unwrap(), t);
    }
}
