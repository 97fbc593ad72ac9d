//! `yellowstone demo`: the whole market on the embedded devnet in one process, settled and
//! checked to the wei.

use std::{
    io::{IsTerminal, Write},
    path::PathBuf,
    time::{Duration, Instant},
};

use anyhow::{bail, Result};

use crate::demo::{run, DemoOptions, Progress};

use crate::units::format_mor as mor;

const AFTER_LONG_HELP: &str = "\
What it does, in one process, in about half a minute:
  1. Deploys MOR and the compute contract on the embedded devnet (the real Stylus Wasm), then
     the capital side: Uniswap V2's genuine factory, router and WETH9, a rebasing stETH and its
     wstETH, the wstETH/MOR pair, and the capital contract (Morpheus's capital and compute
     buckets, MOR paid from a 100,000 MOR reserve).
  2. The compute contract is funded THROUGH the capital contract: three capital providers
     deposit stETH; the stETH oracle's rebases accrue yield (about 3% a year); after the first
     day the owner bootstraps the empty pair with that day's yield, and an outside liquidity
     provider joins through Router02; on day six, after the oracle's next report, anyone pokes,
     waits the 30-minute TWAP window and harvests the yield into protocol-owned liquidity; on day seven anyone's fundCompute forwards the compute
     bucket's emission (about 20,000 MOR at today's rate) to the compute contract.
  3. Three providers stake different amounts with different locks (so their multipliers
     differ), start a word generator behind the real provider gateway (one of them slow),
     attest and bid different prices.
  4. Moves the chain to the next UTC midnight, starts the router on the chain's clock, and
     runs the users concurrently through the real HTTP paths (one reports a failed answer).
  5. Waits for the epochs to commit, crosses the next midnight (the bootstrap shares of the
     day's providers), and lets every provider claim with the router's proof; the capital
     providers claim their MOR and one withdraws its principal.
  6. Prints a table per provider, the settlement figures, the capital table, the pool and the
     capital contract's books.

It exits non-zero unless the books of both contracts balance to the wei: every provider claimed
exactly what it was credited and the compute contract holds funded + staked - claimed; the
capital contract distributed + kept exactly the capital bucket's schedule, sent the compute
contract exactly the compute bucket's (plus what was kept), and its reserve equals claimed +
sent + held; principal is deposits less withdrawals; the LP tokens never left.";

/// Runs the whole market on a local devnet and checks the books balance to the wei.
///
/// Deploys both contracts, funds the compute contract through the capital contract (deposits,
/// rebases, a harvest into protocol-owned liquidity, fundCompute), starts three providers, the
/// router and the gateways, runs many users concurrently, settles across inference blocks and a
/// day boundary, lets the providers and capital providers claim, and prints what happened.
/// Development keys only.
#[derive(Debug, clap::Args)]
#[command(after_long_help = AFTER_LONG_HELP)]
pub struct Args {
    /// Users chatting at once (the first five are development accounts; more are fresh keys
    /// paid 50,000 MOR each).
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u64).range(1..=100))]
    users: u64,
    /// Requests in all.
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u64).range(1..))]
    requests: u64,
    /// Seconds per inference block.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=60))]
    block_seconds: u64,
    /// Print the final report as one JSON object on stdout (wei as decimal strings).
    #[arg(long)]
    json: bool,
    /// Keep the devnet, the router and the gateways serving after the report (SIGINT, i.e.
    /// Ctrl-C, or SIGTERM stops them; the exit status is then 0 if the books balanced).
    #[arg(long)]
    keep_running: bool,
    /// The router's database (default: a fresh one in the temporary directory).
    #[arg(long, value_name = "FILE")]
    database: Option<PathBuf>,
    /// Directory of the contract artifacts (<lib>.br; missing ones are built).
    #[arg(long, value_name = "DIR", default_value_os_t = crate::demo::devnet::default_artifacts_dir())]
    artifacts_dir: PathBuf,
}

/// Prints progress on stderr: one line rewritten in place on a terminal, else a plain line
/// when the phase changes and every five seconds.
fn printer() -> impl FnMut(&Progress) {
    let terminal = std::io::stderr().is_terminal();
    let mut last: Option<(&'static str, Instant)> = None;
    move |p: &Progress| {
        let line = format!(
            "{:<52} requests {}/{}  credited {} MOR  epochs {}",
            p.phase,
            p.done,
            p.requests,
            mor(p.credited),
            p.epochs
        );
        let mut err = std::io::stderr();
        if terminal {
            let newline = last.is_some_and(|(phase, _)| phase != p.phase);
            let _ = write!(err, "{}\r\x1b[2K{line}", if newline { "\n" } else { "" });
            let _ = err.flush();
            last = Some((p.phase, Instant::now()));
        } else if last
            .is_none_or(|(phase, at)| phase != p.phase || at.elapsed() >= Duration::from_secs(5))
        {
            let _ = writeln!(err, "{line}");
            last = Some((p.phase, Instant::now()));
        }
    }
}

impl Args {
    /// Runs the demo and prints its report; an error unless the books balance.
    pub fn run(self) -> Result<()> {
        super::block_on(self.demo())?
    }

    async fn demo(self) -> Result<()> {
        let options = DemoOptions {
            users: self.users,
            requests: self.requests,
            block_seconds: self.block_seconds,
            database: self.database,
            artifacts_dir: self.artifacts_dir,
        };
        // Caught from the start: a signal during the run ends it with an error, after it the
        // services stop cleanly.
        let stop = super::shutdown_signal("demo")?;
        tokio::pin!(stop);
        let demo = tokio::select! {
            demo = run(options, printer()) => demo?,
            () = &mut stop => bail!("stopped before the demo finished"),
        };
        eprintln!();
        if self.json {
            println!("{}", serde_json::to_string(&demo.report)?);
        } else {
            println!("{}", demo.report);
        }
        let balanced = demo.report.balanced();
        if self.keep_running {
            let urls = &demo.report.urls;
            eprintln!(
                "devnet JSON-RPC  {}  (MOR {}, compute {}, capital {})",
                urls.rpc, urls.mor, urls.compute, urls.capital
            );
            eprintln!("router API       {}/v1/market", urls.router);
            eprintln!("market page      {}/", urls.router.trim_end_matches('/'));
            for (name, url) in demo.gateways() {
                eprintln!("gateway {name:<8} {url}/v1/models");
            }
            eprintln!("serving until Ctrl-C or SIGTERM");
            stop.await;
        }
        demo.shutdown(super::drain_deadline()?).await;
        if !balanced {
            bail!("the books do not balance to the wei");
        }
        Ok(())
    }
}
