//! Stylus programs inside the chain: a revm [`PrecompileProvider`] pinned to [`ChainContext`]
//! that runs `EF F0 00` code with the Wasm executor ([`crate::stylus`]), and ArbWasm's
//! `activateProgram` at [`ARB_WASM`].
//!
//! # Dispatch
//!
//! revm calls [`PrecompileProvider::run`] for every call frame after the frame's journal
//! checkpoint is taken and value moved. [`StylusPrecompiles`] answers, in order:
//! * [`ARB_WASM`] (`0x71`): `activateProgram(address)`;
//! * [`ARB_WASM_CACHE`] (`0x72`): `cacheProgram(address)`, `evictCodehash(bytes32)` (the
//!   devnet's chain owner, dev account 0, stands in for Nitro's cache managers) and
//!   `codehashIsCached(bytes32)`. A cached program pays only the cached entry cost, as one
//!   kept in Nitro's program cache by the CacheManager auction does;
//! * Ethereum's precompiles (ecrecover at `0x01`, ...), unchanged;
//! * a callee whose code starts with `EF F0 00`: the program, if its code hash is activated,
//!   run through the chain's [`ProgramCache`] with an [`EvmApi`] over revm's context; a
//!   program that is not activated reverts with ArbWasm's `ProgramNotActivated()` error;
//! * anything else: `None`, so revm runs the EVM interpreter.
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
//! An activation is recorded in the state itself, in ArbWasm's storage: slot `codehash`
//! holds the program version (1). It is therefore journaled (a reverted transaction activates
//! nothing), kept per block, and undone by `evm_revert`. The decoded [`Program`]s are cached by
//! code hash in [`StylusRuntime`] (a cache only: a miss re-runs [`activate`] on the code).
//! `activateProgram` returns version 1 and a data fee of 0 (the devnet charges no activation
//! fee and no activation gas).

use std::{
    cell::RefCell,
    collections::{HashMap, HashSet},
    rc::Rc,
    sync::{Arc, Mutex},
};

use alloy_primitives::{address, keccak256, Address, Bytes, Log, B256, U256};
use revm::{
    context::{Cfg, ContextTr, Evm, JournalTr, LocalContextTr},
    context_interface::{cfg::GasParams, Block, CreateScheme, Host, Transaction},
    handler::{
        instructions::EthInstructions, EthFrame, EthPrecompiles, EvmTr, FrameResult, ItemOrResult,
        PrecompileProvider,
    },
    interpreter::{
        instructions::contract::load_account_delegated,
        interpreter::EthInterpreter,
        interpreter_action::{FrameInit, FrameInput},
        CallInput, CallInputs, CallScheme, CallValue, CreateInputs, Gas, InstructionResult,
        InterpreterResult, SharedMemory,
    },
    primitives::{hardfork::SpecId, AddressSet},
};

use super::evm::{ChainContext, SPEC};
use crate::activation::{activate, Program, STYLUS_MAGIC};
use crate::stylus::{
    api::{ApiError, CallKind, CallOutcome, CreateOutcome, EvmApi, EvmData},
    ProgramCache, Status,
};

/// ArbWasm, the Stylus precompile, at `0x71`.
pub const ARB_WASM: Address = address!("0000000000000000000000000000000000000071");

/// ArbWasmCache, the Stylus program cache's precompile, at `0x72`.
pub const ARB_WASM_CACHE: Address = address!("0000000000000000000000000000000000000072");

/// Who may cache and evict programs on the devnet: dev account 0 (on Arbitrum, the cache
/// managers the chain owner appoints).
pub const CACHE_MANAGER: Address = address!("f39Fd6e51aad88F6F4ce6aB8827279cffFb92266");

/// The Stylus version `activateProgram` reports.
pub const STYLUS_VERSION: u16 = 1;

/// revm's call depth limit.
const CALL_STACK_LIMIT: usize = 1024;

/// `activateProgram(address)`.
pub fn activate_program_selector() -> [u8; 4] {
    selector("activateProgram(address)")
}

