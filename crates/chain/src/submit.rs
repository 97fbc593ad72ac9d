//! Sends signed epoch roots (`commitEpoch`) to the compute contract, idempotently by epoch
//! number, with fee bumping, restart recovery and bounded retries.
//!
//! The submitter builds and signs its transactions itself (explicit nonce, gas limit, EIP-1559
//! fees, chain id) and sends them raw, so it controls replacement at the same nonce. Every
//! broadcast is reported to the caller before waiting, so a restart can resume from the
//! persisted [`SentTx`] instead of sending a second transaction.

use std::{
    future::Future,
    time::{Duration, Instant},
};

use alloy_network::{eip2718::Encodable2718, Ethereum, EthereumWallet, TransactionBuilder};
use alloy_primitives::{hex, keccak256, Address, Bytes, B256, U256};
use alloy_provider::Provider;
use alloy_rpc_types_eth::{BlockNumberOrTag, TransactionReceipt, TransactionRequest};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::{Panic, Revert, SolCall, SolError, SolInterface};

use super::{rpc_error, ChainClient, ChainError, ComputeError, IYellowstoneCompute};

/// First delay between retries of a transport failure.
const BACKOFF_START: Duration = Duration::from_millis(250);
/// Longest delay between retries of a transport failure.
const BACKOFF_MAX: Duration = Duration::from_secs(5);
/// Longest wait between two receipt polls.
const POLL_MAX: Duration = Duration::from_millis(500);
/// The least fee increase a replacement needs to be accepted by the usual mempools.
const MIN_BUMP_PERCENT: u64 = 10;

/// A signed epoch root ready to submit: the arguments of `commitEpoch`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EpochCall {
    /// The epoch number; must be the contract's latest epoch + 1.
    pub epoch: u64,
    /// Merkle root over every provider's (cumulative earned, cumulative bootstrap) leaf.
    pub root: B256,
    /// Cumulative work credit over all epochs up to this one.
    pub cumulative_credited: U256,
    /// Cumulative bootstrap credit over all epochs up to this one.
    pub cumulative_bootstrap: U256,
    /// The last block timestamp at which the contract accepts the root (signed with it).
    pub deadline: u64,
    /// The router's EIP-712 signature, compact form (EIP-2098): `r`.
    pub r: B256,
    /// The router's EIP-712 signature, compact form (EIP-2098): `yParity << 255 | s`.
    pub vs: B256,
}

impl EpochCall {
    /// The call committing a built epoch: its figures and its stored 65-byte signature in the
    /// compact form the contract takes.
    pub fn from_record(
        epoch: &yellowstone_market::records::EpochRecord,
    ) -> Result<Self, yellowstone_protocol::eip712::SignatureError> {
        let (r, vs) = yellowstone_protocol::eip712::Signature::parse(&epoch.signature)?.compact();
        Ok(EpochCall {
            epoch: epoch.epoch,
            root: epoch.root,
            cumulative_credited: epoch.cumulative_credited,
            cumulative_bootstrap: epoch.cumulative_bootstrap,
            deadline: epoch.deadline,
            r,
            vs,
        })
    }

    /// The ABI-encoded `commitEpoch` calldata.
    pub fn calldata(&self) -> Bytes {
        IYellowstoneCompute::commitEpochCall {
            epoch: self.epoch,
            root: self.root,
            cumulative_credited: self.cumulative_credited,
            cumulative_bootstrap: self.cumulative_bootstrap,
            deadline: self.deadline,
            r: self.r,
            vs: self.vs,
        }
        .abi_encode()
        .into()
    }

    /// The call a `commitEpoch` calldata carries (what anyone watching the mempool or a
    /// reverted transaction can read); `None` if it is not one.
    pub fn decode(calldata: &[u8]) -> Option<Self> {
        let c = IYellowstoneCompute::commitEpochCall::abi_decode(calldata).ok()?;
        Some(EpochCall {
            epoch: c.epoch,
            root: c.root,
            cumulative_credited: c.cumulative_credited,
            cumulative_bootstrap: c.cumulative_bootstrap,
            deadline: c.deadline,
            r: c.r,
            vs: c.vs,
        })
    }
}

