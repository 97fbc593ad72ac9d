//! What block 0 holds: the funded development accounts (and the account Nitro's dev node
//! funds), the precompiles' code, and the contracts Nitro's dev node has at fixed addresses
//! ([`predeploys`]).

mod predeploys;

pub use predeploys::{CREATE2_FACTORY, STYLUS_DEPLOYER};

use alloy_primitives::Bytes;
use revm::{bytecode::Bytecode, state::AccountInfo};

use super::evm::StateDb;
use super::{ARB_WASM, ARB_WASM_CACHE, DEV_ACCOUNTS, DEV_BALANCE, NITRO_DEV_ACCOUNT};

/// Writes the genesis allocation into `state`.
pub(super) fn alloc(state: &mut StateDb) {
    let funded = DEV_ACCOUNTS
        .iter()
        .map(|account| account.address)
        .chain([NITRO_DEV_ACCOUNT.address]);
    for address in funded {
        state.insert_account_info(
            address,
            AccountInfo {
                balance: DEV_BALANCE,
                ..AccountInfo::default()
            },
        );
    }
    // Code 0xFE as Arbitrum's precompiles have, so that Solidity callers' code-size check
    // passes (StylusDeployer calls ArbWasm); ArbWasm's storage records activations and
    // ArbWasmCache's the cached programs.
    for precompile in [ARB_WASM, ARB_WASM_CACHE] {
        state.insert_account_info(
            precompile,
            AccountInfo::from_bytecode(Bytecode::new_raw(Bytes::from_static(&[0xFE]))),
        );
    }
    predeploys::install(state);
}
