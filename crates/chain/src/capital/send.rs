//! The capital contract's transactions from the client's key: a simulation first (a refusal is
//! decoded before anything is sent), a gas limit of the estimate + 25%, the receipt, and what
//! the contract's event says happened.

use alloy_primitives::{Address, U256};
use alloy_rpc_types_eth::TransactionReceipt;
use alloy_sol_types::{SolCall, SolEvent};
use serde::Serialize;
use yellowstone_protocol::capital::abi::{
    Claimed, ComputeFunded, ComputeFundingFailed, Deposited, Harvested, Poked, PoolBootstrapped,
    Withdrawn,
};

use super::IYellowstoneCapital as I;
use super::{failed, Capital, CapitalCallError, ICapitalToken};
pub use crate::call::Mined;

/// What [`Capital::deposit`] did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DepositOutcome {
    /// The stETH `approve`, when the allowance was short.
    pub approve: Option<Mined>,
    /// The `deposit`.
    pub tx: Mined,
    /// stETH credited (what arrived: a rebasing transfer may lose a wei or two).
    pub credited: U256,
    /// The principal afterwards.
    pub principal: U256,
    /// The (weighted) unlock time afterwards.
    pub unlock_at: u64,
}

/// What [`Capital::withdraw`] did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WithdrawOutcome {
    /// The `withdraw`.
    pub tx: Mined,
    /// Principal withdrawn.
    pub amount: U256,
    /// stETH paid (below `amount` only when a loss is shared).
    pub paid: U256,
    /// The principal left.
    pub principal: U256,
}

/// What [`Capital::claim`] did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ClaimOutcome {
    /// The `claim`.
    pub tx: Mined,
    /// Native token paid.
    pub paid: U256,
}

/// What [`Capital::poke`] did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PokeOutcome {
    /// The `poke`.
    pub tx: Mined,
    /// When the observation opened (unix seconds).
    pub observed_at: u64,
    /// The pair's cumulative price then.
    pub cumulative: U256,
}

/// What [`Capital::harvest`] did (its `Harvested` event).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HarvestOutcome {
    /// The `harvest`.
    pub tx: Mined,
    /// stETH yield wrapped.
    pub yield_wrapped: U256,
    /// wstETH swapped.
    pub swapped_in: U256,
    /// Native token bought.
    pub bought: U256,
    /// LP tokens minted to the contract (held forever).
    pub liquidity: U256,
    /// wstETH carried into the next harvest.
    pub carried_wst: U256,
    /// Native token carried into the next harvest.
    pub carried_native: U256,
}

/// What [`Capital::fund_compute`] did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FundOutcome {
    /// The `fundCompute`.
    pub tx: Mined,
    /// Native token the compute contract's `fund` took.
    pub sent: U256,
    /// Native token its `fund` refused: it stays owed and the next call retries it.
    pub failed: U256,
}

/// What [`Capital::bootstrap_pool`] did (its `PoolBootstrapped` event).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BootstrapOutcome {
    /// The native token's `approve`, when the allowance was short.
    pub approve: Option<Mined>,
    /// The `bootstrapPool`.
    pub tx: Mined,
    /// wstETH of yield paired.
    pub wst: U256,
    /// Native token paired (from the owner).
    pub native: U256,
    /// LP tokens minted to the contract.
    pub liquidity: U256,
}

impl Capital {
    /// Sends `call` to `to` from the client's key ([`crate::call::send`]): the simulation's refusal is
    /// returned decoded; the gas limit is the estimate + 25%, or the fixed limit of
    /// [`Capital::with_gas_limit`].
    async fn send<C: SolCall>(
        &self,
        what: &'static str,
        to: Address,
        call: C,
    ) -> Result<(Mined, TransactionReceipt), CapitalCallError> {
        let from = self.me(what)?;
        crate::call::send(&self.provider, from, to, &call, self.gas_limit)
            .await
            .map_err(|e| failed(what, e))
    }

