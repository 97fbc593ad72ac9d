//! The speed window of one model: the samples the credit rule's averages are made of, how a
//! sample enters (warm-up, clamping, the user's share) and the exact averages. The rule itself
//! is documented in [`crate::judge`].

use std::collections::{HashMap, VecDeque};

use alloy_primitives::{Address, U512};
use serde::{Deserialize, Serialize};

use super::JudgePolicy;

/// One passed report's timing as it stands in a model's window (after clamping): what the
/// store keeps, so a restart restores the window exactly.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpeedSample {
    /// Entry order within the model (0, 1, 2, ...): the window is ordered by it.
    pub seq: u64,
    /// The user who reported it (a user holds a bounded share of the window).
    pub user: Address,
    /// Milliseconds from prompt to first token.
    pub first_ms: u64,
    /// Milliseconds from first to last token (`elapsed - first`).
    pub rest_ms: u64,
    /// `max(tokens - 1, 1)`: the tokens `rest_ms` was spent on.
    pub weight: u64,
}

/// What entering one sample changed in a window, for the store: samples to insert or replace
/// (keyed by model and seq) and seqs to delete.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WindowChange {
    /// Samples written (the new one, and those re-clamped when the warm-up ended).
    pub put: Vec<SpeedSample>,
    /// Seqs that left the window.
    pub drop: Vec<u64>,
}

/// An exact ratio `num / den` of 512-bit integers (`den > 0`).
pub type Ratio = (U512, U512);

/// The speed window of one model, oldest sample first, with running sums (`u128`: a sum of
/// `u64`s over any window a `usize` can count) and each user's share.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ModelSpeed {
    samples: VecDeque<SpeedSample>,
    held: HashMap<Address, usize>,
    sum_first: u128,
    sum_rest: u128,
    sum_weight: u128,
    next_seq: u64,
}

impl ModelSpeed {
    /// No history yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// The window as stored, oldest first (by seq), exactly as [`ModelSpeed::samples`] gave
    /// it; only the newest `policy.window` are kept if the window was made smaller since.
    pub fn restore(samples: impl IntoIterator<Item = SpeedSample>, policy: &JudgePolicy) -> Self {
        let mut speed = Self::new();
        let mut all: Vec<SpeedSample> = samples.into_iter().collect();
        all.sort_by_key(|s| s.seq);
        let skip = all.len().saturating_sub(policy.window);
        for s in all.into_iter().skip(skip) {
            speed.next_seq = s.seq.saturating_add(1);
            speed.push(s);
        }
        speed
    }

    /// Number of samples in the window.
    pub fn len(&self) -> usize {
        self.samples.len()
    }

