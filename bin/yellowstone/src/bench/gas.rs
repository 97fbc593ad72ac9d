//! `yellowstone bench gas`: what settlement costs on-chain (GitHub issue 6), measured on the
//! embedded devnet running the real compiled contract Wasm.
//!
//! **Per inference.** For each K of `--inferences` (1, 100 and 10,000 by default), K
//! inferences are credited within one inference block through the router's own rules (signed
//! RFC, ticket, provider receipt, user report, judge: [`yellowstone_market::state::State`]), settled into
//! ONE epoch root by the router's settlement code and committed with the router's
//! [`Submitter`](yellowstone_chain::submit::Submitter); then every provider with new credit claims
//! its leaf with the router's proof. Gas per inference is `(commit + claims) / K`: the whole
//! on-chain cost of the block if every provider claims after every block (providers that claim
//! less often pay less, since claims are cumulative). The design goal is a commit whose gas
//! does not depend on K: a root is 32 bytes whatever it covers.
//!
//! **Per function.** Every external function of the ABI (`abi/IYellowstoneCompute.json`):
//! state-changing ones as real transactions with realistic arguments, views by
//! `eth_estimateGas` (which includes the 21,000 intrinsic gas of a transaction).
//!
//! Measurements are done in a steady state where it matters: the first root ever, the day's
//! first root (the lazy day roll, here with the day's bootstrap shares) and a provider's first
//! claim write fresh storage and cost more; they are reported as separate figures.
//!
//! **Setup.** A fresh devnet: 100,000 MOR funded, providers (development accounts 1 to 6)
//! staking 10,000 MOR each for a year, 20 users, 500 tokens per inference at 0.1 MOR per million
//! tokens, the router's default rules (12-second inference blocks), one router key (account 9)
//! submitting. The clock is moved to a fresh UTC day first, so the first root takes the day
//! roll and the measured blocks do not.
//!
//! | module | what it does |
//! |---|---|
//! | `market` | the router's state crediting inferences, its roots committed, providers claiming |
//! | `functions` | the ABI, transactions and view estimates recorded by function |
//! | `figures` | the measurements as [`Figure`]s, with goals and the Morpheus comparison |
//! | `capital` | the capital contract: gas per function (deployed, cached), size, Morpheus |
//!
//! Reproduce: `cargo run --release --bin yellowstone -- bench gas [--json]`; a reduced run
//! (`--inferences 1,10 --providers 3`) is the test `bin/yellowstone/tests/it/bench_gas.rs`.
//!
//! **MOR.** MOR is an EVM ERC-20 here as on Arbitrum (OpenZeppelin's `ERC20`,
//! `yellowstone_devnet::mor`), so the token transfers inside `fund`, `stake`, `claim` and
//! `withdraw` cost what they will in production, with no Stylus entry cost.
//!
//! **Goals** (issue 14): `commitEpoch` at most [`COMMIT_GOAL_DEPLOYED`] as deployed and
//! [`COMMIT_GOAL_CACHED`] cached; `claim` at most [`CLAIM_GOAL_DEPLOYED`] and
//! [`CLAIM_GOAL_CACHED`].
//!
//! **Cached program.** Last, the largest block is settled again with the compute contract in
//! Nitro's program cache (`ArbWasmCache.cacheProgram`, which on Arbitrum follows a
//! CacheManager bid, `scripts/deploy-stylus.sh --cache`): a call to a cached program pays its
//! small cached entry cost instead of the init cost (about 130 gas per KB of Wasm).
//!
//! **What the gas is.** Receipts' `gasUsed` on the devnet: an estimate of Nitro's L2 execution
//! gas (EVM gas plus Stylus ink / 10,000, see docs/DEVNET.md "Gas model"), with **no L1 data
//! (poster) fee**. The incumbent, Morpheus's compute market, spends about 936,000 gas on the two
//! transactions of one session (open about 496,000, close about 440,000).

mod capital;
mod figures;
mod functions;
mod settlement;

use std::{path::PathBuf, time::Duration};

use alloy_primitives::U256;
use anyhow::{bail, Context, Result};
use yellowstone_protocol::time::DAY;

use super::{push_flag, Figure};
use crate::demo::devnet::{dev_key, Devnet};
use alloy_sol_types::sol;
use functions::{Book, Measured};
use yellowstone_chain::{ChainClient, IYellowstoneCompute as I};
use yellowstone_devnet::chain::ARB_WASM_CACHE;

sol! {
    /// Nitro's program cache precompile (the devnet's chain owner stands in for its managers).
    interface IArbWasmCache {
        function cacheProgram(address addr) external;
    }
}
use settlement::{Round, Settlement};

