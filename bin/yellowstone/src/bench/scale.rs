//! `yellowstone bench scale`: what the router costs at scale (GitHub issue 6).
//!
//! * **Memory and database per 100,000 users and 1,000 providers** ([`population`]): the
//!   router's real [`State`](yellowstone_market::state::State) and [`Store`](yellowstone_store::Store) (SQLite in
//!   WAL mode behind the group-commit writer) in a temporary directory; 1,000 providers attest
//!   and bid, 100,000 users are each admitted once in the day (allowance, ticket) and report,
//!   every message signed and checked as the service checks it, every change committed as the
//!   service commits it; then one epoch settles the credits. Reported: the resident memory the
//!   router's state added (`VmRSS`, total and per user) and the database on disk after a WAL
//!   checkpoint (total and per user). Everything the router keeps for the day is still held
//!   (nothing is old enough to sweep), so this is the day's peak.
//! * **Epoch build time** ([`epoch`]): `State::build_epoch` for 10,000 providers with a credit
//!   each in one inference block (fold, cumulative table, Merkle tree, signature), median of
//!   several runs, against the 12-second inference block it must fit in many times over; and
//!   producing all 10,000 proofs.
//!
//! Why: the router is meant to be lean (one process, one SQLite file); these figures say how
//! much machine a busy market needs and how far settlement is from its deadline.

pub mod clients;
pub mod epoch;
pub mod population;

use anyhow::{ensure, Result};

use super::{push_flag, Figure};

const USERS: u64 = 100_000;
const PROVIDERS: usize = 1_000;
const EPOCH_PROVIDERS: usize = 10_000;
const EPOCH_RUNS: usize = 7;

/// Options of `yellowstone bench scale`.
#[derive(Debug, Clone, clap::Args)]
pub struct Options {
    /// Users admitted and reported once each.
    #[arg(long, default_value_t = USERS)]
    pub users: u64,
    /// Providers attesting and bidding beside them.
    #[arg(long, default_value_t = PROVIDERS)]
    pub providers: usize,
    /// Providers (leaves) in the timed epoch build.
    #[arg(long, default_value_t = EPOCH_PROVIDERS)]
    pub epoch_providers: usize,
    /// Timed epoch builds (the median is reported).
    #[arg(long, default_value_t = EPOCH_RUNS)]
    pub epoch_runs: usize,
    /// Threads signing the users' messages (0: every core).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
}

/// The command that reproduces the figures of `options`.
fn command(options: &Options) -> String {
    let mut out = "cargo run --release --bin yellowstone -- bench scale".to_string();
    push_flag(&mut out, "users", options.users, USERS);
    push_flag(&mut out, "providers", options.providers, PROVIDERS);
    push_flag(
        &mut out,
        "epoch-providers",
        options.epoch_providers,
        EPOCH_PROVIDERS,
    );
    push_flag(&mut out, "epoch-runs", options.epoch_runs, EPOCH_RUNS);
    out
}

const MIB: f64 = 1024.0 * 1024.0;

