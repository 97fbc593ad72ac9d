//! MOR transfers, with OpenZeppelin `SafeERC20` semantics: a transfer succeeds when the call
//! succeeds and returns either nothing (from a contract) or `true`.

use alloc::vec::Vec;

use alloy_primitives::{Address, U256};
use stylus_sdk::{call::call, prelude::*};
use yellowstone_protocol::abi::TokenTransferFailed;

use yellowstone_stylus_kit::Storage;

use crate::{errors::ComputeError, YellowstoneCompute};

/// `transfer(address,uint256)`.
const TRANSFER: [u8; 4] = [0xa9, 0x05, 0x9c, 0xbb];
/// `transferFrom(address,address,uint256)`.
const TRANSFER_FROM: [u8; 4] = [0x23, 0xb8, 0x72, 0xdd];

/// ABI-encodes a call of `selector` with address and amount words.
fn encode(selector: [u8; 4], addresses: &[Address], amount: U256) -> Vec<u8> {
    let mut data = Vec::with_capacity(4 + 32 * (addresses.len() + 1));
    data.extend_from_slice(&selector);
    for address in addresses {
        data.extend_from_slice(&[0u8; 12]);
        data.extend_from_slice(address.as_slice());
    }
    data.extend_from_slice(&amount.to_be_bytes::<32>());
    data
}

impl YellowstoneCompute {
    /// Pays `amount` MOR from the contract to `to`.
    pub(crate) fn send_mor(&mut self, to: Address, amount: U256) -> Result<(), ComputeError> {
        let from = self.vm().contract_address();
        self.call_mor(encode(TRANSFER, &[to], amount), from, to, amount)
    }

    /// Pulls `amount` MOR from `from` (which approved the contract) into the contract.
    pub(crate) fn pull_mor(&mut self, from: Address, amount: U256) -> Result<(), ComputeError> {
        let to = self.vm().contract_address();
        self.call_mor(encode(TRANSFER_FROM, &[from, to], amount), from, to, amount)
    }

    fn call_mor(
        &mut self,
        data: Vec<u8>,
        from: Address,
        to: Address,
        amount: U256,
    ) -> Result<(), ComputeError> {
        let token = self.get_address(crate::store::MOR);
        let context = Call::new_mutating(self);
        let ok = match call(self.vm(), context, token, &data) {
            Ok(ret) if ret.is_empty() => self.vm().code_size(token) > 0,
            Ok(ret) => ret.len() == 32 && U256::from_be_slice(&ret) == U256::from(1),
            Err(_) => false,
        };
        if ok {
            Ok(())
        } else {
            Err(TokenTransferFailed { from, to, amount }.into())
        }
    }
}
