//! # yellowstone-devnet
//!
//! A local Arbitrum-like chain that executes the compiled Stylus programs themselves.
#![deny(missing_docs)]

pub mod activation;
pub mod chain;
pub mod deploy;
pub mod mor;
pub mod rpc;
pub mod stylus;
