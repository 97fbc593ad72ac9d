//! `yellowstone bench load`: the load process of [`super::router`], started by it as a separate
//! process so that the client's work (signing, HTTP framing) is not counted as the router's and
//! the router is driven over real loopback HTTP/1.1 connections, kept alive as clients keep them.
//!
//! What it does, in order, printing one JSON object ([`LoadReport`]) on stdout at the end:
//!
//! 1. Reads the router's `GET /v1/market` (chain id, contract, clock, model) and the users' keys
//!    from the file `--keys` names (keys never travel on a command line).
//! 2. **Admission at full speed** (closed loop): pre-signs RFCs, *then* starts the clock and
//!    sends them with `--concurrency` connections, each sending its next RFC as soon as the last
//!    one is answered, for `--duration` seconds.
//! 3. **Reports at full speed** (closed loop): pre-signs one report per ticket issued in step 2,
//!    then sends them the same way.
//! 4. **Admission latency at half load** (open loop): pre-signs RFCs for `--duration` seconds at
//!    `--load-fraction` (one half) of the rate measured in step 2, then sends RFC `i` at
//!    `start + i / rate` whatever the router's pace, and times each from that scheduled moment
//!    to the last byte of its answer (so a slow answer also delays no one's measurement).
//!
//! Just before and just after each full-speed phase, with the router idle, it measures the
//! machine's limit (secp256k1 recoveries per second, [`recoveries_per_second`], one thread
//! pinned to each core of `--machine-cores`), so each phase is compared with the machine as it
//! was during that phase. With `--core` the load runs on that core only (the parent runs the
//! router on another); with `--marks` it stops before and after each timed phase until the
//! parent, which measures the router's CPU time and the cryptographic floor there, says go.
//!
//! Signing is the client's cost: it is all done before each timed phase, on every core of the
//! machine (each signing thread pinned to one).
//! The HTTP client is a minimal blocking HTTP/1.1 one (a request written in one piece, an
//! answer read by its `Content-Length`) on plain threads: cheaper per request than a general
//! client, so as much of the shared machine as possible is left to the router.

mod http;
mod phases;
mod prepare;
mod report;

use std::{io::Write, path::PathBuf, time::Duration};

use alloy_signer_local::PrivateKeySigner;
use anyhow::{ensure, Context, Result};

pub use self::report::{LoadReport, Paced, Phase};
use self::{
    http::Target,
    phases::{closed_loop, open_loop},
    prepare::{market, sign_reports, sign_rfcs, Prepared},
};
use super::router::{cpu, recoveries_per_second};

/// Options of `yellowstone bench load` (set by `yellowstone bench router`, not by people).
#[derive(Debug, Clone, clap::Args)]
pub struct Options {
    /// The router's base URL, e.g. `http://127.0.0.1:8080`.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// A file with one user private key (0x-hex) per line.
    #[arg(long, default_value = "bench-users.keys")]
    pub keys: PathBuf,
    /// Seconds each phase runs.
    #[arg(long, default_value_t = 10.0)]
    pub duration: f64,
    /// Connections (and client threads) of the closed-loop phases and of the open-loop phase.
    #[arg(long, default_value_t = 32)]
    pub concurrency: usize,
    /// Most RFCs per second the router could admit (the parent passes the measured secp256k1
    /// recoveries per second): bounds how many RFCs are signed ahead of the full-speed phase.
    #[arg(long, default_value_t = 20_000.0)]
    pub max_rate: f64,
    /// The open-loop phase's rate, as a fraction of the measured admission rate.
    #[arg(long, default_value_t = 0.5)]
    pub load_fraction: f64,
    /// `tokenMax` of every RFC (each report then reports this many tokens).
    #[arg(long, default_value_t = 1)]
    pub token_max: u64,
    /// Seconds each measurement of secp256k1 recoveries per second runs (one core, then all
    /// cores), before and after each full-speed phase.
    #[arg(long, default_value_t = 1.0)]
    pub recover_seconds: f64,
    /// Runs the load on this core only (the parent runs the router on another), so the
    /// router's CPU time is its own.
    #[arg(long, value_name = "CORE")]
    pub core: Option<usize>,
    /// The machine's cores: the limit is measured with one thread pinned to each, and requests
    /// are signed on all of them [default: the cores this process may use when it starts].
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    pub machine_cores: Vec<usize>,
    /// Before and after each timed phase, prints `mark <phase>-start` or `mark <phase>-end` on
    /// stdout and waits for a line `go` on stdin: the parent measures the router there, idle.
    #[arg(long)]
    pub marks: bool,
}

