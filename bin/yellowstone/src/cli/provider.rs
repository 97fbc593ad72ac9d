//! `yellowstone provider`: the provider's tools: the gateway in front of a model server,
//! textgen (the demo backend), and the management commands (attest, bid, stake, lock, claim,
//! status) whose logic lives in [`crate::provider`].

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use alloy_primitives::{Address, U256};
use anyhow::{bail, Result};
use clap::Subcommand;
use serde::Serialize;
use yellowstone_protocol::{dev::Deployment, time::DAY};

use super::chain_args::{load_key, ChainArgs, Tool};

use yellowstone_gateway::{GatewayConfig, Trust};

use crate::provider::{offer, onchain, status, ChainCtx, Ctx};

use yellowstone_gateway::textgen::{self, TextgenConfig};

use crate::units::{format_mor, format_multiplier, parse_lock_end, parse_mor};

/// Provider tools: serve a model behind the market's gateway, and manage stake, bids and
/// earnings.
///
/// A provider runs a model server (llama.cpp, vLLM, Ollama, any OpenAI-compatible server) and
/// `yellowstone provider serve` in front of it: the gateway users reach with the router's
/// tickets, which signs a receipt for every answer.
///
/// Getting paid, in order: `stake` (registers; stake caps yearly earnings and weighs
/// selection), `attest` (prove you hold the model's weights), `bid` (price and endpoint),
/// serve, then `claim` after each committed epoch; `status` shows where you stand, `lock`
/// extends the lock for a higher multiplier.
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
    Attest(AttestArgs),
    Bid(BidArgs),
    Stake(StakeArgs),
    Lock(LockArgs),
    Claim(ClaimArgs),
    Status(StatusArgs),
}

impl Args {
    /// Runs the subcommand.
    pub fn run(self) -> Result<()> {
        super::init_tracing();
        super::block_on(async move {
            match self.command {
                Command::Serve(args) => args.run().await,
                Command::Textgen(args) => args.run().await,
                Command::Attest(args) => args.run().await,
                Command::Bid(args) => args.run().await,
                Command::Stake(args) => args.run().await,
                Command::Lock(args) => args.run().await,
                Command::Claim(args) => args.run().await,
                Command::Status(args) => args.run().await,
            }
        })?
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
/// lists the --model names; `GET /health` answers 200 while the backend does, and
/// `GET /health?challenge=0x<32 bytes>` (the router's liveness probe) with the challenge
/// signed by the provider key.
///
/// At most --capacity requests are served at once (state the same capacity in your bids);
/// above it a request is answered 503 `busy` and its ticket stays usable. Used tickets are
/// journalled in --tickets-db before each answer starts, so a restart never serves a ticket
/// twice.
///
/// The router address, chain id and contract come from the router's /v1/market, or from
/// --router-address, --chain-id and --contract. The provider key (signs receipts) comes from
/// --key-file or YELLOWSTONE_PROVIDER_KEY (hex) and is never logged.
///
/// SIGINT (Ctrl-C) or SIGTERM stops it gracefully: no new requests; the answers in flight
/// finish, their receipts signed and posted, for up to YELLOWSTONE_DRAIN_SECONDS (default 8);
/// then it exits 0. A second signal exits at once.
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
    /// Requests served at once: the capacity your bids state.
    #[arg(long, default_value_t = yellowstone_gateway::DEFAULT_CAPACITY,
          value_parser = clap::value_parser!(u32).range(1..))]
    capacity: u32,
    /// The used-ticket journal (one per gateway) [default:
    /// yellowstone-gateway-<provider address>.tickets in the working directory].
    #[arg(long, value_name = "FILE")]
    tickets_db: Option<PathBuf>,
}

impl ServeArgs {
    async fn run(self) -> Result<()> {
        let key = load_key::<ProviderTool>(self.key_file.as_deref())?;
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
                let market = yellowstone_gateway::discover(url).await?;
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
        config.capacity = self.capacity;
        let tickets = self.tickets_db.unwrap_or_else(|| {
            PathBuf::from(format!("yellowstone-gateway-{}.tickets", key.address()))
        });
        config.used_tickets_path = Some(tickets);
        let drain = super::drain_deadline()?;
        let stop = super::shutdown_signal("provider serve")?;
        let running = yellowstone_gateway::start(config, key).await?;
        eprintln!(
            "provider gateway: serving {} (Ctrl-C or SIGTERM stops it)",
            running.url()
        );
        running.serve_until(stop, drain).await
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
        let drain = super::drain_deadline()?;
        let stop = super::shutdown_signal("provider textgen")?;
        let running = textgen::start_textgen(TextgenConfig {
            listen: self.listen,
            token_delay: Duration::from_millis(self.token_delay_ms),
            fail_after: self.fail_after,
        })
        .await?;
        eprintln!(
            "textgen (a word generator, not a language model): serving {} (Ctrl-C or SIGTERM stops it)",
            running.url()
        );
        running.serve_until(stop, drain).await
    }
}