/// Morpheus's gas for one session: open plus close.
pub const MORPHEUS_SESSION_GAS: u64 = 936_000;
/// The most one `commitEpoch` may cost as deployed (program not cached).
pub const COMMIT_GOAL_DEPLOYED: u64 = 80_000;
/// The most one `commitEpoch` may cost with the program cached.
pub const COMMIT_GOAL_CACHED: u64 = 60_000;
/// The most one `claim` may cost as deployed (program not cached).
pub const CLAIM_GOAL_DEPLOYED: u64 = 100_000;
/// The most one `claim` may cost with the program cached.
pub const CLAIM_GOAL_CACHED: u64 = 80_000;
/// How far commit gas may move between the smallest and the largest K and still count as
/// independent of the number of inferences, percent.
pub const INDEPENDENCE_PERCENT: f64 = 2.0;

/// MOR funded into the emission pool at the start.
const FUNDED_MOR: u64 = 100_000;
/// MOR each provider stakes (one-year lock).
const PROVIDER_STAKE_MOR: u64 = 10_000;
/// The most providers: development accounts 1 to 6 (0 owns and funds, 7 and 8 exercise the
/// lock, withdrawal and ownership functions, 9 is the router).
pub const MAX_PROVIDERS: u64 = 6;

/// Options of `yellowstone bench gas`.
#[derive(Debug, Clone, clap::Args)]
pub struct Options {
    /// Inferences per inference block to settle, one epoch root each (comma-separated).
    #[arg(long, value_delimiter = ',', default_value = "1,100,10000")]
    pub inferences: Vec<u64>,
    /// Staked providers sharing the inferences (each claims after each block it earned in).
    #[arg(long, default_value_t = MAX_PROVIDERS,
          value_parser = clap::value_parser!(u64).range(1..=MAX_PROVIDERS))]
    pub providers: u64,
    /// Directory of the contract artifacts (the .br files; missing ones are built).
    #[arg(long, value_name = "DIR", default_value_os_t = crate::demo::devnet::default_artifacts_dir())]
    pub artifacts_dir: PathBuf,
}

/// Runs the benchmark (on the current tokio runtime if there is one, which must then be
/// multi-threaded; else on a runtime of its own). Progress goes to stderr.
pub fn run(options: &Options) -> Result<Vec<Figure>> {
    match tokio::runtime::Handle::try_current() {
        Ok(handle) => tokio::task::block_in_place(|| handle.block_on(measure(options))),
        Err(_) => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .context("starting a tokio runtime")?
            .block_on(measure(options)),
    }
}

fn progress(text: impl AsRef<str>) {
    eprintln!("bench gas: {}", text.as_ref());
}

fn wei(mor: u64) -> U256 {
    U256::from(mor) * U256::from(10u64).pow(U256::from(18u64))
}

/// The command reproducing a run with `options`.
fn command(options: &Options) -> String {
    let mut out = String::from("yellowstone bench gas");
    if options.inferences != [1, 100, 10_000] {
        let list: Vec<String> = options.inferences.iter().map(u64::to_string).collect();
        out.push_str(&format!(" --inferences {}", list.join(",")));
    }
    push_flag(&mut out, "providers", options.providers, MAX_PROVIDERS);
    out
}

/// Everything measured, before it is turned into figures.
struct Measurements {
    /// The first root ever (also the day's first: day roll).
    first_commit: u64,
    /// Each provider's first claim.
    first_claims: Vec<u64>,
    /// One settled inference block per K.
    rounds: Vec<Round>,
    /// The first root of a later day: the day roll.
    day_commit: u64,
    /// The root that carries that day's bootstrap shares (the first ever here: its bootstrap
    /// words are written for the first time).
    bootstrap_commit: u64,
    /// Proof length of a provider's claim.
    proof_len: usize,
    /// Every external function.
    book: Book,
    /// An inference block settled with the compute contract in Nitro's program cache.
    cached: Round,
}

/// Measures everything on a fresh devnet: the async body of [`run`].
pub async fn measure(options: &Options) -> Result<Vec<Figure>> {
    if options.inferences.is_empty() || options.inferences.contains(&0) {
        bail!("--inferences needs at least one count, each above 0");
    }
    if !(1..=MAX_PROVIDERS).contains(&options.providers) {
        bail!("--providers must be 1 to {MAX_PROVIDERS}");
    }
    progress(format!(
        "deploying MOR and the compute contract from {}",
        options.artifacts_dir.display()
    ));
    let net = Devnet::start(options.artifacts_dir.clone()).await?;
    let measured = measure_on(&net, options).await;
    net.shutdown();
    let mut out = figures::figures(options, &measured?);
    out.extend(capital::figures(&options.artifacts_dir, &command(options)).await?);
    Ok(out)
}

