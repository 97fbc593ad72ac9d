//! Router configuration: a TOML file, then the environment, then flags, each overriding the
//! one before (see `yellowstone router --help`). The router key is read from a file or the
//! environment, never from a flag or the TOML (so it never lands in shell history or a
//! committed file), is never logged, and the well-known development keys are refused unless
//! the chain is the devnet.

use std::{net::SocketAddr, path::PathBuf};

use alloy_primitives::{Address, B256};
use alloy_signer_local::PrivateKeySigner;
use anyhow::{bail, Context};
use serde::Deserialize;

use yellowstone_protocol::dev;

use yellowstone_market::state::Rules;

use yellowstone_store::Durability;

/// Everything the router needs to run, after merging file, environment and flags.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address to serve the HTTP API on.
    pub listen: SocketAddr,
    /// JSON-RPC endpoint of the chain.
    pub rpc_url: String,
    /// The compute contract.
    pub contract: Option<Address>,
    /// The router database (SQLite).
    pub database: PathBuf,
    /// Commit durability.
    pub durability: Durability,
    /// Follow the chain's clock (a devnet that travels in time) instead of the system's.
    pub chain_clock: bool,
    /// The market's rules.
    pub rules: Rules,
    /// Service limits.
    pub service: ServiceConfig,
}

/// Service limits in the TOML file's `[service]` table.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServiceConfig {
    /// RFCs admitted concurrently before queueing.
    pub admission_concurrency: usize,
    /// Places in the admission queue (by MOR balance).
    pub admission_queue: usize,
    /// Provider probe timeout, milliseconds.
    pub probe_timeout_ms: u64,
    /// How long a probe answer is reused, milliseconds.
    pub probe_cache_ms: u64,
    /// Gas limit margin over eth_estimateGas, percent.
    pub gas_margin_percent: u64,
    /// Highest fee per gas the router will pay, wei.
    pub max_fee_per_gas: u128,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        Self {
            admission_concurrency: 256,
            admission_queue: 4_096,
            probe_timeout_ms: 2_000,
            probe_cache_ms: 5_000,
            gas_margin_percent: 25,
            max_fee_per_gas: 100_000_000_000, // 100 gwei
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8640".parse().expect("a valid address"),
            rpc_url: "http://127.0.0.1:8545".into(),
            contract: None,
            database: PathBuf::from("yellowstone-router.db"),
            durability: Durability::Normal,
            chain_clock: false,
            rules: Rules::default(),
            service: ServiceConfig::default(),
        }
    }
}

impl Config {
    /// Reads a TOML file (unknown keys are refused, naming the key).
    pub fn from_file(path: &std::path::Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading the config file {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("in the config file {}", path.display()))
    }

    /// Checks what serde cannot: ranges that would make the market misbehave.
    pub fn validate(&self) -> anyhow::Result<()> {
        let r = &self.rules;
        if r.block_seconds == 0 {
            bail!("rules.block_seconds must be at least 1");
        }
        if r.ticket_seconds == 0 || r.max_token_max == 0 {
            bail!("rules.ticket_seconds and rules.max_token_max must be above zero");
        }
        if r.judge.window == 0 {
            bail!("rules.judge.window (Z) must be at least 1");
        }
        if r.epoch_deadline_seconds < 60 {
            bail!(
                "rules.epoch_deadline_seconds must be at least 60: a root must have time to be \
                 sent, re-sent with higher fees (every 6 s) and mined before it expires"
            );
        }
        if r.epoch_deadline_seconds > 86_400 {
            bail!(
                "rules.epoch_deadline_seconds must be at most a day (86400): a refused root holds \
                 settlement back until its deadline"
            );
        }
        if r.selection.explore_permille > 1_000 {
            bail!("rules.selection.explore_permille must be at most 1000");
        }
        if r.price_band_k == 0 {
            bail!("rules.price_band_k (k) must be at least 1: with 0 no bid is ever selectable");
        }
        if r.max_capacity == 0 {
            bail!("rules.max_capacity must be at least 1");
        }
        if r.max_price_per_token.is_zero() {
            bail!("rules.max_price_per_token must be above zero");
        }
        if let Some(model) = r
            .reference_prices
            .iter()
            .find(|(_, p)| p.is_zero())
            .map(|(m, _)| m)
        {
            bail!("rules.reference_prices.{model:?} is zero: a reference price must be above zero");
        }
        if r.default_reference_price.is_some_and(|p| p.is_zero()) {
            bail!("rules.default_reference_price must be above zero (or left out)");
        }
        if let Some(model) = r
            .pinned_weights
            .iter()
            .find(|(_, h)| h.is_empty() || h.iter().any(|x| x.is_zero()))
            .map(|(m, _)| m)
        {
            bail!("rules.pinned_weights.{model:?} must list at least one non-zero weights hash");
        }
        if self.service.admission_concurrency == 0 {
            bail!("service.admission_concurrency must be at least 1");
        }
        if self.contract.is_none() {
            bail!("no compute contract: pass --contract, set YELLOWSTONE_CONTRACT, `contract` in the config file, or --deployments");
        }
        Ok(())
    }
}