/// Runs the load process; prints its [`LoadReport`] as JSON on stdout.
pub fn run(options: &Options) -> Result<()> {
    let report = drive(options)?;
    println!("{}", serde_json::to_string(&report)?);
    Ok(())
}

/// Runs the three phases and returns their figures.
pub fn drive(options: &Options) -> Result<LoadReport> {
    ensure!(options.concurrency > 0, "--concurrency must be at least 1");
    ensure!(options.duration > 0.0, "--duration must be positive");
    let mut options = options.clone();
    if options.machine_cores.is_empty() {
        options.machine_cores = cpu::allowed_cores();
    }
    if let Some(core) = options.core {
        // Every thread started from here on inherits the core (the limit's and the signing
        // threads pin themselves to each machine core in turn).
        cpu::pin_thread(&[core]).with_context(|| format!("pinning the load to core {core}"))?;
    }
    let options = &options;
    let limit = || recoveries_per_second(options.recover_seconds, &options.machine_cores);
    let target = Target::parse(&options.url)?;
    let keys = read_keys(&options.keys)?;
    ensure!(!keys.is_empty(), "{} holds no keys", options.keys.display());
    let mut nonces = vec![0u64; keys.len()];
    let duration = Duration::from_secs_f64(options.duration);

    let market = market(&target)?;
    let model = market
        .models
        .first()
        .cloned()
        .context("the router has no model with a live bid")?;
    let domain = market.domain();

    let count = ((options.max_rate * options.duration).ceil() as usize).clamp(200, 2_000_000);
    eprintln!("bench load: signing {count} RFCs ahead of the full-speed phase");
    let rfcs = sign_rfcs(&target, &keys, &mut nonces, &domain, &model, count, options)?;
    eprintln!(
        "bench load: admission at full speed, {} connections, {:.0} s",
        options.concurrency, options.duration
    );
    let presigned = rfcs.len();
    let load_start = load_average();
    let mut limits = vec![limit()];
    mark(options, "admit-start")?;
    let (admit, admitted) = closed_loop(&target, &rfcs, options.concurrency, duration);
    mark(options, "admit-end")?;
    limits.push(limit());

    let issued: Vec<&Prepared> = admitted.iter().map(|&i| &rfcs[i]).collect();
    eprintln!("bench load: signing {} reports", issued.len());
    let reports = sign_reports(&target, &keys, &domain, &issued, options)?;
    drop(rfcs);
    eprintln!("bench load: reports at full speed");
    limits.push(limit());
    mark(options, "report-start")?;
    let (report, _) = closed_loop(&target, &reports, options.concurrency, Duration::MAX);
    mark(options, "report-end")?;
    limits.push(limit());
    drop(reports);

    let rate = (admit.rate() * options.load_fraction).max(1.0);
    let count = ((rate * options.duration).ceil() as usize).max(1);
    eprintln!("bench load: signing {count} RFCs for {rate:.0} per second");
    let rfcs = sign_rfcs(&target, &keys, &mut nonces, &domain, &model, count, options)?;
    eprintln!("bench load: admission at {rate:.0} per second (open loop)");
    mark(options, "paced-start")?;
    let paced = open_loop(&target, &rfcs, options.concurrency, rate);
    mark(options, "paced-end")?;
    limits.push(limit());

    Ok(LoadReport {
        users: keys.len(),
        concurrency: options.concurrency,
        presigned,
        admit,
        report,
        paced,
        limits,
        load_average: (load_start, load_average()),
    })
}

/// With `--marks`: tells the parent that `name` is reached and waits for its `go`.
fn mark(options: &Options, name: &str) -> Result<()> {
    if !options.marks {
        return Ok(());
    }
    let mut out = std::io::stdout().lock();
    writeln!(out, "mark {name}")?;
    out.flush()?;
    drop(out);
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .context("waiting for the parent's go")?;
    ensure!(
        line.trim() == "go",
        "the parent answered {line:?} at mark {name}"
    );
    Ok(())
}

/// The 1-minute load average (0 where `/proc/loadavg` is missing).
fn load_average() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|t| t.split_whitespace().next()?.parse().ok())
        .unwrap_or(0.0)
}

fn read_keys(path: &PathBuf) -> Result<Vec<PrivateKeySigner>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .enumerate()
        .map(|(n, line)| {
            line.parse::<PrivateKeySigner>().with_context(|| {
                format!("key {} of {} is not a private key", n + 1, path.display())
            })
        })
        .collect()
}
