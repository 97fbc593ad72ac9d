//! Contract calls over JSON-RPC, the one way every client here makes them: a view decoded
//! ([`view`]), the revert data a node's error carries ([`revert_data`]), and a transaction sent
//! ([`send`]) after a simulation, so a refusal is decoded before anything is sent and costs no
//! gas. The compute contract's clients (the router's reads, the provider's transactions) and
//! the capital contract's map a [`CallFailure`] into their own errors, decoding revert data
//! with their own typed `sol!` errors.

use std::time::Duration;

use alloy_network::EthereumWallet;
use alloy_primitives::{Address, Bytes, B256};
use alloy_provider::{
    transport::{RpcError, TransportError},
    DynProvider, Provider, ProviderBuilder,
};
use alloy_rpc_types_eth::{BlockId, TransactionReceipt, TransactionRequest};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::SolCall;
use serde::Serialize;

/// How long to wait for a receipt.
const RECEIPT_TIMEOUT: Duration = Duration::from_secs(120);

/// A mined transaction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Mined {
    /// Its hash.
    pub hash: B256,
    /// The block it was mined in.
    pub block: u64,
    /// Gas it used.
    pub gas_used: u64,
}

/// Why a call failed, before the caller names it in its own error type.
#[derive(Debug, thiserror::Error)]
pub enum CallFailure {
    /// The node answered an error: a refusal when [`revert_data`] finds revert data in it, else
    /// the node's own failure.
    #[error("{0}")]
    Rpc(TransportError),
    /// The answer did not decode as the function's return values.
    #[error(
        "{to}: undecodable answer to {signature} (0x{}): {error}",
        alloy_primitives::hex::encode(answer)
    )]
    Undecodable {
        /// The contract called.
        to: Address,
        /// The function, e.g. `config()`.
        signature: &'static str,
        /// What the node answered.
        answer: Bytes,
        /// Why it did not decode.
        error: alloy_sol_types::Error,
    },
    /// The transaction was sent but its receipt could not be had.
    #[error("waiting for the receipt: {0}")]
    Receipt(String),
    /// The transaction was mined reverted, and replaying it did not say why.
    #[error("transaction {hash} reverted (gas used {gas_used})")]
    Reverted {
        /// The transaction.
        hash: B256,
        /// Gas it used.
        gas_used: u64,
    },
}

/// Why [`connect`] could not make a provider.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The RPC URL does not parse.
    #[error("bad RPC URL {url:?}: {reason}")]
    BadUrl {
        /// The URL given.
        url: String,
        /// Why it does not parse.
        reason: String,
    },
    /// The HTTP client could not be built.
    #[error("HTTP client: {0}")]
    Http(String),
}

/// A provider for the node at `rpc_url` over HTTP, every RPC bounded by `timeout` so a hung
/// node surfaces as an error instead of a hang: signing with `key` (the wallet fills nonce, gas
/// and chain id) when given, else read-only without fillers. Nothing is sent yet.
///
/// # Errors
/// [`ConnectError`] for an unparsable URL or an HTTP client that cannot be built.
pub fn connect(
    rpc_url: &str,
    key: Option<PrivateKeySigner>,
    timeout: Duration,
) -> Result<DynProvider, ConnectError> {
    let url = reqwest::Url::parse(rpc_url).map_err(|e| ConnectError::BadUrl {
        url: rpc_url.to_owned(),
        reason: e.to_string(),
    })?;
    let http = reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .build()
        .map_err(|e| ConnectError::Http(e.to_string()))?;
    Ok(match key {
        Some(key) => ProviderBuilder::new()
            .wallet(EthereumWallet::from(key))
            .connect_reqwest(http, url)
            .erased(),
        None => ProviderBuilder::new()
            .disable_recommended_fillers()
            .connect_reqwest(http, url)
            .erased(),
    })
}

/// The revert data in a node's error: the data when it carries some, empty for an
/// execution-reverted error without data (JSON-RPC code 3), `None` for anything else.
pub fn revert_data(error: &TransportError) -> Option<Bytes> {
    let RpcError::ErrorResp(payload) = error else {
        return None;
    };
    payload
        .as_revert_data()
        .or_else(|| (payload.code == 3).then(Bytes::new))
}

/// A transaction request of `call` on `to`.
pub fn request(to: Address, call: &impl SolCall) -> TransactionRequest {
    TransactionRequest::default()
        .to(to)
        .input(Bytes::from(call.abi_encode()).into())
}

/// `eth_call` of `call` on `to` at `block` (latest when `None`), decoded.
///
/// # Errors
/// [`CallFailure::Rpc`] (a refusal carries revert data), [`CallFailure::Undecodable`].
pub async fn view<C: SolCall>(
    provider: &DynProvider,
    to: Address,
    call: &C,
    block: Option<u64>,
) -> Result<C::Return, CallFailure> {
    let mut pending = provider.call(request(to, call));
    if let Some(number) = block {
        pending = pending.block(BlockId::number(number));
    }
    let answer = pending.await.map_err(CallFailure::Rpc)?;
    C::abi_decode_returns(&answer).map_err(|error| CallFailure::Undecodable {
        to,
        signature: C::SIGNATURE,
        answer,
        error,
    })
}

/// Sends `call` to `to` from `from` (the provider's wallet signs): simulated first, so a
/// refusal comes back as [`CallFailure::Rpc`] with its revert data and nothing is sent; the gas
/// limit is `gas_limit` when given (the simulation is then an `eth_call`), else the estimate +
/// 25%; then the receipt. A reverted receipt is replayed on the state before its block to learn
/// why.
///
/// # Errors
/// [`CallFailure::Rpc`] from the simulation, the send or the replay; [`CallFailure::Receipt`];
/// [`CallFailure::Reverted`] when the replay succeeds.
pub async fn send<C: SolCall>(
    provider: &DynProvider,
    from: Address,
    to: Address,
    call: &C,
    gas_limit: Option<u64>,
) -> Result<(Mined, TransactionReceipt), CallFailure> {
    let tx = request(to, call).from(from);
    let limit = match gas_limit {
        Some(limit) => {
            provider.call(tx.clone()).await.map_err(CallFailure::Rpc)?;
            limit
        }
        None => {
            let estimate = provider
                .estimate_gas(tx.clone())
                .await
                .map_err(CallFailure::Rpc)?;
            estimate + estimate / 4
        }
    };
    let receipt = provider
        .send_transaction(tx.clone().gas_limit(limit))
        .await
        .map_err(CallFailure::Rpc)?
        .with_timeout(Some(RECEIPT_TIMEOUT))
        .get_receipt()
        .await
        .map_err(|e| CallFailure::Receipt(e.to_string()))?;
    let block = receipt.block_number.unwrap_or_default();
    if !receipt.status() {
        provider
            .call(tx)
            .block(BlockId::number(block.saturating_sub(1)))
            .await
            .map_err(CallFailure::Rpc)?;
        return Err(CallFailure::Reverted {
            hash: receipt.transaction_hash,
            gas_used: receipt.gas_used,
        });
    }
    let mined = Mined {
        hash: receipt.transaction_hash,
        block,
        gas_used: receipt.gas_used,
    };
    Ok((mined, receipt))
}
