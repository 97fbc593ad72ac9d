//! The demo's chain: the embedded devnet with Yellowstone deployed, and the transactions the
//! demo sends itself (funding, staking, MOR transfers, claims) and its time travel.

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
    chain::{Chain, DEV_ACCOUNTS},
    deploy::{deploy_yellowstone, DeployConfig, Deployment},
    rpc::{serve, RpcHandle},
};
use yellowstone_protocol::time::DAY;

use yellowstone_chain::IYellowstoneCompute as I;

sol! {
    /// The MOR token's transfers, as the demo's accounts send them.
    interface IToken {
        function approve(address spender, uint256 value) external returns (bool);
        function transfer(address to, uint256 value) external returns (bool);
    }
}

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
        tokio::task::spawn_blocking(move || {
            let mut chain = Chain::new();
            let deployment = deploy_yellowstone(&mut chain, &artifacts, &DeployConfig::default())
                .with_context(|| {
                format!("deploying Yellowstone from {}", artifacts.display())
            })?;
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
        Ok(ProviderBuilder::new()
            .wallet(key.clone())
            .connect_http(self.url().parse().context("the devnet's URL")?))
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

    /// Funds the compute contract's emissions pool with `amount` from `key`.
    pub async fn fund(&self, key: &PrivateKeySigner, amount: U256) -> Result<()> {
        self.approve(key, amount).await?;
        let fund = I::fundCall { amount };
        self.send(key, self.deployment.compute, fund)
            .await
            .map(drop)
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

    /// Moves the chain's clock to a minute past the next UTC midnight and mines a block.
    pub async fn next_day(&self) -> Result<()> {
        let now = self.now().await?;
        self.advance((now / DAY + 1) * DAY + 60 - now).await
    }
}
