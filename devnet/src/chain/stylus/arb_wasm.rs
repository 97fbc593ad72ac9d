//! ArbWasm at [`ARB_WASM`]: every method of Nitro's `precompiles/ArbWasm.go`, over the program
//! records ([`program_record`](super::program_record)), the data pricer
//! ([`data_pricer`](super::data_pricer)) and [`STYLUS_PARAMS`], charging the gas Nitro's
//! implementation burns (storage reads and writes at ArbOS's prices, the fixed activation
//! charge, the compile gas, events).

use std::sync::Arc;

use alloy_primitives::{keccak256, Address, B256, U256};
use alloy_sol_types::{SolCall, SolInterface};
use revm::{
    context::{Block, ContextTr, JournalTr},
    interpreter::{CallInputs, InterpreterResult},
};

use super::abi::ArbWasm::{self as I, ArbWasmCalls as Call, ArbWasmErrors as Error};
use super::precompile::{
    self, Meter, Purity, Stop, CODE_HASH_GAS, PARAMS_GAS, STORAGE_READ_GAS, STORAGE_WRITE_GAS,
};
use super::program_record::{self, days_to_seconds, hours_since_arbitrum, ProgramRecord};
use super::{data_pricer, StylusRuntime, ARB_WASM, NETWORK_FEE_ACCOUNT};
use crate::activation::{activate, ActivationError};
use crate::chain::evm::ChainContext;
use crate::stylus::ink::{COST_SCALAR_PERCENT, MIN_CACHED_GAS, MIN_INIT_GAS, STYLUS_PARAMS as P};

/// Gas every activation burns up front (`ActivateProgram`'s fixed charge).
pub const ACTIVATION_FIXED_GAS: u64 = 1_659_168;

/// Serves one call to ArbWasm.
pub(super) fn arb_wasm(
    runtime: &StylusRuntime,
    ctx: &mut ChainContext<'_>,
    inputs: &CallInputs,
) -> InterpreterResult {
    let input = inputs.input.as_bytes(&*ctx).to_vec();
    let Ok(call) = Call::abi_decode(&input) else {
        return precompile::unknown_method(inputs.gas_limit);
    };
    let purity = match call {
        Call::activateProgram(_) | Call::codehashKeepalive(_) => Purity::Payable,
        _ => Purity::View,
    };
    let mut meter = Meter::new(inputs.gas_limit);
    let outcome = precompile::enter(inputs, ARB_WASM, purity, input.len() - 4, &mut meter)
        .and_then(|()| {
            let mut m = Method {
                ctx,
                meter: &mut meter,
                caller: inputs.caller,
                value: inputs.value.get(),
            };
            m.run(runtime, call)
        });
    precompile::finish(meter, outcome)
}

/// One method call in progress.
struct Method<'m, 'a> {
    ctx: &'m mut ChainContext<'a>,
    meter: &'m mut Meter,
    caller: Address,
    value: U256,
}

fn err(e: Error) -> Stop {
    Stop::error(e)
}

