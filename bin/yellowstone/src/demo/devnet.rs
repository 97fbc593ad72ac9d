//! The demo's chain: the embedded devnet with Yellowstone deployed (the compute contract, then
//! the capital side funding it), and the transactions the demo sends itself (staking, MOR and
//! Ether transfers, claims) and its time travel.

use std::{
    path::PathBuf,
    sync::{Arc, Mutex},
};

use alloy_primitives::{Address, Bytes, U256};
use alloy_provider::{Provider, ProviderBuilder};
use alloy_rpc_types_eth::{TransactionReceipt, TransactionRequest};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::{sol, SolCall};
use anyhow::{bail, Context, Result};
use serde_json::Value;
use yellowstone_devnet::{
    capital::{deploy_capital, CapitalConfig},
    chain::{Chain, DEV_ACCOUNTS},
    deploy::{deploy_yellowstone, DeployConfig, Deployment},
    rpc::{serve, RpcHandle},
};
use yellowstone_protocol::time::DAY;

use yellowstone_chain::IYellowstoneCompute as I;

sol! {
    /// The ERC-20 calls the demo's accounts make (MOR, stETH, wstETH).
    interface IToken {
        function approve(address spender, uint256 value) external returns (bool);
        function transfer(address to, uint256 value) external returns (bool);
        function balanceOf(address account) external view returns (uint256);
    }
}

/// How often the demo polls for a receipt: the devnet mines each transaction at once, so
/// alloy's 250 ms for a local node would be most of every transaction's time.
pub const POLL_INTERVAL: std::time::Duration = std::time::Duration::from_millis(20);

/// `<workspace>/target/stylus` of the workspace this binary was built from: where
/// `yellowstone build-contract` puts the artifacts the devnet deploys.
pub fn default_artifacts_dir() -> PathBuf {
    // This crate is `bin/yellowstone`, two levels below the workspace root.
    let manifest = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = manifest
        .parent()
        .and_then(std::path::Path::parent)
        .unwrap_or(manifest);
    root.join("target").join("stylus")
}

/// A development account's key (devnet only: these keys are public).
pub fn dev_key(account: usize) -> Result<PrivateKeySigner> {
    PrivateKeySigner::from_bytes(&DEV_ACCOUNTS[account].private_key)
        .context("a development key is invalid")
}

/// The devnet serving JSON-RPC, with what was deployed on it.
pub struct Devnet {
    /// The MOR token, the compute contract and the chain id.
    pub deployment: Deployment,
    rpc: RpcHandle,
}

impl Devnet {
    /// Deploys the MOR fixture and the compute contract (building missing artifacts from
    /// `artifacts`) and serves JSON-RPC on a free local port.
    pub async fn start(artifacts: PathBuf) -> Result<Devnet> {
        Self::launch(artifacts, None).await
    }

    /// As [`Devnet::start`], then the capital side configured by `capital` (its addresses in
    /// `deployment.capital`).
    pub async fn start_with_capital(artifacts: PathBuf, capital: CapitalConfig) -> Result<Devnet> {
        Self::launch(artifacts, Some(capital)).await
    }

    async fn launch(artifacts: PathBuf, capital: Option<CapitalConfig>) -> Result<Devnet> {
        tokio::task::spawn_blocking(move || {
            let mut chain = Chain::new();
            let mut deployment =
                deploy_yellowstone(&mut chain, &artifacts, &DeployConfig::default()).with_context(
                    || format!("deploying Yellowstone from {}", artifacts.display()),
                )?;
            if let Some(config) = capital {
                let side = deploy_capital(&mut chain, &artifacts, &deployment, &config)
                    .with_context(|| {
                        format!("deploying the capital side from {}", artifacts.display())
                    })?;
                deployment.capital = Some(side);
            }
            let rpc = serve(Arc::new(Mutex::new(chain)), ([127, 0, 0, 1], 0).into())
                .context("serving the devnet's JSON-RPC")?;
            Ok(Devnet { deployment, rpc })
        })
        .await
        .context("the deployment task failed")?
    }

    /// The JSON-RPC endpoint.
    pub fn url(&self) -> String {
        self.rpc.url()
    }

    /// Stops serving JSON-RPC.
    pub fn shutdown(self) {
        self.rpc.shutdown();
    }

    fn wallet(&self, key: &PrivateKeySigner) -> Result<impl Provider> {
        let wallet = ProviderBuilder::new()
            .wallet(key.clone())
            .connect_http(self.url().parse().context("the devnet's URL")?);
        wallet.client().set_poll_interval(POLL_INTERVAL);
        Ok(wallet)
    }

