//! `cargo stylus`'s window into the program: built only with `--features export-abi`, it
//! answers `abi` (the Solidity interface, also the default) and `constructor` (the constructor's
//! signature, which `cargo stylus deploy` reads to route a deployment through
//! `StylusDeployer`).
#![cfg_attr(not(any(test, feature = "export-abi")), no_main)]

#[cfg(feature = "export-abi")]
fn main() {
    yellowstone_example_counter::print_from_args();
}
