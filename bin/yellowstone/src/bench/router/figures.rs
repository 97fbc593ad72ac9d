//! The figures of a run: efficiency against the floor, rates, shares of the limit and
//! latencies, each goal with the reason it is met or not.

use super::{
    Floor, Measured, Options, Pinning, Recoveries, GOAL_ADMISSION_EFFICIENCY, GOAL_P99_MS,
    GOAL_REPORT_EFFICIENCY,
};
use crate::bench::{load::Phase, Figure};

/// The figures of a run.
pub fn figures(options: &Options, m: &Measured) -> Vec<Figure> {
    let command = format!(
        "cargo run --release --bin yellowstone -- bench router --duration {} --concurrency {} --users {}{}",
        options.duration,
        options.concurrency,
        options.users,
        if options.no_pin { " --no-pin" } else { "" }
    );
    let figure = |key: &str, name: String, value: f64, unit: &'static str| {
        Figure::new("router", key, name, value, unit, command.clone())
    };
    let mut out = limits(m, &figure);
    out.extend(efficiency(m, &figure));
    out.extend(whole_machine(m, &figure));
    out.extend(latency(m, &figure));
    out
}

type Make<'a> = dyn Fn(&str, String, f64, &'static str) -> Figure + 'a;

fn limits(m: &Measured, figure: &Make<'_>) -> Vec<Figure> {
    let cores = m.load.limits.first().map_or(0, |r| r.cores);
    let series = |f: fn(&Recoveries) -> f64| {
        let values: Vec<String> = m
            .load
            .limits
            .iter()
            .map(|r| format!("{:.0}", f(r)))
            .collect();
        values.join(", ")
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
            m.limit().round(),
            "per second",
        )
        .compare(format!(
            "measured around each phase: {}; load average {:.2} at the start, {:.2} at the end",
            series(|r| r.all_cores),
            m.load.load_average.0,
            m.load.load_average.1
        )),
    ]
}

/// Where the router ran, for the comparisons.
fn placement(m: &Measured) -> String {
    match &m.pinning {
        Pinning::Pinned { router, load } => {
            format!("router (with devnet and gateway) pinned to core {router}, load to core {load}")
        }
        Pinning::Unpinned(why) => format!("not pinned: {why}"),
    }
}

fn efficiency(m: &Measured, figure: &Make<'_>) -> Vec<Figure> {
    let mut out = Vec::new();
    for (phase, what, an, ok, floor_us, goal, recovered) in [
        (
            "admit",
            "admission",
            "an admission",
            m.load.admit.ok,
            Floor::admission_us as fn(&Floor) -> f64,
            GOAL_ADMISSION_EFFICIENCY,
            "1 recovery + 1 signing",
        ),
        (
            "report",
            "report",
            "a report",
            m.load.report.ok,
            Floor::report_us,
            GOAL_REPORT_EFFICIENCY,
            "1 recovery",
        ),
    ] {
        let floor = m.floor_of(phase);
        let floor_us = floor_us(&floor);
        let cpu = m.phase_cpu(phase);
        let per = |d: std::time::Duration| d.as_secs_f64() * 1e6 / ok.max(1) as f64;
        let cpu_us = cpu.map(|c| per(c.router));
        out.push(
            figure(
                &format!("floor_per_{what}_us"),
                format!("the cryptographic floor of {an}: {recovered}, CPU time on the router's core"),
                round1(floor_us),
                "us",
            )
            .compare(format!(
                "recovery {:.1} us (yellowstone_protocol::messages::recover), signing {:.1} us (yellowstone_market::state::sign_digest), router idle, before and after the phase: {}",
                floor.recovery_us,
                floor.signing_us,
                floors_text(m, phase)
            )),
        );
        out.push(
            figure(
                &format!("router_cpu_per_{what}_us"),
                format!("the router's CPU time per {what} at full speed (its runtime's and store's threads)"),
                cpu_us.map_or(0.0, round1),
                "us",
            )
            .compare(match cpu {
                Some(c) => format!(
                    "{} threads, {:.2} s of CPU over {:.2} s for {ok} answered 200; the whole process (router, devnet, gateway): {:.1} us per {what}; {}",
                    c.threads,
                    c.router.as_secs_f64(),
                    phase_seconds(m, phase),
                    per(c.process),
                    placement(m)
                ),
                None => "CPU time per thread is unavailable on this platform".into(),
            }),
        );
        let efficiency = cpu_us.map_or(0.0, |cpu| floor_us / cpu);
        out.push(
            figure(
                &format!("{what}_efficiency"),
                format!(
                    "{what} efficiency: the floor as a share of the router's CPU time per {what}"
                ),
                percent(efficiency),
                "%",
            )
            .goal(format!(">= {:.0}%", goal * 100.0), efficiency >= goal)
            .compare(efficiency_reason(what, floor_us, cpu_us, goal)),
        );
    }
    if let Some(c) = m.phase_cpu("paced") {
        let ok = m.load.paced.phase.ok.max(1) as f64;
        out.push(
            figure(
                "router_cpu_per_admission_half_load_us",
                "the router's CPU time per admission at half load (open loop)".into(),
                round1(c.router.as_secs_f64() * 1e6 / ok),
                "us",
            )
            .compare(format!(
                "fewer requests per wake-up than at full speed; floor {:.1} us",
                m.floor_of("admit").admission_us()
            )),
        );
    }
    out
}

