//! The capital contract's part of `bench gas` (issue 15): every external function of
//! `abi/IYellowstoneCapital.json` on the embedded devnet, against the genuine Uniswap V2 pair,
//! the stETH/wstETH fixtures and the real compute contract, once as deployed and once with the
//! program in Nitro's cache; beside Morpheus's `DepositPool` measured on the same devnet; and the
//! contract's size.
//!
//! **The run.** A fresh devnet with the compute side, then the capital side
//! ([`deploy_capital`], Morpheus's buckets, MOR paid from a reserve). The same history runs
//! twice: on a first capital deployment as deployed, then, once its code hash is cached
//! (`ArbWasmCache.cacheProgram`), on a second deployment of the same Wasm (every call paying
//! the cached entry cost, a fresh pair and fresh storage, so the two columns differ by the
//! entry cost alone). The history: two depositors' first deposits of 500 stETH and a top-up of 10,
//! a 1% rebase whose yield bootstraps the pair at 2,000 MOR per wstETH, a day later a day's
//! yield (82 ppm) harvested, the observation re-opened, a claim, the compute bucket forwarded
//! (into the real compute contract, funded once before either run so both find it warm),
//! a withdrawal after the lock, every view (`eth_estimateGas`, 21,000 intrinsic included), the
//! owner's functions, ownership handed over last.
//!
//! **Morpheus.** `DepositPool` v7 with its `Distributor`, `RewardPool` and
//! `ChainLinkDataConsumer` behind ERC1967 proxies, compiled from MorpheusAIs/SmartContracts at
//! commit `ea893fa6` as their hardhat config does (solc 0.8.20, 200 runs, paris), deployed on
//! this devnet with the same stETH fixture and measured by receipt; how, and what stands in for
//! the L1 sender and the price feed, is in docs/BENCHMARKS.md. Their `Distributor` credits the
//! pool once a day: the day's first call pays for it, so both figures are given.

use std::{
    collections::BTreeMap,
    path::Path,
    sync::{Arc, Mutex},
};

use alloy_primitives::{keccak256, Address, Bytes, U256};
use alloy_provider::{Provider, ProviderBuilder};
use alloy_rpc_types_eth::TransactionRequest;
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::{sol, SolCall};
use anyhow::{bail, Context, Result};
use serde_json::Value;
use yellowstone_devnet::{
    capital::{deploy_capital, CapitalConfig, CAPITAL_PACKAGE},
    chain::{Chain, ARB_WASM_CACHE},
    deploy::{deploy_yellowstone, load_artifact, DeployConfig, Deployment},
    fixtures::{IStEth, IWstEth},
    rpc::serve,
};
use yellowstone_protocol::{capital::params::Parameters, dev::CapitalDeployment};

use super::{IArbWasmCache, I};
use crate::bench::{format_value, Figure};
use crate::demo::devnet::dev_key;

sol!("../../abi/IYellowstoneCapital.sol");
use IYellowstoneCapital as C;

sol! {
    /// The approvals deposits and the bootstrap need first.
    interface IApprove {
        function approve(address spender, uint256 value) external returns (bool);
    }
}

/// The contract's ABI as exported from its source (CI keeps it current).
const ABI: &str = include_str!("../../../../../abi/IYellowstoneCapital.json");

/// Morpheus `DepositPool.stake`, a second staker's first stake (same day as the first).
const MORPHEUS_STAKE_FIRST: u64 = 271_227;
/// Morpheus `DepositPool.stake`, a top-up when the day is already credited.
const MORPHEUS_STAKE: u64 = 242_407;
/// Morpheus `DepositPool.stake`, a top-up that is the day's first call (credits the day).
const MORPHEUS_STAKE_CREDITING: u64 = 391_886;
/// Morpheus `DepositPool.withdraw`, the day already credited.
const MORPHEUS_WITHDRAW: u64 = 204_833;
/// Morpheus `DepositPool.withdraw`, the day's first call.
const MORPHEUS_WITHDRAW_CREDITING: u64 = 286_385;
/// Morpheus `DepositPool.claim`, the day already credited (the L1 sender's LayerZero message
/// to mint on Arbitrum not included).
const MORPHEUS_CLAIM: u64 = 174_272;
/// Morpheus `DepositPool.claim`, the day's first call.
const MORPHEUS_CLAIM_CREDITING: u64 = 253_663;
/// Morpheus `DepositPool`'s runtime bytecode, bytes (its `Distributor`: 17,787).
const MORPHEUS_DEPOSIT_POOL_BYTES: u64 = 23_178;

