//! The MRC40 power multiplier: how much a lock weighs in provider selection (SPEC section 5).
//!
//! ```text
//! multiplier(start, end) = 16.61327546 * (tanh(2(end - S)/D) - tanh(2(start - S)/D))
//! ```
//!
//! clamped to [1, 10.7], where S = [`WINDOW_START`] (2024-07-25 12:00 UTC) and S + D =
//! [`WINDOW_END`] (2040-01-26 12:00 UTC). `start` and `end` are first clamped into the window,
//! and `start >= end` gives exactly 1. [`power_multiplier`] returns the floor of the exact
//! value in 1e18 fixed point (truncated, never rounded up), then clamped to
//! [[`MULTIPLIER_MIN`], [`MULTIPLIER_MAX`]].
//!
//! # Method
//!
//! Integer arithmetic only (Stylus rejects Wasm float instructions), in binary fixed point
//! with 120 fraction bits (`ONE = 2^120`, about 1.3e36) on [`U256`]:
//!
//! 1. Clamp both times into the window; `a`, `b` are the offsets from S in seconds (`0..=D`).
//! 2. `tanh(x) = 1 - 2/(e^(2x) + 1)` and `2x = 4a/D` lies in [0, 4], so each side needs one
//!    `E = e^(4a/D)`. Split `4a/D = n + j/16 + r` with `n` in 0..=4, `j` in 0..16 and
//!    `0 <= r < 1/16` (integer division of `64a` by `D`), then
//!    `E = e^n * e^(j/16) * e^r`: two table constants and a degree-16 Taylor polynomial in
//!    `r` evaluated by Horner's rule with precomputed `1/k!`.
//! 3. `tanh(x_b) - tanh(x_a) = 2(E_b - E_a) / ((E_a + 1)(E_b + 1))`, so the result is one
//!    division: `(E_b - E_a) * 2 * POWER_MAX / ((E_a + 1)(E_b + 1) / ONE)`, already at 1e18
//!    scale and truncated by the division.
//!
//! Cost: two calls of step 2 (18 multiplications and 1 division each) plus 2 multiplications
//! and 1 division; every multiplication is followed by a shift, never a division.
//!
//! # Error bound
//!
//! Every table constant, the reduced argument `r` and every Horner step are floors, each off by
//! less than one unit of `2^-120`; the Taylor remainder is below `(1/16)^17 / 17! < 2^-116`.
//! Together each `E` is low by less than `20 * 2^-120` relative. As
//! `|d multiplier / dE| <= 2 * 16.61327546 * E / (E + 1)^2` for each side, the value before the
//! final truncation is within `20 * 16.62 * 2^-120 < 2.6e-34` of the exact one, that is within
//! 3e-16 of a unit in the last (18th) decimal. So the result is the exact floor unless the exact
//! value lies within 3e-16 units of an integer at 1e18 scale, and it is never off by more than
//! one unit. `tests/multiplier.rs` checks this against a 60-digit reference on 100,000 pairs.
//!
//! The tables are produced by `scripts/multiplier_reference.py --constants` and each entry is
//! re-derived independently by the unit tests below.
//!
//! All intermediate products stay below 2^252 (each is annotated in the code), so none can
//! overflow, and no input, however large, can make the function panic.

use alloy_primitives::{uint, U256};

use crate::{math::div, WAD};

/// The opening of the multiplier window, S: 2024-07-25 12:00:00 UTC in unix seconds.
pub const WINDOW_START: u64 = 1_721_908_800;

/// The close of the multiplier window, S + D: 2040-01-26 12:00:00 UTC in unix seconds.
/// Times after it count as the close, so no lock earns more than the full curve.
pub const WINDOW_END: u64 = 2_211_192_000;

/// The smallest multiplier, 1, in 1e18 fixed point: short locks, and any `start >= end`.
pub const MULTIPLIER_MIN: U256 = WAD;

