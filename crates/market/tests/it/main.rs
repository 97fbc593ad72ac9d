//! The router's market rules, read as a specification (SPEC sections 3 to 6): every rule of
//! `yellowstone_market::state::State` driven directly with signed messages and an explicit
//! clock, no network, no chain, no database. (Restoring a state from its persisted changes is
//! tested with the store, in `crates/store/tests`.)

mod allowances;
mod credit;
mod epochs;
mod fixture;
mod liveness;
mod pricing;
mod providers;
mod reports;
mod selection;
mod settle;
mod tickets;
