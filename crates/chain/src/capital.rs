//! The capital contract (SPEC 7, the Techno Capital Machine) over JSON-RPC: its bindings, its
//! views read at one block ([`Capital::status`]), its transactions sent from a wallet with a
//! simulation first ([`send`]), and its refusals decoded as the contract's typed errors
//! ([`Refusal`]).
//!
//! The transactions are those of a capital provider (`deposit`, approving stETH first when the
//! allowance is short; `withdraw`; `claim`), of anyone (`poke`, `harvest`, `fundCompute`) and
//! of the owner (`bootstrapPool`, approving the native token first). Events are decoded with
//! `yellowstone_protocol::capital::abi`, the one definition the contract emits from.

pub mod send;
mod status;

use std::time::Duration;

use alloy_primitives::{Address, U256};
use alloy_provider::{DynProvider, Provider};
use alloy_rpc_types_eth::{BlockNumberOrTag, Filter};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::{sol, SolCall, SolEvent, SolInterface};
use serde::Serialize;
use yellowstone_protocol::{capital::abi::Initialized, dev};

use crate::call::{self, revert_data, CallFailure, ConnectError};

pub use status::{
    AccountView, CapitalStatus, HarvestView, ParametersView, PoolView, ScheduleView, TotalsView,
};

sol!(
    #[sol(all_derives)]
    "../../abi/IYellowstoneCapital.sol"
);

sol! {
    /// What the capital side reads from its ERC-20s (stETH, the native token, the pair's LP
    /// token) and the approval a deposit or a bootstrap needs.
    interface ICapitalToken {
        function balanceOf(address account) external view returns (uint256);
        function allowance(address owner, address spender) external view returns (uint256);
        function approve(address spender, uint256 value) external returns (bool);
        function totalSupply() external view returns (uint256);
        function symbol() external view returns (string memory);
    }

    /// The Uniswap V2 pair's views the status reads.
    interface IUniswapV2PairView {
        function token0() external view returns (address);
        function getReserves() external view returns (uint112 reserve0, uint112 reserve1, uint32 blockTimestampLast);
        function price0CumulativeLast() external view returns (uint256);
        function price1CumulativeLast() external view returns (uint256);
    }
}

/// The capital contract's typed errors (`contracts/protocol/src/capital/errors.sol`, exported
/// into `abi/IYellowstoneCapital.sol`).
pub use IYellowstoneCapital::IYellowstoneCapitalErrors as CapitalError;

/// Why a call was refused: one of the capital contract's typed errors, or anything else (an
/// ERC-20's own error on an approval, `Error(string)`, a panic, empty revert data).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The capital contract's typed error.
    Capital(CapitalError),
    /// Any other revert, decoded as far as possible.
    Other(String),
}

impl Refusal {
    /// Decodes revert data: the capital contract's errors first, then the common Solidity
    /// ones.
    pub fn decode(data: &[u8]) -> Refusal {
        match CapitalError::abi_decode(data) {
            Ok(error) => Refusal::Capital(error),
            Err(_) => Refusal::Other(crate::submit::decode_revert(data)),
        }
    }

    /// The error's name, e.g. `StillLocked` (for another revert, its decoded text).
    pub fn name(&self) -> String {
        let text = self.to_string();
        match text.split_once([' ', '(']) {
            Some((name, _)) => name.to_owned(),
            None => text,
        }
    }
}

impl std::fmt::Display for Refusal {
    /// `StillLocked { unlockAt: 1767225600, now: 1766620800 }`, `ZeroAmount`, ...
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::Other(text) => f.write_str(text),
            Refusal::Capital(error) => {
                // Debug of the enum wraps the struct: `Name(Name { .. })` or `Name(Name)`.
                let text = format!("{error:?}");
                let inner = text
                    .split_once('(')
                    .and_then(|(name, rest)| {
                        rest.strip_suffix(')')
                            .filter(|inner| inner.starts_with(name))
                    })
                    .unwrap_or(&text);
                f.write_str(inner)
            }
        }
    }
}

