//! A day of the market at scale, through the router's own code: `providers` providers attest a
//! model and bid, and `users` users are each admitted once (allowance, RFC, ticket) and report
//! (with the provider's receipt), every message signed and checked by [`State`] exactly as the
//! service checks it, and every change committed through the store's group-commit [`Writer`]
//! to SQLite in WAL mode, as the service commits it. At the end one epoch settles the day's
//! credits, as the settler does once per inference block.
//!
//! Users sign in chunks on every core ([`super::clients`]: the clients' work, not the
//! router's); the router's part (checks, ticket signing, judging) runs on one thread under one
//! lock, as in the service. Memory is the process's resident set (`VmRSS`) before and after; the
//! database is measured on disk after a WAL checkpoint.

use std::{
    path::{Path, PathBuf},
    sync::Arc,
    time::{Duration, Instant},
};

use alloy_primitives::{keccak256, U256};
use anyhow::{anyhow, ensure, Context, Result};
use yellowstone_protocol::{
    messages::{Bid, ModelAttestation},
    time::DAY,
};

use super::clients::{bench_domain, key, parallel, sign, user_messages, DAY_START, MODELS};
use yellowstone_chain::ProviderRecord;
use yellowstone_market::records::Change;
use yellowstone_market::state::{Rules, State};
use yellowstone_store::{writer::Writer, Durability, Store};

/// Users signed per chunk (bounds the memory the pre-signed messages take).
const CHUNK: u64 = 2_000;

/// Committer threads per chunk (concurrent commits let the writer group them).
const COMMITTERS: usize = 8;

/// What building the population measured.
#[derive(Clone, Debug)]
pub struct Population {
    /// Users admitted and reported.
    pub users: u64,
    /// Providers with an attestation and a bid.
    pub providers: usize,
    /// Resident memory before the store and state existed, in bytes.
    pub rss_before: u64,
    /// Resident memory once the providers were in, in bytes.
    pub rss_providers: u64,
    /// Resident memory once every user was in and the epoch settled, in bytes.
    pub rss_after: u64,
    /// The database file after a WAL checkpoint, in bytes.
    pub db_bytes: u64,
    /// The WAL file after that checkpoint, in bytes (0 after a truncating checkpoint).
    pub wal_bytes: u64,
    /// Users with an allowance record in the database.
    pub users_recorded: u64,
    /// Reports in the database.
    pub reports_recorded: u64,
    /// Tickets in the database.
    pub tickets_recorded: u64,
    /// Wei the epoch committed to (every report was credited).
    pub credited: U256,
    /// Wall time of the users' part (signing, checking, committing).
    pub elapsed: Duration,
    /// Of which the clients signing (on every core).
    pub signing: Duration,
    /// Of which the router's rules (`State`: two signature checks per RFC and report, the
    /// receipt's, the ticket's signature, judging), on one thread as under the service's lock.
    pub router: Duration,
    /// Of which committing through the writer.
    pub committing: Duration,
    /// One secp256k1 signature recovery on one thread, measured in the same run (the unit the
    /// router's work per user is compared with).
    pub recovery: Duration,
}

impl Population {
    /// Resident memory the providers and users added, in bytes.
    pub fn rss_growth(&self) -> u64 {
        self.rss_after.saturating_sub(self.rss_before)
    }

    /// Resident memory per user (growth after the providers were in), in bytes.
    pub fn rss_per_user(&self) -> f64 {
        self.rss_after.saturating_sub(self.rss_providers) as f64 / self.users.max(1) as f64
    }

    /// Database bytes on disk (file + WAL).
    pub fn disk_bytes(&self) -> u64 {
        self.db_bytes + self.wal_bytes
    }
}

/// The resident set size of this process in bytes (`VmRSS` of `/proc/self/status`); 0 where
/// there is no procfs.
pub fn resident_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("VmRSS:"))
                .and_then(|rest| {
                    rest.trim()
                        .trim_end_matches("kB")
                        .trim()
                        .parse::<u64>()
                        .ok()
                })
        })
        .map_or(0, |kib| kib * 1024)
}

