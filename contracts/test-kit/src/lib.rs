//! # yellowstone-contract-test-kit
//!
//! Test support shared by the Yellowstone Stylus contracts' test suites, the mechanisms only
//! (each suite keeps its own simulated counterparties, world and function table):
//!
//! - [`Chain`]: the stylus-test `TestVM` with exact return data, a record of every external
//!   call, the suite's simulated [`Counterparties`], a clock, and [`Chain::tx`], one
//!   transaction from a sender that rolls back storage, logs and counterparties on a revert;
//! - [`decode_events`], [`Chain::tx_events`]: typed event decoding from the recorded logs;
//! - [`fixtures`]: the parties both worlds share and the 18-decimal unit;
//! - [`differential`]: raw calldata through an entry point ([`Chain::send`], [`Chain::call`])
//!   and the harness that runs a contract's hand-written entry point against stylus-sdk's
//!   generated router.
//!
//! A dev-dependency only: the contract crates never link it outside their tests.

mod chain;
pub mod differential;
pub mod fixtures;
mod host;

pub use chain::{decode_events, CallKind, Chain, Counterparties, ExternalCall, Log, Snapshot};
