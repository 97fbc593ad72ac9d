//! The program's Solidity interface, as stylus-sdk examples print it: built only with
//! `--features export-abi` (`cargo run -p yellowstone-example-counter --features export-abi`),
//! it answers `abi` (the default) and `constructor` (the signature `cargo stylus deploy` reads
//! to route a deployment through `StylusDeployer`).
#![cfg_attr(not(any(test, feature = "export-abi")), no_main)]

#[cfg(feature = "export-abi")]
fn main() {
    yellowstone_example_counter::print_from_args();
}
