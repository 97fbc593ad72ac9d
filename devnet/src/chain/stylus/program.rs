//! Running a program inside the chain, and its calls back into the EVM ([`ChainApi`]); see
//! "Calls from programs" in the parent module's docs.

use alloy_primitives::{Address, Bytes, Log, B256, U256};
use revm::{
    context::{Cfg, ContextTr, Evm, JournalTr, LocalContextTr},
    context_interface::{cfg::GasParams, Block, CreateScheme, Host, Transaction},
    handler::{instructions::EthInstructions, EthFrame, EvmTr, FrameResult, ItemOrResult},
    interpreter::{
        instructions::contract::load_account_delegated,
        interpreter::EthInterpreter,
        interpreter_action::{FrameInit, FrameInput},
        CallInput, CallInputs, CallScheme, CallValue, CreateInputs, Gas, InstructionResult,
        InterpreterResult, SharedMemory,
    },
};

use alloy_sol_types::SolInterface;

use super::{error_string, is_cached, program_record, StylusPrecompiles};
use crate::chain::evm::{ChainContext, SPEC};
use crate::stylus::ink::DEFAULT_INK_PRICE;
use crate::stylus::{
    api::{CallKind, CallOutcome, CreateOutcome, EvmApi, EvmApiError, EvmData},
    Status,
};

/// revm's call depth limit.
const CALL_STACK_LIMIT: usize = 1024;

impl StylusPrecompiles<'_> {
    /// Runs the Stylus program `code` (hash `code_hash`) for the call `inputs`, if its record is
    /// active (`getActiveProgram`: activated for the current version and not expired).
    pub(super) fn run_program(
        &mut self,
        ctx: &mut ChainContext<'_>,
        inputs: &CallInputs,
        code_hash: B256,
        code: &[u8],
    ) -> InterpreterResult {
        let mut gas = Gas::new(inputs.gas_limit);
        let time: u64 = ctx.block().timestamp().saturating_to();
        if let Err(error) = program_record::load(ctx, code_hash).active(time) {
            return InterpreterResult {
                result: InstructionResult::Revert,
                output: error.abi_encode().into(),
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
                tx_ink_price: DEFAULT_INK_PRICE as u32,
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

    fn sstore(&mut self, key: U256, value: B256) -> Result<u64, EvmApiError> {
        if self.is_static {
            return Err(EvmApiError::WriteProtection);
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

    fn emit_log(&mut self, topics: Vec<B256>, data: Bytes) -> Result<(), EvmApiError> {
        if self.is_static {
            return Err(EvmApiError::WriteProtection);
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
