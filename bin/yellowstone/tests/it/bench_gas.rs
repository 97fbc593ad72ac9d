//! `yellowstone bench gas` reduced to two small inference blocks: every external function of
//! the contract gets a gas figure, the settlement figures exist with issue 14's goals (as
//! deployed and cached), and the commit's gas does not depend on how many inferences the root
//! settles (a property of the contract, not a timing).

use yellowstone_cli::bench::{
    gas::{run, Options, INDEPENDENCE_PERCENT},
    Figure,
};
use yellowstone_cli::demo::devnet::default_artifacts_dir;

fn figure<'a>(figures: &'a [Figure], key: &str) -> &'a Figure {
    figures
        .iter()
        .find(|f| f.key == key)
        .unwrap_or_else(|| panic!("no figure {key}"))
}

/// The function names of the compute contract's exported ABI.
fn abi_functions() -> Vec<String> {
    functions_of(include_str!("../../../../abi/IYellowstoneCompute.json"))
}

/// The function names of an exported ABI.
fn functions_of(json: &str) -> Vec<String> {
    let abi: serde_json::Value = serde_json::from_str(json).unwrap();
    abi.as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "function")
        .map(|e| e["name"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn every_function_and_the_settlement_have_gas_figures() {
    let options = Options {
        inferences: vec![1, 10],
        providers: 3,
        artifacts_dir: default_artifacts_dir(),
    };
    let figures = run(&options).expect("the gas bench runs");
    for f in &figures {
        // Gas, and the capital contract's size beside its gas.
        if f.area == "contract" {
            assert!(f.key.starts_with("capital_") && f.unit == "bytes", "{f:?}");
        } else {
            assert_eq!((f.area, f.unit), ("gas", "gas"), "{f:?}");
        }
        assert_eq!(
            f.command,
            "yellowstone bench gas --inferences 1,10 --providers 3"
        );
    }

    let functions = abi_functions();
    assert!(functions.len() >= 20, "{functions:?}");
    for name in &functions {
        let f = figure(&figures, &format!("fn_{name}"));
        assert!(
            f.value > 21_000.0,
            "{name}: {} gas ({:?})",
            f.value,
            f.comparison
        );
    }
    assert_eq!(
        figures.iter().filter(|f| f.key.starts_with("fn_")).count(),
        functions.len(),
        "one figure per function, no more"
    );

    let (c1, c10) = (
        figure(&figures, "commit_gas_k1"),
        figure(&figures, "commit_gas_k10"),
    );
    assert!(c1.value > 21_000.0 && c10.value > 21_000.0);
    assert!(c1.goal.is_some() && c1.met.is_some());
    let tolerance = c1.value * INDEPENDENCE_PERCENT / 100.0;
    assert!(
        (c10.value - c1.value).abs() <= tolerance,
        "commit gas depends on the inferences: {} at 1, {} at 10",
        c1.value,
        c10.value
    );
    let independence = figure(&figures, "commit_independence");
    assert_eq!(independence.value, c10.value - c1.value);
    assert_eq!(independence.met, Some(true));

    let claim = figure(&figures, "claim_gas");
    assert!(claim.value > 21_000.0);

    // Issue 14's goals: as deployed (program not cached) and cached, each figure judged
    // against its own.
    for (key, goal) in [
        ("commit_gas_k1", "<= 80,000 as deployed"),
        ("claim_gas", "<= 100,000 as deployed (every claim)"),
        ("commit_gas_cached", "<= 60,000 cached"),
        ("claim_gas_cached", "<= 80,000 cached (every claim)"),
    ] {
        let f = figure(&figures, key);
        assert_eq!(f.goal.as_deref(), Some(goal), "{key}");
        assert!(f.met.is_some(), "{key}");
    }
    // Caching the compute contract saves its init cost on every call (MOR is EVM code).
    let cached = figure(&figures, "commit_gas_cached");
    assert!(
        cached.value + 8_832.0 < c10.value,
        "{} vs {}",
        cached.value,
        c10.value
    );
    for key in [
        "commit_gas_first_root",
        "commit_gas_day_first",
        "commit_gas_bootstrap",
        "claim_gas_first",
    ] {
        assert!(figure(&figures, key).value > 21_000.0, "{key}");
    }

    // Settlement per inference: the commit and one claim at 1; at 10, the commit and one claim
    // per provider (3), spread over 10.
    let p1 = figure(&figures, "per_inference_k1").value;
    let p10 = figure(&figures, "per_inference_k10").value;
    assert!(p1 > c1.value, "{p1}");
    assert!(p10 < p1, "{p10} vs {p1}");
    assert!(figure(&figures, "per_inference_k1")
        .comparison
        .as_deref()
        .unwrap_or_default()
        .contains("Morpheus"));

    capital_figures(&figures);

    // The JSON output carries every field.
    let json = serde_json::to_value(&figures).unwrap();
    assert!(json[0]["key"].is_string() && json[0]["value"].is_number());
}

/// The capital contract: every function of its exported ABI as deployed and cached (the
/// cached call cheaper by the entry cost), Morpheus's `DepositPool` beside deposit, withdraw and
/// claim, and its size within Nitro's limit.
fn capital_figures(figures: &[Figure]) {
    let functions = functions_of(include_str!("../../../../abi/IYellowstoneCapital.json"));
    assert!(functions.len() >= 20, "{functions:?}");
    for name in &functions {
        let deployed = figure(figures, &format!("capital_fn_{name}"));
        let cached = figure(figures, &format!("capital_fn_{name}_cached"));
        assert!(deployed.value > 21_000.0, "{name}: {deployed:?}");
        assert!(
            cached.value > 21_000.0 && cached.value < deployed.value,
            "{name}: cached {} vs {}",
            cached.value,
            deployed.value
        );
    }
    assert_eq!(
        figures
            .iter()
            .filter(|f| f.key.starts_with("capital_fn_"))
            .count(),
        2 * functions.len(),
        "two figures per function, no more"
    );
    for name in ["deposit", "withdraw", "claim"] {
        let f = figure(figures, &format!("capital_fn_{name}"));
        assert!(
            f.comparison
                .as_deref()
                .unwrap_or_default()
                .contains("Morpheus"),
            "{name}: {:?}",
            f.comparison
        );
    }
    let size = figure(figures, "capital_compressed_bytes");
    assert_eq!(size.met, Some(true), "{size:?}");
    let wasm = figure(figures, "capital_wasm_bytes");
    assert!(
        wasm.value > size.value,
        "the Wasm is larger than its compressed form"
    );
}