/// The figures of a population run.
pub fn population_figures(p: &population::Population, command: &str) -> Vec<Figure> {
    let who = format!("{} users and {} providers", p.users, p.providers);
    vec![
        Figure::new(
            "scale",
            "router_memory_mib",
            format!("router resident memory added by {who}"),
            p.rss_growth() as f64 / MIB,
            "MiB",
            command,
        )
        .compare(format!(
            "VmRSS {:.1} MiB before, {:.1} MiB after; state, SQLite cache and allocator slack",
            p.rss_before as f64 / MIB,
            p.rss_after as f64 / MIB
        )),
        Figure::new(
            "scale",
            "router_memory_per_user",
            "router resident memory per user",
            p.rss_per_user().round(),
            "bytes",
            command,
        ),
        Figure::new(
            "scale",
            "database_mib",
            format!("database on disk for {who} (after a WAL checkpoint)"),
            p.disk_bytes() as f64 / MIB,
            "MiB",
            command,
        )
        .compare(format!(
            "file {} bytes + WAL {} bytes; {} tickets, {} reports",
            p.db_bytes, p.wal_bytes, p.tickets_recorded, p.reports_recorded
        )),
        Figure::new(
            "scale",
            "database_per_user",
            "database bytes per user (allowance, nonce, ticket, receipt, report)",
            (p.disk_bytes() as f64 / p.users.max(1) as f64).round(),
            "bytes",
            command,
        )
        .compare(format!(
            "{} users signed, checked, judged and committed in {:.1?}",
            p.users, p.elapsed
        )),
        Figure::new(
            "scale",
            "router_work_per_user_us",
            "router CPU per user: allowance, RFC check, ticket, report with receipt (one thread)",
            p.router.as_secs_f64() * 1e6 / p.users.max(1) as f64,
            "us",
            command,
        )
        .compare(format!(
            "{:.1} secp256k1 recoveries' worth ({:.0} us each, same run; 3 recoveries and 1 \
             signature per user); clients signing {:.1?} on every core, committing {:.1?} \
             through the group-commit writer",
            p.router.as_secs_f64() / p.users.max(1) as f64 / p.recovery.as_secs_f64().max(1e-9),
            p.recovery.as_secs_f64() * 1e6,
            p.signing,
            p.committing
        )),
    ]
}

/// The figures of an epoch run.
pub fn epoch_figures(e: &epoch::EpochTiming, command: &str) -> Vec<Figure> {
    let block_ms = e.block_seconds as f64 * 1_000.0;
    let build = epoch::median(&e.builds).as_secs_f64() * 1_000.0;
    let tree = epoch::median(&e.trees).as_secs_f64() * 1_000.0;
    let fraction = build / block_ms;
    vec![
        Figure::new(
            "scale",
            "epoch_build_ms",
            format!(
                "epoch build (fold, table, Merkle tree, signature), {} providers, median of {}",
                e.providers,
                e.builds.len()
            ),
            build,
            "ms",
            command,
        )
        .goal("< 1% of the 12 s inference block (120 ms)", fraction < 0.01)
        .compare(format!(
            "{:.3}% of the {} s inference block; Merkle tree alone {tree:.1} ms",
            fraction * 100.0,
            e.block_seconds
        )),
        Figure::new(
            "scale",
            "epoch_proofs_ms",
            format!("all {} proofs (State::proof)", e.providers),
            e.proofs.as_secs_f64() * 1_000.0,
            "ms",
            command,
        )
        .compare(format!(
            "{:.0} us per proof; from the tree alone {:.1} ms (State::proof also finds the \
             provider's leaf); {} of {} verified against the root",
            e.proofs.as_secs_f64() * 1e6 / e.providers.max(1) as f64,
            e.tree_proofs.as_secs_f64() * 1_000.0,
            e.verified,
            e.providers
        )),
    ]
}

/// Measures memory and database per users and providers, and the epoch build.
pub fn run(options: &Options) -> Result<Vec<Figure>> {
    let command = command(options);
    let dir = super::contract::onchain::scratch_dir("scale");
    eprintln!(
        "scale: {} users and {} providers through the router's state and store in {}...",
        options.users,
        options.providers,
        dir.display()
    );
    let population = population::build(
        options.users,
        options.providers,
        options.threads,
        &dir,
        true,
    );
    let _ = std::fs::remove_dir_all(&dir);
    let population = population?;
    ensure!(
        population.users_recorded == options.users,
        "{} of {} users are in the database",
        population.users_recorded,
        options.users
    );
    let mut figures = population_figures(&population, &command);

    eprintln!(
        "scale: {} epoch builds over {} providers...",
        options.epoch_runs, options.epoch_providers
    );
    let timing = epoch::run(options.epoch_providers, options.epoch_runs)?;
    ensure!(
        timing.verified == timing.providers,
        "{} of {} proofs verified",
        timing.verified,
        timing.providers
    );
    figures.extend(epoch_figures(&timing, &command));
    Ok(figures)
}
