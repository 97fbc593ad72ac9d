//! The timed phases: closed loop at full speed and open loop at a set rate.

use std::{
    collections::BTreeMap,
    sync::atomic::{AtomicUsize, Ordering},
    time::{Duration, Instant},
};

use super::{
    http::{send, Conn, Target},
    prepare::Prepared,
    Paced, Phase,
};
use crate::bench::percentile;

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
pub(super) fn closed_loop(
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
pub(super) fn open_loop(
    target: &Target,
    requests: &[Prepared],
    concurrency: usize,
    rate: f64,
) -> Paced {
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
    let p50_ms = percentile(&mut latencies, 50.0);
    let p99_ms = percentile(&mut latencies, 99.0);
    let max_ms = percentile(&mut latencies, 100.0);
    Paced {
        phase,
        rate,
        p50_ms,
        p99_ms,
        max_ms,
        late,
    }
}
