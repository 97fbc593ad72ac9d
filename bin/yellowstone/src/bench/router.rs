//! `yellowstone bench router`: the router's throughput and its CPU time per request, against
//! the cryptographic work no router can avoid, measured in the same run (GitHub issues 6, 17).
//!
//! Every RFC costs the router one secp256k1 recovery (its signature) and one signing (the
//! ticket), every report one recovery. Two comparisons are made:
//!
//! - **Efficiency** (issue 17): the router's own CPU time per request (its runtime's worker
//!   threads and the store's writer and checkpoint threads, read from
//!   `/proc/self/task/*/schedstat` before and after each phase, so the devnet's and the
//!   gateway's threads in this process are left out) against the **floor**: the CPU time of
//!   that recovery and signing with the router's own functions, measured on the router's core
//!   just before and just after each full-speed phase with the router idle. Efficiency = floor
//!   / CPU per request; goals: at least 70% for admissions and 80% for reports. Where the
//!   machine has two cores or more, this process (router, devnet, gateway) runs on one core and
//!   the load process on another, so neither is charged the other's work.
//! - **The whole machine** (issue 6): requests per second times recoveries per request, as a
//!   share of secp256k1 recoveries per second on every core, measured around each phase by the
//!   load process with one thread pinned to each core. Pinned, the router has one core of them.
//!
//! And the p99 admission latency at half the measured admission rate, goal under 5 ms.
//!
//! What runs:
//!
//! 1. In this process: the embedded devnet with Yellowstone deployed, one provider (staked,
//!    attested, bidding, its real gateway answering the router's liveness probes), `--users`
//!    funded users (allowances far beyond the run's needs), time moved to the next UTC day so
//!    the day's balance snapshot sees them, and the router itself with its default service
//!    settings on a runtime of its own, every user's allowance computed before any timing.
//! 2. A calibration through the API: a few RFCs and reports of a user of its own, counting the
//!    recoveries and signings the router's code did per request (its own counts,
//!    [`yellowstone_router::service::Router::signatures`]) rather than assuming them.
//! 3. The load, as a separate process (`yellowstone bench load`, see [`super::load`]) over
//!    loopback HTTP/1.1 keep-alive: full-speed admission, full-speed reports, then admission
//!    at half the measured rate for latency, with the limit (recoveries per second, one core
//!    and all cores) measured around each full-speed phase. It stops at a mark before and
//!    after each phase, where this process reads the CPU times and measures the floor. Users'
//!    keys go to it in a private temporary file.
//! 4. The figures: efficiency per request; each full-speed rate times the recoveries per
//!    request, as a share of the limit measured around it; latencies.

pub mod cpu;
mod figures;
mod launch;
mod recover;
mod setup;

use std::{collections::BTreeMap, path::PathBuf, time::Duration};

use anyhow::{ensure, Context, Result};

pub use self::figures::figures;
pub use self::recover::{floor, recoveries_per_second, Floor, Recoveries};
use self::{
    launch::{run_load, temp_dir, write_keys},
    setup::Stage,
};
use super::{load::LoadReport, Figure};

/// The goal of issue 17: an admission's cryptographic floor (one recovery and one signing) as
/// a share of the router's CPU time per admission.
pub const GOAL_ADMISSION_EFFICIENCY: f64 = 0.70;
/// The goal of issue 17: a report's floor (one recovery) as a share of the router's CPU time
/// per report.
pub const GOAL_REPORT_EFFICIENCY: f64 = 0.80;
/// The goal of issue 6: p99 admission latency at half load, milliseconds.
pub const GOAL_P99_MS: f64 = 5.0;

/// The names the router's threads start with: its runtime's workers (named by this bench),
/// the store's writer and its checkpoint thread.
pub const ROUTER_THREADS: [&str; 3] = ["router-rt", "store-writer", "store-checkpoin"];

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
    /// cores; five measurements in a run), and each measurement of the floor (recoveries,
    /// then signings, on the router's core; four in a run).
    #[arg(long, default_value_t = 1.0)]
    pub recover_seconds: f64,
    /// Leave the router and the load unpinned (both on every core), as before issue 17; the
    /// router's CPU time per request is measured all the same.
    #[arg(long)]
    pub no_pin: bool,
    /// Where the contract artifacts are (missing ones are built).
    #[arg(long, value_name = "DIR", default_value_os_t = crate::demo::devnet::default_artifacts_dir())]
    pub artifacts_dir: PathBuf,
    /// The `yellowstone` executable that runs the load [default: this executable].
    #[arg(long, value_name = "PATH", hide = true)]
    pub load_exe: Option<PathBuf>,
}

/// Where the router and the load ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pinning {
    /// The router (with the devnet and the gateway: this process) on one core, the load on
    /// another.
    Pinned {
        /// The router's core.
        router: usize,
        /// The load's core.
        load: usize,
    },
    /// Both on every core, and why.
    Unpinned(String),
}

/// CPU time read at one mark of the load.
#[derive(Debug, Clone, Copy, Default)]
pub struct CpuSample {
    /// The router's threads ([`ROUTER_THREADS`]): their CPU time and how many there were.
    pub router: Option<(Duration, usize)>,
    /// The whole process: the router, the devnet, the gateway and the bench itself.
    pub process: Option<Duration>,
}

