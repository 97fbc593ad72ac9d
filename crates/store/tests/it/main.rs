//! The store against the market's own state: a `yellowstone_market::state::State` restored from
//! the changes it returned, replayed into an in-memory store. (These live here, not with the
//! market's rule tests, because the store depends on the market.)

// The market's rule-test fixture, shared rather than copied; the restore tests use part of it.
#[allow(dead_code)]
#[path = "../../../market/tests/it/fixture.rs"]
mod fixture;
mod restore;
mod tmp;
mod upgrade;
mod upgrade_v2;