/// The stylus-sdk constructor selector: `keccak256("stylus_constructor()")[..4]`.
pub fn stylus_constructor_selector() -> [u8; 4] {
    selector("stylus_constructor()")
}

/// ArbWasm's `ProgramNotActivated()` error (its 4-byte selector), the revert data of a call to
/// a program that was not activated.
pub fn program_not_activated_error() -> [u8; 4] {
    selector("ProgramNotActivated()")
}

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

/// Whether `code_hash` is in the program cache (ArbWasmCache's storage, slot `code_hash`).
fn is_cached(ctx: &mut ChainContext<'_>, code_hash: B256) -> bool {
    let journal = ctx.journal_mut();
    let _ = journal.load_account(ARB_WASM_CACHE);
    match journal.sload(ARB_WASM_CACHE, code_hash.into()) {
        Ok(v) => !v.data.is_zero(),
        Err(e) => match e {},
    }
}

/// ArbWasmCache at [`ARB_WASM_CACHE`]: caching, eviction and the query; see the module docs.
fn arb_wasm_cache(ctx: &mut ChainContext<'_>, inputs: &CallInputs) -> InterpreterResult {
    let gas = Gas::new(inputs.gas_limit);
    let done = |output: Vec<u8>| InterpreterResult {
        result: InstructionResult::Return,
        output: output.into(),
        gas,
    };
    let revert = |message: &str| InterpreterResult {
        result: InstructionResult::Revert,
        output: error_string(message),
        gas,
    };
    let input = inputs.input.as_bytes(&*ctx).to_vec();
    if input.len() < 36 {
        return revert("ArbWasmCache: calldata too short");
    }
    let word = B256::from_slice(&input[4..36]);
    let selector = [input[0], input[1], input[2], input[3]];
    if selector == self::selector("codehashIsCached(bytes32)") {
        return done(
            U256::from(is_cached(ctx, word))
                .to_be_bytes::<32>()
                .to_vec(),
        );
    }
    let caching = selector == self::selector("cacheProgram(address)");
    if !caching && selector != self::selector("evictCodehash(bytes32)") {
        return revert(
            "ArbWasmCache: only cacheProgram(address), evictCodehash(bytes32) and \
             codehashIsCached(bytes32) are implemented on this devnet",
        );
    }
    if inputs.is_static {
        return revert("ArbWasmCache: called in a static context");
    }
    if inputs.caller != CACHE_MANAGER {
        return revert("ArbWasmCache: caller is not a cache manager (dev account 0 on the devnet)");
    }
    let code_hash = if caching {
        let program = Address::from_slice(&word[12..]);
        match ctx.journal_mut().load_account_with_code(program) {
            Ok(account) => account.data.info.code_hash,
            Err(e) => match e {},
        }
    } else {
        word
    };
    let journal = ctx.journal_mut();
    let _ = journal.load_account(ARB_WASM);
    let version = match journal.sload(ARB_WASM, code_hash.into()) {
        Ok(v) => v.data,
        Err(e) => match e {},
    };
    if caching && version.is_zero() {
        return InterpreterResult {
            result: InstructionResult::Revert,
            output: program_not_activated_error().to_vec().into(),
            gas,
        };
    }
    let _ = journal.load_account(ARB_WASM_CACHE);
    let _ = journal.sstore(ARB_WASM_CACHE, code_hash.into(), U256::from(caching));
    journal.touch_account(ARB_WASM_CACHE);
    done(Vec::new())
}

