//! The MOR stand-in token's integration tests, one binary: each module drives the token on a
//! stylus-test `TestVM` through `common`.

mod common;

mod abi;
mod token;
