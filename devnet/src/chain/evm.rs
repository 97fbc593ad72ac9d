//! The one place where revm is configured and run. Every execution (mined transactions,
//! `eth_call`, gas estimation) goes through `transact`, which builds an `Evm` whose precompile
//! provider ([`super::stylus::StylusPrecompiles`], pinned to [`ChainContext`]) routes `EF F0 00`
//! code to the Wasm executor and serves ArbWasm at `0x71` besides Ethereum's precompiles.

use std::convert::Infallible;

use alloy_primitives::{address, Address, B256, U256};
use revm::{
    context::{result::EVMError, BlockEnv, CfgEnv, Context, Journal, TxEnv},
    context_interface::result::ResultAndState,
    database::{CacheDB, EmptyDB},
    database_interface::WrapDatabaseRef,
    handler::{instructions::EthInstructions, EthFrame},
    interpreter::interpreter::EthInterpreter,
    primitives::hardfork::SpecId,
    ExecuteEvm, MainContext,
};

use super::stylus::{StylusPrecompiles, StylusRuntime};

/// The state database: revm's in-memory cache over an empty backing store.
pub type StateDb = CacheDB<EmptyDB>;

/// The revm context every execution runs in: a read-only view of one block's state; the
/// resulting state changes are committed to a copy by the caller.
pub type ChainContext<'a> = Context<
    BlockEnv,
    TxEnv,
    CfgEnv,
    WrapDatabaseRef<&'a StateDb>,
    Journal<WrapDatabaseRef<&'a StateDb>>,
    (),
>;

/// The hardfork rules the chain follows (Arbitrum's ArbOS 40 brought Prague's EVM features).
pub const SPEC: SpecId = SpecId::PRAGUE;

/// The block gas limit: 32 million, Nitro's per-block and per-transaction limit for L2
/// execution. With automining a block holds one transaction, so this also caps a transaction.
pub const BLOCK_GAS_LIMIT: u64 = 32_000_000;

/// The base fee per gas: 0.1 gwei, Arbitrum's minimum L2 base fee. It stays constant (blocks
/// are never congested on a devnet).
pub const BASE_FEE: u64 = 100_000_000;

/// The block beneficiary (coinbase), Arbitrum's sequencer address `0xA4B0...73657175656e636572`
/// ("sequencer" in ASCII). It collects the priority fees.
pub const BENEFICIARY: Address = address!("A4B000000000000000000073657175656e636572");

/// The revm configuration: `spec`, the chain id, and EIP-3541 disabled so that contracts may be
/// deployed with code starting `0xEF` (Stylus programs start `EF F0 00`).
pub(crate) fn cfg(chain_id: u64) -> CfgEnv {
    let mut cfg = CfgEnv::new_with_spec(SPEC).with_chain_id(chain_id);
    cfg.disable_eip3541 = true;
    cfg
}

/// The block environment of block `number` at `timestamp`. `PREVRANDAO` reads 1, as on Arbitrum.
pub(crate) fn block_env(number: u64, timestamp: u64) -> BlockEnv {
    BlockEnv {
        number: U256::from(number),
        beneficiary: BENEFICIARY,
        timestamp: U256::from(timestamp),
        gas_limit: BLOCK_GAS_LIMIT,
        basefee: BASE_FEE,
        difficulty: U256::from(1),
        prevrandao: Some(B256::with_last_byte(1)),
        ..BlockEnv::default()
    }
}

/// Runs `tx` over `db` without changing it; returns the result and the state changes. Stylus
/// programs run with `stylus`'s caches.
pub(crate) fn transact(
    db: &StateDb,
    stylus: &StylusRuntime,
    cfg: CfgEnv,
    block: BlockEnv,
    tx: TxEnv,
) -> Result<ResultAndState, EVMError<Infallible>> {
    let context: ChainContext<'_> = Context::mainnet()
        .with_cfg(cfg)
        .with_block(block)
        .with_ref_db(db);
    let mut evm: revm::context::Evm<
        ChainContext<'_>,
        (),
        EthInstructions<EthInterpreter, ChainContext<'_>>,
        StylusPrecompiles<'_>,
        EthFrame<EthInterpreter>,
    > = revm::context::Evm::new(
        context,
        EthInstructions::new_mainnet_with_spec(SPEC),
        StylusPrecompiles::new(stylus),
    );
    evm.transact(tx)
}
