// SPDX-License-Identifier: MIT OR Apache-2.0
// The compute contract's events: the one definition of them. `yellowstone-protocol` turns it
// into Rust types with `sol!`, and the ABI export splices it into abi/IYellowstoneCompute.sol.
pragma solidity ^0.8.23;

/// `amount` MOR was pulled from `from` into the emission pool.
event Funded(address indexed from, uint256 amount, uint256 totalFunded);
/// `provider` staked for the first time and is now registered.
event ProviderRegistered(address indexed provider);
/// `provider` added `amount` to its stake, restarting its lock at `lockStart` (the block's
/// timestamp). The lock's multiplier is `powerMultiplier(lockStart, lockEnd)`.
event Staked(address indexed provider, uint256 amount, uint256 stake, uint64 lockStart, uint64 lockEnd);
/// `provider` extended its lock to `lockEnd`: from `lockStart`, which is the old start while the
/// lock ran and the block's timestamp if it had ended. The new multiplier applies at once.
event LockExtended(address indexed provider, uint64 lockStart, uint64 lockEnd);
/// `provider` took `amount` of its stake back after its lock ended.
event Withdrawn(address indexed provider, uint256 amount, uint256 stake);
/// A router-signed epoch root was accepted. The UTC day is the block's; the day's credit is the
/// sum of its commits' increments (or the `today()` view).
event EpochCommitted(uint64 indexed epoch, address indexed router, bytes32 root, uint256 cumulativeCredited, uint256 cumulativeBootstrap);
/// `amount` MOR was paid to `provider` (on a call by `caller`), bringing everything paid to this
/// provider to `totalClaimed`; `deferred` more is proven but waits for its stake cap.
event Claimed(address indexed provider, address indexed caller, uint256 amount, uint256 totalClaimed, uint256 deferred);
/// The owner authorised `router` to sign epoch roots.
event RouterAuthorized(address indexed router);
/// The owner revoked `router`.
event RouterRevoked(address indexed router);
/// The owner paused epoch commits and claims.
event Paused(address indexed account);
/// The owner resumed epoch commits and claims.
event Unpaused(address indexed account);
/// The owner offered ownership to `newOwner`, who must accept it.
event OwnershipTransferStarted(address indexed previousOwner, address indexed newOwner);
/// Ownership moved to `newOwner`.
event OwnershipTransferred(address indexed previousOwner, address indexed newOwner);
/// The contract was deployed with this token and emission schedule.
event Initialized(address indexed mor, uint64 emissionStartDay, uint256 firstDayEmission, uint256 dailyDecrease, uint64 bootstrapStartDay);
