//! `yellowstone bench market`, reduced: two simulated days of the seeded population with
//! every adversary, through the router's real rules. What is asserted is what the rules
//! promise whatever the population's size (the adversaries' bounds); the shares of honest work
//! are printed, and measured at full size in docs/BENCHMARKS.md.

use yellowstone_cli::bench::market::{run, Options};

fn options() -> Options {
    Options {
        days: 2,
        requests: 300,
        providers: 8,
        sigma_permille: 500,
        step_day: 2,
        slowdown: 4,
        honest_only: false,
        seed: 13,
        slower_percent: None,
    }
}

#[test]
fn the_adversaries_of_the_simulation_stay_within_their_bounds() {
    let figures = run(&options()).unwrap();
    let met = |key: &str| {
        let f = figures
            .iter()
            .find(|f| f.key == key)
            .unwrap_or_else(|| panic!("no figure {key}"));
        eprintln!("{}: {} {}", f.name, f.value, f.unit);
        f.met
    };
    for key in [
        "accomplice_credit_per_day",
        "absurd_bid_credit",
        "fail_spam_backoffs",
        "reference_price_steady",
    ] {
        assert_eq!(met(key), Some(true), "{key}");
    }
    let honest = figures
        .iter()
        .find(|f| f.key == "honest_work_credited")
        .unwrap();
    assert!(honest.value > 80.0, "{}: {}%", honest.name, honest.value);
}

#[test]
fn the_same_seed_replays_the_same_market() {
    let values = |figures: Vec<yellowstone_cli::bench::Figure>| {
        figures
            .into_iter()
            .map(|f| (f.key, f.value))
            .collect::<Vec<_>>()
    };
    let small = Options {
        days: 1,
        requests: 100,
        ..options()
    };
    assert_eq!(values(run(&small).unwrap()), values(run(&small).unwrap()));
}
