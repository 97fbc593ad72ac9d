//! Prometheus metrics: counters kept in atomics, rendered as the text exposition format at
//! `/metrics`. Money is exported as integer wei text, never through a float.

use std::{
    collections::BTreeMap,
    fmt::Write,
    sync::{
        atomic::{AtomicU64, Ordering::Relaxed},
        Mutex,
    },
};

use alloy_primitives::U256;

/// The router's counters and gauges.
#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, u16), u64>>,
    /// RFCs admitted (tickets issued).
    pub admissions: AtomicU64,
    /// RFCs shed because the router was saturated.
    pub sheds: AtomicU64,
    /// RFCs refused for want of allowance.
    pub exhausted: AtomicU64,
    /// Reports accepted and credited.
    pub credited_reports: AtomicU64,
    /// Reports accepted and not credited.
    pub refused_reports: AtomicU64,
    /// Output tokens credited.
    pub credited_tokens: AtomicU64,
    credited_wei: Mutex<U256>,
    /// Epoch roots the contract accepted.
    pub epochs_committed: AtomicU64,
    /// Submissions of an epoch root the contract refused (the root stays in flight until its
    /// deadline).
    pub epochs_rejected: AtomicU64,
    /// Epoch roots archived unlanded: past their deadline on-chain with their number free.
    pub epochs_expired: AtomicU64,
    /// Archived roots of this router's found on-chain and adopted.
    pub epochs_adopted: AtomicU64,
    /// 1 while the contract's latest root is foreign (settlement stopped), else 0.
    pub foreign_root: AtomicU64,
    /// Failed chain reads or submissions.
    pub chain_errors: AtomicU64,
    /// Unix seconds of the last successful chain read.
    pub chain_seen: AtomicU64,
    /// Gas used by the last committed epoch.
    pub last_epoch_gas: AtomicU64,
    /// Provider probes that failed.
    pub probe_failures: AtomicU64,
}

/// Gauges read at scrape time.
pub struct Gauges {
    /// Unix seconds now.
    pub now: u64,
    /// Wei credited but not in a committed root.
    pub pending_wei: U256,
    /// Credits not in a committed root.
    pub pending_credits: usize,
    /// Latest committed epoch.
    pub epoch: u64,
    /// Whether an epoch waits for the chain.
    pub in_flight: bool,
    /// Open tickets.
    pub open_tickets: usize,
    /// RFCs being admitted and waiting.
    pub gate: (usize, usize),
    /// Database size in bytes.
    pub db_bytes: u64,
    /// secp256k1 recoveries done for this router's state.
    pub signatures_recovered: u64,
    /// secp256k1 signatures made by this router (tickets and epoch roots).
    pub signatures_made: u64,
}

impl Metrics {
    /// Counts one HTTP request to `route` answered with `status`.
    pub fn request(&self, route: &str, status: u16) {
        *self
            .requests
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry((route.to_string(), status))
            .or_default() += 1;
    }

    /// Counts credited wei.
    pub fn credit(&self, tokens: u64, wei: U256) {
        self.credited_reports.fetch_add(1, Relaxed);
        self.credited_tokens.fetch_add(tokens, Relaxed);
        let mut total = self.credited_wei.lock().unwrap_or_else(|p| p.into_inner());
        *total = total.saturating_add(wei);
    }

