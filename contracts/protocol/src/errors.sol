// SPDX-License-Identifier: MIT OR Apache-2.0
// The compute contract's errors: the one definition of them. `yellowstone-protocol` turns it
// into Rust types with `sol!`, and the ABI export splices it into abi/IYellowstoneCompute.sol.
// Every parameter is a single static word, which the contract's compact encoder relies on.
pragma solidity ^0.8.23;

/// An amount of zero was given where a positive one is required.
error ZeroAmount();
/// An address argument was zero where a real account is required.
error ZeroAddress();
/// The MOR token refused or failed a transfer.
error TokenTransferFailed(address from, address to, uint256 amount);
/// `caller` is not the owner.
error NotOwner(address caller);
/// `caller` is not the pending owner.
error NotPendingOwner(address caller);
/// Commits and claims are paused.
error EnforcedPause();
/// The contract is not paused.
error ExpectedPause();
/// `router` is already authorised.
error RouterAlreadyAuthorized(address router);
/// `router` is not an authorised router.
error UnknownRouter(address router);
/// The signature's r or s is zero.
error SignatureMalformed();
/// The signature's s is in the upper half of the curve order (malleable).
error SignatureHighS();
/// ecrecover found no signer for the signature.
error SignatureInvalid();
/// Epochs are consecutive from 1: the next root must be epoch `expected` (the last one + 1).
error UnexpectedEpoch(uint64 epoch, uint64 expected);
/// The epoch root's `deadline` has passed (block timestamp `now`): its signer may already have
/// signed another root for this number, so it can never be committed.
error EpochRootExpired(uint64 epoch, uint64 deadline, uint64 now);
/// The cumulative work credit of an epoch root is below the last one.
error CreditedDecreased(uint256 given, uint256 previous);
/// The cumulative bootstrap credit of an epoch root is below the last one.
error BootstrapDecreased(uint256 given, uint256 previous);
/// The day's credit would exceed the daily cap (scheduled emission + 1% of the unused pool).
error DailyCapExceeded(uint64 day, uint256 creditedToday, uint256 cap);
/// The day's bootstrap credit would exceed 10% of the day's scheduled emission.
error BootstrapCapExceeded(uint64 day, uint256 bootstrapToday, uint256 limit);
/// Bootstrap credit outside the 365-day bootstrap window.
error BootstrapWindowClosed(uint64 day, uint64 windowStartDay);
/// Total credit would exceed everything ever funded.
error FundingExceeded(uint256 totalCredited, uint256 totalFunded);
/// No epoch root has been committed yet.
error NoEpoch();
/// The leaf and proof do not match the latest epoch root.
error InvalidProof(address provider);
/// `provider` has never staked.
error NotRegistered(address provider);
/// The proven cumulative amount is already fully claimed.
error NothingToClaim(address provider, uint256 cumulative, uint256 claimed);
/// The provider's stake cap for this 365-day period is used up.
error StakeCapReached(address provider, uint256 paidThisPeriod, uint256 stake);
/// A claim would pay out more than the router has credited in total.
error ClaimExceedsCredit(uint256 totalClaimed, uint256 totalCredited);
/// A lock end is too early: `stake` needs at least `minimum` (now, and the current lock end);
/// `lockClaim` needs later than `minimum`.
error LockEndTooEarly(uint64 lockEnd, uint64 minimum);
/// Stake is locked until `lockEnd`.
error StakeLocked(uint64 lockEnd, uint64 now);
/// Withdrawal of `requested` exceeds the stake of `staked`.
error InsufficientStake(uint256 requested, uint256 staked);
/// Stake added in this 365-day stake-cap period backs what the provider was paid in it: only
/// `withdrawable` = stake - min(paid this period, added this period) may leave before the
/// period ends at `periodEnd`. Stake from earlier periods is never held.
error StakeBacksPayouts(uint256 requested, uint256 withdrawable, uint64 periodEnd);
/// An amount would overflow 256 bits.
error ArithmeticOverflow();