/// The largest multiplier, 10.7, in 1e18 fixed point.
pub const MULTIPLIER_MAX: U256 = uint!(10_700_000_000_000_000_000_U256);

/// The curve's scale factor, 16.61327546, in 1e18 fixed point (exactly
/// 16_613_275_460_000_000_000). Times the full tanh rise, `tanh(2) - tanh(0)`, it would give
/// 16.0157..., which [`MULTIPLIER_MAX`] caps at 10.7.
pub const POWER_MAX: U256 = uint!(16_613_275_460_000_000_000_U256);

/// D: the window's length in seconds (5663 days).
const WINDOW_LENGTH: u64 = WINDOW_END - WINDOW_START;

/// Fraction bits of the internal fixed point.
const FRAC_BITS: usize = 120;

/// 1 in the internal fixed point, 2^120.
const ONE: U256 = U256::from_limbs([0, 1 << (FRAC_BITS - 64), 0, 0]);

/// `2 * POWER_MAX`, the numerator's factor in `2(E_b - E_a) / ((E_a + 1)(E_b + 1))`.
const TWICE_POWER_MAX: U256 = uint!(33_226_550_920_000_000_000_U256);

/// Degree of the Taylor polynomial of `e^r` on `0 <= r < 1/16`.
const TAYLOR_DEGREE: usize = 16;

/// `floor(e^n * 2^120)` for n = 0..=4.
const EXP_INT: [u128; 5] = [
    1_329_227_995_784_915_872_903_807_060_280_344_576,
    3_613_216_306_821_173_191_995_746_233_763_034_355,
    9_821_740_229_123_897_263_415_146_158_067_690_222,
    26_698_257_988_672_669_346_806_104_236_273_449_529,
    72_573_389_542_120_455_047_795_583_683_577_737_946,
];

/// `floor(e^(j/16) * 2^120)` for j = 0..16.
const EXP_SIXTEENTHS: [u128; 16] = [
    1_329_227_995_784_915_872_903_807_060_280_344_576,
    1_414_955_836_151_534_756_673_166_823_647_463_849,
    1_506_212_647_196_795_353_300_402_660_238_715_789,
    1_603_355_016_892_989_370_105_645_713_565_574_291,
    1_706_762_531_160_738_084_723_370_450_341_248_595,
    1_816_839_257_109_226_081_628_926_030_476_821_507,
    1_934_015_321_937_211_308_701_695_963_283_661_829,
    2_058_748_593_664_401_462_248_028_516_048_376_075,
    2_191_526_470_260_691_078_245_362_714_930_000_889,
    2_332_867_784_164_320_703_908_781_769_722_306_565,
    2_483_324_829_630_904_244_265_431_543_006_997_083,
    2_643_485_520_835_234_865_094_856_061_361_690_402,
    2_813_975_689_158_699_157_234_763_077_497_315_871,
    2_995_461_528_639_000_056_222_128_436_606_952_901,
    3_188_652_199_137_836_452_465_818_728_317_141_927,
    3_394_302_597_398_473_770_336_949_987_863_490_805,
];

/// `floor(2^120 / k!)` for k = 0..=16: the Taylor coefficients of `e^r`.
const INV_FACTORIAL: [u128; TAYLOR_DEGREE + 1] = [
    1_329_227_995_784_915_872_903_807_060_280_344_576,
    1_329_227_995_784_915_872_903_807_060_280_344_576,
    664_613_997_892_457_936_451_903_530_140_172_288,
    221_537_999_297_485_978_817_301_176_713_390_762,
    55_384_499_824_371_494_704_325_294_178_347_690,
    11_076_899_964_874_298_940_865_058_835_669_538,
    1_846_149_994_145_716_490_144_176_472_611_589,
    263_735_713_449_388_070_020_596_638_944_512,
    32_966_964_181_173_508_752_574_579_868_064,
    3_662_996_020_130_389_861_397_175_540_896,
    366_299_602_013_038_986_139_717_554_089,
    33_299_963_819_367_180_558_156_141_280,
    2_774_996_984_947_265_046_513_011_773,
    213_461_306_534_405_003_577_923_982,
    15_247_236_181_028_928_826_994_570,
    1_016_482_412_068_595_255_132_971,
    63_530_150_754_287_203_445_810,
];

