//! # yellowstone-protocol
//!
//! The rules of the Yellowstone compute market that both halves of the system must agree on
//! to the last wei: the compute contract (compiled to Wasm for Arbitrum Stylus) and the
//! off-chain router, gateway and client. Nothing here touches storage or the network; every
//! function is pure, integer-only and free of panics on any input.
//!
//! | module | what it decides |
//! |---|---|
//! | [`time`] | UTC days and 365-day periods |
//! | [`multiplier`] | the MRC40 power multiplier (tanh time curve) in 1e18 fixed point |
//! | [`schedule`] | linear interval-decreasing emission curves (Morpheus's five buckets), exact over any span |
//! | [`emission`] | the compute bucket's emission schedule, the daily cap and the bootstrap limit |
//! | [`merkle`] | OpenZeppelin-compatible leaves, sorted-pair hashing and proof verification |
//! | [`eip712`] | the signing domain, the `EpochRoot` struct hash and signature checks |
//! | [`math`] | a compact U256 division for the contract's Wasm |
//! | [`access`] | the access rate: how many output tokens a MOR buys per day |
//! | [`messages`] | the market's signed messages: attestation, bid, RFC, ticket, receipt, report (std only) |
//! | [`dev`] | the well-known development accounts and the devnet's deployment file (std only) |
//! | [`abi`] | the contract's events and errors, shared so every side decodes them alike |
//! | [`capital`] | the capital contract (SPEC 7): its events, errors and pure rules |
#![cfg_attr(not(feature = "std"), no_std)]
#![deny(missing_docs)]

extern crate alloc;

pub mod abi;
pub mod access;
pub mod capital;
#[cfg(feature = "std")]
pub mod dev;
pub mod eip712;
pub mod emission;
pub mod math;
pub mod merkle;
#[cfg(feature = "std")]
pub mod messages;
pub mod multiplier;
pub mod schedule;
pub mod time;

pub use alloy_primitives::{Address, B256, U256};

/// One MOR (or any 18-decimal quantity) in wei: the scale of every fixed-point value here.
pub const WAD: U256 = U256::from_limbs([1_000_000_000_000_000_000, 0, 0, 0]);