    /// Whether the window is empty.
    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }

    /// The samples, oldest first.
    pub fn samples(&self) -> impl DoubleEndedIterator<Item = &SpeedSample> + '_ {
        self.samples.iter()
    }

    /// Samples `user` holds.
    pub fn held_by(&self, user: Address) -> usize {
        self.held.get(&user).copied().unwrap_or(0)
    }

    /// The exact sums `(Σ first, Σ rest, Σ weight)` over the window.
    pub fn sums(&self) -> (u128, u128, u128) {
        (self.sum_first, self.sum_rest, self.sum_weight)
    }

    /// `F = Σ first / |W|` and `D = Σ rest / Σ weight` in whole milliseconds (floor), for
    /// display; `None` when empty.
    pub fn averages(&self) -> Option<(u64, u64)> {
        let len = u128::try_from(self.samples.len()).ok().filter(|n| *n > 0)?;
        let per_token = self.sum_rest.checked_div(self.sum_weight).unwrap_or(0);
        Some((
            u64::try_from(self.sum_first / len).unwrap_or(u64::MAX),
            u64::try_from(per_token).unwrap_or(u64::MAX),
        ))
    }

    /// Whether the warm-up is over: the window holds [`warmup_size`] samples.
    pub fn warmed(&self, policy: &JudgePolicy) -> bool {
        !self.samples.is_empty() && self.samples.len() >= warmup_size(policy)
    }

    /// The expected time of an answer of `n` tokens, `E(n) = F + (n - 1) * D`, as the exact
    /// ratio `(Σfirst·Σweight + (n-1)·Σrest·|W|) / (|W|·Σweight)`; `None` when empty.
    pub fn expected(&self, n: u64) -> Option<Ratio> {
        if self.samples.is_empty() || self.sum_weight == 0 {
            return None;
        }
        let len = U512::from(self.samples.len());
        let weight = U512::from(self.sum_weight);
        let num = U512::from(self.sum_first) * weight
            + U512::from(n.saturating_sub(1)) * U512::from(self.sum_rest) * len;
        Some((num, len * weight))
    }

    /// Enters a passed report's timing (`tokens` credited, at least 1) reported by `user`:
    /// during the warm-up as reported, a user holding at most [`warmup_share`] samples; after
    /// it clamped against the current averages, and a user holds at most a tenth of the
    /// window (`|W| / 10` before this sample, at least 1 and at most `Z / 10`). The user's
    /// oldest sample makes room first, else the window's oldest. Returns what changed, for
    /// the store.
    pub fn enter(
        &mut self,
        user: Address,
        first_ms: u64,
        elapsed_ms: u64,
        tokens: u64,
        policy: &JudgePolicy,
    ) -> WindowChange {
        let mut change = WindowChange::default();
        if policy.window == 0 {
            return change;
        }
        let first = first_ms.min(elapsed_ms);
        let rest = elapsed_ms - first;
        let weight = tokens.saturating_sub(1).max(1);
        let warming = !self.warmed(policy);
        let x = policy.slower_percent;
        let (first, rest) = if warming {
            (first, rest)
        } else {
            let len = u128::try_from(self.samples.len()).unwrap_or(u128::MAX);
            (
                clamp(first, 1, self.sum_first, len, x),
                clamp(rest, weight, self.sum_rest, self.sum_weight, x),
            )
        };
        let share = if warming {
            warmup_share(policy)
        } else {
            (self.samples.len() / 10).clamp(1, (policy.window / 10).max(1))
        };
        // One of the user's samples at most leaves, so the window never shrinks (and a warm
        // window stays warm) when a user holds more than a share smaller than the warm-up's.
        if self.held_by(user) >= share {
            if let Some(at) = self.samples.iter().position(|s| s.user == user) {
                change.drop.extend(self.remove(at));
            }
        }
        while self.samples.len() >= policy.window {
            change.drop.extend(self.remove(0));
        }
        let sample = SpeedSample {
            seq: self.next_seq,
            user,
            first_ms: first,
            rest_ms: rest,
            weight,
        };
        self.next_seq = self.next_seq.saturating_add(1);
        self.push(sample);
        if warming && self.warmed(policy) {
            change.put = self.anchor(x);
            if !change.put.iter().any(|s| s.seq == sample.seq) {
                change.put.push(sample);
            }
        } else {
            change.put.push(sample);
        }
        change
    }

    /// Clamps every sample once against the window's medians (the warm-up's end), so its
    /// first users cannot set the scale unless they are half of them. Returns the samples
    /// that changed, oldest first.
    fn anchor(&mut self, x: u64) -> Vec<SpeedSample> {
        let mut firsts: Vec<u64> = self.samples.iter().map(|s| s.first_ms).collect();
        firsts.sort_unstable();
        let mut rates: Vec<(u64, u64)> =
            self.samples.iter().map(|s| (s.rest_ms, s.weight)).collect();
        // a/b < c/d iff a*d < c*b (weights are at least 1; products fit u128).
        rates.sort_by(|a, b| {
            (u128::from(a.0) * u128::from(b.1)).cmp(&(u128::from(b.0) * u128::from(a.1)))
        });
        let mid = (self.samples.len() - 1) / 2;
        let (median_first, (median_rest, median_weight)) = (firsts[mid], rates[mid]);
        let mut changed = Vec::new();
        let old: Vec<SpeedSample> = self.samples.drain(..).collect();
        self.held.clear();
        (self.sum_first, self.sum_rest, self.sum_weight) = (0, 0, 0);
        for s in old {
            let anchored = SpeedSample {
                first_ms: clamp(s.first_ms, 1, u128::from(median_first), 1, x),
                rest_ms: clamp(
                    s.rest_ms,
                    s.weight,
                    u128::from(median_rest),
                    u128::from(median_weight),
                    x,
                ),
                ..s
            };
            if anchored != s {
                changed.push(anchored);
            }
            self.push(anchored);
        }
        changed
    }

    fn push(&mut self, s: SpeedSample) {
        self.sum_first = self.sum_first.saturating_add(u128::from(s.first_ms));
        self.sum_rest = self.sum_rest.saturating_add(u128::from(s.rest_ms));
        self.sum_weight = self.sum_weight.saturating_add(u128::from(s.weight));
        *self.held.entry(s.user).or_default() += 1;
        self.samples.push_back(s);
    }

    /// Removes the sample at `at`, returning its seq.
    fn remove(&mut self, at: usize) -> Option<u64> {
        let s = self.samples.remove(at)?;
        self.sum_first = self.sum_first.saturating_sub(u128::from(s.first_ms));
        self.sum_rest = self.sum_rest.saturating_sub(u128::from(s.rest_ms));
        self.sum_weight = self.sum_weight.saturating_sub(u128::from(s.weight));
        if let Some(n) = self.held.get_mut(&s.user) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.held.remove(&s.user);
            }
        }
        Some(s.seq)
    }
}