/// Why an efficiency goal is met or not, in microseconds per request.
fn efficiency_reason(what: &str, floor_us: f64, cpu_us: Option<f64>, goal: f64) -> String {
    let Some(cpu_us) = cpu_us else {
        return "not met: the router's CPU time could not be read".into();
    };
    let allowed = floor_us / goal - floor_us;
    let rest = cpu_us - floor_us;
    if floor_us / cpu_us >= goal {
        format!(
            "met: {cpu_us:.1} us per {what}, of which {floor_us:.1} us is the floor; the other {rest:.1} us is within the {allowed:.1} us the goal leaves"
        )
    } else {
        format!(
            "not met: {cpu_us:.1} us per {what} against a floor of {floor_us:.1} us; the other {rest:.1} us (HTTP, JSON, hashing, SQLite, wake-ups: see the profile in docs/BENCHMARKS.md) is {:.1} us more than the {allowed:.1} us the goal leaves",
            rest - allowed
        )
    }
}

fn floors_text(m: &Measured, phase: &str) -> String {
    let values: Vec<String> = ["start", "end"]
        .iter()
        .filter_map(|at| m.floors.get(&format!("{phase}-{at}")))
        .map(|f| format!("{:.1} + {:.1}", f.recovery_us, f.signing_us))
        .collect();
    values.join(", ")
}

fn phase_seconds(m: &Measured, phase: &str) -> f64 {
    match phase {
        "admit" => m.load.admit.seconds,
        "report" => m.load.report.seconds,
        _ => m.load.paced.phase.seconds,
    }
}

fn whole_machine(m: &Measured, figure: &Make<'_>) -> Vec<Figure> {
    let cores = m.load.limits.first().map_or(0, |r| r.cores);
    let limit_text = |limit: f64, phase: &str| {
        format!(
            "limit: {limit:.0} secp256k1 recoveries/s on all {cores} cores (yellowstone_protocol::messages::recover, k256), measured just before and after the {phase} in the same run; {}",
            placement(m)
        )
    };
    let admit = m.load.admit.rate();
    let reports = m.load.report.rate();
    let admit_share = admit * m.recoveries_per_rfc / m.admission_limit();
    let report_share = reports * m.recoveries_per_report / m.report_limit();
    let admit_limit = limit_text(m.admission_limit(), "admission phase");
    let report_limit = limit_text(m.report_limit(), "report phase");
    vec![
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
            "RFCs admitted per second x recoveries per RFC, as a share of the whole machine's limit".into(),
            percent(admit_share),
            "%",
        )
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
            "reports accepted per second x recoveries per report, as a share of the whole machine's limit".into(),
            percent(report_share),
            "%",
        )
        .compare(report_limit),
    ]
}

fn latency(m: &Measured, figure: &Make<'_>) -> Vec<Figure> {
    let paced = &m.load.paced;
    let met = paced.p99_ms < GOAL_P99_MS;
    let reason = if met {
        format!(
            "met: 99% of admissions answered within {:.3} ms of their scheduled send",
            paced.p99_ms
        )
    } else {
        format!(
            "not met: 1% of admissions took over {:.3} ms from their scheduled send (p50 {:.3} ms): the tail, not the typical request",
            paced.p99_ms, paced.p50_ms
        )
    };
    vec![
        figure(
            "admission_p99_ms_half_load",
            format!(
                "p99 admission latency at half the admission rate ({:.0} RFCs/s, open loop)",
                paced.rate
            ),
            round3(paced.p99_ms),
            "ms",
        )
        .goal("< 5 ms", met)
        .compare(format!(
            "{reason}; max {:.3} ms; {}; {} sent over a millisecond late; {}",
            paced.max_ms,
            outcome(&paced.phase),
            paced.late,
            placement(m)
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

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
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
