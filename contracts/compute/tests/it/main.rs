//! The compute contract's integration tests, one binary so the harness and the contract are
//! compiled once: each module drives the contract on a stylus-test `TestVM` through `common`.

mod common;

mod abi;
mod adversaries;
mod claims;
mod deployment;
mod errors;
mod funding;
mod invariants;
mod ownership;
mod settlement;
mod staking;
