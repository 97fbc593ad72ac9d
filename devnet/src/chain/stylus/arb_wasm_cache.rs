//! ArbWasmCache at [`ARB_WASM_CACHE`]: Nitro's `precompiles/ArbWasmCache.go` over the cached
//! flag of the program records. The devnet appoints no cache managers; its chain owner
//! ([`CHAIN_OWNER`], dev account 0) may cache and evict, as a Nitro chain owner may. A cached
//! program pays only the cached entry cost, as one the CacheManager auction keeps in Nitro's
//! program cache.

use alloy_primitives::{Address, B256};
use alloy_sol_types::{SolCall, SolInterface};
use revm::{
    context::{Block, ContextTr, JournalTr},
    interpreter::{CallInputs, InterpreterResult},
};

use super::abi::ArbWasm::{ArbWasmErrors, ProgramExpired, ProgramNeedsUpgrade};
use super::abi::ArbWasmCache::{self as I, ArbWasmCacheCalls as Call};
use super::precompile::{
    self, Meter, Purity, Stop, CODE_HASH_GAS, PARAMS_GAS, STORAGE_READ_GAS, STORAGE_WRITE_GAS,
};
use super::program_record;
use super::{ARB_WASM_CACHE, CHAIN_OWNER};
use crate::chain::evm::ChainContext;
use crate::stylus::ink::STYLUS_PARAMS;

/// Serves one call to ArbWasmCache.
pub(super) fn arb_wasm_cache(ctx: &mut ChainContext<'_>, inputs: &CallInputs) -> InterpreterResult {
    let input = inputs.input.as_bytes(&*ctx).to_vec();
    let call = match Call::abi_decode(&input) {
        // `cacheCodehash` was withdrawn at ArbOS 31: Nitro treats it as an unknown method.
        Ok(Call::cacheCodehash(_)) | Err(_) => return precompile::unknown_method(inputs.gas_limit),
        Ok(call) => call,
    };
    let purity = match call {
        Call::cacheProgram(_) | Call::evictCodehash(_) => Purity::Write,
        _ => Purity::View,
    };
    let mut meter = Meter::new(inputs.gas_limit);
    let outcome = precompile::enter(inputs, ARB_WASM_CACHE, purity, input.len() - 4, &mut meter)
        .and_then(|()| run(ctx, &mut meter, inputs.caller, call));
    precompile::finish(meter, outcome)
}

fn run(
    ctx: &mut ChainContext<'_>,
    meter: &mut Meter,
    caller: Address,
    call: Call,
) -> Result<Vec<u8>, Stop> {
    Ok(match call {
        Call::isCacheManager(_) => {
            meter.burn(STORAGE_READ_GAS)?;
            I::isCacheManagerCall::abi_encode_returns(&false)
        }
        Call::allCacheManagers(_) => {
            meter.burn(STORAGE_READ_GAS)?;
            I::allCacheManagersCall::abi_encode_returns(&Vec::new())
        }
        Call::codehashIsCached(c) => {
            meter.burn(STORAGE_READ_GAS)?;
            let cached = program_record::load(ctx, c.codehash).cached;
            I::codehashIsCachedCall::abi_encode_returns(&cached)
        }
        Call::cacheProgram(c) => {
            meter.burn(CODE_HASH_GAS)?;
            let code_hash = match ctx.journal_mut().load_account(c.addr) {
                Ok(account) => account.data.info.code_hash,
                Err(e) => match e {},
            };
            set_cached(ctx, meter, caller, code_hash, true)?;
            Vec::new()
        }
        Call::evictCodehash(c) => {
            set_cached(ctx, meter, caller, c.codehash, false)?;
            Vec::new()
        }
        Call::cacheCodehash(_) => return Err(Stop::BurnOut),
    })
}

/// `setProgramCached` and `Programs.SetProgramCached`: only a cache manager or the chain owner
/// (anyone else burns all gas); an outdated or expired program cannot be cached; a change
/// emits `UpdateProgramCache` and costs the program's init cost.
fn set_cached(
    ctx: &mut ChainContext<'_>,
    meter: &mut Meter,
    caller: Address,
    code_hash: B256,
    cache: bool,
) -> Result<(), Stop> {
    // Is the caller a cache manager (none on the devnet), then the chain owner?
    meter.burn(2 * STORAGE_READ_GAS)?;
    if caller != CHAIN_OWNER {
        return Err(Stop::BurnOut);
    }
    meter.burn(PARAMS_GAS + STORAGE_READ_GAS)?;
    let mut record = program_record::load(ctx, code_hash);
    let time: u64 = ctx.block().timestamp().saturating_to();
    if cache && record.version != STYLUS_PARAMS.version {
        return Err(Stop::error(ArbWasmErrors::ProgramNeedsUpgrade(
            ProgramNeedsUpgrade {
                version: record.version,
                stylusVersion: STYLUS_PARAMS.version,
            },
        )));
    }
    if cache && record.expired(time) {
        return Err(Stop::error(ArbWasmErrors::ProgramExpired(ProgramExpired {
            ageInSeconds: record.age(time),
        })));
    }
    if record.cached == cache {
        return Ok(());
    }
    let event = I::UpdateProgramCache {
        manager: caller,
        codehash: code_hash,
        cached: cache,
    };
    meter.emit(ctx, ARB_WASM_CACHE, &event)?;
    meter.burn(u64::from(record.init_cost) + STORAGE_READ_GAS)?;
    record.cached = cache;
    meter.burn(STORAGE_WRITE_GAS)?;
    program_record::store(ctx, code_hash, record);
    Ok(())
}