/// Reads the key of `role` ("router", "provider" or "user"): `file` (hex, whitespace ignored)
/// or `env`, the value of `YELLOWSTONE_<ROLE>_KEY`. Never logged, never echoed in an error.
pub fn load_key(
    role: &str,
    file: Option<&std::path::Path>,
    env: Option<String>,
) -> anyhow::Result<PrivateKeySigner> {
    let text = match (file, env) {
        (Some(path), _) => std::fs::read_to_string(path)
            .with_context(|| format!("reading the {role} key file {}", path.display()))?,
        (None, Some(value)) => value,
        (None, None) => bail!(
            "no {role} key: pass --key-file <path> or set YELLOWSTONE_{}_KEY (hex private key)",
            role.to_uppercase()
        ),
    };
    let bytes: B256 = text
        .trim()
        .parse()
        .map_err(|_| anyhow::anyhow!("the {role} key is not 32 bytes of hex"))?;
    PrivateKeySigner::from_bytes(&bytes)
        .map_err(|_| anyhow::anyhow!("the {role} key is not a valid secp256k1 secret"))
}

/// Refuses a well-known development key on any chain but the devnet.
pub fn refuse_dev_key(key: &PrivateKeySigner, chain_id: u64) -> anyhow::Result<()> {
    dev::refuse_dev_key("router", key.address(), chain_id).map_err(anyhow::Error::msg)
}

/// Merges environment and flag overrides into a config (flags win over environment, which
/// clap resolves; both win over the file).
pub fn merge(mut config: Config, overrides: Overrides) -> Config {
    if let Some(v) = overrides.listen {
        config.listen = v;
    }
    if let Some(v) = overrides.rpc_url {
        config.rpc_url = v;
    }
    if let Some(v) = overrides.contract {
        config.contract = Some(v);
    }
    if let Some(v) = overrides.database {
        config.database = v;
    }
    if let Some(v) = overrides.block_seconds {
        config.rules.block_seconds = v;
    }
    if overrides.chain_clock {
        config.chain_clock = true;
    }
    config
}