const DAY: u64 = 86_400;

/// stETH in wei: `n` whole tokens.
fn tokens(n: u64) -> U256 {
    U256::from(n) * U256::from(10u64).pow(U256::from(18u64))
}

/// Gas by function name, with what was called.
type Book = BTreeMap<String, (u64, String)>;

/// The devnet served over JSON-RPC: transactions signed by development keys, time travel.
struct Net {
    url: String,
}

impl Net {
    fn provider(&self, key: &PrivateKeySigner) -> Result<impl Provider> {
        Ok(ProviderBuilder::new()
            .wallet(key.clone())
            .connect_http(self.url.parse().context("the devnet's URL")?))
    }

    /// Sends `call` to `to` from `key`; its `gasUsed`, or an error if it reverted.
    async fn send<K: SolCall>(&self, key: &PrivateKeySigner, to: Address, call: K) -> Result<u64> {
        let tx = TransactionRequest::default()
            .to(to)
            .gas_limit(5_000_000)
            .input(Bytes::from(call.abi_encode()).into());
        let receipt = self
            .provider(key)?
            .send_transaction(tx.clone())
            .await
            .with_context(|| format!("sending {}", K::SIGNATURE))?
            .get_receipt()
            .await
            .context("waiting for a receipt")?;
        if !receipt.status() {
            // Replayed as a call at the same state's successor, for the revert data.
            let why = match self.provider(key)?.call(tx.from(key.address())).await {
                Err(e) => e.to_string(),
                Ok(_) => "no revert data".into(),
            };
            bail!("{} from {} reverted: {why}", K::SIGNATURE, key.address());
        }
        Ok(receipt.gas_used)
    }

    /// `eth_call` of `call` on `to`, decoded.
    async fn read<K: SolCall>(&self, to: Address, call: K) -> Result<K::Return> {
        let tx = TransactionRequest::default()
            .to(to)
            .input(Bytes::from(call.abi_encode()).into());
        let out = self.provider(&dev_key(0)?)?.call(tx).await?;
        K::abi_decode_returns(&out).with_context(|| format!("decoding {}", K::SIGNATURE))
    }

    /// `eth_estimateGas` of `input` sent to `to` from development account 0.
    async fn estimate(&self, to: Address, input: Vec<u8>) -> Result<u64> {
        let tx = TransactionRequest::default()
            .from(dev_key(0)?.address())
            .to(to)
            .input(Bytes::from(input).into());
        Ok(self.provider(&dev_key(0)?)?.estimate_gas(tx).await?)
    }

    /// Mines a block `seconds` after the latest one (whose timestamp may run ahead of the wall
    /// clock: each block is at least a second after the last).
    async fn advance(&self, seconds: u64) -> Result<()> {
        let p = self.provider(&dev_key(0)?)?;
        let block: Value = p
            .raw_request("eth_getBlockByNumber".into(), ("latest", false))
            .await?;
        let hex = block["timestamp"]
            .as_str()
            .context("a block without a timestamp")?;
        let latest = u64::from_str_radix(hex.trim_start_matches("0x"), 16)?;
        let _: Value = p
            .raw_request("evm_setNextBlockTimestamp".into(), (latest + seconds,))
            .await?;
        let _: Value = p.raw_request("evm_mine".into(), ()).await?;
        Ok(())
    }