/// Commits each user's batches in order, users spread over [`COMMITTERS`] threads so the
/// writer sees concurrent commits and groups them, as under the service's load.
fn commit_all(writer: &Writer, per_user: Vec<Vec<Vec<Change>>>) -> Result<()> {
    let mut lanes: Vec<Vec<Vec<Vec<Change>>>> = (0..COMMITTERS).map(|_| Vec::new()).collect();
    for (i, batches) in per_user.into_iter().enumerate() {
        lanes[i % COMMITTERS].push(batches);
    }
    std::thread::scope(|scope| {
        let handles: Vec<_> = lanes
            .into_iter()
            .map(|lane| {
                scope.spawn(move || -> Result<()> {
                    for batches in lane {
                        for batch in batches {
                            writer.commit_blocking(batch)?;
                        }
                    }
                    Ok(())
                })
            })
            .collect();
        handles
            .into_iter()
            .try_for_each(|h| h.join().map_err(|_| anyhow!("a committer panicked"))?)
    })
}

/// Builds the population in a database under `dir` (created; left for the caller to remove)
/// and measures it. `threads` signs (0: every core); `progress` prints on stderr.
pub fn build(
    users: u64,
    providers: usize,
    threads: usize,
    dir: &Path,
    progress: bool,
) -> Result<Population> {
    ensure!(providers > 0, "at least one provider");
    let threads = if threads == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        threads
    };
    let domain = bench_domain();
    // Keys first: they stay (as the clients' own), so they are not counted as router memory.
    let provider_keys = parallel(0..providers as u64, threads, |i| key("provider", i));

    let rss_before = resident_bytes();
    let path: PathBuf = dir.join("router.sqlite");
    let store = Arc::new(Store::open(&path, Durability::Normal)?);
    let writer = Writer::spawn(store.clone(), 1_024);
    let mut state = State::new(Rules::default(), domain.clone(), key("router", 0));

    // Providers: an attestation, a bid, and the stake read from the chain.
    let signed = parallel(0..providers as u64, threads, |i| {
        let key = &provider_keys[i as usize];
        let model = MODELS[i as usize % MODELS.len()].to_string();
        let attestation = ModelAttestation {
            provider: key.address(),
            model: model.clone(),
            weightsHash: keccak256(model.as_bytes()),
            issuedAt: DAY_START - 3_600,
        };
        let bid = Bid {
            provider: key.address(),
            model,
            pricePerToken: U256::from(1_000_000_000u64 + i * 1_000),
            capacity: 8,
            endpoint: format!("https://provider-{i}.example.net:8443/v1"),
            nonce: 1,
            expiry: DAY_START + 7 * DAY,
        };
        (sign(key, attestation, &domain), sign(key, bid, &domain))
    });
    for (attestation, bid) in signed {
        let provider = bid.message.provider;
        writer.commit_blocking(state.attest(attestation, DAY_START)?)?;
        writer.commit_blocking(state.bid(bid, DAY_START)?)?;
        let stake = U256::from(10_000u64) * U256::from(10u64).pow(U256::from(18));
        let record = ProviderRecord {
            registered: true,
            stake,
            lock_start: DAY_START - 30 * DAY,
            lock_end: DAY_START + 365 * DAY,
            multiplier: U256::from(1_500_000_000_000_000_000u64),
            weight: stake * U256::from(3u8) / U256::from(2u8),
            earned: U256::ZERO,
            claimed: U256::ZERO,
        };
        state.set_chain_record(provider, record, DAY_START);
    }
    let rss_providers = resident_bytes();

    // Users, chunk by chunk: sign on every core, then check, issue, judge and commit.
    let began = Instant::now();
    let (mut signing, mut router, mut committing) = Default::default();
    let mut now = DAY_START;
    let mut chunk_start = 0;
    while chunk_start < users {
        let chunk_end = (chunk_start + CHUNK).min(users);
        let step = Instant::now();
        let messages = parallel(chunk_start..chunk_end, threads, |i| {
            user_messages(i, &provider_keys, &domain)
        });
        signing += step.elapsed();
        let step = Instant::now();
        let mut per_user = Vec::with_capacity(messages.len());
        for m in messages {
            now = m.now;
            let mut batches = Vec::with_capacity(3);
            // GET allowance (the service computes it on the user's first request of the day).
            batches.push(vec![state.set_allowance(m.allowance)]);
            // POST /v1/rfcs.
            let checked = state.check_rfc(m.rfc, now)?;
            let (_issued, changes) = state.issue(&checked, m.provider, now)?;
            batches.push(changes);
            // POST /v1/reports, the receipt attached.
            let (_verdict, changes) = state.report(m.report, Some(m.receipt), now)?;
            batches.push(changes);
            per_user.push(batches);
        }
        router += step.elapsed();
        let step = Instant::now();
        commit_all(&writer, per_user)?;
        committing += step.elapsed();
        chunk_start = chunk_end;
        if progress && (chunk_start % (10 * CHUNK) == 0 || chunk_start == users) {
            eprintln!(
                "  scale: {chunk_start} of {users} users admitted and reported ({:.1?})",
                began.elapsed()
            );
        }
    }
    let elapsed = began.elapsed();
    let recovery = recovery_time(&domain);

    // The next inference block settles the credits, as the settler does.
    let settle_at = now + state.rules().block_seconds;
    let mut credited = U256::ZERO;
    if let Some((epoch, changes)) = state.build_epoch(settle_at, U256::MAX, U256::MAX)? {
        credited = epoch.cumulative_credited;
        writer.commit_blocking(changes)?;
        writer.commit_blocking(state.epoch_committed(Some((1, 100_000))))?;
    }
    let rss_after = resident_bytes();

    // Every user recorded?
    drop(state);
    let addresses = parallel(0..users, threads, |i| key("user", i).address());
    let mut users_recorded = 0;
    for user in addresses {
        if store.latest_allowance(user)?.is_some() {
            users_recorded += 1;
        }
    }
    let stats = store.stats()?;

    // Checkpoint the WAL into the database file, then measure both.
    let conn = rusqlite::Connection::open(&path).context("opening the database to checkpoint")?;
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .context("checkpointing the WAL")?;
    drop(conn);
    let size = |p: PathBuf| std::fs::metadata(p).map_or(0, |m| m.len());
    let db_bytes = size(path.clone());
    let wal_bytes = size(dir.join("router.sqlite-wal"));
    drop(writer);
    drop(store);
    Ok(Population {
        users,
        providers,
        rss_before,
        rss_providers,
        rss_after,
        db_bytes,
        wal_bytes,
        users_recorded,
        reports_recorded: stats.reports,
        tickets_recorded: stats.tickets,
        credited,
        elapsed,
        signing,
        router,
        committing,
        recovery,
    })
}

/// The time of one secp256k1 signature recovery (median of 9 rounds of 200) on this thread.
fn recovery_time(domain: &alloy_sol_types::Eip712Domain) -> Duration {
    let signer = key("user", u64::MAX);
    let signed: Vec<_> = (0..200u64)
        .map(|i| {
            let report = yellowstone_protocol::messages::Report {
                requestId: keccak256(i.to_be_bytes()),
                user: signer.address(),
                firstTokenMs: 0,
                elapsedMs: i,
                tokens: i,
                pass: true,
            };
            sign(&signer, report, domain)
        })
        .collect();
    let digests: Vec<_> = signed.iter().map(|s| s.digest(domain)).collect();
    let mut rounds: Vec<Duration> = (0..9)
        .map(|_| {
            let began = Instant::now();
            for (s, digest) in signed.iter().zip(&digests) {
                let who = yellowstone_protocol::messages::recover(*digest, &s.signature);
                assert_eq!(who.ok(), Some(signer.address()));
            }
            began.elapsed() / signed.len() as u32
        })
        .collect();
    rounds.sort();
    rounds[rounds.len() / 2]
}