/// A transaction the submitter sent, to persist and to resume from after a restart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SentTx {
    /// The transaction hash.
    pub hash: B256,
    /// The sender's nonce it uses (a replacement reuses it).
    pub nonce: u64,
    /// Its EIP-1559 fee cap, wei per gas.
    pub max_fee_per_gas: u128,
    /// Its EIP-1559 tip, wei per gas.
    pub max_priority_fee_per_gas: u128,
}

/// How an epoch submission ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Mined successfully.
    Committed {
        /// The hash of the transaction that was mined.
        tx: B256,
        /// The block it was mined in.
        block: u64,
        /// Gas it used.
        gas_used: u64,
    },
    /// The contract already holds this epoch number (`latestEpoch() >= epoch`): someone (or
    /// an earlier run) submitted a root under it. Not necessarily this root: the caller reads
    /// which root the contract holds, and treats a failed read as "retry", never as "ours".
    AlreadyCommitted {
        /// The contract's latest epoch.
        latest: u64,
    },
    /// The contract refuses it now (decoded typed error, e.g. EnforcedPause, DailyCapExceeded,
    /// EpochRootExpired, UnknownRouter). Not necessarily for good: until its deadline has
    /// passed on-chain any copy of the root may still land (after an unpause, a day roll), so
    /// the caller keeps it, retries, and signs nothing else under its number before then.
    Rejected {
        /// The decoded refusal (see [`decode_revert`]).
        error: String,
    },
    /// A transaction carrying it was mined but reverted, yet replaying the call succeeds now
    /// (out of gas, or the state moved between simulation and inclusion): the root is still
    /// committable, so the caller keeps it and sends it again.
    Retry {
        /// What happened.
        reason: String,
    },
}

/// Fee and retry policy of a [`Submitter`].
#[derive(Clone, Debug)]
pub struct SubmitPolicy {
    /// Percentage added to `eth_estimateGas` for the gas limit (default 25), since state can
    /// change between estimate and inclusion.
    pub gas_limit_margin_percent: u64,
    /// Rebroadcast with higher fees after this long without a receipt (default 6 s).
    pub bump_after: Duration,
    /// Fee increase of each rebroadcast, percent (default 15; at least 10 is applied, the
    /// usual mempool rule for a replacement).
    pub bump_percent: u64,
    /// Never bid more than this, wei per gas (default 100 gwei).
    pub max_fee_cap: u128,
    /// Give up (a transient [`ChainError::Unreachable`]) when no receipt arrived after this
    /// long (default 60 s).
    pub confirm_timeout: Duration,
}

impl Default for SubmitPolicy {
    fn default() -> Self {
        Self {
            gas_limit_margin_percent: 25,
            bump_after: Duration::from_secs(6),
            bump_percent: 15,
            max_fee_cap: 100_000_000_000,
            confirm_timeout: Duration::from_secs(60),
        }
    }
}

/// The bumped fee for a replacement: `fee * (100 + max(percent, 10)) / 100`, at least one wei
/// more than `fee` (so a zero tip still rises), and never above `cap`. Pure.
pub fn bumped(fee: u128, percent: u64, cap: u128) -> u128 {
    let percent = u128::from(percent.max(MIN_BUMP_PERCENT));
    // fee * percent / 100 rounded up, without overflowing for any fee.
    let increase = (fee / 100)
        .saturating_mul(percent)
        .saturating_add((fee % 100 * percent).div_ceil(100));
    fee.saturating_add(increase.max(1)).min(cap)
}