    /// stETH's oracle (account 0) adds `ppm` parts per million to the pooled ether.
    async fn rebase(&self, st_eth: Address, ppm: u64) -> Result<()> {
        let pooled = self
            .read(st_eth, IStEth::getTotalPooledEtherCall {})
            .await?;
        let total = pooled * U256::from(1_000_000 + ppm) / U256::from(1_000_000u64);
        let call = IStEth::rebaseCall {
            totalPooledEther: total,
        };
        self.send(&dev_key(0)?, st_eth, call).await.map(drop)
    }

    /// `key` approves `spender` for all of its `token`.
    async fn approve(
        &self,
        key: &PrivateKeySigner,
        token: Address,
        spender: Address,
    ) -> Result<()> {
        let call = IApprove::approveCall {
            spender,
            value: U256::MAX,
        };
        self.send(key, token, call).await.map(drop)
    }
}

/// Runs the history of the module documentation on the capital deployment `d`; every
/// function's gas.
async fn exercise(net: &Net, d: &CapitalDeployment) -> Result<Book> {
    let mut book = Book::new();
    let c = d.capital;
    let (owner, first, second, anyone) = (dev_key(0)?, dev_key(1)?, dev_key(2)?, dev_key(3)?);
    let mut record = |name: &str, gas: u64, note: String| {
        book.insert(name.to_string(), (gas, note));
    };
    for key in [&first, &second] {
        net.approve(key, d.st_eth, c).await?;
    }
    let deposit = |n| C::depositCall { amount: tokens(n) };
    let fresh = net.send(&first, c, deposit(500)).await?;
    net.send(&second, c, deposit(500)).await?;
    let top_up = net.send(&first, c, deposit(10)).await?;
    record(
        "deposit",
        fresh,
        format!(
            "a depositor's first deposit, 500 stETH (a top-up: {}); Morpheus stake: {} \
             (a second staker), {} (a top-up), {} (the day's first call)",
            format_value(top_up as f64),
            format_value(MORPHEUS_STAKE_FIRST as f64),
            format_value(MORPHEUS_STAKE as f64),
            format_value(MORPHEUS_STAKE_CREDITING as f64)
        ),
    );

    net.rebase(d.st_eth, 10_000).await?;
    let totals = net.read(c, C::totalsCall {}).await?;
    let wst = net
        .read(
            d.wst_eth,
            IWstEth::getWstETHByStETHCall {
                stEthAmount: totals._1 - totals._0,
            },
        )
        .await?;
    net.approve(&owner, d.native, c).await?;
    let call = C::bootstrapPoolCall {
        native_amount: wst * U256::from(2_000u64),
    };
    let gas = net.send(&owner, c, call).await?;
    let note = "the owner's first price for the empty pair: a 1% rebase's yield, wrapped, against \
                2,000 MOR per wstETH";
    record("bootstrapPool", gas, note.into());

    net.advance(DAY).await?;
    net.rebase(d.st_eth, 82).await?;
    let gas = net.send(&anyone, c, C::harvestCall {}).await?;
    let note = "a day's yield (82 ppm of 1,010 stETH): wrap, swap the optimal part through the \
                pair against its TWAP, add liquidity, re-open the observation";
    record("harvest", gas, note.into());

    net.advance(2 * Parameters::DEFAULT.twap_window).await?;
    let gas = net.send(&anyone, c, C::pokeCall {}).await?;
    record(
        "poke",
        gas,
        "re-opens the price observation (older than twice the window)".into(),
    );
    let gas = net.send(&first, c, C::claimCall {}).await?;
    record(
        "claim",
        gas,
        format!(
            "a depositor's claim of a day's emission, MOR from the reserve; Morpheus claim: {} \
             ({} the day's first call), its LayerZero message to mint on Arbitrum not included",
            format_value(MORPHEUS_CLAIM as f64),
            format_value(MORPHEUS_CLAIM_CREDITING as f64)
        ),
    );
    let gas = net.send(&anyone, c, C::fundComputeCall {}).await?;
    let note = "a day of the compute bucket into the compute contract's fund (approve + fund)";
    record("fundCompute", gas, note.into());

    net.advance(7 * DAY).await?;
    let call = C::withdrawCall {
        amount: tokens(400),
    };
    let gas = net.send(&second, c, call).await?;
    record(
        "withdraw",
        gas,
        format!(
            "400 of 500 stETH after the lock; Morpheus withdraw: {} ({} the day's first call)",
            format_value(MORPHEUS_WITHDRAW as f64),
            format_value(MORPHEUS_WITHDRAW_CREDITING as f64)
        ),
    );

    for f in abi_functions()?.into_iter().filter(|f| f.view) {
        let mut input = keccak256(f.signature().as_bytes())[..4].to_vec();
        for ty in &f.inputs {
            match ty.as_str() {
                "address" => input.extend_from_slice(first.address().into_word().as_slice()),
                other => bail!("no argument for a view parameter of type {other}"),
            }
        }
        let gas = net.estimate(c, input).await?;
        let args = if f.inputs.is_empty() {
            ""
        } else {
            " (a depositor)"
        };
        let note = format!("view{args}: eth_estimateGas, 21,000 intrinsic included");
        record(&f.name, gas, note);
    }

    let p = Parameters::DEFAULT;
    let call = C::setParametersCall {
        min_lock: p.min_lock,
        twap_window: 2 * p.twap_window,
        max_deviation_bps: p.max_deviation_bps,
        slippage_bps: p.slippage_bps,
    };
    let gas = net.send(&owner, c, call).await?;
    record(
        "setParameters",
        gas,
        "the owner doubles the TWAP window".into(),
    );
    let gas = net.send(&owner, c, C::pauseCall {}).await?;
    record("pause", gas, "the owner pauses".into());
    let gas = net.send(&owner, c, C::unpauseCall {}).await?;
    record("unpause", gas, "the owner unpauses".into());
    let next = dev_key(8)?;
    let call = C::transferOwnershipCall {
        new_owner: next.address(),
    };
    let gas = net.send(&owner, c, call).await?;
    record(
        "transferOwnership",
        gas,
        "the owner offers ownership".into(),
    );
    let gas = net.send(&next, c, C::acceptOwnershipCall {}).await?;
    record("acceptOwnership", gas, "the new owner accepts".into());
    Ok(book)
}

