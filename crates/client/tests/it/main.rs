//! The user client's own tests: the outbox on disk, posting its reports, and the tally of one
//! answer against a mock provider (no router, no chain). The client against a real router is
//! in `bin/yellowstone/tests/it/user_client.rs`.

mod answers;
mod counts;
mod outbox;
mod support;
