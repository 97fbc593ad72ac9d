//! Read-only access to the chain: the compute contract's views and the MOR token's balances,
//! over Ethereum JSON-RPC (alloy, plain HTTP).
//!
//! Every call has a timeout. Errors say whether the node was unreachable (transient: retry
//! later) or the contract refused (a typed error, decoded to text). Settlement reads are pinned
//! to one block so the figures agree with each other. [`call`] makes every contract call the
//! one way (views, and transactions simulated first) for the compute and capital clients;
//! [`submit`] sends `commitEpoch` transactions.

pub mod call;
pub mod capital;
pub mod submit;

use std::time::Duration;

use alloy_primitives::{Address, B256, U256};
use alloy_provider::{
    transport::{RpcError, TransportError},
    DynProvider, Provider,
};
use alloy_rpc_types_eth::BlockNumberOrTag;
use alloy_sol_types::{sol, SolCall};
use call::CallFailure;
use yellowstone_protocol::{emission, time::DAY};

sol!(
    #[sol(all_derives)]
    "../../abi/IYellowstoneCompute.sol"
);

sol! {
    /// The two ERC-20 views the router needs from the MOR token.
    interface IERC20 {
        function balanceOf(address account) external view returns (uint256);
        function totalSupply() external view returns (uint256);
    }
}

pub use IYellowstoneCompute::IYellowstoneComputeErrors as ComputeError;

/// Errors talking to the chain. Transport errors (node down, timeout) are distinguishable from
/// a contract refusal, so callers know whether to retry.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    /// The node could not be reached or answered garbage (transient: retry later).
    #[error("chain unreachable: {0}")]
    Unreachable(String),
    /// The contract refused the call; the text is the decoded typed error, e.g.
    /// "DailyCapExceeded { day: 20412, creditedToday: ..., cap: ... }".
    #[error("contract refused: {0}")]
    Reverted(String),
    /// Anything else (unexpected answer shape, no block before the snapshot time, a node
    /// refusing a request, ...).
    #[error("{0}")]
    Other(String),
}

impl ChainError {
    /// True when the same request may succeed later unchanged (the node was unreachable or
    /// answered garbage); false for contract refusals and other permanent answers.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Unreachable(_))
    }
}

/// Maps an alloy transport/RPC error to a [`ChainError`]: transport and decoding failures are
/// [`ChainError::Unreachable`], a JSON-RPC error carrying revert data is
/// [`ChainError::Reverted`] (decoded), any other JSON-RPC error is [`ChainError::Other`].
fn rpc_error(error: TransportError) -> ChainError {
    match &error {
        RpcError::Transport(_) | RpcError::DeserError { .. } | RpcError::SerError(_) => {
            ChainError::Unreachable(error.to_string())
        }
        RpcError::ErrorResp(payload) => match call::revert_data(&error) {
            Some(data) => ChainError::Reverted(submit::decode_revert(&data)),
            None => ChainError::Other(format!("node error {}: {}", payload.code, payload.message)),
        },
        _ => ChainError::Other(error.to_string()),
    }
}

pub use yellowstone_api::ProviderRecord;

/// What settlement needs to know about the contract, read at one block, so the figures are
/// mutually consistent.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct SettlementView {
    /// The block every figure was read at.
    pub block: u64,
    /// That block's timestamp (unix seconds).
    pub timestamp: u64,
    /// The block's UTC day: `timestamp / 86400`.
    pub day: u64,
    /// `today().1`: the most credit (work + bootstrap) that may be committed today.
    pub daily_cap: U256,
    /// `today().2`: credit (work + bootstrap) already committed today.
    pub credited_today: U256,
    /// `today().4`: bootstrap credit already committed today.
    pub bootstrap_today: U256,
    /// `today().3`: today's bootstrap limit (0 outside the window).
    pub bootstrap_limit: U256,
    /// `totals().0`: wei ever funded.
    pub total_funded: U256,
    /// `totals().1`: cumulative work credit of the latest epoch.
    pub cumulative_credited: U256,
    /// `totals().2`: cumulative bootstrap credit of the latest epoch.
    pub cumulative_bootstrap: U256,
    /// `totals().3`: wei ever paid to providers.
    pub total_claimed: U256,
    /// `totals().4`: wei currently staked.
    pub total_staked: U256,
    /// `latestEpoch().0`: the latest committed epoch (0 before the first).
    pub latest_epoch: u64,
    /// `latestEpoch().1`: its Merkle root.
    pub latest_root: B256,
    /// `emissionSchedule().3`: the UTC day the 365-day bootstrap window opens.
    pub bootstrap_start_day: u64,
    /// `paused()`: commits and claims are paused.
    pub paused: bool,
}

