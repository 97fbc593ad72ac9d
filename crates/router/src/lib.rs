//! # yellowstone-router
//!
//! The router service, the off-chain half of the Yellowstone compute market (SPEC sections 3
//! to 6). It never sees a prompt or an answer and never holds funds: it admits signed
//! requests by daily allowance, picks providers, judges signed reports, and settles provider
//! earnings on-chain with one signed Merkle root per inference block. The rules themselves
//! are in `yellowstone-market`, the database in `yellowstone-store`, the contract calls in
//! `yellowstone-chain`, and the wire types in `yellowstone-api`.
//!
//! | module | what it does |
//! |---|---|
//! | [`config`] | TOML, environment and flags; the router key |
//! | [`server`] | starting a router: chain, database, state, loops, API; stopping it gracefully |
//! | [`api`] | the HTTP API under `/v1`, `/health`, `/metrics` |
//! | [`service`] | the running router: admission, reports, settlement loop |
//! | [`metrics`] | Prometheus counters |
//! | [`rebuild`] | the router against the contract's latest root; `yellowstone router rebuild` |

pub mod api;
pub mod config;
pub mod metrics;
pub mod rebuild;
pub mod server;
pub mod service;
