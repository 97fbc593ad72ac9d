//! # yellowstone-contract-test-kit
//!
//! Test support shared by the Yellowstone Stylus contracts' test suites.