async fn measure_on(net: &Devnet, options: &Options) -> Result<Measurements> {
    let compute = net.deployment.compute;
    let client = ChainClient::connect(&net.url(), compute, Duration::from_secs(30)).await?;
    let mut book = Book::new();

    progress("funding the pool and staking the providers");
    let owner = dev_key(0)?;
    functions::approve(net, &owner, wei(FUNDED_MOR)).await?;
    let first_fund = functions::send(
        net,
        &owner,
        I::fundCall {
            amount: wei(FUNDED_MOR),
        },
    )
    .await?;
    let now = net.now().await?;
    let providers = (1..=options.providers as usize)
        .map(dev_key)
        .collect::<Result<Vec<_>>>()?;
    let mut first_stake = 0;
    for (i, p) in providers.iter().enumerate() {
        functions::approve(net, p, wei(PROVIDER_STAKE_MOR)).await?;
        let call = I::stakeCall {
            amount: wei(PROVIDER_STAKE_MOR),
            lock_end: now + 365 * DAY,
        };
        let gas = functions::send(net, p, call).await?;
        if i == 0 {
            first_stake = gas;
        }
    }
    // Account 7 will extend its lock; account 8 will withdraw after a short lock.
    let (locker, leaver) = (dev_key(7)?, dev_key(8)?);
    functions::approve(net, &locker, wei(1_000)).await?;
    let call = I::stakeCall {
        amount: wei(1_000),
        lock_end: now + 30 * DAY,
    };
    functions::send(net, &locker, call).await?;
    functions::approve(net, &leaver, wei(1_000)).await?;
    let call = I::stakeCall {
        amount: wei(1_000),
        lock_end: now + 120,
    };
    functions::send(net, &leaver, call).await?;
    net.next_day().await?;

    let mut market = Settlement::new(net, client.clone(), providers.clone()).await?;
    progress(format!(
        "first root: one inference per provider ({} providers)",
        providers.len()
    ));
    market.serve(providers.len() as u64)?;
    let first_commit = market.settle(false).await?;
    let first_claims = market.claim_all().await?;

    let mut rounds = Vec::new();
    for &k in &options.inferences {
        progress(format!(
            "an inference block of {}: crediting",
            figures::count(k, "inference")
        ));
        let round = market.round(k).await?;
        progress(format!(
            "  commitEpoch {} gas; {}, {} gas in all",
            super::format_value(round.commit_gas as f64),
            figures::count(round.claims.len() as u64, "claim"),
            super::format_value(round.claims.iter().sum::<u64>() as f64)
        ));
        rounds.push(round);
    }
    let proof_len = market.proof_len(providers[0].address());

    progress("every other external function");
    functions::approve(net, &owner, wei(1_000)).await?;
    let note = format!(
        "a top-up of the pool (the first funding: {})",
        super::format_value(first_fund as f64)
    );
    functions::record(
        &mut book,
        net,
        &owner,
        I::fundCall { amount: wei(1_000) },
        note,
    )
    .await?;
    let p = &providers[0];
    let record = client.provider_record(p.address()).await?;
    functions::approve(net, p, wei(1_000)).await?;
    let call = I::stakeCall {
        amount: wei(1_000),
        lock_end: record.lock_end,
    };
    let top_up = functions::send(net, p, call).await?;
    let note = format!(
        "a provider's first stake, which registers it (a later top-up: {})",
        super::format_value(top_up as f64)
    );
    book.insert(
        "stake".into(),
        Measured {
            gas: first_stake,
            note,
        },
    );
    let call = I::lockClaimCall {
        new_end: net.now().await? + 365 * DAY,
    };
    let note = "a 30-day lock extended to one year";
    functions::record(&mut book, net, &locker, call, note).await?;
    functions::views(&mut book, net, p.address(), market.router()).await?;
    functions::owner_functions(&mut book, net).await?;
    net.advance(180).await?;
    let call = I::withdrawCall { amount: wei(400) };
    let note = "400 of 1,000 MOR staked, after the lock ended";
    functions::record(&mut book, net, &leaver, call, note).await?;

    progress(
        "a new UTC day: its first root (the day roll), then the root with its bootstrap shares",
    );
    net.next_day().await?;
    market.follow_chain().await?;
    market.serve(1)?;
    let day_commit = market.settle(true).await?;
    // The shares are credited in the block the day's first root closes, so the next root
    // carries them. Settling it here keeps the cached round below in the steady state.
    market.serve(1)?;
    let bootstrap_commit = market.settle(false).await?;

    // The same block with the compute contract in the program cache (ArbWasmCache; on
    // Arbitrum a CacheManager bid): each call then pays the cached entry cost instead of the
    // init cost. MOR is EVM code: there is nothing to cache.
    let k = options.inferences.iter().copied().max().unwrap_or(1);
    progress(format!(
        "{} with the compute contract cached",
        figures::count(k, "inference")
    ));
    let cache = IArbWasmCache::cacheProgramCall { addr: compute };
    net.send(&owner, ARB_WASM_CACHE, cache).await?;
    let cached = market.round(k).await?;

    Ok(Measurements {
        cached,
        first_commit,
        first_claims,
        rounds,
        day_commit,
        bootstrap_commit,
        proof_len,
        book,
    })
}
