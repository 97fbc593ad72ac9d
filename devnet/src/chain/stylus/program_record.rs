//! A program's activation record, packed in one word as Nitro's `Program`
//! (`arbos/programs/programs.go`) and kept in ArbWasm's storage at slot `codehash`, so it is
//! journaled with the state (a reverted transaction activates nothing), kept per block and undone
//! by `evm_revert`.

use alloy_primitives::{B256, U256};
use revm::context::{ContextTr, JournalTr};

use super::abi::ArbWasm::{
    ArbWasmErrors, ProgramExpired, ProgramNeedsUpgrade, ProgramNotActivated,
};
use super::ARB_WASM;
use crate::chain::evm::ChainContext;
use crate::stylus::ink::{self, STYLUS_PARAMS};

/// When Arbitrum began (`ArbitrumStartTime`, 2015-01-16 06:00 UTC): activation times are kept
/// as whole hours since then.
pub const ARBITRUM_START_TIME: u64 = 1_421_388_000;

/// Largest value of Nitro's 24-bit fields.
const U24_MAX: u64 = (1 << 24) - 1;

/// A program's record: bytes 0-1 version, 2-3 init cost, 4-5 cached cost, 6-7 footprint,
/// 8-10 activation hour, 11-13 asm estimate in KiB, 14 cached (`setProgram`'s layout).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ProgramRecord {
    /// Stylus version it was activated for; 0 if never activated.
    pub version: u16,
    /// Predicted init cost (before the scalar).
    pub init_cost: u16,
    /// Predicted cached cost (before the scalar).
    pub cached_cost: u16,
    /// Initial memory, in pages.
    pub footprint: u16,
    /// Hours since [`ARBITRUM_START_TIME`] at activation or the last keepalive (24 bits).
    pub activated_at: u32,
    /// Estimated compiled size, in KiB rounded up (24 bits).
    pub asm_estimate_kb: u32,
    /// Whether a cache manager cached it (ArbWasmCache).
    pub cached: bool,
}

impl ProgramRecord {
    /// The packed word.
    pub fn to_word(self) -> B256 {
        let mut w = B256::ZERO;
        w[0..2].copy_from_slice(&self.version.to_be_bytes());
        w[2..4].copy_from_slice(&self.init_cost.to_be_bytes());
        w[4..6].copy_from_slice(&self.cached_cost.to_be_bytes());
        w[6..8].copy_from_slice(&self.footprint.to_be_bytes());
        w[8..11].copy_from_slice(&self.activated_at.to_be_bytes()[1..]);
        w[11..14].copy_from_slice(&self.asm_estimate_kb.to_be_bytes()[1..]);
        w[14] = u8::from(self.cached);
        w
    }

    /// Unpacks a word written by [`Self::to_word`] (the zero word is "never activated").
    pub fn from_word(w: B256) -> Self {
        let u16_at = |i: usize| u16::from_be_bytes([w[i], w[i + 1]]);
        let u24_at = |i: usize| u32::from_be_bytes([0, w[i], w[i + 1], w[i + 2]]);
        ProgramRecord {
            version: u16_at(0),
            init_cost: u16_at(2),
            cached_cost: u16_at(4),
            footprint: u16_at(6),
            activated_at: u24_at(8),
            asm_estimate_kb: u24_at(11),
            cached: w[14] != 0,
        }
    }

    /// Seconds since its activation hour at block time `time` (`hoursToAge`).
    pub fn age(&self, time: u64) -> u64 {
        let activated = ARBITRUM_START_TIME.saturating_add(u64::from(self.activated_at) * 3600);
        time.saturating_sub(activated)
    }

    /// Whether it is past [`StylusParams::expiry_days`](ink::StylusParams::expiry_days) at
    /// `time`.
    pub fn expired(&self, time: u64) -> bool {
        self.age(time) > days_to_seconds(STYLUS_PARAMS.expiry_days)
    }

