//! `yellowstone-capital-abi`: prints the contract's ABI, built with `--features export-abi`.
//!
//! The Solidity interface is stylus-sdk's export of the `#[public]` functions, with the errors
//! and events of `yellowstone-protocol`'s `capital/errors.sol` and `capital/events.sol` spliced
//! in, parameter names and all (stylus-sdk exports neither events nor error parameter names).
//! `--json` prints the same interface, constructor included, as a JSON ABI.
//! `scripts/export-abi.sh` writes both into `abi/` and checks they are fresh.
#![cfg_attr(not(any(test, feature = "export-abi")), no_main)]

#[cfg(feature = "export-abi")]
fn main() {
    yellowstone_stylus_kit::export::main::<yellowstone_capital::YellowstoneCapital>(
        "The Yellowstone capital contract (Arbitrum Stylus), exported from its Rust source by\n\
         `scripts/export-abi.sh`. Do not edit: CI fails when this file is stale.",
        &[
            include_str!("../../protocol/src/capital/errors.sol"),
            include_str!("../../protocol/src/capital/events.sol"),
        ],
    );
}
