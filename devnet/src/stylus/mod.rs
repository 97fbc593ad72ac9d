//! The Stylus program executor: runs an activated program's Wasm with `wasmi`, implementing the
//! `vm_hooks` host functions over an [`EvmApi`], and meters it in ink as Nitro does.
//!
//! [`execute`] (or [`ProgramCache::run`]) compiles the program once per code hash, instantiates
//! it with a fresh memory, calls `user_entrypoint(calldata.len())` and maps the result to an
//! [`Outcome`]: status 0 is [`Status::Success`], 1 is [`Status::Revert`] (the output is the
//! revert data, unused gas is returned), anything else, a trap or running out of ink is
//! [`Status::Failure`] and consumes all the gas, as in Nitro.
//!
//! # Host functions
//!
//! All 42 `vm_hooks` functions are linked ([`crate::activation::HOSTIOS`]): the 34 that
//! `stylus-sdk` 0.10 imports, plus `exit_early` and the five `math_*` functions, with Nitro's
//! semantics (`crates/wasm-libraries/user-host-trait/lib.rs`, `crates/arbutil/src/evm/req.rs`,
//! `arbos/programs/api.go`). `transient_load_bytes32` and `transient_store_bytes32` end the call
//! with `Failure("unsupported hostio ...")`: [`EvmApi`] has no transient storage.
//!
//! Semantics worth knowing:
//! * storage goes through a per-call cache ([`storage`]): a load of a cached slot costs no EVM
//!   gas; `storage_cache_bytes32` only writes the cache; `storage_flush_cache` stores every
//!   dirty slot through [`EvmApi::sstore`] in slot order. The cache is not flushed when the
//!   program returns: the SDK flushes before returning and before calls.
//! * calls offer the callee `min(requested, left - left/64)` gas and charge the EVM gas the
//!   api reports as used (which should include the access and value-transfer costs); the
//!   return-data length is written to the pointer and the data kept for `read_return_data`.
//! * `create1` / `create2` offer `left - left/64`, write the new address or zero, and keep the
//!   revert data as return data.
//!
//! # Metering (an estimate of Nitro's L2 execution gas)
//!
//! Ink is wasmi fuel, [`ink::INK_PER_FUEL`] (35) ink per unit; 10,000 ink per gas (or
//! [`EvmData::tx_ink_price`] when set). The charges, with their sources listed in [`ink`]:
//! * **entry**: [`ink::cached_gas`] (352 gas plus the program's cached cost) on every call,
//!   plus [`ink::init_gas`] (8,832 gas plus the program's init cost) unless
//!   [`EvmApi::program_cached`]; plus the memory model's price of the module's initial pages
//!   on top of the pages already open in the transaction ([`EvmApi::stylus_pages`]). Both
//!   program costs are predicted at activation from the module's shape, as Nitro does
//!   ([`crate::activation::entry_costs`]).
//! * **operators**: Nitro's `pricing_v1` per-operator ink, with its basic-block header (2,450
//!   ink) charged once per basic block executed by adding it to the operators that end or
//!   open one, installed as wasmi's per-operator fuel table
//!   and rounded to 35-ink units ([`ink::operator_costs`], which lists the deviations:
//!   `call_indirect` and `br_table` capped at 8,925 ink, float operators at 8,925 ink instead
//!   of "infinite"). wasmi charges each basic block's summed cost on entry, as Nitro's
//!   instrumentation does. It is not an instrumentation of the module itself, except for
//!   [`dynamic`]: `memory.copy` and `memory.fill` pay 100 ink per byte on top, as Nitro's
//!   dynamic meter charges, through a host call inserted before each.
//! * **operators, measured**: a counting loop costs 3,885 ink per iteration against Nitro's
//!   3,891 (test `operators_cost_nitros_ink`).
//! * **host calls**: Nitro's base ink per hostio, its read/write byte prices, keccak price,
//!   EVM gas from the api (SLOAD/SSTORE, account access, calls), log gas (375 per topic plus
//!   one, 8 per byte), the storage cache's own gas, and `pay_for_memory_grow` by the memory
//!   model.
//!
//! # Build note
//!
//! `wasmi` is built with its `auto-dispatch` feature: without it, an unoptimised (debug) build
//! uses tail-call dispatch that LLVM does not optimise at `opt-level` 0, and any real program
//! overflows the stack.

pub mod api;
mod cache;
pub mod dynamic;
mod host;
pub mod ink;
pub mod storage;

pub use api::{EvmApi, EvmData};
pub use cache::{execute, ProgramCache};

/// How a program call ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    /// Status 0: the call succeeded.
    Success,
    /// Status 1: the program reverted; the output is the revert data.
    Revert,
    /// A trap, running out of ink, an invalid status or a failed host call; all gas consumed.
    Failure(String),
}

/// The result of one program call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// How it ended.
    pub status: Status,
    /// Return data (success) or revert data (revert); empty on failure.
    pub output: Vec<u8>,
    /// Gas left of the gas given (zero on failure).
    pub gas_left: u64,
}

impl Outcome {
    /// A failure: no output, no gas left.
    pub fn failure(reason: impl Into<String>) -> Self {
        Outcome {
            status: Status::Failure(reason.into()),
            output: Vec::new(),
            gas_left: 0,
        }
    }
}