/// Decodes revert data into readable text: the contract's typed error
/// (`"DailyCapExceeded(DailyCapExceeded { day: .., creditedToday: .., cap: .. })"` is shortened
/// to `"DailyCapExceeded { day: .., creditedToday: .., cap: .. }"`), a Solidity
/// `Error(string)` or `Panic(uint256)`, else `"unknown revert 0x.."`.
pub fn decode_revert(data: &[u8]) -> String {
    if let Ok(error) = ComputeError::abi_decode(data) {
        let text = format!("{error:?}");
        // Debug of the enum wraps the struct: `Name(Name { .. })` or `Name(Name)`.
        if let Some((name, rest)) = text.split_once('(') {
            if let Some(inner) = rest.strip_suffix(')') {
                if inner.starts_with(name) {
                    return inner.to_owned();
                }
            }
        }
        return text;
    }
    if let Ok(revert) = Revert::abi_decode(data) {
        return format!("Error({:?})", revert.reason);
    }
    if let Ok(panic) = Panic::abi_decode(data) {
        return format!("Panic({:#x})", panic.code);
    }
    format!("unknown revert 0x{}", hex::encode(data))
}

/// What a node said when refusing a raw transaction, when it matters for the nonce logic.
#[derive(Debug, PartialEq, Eq)]
enum SendRefusal {
    /// The nonce is already used: one of our broadcasts (or another transaction) was mined.
    NonceTooLow,
    /// This exact transaction is already known (pending or mined).
    AlreadyKnown,
    /// A replacement needs higher fees.
    Underpriced,
}

/// Classifies a node's refusal of `eth_sendRawTransaction` by its message.
fn send_refusal(error: &alloy_provider::transport::TransportError) -> Option<SendRefusal> {
    let message = error.as_error_resp()?.message.to_lowercase();
    if message.contains("nonce too low") || message.contains("nonce has already been used") {
        Some(SendRefusal::NonceTooLow)
    } else if message.contains("already known") || message.contains("known transaction") {
        Some(SendRefusal::AlreadyKnown)
    } else if message.contains("underpriced") {
        Some(SendRefusal::Underpriced)
    } else {
        None
    }
}

/// Sends `commitEpoch` transactions from one key.
pub struct Submitter {
    client: ChainClient,
    signer: PrivateKeySigner,
    wallet: EthereumWallet,
    policy: SubmitPolicy,
}

impl std::fmt::Debug for Submitter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Submitter")
            .field("client", &self.client)
            .field("address", &self.signer.address())
            .field("policy", &self.policy)
            .finish()
    }
}

/// The state of one submission: what was broadcast, at which nonce and fees.
struct Attempt {
    /// Every hash broadcast for this epoch, oldest first (any of them may be mined).
    hashes: Vec<B256>,
    nonce: u64,
    max_fee: u128,
    tip: u128,
    gas_limit: u64,
}

impl Submitter {
    /// A submitter sending from `signer`, which pays the gas (the router key by default;
    /// anyone may submit a root since the contract checks the router's signature inside).
    pub fn new(client: &ChainClient, signer: PrivateKeySigner, policy: SubmitPolicy) -> Self {
        Self {
            client: client.clone(),
            wallet: EthereumWallet::from(signer.clone()),
            signer,
            policy,
        }
    }

    /// The address that sends (and pays for) the transactions.
    pub fn address(&self) -> Address {
        self.signer.address()
    }

