//! Command-line interface: the subcommands of `yellowstone`.

mod access_rate;
#[cfg(feature = "dev-tools")]
mod bench;
mod build_contract;
mod capital;
mod chain_args;
#[cfg(feature = "dev-tools")]
mod demo;
#[cfg(feature = "dev-tools")]
mod devnet;
mod multiplier;
mod provider;
mod router;
mod user;

use std::{future::Future, time::Duration};

use anyhow::Context;
use clap::{Parser, Subcommand};

/// Yellowstone: the open compute market of the Morpheus network.
///
/// MOR holders get free AI inference in proportion to their balance; compute providers bid a
/// price per output token and are paid in MOR from the compute share of emissions.
#[derive(Debug, Parser)]
#[command(name = "yellowstone", version, about, long_about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

// Each subcommand's help is its `Args` struct's doc comment; a doc comment on a variant
// would replace it, so the variants carry none.
#[allow(missing_docs)]
#[derive(Debug, Subcommand)]
pub enum Command {
    Multiplier(multiplier::Args),
    AccessRate(access_rate::Args),
    BuildContract(build_contract::Args),
    #[cfg(feature = "dev-tools")]
    Devnet(devnet::Args),
    #[cfg(feature = "dev-tools")]
    Demo(demo::Args),
    Router(router::Args),
    Provider(provider::Args),
    User(user::Args),
    Capital(capital::Args),
    #[cfg(feature = "dev-tools")]
    Bench(bench::Args),
}

impl Command {
    /// Runs the subcommand.
    pub fn run(self) -> anyhow::Result<()> {
        match self {
            Command::Multiplier(args) => args.run(),
            Command::AccessRate(args) => args.run(),
            Command::BuildContract(args) => args.run(),
            #[cfg(feature = "dev-tools")]
            Command::Devnet(args) => args.run(),
            #[cfg(feature = "dev-tools")]
            Command::Demo(args) => args.run(),
            Command::Router(args) => args.run(),
            Command::Provider(args) => args.run(),
            Command::User(args) => args.run(),
            Command::Capital(args) => args.run(),
            #[cfg(feature = "dev-tools")]
            Command::Bench(args) => args.run(),
        }
    }
}

/// Runs `future` on a fresh multi-threaded tokio runtime: how every async subcommand starts.
fn block_on<F: std::future::Future>(future: F) -> anyhow::Result<F::Output> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    Ok(runtime.block_on(future))
}

/// The default log filter: info from every Yellowstone crate that logs, warnings from the rest.
const DEFAULT_LOG_FILTER: &str = "yellowstone_router=info,yellowstone_chain=info,\
    yellowstone_store=info,yellowstone_gateway=info,yellowstone_client=info,warn";

/// Structured logs on stderr, filtered by RUST_LOG (default: [`DEFAULT_LOG_FILTER`]).
fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(DEFAULT_LOG_FILTER));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// How long a stopping service gives the requests in flight by default; below the 10 seconds
/// container runtimes wait before SIGKILL, and systemd's 90.
const DEFAULT_DRAIN_SECONDS: u64 = 8;

/// How long a stopping service lets the requests in flight finish before cutting them:
/// `YELLOWSTONE_DRAIN_SECONDS`, default [`DEFAULT_DRAIN_SECONDS`].
fn drain_deadline() -> anyhow::Result<Duration> {
    match std::env::var("YELLOWSTONE_DRAIN_SECONDS") {
        Err(_) => Ok(Duration::from_secs(DEFAULT_DRAIN_SECONDS)),
        Ok(text) => text.trim().parse().map(Duration::from_secs).map_err(|_| {
            anyhow::anyhow!("YELLOWSTONE_DRAIN_SECONDS is {text:?}, not a whole number of seconds")
        }),
    }
}

/// The stop signals of every long-running command: SIGINT (Ctrl-C) or SIGTERM (`kill`,
/// systemd, container runtimes); off unix, Ctrl-C. The handlers are installed now, so a
/// signal that comes as soon as the service serves is not lost (call it inside the runtime,
/// before serving). The future resolves at the first signal, after printing one line saying
/// which stopped `command`; a second signal then exits the process at once, with status 128 +
/// its number, saying so.
fn shutdown_signal(command: &'static str) -> anyhow::Result<impl Future<Output = ()> + Send> {
    let mut signals = signals::Signals::install()?;
    Ok(async move {
        let first = signals.next().await;
        eprintln!("yellowstone {command}: {} received: stopping", first.name);
        tokio::spawn(async move {
            let second = signals.next().await;
            eprintln!(
                "yellowstone {command}: {} received while stopping: exiting at once",
                second.name
            );
            std::process::exit(128 + second.number);
        });
    })
}

/// The signals behind [`shutdown_signal`].
mod signals {
    /// A signal received.
    pub(super) struct Received {
        /// As `kill -l` names it.
        pub(super) name: &'static str,
        /// Its number (the exit status of a process it kills is 128 + this).
        pub(super) number: i32,
    }

    #[cfg(unix)]
    pub(super) struct Signals {
        interrupt: tokio::signal::unix::Signal,
        terminate: tokio::signal::unix::Signal,
    }

    #[cfg(unix)]
    impl Signals {
        pub(super) fn install() -> anyhow::Result<Signals> {
            use anyhow::Context;
            use tokio::signal::unix::{signal, SignalKind};
            Ok(Signals {
                interrupt: signal(SignalKind::interrupt()).context("handling SIGINT")?,
                terminate: signal(SignalKind::terminate()).context("handling SIGTERM")?,
            })
        }

        pub(super) async fn next(&mut self) -> Received {
            tokio::select! {
                _ = self.interrupt.recv() => Received { name: "SIGINT", number: 2 },
                _ = self.terminate.recv() => Received { name: "SIGTERM", number: 15 },
            }
        }
    }

    #[cfg(not(unix))]
    pub(super) struct Signals;

    #[cfg(not(unix))]
    impl Signals {
        pub(super) fn install() -> anyhow::Result<Signals> {
            Ok(Signals)
        }

        pub(super) async fn next(&mut self) -> Received {
            let _ = tokio::signal::ctrl_c().await;
            Received {
                name: "Ctrl-C",
                number: 2,
            }
        }
    }
}
