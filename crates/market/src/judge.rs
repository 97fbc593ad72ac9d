//! Judging reports: the credit rule (SPEC 4 step 10, made robust by SPEC 8) and the fail rules.
//!
//! # Credit
//!
//! A fail earns nothing (see *Fails*). A report without a provider receipt earns nothing
//! (`no_receipt`). The credited count is `n = min(user's count, receipt, TokenMax)`; `n = 0`
//! earns nothing (`nothing_delivered`). Otherwise, once the model's window is warm, the
//! report is credited iff
//!
//! ```text
//! 100 * elapsed <= (100 + X) * E(n),   E(n) = F + (n - 1) * D,
//! F = Σ first / |W|,   D = Σ rest / Σ weight
//! ```
//!
//! over the model's window `W` (`rest = elapsed - first`, `weight = max(tokens - 1, 1)`),
//! compared exactly in 512-bit integers with nothing divided first:
//! `100·elapsed·|W|·Σweight <= (100+X)·(Σfirst·Σweight + (n-1)·Σrest·|W|)`. With
//! `firstTokenMs = 0` every first is 0 and `E(n) = (n - 1)·D`: the seed's per-token rule (a
//! one-token answer then has no time at all: clients must send `firstTokenMs`). A refusal
//! names `elapsed_ms`, `floor(E(n))` and `floor((100 + X)·E(n) / 100)`, the slowest credited.
//!
//! # The window
//!
//! Per model, `W` holds the last `Z` passed reports with a receipt and `n >= 1`, credited or
//! not (so a slowdown is learned, not frozen out), each as a [`SpeedSample`]
//! `(user, first, rest, weight)` with `first = min(firstTokenMs, elapsedMs)`, `weight` from
//! the credited `n`. A report is judged against the window before its own sample enters.
//!
//! - **Warm-up.** Until `W` holds `max(1, min(warmup, Z))` samples (10), pass alone decides.
//!   During it a user holds at most a fifth of it (2 of 10; a new sample replaces their
//!   oldest) and samples enter as reported; when the window fills, every sample is clamped
//!   once (as below) against the *medians* of its firsts and of its per-token times (the
//!   lower median), so the scale of a new model is set by the middle of at least five users,
//!   not by its first one.
//! - **Clamping.** After the warm-up a sample enters clamped against the current averages:
//!   `first` into `[floor(F·100/(100+X)), max(ceil(F·(100+2X)/100), 1)]`, `rest` into
//!   `[floor(weight·D·100/(100+X)), max(ceil(weight·D·(100+2X)/100), weight)]` (see
//!   [`clamp`]). Down by X, as SPEC 8 says; up by twice X, because with X the average of a
//!   model that slowed down 4x is still only 2.2x after `Z` reports and honest answers stay
//!   refused for about `1.3 Z` (SPEC 8's goal: learned within one window; with `2X` it takes
//!   about `0.8 Z`). The floor of 1 ms (per token) keeps an average of zero from holding
//!   every later sample at zero.
//! - **A user's share.** After the warm-up a user holds at most a tenth of the window:
//!   `|W| / 10` samples (before theirs enters), at least 1, at most `Z / 10`. At their share,
//!   their oldest sample is replaced by their newest (not entering it instead would freeze a
//!   model whose few users are all at their share); otherwise a full window drops its
//!   oldest. A window of few users is each user's latest samples; it grows to `Z` as more
//!   users report, and never shrinks.
//!
//! So every sample lies between `1/(1 + X/100)` and `1 + 2X/100` times the averages it
//! entered against, one user holds a tenth of the window at most (one user's zeros hold `F`
//! above `0.9 / (1 - 0.1/1.5)`, 96%, of the honest value; their huge times below
//! `0.9 / (1 - 0.1 * 2)`, 112%), and `k` colluding users hold `k/10` of it: ten who send all
//! the traffic can walk the averages down by up to `1/(1 + X/100)` or up by `1 + 2X/100` a
//! window, until honest reports, which enter too, walk them back.
//!
//! # Fails
//!
//! - A fail withholds credit (`failed`). With the operator's
//!   [`JudgePolicy::fail_needs_balance_over_stake`] (the seed's rule, off by default) it does so
//!   only when the user's MOR balance (their allowance's snapshot balance) exceeds the
//!   provider's stake; otherwise the report is judged as if passed (speed included, its sample
//!   not entered) and the fail is only a negative score point, with no back-off.
//! - **Score.** A fail or a `too_slow` refusal is a negative point, a credited pass a positive
//!   one; beyond 100 points both halve. A user's negative point counts once per provider until
//!   the score next halves ([`FailMemory`]), so one user accounts for less than two of the
//!   fails a score holds (1 + 1/2 + 1/4 ...).
//! - **Back-off.** A withholding fail backs the provider off only when its user had no fail
//!   of it in the last [`JudgePolicy::backoff_memory_seconds`] and, counting it, at least
//!   [`JudgePolicy::backoff_fail_users`] (3) distinct users failed it within them; each such
//!   fail is one step of the doubling back-off. One user can never back a provider off.
//!
//! [`judge`] only reads the window; the caller enters the sample ([`ModelSpeed::enter`]) and
//! keeps the fail memory, so judging is a pure function that can be replayed.

