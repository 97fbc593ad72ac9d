//! `yellowstone demo`: the whole market in one process. The embedded devnet with the real
//! contracts; the capital side funding the compute contract (capital providers' stETH, its
//! yield harvested into protocol-owned liquidity, the compute bucket's emission forwarded);
//! three providers (real gateways in front of a word generator) with different prices, stakes
//! and locks, the router, and many users chatting at once; then settlement across inference
//! blocks and a UTC day boundary, the providers' and capital providers' claims, and a check
//! that the books of both contracts balance to the wei.
//!
//! | module | what it does |
//! |---|---|
//! | [`devnet`] | the chain, its deployment, the demo's own transactions and time travel |
//! | [`capital`] | the capital side: deposits, rebases, bootstrap, harvest, compute funding, claims |
//! | [`capital_report`] | the capital table and its books |
//! | [`providers`] | the providers: generator, gateway, attestation and bid |
//! | [`users`] | the users chatting concurrently, and the tally of verdicts |
//! | [`report`] | the final report, its text and the books' check |

pub mod capital;
pub mod capital_report;
pub mod devnet;
pub mod providers;
pub mod report;
pub mod users;

use std::{
    path::PathBuf,
    time::{Duration, Instant},
};

use alloy_primitives::{keccak256, U256};
use alloy_signer_local::PrivateKeySigner;
use anyhow::{bail, Context, Result};

use yellowstone_chain::{ChainClient, IYellowstoneCompute as I};

use yellowstone_client::router::RouterClient;

use yellowstone_router::config::Config;

use devnet::{dev_key, Devnet};
use providers::{Provider, SPECS};
use report::{DemoReport, ProviderRow, Settlement, Urls};
use users::{SharedTally, Tally};
use yellowstone_router::server::{start, Running};

/// MOR each user made beyond the development accounts receives.
const USER_MOR: u64 = 50_000;
/// Development accounts that chat (4 to 8); further users are fresh keys.
const DEV_USERS: [usize; 5] = [4, 5, 6, 7, 8];
/// The longest wait for the router to commit what it owes.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(120);

/// How to run the demo.
#[derive(Clone, Debug)]
pub struct DemoOptions {
    /// Users chatting at once.
    pub users: u64,
    /// Requests in all.
    pub requests: u64,
    /// Seconds per inference block.
    pub block_seconds: u64,
    /// The router's database (`None`: a fresh one in the temporary directory).
    pub database: Option<PathBuf>,
    /// Where the contract artifacts are (missing ones are built).
    pub artifacts_dir: PathBuf,
}

/// How far the demo has got, handed to the progress callback about once a second.
#[derive(Clone, Debug, Default)]
pub struct Progress {
    /// What it is doing.
    pub phase: &'static str,
    /// Requests finished.
    pub done: u64,
    /// Requests in all.
    pub requests: u64,
    /// Wei credited so far.
    pub credited: U256,
    /// The latest epoch committed.
    pub epochs: u64,
}

/// A finished demo: the report, and its services still running.
pub struct Demo {
    /// What happened.
    pub report: DemoReport,
    net: Devnet,
    router: Running,
    providers: Vec<Provider>,
}

impl Demo {
    /// The providers' gateway URLs, by name.
    pub fn gateways(&self) -> Vec<(&'static str, String)> {
        self.providers
            .iter()
            .map(|p| (p.spec.name, p.url()))
            .collect()
    }

    /// Stops the gateways, the router and the devnet at once (a finished run, nothing in flight).
    pub fn stop(self) {
        self.providers.into_iter().for_each(Provider::kill);
        self.router.kill();
        self.net.shutdown();
    }

    /// Stops as a service stops: each gateway, then the router, lets what is in flight finish
    /// for up to `drain` (receipts posted, answers committed); then the devnet.
    pub async fn shutdown(self, drain: Duration) {
        for provider in self.providers {
            provider.shutdown(drain).await;
        }
        self.router.shutdown(drain).await;
        self.net.shutdown();
    }
}

fn wei(mor: u64) -> U256 {
    U256::from(mor) * U256::from(10u64).pow(U256::from(18))
}

/// The latest committed epoch, its cumulative work and bootstrap credit, and the number of
/// credits still pending.
fn committed(router: &Running) -> (u64, U256, U256, usize) {
    let state = router.router.state();
    let (epoch, credited, bootstrap) = state.committed().map_or((0, U256::ZERO, U256::ZERO), |e| {
        (e.epoch, e.cumulative_credited, e.cumulative_bootstrap)
    });
    (epoch, credited, bootstrap, state.pending_credit().1)
}