    /// Submits `call`, idempotently by epoch number:
    ///
    /// 0. if `prior` is Some (a tx sent before a restart) and it is mined successfully, its
    ///    [`Outcome::Committed`] is returned at once;
    /// 1. `latestEpoch() >= epoch` -> [`Outcome::AlreadyCommitted`] (no tx);
    /// 2. `eth_call` simulation (and gas estimate); a revert -> [`Outcome::Rejected`] with
    ///    the decoded error;
    /// 3. if `prior` is still pending, it is replaced at the same nonce with bumped fees;
    /// 4. otherwise nonce = the sender's pending transaction count; fees from
    ///    `eth_feeHistory`/`eth_maxPriorityFeePerGas` (falling back to `eth_gasPrice`); gas
    ///    limit = estimate + margin;
    /// 5. `on_sent(&SentTx)` is called after every (re)broadcast, BEFORE waiting, so the
    ///    caller can persist it;
    /// 6. polls for the receipt; after `bump_after` without one, rebroadcasts at the same
    ///    nonce with fees raised by `bump_percent` (never above `max_fee_cap`). A "nonce too
    ///    low"/"already known" answer means an earlier broadcast was mined: its outcome is
    ///    returned. A mined-but-reverted receipt is replayed with `eth_call` to decode it ->
    ///    [`Outcome::Rejected`], [`Outcome::Retry`] when the replay succeeds, or
    ///    [`Outcome::AlreadyCommitted`] if the epoch is there now.
    ///
    /// Transport failures are retried with exponential backoff (250 ms doubling, capped at
    /// 5 s) until `confirm_timeout`, then `Err(ChainError::Unreachable)`; the whole call never
    /// takes much longer than `confirm_timeout`.
    pub async fn submit(
        &self,
        call: &EpochCall,
        prior: Option<&SentTx>,
        mut on_sent: impl FnMut(&SentTx),
    ) -> Result<Outcome, ChainError> {
        let deadline = Instant::now() + self.policy.confirm_timeout;
        let provider = self.client.provider();
        let data = call.calldata();
        let request = TransactionRequest::default()
            .from(self.address())
            .to(self.client.compute())
            .input(data.clone().into());

        // 0. A transaction sent before a restart may already be mined.
        // A mined-but-reverted one only used up its nonce: start afresh.
        let mut prior = prior;
        if let Some(sent) = prior {
            if let Some(receipt) = retry(deadline, "receipt", || self.receipt(sent.hash)).await? {
                if receipt.status() {
                    return Ok(committed(&receipt));
                }
                tracing::warn!(tx = %sent.hash, epoch = call.epoch, "the prior transaction was mined but reverted");
                prior = None;
            }
        }

        // 1. Idempotent by epoch number.
        let latest = retry(deadline, "latestEpoch", || self.client.latest_epoch()).await?;
        if latest >= call.epoch {
            return Ok(Outcome::AlreadyCommitted { latest });
        }

        // 2. Simulate, then estimate the gas.
        let simulated = retry(deadline, "eth_call commitEpoch", || async {
            provider.call(request.clone()).await.map_err(rpc_error)
        })
        .await;
        match simulated {
            Ok(_) => {}
            Err(ChainError::Reverted(error)) => return Ok(Outcome::Rejected { error }),
            Err(e) => return Err(e),
        }
        let estimate = retry(deadline, "eth_estimateGas", || async {
            provider
                .estimate_gas(request.clone())
                .await
                .map_err(rpc_error)
        })
        .await;
        let estimate = match estimate {
            Ok(gas) => gas,
            Err(ChainError::Reverted(error)) => return Ok(Outcome::Rejected { error }),
            Err(e) => return Err(e),
        };
        let gas_limit = estimate
            .saturating_mul(100 + self.policy.gas_limit_margin_percent)
            .div_ceil(100);

        // 3./4. Nonce and fees.
        let (max_fee, tip) = retry(deadline, "fees", || self.fees()).await?;
        let latest_nonce = retry(deadline, "nonce", || self.nonce(false)).await?;
        let mut attempt = match prior {
            Some(prior) if prior.nonce >= latest_nonce => Attempt {
                hashes: vec![prior.hash],
                nonce: prior.nonce,
                max_fee: max_fee.max(bumped(
                    prior.max_fee_per_gas,
                    self.policy.bump_percent,
                    self.policy.max_fee_cap,
                )),
                tip: tip.max(bumped(
                    prior.max_priority_fee_per_gas,
                    self.policy.bump_percent,
                    self.policy.max_fee_cap,
                )),
                gas_limit,
            },
            _ => Attempt {
                hashes: prior.map(|p| vec![p.hash]).unwrap_or_default(),
                nonce: retry(deadline, "nonce", || self.nonce(true)).await?,
                max_fee,
                tip,
                gas_limit,
            },
        };
        attempt.tip = attempt.tip.min(attempt.max_fee);

        // 5./6. Broadcast, wait, bump.
        let mut broadcast = true;
        loop {
            if Instant::now() >= deadline {
                return Err(ChainError::Unreachable(format!(
                    "epoch {}: not mined within {:?} (nonce {})",
                    call.epoch, self.policy.confirm_timeout, attempt.nonce
                )));
            }
            if broadcast {
                match self.broadcast(&data, &mut attempt, deadline).await? {
                    Broadcast::Sent(sent) => on_sent(&sent),
                    Broadcast::Known => {}
                    Broadcast::Reverted(error) => {
                        // Refused on send: maybe an earlier broadcast got the epoch in.
                        if let Some(outcome) = self.find_mined(call, &attempt, deadline).await? {
                            return Ok(outcome);
                        }
                        return Ok(Outcome::Rejected { error });
                    }
                    Broadcast::NonceUsed => {
                        if let Some(outcome) = self.find_mined(call, &attempt, deadline).await? {
                            return Ok(outcome);
                        }
                        // Something else used the nonce: the epoch may be in anyway.
                        let latest =
                            retry(deadline, "latestEpoch", || self.client.latest_epoch()).await?;
                        if latest >= call.epoch {
                            return Ok(Outcome::AlreadyCommitted { latest });
                        }
                        attempt.nonce = retry(deadline, "nonce", || self.nonce(true)).await?;
                        continue;
                    }
                    Broadcast::Underpriced => {
                        if !self.bump(&mut attempt) {
                            tracing::warn!(
                                epoch = call.epoch,
                                max_fee = attempt.max_fee,
                                "replacement underpriced and the fee cap is reached; waiting"
                            );
                            broadcast = false;
                        }
                        continue;
                    }
                }
            }
            // Poll until a receipt, the next bump, or the deadline.
            let bump_at = Instant::now() + self.policy.bump_after;
            loop {
                if let Some(outcome) = self.find_mined(call, &attempt, deadline).await? {
                    return Ok(outcome);
                }
                let now = Instant::now();
                if now >= deadline {
                    return Err(ChainError::Unreachable(format!(
                        "epoch {}: no receipt within {:?} (last tx {:?}, nonce {})",
                        call.epoch,
                        self.policy.confirm_timeout,
                        attempt.hashes.last(),
                        attempt.nonce
                    )));
                }
                if now >= bump_at {
                    break;
                }
                let wait = POLL_MAX
                    .min(self.policy.bump_after)
                    .min(bump_at - now)
                    .min(deadline - now)
                    .max(Duration::from_millis(10));
                tokio::time::sleep(wait).await;
            }
            broadcast = self.bump(&mut attempt);
            if broadcast {
                tracing::info!(
                    epoch = call.epoch,
                    nonce = attempt.nonce,
                    max_fee = attempt.max_fee,
                    tip = attempt.tip,
                    "no receipt yet: rebroadcasting with higher fees"
                );
            }
        }
    }

