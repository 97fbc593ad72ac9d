//! Stylus programs inside the chain: a revm [`PrecompileProvider`] pinned to [`ChainContext`]
//! that runs `EF F0 00` code with the Wasm executor ([`crate::stylus`]), and the Stylus
//! precompiles ArbWasm ([`ARB_WASM`]) and ArbWasmCache ([`ARB_WASM_CACHE`]) as Nitro has them.
//!
//! # Dispatch
//!
//! revm calls [`PrecompileProvider::run`] for every call frame after the frame's journal
//! checkpoint is taken and value moved. [`StylusPrecompiles`] answers, in order:
//! * [`ARB_WASM`] (`0x71`): every method, error and event of Nitro's ArbWasm (the interface in
//!   `devnet/abi/ArbWasm.sol`, [`abi`]): activation with its data fee and gas, keepalive, the
//!   program records' views and the Stylus parameters ([`STYLUS_PARAMS`]);
//! * [`ARB_WASM_CACHE`] (`0x72`): Nitro's ArbWasmCache; the chain owner ([`CHAIN_OWNER`], dev
//!   account 0) may cache and evict, and a cached program pays only the cached entry cost;
//! * Ethereum's precompiles (ecrecover at `0x01`, ...), unchanged;
//! * a callee whose code starts with `EF F0 00`: the program, if its record is active (see
//!   below), run through the chain's [`ProgramCache`] with an [`EvmApi`] over revm's context;
//!   otherwise a revert with ArbWasm's `ProgramNotActivated()`, `ProgramNeedsUpgrade(..)` or
//!   `ProgramExpired(..)` error;
//! * anything else: `None`, so revm runs the EVM interpreter.
//!
//! Both precompiles follow Nitro's calling convention (`precompile.rs`): a call that is too short,
//! has an unknown selector or undecodable arguments, writes in a static context, pays a method
//! that is not payable, or is a delegate call reverts with no data and burns all its gas; a
//! Solidity error reverts with its encoding and keeps the gas left.
//!
//! The result is an [`InterpreterResult`]; revm commits the frame's checkpoint on success and
//! reverts it on a revert or a failure, for top-level transactions and inner calls alike.
//! A program's failure (trap, invalid status, failed host call such as a write in a static
//! context) reverts with empty data and consumes all gas, as in Nitro; running out of ink is
//! an out-of-gas halt.
//!
//! # Calls from programs
//!
//! `call_contract`, `delegate_call_contract`, `static_call_contract`, `create1` and `create2`
//! re-enter the EVM synchronously: a second revm `Evm` over the same context (revm implements
//! its context traits for `&mut T`, and the provider is implemented for `&mut ChainContext`
//! too, so the nesting does not recurse in types), with a child slice of the shared memory
//! buffer. Access, value-transfer and new-account costs come from revm's own
//! `load_account_delegated` and [`GasParams`] (the same figures as Nitro's `WasmCallCost`:
//! 100 warm / 2,600 cold, 9,000 with value, 25,000 more for a new account); as in Nitro's
//! `doCall` (`arbos/programs/api.go`) the callee gets what the program offers minus them,
//! minus one 64th (given back), plus the 2,300 stipend with value; creations pay 32,000
//! (CREATE2 also the init-code hashing) and keep one 64th the same way. Refunds of
//! successful callees are passed up. Account queries cost Nitro's `WasmAccountTouchCost`
//! (100 warm / 2,600 cold, plus 700 when the code is read); storage uses revm's EIP-2929
//! SLOAD and EIP-2200/3529 SSTORE gas and refunds through the journal.
//!
//! # Activation records
//!
//! An activation is recorded in the state itself, in ArbWasm's storage: slot `codehash` holds
//! the program's record packed as Nitro's ([`ProgramRecord`]: version, init and cached costs,
//! footprint, activation hour, asm estimate, cached flag), and one more slot the data pricer's
//! state. Records are therefore journaled (a reverted transaction activates nothing), kept per
//! block, and undone by `evm_revert`. The decoded [`Program`]s are cached by code hash in
//! [`StylusRuntime`] (a cache only: a miss re-runs [`activate`] on the code).
//!
//! [`EvmApi`]: crate::stylus::EvmApi
//! [`GasParams`]: revm::context_interface::cfg::GasParams

pub mod abi;
mod arb_wasm;
mod arb_wasm_cache;
pub mod data_pricer;
mod precompile;
mod program;
pub mod program_record;

pub use arb_wasm::ACTIVATION_FIXED_GAS;
pub use program_record::ProgramRecord;

use std::{
    cell::RefCell,
    collections::{HashMap, HashSet},
    rc::Rc,
    sync::{Arc, Mutex},
};

