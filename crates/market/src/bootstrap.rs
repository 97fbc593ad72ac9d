//! The day's bootstrap shares (SPEC section 6, "Bootstrap (2.4%)").
//!
//! During the bootstrap window, up to 2.4% of total MOR emissions per day is shared pro rata
//! among the top 100 providers of that day, ranked by credited work (**Decision**: top 100 by
//! that day's work, not the first 100). The contract enforces the daily amount, the window and
//! the daily cap; the router computes the shares here and folds them in as bootstrap credits
//! ([`super::settle`]).

use std::collections::BTreeMap;

use alloy_primitives::{Address, U256, U512};

use super::narrow;

/// The day's bootstrap shares: the top `top` providers (default 100) by that day's credited
/// work (ties: lower address first; zero work excluded), each paid
/// `floor(amount * work / total work of the top)` — pro rata; the dust (amount minus the sum)
/// stays unpaid. Returns `(provider, share)` sorted by address, omitting zero shares.
///
/// A provider listed more than once has its work summed first (saturating at `U256::MAX`).
/// Products and sums are taken in 512 bits, so no input overflows and the shares never add up
/// to more than `amount`.
pub fn shares(work: &[(Address, U256)], amount: U256, top: usize) -> Vec<(Address, U256)> {
    let mut merged: BTreeMap<Address, U256> = BTreeMap::new();
    for (provider, w) in work {
        let entry = merged.entry(*provider).or_default();
        *entry = entry.saturating_add(*w);
    }
    let mut ranked: Vec<(Address, U512)> = merged
        .into_iter()
        .filter(|(_, w)| !w.is_zero())
        .map(|(provider, w)| (provider, U512::from(w)))
        .collect();
    // Most work first; among equal work, the lower address first (a stable sort keeps the
    // map's ascending address order).
    ranked.sort_by_key(|(_, w)| std::cmp::Reverse(*w));
    ranked.truncate(top);
    let total = ranked
        .iter()
        .fold(U512::ZERO, |sum, (_, w)| sum.saturating_add(*w));
    if total.is_zero() {
        return Vec::new();
    }
    let amount = U512::from(amount);
    let mut out: Vec<(Address, U256)> = ranked
        .into_iter()
        .filter_map(|(provider, w)| {
            let share = amount.saturating_mul(w).checked_div(total)?;
            narrow(share)
                .filter(|s| !s.is_zero())
                .map(|s| (provider, s))
        })
        .collect();
    out.sort_by_key(|(provider, _)| *provider);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(n: u16) -> Address {
        let mut bytes = [0u8; 20];
        bytes[18..].copy_from_slice(&n.to_be_bytes());
        Address::from(bytes)
    }

    fn sum(shares: &[(Address, U256)]) -> U256 {
        shares
            .iter()
            .map(|(_, s)| *s)
            .fold(U256::ZERO, |a, b| a + b)
    }

    #[test]
    fn shares_are_pro_rata_to_work() {
        let work = [(p(1), U256::from(1)), (p(2), U256::from(3))];
        let got = shares(&work, U256::from(1_000), 100);
        assert_eq!(got, vec![(p(1), U256::from(250)), (p(2), U256::from(750))]);
    }

    #[test]
    fn the_sum_never_exceeds_the_amount_and_the_dust_is_less_than_one_wei_per_winner() {
        let mut seed = 0x1234_5678_9ABC_DEF1u64;
        for round in 0..200u64 {
            let n = 1 + (round % 150) as u16;
            let work: Vec<(Address, U256)> = (0..n)
                .map(|k| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    (p(k), U256::from(1 + seed % 1_000_000))
                })
                .collect();
            let amount = U256::from(seed % 10_000_000_000 + round);
            let got = shares(&work, amount, 100);
            let winners = U256::from(usize::from(n).min(100));
            let total = sum(&got);
            assert!(total <= amount);
            assert!(amount - total < winners.max(U256::from(1)));
            assert!(got.len() <= 100);
            assert!(got.windows(2).all(|w| w[0].0 < w[1].0), "sorted by address");
        }
    }

    #[test]
    fn the_hundred_and_first_provider_gets_nothing() {
        // Provider k has work k + 1, so provider 0 is the 101st and is left out.
        let work: Vec<(Address, U256)> = (0..101u16).map(|k| (p(k), U256::from(k + 1))).collect();
        let got = shares(&work, U256::from(1_000_000_000u64), 100);
        assert_eq!(got.len(), 100);
        assert!(got.iter().all(|(a, _)| *a != p(0)));
        // Shares are those of the top 100 alone: total work 2..=101 = 5150.
        let expected = U256::from(1_000_000_000u64) * U256::from(101) / U256::from(5_150);
        assert_eq!(got.last().unwrap(), &(p(100), expected));
    }

    #[test]
    fn ties_at_the_cut_go_to_the_lower_address() {
        let work = [
            (p(9), U256::from(5)),
            (p(3), U256::from(5)),
            (p(7), U256::from(5)),
            (p(1), U256::from(10)),
        ];
        let got = shares(&work, U256::from(2_000), 3);
        assert_eq!(
            got,
            vec![
                (p(1), U256::from(1_000)),
                (p(3), U256::from(500)),
                (p(7), U256::from(500))
            ]
        );
    }

    #[test]
    fn zero_work_earns_no_share_and_zero_shares_are_omitted() {
        let work = [
            (p(1), U256::ZERO),
            (p(2), U256::from(1)),
            (p(3), U256::from(1_000)),
        ];
        let got = shares(&work, U256::from(100), 100);
        // p(2) would get floor(100 / 1001) = 0 and is omitted; p(1) is not ranked at all.
        assert_eq!(got, vec![(p(3), U256::from(99))]);
        assert!(shares(&[(p(1), U256::ZERO)], U256::from(100), 100).is_empty());
        assert!(shares(&[], U256::from(100), 100).is_empty());
        assert!(shares(&work, U256::from(100), 0).is_empty());
        assert!(shares(&work, U256::ZERO, 100).is_empty());
    }

    #[test]
    fn a_provider_listed_twice_has_its_work_summed() {
        let work = [
            (p(1), U256::from(1)),
            (p(2), U256::from(2)),
            (p(1), U256::from(1)),
        ];
        let got = shares(&work, U256::from(400), 100);
        assert_eq!(got, vec![(p(1), U256::from(200)), (p(2), U256::from(200))]);
    }

    #[test]
    fn extreme_amounts_and_work_never_overflow() {
        let work = [(p(1), U256::MAX), (p(2), U256::MAX)];
        let got = shares(&work, U256::MAX, 100);
        let half = U256::MAX / U256::from(2);
        assert_eq!(got, vec![(p(1), half), (p(2), half)]);
    }
}
