//! `yellowstone bench router`: router throughput against the machine's own limit, measured in
//! the same run (GitHub issue 6).
//!
//! Every RFC and every report the router accepts costs at least one secp256k1 signature
//! recovery, so on any machine the router can never admit more RFCs per second than the machine
//! recovers signatures. That limit is measured here, beside the router, with the very function
//! the router calls ([`yellowstone_protocol::messages::recover`], k256 through alloy), on one
//! core and on every core, just before and just after each full-speed phase while the router is
//! idle (the machine is shared: absolute rates drift, a ratio taken side by side does not). The goal is that the router sustains at least
//! 70% of that limit per signature verified, with a p99 admission latency under 5 ms at half
//! that load.
//!
//! What runs:
//!
//! 1. In this process: the embedded devnet with Yellowstone deployed, one provider (staked,
//!    attested, bidding, its real gateway answering the router's liveness probes), `--users`
//!    funded users (allowances far beyond the run's needs), time moved to the next UTC day so
//!    the day's balance snapshot sees them, and the router itself with its default service
//!    settings, every user's allowance computed before any timing.
//! 2. A calibration through the API: a few RFCs and reports of a user of its own, counting the
//!    recoveries and signings the router's code did per request (process-wide counters in
//!    [`crate::metrics`]) rather than assuming them.
//! 3. The load, as a separate process (`yellowstone bench load`, see [`super::load`]) over
//!    loopback HTTP/1.1 keep-alive: full-speed admission, full-speed reports, then admission
//!    at half the measured rate for latency, with the limit (recoveries per second, one core
//!    and all cores) measured around each full-speed phase. Users' keys go to it in a private
//!    temporary file.
//! 4. The figures: each full-speed rate times the recoveries per request, as a share of the
//!    limit measured around it.