use alloy_primitives::{address, keccak256, Address, Bytes, B256};
use alloy_sol_types::{SolCall, SolError};
use revm::{
    handler::{EthPrecompiles, PrecompileProvider},
    interpreter::{CallInputs, InterpreterResult},
    primitives::{hardfork::SpecId, AddressSet},
};

use super::evm::{ChainContext, SPEC};
use crate::activation::{activate, Program, STYLUS_MAGIC};
use crate::stylus::{ink::STYLUS_PARAMS, ProgramCache};

/// ArbWasm, the Stylus precompile, at `0x71`.
pub const ARB_WASM: Address = address!("0000000000000000000000000000000000000071");

/// ArbWasmCache, the Stylus program cache's precompile, at `0x72`.
pub const ARB_WASM_CACHE: Address = address!("0000000000000000000000000000000000000072");

/// The devnet's chain owner: dev account 0. As a Nitro chain owner, it may cache and evict
/// programs through ArbWasmCache, and, as on a Nitro dev node (`networkFeeAccount` is set to the
/// initial chain owner), it is the network fee account that receives activation data fees.
pub const CHAIN_OWNER: Address = address!("f39Fd6e51aad88F6F4ce6aB8827279cffFb92266");

/// Who may cache and evict programs on the devnet: the chain owner ([`CHAIN_OWNER`]). The
/// devnet appoints no cache managers (`allCacheManagers()` is empty).
pub const CACHE_MANAGER: Address = CHAIN_OWNER;

/// Where activation and keepalive data fees go: the chain owner ([`CHAIN_OWNER`]).
pub const NETWORK_FEE_ACCOUNT: Address = CHAIN_OWNER;

/// The Stylus version `activateProgram` reports: 2, Nitro's current (`StylusParams`'s
/// `UpgradeToVersion(2)` in `arbos/programs/params.go`, applied at ArbOS 31 by
/// `arbos/arbosState/arbosstate.go`). Version 2 is also the entry-cost model the devnet
/// charges: the cached cost is not part of the init cost (`instrument` in
/// `crates/prover/src/binary.rs`).
pub const STYLUS_VERSION: u16 = STYLUS_PARAMS.version;

/// `activateProgram(address)`.
pub fn activate_program_selector() -> [u8; 4] {
    abi::ArbWasm::activateProgramCall::SELECTOR
}

/// The stylus-sdk constructor selector: `keccak256("stylus_constructor()")[..4]`.
pub fn stylus_constructor_selector() -> [u8; 4] {
    selector("stylus_constructor()")
}

/// ArbWasm's `ProgramNotActivated()` error (its 4-byte selector), the revert data of a call to
/// a program that was not activated.
pub fn program_not_activated_error() -> [u8; 4] {
    abi::ArbWasm::ProgramNotActivated::SELECTOR
}

/// ABI-encodes `Error(string)`.
fn error_string(message: &str) -> Bytes {
    alloy_sol_types::Revert::from(message).abi_encode().into()
}

/// Whether the program with `code_hash` is cached (the cached flag of its record).
fn is_cached(ctx: &mut ChainContext<'_>, code_hash: B256) -> bool {
    program_record::load(ctx, code_hash).cached
}

/// The 4-byte selector of a Solidity `signature`.
fn selector(signature: &str) -> [u8; 4] {
    let hash = keccak256(signature.as_bytes());
    [hash[0], hash[1], hash[2], hash[3]]
}

/// EVM init code that returns `deployable` as the contract's code (what `cargo stylus deploy`
/// sends): `PUSH4 len DUP1 PUSH1 14 PUSH1 0 CODECOPY PUSH1 0 RETURN` then the bytes.
pub fn stylus_deploy_init_code(deployable: &[u8]) -> Vec<u8> {
    let len = u32::try_from(deployable.len()).expect("code fits in 4 GiB");
    let header_len = 14u8;
    let mut code = vec![0x63];
    code.extend_from_slice(&len.to_be_bytes());
    code.extend_from_slice(&[0x80, 0x60, header_len, 0x60, 0x00, 0x39, 0x60, 0x00, 0xf3]);
    debug_assert_eq!(code.len(), header_len as usize);
    code.extend_from_slice(deployable);
    code
}

/// What the chain keeps for Stylus across transactions: the compiled-module cache and the
/// decoded programs by code hash (both caches; the activation records live in the state).
#[derive(Default)]
pub struct StylusRuntime {
    /// Compiled modules by code hash.
    pub cache: ProgramCache,
    programs: Mutex<HashMap<B256, Arc<Program>>>,
}

impl std::fmt::Debug for StylusRuntime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let programs = self.programs.lock().map(|p| p.len()).unwrap_or(0);
        f.debug_struct("StylusRuntime")
            .field("cache", &self.cache)
            .field("programs", &programs)
            .finish()
    }
}

