//! `yellowstone demo` in-process, small: the compute contract funded through the capital
//! contract, three users and thirty requests through the real router and gateways on the
//! devnet, settled across a day boundary; the books of both contracts balance.

use std::path::Path;

use alloy_primitives::U256;
use yellowstone_cli::demo::{
    capital::{CAPITAL_SPECS, FUNDING_DAYS},
    run, DemoOptions,
};
use yellowstone_protocol::time::DAY;
use yellowstone_test_utils::mor;

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

    // The capital side: the compute contract's only funding came through it.
    let c = &report.capital;
    for check in c.checks() {
        assert!(check.ok, "{}", check.text);
    }
    assert_eq!(s.funded, c.funded, "{report}");
    assert_eq!(c.status.totals.compute_sent, c.funded);
    let days = c.funded_at - c.start;
    assert_eq!(days, FUNDING_DAYS * DAY, "funded after {days} s");
    let compute = c.status.schedule.compute_schedule();
    let kept = c.status.totals.kept;
    assert!(
        !kept.is_zero(),
        "the seconds before the first deposit were kept"
    );
    assert_eq!(c.funded, compute.reward(c.start, c.funded_at) + kept);
    assert_eq!(c.rows.len(), CAPITAL_SPECS.len());
    for (row, spec) in c.rows.iter().zip(CAPITAL_SPECS) {
        assert!(!row.claimed.is_zero(), "{} claimed nothing", row.name);
        assert_eq!(row.deposited, mor(spec.st_eth), "{}", row.name);
        if spec.withdraws {
            assert_eq!(row.principal, U256::ZERO);
            assert_eq!(row.withdrawal_paid, row.deposited, "no loss, no haircut");
        } else {
            assert_eq!(row.principal, row.deposited);
        }
    }
    // Emission is pro rata to principal: aurora (400 stETH) earned 1.6 times cedar (250), to
    // within the few seconds aurora's deposit and claim came first (1 part in 10,000).
    let (aurora, cedar) = (c.rows[0].claimed, c.rows[1].claimed);
    let (a, b) = (aurora * U256::from(250u64), cedar * U256::from(400u64));
    assert!(
        a.abs_diff(b) < a / U256::from(10_000u64),
        "{aurora} vs {cedar}"
    );
    assert!(!c.harvest.liquidity.is_zero() && !c.harvest.bought.is_zero());
    assert_eq!(
        c.status.pool.lp_held,
        c.bootstrap.liquidity + c.harvest.liquidity
    );
    demo.stop();
}
