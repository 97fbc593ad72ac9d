//! The compute contract's integration tests, one binary so the harness and the contract are
//! compiled once: each module drives the contract on a stylus-test `TestVM` through `common`.

mod common;

mod abi;
mod adversaries;
mod claims;
mod deadlines;
mod deployment;
mod errors;
mod funding;
mod invariants;
mod layout;
mod ownership;
mod settlement;
mod staking;
mod withdrawals;
