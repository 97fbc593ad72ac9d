//! # yellowstone
//!
//! One binary for the Yellowstone compute market, in the manner of `cast` and `forge`: each
//! subcommand is a module under [`cli`], over the per-job crates (`yellowstone-router`,
//! `-gateway`, `-client`, `-chain`, `-store`, `-market`, `-api`). The dev tools (`devnet`,
//! `demo`, `bench`) sit behind the default `dev-tools` feature, which alone links the devnet.
//!
//! | module | what it does |
//! |---|---|
//! | [`cli`] | the subcommands of `yellowstone` |
//! | [`provider`] | the provider's management: attest, bid, stake, lock, claim, status |
//! | [`units`] | exact MOR amounts, fixed-point values and dates as people type and read them |
//! | `bench` | `yellowstone bench`: throughput, gas, size and scale against the goals (`dev-tools`) |
//! | `demo` | `yellowstone demo`: the whole market in one process, settled to the wei (`dev-tools`) |
#[cfg(feature = "dev-tools")]
pub mod bench;
pub mod cli;
#[cfg(feature = "dev-tools")]
pub mod demo;
pub mod provider;
pub mod units;