/// One external function of the ABI.
struct AbiFunction {
    name: String,
    view: bool,
    inputs: Vec<String>,
}

impl AbiFunction {
    fn signature(&self) -> String {
        format!("{}({})", self.name, self.inputs.join(","))
    }
}

/// Every external function of `abi/IYellowstoneCapital.json`, in its order.
fn abi_functions() -> Result<Vec<AbiFunction>> {
    let abi: Value = serde_json::from_str(ABI).context("parsing the capital ABI")?;
    let entries = abi.as_array().context("the capital ABI is not an array")?;
    Ok(entries
        .iter()
        .filter(|e| e["type"] == "function")
        .filter_map(|e| {
            let inputs = e["inputs"].as_array()?;
            Some(AbiFunction {
                name: e["name"].as_str()?.to_string(),
                view: matches!(e["stateMutability"].as_str(), Some("view" | "pure")),
                inputs: inputs
                    .iter()
                    .filter_map(|i| i["type"].as_str().map(str::to_string))
                    .collect(),
            })
        })
        .collect())
}

/// A fresh chain with the compute side and a first capital deployment.
fn first_deployment(artifacts: &Path) -> Result<(Chain, Deployment, CapitalDeployment)> {
    let mut chain = Chain::new();
    let base = deploy_yellowstone(&mut chain, artifacts, &DeployConfig::default())
        .with_context(|| format!("deploying Yellowstone from {}", artifacts.display()))?;
    let capital = deploy_capital(&mut chain, artifacts, &base, &CapitalConfig::default())
        .context("deploying the capital side")?;
    Ok((chain, base, capital))
}