    /// The first `E` the capital contract emitted in `receipt`.
    fn event<E: SolEvent>(&self, receipt: &TransactionReceipt) -> Result<E, CapitalCallError> {
        receipt
            .inner
            .logs()
            .iter()
            .filter(|log| log.address() == self.config.capital)
            .find_map(|log| E::decode_log(&log.inner).ok())
            .map(|log| log.data)
            .ok_or_else(|| {
                CapitalCallError::Node(format!(
                    "transaction {} emitted no {}",
                    receipt.transaction_hash,
                    E::SIGNATURE
                ))
            })
    }

    /// Approves `spender` for `amount` of `token` unless the allowance already covers it.
    async fn approve_if_short(
        &self,
        token: Address,
        amount: U256,
    ) -> Result<Option<Mined>, CapitalCallError> {
        let (owner, spender) = (self.me("approve")?, self.config.capital);
        let call = ICapitalToken::allowanceCall { owner, spender };
        if self.view(token, call, None).await? >= amount {
            return Ok(None);
        }
        let call = ICapitalToken::approveCall {
            spender,
            value: amount,
        };
        Ok(Some(self.send("approve", token, call).await?.0))
    }

    /// Refuses `amount` of `token` above what the key's account holds, naming both.
    async fn check_balance(
        &self,
        token: Address,
        amount: U256,
        what: &str,
    ) -> Result<(), CapitalCallError> {
        let held = self.balance(token, self.me(what)?).await?;
        if held < amount {
            return Err(CapitalCallError::Input(format!(
                "{what} of {amount} wei: the account holds only {held} wei of {token}"
            )));
        }
        Ok(())
    }

    /// Deposits `amount` stETH wei: approves it first when the allowance is short, then
    /// `deposit(amount)`. Refuses zero and more than the wallet holds before sending anything.
    ///
    /// # Errors
    /// [`CapitalCallError::Input`] for zero or a short balance; [`CapitalCallError::Refused`]
    /// with the contract's error (`EnforcedPause`, `ZeroAmount`, `TokenCallFailed`, ...).
    pub async fn deposit(&self, amount: U256) -> Result<DepositOutcome, CapitalCallError> {
        if amount.is_zero() {
            return Err(CapitalCallError::Input("a deposit must be above 0".into()));
        }
        let st_eth = self.config.st_eth;
        self.check_balance(st_eth, amount, "a deposit").await?;
        let approve = self.approve_if_short(st_eth, amount).await?;
        let call = I::depositCall::new((amount,));
        let (tx, receipt) = self.send("deposit", self.config.capital, call).await?;
        let e: Deposited = self.event(&receipt)?;
        Ok(DepositOutcome {
            approve,
            tx,
            credited: e.amount,
            principal: e.principal,
            unlock_at: e.unlockAt,
        })
    }

    /// Withdraws `amount` of principal (`StillLocked` before the unlock time).
    ///
    /// # Errors
    /// [`CapitalCallError::Refused`] with `ZeroAmount`, `InsufficientPrincipal`, `StillLocked`,
    /// `TokenCallFailed`, ...
    pub async fn withdraw(&self, amount: U256) -> Result<WithdrawOutcome, CapitalCallError> {
        let call = I::withdrawCall::new((amount,));
        let (tx, receipt) = self.send("withdraw", self.config.capital, call).await?;
        let e: Withdrawn = self.event(&receipt)?;
        Ok(WithdrawOutcome {
            tx,
            amount: e.amount,
            paid: e.paid,
            principal: e.principal,
        })
    }

    /// Claims the native token owed.
    ///
    /// # Errors
    /// [`CapitalCallError::Refused`] with `NothingToClaim`, `ReserveShort`, ...
    pub async fn claim(&self) -> Result<ClaimOutcome, CapitalCallError> {
        let (tx, receipt) = self
            .send("claim", self.config.capital, I::claimCall {})
            .await?;
        let e: Claimed = self.event(&receipt)?;
        Ok(ClaimOutcome { tx, paid: e.amount })
    }