    /// Raises the fees of `attempt` by the policy; false when the cap leaves no room.
    fn bump(&self, attempt: &mut Attempt) -> bool {
        let (percent, cap) = (self.policy.bump_percent, self.policy.max_fee_cap);
        let max_fee = bumped(attempt.max_fee, percent, cap);
        if max_fee <= attempt.max_fee {
            return false;
        }
        attempt.max_fee = max_fee;
        attempt.tip = bumped(attempt.tip, percent, cap).min(max_fee);
        true
    }

    /// Signs and sends `attempt` (calldata `data`), retrying transport failures.
    async fn broadcast(
        &self,
        data: &Bytes,
        attempt: &mut Attempt,
        deadline: Instant,
    ) -> Result<Broadcast, ChainError> {
        let mut tx = TransactionRequest::default()
            .from(self.address())
            .to(self.client.compute())
            .input(data.clone().into())
            .nonce(attempt.nonce)
            .gas_limit(attempt.gas_limit)
            .max_fee_per_gas(attempt.max_fee)
            .max_priority_fee_per_gas(attempt.tip);
        tx.set_chain_id(self.client.chain_id());
        let envelope =
            <TransactionRequest as TransactionBuilder<Ethereum>>::build(tx, &self.wallet)
                .await
                .map_err(|e| ChainError::Other(format!("signing the transaction: {e}")))?;
        let raw = envelope.encoded_2718();
        let hash = keccak256(&raw);
        let sent = SentTx {
            hash,
            nonce: attempt.nonce,
            max_fee_per_gas: attempt.max_fee,
            max_priority_fee_per_gas: attempt.tip,
        };
        let provider = self.client.provider();
        let answer = retry(deadline, "eth_sendRawTransaction", || async {
            match provider.send_raw_transaction(&raw).await {
                Ok(_) => Ok(None),
                Err(e) => match send_refusal(&e) {
                    Some(refusal) => Ok(Some(refusal)),
                    None => Err(rpc_error(e)),
                },
            }
        })
        .await;
        let refusal = match answer {
            Ok(refusal) => refusal,
            // A node may simulate on send and refuse with revert data.
            Err(ChainError::Reverted(error)) => return Ok(Broadcast::Reverted(error)),
            Err(e) => return Err(e),
        };
        if !attempt.hashes.contains(&hash) && refusal != Some(SendRefusal::NonceTooLow) {
            attempt.hashes.push(hash);
        }
        tracing::debug!(%hash, nonce = attempt.nonce, ?refusal, "broadcast");
        Ok(match refusal {
            None => Broadcast::Sent(sent),
            Some(SendRefusal::AlreadyKnown) => Broadcast::Known,
            Some(SendRefusal::NonceTooLow) => Broadcast::NonceUsed,
            Some(SendRefusal::Underpriced) => Broadcast::Underpriced,
        })
    }

