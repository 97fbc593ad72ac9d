//! `yellowstone bench router` end to end, briefly: the devnet, the router, a provider and a
//! separate load process (the built `yellowstone` binary) driving one-second phases. Checks
//! that every figure is there and every request was answered as it should be; no timing is
//! asserted (the machine is shared, and times are what the bench reports, not what it tests).

use std::path::Path;

use yellowstone_cli::bench::router::{cpu, figures, measure, Options, Pinning};

#[test]
fn a_short_router_bench_admits_reports_and_measures() {
    let options = Options {
        duration: 1.0,
        concurrency: 4,
        users: 3,
        recover_seconds: 0.2,
        no_pin: false,
        artifacts_dir: Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/stylus"),
        load_exe: Some(env!("CARGO_BIN_EXE_yellowstone").into()),
    };
    let m = measure(&options).expect("the bench runs");

    let load = &m.load;
    assert!(load.admit.ok > 0, "nothing admitted: {load:?}");
    assert!(load.admit.errors.is_empty(), "admission errors: {load:?}");
    assert_eq!(load.report.sent, load.admit.ok, "a report per ticket");
    assert_eq!(
        load.report.ok, load.report.sent,
        "every report accepted: {load:?}"
    );
    assert!(load.report.errors.is_empty(), "report errors: {load:?}");
    assert!(
        load.paced.phase.sent > 0,
        "the half-load phase sent nothing"
    );
    assert_eq!(load.paced.phase.ok, load.paced.phase.sent, "{load:?}");
    assert!(load.paced.p99_ms >= load.paced.p50_ms);

    // Every RFC costs one recovery and one signing (the ticket), every report one recovery,
    // and the router's counters agree with what the load sent.
    assert_eq!(m.recoveries_per_rfc, 1.0);
    assert_eq!(m.signings_per_rfc, 1.0);
    assert_eq!(m.recoveries_per_report, 1.0);
    assert_eq!(
        m.recoveries_during_load.0 as f64,
        m.recoveries_during_load.1
    );
    assert_eq!(load.limits.len(), 5, "the limit around each phase");
    assert!(load
        .limits
        .iter()
        .all(|r| r.one_core > 0.0 && r.all_cores > 0.0 && r.cores > 0));

    // Pinned where the machine has two cores: the router on one, the load on another; and
    // this thread is given its cores back.
    let machine = cpu::allowed_cores();
    match (&m.pinning, machine.as_slice()) {
        (Pinning::Pinned { router, load }, [a, b, ..]) => assert_eq!((router, load), (a, b)),
        (Pinning::Unpinned(why), [_]) => assert!(why.contains("1 core"), "{why}"),
        (pinning, cores) => panic!("{pinning:?} on cores {cores:?}"),
    }
    // The router's CPU time was read at every mark, and each full-speed phase cost some; the
    // floor was measured around both full-speed phases.
    for phase in ["admit", "report", "paced"] {
        let cpu = m.phase_cpu(phase).expect("CPU time per phase");
        assert!(cpu.router > std::time::Duration::ZERO, "{phase}: {cpu:?}");
        assert!(
            cpu.threads >= 2,
            "{phase}: runtime and writer threads: {cpu:?}"
        );
        assert!(cpu.process >= cpu.router, "{phase}: {cpu:?}");
    }
    assert_eq!(m.floors.len(), 4, "{:?}", m.floors);
    for phase in ["admit", "report"] {
        let floor = m.floor_of(phase);
        assert!(
            floor.recovery_us > 0.0 && floor.signing_us > 0.0,
            "{floor:?}"
        );
    }

    let figures = figures(&options, &m);
    for key in [
        "floor_per_admission_us",
        "router_cpu_per_admission_us",
        "admission_efficiency",
        "floor_per_report_us",
        "router_cpu_per_report_us",
        "report_efficiency",
        "router_cpu_per_admission_half_load_us",
        "recoveries_per_second_one_core",
        "recoveries_per_second_all_cores",
        "recoveries_per_rfc",
        "recoveries_per_report",
        "admissions_per_second",
        "admission_share_of_limit",
        "reports_per_second",
        "report_share_of_limit",
        "admission_p99_ms_half_load",
        "admission_p50_ms_half_load",
    ] {
        let figure = figures
            .iter()
            .find(|f| f.key == key)
            .unwrap_or_else(|| panic!("no figure {key}"));
        assert_eq!(figure.area, "router");
        assert!(figure.value.is_finite(), "{key}: {}", figure.value);
        assert!(
            figure.command.contains("bench router"),
            "{}",
            figure.command
        );
    }
    // Three goals, each saying whether it is met and why.
    let goals: Vec<_> = figures.iter().filter(|f| f.goal.is_some()).collect();
    let keys: Vec<_> = goals.iter().map(|f| f.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "admission_efficiency",
            "report_efficiency",
            "admission_p99_ms_half_load"
        ]
    );
    for goal in goals {
        let reason = goal.comparison.as_deref().unwrap_or_default();
        let said = if goal.met == Some(true) {
            "met: "
        } else {
            "not met: "
        };
        assert!(reason.starts_with(said), "{}: {reason}", goal.key);
    }
}
