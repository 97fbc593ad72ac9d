// SPDX-License-Identifier: MIT OR Apache-2.0
// The capital contract's errors: the one definition of them. `yellowstone-protocol` turns it
// into Rust types with `sol!` (`capital::abi`), and the ABI export splices it into
// abi/IYellowstoneCapital.sol. Every parameter is a single static word.
pragma solidity ^0.8.23;

/// An amount of zero was given where a positive one is required.
error ZeroAmount();
/// An address argument was zero where a real account is required.
error ZeroAddress();
/// `pair` does not trade exactly the wrapped asset against the native token.
error PairMismatch(address pair);
/// A call to `token` (transfer, transferFrom, approve, mint, wrap) failed or returned false.
error TokenCallFailed(address token, address to, uint256 amount);
/// A call to the Uniswap V2 pair failed (`selector` names the function).
error PairCallFailed(address pair, bytes4 selector);
/// `caller` is not the owner.
error NotOwner(address caller);
/// `caller` is not the pending owner.
error NotPendingOwner(address caller);
/// Deposits and harvests are paused (withdrawals and claims never are).
error EnforcedPause();
/// The contract is not paused.
error ExpectedPause();
/// The deposit is locked until `unlockAt` (block timestamp `now`).
error StillLocked(uint64 unlockAt, uint64 now);
/// A withdrawal of `requested` exceeds the caller's principal of `principal`.
error InsufficientPrincipal(uint256 requested, uint256 principal);
/// The caller has no emission owed.
error NothingToClaim(address account);
/// The native-token reserve holds `available`, less than the `needed` payment.
error ReserveShort(uint256 needed, uint256 available);
/// The last harvest was less than a day ago: the next may run from `nextAt`.
error HarvestTooSoon(uint64 nextAt, uint64 now);
/// No price observation is open: call `poke()` and wait the TWAP window.
error NoObservation();
/// The open observation is `elapsed` seconds old, less than the TWAP window `minimum`.
error TwapWindowTooShort(uint64 elapsed, uint64 minimum);
/// The observation is younger than twice the TWAP window (`reopensAt`): it cannot be replaced yet.
error ObservationOpen(uint64 reopensAt, uint64 now);
/// The pair has no liquidity yet: the owner must bootstrap its first price.
error PoolEmpty();
/// The pair already has liquidity: its price is the market's, not the owner's.
error PoolNotEmpty();
/// The pair's spot price (native per wrapped, UQ112x112) is more than `maxDeviationBps` from its
/// time-weighted average over the observation window.
error SpotDeviates(uint256 spotX112, uint256 twapX112, uint256 maxDeviationBps);
/// The swap would return `amountOut`, less than `minimumOut` (the TWAP quote less slippage).
error SlippageExceeded(uint256 amountOut, uint256 minimumOut);
/// There is no yield and nothing carried to harvest.
error NothingToHarvest();
/// Parameter `parameter` (0 minLock, 1 twapWindow, 2 maxDeviationBps, 3 slippageBps) set to
/// `value` lies outside its hard bounds [`minimum`, `maximum`].
error ParameterOutOfBounds(uint8 parameter, uint256 value, uint256 minimum, uint256 maximum);
/// A bootstrap price of `priceWad` (native wei per wrapped wei, 1e18 scale) lies outside the
/// bounds fixed at deployment.
error PriceOutOfBounds(uint256 priceWad, uint256 minimum, uint256 maximum);
/// An amount would overflow 256 bits.
error ArithmeticOverflow();
