//! The contracts as the chain sees them: their deployable size, built by the project's artifact
//! pipeline (`yellowstone_artifact`, as `yellowstone build-contract` does), and the gas of the
//! compute contract's `powerMultiplier` view on the embedded devnet, deployed from exactly the
//! artifacts just measured.

use std::path::{Path, PathBuf};

use alloy_primitives::{Address, Bytes, U256};
use alloy_sol_types::SolCall;
use anyhow::{bail, Context, Result};
use yellowstone_artifact::{build_artifact, BuildOptions};
use yellowstone_devnet::{
    chain::{BlockTag, CallRequest, Chain, DEV_ACCOUNTS},
    deploy::{deploy_yellowstone, DeployConfig},
};
use yellowstone_protocol::multiplier::{power_multiplier, WINDOW_START};

use super::precision::sample;
use yellowstone_chain::IYellowstoneCompute;

/// The packages measured: the compute contract. (The devnet's MOR is an EVM ERC-20, deployed
/// from `contracts/mor-erc20`; the Stylus MOR fixture is a test fixture, not measured.)
pub const PACKAGES: [&str; 1] = ["yellowstone-compute"];

/// One contract's sizes.
#[derive(Clone, Debug)]
pub struct Size {
    /// Cargo package.
    pub package: String,
    /// The Wasm cargo wrote, in bytes.
    pub raw: usize,
    /// The normalised, stripped Wasm the chain runs, in bytes.
    pub wasm: usize,
    /// The deployable code (prefix + brotli), in bytes: what EIP-170 caps.
    pub compressed: usize,
    /// The deployable bytes themselves.
    pub deployable: Vec<u8>,
}

/// Builds each of [`PACKAGES`] with the artifact pipeline and writes `<lib>.br` into `out_dir`
/// (for the devnet to deploy).
pub fn build_sizes(out_dir: &Path) -> Result<Vec<Size>> {
    std::fs::create_dir_all(out_dir).with_context(|| format!("creating {}", out_dir.display()))?;
    PACKAGES
        .iter()
        .map(|package| {
            let opts = BuildOptions::new(*package);
            let (built, artifact) =
                build_artifact(&opts).with_context(|| format!("building {package}"))?;
            artifact
                .write(out_dir, &built.lib_name)
                .with_context(|| format!("writing {package}'s artifact"))?;
            Ok(Size {
                package: package.to_string(),
                raw: artifact.raw_len,
                wasm: artifact.normalized_len(),
                compressed: artifact.compressed_len(),
                deployable: artifact.deployable.clone(),
            })
        })
        .collect()
}

/// Gas of `powerMultiplier` calls, per call.
#[derive(Clone, Debug, Default)]
pub struct Gas {
    /// Calls measured.
    pub calls: usize,
    /// `eth_estimateGas` (intrinsic 21,000 and calldata included): least, mean, most.
    pub estimate: (u64, f64, u64),
    /// The same less the intrinsic cost (21,000 + calldata at 4 gas per zero byte and 16 per
    /// other byte): the contract's execution.
    pub execution: (u64, f64, u64),
    /// Calls whose contract result differed from `yellowstone_protocol`'s (must be 0).
    pub mismatches: usize,
    /// `eth_estimateGas` of `powerMultiplier(S + 1, S)`, which returns 1 at once (`start >=
    /// end`): the cost of the call itself, measured beside the others.
    pub baseline: u64,
}

/// The intrinsic gas of a call with `data`: 21,000 plus EIP-2028 calldata pricing. (The devnet
/// runs Prague, whose EIP-7623 calldata floor only binds when execution costs less than six gas
/// per calldata token, a few hundred gas here: far below any `powerMultiplier` call.)
pub fn intrinsic_gas(data: &[u8]) -> u64 {
    21_000
        + data
            .iter()
            .map(|b| if *b == 0 { 4 } else { 16 })
            .sum::<u64>()
}

/// Deploys the artifacts in `artifacts` on a fresh embedded devnet and measures `calls` calls
/// of `powerMultiplier` with inputs of `seed` (the precision run's distribution), checking each
/// result against `yellowstone_protocol::multiplier::power_multiplier`.
pub fn measure_gas(artifacts: &Path, calls: usize, seed: u64) -> Result<Gas> {
    let mut chain = Chain::new();
    let config = DeployConfig {
        build_missing: false,
        ..DeployConfig::default()
    };
    let deployment = deploy_yellowstone(&mut chain, artifacts, &config)
        .with_context(|| format!("deploying from {}", artifacts.display()))?;
    let caller: Address = DEV_ACCOUNTS[0].address;
    let request_of = |start: U256, end: U256| CallRequest {
        from: Some(caller),
        to: Some(deployment.compute),
        data: Bytes::from(IYellowstoneCompute::powerMultiplierCall { start, end }.abi_encode()),
        ..CallRequest::default()
    };
    let s = U256::from(WINDOW_START);
    let baseline = chain
        .estimate_gas(&request_of(s + U256::from(1u8), s), BlockTag::Latest)
        .map_err(|e| anyhow::anyhow!("estimating powerMultiplier(S + 1, S): {e}"))?;
    let (mut estimates, mut executions) = (Vec::new(), Vec::new());
    let mut mismatches = 0;
    for index in 0..calls as u64 {
        let (start, end) = sample(seed, index);
        let request = request_of(start, end);
        let output = chain
            .call(&request, BlockTag::Latest)
            .map_err(|e| anyhow::anyhow!("powerMultiplier({start}, {end}): {e}"))?;
        let value = IYellowstoneCompute::powerMultiplierCall::abi_decode_returns(&output)
            .context("decoding powerMultiplier's result")?;
        if value != power_multiplier(start, end) {
            mismatches += 1;
        }
        let gas = chain
            .estimate_gas(&request, BlockTag::Latest)
            .map_err(|e| anyhow::anyhow!("estimating powerMultiplier({start}, {end}): {e}"))?;
        estimates.push(gas);
        executions.push(gas.saturating_sub(intrinsic_gas(&request.data)));
    }
    if estimates.is_empty() {
        bail!("no calls measured");
    }
    let spread = |xs: &[u64]| {
        let mean = xs.iter().sum::<u64>() as f64 / xs.len() as f64;
        (
            *xs.iter().min().expect("not empty"),
            mean,
            *xs.iter().max().expect("not empty"),
        )
    };
    Ok(Gas {
        calls: estimates.len(),
        estimate: spread(&estimates),
        execution: spread(&executions),
        mismatches,
        baseline,
    })
}

/// A fresh directory under the system's temporary directory, for the bench's artifacts.
pub fn scratch_dir(what: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    std::env::temp_dir().join(format!(
        "yellowstone-bench-{what}-{}-{nanos}",
        std::process::id()
    ))
}