/// The MRC40 power multiplier of a lock from `start` to `end` (unix seconds), in 1e18 fixed
/// point: the floor of `16.61327546 * (tanh(2(end-S)/D) - tanh(2(start-S)/D))` after clamping
/// both times into [[`WINDOW_START`], [`WINDOW_END`]], clamped to
/// [[`MULTIPLIER_MIN`], [`MULTIPLIER_MAX`]]. Exactly [`MULTIPLIER_MIN`] when `start >= end`.
/// Never panics.
pub fn power_multiplier(start: U256, end: U256) -> U256 {
    if start >= end {
        return MULTIPLIER_MIN;
    }
    let (a, b) = (window_offset(start), window_offset(end));
    if a >= b {
        return MULTIPLIER_MIN;
    }
    let (ea, eb) = (exp_window(a), exp_window(b));
    // (E_b - E_a) < 2^126 and 2 * POWER_MAX < 2^65; E_b >= E_a as exp_window is monotone.
    let numerator = eb.saturating_sub(ea) * TWICE_POWER_MAX;
    // (E + 1) < 56 * 2^120 < 2^126 on each side; the quotient is >= ONE, never zero.
    let denominator = mul_shr(ea + ONE, eb + ONE);
    let value = div(numerator, denominator).unwrap_or(MULTIPLIER_MIN);
    value.clamp(MULTIPLIER_MIN, MULTIPLIER_MAX)
}

/// Seconds from [`WINDOW_START`] to `t` after clamping `t` into the window: `0..=D`.
fn window_offset(t: U256) -> u64 {
    if t <= U256::from(WINDOW_START) {
        0
    } else if t >= U256::from(WINDOW_END) {
        WINDOW_LENGTH
    } else {
        // Inside the window, so below 2^32.
        t.as_limbs()[0] - WINDOW_START
    }
}

/// `e^(4a/D)` at 2^120 scale for `a` in `0..=D`, low by less than `20 * 2^-120` relative.
fn exp_window(a: u64) -> U256 {
    let a = a.min(WINDOW_LENGTH);
    // 4a/D = k/16 + rem/(16D), with k in 0..=64 and rem in 0..D (64 * D < 2^35).
    let sixty_fourfold = 64 * a;
    let k = (sixty_fourfold / WINDOW_LENGTH) as usize;
    let rem = sixty_fourfold % WINDOW_LENGTH;
    // r = rem / (16D) at 2^120 scale: below ONE / 16, i.e. 2^116.
    let r = div(U256::from(rem) << FRAC_BITS, U256::from(16 * WINDOW_LENGTH)).unwrap_or_default();
    // e^r = sum of r^i / i! for i <= 16, by Horner's rule; stays below 2^121.
    let mut taylor = U256::from(INV_FACTORIAL[TAYLOR_DEGREE]);
    for coefficient in INV_FACTORIAL[..TAYLOR_DEGREE].iter().rev() {
        taylor = U256::from(*coefficient) + mul_shr(taylor, r);
    }
    // e^(k/16) = e^(k div 16) * e^((k mod 16)/16): below e^4.94 * 2^120 < 2^128.
    let table = mul_shr(
        U256::from(EXP_INT[k / 16]),
        U256::from(EXP_SIXTEENTHS[k % 16]),
    );
    mul_shr(table, taylor)
}

/// `x * y / 2^120`, rounded down. Callers keep `bits(x) + bits(y) <= 256` (at most 248 + 4 in
/// this module), so the product never wraps; debug builds check it.
fn mul_shr(x: U256, y: U256) -> U256 {
    debug_assert!(
        x.bit_len() + y.bit_len() <= 256,
        "fixed-point product overflows"
    );
    (x * y) >> FRAC_BITS
}

