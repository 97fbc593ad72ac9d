//! The provider's standing: the contract's record, the router's view
//! (`GET /v1/providers/{address}`) and the MOR balance.

use alloy_primitives::{Address, U256};
use serde::Serialize;
use yellowstone_api::v1::ProviderView;

use super::{
    onchain::{balance, stake_cap_remaining},
    ChainCtx, ProviderError,
};

/// The contract's `provider(address)` record.
pub use yellowstone_chain::ProviderRecord as Record;

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
    pub router: ProviderView,
}

/// Reads the contract's record, the stake-cap room, the MOR balance and the router's view.
pub async fn status(ctx: &ChainCtx) -> Result<Status, ProviderError> {
    let me = ctx.address();
    Ok(Status {
        provider: me,
        record: ctx.chain.provider_record(me).await?,
        stake_cap_remaining: stake_cap_remaining(ctx).await?,
        balance: balance(ctx).await?,
        router: ctx.ctx.router.provider(me).await?,
    })
}