impl SettlementView {
    /// Credit (work + bootstrap) a new root may still add today:
    /// `min(daily_cap - credited_today, total_funded - cumulative_credited -
    /// cumulative_bootstrap)`, saturating at zero. A root adding more is refused
    /// (`DailyCapExceeded` or `FundingExceeded`).
    pub fn headroom(&self) -> U256 {
        let cap_left = self.daily_cap.saturating_sub(self.credited_today);
        let credited = self
            .cumulative_credited
            .saturating_add(self.cumulative_bootstrap);
        let funds_left = self.total_funded.saturating_sub(credited);
        cap_left.min(funds_left)
    }

    /// Bootstrap credit a new root may still add today: zero outside the bootstrap window,
    /// else `bootstrap_limit - bootstrap_today` (saturating), and never above
    /// [`headroom`](Self::headroom) since bootstrap counts inside the daily cap.
    pub fn bootstrap_headroom(&self) -> U256 {
        if !emission::in_bootstrap_window(self.bootstrap_start_day, self.day) {
            return U256::ZERO;
        }
        self.bootstrap_limit
            .saturating_sub(self.bootstrap_today)
            .min(self.headroom())
    }
}

/// Read-only client of the compute contract and the MOR token over JSON-RPC. Cheap to clone
/// (the HTTP connection pool is shared).
#[derive(Clone)]
pub struct ChainClient {
    provider: DynProvider,
    rpc_url: String,
    compute: Address,
    mor: Address,
    chain_id: u64,
}

impl std::fmt::Debug for ChainClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChainClient")
            .field("rpc_url", &self.rpc_url)
            .field("compute", &self.compute)
            .field("mor", &self.mor)
            .field("chain_id", &self.chain_id)
            .finish()
    }
}

impl ChainClient {
    /// Connects over HTTP, reads the chain id and the contract's `mor()`; every RPC of this
    /// client is bounded by `timeout` (e.g. 5 s) so a hung node surfaces as
    /// [`ChainError::Unreachable`] instead of a hang.
    pub async fn connect(
        rpc_url: &str,
        compute: Address,
        timeout: Duration,
    ) -> Result<Self, ChainError> {
        let provider =
            call::connect(rpc_url, None, timeout).map_err(|e| ChainError::Other(e.to_string()))?;
        let chain_id = provider.get_chain_id().await.map_err(rpc_error)?;
        let mut client = Self {
            provider,
            rpc_url: rpc_url.to_owned(),
            compute,
            mor: Address::ZERO,
            chain_id,
        };
        let mor = client
            .view(compute, IYellowstoneCompute::morCall {}, None)
            .await?;
        if mor == Address::ZERO {
            return Err(ChainError::Other(format!(
                "{compute} answered mor() = 0: not a Yellowstone compute contract?"
            )));
        }
        client.mor = mor;
        Ok(client)
    }

    /// The chain id the node reported at connection (signatures and transactions use it).
    pub fn chain_id(&self) -> u64 {
        self.chain_id
    }

    /// The compute contract's address.
    pub fn compute(&self) -> Address {
        self.compute
    }

    /// The MOR token's address, as the contract reported it (`mor()`).
    pub fn mor(&self) -> Address {
        self.mor
    }

    /// The JSON-RPC URL this client talks to.
    pub fn rpc_url(&self) -> &str {
        &self.rpc_url
    }

    /// The underlying provider, for the submitter.
    fn provider(&self) -> &DynProvider {
        &self.provider
    }

    /// `eth_call` of `call` on `to`, at `block` (latest when `None`), decoded.
    async fn view<C: SolCall>(
        &self,
        to: Address,
        call: C,
        block: Option<u64>,
    ) -> Result<C::Return, ChainError> {
        call::view(&self.provider, to, &call, block)
            .await
            .map_err(|failure| match failure {
                CallFailure::Rpc(e) => rpc_error(e),
                other => ChainError::Other(other.to_string()),
            })
    }

    /// The latest block's (number, timestamp).
    pub async fn latest_block(&self) -> Result<(u64, u64), ChainError> {
        let block = self
            .provider
            .get_block_by_number(BlockNumberOrTag::Latest)
            .await
            .map_err(rpc_error)?
            .ok_or_else(|| ChainError::Other("the node has no latest block".into()))?;
        Ok((block.header.number, block.header.timestamp))
    }

    /// The timestamp (unix seconds) of block `number`.
    pub async fn block_timestamp(&self, number: u64) -> Result<u64, ChainError> {
        let block = self
            .provider
            .get_block_by_number(BlockNumberOrTag::Number(number))
            .await
            .map_err(rpc_error)?
            .ok_or_else(|| ChainError::Other(format!("no block {number}")))?;
        Ok(block.header.timestamp)
    }

