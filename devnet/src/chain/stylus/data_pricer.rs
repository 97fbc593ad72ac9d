//! ArbWasm's data fee: Nitro's `DataPricer` (`arbos/programs/data_pricer.go`) with its initial
//! parameters. Demand for compiled-program bytes drains at a fixed rate; the price per byte is
//! the minimum price times e^(demand / inertia), e approximated in basis points by Nitro's
//! 12-term Maclaurin series (`ApproxExpBasisPoints`). Integers only, saturating as Nitro's.
//!
//! The pricer's state (demand and last update time) lives in one word of ArbWasm's storage, so
//! it is journaled like the program records.

use alloy_primitives::{keccak256, U256};
use revm::context::{ContextTr, JournalTr};

use super::program_record::ARBITRUM_START_TIME;
use super::ARB_WASM;
use crate::chain::evm::ChainContext;

/// Bytes of demand credited back per second (`initialBytesPerSecond`: 1 TiB a year,
/// `2^40 / (365 x 24) / 3,600` with Go's integer constants).
pub const BYTES_PER_SECOND: u32 = ((1u64 << 40) / (365 * 24) / 3600) as u32;
/// Price of a byte at zero demand, in wei (`initialMinPrice`).
pub const MIN_PRICE: u32 = 82_928_201;
/// Demand at which the price is e times the minimum (`initialInertia`).
pub const INERTIA: u32 = 21_360_419;
/// One in basis points.
const ONE_IN_BIPS: u64 = 10_000;

/// The pricer's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DataPricer {
    /// Bytes of outstanding demand.
    pub demand: u32,
    /// Block time of the last update.
    pub last_update_time: u64,
}

impl Default for DataPricer {
    /// Nitro's initial state: no demand, last updated when Arbitrum began.
    fn default() -> Self {
        DataPricer {
            demand: 0,
            last_update_time: ARBITRUM_START_TIME,
        }
    }
}

impl DataPricer {
    /// Adds `temp_bytes` of demand at block time `time` and returns their fee in wei
    /// (`UpdateModel`).
    pub fn update_model(&mut self, temp_bytes: u32, time: u64) -> U256 {
        // Go: `SaturatingUUCast[uint32](time - lastUpdateTime)`, a wrapping u64 subtraction.
        let passed = u32::try_from(time.wrapping_sub(self.last_update_time)).unwrap_or(u32::MAX);
        let credit = BYTES_PER_SECOND.saturating_mul(passed);
        self.demand = self
            .demand
            .saturating_sub(credit)
            .saturating_add(temp_bytes);
        self.last_update_time = time;

        let exponent = ONE_IN_BIPS * u64::from(self.demand) / u64::from(INERTIA);
        let multiplier = approx_exp_bips(exponent, 12);
        let cost_per_byte = u64::from(MIN_PRICE).saturating_mul(multiplier) / ONE_IN_BIPS;
        U256::from(cost_per_byte.saturating_mul(u64::from(temp_bytes)))
    }
}

/// `b x e^(x / b)` for `x` in basis points (`b` = 10,000), by Horner's scheme over the first
/// `accuracy` terms of the Maclaurin series (`ApproxExpBasisPoints` for non-negative `x`;
/// the result saturates at `i64::MAX` as Nitro's `Bips`).
pub fn approx_exp_bips(x: u64, accuracy: u64) -> u64 {
    let b = ONE_IN_BIPS;
    let mut res = b + x / accuracy;
    for i in (1..accuracy).rev() {
        res = b + res.saturating_mul(x) / (i * b);
    }
    res.min(i64::MAX as u64)
}

/// The storage slot of the pricer's state in ArbWasm: a hash, out of reach of code hashes.
fn slot() -> U256 {
    keccak256("yellowstone.devnet.ArbWasm.dataPricer").into()
}

/// The pricer's state (demand in bits 64-95, last update time in bits 0-63; the zero word is
/// the initial state).
pub(super) fn load(ctx: &mut ChainContext<'_>) -> DataPricer {
    let journal = ctx.journal_mut();
    let _ = journal.load_account(ARB_WASM);
    let word: U256 = match journal.sload(ARB_WASM, slot()) {
        Ok(v) => v.data,
        Err(e) => match e {},
    };
    if word.is_zero() {
        return DataPricer::default();
    }
    DataPricer {
        demand: (word >> 64_usize).saturating_to::<u32>(),
        last_update_time: (word & U256::from(u64::MAX)).saturating_to::<u64>(),
    }
}

/// Writes the pricer's state.
pub(super) fn store(ctx: &mut ChainContext<'_>, pricer: DataPricer) {
    let word = (U256::from(pricer.demand) << 64) | U256::from(pricer.last_update_time);
    let journal = ctx.journal_mut();
    let _ = journal.load_account(ARB_WASM);
    let _ = journal.sstore(ARB_WASM, slot(), word);
    journal.touch_account(ARB_WASM);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initial_parameters_are_nitros() {
        assert_eq!(BYTES_PER_SECOND, 34_865);
    }

    #[test]
    fn exp_approximates_e() {
        assert_eq!(approx_exp_bips(0, 12), 10_000);
        // e = 2.71828...: 27,182 basis points
        assert_eq!(approx_exp_bips(10_000, 12), 27_182);
        assert!(approx_exp_bips(u64::MAX / 2, 12) <= i64::MAX as u64);
    }

    #[test]
    fn a_first_activation_pays_the_minimum_price_scaled_by_its_own_demand() {
        let mut p = DataPricer::default();
        let time = ARBITRUM_START_TIME + 10 * 365 * 86_400;
        let bytes = 600_000u32;
        let fee = p.update_model(bytes, time);
        // exponent 10,000 x 600,000 / 21,360,419 = 280 bips
        let multiplier = approx_exp_bips(280, 12);
        assert_eq!(multiplier, 10_283);
        let per_byte = u64::from(MIN_PRICE) * multiplier / 10_000;
        assert_eq!(fee, U256::from(per_byte * u64::from(bytes)));
        assert_eq!(p.demand, bytes);
        assert_eq!(p.last_update_time, time);
        // a second activation in the same second pays more per byte, one later drains
        let second = p.update_model(bytes, time);
        assert!(second > fee);
        let later = p.update_model(bytes, time + 3_600);
        assert_eq!(p.demand, bytes);
        assert_eq!(later, fee);
    }
}