/// The CPU time one phase cost.
#[derive(Debug, Clone, Copy, Default)]
pub struct PhaseCpu {
    /// The router's threads' CPU time over the phase.
    pub router: Duration,
    /// Router threads at the end of the phase.
    pub threads: usize,
    /// The whole process's CPU time over the phase.
    pub process: Duration,
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
    /// Where the router and the load ran.
    pub pinning: Pinning,
    /// CPU time at each mark of the load (`admit-start`, `admit-end`, `report-start`, ...).
    pub cpu: BTreeMap<String, CpuSample>,
    /// The floor on the router's core at each full-speed phase's marks, router idle.
    pub floors: BTreeMap<String, Floor>,
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

    /// The CPU time `phase` (`admit`, `report` or `paced`) cost, if it was measured.
    pub fn phase_cpu(&self, phase: &str) -> Option<PhaseCpu> {
        let start = self.cpu.get(&format!("{phase}-start"))?;
        let end = self.cpu.get(&format!("{phase}-end"))?;
        let (router_end, threads) = end.router?;
        Some(PhaseCpu {
            router: router_end.saturating_sub(start.router?.0),
            threads,
            process: end.process?.saturating_sub(start.process?),
        })
    }

    /// The floor `phase` is judged against: the mean of the measurements at its start and
    /// its end.
    pub fn floor_of(&self, phase: &str) -> Floor {
        let found: Vec<Floor> = ["start", "end"]
            .iter()
            .filter_map(|at| self.floors.get(&format!("{phase}-{at}")).copied())
            .collect();
        Floor::mean(&found)
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

/// Runs the benchmark and returns what it measured. The calling thread is pinned to the
/// router's core for the run (every thread it starts inherits it) and given back its cores at
/// the end.
pub fn measure(options: &Options) -> Result<Measured> {
    ensure!(options.users > 0, "--users must be at least 1");
    let machine = cpu::allowed_cores();
    let pinning = match machine.as_slice() {
        _ if options.no_pin => Pinning::Unpinned("--no-pin".into()),
        [router, load, ..] => match cpu::pin_thread(&[*router]) {
            Ok(()) => Pinning::Pinned {
                router: *router,
                load: *load,
            },
            Err(err) => Pinning::Unpinned(format!("pinning refused: {err}")),
        },
        cores => Pinning::Unpinned(format!(
            "the machine has {} core{}: router and load share it",
            cores.len(),
            if cores.len() == 1 { "" } else { "s" }
        )),
    };
    match &pinning {
        Pinning::Pinned { router, load } => eprintln!(
            "bench router: the router, devnet and gateway on core {router}, the load on core {load}"
        ),
        Pinning::Unpinned(why) => eprintln!("bench router: not pinned ({why})"),
    }
    let result = measure_pinned(options, &machine, pinning);
    if !machine.is_empty() {
        let _ = cpu::pin_thread(&machine);
    }
    result
}

fn measure_pinned(options: &Options, machine: &[usize], pinning: Pinning) -> Result<Measured> {
    // Built after pinning: tokio sizes each runtime to the cores its builder may use.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    let router_runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name(ROUTER_THREADS[0])
        .build()
        .context("starting the router's runtime")?;
    let dir = temp_dir()?;
    let load_core = match pinning {
        Pinning::Pinned { load, .. } => Some(load),
        Pinning::Unpinned(_) => None,
    };
    let result = (|| {
        eprintln!(
            "bench router: deploying, funding {} users, starting the router",
            options.users
        );
        let market = runtime.block_on(Stage::start(options, &dir, router_runtime.handle()))?;
        let result = (|| {
            eprintln!("bench router: calibrating signatures per request");
            let (recoveries_per_rfc, signings_per_rfc, recoveries_per_report) =
                runtime.block_on(market.calibrate())?;
            let keys = dir.join("users.keys");
            write_keys(&keys, &market.users)?;
            let (recovered, _) = market.counters();
            let (mut samples, mut floors) = (BTreeMap::new(), BTreeMap::new());
            let load = run_load(
                options,
                &market.router.url(),
                &keys,
                machine,
                load_core,
                |mark| {
                    // The floor is measured with the router idle, outside the phase's CPU time.
                    let measure_floor = mark.starts_with("admit") || mark.starts_with("report");
                    if measure_floor && mark.ends_with("-start") {
                        floors.insert(mark.to_string(), floor(options.recover_seconds));
                    }
                    samples.insert(
                        mark.to_string(),
                        CpuSample {
                            router: cpu::threads_cpu(&ROUTER_THREADS),
                            process: cpu::process_cpu(),
                        },
                    );
                    if measure_floor && mark.ends_with("-end") {
                        floors.insert(mark.to_string(), floor(options.recover_seconds));
                    }
                },
            )?;
            let recovered = market.counters().0 - recovered;
            let sent = load.admit.sent + load.paced.phase.sent;
            let predicted =
                sent as f64 * recoveries_per_rfc + load.report.sent as f64 * recoveries_per_report;
            Ok(Measured {
                recoveries_per_rfc,
                signings_per_rfc,
                recoveries_per_report,
                recoveries_during_load: (recovered, predicted),
                pinning: pinning.clone(),
                cpu: samples,
                floors,
                load,
            })
        })();
        runtime.block_on(async { market.stop() });
        result
    })();
    let _ = std::fs::remove_dir_all(&dir);
    router_runtime.shutdown_timeout(Duration::from_secs(1));
    runtime.shutdown_timeout(Duration::from_secs(1));
    result
}
