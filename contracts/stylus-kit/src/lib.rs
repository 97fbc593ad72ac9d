//! # yellowstone-stylus-kit
//!
//! What the Yellowstone Stylus contracts (`yellowstone-compute`, `yellowstone-capital`) share
//! below their rules.
#![cfg_attr(not(feature = "export-abi"), no_std)]
