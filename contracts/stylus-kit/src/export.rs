//! The ABI export of a contract (feature `export-abi`, std): stylus-sdk's Solidity interface
//! of the `#[public]` functions, with the errors and events of the contract's Solidity source
//! spliced in, parameter names and all (stylus-sdk exports neither events nor error parameter
//! names), and the same interface as a JSON ABI, constructor included.

use std::fmt;

use stylus_sdk::abi::GenerateAbi;

struct Show(fn(&mut fmt::Formatter<'_>) -> fmt::Result);

impl fmt::Display for Show {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0(f)
    }
}

/// The binary's whole job: prints `T`'s interface ([`interface`]), or with `--json` its JSON
/// ABI ([`json`]).
pub fn main<T: GenerateAbi>(header: &str, sources: &[&str]) {
    let json_wanted = std::env::args().skip(1).any(|arg| arg == "--json");
    let interface = interface::<T>(header, sources);
    if json_wanted {
        println!("{}", json::<T>(&interface));
    } else {
        print!("{interface}");
    }
}

/// The full Solidity interface of `T`: a doc comment of the `header` lines (each without its
/// ` * ` prefix) and the deployment signature, the functions, then every `error` and `event`
/// line of `sources` (Solidity files), in order.
pub fn interface<T: GenerateAbi>(header: &str, sources: &[&str]) -> String {
    let body = Show(T::fmt_abi).to_string();
    let close = body
        .rfind('}')
        .expect("stylus-sdk emits a closed interface");
    let constructor = Show(T::fmt_constructor_signature).to_string();
    let mut out = String::from("/**\n");
    for line in header.lines() {
        out.push_str(format!(" * {line}").trim_end());
        out.push('\n');
    }
    out.push_str(" *\n");
    out.push_str(&format!(" * Deployed with: {}", constructor.trim_end()));
    out.push_str(
        "\n */\n\n// SPDX-License-Identifier: MIT OR Apache-2.0\npragma solidity ^0.8.23;\n\n",
    );
    out.push_str(body[..close].trim_end());
    out.push('\n');
    let declarations = sources.iter().flat_map(|source| source.lines());
    for item in declarations.filter(|line| line.starts_with("error ") || line.starts_with("event "))
    {
        out.push_str(&format!("\n    {item}\n"));
    }
    out.push_str("}\n");
    out
}

/// `interface` (of `T`) as a JSON ABI, parsed from its human-readable declarations.
pub fn json<T: GenerateAbi>(interface: &str) -> String {
    let constructor = Show(T::fmt_constructor_signature).to_string();
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
