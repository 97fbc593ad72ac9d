//! The store against the market's own state: a `yellowstone_market::state::State` restored from
//! the changes it returned, replayed into an in-memory store. (These live here, not with the
//! market's rule tests, because the store depends on the market.)

mod fixture;
mod restore;
