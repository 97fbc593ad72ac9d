//! `yellowstone router`: run the router service; `yellowstone router rebuild`: bring its
//! settlement in step with the contract's latest epoch root.

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

Stopping: SIGINT (Ctrl-C) or SIGTERM (kill, systemd, container runtimes) stops accepting,
lets the requests in flight finish for up to YELLOWSTONE_DRAIN_SECONDS (default 8), stops
the settlement loop, closes the database and exits 0; a second signal exits at once.

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
    #[arg(global = true, long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// A devnet deployments JSON (`yellowstone devnet --deployments`): RPC URL, contract and
    /// the devnet's router key.
    #[arg(global = true, long, value_name = "FILE")]
    deployments: Option<PathBuf>,
    /// Address to serve the API on [default: 127.0.0.1:8640].
    #[arg(global = true, long, env = "YELLOWSTONE_LISTEN")]
    listen: Option<SocketAddr>,
    /// Chain JSON-RPC URL [default: http://127.0.0.1:8545].
    #[arg(global = true, long, env = "YELLOWSTONE_RPC_URL")]
    rpc_url: Option<String>,
    /// The compute contract's address.
    #[arg(global = true, long, env = "YELLOWSTONE_CONTRACT")]
    contract: Option<Address>,
    /// The router database [default: yellowstone-router.db].
    #[arg(global = true, long, env = "YELLOWSTONE_DATABASE")]
    database: Option<PathBuf>,
    /// File holding the router's private key (hex). Or set YELLOWSTONE_ROUTER_KEY.
    #[arg(global = true, long, value_name = "FILE")]
    key_file: Option<PathBuf>,
    /// Seconds per inference block [default: 12].
    #[arg(global = true, long, env = "YELLOWSTONE_BLOCK_SECONDS")]
    block_seconds: Option<u64>,
    /// Follow the chain's clock when it runs ahead of the system's (a devnet moved with
    /// evm_increaseTime).
    #[arg(global = true, long)]
    chain_clock: bool,
    #[command(subcommand)]
    action: Option<Action>,
}

/// What `yellowstone router` does besides serving.
#[derive(Debug, clap::Subcommand)]
enum Action {
    Rebuild(Rebuild),
}

const REBUILD_LONG_HELP: &str = "\
What it does, by what the contract's latest epoch root is:
  the router's committed root      nothing (in step)
  the root it has in flight        commits it (someone else landed it)
  one of its archived roots        adopts it: the committed table becomes that root's, and
                                   each provider's pending credits are reduced by what it
                                   paid, oldest first, so nothing is paid twice or lost
  a root it never signed           refuses (another or a stolen router key is committing),
                                   unless --foreign
A root in flight that is past its deadline on-chain is archived first (it can never land).

--foreign carries out the incident procedure of docs/CONTRACT.md (\"revoke the stolen key,
commit the corrected root\"): after the owner revoked the key that signed the foreign root,
the router numbers its next root after the chain's epoch, built as ever on its own committed
table and pending credits, and says whether its cumulative totals are at least the chain's
(if not, the contract refuses them with CreditedDecreased until pending credits make up the
difference). Start the router again afterwards; its next root lands over the foreign one.

The running router does the first three on its own at every inference block; run this with
the router stopped (it writes the same database). It takes the router's flags (--config,
--deployments, --rpc-url, --contract, --database, --key-file).";

/// Brings settlement in step with the contract's latest epoch root (adopt, or --foreign).
///
/// Reads the contract's latest (epoch, root): adopts it if the router signed it, reporting
/// what changed in the pending credits; refuses a foreign root unless --foreign, which makes
/// the router number its next root after the chain's epoch.
#[derive(Debug, clap::Args)]
#[command(after_long_help = REBUILD_LONG_HELP)]
struct Rebuild {
    /// Build on a root this router never signed (after its key was revoked).
    #[arg(long)]
    foreign: bool,
}

impl Args {
    /// Starts the router and serves until SIGINT (Ctrl-C) or SIGTERM, then stops gracefully.
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
        if let Some(Action::Rebuild(rebuild)) = self.action {
            let done = super::block_on(yellowstone_router::rebuild::rebuild(
                &config,
                key,
                rebuild.foreign,
            ))??;
            println!("{done}");
            return Ok(());
        }
        let drain = super::drain_deadline()?;
        super::block_on(async {
            let stop = super::shutdown_signal("router")?;
            tokio::pin!(stop);
            // Start-up waits for the chain as long as it takes: a signal ends that wait too.
            let running = tokio::select! {
                started = yellowstone_router::server::start(&config, key) => started?,
                () = &mut stop => return Ok(()),
            };
            eprintln!(
                "router: serving {} (Ctrl-C or SIGTERM stops it)",
                running.url()
            );
            running.serve_until(stop, drain).await
        })?
    }
}
