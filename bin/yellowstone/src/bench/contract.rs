//! `yellowstone bench contract`: the compute contract as the chain sees it (GitHub issue 6).
//!
//! * **Size.** The deployable (compressed) code of the compute contract, built by the project's
//!   artifact pipeline exactly as `yellowstone build-contract` builds it. Goal (issue 14): at
//!   most 20,480 bytes, 4 KiB under Nitro's 24,576-byte limit (EIP-170), which is what a
//!   deployment must fit; the aim is 16 KiB. (MOR is an EVM ERC-20 on the devnet as on
//!   Arbitrum, so it has no Stylus size.)
//! * **Entry cost.** What every call pays to enter the program, as Nitro predicts it at
//!   activation from the program's shape, cached and not.
//! * **Multiplier precision.** `yellowstone_protocol::multiplier::power_multiplier` (the code
//!   the contract runs) against an exact reference written independently in
//!   [`reference`](mod@reference) at 320 fraction bits, over `--samples` seeded random inputs
//!   ([`precision`]) covering the whole range, clamps and absurd times included: the max and
//!   mean error in units of 1e-18, and how many results are not the exact floor (the contract
//!   truncates). SPEC section 5 allows 1e-15 (1,000 units).
//! * **Multiplier gas.** The contract's `powerMultiplier` view on the embedded devnet, deployed
//!   from the artifacts just measured ([`onchain`]): `eth_estimateGas` per call (which includes
//!   the 21,000 intrinsic gas and calldata) and the same less the intrinsic cost.
//!
//! Why: the contract's bytes are what Arbitrum caps and charges at deployment and activation;
//! the multiplier weighs every provider's stake in selection, so its precision is money; its
//! gas is paid on every stake and lock change.

pub mod onchain;
pub mod precision;
pub mod reference;

use anyhow::{ensure, Result};
use yellowstone_artifact::MAX_DEPLOYABLE_SIZE;

use super::{push_flag, Figure};

/// The goal for the compute contract's deployable size (issue 14): at most 20,480 bytes, 4 KiB
/// under Nitro's limit.
pub const SIZE_GOAL: usize = 20 * 1024;

/// What the size aims at (issue 14): 16 KiB.
pub const SIZE_AIM: usize = 16 * 1024;

/// The error SPEC section 5 allows, in units of 1e-18: 1e-15.
pub const ERROR_ALLOWED: f64 = 1_000.0;

const SAMPLES: u64 = 1_000_000;
const SEED: u64 = 20_240_725;
const GAS_CALLS: usize = 200;

/// Options of `yellowstone bench contract`.
#[derive(Debug, Clone, clap::Args)]
pub struct Options {
    /// Random (start, end) inputs compared with the exact reference.
    #[arg(long, default_value_t = SAMPLES)]
    pub samples: u64,
    /// Seed of the random inputs (the same seed gives the same inputs).
    #[arg(long, default_value_t = SEED)]
    pub seed: u64,
    /// `powerMultiplier` calls measured on the devnet.
    #[arg(long, default_value_t = GAS_CALLS)]
    pub gas_calls: usize,
    /// Threads for the precision run (0: every core).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
}

/// The command that reproduces the figures of `options`.
fn command(options: &Options) -> String {
    let mut out = "cargo run --release --bin yellowstone -- bench contract".to_string();
    push_flag(&mut out, "samples", options.samples, SAMPLES);
    push_flag(&mut out, "seed", options.seed, SEED);
    push_flag(&mut out, "gas-calls", options.gas_calls, GAS_CALLS);
    out
}

/// The precision figures of a run of [`precision::run`].
pub fn precision_figures(found: &precision::Precision, command: &str) -> Vec<Figure> {
    let worst = found
        .worst
        .map(|(s, e)| format!("worst {:.9} at ({s}, {e})", found.max_error))
        .unwrap_or_default();
    vec![
        Figure::new(
            "contract",
            "multiplier_max_error",
            format!(
                "power multiplier max error vs exact, {} random inputs",
                found.samples
            ),
            found.max_error,
            "units of 1e-18",
            command,
        )
        .goal("< 1,000 (1e-15, SPEC 5)", found.max_error < ERROR_ALLOWED)
        .compare(format!(
            "exact reference at 2^-320 (bench::contract::reference); {worst}"
        )),
        Figure::new(
            "contract",
            "multiplier_mean_error",
            "power multiplier mean error vs exact, all inputs",
            found.mean_error(),
            "units of 1e-18",
            command,
        )
        .compare(format!(
            "{:.3} over the {} inputs no clamp decided",
            found.mean_unclamped_error(),
            found.samples - found.clamped
        )),
        Figure::new(
            "contract",
            "multiplier_not_floor",
            "power multiplier results that are not floor(exact * 1e18)",
            found.not_floor as f64,
            "results",
            command,
        )
        .goal("0 (the contract truncates)", found.not_floor == 0)
        .compare(format!(
            "{} inputs in {:.1?} on {} threads",
            found.samples, found.elapsed, found.threads
        )),
    ]
}