    /// The gas to enter it uncached, beyond [`Self::cached_gas`] (`Program.initGas`).
    pub fn init_gas(&self) -> u64 {
        ink::init_gas(self.init_cost)
    }

    /// The gas to enter it on every call (`Program.cachedGas`).
    pub fn cached_gas(&self) -> u64 {
        ink::cached_gas(self.cached_cost)
    }

    /// Its estimated compiled size in bytes (`asmSize`).
    pub fn asm_size(&self) -> u32 {
        self.asm_estimate_kb.saturating_mul(1024)
    }

    /// The record if the program may run at `time` (`getActiveProgram`); otherwise ArbWasm's
    /// error: never activated, activated for another version, or expired.
    pub fn active(self, time: u64) -> Result<Self, ArbWasmErrors> {
        if self.version == 0 {
            return Err(ArbWasmErrors::ProgramNotActivated(ProgramNotActivated {}));
        }
        if self.version != STYLUS_PARAMS.version {
            return Err(ArbWasmErrors::ProgramNeedsUpgrade(ProgramNeedsUpgrade {
                version: self.version,
                stylusVersion: STYLUS_PARAMS.version,
            }));
        }
        if self.expired(time) {
            return Err(ArbWasmErrors::ProgramExpired(ProgramExpired {
                ageInSeconds: self.age(time),
            }));
        }
        Ok(self)
    }
}

/// Whole hours since [`ARBITRUM_START_TIME`] at `time`, saturating at 24 bits
/// (`hoursSinceArbitrum`).
pub fn hours_since_arbitrum(time: u64) -> u32 {
    (time.saturating_sub(ARBITRUM_START_TIME) / 3600).min(U24_MAX) as u32
}

/// `days` in seconds.
pub fn days_to_seconds(days: u16) -> u64 {
    u64::from(days) * 86_400
}

/// The record of `code_hash` in ArbWasm's storage.
pub(super) fn load(ctx: &mut ChainContext<'_>, code_hash: B256) -> ProgramRecord {
    let journal = ctx.journal_mut();
    let _ = journal.load_account(ARB_WASM);
    let word = match journal.sload(ARB_WASM, code_hash.into()) {
        Ok(v) => v.data,
        Err(e) => match e {},
    };
    ProgramRecord::from_word(word.into())
}

/// Writes the record of `code_hash` to ArbWasm's storage.
pub(super) fn store(ctx: &mut ChainContext<'_>, code_hash: B256, record: ProgramRecord) {
    let journal = ctx.journal_mut();
    let _ = journal.load_account(ARB_WASM);
    let _ = journal.sstore(
        ARB_WASM,
        code_hash.into(),
        U256::from_be_bytes(record.to_word().0),
    );
    journal.touch_account(ARB_WASM);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_record_round_trips_through_nitros_layout() {
        let r = ProgramRecord {
            version: 2,
            init_cost: 0x1234,
            cached_cost: 0x5678,
            footprint: 3,
            activated_at: 0xAB_CDEF,
            asm_estimate_kb: 0x01_0203,
            cached: true,
        };
        let w = r.to_word();
        assert_eq!(&w[..15], &hex_bytes("0002123456780003abcdef01020301"));
        assert!(w[15..].iter().all(|b| *b == 0));
        assert_eq!(ProgramRecord::from_word(w), r);
        assert_eq!(ProgramRecord::from_word(B256::ZERO).version, 0);
    }

    #[test]
    fn age_counts_from_the_activation_hour() {
        let t = ARBITRUM_START_TIME + 10 * 3600 + 1_234;
        let r = ProgramRecord {
            activated_at: hours_since_arbitrum(t),
            ..Default::default()
        };
        assert_eq!(r.activated_at, 10);
        assert_eq!(r.age(t), 1_234);
        assert!(!r.expired(t + days_to_seconds(365) - 1_234));
        assert!(r.expired(t + days_to_seconds(365) - 1_233));
    }

    fn hex_bytes(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }
}