/// ABI-encodes `Error(string)`.
fn error_string(message: &str) -> Bytes {
    let mut out = selector("Error(string)").to_vec();
    out.extend_from_slice(&U256::from(32).to_be_bytes::<32>());
    out.extend_from_slice(&U256::from(message.len()).to_be_bytes::<32>());
    out.extend_from_slice(message.as_bytes());
    let pad = (32 - message.len() % 32) % 32;
    out.extend(std::iter::repeat_n(0u8, pad));
    out.into()
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
            return Ok(Some(self.arb_wasm(ctx, inputs)));
        }
        if inputs.bytecode_address == ARB_WASM_CACHE {
            return Ok(Some(arb_wasm_cache(ctx, inputs)));
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

    fn arb_wasm(&mut self, ctx: &mut ChainContext<'_>, inputs: &CallInputs) -> InterpreterResult {
        let gas = Gas::new(inputs.gas_limit);
        let revert = |message: &str| InterpreterResult {
            result: InstructionResult::Revert,
            output: error_string(message),
            gas,
        };
        let input = inputs.input.as_bytes(&*ctx).to_vec();
        if input.len() < 4 || input[..4] != activate_program_selector() {
            return revert("ArbWasm: only activateProgram(address) is implemented on this devnet");
        }
        if input.len() < 36 {
            return revert("ArbWasm: activateProgram: calldata too short");
        }
        if inputs.is_static {
            return revert("ArbWasm: activateProgram called in a static context");
        }
        let program = Address::from_slice(&input[16..36]);
        let (code, code_hash) = match ctx.journal_mut().load_account_with_code(program) {
            Ok(account) => {
                let info = &account.data.info;
                (
                    info.code
                        .as_ref()
                        .map(|c| c.original_bytes())
                        .unwrap_or_default(),
                    info.code_hash,
                )
            }
            Err(e) => match e {},
        };
        let activated = match activate(&code) {
            Ok(p) => p,
            Err(e) => return revert(&format!("ArbWasm: activation failed: {e}")),
        };
        if let Ok(mut programs) = self.runtime.programs.lock() {
            programs.insert(code_hash, Arc::new(activated));
        }
        let journal = ctx.journal_mut();
        let _ = journal.load_account(ARB_WASM);
        let _ = journal.sstore(ARB_WASM, code_hash.into(), U256::from(STYLUS_VERSION));
        journal.touch_account(ARB_WASM);
        let mut output = U256::from(STYLUS_VERSION).to_be_bytes::<32>().to_vec();
        output.extend_from_slice(&[0u8; 32]);
        InterpreterResult {
            result: InstructionResult::Return,
            output: output.into(),
            gas,
        }
    }

    fn run_program(
        &mut self,
        ctx: &mut ChainContext<'_>,
        inputs: &CallInputs,
        code_hash: B256,
        code: &[u8],
    ) -> InterpreterResult {
        let mut gas = Gas::new(inputs.gas_limit);
        let journal = ctx.journal_mut();
        let _ = journal.load_account(ARB_WASM);
        let version = match journal.sload(ARB_WASM, code_hash.into()) {
            Ok(v) => v.data,
            Err(e) => match e {},
        };
        if version.is_zero() {
            return InterpreterResult {
                result: InstructionResult::Revert,
                output: program_not_activated_error().to_vec().into(),
                gas,
            };
        }
        let program = match self.runtime.program(code_hash, code) {
            Ok(p) => p,
            Err(e) => {
                return InterpreterResult {
                    result: InstructionResult::Revert,
                    output: error_string(&format!("stylus: program failed to load: {e}")),
                    gas,
                }
            }
        };
        let calldata = inputs.input.as_bytes(&*ctx).to_vec();
        let address = inputs.target_address;
        let data = {
            let block = ctx.block();
            EvmData {
                block_basefee: U256::from(block.basefee()),
                chain_id: ctx.cfg().chain_id(),
                block_coinbase: block.beneficiary(),
                block_gas_limit: block.gas_limit(),
                block_number: block.number().saturating_to(),
                block_timestamp: block.timestamp().saturating_to(),
                contract_address: address,
                msg_sender: inputs.caller,
                msg_value: inputs.value.get(),
                tx_gas_price: ctx.effective_gas_price(),
                tx_ink_price: 10_000,
                tx_origin: ctx.tx().caller(),
                reentrant: self.tx.borrow().running.contains(&address),
            }
        };
        let depth = ctx.journal().depth().saturating_sub(1);
        self.tx.borrow_mut().running.push(address);
        let mut api = ChainApi {
            ctx,
            provider: self.nested(),
            address,
            caller: inputs.caller,
            value: inputs.value.get(),
            is_static: inputs.is_static,
            depth,
            refund: 0,
        };
        let outcome = self.runtime.cache.run(
            code_hash,
            &program,
            &mut api,
            &data,
            &calldata,
            inputs.gas_limit,
        );
        let refund = api.refund;
        {
            let mut tx = self.tx.borrow_mut();
            tx.running.pop();
            tx.entered.insert(code_hash);
        }
        let used = inputs.gas_limit.saturating_sub(outcome.gas_left);
        match outcome.status {
            Status::Success => {
                let _ = gas.record_regular_cost(used);
                gas.record_refund(refund);
                InterpreterResult {
                    result: InstructionResult::Return,
                    output: outcome.output.into(),
                    gas,
                }
            }
            Status::Revert => {
                let _ = gas.record_regular_cost(used);
                InterpreterResult {
                    result: InstructionResult::Revert,
                    output: outcome.output.into(),
                    gas,
                }
            }
            Status::Failure(reason) => {
                gas.spend_all();
                let result = if reason.starts_with("out of ink") || reason.starts_with("out of gas")
                {
                    InstructionResult::OutOfGas
                } else {
                    InstructionResult::Revert
                };
                InterpreterResult {
                    result,
                    output: Bytes::new(),
                    gas,
                }
            }
        }
    }
}