/// Why a capital command failed.
#[derive(Debug, thiserror::Error)]
pub enum CapitalCallError {
    /// The contract (or a token it was approved on) refused the call: in the simulation before
    /// anything was sent, or in the mined receipt (replayed to learn why).
    #[error("{call} refused: {refusal}")]
    Refused {
        /// The function, e.g. `withdraw`.
        call: &'static str,
        /// The decoded refusal (boxed: a typed error is large, and errors travel far).
        refusal: Box<Refusal>,
    },
    /// The node could not be reached, or answered something unexpected.
    #[error("{0}")]
    Node(String),
    /// A local input is unusable (no key for a transaction, a development key off the devnet,
    /// an amount above the balance, an address that is no capital contract).
    #[error("{0}")]
    Input(String),
}

impl CapitalCallError {
    /// The capital contract's typed error, when that is why the call failed.
    pub fn capital_error(&self) -> Option<&CapitalError> {
        match self {
            CapitalCallError::Refused { refusal, .. } => match refusal.as_ref() {
                Refusal::Capital(error) => Some(error),
                Refusal::Other(_) => None,
            },
            _ => None,
        }
    }
}

/// `call`'s failure: a refusal decoded as the capital contract's typed error when the node's
/// error carries revert data, else the node's failure.
fn failed(call: &'static str, failure: CallFailure) -> CapitalCallError {
    let refusal = match &failure {
        CallFailure::Rpc(e) => revert_data(e).map(|data| Refusal::decode(&data)),
        CallFailure::Reverted { .. } => Some(Refusal::Other(failure.to_string())),
        CallFailure::Undecodable { .. } => return CapitalCallError::Node(failure.to_string()),
        CallFailure::Receipt(_) => None,
    };
    match refusal {
        Some(refusal) => CapitalCallError::Refused {
            call,
            refusal: Box::new(refusal),
        },
        None => CapitalCallError::Node(format!("{call}: {failure}")),
    }
}

/// The contracts the capital contract was deployed with (its `config()`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct CapitalConfig {
    /// The capital contract.
    pub capital: Address,
    /// The rebasing stETH deposits are made in.
    pub st_eth: Address,
    /// Its non-rebasing wrapper, which the pair holds.
    pub wst_eth: Address,
    /// The native token paid to capital providers and paired (MOR for Morpheus).
    pub native: Address,
    /// The wstETH/native Uniswap V2 pair of the protocol-owned liquidity.
    pub pair: Address,
    /// The compute contract the compute bucket funds.
    pub compute: Address,
    /// Whether the contract mints the native token (else it pays from a funded reserve).
    pub mints_native: bool,
}

/// A client of one capital contract: views always, transactions when it holds a key. Cheap to
/// clone.
#[derive(Clone)]
pub struct Capital {
    provider: DynProvider,
    signer: Option<Address>,
    config: CapitalConfig,
    chain_id: u64,
    gas_limit: Option<u64>,
}

impl std::fmt::Debug for Capital {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Capital")
            .field("config", &self.config)
            .field("signer", &self.signer)
            .field("chain_id", &self.chain_id)
            .finish()
    }
}

