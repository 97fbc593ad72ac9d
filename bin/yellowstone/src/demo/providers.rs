//! The demo's providers: each a deterministic word generator behind the real provider gateway,
//! staked on-chain with its own amount and lock, attested and bidding its own price.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use alloy_primitives::{keccak256, Address, U256};
use alloy_signer_local::PrivateKeySigner;
use anyhow::{ensure, Context, Result};
use yellowstone_protocol::messages::{Bid, ModelAttestation};

use super::devnet::{dev_key, Devnet};
use yellowstone_client::exchange::sign;
use yellowstone_client::router::RouterClient;
use yellowstone_gateway::textgen::{start_textgen, RunningTextgen, TextgenConfig, MODEL};
use yellowstone_gateway::{GatewayConfig, RunningGateway, Trust};

/// One provider of the demo.
#[derive(Clone, Copy, Debug)]
pub struct Spec {
    /// A short name for the table.
    pub name: &'static str,
    /// The development account whose key it uses.
    pub account: usize,
    /// Price per output token, wei.
    pub price: u64,
    /// MOR staked (whole MOR).
    pub stake: u64,
    /// Days the stake is locked.
    pub lock_days: u64,
    /// Milliseconds its generator waits before each token (0: as fast as it can).
    pub token_delay_ms: u64,
    /// Concurrent requests its gateway serves, stated in its bid (SPEC 8).
    pub capacity: u32,
}

/// What the slow provider's generator waits per token.
pub const SLOW_TOKEN_DELAY_MS: u64 = 40;

/// The three providers: different prices, stakes and locks (so different multipliers), and
/// one slow generator. The others take a steady 10 ms per token: instant answers of a few
/// milliseconds would make the credit rule's speed comparison (SPEC 4 step 10) measure the
/// machine's scheduling noise instead of the providers.
pub const SPECS: [Spec; 3] = [
    Spec {
        name: "atlas",
        account: 1,
        price: 1_000_000_000_000_000,
        stake: 20_000,
        lock_days: 1_500,
        token_delay_ms: 10,
        // Fewer places than there are users: when it is full the router turns to the next.
        capacity: 4,
    },
    Spec {
        name: "borealis",
        account: 2,
        price: 2_000_000_000_000_000,
        stake: 5_000,
        lock_days: 30,
        token_delay_ms: 10,
        capacity: 8,
    },
    Spec {
        name: "cirrus",
        account: 3,
        // Inside atlas's 5% price band: it competes on weight, and the credit rule judges it.
        price: 1_040_000_000_000_000,
        stake: 10_000,
        lock_days: 365,
        token_delay_ms: SLOW_TOKEN_DELAY_MS,
        capacity: 8,
    },
];

/// A provider serving: its key, its generator and its gateway.
pub struct Provider {
    /// What it is.
    pub spec: Spec,
    /// Its key (signs attestations, bids and receipts).
    pub key: PrivateKeySigner,
    textgen: RunningTextgen,
    gateway: RunningGateway,
}

impl Provider {
    /// The provider's address.
    pub fn address(&self) -> Address {
        self.key.address()
    }

    /// The gateway's base URL.
    pub fn url(&self) -> String {
        self.gateway.url()
    }

    /// Stops the gateway and the generator.
    pub fn kill(self) {
        self.gateway.kill();
        self.textgen.kill();
    }

    /// Stops the gateway, then its generator, each draining for up to `drain`.
    pub async fn shutdown(self, drain: Duration) {
        self.gateway.shutdown(drain).await;
        self.textgen.shutdown(drain).await;
    }
}

/// Starts `spec`'s generator and gateway, receipts going to the router at `router_url`; the
/// gateway reads ticket expiries on the chain's clock (`chain_now`).
pub async fn start(spec: Spec, net: &Devnet, router_url: &str, chain_now: u64) -> Result<Provider> {
    let key = dev_key(spec.account)?;
    let textgen = start_textgen(TextgenConfig {
        listen: ([127, 0, 0, 1], 0).into(),
        token_delay: Duration::from_millis(spec.token_delay_ms),
        fail_after: None,
    })
    .await?;
    let d = &net.deployment;
    let trust = Trust {
        router: d.router_key.address,
        chain_id: d.chain_id,
        contract: d.compute,
    };
    let mut config = GatewayConfig::new(([127, 0, 0, 1], 0).into(), textgen.url(), trust);
    config.router = Some(router_url.to_string());
    config.models = vec![MODEL.into()];
    config.capacity = spec.capacity;
    let system = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
    config.now_offset = i64::try_from(chain_now)? - i64::try_from(system)?;
    let gateway = yellowstone_gateway::start(config, key.clone()).await?;
    Ok(Provider {
        spec,
        key,
        textgen,
        gateway,
    })
}

/// Attests the model and bids the provider's price with its gateway as the endpoint.
pub async fn join(provider: &Provider, client: &RouterClient) -> Result<()> {
    let market = client.market().await?;
    let domain = market.domain();
    let attestation = ModelAttestation {
        provider: provider.address(),
        model: MODEL.into(),
        weightsHash: keccak256(provider.spec.name),
        issuedAt: market.now,
    };
    client
        .attest(&sign(&provider.key, attestation, &domain)?)
        .await?;
    let bid = Bid {
        provider: provider.address(),
        model: MODEL.into(),
        pricePerToken: U256::from(provider.spec.price),
        capacity: provider.spec.capacity,
        endpoint: provider.url(),
        nonce: 1,
        expiry: market.now + 30 * 86_400,
    };
    let accepted = client
        .bid(&sign(&provider.key, bid, &domain)?)
        .await
        .with_context(|| format!("{}'s bid", provider.spec.name))?;
    ensure!(
        accepted.selectable,
        "{}'s bid is not selectable: {}",
        provider.spec.name,
        accepted.reason.unwrap_or_default()
    );
    Ok(())
}