    /// The outcome of whichever broadcast of `attempt` is mined, if any.
    async fn find_mined(
        &self,
        call: &EpochCall,
        attempt: &Attempt,
        deadline: Instant,
    ) -> Result<Option<Outcome>, ChainError> {
        for hash in attempt.hashes.iter().rev() {
            let receipt = match self.receipt(*hash).await {
                Ok(receipt) => receipt,
                // While polling, a transport failure is just "no news yet".
                Err(e) if e.is_transient() => {
                    tracing::warn!(%hash, error = %e, "receipt poll failed");
                    return Ok(None);
                }
                Err(e) => return Err(e),
            };
            let Some(receipt) = receipt else { continue };
            if receipt.status() {
                return Ok(Some(committed(&receipt)));
            }
            return self
                .explain_revert(call, &receipt, deadline)
                .await
                .map(Some);
        }
        Ok(None)
    }

    /// The outcome of a mined-but-reverted transaction: [`Outcome::AlreadyCommitted`] if the
    /// epoch is in now, else the replayed `eth_call` refusal as [`Outcome::Rejected`], or
    /// [`Outcome::Retry`] when the replay succeeds (the root is still committable: never
    /// dropped, since a copy of it may land).
    async fn explain_revert(
        &self,
        call: &EpochCall,
        receipt: &TransactionReceipt,
        deadline: Instant,
    ) -> Result<Outcome, ChainError> {
        let latest = retry(deadline, "latestEpoch", || self.client.latest_epoch()).await?;
        if latest >= call.epoch {
            return Ok(Outcome::AlreadyCommitted { latest });
        }
        let provider = self.client.provider();
        let request = TransactionRequest::default()
            .from(self.address())
            .to(self.client.compute())
            .input(call.calldata().into());
        let replay = retry(deadline, "eth_call replay", || async {
            provider.call(request.clone()).await.map_err(rpc_error)
        })
        .await;
        match replay {
            Err(ChainError::Reverted(error)) => Ok(Outcome::Rejected { error }),
            Err(e) => Err(e),
            Ok(_) => Ok(Outcome::Retry {
                reason: format!(
                    "transaction {} reverted in block {:?} (gas used {} of its limit); the replay \
                     succeeds now: out of gas?",
                    receipt.transaction_hash, receipt.block_number, receipt.gas_used
                ),
            }),
        }
    }

