//! `yellowstone provider`: the provider's tools: the gateway in front of a model server, and
//! textgen, the demo backend.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use alloy_primitives::{Address, B256};
use alloy_signer_local::PrivateKeySigner;
use anyhow::{bail, Context, Result};
use clap::Subcommand;

use crate::{
    gateway::{self, GatewayConfig, Trust},
    textgen::{self, TextgenConfig},
};

/// Provider tools: serve a model behind the market's gateway.
///
/// A provider runs a model server (llama.cpp, vLLM, Ollama, any OpenAI-compatible server) and
/// `yellowstone provider serve` in front of it: the gateway users reach with the router's
/// tickets, which signs a receipt for every answer.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

// Each subcommand's help is its arguments struct's doc comment.
#[derive(Debug, Subcommand)]
enum Command {
    Serve(ServeArgs),
    Textgen(TextgenArgs),
}

impl Args {
    /// Runs the subcommand.
    pub fn run(self) -> Result<()> {
        super::router::init_tracing();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .context("starting the async runtime")?;
        match self.command {
            Command::Serve(args) => runtime.block_on(args.run()),
            Command::Textgen(args) => runtime.block_on(args.run()),
        }
    }
}

/// Serves a model to the market: an OpenAI-compatible gateway that checks the router's
/// tickets.
///
/// Users send `POST /v1/chat/completions` with `Authorization: Bearer <ticket>`. The ticket is
/// checked (router signature, this provider, expiry, model, single use, max_tokens at most its
/// tokenMax) before anything reaches the backend; output is capped at tokenMax; the signed
/// receipt comes back in the X-Yellowstone-Receipt header, or as a final
/// `yellowstone.receipt` event on streams, and is posted to the router. `GET /v1/models`
/// lists the --model names; `GET /health` answers 200 while the backend does.
///
/// The router address, chain id and contract come from the router's /v1/market, or from
/// --router-address, --chain-id and --contract. The provider key (signs receipts) comes from
/// --key-file or YELLOWSTONE_PROVIDER_KEY (hex) and is never logged.
#[derive(Debug, clap::Args)]
struct ServeArgs {
    /// Address to serve on.
    #[arg(long, default_value = "127.0.0.1:8650")]
    listen: SocketAddr,
    /// The backend's base URL (requests go to {backend}/v1/chat/completions).
    #[arg(long, value_name = "URL")]
    backend: String,
    /// The router's base URL: the market's domain and ticket signer, and where receipts go.
    #[arg(long, value_name = "URL")]
    router: Option<String>,
    /// The router's address (the ticket signer), instead of asking the router.
    #[arg(long)]
    router_address: Option<Address>,
    /// The market's chain id, instead of asking the router.
    #[arg(long)]
    chain_id: Option<u64>,
    /// The compute contract, instead of asking the router.
    #[arg(long)]
    contract: Option<Address>,
    /// A model served (repeat for several).
    #[arg(long = "model", value_name = "NAME")]
    models: Vec<String>,
    /// File holding the provider's private key (hex). Or set YELLOWSTONE_PROVIDER_KEY.
    #[arg(long, value_name = "FILE")]
    key_file: Option<PathBuf>,
    /// Seconds a ticket is still accepted after its expiry.
    #[arg(long, default_value_t = 5)]
    clock_skew_seconds: u64,
    /// Seconds the backend may take to answer, or between two streamed chunks.
    #[arg(long, default_value_t = 120)]
    backend_timeout_seconds: u64,
}

impl ServeArgs {
    async fn run(self) -> Result<()> {
        let key = provider_key(self.key_file.as_deref())?;
        let trust = match (self.router_address, self.chain_id, self.contract) {
            (Some(router), Some(chain_id), Some(contract)) => Trust {
                router,
                chain_id,
                contract,
            },
            (router, chain_id, contract) => {
                let Some(url) = &self.router else {
                    bail!("pass --router <URL>, or all of --router-address, --chain-id and --contract");
                };
                let market = gateway::discover(url).await?;
                Trust {
                    router: router.unwrap_or(market.router),
                    chain_id: chain_id.unwrap_or(market.chain_id),
                    contract: contract.unwrap_or(market.contract),
                }
            }
        };
        let mut config = GatewayConfig::new(self.listen, self.backend, trust);
        config.router = self.router;
        config.models = self.models;
        config.clock_skew_seconds = self.clock_skew_seconds;
        config.backend_timeout = Duration::from_secs(self.backend_timeout_seconds);
        let running = gateway::start(config, key).await?;
        eprintln!(
            "provider gateway: serving {} (Ctrl-C to stop)",
            running.url()
        );
        tokio::select! {
            served = running.wait() => served,
            _ = tokio::signal::ctrl_c() => Ok(()),
        }
    }
}

/// Runs textgen: a deterministic word generator for tests and demos, NOT a language model.
///
/// It speaks the OpenAI chat-completions protocol (`/v1/chat/completions` streaming and not,
/// `/v1/models`, `/health`) and answers exactly max_tokens words (default 64) drawn from a
/// fixed list by a generator seeded with a hash of the prompt: the same prompt always gets the
/// same words, and one word is one token. --token-delay-ms makes a slow provider,
/// --fail-after a failing one.
#[derive(Debug, clap::Args)]
struct TextgenArgs {
    /// Address to serve on.
    #[arg(long, default_value = "127.0.0.1:8660")]
    listen: SocketAddr,
    /// Milliseconds between streamed chunks.
    #[arg(long, default_value_t = 0)]
    token_delay_ms: u64,
    /// Answer this many requests, then fail every request with 500.
    #[arg(long, value_name = "N")]
    fail_after: Option<u64>,
}

impl TextgenArgs {
    async fn run(self) -> Result<()> {
        let running = textgen::start_textgen(TextgenConfig {
            listen: self.listen,
            token_delay: Duration::from_millis(self.token_delay_ms),
            fail_after: self.fail_after,
        })
        .await?;
        eprintln!(
            "textgen (a word generator, not a language model): serving {} (Ctrl-C to stop)",
            running.url()
        );
        tokio::select! {
            served = running.wait() => served,
            _ = tokio::signal::ctrl_c() => Ok(()),
        }
    }
}

/// The provider key: from `file`, or YELLOWSTONE_PROVIDER_KEY (hex). Never logged.
fn provider_key(file: Option<&std::path::Path>) -> Result<PrivateKeySigner> {
    let text = match file {
        Some(path) => std::fs::read_to_string(path)
            .with_context(|| format!("reading the provider key file {}", path.display()))?,
        None => std::env::var("YELLOWSTONE_PROVIDER_KEY").map_err(|_| {
            anyhow::anyhow!("no provider key: pass --key-file <path> or set YELLOWSTONE_PROVIDER_KEY (hex private key)")
        })?,
    };
    let bytes: B256 = text
        .trim()
        .parse()
        .map_err(|_| anyhow::anyhow!("the provider key is not 32 bytes of hex"))?;
    PrivateKeySigner::from_bytes(&bytes)
        .map_err(|_| anyhow::anyhow!("the provider key is not a valid secp256k1 secret"))
}