use std::{
    io::Write,
    path::{Path, PathBuf},
    process::{Command, Stdio},
    sync::atomic::{AtomicBool, AtomicU64, Ordering},
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use alloy_primitives::{keccak256, B256, U256};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use anyhow::{ensure, Context, Result};
use yellowstone_protocol::messages::{recover, request_id, signature_bytes, Report, Rfc};

use super::{
    load::{LoadReport, Phase},
    Figure,
};
use crate::{
    client::RouterClient,
    config::Config,
    demo::{
        devnet::{dev_key, Devnet},
        providers::{self, Provider, Spec},
    },
    metrics::{SIGNATURES_MADE, SIGNATURE_RECOVERIES},
    server::{start, Running},
    user::exchange::sign,
};

/// The goal of issue 6: throughput per signature verified, as a share of the recovery limit.
pub const GOAL_SHARE: f64 = 0.70;
/// The goal of issue 6: p99 admission latency at half load, milliseconds.
pub const GOAL_P99_MS: f64 = 5.0;
/// MOR each bench user receives (the allowance is far beyond any run's needs at the bench
/// provider's price).
const USER_MOR: u64 = 20_000;
/// RFCs and reports of the calibration.
const CALIBRATION: u64 = 8;

/// Options of `yellowstone bench router`.
#[derive(Debug, Clone, clap::Args)]
pub struct Options {
    /// Seconds each load phase runs (full-speed admission; half-load admission; reports run
    /// until every issued ticket is reported).
    #[arg(long, default_value_t = 10.0)]
    pub duration: f64,
    /// Concurrent HTTP connections of the load process.
    #[arg(long, default_value_t = 32)]
    pub concurrency: usize,
    /// Users signing RFCs (RFCs go round-robin over them).
    #[arg(long, default_value_t = 32)]
    pub users: usize,
    /// Seconds each measurement of secp256k1 recoveries per second runs (one core, then all
    /// cores; five measurements in a run).
    #[arg(long, default_value_t = 1.0)]
    pub recover_seconds: f64,
    /// Where the contract artifacts are (missing ones are built).
    #[arg(long, value_name = "DIR", default_value_os_t = crate::demo::devnet::default_artifacts_dir())]
    pub artifacts_dir: PathBuf,
    /// The `yellowstone` executable that runs the load [default: this executable].
    #[arg(long, value_name = "PATH", hide = true)]
    pub load_exe: Option<PathBuf>,
}

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

/// Everything one run measured.
#[derive(Debug, Clone)]
pub struct Measured {
    /// Signature recoveries the router did per RFC admitted (calibration).
    pub recoveries_per_rfc: f64,
    /// Signatures the router made per RFC admitted (the ticket).
    pub signings_per_rfc: f64,
    /// Signature recoveries the router did per report accepted (calibration, no receipt).
    pub recoveries_per_report: f64,
    /// Recoveries the router did during the load, and what the calibration predicts for it.
    pub recoveries_during_load: (u64, f64),
    /// What the load process saw.
    pub load: LoadReport,
}

impl Measured {
    /// The limit full-speed admission is judged against: all-core recoveries per second, the
    /// mean of the measurements just before and just after it.
    pub fn admission_limit(&self) -> f64 {
        self.limit_around(0)
    }

    /// The limit full-speed reporting is judged against, measured the same way.
    pub fn report_limit(&self) -> f64 {
        self.limit_around(2)
    }

    /// All-core recoveries per second, the mean of every measurement of the run.
    pub fn limit(&self) -> f64 {
        mean_of(self.load.limits.iter().map(|r| r.all_cores))
    }

    /// One-core recoveries per second, the mean of every measurement of the run.
    pub fn one_core(&self) -> f64 {
        mean_of(self.load.limits.iter().map(|r| r.one_core))
    }

    fn limit_around(&self, first: usize) -> f64 {
        mean_of(
            self.load
                .limits
                .iter()
                .skip(first)
                .take(2)
                .map(|r| r.all_cores),
        )
    }
}

fn mean_of(values: impl Iterator<Item = f64>) -> f64 {
    let (sum, n) = values.fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    if n == 0 {
        0.0
    } else {
        sum / n as f64
    }
}

/// Runs the benchmark and returns its figures.
pub fn run(options: &Options) -> Result<Vec<Figure>> {
    let measured = measure(options)?;
    Ok(figures(options, &measured))
}

/// Runs the benchmark and returns what it measured.
pub fn measure(options: &Options) -> Result<Measured> {
    ensure!(options.users > 0, "--users must be at least 1");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    let dir = temp_dir()?;
    let result = (|| {
        eprintln!(
            "bench router: deploying, funding {} users, starting the router",
            options.users
        );
        let market = runtime.block_on(Market::start(options, &dir))?;
        let result = (|| {
            eprintln!("bench router: calibrating signatures per request");
            let (recoveries_per_rfc, signings_per_rfc, recoveries_per_report) =
                runtime.block_on(market.calibrate())?;
            let keys = dir.join("users.keys");
            write_keys(&keys, &market.users)?;
            let recovered = SIGNATURE_RECOVERIES.load(Ordering::Relaxed);
            let load = run_load(options, &market.router.url(), &keys)?;
            let recovered = SIGNATURE_RECOVERIES.load(Ordering::Relaxed) - recovered;
            let sent = load.admit.sent + load.paced.phase.sent;
            let predicted =
                sent as f64 * recoveries_per_rfc + load.report.sent as f64 * recoveries_per_report;
            Ok(Measured {
                recoveries_per_rfc,
                signings_per_rfc,
                recoveries_per_report,
                recoveries_during_load: (recovered, predicted),
                load,
            })
        })();
        runtime.block_on(async { market.stop() });
        result
    })();
    let _ = std::fs::remove_dir_all(&dir);
    runtime.shutdown_timeout(Duration::from_secs(1));
    result
}

/// The figures of a run.
pub fn figures(options: &Options, m: &Measured) -> Vec<Figure> {
    let command = format!(
        "cargo run --release --bin yellowstone -- bench router --duration {} --concurrency {} --users {}",
        options.duration, options.concurrency, options.users
    );
    let limit = m.limit();
    let cores = m.load.limits.first().map_or(0, |r| r.cores);
    let series = |f: fn(&Recoveries) -> f64| {
        m.load
            .limits
            .iter()
            .map(|r| format!("{:.0}", f(r)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let limit_text = |limit: f64, phase: &str| {
        format!(
            "limit: {limit:.0} secp256k1 recoveries/s on all {cores} cores (yellowstone_protocol::messages::recover, k256), measured just before and after the {phase} in the same run"
        )
    };
    let admit = m.load.admit.rate();
    let reports = m.load.report.rate();
    let admit_share = admit * m.recoveries_per_rfc / m.admission_limit();
    let report_share = reports * m.recoveries_per_report / m.report_limit();
    let admit_limit = limit_text(m.admission_limit(), "admission phase");
    let report_limit = limit_text(m.report_limit(), "report phase");
    let paced = &m.load.paced;
    let figure = |key: &str, name: String, value: f64, unit: &'static str| {
        Figure::new("router", key, name, value, unit, command.clone())
    };
    vec![
        figure(
            "recoveries_per_second_one_core",
            "secp256k1 recoveries per second, 1 core".into(),
            m.one_core().round(),
            "per second",
        )
        .compare(format!(
            "measured around each phase: {}",
            series(|r| r.one_core)
        )),
        figure(
            "recoveries_per_second_all_cores",
            format!("secp256k1 recoveries per second, all {cores} cores (the limit)"),
            limit.round(),
            "per second",
        )
        .compare(format!(
            "measured around each phase: {}; load average {:.2} at the start, {:.2} at the end",
            series(|r| r.all_cores),
            m.load.load_average.0,
            m.load.load_average.1
        )),
        figure(
            "recoveries_per_rfc",
            "signature recoveries per RFC admitted (counted in the router)".into(),
            m.recoveries_per_rfc,
            "recoveries",
        )
        .compare(format!(
            "plus {:.0} signing (the ticket); during the load the router recovered {} signatures, {:.0} predicted",
            m.signings_per_rfc, m.recoveries_during_load.0, m.recoveries_during_load.1
        )),
        figure(
            "recoveries_per_report",
            "signature recoveries per report accepted, no receipt (counted in the router)".into(),
            m.recoveries_per_report,
            "recoveries",
        ),
        figure(
            "admissions_per_second",
            format!(
                "RFCs admitted per second (POST /v1/rfcs, {} keep-alive connections from a separate process)",
                m.load.concurrency
            ),
            admit.round(),
            "per second",
        )
        .compare(format!("{admit_limit}; {}", outcome(&m.load.admit))),
        figure(
            "admission_share_of_limit",
            "RFCs admitted per second x recoveries per RFC, as a share of the limit".into(),
            percent(admit_share),
            "%",
        )
        .goal(">= 70%", admit_share >= GOAL_SHARE)
        .compare(admit_limit),
        figure(
            "reports_per_second",
            format!(
                "reports accepted per second (POST /v1/reports, {} keep-alive connections)",
                m.load.concurrency
            ),
            reports.round(),
            "per second",
        )
        .compare(format!("{report_limit}; {}", outcome(&m.load.report))),
        figure(
            "report_share_of_limit",
            "reports accepted per second x recoveries per report, as a share of the limit".into(),
            percent(report_share),
            "%",
        )
        .goal(">= 70%", report_share >= GOAL_SHARE)
        .compare(report_limit),
        figure(
            "admission_p99_ms_half_load",
            format!(
                "p99 admission latency at half the admission rate ({:.0} RFCs/s, open loop)",
                paced.rate
            ),
            round3(paced.p99_ms),
            "ms",
        )
        .goal("< 5 ms", paced.p99_ms < GOAL_P99_MS)
        .compare(format!(
            "max {:.3} ms; {}; {} sent over a millisecond late",
            paced.max_ms,
            outcome(&paced.phase),
            paced.late
        )),
        figure(
            "admission_p50_ms_half_load",
            "p50 admission latency at half the admission rate".into(),
            round3(paced.p50_ms),
            "ms",
        ),
    ]
}

fn percent(share: f64) -> f64 {
    (share * 1_000.0).round() / 10.0
}

fn round3(x: f64) -> f64 {
    (x * 1_000.0).round() / 1_000.0
}

fn outcome(phase: &Phase) -> String {
    let mut text = format!("{} sent, {} answered 200", phase.sent, phase.ok);
    if !phase.errors.is_empty() {
        text.push_str(&format!(", others {:?}", phase.errors));
    }
    text
}

/// The bench's market: devnet, router, one provider and the users.
struct Market {
    net: Devnet,
    router: Running,
    provider: Provider,
    /// The load's users.
    users: Vec<PrivateKeySigner>,
    /// The calibration's user.
    calibrator: PrivateKeySigner,
}

impl Market {
    async fn start(options: &Options, dir: &Path) -> Result<Market> {
        let net = Devnet::start(options.artifacts_dir.clone()).await?;
        let funder = dev_key(0)?;
        let spec = Spec {
            name: "bench",
            account: 1,
            // A low price, so every user's allowance (SPEC 3) is far beyond the run's needs.
            price: 1_000_000_000_000,
            stake: 20_000,
            lock_days: 1_500,
            token_delay_ms: 0,
        };
        let now = net.now().await?;
        net.stake(
            &dev_key(spec.account)?,
            wei(spec.stake),
            now + spec.lock_days * 86_400,
        )
        .await?;
        let mut users = Vec::new();
        for n in 0..=options.users {
            let seed = keccak256(format!("yellowstone bench user {n}"));
            let key = PrivateKeySigner::from_bytes(&seed).context("a user key")?;
            net.transfer(&funder, key.address(), wei(USER_MOR)).await?;
            users.push(key);
        }
        let calibrator = users.pop().context("no calibration user")?;
        // The day's balance snapshot must see the staked and transferred MOR.
        net.next_day().await?;

        let router_key = yellowstone_devnet::chain::DEV_ACCOUNTS
            .iter()
            .position(|a| a.address == net.deployment.router_key.address)
            .context("the router key is not a development account")?;
        let config = Config {
            listen: ([127, 0, 0, 1], 0).into(),
            rpc_url: net.url(),
            contract: Some(net.deployment.compute),
            database: dir.join("router.db"),
            chain_clock: true,
            ..Config::default()
        };
        let router = start(&config, dev_key(router_key)?).await?;
        let client = RouterClient::new(&router.url());
        let provider = providers::start(spec, &net, &router.url(), net.now().await?).await?;
        providers::join(&provider, &client).await?;
        // Compute every allowance now: the first admission of a user reads the chain.
        for user in users.iter().chain([&calibrator]) {
            let allowance = client.allowance(user.address()).await?;
            ensure!(
                allowance.left >= 1_000_000,
                "user {} has only {} tokens today",
                user.address(),
                allowance.left
            );
        }
        Ok(Market {
            net,
            router,
            provider,
            users,
            calibrator,
        })
    }

    /// Sends `CALIBRATION` RFCs and their reports through the API and counts the router's
    /// recoveries and signings: (recoveries per RFC, signings per RFC, recoveries per report).
    async fn calibrate(&self) -> Result<(f64, f64, f64)> {
        let client = RouterClient::new(&self.router.url());
        let market = client.market().await?;
        let domain = market.domain();
        let model = market.models.first().context("no model bid")?.clone();
        let key = &self.calibrator;
        let mut ids: Vec<B256> = Vec::new();
        let (recovered, signed) = counters();
        for nonce in 1..=CALIBRATION {
            let rfc = Rfc {
                user: key.address(),
                model: model.clone(),
                tokenMax: 1,
                nonce,
                deadline: market.now + 300,
            };
            ids.push(request_id(&rfc, &domain));
            client.rfc(&sign(key, rfc, &domain)?).await?;
        }
        let (recovered_rfc, signed_rfc) = counters();
        for id in ids {
            let report = Report {
                requestId: id,
                user: key.address(),
                elapsedMs: 100,
                tokens: 1,
                pass: true,
            };
            client.report(sign(key, report, &domain)?, None).await?;
        }
        let (recovered_report, _) = counters();
        let n = CALIBRATION as f64;
        Ok((
            (recovered_rfc - recovered) as f64 / n,
            (signed_rfc - signed) as f64 / n,
            (recovered_report - recovered_rfc) as f64 / n,
        ))
    }

    fn stop(self) {
        self.provider.kill();
        self.router.kill();
        self.net.shutdown();
    }
}

fn counters() -> (u64, u64) {
    (
        SIGNATURE_RECOVERIES.load(Ordering::Relaxed),
        SIGNATURES_MADE.load(Ordering::Relaxed),
    )
}

fn wei(mor: u64) -> U256 {
    U256::from(mor) * U256::from(10u64).pow(U256::from(18))
}

fn temp_dir() -> Result<PathBuf> {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH)?.as_nanos();
    let dir = std::env::temp_dir().join(format!(
        "yellowstone-bench-router-{}-{nanos}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    Ok(dir)
}

/// Writes the users' keys, one per line, readable by this user only.
fn write_keys(path: &Path, keys: &[PrivateKeySigner]) -> Result<()> {
    let mut open = std::fs::OpenOptions::new();
    open.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut open, 0o600);
    let mut file = open
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    for key in keys {
        writeln!(file, "{}", key.to_bytes())?;
    }
    Ok(())
}

/// Runs `yellowstone bench load` against `url` and reads its report.
fn run_load(options: &Options, url: &str, keys: &Path) -> Result<LoadReport> {
    // Bounds the RFCs signed ahead of the full-speed phase: it admits no more than the
    // machine recovers signatures.
    let max_rate = recoveries_per_second(options.recover_seconds.min(0.5)).all_cores * 1.2;
    let exe = match &options.load_exe {
        Some(exe) => exe.clone(),
        None => std::env::current_exe().context("locating this executable")?,
    };
    let output = Command::new(&exe)
        .args(["bench", "load", "--url", url, "--keys"])
        .arg(keys)
        .args([
            "--duration".to_string(),
            options.duration.to_string(),
            "--concurrency".to_string(),
            options.concurrency.to_string(),
            "--max-rate".to_string(),
            format!("{max_rate:.0}"),
            "--recover-seconds".to_string(),
            options.recover_seconds.to_string(),
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("running {} bench load", exe.display()))?;
    ensure!(
        output.status.success(),
        "the load process failed ({})",
        output.status
    );
    serde_json::from_slice(&output.stdout).with_context(|| {
        format!(
            "reading the load process's report: {}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
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