/// What entering the program costs on every call, as Nitro predicts it at activation from the
/// program's shape (`entry_costs` in devnet/src/activation/costs.rs): the size a contract ships is also
/// gas on every call.
fn entry_figures(key: &str, size: &onchain::Size, command: &str) -> Result<Vec<Figure>> {
    let program = yellowstone_devnet::activation::activate(&size.deployable)
        .map_err(|e| anyhow::anyhow!("activating {}: {e}", size.package))?;
    let info = &program.info;
    let cached = yellowstone_devnet::stylus::ink::cached_gas(info.cached_init_cost);
    let init = yellowstone_devnet::stylus::ink::init_gas(info.init_cost);
    Ok(vec![
        Figure::new(
            "contract",
            format!("{key}_entry_gas_uncached"),
            format!("{} entry cost, not cached", size.package),
            (init + cached) as f64,
            "gas",
            command,
        )
        .compare(format!(
            "initGas {init} (8,832 + initCost {}, mostly Wasm bytes x 0.1286) + cachedGas \
             {cached}; paid by every call unless the program is cached",
            info.init_cost
        )),
        Figure::new(
            "contract",
            format!("{key}_entry_gas_cached"),
            format!("{} entry cost, cached (ArbWasmCache)", size.package),
            cached as f64,
            "gas",
            command,
        )
        .compare(format!(
            "352 + cachedCost {} (mostly the data and element segments' encoded bytes x 0.75); \
             paid by every call",
            info.cached_init_cost
        )),
    ])
}

/// Measures the contract: sizes, multiplier precision, multiplier gas.
pub fn run(options: &Options) -> Result<Vec<Figure>> {
    let command = command(options);
    let mut figures = Vec::new();

    eprintln!("building the contracts with the artifact pipeline...");
    let artifacts = onchain::scratch_dir("contract");
    let sizes = onchain::build_sizes(&artifacts);
    let sizes = match sizes {
        Ok(sizes) => sizes,
        Err(err) => {
            let _ = std::fs::remove_dir_all(&artifacts);
            return Err(err);
        }
    };
    for size in &sizes {
        let key = size
            .package
            .trim_start_matches("yellowstone-")
            .replace('-', "_");
        let mut figure = Figure::new(
            "contract",
            format!("{key}_compressed_bytes"),
            format!(
                "{} deployable size (brotli + prefix; Wasm {} bytes)",
                size.package, size.wasm
            ),
            size.compressed as f64,
            "bytes",
            &command,
        )
        .compare(format!(
            "Nitro limit {MAX_DEPLOYABLE_SIZE} bytes: {:.1}% of it, {} bytes {}; aim {SIZE_AIM} \
             (16 KiB): {} bytes {}",
            100.0 * size.compressed as f64 / MAX_DEPLOYABLE_SIZE as f64,
            size.compressed.abs_diff(MAX_DEPLOYABLE_SIZE),
            if size.compressed <= MAX_DEPLOYABLE_SIZE {
                "left"
            } else {
                "over"
            },
            size.compressed.abs_diff(SIZE_AIM),
            if size.compressed <= SIZE_AIM {
                "under"
            } else {
                "over"
            }
        ));
        if size.package == "yellowstone-compute" {
            figure = figure.goal(
                "<= 20,480 (4 KiB under the limit)",
                size.compressed <= SIZE_GOAL,
            );
        }
        figures.push(figure);
        figures.extend(entry_figures(&key, size, &command)?);
    }

    eprintln!(
        "multiplier precision: {} inputs against the exact reference...",
        options.samples
    );
    let found = precision::run(options.samples, options.seed, options.threads, true);
    figures.extend(precision_figures(&found, &command));

    eprintln!(
        "multiplier gas: {} calls on the embedded devnet...",
        options.gas_calls
    );
    let gas = onchain::measure_gas(&artifacts, options.gas_calls, options.seed);
    let _ = std::fs::remove_dir_all(&artifacts);
    let gas = gas?;
    ensure!(
        gas.mismatches == 0,
        "{} of {} powerMultiplier calls disagreed with yellowstone_protocol",
        gas.mismatches,
        gas.calls
    );
    figures.push(
        Figure::new(
            "contract",
            "multiplier_gas_mean",
            format!(
                "powerMultiplier gas, eth_estimateGas incl. 21,000 intrinsic, mean of {}",
                gas.calls
            ),
            gas.estimate.1.round(),
            "gas",
            &command,
        )
        .compare(format!(
            "min {}, max {}; a call returning at once (start >= end) {}, so the curve costs \
             {:.0} on average; every result equals yellowstone_protocol's",
            gas.estimate.0,
            gas.estimate.2,
            gas.baseline,
            gas.estimate.1 - gas.baseline as f64
        )),
    );
    figures.push(
        Figure::new(
            "contract",
            "multiplier_execution_gas_mean",
            "powerMultiplier execution gas (estimate less 21,000 and calldata), mean",
            gas.execution.1.round(),
            "gas",
            &command,
        )
        .compare(format!("min {}, max {}", gas.execution.0, gas.execution.2)),
    );
    Ok(figures)
}
