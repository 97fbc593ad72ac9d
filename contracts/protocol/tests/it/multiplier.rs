//! The MRC40 power multiplier against its specification (SPEC section 5): the spec's examples,
//! its algebraic properties over arbitrary inputs, and its precision against an exact
//! 60-digit reference on 100,000 pairs (`tests/fixtures/multiplier_reference.txt`, written by
//! `scripts/multiplier_reference.py`).

use std::time::Instant;

use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use yellowstone_protocol::multiplier::{
    power_multiplier, MULTIPLIER_MAX, MULTIPLIER_MIN, POWER_MAX, WINDOW_END, WINDOW_START,
};
use yellowstone_protocol::{time::DAY, U256};

const S: u64 = WINDOW_START;
const YEAR: u64 = 365 * DAY;

fn m(start: u64, end: u64) -> U256 {
    power_multiplier(U256::from(start), U256::from(end))
}

fn wad(raw: u64) -> U256 {
    U256::from(raw)
}

#[test]
fn the_public_constants_are_the_specs() {
    assert_eq!(WINDOW_START, 1_721_908_800, "2024-07-25 12:00:00 UTC");
    assert_eq!(WINDOW_END, 2_211_192_000, "2040-01-26 12:00:00 UTC");
    assert_eq!(MULTIPLIER_MIN, wad(1_000_000_000_000_000_000));
    assert_eq!(MULTIPLIER_MAX, wad(10_700_000_000_000_000_000));
    assert_eq!(POWER_MAX, wad(16_613_275_460_000_000_000));
}

#[test]
fn the_specs_known_values_come_out_to_every_digit() {
    // Exact value 1.7449468839567396435438...: the 18th decimal is truncated, not rounded.
    assert_eq!(
        m(S + 100 * DAY, S + 400 * DAY),
        wad(1_744_946_883_956_739_643)
    );
    // A start before the window counts from S: 1.171513456...
    assert_eq!(m(0, S + 200 * DAY), wad(1_171_513_456_453_704_514));
    // Two seconds are worth almost nothing: the floor of 1 applies.
    assert_eq!(m(S, S + 2), MULTIPLIER_MIN);
    // The whole window would be 16.0157...: the cap of 10.7 applies.
    assert_eq!(power_multiplier(U256::ZERO, U256::MAX), MULTIPLIER_MAX);
    assert_eq!(m(0, u64::MAX), MULTIPLIER_MAX);
    // start >= end gives exactly 1.
    assert_eq!(m(S + 400 * DAY, S + 100 * DAY), MULTIPLIER_MIN);
    assert_eq!(m(S + 100 * DAY, S + 100 * DAY), MULTIPLIER_MIN);
}

/// Times that matter: anywhere near the window (ten years either side), any u64, any U256,
/// and the edges.
fn any_time() -> impl Strategy<Value = U256> {
    prop_oneof![
        4 => ((S - 10 * YEAR)..(WINDOW_END + 10 * YEAR)).prop_map(U256::from),
        1 => any::<u64>().prop_map(U256::from),
        1 => any::<[u64; 4]>().prop_map(U256::from_limbs),
        1 => prop::sample::select(vec![
            U256::ZERO,
            U256::from(S - 1),
            U256::from(S),
            U256::from(S + 1),
            U256::from(WINDOW_END - 1),
            U256::from(WINDOW_END),
            U256::from(WINDOW_END + 1),
            U256::MAX,
        ]),
    ]
}

/// Whole seconds from a year before the window to a year after it.
fn near_window() -> std::ops::Range<u64> {
    (S - YEAR)..(WINDOW_END + YEAR)
}

fn clamp_into_window(t: U256) -> U256 {
    t.clamp(U256::from(WINDOW_START), U256::from(WINDOW_END))
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 1_000,
        // A failing case is kept next to this file (`multiplier.regressions`), easy to find.
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource("regressions"))),
        ..ProptestConfig::default()
    })]

    #[test]
    fn the_result_always_lies_in_one_to_ten_point_seven(start in any_time(), end in any_time()) {
        let value = power_multiplier(start, end);
        prop_assert!(value >= MULTIPLIER_MIN && value <= MULTIPLIER_MAX, "{value}");
        if start >= end {
            prop_assert_eq!(value, MULTIPLIER_MIN);
        }
    }

    #[test]
    fn a_later_end_never_lowers_it(start in any_time(), x in any_time(), y in any_time()) {
        let (early, late) = (x.min(y), x.max(y));
        prop_assert!(power_multiplier(start, early) <= power_multiplier(start, late));
    }

    #[test]
    fn a_later_start_never_raises_it(end in any_time(), x in any_time(), y in any_time()) {
        let (early, late) = (x.min(y), x.max(y));
        prop_assert!(power_multiplier(early, end) >= power_multiplier(late, end));
    }

    #[test]
    fn one_more_second_of_lock_never_lowers_it(start in near_window(), end in near_window()) {
        prop_assert!(m(start, end) <= m(start, end + 1));
        prop_assert!(m(start, end) >= m(start + 1, end));
    }

    #[test]
    fn only_the_clamped_times_matter(start in any_time(), end in any_time()) {
        let clamped = power_multiplier(clamp_into_window(start), clamp_into_window(end));
        if start < end {
            prop_assert_eq!(power_multiplier(start, end), clamped);
        }
    }
}

