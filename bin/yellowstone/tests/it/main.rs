//! The end-to-end tests: the whole market on one machine (the devnet running the real
//! contract Wasm, routers, provider gateways, users, and the `yellowstone` binary itself),
//! in one test binary so the heavy dependencies link once. Scaffolding is in
//! `yellowstone-test-utils`.

mod adversaries;
mod bench_contract_scale;
mod bench_gas;
mod bench_market;
mod bench_router;
mod capital_cli;
mod cli_router;
mod demo;
mod deploy_script;
mod devnet_bare;
mod edges_devnet;
mod faults;
mod fuzz_api;
mod gateway;
mod llama;
mod market_attacks;
mod market_page;
mod openai_python;
mod provider_cli;
mod provider_faults;
mod python;
mod router_devnet;
mod router_rebuild;
mod settlement_liveness;
mod sigterm;
mod user_client;
mod wire;
