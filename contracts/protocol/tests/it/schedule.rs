//! The linear emission schedule against its specification (SPEC sections 6 and 7): Morpheus's
//! published figures, the curve's end and what follows it, exact additivity over any split,
//! and a differential test against Morpheus's own `getPeriodReward`, written out below.

use proptest::prelude::*;
use yellowstone_protocol::{emission::MORPHEUS_COMPUTE, schedule::*, U256};

const MOR: u128 = 1_000_000_000_000_000_000;
const DAY: u64 = MORPHEUS_INTERVAL;
const START: u64 = MORPHEUS_PAYOUT_START;
const CAPITAL: LinearSchedule = MORPHEUS_CAPITAL;

fn wei(amount: u128) -> U256 {
    U256::from(amount)
}

fn schedule(start: u64, interval: u64, initial: u128, decrease: u128) -> LinearSchedule {
    LinearSchedule {
        start,
        interval,
        initial: wei(initial),
        decrease: wei(decrease),
    }
}

/// Morpheus's `LinearDistributionIntervalDecrease.getPeriodReward`, written out the plain way
/// (its whole intervals summed one by one): clamp to `[payoutStart, maxEnd)`, then inside one
/// interval `amount * span / interval`, else a floored head, the whole intervals and a floored
/// tail.
fn morpheus_reward(s: &LinearSchedule, from: u64, to: u64) -> u128 {
    let initial = u128::try_from(s.initial).unwrap();
    let decrease = u128::try_from(s.decrease).unwrap();
    let (start, interval) = (u128::from(s.start), u128::from(s.interval));
    if interval == 0 {
        return 0;
    }
    let max_end = match decrease {
        0 => u128::MAX,
        d => start + initial.div_ceil(d) * interval,
    };
    let from = u128::from(from).max(start);
    let to = u128::from(to).min(max_end);
    if from >= to {
        return 0;
    }
    let amount = |k: u128| initial.saturating_sub(k * decrease);
    let (first, last) = ((from - start) / interval, (to - start) / interval);
    if first == last {
        return amount(first) * (to - from) / interval;
    }
    let head_part = start + (first + 1) * interval - from;
    let (head, whole_from) = if head_part == interval {
        (0, first)
    } else {
        (amount(first) * head_part / interval, first + 1)
    };
    let whole: u128 = (whole_from..last).map(amount).sum();
    let tail = amount(last) * (to - start - last * interval) / interval;
    head + whole + tail
}

/// The emission in `[start, t)` by definition: every whole interval's amount, one by one, plus
/// the current interval's elapsed share floored once.
fn reference_cumulative(s: &LinearSchedule, t: u64) -> U256 {
    if s.interval == 0 || t <= s.start {
        return U256::ZERO;
    }
    let elapsed = t - s.start;
    let current = elapsed / s.interval;
    let whole: U256 = (0..current).map(|k| s.interval_amount(k)).sum();
    whole + s.interval_amount(current) * U256::from(elapsed % s.interval) / U256::from(s.interval)
}

#[test]
fn morpheus_emits_3456_mor_on_day_one_in_each_of_four_buckets_and_576_for_protection() {
    assert_eq!(START, 1_707_393_600, "2024-02-08 12:00:00 UTC");
    assert_eq!(DAY, 86_400);
    let buckets = [
        MORPHEUS_CAPITAL,
        MORPHEUS_CODE,
        MORPHEUS_COMPUTE_BUCKET,
        MORPHEUS_COMMUNITY,
    ];
    for bucket in buckets {
        assert_eq!(
            bucket,
            schedule(START, DAY, 3_456 * MOR, 592_558_728_240_000_000)
        );
    }
    assert_eq!(
        MORPHEUS_PROTECTION,
        schedule(START, DAY, 576 * MOR, 98_759_788_040_000_000)
    );
    let day_one: U256 = buckets
        .iter()
        .chain([&MORPHEUS_PROTECTION])
        .map(|b| b.reward(START, START + DAY))
        .sum();
    assert_eq!(day_one, wei(14_400 * MOR), "14,400 MOR a day at the start");
}

