//! Nitro's prices: ink per host call and per Wasm operator, the memory model and the entry cost.
//!
//! Every constant here was read from Nitro's sources (OffchainLabs/nitro, snapshot of
//! 2026-04-23):
//!
//! * `crates/arbutil/src/pricing.rs`: host-call ink ([`HOSTIO_INK`], [`PTR_INK`],
//!   [`EVM_API_INK`], the per-hostio base prices, [`read_price`], [`write_price`],
//!   [`keccak_price`], [`pow_price`]);
//! * `crates/arbutil/src/evm/mod.rs`: the EVM gas constants ([`COLD_SLOAD_GAS`],
//!   [`SSTORE_SENTRY_GAS`], [`COLD_ACCOUNT_GAS`], [`LOG_TOPIC_GAS`], [`LOG_DATA_GAS`]);
//! * `crates/arbutil/src/evm/storage.rs`: the storage cache's own read and write gas
//!   ([`cache_read_gas`], [`cache_write_gas`], [`CACHE_REQUIRED_ACCESS_GAS`]);
//! * `crates/prover/src/programs/meter.rs` (`pricing_v1`) and `programs/config.rs`
//!   (`ink_header_cost = 2450`): the per-operator ink ([`operator_costs`]);
//! * `arbos/programs/memory.go` and `params.go`: the memory model ([`MemoryModel`]) and the
//!   entry cost ([`init_gas`], [`cached_gas`]);
//! * `crates/prover/src/binary.rs` (`parse_user`): the costs predicted at activation
//!   ([`crate::activation::entry_costs`]).

use wasmi::OperatorCost;

/// Ink per unit of wasmi fuel. wasmi prices operators in whole `u8` fuel units, so ink is
/// metered in steps of 35: Nitro's cheapest common operators (i32 add/sub/bitwise, 70 ink) are
/// exactly two units, and most others round to within 5%. See [`operator_costs`].
pub const INK_PER_FUEL: u64 = 35;

/// Nitro's Stylus parameters (`StylusParams` in `arbos/programs/params.go`) as a chain at the
/// ArbOS version the devnet mirrors (60) holds them: `initStylusParams`' initial values, then
/// `UpgradeToVersion(2)` (ArbOS 31: version 2, `MinInitGas` 69) and the ArbOS 50 cap on the
/// stack depth (22,000). ArbWasm reports these, and the executor charges with them: this is
/// their one copy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StylusParams {
    /// The Stylus version activation compiles for (2).
    pub version: u16,
    /// Ink per EVM gas (`initialInkPrice`, 10,000; a 24-bit field).
    pub ink_price: u32,
    /// The Wasm stack depth limit (22,000 since ArbOS 50).
    pub max_stack_depth: u32,
    /// Pages free per transaction (`InitialFreePages`, 2).
    pub free_pages: u16,
    /// Linear gas per page beyond the free ones (`InitialPageGas`, 1,000).
    pub page_gas: u16,
    /// The ramp of the exponential memory cost (`initialPageRamp`, 620,674,314), reported only:
    /// `memoryExponents` ([`MemoryModel`]) is its table.
    pub page_ramp: u64,
    /// The largest initial memory a program may declare, in pages (`initialPageLimit`, 128).
    pub page_limit: u16,
    /// Base entry cost of an uncached program, in units of [`MIN_INIT_GAS_UNITS`] (69 since
    /// version 2).
    pub min_init_gas: u8,
    /// Base entry cost of every call, in units of [`MIN_CACHED_GAS_UNITS`] (11).
    pub min_cached_init_gas: u8,
    /// Scale of the predicted init cost, in units of [`COST_SCALAR_PERCENT`] (50: 100%).
    pub init_cost_scalar: u8,
    /// Scale of the predicted cached cost, in units of [`COST_SCALAR_PERCENT`] (50: 100%).
    pub cached_cost_scalar: u8,
    /// Days after activation (or the last keepalive) at which a program expires (365).
    pub expiry_days: u16,
    /// Days a program must be old before a keepalive is accepted (31).
    pub keepalive_days: u16,
    /// Programs kept warm per block by ArbOS's recent-programs cache (32).
    pub block_cache_size: u16,
    /// Largest decompressed Wasm, in bytes (128 KiB, since ArbOS 40).
    pub max_wasm_size: u32,
    /// Gas burned before each activation on top of the fixed charge (`activationGas`, ArbOS 60;
    /// 0 until the chain owner sets it).
    pub activation_gas: u64,
}

