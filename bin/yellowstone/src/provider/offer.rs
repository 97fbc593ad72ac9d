//! The provider's signed messages to the router: a model attestation (the weights file's
//! hash) and a bid (price, capacity, endpoint, expiry).

use std::{fs::File, io::BufReader, path::Path};

use alloy_primitives::{B256, U256};
use serde::Serialize;
use yellowstone_protocol::messages::{weights_hash, Bid, ModelAttestation};

use super::{Ctx, ProviderError};
use yellowstone_client::exchange::sign;

/// What [`attest`] did.
#[derive(Clone, Debug, Serialize)]
pub struct AttestOutcome {
    /// The model.
    pub model: String,
    /// keccak-256 of the weights file.
    pub weights_hash: B256,
    /// The attestation's issuedAt (the router's clock).
    pub issued_at: u64,
}

/// What [`bid`] did.
#[derive(Clone, Debug, Serialize)]
pub struct BidOutcome {
    /// The nonce used (a later one replaces an earlier bid).
    pub nonce: u64,
    /// Unix second the bid expires.
    pub expiry: u64,
    /// Whether selection may pick it now.
    pub selectable: bool,
    /// Why not, when not.
    pub reason: Option<String>,
}

/// Hashes the weights file at `path` (streamed), signs `ModelAttestation { provider, model,
/// weightsHash, issuedAt = the router's now }` under the market's domain and posts it.
pub async fn attest(ctx: &Ctx, model: &str, path: &Path) -> Result<AttestOutcome, ProviderError> {
    let read = |e: std::io::Error| ProviderError::Input(format!("{}: {e}", path.display()));
    let file = File::open(path).map_err(read)?;
    let hash = weights_hash(BufReader::new(file)).map_err(read)?;
    let market = ctx.router.market().await?;
    let message = ModelAttestation {
        provider: ctx.address(),
        model: model.into(),
        weightsHash: hash,
        issuedAt: market.now,
    };
    ctx.router
        .attest(&sign(&ctx.key, message, &market.domain())?)
        .await?;
    Ok(AttestOutcome {
        model: model.into(),
        weights_hash: hash,
        issued_at: market.now,
    })
}

/// Signs and posts a bid for `model` at `price` wei per output token, for at most `capacity`
/// concurrent requests, served at `endpoint`, expiring `ttl_seconds` after the router's now. The nonce is the router's now, or one more
/// than this provider's current bid for the model when that is larger.
pub async fn bid(
    ctx: &Ctx,
    model: &str,
    price: U256,
    capacity: u32,
    endpoint: &str,
    ttl_seconds: u64,
) -> Result<BidOutcome, ProviderError> {
    let market = ctx.router.market().await?;
    let current = ctx
        .router
        .bids(Some(model))
        .await?
        .into_iter()
        .filter(|b| b.provider == ctx.address() && b.model == model)
        .map(|b| b.nonce.saturating_add(1))
        .max()
        .unwrap_or(0);
    let nonce = market.now.max(current);
    let expiry = market.now.saturating_add(ttl_seconds);
    let message = Bid {
        provider: ctx.address(),
        model: model.into(),
        pricePerToken: price,
        capacity,
        endpoint: endpoint.into(),
        nonce,
        expiry,
    };
    let accepted = ctx
        .router
        .bid(&sign(&ctx.key, message, &market.domain())?)
        .await?;
    Ok(BidOutcome {
        nonce,
        expiry,
        selectable: accepted.selectable,
        reason: accepted.reason,
    })
}
