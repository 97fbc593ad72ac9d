//! The devnet's integration tests, one binary: a single link of the crate and its dependencies
//! instead of one per file, and one home for the shared scaffolding (`common`). Run one group
//! with a name filter, e.g. `cargo test -p yellowstone-devnet --test it activation::`.

mod common;

mod activation;
mod arb_wasm;
mod capital_deposits;
mod capital_funding;
mod capital_harvest;
mod capital_props;
mod cast_client;
mod chain_history;
mod chain_stylus;
mod chain_transactions;
mod e2e_rpc;
mod fuzz_activation;
mod fuzz_calldata;
mod mor_erc20;
mod nitro_costs;
mod reentrancy;
mod rpc_node;
mod rpc_overrides;
mod rpc_protocol;
mod steth;
mod stylus_compute;
mod stylus_deployer;
mod stylus_hostio;
mod uniswap;