impl Method<'_, '_> {
    fn run(&mut self, runtime: &StylusRuntime, call: Call) -> Result<Vec<u8>, Stop> {
        let params = |m: &mut Self| m.meter.burn(PARAMS_GAS);
        Ok(match call {
            Call::activateProgram(c) => {
                let (version, data_fee) = self.activate(runtime, c.program)?;
                I::activateProgramCall::abi_encode_returns(&I::activateProgramReturn {
                    version,
                    dataFee: data_fee,
                })
            }
            Call::codehashKeepalive(c) => {
                self.keepalive(c.codehash)?;
                Vec::new()
            }
            Call::stylusVersion(_) => {
                params(self)?;
                I::stylusVersionCall::abi_encode_returns(&P.version)
            }
            Call::codehashVersion(c) => {
                params(self)?;
                let r = self.active(c.codehash)?;
                I::codehashVersionCall::abi_encode_returns(&r.version)
            }
            Call::codehashAsmSize(c) => {
                params(self)?;
                let r = self.active(c.codehash)?;
                I::codehashAsmSizeCall::abi_encode_returns(&r.asm_size())
            }
            Call::programVersion(c) => {
                let hash = self.code_hash(c.program)?;
                params(self)?;
                let r = self.active(hash)?;
                I::programVersionCall::abi_encode_returns(&r.version)
            }
            Call::programInitGas(c) => {
                params(self)?;
                let hash = self.code_hash(c.program)?;
                let r = self.active(hash)?;
                let cached = r.cached_gas();
                I::programInitGasCall::abi_encode_returns(&I::programInitGasReturn {
                    gas: r.init_gas() + cached,
                    gasWhenCached: cached,
                })
            }
            Call::programMemoryFootprint(c) => {
                params(self)?;
                let hash = self.code_hash(c.program)?;
                let r = self.active(hash)?;
                I::programMemoryFootprintCall::abi_encode_returns(&r.footprint)
            }
            Call::programTimeLeft(c) => {
                params(self)?;
                let hash = self.code_hash(c.program)?;
                let r = self.active(hash)?;
                let left = days_to_seconds(P.expiry_days).saturating_sub(r.age(self.time()));
                I::programTimeLeftCall::abi_encode_returns(&left)
            }
            Call::inkPrice(_) => {
                params(self)?;
                I::inkPriceCall::abi_encode_returns(&P.ink_price)
            }
            Call::maxStackDepth(_) => {
                params(self)?;
                I::maxStackDepthCall::abi_encode_returns(&P.max_stack_depth)
            }
            Call::freePages(_) => {
                params(self)?;
                I::freePagesCall::abi_encode_returns(&P.free_pages)
            }
            Call::pageGas(_) => {
                params(self)?;
                I::pageGasCall::abi_encode_returns(&P.page_gas)
            }
            Call::pageRamp(_) => {
                params(self)?;
                I::pageRampCall::abi_encode_returns(&P.page_ramp)
            }
            Call::pageLimit(_) => {
                params(self)?;
                I::pageLimitCall::abi_encode_returns(&P.page_limit)
            }
            Call::minInitGas(_) => {
                params(self)?;
                I::minInitGasCall::abi_encode_returns(&I::minInitGasReturn {
                    gas: MIN_INIT_GAS,
                    cached: MIN_CACHED_GAS,
                })
            }
            Call::initCostScalar(_) => {
                params(self)?;
                let percent = u64::from(P.init_cost_scalar) * COST_SCALAR_PERCENT;
                I::initCostScalarCall::abi_encode_returns(&percent)
            }
            Call::expiryDays(_) => {
                params(self)?;
                I::expiryDaysCall::abi_encode_returns(&P.expiry_days)
            }
            Call::keepaliveDays(_) => {
                params(self)?;
                I::keepaliveDaysCall::abi_encode_returns(&P.keepalive_days)
            }
            Call::blockCacheSize(_) => {
                params(self)?;
                I::blockCacheSizeCall::abi_encode_returns(&P.block_cache_size)
            }
            Call::activationGas(_) => {
                self.meter.burn(STORAGE_READ_GAS)?;
                I::activationGasCall::abi_encode_returns(&P.activation_gas)
            }
        })
    }

    fn time(&self) -> u64 {
        self.ctx.block().timestamp().saturating_to()
    }

    /// The code hash of `program` (`GetCodeHash`).
    fn code_hash(&mut self, program: Address) -> Result<B256, Stop> {
        self.meter.burn(CODE_HASH_GAS)?;
        Ok(match self.ctx.journal_mut().load_account(program) {
            Ok(account) => account.data.info.code_hash,
            Err(e) => match e {},
        })
    }

    /// The record of `code_hash` (one storage read).
    fn record(&mut self, code_hash: B256) -> Result<ProgramRecord, Stop> {
        self.meter.burn(STORAGE_READ_GAS)?;
        Ok(program_record::load(self.ctx, code_hash))
    }

    /// The record of an active program (`getActiveProgram`).
    fn active(&mut self, code_hash: B256) -> Result<ProgramRecord, Stop> {
        let time = self.time();
        self.record(code_hash)?.active(time).map_err(err)
    }

