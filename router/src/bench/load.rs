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
//! machine's limit (secp256k1 recoveries per second, [`recoveries_per_second`]), so each phase
//! is compared with the machine as it was during that phase.
//!
//! Signing is the client's cost: it is all done before each timed phase, on every core.
//! The HTTP client is a minimal blocking HTTP/1.1 one (a request written in one piece, an
//! answer read by its `Content-Length`) on plain threads: cheaper per request than a general
//! client, so as much of the shared machine as possible is left to the router.

use std::{
    collections::BTreeMap,
    io::{Read, Write},
    net::{SocketAddr, TcpStream, ToSocketAddrs},
    path::PathBuf,
    sync::atomic::{AtomicUsize, Ordering},
    time::{Duration, Instant},
};

use alloy_primitives::B256;
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::Eip712Domain;
use anyhow::{bail, ensure, Context, Result};
use serde::{Deserialize, Serialize};
use yellowstone_protocol::messages::{request_id, Report, Rfc, Signed};

use super::router::{recoveries_per_second, Recoveries};
use crate::{api::ReportBody, client::Market, user::exchange::sign};

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
}

/// One closed-loop phase's outcome.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Phase {
    /// Requests sent.
    pub sent: u64,
    /// Requests answered 200.
    pub ok: u64,
    /// Seconds from the first request to the last answer.
    pub seconds: f64,
    /// Answers other than 200, by status (`"io"` for a failed connection).
    pub errors: BTreeMap<String, u64>,
    /// The first refusal's body, to say why.
    pub first_error: Option<String>,
}

impl Phase {
    /// `ok` per second.
    pub fn rate(&self) -> f64 {
        if self.seconds > 0.0 {
            self.ok as f64 / self.seconds
        } else {
            0.0
        }
    }
}

/// The open-loop phase's outcome.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Paced {
    /// The phase's counts (its `seconds` is the scheduled span).
    pub phase: Phase,
    /// RFCs per second offered.
    pub rate: f64,
    /// Median admission latency, milliseconds (scheduled send to last byte of the answer).
    pub p50_ms: f64,
    /// 99th percentile admission latency, milliseconds.
    pub p99_ms: f64,
    /// Worst admission latency, milliseconds.
    pub max_ms: f64,
    /// Requests sent more than a millisecond after their scheduled moment (every connection
    /// was busy, or the load process was not scheduled in time).
    pub late: u64,
}

/// What the load process prints: one JSON object on stdout.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct LoadReport {
    /// Users signing RFCs.
    pub users: usize,
    /// Connections per phase.
    pub concurrency: usize,
    /// RFCs signed ahead of the full-speed phase.
    pub presigned: usize,
    /// Full-speed admission (`POST /v1/rfcs`).
    pub admit: Phase,
    /// Full-speed reports (`POST /v1/reports`) of the tickets `admit` issued.
    pub report: Phase,
    /// Admission at `load_fraction` of `admit`'s rate.
    pub paced: Paced,
    /// The machine's limit, measured while the router was idle: just before and just after
    /// the full-speed admission, just before and just after the full-speed reports, and after
    /// the half-load phase. Each full-speed phase is judged against the mean of the two
    /// measurements around it.
    pub limits: Vec<Recoveries>,
    /// The 1-minute load average of the machine at the start and the end (Linux; 0 elsewhere):
    /// how much else was running.
    pub load_average: (f64, f64),
}

/// Runs the load process; prints its [`LoadReport`] as JSON on stdout.
pub fn run(options: &Options) -> Result<()> {
    let report = drive(options)?;
    println!("{}", serde_json::to_string(&report)?);
    Ok(())
}

/// One RFC ready to send: its request bytes and what its report needs.
struct Prepared {
    request: Vec<u8>,
    request_id: B256,
    user: usize,
}

