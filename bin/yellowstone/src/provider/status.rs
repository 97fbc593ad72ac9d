//! The provider's standing: the contract's record, the router's view
//! (`GET /v1/providers/{address}`) and the MOR balance.

use alloy_primitives::{Address, B256, U256};
use serde::{Deserialize, Serialize};

use super::{
    onchain::{balance, stake_cap_remaining},
    ChainCtx, ProviderError,
};
use yellowstone_client::router::ClientError;

/// The contract's `provider(address)` record.
pub use yellowstone_chain::ProviderRecord as Record;

/// Passes and fails of recent judged reports.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Score {
    /// Passed reports.
    pub passes: u64,
    /// Failed reports.
    pub fails: u64,
}

/// The router's backoff of a failing provider.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Backoff {
    /// Consecutive failures.
    pub failures: u64,
    /// Unix second until which the provider is skipped.
    pub until: u64,
}

/// One live bid as the router holds it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct BidView {
    /// The model.
    pub model: String,
    /// Wei per output token.
    pub price_per_token: U256,
    /// The gateway's base URL.
    pub endpoint: String,
    /// Unix second it expires.
    pub expiry: u64,
    /// Why selection skips it, or `None` when selectable.
    pub unselectable: Option<String>,
}

/// One recorded model attestation.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AttestationView {
    /// The model.
    pub model: String,
    /// The attested weights hash.
    pub weights_hash: B256,
    /// When it was signed (unix seconds).
    pub issued_at: u64,
}

/// The provider's leaf in the latest committed root.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Committed {
    /// Cumulative earned wei.
    pub earned: U256,
    /// Cumulative bootstrap wei.
    pub bootstrap: U256,
}

/// `GET /v1/providers/{address}`: what the router knows of the provider.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RouterView {
    /// Recent report score.
    pub score: Option<Score>,
    /// Backoff after failures.
    pub backoff: Option<Backoff>,
    /// Live bids.
    #[serde(default)]
    pub bids: Vec<BidView>,
    /// Recorded attestations.
    #[serde(default)]
    pub attestations: Vec<AttestationView>,
    /// Credit not yet in a committed root.
    pub pending_wei: Option<U256>,
    /// The leaf in the latest committed root.
    pub committed: Option<Committed>,
}

/// What [`status`] reports.
#[derive(Clone, Debug, Serialize)]
pub struct Status {
    /// The provider.
    pub provider: Address,
    /// The contract's record.
    pub record: Record,
    /// `stakeCapRemaining`: what may still be paid in the current 365-day period.
    pub stake_cap_remaining: U256,
    /// MOR wei held.
    pub balance: U256,
    /// The router's view.
    pub router: RouterView,
}

/// Reads the contract's record, the stake-cap room, the MOR balance and the router's view.
pub async fn status(ctx: &ChainCtx) -> Result<Status, ProviderError> {
    let me = ctx.address();
    Ok(Status {
        provider: me,
        record: ctx.chain.provider_record(me).await?,
        stake_cap_remaining: stake_cap_remaining(ctx).await?,
        balance: balance(ctx).await?,
        router: router_view(ctx).await?,
    })
}

/// `GET /v1/providers/{address}`.
async fn router_view(ctx: &ChainCtx) -> Result<RouterView, ProviderError> {
    let url = format!("{}/v1/providers/{}", ctx.ctx.router.url(), ctx.address());
    let unreachable = |e: reqwest::Error| ClientError::Unreachable {
        url: url.clone(),
        reason: e.to_string(),
    };
    let response = reqwest::get(&url).await.map_err(unreachable)?;
    let status = response.status();
    let body = response.bytes().await.map_err(unreachable)?;
    if !status.is_success() {
        return Err(ClientError::Refused {
            status: status.as_u16(),
            code: "http".into(),
            message: String::from_utf8_lossy(&body).into_owned(),
            retry_after: None,
        }
        .into());
    }
    serde_json::from_slice(&body).map_err(|e| ClientError::Answer(format!("{url}: {e}")).into())
}