/// Runs the demo; `progress` hears how far it has got. The report says whether the books
/// balance; an error means the demo could not finish.
pub async fn run(options: DemoOptions, mut progress: impl FnMut(&Progress)) -> Result<Demo> {
    let started = Instant::now();
    let mut p = Progress {
        phase: "deploying MOR, the compute and capital contracts",
        requests: options.requests,
        ..Progress::default()
    };
    progress(&p);
    let net = Devnet::start_with_capital(options.artifacts_dir.clone(), capital::config()).await?;
    let funder = dev_key(0)?;
    p.phase = "capital: deposits, rebases, harvest, fundCompute";
    progress(&p);
    let side = capital::fund_compute(&net).await?;
    p.phase = "staking providers, paying users";
    progress(&p);
    let now = net.now().await?;
    for spec in SPECS {
        let lock_end = now + spec.lock_days * 86_400;
        net.stake(&dev_key(spec.account)?, wei(spec.stake), lock_end)
            .await?;
    }
    let users = make_users(&net, &funder, options.users).await?;
    // The day's balance snapshot must see the minted, staked and transferred MOR.
    net.next_day().await?;

    p.phase = "starting the router and the providers";
    progress(&p);
    let router = start_router(&net, &options).await?;
    let client = RouterClient::new(&router.url());
    let chain_now = net.now().await?;
    let mut providers = Vec::new();
    for spec in SPECS {
        let provider = providers::start(spec, &net, &router.url(), chain_now).await?;
        providers::join(&provider, &client).await?;
        providers.push(provider);
    }

    p.phase = "users chatting";
    let tally = SharedTally::default();
    let mut tasks = users::spawn(&client, users, options.requests, &tally);
    loop {
        tokio::select! {
            next = tasks.join_next() => match next {
                Some(joined) => joined.context("a user's task failed")?,
                None => break,
            },
            _ = tokio::time::sleep(Duration::from_secs(1)) => {
                tick(&mut p, &tally, &router);
                progress(&p);
            }
        }
    }
    let tally = users::snapshot(&tally);

    p.phase = "settling the day's inference blocks";
    wait(
        &mut p,
        &tally,
        &router,
        &mut progress,
        |(_, credited, _, pending)| pending == 0 && credited == tally.credited(),
    )
    .await?;
    let chain = router.router.chain().clone();
    let work_day = chain.settlement_view().await?;
    let epochs_before_midnight = committed(&router).0;

    p.phase = "crossing midnight: bootstrap shares";
    net.next_day().await?;
    wait(
        &mut p,
        &tally,
        &router,
        &mut progress,
        |(_, _, bootstrap, pending)| pending == 0 && !bootstrap.is_zero(),
    )
    .await?;

    p.phase = "providers claiming";
    progress(&p);
    let mut rows = Vec::new();
    for provider in &providers {
        rows.push(claim(&net, &client, &chain, &router, provider, &tally).await?);
    }
    let settlement = settle(
        &net,
        &chain,
        &router,
        &rows,
        &tally,
        work_day,
        epochs_before_midnight,
    )
    .await?;
    p.phase = "capital providers claiming";
    progress(&p);
    let capital = capital::settle(&net, &side, settlement.funded).await?;
    let report = DemoReport {
        users: options.users,
        requests: options.requests,
        errors: tally.errors.clone(),
        failed_refused: tally.failed_refused,
        providers: rows,
        settlement,
        capital,
        urls: Urls {
            rpc: net.url(),
            router: router.url(),
            compute: net.deployment.compute,
            mor: net.deployment.mor,
            capital: side.providers[0].client.config().capital,
        },
        seconds: started.elapsed().as_secs(),
    };
    Ok(Demo {
        report,
        net,
        router,
        providers,
    })
}

/// The development users, then fresh keys paid `USER_MOR` each, `count` in all.
async fn make_users(
    net: &Devnet,
    funder: &PrivateKeySigner,
    count: u64,
) -> Result<Vec<PrivateKeySigner>> {
    let mut users = Vec::new();
    for n in 0..count {
        let key = match DEV_USERS.get(n as usize) {
            Some(account) => dev_key(*account)?,
            None => {
                let seed = keccak256(format!("yellowstone demo user {n}"));
                let key = PrivateKeySigner::from_bytes(&seed).context("a user key")?;
                net.transfer(funder, key.address(), wei(USER_MOR)).await?;
                key
            }
        };
        users.push(key);
    }
    Ok(users)
}

async fn start_router(net: &Devnet, options: &DemoOptions) -> Result<Running> {
    let database = match &options.database {
        Some(path) => path.clone(),
        None => {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)?
                .as_nanos();
            let dir = std::env::temp_dir()
                .join(format!("yellowstone-demo-{}-{nanos}", std::process::id()));
            std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
            dir.join("router.db")
        }
    };
    let mut config = Config {
        listen: ([127, 0, 0, 1], 0).into(),
        rpc_url: net.url(),
        contract: Some(net.deployment.compute),
        database,
        chain_clock: true,
        ..Config::default()
    };
    config.rules.block_seconds = options.block_seconds;
    config.service.probe_cache_ms = 500;
    let key = dev_key(net_router_account(net)?)?;
    start(&config, key).await
}

