//! The capital contract's integration tests, one binary so the harness and the contract are
//! compiled once: each module drives the contract on a stylus-test `TestVM` through `common`,
//! with its counterparties (stETH, wstETH, the native token, the Uniswap V2 pair, the compute
//! contract) simulated in `common/sim.rs`.

mod common;

mod abi;
mod deposits;
mod emissions;
mod funding;
mod harvest;
mod invariants;
mod layout;
mod ownership;