    /// `activateProgram` (`ArbWasm.ActivateProgram` and `Programs.ActivateProgram`).
    fn activate(&mut self, runtime: &StylusRuntime, program: Address) -> Result<(u16, U256), Stop> {
        self.meter.burn(STORAGE_READ_GAS)?;
        self.meter.burn(P.activation_gas)?;
        self.meter.burn(ACTIVATION_FIXED_GAS)?;
        let (code, code_hash) = match self.ctx.journal_mut().load_account_with_code(program) {
            Ok(account) => {
                let info = &account.data.info;
                let code = info.code.as_ref().map(|c| c.original_bytes());
                (code.unwrap_or_default(), info.code_hash)
            }
            Err(e) => match e {},
        };
        self.meter.burn(PARAMS_GAS)?;
        let time = self.time();
        let old = self.record(code_hash)?;
        let expired = old.activated_at == 0 || old.expired(time);
        if old.version == P.version && !expired {
            return Err(err(Error::ProgramUpToDate(I::ProgramUpToDate {})));
        }
        if code.is_empty() {
            return Err(err(Error::ProgramNotWasm(I::ProgramNotWasm {})));
        }
        let activated = activate(&code).map_err(|e| match e {
            ActivationError::NotStylusProgram { .. } => {
                err(Error::ProgramNotWasm(I::ProgramNotWasm {}))
            }
            // Reading the Wasm out of the code fails before compiling: a plain revert.
            ActivationError::UnsupportedDictionary(_)
            | ActivationError::Decompress(_)
            | ActivationError::DecompressedTooLarge { .. }
            | ActivationError::CompressedTooLarge { .. } => Stop::Failed,
            // Compiling fails: Nitro takes all the gas.
            _ => Stop::BurnOut,
        })?;
        let info = &activated.info;
        self.meter.burn(info.activation_gas)?;
        if old.cached {
            self.meter.burn(STORAGE_READ_GAS)?;
        }
        self.meter.burn(STORAGE_WRITE_GAS)?;
        let data_fee = self.update_pricer(info.asm_estimate, time)?;
        let record = ProgramRecord {
            version: P.version,
            init_cost: info.init_cost,
            cached_cost: info.cached_init_cost,
            footprint: info.memory_initial_pages,
            activated_at: hours_since_arbitrum(time),
            asm_estimate_kb: info.asm_estimate.div_ceil(1024),
            cached: old.cached,
        };
        self.meter.burn(STORAGE_WRITE_GAS)?;
        program_record::store(self.ctx, code_hash, record);
        let module_hash = keccak256(&activated.wasm);
        if let Ok(mut programs) = runtime.programs.lock() {
            programs.insert(code_hash, Arc::new(activated));
        }
        self.pay_data_fee(data_fee)?;
        let event = I::ProgramActivated {
            codehash: code_hash,
            moduleHash: module_hash,
            program,
            dataFee: data_fee,
            version: P.version,
        };
        self.meter.emit(self.ctx, ARB_WASM, &event)?;
        Ok((P.version, data_fee))
    }

    /// `codehashKeepalive` (`ProgramKeepalive`): restarts the expiry clock of an active
    /// program at least [`StylusParams::keepalive_days`](crate::stylus::ink::StylusParams)
    /// old, for the data fee of its size.
    fn keepalive(&mut self, code_hash: B256) -> Result<(), Stop> {
        self.meter.burn(PARAMS_GAS)?;
        let time = self.time();
        let mut record = self.active(code_hash)?;
        let age = record.age(time);
        if age < days_to_seconds(P.keepalive_days) {
            return Err(err(Error::ProgramKeepaliveTooSoon(
                I::ProgramKeepaliveTooSoon { ageInSeconds: age },
            )));
        }
        let data_fee = self.update_pricer(record.asm_size(), time)?;
        record.activated_at = hours_since_arbitrum(time);
        self.meter.burn(STORAGE_WRITE_GAS)?;
        program_record::store(self.ctx, code_hash, record);
        self.pay_data_fee(data_fee)?;
        let event = I::ProgramLifetimeExtended {
            codehash: code_hash,
            dataFee: data_fee,
        };
        self.meter.emit(self.ctx, ARB_WASM, &event)
    }

    /// Runs the data pricer for `bytes` at `time` (five reads, two writes) and returns the fee.
    fn update_pricer(&mut self, bytes: u32, time: u64) -> Result<U256, Stop> {
        self.meter.burn(5 * STORAGE_READ_GAS)?;
        let mut pricer = data_pricer::load(self.ctx);
        let fee = pricer.update_model(bytes, time);
        self.meter.burn_write(U256::from(pricer.demand))?;
        self.meter.burn_write(U256::from(pricer.last_update_time))?;
        data_pricer::store(self.ctx, pricer);
        Ok(fee)
    }

    /// `payActivationDataFee`: the call's value must cover `fee`, which goes to the network fee
    /// account; the rest goes back to the caller.
    fn pay_data_fee(&mut self, fee: U256) -> Result<(), Stop> {
        if self.value < fee {
            return Err(err(Error::ProgramInsufficientValue(
                I::ProgramInsufficientValue {
                    have: self.value,
                    want: fee,
                },
            )));
        }
        self.meter.burn(STORAGE_READ_GAS)?;
        let journal = self.ctx.journal_mut();
        for (to, amount) in [(NETWORK_FEE_ACCOUNT, fee), (self.caller, self.value - fee)] {
            match journal.transfer(ARB_WASM, to, amount) {
                Ok(None) => {}
                Ok(Some(_)) => return Err(Stop::Failed),
                Err(e) => match e {},
            }
        }
        Ok(())
    }
}