/// The devnet's Stylus parameters; see [`StylusParams`].
pub const STYLUS_PARAMS: StylusParams = StylusParams {
    version: 2,
    ink_price: 10_000,
    max_stack_depth: 22_000,
    free_pages: 2,
    page_gas: 1_000,
    page_ramp: 620_674_314,
    page_limit: 128,
    min_init_gas: 69,
    min_cached_init_gas: 11,
    init_cost_scalar: 50,
    cached_cost_scalar: 50,
    expiry_days: 365,
    keepalive_days: 31,
    block_cache_size: 32,
    max_wasm_size: 128 * 1024,
    activation_gas: 0,
};

/// Gas per unit of [`StylusParams::min_init_gas`] (`MinInitGasUnits`).
pub const MIN_INIT_GAS_UNITS: u64 = 128;
/// Gas per unit of [`StylusParams::min_cached_init_gas`] (`MinCachedGasUnits`).
pub const MIN_CACHED_GAS_UNITS: u64 = 32;
/// Percent per unit of the cost scalars (`CostScalarPercent`).
pub const COST_SCALAR_PERCENT: u64 = 2;

/// Nitro's default ink price: ink per EVM gas ([`StylusParams::ink_price`]).
pub const DEFAULT_INK_PRICE: u64 = STYLUS_PARAMS.ink_price as u64;

/// Base ink of every host call that may return something (`HOSTIO_INK`).
pub const HOSTIO_INK: u64 = 8_400;
/// Extra ink per pointer argument (`PTR_INK` = 13,440 - 8,400).
pub const PTR_INK: u64 = 13_440 - HOSTIO_INK;
/// Extra ink of a host call that goes to the EVM (`EVM_API_INK`).
pub const EVM_API_INK: u64 = 59_673;
/// Extra ink of `math_div` / `math_mod` (`DIV_INK`).
pub const DIV_INK: u64 = 20_000;
/// Extra ink of `math_mul_mod` (`MUL_MOD_INK`).
pub const MUL_MOD_INK: u64 = 24_100;
/// Extra ink of `math_add_mod` (`ADD_MOD_INK`).
pub const ADD_MOD_INK: u64 = 21_000;

/// Gas of a cold `SLOAD` (EIP-2929), required before a storage load.
pub const COLD_SLOAD_GAS: u64 = 2_100;
/// The `SSTORE` sentry (EIP-2200): required before a storage cache write or a flush.
pub const SSTORE_SENTRY_GAS: u64 = 2_300;
/// Gas of a cold account access, required before balance and code queries.
pub const COLD_ACCOUNT_GAS: u64 = 2_600;
/// Gas per log topic, the event itself counting as one (`LOG_TOPIC_GAS`).
pub const LOG_TOPIC_GAS: u64 = 375;
/// Gas per byte of log data (`LOG_DATA_GAS`).
pub const LOG_DATA_GAS: u64 = 8;
/// Gas the storage cache requires to be available before an access
/// (`StorageCache::REQUIRED_ACCESS_GAS`).
pub const CACHE_REQUIRED_ACCESS_GAS: u64 = 10;

/// Base entry cost of a program that is not cached, in gas: `MinInitGas` 69 units of 128 gas
/// (Stylus version 2 parameters).
pub const MIN_INIT_GAS: u64 = STYLUS_PARAMS.min_init_gas as u64 * MIN_INIT_GAS_UNITS;
/// Base entry cost charged on every call (cached or not, program version 2+):
/// `MinCachedInitGas` 11 units of 32 gas.
pub const MIN_CACHED_GAS: u64 = STYLUS_PARAMS.min_cached_init_gas as u64 * MIN_CACHED_GAS_UNITS;

/// Gas to enter a program that is not cached (`Program.initGas` in arbos/programs):
/// [`MIN_INIT_GAS`] plus the init cost predicted at activation, scaled and rounded up.
pub fn init_gas(init_cost: u16) -> u64 {
    let scalar = u64::from(STYLUS_PARAMS.init_cost_scalar) * COST_SCALAR_PERCENT;
    MIN_INIT_GAS + (u64::from(init_cost) * scalar).div_ceil(100)
}

