// SPDX-License-Identifier: MIT OR Apache-2.0
// The capital contract's events: the one definition of them. `yellowstone-protocol` turns it
// into Rust types with `sol!` (`capital::abi`), and the ABI export splices it into
// abi/IYellowstoneCapital.sol.
pragma solidity ^0.8.23;

/// The contract was deployed with these tokens, pair and compute contract. `mintsNative`: the
/// contract mints the native token (else it pays from a funded reserve).
event Initialized(address indexed stEth, address wstEth, address native, address pair, address compute, bool mintsNative);
/// `account` deposited `amount` stETH (credited by the contract's balance difference), bringing
/// its principal to `principal`, locked until `unlockAt` (weighted over old and new principal).
event Deposited(address indexed account, uint256 amount, uint256 principal, uint64 unlockAt);
/// `account` withdrew `amount` of principal and received `paid` stETH (`paid < amount` only
/// when a negative rebase left the backing below principal: the loss is shared pro rata).
event Withdrawn(address indexed account, uint256 amount, uint256 paid, uint256 principal);
/// `account` was paid `amount` of the native token, its emission owed.
event Claimed(address indexed account, uint256 amount);
/// A price observation opened: the pair's cumulative price (native per wrapped) at `timestamp`.
event Poked(uint256 priceCumulative, uint64 timestamp);
/// A harvest wrapped `yield` stETH (plus what was carried), swapped `swappedIn` wstETH for
/// `bought` native, added `liquidity` LP tokens (held forever), and carried the rest.
event Harvested(uint256 yield, uint256 swappedIn, uint256 bought, uint256 liquidity, uint256 carriedWst, uint256 carriedNative);
/// The owner set the empty pair's first price: `wst` wrapped yield and `native` from the owner.
event PoolBootstrapped(address indexed owner, uint256 wst, uint256 native, uint256 liquidity);
/// `amount` of the native token went to the compute contract's `fund`.
event ComputeFunded(uint256 amount);
/// The compute contract's `fund` refused `amount`; it stays owed and is retried on the next call.
event ComputeFundingFailed(uint256 amount);
/// The owner set the harvest and lock parameters (inside their hard bounds).
event ParametersChanged(uint64 minLock, uint64 twapWindow, uint16 maxDeviationBps, uint16 slippageBps);
/// The owner paused deposits and harvests.
event Paused(address indexed account);
/// The owner resumed deposits and harvests.
event Unpaused(address indexed account);
/// The owner offered ownership to `newOwner`, who must accept it.
event OwnershipTransferStarted(address indexed previousOwner, address indexed newOwner);
/// Ownership moved to `newOwner`.
event OwnershipTransferred(address indexed previousOwner, address indexed newOwner);