impl StylusRuntime {
    fn program(&self, code_hash: B256, code: &[u8]) -> Result<Arc<Program>, String> {
        if let Some(p) = self
            .programs
            .lock()
            .map_err(|e| format!("{e:?}"))?
            .get(&code_hash)
        {
            return Ok(p.clone());
        }
        let program = Arc::new(activate(code).map_err(|e| format!("{e:?}"))?);
        self.programs
            .lock()
            .map_err(|e| format!("{e:?}"))?
            .insert(code_hash, program.clone());
        Ok(program)
    }
}

/// Per-transaction Stylus state shared by the nested EVMs.
#[derive(Debug, Default)]
struct TxState {
    /// Addresses (storage contexts) of the programs currently running, outermost first.
    running: Vec<Address>,
    /// Wasm pages open and ever open in the transaction.
    pages: (u16, u16),
    /// Programs already entered in this transaction (their later calls pay the cached entry).
    entered: HashSet<B256>,
}

/// The chain's precompile provider: ArbWasm, Ethereum's precompiles and Stylus dispatch; see
/// the [module documentation](self).
#[derive(Debug)]
pub struct StylusPrecompiles<'r> {
    eth: EthPrecompiles,
    warm: AddressSet,
    runtime: &'r StylusRuntime,
    tx: Rc<RefCell<TxState>>,
}

impl<'r> StylusPrecompiles<'r> {
    /// A provider for one transaction.
    pub fn new(runtime: &'r StylusRuntime) -> Self {
        let eth = EthPrecompiles::new(SPEC);
        let mut warm = eth.warm_addresses().clone();
        warm.insert(ARB_WASM);
        warm.insert(ARB_WASM_CACHE);
        StylusPrecompiles {
            eth,
            warm,
            runtime,
            tx: Rc::new(RefCell::new(TxState::default())),
        }
    }

    fn nested(&self) -> Self {
        StylusPrecompiles {
            eth: self.eth.clone(),
            warm: self.warm.clone(),
            runtime: self.runtime,
            tx: self.tx.clone(),
        }
    }

    fn dispatch(
        &mut self,
        ctx: &mut ChainContext<'_>,
        inputs: &CallInputs,
    ) -> Result<Option<InterpreterResult>, String> {
        if inputs.bytecode_address == ARB_WASM {
            return Ok(Some(arb_wasm::arb_wasm(self.runtime, ctx, inputs)));
        }
        if inputs.bytecode_address == ARB_WASM_CACHE {
            return Ok(Some(arb_wasm_cache::arb_wasm_cache(ctx, inputs)));
        }
        if let Some(result) = <EthPrecompiles as PrecompileProvider<ChainContext<'_>>>::run(
            &mut self.eth,
            ctx,
            inputs,
        )? {
            return Ok(Some(result));
        }
        let (code_hash, bytecode) = &inputs.known_bytecode;
        let code = bytecode.original_byte_slice();
        if !code.starts_with(&STYLUS_MAGIC) {
            return Ok(None);
        }
        Ok(Some(self.run_program(ctx, inputs, *code_hash, code)))
    }
}

impl<'r, 'a> PrecompileProvider<ChainContext<'a>> for StylusPrecompiles<'r> {
    type Output = InterpreterResult;

    fn set_spec(&mut self, spec: SpecId) -> bool {
        let changed =
            <EthPrecompiles as PrecompileProvider<ChainContext<'a>>>::set_spec(&mut self.eth, spec);
        self.warm = self.eth.warm_addresses().clone();
        self.warm.insert(ARB_WASM);
        self.warm.insert(ARB_WASM_CACHE);
        changed
    }

    fn run(
        &mut self,
        context: &mut ChainContext<'a>,
        inputs: &CallInputs,
    ) -> Result<Option<InterpreterResult>, String> {
        self.dispatch(context, inputs)
    }

    fn warm_addresses(&self) -> &AddressSet {
        &self.warm
    }
}

impl<'r, 'x, 'a> PrecompileProvider<&'x mut ChainContext<'a>> for StylusPrecompiles<'r> {
    type Output = InterpreterResult;

    fn set_spec(&mut self, spec: SpecId) -> bool {
        <Self as PrecompileProvider<ChainContext<'a>>>::set_spec(self, spec)
    }

    fn run(
        &mut self,
        context: &mut &'x mut ChainContext<'a>,
        inputs: &CallInputs,
    ) -> Result<Option<InterpreterResult>, String> {
        self.dispatch(context, inputs)
    }

    fn warm_addresses(&self) -> &AddressSet {
        &self.warm
    }
}