/// The capital contract's figures: every function as deployed and cached, and its size.
/// Progress goes to stderr.
pub(super) async fn figures(artifacts: &Path, cmd: &str) -> Result<Vec<Figure>> {
    let code = load_artifact(artifacts, CAPITAL_PACKAGE, true)?;
    let wasm = yellowstone_artifact::decompress(&code)
        .map_err(|e| anyhow::anyhow!("decompressing the capital contract: {e}"))?
        .len();
    super::progress("the capital contract: deploying Uniswap V2, stETH and the contract");
    let dir = artifacts.to_path_buf();
    let (chain, base, first) =
        tokio::task::spawn_blocking(move || first_deployment(&dir)).await??;
    let chain = Arc::new(Mutex::new(chain));
    let rpc = serve(chain.clone(), ([127, 0, 0, 1], 0).into()).context("serving JSON-RPC")?;
    let net = Net { url: rpc.url() };
    let measured = async {
        // The compute contract as it runs: funded before, so neither run's `fundCompute` pays
        // for its first writes.
        let owner = dev_key(0)?;
        net.approve(&owner, base.mor, base.compute).await?;
        let fund = I::fundCall { amount: tokens(1) };
        net.send(&owner, base.compute, fund).await?;
        super::progress("  every function as deployed");
        let deployed = exercise(&net, &first).await?;
        super::progress("  every function again, the program cached");
        let cache = IArbWasmCache::cacheProgramCall {
            addr: first.capital,
        };
        net.send(&owner, ARB_WASM_CACHE, cache).await?;
        let dir = artifacts.to_path_buf();
        let shared = chain.clone();
        let second = tokio::task::spawn_blocking(move || {
            let mut chain = shared
                .lock()
                .map_err(|_| anyhow::anyhow!("the chain's lock is poisoned"))?;
            deploy_capital(&mut chain, &dir, &base, &CapitalConfig::default())
                .context("deploying the capital side again")
        })
        .await??;
        let cached = exercise(&net, &second).await?;
        Ok::<_, anyhow::Error>((deployed, cached))
    }
    .await;
    rpc.shutdown();
    let (deployed, cached) = measured?;
    to_figures(cmd, &deployed, &cached, code.len(), wasm)
}

fn to_figures(
    cmd: &str,
    deployed: &Book,
    cached: &Book,
    compressed: usize,
    wasm: usize,
) -> Result<Vec<Figure>> {
    let limit = yellowstone_artifact::MAX_DEPLOYABLE_SIZE;
    let mut out = vec![
        Figure::new(
            "contract",
            "capital_compressed_bytes",
            "capital contract deployable size (brotli + prefix)",
            compressed as f64,
            "bytes",
            cmd,
        )
        .goal(
            format!("<= {} (Nitro's limit)", format_value(limit as f64)),
            compressed <= limit,
        )
        .compare(format!(
            "{:.1}% of the limit; Morpheus DepositPool: {} bytes of EVM code (plus its \
             Distributor's 17,787)",
            100.0 * compressed as f64 / limit as f64,
            format_value(MORPHEUS_DEPOSIT_POOL_BYTES as f64)
        )),
        Figure::new(
            "contract",
            "capital_wasm_bytes",
            "capital contract normalised Wasm (what the chain runs)",
            wasm as f64,
            "bytes",
            cmd,
        )
        .compare(format!(
            "Nitro's limit {} bytes decompressed",
            format_value(yellowstone_artifact::MAX_DECOMPRESSED_SIZE as f64)
        )),
    ];
    let mut abi = abi_functions()?;
    abi.sort_by_key(|f| f.view);
    for f in &abi {
        let kind = if f.view { "view" } else { "transaction" };
        for (book, suffix, what) in [(deployed, "", "as deployed"), (cached, "_cached", "cached")] {
            let (gas, note) = book
                .get(&f.name)
                .cloned()
                .unwrap_or((0, "not measured: the bench has no call for it".into()));
            out.push(
                Figure::new(
                    "gas",
                    format!("capital_fn_{}{suffix}", f.name),
                    format!("capital {} ({kind}, {what})", f.name),
                    gas as f64,
                    "gas",
                    cmd,
                )
                .compare(note),
            );
        }
    }
    Ok(out)
}
