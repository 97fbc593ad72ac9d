//! `yellowstone user`: chat through the market, read today's allowance, run a local
//! OpenAI-compatible proxy.

use std::{io::Write, net::SocketAddr, path::PathBuf, time::Duration};

use alloy_primitives::Address;
use alloy_signer_local::PrivateKeySigner;
use anyhow::Result;

use yellowstone_client::router::RouterClient;

use crate::units::format_wad_exact;

use yellowstone_client::{
    chat::{chat_with_outbox, ChatRequest},
    describe,
    exchange::DEFAULT_STALL_TIMEOUT,
    outbox::{self, Outbox},
    proxy::{start_proxy_with, ProxyConfig},
};

/// Uses the market as a MOR holder: free inference in proportion to your balance.
///
/// Every request is an RFC signed with your key, a ticket from the router, the prompt sent
/// straight to the provider (the router never sees it), and a signed report on the answer.
/// The key comes from --key-file or YELLOWSTONE_USER_KEY (hex) and is never logged.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Sends one prompt and streams the answer to stdout; a summary goes to stderr.
    Chat(Chat),
    /// Shows today's allowance: balance, MOR allowed, used, held and left (and tokens at the
    /// day's reference price).
    Allowance(AllowanceArgs),
    /// Serves a local OpenAI-compatible endpoint that routes every request through the market.
    ///
    /// SIGINT (Ctrl-C) or SIGTERM stops it gracefully: no new requests; the answers in flight
    /// finish, each report stored in the outbox, for up to YELLOWSTONE_DRAIN_SECONDS (default
    /// 8); reports not yet judged are posted at the next start.
    Proxy(Proxy),
}

/// Where the router is and who the user is.
#[derive(Debug, clap::Args)]
struct Common {
    /// The router's base URL.
    #[arg(
        long,
        env = "YELLOWSTONE_ROUTER_URL",
        default_value = "http://127.0.0.1:8640"
    )]
    router: String,
    /// File holding the user's private key (hex). Or set YELLOWSTONE_USER_KEY.
    #[arg(long, value_name = "FILE")]
    key_file: Option<PathBuf>,
}

impl Common {
    fn key(&self) -> Result<PrivateKeySigner> {
        yellowstone_router::config::load_key(
            "user",
            self.key_file.as_deref(),
            std::env::var("YELLOWSTONE_USER_KEY").ok(),
        )
    }
}

#[derive(Debug, clap::Args)]
struct Chat {
    #[command(flatten)]
    common: Common,
    /// The model.
    #[arg(long)]
    model: String,
    /// The most output tokens (the RFC's tokenMax).
    #[arg(long, default_value_t = 512)]
    max_tokens: u64,
    /// Take the answer whole instead of streamed.
    #[arg(long)]
    no_stream: bool,
    /// Report the answer as bad.
    #[arg(long)]
    fail: bool,
    /// Print one JSON object instead of the answer and summary.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    stall: Stall,
    #[command(flatten)]
    outbox: OutboxArg,
    /// The prompt.
    prompt: String,
}

#[derive(Debug, clap::Args)]
struct AllowanceArgs {
    #[command(flatten)]
    common: Common,
    /// Whose allowance [default: the key's address].
    #[arg(long)]
    address: Option<Address>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, clap::Args)]
struct Proxy {
    #[command(flatten)]
    common: Common,
    /// Where applications connect (OpenAI base_url = http://<listen>/v1).
    #[arg(long, default_value = "127.0.0.1:8680")]
    listen: SocketAddr,
    /// tokenMax when a request gives no max_tokens.
    #[arg(long, default_value_t = 512)]
    max_tokens: u64,
    #[command(flatten)]
    stall: Stall,
    #[command(flatten)]
    outbox: OutboxArg,
}

/// Where reports wait for the router.
#[derive(Debug, clap::Args)]
struct OutboxArg {
    /// The outbox: each signed report is stored in this file (fsync'd) before the answer's
    /// end reaches you or your application, and kept until the router has judged it, so a
    /// crash or an unreachable router loses no report. `user proxy` posts what it holds for
    /// its router when it starts (then retries with back-off); `user chat` posts it after its
    /// own report.
    #[arg(long, env = "YELLOWSTONE_OUTBOX", value_name = "FILE",
          default_value_os_t = outbox::default_path())]
    outbox: PathBuf,
}

impl OutboxArg {
    fn open(&self) -> Result<Outbox> {
        Outbox::open(&self.outbox).map_err(|e| {
            anyhow::anyhow!(
                "cannot open the outbox {}: {e} (choose another file with --outbox or YELLOWSTONE_OUTBOX)",
                self.outbox.display()
            )
        })
    }
}

