//! The gateway over real HTTP, in-process, against SPEC 8: its capacity (`busy`), the signed
//! liveness answer, and a used-ticket set that survives a restart. Textgen is the backend;
//! tickets are signed here by a router key the gateway is told to trust. (The ticket checks and
//! streaming are exercised end to end in `bin/yellowstone/tests/it/gateway.rs`.)

mod busy;
mod common;
mod conformance;
mod liveness;
mod replay;
mod restart;
