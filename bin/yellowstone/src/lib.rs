//! # yellowstone-router
//!
//! The off-chain half of the Yellowstone compute market (SPEC sections 3 to 6), and the
//! `yellowstone` command line. The router never sees a prompt or an answer and never holds
//! funds: it admits signed requests by daily allowance, picks providers, judges signed reports,
//! and settles provider earnings on-chain with one signed Merkle root per inference block.
//!
//! | module | what it does |
//! |---|---|
//! | [`cli`] | the subcommands of `yellowstone` |
//! | [`config`] | TOML, environment and flags; the router key |
//! | [`server`] | starting a router: chain, database, state, loops, API |
//! | [`api`] | the HTTP API under `/v1`, `/health`, `/metrics` |
//! | [`service`] | the running router: admission, reports, settlement loop |
//! | [`state`] | the market state in memory and every rule that changes it |
//! | [`market`] | the pure rules: allowance, admission queue, credit rule, selection, bootstrap, folding |
//! | [`records`] | what is persisted, and the [`records::Change`] unit of persistence |
//! | [`store`] | SQLite in WAL mode, with a group-commit writer |
//! | [`chain`] | reading the contract and the MOR token; submitting epoch roots |
//! | [`metrics`] | Prometheus counters |
//! | [`client`] | a typed async client of the router's API |
//! | [`user`] | the user's side: chat, allowance, the local OpenAI-compatible proxy |
//! | [`error`] | refusals as `{code, message}` with HTTP statuses |
//! | [`gateway`] | the provider gateway: OpenAI-compatible, ticket-checked, signs receipts |
//! | [`provider`] | the provider's management: attest, bid, stake, lock, claim, status |
//! | [`units`] | exact MOR amounts, fixed-point values and dates as people type and read them |
//! | [`textgen`] | a deterministic word generator for tests and demos (not a language model) |
//! | [`bench`] | `yellowstone bench`: throughput, gas, size and scale against the goals |
//! | [`demo`] | `yellowstone demo`: the whole market in one process, settled to the wei |
pub mod api;
pub mod bench;
pub mod chain;
pub mod cli;
pub mod client;
pub mod config;
pub mod demo;
pub mod error;
pub mod gateway;
pub mod market;
pub mod metrics;
pub mod provider;
pub mod records;
pub mod server;
pub mod service;
pub mod state;
pub mod store;
pub mod textgen;
pub mod units;
pub mod user;