impl Capital {
    /// Connects to the node at `rpc_url` (every RPC bounded by `timeout`) and reads the
    /// contract's `config()`. With `key`, transactions are signed with it; a public development
    /// key is refused on any chain but the devnet. The key is never logged.
    ///
    /// # Errors
    /// [`CapitalCallError::Node`] when the node cannot be reached, [`CapitalCallError::Input`]
    /// for a refused key or an address that answers no capital `config()`.
    pub async fn connect(
        rpc_url: &str,
        capital: Address,
        key: Option<PrivateKeySigner>,
        timeout: Duration,
    ) -> Result<Capital, CapitalCallError> {
        let signer = key.as_ref().map(PrivateKeySigner::address);
        let provider = call::connect(rpc_url, key, timeout).map_err(|e| match e {
            ConnectError::BadUrl { .. } => CapitalCallError::Input(e.to_string()),
            ConnectError::Http(_) => CapitalCallError::Node(e.to_string()),
        })?;
        let chain_id = provider
            .get_chain_id()
            .await
            .map_err(|e| CapitalCallError::Node(format!("{rpc_url}: {e}")))?;
        if let Some(address) = signer {
            dev::refuse_dev_key("capital", address, chain_id).map_err(CapitalCallError::Input)?;
        }
        let mut client = Capital {
            provider,
            signer,
            config: CapitalConfig {
                capital,
                st_eth: Address::ZERO,
                wst_eth: Address::ZERO,
                native: Address::ZERO,
                pair: Address::ZERO,
                compute: Address::ZERO,
                mints_native: false,
            },
            chain_id,
            gas_limit: None,
        };
        let c = client
            .view(capital, IYellowstoneCapital::configCall {}, None)
            .await
            .map_err(|e| {
                CapitalCallError::Input(format!(
                    "{capital} answered no capital config(): not a Yellowstone capital \
                     contract? ({e})"
                ))
            })?;
        if c._0 == Address::ZERO {
            return Err(CapitalCallError::Input(format!(
                "{capital} answered config() with no stETH: not a Yellowstone capital contract?"
            )));
        }
        client.config = CapitalConfig {
            capital,
            st_eth: c._0,
            wst_eth: c._1,
            native: c._2,
            pair: c._3,
            compute: c._4,
            mints_native: c._5,
        };
        Ok(client)
    }

    /// Polls for receipts every `interval` (alloy's default: 250 ms on a local node, 7 s on a
    /// remote one). A devnet mines each transaction at once, so its tools poll faster.
    pub fn set_poll_interval(&self, interval: Duration) {
        self.provider.client().set_poll_interval(interval);
    }

    /// Sends every transaction with this gas limit after one simulation (`eth_call`, which
    /// still decodes a refusal before anything is sent) instead of estimating it: a node's
    /// estimate searches for the least gas that succeeds, running the call many times, which
    /// a devnet interpreting Wasm pays for in seconds.
    pub fn with_gas_limit(mut self, limit: u64) -> Capital {
        self.gas_limit = Some(limit);
        self
    }

    /// The contracts the capital contract was deployed with.
    pub fn config(&self) -> &CapitalConfig {
        &self.config
    }

    /// The chain id the node reported.
    pub fn chain_id(&self) -> u64 {
        self.chain_id
    }

    /// The signing account, when the client holds a key.
    pub fn signer(&self) -> Option<Address> {
        self.signer
    }

    /// The signing account, or [`CapitalCallError::Input`] naming what needs it.
    fn me(&self, what: &str) -> Result<Address, CapitalCallError> {
        self.signer.ok_or_else(|| {
            CapitalCallError::Input(format!(
                "{what} sends a transaction: pass --key-file <path> or set YELLOWSTONE_CAPITAL_KEY"
            ))
        })
    }

    /// `eth_call` of `call` on `to` at `block` (latest when `None`), decoded.
    async fn view<C: SolCall>(
        &self,
        to: Address,
        call: C,
        block: Option<u64>,
    ) -> Result<C::Return, CapitalCallError> {
        call::view(&self.provider, to, &call, block)
            .await
            .map_err(|e| failed(C::SIGNATURE, e))
    }

    /// The latest block's (number, timestamp).
    pub async fn latest_block(&self) -> Result<(u64, u64), CapitalCallError> {
        let block = self
            .provider
            .get_block_by_number(BlockNumberOrTag::Latest)
            .await
            .map_err(|e| CapitalCallError::Node(format!("reading the latest block: {e}")))?
            .ok_or_else(|| CapitalCallError::Node("the node has no latest block".into()))?;
        Ok((block.header.number, block.header.timestamp))
    }

    /// The timestamp of block `number`.
    pub async fn block_timestamp(&self, number: u64) -> Result<u64, CapitalCallError> {
        let block = self
            .provider
            .get_block_by_number(BlockNumberOrTag::Number(number))
            .await
            .map_err(|e| CapitalCallError::Node(format!("reading block {number}: {e}")))?
            .ok_or_else(|| CapitalCallError::Node(format!("no block {number}")))?;
        Ok(block.header.timestamp)
    }