/// Runs the three phases and returns their figures.
pub fn drive(options: &Options) -> Result<LoadReport> {
    ensure!(options.concurrency > 0, "--concurrency must be at least 1");
    ensure!(options.duration > 0.0, "--duration must be positive");
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
    let mut limits = vec![recoveries_per_second(options.recover_seconds)];
    let (admit, admitted) = closed_loop(&target, &rfcs, options.concurrency, duration);
    limits.push(recoveries_per_second(options.recover_seconds));

    let issued: Vec<&Prepared> = admitted.iter().map(|&i| &rfcs[i]).collect();
    eprintln!("bench load: signing {} reports", issued.len());
    let reports = sign_reports(&target, &keys, &domain, &issued, options.token_max)?;
    drop(rfcs);
    eprintln!("bench load: reports at full speed");
    limits.push(recoveries_per_second(options.recover_seconds));
    let (report, _) = closed_loop(&target, &reports, options.concurrency, Duration::MAX);
    limits.push(recoveries_per_second(options.recover_seconds));
    drop(reports);

    let rate = (admit.rate() * options.load_fraction).max(1.0);
    let count = ((rate * options.duration).ceil() as usize).max(1);
    eprintln!("bench load: signing {count} RFCs for {rate:.0} per second");
    let rfcs = sign_rfcs(&target, &keys, &mut nonces, &domain, &model, count, options)?;
    eprintln!("bench load: admission at {rate:.0} per second (open loop)");
    let paced = open_loop(&target, &rfcs, options.concurrency, rate);
    limits.push(recoveries_per_second(options.recover_seconds));

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

fn market(target: &Target) -> Result<Market> {
    let mut conn = Conn::open(target)?;
    let (status, body) = conn.exchange(&target.get("/v1/market"))?;
    ensure!(status == 200, "GET /v1/market answered {status}");
    serde_json::from_slice(&body).context("reading /v1/market")
}

/// Signs `count` RFCs round-robin over the users (next nonces), on every core.
fn sign_rfcs(
    target: &Target,
    keys: &[PrivateKeySigner],
    nonces: &mut [u64],
    domain: &Eip712Domain,
    model: &str,
    count: usize,
    options: &Options,
) -> Result<Vec<Prepared>> {
    // Deadlines from the router's clock, well inside its RFC window (600 s by default).
    let deadline = market(target)?.now + 300;
    let plan: Vec<(usize, u64)> = (0..count)
        .map(|i| {
            let user = i % keys.len();
            nonces[user] += 1;
            (user, nonces[user])
        })
        .collect();
    parallel(&plan, |&(user, nonce)| {
        let rfc = Rfc {
            user: keys[user].address(),
            model: model.to_string(),
            tokenMax: options.token_max,
            nonce,
            deadline,
        };
        let id = request_id(&rfc, domain);
        let signed = sign(&keys[user], rfc, domain)?;
        Ok(Prepared {
            request: target.post("/v1/rfcs", &serde_json::to_vec(&signed)?),
            request_id: id,
            user,
        })
    })
}

/// Signs a passing report of `token_max` tokens for each issued ticket, on every core.
fn sign_reports(
    target: &Target,
    keys: &[PrivateKeySigner],
    domain: &Eip712Domain,
    issued: &[&Prepared],
    tokens: u64,
) -> Result<Vec<Prepared>> {
    parallel(issued, |p| {
        let report = Report {
            requestId: p.request_id,
            user: keys[p.user].address(),
            elapsedMs: 100 * tokens,
            tokens,
            pass: true,
        };
        let body = ReportBody {
            report: sign(&keys[p.user], report, domain)?,
            receipt: None::<Signed<_>>,
        };
        Ok(Prepared {
            request: target.post("/v1/reports", &serde_json::to_vec(&body)?),
            request_id: p.request_id,
            user: p.user,
        })
    })
}

/// Maps `items` through `f` on every core, keeping their order.
fn parallel<T: Sync, U: Send>(items: &[T], f: impl Fn(&T) -> Result<U> + Sync) -> Result<Vec<U>> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = items.len().div_ceil(threads).max(1);
    let parts: Vec<Result<Vec<U>>> = std::thread::scope(|s| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| s.spawn(|| part.iter().map(&f).collect::<Result<Vec<U>>>()))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| bail!("a signing thread panicked"))
            })
            .collect()
    });
    let mut out = Vec::with_capacity(items.len());
    for part in parts {
        out.extend(part?);
    }
    Ok(out)
}