    /// Sends `call` to `to` from `key`; an error unless it succeeded.
    pub async fn send(
        &self,
        key: &PrivateKeySigner,
        to: Address,
        call: impl SolCall,
    ) -> Result<TransactionReceipt> {
        let tx = TransactionRequest::default()
            .to(to)
            .gas_limit(5_000_000)
            .input(Bytes::from(call.abi_encode()).into());
        let receipt = self
            .wallet(key)?
            .send_transaction(tx)
            .await
            .context("sending a transaction")?
            .get_receipt()
            .await
            .context("waiting for a receipt")?;
        if !receipt.status() {
            bail!(
                "transaction {} from {} reverted",
                receipt.transaction_hash,
                key.address()
            );
        }
        Ok(receipt)
    }

    async fn approve(&self, key: &PrivateKeySigner, amount: U256) -> Result<()> {
        let d = &self.deployment;
        let approve = IToken::approveCall {
            spender: d.compute,
            value: amount,
        };
        self.send(key, d.mor, approve).await.map(drop)
    }

    /// Sends `value` wei of Ether from `key` to `to`.
    pub async fn send_eth(&self, key: &PrivateKeySigner, to: Address, value: U256) -> Result<()> {
        let tx = TransactionRequest::default()
            .to(to)
            .value(value)
            .gas_limit(21_000);
        let receipt = self
            .wallet(key)?
            .send_transaction(tx)
            .await
            .context("sending Ether")?
            .get_receipt()
            .await
            .context("waiting for a receipt")?;
        if !receipt.status() {
            bail!("sending Ether to {to} failed");
        }
        Ok(())
    }

    /// Stakes `amount` from `key`, locked until `lock_end` (unix seconds).
    pub async fn stake(&self, key: &PrivateKeySigner, amount: U256, lock_end: u64) -> Result<()> {
        self.approve(key, amount).await?;
        let stake = I::stakeCall { amount, lock_end };
        self.send(key, self.deployment.compute, stake)
            .await
            .map(drop)
    }

    /// Transfers `amount` MOR from `key` to `to`.
    pub async fn transfer(&self, key: &PrivateKeySigner, to: Address, amount: U256) -> Result<()> {
        let transfer = IToken::transferCall { to, value: amount };
        self.send(key, self.deployment.mor, transfer)
            .await
            .map(drop)
    }

    /// `eth_call` of `call` on `to` at the latest block, decoded.
    pub async fn view<C: SolCall>(&self, to: Address, call: C) -> Result<C::Return> {
        let tx = TransactionRequest::default()
            .to(to)
            .input(Bytes::from(call.abi_encode()).into());
        let out = self
            .wallet(&dev_key(0)?)?
            .call(tx)
            .await
            .with_context(|| format!("calling {} on {to}", C::SIGNATURE))?;
        C::abi_decode_returns(&out).with_context(|| format!("decoding {}", C::SIGNATURE))
    }

    /// The latest block's timestamp.
    pub async fn now(&self) -> Result<u64> {
        let block: Value = self
            .wallet(&dev_key(0)?)?
            .raw_request("eth_getBlockByNumber".into(), ("latest", false))
            .await
            .context("reading the latest block")?;
        let hex = block["timestamp"]
            .as_str()
            .context("a block without a timestamp")?;
        u64::from_str_radix(hex.trim_start_matches("0x"), 16).context("a block's timestamp")
    }

    /// Moves the chain's clock forward by `seconds` and mines a block.
    pub async fn advance(&self, seconds: u64) -> Result<()> {
        let wallet = self.wallet(&dev_key(0)?)?;
        let _: Value = wallet
            .raw_request("evm_increaseTime".into(), (seconds,))
            .await
            .context("evm_increaseTime")?;
        let _: Value = wallet
            .raw_request("evm_mine".into(), ())
            .await
            .context("evm_mine")?;
        Ok(())
    }

    /// Gives the next block `timestamp` (later than the latest block's), the clock running on
    /// from there.
    pub async fn set_next_timestamp(&self, timestamp: u64) -> Result<()> {
        let _: Value = self
            .wallet(&dev_key(0)?)?
            .raw_request("evm_setNextBlockTimestamp".into(), (timestamp,))
            .await
            .context("evm_setNextBlockTimestamp")?;
        Ok(())
    }

    /// Mines a block at `timestamp` (later than the latest block's), the clock running on from
    /// there.
    pub async fn advance_to(&self, timestamp: u64) -> Result<()> {
        self.set_next_timestamp(timestamp).await?;
        let _: Value = self
            .wallet(&dev_key(0)?)?
            .raw_request("evm_mine".into(), ())
            .await
            .context("evm_mine")?;
        Ok(())
    }

    /// Moves the chain's clock to a minute past the next UTC midnight and mines a block.
    pub async fn next_day(&self) -> Result<()> {
        let now = self.now().await?;
        self.advance((now / DAY + 1) * DAY + 60 - now).await
    }
}
