//! Choosing a provider (SPEC section 5 "Selection"; section 4 steps 4-5; section 8 "Selection").
//!
//! "Cheapest live bid first; among bids within a small price band, weight by stake x multiplier
//! and by recent score; keep a small share of traffic for new providers so they can build a
//! record." [`order`] turns the live bids for a model into the order in which the caller probes
//! providers (step 5, a short health probe) and hands out the first live one; a provider that
//! fails probes or reports is kept out for a while by its [`Backoff`].
//!
//! A provider's weight is [`selection_weight`]: stake times the lock's multiplier while the lock
//! runs, stake alone after it ends (SPEC 8). Bids with no stake (zero weight) are never selected
//! (SPEC 5 "Bids"). Exploration goes only to new providers priced inside the band and staking
//! at least the operator's minimum (SPEC 8), so neither a high price nor a throwaway key buys
//! traffic. Randomness comes from the caller, so an order can be replayed from its random
//! sequence.

use std::cmp::Ordering;

use alloy_primitives::{Address, U256, U512};
use yellowstone_api::ProviderRecord;
pub use yellowstone_api::{Backoff, Score};

use crate::mul_div;

/// 1 MOR in wei (1e18): the multiplier's fixed point, and the default exploration stake.
pub const WAD: u64 = 1_000_000_000_000_000_000;

/// Selection parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SelectionPolicy {
    /// Bids within `min price * (1 + band)` compete on weight, in basis points; default 500 = 5%.
    pub band_bps: u64,
    /// Share of requests offered first to a new provider, per mille; default 50 = 5%.
    pub explore_permille: u64,
    /// A provider with fewer judged reports than this is new; default 10.
    pub new_provider_reports: u64,
    /// Least stake, in wei, for a new provider to get exploration traffic; default 1 MOR
    /// (1e18). Why: exploration is a gift of traffic, and a key with dust staked costs its
    /// owner nothing to make by the thousand. Written as a decimal string.
    #[serde(serialize_with = "crate::pricing::decimal")]
    pub min_explore_stake: U256,
}

impl Default for SelectionPolicy {
    /// A 5% band, 5% of requests for exploration, new until 10 judged reports, 1 MOR to explore.
    fn default() -> Self {
        Self {
            band_bps: 500,
            explore_permille: 50,
            new_provider_reports: 10,
            min_explore_stake: U256::from(WAD),
        }
    }
}

/// One live bid for the requested model, with what selection weighs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    /// The bidding provider.
    pub provider: Address,
    /// Its price in wei per output token.
    pub price: U256,
    /// [`selection_weight`] at the time of the offer; zero means no stake.
    pub weight: U256,
    /// Its staked MOR wei (exploration needs at least `min_explore_stake`).
    pub stake: U256,
    /// Its recent record.
    pub score: Score,
}

/// A provider's selection weight at `now`: `floor(stake * multiplier / 1e18)` while its lock
/// runs (`lock_end > now`), its stake alone once the lock has ended (SPEC 8).
///
/// Why: the multiplier rewards capital committed for a time; once the time is over, nothing
/// is committed any more, so it weighs what any unlocked stake weighs. Computed here from the
/// record's stake and multiplier rather than read from the contract's `weight`, which does
/// not know the time. Saturates (only for absurd records).
pub fn selection_weight(record: &ProviderRecord, now: u64) -> U256 {
    if record.lock_end > now {
        mul_div(record.stake, record.multiplier, U256::from(WAD)).unwrap_or(U256::MAX)
    } else {
        record.stake
    }
}