use alloy_primitives::{U256, U512};
pub use yellowstone_api::{Refusal, Verdict};

mod fails;
mod window;

pub use fails::FailMemory;
pub use window::{clamp, warmup_share, warmup_size, ModelSpeed, Ratio, SpeedSample, WindowChange};

/// The credit rule's and the fail rules' parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct JudgePolicy {
    /// X: how many percent slower than the expected time a credited request may be.
    pub slower_percent: u64,
    /// Z: how many recent passed reports of a model make its averages.
    pub window: usize,
    /// How many samples a model's window needs before speed is judged at all.
    pub warmup: usize,
    /// The seed's balance rule: a fail withholds credit only if the user's MOR balance exceeds
    /// the provider's stake (otherwise it is only a negative score point). Off by default.
    pub fail_needs_balance_over_stake: bool,
    /// Distinct users whose fails within the back-off memory a back-off needs (default 3).
    pub backoff_fail_users: usize,
    /// Seconds a user's fail is remembered for the back-off (default 300).
    pub backoff_memory_seconds: u64,
}

impl Default for JudgePolicy {
    /// SPEC 4 step 10's X = 50%, Z = 100, warm-up of 10; SPEC 8's back-off on fails from 3
    /// users within 300 s, and the balance rule off.
    fn default() -> Self {
        Self {
            slower_percent: 50,
            window: 100,
            warmup: 10,
            fail_needs_balance_over_stake: false,
            backoff_fail_users: 3,
            backoff_memory_seconds: 300,
        }
    }
}

/// What the user and provider said about one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Evidence {
    /// The ticket's `TokenMax`.
    pub token_max: u64,
    /// Tokens delivered according to the user's report.
    pub user_tokens: u64,
    /// Tokens delivered according to the provider's signed receipt, if the user passed it on.
    pub receipt_tokens: Option<u64>,
    /// Milliseconds from sending the prompt to the first token, from the user's report.
    pub first_token_ms: u64,
    /// Milliseconds from sending the prompt to the last token, from the user's report.
    pub elapsed_ms: u64,
    /// Whether the user reported pass.
    pub pass: bool,
    /// Whether a fail withholds credit (always, unless the balance rule says otherwise).
    pub fail_withholds: bool,
    /// The ticket's price in wei per output token.
    pub price_wei_per_token: U256,
}

impl Evidence {
    /// The credited count `min(user's count, receipt, TokenMax)`; `None` without a receipt.
    pub fn credited_tokens(&self) -> Option<u64> {
        self.receipt_tokens
            .map(|r| self.user_tokens.min(r).min(self.token_max))
    }

    /// The sample this report puts in its model's window, `(first, elapsed, n)`: a pass with a
    /// receipt and at least one credited token; `None` otherwise.
    pub fn window_sample(&self) -> Option<(u64, u64, u64)> {
        let n = self.credited_tokens().filter(|n| *n > 0)?;
        self.pass
            .then_some((self.first_token_ms, self.elapsed_ms, n))
    }
}

/// Judges a report against its model's window (see the module docs). Does not enter the
/// report's sample: the caller does, with [`ModelSpeed::enter`] of
/// [`Evidence::window_sample`].
pub fn judge(evidence: &Evidence, speed: &ModelSpeed, policy: &JudgePolicy) -> Verdict {
    let refuse = |reason| Verdict::Refused { reason };
    if !evidence.pass && evidence.fail_withholds {
        return refuse(Refusal::Failed);
    }
    let Some(tokens) = evidence.credited_tokens() else {
        return refuse(Refusal::NoReceipt);
    };
    if tokens == 0 {
        return refuse(Refusal::NothingDelivered);
    }
    let elapsed = evidence.elapsed_ms;
    if speed.warmed(policy) {
        if let Some((num, den)) = speed.expected(tokens) {
            let hundred = U512::from(100);
            let factor = hundred + U512::from(policy.slower_percent);
            if hundred * U512::from(elapsed) * den > factor * num {
                let whole = |v: U512| u64::try_from(v).unwrap_or(u64::MAX);
                return refuse(Refusal::TooSlow {
                    elapsed_ms: elapsed,
                    expected_ms: whole(num / den),
                    limit_ms: whole(factor * num / (hundred * den)),
                });
            }
        }
    }
    let micros = u128::from(elapsed) * 1000 / u128::from(tokens);
    Verdict::Credited {
        tokens,
        wei: U256::from(tokens).saturating_mul(evidence.price_wei_per_token),
        micros_per_token: u64::try_from(micros).unwrap_or(u64::MAX),
    }
}

