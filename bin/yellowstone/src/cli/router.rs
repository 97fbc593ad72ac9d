//! `yellowstone router`: run the router service.

use std::{net::SocketAddr, path::PathBuf};

use alloy_primitives::Address;
use anyhow::{Context, Result};

use yellowstone_router::config::{load_key, merge, Config, Overrides};

const AFTER_LONG_HELP: &str = "\
Configuration, each source overriding the one before:
  1. built-in defaults (SPEC's: 12-second inference blocks, X = 50%, Z = 100, ...)
  2. the TOML file given by --config (unknown keys are refused), for example:
       listen = \"0.0.0.0:8640\"
       rpc_url = \"https://arb1.example/rpc\"
       contract = \"0x...\"
       database = \"/var/lib/yellowstone/router.db\"
       durability = \"full\"            # fsync every commit (default \"normal\": WAL)
       [rules]
       block_seconds = 12             # inference block: settlement unit
       ticket_seconds = 120           # how long a provider accepts a ticket
       report_seconds = 900           # report window after expiry; then charged at TokenMax
       max_token_max = 32768
       require_attestation = true
       [rules.judge]                  # the credit rule (SPEC 4 step 10)
       slower_percent = 50            # X
       window = 100                   # Z
       warmup = 10
       [rules.selection]
       band_bps = 500                 # bids within 5% of the cheapest compete on weight
       explore_permille = 50          # 5% of requests go first to a new provider
       new_provider_reports = 10
       [service]
       admission_concurrency = 256    # RFCs worked on at once before queueing by balance
       admission_queue = 4096         # then shed with 503 busy + Retry-After
  3. environment: YELLOWSTONE_LISTEN, YELLOWSTONE_RPC_URL, YELLOWSTONE_CONTRACT,
     YELLOWSTONE_DATABASE, YELLOWSTONE_BLOCK_SECONDS
  4. flags

The router key (signs tickets and epoch roots; pays the commitEpoch gas) comes from
--key-file or YELLOWSTONE_ROUTER_KEY (hex), never from a flag or the TOML, and is never
logged. The public development keys are refused unless the chain is the devnet (412346).

On the devnet:
  yellowstone devnet --deployments devnet.json &
  yellowstone router --deployments devnet.json --chain-clock
(--deployments reads the RPC URL, the contract and the devnet's router key from the file.)

The API is documented in docs/API.md and docs/openapi.yaml; GET /health and GET /metrics
(Prometheus) are served beside /v1. Logs: RUST_LOG=yellowstone_router=debug,yellowstone_chain=debug for more.";

/// Runs the router: admits requests, picks providers, judges reports, settles on-chain.
///
/// The off-chain half of the market (SPEC sections 3-6). It never sees a prompt or an answer
/// and never holds funds. Providers post signed attestations and bids; users post signed RFCs
/// and get router-signed tickets for the cheapest live provider; users' signed reports are
/// judged and credited; once per inference block the credits are folded into a Merkle root
/// of cumulative earnings, signed, and committed to the compute contract, from which
/// providers claim with the proofs the router serves. State lives in SQLite (WAL): every
/// answer is durable before it is sent, and a restart resumes exactly.
#[derive(Debug, clap::Args)]
#[command(after_long_help = AFTER_LONG_HELP)]
pub struct Args {
    /// TOML configuration file.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// A devnet deployments JSON (`yellowstone devnet --deployments`): RPC URL, contract and
    /// the devnet's router key.
    #[arg(long, value_name = "FILE")]
    deployments: Option<PathBuf>,
    /// Address to serve the API on [default: 127.0.0.1:8640].
    #[arg(long, env = "YELLOWSTONE_LISTEN")]
    listen: Option<SocketAddr>,
    /// Chain JSON-RPC URL [default: http://127.0.0.1:8545].
    #[arg(long, env = "YELLOWSTONE_RPC_URL")]
    rpc_url: Option<String>,
    /// The compute contract's address.
    #[arg(long, env = "YELLOWSTONE_CONTRACT")]
    contract: Option<Address>,
    /// The router database [default: yellowstone-router.db].
    #[arg(long, env = "YELLOWSTONE_DATABASE")]
    database: Option<PathBuf>,
    /// File holding the router's private key (hex). Or set YELLOWSTONE_ROUTER_KEY.
    #[arg(long, value_name = "FILE")]
    key_file: Option<PathBuf>,
    /// Seconds per inference block [default: 12].
    #[arg(long, env = "YELLOWSTONE_BLOCK_SECONDS")]
    block_seconds: Option<u64>,
    /// Follow the chain's clock when it runs ahead of the system's (a devnet moved with
    /// evm_increaseTime).
    #[arg(long)]
    chain_clock: bool,
}

impl Args {
    /// Starts the router and serves until Ctrl-C or SIGTERM.
    pub fn run(self) -> Result<()> {
        super::init_tracing();
        let file = match &self.config {
            Some(path) => Config::from_file(path)?,
            None => Config::default(),
        };
        let mut overrides = Overrides {
            listen: self.listen,
            rpc_url: self.rpc_url,
            contract: self.contract,
            database: self.database,
            block_seconds: self.block_seconds,
            chain_clock: self.chain_clock,
        };
        let mut env_key = std::env::var("YELLOWSTONE_ROUTER_KEY").ok();
        if let Some(path) = &self.deployments {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            let d: yellowstone_protocol::dev::Deployment = serde_json::from_str(&text)
                .with_context(|| format!("{} is not a devnet deployments file", path.display()))?;
            overrides.rpc_url = overrides.rpc_url.or(d.rpc_url);
            overrides.contract = overrides.contract.or(Some(d.compute));
            if self.key_file.is_none() {
                env_key = env_key.or(Some(d.router_key.key));
            }
        }
        let config = merge(file, overrides);
        let key = load_key("router", self.key_file.as_deref(), env_key)?;
        super::block_on(async {
            let running = yellowstone_router::server::start(&config, key).await?;
            eprintln!("router: serving {} (Ctrl-C to stop)", running.url());
            running.wait().await
        })?
    }
}
