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
//!    recoveries and signings the router's code did per request (its own counts,
//!    [`yellowstone_router::service::Router::signatures`]) rather than assuming them.
//! 3. The load, as a separate process (`yellowstone bench load`, see [`super::load`]) over
//!    loopback HTTP/1.1 keep-alive: full-speed admission, full-speed reports, then admission
//!    at half the measured rate for latency, with the limit (recoveries per second, one core
//!    and all cores) measured around each full-speed phase. Users' keys go to it in a private
//!    temporary file.
//! 4. The figures: each full-speed rate times the recoveries per request, as a share of the
//!    limit measured around it.

mod figures;
mod launch;
mod recover;
mod setup;

use std::{path::PathBuf, time::Duration};

use anyhow::{ensure, Context, Result};

pub use self::figures::figures;
pub use self::recover::{recoveries_per_second, Recoveries};
use self::{
    launch::{run_load, temp_dir, write_keys},
    setup::Stage,
};
use super::{load::LoadReport, Figure};

/// The goal of issue 6: throughput per signature verified, as a share of the recovery limit.
pub const GOAL_SHARE: f64 = 0.70;
/// The goal of issue 6: p99 admission latency at half load, milliseconds.
pub const GOAL_P99_MS: f64 = 5.0;

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
        let market = runtime.block_on(Stage::start(options, &dir))?;
        let result = (|| {
            eprintln!("bench router: calibrating signatures per request");
            let (recoveries_per_rfc, signings_per_rfc, recoveries_per_report) =
                runtime.block_on(market.calibrate())?;
            let keys = dir.join("users.keys");
            write_keys(&keys, &market.users)?;
            let (recovered, _) = market.counters();
            let load = run_load(options, &market.router.url(), &keys)?;
            let recovered = market.counters().0 - recovered;
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
