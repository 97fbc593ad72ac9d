//! How a call reaches an ArbOS precompile, as Nitro's `Precompile.Call`
//! (`precompiles/precompile.go`) frames it: what refuses a call before its method runs, the gas
//! the frame itself charges, and how a method's outcome becomes the call's result.

use alloy_primitives::{Address, Bytes, Log, U256};
use alloy_sol_types::{SolEvent, SolInterface};
use revm::{
    context::{ContextTr, JournalTr},
    interpreter::{CallInputs, Gas, InstructionResult, InterpreterResult},
};

use crate::chain::evm::ChainContext;

/// Gas of an ArbOS storage read (`StorageReadCost` = `SloadGasEIP2200`).
pub(super) const STORAGE_READ_GAS: u64 = 800;
/// Gas of an ArbOS storage write of a non-zero word (`StorageWriteCost` = `SstoreSetGasEIP2200`).
pub(super) const STORAGE_WRITE_GAS: u64 = 20_000;
/// Gas of an ArbOS storage write of zero (`StorageWriteZeroCost` = `SstoreResetGasEIP2200`).
pub(super) const STORAGE_WRITE_ZERO_GAS: u64 = 5_000;
/// Gas of reading an account's code hash from ArbOS (`StorageCodeHashCost`).
pub(super) const CODE_HASH_GAS: u64 = 2_600;
/// Gas of reading the Stylus parameters (`Programs.Params`: one warm read).
pub(super) const PARAMS_GAS: u64 = 100;
/// Gas per 32-byte word of arguments and of results (`params.CopyGas`).
const COPY_GAS: u64 = 3;
/// Gas of a log, per topic (the event's own included) and per data byte (`LogGas`,
/// `LogTopicGas`, `LogDataGas`).
const LOG_GAS: u64 = 375;
const LOG_TOPIC_GAS: u64 = 375;
const LOG_DATA_GAS: u64 = 8;

/// How a method's mutability lets it be called (`purity` in Nitro).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Purity {
    /// Reads state; callable in a static context, not with value.
    View,
    /// Writes state; refused in a static context and with value.
    Write,
    /// Writes state and takes value.
    Payable,
}

/// Why a method stopped.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Stop {
    /// One of the precompile's Solidity errors (its ABI encoding): revert with it, keeping the
    /// gas left.
    Error(Vec<u8>),
    /// A failure that is not a Solidity error: revert with no data, keeping the gas left.
    Failed,
    /// Out of gas, or a refusal Nitro punishes by burning all gas: revert with no data.
    BurnOut,
}

impl Stop {
    /// The revert of a precompile error.
    pub(super) fn error<E: SolInterface>(error: E) -> Self {
        Stop::Error(error.abi_encode())
    }
}

/// The gas of one precompile call.
#[derive(Debug)]
pub(super) struct Meter {
    limit: u64,
    used: u64,
}

impl Meter {
    /// A meter with `limit` gas.
    pub(super) fn new(limit: u64) -> Self {
        Meter { limit, used: 0 }
    }

    /// Gas not yet used.
    pub(super) fn left(&self) -> u64 {
        self.limit - self.used
    }

    /// Charges `gas`, or burns everything left if there is not enough (`Context.Burn`).
    pub(super) fn burn(&mut self, gas: u64) -> Result<(), Stop> {
        if self.left() < gas {
            self.used = self.limit;
            return Err(Stop::BurnOut);
        }
        self.used += gas;
        Ok(())
    }

    /// Charges an ArbOS storage write of `value`.
    pub(super) fn burn_write(&mut self, value: U256) -> Result<(), Stop> {
        self.burn(if value.is_zero() {
            STORAGE_WRITE_ZERO_GAS
        } else {
            STORAGE_WRITE_GAS
        })
    }

    /// Charges for and emits `event` from the precompile at `address` (Nitro prices an event
    /// by its topics and data bytes).
    pub(super) fn emit(
        &mut self,
        ctx: &mut ChainContext<'_>,
        address: Address,
        event: &impl SolEvent,
    ) -> Result<(), Stop> {
        let data = event.encode_log_data();
        let topics = data.topics().len() as u64;
        let bytes = data.data.len() as u64;
        self.burn(LOG_GAS + LOG_TOPIC_GAS * topics + LOG_DATA_GAS * bytes)?;
        ctx.journal_mut().log(Log { address, data });
        Ok(())
    }

    /// Burns all the gas left.
    pub(super) fn burn_out(&mut self) {
        self.used = self.limit;
    }
}

/// The checks and charges before a method runs, in Nitro's order: a method that writes is
/// refused in a static context, one that is not payable refuses value, a delegate call (the
/// precompile not acting as itself) is refused; then opening ArbOS's state (one storage read)
/// and the argument words are charged. A refusal burns all gas.
pub(super) fn enter(
    inputs: &CallInputs,
    own_address: Address,
    purity: Purity,
    args_len: usize,
    meter: &mut Meter,
) -> Result<(), Stop> {
    if inputs.target_address != own_address
        || (purity >= Purity::Write && inputs.is_static)
        || (purity < Purity::Payable && !inputs.value.get().is_zero())
    {
        return Err(Stop::BurnOut);
    }
    meter.burn(STORAGE_READ_GAS)?;
    meter.burn(COPY_GAS * (args_len as u64).div_ceil(32))
}

/// The call's result: `outcome`'s output (or revert), with the result words charged as Nitro
/// does; a refusal or running out burns all gas.
pub(super) fn finish(mut meter: Meter, outcome: Result<Vec<u8>, Stop>) -> InterpreterResult {
    let (result, output) = match outcome {
        Ok(output) => match meter.burn(COPY_GAS * (output.len() as u64).div_ceil(32)) {
            Ok(()) => (InstructionResult::Return, output),
            Err(_) => (InstructionResult::Revert, Vec::new()),
        },
        Err(Stop::Error(data)) => match meter.burn(COPY_GAS * (data.len() as u64).div_ceil(32)) {
            Ok(()) => (InstructionResult::Revert, data),
            Err(_) => (InstructionResult::Revert, Vec::new()),
        },
        Err(Stop::Failed) => (InstructionResult::Revert, Vec::new()),
        Err(Stop::BurnOut) => {
            meter.burn_out();
            (InstructionResult::Revert, Vec::new())
        }
    };
    let mut gas = Gas::new(meter.limit);
    let _ = gas.record_regular_cost(meter.used);
    InterpreterResult {
        result,
        output: Bytes::from(output),
        gas,
    }
}

/// A refused call (too short, unknown selector, arguments that do not decode): no data, all
/// gas burnt, as Nitro refuses a method it does not have.
pub(super) fn unknown_method(gas_limit: u64) -> InterpreterResult {
    finish(Meter::new(gas_limit), Err(Stop::BurnOut))
}