/// What one client thread saw.
#[derive(Default)]
struct Tally {
    sent: u64,
    ok: u64,
    errors: BTreeMap<String, u64>,
    first_error: Option<String>,
    ok_indices: Vec<usize>,
    latencies: Vec<f64>,
    late: u64,
}

impl Tally {
    fn record(&mut self, index: usize, answer: std::io::Result<(u16, Vec<u8>)>) -> bool {
        self.sent += 1;
        match answer {
            Ok((200, _)) => {
                self.ok += 1;
                self.ok_indices.push(index);
                true
            }
            Ok((status, body)) => {
                *self.errors.entry(status.to_string()).or_default() += 1;
                self.first_error
                    .get_or_insert_with(|| format!("{status}: {}", String::from_utf8_lossy(&body)));
                true
            }
            Err(err) => {
                *self.errors.entry("io".into()).or_default() += 1;
                self.first_error.get_or_insert_with(|| err.to_string());
                false
            }
        }
    }

    fn merge(tallies: Vec<Tally>, seconds: f64) -> (Phase, Vec<usize>, Vec<f64>, u64) {
        let mut phase = Phase {
            seconds,
            ..Phase::default()
        };
        let (mut indices, mut latencies, mut late) = (Vec::new(), Vec::new(), 0);
        for t in tallies {
            phase.sent += t.sent;
            phase.ok += t.ok;
            for (k, v) in t.errors {
                *phase.errors.entry(k).or_default() += v;
            }
            if phase.first_error.is_none() {
                phase.first_error = t.first_error;
            }
            indices.extend(t.ok_indices);
            latencies.extend(t.latencies);
            late += t.late;
        }
        indices.sort_unstable();
        (phase, indices, latencies, late)
    }
}

/// Sends `requests` in order over `concurrency` kept-alive connections, each sending its next
/// as soon as the last is answered, until all are sent or `limit` has passed. Returns the
/// phase and the indices of the requests answered 200.
fn closed_loop(
    target: &Target,
    requests: &[Prepared],
    concurrency: usize,
    limit: Duration,
) -> (Phase, Vec<usize>) {
    let next = AtomicUsize::new(0);
    let start = Instant::now();
    let stop = start.checked_add(limit);
    let tallies: Vec<Tally> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..concurrency)
            .map(|_| {
                s.spawn(|| {
                    let mut tally = Tally::default();
                    let mut conn = None;
                    loop {
                        if stop.is_some_and(|stop| Instant::now() >= stop) {
                            break;
                        }
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(request) = requests.get(i) else {
                            break;
                        };
                        let answer = send(target, &mut conn, &request.request);
                        if !tally.record(i, answer) {
                            conn = None;
                        }
                    }
                    tally
                })
            })
            .collect();
        handles.into_iter().filter_map(|h| h.join().ok()).collect()
    });
    let seconds = start.elapsed().as_secs_f64();
    let (phase, indices, _, _) = Tally::merge(tallies, seconds);
    (phase, indices)
}