#[test]
fn emission_starts_at_the_payout_start_and_spreads_evenly_over_the_day() {
    assert_eq!(CAPITAL.cumulative(0), U256::ZERO);
    assert_eq!(CAPITAL.cumulative(START), U256::ZERO);
    assert_eq!(CAPITAL.reward(START - DAY, START), U256::ZERO);
    assert_eq!(
        CAPITAL.reward(START, START + 1),
        wei(40_000_000_000_000_000),
        "3456 MOR / 86400 s"
    );
    assert_eq!(CAPITAL.cumulative(START + DAY / 2), wei(1_728 * MOR));
    assert_eq!(
        CAPITAL.reward(START + DAY, START + 2 * DAY),
        wei(3_456 * MOR - 592_558_728_240_000_000)
    );
    assert_eq!(
        CAPITAL.reward(START + 1, START),
        U256::ZERO,
        "a reversed span is empty"
    );
}

#[test]
fn the_curve_ends_after_interval_5832_in_january_2040() {
    assert_eq!(CAPITAL.end(), START + 5_833 * DAY);
    assert_eq!(CAPITAL.end(), 2_211_364_800, "2040-01-28 12:00:00 UTC");
    assert_eq!(MORPHEUS_PROTECTION.end(), CAPITAL.end());
    // 3456 / 0.59255872824 = 5832.39: the last interval pays the remainder, 0.19749690432 MOR.
    assert_eq!(CAPITAL.interval_amount(5_832), wei(197_496_904_320_000_000));
    assert_eq!(CAPITAL.interval_amount(5_833), U256::ZERO);
    assert_eq!(CAPITAL.interval_amount(u64::MAX), U256::ZERO);
}

#[test]
fn the_whole_curve_emits_its_arithmetic_series_and_nothing_after_the_end() {
    let capital_total = wei(10_079_999_999_721_449_280_000_000);
    let summed: U256 = (0..5_833).map(|k| CAPITAL.interval_amount(k)).sum();
    assert_eq!(summed, capital_total);
    assert_eq!(CAPITAL.cumulative(CAPITAL.end()), capital_total);
    for after in [CAPITAL.end() + 1, CAPITAL.end() + 7 * DAY + 5, u64::MAX] {
        assert_eq!(CAPITAL.cumulative(after), capital_total, "at {after}");
    }
    assert_eq!(CAPITAL.reward(CAPITAL.end(), u64::MAX), U256::ZERO);
    // A span across the end pays the last interval's tail only.
    let last_half = CAPITAL.reward(CAPITAL.end() - DAY / 2, CAPITAL.end() + DAY);
    assert_eq!(last_half, wei(197_496_904_320_000_000 / 2));
    let protection: U256 = (0..5_833)
        .map(|k| MORPHEUS_PROTECTION.interval_amount(k))
        .sum();
    assert_eq!(protection, wei(1_679_999_999_953_574_880_000_000));
    assert_eq!(MORPHEUS_PROTECTION.cumulative(u64::MAX), protection);
}

#[test]
fn a_curve_whose_decrease_divides_its_start_ends_on_the_zero_interval() {
    let s = schedule(100, 10, 10, 5);
    assert_eq!(s.end(), 120, "two intervals: 10, then 5");
    assert_eq!(s.cumulative(120), wei(15));
    assert_eq!(s.cumulative(1_000), wei(15));
}

#[test]
fn a_zero_decrease_never_ends() {
    let s = schedule(START, DAY, 3_456 * MOR, 0);
    assert_eq!(s.end(), u64::MAX);
    assert_eq!(s.interval_amount(u64::MAX), wei(3_456 * MOR));
    let days = (u64::MAX - START) / DAY;
    assert_eq!(
        s.cumulative(START + days * DAY),
        wei(3_456 * MOR) * U256::from(days)
    );
    assert_eq!(
        s.reward(START + 1_000 * DAY, START + 1_001 * DAY),
        wei(3_456 * MOR)
    );
}