/// One fixture line: `start end floor(exact * 10^24)`.
struct Reference {
    start: U256,
    end: U256,
    exact_e24: u128,
}

fn read_fixture() -> Vec<Reference> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/multiplier_reference.txt"
    );
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|err| panic!("{path}: {err}; run scripts/multiplier_reference.py"));
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.starts_with('#') && !line.trim().is_empty())
        .map(|(index, line)| {
            let fields: Vec<&str> = line.split(' ').collect();
            let parsed = match fields[..] {
                [start, end, exact] => start
                    .parse::<U256>()
                    .ok()
                    .zip(end.parse::<U256>().ok())
                    .zip(exact.parse::<u128>().ok()),
                _ => None,
            };
            let ((start, end), exact_e24) =
                parsed.unwrap_or_else(|| panic!("{path}:{}: malformed line {line:?}", index + 1));
            Reference {
                start,
                end,
                exact_e24,
            }
        })
        .collect()
}

/// Errors are measured in units of 1e-24, a millionth of the result's last (18th) decimal.
const E24_PER_RAW: u128 = 1_000_000;

#[test]
fn every_reference_pair_is_the_exact_floor_within_one_unit_of_the_18th_decimal() {
    let fixture = read_fixture();
    assert!(
        fixture.len() >= 100_000,
        "the fixture holds {} pairs",
        fixture.len()
    );

    let began = Instant::now();
    let (mut max_error, mut total_error, mut not_floor) = (0u128, 0u128, 0);
    let (mut unclamped, mut unclamped_error) = (0u128, 0u128);
    let mut worst = None;
    for r in &fixture {
        let ours = power_multiplier(r.start, r.end);
        let ours = u128::try_from(ours).expect("at most 10.7e18") * E24_PER_RAW;
        // |ours - exact| in 1e-24 units, to within the reference's own last unit.
        let error = ours.abs_diff(r.exact_e24);
        total_error += error;
        if error > max_error {
            max_error = error;
            worst = Some((r.start, r.end));
        }
        if ours != r.exact_e24 / E24_PER_RAW * E24_PER_RAW {
            not_floor += 1;
            println!(
                "not the floor: ({}, {}) gave {ours}, exact {}",
                r.start, r.end, r.exact_e24
            );
        }
        if ours != MULTIPLIER_MIN.to::<u128>() * E24_PER_RAW
            && ours != MULTIPLIER_MAX.to::<u128>() * E24_PER_RAW
        {
            unclamped += 1;
            unclamped_error += error;
        }
    }
    let elapsed = began.elapsed();

    let raw = |e24: f64| e24 / E24_PER_RAW as f64;
    println!(
        "multiplier vs exact reference: {} pairs ({unclamped} between the clamps) in {elapsed:.2?}",
        fixture.len(),
    );
    println!(
        "  max error {:.6} units of 1e-18 at {worst:?}; {not_floor} not the floor",
        raw(max_error as f64)
    );
    println!(
        "  mean error {:.6} units over all pairs, {:.6} over the unclamped ones",
        raw(total_error as f64 / fixture.len() as f64),
        raw(unclamped_error as f64 / unclamped.max(1) as f64),
    );
    // The requirement: within 1e-15 of the exact value (1000 units of 1e-18) on every pair.
    assert!(
        max_error <= 1_000 * E24_PER_RAW,
        "max error {max_error} e-24 at {worst:?}"
    );
    // What the method delivers: truncation of the exact value, so under one unit everywhere.
    assert!(
        max_error < E24_PER_RAW,
        "max error {max_error} e-24 at {worst:?}"
    );
    assert_eq!(not_floor, 0, "results that are not floor(exact * 1e18)");
}