/// Values from flags or the environment.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    /// `--listen` / `YELLOWSTONE_LISTEN`.
    pub listen: Option<SocketAddr>,
    /// `--rpc-url` / `YELLOWSTONE_RPC_URL`.
    pub rpc_url: Option<String>,
    /// `--contract` / `YELLOWSTONE_CONTRACT`.
    pub contract: Option<Address>,
    /// `--database` / `YELLOWSTONE_DATABASE`.
    pub database: Option<PathBuf>,
    /// `--block-seconds` / `YELLOWSTONE_BLOCK_SECONDS`.
    pub block_seconds: Option<u64>,
    /// `--chain-clock`.
    pub chain_clock: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use yellowstone_protocol::dev::{DEVNET_CHAIN_ID, DEV_ACCOUNTS};

    #[test]
    fn a_toml_file_sets_rules_and_refuses_unknown_keys() {
        let config: Config = toml::from_str(
            "rpc_url = \"http://node:8545\"\n[rules]\nblock_seconds = 6\n[rules.judge]\nslower_percent = 20\nwindow = 50\nwarmup = 5\n",
        )
        .unwrap();
        assert_eq!(config.rules.block_seconds, 6);
        assert_eq!(config.rules.judge.slower_percent, 20);
        assert_eq!(config.rpc_url, "http://node:8545");
        let err = toml::from_str::<Config>("blok_seconds = 6\n").unwrap_err();
        assert!(err.to_string().contains("blok_seconds"), "{err}");
    }

    #[test]
    fn flags_and_environment_override_the_file() {
        let file: Config =
            toml::from_str("rpc_url = \"http://file:1\"\n[rules]\nblock_seconds = 6\n").unwrap();
        let merged = merge(
            file,
            Overrides {
                rpc_url: Some("http://flag:2".into()),
                ..Overrides::default()
            },
        );
        assert_eq!(merged.rpc_url, "http://flag:2");
        assert_eq!(merged.rules.block_seconds, 6);
    }

    #[test]
    fn development_keys_are_refused_off_the_devnet() {
        let key = PrivateKeySigner::from_bytes(&DEV_ACCOUNTS[9].private_key).unwrap();
        assert!(refuse_dev_key(&key, DEVNET_CHAIN_ID).is_ok());
        let err = refuse_dev_key(&key, 42_161).unwrap_err().to_string();
        assert!(err.contains("public development key"), "{err}");
        let own = PrivateKeySigner::random();
        assert!(refuse_dev_key(&own, 42_161).is_ok());
    }

    #[test]
    fn a_key_comes_from_a_file_or_the_environment_and_must_be_hex() {
        let dir = std::env::temp_dir().join(format!("ys-key-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("key");
        std::fs::write(&path, format!("  {}\n", DEV_ACCOUNTS[9].private_key)).unwrap();
        assert_eq!(
            load_key("router", Some(&path), None).unwrap().address(),
            DEV_ACCOUNTS[9].address
        );
        assert!(load_key("router", None, Some("zz".into())).is_err());
        assert!(load_key("router", None, None)
            .unwrap_err()
            .to_string()
            .contains("--key-file"));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn pricing_rules_are_read_from_toml_and_absurd_ones_refused() {
        let base = "rpc_url = \"http://node:8545\"\ncontract = \"0x00000000000000000000000000000000000c0de1\"\n";
        let ok: Config = toml::from_str(&format!(
            "{base}[rules]\nprice_band_k = 3\nmax_price_per_token = \"1000000000000000\"\n[rules.reference_prices]\n\"llama-3-8b\" = \"2000000000000\"\n[rules.pinned_weights]\n\"llama-3-8b\" = [\"0x{}\"]\n",
            "ee".repeat(32)
        ))
        .unwrap();
        assert_eq!(ok.rules.price_band_k, 3);
        assert_eq!(
            ok.rules.reference_prices["llama-3-8b"],
            alloy_primitives::U256::from(2_000_000_000_000u64)
        );
        ok.validate().unwrap();
        for (bad, named) in [
            ("price_band_k = 0", "price_band_k"),
            ("max_capacity = 0", "max_capacity"),
            ("max_price_per_token = \"0\"", "max_price_per_token"),
            ("[rules.reference_prices]\nm = \"0\"", "reference_prices"),
            ("[rules.pinned_weights]\nm = []", "pinned_weights"),
            ("epoch_deadline_seconds = 59", "epoch_deadline_seconds"),
            ("epoch_deadline_seconds = 86401", "epoch_deadline_seconds"),
        ] {
            let config: Config = toml::from_str(&format!("{base}[rules]\n{bad}\n")).unwrap();
            let err = config.validate().unwrap_err().to_string();
            assert!(err.contains(named), "{bad}: {err}");
        }
    }
}