    /// The text exposition format.
    pub fn render(&self, g: &Gauges) -> String {
        let mut out = String::new();
        let mut metric = |name: &str, kind: &str, help: &str, value: String| {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
            );
        };
        let c = |a: &AtomicU64| a.load(Relaxed).to_string();
        metric(
            "yellowstone_admissions_total",
            "counter",
            "RFCs admitted (tickets issued).",
            c(&self.admissions),
        );
        metric(
            "yellowstone_signature_recoveries_total",
            "counter",
            "secp256k1 signature recoveries (every signed message checked costs one).",
            g.signatures_recovered.to_string(),
        );
        metric(
            "yellowstone_signatures_made_total",
            "counter",
            "secp256k1 signatures made (tickets and epoch roots).",
            g.signatures_made.to_string(),
        );
        metric(
            "yellowstone_sheds_total",
            "counter",
            "RFCs shed because the router was saturated.",
            c(&self.sheds),
        );
        metric(
            "yellowstone_allowance_exhausted_total",
            "counter",
            "RFCs refused for want of allowance.",
            c(&self.exhausted),
        );
        metric(
            "yellowstone_reports_credited_total",
            "counter",
            "Reports credited.",
            c(&self.credited_reports),
        );
        metric(
            "yellowstone_reports_refused_total",
            "counter",
            "Reports judged and not credited.",
            c(&self.refused_reports),
        );
        metric(
            "yellowstone_credited_tokens_total",
            "counter",
            "Output tokens credited.",
            c(&self.credited_tokens),
        );
        let wei = *self.credited_wei.lock().unwrap_or_else(|p| p.into_inner());
        metric(
            "yellowstone_credited_wei_total",
            "counter",
            "MOR wei credited to providers.",
            wei.to_string(),
        );
        metric(
            "yellowstone_pending_wei",
            "gauge",
            "MOR wei credited but not in a committed epoch root.",
            g.pending_wei.to_string(),
        );
        metric(
            "yellowstone_pending_credits",
            "gauge",
            "Credits not in a committed epoch root.",
            g.pending_credits.to_string(),
        );
        metric(
            "yellowstone_epochs_committed_total",
            "counter",
            "Epoch roots the contract accepted.",
            c(&self.epochs_committed),
        );
        metric(
            "yellowstone_epochs_rejected_total",
            "counter",
            "Submissions of an epoch root the contract refused (retried until its deadline).",
            c(&self.epochs_rejected),
        );
        metric(
            "yellowstone_epochs_expired_total",
            "counter",
            "Epoch roots archived unlanded, past their deadline on-chain.",
            c(&self.epochs_expired),
        );
        metric(
            "yellowstone_epochs_adopted_total",
            "counter",
            "Archived roots of this router's found on-chain and adopted.",
            c(&self.epochs_adopted),
        );
        metric(
            "yellowstone_foreign_root",
            "gauge",
            "1 while the contract's latest root is not this router's: settlement stopped.",
            c(&self.foreign_root),
        );
        metric(
            "yellowstone_epoch",
            "gauge",
            "Latest committed epoch.",
            g.epoch.to_string(),
        );
        metric(
            "yellowstone_epoch_in_flight",
            "gauge",
            "1 while an epoch root waits for the chain.",
            u8::from(g.in_flight).to_string(),
        );
        metric(
            "yellowstone_epoch_gas_used",
            "gauge",
            "Gas used by the last epoch commit.",
            c(&self.last_epoch_gas),
        );
        metric(
            "yellowstone_chain_errors_total",
            "counter",
            "Failed chain reads and submissions.",
            c(&self.chain_errors),
        );
        let seen = self.chain_seen.load(Relaxed);
        // NaN until the chain first answers (`/health` says null).
        let lag = if seen == 0 {
            "NaN".to_string()
        } else {
            g.now.saturating_sub(seen).to_string()
        };
        metric(
            "yellowstone_chain_lag_seconds",
            "gauge",
            "Seconds since the chain last answered.",
            lag,
        );
        metric(
            "yellowstone_probe_failures_total",
            "counter",
            "Provider health probes that failed.",
            c(&self.probe_failures),
        );
        metric(
            "yellowstone_open_tickets",
            "gauge",
            "Tickets handed out and not yet reported.",
            g.open_tickets.to_string(),
        );
        metric(
            "yellowstone_admitting",
            "gauge",
            "RFCs being admitted now.",
            g.gate.0.to_string(),
        );
        metric(
            "yellowstone_admission_queue",
            "gauge",
            "RFCs waiting for admission.",
            g.gate.1.to_string(),
        );
        metric(
            "yellowstone_database_bytes",
            "gauge",
            "Size of the router database.",
            g.db_bytes.to_string(),
        );
        let _ = writeln!(
            out,
            "# HELP yellowstone_http_requests_total HTTP requests by route and status.\n# TYPE yellowstone_http_requests_total counter"
        );
        for ((route, status), n) in self
            .requests
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
        {
            let _ = writeln!(
                out,
                "yellowstone_http_requests_total{{route=\"{route}\",status=\"{status}\"}} {n}"
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gauges() -> Gauges {
        Gauges {
            now: 0,
            pending_wei: U256::ZERO,
            pending_credits: 0,
            epoch: 0,
            in_flight: false,
            open_tickets: 0,
            gate: (0, 0),
            db_bytes: 0,
            signatures_recovered: 0,
            signatures_made: 0,
        }
    }

    /// The value `render` prints for `name`.
    fn value(text: &str, name: &str) -> u64 {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{name} ")))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("{name} missing from\n{text}"))
    }

    #[test]
    fn signature_work_is_exported() {
        let text = Metrics::default().render(&Gauges {
            signatures_recovered: 7,
            signatures_made: 2,
            ..gauges()
        });
        assert_eq!(value(&text, "yellowstone_signatures_made_total"), 2);
        assert_eq!(value(&text, "yellowstone_signature_recoveries_total"), 7);
    }
}