/// The order in which to try candidates (indices into `candidates`): the caller probes them in
/// this order and hands out the first live one.
///
/// 1. With probability `explore_permille / 1000` (`rng() % 1000 < explore_permille`, drawn
///    only when there is an explorable provider), a uniformly drawn explorable provider goes
///    first: one that is new (`score.judged() < new_provider_reports`), stakes at least
///    `min_explore_stake`, and is priced inside the band of the cheapest candidate (the limit
///    of step 2, taken over all candidates).
/// 2. Then the band over the remaining candidates: those with
///    `price <= min_price * (10_000 + band_bps) / 10_000`, in weighted-random order without
///    replacement, weight = `candidate.weight * score.permille()` (a zero product ranks last
///    within the band, in price order).
/// 3. Then everyone else by price ascending, ties by weight descending, then address.
///
/// Candidates with zero weight (no stake) never appear at all. Deterministic for a given rng
/// sequence. Weights are multiplied and summed in 512 bits, so nothing saturates; each weighted
/// draw takes `r mod total weight` with `r` built from as many `rng()` words as keep at least
/// 64 bits more than the total needs (two words, 128 bits, for totals below 2^64; more for
/// 1e18-scaled stakes), so the modulo bias is below 2^-64 at any weight scale.
pub fn order(
    candidates: &[Candidate],
    policy: &SelectionPolicy,
    rng: &mut impl FnMut() -> u64,
) -> Vec<usize> {
    let mut remaining: Vec<usize> = (0..candidates.len())
        .filter(|&i| !candidates[i].weight.is_zero())
        .collect();
    let mut result = Vec::with_capacity(remaining.len());

    // 1. Exploration: new, staked enough, and inside the band of the cheapest.
    let Some(cheapest) = remaining.iter().map(|&i| candidates[i].price).min() else {
        return result;
    };
    let explore_limit = band_limit(cheapest, policy.band_bps);
    let new: Vec<usize> = remaining
        .iter()
        .copied()
        .filter(|&i| {
            let c = &candidates[i];
            c.score.judged() < policy.new_provider_reports
                && c.stake >= policy.min_explore_stake
                && c.price <= explore_limit
        })
        .collect();
    if !new.is_empty() && policy.explore_permille > 0 && rng() % 1000 < policy.explore_permille {
        let pick = new[uniform(rng, new.len())];
        result.push(pick);
        remaining.retain(|&i| i != pick);
    }

    // 2. The band around the cheapest remaining bid.
    let Some(min_price) = remaining.iter().map(|&i| candidates[i].price).min() else {
        return result;
    };
    let limit = band_limit(min_price, policy.band_bps);
    let (band, mut rest): (Vec<usize>, Vec<usize>) = remaining
        .into_iter()
        .partition(|&i| candidates[i].price <= limit);
    let by_price = |a: &usize, b: &usize| price_order(&candidates[*a], &candidates[*b]);

    // Weights times scores are drawn in 512 bits: `weight * permille` and their sum always
    // fit, so proportions are exact at any stake scale.
    let mut weighted: Vec<(usize, U512)> = Vec::new();
    let mut unweighted: Vec<usize> = Vec::new();
    for i in band {
        let c = &candidates[i];
        let w: U512 = c.weight.widening_mul(U256::from(c.score.permille()));
        if w.is_zero() {
            unweighted.push(i);
        } else {
            weighted.push((i, w));
        }
    }
    let mut total = weighted
        .iter()
        .fold(U512::ZERO, |sum, (_, w)| sum.saturating_add(*w));
    while !weighted.is_empty() && !total.is_zero() {
        let r = draw_below(rng, total);
        let mut cumulative = U512::ZERO;
        let mut chosen = weighted.len() - 1;
        for (k, (_, w)) in weighted.iter().enumerate() {
            cumulative = cumulative.saturating_add(*w);
            if r < cumulative {
                chosen = k;
                break;
            }
        }
        let (i, w) = weighted.remove(chosen);
        total = total.saturating_sub(w);
        result.push(i);
    }
    unweighted.extend(weighted.into_iter().map(|(i, _)| i));
    unweighted.sort_by(by_price);
    result.extend(unweighted);

    // 3. Everyone else.
    rest.sort_by(by_price);
    result.extend(rest);
    result
}

