//! anvil's account setters, with hardhat's names as aliases, taking their parameters as anvil
//! does: `anvil_setBalance(address, quantity)`, `anvil_setNonce(address, quantity)` (also
//! `evm_setAccountNonce`), `anvil_setCode(address, bytes)` and
//! `anvil_setStorageAt(address, slot, 32-byte value)`. Quantities are hex strings, decimal
//! strings or JSON numbers. They edit the latest state without mining a block (see
//! [`crate::chain::Chain::set_balance`]); `anvil_setStorageAt` answers `true`, the others
//! `null`, as anvil does.

use alloy_primitives::{Address, Bytes, B256, U256};
use serde_json::Value;

use super::methods::{json, BigQuantity, Params, Quantity};
use super::RpcError;
use crate::chain::Chain;

/// Runs one of the setters; any other method is "method not found".
pub(super) fn dispatch(chain: &mut Chain, method: &str, p: &Params) -> Result<Value, RpcError> {
    match method {
        "anvil_setBalance" | "hardhat_setBalance" => {
            let address: Address = p.required(0, "address")?;
            let balance = p.required::<BigQuantity>(1, "balance")?.0;
            chain.set_balance(address, balance);
            Ok(Value::Null)
        }
        "anvil_setNonce" | "hardhat_setNonce" | "evm_setAccountNonce" => {
            let address: Address = p.required(0, "address")?;
            let nonce = p.required::<Quantity>(1, "nonce")?.0;
            chain.set_nonce(address, nonce);
            Ok(Value::Null)
        }
        "anvil_setCode" | "hardhat_setCode" => {
            let address: Address = p.required(0, "address")?;
            let code: Bytes = p.required(1, "code")?;
            chain
                .set_code(address, code)
                .map_err(|e| RpcError::invalid_params(format!("parameter 1 (code): {e}")))?;
            Ok(Value::Null)
        }
        "anvil_setStorageAt" | "hardhat_setStorageAt" => {
            let address: Address = p.required(0, "address")?;
            let slot: U256 = p.required(1, "slot")?;
            let value: B256 = p.required(2, "value")?;
            chain.set_storage_at(address, slot, value.into());
            json(true)
        }
        _ => Err(RpcError::method_not_found(method)),
    }
}
