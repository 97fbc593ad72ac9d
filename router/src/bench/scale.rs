//! (being written)

use super::Figure;

/// Options of `yellowstone bench scale`.
#[derive(Debug, clap::Args)]
pub struct Options {}

/// Runs the benchmark.
pub fn run(_options: &Options) -> anyhow::Result<Vec<Figure>> {
    anyhow::bail!("not written yet")
}