/// Gas to enter any program, cached or not (`Program.cachedGas`): [`MIN_CACHED_GAS`] plus the
/// cached cost predicted at activation, scaled and rounded up.
pub fn cached_gas(cached_init_cost: u16) -> u64 {
    let scalar = u64::from(STYLUS_PARAMS.cached_cost_scalar) * COST_SCALAR_PERCENT;
    MIN_CACHED_GAS + (u64::from(cached_init_cost) * scalar).div_ceil(100)
}

/// Ink of the host calls, by name (`pricing::hostio` in Nitro).
pub mod hostio {
    use super::*;

    /// `read_args`.
    pub const READ_ARGS: u64 = HOSTIO_INK;
    /// `write_result`.
    pub const WRITE_RESULT: u64 = HOSTIO_INK;
    /// `storage_load_bytes32`.
    pub const STORAGE_LOAD: u64 = HOSTIO_INK + 2 * PTR_INK;
    /// `storage_cache_bytes32`.
    pub const STORAGE_CACHE: u64 = HOSTIO_INK + 2 * PTR_INK;
    /// `storage_flush_cache`.
    pub const STORAGE_FLUSH: u64 = HOSTIO_INK + EVM_API_INK;
    /// `call_contract`, `delegate_call_contract`, `static_call_contract`.
    pub const CALL_CONTRACT: u64 = HOSTIO_INK + 3 * PTR_INK + EVM_API_INK;
    /// `create1`.
    pub const CREATE1: u64 = HOSTIO_INK + 3 * PTR_INK + EVM_API_INK;
    /// `create2`.
    pub const CREATE2: u64 = HOSTIO_INK + 4 * PTR_INK + EVM_API_INK;
    /// `read_return_data`.
    pub const READ_RETURN_DATA: u64 = HOSTIO_INK + EVM_API_INK;
    /// `return_data_size`.
    pub const RETURN_DATA_SIZE: u64 = HOSTIO_INK;
    /// `emit_log`.
    pub const EMIT_LOG: u64 = HOSTIO_INK + EVM_API_INK;
    /// `account_balance`.
    pub const ACCOUNT_BALANCE: u64 = HOSTIO_INK + 2 * PTR_INK + EVM_API_INK;
    /// `account_code`.
    pub const ACCOUNT_CODE: u64 = HOSTIO_INK + EVM_API_INK;
    /// `account_code_size`.
    pub const ACCOUNT_CODE_SIZE: u64 = HOSTIO_INK + EVM_API_INK;
    /// `account_codehash`.
    pub const ACCOUNT_CODEHASH: u64 = HOSTIO_INK + 2 * PTR_INK + EVM_API_INK;
    /// Host calls that write a word or an address to one pointer (`block_basefee`,
    /// `block_coinbase`, `contract_address`, `msg_sender`, `msg_value`, `tx_gas_price`,
    /// `tx_origin`).
    pub const WITH_PTR: u64 = HOSTIO_INK + PTR_INK;
    /// Host calls that return a number (`block_gas_limit`, `block_number`, `block_timestamp`,
    /// `chainid`, `evm_gas_left`, `evm_ink_left`, `msg_reentrant`, `tx_ink_price`, and
    /// `pay_for_memory_grow(0)`).
    pub const PLAIN: u64 = HOSTIO_INK;
    /// `math_div` and `math_mod`.
    pub const MATH_DIV: u64 = HOSTIO_INK + 3 * PTR_INK + DIV_INK;
    /// `math_pow`, before [`pow_price`].
    pub const MATH_POW: u64 = HOSTIO_INK + 3 * PTR_INK;
    /// `math_add_mod`.
    pub const MATH_ADD_MOD: u64 = HOSTIO_INK + 4 * PTR_INK + ADD_MOD_INK;
    /// `math_mul_mod`.
    pub const MATH_MUL_MOD: u64 = HOSTIO_INK + 4 * PTR_INK + MUL_MOD_INK;
}

/// Ink to copy `bytes` from the host into the program (`write_price`).
pub fn write_price(bytes: u32) -> u64 {
    5_040 + 30 * u64::from(bytes.saturating_sub(32))
}

/// Ink to copy `bytes` from the program into the host (`read_price`).
pub fn read_price(bytes: u32) -> u64 {
    16_381 + 55 * u64::from(bytes.saturating_sub(32))
}

