//! `yellowstone-mor-token-abi`: prints the devnet MOR token's Solidity interface, built with
//! `--features export-abi` (`cargo run -p yellowstone-mor-token --features export-abi`).
//!
//! The interface is stylus-sdk's export of the `#[public]` functions, with the events and
//! errors of `erc20.sol` spliced in, parameter names and all (stylus-sdk exports neither events
//! nor error parameter names).
#![cfg_attr(not(any(test, feature = "export-abi")), no_main)]

#[cfg(feature = "export-abi")]
fn main() {
    print!("{}", export::interface());
}

#[cfg(feature = "export-abi")]
mod export {
    use std::fmt;

    use stylus_sdk::abi::GenerateAbi;
    use yellowstone_mor_token::MorToken;

    const DECLARATIONS: &str = include_str!("erc20.sol");

    struct Show(fn(&mut fmt::Formatter<'_>) -> fmt::Result);

    impl fmt::Display for Show {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            self.0(f)
        }
    }

    /// The full Solidity interface: header, functions, events and errors.
    pub(crate) fn interface() -> String {
        let body = Show(MorToken::fmt_abi).to_string();
        let close = body
            .rfind('}')
            .expect("stylus-sdk emits a closed interface");
        let constructor = Show(MorToken::fmt_constructor_signature).to_string();
        let mut out = String::from(
            "/**\n * The MOR stand-in of the Yellowstone devnet (Arbitrum Stylus ERC-20), exported from its\n * Rust source. Devnet only: production uses the deployed MOR.\n *\n",
        );
        out.push_str(&format!(" * Deployed with: {}", constructor.trim_end()));
        out.push_str(
            "\n */\n\n// SPDX-License-Identifier: MIT OR Apache-2.0\npragma solidity ^0.8.23;\n\n",
        );
        out.push_str(body[..close].trim_end());
        out.push('\n');
        for item in DECLARATIONS
            .lines()
            .filter(|line| line.starts_with("error ") || line.starts_with("event "))
        {
            out.push_str(&format!("\n    {item}\n"));
        }
        out.push_str("}\n");
        out
    }
}