/// The provider tools' chain flags: --contract, YELLOWSTONE_PROVIDER_KEY.
#[derive(Debug)]
struct ProviderTool;

impl Tool for ProviderTool {
    const ROLE: &'static str = "provider";
    const KEY_ENV: &'static str = "YELLOWSTONE_PROVIDER_KEY";
    const KEY_FILE_HELP: &'static str =
        "File holding the provider's private key (hex). Or set YELLOWSTONE_PROVIDER_KEY";
    const CONTRACT_FLAG: &'static str = "contract";
    const CONTRACT_VALUE: &'static str = "CONTRACT";
    const CONTRACT_ENV: &'static str = "YELLOWSTONE_CONTRACT";
    const CONTRACT_HELP: &'static str =
        "The compute contract [default: the --deployments file's, else the router's /v1/market]";
    const DEPLOYMENTS_HELP: &'static str =
        "A devnet deployments JSON (`yellowstone devnet --deployments`): its RPC URL and compute \
         contract are used; its keys are not";

    fn contract(deployment: &Deployment) -> Option<Address> {
        Some(deployment.compute)
    }
}

/// Where the router and the chain are, who the provider is, how to print.
#[derive(Debug, clap::Args)]
struct Conn {
    /// The router's base URL.
    #[arg(
        long,
        env = "YELLOWSTONE_ROUTER_URL",
        default_value = "http://127.0.0.1:8640",
        value_name = "URL"
    )]
    router: String,
    #[command(flatten)]
    chain: ChainArgs<ProviderTool>,
}

impl Conn {
    /// The router-only context.
    async fn ctx(&self) -> Result<Ctx> {
        Ok(Ctx::connect(self.chain.key()?, &self.router).await?)
    }

    /// The router-and-chain context.
    async fn chain_ctx(&self) -> Result<ChainCtx> {
        let (rpc_url, contract) = self.chain.endpoint()?;
        let key = self.chain.key()?;
        Ok(ChainCtx::connect(key, &self.router, &rpc_url, contract).await?)
    }

    /// Prints `value` as JSON with --json, else `text`.
    fn print(&self, value: &impl Serialize, text: String) -> Result<()> {
        self.chain.print(value, text)
    }
}

/// Parses wei (decimal digits).
fn parse_wei(text: &str) -> Result<U256, String> {
    let text = text.trim();
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("{text:?} is not a wei amount (decimal digits)"));
    }
    U256::from_str_radix(text, 10).map_err(|_| format!("{text:?} wei is too large"))
}

/// A lock end from `--…-days` (after the chain's now) or `--lock-end`.
async fn lock_end(ctx: &ChainCtx, days: Option<u64>, end: Option<u64>) -> Result<u64> {
    match (days, end) {
        (_, Some(end)) => Ok(end),
        (Some(days), None) => Ok(ctx.chain_now().await? + days * DAY),
        (None, None) => bail!("pass the lock's length in days or --lock-end"),
    }
}

/// Proves to the router that you hold a model: signs the hash of its weights file.
///
/// The file is hashed (keccak-256, streamed, so any size works), and `ModelAttestation {
/// provider, model, weightsHash, issuedAt }` is signed with the provider key under the
/// market's EIP-712 domain (from the router's /v1/market, whose clock gives issuedAt) and
/// posted to /v1/attestations. A bid is only selectable once its model is attested. Prints the
/// hash.
///
/// Example: yellowstone provider attest --model llama-3-8b --model-file ./llama-3-8b.Q4_K_M.gguf
#[derive(Debug, clap::Args)]
struct AttestArgs {
    #[command(flatten)]
    conn: Conn,
    /// The model's name, exactly as users ask for it.
    #[arg(long)]
    model: String,
    /// The model's weights file.
    #[arg(long, value_name = "PATH")]
    model_file: PathBuf,
}

impl AttestArgs {
    async fn run(self) -> Result<()> {
        let ctx = self.conn.ctx().await?;
        let done = offer::attest(&ctx, &self.model, &self.model_file).await?;
        let text = format!(
            "attested {}: weights hash {} (issued at {})",
            done.model, done.weights_hash, done.issued_at
        );
        self.conn.print(&done, text)
    }
}

