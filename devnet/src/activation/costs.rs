//! What Nitro predicts at activation from the module's shape: the entry costs (kept in 16-bit
//! fields, so a larger prediction fails activation), the size of the compiled program (which the
//! data fee prices) and the gas activation itself burns.

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

/// Nitro's estimate of the compiled program's size in bytes (`asm_estimate` in `parse_user`),
/// from the same shape as [`entry_costs`]: what ArbWasm's data fee prices and
/// `codehashAsmSize` reports (rounded up to KiB).
pub fn asm_estimate(funcs: u64, type_len: u64, wasm_len: u64) -> u64 {
    512_000u64
        .saturating_add(funcs.saturating_mul(996_829) / 1_000)
        .saturating_add(type_len.saturating_mul(11_416) / 1_000)
        .saturating_add(wasm_len.saturating_mul(62_628) / 10_000)
}

/// The shape [`activation_gas`] prices.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ActivationShape {
    /// Length of the decompressed Wasm, in bytes.
    pub wasm_len: u64,
    /// Functions the module defines.
    pub funcs: u64,
    /// Bytes of data segment payloads.
    pub data: u64,
    /// Encoded bytes of the element segments.
    pub elements: u64,
    /// Initial memory, in pages.
    pub memory_pages: u64,
    /// Operators in the function bodies.
    pub code_ops: u64,
}

/// The gas activation burns for compiling the module (`Module::activate` in
/// `crates/prover/src/programs/mod.rs`, ArbOS 32+): each term is measured in microseconds and
/// converted at 28 gas per microsecond (`fudge 2 x speed 7,000,000 / sync rate 500,000`).
/// Nitro counts `code_ops` after its instrumentation (metering adds about a dozen operators
/// per basic block); the devnet counts the module's own operators, so it burns about
/// 15 gas less per operator Nitro's instrumentation adds.
pub fn activation_gas(shape: ActivationShape) -> u64 {
    let us_to_gas = |us: u64| us.saturating_mul(2 * 7_000_000) / (1_000_000 / 2);
    [
        shape.wasm_len.saturating_mul(31_733) / 100_000,
        shape.funcs.saturating_mul(17_263) / 100_000,
        shape.data.saturating_mul(17_376) / 100_000,
        shape.elements.saturating_mul(17_376) / 100_000,
        shape.memory_pages.saturating_mul(2_217),
        shape.code_ops.saturating_mul(535) / 1_000,
    ]
    .into_iter()
    .map(us_to_gas)
    .fold(0, u64::saturating_add)
}

/// What [`check`] predicts: the entry costs, the asm estimate and the activation gas.
pub(super) struct Predicted {
    pub(super) init_cost: u16,
    pub(super) cached_init_cost: u16,
    pub(super) asm_estimate: u32,
    pub(super) activation_gas: u64,
}

/// [`entry_costs`], [`asm_estimate`] and [`activation_gas`] of the parsed module; the entry
/// costs must fit Nitro's 16-bit fields.
pub(super) fn check(
    p: &Parsed<'_>,
    wasm_len: usize,
    memory: MemoryType,
) -> Result<Predicted, ActivationError> {
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
    let funcs = p.bodies.len() as u64;
    let asm = asm_estimate(funcs, type_len, wasm_len as u64);
    // At most 4,096 functions of a 128 KiB module: a few MB, far below Nitro's u32 bound.
    let asm_estimate = u32::try_from(asm).unwrap_or(u32::MAX);
    let mut code_ops: u64 = 0;
    for body in &p.bodies {
        let mut ops = body
            .get_operators_reader()
            .map_err(|e| ActivationError::InvalidWasm(e.to_string()))?;
        while !ops.eof() {
            ops.read()
                .map_err(|e| ActivationError::InvalidWasm(e.to_string()))?;
            code_ops += 1;
        }
    }
    let activation_gas = activation_gas(ActivationShape {
        wasm_len: wasm_len as u64,
        funcs,
        data: p.datas.iter().map(|d| d.data.len() as u64).sum(),
        elements: p
            .elements
            .iter()
            .map(|e| e.range.end.saturating_sub(e.range.start))
            .sum(),
        memory_pages: memory.initial,
        code_ops,
    });
    let init_cost = u16::try_from(init_cost).map_err(|_| ActivationError::CostTooHigh {
        what: "init",
        cost: init_cost,
    })?;
    let cached_init_cost =
        u16::try_from(cached_init_cost).map_err(|_| ActivationError::CostTooHigh {
            what: "cached",
            cost: cached_init_cost,
        })?;
    Ok(Predicted {
        init_cost,
        cached_init_cost,
        asm_estimate,
        activation_gas,
    })
}
