//! The clients' side of the scale bench: deterministic keys, the signing domain, and every
//! message a provider or user signs, made on every core (signing is the clients' work, not the
//! router's, so it is kept apart from what is measured of the router).

use alloy_primitives::{keccak256, Address, U256};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::Eip712Domain;
use yellowstone_protocol::{
    eip712::types::domain,
    messages::{request_id, Party, Receipt, Report, Rfc, Signed},
    time::DAY,
};

use yellowstone_market::allowance::Allowance;

use yellowstone_market::records::AllowanceRecord;

/// The models bid for (one per provider, round robin).
pub const MODELS: [&str; 4] = [
    "llama-3.3-70b-instruct",
    "qwen-2.5-72b-instruct",
    "mistral-small-24b",
    "deepseek-r1-distill-32b",
];

/// The start of the simulated day's traffic: 2026-01-15 01:00 UTC.
pub const DAY_START: u64 = 20_468 * DAY + 3_600;

/// Users admitted per simulated second.
const USERS_PER_SECOND: u64 = 100;

/// Tokens per request: asked, delivered and reported.
const TOKEN_MAX: u64 = 1_000;
const TOKENS: u64 = 600;

/// A deterministic key for party `index` of `kind`.
pub fn key(kind: &str, index: u64) -> PrivateKeySigner {
    let mut counter = 0u64;
    loop {
        let seed = keccak256(format!("yellowstone bench {kind} {index} {counter}"));
        if let Ok(key) = PrivateKeySigner::from_bytes(&seed) {
            return key;
        }
        counter += 1;
    }
}

/// The bench's signing domain (a devnet chain id and a made-up compute contract).
pub fn bench_domain() -> Eip712Domain {
    domain(31_337, Address::repeat_byte(0xc0))
}

/// Signs `message` with `key` under `domain`.
pub fn sign<T: Party>(key: &PrivateKeySigner, message: T, domain: &Eip712Domain) -> Signed<T> {
    Signed::sign(message, key, domain).expect("a local key signs")
}

/// One user's messages, signed ahead (the client's side).
pub struct UserMessages {
    /// The allowance the router computes from the user's snapshot balance.
    pub allowance: AllowanceRecord,
    /// The user's RFC.
    pub rfc: Signed<Rfc>,
    /// The provider's receipt for it.
    pub receipt: Signed<Receipt>,
    /// The user's report.
    pub report: Signed<Report>,
    /// The provider the router issues the ticket to.
    pub provider: Address,
    /// When the router handles it (unix seconds).
    pub now: u64,
}

/// When user `index` is admitted.
pub fn time_of(index: u64) -> u64 {
    DAY_START + index / USERS_PER_SECOND
}

/// Signs user `index`'s RFC, the provider's receipt and the user's report.
pub fn user_messages(
    index: u64,
    providers: &[PrivateKeySigner],
    domain: &Eip712Domain,
) -> UserMessages {
    let user = key("user", index);
    let now = time_of(index);
    let p = (index % providers.len() as u64) as usize;
    let provider = &providers[p];
    let rfc = Rfc {
        user: user.address(),
        model: MODELS[p % MODELS.len()].to_string(),
        tokenMax: TOKEN_MAX,
        nonce: index,
        deadline: now + 300,
    };
    let id = request_id(&rfc, domain);
    let receipt = Receipt {
        requestId: id,
        provider: provider.address(),
        tokens: TOKENS,
    };
    let report = Report {
        requestId: id,
        user: user.address(),
        firstTokenMs: 150,
        elapsedMs: 900,
        tokens: TOKENS,
        pass: true,
    };
    // Balances from 1 to 1,000 MOR; 1,500 tokens per MOR per day (SPEC 3's example rate), in
    // wei at 2 gwei per token (above every bench bid, so a request always fits).
    let mor = 1 + index % 1_000;
    let price = U256::from(2_000_000_000u64);
    UserMessages {
        allowance: AllowanceRecord {
            day: now / DAY,
            user: user.address(),
            balance: U256::from(mor) * U256::from(10u64).pow(U256::from(18)),
            price,
            allowance: Allowance {
                allowance: U256::from(mor * 1_500) * price,
                used: U256::ZERO,
                held: U256::ZERO,
            },
        },
        rfc: sign(&user, rfc, domain),
        receipt: sign(provider, receipt, domain),
        report: sign(&user, report, domain),
        provider: provider.address(),
        now,
    }
}

/// Runs `f(i)` for `i` in `range` on `threads` threads, results in order.
pub fn parallel<T: Send>(
    range: std::ops::Range<u64>,
    threads: usize,
    f: impl Fn(u64) -> T + Sync,
) -> Vec<T> {
    let len = (range.end - range.start) as usize;
    let per = len.div_ceil(threads.max(1)).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads.max(1))
            .map(|t| {
                let lo = range.start + (t * per).min(len) as u64;
                let hi = range.start + ((t + 1) * per).min(len) as u64;
                let f = &f;
                scope.spawn(move || (lo..hi).map(f).collect::<Vec<T>>())
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("a signing thread panicked"))
            .collect()
    })
}
