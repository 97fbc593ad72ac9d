//! The JSON report the load process prints: each phase's outcome and the machine's limits.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::bench::router::Recoveries;

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