#[cfg(test)]
mod tests {
    use alloy_primitives::U512;

    use super::*;
    use crate::time::DAY;

    const S: u64 = WINDOW_START;

    fn m(start: u64, end: u64) -> U256 {
        power_multiplier(U256::from(start), U256::from(end))
    }

    /// `floor(e^(p/q) * 2^120)` from the plain Taylor series of e^(p/q) in 2^200 fixed point,
    /// independent of the tables and the range reduction; 2^80 guard units absorb the series'
    /// truncations, which the assertion confirms cannot reach the 2^120 boundary.
    fn reference_exp(p: u64, q: u64) -> u128 {
        if p == 0 {
            return 1 << 120;
        }
        let one: U512 = U512::from(1u64) << 200;
        let (mut term, mut sum) = (one, one);
        for k in 1..200u64 {
            term = term * U512::from(p) / (U512::from(q) * U512::from(k));
            if term.is_zero() {
                break;
            }
            sum += term;
        }
        let guard: U512 = U512::from(1u64) << 80;
        let low = sum % guard;
        assert!(
            low > U512::from(1000) && low < guard - U512::from(1000),
            "too close to call"
        );
        u128::try_from(sum >> 80).unwrap()
    }

    #[test]
    fn the_tables_are_floors_of_e_to_the_n_and_to_the_sixteenths() {
        for (n, &entry) in EXP_INT.iter().enumerate() {
            assert_eq!(entry, reference_exp(n as u64, 1), "e^{n}");
        }
        for (j, &entry) in EXP_SIXTEENTHS.iter().enumerate() {
            assert_eq!(entry, reference_exp(j as u64, 16), "e^({j}/16)");
        }
        let mut factorial = 1u128;
        for (k, &entry) in INV_FACTORIAL.iter().enumerate() {
            factorial *= (k as u128).max(1);
            assert_eq!(U256::from(entry), ONE / U256::from(factorial), "1/{k}!");
        }
        assert_eq!(U256::from(EXP_INT[0]), ONE);
        assert_eq!(POWER_MAX * U256::from(2), TWICE_POWER_MAX);
        assert_eq!(WINDOW_LENGTH, 5_663 * DAY, "the window is 5663 days long");
    }

    /// The documented bound: `exp_window` is low by less than `20 * 2^-120` relative.
    fn allowed(exact: U256) -> U256 {
        (exact * U256::from(20)) >> FRAC_BITS
    }

    #[test]
    fn exp_window_matches_the_series_at_every_sixteenth_and_in_between() {
        // At a = D * i / 64 the argument 4a/D is exactly i/16.
        for i in 0..=64u64 {
            let a = WINDOW_LENGTH * i / 64;
            let exact = U256::from(reference_exp(i, 16));
            let ours = exp_window(a);
            assert!(
                ours <= exact && exact - ours <= allowed(exact),
                "e^({i}/16): {ours} vs {exact}"
            );
        }
        // Odd points exercise the Taylor part: 4a/D = 4a/D exactly as a fraction.
        for a in [1u64, 7, 86_400, 12_345_678, 244_641_599, 489_283_199] {
            let exact = U256::from(reference_exp(4 * a, WINDOW_LENGTH));
            let ours = exp_window(a);
            assert!(
                ours <= exact && exact - ours <= allowed(exact),
                "a = {a}: {ours} vs {exact}"
            );
        }
    }

