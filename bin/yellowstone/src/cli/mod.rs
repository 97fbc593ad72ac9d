//! Command-line interface: the subcommands of `yellowstone`.

mod access_rate;
#[cfg(feature = "dev-tools")]
mod bench;
mod build_contract;
mod capital;
#[cfg(feature = "dev-tools")]
mod demo;
#[cfg(feature = "dev-tools")]
mod devnet;
mod multiplier;
mod provider;
mod router;
mod user;

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
