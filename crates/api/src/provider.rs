//! A provider as the router sees it: its on-chain record, its recent score and its back-off
//! (`GET /v1/providers/{address}`, and the router's selection state).

use alloy_primitives::U256;

/// On-chain record of one provider, from `provider(address)`. Fields in alphabetical order:
/// the order `GET /v1/providers/{address}` has always written them in.
#[derive(Clone, Debug, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct ProviderRecord {
    /// Wei paid out so far.
    pub claimed: U256,
    /// Cumulative earned + bootstrap as last proven by a claim.
    pub earned: U256,
    /// End of the current lock (unix seconds).
    pub lock_end: u64,
    /// Start of the current lock (unix seconds; the latest stake).
    pub lock_start: u64,
    /// MRC40 power multiplier of the current lock, 1e18 fixed point.
    pub multiplier: U256,
    /// Has staked at least once (registration is never undone).
    pub registered: bool,
    /// Staked MOR wei.
    pub stake: U256,
    /// Selection weight: `floor(stake * multiplier / 1e18)`.
    pub weight: U256,
}

/// A provider's recent record: passes and fails over its last judged reports (a sliding count
/// is the caller's business; here just the numbers). Fields in alphabetical order, as the
/// API has always written them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Score {
    /// Reports judged fail.
    pub fails: u64,
    /// Reports judged pass.
    pub passes: u64,
}

impl Score {
    /// Laplace-smoothed pass rate in per-mille: `(passes + 1) * 1000 / (passes + fails + 2)`,
    /// so a provider with no record scores 500 and a single report does not decide everything.
    pub fn permille(&self) -> u64 {
        let passes = u128::from(self.passes);
        let judged = passes + u128::from(self.fails);
        let permille = (passes + 1) * 1000 / (judged + 2);
        u64::try_from(permille).unwrap_or(1000)
    }

    /// How many reports were judged (saturating).
    pub fn judged(&self) -> u64 {
        self.passes.saturating_add(self.fails)
    }
}

/// Exponential back-off of a provider after failures (probe failures, failed reports):
/// `base * 2^(n-1)` seconds after `n` consecutive failures, capped; one success clears it.
///
/// Why: a provider that is down should not cost every user a probe, yet one that recovers
/// should come back soon. Fields in alphabetical order, as the API has always written them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Backoff {
    /// Consecutive failures.
    pub failures: u32,
    /// Unix seconds before which the provider is not offered.
    pub until: u64,
}

impl Backoff {
    /// Records a failure at `now`: the provider is out until `now + min(base * 2^(n-1), max)`.
    pub fn fail(&mut self, now: u64, base_secs: u64, max_secs: u64) {
        self.failures = self.failures.saturating_add(1);
        let doublings = self.failures - 1;
        let delay = 1u64
            .checked_shl(doublings)
            .map(|factor| base_secs.saturating_mul(factor))
            .unwrap_or(if base_secs == 0 { 0 } else { u64::MAX })
            .min(max_secs);
        self.until = now.saturating_add(delay);
    }

    /// Records a success: clears the back-off.
    pub fn succeed(&mut self) {
        *self = Self::default();
    }

    /// Whether the provider may be offered at `now`.
    pub fn available(&self, now: u64) -> bool {
        now >= self.until
    }
}
