//! The flags every on-chain command shares (`provider` and `capital`): where the chain and the
//! contract are, the signing key's source, how to print; and their resolution, so both tools
//! read a devnet deployments file and a key the same way.

use std::{
    marker::PhantomData,
    path::{Path, PathBuf},
};

use alloy_primitives::Address;
use alloy_signer_local::PrivateKeySigner;
use anyhow::{Context, Result};
use serde::Serialize;
use yellowstone_protocol::dev::Deployment;

/// What differs between the tools using [`ChainArgs`]: their contract flag, key and words.
pub(super) trait Tool {
    /// The key's role in messages, e.g. `capital` ("no capital key: ...").
    const ROLE: &'static str;
    /// The environment variable holding the key (hex).
    const KEY_ENV: &'static str;
    /// --key-file's help.
    const KEY_FILE_HELP: &'static str;
    /// The contract flag's name, e.g. `capital` for --capital.
    const CONTRACT_FLAG: &'static str;
    /// Its value's name in the help.
    const CONTRACT_VALUE: &'static str;
    /// Its environment variable.
    const CONTRACT_ENV: &'static str;
    /// Its help.
    const CONTRACT_HELP: &'static str;
    /// --deployments' help.
    const DEPLOYMENTS_HELP: &'static str;
    /// The tool's contract in a devnet deployments file, when it has one.
    fn contract(deployment: &Deployment) -> Option<Address>;
}

/// Where the chain and the contract are, who signs, how to print.
#[derive(Debug, clap::Args)]
pub(super) struct ChainArgs<T: Tool> {
    /// The chain's JSON-RPC URL [default: the --deployments file's, else http://127.0.0.1:8545].
    #[arg(long, env = "YELLOWSTONE_RPC_URL", value_name = "URL")]
    rpc_url: Option<String>,
    #[arg(long = T::CONTRACT_FLAG, env = T::CONTRACT_ENV, value_name = T::CONTRACT_VALUE,
          help = T::CONTRACT_HELP)]
    contract: Option<Address>,
    #[arg(long, value_name = "FILE", help = T::KEY_FILE_HELP)]
    key_file: Option<PathBuf>,
    #[arg(long, value_name = "FILE", help = T::DEPLOYMENTS_HELP)]
    deployments: Option<PathBuf>,
    /// Print one JSON object (amounts in wei, 0x-hex) instead of text.
    #[arg(long)]
    json: bool,
    #[arg(skip)]
    tool: PhantomData<T>,
}

impl<T: Tool> ChainArgs<T> {
    /// The RPC URL and the contract: the flags', else the --deployments file's (its keys are
    /// never used); the URL defaults to the local devnet's.
    pub(super) fn endpoint(&self) -> Result<(String, Option<Address>)> {
        let (mut rpc_url, mut contract) = (self.rpc_url.clone(), self.contract);
        if let Some(path) = &self.deployments {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            let d: Deployment = serde_json::from_str(&text)
                .with_context(|| format!("{} is not a devnet deployments file", path.display()))?;
            contract = contract.or(T::contract(&d));
            rpc_url = rpc_url.or(d.rpc_url);
        }
        let rpc_url = rpc_url.unwrap_or_else(|| "http://127.0.0.1:8545".into());
        Ok((rpc_url, contract))
    }

    /// The key from --key-file, else the tool's environment variable. Never logged.
    pub(super) fn key(&self) -> Result<PrivateKeySigner> {
        load_key::<T>(self.key_file.as_deref())
    }

    /// The key, or `None` when neither --key-file nor the environment gives one.
    pub(super) fn key_if_given(&self) -> Result<Option<PrivateKeySigner>> {
        if self.key_file.is_none() && std::env::var(T::KEY_ENV).is_err() {
            return Ok(None);
        }
        self.key().map(Some)
    }

    /// Prints `value` as JSON with --json, else `text`.
    pub(super) fn print(&self, value: &impl Serialize, text: String) -> Result<()> {
        if self.json {
            println!("{}", serde_json::to_string_pretty(value)?);
        } else {
            println!("{text}");
        }
        Ok(())
    }
}

/// The tool's key from `file`, else its environment variable (hex). Never logged.
pub(super) fn load_key<T: Tool>(file: Option<&Path>) -> Result<PrivateKeySigner> {
    yellowstone_router::config::load_key(T::ROLE, file, std::env::var(T::KEY_ENV).ok())
}