/// How long a silent provider is waited for.
#[derive(Debug, clap::Args)]
struct Stall {
    /// Seconds the provider may send nothing at all (no headers, no chunk) before the answer
    /// is given up as stalled: a clear error, reported as failed (the provider earns nothing
    /// and is backed off). A whole (non-streamed) answer is silent until complete, so this
    /// also bounds it.
    #[arg(long, value_name = "SECS", default_value_t = DEFAULT_STALL_TIMEOUT.as_secs(),
          value_parser = clap::value_parser!(u64).range(1..))]
    stall_timeout: u64,
}

impl Stall {
    fn timeout(&self) -> Duration {
        Duration::from_secs(self.stall_timeout)
    }
}

impl Args {
    /// Runs the subcommand.
    pub fn run(self) -> Result<()> {
        super::init_tracing();
        super::block_on(async {
            match self.command {
                Command::Chat(c) => c.run().await,
                Command::Allowance(a) => a.run().await,
                Command::Proxy(p) => p.run().await,
            }
        })?
    }
}

impl Chat {
    async fn run(self) -> Result<()> {
        let key = self.common.key()?;
        let client = RouterClient::new(&self.common.router);
        let outbox = self.outbox.open()?;
        let request = ChatRequest {
            model: self.model,
            prompt: self.prompt,
            max_tokens: self.max_tokens,
            stream: !self.no_stream,
            fail: self.fail,
            stall_timeout: self.stall.timeout(),
        };
        let json = self.json;
        let outcome = chat_with_outbox(&client, &key, &request, &outbox, |text| {
            if !json {
                let mut out = std::io::stdout().lock();
                let _ = out.write_all(text.as_bytes());
                let _ = out.flush();
            }
        })
        .await?;
        if json {
            println!("{}", serde_json::to_string_pretty(&outcome)?);
        } else {
            println!();
            let per_token = match outcome.tokens {
                0 => "-".to_string(),
                n => format!("{:.1}", outcome.elapsed_ms as f64 / n as f64),
            };
            let verdict = match (&outcome.verdict, &outcome.report_error) {
                (Some(v), _) => describe(v),
                (None, Some(e)) if outcome.report_kept => format!("report not yet judged: {e}"),
                (None, Some(e)) => format!("report not accepted: {e}"),
                (None, None) => "no verdict".into(),
            };
            let first = match outcome.first_token_ms {
                0 => String::new(),
                ms => format!(" (first token {ms} ms)"),
            };
            eprintln!(
                "provider {} · {} tokens · {} ms{first} · {per_token} ms/token · {verdict}",
                outcome.provider, outcome.tokens, outcome.elapsed_ms
            );
            if let Some(note) = &outcome.receipt_note {
                eprintln!("receipt: {note}");
            }
        }
        match outcome.error {
            Some(e) => anyhow::bail!("{e} (reported as failed)"),
            None => Ok(()),
        }
    }
}

impl AllowanceArgs {
    async fn run(self) -> Result<()> {
        let who = match self.address {
            Some(a) => a,
            None => self.common.key()?.address(),
        };
        let a = RouterClient::new(&self.common.router)
            .allowance(who)
            .await?;
        if self.json {
            println!("{}", serde_json::to_string_pretty(&a)?);
        } else {
            println!("user       {}", a.user);
            println!("day        {}", a.day);
            println!("balance    {} MOR", format_wad_exact(a.balance));
            println!(
                "allowance  {} MOR ({} tokens at {} wei per token)",
                format_wad_exact(a.allowance),
                a.tokens_allowed,
                a.price
            );
            println!("used       {} MOR", format_wad_exact(a.used));
            println!("held       {} MOR", format_wad_exact(a.held));
            println!(
                "left       {} MOR ({} tokens)",
                format_wad_exact(a.left),
                a.tokens_left
            );
        }
        Ok(())
    }
}

impl Proxy {
    async fn run(self) -> Result<()> {
        let key = self.common.key()?;
        let outbox = self.outbox.open()?;
        let config = ProxyConfig {
            listen: self.listen,
            router_url: self.common.router,
            max_tokens: self.max_tokens,
            stall_timeout: self.stall.timeout(),
        };
        let drain = super::drain_deadline()?;
        let stop = super::shutdown_signal("user proxy")?;
        let running = start_proxy_with(&config, key, outbox).await?;
        eprintln!(
            "proxy: OpenAI base_url {}/v1, reports kept in {} until judged (Ctrl-C or SIGTERM stops it)",
            running.url(),
            self.outbox.outbox.display()
        );
        running.serve_until(stop, drain).await
    }
}
