//! `yellowstone bench contract` and `yellowstone bench scale`, reduced: the multiplier's exact
//! reference against the committed Python fixture, a short precision run, a small population
//! through the router's state and store, and an epoch build whose proofs verify. No timing is
//! asserted (the machine is shared); only what the figures are made of.

use alloy_primitives::U256;
use yellowstone_cli::bench::{
    contract::{precision, reference},
    scale::{epoch, population},
};

/// The fixture `contracts/protocol/tests/it/multiplier.rs` checks: `start end floor(exact * 1e24)`
/// from `scripts/multiplier_reference.py` (Python `decimal`, 60 digits).
fn fixture() -> Vec<(U256, U256, U256)> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../contracts/protocol/tests/fixtures/multiplier_reference.txt"
    );
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .map(|line| {
            let fields: Vec<U256> = line
                .split(' ')
                .map(|f| f.parse().unwrap_or_else(|e| panic!("{line:?}: {e}")))
                .collect();
            (fields[0], fields[1], fields[2])
        })
        .collect()
}

#[test]
fn the_reference_matches_the_python_fixture() {
    let pairs = fixture();
    assert!(pairs.len() >= 100_000, "{} pairs", pairs.len());
    let mut differ = Vec::new();
    for (start, end, expected) in &pairs {
        let ours = reference::exact(*start, *end).floor_scaled(24);
        if ours.to_string() != expected.to_string() {
            differ.push((*start, *end, ours.to_string(), *expected));
        }
    }
    assert!(
        differ.is_empty(),
        "{} of {} pairs differ at 1e-24, first {:?}",
        differ.len(),
        pairs.len(),
        differ.first()
    );
}

#[test]
fn a_short_precision_run_finds_the_contract_exact() {
    let found = precision::run(2_000, 20_240_725, 2, false);
    assert_eq!(found.samples, 2_000);
    // SPEC 5 allows 1e-15, that is 1,000 units of 1e-18.
    assert!(found.max_error < 1_000.0, "{found:?}");
    // What the method delivers: the exact floor every time, so under one unit.
    assert_eq!(found.not_floor, 0, "{:?}", found.not_floor_examples);
    assert!(found.max_error < 1.0, "{found:?}");
    assert!(found.mean_error() < 1.0);
    assert!(found.clamped > 0 && found.clamped < found.samples);
    let figures = yellowstone_cli::bench::contract::precision_figures(&found, "test");
    assert_eq!(figures.len(), 3);
    assert!(figures.iter().all(|f| f.met != Some(false)), "{figures:?}");
}

#[test]
fn a_small_population_is_recorded_for_every_user() {
    let dir = std::env::temp_dir().join(format!(
        "yellowstone-bench-scale-test-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    let found = population::build(1_000, 50, 2, &dir, false);
    let _ = std::fs::remove_dir_all(&dir);
    let found = found.expect("the population builds");
    assert_eq!(found.users, 1_000);
    assert_eq!(found.users_recorded, 1_000);
    assert_eq!(found.tickets_recorded, 1_000);
    assert_eq!(found.reports_recorded, 1_000);
    assert!(found.db_bytes > 0);
    // Every report was credited 600 tokens at its provider's price, then settled.
    assert!(found.credited > U256::ZERO);
    let figures = yellowstone_cli::bench::scale::population_figures(&found, "test");
    assert_eq!(figures.len(), 5);
}

#[test]
fn an_epoch_of_100_providers_has_proofs_that_verify() {
    let timing = epoch::run(100, 3).expect("the epoch builds");
    assert_eq!(timing.providers, 100);
    assert_eq!(timing.builds.len(), 3);
    assert_eq!(timing.verified, 100);
    assert_ne!(timing.root, alloy_primitives::B256::ZERO);
    let figures = yellowstone_cli::bench::scale::epoch_figures(&timing, "test");
    assert_eq!(figures.len(), 2);
}