#[cfg(test)]
mod tests {
    use alloy_primitives::Address;

    use super::*;

    fn pass(tokens: u64, first_ms: u64, elapsed_ms: u64) -> Evidence {
        Evidence {
            token_max: 1_000,
            user_tokens: tokens,
            receipt_tokens: Some(tokens),
            first_token_ms: first_ms,
            elapsed_ms,
            pass: true,
            fail_withholds: true,
            price_wei_per_token: U256::from(7),
        }
    }

    /// A warm window of ten users: first 500 ms, then 20 ms per token, 100 tokens.
    fn warmed() -> ModelSpeed {
        let mut speed = ModelSpeed::new();
        for u in 0..10 {
            speed.enter(
                Address::repeat_byte(u),
                500,
                2_480,
                100,
                &JudgePolicy::default(),
            );
        }
        speed
    }

    fn judged(e: &Evidence, speed: &ModelSpeed) -> Verdict {
        judge(e, speed, &JudgePolicy::default())
    }

    #[test]
    fn the_defaults() {
        let p = JudgePolicy::default();
        assert_eq!(
            (p.slower_percent, p.window, p.warmup),
            (50, 100, 10),
            "SPEC 4 step 10"
        );
        assert!(!p.fail_needs_balance_over_stake);
        assert_eq!((p.backoff_fail_users, p.backoff_memory_seconds), (3, 300));
    }

    #[test]
    fn a_pass_credits_tokens_times_price_and_reports_its_speed() {
        assert_eq!(
            judged(&pass(100, 0, 2_000), &ModelSpeed::new()),
            Verdict::Credited {
                tokens: 100,
                wei: U256::from(700),
                micros_per_token: 20_000
            }
        );
    }

    #[test]
    fn a_fail_without_receipt_or_tokens_earns_nothing() {
        let mut e = pass(100, 0, 2_000);
        e.pass = false;
        let refused = |reason| Verdict::Refused { reason };
        assert_eq!(judged(&e, &warmed()), refused(Refusal::Failed));
        assert_eq!(e.window_sample(), None);
        let mut e = pass(100, 0, 2_000);
        e.receipt_tokens = None;
        assert_eq!(judged(&e, &warmed()), refused(Refusal::NoReceipt));
        assert_eq!(e.window_sample(), None);
        for (user, receipt, max) in [(0, 5, 5), (5, 0, 5), (5, 5, 0)] {
            let e = Evidence {
                token_max: max,
                user_tokens: user,
                receipt_tokens: Some(receipt),
                ..pass(0, 0, 10)
            };
            assert_eq!(judged(&e, &warmed()), refused(Refusal::NothingDelivered));
            assert_eq!(e.window_sample(), None);
        }
    }

    #[test]
    fn a_fail_that_does_not_withhold_is_judged_as_a_pass_but_enters_no_sample() {
        let e = Evidence {
            pass: false,
            fail_withholds: false,
            ..pass(100, 500, 2_480)
        };
        assert!(matches!(
            judged(&e, &warmed()),
            Verdict::Credited { tokens: 100, .. }
        ));
        assert_eq!(e.window_sample(), None);
        let slow = Evidence {
            elapsed_ms: 10_000,
            ..e
        };
        assert!(matches!(
            judged(&slow, &warmed()),
            Verdict::Refused {
                reason: Refusal::TooSlow { .. }
            }
        ));
    }

    #[test]
    fn credited_tokens_are_the_smallest_of_the_user_count_the_receipt_and_token_max() {
        for (user, receipt, max, want) in [(10, 20, 30, 10), (20, 10, 30, 10), (30, 20, 10, 10)] {
            let e = Evidence {
                token_max: max,
                user_tokens: user,
                receipt_tokens: Some(receipt),
                ..pass(0, 0, 1_000)
            };
            assert_eq!(e.credited_tokens(), Some(want));
            assert_eq!(e.window_sample(), Some((0, 1_000, want)));
            match judged(&e, &ModelSpeed::new()) {
                Verdict::Credited { tokens, wei, .. } => {
                    assert_eq!((tokens, wei), (want, U256::from(want * 7)));
                }
                other => panic!("expected a credit, got {other:?}"),
            }
        }
    }

    #[test]
    fn during_the_warm_up_pass_alone_decides_however_slow() {
        let mut speed = warmed();
        let p = JudgePolicy {
            warmup: 11,
            ..JudgePolicy::default()
        };
        assert!(!speed.warmed(&p));
        assert!(matches!(
            judge(&pass(1, 0, u64::MAX), &speed, &p),
            Verdict::Credited { .. }
        ));
        speed.enter(Address::repeat_byte(99), 500, 2_480, 100, &p);
        assert!(speed.warmed(&p));
    }