    /// `account`'s (principal, unlock time, native owed) at `block` (latest when `None`).
    pub async fn position(
        &self,
        account: Address,
        block: Option<u64>,
    ) -> Result<(U256, u64, U256), CapitalCallError> {
        let call = IYellowstoneCapital::positionCall::new((account,));
        let p = self.view(self.config.capital, call, block).await?;
        Ok((p._0, p._1, p._2))
    }

    /// The contract's totals at `block` (latest when `None`).
    pub async fn totals(&self, block: Option<u64>) -> Result<TotalsView, CapitalCallError> {
        status::totals(self, block).await
    }

    /// `account`'s balance of `token` at the latest block.
    pub async fn balance(
        &self,
        token: Address,
        account: Address,
    ) -> Result<U256, CapitalCallError> {
        let call = ICapitalToken::balanceOfCall { account };
        self.view(token, call, None).await
    }

    /// The second both buckets began to accrue: the construction block's timestamp (found by
    /// the contract's `Initialized` event), or the schedule's payout start if later.
    ///
    /// # Errors
    /// [`CapitalCallError::Node`] when the node fails or holds no `Initialized` event of the
    /// contract.
    pub async fn accrual_start(&self) -> Result<u64, CapitalCallError> {
        let filter = Filter::new()
            .address(self.config.capital)
            .event_signature(Initialized::SIGNATURE_HASH)
            .from_block(0);
        let logs = self
            .provider
            .get_logs(&filter)
            .await
            .map_err(|e| CapitalCallError::Node(format!("reading the contract's logs: {e}")))?;
        let block = logs
            .first()
            .and_then(|log| log.block_number)
            .ok_or_else(|| {
                CapitalCallError::Node(format!(
                    "no Initialized event of {}: the node may have pruned its logs",
                    self.config.capital
                ))
            })?;
        let constructed = self.block_timestamp(block).await?;
        let schedule = self
            .view(
                self.config.capital,
                IYellowstoneCapital::scheduleCall {},
                None,
            )
            .await?;
        Ok(constructed.max(schedule._0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_sol_types::{Revert, SolError};
    use yellowstone_protocol::capital::abi;

    #[test]
    fn the_contracts_errors_decode_as_the_protocol_defines_them() {
        let locked = abi::StillLocked {
            unlockAt: 1_767_225_600,
            now: 1_766_620_800,
        };
        let refusal = Refusal::decode(&locked.abi_encode());
        assert_eq!(
            refusal.to_string(),
            "StillLocked { unlockAt: 1767225600, now: 1766620800 }"
        );
        assert_eq!(refusal.name(), "StillLocked");
        assert!(matches!(
            refusal,
            Refusal::Capital(CapitalError::StillLocked(e)) if e.unlockAt == locked.unlockAt
        ));
        let empty = Refusal::decode(&abi::PoolEmpty {}.abi_encode());
        assert_eq!(
            (empty.to_string(), empty.name()),
            ("PoolEmpty".into(), "PoolEmpty".into())
        );
        // The exported ABI's errors are the protocol's, selector for selector.
        for selector in [
            abi::ZeroAmount::SELECTOR,
            abi::HarvestTooSoon::SELECTOR,
            abi::TwapWindowTooShort::SELECTOR,
            abi::SpotDeviates::SELECTOR,
            abi::ParameterOutOfBounds::SELECTOR,
            abi::ArithmeticOverflow::SELECTOR,
        ] {
            assert!(CapitalError::valid_selector(selector), "{selector:?}");
        }
    }

    #[test]
    fn other_reverts_decode_as_text() {
        let reason = Revert::from("ERC20: insufficient allowance").abi_encode();
        let refusal = Refusal::decode(&reason);
        assert_eq!(
            refusal,
            Refusal::Other("Error(\"ERC20: insufficient allowance\")".into())
        );
        assert_eq!(Refusal::decode(&[]).to_string(), "unknown revert 0x");
    }
}