impl<'r, 'a> PrecompileProvider<ChainContext<'a>> for StylusPrecompiles<'r> {
    type Output = InterpreterResult;

    fn set_spec(&mut self, spec: SpecId) -> bool {
        let changed =
            <EthPrecompiles as PrecompileProvider<ChainContext<'a>>>::set_spec(&mut self.eth, spec);
        self.warm = self.eth.warm_addresses().clone();
        self.warm.insert(ARB_WASM);
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

/// [`EvmApi`] over revm's context for one program call.
struct ChainApi<'c, 'a, 'r> {
    ctx: &'c mut ChainContext<'a>,
    provider: StylusPrecompiles<'r>,
    /// The storage context (the program's address, the caller's under delegate call).
    address: Address,
    /// `msg.sender` of the program call.
    caller: Address,
    /// Apparent value of the program call.
    value: U256,
    is_static: bool,
    /// Frame depth of the program call.
    depth: usize,
    /// Gas refund accumulated (SSTORE refunds, successful callees' refunds).
    refund: i64,
}

impl ChainApi<'_, '_, '_> {
    fn gas_params(&self) -> GasParams {
        self.ctx.cfg().gas_params().clone()
    }

    /// Runs one frame in a nested EVM over the same context, on a child slice of the shared
    /// memory buffer.
    fn run_frame(&mut self, frame_input: FrameInput) -> Result<FrameResult, String> {
        let buffer = self.ctx.local().shared_memory_buffer().clone();
        let mut memory = SharedMemory::new_with_buffer(buffer);
        memory.set_memory_limit(self.ctx.cfg().memory_limit());
        let child = memory.new_child_context();
        let init = FrameInit {
            depth: self.depth + 1,
            memory: child,
            frame_input,
        };
        let provider = self.provider.nested();
        let mut evm: Evm<
            &mut ChainContext<'_>,
            (),
            EthInstructions<EthInterpreter, &mut ChainContext<'_>>,
            StylusPrecompiles<'_>,
            EthFrame<EthInterpreter>,
        > = Evm::new(
            &mut *self.ctx,
            EthInstructions::new_mainnet_with_spec(SPEC),
            provider,
        );
        let result = (|| {
            let res = evm.frame_init(init).map_err(|e| format!("{e:?}"))?;
            if let ItemOrResult::Result(result) = res {
                return Ok(result);
            }
            loop {
                let call_or_result = evm.frame_run().map_err(|e| format!("{e:?}"))?;
                let result = match call_or_result {
                    ItemOrResult::Item(init) => {
                        match evm.frame_init(init).map_err(|e| format!("{e:?}"))? {
                            ItemOrResult::Item(_) => continue,
                            ItemOrResult::Result(result) => result,
                        }
                    }
                    ItemOrResult::Result(result) => result,
                };
                if let Some(result) = evm
                    .frame_return_result(result)
                    .map_err(|e| format!("{e:?}"))?
                {
                    return Ok(result);
                }
            }
        })();
        drop(evm);
        memory.free_child_context();
        result
    }

