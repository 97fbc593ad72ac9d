//! (being written)

/// Options of `yellowstone bench load`.
#[derive(Debug, clap::Args)]
pub struct Options {}

/// Runs the load process.
pub fn run(_options: &Options) -> anyhow::Result<()> {
    anyhow::bail!("not written yet")
}