/// Samples a model's window needs before speed is judged: `max(1, min(warmup, window))`.
pub fn warmup_size(policy: &JudgePolicy) -> usize {
    policy.warmup.min(policy.window).max(1)
}

/// Samples one user may hold during the warm-up: a fifth of it, at least 1 (2 of 10), so its
/// median comes from at least five users.
pub fn warmup_share(policy: &JudgePolicy) -> usize {
    (warmup_size(policy) / 5).max(1)
}

/// Clamps `value` (spent on `weight` units) against an average of `num / den` per unit: into
/// `[floor(weight·avg·100 / (100 + x)), max(ceil(weight·avg·(100 + 2x) / 100), weight)]`.
/// Unchanged when there is no average (`den = 0`); a bound beyond `u64` saturates.
pub fn clamp(value: u64, weight: u64, num: u128, den: u128, x: u64) -> u64 {
    if den == 0 {
        return value;
    }
    let (w, num, den, x) = (
        U512::from(weight),
        U512::from(num),
        U512::from(den),
        U512::from(x),
    );
    let hundred = U512::from(100);
    let low = w * num * hundred / (den * (hundred + x));
    let high_num = w * num * (hundred + x + x);
    let high_den = den * hundred;
    let high = high_num.div_ceil(high_den).max(w);
    let clamped = U512::from(value).max(low).min(high);
    u64::try_from(clamped).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(window: usize, warmup: usize) -> JudgePolicy {
        JudgePolicy {
            window,
            warmup,
            ..JudgePolicy::default()
        }
    }

    fn user(n: u8) -> Address {
        Address::repeat_byte(n)
    }

    /// A window of `n` samples from `n` users: first 500 ms, 20 ms per token over 100 tokens.
    fn honest(n: u8, p: &JudgePolicy) -> ModelSpeed {
        let mut speed = ModelSpeed::new();
        for u in 0..n {
            speed.enter(user(u), 500, 500 + 99 * 20, 100, p);
        }
        speed
    }

    #[test]
    fn clamp_bounds_are_x_below_and_twice_x_above_the_average_at_least_one_ms_a_unit() {
        // Average 300 per unit, X = 50: [200, 600] per unit.
        assert_eq!(clamp(0, 1, 600, 2, 50), 200);
        assert_eq!(clamp(10_000, 1, 600, 2, 50), 600);
        assert_eq!(clamp(450, 1, 600, 2, 50), 450);
        assert_eq!(clamp(0, 3, 600, 2, 50), 600);
        assert_eq!(clamp(u64::MAX, 3, 600, 2, 50), 1_800);
        // The upper bound rounds up, the lower down: 100/3 per unit -> [22, 67].
        assert_eq!(clamp(0, 1, 100, 3, 50), 22);
        assert_eq!(clamp(1_000, 1, 100, 3, 50), 67);
        // A zero average still lets 1 ms per unit in, so it is never absorbing.
        assert_eq!(clamp(1_000, 5, 0, 7, 50), 5);
        // No average: unchanged. Extreme inputs saturate.
        assert_eq!(clamp(9, 1, 0, 0, 50), 9);
        assert_eq!(clamp(0, u64::MAX, u128::MAX, 1, u64::MAX), u64::MAX);
    }

    #[test]
    fn the_averages_are_the_exact_sums_and_expected_time_is_linear_in_tokens() {
        let p = policy(100, 10);
        let speed = honest(10, &p);
        assert_eq!(speed.sums(), (5_000, 19_800, 990));
        assert_eq!(speed.averages(), Some((500, 20)));
        // E(1) = F, E(100) = F + 99 D.
        let (num, den) = speed.expected(1).unwrap();
        assert_eq!(num / den, U512::from(500));
        let (num, den) = speed.expected(100).unwrap();
        assert_eq!(num / den, U512::from(2_480));
        assert_eq!(ModelSpeed::new().expected(5), None);
    }

    #[test]
    fn during_the_warm_up_a_user_holds_two_samples_of_ten_entered_as_reported() {
        let p = policy(100, 10);
        assert_eq!(warmup_share(&p), 2);
        let mut speed = ModelSpeed::new();
        assert_eq!(speed.enter(user(1), 0, 0, 1, &p).drop, Vec::<u64>::new());
        assert_eq!(speed.enter(user(1), 5, 5, 1, &p).drop, Vec::<u64>::new());
        let again = speed.enter(user(1), 7, 9, 1, &p);
        assert_eq!(again.drop, vec![0]);
        assert_eq!(speed.len(), 2);
        let s = speed.samples().last().unwrap();
        assert_eq!((s.seq, s.first_ms, s.rest_ms, s.weight), (2, 7, 2, 1));
        assert!(!speed.warmed(&p));
    }

    #[test]
    fn a_warm_window_never_shrinks_when_a_user_holds_more_than_the_share() {
        // Five users warm the window up, two samples each; after it the share is one.
        let p = policy(100, 10);
        let mut speed = ModelSpeed::new();
        for u in 0..10u8 {
            speed.enter(user(u / 2), 500, 2_480, 100, &p);
        }
        assert!(speed.warmed(&p));
        for _ in 0..5 {
            let change = speed.enter(user(0), 500, 2_480, 100, &p);
            assert_eq!(change.drop.len(), 1);
            assert_eq!(speed.len(), 10);
            assert!(speed.warmed(&p));
        }
    }

    #[test]
    fn the_warm_up_ends_by_clamping_every_sample_against_the_medians() {
        let p = policy(100, 10);
        let mut speed = ModelSpeed::new();
        // One zero and one huge report among eight honest ones.
        speed.enter(user(100), 0, 0, 1, &p);
        speed.enter(user(101), 1_000_000, 10_000_000, 100, &p);
        for u in 0..7 {
            speed.enter(user(u), 500, 500 + 99 * 20, 100, &p);
        }
        assert!(!speed.warmed(&p));
        let change = speed.enter(user(7), 500, 500 + 99 * 20, 100, &p);
        assert!(speed.warmed(&p));
        // The zero's first is raised to 500/1.5, its one token's rest to 20/1.5; the huge
        // one's lowered to twice the medians; the honest ones are untouched.
        let changed: Vec<(u64, u64, u64)> = change
            .put
            .iter()
            .map(|s| (s.seq, s.first_ms, s.rest_ms))
            .collect();
        assert_eq!(
            changed,
            vec![(0, 333, 13), (1, 1_000, 3_960), (9, 500, 1_980)]
        );
        assert_eq!(speed.sums().0, 333 + 1_000 + 8 * 500);
    }

    #[test]
    fn after_the_warm_up_a_user_holds_a_tenth_of_the_window_replacing_their_oldest() {
        let p = policy(100, 10);
        let mut speed = honest(100, &p);
        assert_eq!(speed.len(), 100);
        for i in 0..25u64 {
            let change = speed.enter(user(200), 500, 2_480, 100, &p);
            assert_eq!(
                change.drop.len(),
                1,
                "{i}: the window's or the user's oldest leaves"
            );
        }
        assert_eq!(speed.held_by(user(200)), 10);
        assert_eq!(speed.len(), 100);
        // The user's ten are the newest ten.
        let mine: Vec<u64> = speed
            .samples()
            .filter(|s| s.user == user(200))
            .map(|s| s.seq)
            .collect();
        assert_eq!(mine, (115..125).collect::<Vec<u64>>());
    }

    #[test]
    fn a_small_window_gives_a_user_a_tenth_of_it_at_least_one() {
        let p = policy(100, 10);
        // Ten users: a window of ten, one sample each; an eleventh user's second sample
        // replaces their first.
        let mut speed = honest(10, &p);
        speed.enter(user(200), 500, 2_480, 100, &p);
        assert_eq!(speed.enter(user(200), 500, 2_480, 100, &p).drop, vec![10]);
        assert_eq!((speed.len(), speed.held_by(user(200))), (11, 1));
        // Twenty users: two each.
        let mut speed = honest(20, &p);
        for _ in 0..5 {
            speed.enter(user(200), 500, 2_480, 100, &p);
        }
        assert_eq!(speed.held_by(user(200)), 2);
    }

    #[test]
    fn a_full_window_drops_its_oldest() {
        let p = policy(20, 10);
        let mut speed = honest(10, &p);
        for u in 10..30u8 {
            speed.enter(user(u), 500, 2_480, 100, &p);
        }
        assert_eq!(speed.len(), 20);
        assert_eq!(speed.samples().next().unwrap().seq, 10);
    }

    #[test]
    fn after_the_warm_up_a_sample_enters_clamped_against_the_averages() {
        let p = policy(100, 10);
        let mut speed = honest(10, &p);
        let change = speed.enter(user(50), 0, 0, 1, &p);
        let s = change.put[0];
        assert_eq!((s.first_ms, s.rest_ms, s.weight), (333, 13, 1));
        let change = speed.enter(user(51), 1_000_000_000, 1_000_000_000_000, 100, &p);
        let s = change.put[0];
        // The averages now include the clamped zero: F = 5333/11, D = 19813/991 per token.
        assert_eq!((s.first_ms, s.rest_ms), (970, 3_959));
    }

    #[test]
    fn a_window_of_zero_keeps_nothing_and_restore_gives_back_the_same_window() {
        let mut none = ModelSpeed::new();
        assert_eq!(
            none.enter(user(1), 1, 2, 3, &policy(0, 10)),
            WindowChange::default()
        );
        assert!(none.is_empty());

        let p = policy(30, 10);
        let mut speed = honest(10, &p);
        for i in 0..200u64 {
            speed.enter(user((i % 13) as u8), i, i * 7 + 3, i % 50, &p);
        }
        let restored = ModelSpeed::restore(speed.samples().copied().rev(), &p);
        assert_eq!(restored, speed);
        // A smaller window keeps the newest.
        let small = ModelSpeed::restore(speed.samples().copied(), &policy(5, 10));
        assert_eq!(small.len(), 5);
        assert_eq!(
            small.samples().last().map(|s| s.seq),
            speed.samples().last().map(|s| s.seq)
        );
    }
}
