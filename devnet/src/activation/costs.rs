//! The entry costs Nitro predicts at activation from the module's shape. The program keeps them
//! in 16-bit fields, so a larger prediction fails activation.

use wasmparser::MemoryType;

use super::sections::Parsed;
use super::ActivationError;

/// Globals Nitro's instrumentation adds to every program before it predicts the entry costs:
/// ink left and ink status (`programs/meter.rs`), the dynamic meter's scratch
/// (`programs/dynamic.rs`) and depth left (`programs/depth.rs`).
pub const INSTRUMENTATION_GLOBALS: u64 = 4;

/// What Nitro predicts the program costs to enter, from its shape, at activation
/// (`WasmBinary::parse_user` in `crates/prover/src/binary.rs`, program version 2, where the
/// cached cost is no longer part of the init cost). Returns `(init_cost, cached_init_cost)`.
///
/// `globals` counts the module's own; Nitro's instrumentation adds [`INSTRUMENTATION_GLOBALS`]
/// before counting. `data_len` is the whole encoded size of every data and element segment,
/// header (flags, offset expression, count) included: Nitro sums wasmparser's `range` of each
/// segment, not its payload.
pub fn entry_costs(
    funcs: u64,
    type_len: u64,
    wasm_len: u64,
    globals: u64,
    data_len: u64,
    footprint: u16,
) -> (u64, u64) {
    let globals = globals.saturating_add(INSTRUMENTATION_GLOBALS);
    let mut cached: u64 = 0;
    cached = cached.saturating_add(funcs.saturating_mul(13_420) / 100_000);
    cached = cached.saturating_add(type_len.saturating_mul(89) / 100_000);
    cached = cached.saturating_add(wasm_len.saturating_mul(122) / 100_000);
    cached = cached.saturating_add(globals.saturating_mul(1_628) / 1_000);
    cached = cached.saturating_add(data_len.saturating_mul(75_244) / 100_000);
    cached = cached.saturating_add(u64::from(footprint) * 5);
    let mut init: u64 = 0;
    init = init.saturating_add(funcs.saturating_mul(8_252) / 1_000);
    init = init.saturating_add(type_len.saturating_mul(1_059) / 1_000);
    init = init.saturating_add(wasm_len.saturating_mul(1_286) / 10_000);
    (init, cached)
}

/// [`entry_costs`] of the parsed module; returns `(init_cost, cached_init_cost)`, each of which
/// must fit Nitro's 16-bit field.
pub(super) fn check(
    p: &Parsed<'_>,
    wasm_len: usize,
    memory: MemoryType,
) -> Result<(u16, u16), ActivationError> {
    let type_len: u64 = p
        .functions
        .iter()
        .filter_map(|&ty| p.types.get(ty as usize))
        .map(|ty| (ty.params().len() + ty.results().len()) as u64)
        .sum();
    // Nitro: `self.datas.iter().map(|x| x.range.len())` plus the same over `self.elements`.
    let data_len: u64 = p
        .datas
        .iter()
        .map(|d| d.range.end.saturating_sub(d.range.start))
        .chain(
            p.elements
                .iter()
                .map(|e| e.range.end.saturating_sub(e.range.start)),
        )
        .fold(0, u64::saturating_add);
    let (init_cost, cached_init_cost) = entry_costs(
        p.bodies.len() as u64,
        type_len,
        wasm_len as u64,
        p.globals,
        data_len,
        memory.initial as u16,
    );
    let init_cost = u16::try_from(init_cost).map_err(|_| ActivationError::CostTooHigh {
        what: "init",
        cost: init_cost,
    })?;
    let cached_init_cost =
        u16::try_from(cached_init_cost).map_err(|_| ActivationError::CostTooHigh {
            what: "cached",
            cost: cached_init_cost,
        })?;
    Ok((init_cost, cached_init_cost))
}
