//! The machine's limit (secp256k1 recoveries per second, on one core and on every core) and
//! the cryptographic floor of a request on one core (the CPU time of one recovery and of one
//! signing, with the router's own functions).

use std::{
    sync::atomic::{AtomicBool, AtomicU64, Ordering},
    time::{Duration, Instant},
};

use alloy_primitives::{keccak256, B256};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use yellowstone_market::{signatures::SignatureCounts, state::sign_digest};
use yellowstone_protocol::messages::{recover, signature_bytes};

use super::cpu;

/// secp256k1 recoveries per second, measured with the router's own function.
#[derive(Debug, Clone, Copy, Default, serde::Serialize, serde::Deserialize)]
pub struct Recoveries {
    /// On one thread.
    pub one_core: f64,
    /// On one thread per core.
    pub all_cores: f64,
    /// Threads of `all_cores`.
    pub cores: usize,
}

/// The CPU time of the signature work a request cannot do without, on one core.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Floor {
    /// One recovery ([`recover`], what every signed message the router accepts costs), in
    /// microseconds of the measuring thread's CPU time.
    pub recovery_us: f64,
    /// One signing ([`sign_digest`], what the router signs a ticket with), likewise.
    pub signing_us: f64,
}

impl Floor {
    /// An admission's floor: one recovery (the RFC) and one signing (the ticket).
    pub fn admission_us(&self) -> f64 {
        self.recovery_us + self.signing_us
    }

    /// A report's floor: one recovery (the report; the bench sends no receipt).
    pub fn report_us(&self) -> f64 {
        self.recovery_us
    }

    /// The mean of `floors` (zero for none).
    pub fn mean(floors: &[Floor]) -> Floor {
        let n = floors.len().max(1) as f64;
        Floor {
            recovery_us: floors.iter().map(|f| f.recovery_us).sum::<f64>() / n,
            signing_us: floors.iter().map(|f| f.signing_us).sum::<f64>() / n,
        }
    }
}

/// 64 digests and their signatures under a fixed key: what the limit and the floor recover.
fn samples() -> (PrivateKeySigner, Vec<(B256, Vec<u8>)>) {
    let key = PrivateKeySigner::from_bytes(&keccak256("yellowstone bench recover"))
        .expect("a fixed valid key");
    let samples = (0..64u64)
        .map(|n| {
            let digest = keccak256(n.to_be_bytes());
            let sig = key.sign_hash_sync(&digest).expect("signing");
            (digest, signature_bytes(&sig).to_vec())
        })
        .collect();
    (key, samples)
}

/// secp256k1 recoveries per second with [`recover`], the function behind every signature check
/// of the router: `seconds` on one thread, then `seconds` on one thread per core of `cores`,
/// each pinned to its core (every core this thread may use when `cores` is empty).
pub fn recoveries_per_second(seconds: f64, cores: &[usize]) -> Recoveries {
    let (_, samples) = samples();
    let cores: Vec<Option<usize>> = if cores.is_empty() {
        let n = std::thread::available_parallelism().map_or(1, |n| n.get());
        vec![None; n]
    } else {
        cores.iter().copied().map(Some).collect()
    };
    let duration = Duration::from_secs_f64(seconds.max(0.1));
    let rate = |threads: &[Option<usize>]| {
        let stop = AtomicBool::new(false);
        let done = AtomicU64::new(0);
        let start = Instant::now();
        std::thread::scope(|s| {
            for (t, core) in threads.iter().enumerate() {
                let (stop, done, samples) = (&stop, &done, &samples);
                s.spawn(move || {
                    if let Some(core) = core {
                        // Unpinned (and so still measured) where pinning is refused.
                        let _ = cpu::pin_thread(&[*core]);
                    }
                    let mut n = 0u64;
                    let mut i = t;
                    while !stop.load(Ordering::Relaxed) {
                        let (digest, sig) = &samples[i % samples.len()];
                        let signer = recover(*digest, sig);
                        std::hint::black_box(signer.is_ok());
                        n += 1;
                        i += 1;
                    }
                    done.fetch_add(n, Ordering::Relaxed);
                });
            }
            std::thread::sleep(duration);
            stop.store(true, Ordering::Relaxed);
        });
        done.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64()
    };
    Recoveries {
        one_core: rate(&cores[..1]),
        all_cores: rate(&cores),
        cores: cores.len(),
    }
}

/// The floor on the calling thread's core: recoveries for `seconds` of its CPU time, then
/// signings as long, each timed by the thread's own CPU clock (so another process taking the
/// core for a while does not count). Wall time where the CPU clock is unavailable.
pub fn floor(seconds: f64) -> Floor {
    let (key, samples) = samples();
    let counts = SignatureCounts::default();
    let budget = Duration::from_secs_f64(seconds.max(0.05) / 2.0);
    let now = || cpu::thread_cpu().unwrap_or_else(|| epoch().elapsed());
    let per_op_us = |op: &mut dyn FnMut(usize)| {
        let start = now();
        let mut n = 0usize;
        // Batches of 16 between clock reads: a read costs far less than an operation.
        while now() - start < budget {
            for _ in 0..16 {
                op(n);
                n += 1;
            }
        }
        (now() - start).as_secs_f64() * 1e6 / n as f64
    };
    let recovery_us = per_op_us(&mut |n| {
        let (digest, sig) = &samples[n % samples.len()];
        std::hint::black_box(recover(*digest, sig).is_ok());
    });
    let signing_us = per_op_us(&mut |n| {
        let (digest, _) = &samples[n % samples.len()];
        std::hint::black_box(sign_digest(&key, *digest, &counts).is_ok());
    });
    Floor {
        recovery_us,
        signing_us,
    }
}

/// A fixed instant, for the wall-clock fallback of [`floor`].
fn epoch() -> Instant {
    static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    *START.get_or_init(Instant::now)
}
