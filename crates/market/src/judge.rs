//! Judging reports (SPEC section 4, step 10).
//!
//! "The router credits the provider `tokens * price` if the user reported pass and the
//! request's milliseconds per token is no more than X% worse than the average of the last Z
//! credited requests for that model (X and Z configurable; defaults 50% and 100; the first 10
//! requests of a model are judged on pass alone). Credited tokens are the smallest of the
//! user's count, the provider's receipt and TokenMax." A fail earns nothing.
//!
//! Speeds are kept in microseconds per token (floor of `elapsed_ms * 1000 / tokens`) so short
//! answers are not all rounded to the same millisecond. [`judge`] only reads a model's
//! [`ModelSpeed`]; the caller records the speed of a credited request, so judging is a pure
//! function that can be replayed.

use std::collections::VecDeque;

use alloy_primitives::U256;
pub use yellowstone_api::{Refusal, Verdict};

/// The credit rule's parameters: X (percent slower than the recent average still credited,
/// default 50), Z (window of recent credited requests per model, default 100), and the warm-up
/// (first requests judged on pass alone, default 10).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct JudgePolicy {
    /// X: how many percent slower than the recent average a credited request may be.
    pub slower_percent: u64,
    /// Z: how many recent credited requests of a model make its average.
    pub window: usize,
    /// How many credited requests a model needs before speed is judged at all.
    pub warmup: usize,
}

impl Default for JudgePolicy {
    /// SPEC 4 step 10's defaults: X = 50%, Z = 100, warm-up of 10 requests.
    fn default() -> Self {
        Self {
            slower_percent: 50,
            window: 100,
            warmup: 10,
        }
    }
}

/// Recent speeds of one model's credited requests, in microseconds per token.
///
/// A queue bounded by the policy's window plus its running sum (a `u128` holds the sum of
/// any number of `u64` samples a `usize` can count), so the average costs nothing to read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ModelSpeed {
    samples: VecDeque<u64>,
    sum: u128,
}

impl ModelSpeed {
    /// No history yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of speeds in the window.
    pub fn len(&self) -> usize {
        self.samples.len()
    }

    /// Whether the model has no credited request yet.
    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }

    /// The average speed over the window in microseconds per token, rounded down; `None`
    /// without history.
    pub fn average(&self) -> Option<u64> {
        let len = u128::try_from(self.samples.len()).ok().filter(|n| *n > 0)?;
        u64::try_from(self.sum / len).ok()
    }

    /// The exact sum of the speeds in the window.
    pub fn sum(&self) -> u128 {
        self.sum
    }

    /// Records a credited request's speed, dropping the oldest speeds beyond `policy.window`
    /// (a window of 0 keeps nothing, so every request is judged on pass alone).
    pub fn record(&mut self, micros_per_token: u64, policy: &JudgePolicy) {
        self.samples.push_back(micros_per_token);
        self.sum = self.sum.saturating_add(u128::from(micros_per_token));
        while self.samples.len() > policy.window {
            match self.samples.pop_front() {
                Some(old) => self.sum = self.sum.saturating_sub(u128::from(old)),
                None => break,
            }
        }
    }

    /// The speeds in the window, oldest first, for persistence: recording them in this order
    /// into a new [`ModelSpeed`] restores it.
    pub fn samples(&self) -> impl Iterator<Item = u64> + '_ {
        self.samples.iter().copied()
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
    /// Milliseconds from sending the prompt to the last token, from the user's report.
    pub elapsed_ms: u64,
    /// Whether the user reported pass.
    pub pass: bool,
    /// The ticket's price in wei per output token.
    pub price_wei_per_token: U256,
}