    /// Opens a price observation.
    ///
    /// # Errors
    /// [`CapitalCallError::Refused`] with `ObservationOpen`, `PoolEmpty`, ...
    pub async fn poke(&self) -> Result<PokeOutcome, CapitalCallError> {
        let (tx, receipt) = self
            .send("poke", self.config.capital, I::pokeCall {})
            .await?;
        let e: Poked = self.event(&receipt)?;
        Ok(PokeOutcome {
            tx,
            observed_at: e.timestamp,
            cumulative: e.priceCumulative,
        })
    }

    /// Harvests the yield into protocol-owned liquidity.
    ///
    /// # Errors
    /// [`CapitalCallError::Refused`] with `HarvestTooSoon`, `NoObservation`,
    /// `TwapWindowTooShort`, `SpotDeviates`, `NothingToHarvest`, `SlippageExceeded`, ...
    pub async fn harvest(&self) -> Result<HarvestOutcome, CapitalCallError> {
        let (tx, receipt) = self
            .send("harvest", self.config.capital, I::harvestCall {})
            .await?;
        let e: Harvested = self.event(&receipt)?;
        Ok(HarvestOutcome {
            tx,
            yield_wrapped: e.r#yield,
            swapped_in: e.swappedIn,
            bought: e.bought,
            liquidity: e.liquidity,
            carried_wst: e.carriedWst,
            carried_native: e.carriedNative,
        })
    }

    /// Forwards the compute bucket's accrued emission (and what was kept or left owed) to the
    /// compute contract; a refused `fund` is reported in [`FundOutcome::failed`], not as an
    /// error (the contract remembers it).
    ///
    /// # Errors
    /// [`CapitalCallError::Refused`] with `ReserveShort`, `TokenCallFailed`, ...
    pub async fn fund_compute(&self) -> Result<FundOutcome, CapitalCallError> {
        let (tx, receipt) = self
            .send("fundCompute", self.config.capital, I::fundComputeCall {})
            .await?;
        let sent = self
            .event::<ComputeFunded>(&receipt)
            .map_or(U256::ZERO, |e| e.amount);
        let failed = self
            .event::<ComputeFundingFailed>(&receipt)
            .map_or(U256::ZERO, |e| e.amount);
        Ok(FundOutcome { tx, sent, failed })
    }

    /// The owner's one bootstrap of the empty pair: approves `native_amount` of the native
    /// token when the allowance is short, then `bootstrapPool(native_amount)`, pairing it with
    /// the wrapped yield.
    ///
    /// # Errors
    /// [`CapitalCallError::Input`] for zero or a short balance; [`CapitalCallError::Refused`]
    /// with `NotOwner`, `PoolNotEmpty`, `NothingToHarvest`, `PriceOutOfBounds`, ...
    pub async fn bootstrap_pool(
        &self,
        native_amount: U256,
    ) -> Result<BootstrapOutcome, CapitalCallError> {
        if native_amount.is_zero() {
            return Err(CapitalCallError::Input(
                "the bootstrap's native amount must be above 0".into(),
            ));
        }
        let owner = self
            .view(self.config.capital, I::ownerCall {}, None)
            .await?;
        if self.me("bootstrapPool")? != owner {
            return Err(CapitalCallError::Input(format!(
                "only the owner {owner} may bootstrap the pool"
            )));
        }
        let native = self.config.native;
        self.check_balance(native, native_amount, "a bootstrap")
            .await?;
        let approve = self.approve_if_short(native, native_amount).await?;
        let call = I::bootstrapPoolCall::new((native_amount,));
        let (tx, receipt) = self
            .send("bootstrapPool", self.config.capital, call)
            .await?;
        let e: PoolBootstrapped = self.event(&receipt)?;
        Ok(BootstrapOutcome {
            approve,
            tx,
            wst: e.wst,
            native: e.native,
            liquidity: e.liquidity,
        })
    }
}
