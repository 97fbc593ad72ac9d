//! The machine's limit: secp256k1 recoveries per second, on one core and on every core.

use std::{
    sync::atomic::{AtomicBool, AtomicU64, Ordering},
    time::{Duration, Instant},
};

use alloy_primitives::{keccak256, B256};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use yellowstone_protocol::messages::{recover, signature_bytes};

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

/// secp256k1 recoveries per second with [`recover`], the function behind every signature check
/// of the router: `seconds` on one thread, then `seconds` on one thread per core.
pub fn recoveries_per_second(seconds: f64) -> Recoveries {
    let key = PrivateKeySigner::from_bytes(&keccak256("yellowstone bench recover"))
        .expect("a fixed valid key");
    let samples: Vec<(B256, Vec<u8>)> = (0..64u64)
        .map(|n| {
            let digest = keccak256(n.to_be_bytes());
            let sig = key.sign_hash_sync(&digest).expect("signing");
            (digest, signature_bytes(&sig).to_vec())
        })
        .collect();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let duration = Duration::from_secs_f64(seconds.max(0.1));
    let rate = |threads: usize| {
        let stop = AtomicBool::new(false);
        let done = AtomicU64::new(0);
        let start = Instant::now();
        std::thread::scope(|s| {
            for t in 0..threads {
                let (stop, done, samples) = (&stop, &done, &samples);
                s.spawn(move || {
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
        one_core: rate(1),
        all_cores: rate(cores),
        cores,
    }
}