/// Ink of `native_keccak256` over `bytes` (`keccak_price`: no base hostio ink).
pub fn keccak_price(bytes: u32) -> u64 {
    let words = u64::from(bytes).div_ceil(32).saturating_sub(2);
    121_800 + 21_000 * words
}

/// Extra ink of `math_pow` for a big-endian `exponent` (`pow_price`).
pub fn pow_price(exponent: &[u8; 32]) -> u64 {
    let leading_zeros = exponent.iter().take_while(|b| **b == 0).count() as u64;
    3_000 + (33 - leading_zeros) * 17_500
}

/// The storage cache's own gas for its `reads`-th read in this call (1-based).
pub fn cache_read_gas(reads: usize) -> u64 {
    match reads {
        0..=32 => 0,
        33..=128 => 2,
        _ => 10,
    }
}

/// The storage cache's own gas for its `writes`-th write in this call (1-based).
pub fn cache_write_gas(writes: usize) -> u64 {
    match writes {
        0..=8 => 0,
        9..=64 => 7,
        _ => 10,
    }
}

/// Nitro's Wasm memory pricing (`MemoryModel` in `arbos/programs/memory.go`, with the
/// `InitialFreePages` and `InitialPageGas` parameters): a transaction gets two pages free, then
/// each new page costs 1000 gas plus an exponential ramp on the highest page count ever open.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemoryModel {
    /// Pages free per transaction (2).
    pub free_pages: u16,
    /// Linear gas per page (1000).
    pub page_gas: u16,
}

impl Default for MemoryModel {
    /// The model of [`STYLUS_PARAMS`].
    fn default() -> Self {
        MemoryModel {
            free_pages: STYLUS_PARAMS.free_pages,
            page_gas: STYLUS_PARAMS.page_gas,
        }
    }
}

impl MemoryModel {
    /// Gas for opening `new` pages while `open` are open and `ever` were ever open in this
    /// transaction (`GasCost`).
    pub fn gas_cost(&self, new: u16, open: u16, ever: u16) -> u64 {
        let new_open = open.saturating_add(new);
        let new_ever = ever.max(new_open);
        if new_ever <= self.free_pages {
            return 0;
        }
        let sub_free = |pages: u16| pages.saturating_sub(self.free_pages);
        let adding = sub_free(new_open).saturating_sub(sub_free(open));
        let linear = u64::from(adding).saturating_mul(u64::from(self.page_gas));
        let expand = exp(new_ever).saturating_sub(exp(ever));
        linear.saturating_add(expand)
    }
}

fn exp(pages: u16) -> u64 {
    MEMORY_EXPONENTS
        .get(usize::from(pages))
        .map_or(u64::MAX, |x| u64::from(*x))
}

/// `memoryExponents` of `arbos/programs/memory.go`.
const MEMORY_EXPONENTS: [u32; 129] = [
    1, 1, 1, 1, 1, 1, 2, 2, 2, 3, 3, 4, 5, 5, 6, 7, 8, 9, 11, 12, 14, 17, 19, 22, 25, 29, 33, 38,
    43, 50, 57, 65, 75, 85, 98, 112, 128, 147, 168, 193, 221, 253, 289, 331, 379, 434, 497, 569,
    651, 745, 853, 976, 1117, 1279, 1463, 1675, 1917, 2194, 2511, 2874, 3290, 3765, 4309, 4932,
    5645, 6461, 7395, 8464, 9687, 11087, 12689, 14523, 16621, 19024, 21773, 24919, 28521, 32642,
    37359, 42758, 48938, 56010, 64104, 73368, 83971, 96106, 109994, 125890, 144082, 164904, 188735,
    216010, 247226, 282953, 323844, 370643, 424206, 485509, 555672, 635973, 727880, 833067, 953456,
    1091243, 1248941, 1429429, 1636000, 1872423, 2143012, 2452704, 2807151, 3212820, 3677113,
    4208502, 4816684, 5512756, 6309419, 7221210, 8264766, 9459129, 10826093, 12390601, 14181199,
    16230562, 18576084, 21260563, 24332984, 27849408, 31873999,
];

/// Nitro's basic-block header cost: charged once per basic block, i.e. once per operator
/// that ends one (`end`, `else`, `return`, `loop`, `br`, `br_if`, `br_table`, `if`, `call`,
/// `call_indirect`).
pub const BLOCK_HEADER_INK: u64 = 2_450;