    /// The on-chain record of `provider` (all zero and `registered == false` if it never
    /// staked).
    pub async fn provider_record(&self, provider: Address) -> Result<ProviderRecord, ChainError> {
        let r = self
            .view(
                self.compute,
                IYellowstoneCompute::providerCall { provider },
                None,
            )
            .await?;
        Ok(ProviderRecord {
            registered: r._0,
            stake: r._1,
            lock_start: r._2,
            lock_end: r._3,
            multiplier: r._4,
            weight: r._5,
            earned: r._6,
            claimed: r._7,
        })
    }

    /// Everything settlement needs, read at ONE block: the latest block number is read
    /// first, then every `eth_call` is pinned to it, so caps, totals and the latest epoch
    /// agree even if blocks are mined meanwhile.
    pub async fn settlement_view(&self) -> Result<SettlementView, ChainError> {
        use IYellowstoneCompute as I;
        let (block, timestamp) = self.latest_block().await?;
        let at = Some(block);
        let c = self.compute;
        let (today, totals, latest, schedule, paused) = tokio::join!(
            self.view(c, I::todayCall {}, at),
            self.view(c, I::totalsCall {}, at),
            self.view(c, I::latestEpochCall {}, at),
            self.view(c, I::emissionScheduleCall {}, at),
            self.view(c, I::pausedCall {}, at),
        );
        let (today, totals, latest) = (today?, totals?, latest?);
        Ok(SettlementView {
            block,
            timestamp,
            day: timestamp / DAY,
            daily_cap: today._1,
            credited_today: today._2,
            bootstrap_limit: today._3,
            bootstrap_today: today._4,
            total_funded: totals._0,
            cumulative_credited: totals._1,
            cumulative_bootstrap: totals._2,
            total_claimed: totals._3,
            total_staked: totals._4,
            latest_epoch: latest._0,
            latest_root: latest._1,
            bootstrap_start_day: schedule?._3,
            paused: paused?,
        })
    }

    /// The latest committed epoch number (`latestEpoch().0`; 0 before the first).
    async fn latest_epoch(&self) -> Result<u64, ChainError> {
        Ok(self
            .view(self.compute, IYellowstoneCompute::latestEpochCall {}, None)
            .await?
            ._0)
    }

    /// Whether `who` is an authorised router key (`isRouter`), i.e. its epoch-root signatures
    /// are accepted.
    pub async fn is_router(&self, who: Address) -> Result<bool, ChainError> {
        self.view(
            self.compute,
            IYellowstoneCompute::isRouterCall { router: who },
            None,
        )
        .await
    }

    /// The contract's EIP-712 domain separator (`domainSeparator()`), to check that off-chain
    /// signing uses the same domain.
    pub async fn domain_separator(&self) -> Result<B256, ChainError> {
        self.view(
            self.compute,
            IYellowstoneCompute::domainSeparatorCall {},
            None,
        )
        .await
    }

    /// The day's balance snapshot block: the last block whose timestamp is `< day * 86400`
    /// (SPEC 3, "the last block before 00:00 UTC"). Binary search over block numbers using
    /// block timestamps (O(log n) RPCs; timestamps never decrease).
    ///
    /// Errors: [`ChainError::Other`] if block 0 is already at/after that midnight, or if the
    /// latest block is still before it (the snapshot is not final until a block at or after
    /// midnight exists).
    pub async fn snapshot_block(&self, day: u64) -> Result<u64, ChainError> {
        let midnight = day
            .checked_mul(DAY)
            .ok_or_else(|| ChainError::Other(format!("day {day} out of range")))?;
        let (latest, latest_ts) = self.latest_block().await?;
        if latest_ts < midnight {
            return Err(ChainError::Other(format!(
                "day {day} has not started: the latest block {latest} (timestamp {latest_ts}) \
                 is before its midnight {midnight}"
            )));
        }
        let first_ts = self.block_timestamp(0).await?;
        if first_ts >= midnight {
            return Err(ChainError::Other(format!(
                "no block before the midnight of day {day}: block 0 has timestamp {first_ts}"
            )));
        }
        // Invariant: ts(lo) < midnight <= ts(hi).
        let (mut lo, mut hi) = (0u64, latest);
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if self.block_timestamp(mid).await? < midnight {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        Ok(lo)
    }

    /// MOR balance of `who` at `block` (`balanceOf` pinned to that block).
    pub async fn mor_balance_at(&self, who: Address, block: u64) -> Result<U256, ChainError> {
        self.view(
            self.mor,
            IERC20::balanceOfCall { account: who },
            Some(block),
        )
        .await
    }

    /// MOR total supply at `block` (`totalSupply` pinned to that block).
    pub async fn mor_supply_at(&self, block: u64) -> Result<U256, ChainError> {
        self.view(self.mor, IERC20::totalSupplyCall {}, Some(block))
            .await
    }
}
