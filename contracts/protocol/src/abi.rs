//! The compute contract's events and errors, declared once so the contract emits them and the
//! router, the client and the tests decode them from the same definitions.

use alloy_sol_types::sol;

sol! {
    /// `amount` MOR was pulled from `from` into the emission pool.
    event Funded(address indexed from, uint256 amount, uint256 totalFunded);
    /// `provider` staked for the first time and is now registered.
    event ProviderRegistered(address indexed provider);
    /// `provider` added `amount` to its stake, restarting its lock at `lockStart`.
    event Staked(address indexed provider, uint256 amount, uint256 stake, uint64 lockStart, uint64 lockEnd, uint256 multiplier);
    /// `provider` extended its lock to `lockEnd`; the new multiplier applies at once.
    event LockExtended(address indexed provider, uint64 lockStart, uint64 lockEnd, uint256 multiplier);
    /// `provider` took `amount` of its stake back after its lock ended.
    event Withdrawn(address indexed provider, uint256 amount, uint256 stake);
    /// A router-signed epoch root was accepted; `creditedToday` includes this epoch's credit.
    event EpochCommitted(uint64 indexed epoch, address indexed router, bytes32 root, uint256 cumulativeCredited, uint256 cumulativeBootstrap, uint64 day, uint256 creditedToday);
    /// `amount` MOR was paid to `provider` (on a call by `caller`); `deferred` more is proven but
    /// waits for the provider's stake cap to allow it.
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

    /// An amount of zero was given where a positive one is required.
    error ZeroAmount();
    /// The zero address was given for `what`.
    error ZeroAddress(string what);
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
    /// The signature is not 65 bytes of r, s, v.
    error SignatureMalformed();
    /// The signature's s is in the upper half of the curve order (malleable).
    error SignatureHighS();
    /// ecrecover found no signer for the signature.
    error SignatureInvalid();
    /// Epochs must strictly increase.
    error EpochNotIncreasing(uint64 epoch, uint64 lastEpoch);
    /// A cumulative total went down: `which` is "credited" or "bootstrap".
    error CumulativeDecreased(string which, uint256 given, uint256 previous);
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
    /// A lock end must be later than `minimum` (now, and the current lock end).
    error LockEndTooEarly(uint64 lockEnd, uint64 minimum);
    /// Stake is locked until `lockEnd`.
    error StakeLocked(uint64 lockEnd, uint64 now);
    /// Withdrawal of `requested` exceeds the stake of `staked`.
    error InsufficientStake(uint256 requested, uint256 staked);
    /// An amount would overflow 256 bits.
    error ArithmeticOverflow();
}