/// Offers a model at a price: signs a bid and posts it to the router.
///
/// `Bid { provider, model, pricePerToken, capacity, endpoint, nonce, expiry }`: the price is
/// MOR per output token (--price 0.001, exact decimal) or wei (--price-wei); --capacity is the
/// requests your gateway serves at once (its own --capacity: the router never holds more
/// tickets for you than that); the endpoint is your gateway's public base URL (`yellowstone
/// provider serve`); the bid expires --ttl-hours after the router's now. The nonce is the
/// router's now, or one more than your current bid's, so a new bid always replaces the old
/// one. Prints whether selection can pick it, and why not (no stake, model not attested, a
/// price above k times the model's reference price or the router's maximum, ...).
///
/// Example: yellowstone provider bid --model llama-3-8b --price 0.001 --endpoint https://gpu1.example.net
#[derive(Debug, clap::Args)]
struct BidArgs {
    #[command(flatten)]
    conn: Conn,
    /// The model.
    #[arg(long)]
    model: String,
    /// Price in MOR per output token, decimal (e.g. 0.001).
    #[arg(long, value_parser = parse_mor, required_unless_present = "price_wei", conflicts_with = "price_wei")]
    price: Option<U256>,
    /// Price in wei per output token.
    #[arg(long, value_parser = parse_wei)]
    price_wei: Option<U256>,
    /// Your gateway's public base URL.
    #[arg(long, value_name = "URL")]
    endpoint: String,
    /// Requests your gateway serves at once (the same as `provider serve --capacity`).
    #[arg(long, default_value_t = yellowstone_gateway::DEFAULT_CAPACITY)]
    capacity: u32,
    /// Hours until the bid expires.
    #[arg(long, default_value_t = 24)]
    ttl_hours: u64,
}

impl BidArgs {
    async fn run(self) -> Result<()> {
        let Some(price) = self.price.or(self.price_wei) else {
            bail!("pass --price <MOR> or --price-wei <wei>");
        };
        let ctx = self.conn.ctx().await?;
        let ttl = self.ttl_hours.saturating_mul(3600);
        let done = offer::bid(&ctx, &self.model, price, self.capacity, &self.endpoint, ttl).await?;
        let state = match (&done.selectable, &done.reason) {
            (true, _) => "selectable".to_string(),
            (false, Some(why)) => format!("NOT selectable: {why}"),
            (false, None) => "NOT selectable".to_string(),
        };
        let text = format!(
            "bid {} at {} MOR/token ({price} wei), nonce {}, expires {}: {state}",
            self.model,
            format_mor(price),
            done.nonce,
            done.expiry
        );
        self.conn.print(&done, text)
    }
}

/// Stakes MOR in the compute contract; the first stake registers you as a provider.
///
/// Stake caps what you can be paid per 365-day period and, times the power multiplier of your
/// lock, weighs selection. The MOR is approved to the contract first when the allowance is
/// short; a new stake restarts the lock at now. Prints the transactions, gas used, and the
/// new stake, multiplier and weight. Stake can be withdrawn only after the lock end.
///
/// Example: yellowstone provider stake --amount 1000 --lock-days 365
#[derive(Debug, clap::Args)]
struct StakeArgs {
    #[command(flatten)]
    conn: Conn,
    /// MOR to stake, decimal (e.g. 1000 or 12.5).
    #[arg(long, value_parser = parse_mor)]
    amount: U256,
    /// Lock for this many days from the chain's now.
    #[arg(
        long,
        required_unless_present = "lock_end",
        conflicts_with = "lock_end"
    )]
    lock_days: Option<u64>,
    /// Lock until this time: unix seconds or a UTC date YYYY-MM-DD.
    #[arg(long, value_parser = parse_lock_end, value_name = "UNIX|YYYY-MM-DD")]
    lock_end: Option<u64>,
}

impl StakeArgs {
    async fn run(self) -> Result<()> {
        let ctx = self.conn.chain_ctx().await?;
        let end = lock_end(&ctx, self.lock_days, self.lock_end).await?;
        let done = onchain::stake(&ctx, self.amount, end).await?;
        let mut text = String::new();
        if let Some(tx) = &done.approve {
            text += &format!("approve {} (gas {})\n", tx.hash, tx.gas_used);
        }
        let r = &done.record;
        text += &format!(
            "stake   {} (gas {})\nstake {} MOR, locked {} to {}, multiplier {}, weight {}",
            done.stake.hash,
            done.stake.gas_used,
            format_mor(r.stake),
            r.lock_start,
            r.lock_end,
            format_multiplier(r.multiplier),
            format_mor(r.weight)
        );
        self.conn.print(&done, text)
    }
}

