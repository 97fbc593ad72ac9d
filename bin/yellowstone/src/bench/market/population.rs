//! Who takes part in the simulated market, and how fast the honest providers are.
//!
//! Speeds are drawn from log-normal distributions (a provider's own factor, then each answer's
//! jitter), answer lengths likewise; the draws use `f64` because they model the world, not
//! money: everything the market rules see is an integer millisecond or token count.

use alloy_primitives::{B256, U256};
use alloy_signer_local::PrivateKeySigner;

/// A seeded xorshift64* generator: the same seed replays the same market.
pub struct Rng(u64);

impl Rng {
    /// A generator from `seed` (0 is mapped to a fixed non-zero state).
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1).wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in (0, 1).
    pub fn unit(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    /// A standard normal draw (Box-Muller).
    pub fn normal(&mut self) -> f64 {
        let (a, b) = (self.unit(), self.unit());
        (-2.0 * a.ln()).sqrt() * (std::f64::consts::TAU * b).cos()
    }

    /// A log-normal factor with median 1 and shape `sigma`.
    pub fn log_normal(&mut self, sigma: f64) -> f64 {
        (sigma * self.normal()).exp()
    }

    /// Uniform in `0..n` (`n` > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
}

/// A key from an index (deterministic, never zero).
pub fn key(index: u64) -> PrivateKeySigner {
    let mut bytes = [0u8; 32];
    bytes[0] = 0x5e;
    bytes[24..].copy_from_slice(&index.to_be_bytes());
    PrivateKeySigner::from_bytes(&B256::from(bytes)).expect("a non-zero scalar below the order")
}

/// One honest provider: its speed relative to the model's median and its price.
pub struct Provider {
    /// Its key (signs bids, attestations and receipts).
    pub key: PrivateKeySigner,
    /// Its speed factor (log-normal, median 1): time to first token and per token scale by it.
    pub factor: f64,
    /// Wei per output token.
    pub price: U256,
}

/// How long one answer took and how long it is.
#[derive(Clone, Copy, Debug)]
pub struct Timing {
    /// Milliseconds from the prompt to the first token.
    pub first_ms: u64,
    /// Milliseconds from the prompt to the last token.
    pub elapsed_ms: u64,
    /// Output tokens.
    pub tokens: u64,
}

/// The model's service times at median speed.
#[derive(Clone, Copy, Debug)]
pub struct Speed {
    /// Median time to first token, ms.
    pub first_ms: f64,
    /// Median time per further token, ms.
    pub per_token_ms: f64,
    /// Each answer's own jitter around its provider's speed (log-normal shape).
    pub jitter: f64,
    /// Median answer length in tokens, and its log-normal shape.
    pub length: f64,
    /// Shape of the answer-length distribution.
    pub length_sigma: f64,
}

impl Speed {
    /// A realistic chat model: 400 ms to the first token, 25 ms a token, answers of a median
    /// 180 tokens (log-normal, shape 1), each answer within about 15% of its provider's speed.
    pub fn chat() -> Self {
        Self {
            first_ms: 400.0,
            per_token_ms: 25.0,
            jitter: 0.15,
            length: 180.0,
            length_sigma: 1.0,
        }
    }

    /// One answer of a provider with speed `factor`, at most `token_max` tokens, `slowdown`
    /// times slower than usual.
    pub fn answer(&self, rng: &mut Rng, factor: f64, slowdown: f64, token_max: u64) -> Timing {
        let tokens = (self.length * rng.log_normal(self.length_sigma))
            .round()
            .clamp(1.0, token_max as f64) as u64;
        let scale = factor * slowdown;
        let first = self.first_ms * scale * rng.log_normal(self.jitter);
        let per_token = self.per_token_ms * scale * rng.log_normal(self.jitter);
        let elapsed = first + per_token * (tokens - 1) as f64;
        Timing {
            first_ms: first.round() as u64,
            elapsed_ms: elapsed.round().max(first.round()) as u64,
            tokens,
        }
    }
}