    #[test]
    fn at_exactly_the_limit_is_credited_one_ms_more_is_refused() {
        // E(100) = 500 + 99 * 20 = 2480 ms; the limit is 3720 ms.
        let speed = warmed();
        assert!(matches!(
            judged(&pass(100, 0, 3_720), &speed),
            Verdict::Credited { .. }
        ));
        assert_eq!(
            judged(&pass(100, 0, 3_721), &speed),
            Verdict::Refused {
                reason: Refusal::TooSlow {
                    elapsed_ms: 3_721,
                    expected_ms: 2_480,
                    limit_ms: 3_720
                }
            }
        );
    }

    #[test]
    fn the_time_to_first_token_is_counted_once_not_per_token() {
        // One token: E(1) = F = 500 ms, limit 750 ms, whatever the per-token time.
        let speed = warmed();
        assert!(matches!(
            judged(&pass(1, 700, 750), &speed),
            Verdict::Credited { .. }
        ));
        assert!(matches!(
            judged(&pass(1, 700, 751), &speed),
            Verdict::Refused { .. }
        ));
    }

    #[test]
    fn the_limit_is_exact_when_the_averages_are_not_whole_numbers() {
        // F = 1/3 ms, D = 0: E(n) = 1/3, limit 1/2 ms: 0 ms is credited, 1 ms is not.
        let mut speed = ModelSpeed::new();
        let p = JudgePolicy::default();
        for u in 0..3u8 {
            speed.enter(Address::repeat_byte(u), u64::from(u / 2), 1, 2, &p);
        }
        assert_eq!(speed.sums(), (1, 2, 3));
        let p = JudgePolicy { warmup: 3, ..p };
        assert!(speed.warmed(&p));
        // E(1) = 1/3 ms: 0 ms credited; 1 ms is over (100 * 1 * 3 * 3 > 150 * 3).
        assert!(matches!(
            judge(&pass(1, 0, 0), &speed, &p),
            Verdict::Credited { .. }
        ));
        assert_eq!(
            judge(&pass(1, 0, 1), &speed, &p),
            Verdict::Refused {
                reason: Refusal::TooSlow {
                    elapsed_ms: 1,
                    expected_ms: 0,
                    limit_ms: 0
                }
            }
        );
        // E(4) = 1/3 + 3 * 2/3 = 7/3 ms; limit 3.5 ms: 3 credited, 4 refused.
        assert!(matches!(
            judge(&pass(4, 0, 3), &speed, &p),
            Verdict::Credited { .. }
        ));
        assert!(matches!(
            judge(&pass(4, 0, 4), &speed, &p),
            Verdict::Refused { .. }
        ));
    }

    #[test]
    fn extreme_inputs_neither_panic_nor_overflow() {
        let policy = JudgePolicy {
            slower_percent: u64::MAX,
            window: 20,
            warmup: 10,
            ..JudgePolicy::default()
        };
        let mut speed = ModelSpeed::new();
        for u in 0..40u8 {
            speed.enter(
                Address::repeat_byte(u),
                u64::MAX,
                u64::MAX,
                u64::MAX,
                &policy,
            );
        }
        let e = Evidence {
            token_max: u64::MAX,
            user_tokens: u64::MAX,
            receipt_tokens: Some(u64::MAX),
            first_token_ms: u64::MAX,
            elapsed_ms: u64::MAX,
            pass: true,
            fail_withholds: true,
            price_wei_per_token: U256::MAX,
        };
        assert!(matches!(
            judge(&e, &speed, &policy),
            Verdict::Credited { wei: U256::MAX, .. }
        ));
        let strict = JudgePolicy {
            slower_percent: 0,
            ..policy
        };
        let mut fast = ModelSpeed::new();
        for u in 0..10u8 {
            fast.enter(Address::repeat_byte(u), 0, 0, 1, &strict);
        }
        assert!(matches!(
            judge(&e, &fast, &strict),
            Verdict::Refused {
                reason: Refusal::TooSlow { limit_ms: 0, .. }
            }
        ));
    }

    #[test]
    fn verdicts_serialize_with_an_outcome_and_a_reason_tag() {
        let v = Verdict::Refused {
            reason: Refusal::TooSlow {
                elapsed_ms: 3,
                expected_ms: 1,
                limit_ms: 2,
            },
        };
        let json = serde_json::to_value(&v).unwrap();
        assert_eq!(json["outcome"], "refused");
        assert_eq!(json["reason"]["reason"], "too_slow");
        assert_eq!(json["reason"]["expected_ms"], 1);
        assert_eq!(serde_json::from_value::<Verdict>(json).unwrap(), v);
    }
}