/// Price ascending, then weight descending, then address ascending.
fn price_order(a: &Candidate, b: &Candidate) -> Ordering {
    a.price
        .cmp(&b.price)
        .then_with(|| b.weight.cmp(&a.weight))
        .then_with(|| a.provider.cmp(&b.provider))
}

/// `floor(min_price * (10_000 + band_bps) / 10_000)` without overflow: split `min_price` into
/// quotient and remainder by 10,000 (saturates to `U256::MAX` only when the true value exceeds
/// it).
fn band_limit(min_price: U256, band_bps: u64) -> U256 {
    let ten_thousand = U256::from(10_000u64);
    let factor = U256::from(band_bps).saturating_add(ten_thousand);
    let q = min_price / ten_thousand;
    let r = min_price % ten_thousand;
    q.saturating_mul(factor)
        .saturating_add(r.saturating_mul(factor) / ten_thousand)
}

/// A uniform index below `n` (> 0) from one `rng()` word (bias below n / 2^64).
fn uniform(rng: &mut impl FnMut() -> u64, n: usize) -> usize {
    let n64 = u64::try_from(n).unwrap_or(u64::MAX).max(1);
    usize::try_from(rng() % n64).unwrap_or(0)
}

/// A number below `total` (> 0): `r mod total` with `r` made of enough 64-bit `rng()` words to
/// exceed the total's bit length by at least 64 bits (at least two words, at most eight).
fn draw_below(rng: &mut impl FnMut() -> u64, total: U512) -> U512 {
    let words = (total.bit_len() + 64).div_ceil(64).clamp(2, 8);
    let mut r = U512::ZERO;
    for _ in 0..words {
        r = (r << 64) | U512::from(rng());
    }
    r.checked_rem(total).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn xorshift(seed: u64) -> impl FnMut() -> u64 {
        let mut x = seed.max(1);
        move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        }
    }

    fn veteran() -> Score {
        Score {
            passes: 100,
            fails: 0,
        }
    }

    fn bid(n: u8, price: u64, weight: u64) -> Candidate {
        Candidate {
            provider: Address::with_last_byte(n),
            price: U256::from(price),
            weight: U256::from(weight),
            stake: U256::from(WAD),
            score: veteran(),
        }
    }

    fn no_explore() -> SelectionPolicy {
        SelectionPolicy {
            explore_permille: 0,
            ..SelectionPolicy::default()
        }
    }

    #[test]
    fn the_defaults_are_a_five_percent_band_five_percent_exploration_ten_reports_and_1_mor() {
        let p = SelectionPolicy::default();
        assert_eq!(
            (p.band_bps, p.explore_permille, p.new_provider_reports),
            (500, 50, 10)
        );
        assert_eq!(p.min_explore_stake, U256::from(10u64).pow(U256::from(18)));
    }

    #[test]
    fn the_score_is_a_laplace_smoothed_pass_rate() {
        assert_eq!(Score::default().permille(), 500);
        assert_eq!(
            Score {
                passes: 8,
                fails: 0
            }
            .permille(),
            900
        );
        assert_eq!(
            Score {
                passes: 0,
                fails: 8
            }
            .permille(),
            100
        );
        assert_eq!(
            Score {
                passes: u64::MAX,
                fails: u64::MAX
            }
            .permille(),
            500
        );
        assert_eq!(
            Score {
                passes: u64::MAX,
                fails: 1
            }
            .judged(),
            u64::MAX
        );
    }

    #[test]
    fn the_cheapest_bid_goes_first_when_alone_in_the_band() {
        let c = [
            bid(1, 200, 1),
            bid(2, 100, 1),
            bid(3, 300, 1000),
            bid(4, 106, 1000),
        ];
        let mut rng = xorshift(7);
        for _ in 0..100 {
            assert_eq!(order(&c, &no_explore(), &mut rng), vec![1, 3, 0, 2]);
        }
    }

    #[test]
    fn everyone_outside_the_band_is_ordered_by_price_then_weight_then_address() {
        let c = [
            bid(9, 500, 1),
            bid(8, 500, 5),
            bid(7, 500, 5),
            bid(6, 100, 1),
        ];
        let got = order(&c, &no_explore(), &mut xorshift(3));
        assert_eq!(got, vec![3, 2, 1, 0]);
    }

    #[test]
    fn a_bid_outside_the_band_never_goes_before_one_inside() {
        // Band limit is 105: bids 0, 1 and 2 compete, 3 and 4 follow however heavy.
        let c = [
            bid(1, 100, 1),
            bid(2, 105, 1),
            bid(3, 103, 2),
            bid(4, 106, u64::MAX),
            bid(5, 1_000, u64::MAX),
        ];
        let mut rng = xorshift(11);
        for _ in 0..1_000 {
            let got = order(&c, &no_explore(), &mut rng);
            assert_eq!(got.len(), 5);
            let mut head = got[..3].to_vec();
            head.sort();
            assert_eq!(head, vec![0, 1, 2]);
            assert_eq!(&got[3..], &[3, 4]);
        }
    }

    #[test]
    fn within_the_band_three_times_the_weight_is_picked_first_about_three_times_as_often() {
        let c = [bid(1, 100, 1_000), bid(2, 102, 3_000)];
        let mut rng = xorshift(0x5EED);
        let mut first = [0u32; 2];
        for _ in 0..10_000 {
            first[order(&c, &no_explore(), &mut rng)[0]] += 1;
        }
        // Expected 2,500 and 7,500; the standard deviation is about 43.
        assert!((2_300..=2_700).contains(&first[0]), "{first:?}");
        assert!((7_300..=7_700).contains(&first[1]), "{first:?}");
    }

    #[test]
    fn within_the_band_a_better_score_weighs_more() {
        let mut good = bid(1, 100, 1_000);
        good.score = Score {
            passes: 98,
            fails: 0,
        }; // 990
        let mut poor = bid(2, 100, 1_000);
        poor.score = Score {
            passes: 32,
            fails: 66,
        }; // 330
        let c = [good, poor];
        let mut rng = xorshift(99);
        let mut first = [0u32; 2];
        for _ in 0..10_000 {
            first[order(&c, &no_explore(), &mut rng)[0]] += 1;
        }
        // 990 : 330 = 3 : 1.
        assert!((7_300..=7_700).contains(&first[0]), "{first:?}");
    }

    #[test]
    fn huge_weights_are_drawn_fairly_and_never_overflow() {
        let big = U256::MAX / U256::from(4);
        let mut a = bid(1, 100, 0);
        a.weight = big;
        let mut b = bid(2, 100, 0);
        b.weight = big;
        let mut c = bid(3, 100, 0);
        c.weight = big * U256::from(2);
        let c = [a, b, c];
        let mut rng = xorshift(5);
        let mut first = [0u32; 3];
        for _ in 0..8_000 {
            let got = order(&c, &no_explore(), &mut rng);
            assert_eq!(got.len(), 3);
            first[got[0]] += 1;
        }
        assert!((1_800..=2_200).contains(&first[0]), "{first:?}");
        assert!((1_800..=2_200).contains(&first[1]), "{first:?}");
        assert!((3_800..=4_200).contains(&first[2]), "{first:?}");
    }

    #[test]
    fn a_band_member_with_a_zero_score_weight_ranks_last_within_the_band() {
        let mut hopeless = bid(1, 100, 1_000);
        hopeless.score = Score {
            passes: 0,
            fails: 5_000,
        }; // permille 0
        let c = [hopeless, bid(2, 104, 1), bid(3, 500, 1)];
        let mut rng = xorshift(1);
        for _ in 0..100 {
            assert_eq!(order(&c, &no_explore(), &mut rng), vec![1, 0, 2]);
        }
    }

    #[test]
    fn a_candidate_without_stake_never_appears() {
        let c = [bid(1, 1, 0), bid(2, 100, 1), bid(3, 200, 0)];
        let policy = SelectionPolicy {
            explore_permille: 1_000,
            new_provider_reports: u64::MAX,
            ..SelectionPolicy::default()
        };
        let mut rng = xorshift(2);
        for _ in 0..1_000 {
            assert_eq!(order(&c, &policy, &mut rng), vec![1]);
        }
        assert!(order(&[bid(1, 1, 0)], &policy, &mut rng).is_empty());
        assert!(order(&[], &policy, &mut rng).is_empty());
    }

    #[test]
    fn exploration_puts_a_new_provider_first_at_about_the_configured_rate() {
        // Inside the band (105): explorable.
        let mut newcomer = bid(1, 104, 1);
        newcomer.score = Score {
            passes: 3,
            fails: 0,
        };
        let c = [bid(2, 100, 1_000), newcomer];
        let mut rng = xorshift(42);
        let policy = SelectionPolicy::default(); // 50 per mille
        let mut explored = 0u32;
        for _ in 0..20_000 {
            let got = order(&c, &policy, &mut rng);
            assert_eq!(got.len(), 2);
            if got[0] == 1 {
                explored += 1;
            }
        }
        // Expected 1,000; the standard deviation is about 31.
        assert!((880..=1_120).contains(&explored), "{explored}");
    }

    #[test]
    fn exploration_draws_uniformly_among_new_providers() {
        let mut c: Vec<Candidate> = (0..4).map(|n| bid(n, 1_000, 1)).collect();
        for x in &mut c {
            x.score = Score::default();
        }
        c.push(bid(9, 990, 1_000)); // a veteran, the cheapest; the band reaches 1,039
        let policy = SelectionPolicy {
            explore_permille: 1_000,
            ..SelectionPolicy::default()
        };
        let mut rng = xorshift(77);
        let mut first = [0u32; 5];
        for _ in 0..8_000 {
            first[order(&c, &policy, &mut rng)[0]] += 1;
        }
        assert_eq!(first[4], 0);
        for count in &first[..4] {
            assert!((1_800..=2_200).contains(count), "{first:?}");
        }
    }

    #[test]
    fn every_eligible_candidate_appears_exactly_once_and_the_order_is_replayable() {
        let mut rng = xorshift(1234);
        for round in 0..300u64 {
            let n = (rng() % 12) as usize;
            let c: Vec<Candidate> = (0..n)
                .map(|k| Candidate {
                    provider: Address::with_last_byte(k as u8),
                    price: U256::from(100 + rng() % 20),
                    weight: U256::from(rng() % 4),
                    stake: U256::from(rng() % 3),
                    score: Score {
                        passes: rng() % 15,
                        fails: rng() % 3,
                    },
                })
                .collect();
            let policy = SelectionPolicy {
                explore_permille: round % 1001,
                min_explore_stake: U256::from(round % 3),
                ..SelectionPolicy::default()
            };
            let seed = rng();
            let got = order(&c, &policy, &mut xorshift(seed));
            assert_eq!(got, order(&c, &policy, &mut xorshift(seed)));
            let mut sorted = got.clone();
            sorted.sort();
            let eligible: Vec<usize> = (0..n).filter(|&i| !c[i].weight.is_zero()).collect();
            assert_eq!(sorted, eligible);
        }
    }

    /// The attack: a new provider bids 10 times the cheapest price and waits for exploration
    /// to hand it requests (the old step 1 put any new provider first at any price).
    #[test]
    fn a_new_provider_priced_outside_the_band_never_gets_exploration_traffic() {
        let mut greedy = bid(1, 1_000, 1_000_000);
        greedy.score = Score::default();
        let c = [bid(2, 100, 1), greedy];
        let policy = SelectionPolicy {
            explore_permille: 1_000,
            ..SelectionPolicy::default()
        };
        let mut rng = xorshift(8);
        for _ in 0..2_000 {
            assert_eq!(order(&c, &policy, &mut rng), vec![0, 1]);
        }
        // At the edge of the band (105) it is explored every time at 1000 per mille.
        let mut edge = c[1].clone();
        edge.price = U256::from(105);
        assert_eq!(order(&[c[0].clone(), edge], &policy, &mut rng)[0], 1);
    }

    #[test]
    fn a_new_provider_staking_less_than_the_minimum_never_gets_exploration_traffic() {
        let mut dust = bid(1, 100, 1);
        dust.score = Score::default();
        dust.stake = U256::from(WAD - 1);
        let c = [bid(2, 100, 1_000_000), dust];
        let policy = SelectionPolicy {
            explore_permille: 1_000,
            ..SelectionPolicy::default()
        };
        let mut rng = xorshift(9);
        let mut first = [0u32; 2];
        for _ in 0..4_000 {
            first[order(&c, &policy, &mut rng)[0]] += 1;
        }
        // Only the weighted band draw: 1 in a million-and-one for the dust key.
        assert!(first[1] <= 2, "{first:?}");
        let mut enough = c[1].clone();
        enough.stake = U256::from(WAD);
        assert_eq!(order(&[c[0].clone(), enough], &policy, &mut rng)[0], 1);
    }

    #[test]
    fn the_weight_is_stake_times_multiplier_while_the_lock_runs_and_stake_after() {
        let record = ProviderRecord {
            stake: U256::from(1_000u64),
            multiplier: U256::from(2_500_000_000_000_000_000u64), // 2.5
            lock_end: 500,
            weight: U256::from(2_500u64),
            ..ProviderRecord::default()
        };
        assert_eq!(selection_weight(&record, 499), U256::from(2_500u64));
        assert_eq!(selection_weight(&record, 500), U256::from(1_000u64));
        assert_eq!(selection_weight(&record, u64::MAX), U256::from(1_000u64));
        let absurd = ProviderRecord {
            stake: U256::MAX,
            multiplier: U256::MAX,
            lock_end: u64::MAX,
            ..ProviderRecord::default()
        };
        assert_eq!(selection_weight(&absurd, 0), U256::MAX);
        assert_eq!(selection_weight(&ProviderRecord::default(), 0), U256::ZERO);
    }

    #[test]
    fn the_band_limit_is_exact_and_never_overflows() {
        assert_eq!(band_limit(U256::from(100), 500), U256::from(105));
        assert_eq!(band_limit(U256::from(19_999), 500), U256::from(20_998));
        assert_eq!(band_limit(U256::from(3), 0), U256::from(3));
        assert_eq!(band_limit(U256::MAX, 500), U256::MAX);
        assert_eq!(band_limit(U256::MAX / U256::from(2), u64::MAX), U256::MAX);
    }

    #[test]
    fn backoff_doubles_with_each_consecutive_failure_up_to_the_cap() {
        let mut b = Backoff::default();
        assert!(b.available(0));
        let delays: Vec<u64> = (0..8)
            .map(|_| {
                b.fail(1_000, 5, 300);
                b.until - 1_000
            })
            .collect();
        assert_eq!(delays, vec![5, 10, 20, 40, 80, 160, 300, 300]);
        assert!(!b.available(1_299));
        assert!(b.available(1_300));
    }

    #[test]
    fn one_success_clears_the_backoff() {
        let mut b = Backoff::default();
        b.fail(10, 5, 300);
        b.fail(10, 5, 300);
        b.succeed();
        assert_eq!(b, Backoff::default());
        assert!(b.available(10));
        b.fail(20, 5, 300);
        assert_eq!(b.until, 25);
    }

    #[test]
    fn backoff_never_overflows() {
        let mut b = Backoff {
            failures: u32::MAX - 1,
            until: 0,
        };
        b.fail(u64::MAX - 1, u64::MAX, u64::MAX);
        b.fail(u64::MAX - 1, u64::MAX, u64::MAX);
        assert_eq!(b.failures, u32::MAX);
        assert_eq!(b.until, u64::MAX);
        let mut zero = Backoff::default();
        for _ in 0..100 {
            zero.fail(7, 0, 100);
        }
        assert_eq!(zero.until, 7);
    }
}