#[test]
fn degenerate_and_huge_schedules_answer_without_panicking() {
    let empty = schedule(START, 0, 3_456 * MOR, 1);
    assert_eq!(
        empty.cumulative(u64::MAX),
        U256::ZERO,
        "a zero interval emits nothing"
    );
    assert_eq!(empty.end(), START);
    let nothing = schedule(START, DAY, 0, 0);
    assert_eq!(nothing.end(), START);
    assert_eq!(nothing.cumulative(u64::MAX), U256::ZERO);

    let max = |interval, decrease| LinearSchedule {
        start: 0,
        interval,
        initial: U256::MAX,
        decrease,
    };
    assert_eq!(max(2, U256::ZERO).cumulative(1), U256::MAX / U256::from(2));
    // initial * elapsed share needs more than 256 bits: saturated (documented), not wrapped.
    assert_eq!(max(3, U256::ZERO).cumulative(2), U256::MAX);
    assert_eq!(
        max(1, U256::ZERO).cumulative(2),
        U256::MAX,
        "saturates, never wraps"
    );
    assert_eq!(max(1, U256::ZERO).reward(5, 9), U256::ZERO);
    assert_eq!(
        max(1, U256::MAX).cumulative(u64::MAX),
        U256::MAX,
        "one interval of 2^256 - 1"
    );
    assert_eq!(max(1, U256::MAX).end(), 1);
    assert_eq!(max(u64::MAX, U256::from(1)).end(), u64::MAX);
    assert_eq!(
        max(1, U256::from(1)).end(),
        u64::MAX,
        "2^256 intervals outlast u64 time"
    );
    assert_eq!(
        max(1, U256::from(1)).interval_amount(u64::MAX),
        U256::MAX - U256::from(u64::MAX)
    );
    let late = LinearSchedule {
        start: u64::MAX,
        ..CAPITAL
    };
    assert_eq!(late.end(), u64::MAX);
    assert_eq!(late.cumulative(u64::MAX), U256::ZERO);
}

#[test]
fn the_compute_contracts_day_k_budget_is_the_compute_buckets_interval_k() {
    // The compute contract counts UTC days from 2024-02-08; the bucket, days from its noon.
    for k in [0, 1, 2, 1_000, 5_832, 5_833, 10_000] {
        let interval = START + k * DAY;
        assert_eq!(
            MORPHEUS_COMPUTE.scheduled(19_761 + k),
            MORPHEUS_COMPUTE_BUCKET.reward(interval, interval + DAY),
            "day {k}"
        );
    }
    assert_eq!(MORPHEUS_COMPUTE.scheduled(19_760), U256::ZERO);
}

#[test]
fn accruing_every_second_pays_exactly_the_day_where_morpheus_loses_wei() {
    // Day two's 3455.40744127176 MOR does not divide by 86,400 seconds.
    let (from, to) = (START + DAY, START + 2 * DAY);
    let ours: U256 = (from..to).map(|t| CAPITAL.reward(t, t + 1)).sum();
    assert_eq!(ours, CAPITAL.interval_amount(1));
    let theirs: u128 = (from..to)
        .map(|t| morpheus_reward(&CAPITAL, t, t + 1))
        .sum();
    assert_eq!(
        theirs,
        3_455_407_441_271_760_000_000 - 9_600,
        "9,600 wei a day lost"
    );
}

/// A schedule small enough to check against a reference that sums intervals one by one.
fn small_schedule() -> impl Strategy<Value = LinearSchedule> {
    prop_oneof![
        Just(MORPHEUS_CAPITAL),
        Just(MORPHEUS_PROTECTION),
        (
            0u64..4_000_000_000,
            1u64..200_000,
            0u128..10u128.pow(25),
            0u128..10u128.pow(23)
        )
            .prop_map(|(start, interval, initial, decrease)| schedule(
                start, interval, initial, decrease
            )),
    ]
}

