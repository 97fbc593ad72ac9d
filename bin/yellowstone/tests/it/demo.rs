//! `yellowstone demo` in-process, small: three users and thirty requests through the real
//! router and gateways on the devnet, settled across a day boundary; the books balance.

use std::path::Path;

use yellowstone_cli::demo::{run, DemoOptions};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_small_demo_settles_and_the_books_balance_to_the_wei() {
    let options = DemoOptions {
        users: 3,
        requests: 30,
        block_seconds: 1,
        database: None,
        artifacts_dir: Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/stylus"),
    };
    let demo = run(options, |_| {}).await.expect("the demo finishes");
    let report = &demo.report;
    assert!(report.balanced(), "{report}");
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert!(report.failed_refused, "{report}");
    assert_eq!(report.providers.len(), 3);
    let routed: u64 = report.providers.iter().map(|p| p.requests).sum();
    assert_eq!(routed, 30);
    for p in &report.providers {
        assert_eq!(p.claimed, p.credited + p.bootstrap, "{}", p.name);
    }
    // The slow provider is the dearest: it gets traffic only through the exploration share
    // (random, so a 30-request run may not reach it); whatever it served was judged.
    let slow = report.providers.iter().find(|p| p.slow).unwrap();
    assert!(
        slow.requests == 0 || !slow.credited.is_zero() || slow.refused > 0,
        "{report}"
    );
    let s = &report.settlement;
    assert!(s.epochs_before_midnight >= 1, "{report}");
    assert!(s.epochs > s.epochs_before_midnight, "{report}");
    assert!(!s.bootstrap.is_zero(), "{report}");
    assert!(s.epoch_gas > 0 && s.claim_gas > 0, "{report}");
    demo.stop();
}