/// The development account whose key the deployment authorised as the router.
fn net_router_account(net: &Devnet) -> Result<usize> {
    yellowstone_devnet::chain::DEV_ACCOUNTS
        .iter()
        .position(|a| a.address == net.deployment.router_key.address)
        .context("the router key is not a development account")
}

fn tick(p: &mut Progress, tally: &SharedTally, router: &Running) {
    let t = users::snapshot(tally);
    p.done = t.done;
    p.credited = t.credited();
    p.epochs = committed(router).0;
}

/// Waits until the router's committed state passes `done`, reporting progress each second.
async fn wait(
    p: &mut Progress,
    tally: &Tally,
    router: &Running,
    progress: &mut impl FnMut(&Progress),
    done: impl Fn((u64, U256, U256, usize)) -> bool,
) -> Result<()> {
    let deadline = Instant::now() + SETTLE_TIMEOUT;
    p.done = tally.done;
    p.credited = tally.credited();
    let mut last = Instant::now();
    progress(p);
    loop {
        let now = committed(router);
        p.epochs = now.0;
        if done(now) {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!(
                "{}: not done after {SETTLE_TIMEOUT:?} (committed {now:?})",
                p.phase
            );
        }
        if last.elapsed() >= Duration::from_secs(1) {
            last = Instant::now();
            progress(p);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The provider claims with the router's proof; its row of the report.
async fn claim(
    net: &Devnet,
    client: &RouterClient,
    chain: &ChainClient,
    router: &Running,
    provider: &Provider,
    tally: &Tally,
) -> Result<ProviderRow> {
    let who = provider.address();
    let served = tally.providers.get(&who).cloned().unwrap_or_default();
    let leaf = router.router.state().committed_leaf(who);
    let (committed, bootstrap) = leaf.unwrap_or_default();
    let (claimed, claim_gas) = match leaf {
        Some(_) => {
            let proof = client.proof(who).await?;
            let before = chain.provider_record(who).await?.claimed;
            let call = I::claimCall {
                provider: who,
                cumulative_earned: proof.cumulative_earned,
                cumulative_bootstrap: proof.cumulative_bootstrap,
                proof: proof.proof,
            };
            let receipt = net
                .send(&provider.key, net.deployment.compute, call)
                .await?;
            let after = chain.provider_record(who).await?.claimed;
            (after - before, receipt.gas_used)
        }
        None => (U256::ZERO, 0),
    };
    let record = chain.provider_record(who).await?;
    Ok(ProviderRow {
        name: provider.spec.name.into(),
        address: who,
        endpoint: provider.url(),
        price: U256::from(provider.spec.price),
        stake: record.stake,
        lock_days: provider.spec.lock_days,
        multiplier: record.multiplier,
        slow: provider.spec.token_delay_ms >= providers::SLOW_TOKEN_DELAY_MS,
        requests: served.requests,
        refused: served.refused,
        too_slow: served.too_slow,
        tokens: served.tokens,
        credited: served.credited,
        committed,
        bootstrap,
        claimed,
        claim_gas,
    })
}

/// The settlement figures: epochs and their gas from the router's records, totals and the
/// contract's balance from the chain.
async fn settle(
    net: &Devnet,
    chain: &ChainClient,
    router: &Running,
    rows: &[ProviderRow],
    tally: &Tally,
    work_day: yellowstone_chain::SettlementView,
    epochs_before_midnight: u64,
) -> Result<Settlement> {
    let epochs = committed(router).0;
    let mut epoch_gas = 0;
    for n in 1..=epochs {
        let record = router
            .router
            .store()
            .epoch(n)?
            .with_context(|| format!("epoch {n}"))?;
        epoch_gas += record.mined.map_or(0, |(_, gas)| gas);
    }
    let view = chain.settlement_view().await?;
    let contract_balance = chain
        .mor_balance_at(net.deployment.compute, view.block)
        .await?;
    let claims = rows.iter().filter(|r| r.claim_gas > 0).count() as u64;
    let inferences = tally
        .providers
        .values()
        .map(|s| s.requests - s.refused)
        .sum();
    Ok(Settlement {
        epochs,
        epochs_before_midnight,
        epoch_gas,
        claims,
        claim_gas: rows.iter().map(|r| r.claim_gas).sum(),
        inferences,
        daily_cap: work_day.daily_cap,
        credited_on_work_day: work_day.credited_today,
        funded: view.total_funded,
        staked: view.total_staked,
        credited: view.cumulative_credited,
        bootstrap: view.cumulative_bootstrap,
        claimed: view.total_claimed,
        contract_balance,
    })
}