/// Judges a report: a fail earns nothing; credited tokens = min(user count, receipt, TokenMax)
/// (no receipt -> `NoReceipt`, zero -> `NothingDelivered`); speed = `elapsed_ms * 1000 /
/// credited tokens` (µs per token, floor); during warm-up (`speed.len() < policy.warmup`) pass
/// alone decides; after, credited only if `speed <= average * (100 + X) / 100`, computed
/// exactly in integers without dividing first: `speed * len * 100 <= sum * (100 + X)`.
///
/// Does not record the speed: on credit, the caller records `micros_per_token` into `speed`.
pub fn judge(evidence: &Evidence, speed: &ModelSpeed, policy: &JudgePolicy) -> Verdict {
    let refuse = |reason| Verdict::Refused { reason };
    if !evidence.pass {
        return refuse(Refusal::Failed);
    }
    let Some(receipt) = evidence.receipt_tokens else {
        return refuse(Refusal::NoReceipt);
    };
    let tokens = evidence.user_tokens.min(receipt).min(evidence.token_max);
    if tokens == 0 {
        return refuse(Refusal::NothingDelivered);
    }
    let micros = u128::from(evidence.elapsed_ms) * 1000 / u128::from(tokens);
    let micros_per_token = u64::try_from(micros).unwrap_or(u64::MAX);
    if speed.len() >= policy.warmup && !speed.is_empty() {
        // Every factor fits: speed < 2^64, len < 2^64, sum < 2^128, 100 + X < 2^65.
        let len = U256::from(speed.len());
        let sum = U256::from(speed.sum);
        let factor = U256::from(policy.slower_percent).saturating_add(U256::from(100));
        let lhs = U256::from(micros_per_token)
            .saturating_mul(len)
            .saturating_mul(U256::from(100));
        let rhs = sum.saturating_mul(factor);
        if lhs > rhs {
            let limit = rhs
                .checked_div(len.saturating_mul(U256::from(100)))
                .unwrap_or_default();
            return refuse(Refusal::TooSlow {
                micros_per_token,
                average: speed.average().unwrap_or(u64::MAX),
                limit: u64::try_from(limit).unwrap_or(u64::MAX),
            });
        }
    }
    Verdict::Credited {
        tokens,
        wei: U256::from(tokens).saturating_mul(evidence.price_wei_per_token),
        micros_per_token,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pass(tokens: u64, elapsed_ms: u64) -> Evidence {
        Evidence {
            token_max: 1_000,
            user_tokens: tokens,
            receipt_tokens: Some(tokens),
            elapsed_ms,
            pass: true,
            price_wei_per_token: U256::from(7),
        }
    }

    /// A model whose window holds `n` requests at `micros` µs per token.
    fn warmed(n: usize, micros: u64) -> ModelSpeed {
        let mut speed = ModelSpeed::new();
        for _ in 0..n {
            speed.record(micros, &JudgePolicy::default());
        }
        speed
    }

    fn credited_micros(verdict: &Verdict) -> Option<u64> {
        match verdict {
            Verdict::Credited {
                micros_per_token, ..
            } => Some(*micros_per_token),
            Verdict::Refused { .. } => None,
        }
    }

    #[test]
    fn the_defaults_are_fifty_percent_over_a_hundred_requests_after_ten() {
        assert_eq!(
            JudgePolicy::default(),
            JudgePolicy {
                slower_percent: 50,
                window: 100,
                warmup: 10
            }
        );
    }

    #[test]
    fn a_pass_credits_tokens_times_price() {
        let verdict = judge(
            &pass(100, 2_000),
            &ModelSpeed::new(),
            &JudgePolicy::default(),
        );
        assert_eq!(
            verdict,
            Verdict::Credited {
                tokens: 100,
                wei: U256::from(700),
                micros_per_token: 20_000
            }
        );
    }

    #[test]
    fn a_fail_earns_nothing() {
        let mut e = pass(100, 2_000);
        e.pass = false;
        let verdict = judge(&e, &ModelSpeed::new(), &JudgePolicy::default());
        assert_eq!(
            verdict,
            Verdict::Refused {
                reason: Refusal::Failed
            }
        );
    }

    #[test]
    fn a_report_without_a_receipt_earns_nothing() {
        let mut e = pass(100, 2_000);
        e.receipt_tokens = None;
        let verdict = judge(&e, &ModelSpeed::new(), &JudgePolicy::default());
        assert_eq!(
            verdict,
            Verdict::Refused {
                reason: Refusal::NoReceipt
            }
        );
    }

    #[test]
    fn zero_credited_tokens_earn_nothing() {
        for (user, receipt, max) in [(0, 5, 5), (5, 0, 5), (5, 5, 0)] {
            let e = Evidence {
                token_max: max,
                user_tokens: user,
                receipt_tokens: Some(receipt),
                ..pass(0, 10)
            };
            assert_eq!(
                judge(&e, &ModelSpeed::new(), &JudgePolicy::default()),
                Verdict::Refused {
                    reason: Refusal::NothingDelivered
                }
            );
        }
    }

    #[test]
    fn credited_tokens_are_the_smallest_of_the_user_count_the_receipt_and_token_max() {
        for (user, receipt, max, want) in [(10, 20, 30, 10), (20, 10, 30, 10), (30, 20, 10, 10)] {
            let e = Evidence {
                token_max: max,
                user_tokens: user,
                receipt_tokens: Some(receipt),
                ..pass(0, 1_000)
            };
            match judge(&e, &ModelSpeed::new(), &JudgePolicy::default()) {
                Verdict::Credited { tokens, wei, .. } => {
                    assert_eq!(tokens, want);
                    assert_eq!(wei, U256::from(want * 7));
                }
                other => panic!("expected a credit, got {other:?}"),
            }
        }
    }

    #[test]
    fn a_user_reporting_more_tokens_than_delivered_gets_the_receipts_count() {
        let e = Evidence {
            user_tokens: 900,
            receipt_tokens: Some(300),
            ..pass(0, 3_000)
        };
        let verdict = judge(&e, &ModelSpeed::new(), &JudgePolicy::default());
        assert_eq!(
            verdict,
            Verdict::Credited {
                tokens: 300,
                wei: U256::from(2_100),
                micros_per_token: 10_000
            }
        );
    }

    #[test]
    fn during_warm_up_pass_alone_decides_however_slow() {
        let speed = warmed(9, 1);
        let verdict = judge(&pass(1, 1_000_000), &speed, &JudgePolicy::default());
        assert_eq!(credited_micros(&verdict), Some(1_000_000_000));
    }

    #[test]
    fn after_warm_up_a_pass_at_exactly_the_limit_is_credited() {
        // Average 1000 µs/token, X = 50%: the limit is 1500 µs/token = 150 ms for 100 tokens.
        let speed = warmed(10, 1_000);
        let verdict = judge(&pass(100, 150), &speed, &JudgePolicy::default());
        assert_eq!(credited_micros(&verdict), Some(1_500));
    }

    #[test]
    fn one_microsecond_per_token_slower_than_the_limit_is_refused() {
        // 1501 µs per token: 1501 ms for 1000 tokens.
        let speed = warmed(10, 1_000);
        let e = Evidence {
            token_max: 1_000,
            ..pass(1_000, 1_501)
        };
        assert_eq!(
            judge(&e, &speed, &JudgePolicy::default()),
            Verdict::Refused {
                reason: Refusal::TooSlow {
                    micros_per_token: 1_501,
                    average: 1_000,
                    limit: 1_500
                }
            }
        );
    }

    #[test]
    fn the_limit_is_exact_when_the_average_is_not_a_whole_number() {
        // Speeds 1 and 2 (x5 each): average 1.5, limit 2.25; 2 passes, 3 is refused.
        let mut speed = ModelSpeed::new();
        for i in 0..10 {
            speed.record(1 + i % 2, &JudgePolicy::default());
        }
        let policy = JudgePolicy::default();
        let at = |micros: u64| Evidence {
            token_max: 1_000,
            ..pass(1_000, micros)
        };
        assert_eq!(credited_micros(&judge(&at(2), &speed, &policy)), Some(2));
        assert_eq!(
            judge(&at(3), &speed, &policy),
            Verdict::Refused {
                reason: Refusal::TooSlow {
                    micros_per_token: 3,
                    average: 1,
                    limit: 2
                }
            }
        );
    }

    #[test]
    fn faster_than_average_is_always_credited_after_warm_up() {
        let speed = warmed(100, 5_000);
        let verdict = judge(&pass(100, 1), &speed, &JudgePolicy::default());
        assert_eq!(credited_micros(&verdict), Some(10));
    }

    #[test]
    fn a_zero_warm_up_with_no_history_credits_on_pass() {
        let policy = JudgePolicy {
            warmup: 0,
            ..JudgePolicy::default()
        };
        let verdict = judge(&pass(10, 10_000), &ModelSpeed::new(), &policy);
        assert_eq!(credited_micros(&verdict), Some(1_000_000));
    }

    #[test]
    fn the_window_slides_dropping_the_oldest_and_keeping_the_sum_consistent() {
        let policy = JudgePolicy {
            window: 3,
            ..JudgePolicy::default()
        };
        let mut speed = ModelSpeed::new();
        for micros in [10, 20, 30, 40, 50] {
            speed.record(micros, &policy);
            let samples: Vec<u64> = speed.samples().collect();
            assert!(samples.len() <= 3);
            assert_eq!(
                speed.sum(),
                samples.iter().map(|s| u128::from(*s)).sum::<u128>()
            );
        }
        assert_eq!(speed.samples().collect::<Vec<_>>(), vec![30, 40, 50]);
        assert_eq!(speed.average(), Some(40));
        assert_eq!(speed.len(), 3);
    }

    #[test]
    fn samples_restore_a_model_speed_in_order() {
        let policy = JudgePolicy::default();
        let mut speed = ModelSpeed::new();
        for micros in 0..150u64 {
            speed.record(micros * 3, &policy);
        }
        let mut restored = ModelSpeed::new();
        for micros in speed.samples() {
            restored.record(micros, &policy);
        }
        assert_eq!(restored, speed);
    }

    #[test]
    fn extreme_inputs_neither_panic_nor_overflow() {
        let mut speed = ModelSpeed::new();
        let policy = JudgePolicy {
            slower_percent: u64::MAX,
            window: 20,
            warmup: 10,
        };
        for _ in 0..20 {
            speed.record(u64::MAX, &policy);
        }
        assert_eq!(speed.average(), Some(u64::MAX));
        let e = Evidence {
            token_max: u64::MAX,
            user_tokens: 1,
            receipt_tokens: Some(u64::MAX),
            elapsed_ms: u64::MAX,
            pass: true,
            price_wei_per_token: U256::MAX,
        };
        assert!(matches!(
            judge(&e, &speed, &policy),
            Verdict::Credited {
                tokens: 1,
                micros_per_token: u64::MAX,
                ..
            }
        ));
        let strict = JudgePolicy {
            slower_percent: 0,
            ..policy
        };
        let fast = warmed(10, 0);
        assert!(matches!(
            judge(&e, &fast, &strict),
            Verdict::Refused {
                reason: Refusal::TooSlow { limit: 0, .. }
            }
        ));
    }

    #[test]
    fn verdicts_serialize_with_an_outcome_and_a_reason_tag() {
        let v = Verdict::Refused {
            reason: Refusal::TooSlow {
                micros_per_token: 3,
                average: 1,
                limit: 2,
            },
        };
        let json = serde_json::to_value(&v).unwrap();
        assert_eq!(json["outcome"], "refused");
        assert_eq!(json["reason"]["reason"], "too_slow");
        assert_eq!(serde_json::from_value::<Verdict>(json).unwrap(), v);
    }
}
