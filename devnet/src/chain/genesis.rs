//! What block 0 holds: the funded development accounts and the precompiles' code.

use alloy_primitives::Bytes;
use revm::{bytecode::Bytecode, state::AccountInfo};

use super::evm::StateDb;
use super::{ARB_WASM, DEV_ACCOUNTS, DEV_BALANCE};

/// Writes the genesis allocation into `state`.
pub(super) fn alloc(state: &mut StateDb) {
    for account in DEV_ACCOUNTS {
        state.insert_account_info(
            account.address,
            AccountInfo {
                balance: DEV_BALANCE,
                ..AccountInfo::default()
            },
        );
    }
    // ArbWasm holds code 0xFE as Arbitrum's precompiles do; its storage records activations.
    state.insert_account_info(
        ARB_WASM,
        AccountInfo::from_bytecode(Bytecode::new_raw(Bytes::from_static(&[0xFE]))),
    );
}
