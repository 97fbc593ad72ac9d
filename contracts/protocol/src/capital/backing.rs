//! Principal against backing (SPEC 7): the yield the project may harvest, and what a withdrawal
//! pays when a negative rebase left the backing short.

use alloy_primitives::U256;

use crate::math::div;

/// What withdrawing `amount` of principal pays: `amount` in full while `backing >= principal`,
/// else `amount * backing / principal` rounded down, the same fraction for every depositor, so
/// a loss is shared pro rata instead of falling on the last to leave (rounding down keeps the
/// remaining depositors' fraction from falling). `None` if `amount > principal` (more than is
/// deposited) or on overflow.
pub fn withdrawal_payout(amount: U256, backing: U256, principal: U256) -> Option<U256> {
    if amount > principal {
        return None;
    }
    if backing >= principal {
        return Some(amount);
    }
    div(amount.checked_mul(backing)?, principal)
}

/// The principal a deposit of `credited` stETH adds: `credited` in full while the backing
/// before it covers the principal, else `credited * principal / backing` rounded down. Under a
/// loss each unit of principal is worth `backing / principal`, so a newcomer takes units at that
/// price: its deposit neither fills the earlier depositors' hole nor takes any of their loss
/// (crediting it 1:1 would hand part of its deposit to them on withdrawal). `None` if the backing
/// is gone entirely while principal remains (no price to take units at) or on overflow.
pub fn deposit_principal(credited: U256, backing: U256, principal: U256) -> Option<U256> {
    if backing >= principal {
        return Some(credited);
    }
    div(credited.checked_mul(principal)?, backing)
}

/// The harvestable yield: `backing - principal`, never negative (a loss is not a debt of the
/// project; it is shared by the depositors on withdrawal).
pub fn yield_of(backing: U256, principal: U256) -> U256 {
    backing.saturating_sub(principal)
}
