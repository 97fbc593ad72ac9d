//! `yellowstone bench`: the benchmarks of docs/BENCHMARKS.md, each area a subcommand.

use clap::{FromArgMatches, Subcommand};

use crate::bench::{self, render_table, Figure};

const EXAMPLES: &str = "\
Examples:
  yellowstone bench router            # HTTP throughput vs secp256k1 recoveries/s
  yellowstone bench gas --json        # gas per commit, claim and inference; every function
  yellowstone bench contract          # compressed Wasm, multiplier gas and precision
  yellowstone bench scale             # memory and database per 100k users; epoch build
  yellowstone bench market            # the rules against a seeded population with adversaries
  yellowstone bench all --json > bench.json

Build with --release for meaningful times: cargo run --release --bin yellowstone -- bench ...";

/// Measures the market against its goals: router throughput, gas, contract size and precision,
/// scale, and the rules' integrity against a simulated population.
///
/// Each figure is printed with its goal and the comparison measured beside it in the same run
/// (times drift on a shared machine; ratios taken side by side do not). `--json` prints one
/// JSON array of figures: {area, key, name, value, unit, goal, met, comparison, command}.
#[derive(Debug, clap::Args)]
#[command(after_long_help = EXAMPLES)]
pub struct Args {
    /// Print one JSON array of figures instead of a table.
    #[arg(long, global = true)]
    json: bool,
    /// Which area to measure.
    #[command(subcommand)]
    area: Area,
}

#[allow(missing_docs)]
#[derive(Debug, Subcommand)]
enum Area {
    Router(bench::router::Options),
    #[command(hide = true)]
    Load(bench::load::Options),
    Gas(bench::gas::Options),
    Contract(bench::contract::Options),
    Scale(bench::scale::Options),
    Market(bench::market::Options),
    /// Every area with its default options, one after another.
    All,
}

impl Args {
    /// Runs the chosen benchmarks and prints their figures.
    pub fn run(self) -> anyhow::Result<()> {
        let figures: Vec<Figure> = match self.area {
            Area::Load(options) => return bench::load::run(&options),
            Area::Router(options) => bench::router::run(&options)?,
            Area::Gas(options) => bench::gas::run(&options)?,
            Area::Contract(options) => bench::contract::run(&options)?,
            Area::Scale(options) => bench::scale::run(&options)?,
            Area::Market(options) => bench::market::run(&options)?,
            Area::All => {
                let mut all = bench::router::run(&defaults()?)?;
                all.extend(bench::gas::run(&defaults()?)?);
                all.extend(bench::contract::run(&defaults()?)?);
                all.extend(bench::scale::run(&defaults()?)?);
                all.extend(bench::market::run(&defaults()?)?);
                all
            }
        };
        if self.json {
            println!("{}", serde_json::to_string_pretty(&figures)?);
        } else {
            println!("{}", render_table(&figures));
        }
        Ok(())
    }
}

/// An area's options as if given no flags: each one's clap defaults.
fn defaults<T: FromArgMatches + clap::Args>() -> anyhow::Result<T> {
    let command = T::augment_args(clap::Command::new("bench"));
    let matches = command.try_get_matches_from(["bench"])?;
    Ok(T::from_arg_matches(&matches)?)
}
