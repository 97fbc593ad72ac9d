//! Views and transactions through the provider's wallet: a simulation first (a refusal is
//! decoded before anything is sent), a gas limit of the estimate + 25%, then the receipt.

use std::time::Duration;

use alloy_primitives::{Address, Bytes, B256};
use alloy_provider::{
    transport::{RpcError, TransportError},
    Provider,
};
use alloy_rpc_types_eth::{BlockId, TransactionRequest};
use alloy_sol_types::{sol, SolCall};
use serde::Serialize;

use super::{ChainCtx, ProviderError};
use yellowstone_chain::submit::decode_revert;

sol! {
    /// The MOR token's allowance and approval, for staking.
    interface IMorApproval {
        function allowance(address owner, address spender) external view returns (uint256);
        function approve(address spender, uint256 value) external returns (bool);
    }
}

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

impl ChainCtx {
    /// `eth_call` of `call` on `to` at the latest block, decoded.
    pub(super) async fn view<C: SolCall>(
        &self,
        to: Address,
        call: C,
    ) -> Result<C::Return, ProviderError> {
        let out = self
            .wallet
            .call(request(to, &call))
            .await
            .map_err(|e| refusal(C::SIGNATURE, e))?;
        C::abi_decode_returns(&out)
            .map_err(|e| ProviderError::Node(format!("undecodable {}: {e}", C::SIGNATURE)))
    }

    /// Sends `call` to `to` from the provider: estimate (a refusal is returned decoded), gas
    /// limit = estimate + 25%, send, wait for the receipt. A reverted receipt is replayed to
    /// decode why.
    pub(super) async fn send<C: SolCall>(
        &self,
        what: &'static str,
        to: Address,
        call: C,
    ) -> Result<Mined, ProviderError> {
        let tx = request(to, &call).from(self.address());
        let estimate = self
            .wallet
            .estimate_gas(tx.clone())
            .await
            .map_err(|e| refusal(what, e))?;
        let receipt = self
            .wallet
            .send_transaction(tx.clone().gas_limit(estimate + estimate / 4))
            .await
            .map_err(|e| refusal(what, e))?
            .with_timeout(Some(RECEIPT_TIMEOUT))
            .get_receipt()
            .await
            .map_err(|e| ProviderError::Node(format!("{what}: waiting for the receipt: {e}")))?;
        let block = receipt.block_number.unwrap_or_default();
        if !receipt.status() {
            let replay = self
                .wallet
                .call(tx)
                .block(BlockId::number(block.saturating_sub(1)))
                .await;
            return Err(match replay {
                Err(e) => refusal(what, e),
                Ok(_) => ProviderError::Refused {
                    call: what,
                    error: format!(
                        "transaction {} reverted (gas used {})",
                        receipt.transaction_hash, receipt.gas_used
                    ),
                },
            });
        }
        Ok(Mined {
            hash: receipt.transaction_hash,
            block,
            gas_used: receipt.gas_used,
        })
    }
}

/// A call of `call` on `to`.
fn request(to: Address, call: &impl SolCall) -> TransactionRequest {
    TransactionRequest::default()
        .to(to)
        .input(Bytes::from(call.abi_encode()).into())
}

/// A node error as a decoded contract refusal when it carries revert data, else as is.
fn refusal(call: &'static str, error: TransportError) -> ProviderError {
    if let RpcError::ErrorResp(payload) = &error {
        if let Some(data) = payload.as_revert_data() {
            return ProviderError::Refused {
                call,
                error: decode_revert(&data),
            };
        }
        if payload.code == 3 {
            return ProviderError::Refused {
                call,
                error: decode_revert(&[]),
            };
        }
    }
    ProviderError::Node(format!("{call}: {error}"))
}
