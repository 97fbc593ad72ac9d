//! What both suites' worlds share: the parties, at fixed addresses (a suite adds its own: the
//! contract, its counterparties, a funder or a trader), and the 18-decimal unit.

use alloy_primitives::{address, Address, U256};

/// The deployer and owner.
pub const OWNER: Address = address!("00000000000000000000000000000000000000e0");
/// Someone with no role at all (the permissionless entry points, calls for others).
pub const STRANGER: Address = address!("00000000000000000000000000000000000000f1");
/// A user (a provider of compute or of capital).
pub const ALICE: Address = address!("000000000000000000000000000000000000a11c");
/// A second user.
pub const BOB: Address = address!("0000000000000000000000000000000000000b0b");
/// A third user.
pub const CAROL: Address = address!("000000000000000000000000000000000000ca01");

/// `n` whole tokens of 18 decimals (MOR, ether, stETH) in wei.
pub fn whole(n: u64) -> U256 {
    U256::from(n) * U256::from(1_000_000_000_000_000_000u64)
}