    /// Gas for touching an account (EIP-2929), plus `extra` when its code is read.
    fn touch_cost(&self, is_cold: bool, extra: u64) -> u64 {
        let params = self.ctx.cfg().gas_params();
        let warm = params.warm_storage_read_cost();
        extra
            + if is_cold {
                warm + params.cold_account_additional_cost()
            } else {
                warm
            }
    }
}

/// Nitro's extra charge for reading an account's code (`params.ExtcodeSizeGasEIP150`).
const EXTCODE_GAS: u64 = 700;

impl EvmApi for ChainApi<'_, '_, '_> {
    fn sload(&mut self, key: U256) -> (B256, u64) {
        let params = self.gas_params();
        let load = match self.ctx.journal_mut().sload(self.address, key) {
            Ok(load) => load,
            Err(e) => match e {},
        };
        let mut gas = params.warm_storage_read_cost();
        if load.is_cold {
            gas += params.cold_storage_additional_cost();
        }
        (B256::from(load.data), gas)
    }

    fn sstore(&mut self, key: U256, value: B256) -> Result<u64, ApiError> {
        if self.is_static {
            return Err(ApiError::WriteProtection);
        }
        let params = self.gas_params();
        let load = match self
            .ctx
            .journal_mut()
            .sstore(self.address, key, value.into())
        {
            Ok(load) => load,
            Err(e) => match e {},
        };
        let gas =
            params.sstore_static_gas() + params.sstore_dynamic_gas(true, &load.data, load.is_cold);
        self.refund += params.sstore_refund(true, &load.data);
        Ok(gas)
    }

    fn call(
        &mut self,
        kind: CallKind,
        to: Address,
        input: &[u8],
        gas: u64,
        value: U256,
    ) -> CallOutcome {
        let failed = |gas_used: u64| CallOutcome {
            success: false,
            output: Bytes::new(),
            gas_used,
        };
        let transfers = kind == CallKind::Call && !value.is_zero();
        if transfers && self.is_static {
            return failed(0);
        }
        if self.depth + 1 > CALL_STACK_LIMIT {
            return failed(0);
        }
        let params = self.gas_params();
        let (access, state_gas, bytecode, code_hash) = match load_account_delegated(
            &mut *self.ctx,
            SPEC,
            gas,
            to,
            transfers,
            kind == CallKind::Call,
        ) {
            Ok(loaded) => loaded,
            Err(_) => return failed(gas),
        };
        let mut base = params.warm_storage_read_cost() + access;
        if transfers {
            base += params.transfer_value_cost();
        }
        if gas < base {
            return failed(gas);
        }
        // As Nitro's `doCall` (arbos/programs/api.go): the 63/64 rule once more after the base
        // cost, the withheld 1/64 given back to the program.
        let rest = gas - base;
        let one64th = rest / 64;
        let callee_gas = rest - one64th;
        let limit = if transfers {
            callee_gas + params.call_stipend()
        } else {
            callee_gas
        };
        let (target, caller, call_value, scheme) = match kind {
            CallKind::Call => (
                to,
                self.address,
                CallValue::Transfer(value),
                CallScheme::Call,
            ),
            CallKind::Static => (
                to,
                self.address,
                CallValue::Transfer(U256::ZERO),
                CallScheme::StaticCall,
            ),
            CallKind::Delegate => (
                self.address,
                self.caller,
                CallValue::Apparent(self.value),
                CallScheme::DelegateCall,
            ),
        };
        let inputs = CallInputs {
            input: CallInput::Bytes(Bytes::copy_from_slice(input)),
            return_memory_offset: 0..0,
            gas_limit: limit,
            reservoir: 0,
            bytecode_address: to,
            known_bytecode: (code_hash, bytecode),
            target_address: target,
            caller,
            value: call_value,
            scheme,
            is_static: self.is_static || kind == CallKind::Static,
            charged_new_account_state_gas: state_gas > 0,
        };
        match self.run_frame(FrameInput::Call(Box::new(inputs))) {
            Ok(FrameResult::Call(outcome)) => {
                let result = outcome.result;
                let success = result.result.is_ok();
                let remaining = if result.result.is_ok_or_revert() {
                    result.gas.remaining()
                } else {
                    0
                };
                if success {
                    self.refund += result.gas.refunded();
                }
                CallOutcome {
                    success,
                    output: if success || result.result.is_revert() {
                        result.output
                    } else {
                        Bytes::new()
                    },
                    gas_used: gas.saturating_sub(remaining + one64th),
                }
            }
            Ok(FrameResult::Create(_)) | Err(_) => failed(gas),
        }
    }

    fn create(
        &mut self,
        init_code: &[u8],
        endowment: U256,
        salt: Option<B256>,
        gas: u64,
    ) -> CreateOutcome {
        let failed = |gas_used: u64| CreateOutcome {
            address: None,
            output: Bytes::new(),
            gas_used,
        };
        if self.is_static || self.depth + 1 > CALL_STACK_LIMIT {
            return failed(0);
        }
        let params = self.gas_params();
        let (base, scheme) = match salt {
            Some(salt) => (
                params.create2_cost(init_code.len()),
                CreateScheme::Create2 { salt: salt.into() },
            ),
            None => (params.create_cost(), CreateScheme::Create),
        };
        if gas < base {
            return failed(gas);
        }
        let rest = gas - base;
        let one64th = rest / 64;
        let limit = rest - one64th;
        let inputs = CreateInputs::new(
            self.address,
            scheme,
            endowment,
            Bytes::copy_from_slice(init_code),
            limit,
            0,
        );
        match self.run_frame(FrameInput::Create(Box::new(inputs))) {
            Ok(FrameResult::Create(outcome)) => {
                let result = outcome.result;
                let remaining = if result.result.is_ok_or_revert() {
                    result.gas.remaining()
                } else {
                    0
                };
                let success = result.result.is_ok();
                if success {
                    self.refund += result.gas.refunded();
                }
                CreateOutcome {
                    address: if success { outcome.address } else { None },
                    output: if result.result.is_revert() {
                        result.output
                    } else {
                        Bytes::new()
                    },
                    gas_used: gas.saturating_sub(remaining + one64th),
                }
            }
            Ok(FrameResult::Call(_)) | Err(_) => failed(gas),
        }
    }

    fn emit_log(&mut self, topics: Vec<B256>, data: Bytes) -> Result<(), ApiError> {
        if self.is_static {
            return Err(ApiError::WriteProtection);
        }
        self.ctx
            .journal_mut()
            .log(Log::new_unchecked(self.address, topics, data));
        Ok(())
    }

    fn account_balance(&mut self, address: Address) -> (U256, u64) {
        match self.ctx.journal_mut().load_account(address) {
            Ok(load) => {
                let balance = load.data.info.balance;
                let cold = load.is_cold;
                (balance, self.touch_cost(cold, 0))
            }
            Err(e) => match e {},
        }
    }

    fn account_code(&mut self, address: Address) -> (Bytes, u64) {
        match Host::load_account_code(&mut *self.ctx, address) {
            Some(load) => {
                let cold = load.is_cold;
                (load.data, self.touch_cost(cold, EXTCODE_GAS))
            }
            None => (Bytes::new(), self.touch_cost(true, EXTCODE_GAS)),
        }
    }

    fn account_codehash(&mut self, address: Address) -> (B256, u64) {
        match Host::load_account_code_hash(&mut *self.ctx, address) {
            Some(load) => {
                let cold = load.is_cold;
                (load.data, self.touch_cost(cold, 0))
            }
            None => (B256::ZERO, self.touch_cost(true, 0)),
        }
    }

    fn stylus_pages(&mut self) -> (u16, u16) {
        self.provider.tx.borrow().pages
    }

    fn set_stylus_pages(&mut self, open: u16, ever: u16) {
        self.provider.tx.borrow_mut().pages = (open, ever);
    }

    fn program_cached(&mut self, code_hash: B256) -> bool {
        self.provider.tx.borrow().entered.contains(&code_hash)
            || is_cached(&mut *self.ctx, code_hash)
    }
}