/// Sends request `i` at `start + i / rate` over up to `concurrency` connections and times each
/// from its scheduled moment to the end of its answer.
fn open_loop(target: &Target, requests: &[Prepared], concurrency: usize, rate: f64) -> Paced {
    let next = AtomicUsize::new(0);
    let start = Instant::now() + Duration::from_millis(50);
    let tallies: Vec<Tally> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..concurrency)
            .map(|_| {
                s.spawn(|| {
                    let mut tally = Tally::default();
                    // Connect ahead of the schedule, as a client with a warm pool would be.
                    let mut conn = Conn::open(target).ok();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(request) = requests.get(i) else {
                            break;
                        };
                        let at = start + Duration::from_secs_f64(i as f64 / rate);
                        let now = Instant::now();
                        if at > now {
                            std::thread::sleep(at - now);
                        } else if now - at > Duration::from_millis(1) {
                            tally.late += 1;
                        }
                        let answer = send(target, &mut conn, &request.request);
                        tally.latencies.push(at.elapsed().as_secs_f64() * 1_000.0);
                        if !tally.record(i, answer) {
                            conn = None;
                        }
                    }
                    tally
                })
            })
            .collect();
        handles.into_iter().filter_map(|h| h.join().ok()).collect()
    });
    let seconds = requests.len() as f64 / rate;
    let (phase, _, mut latencies, late) = Tally::merge(tallies, seconds);
    let p50_ms = super::percentile(&mut latencies, 50.0);
    let p99_ms = super::percentile(&mut latencies, 99.0);
    let max_ms = super::percentile(&mut latencies, 100.0);
    Paced {
        phase,
        rate,
        p50_ms,
        p99_ms,
        max_ms,
        late,
    }
}

/// Sends one request on `conn`, connecting first if there is none.
fn send(
    target: &Target,
    conn: &mut Option<Conn>,
    request: &[u8],
) -> std::io::Result<(u16, Vec<u8>)> {
    if conn.is_none() {
        *conn = Some(Conn::open(target)?);
    }
    match conn.as_mut() {
        Some(c) => c.exchange(request),
        None => Err(std::io::Error::other("no connection")),
    }
}

/// Where the router listens, and how requests to it are framed.
struct Target {
    addr: SocketAddr,
    host: String,
}

impl Target {
    fn parse(url: &str) -> Result<Target> {
        let host = url
            .strip_prefix("http://")
            .with_context(|| format!("{url} is not an http:// URL"))?
            .trim_end_matches('/')
            .to_string();
        ensure!(!host.contains('/'), "{url} has a path; give the base URL");
        let addr = host
            .to_socket_addrs()
            .with_context(|| format!("resolving {host}"))?
            .next()
            .with_context(|| format!("{host} resolves to nothing"))?;
        Ok(Target { addr, host })
    }

    fn get(&self, path: &str) -> Vec<u8> {
        format!("GET {path} HTTP/1.1\r\nHost: {}\r\n\r\n", self.host).into_bytes()
    }

    fn post(&self, path: &str, body: &[u8]) -> Vec<u8> {
        let mut out = format!(
            "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            self.host,
            body.len()
        )
        .into_bytes();
        out.extend_from_slice(body);
        out
    }
}

/// A kept-alive HTTP/1.1 connection.
struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    fn open(target: &Target) -> std::io::Result<Conn> {
        let stream = TcpStream::connect_timeout(&target.addr, Duration::from_secs(5))?;
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(Duration::from_secs(30)))?;
        Ok(Conn {
            stream,
            buf: Vec::with_capacity(4_096),
        })
    }

    /// Writes `request` and reads one answer: its status and body.
    fn exchange(&mut self, request: &[u8]) -> std::io::Result<(u16, Vec<u8>)> {
        self.stream.write_all(request)?;
        self.buf.clear();
        let mut chunk = [0u8; 4_096];
        let head_end = loop {
            if let Some(end) = find(&self.buf, b"\r\n\r\n") {
                break end + 4;
            }
            let n = self.stream.read(&mut chunk)?;
            if n == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            self.buf.extend_from_slice(&chunk[..n]);
        };
        let head = std::str::from_utf8(&self.buf[..head_end])
            .map_err(|_| std::io::Error::other("a non-UTF-8 answer head"))?;
        let status: u16 = head
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| std::io::Error::other("no status line"))?;
        let length: usize = head
            .lines()
            .find_map(|line| {
                let (name, value) = line.split_once(':')?;
                name.eq_ignore_ascii_case("content-length")
                    .then(|| value.trim().parse().ok())?
            })
            .ok_or_else(|| std::io::Error::other("an answer without Content-Length"))?;
        while self.buf.len() < head_end + length {
            let n = self.stream.read(&mut chunk)?;
            if n == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
        Ok((status, self.buf[head_end..head_end + length].to_vec()))
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
