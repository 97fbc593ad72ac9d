/**
 * The Yellowstone compute contract (Arbitrum Stylus), exported from its Rust source by
 * `scripts/export-abi.sh`. Do not edit: CI fails when this file is stale.
 *
 * Deployed with: constructor(address mor, address owner, uint64 emission_start_day, uint256 first_day_emission, uint256 daily_decrease, uint64 bootstrap_start_day)
 */

// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.23;

interface IYellowstoneCompute {
    function fund(uint256 amount) external;

    function emissionSchedule() external view returns (uint64, uint256, uint256, uint64);

    function today() external view returns (uint64, uint256, uint256, uint256, uint256);

    function totals() external view returns (uint256, uint256, uint256, uint256, uint256);

    function commitEpoch(uint64 epoch, bytes32 root, uint256 cumulative_credited, uint256 cumulative_bootstrap, uint64 deadline, bytes32 r, bytes32 vs) external;

    function latestEpoch() external view returns (uint64, bytes32, uint256, uint256);

    function domainSeparator() external view returns (bytes32);

    function claim(address provider, uint256 cumulative_earned, uint256 cumulative_bootstrap, bytes32[] memory proof) external returns (uint256);

    function stake(uint256 amount, uint64 lock_end) external;

    function lockClaim(uint64 new_end) external;

    function withdraw(uint256 amount) external;

    function provider(address provider) external view returns (bool, uint256, uint64, uint64, uint256, uint256, uint256, uint256);

    function stakeCapRemaining(address provider) external view returns (uint256);

    function powerMultiplier(uint256 start, uint256 end) external view returns (uint256);

    function owner() external view returns (address);

    function pendingOwner() external view returns (address);

    function mor() external view returns (address);

    function paused() external view returns (bool);

    function isRouter(address router) external view returns (bool);

    function authorizeRouter(address router) external;

    function revokeRouter(address router) external;

    function pause() external;

    function unpause() external;

    function transferOwnership(address new_owner) external;

    function acceptOwnership() external;

    error ZeroAmount();

    error ZeroAddress();

    error TokenTransferFailed(address from, address to, uint256 amount);

    error NotOwner(address caller);

    error NotPendingOwner(address caller);

    error EnforcedPause();

    error ExpectedPause();

    error RouterAlreadyAuthorized(address router);

    error UnknownRouter(address router);

    error SignatureMalformed();

    error SignatureHighS();

    error SignatureInvalid();

    error UnexpectedEpoch(uint64 epoch, uint64 expected);

    error EpochRootExpired(uint64 epoch, uint64 deadline, uint64 now);

    error CreditedDecreased(uint256 given, uint256 previous);

    error BootstrapDecreased(uint256 given, uint256 previous);

    error DailyCapExceeded(uint64 day, uint256 creditedToday, uint256 cap);

    error BootstrapCapExceeded(uint64 day, uint256 bootstrapToday, uint256 limit);

    error BootstrapWindowClosed(uint64 day, uint64 windowStartDay);

    error FundingExceeded(uint256 totalCredited, uint256 totalFunded);

    error NoEpoch();

    error InvalidProof(address provider);

    error NotRegistered(address provider);

    error NothingToClaim(address provider, uint256 cumulative, uint256 claimed);

    error StakeCapReached(address provider, uint256 paidThisPeriod, uint256 stake);

    error ClaimExceedsCredit(uint256 totalClaimed, uint256 totalCredited);

    error LockEndTooEarly(uint64 lockEnd, uint64 minimum);

    error StakeLocked(uint64 lockEnd, uint64 now);

    error InsufficientStake(uint256 requested, uint256 staked);

    error StakeBacksPayouts(uint256 requested, uint256 withdrawable, uint64 periodEnd);

    error ArithmeticOverflow();

    event Funded(address indexed from, uint256 amount, uint256 totalFunded);

    event ProviderRegistered(address indexed provider);

    event Staked(address indexed provider, uint256 amount, uint256 stake, uint64 lockStart, uint64 lockEnd);

    event LockExtended(address indexed provider, uint64 lockStart, uint64 lockEnd);

    event Withdrawn(address indexed provider, uint256 amount, uint256 stake);

    event EpochCommitted(uint64 indexed epoch, address indexed router, bytes32 root, uint256 cumulativeCredited, uint256 cumulativeBootstrap);

    event Claimed(address indexed provider, address indexed caller, uint256 amount, uint256 totalClaimed, uint256 deferred);

    event RouterAuthorized(address indexed router);

    event RouterRevoked(address indexed router);

    event Paused(address indexed account);

    event Unpaused(address indexed account);

    event OwnershipTransferStarted(address indexed previousOwner, address indexed newOwner);

    event OwnershipTransferred(address indexed previousOwner, address indexed newOwner);

    event Initialized(address indexed mor, uint64 emissionStartDay, uint256 firstDayEmission, uint256 dailyDecrease, uint64 bootstrapStartDay);
}
