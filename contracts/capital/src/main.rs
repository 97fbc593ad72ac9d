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
    let json = std::env::args().skip(1).any(|arg| arg == "--json");
    let interface = export::interface();
    if json {
        println!("{}", export::json(&interface));
    } else {
        print!("{interface}");
    }
}

#[cfg(feature = "export-abi")]
mod export {
    use std::fmt;

    use stylus_sdk::abi::GenerateAbi;
    use yellowstone_capital::YellowstoneCapital;

    const ERRORS: &str = include_str!("../../protocol/src/capital/errors.sol");
    const EVENTS: &str = include_str!("../../protocol/src/capital/events.sol");

    struct Show(fn(&mut fmt::Formatter<'_>) -> fmt::Result);

    impl fmt::Display for Show {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            self.0(f)
        }
    }

    /// The full Solidity interface: header, functions, errors and events.
    pub(crate) fn interface() -> String {
        let body = Show(YellowstoneCapital::fmt_abi).to_string();
        let close = body
            .rfind('}')
            .expect("stylus-sdk emits a closed interface");
        let constructor = Show(YellowstoneCapital::fmt_constructor_signature).to_string();
        let mut out = String::from(
            "/**\n * The Yellowstone capital contract (Arbitrum Stylus), exported from its Rust source by\n * `scripts/export-abi.sh`. Do not edit: CI fails when this file is stale.\n *\n",
        );
        out.push_str(&format!(" * Deployed with: {}", constructor.trim_end()));
        out.push_str(
            "\n */\n\n// SPDX-License-Identifier: MIT OR Apache-2.0\npragma solidity ^0.8.23;\n\n",
        );
        out.push_str(body[..close].trim_end());
        out.push('\n');
        let declarations = ERRORS.lines().chain(EVENTS.lines());
        for item in
            declarations.filter(|line| line.starts_with("error ") || line.starts_with("event "))
        {
            out.push_str(&format!("\n    {item}\n"));
        }
        out.push_str("}\n");
        out
    }

    /// The interface as a JSON ABI, parsed from its human-readable declarations.
    pub(crate) fn json(interface: &str) -> String {
        let constructor = Show(YellowstoneCapital::fmt_constructor_signature).to_string();
        let items = interface
            .lines()
            .map(|line| line.trim().trim_end_matches(';'))
            .filter(|line| {
                ["function ", "event ", "error "]
                    .iter()
                    .any(|kind| line.starts_with(kind))
            })
            .chain(std::iter::once(constructor.trim()))
            .map(str::to_owned)
            .collect::<Vec<_>>();
        let abi = alloy_json_abi::JsonAbi::parse(items.iter().map(String::as_str))
            .unwrap_or_else(|err| panic!("the exported interface does not parse: {err}"));
        serde_json::to_string_pretty(&abi).expect("a JSON ABI serialises")
    }
}