/// Extends your lock for a higher power multiplier (`lockClaim`).
///
/// The new end must be later than both now and the current end (a lock is never shortened:
/// the contract refuses with LockEndTooEarly); the lock start is kept and the new multiplier
/// applies at once. Prints the new multiplier.
///
/// Example: yellowstone provider lock --days 730
#[derive(Debug, clap::Args)]
struct LockArgs {
    #[command(flatten)]
    conn: Conn,
    /// New lock end this many days after the chain's now.
    #[arg(
        long,
        required_unless_present = "lock_end",
        conflicts_with = "lock_end"
    )]
    days: Option<u64>,
    /// New lock end: unix seconds or a UTC date YYYY-MM-DD.
    #[arg(long, value_parser = parse_lock_end, value_name = "UNIX|YYYY-MM-DD")]
    lock_end: Option<u64>,
}

impl LockArgs {
    async fn run(self) -> Result<()> {
        let ctx = self.conn.chain_ctx().await?;
        let end = lock_end(&ctx, self.days, self.lock_end).await?;
        let done = onchain::lock(&ctx, end).await?;
        let text = format!(
            "lockClaim {} (gas {})\nlocked {} to {}, multiplier {}",
            done.tx.hash,
            done.tx.gas_used,
            done.record.lock_start,
            done.record.lock_end,
            format_multiplier(done.record.multiplier)
        );
        self.conn.print(&done, text)
    }
}

/// Claims your earnings: the router's Merkle proof of your cumulative credit, sent to the
/// contract's `claim`.
///
/// Prints the MOR paid, what remains claimable (payments beyond your stake per 365 days are
/// deferred, not lost) and the stake-cap room. A refusal (NothingToClaim, InvalidProof,
/// StakeCapReached, ...) is printed decoded and the command exits non-zero.
///
/// Example: yellowstone provider claim
#[derive(Debug, clap::Args)]
struct ClaimArgs {
    #[command(flatten)]
    conn: Conn,
}

impl ClaimArgs {
    async fn run(self) -> Result<()> {
        let ctx = self.conn.chain_ctx().await?;
        let done = onchain::claim(&ctx).await?;
        let text = format!(
            "claim {} (gas {}), epoch {}\npaid {} MOR; claimable later {} MOR; stake-cap room {} MOR",
            done.tx.hash,
            done.tx.gas_used,
            done.epoch,
            format_mor(done.paid),
            format_mor(done.remaining),
            format_mor(done.stake_cap_remaining)
        );
        self.conn.print(&done, text)
    }
}

/// Shows where you stand: the contract's record, the router's view and your MOR balance.
///
/// Contract: registered, stake, lock start/end, multiplier, weight, earned, claimed, stake-cap
/// room. Router: live bids (and why one is not selectable), attestations, score, backoff,
/// credit pending the next epoch, and your leaf in the latest committed root.
///
/// Example: yellowstone provider status --json
#[derive(Debug, clap::Args)]
struct StatusArgs {
    #[command(flatten)]
    conn: Conn,
}

impl StatusArgs {
    async fn run(self) -> Result<()> {
        let ctx = self.conn.chain_ctx().await?;
        let s = status::status(&ctx).await?;
        let text = status_text(&s);
        self.conn.print(&s, text)
    }
}

/// The status in lines.
fn status_text(s: &status::Status) -> String {
    let (r, v) = (&s.record, &s.router);
    let mut out = format!(
        "provider {}\nbalance {} MOR\ncontract: registered {}, stake {} MOR, lock {} to {}, \
         multiplier {}, weight {}, earned {} MOR, claimed {} MOR, stake-cap room {} MOR\n",
        s.provider,
        format_mor(s.balance),
        r.registered,
        format_mor(r.stake),
        r.lock_start,
        r.lock_end,
        format_multiplier(r.multiplier),
        format_mor(r.weight),
        format_mor(r.earned),
        format_mor(r.claimed),
        format_mor(s.stake_cap_remaining)
    );
    for b in &v.bids {
        let state = b.unselectable.as_deref().unwrap_or("selectable");
        out += &format!(
            "bid {} at {} MOR/token, {}, expires {}: {state}\n",
            b.model,
            format_mor(b.price_per_token),
            b.endpoint,
            b.expiry
        );
    }
    for a in &v.attestations {
        out += &format!(
            "attested {}: {} at {}\n",
            a.model, a.weights_hash, a.issued_at
        );
    }
    if let Some(score) = &v.score {
        out += &format!("score {} passes, {} fails\n", score.passes, score.fails);
    }
    if let Some(b) = &v.backoff {
        out += &format!("backoff {} failures, until {}\n", b.failures, b.until);
    }
    out += &format!("pending {} MOR", format_mor(v.pending_wei));
    if let Some(c) = &v.committed {
        out += &format!(
            "\ncommitted leaf: earned {} MOR, bootstrap {} MOR",
            format_mor(c.earned),
            format_mor(c.bootstrap)
        );
    }
    out
}
