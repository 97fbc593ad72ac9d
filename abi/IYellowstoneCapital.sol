/**
 * The Yellowstone capital contract (Arbitrum Stylus), exported from its Rust source by
 * `scripts/export-abi.sh`. Do not edit: CI fails when this file is stale.
 *
 * Deployed with: constructor(address st_eth, address wst_eth, address native, address pair, address compute, address owner, bool mints_native, uint64 payout_start, uint64 interval, uint256 capital_initial, uint256 capital_decrease, uint256 compute_initial, uint256 compute_decrease, uint256 min_bootstrap_price_wad, uint256 max_bootstrap_price_wad)
 */

// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.23;

interface IYellowstoneCapital {
    function deposit(uint256 amount) external;

    function withdraw(uint256 amount) external;

    function claim() external returns (uint256);

    function poke() external;

    function harvest() external;

    function fundCompute() external returns (uint256);

    function bootstrapPool(uint256 native_amount) external;

    function setParameters(uint64 min_lock, uint64 twap_window, uint16 max_deviation_bps, uint16 slippage_bps) external;

    function pause() external;

    function unpause() external;

    function transferOwnership(address new_owner) external;

    function acceptOwnership() external;

    function owner() external view returns (address);

    function pendingOwner() external view returns (address);

    function paused() external view returns (bool);

    function position(address account) external view returns (uint256, uint64, uint256);

    function totals() external view returns (uint256, uint256, uint256, uint256, uint256, uint256, uint256);

    function harvestState() external view returns (uint64, uint64, uint256, uint256, uint256, uint256);

    function parameters() external view returns (uint64, uint64, uint16, uint16);

    function config() external view returns (address, address, address, address, address, bool);

    function schedule() external view returns (uint64, uint64, uint256, uint256, uint256, uint256);

    error ZeroAmount();

    error ZeroAddress();

    error PairMismatch(address pair);

    error TokenCallFailed(address token, address to, uint256 amount);

    error PairCallFailed(address pair, bytes4 selector);

    error NotOwner(address caller);

    error NotPendingOwner(address caller);

    error EnforcedPause();

    error ExpectedPause();

    error StillLocked(uint64 unlockAt, uint64 now);

    error InsufficientPrincipal(uint256 requested, uint256 principal);

    error NothingToClaim(address account);

    error ReserveShort(uint256 needed, uint256 available);

    error HarvestTooSoon(uint64 nextAt, uint64 now);

    error NoObservation();

    error TwapWindowTooShort(uint64 elapsed, uint64 minimum);

    error ObservationOpen(uint64 reopensAt, uint64 now);

    error PoolEmpty();

    error PoolNotEmpty();

    error SpotDeviates(uint256 spotX112, uint256 twapX112, uint256 maxDeviationBps);

    error SlippageExceeded(uint256 amountOut, uint256 minimumOut);

    error NothingToHarvest();

    error ParameterOutOfBounds(uint8 parameter, uint256 value, uint256 minimum, uint256 maximum);

    error PriceOutOfBounds(uint256 priceWad, uint256 minimum, uint256 maximum);

    error ArithmeticOverflow();

    event Initialized(address indexed stEth, address wstEth, address native, address pair, address compute, bool mintsNative);

    event Deposited(address indexed account, uint256 amount, uint256 principal, uint64 unlockAt);

    event Withdrawn(address indexed account, uint256 amount, uint256 paid, uint256 principal);

    event Claimed(address indexed account, uint256 amount);

    event Poked(uint256 priceCumulative, uint64 timestamp);

    event Harvested(uint256 yield, uint256 swappedIn, uint256 bought, uint256 liquidity, uint256 carriedWst, uint256 carriedNative);

    event PoolBootstrapped(address indexed owner, uint256 wst, uint256 native, uint256 liquidity);

    event ComputeFunded(uint256 amount);

    event ComputeFundingFailed(uint256 amount);

    event ParametersChanged(uint64 minLock, uint64 twapWindow, uint16 maxDeviationBps, uint16 slippageBps);

    event Paused(address indexed account);

    event Unpaused(address indexed account);

    event OwnershipTransferStarted(address indexed previousOwner, address indexed newOwner);

    event OwnershipTransferred(address indexed previousOwner, address indexed newOwner);
}
