//! The contract's storage, slot by slot, read and written as whole words.
//!
//! Fields are packed the way Solidity (and stylus-sdk's `#[storage]`) packs them, the first
//! field of a slot in its low-order bytes, and grouped by what one call reads and writes
//! together, because Stylus charges per slot touched. The layout is the one stylus-sdk's
//! `#[storage]` gave version 2 (docs/CONTRACT.md); a `#[storage]` struct with a typed field per
//! value builds every field's handle on each call, which cost about a tenth of the program, so
//! the fields here are constants and a value is read or written where it is needed.
//!
//! | slot | fields (low-order bytes first) |
//! |---|---|
//! | 0 | paused (1), epoch (8), day (8), emission start day (8) |
//! | 1 | owner (20), bootstrap start day (8) |
//! | 2 | pending owner (20) |
//! | 3 | MOR token (20) |
//! | 4 | routers: `keccak(router . 4)` holds the flag (1) |
//! | 5 | root of the latest epoch (32) |
//! | 6 | cumulative credited (16), credited today (16) |
//! | 7 | cumulative bootstrap (16), bootstrap today (16) |
//! | 8 | total funded (16), the day's cap (16) |
//! | 9 | first day's emission (16), daily decrease (16) |
//! | 10 | total claimed (16), total staked (16) |
//! | 11 | providers: the record of `p` from `keccak(p . 11)` on, four slots (below) |
//!
//! A provider's record: +0 stake (16), paid in period (16); +1 earned (16), claimed (16);
//! +2 added in period (16), cap period (8), registered at (8); +3 lock start (8), lock end (8).

use alloy_primitives::Address;
use yellowstone_protocol::abi::ArithmeticOverflow;
use yellowstone_stylus_kit::{field, mapped, Place};
pub(crate) use yellowstone_stylus_kit::{Field, Record, Storage};

use crate::{errors::ComputeError, YellowstoneCompute};

/// Whether commits and claims are paused.
pub(crate) const PAUSED: Field = field(0, 0, 1);
/// Number of the latest committed epoch; zero before the first.
pub(crate) const EPOCH: Field = field(0, 1, 8);
/// The UTC day the day's books (cap, credited today, bootstrap today) describe.
pub(crate) const DAY: Field = field(0, 9, 8);
/// UTC day of the first scheduled emission.
pub(crate) const EMISSION_START_DAY: Field = field(0, 17, 8);
/// May authorise routers, pause, and hand ownership over; can never move MOR.
pub(crate) const OWNER: Field = field(1, 0, 20);
/// UTC day the 365-day bootstrap window opens.
pub(crate) const BOOTSTRAP_START_DAY: Field = field(1, 20, 8);
/// Offered ownership, not yet accepted.
pub(crate) const PENDING_OWNER: Field = field(2, 0, 20);
/// The MOR token.
pub(crate) const MOR: Field = field(3, 0, 20);
/// Router keys allowed to sign epoch roots: the mapping's slot.
const ROUTERS: u64 = 4;
/// Merkle root of the latest committed epoch.
pub(crate) const ROOT: Field = field(5, 0, 32);
/// Cumulative work credit of the latest epoch.
pub(crate) const CUMULATIVE_CREDITED: Field = field(6, 0, 16);
/// Credit (work + bootstrap) committed during `DAY`: in the slot every commit writes anyway.
pub(crate) const CREDITED_TODAY: Field = field(6, 16, 16);
/// Cumulative bootstrap credit of the latest epoch.
pub(crate) const CUMULATIVE_BOOTSTRAP: Field = field(7, 0, 16);
/// Bootstrap credit committed during `DAY`.
pub(crate) const BOOTSTRAP_TODAY: Field = field(7, 16, 16);
/// Wei ever funded.
pub(crate) const TOTAL_FUNDED: Field = field(8, 0, 16);
/// The cap on `DAY`'s credit, fixed when the day was rolled.
pub(crate) const DAY_CAP: Field = field(8, 16, 16);
/// Wei scheduled on the first emission day.
pub(crate) const FIRST_DAY_EMISSION: Field = field(9, 0, 16);
/// Wei by which each day's scheduled emission falls.
pub(crate) const DAILY_DECREASE: Field = field(9, 16, 16);
/// Wei ever paid to providers.
pub(crate) const TOTAL_CLAIMED: Field = field(10, 0, 16);
/// Wei currently staked by all providers.
pub(crate) const TOTAL_STAKED: Field = field(10, 16, 16);
/// Every provider that ever staked: the mapping's slot.
const PROVIDERS: u64 = 11;

/// A provider's staked MOR wei.
pub(crate) const STAKE: Field = field(0, 0, 16);
/// Wei paid in stake-cap period `CAP_PERIOD`.
pub(crate) const PAID_IN_PERIOD: Field = field(0, 16, 16);
/// Cumulative wei earned (work + bootstrap) as last proven by a claim.
pub(crate) const EARNED: Field = field(1, 0, 16);
/// Wei paid out so far.
pub(crate) const CLAIMED: Field = field(1, 16, 16);
/// Stake added in period `CAP_PERIOD` and still staked: the part that can back its payouts.
pub(crate) const ADDED_IN_PERIOD: Field = field(2, 0, 16);
/// Index of the stake-cap period `PAID_IN_PERIOD` and `ADDED_IN_PERIOD` count for.
pub(crate) const CAP_PERIOD: Field = field(2, 16, 8);
/// When the provider first staked (the origin of its periods); zero if never.
pub(crate) const REGISTERED_AT: Field = field(2, 24, 8);
/// Start of the current lock: the latest stake, or the extension of an ended lock.
pub(crate) const LOCK_START: Field = field(3, 0, 8);
/// End of the current lock; stake can be withdrawn from then on.
pub(crate) const LOCK_END: Field = field(3, 8, 8);

/// `router`'s flag in the routers mapping.
pub(crate) fn router(router: Address) -> Place {
    Place::new(mapped(router, ROUTERS), field(0, 0, 1))
}

/// `provider`'s record.
pub(crate) fn record(provider: Address) -> Record {
    Record::of(provider, PROVIDERS)
}

/// Fields are 128 bits at most for an amount: MOR's whole supply is below 2^86 wei.
impl Storage for YellowstoneCompute {
    type Error = ComputeError;

    fn overflow() -> ComputeError {
        ArithmeticOverflow {}.into()
    }
}

impl YellowstoneCompute {
    /// Whether the provider of `r` has ever staked (no block has timestamp zero).
    pub(crate) fn registered(&self, r: Record) -> bool {
        self.get_u64(r.at(REGISTERED_AT)) != 0
    }
}
