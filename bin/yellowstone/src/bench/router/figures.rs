//! The figures of a run: rates, shares of the limit and latencies, with their goals.

use super::{Measured, Options, Recoveries, GOAL_P99_MS, GOAL_SHARE};
use crate::bench::{load::Phase, Figure};

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
