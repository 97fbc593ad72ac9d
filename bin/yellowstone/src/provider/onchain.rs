//! The provider's transactions on the compute contract: stake (approving MOR first when the
//! allowance is short), extend the lock, claim earnings with the router's Merkle proof.

use alloy_primitives::U256;
use serde::Serialize;

use super::{
    status::Record,
    tx::{IMorApproval, Mined},
    ChainCtx, ProviderError,
};
use yellowstone_chain::{IYellowstoneCompute as I, IERC20};

/// What [`stake`] did.
#[derive(Clone, Debug, Serialize)]
pub struct StakeOutcome {
    /// The `approve` of MOR to the contract, when the allowance was short.
    pub approve: Option<Mined>,
    /// The `stake` transaction.
    pub stake: Mined,
    /// The contract's record afterwards (new stake, lock, multiplier, weight).
    pub record: Record,
}

/// What [`lock`] did.
#[derive(Clone, Debug, Serialize)]
pub struct LockOutcome {
    /// The `lockClaim` transaction.
    pub tx: Mined,
    /// The contract's record afterwards (the new lock end and multiplier).
    pub record: Record,
}

/// What [`claim`] did.
#[derive(Clone, Debug, Serialize)]
pub struct ClaimOutcome {
    /// The epoch whose root the proof is against.
    pub epoch: u64,
    /// The `claim` transaction.
    pub tx: Mined,
    /// MOR wei received: the balance after minus the balance before.
    pub paid: U256,
    /// The proven cumulative earned + bootstrap.
    pub cumulative: U256,
    /// Wei claimed so far (the contract's figure afterwards).
    pub claimed: U256,
    /// Still claimable later: `cumulative - claimed` (deferred by the stake cap).
    pub remaining: U256,
    /// `stakeCapRemaining`: what may still be paid in the current 365-day period.
    pub stake_cap_remaining: U256,
}

/// Stakes `amount` MOR wei locked until `lock_end` (unix seconds): approves the contract for
/// `amount` if the allowance is short, then `stake(amount, lockEnd)`. The first stake registers
/// the provider; every stake restarts the lock at now.
pub async fn stake(
    ctx: &ChainCtx,
    amount: U256,
    lock_end: u64,
) -> Result<StakeOutcome, ProviderError> {
    if amount.is_zero() {
        return Err(ProviderError::Input(
            "the stake amount must be above 0".into(),
        ));
    }
    let (mor, compute, me) = (ctx.chain.mor(), ctx.chain.compute(), ctx.address());
    let allowance = ctx
        .view(
            mor,
            IMorApproval::allowanceCall {
                owner: me,
                spender: compute,
            },
        )
        .await?;
    let approve = if allowance < amount {
        let call = IMorApproval::approveCall {
            spender: compute,
            value: amount,
        };
        Some(ctx.send("approve", mor, call).await?)
    } else {
        None
    };
    let call = I::stakeCall { amount, lock_end };
    let stake = ctx.send("stake", compute, call).await?;
    Ok(StakeOutcome {
        approve,
        stake,
        record: ctx.chain.provider_record(me).await?,
    })
}

/// Extends the lock to `new_end` (unix seconds) with `lockClaim`; the contract refuses an end
/// not later than both now and the current end (`LockEndTooEarly`).
pub async fn lock(ctx: &ChainCtx, new_end: u64) -> Result<LockOutcome, ProviderError> {
    let call = I::lockClaimCall { new_end };
    let tx = ctx.send("lockClaim", ctx.chain.compute(), call).await?;
    Ok(LockOutcome {
        tx,
        record: ctx.chain.provider_record(ctx.address()).await?,
    })
}

/// Claims with the router's proof (`GET /v1/proofs/{address}`): `claim(provider, earned,
/// bootstrap, proof)`, and reports the MOR received and what remains.
pub async fn claim(ctx: &ChainCtx) -> Result<ClaimOutcome, ProviderError> {
    let me = ctx.address();
    let proof = ctx.ctx.router.proof(me).await?;
    let before = balance(ctx).await?;
    let call = I::claimCall {
        provider: me,
        cumulative_earned: proof.cumulative_earned,
        cumulative_bootstrap: proof.cumulative_bootstrap,
        proof: proof.proof,
    };
    let tx = ctx.send("claim", ctx.chain.compute(), call).await?;
    let paid = balance(ctx).await?.saturating_sub(before);
    let record = ctx.chain.provider_record(me).await?;
    let cumulative = proof.cumulative_earned + proof.cumulative_bootstrap;
    Ok(ClaimOutcome {
        epoch: proof.epoch,
        tx,
        paid,
        cumulative,
        claimed: record.claimed,
        remaining: cumulative.saturating_sub(record.claimed),
        stake_cap_remaining: stake_cap_remaining(ctx).await?,
    })
}

/// The provider's MOR balance at the latest block.
pub async fn balance(ctx: &ChainCtx) -> Result<U256, ProviderError> {
    let call = IERC20::balanceOfCall {
        account: ctx.address(),
    };
    ctx.view(ctx.chain.mor(), call).await
}

/// `stakeCapRemaining(provider)`: what may still be paid in the current 365-day period.
pub async fn stake_cap_remaining(ctx: &ChainCtx) -> Result<U256, ProviderError> {
    let call = I::stakeCapRemainingCall {
        provider: ctx.address(),
    };
    ctx.view(ctx.chain.compute(), call).await
}
