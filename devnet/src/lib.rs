//! # yellowstone-devnet
//!
//! A local Arbitrum-like chain that executes the compiled Stylus programs themselves.
#![deny(missing_docs)]

pub mod activation;
pub mod capital;
pub mod chain;
pub mod deploy;
pub mod fixtures;
pub mod mor;
pub mod rpc;
pub mod stylus;
pub mod uniswap;
