//! `yellowstone devnet`: a local chain that runs the real compiled Stylus programs, with MOR (an
//! EVM ERC-20, as on Arbitrum) and the compute contract deployed (with `--capital`, the capital
//! side too), behind Ethereum JSON-RPC (what `anvil` is to Solidity projects).

use std::{
    net::{IpAddr, SocketAddr},
    path::PathBuf,
    sync::{Arc, Mutex},
};

use anyhow::{Context, Result};
use yellowstone_devnet::{
    capital::{deploy_capital, CapitalConfig},
    chain::{
        Chain, ARB_WASM, ARB_WASM_CACHE, CREATE2_FACTORY, DEFAULT_CHAIN_ID, DEV_ACCOUNTS,
        NITRO_DEV_ACCOUNT, STYLUS_DEPLOYER,
    },
    deploy::{deploy_yellowstone, DeployConfig, KeyPair},
    rpc::{serve, DRAIN},
};

const AFTER_LONG_HELP: &str = "\
What it deploys, each step a signed raw transaction as on a real chain:
  1. MOR: an EVM ERC-20 (OpenZeppelin's ERC20, contracts/mor-erc20, compiled bytecode
     committed), as MOR is on Arbitrum; one CREATE whose constructor mints 1,000,000 MOR to
     each of the 10 development accounts.
  2. The compute contract (yellowstone-compute): CREATE returning the compressed program,
     activateProgram on ArbWasm (0x71), constructor: owner = account 0; emission schedule =
     Morpheus's compute bucket (3456 MOR/day from UTC day 19761, falling 0.59255872824
     MOR/day); bootstrap window starting today (UTC, the chain's clock).
  3. authorizeRouter(<router key>) from the owner; the router key is account 9.
  The program is <workspace>/target/stylus/yellowstone_compute.br; if missing it is built
  first (as `yellowstone build-contract` does; needs the wasm32 target).

With --capital, then the capital side (SPEC 7), all from account 0:
  4. Uniswap V2's genuine WETH9, UniswapV2Factory and UniswapV2Router02 (from their published
     npm artifacts), a share-based rebasing stETH (oracle account 0, 1,000 stETH to every
     development account), its wstETH, and the wstETH/MOR pair.
  5. The capital contract (yellowstone-capital, target/stylus/yellowstone_capital.br): Morpheus's
     capital and compute buckets from 2024-02-08 12:00 UTC, the compute bucket funding the
     compute contract above, MOR paid from a reserve of 100,000 MOR sent by account 0.
  Then `yellowstone capital ... --deployments <file>` talks to it; account 0 (the owner)
  bootstraps the empty pair with `yellowstone capital bootstrap-pool <MOR>` once there is yield
  (rebase stETH as its oracle: cast send <stEth> \"rebase(uint256)\" <total pooled ether>).

Output: progress on stderr, then one JSON object on stdout (also written to --deployments):
  {\"rpc_url\", \"chain_id\", \"mor\", \"compute\", \"router_key\": {\"address\", \"key\"},
   \"accounts\": [{\"address\", \"key\"}, ...]}
  and with --capital a \"capital\" section: {\"capital\", \"st_eth\", \"wst_eth\", \"native\",
   \"mints_native\", \"weth\", \"factory\", \"router\", \"pair\"}.
Then it serves JSON-RPC until SIGINT (Ctrl-C) or SIGTERM, which stop it gracefully (requests
in flight are answered, for up to 5 seconds) with exit status 0. One block per transaction;
anvil's evm_increaseTime, evm_setNextBlockTimestamp, evm_mine, evm_snapshot and evm_revert
move the clock and state.

With --bare nothing is deployed: a Stylus chain for your own programs, as a Nitro dev node
is after its setup script (docs/STYLUS.md). `cargo stylus deploy` works against it:
  yellowstone devnet --bare --port 8547 &
  cargo stylus deploy --endpoint http://127.0.0.1:8547 --no-verify \
      --private-key 0xb6b15c8cb491557369f3c7d2c287b053eb229daa9c22138887752191c9520659
  (with a constructor add: --constructor-args <args...>; it goes through StylusDeployer)
It prints {\"rpc_url\", \"chain_id\", \"arb_wasm\", \"arb_wasm_cache\", \"stylus_deployer\",
  \"create2_factory\", \"accounts\": [...], \"nitro_dev_account\": {\"address\", \"key\"}}.

WARNING: the keys are anvil's public development keys (the `test ... junk` mnemonic) and Nitro's
dev node key. Anyone can spend from them: use them on this devnet only, never on a real chain.

With foundry's cast:
  cast call <compute> \"powerMultiplier(uint256,uint256)(uint256)\" 1730548800 1756468800 \\
      --rpc-url http://127.0.0.1:8545
    1744946883956739643 [1.744e18]     (multiplier 1.744946883956739643, 18 decimals)
  cast send <mor> \"approve(address,uint256)\" <compute> 100000000000000000000 \\
      --private-key <accounts[1].key> --rpc-url http://127.0.0.1:8545
  cast send <compute> \"fund(uint256)\" 100000000000000000000 \\
      --private-key <accounts[1].key> --rpc-url http://127.0.0.1:8545";

/// Runs a local devnet with MOR and the compute contract deployed, serving JSON-RPC.
///
/// Starts an in-process chain that executes the real compiled Stylus Wasm, deploys the MOR
/// token fixture and the compute contract (with --capital, then Uniswap V2, stETH, wstETH, the
/// pair and the capital contract), authorises a router key, prints the deployment as JSON and
/// serves Ethereum JSON-RPC until interrupted. Development keys only: never use them
/// on a real chain.
#[derive(Debug, clap::Args)]
#[command(after_long_help = AFTER_LONG_HELP)]
pub struct Args {
    /// Port to listen on (0 picks a free one; the URL is in the JSON).
    #[arg(long, default_value_t = 8545)]
    port: u16,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
    /// Also write the deployment JSON to this file.
    #[arg(long, value_name = "FILE")]
    deployments: Option<PathBuf>,
    /// Chain id (EIP-155 and the EIP-712 domain).
    #[arg(long, default_value_t = DEFAULT_CHAIN_ID)]
    chain_id: u64,
    /// Directory of the deployable artifacts (<lib>.br).
    #[arg(long, value_name = "DIR", default_value_os_t = crate::demo::devnet::default_artifacts_dir())]
    artifacts_dir: PathBuf,
    /// Also deploy the capital side: Uniswap V2, stETH, wstETH, the pair and the capital
    /// contract funding the compute contract (its addresses go in the JSON's `capital`).
    #[arg(long, conflicts_with = "bare")]
    capital: bool,
    /// Deploy nothing: a bare Stylus chain for your own programs (ArbWasm, ArbWasmCache, the
    /// CREATE2 factory and StylusDeployer at a Nitro dev node's addresses, the funded
    /// development accounts and Nitro's dev node account). Pair it with `--port 8547`, the
    /// port cargo-stylus and Nitro dev nodes use. See docs/STYLUS.md.
    #[arg(long)]
    bare: bool,
}

impl Args {
    /// Deploys, prints the deployment, and serves until interrupted.
    pub fn run(self) -> Result<()> {
        let mut chain = Chain::with_chain_id(self.chain_id);
        eprintln!("devnet: chain id {}", self.chain_id);
        if self.bare {
            return self.serve(chain, bare_json);
        }
        let config = DeployConfig {
            progress: true,
            ..DeployConfig::default()
        };
        let mut deployment = deploy_yellowstone(&mut chain, &self.artifacts_dir, &config)
            .context("deploying Yellowstone on the devnet")?;
        if self.capital {
            let config = CapitalConfig {
                progress: true,
                ..CapitalConfig::default()
            };
            let capital = deploy_capital(&mut chain, &self.artifacts_dir, &deployment, &config)
                .context("deploying the capital side on the devnet")?;
            deployment.capital = Some(capital);
        }
        self.serve(chain, move |rpc_url, _| {
            deployment.rpc_url = Some(rpc_url.to_string());
            serde_json::to_string(&deployment)
        })
    }

    /// Serves `chain` until a stop signal; prints `describe(rpc_url, chain_id)` (also written
    /// to --deployments) once it listens.
    fn serve(
        &self,
        chain: Chain,
        mut describe: impl FnMut(&str, u64) -> serde_json::Result<String>,
    ) -> Result<()> {
        // The stop signals are caught from here on (a signal while deploying ends the process
        // as usual). A worker thread, so a second signal is heard while the server drains.
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .context("starting the async runtime")?;
        let stop = runtime.block_on(async { super::shutdown_signal("devnet") })?;
        let handle = serve(
            Arc::new(Mutex::new(chain)),
            SocketAddr::new(self.host, self.port),
        )
        .with_context(|| format!("listening on {}:{}", self.host, self.port))?;
        let json = describe(&handle.url(), self.chain_id)?;
        if let Some(path) = &self.deployments {
            std::fs::write(path, format!("{json}\n"))
                .with_context(|| format!("writing {}", path.display()))?;
            eprintln!("devnet: deployment written to {}", path.display());
        }
        println!("{json}");
        eprintln!(
            "devnet: listening on {} (Ctrl-C or SIGTERM stops it); dev keys: devnet only",
            handle.url()
        );
        runtime.block_on(stop);
        if !handle.shutdown() {
            eprintln!(
                "devnet: requests still in flight after {:?} were cut",
                DRAIN
            );
        }
        Ok(())
    }
}

/// What `--bare` prints: where the chain listens and what it holds at genesis.
fn bare_json(rpc_url: &str, chain_id: u64) -> serde_json::Result<String> {
    let accounts: Vec<KeyPair> = (0..DEV_ACCOUNTS.len()).filter_map(KeyPair::dev).collect();
    Ok(serde_json::json!({
        "rpc_url": rpc_url,
        "chain_id": chain_id,
        "arb_wasm": ARB_WASM,
        "arb_wasm_cache": ARB_WASM_CACHE,
        "stylus_deployer": STYLUS_DEPLOYER,
        "create2_factory": CREATE2_FACTORY,
        "accounts": accounts,
        "nitro_dev_account": {
            "address": NITRO_DEV_ACCOUNT.address,
            "key": NITRO_DEV_ACCOUNT.private_key,
        },
    })
    .to_string())
}
