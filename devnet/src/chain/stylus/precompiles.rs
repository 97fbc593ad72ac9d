//! The two Stylus precompiles the devnet implements: ArbWasm's `activateProgram` and
//! ArbWasmCache's caching, eviction and query (see the parent module's docs).

use std::sync::Arc;

use alloy_primitives::{Address, Bytes, B256, U256};
use revm::{
    context::{ContextTr, JournalTr},
    interpreter::{CallInputs, Gas, InstructionResult, InterpreterResult},
};

use super::{
    activate_program_selector, program_not_activated_error, selector, StylusRuntime, ARB_WASM,
    ARB_WASM_CACHE, CACHE_MANAGER, STYLUS_VERSION,
};
use crate::activation::activate;
use crate::chain::evm::ChainContext;

/// ArbWasm at [`ARB_WASM`]: `activateProgram(address)` runs [`activate`] on the program's code,
/// keeps the decoded program in `runtime` and records the activation in ArbWasm's storage.
pub(super) fn arb_wasm(
    runtime: &StylusRuntime,
    ctx: &mut ChainContext<'_>,
    inputs: &CallInputs,
) -> InterpreterResult {
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
    if let Ok(mut programs) = runtime.programs.lock() {
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

/// Whether `code_hash` is in the program cache (ArbWasmCache's storage, slot `code_hash`).
pub(super) fn is_cached(ctx: &mut ChainContext<'_>, code_hash: B256) -> bool {
    let journal = ctx.journal_mut();
    let _ = journal.load_account(ARB_WASM_CACHE);
    match journal.sload(ARB_WASM_CACHE, code_hash.into()) {
        Ok(v) => !v.data.is_zero(),
        Err(e) => match e {},
    }
}

/// ArbWasmCache at [`ARB_WASM_CACHE`]: caching, eviction and the query; see the module docs.
pub(super) fn arb_wasm_cache(ctx: &mut ChainContext<'_>, inputs: &CallInputs) -> InterpreterResult {
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
    if selector == super::selector("codehashIsCached(bytes32)") {
        return done(
            U256::from(is_cached(ctx, word))
                .to_be_bytes::<32>()
                .to_vec(),
        );
    }
    let caching = selector == super::selector("cacheProgram(address)");
    if !caching && selector != super::selector("evictCodehash(bytes32)") {
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
pub(super) fn error_string(message: &str) -> Bytes {
    let mut out = selector("Error(string)").to_vec();
    out.extend_from_slice(&U256::from(32).to_be_bytes::<32>());
    out.extend_from_slice(&U256::from(message.len()).to_be_bytes::<32>());
    out.extend_from_slice(message.as_bytes());
    let pad = (32 - message.len() % 32) % 32;
    out.extend(std::iter::repeat_n(0u8, pad));
    out.into()
}