    #[test]
    fn the_spec_examples_come_out_to_every_digit() {
        // Exact value 1.74494688395673964354...: truncated, not rounded.
        assert_eq!(
            m(S + 100 * DAY, S + 400 * DAY),
            U256::from(1_744_946_883_956_739_643u64)
        );
        // Exact value 1.17151345645370451446...: the start is clamped up to S.
        assert_eq!(
            m(0, S + 200 * DAY),
            U256::from(1_171_513_456_453_704_514u64)
        );
        assert_eq!(m(S, S + 2), MULTIPLIER_MIN);
        assert_eq!(power_multiplier(U256::ZERO, U256::MAX), MULTIPLIER_MAX);
    }

    #[test]
    fn start_at_or_after_end_gives_exactly_one() {
        assert_eq!(m(S + 400 * DAY, S + 100 * DAY), MULTIPLIER_MIN);
        assert_eq!(m(S + DAY, S + DAY), MULTIPLIER_MIN);
        assert_eq!(power_multiplier(U256::MAX, U256::ZERO), MULTIPLIER_MIN);
        assert_eq!(power_multiplier(U256::MAX, U256::MAX), MULTIPLIER_MIN);
    }

    #[test]
    fn times_are_clamped_into_the_window_first() {
        // Both before, or both after, the window: an empty interval.
        assert_eq!(m(0, S), MULTIPLIER_MIN);
        assert_eq!(m(WINDOW_END, u64::MAX), MULTIPLIER_MIN);
        // A start before S counts as S; an end after S + D counts as S + D.
        assert_eq!(m(0, S + 500 * DAY), m(S, S + 500 * DAY));
        assert_eq!(m(S + 3_000 * DAY, u64::MAX), m(S + 3_000 * DAY, WINDOW_END));
        assert_eq!(
            power_multiplier(U256::from(S + 3_000 * DAY), U256::MAX),
            m(S + 3_000 * DAY, WINDOW_END)
        );
    }

    #[test]
    fn the_result_is_clamped_to_one_and_ten_point_seven() {
        // A day is worth about 0.0057 at the start of the window: far below 1.
        assert_eq!(m(S, S + DAY), MULTIPLIER_MIN);
        // The whole window would be 16.0157...: capped at 10.7.
        assert_eq!(m(S, WINDOW_END), MULTIPLIER_MAX);
        // Late in the window the curve flattens: a lock from 2037 to the close earns the minimum,
        // one from 2035 earns 1.262043171461738683 (exact 1.26204317146173868360...).
        assert_eq!(m(S + 4_500 * DAY, u64::MAX), MULTIPLIER_MIN);
        assert_eq!(
            m(S + 4_000 * DAY, u64::MAX),
            U256::from(1_262_043_171_461_738_683u64)
        );
    }

    #[test]
    fn longer_locks_weigh_more_and_later_starts_less() {
        let mut previous = MULTIPLIER_MIN;
        for days in (0..=6_000).step_by(50) {
            let value = m(S + 30 * DAY, S + 30 * DAY + days * DAY);
            assert!(value >= previous, "end + {days} days");
            previous = value;
        }
        assert_eq!(previous, MULTIPLIER_MAX);
        let end = S + 2_000 * DAY;
        let mut previous = MULTIPLIER_MAX;
        for days in (0..=2_000).step_by(25) {
            let value = m(S + days * DAY, end);
            assert!(value <= previous, "start + {days} days");
            previous = value;
        }
        assert_eq!(previous, MULTIPLIER_MIN);
    }

    #[test]
    fn extreme_inputs_do_not_panic() {
        let edges = [
            U256::ZERO,
            U256::from(1),
            U256::from(S - 1),
            U256::from(S),
            U256::from(S + 1),
            U256::from(WINDOW_END - 1),
            U256::from(WINDOW_END),
            U256::from(WINDOW_END + 1),
            U256::from(u64::MAX),
            U256::from(u64::MAX) + U256::from(S),
            U256::MAX - U256::from(1),
            U256::MAX,
        ];
        for &start in &edges {
            for &end in &edges {
                let value = power_multiplier(start, end);
                assert!((MULTIPLIER_MIN..=MULTIPLIER_MAX).contains(&value));
            }
        }
    }
}
