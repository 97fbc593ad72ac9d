//! The provider's management: attest a model, bid, stake, extend the lock, claim earnings and
//! read one's standing. `yellowstone provider` parses flags and prints; the logic lives here so
//! the demo can call it.
//!
//! | module | what it does |
//! |---|---|
//! | [`offer`] | signed messages to the router: [`offer::attest`], [`offer::bid`] |
//! | [`onchain`] | transactions: [`onchain::stake`], [`onchain::lock`], [`onchain::claim`] |
//! | [`status`] | the contract's record and the router's view: [`status::status`] |
//!
//! [`Ctx`] talks to the router only; [`ChainCtx`] adds the chain and a wallet.

pub mod offer;
pub mod onchain;
pub mod status;
mod tx;

use std::time::Duration;

use alloy_primitives::Address;
use alloy_provider::{DynProvider, Provider, ProviderBuilder};
use alloy_signer_local::PrivateKeySigner;
use yellowstone_protocol::dev;

use yellowstone_chain::{ChainClient, ChainError};

use yellowstone_client::router::{ClientError, RouterClient};

/// Bound of every chain read.
const CHAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a provider command failed.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// The contract refuses the call (from the simulation or the mined receipt); `error` is
    /// the decoded typed error, e.g. `NothingToClaim { provider: 0x…, cumulative: 5, claimed: 5 }`.
    #[error("the contract refuses {call}: {error}")]
    Refused {
        /// The contract function, e.g. `claim`.
        call: &'static str,
        /// The decoded refusal.
        error: String,
    },
    /// Reading the chain failed.
    #[error(transparent)]
    Chain(#[from] ChainError),
    /// Sending a transaction or reading its receipt failed (not a contract refusal).
    #[error("{0}")]
    Node(String),
    /// The router refused or could not be reached.
    #[error(transparent)]
    Router(#[from] ClientError),
    /// A local input is unusable (the key, the weights file, an amount).
    #[error("{0}")]
    Input(String),
}

/// A provider talking to the router: its key and the router client.
#[derive(Clone, Debug)]
pub struct Ctx {
    key: PrivateKeySigner,
    router: RouterClient,
}

impl Ctx {
    /// A provider with `key` at the router `router_url`. Asks the router's `/v1/market` for
    /// the chain id and refuses a public development key anywhere but the devnet.
    pub async fn connect(key: PrivateKeySigner, router_url: &str) -> Result<Ctx, ProviderError> {
        let router = RouterClient::new(router_url);
        refuse_dev_key(&key, router.market().await?.chain_id)?;
        Ok(Ctx { key, router })
    }

    /// The provider's address.
    pub fn address(&self) -> Address {
        self.key.address()
    }

    /// The router client.
    pub fn router(&self) -> &RouterClient {
        &self.router
    }
}

/// A provider talking to the router and to the chain, with a wallet for transactions.
#[derive(Clone, Debug)]
pub struct ChainCtx {
    ctx: Ctx,
    chain: ChainClient,
    wallet: DynProvider,
}

impl ChainCtx {
    /// Connects to the router at `router_url` and the node at `rpc_url`; the compute contract
    /// is `contract`, or the router's `/v1/market` `contract`. Refuses a public development
    /// key on any chain but the devnet (412346).
    pub async fn connect(
        key: PrivateKeySigner,
        router_url: &str,
        rpc_url: &str,
        contract: Option<Address>,
    ) -> Result<ChainCtx, ProviderError> {
        let router = RouterClient::new(router_url);
        let contract = match contract {
            Some(c) => c,
            None => router.market().await?.contract,
        };
        let chain = ChainClient::connect(rpc_url, contract, CHAIN_TIMEOUT).await?;
        refuse_dev_key(&key, chain.chain_id())?;
        let url = rpc_url
            .parse()
            .map_err(|e| ProviderError::Input(format!("the RPC URL {rpc_url}: {e}")))?;
        let wallet = ProviderBuilder::new()
            .wallet(key.clone())
            .connect_http(url)
            .erased();
        Ok(ChainCtx {
            ctx: Ctx { key, router },
            chain,
            wallet,
        })
    }

    /// The provider's address.
    pub fn address(&self) -> Address {
        self.ctx.address()
    }

    /// The router side of this context.
    pub fn ctx(&self) -> &Ctx {
        &self.ctx
    }

    /// The read-only chain client.
    pub fn chain(&self) -> &ChainClient {
        &self.chain
    }

    /// The latest block's timestamp: "now" for lock ends.
    pub async fn chain_now(&self) -> Result<u64, ProviderError> {
        Ok(self.chain.latest_block().await?.1)
    }
}

/// Refuses a well-known development key on any chain but the devnet.
fn refuse_dev_key(key: &PrivateKeySigner, chain_id: u64) -> Result<(), ProviderError> {
    dev::refuse_dev_key("provider", key.address(), chain_id).map_err(ProviderError::Input)
}
