//! Views and transactions through the provider's wallet, made the one way
//! [`yellowstone_chain::call`] makes them (a simulation first, so a refusal is decoded before
//! anything is sent); a refusal is decoded as the compute contract's typed error.

use alloy_primitives::Address;
use alloy_sol_types::{sol, SolCall};
use yellowstone_chain::{
    call::{self, revert_data, CallFailure},
    submit::decode_revert,
};

use super::{ChainCtx, ProviderError};
pub(super) use yellowstone_chain::call::Mined;

sol! {
    /// The MOR token's allowance and approval, for staking.
    interface IMorApproval {
        function allowance(address owner, address spender) external view returns (uint256);
        function approve(address spender, uint256 value) external returns (bool);
    }
}

impl ChainCtx {
    /// `eth_call` of `call` on `to` at the latest block, decoded.
    pub(super) async fn view<C: SolCall>(
        &self,
        to: Address,
        call: C,
    ) -> Result<C::Return, ProviderError> {
        call::view(&self.wallet, to, &call, None)
            .await
            .map_err(|e| failed(C::SIGNATURE, e))
    }

    /// Sends `call` to `to` from the provider ([`call::send`]): a refusal is returned decoded,
    /// the gas limit is the estimate + 25%.
    pub(super) async fn send<C: SolCall>(
        &self,
        what: &'static str,
        to: Address,
        call: C,
    ) -> Result<Mined, ProviderError> {
        let (mined, _) = call::send(&self.wallet, self.address(), to, &call, None)
            .await
            .map_err(|e| failed(what, e))?;
        Ok(mined)
    }
}

/// `call`'s failure: a refusal decoded as the compute contract's typed error when the node's
/// error carries revert data, else the node's failure.
fn failed(call: &'static str, failure: CallFailure) -> ProviderError {
    let error = match &failure {
        CallFailure::Rpc(e) => revert_data(e).map(|data| decode_revert(&data)),
        CallFailure::Reverted { .. } => Some(failure.to_string()),
        CallFailure::Undecodable { .. } => return ProviderError::Node(failure.to_string()),
        CallFailure::Receipt(_) => None,
    };
    match error {
        Some(error) => ProviderError::Refused { call, error },
        None => ProviderError::Node(format!("{call}: {failure}")),
    }
}