/// Nitro's ink for `call_indirect` is 13,610 + 650 per argument, for `br_table` 2,400 + 325 per
/// target; wasmi's table is per operator, so these use a typical count.
const TYPICAL_INDIRECT_ARGS: u64 = 3;
const TYPICAL_BR_TABLE_TARGETS: u64 = 6;

/// Nitro's ink for `call`, basic-block header included.
const CALL_INK: u64 = 3_800 + BLOCK_HEADER_INK;

/// The fuel [`operator_costs`] charges for a `call`: what the dynamic meter's host function
/// refunds for the `call` it inserts.
pub fn call_fuel() -> u64 {
    u64::from(units(CALL_INK))
}

fn units(ink: u64) -> u8 {
    let fuel = (ink + INK_PER_FUEL / 2) / INK_PER_FUEL;
    fuel.min(u64::from(u8::MAX)) as u8
}

/// wasmi's per-operator fuel table carrying Nitro's `pricing_v1` ink, in units of
/// [`INK_PER_FUEL`] ink, rounded to the nearest unit:
///
/// * the basic-block header (2,450 ink) is charged once per basic block executed, as Nitro
///   does, by adding it to the operators that end one (`br`, `br_if`, `br_table`, `return`,
///   `call`, `call_indirect`, `if`, `loop`); the headers of the blocks that `end` and `else`
///   close are moved to the opening `block` / `loop` / `if`, because wasmi charges an `end`
///   on every iteration of a loop (see the code). wasmi charges each of its fuel blocks'
///   summed cost on entry, as Nitro's instrumentation does per basic block. Checked by the
///   `operators_cost_nitros_ink` test: a counting loop costs 3,885 ink per iteration here,
///   3,891 in Nitro. A function body's final `end` header (once per call) is not charged;
/// * `call_indirect` (13,610 + 650/arg + header) and `br_table` (2,400 + 325/target + header)
///   exceed the 255-unit maximum and are capped at 255 units (8,925 ink): an undercharge of
///   about 0.9 gas per indirect call;
/// * float operators, which Nitro prices at `u64::MAX` (any block containing one runs out of
///   ink), get the 255-unit maximum here instead;
/// * `memory.copy` / `memory.fill` cost 950 ink here; the 100 ink per byte Nitro's dynamic
///   meter adds is charged by [`super::dynamic`].
pub fn operator_costs() -> OperatorCost {
    let mut c = OperatorCost::default();
    let h = BLOCK_HEADER_INK;
    c.unreachable = units(1);
    c.nop = units(1);
    // wasmi charges an `end` (and an `else`) with the block it closes, i.e. on every iteration
    // of a loop, where Nitro charges the header of the basic block an `end` closes once per
    // exit. So `end` and `else` cost nothing here, and the header of the basic block that a
    // construct's `end` (or the then-branch's `else`) closes is charged with the construct's
    // opening operator instead, once per execution: `block` 1 header, `loop` 2 (the block
    // it ends plus its `end`), `if` 765 + 2 headers (the block it ends plus the branch taken).
    c.block = units(1 + h);
    c.loop_ = units(1 + 2 * h);
    c.if_ = units(765 + 2 * h);
    c.else_ = units(1);
    c.end = units(1);
    c.br = units(765 + h);
    c.br_if = units(765 + h);
    c.br_table = units(2_400 + 325 * TYPICAL_BR_TABLE_TARGETS + h);
    c.return_ = units(1 + h);
    c.call = units(CALL_INK);
    c.call_indirect = units(13_610 + 650 * TYPICAL_INDIRECT_ARGS + h);
    c.drop = units(9);
    c.select = units(1_250);
    c.local_get = units(75);
    c.local_set = units(210);
    c.local_tee = units(75);
    c.global_get = units(225);
    c.global_set = units(575);
    for x in [
        &mut c.i32_load,
        &mut c.i32_load8_s,
        &mut c.i32_load8_u,
        &mut c.i32_load16_s,
        &mut c.i32_load16_u,
    ] {
        *x = units(670);
    }
    for x in [
        &mut c.i64_load,
        &mut c.i64_load8_s,
        &mut c.i64_load8_u,
        &mut c.i64_load16_s,
        &mut c.i64_load16_u,
        &mut c.i64_load32_s,
        &mut c.i64_load32_u,
    ] {
        *x = units(680);
    }
    for x in [&mut c.i32_store, &mut c.i32_store8, &mut c.i32_store16] {
        *x = units(825);
    }
    for x in [
        &mut c.i64_store,
        &mut c.i64_store8,
        &mut c.i64_store16,
        &mut c.i64_store32,
    ] {
        *x = units(950);
    }
    c.memory_size = units(3_000);
    c.memory_grow = units(8_050);
    c.i32_const = units(1);
    c.i64_const = units(1);
    for x in [
        &mut c.i32_eqz,
        &mut c.i32_eq,
        &mut c.i32_ne,
        &mut c.i32_lt_s,
        &mut c.i32_lt_u,
        &mut c.i32_gt_s,
        &mut c.i32_gt_u,
        &mut c.i32_le_s,
        &mut c.i32_le_u,
        &mut c.i32_ge_s,
        &mut c.i32_ge_u,
    ] {
        *x = units(170);
    }
    for x in [
        &mut c.i64_eqz,
        &mut c.i64_eq,
        &mut c.i64_ne,
        &mut c.i64_lt_s,
        &mut c.i64_lt_u,
        &mut c.i64_gt_s,
        &mut c.i64_gt_u,
        &mut c.i64_le_s,
        &mut c.i64_le_u,
        &mut c.i64_ge_s,
        &mut c.i64_ge_u,
    ] {
        *x = units(225);
    }
    c.i32_clz = units(210);
    c.i32_ctz = units(210);
    c.i64_clz = units(210);
    c.i64_ctz = units(210);
    c.i32_popcnt = units(2_650);
    c.i64_popcnt = units(6_000);
    for x in [
        &mut c.i32_add,
        &mut c.i32_sub,
        &mut c.i32_and,
        &mut c.i32_or,
        &mut c.i32_xor,
        &mut c.i32_shl,
        &mut c.i32_shr_s,
        &mut c.i32_shr_u,
        &mut c.i32_rotl,
        &mut c.i32_rotr,
    ] {
        *x = units(70);
    }
    for x in [
        &mut c.i64_add,
        &mut c.i64_sub,
        &mut c.i64_and,
        &mut c.i64_or,
        &mut c.i64_xor,
        &mut c.i64_shl,
        &mut c.i64_shr_s,
        &mut c.i64_shr_u,
        &mut c.i64_rotl,
        &mut c.i64_rotr,
        &mut c.i32_wrap_i64,
        &mut c.i64_extend_i32_s,
        &mut c.i64_extend_i32_u,
        &mut c.i32_extend8_s,
        &mut c.i32_extend16_s,
        &mut c.i64_extend8_s,
        &mut c.i64_extend16_s,
        &mut c.i64_extend32_s,
    ] {
        *x = units(100);
    }
    c.i32_mul = units(160);
    c.i64_mul = units(160);
    for x in [
        &mut c.i32_div_s,
        &mut c.i32_div_u,
        &mut c.i32_rem_s,
        &mut c.i32_rem_u,
    ] {
        *x = units(1_120);
    }
    for x in [
        &mut c.i64_div_s,
        &mut c.i64_div_u,
        &mut c.i64_rem_s,
        &mut c.i64_rem_u,
    ] {
        *x = units(1_270);
    }
    c.memory_copy = units(950);
    c.memory_fill = units(950);
    for x in [
        &mut c.f32_load,
        &mut c.f64_load,
        &mut c.f32_store,
        &mut c.f64_store,
        &mut c.f32_const,
        &mut c.f64_const,
    ] {
        *x = u8::MAX;
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_model_matches_nitro() {
        let m = MemoryModel::default();
        assert_eq!(m.gas_cost(2, 0, 0), 0);
        // one page beyond the free two: 1000 linear + exp(3) - exp(0) = 0
        assert_eq!(m.gas_cost(3, 0, 0), 1000);
        assert_eq!(m.gas_cost(1, 2, 2), 1000);
        assert_eq!(m.gas_cost(10, 0, 0), 8 * 1000 + 3 - 1);
    }

    #[test]
    fn prices() {
        assert_eq!(PTR_INK, 5_040);
        assert_eq!(hostio::STORAGE_LOAD, 18_480);
        assert_eq!(hostio::EMIT_LOG, 68_073);
        assert_eq!(keccak_price(64), 121_800);
        assert_eq!(keccak_price(65), 142_800);
        assert_eq!(operator_costs().i32_add, 2);
    }
}
