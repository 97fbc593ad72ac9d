//! The contracts a Nitro dev node holds at fixed addresses, so that tools written for one
//! (`cargo stylus deploy`, e2e harnesses taking a `StylusDeployer` address) work unchanged:
//!
//! - the deterministic-deployment CREATE2 factory at [`CREATE2_FACTORY`], from its published
//!   keyless deployment transaction (`fixtures/create2-factory.deployment-tx.hex`);
//! - Offchain Labs' `StylusDeployer` at [`STYLUS_DEPLOYER`], the factory's CREATE2 (salt 0) of
//!   the creation bytecode stylus-tools 0.10.10 deploys on its Nitro dev node
//!   (`fixtures/stylus-deployer.creation.hex`).
//!
//! Neither runtime is pasted: genesis runs the published init code in revm over the genesis
//! state and keeps only the accounts the run created (their code, nonce and storage), so block
//! 0 stays a block without transactions and no other account changes.

use alloy_consensus::{transaction::SignerRecoverable, Transaction, TxEnvelope};
use alloy_eips::eip2718::Decodable2718;
use alloy_primitives::{address, hex, Address, Bytes, TxKind, U256};
use revm::{context::TxEnv, state::EvmState, DatabaseCommit};

use super::super::{
    evm::{self, StateDb},
    stylus::StylusRuntime,
    BLOCK_GAS_LIMIT, DEFAULT_CHAIN_ID, NITRO_DEV_ACCOUNT,
};

/// The deterministic-deployment proxy (Arachnid's CREATE2 factory): calldata `salt ++ initcode`
/// creates `initcode` with CREATE2 and returns the 20-byte address.
pub const CREATE2_FACTORY: Address = address!("4e59b44847b379578588920ca78fbf26c0b4956c");

/// The keyless account that signs the factory's deployment transaction (nonce 0).
pub(crate) const CREATE2_FACTORY_DEPLOYER: Address =
    address!("3fab184622dc19b6109349b94811493bf2a45362");

/// `StylusDeployer`, where Nitro's dev node setup puts it: CREATE2 by [`CREATE2_FACTORY`] with
/// salt 0.
pub const STYLUS_DEPLOYER: Address = address!("cEcba2F1DC234f70Dd89F2041029807F8D03A990");

/// The factory's published deployment transaction: hex without `0x`, then a newline.
const FACTORY_DEPLOYMENT_TX_HEX: &str =
    include_str!("../../../fixtures/create2-factory.deployment-tx.hex");

/// `StylusDeployer`'s creation bytecode: hex without `0x`, then a newline.
const STYLUS_DEPLOYER_CREATION_HEX: &str =
    include_str!("../../../fixtures/stylus-deployer.creation.hex");

/// Places the factory and `StylusDeployer` in `state`. Panics only if a committed fixture is
/// corrupted (the tests in `tests/it/stylus_deployer.rs` check them).
pub(super) fn install(state: &mut StateDb) {
    let raw = hex::decode(FACTORY_DEPLOYMENT_TX_HEX.trim()).expect("factory tx fixture is hex");
    let tx = TxEnvelope::decode_2718(&mut raw.as_slice()).expect("factory tx fixture decodes");
    let signer = tx.recover_signer().expect("factory tx fixture is signed");
    assert_eq!(signer, CREATE2_FACTORY_DEPLOYER, "factory deployer");
    let created = create(state, signer, TxKind::Create, tx.input().clone());
    assert_eq!(created, [CREATE2_FACTORY], "the factory's address");

    let creation =
        hex::decode(STYLUS_DEPLOYER_CREATION_HEX.trim()).expect("StylusDeployer fixture is hex");
    let mut input = vec![0u8; 32];
    input.extend_from_slice(&creation);
    let created = create(
        state,
        NITRO_DEV_ACCOUNT.address,
        TxKind::Call(CREATE2_FACTORY),
        input.into(),
    );
    assert_eq!(created, [STYLUS_DEPLOYER], "StylusDeployer's address");
}

/// Runs `input` from `caller` to `to` over `state` (gas price 0, no nonce check) and
/// commits only the accounts it created; returns their addresses. Panics if the run fails.
fn create(state: &mut StateDb, caller: Address, to: TxKind, input: Bytes) -> Vec<Address> {
    let mut cfg = evm::cfg(DEFAULT_CHAIN_ID);
    cfg.disable_nonce_check = true;
    cfg.disable_base_fee = true;
    let tx = TxEnv {
        caller,
        gas_limit: BLOCK_GAS_LIMIT,
        kind: to,
        data: input,
        value: U256::ZERO,
        chain_id: None,
        ..TxEnv::default()
    };
    let outcome = evm::transact(
        state,
        &StylusRuntime::default(),
        cfg,
        evm::block_env(0, 0),
        tx,
    )
    .expect("a genesis deployment is a valid transaction");
    assert!(outcome.result.is_success(), "{:?}", outcome.result);
    let created: EvmState = outcome
        .state
        .into_iter()
        .filter(|(_, account)| account.is_created())
        .collect();
    let mut addresses: Vec<Address> = created.keys().copied().collect();
    addresses.sort();
    state.commit(created);
    addresses
}
