//! # yellowstone-contract-test-kit
//!
//! Test support shared by the Yellowstone Stylus contracts' test suites, the mechanisms only
//! (each suite keeps its own simulated counterparties and world helpers):
//!
//! - [`Chain`]: the stylus-test `TestVM` with exact return data, a record of every external
//!   call, reverts that roll back storage, logs and the simulated counterparties, and
//!   [`Chain::tx`], one transaction from a sender;
//! - [`differential`]: the harness that runs a contract's hand-written entry point against
//!   stylus-sdk's generated router on generated, often spoiled, calldata;
//! - [`decode_events`] / [`only_event`]: typed event decoding from the recorded logs.

mod chain;
pub mod differential;
mod events;
mod host;

pub use chain::{CallKind, Chain, Counterparties, ExternalCall, Log, Snapshot};
pub use events::{decode_events, only_event};
