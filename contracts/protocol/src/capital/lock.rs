//! The weighted unlock time (SPEC 7): topping up a position never re-locks the whole balance.
//!
//! Morpheus re-locks everything on every stake (their Docs issues #6 and #253). Here the old
//! principal keeps its remaining lock and the new amount takes a fresh `min_lock`; the position
//! unlocks at their principal-weighted mean, rounded up so that no split of a deposit into
//! pieces (or a dust top-up) ever shortens the lock by a rounding second.

use alloy_primitives::U256;

use crate::math::div;

/// The unlock time after depositing `amount` at `now` into a position of `principal` locked
/// until `unlock_at`:
/// `ceil((principal * max(unlock_at, now) + amount * (now + min_lock)) / (principal + amount))`.
///
/// The result lies between `max(unlock_at, now)` and `now + min_lock` (inclusive, either way
/// round), so a fresh deposit (`principal == 0`) unlocks at exactly `now + min_lock` and a zero
/// top-up leaves the lock as it was (or at `now` if it has passed). `None` when both amounts
/// are zero or a time overflows `u64`.
pub fn weighted_unlock(
    principal: U256,
    unlock_at: u64,
    amount: U256,
    now: u64,
    min_lock: u64,
) -> Option<u64> {
    // Weigh the remaining locks (offsets from `now`), not the timestamps: smaller products.
    let old = U256::from(unlock_at.saturating_sub(now));
    let new = U256::from(min_lock);
    let total = principal.checked_add(amount)?;
    let weighted = principal
        .checked_mul(old)?
        .checked_add(amount.checked_mul(new)?)?;
    let floor = div(weighted, total)?;
    let offset = if floor * total == weighted {
        floor
    } else {
        floor + U256::from(1)
    };
    // The mean lies between the two offsets, so it fits in u64.
    now.checked_add(u64::try_from(offset).ok()?)
}