    /// The receipt of `hash`, if mined.
    async fn receipt(&self, hash: B256) -> Result<Option<TransactionReceipt>, ChainError> {
        self.client
            .provider()
            .get_transaction_receipt(hash)
            .await
            .map_err(rpc_error)
    }

    /// The sender's transaction count, `pending` or `latest`.
    async fn nonce(&self, pending: bool) -> Result<u64, ChainError> {
        let request = self.client.provider().get_transaction_count(self.address());
        let request = if pending {
            request.pending()
        } else {
            request.latest()
        };
        request.await.map_err(rpc_error)
    }

    /// (max fee, tip) per gas for a new transaction: tip from `eth_maxPriorityFeePerGas`,
    /// twice the next block's base fee from `eth_feeHistory` plus the tip, falling back to
    /// `eth_gasPrice` for either; capped by the policy.
    async fn fees(&self) -> Result<(u128, u128), ChainError> {
        let provider = self.client.provider();
        let tip = match provider
            .get_max_priority_fee_per_gas()
            .await
            .map_err(rpc_error)
        {
            Ok(tip) => Some(tip),
            Err(e) if e.is_transient() => return Err(e),
            Err(_) => None,
        };
        let base = match provider
            .get_fee_history(1, BlockNumberOrTag::Latest, &[])
            .await
            .map_err(rpc_error)
        {
            Ok(history) => history.next_block_base_fee(),
            Err(e) if e.is_transient() => return Err(e),
            Err(_) => None,
        };
        let (max_fee, tip) = match (base, tip) {
            (Some(base), Some(tip)) => (base.saturating_mul(2).saturating_add(tip), tip),
            _ => {
                let price = provider.get_gas_price().await.map_err(rpc_error)?;
                let tip = tip.unwrap_or(0);
                (
                    base.unwrap_or(price)
                        .saturating_mul(2)
                        .saturating_add(tip)
                        .max(price),
                    tip,
                )
            }
        };
        let cap = self.policy.max_fee_cap;
        if base.is_some_and(|base| base > cap) {
            return Err(ChainError::Other(format!(
                "the base fee {} wei/gas is above max_fee_cap {cap}",
                base.unwrap_or_default()
            )));
        }
        let max_fee = max_fee.min(cap);
        Ok((max_fee, tip.min(max_fee)))
    }
}

/// What the node said to a broadcast.
enum Broadcast {
    /// Accepted (new to the node).
    Sent(SentTx),
    /// The node already has this exact transaction.
    Known,
    /// The nonce is used already.
    NonceUsed,
    /// A replacement with higher fees is needed.
    Underpriced,
    /// The node simulated the transaction and refused it with this decoded contract error.
    Reverted(String),
}

/// [`Outcome::Committed`] from a successful receipt.
fn committed(receipt: &TransactionReceipt) -> Outcome {
    Outcome::Committed {
        tx: receipt.transaction_hash,
        block: receipt.block_number.unwrap_or_default(),
        gas_used: receipt.gas_used,
    }
}

/// Runs `f` until it succeeds or fails for good, retrying transient failures with exponential
/// backoff (250 ms doubling, capped at 5 s); each attempt is bounded by the time left. At
/// `deadline`, the last transient failure is returned as [`ChainError::Unreachable`].
async fn retry<T, F, Fut>(deadline: Instant, what: &str, mut f: F) -> Result<T, ChainError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, ChainError>>,
{
    let mut delay = BACKOFF_START;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let error = match tokio::time::timeout(left, f()).await {
            Ok(Err(e)) if e.is_transient() => e,
            Ok(answer) => return answer,
            Err(_) => ChainError::Unreachable(format!("{what}: timed out")),
        };
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(ChainError::Unreachable(format!(
                "{what}: gave up at the confirm timeout: {error}"
            )));
        }
        tracing::warn!(%error, retry_in = ?delay.min(left), "{what} failed; retrying");
        tokio::time::sleep(delay.min(left)).await;
        delay = (delay * 2).min(BACKOFF_MAX);
    }
}

#[cfg(test)]
#[path = "submit_tests.rs"]
mod tests;