/// An instant from shortly before the start to 7,000 intervals after it (past Morpheus's end).
fn instant(s: &LinearSchedule) -> impl Strategy<Value = u64> {
    let earliest = s.start.saturating_sub(3 * s.interval);
    earliest..s.start + 7_000 * s.interval
}

fn schedule_and_instants(n: usize) -> impl Strategy<Value = (LinearSchedule, Vec<u64>)> {
    small_schedule().prop_flat_map(move |s| {
        (Just(s), proptest::collection::vec(instant(&s), n)).prop_map(|(s, mut times)| {
            times.sort_unstable();
            (s, times)
        })
    })
}

/// Any schedule whose every amount stays far inside 256 bits (initial and decrease below 2^128),
/// with instants anywhere in u64, near the start or not.
fn wide_schedule_and_instants() -> impl Strategy<Value = (LinearSchedule, [u64; 3])> {
    let wide = (any::<u64>(), 1u64..=u64::MAX, any::<u128>(), any::<u128>()).prop_map(
        |(start, interval, initial, decrease)| schedule(start, interval, initial, decrease),
    );
    (wide, any::<[u64; 3]>(), any::<[u16; 3]>(), any::<bool>()).prop_map(|(s, far, near, close)| {
        let mut times = if close {
            near.map(|k| {
                s.start
                    .saturating_add(u64::from(k).saturating_mul(s.interval / 7 + 1))
            })
        } else {
            far
        };
        times.sort_unstable();
        (s, times)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn cumulative_is_the_sum_of_the_intervals_plus_the_current_share(
        (s, t) in schedule_and_instants(1)
    ) {
        prop_assert_eq!(s.cumulative(t[0]), reference_cumulative(&s, t[0]));
    }

    #[test]
    fn rewards_are_additive_to_the_wei_over_any_split((s, [a, b, c]) in wide_schedule_and_instants()) {
        prop_assert_eq!(s.reward(a, b) + s.reward(b, c), s.reward(a, c));
        prop_assert!(s.cumulative(a) <= s.cumulative(b), "never decreasing");
        prop_assert_eq!(s.cumulative(s.end()), s.cumulative(u64::MAX), "nothing after the end");
    }

    #[test]
    fn on_whole_intervals_we_pay_exactly_what_morpheus_pays(
        s in small_schedule(), i in 0u64..7_000, j in 0u64..7_000
    ) {
        let (from, to) = (s.start + i.min(j) * s.interval, s.start + i.max(j) * s.interval);
        prop_assert_eq!(s.reward(from, to), U256::from(morpheus_reward(&s, from, to)));
    }

    #[test]
    fn anywhere_we_pay_morpheus_amount_or_the_one_wei_it_floors_away(
        (s, times) in schedule_and_instants(2)
    ) {
        let ours = s.reward(times[0], times[1]);
        let theirs = U256::from(morpheus_reward(&s, times[0], times[1]));
        prop_assert!(theirs <= ours && ours <= theirs + U256::from(1), "{ours} vs {theirs}");
    }

    #[test]
    fn splitting_a_span_never_pays_more_under_morpheus_and_never_changes_ours(
        (s, times) in schedule_and_instants(12)
    ) {
        let (first, last) = (times[0], times[times.len() - 1]);
        let pieces = times.windows(2);
        let ours: U256 = pieces.clone().map(|w| s.reward(w[0], w[1])).sum();
        let theirs: u128 = pieces.map(|w| morpheus_reward(&s, w[0], w[1])).sum();
        prop_assert_eq!(ours, s.reward(first, last));
        prop_assert!(U256::from(theirs) <= ours);
        prop_assert!(ours - U256::from(theirs) <= U256::from(times.len() - 1), "a wei a piece at most");
    }
}
