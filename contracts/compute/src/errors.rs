//! Every refusal of the contract, as a typed Solidity error (declared in
//! `yellowstone_protocol::abi`, so off-chain code decodes the same definitions).

use stylus_sdk::prelude::*;
use yellowstone_protocol::abi::*;

/// The errors the contract reverts with; each names what was wrong.
#[derive(SolidityError, Debug)]
pub enum ComputeError {
    /// See [`ZeroAmount`].
    ZeroAmount(ZeroAmount),
    /// See [`ZeroAddress`].
    ZeroAddress(ZeroAddress),
    /// See [`TokenTransferFailed`].
    TokenTransferFailed(TokenTransferFailed),
    /// See [`NotOwner`].
    NotOwner(NotOwner),
    /// See [`NotPendingOwner`].
    NotPendingOwner(NotPendingOwner),
    /// See [`EnforcedPause`].
    EnforcedPause(EnforcedPause),
    /// See [`ExpectedPause`].
    ExpectedPause(ExpectedPause),
    /// See [`RouterAlreadyAuthorized`].
    RouterAlreadyAuthorized(RouterAlreadyAuthorized),
    /// See [`UnknownRouter`].
    UnknownRouter(UnknownRouter),
    /// See [`SignatureMalformed`].
    SignatureMalformed(SignatureMalformed),
    /// See [`SignatureHighS`].
    SignatureHighS(SignatureHighS),
    /// See [`SignatureInvalid`].
    SignatureInvalid(SignatureInvalid),
    /// See [`EpochNotIncreasing`].
    EpochNotIncreasing(EpochNotIncreasing),
    /// See [`CumulativeDecreased`].
    CumulativeDecreased(CumulativeDecreased),
    /// See [`DailyCapExceeded`].
    DailyCapExceeded(DailyCapExceeded),
    /// See [`BootstrapCapExceeded`].
    BootstrapCapExceeded(BootstrapCapExceeded),
    /// See [`BootstrapWindowClosed`].
    BootstrapWindowClosed(BootstrapWindowClosed),
    /// See [`FundingExceeded`].
    FundingExceeded(FundingExceeded),
    /// See [`NoEpoch`].
    NoEpoch(NoEpoch),
    /// See [`InvalidProof`].
    InvalidProof(InvalidProof),
    /// See [`NotRegistered`].
    NotRegistered(NotRegistered),
    /// See [`NothingToClaim`].
    NothingToClaim(NothingToClaim),
    /// See [`StakeCapReached`].
    StakeCapReached(StakeCapReached),
    /// See [`ClaimExceedsCredit`].
    ClaimExceedsCredit(ClaimExceedsCredit),
    /// See [`LockEndTooEarly`].
    LockEndTooEarly(LockEndTooEarly),
    /// See [`StakeLocked`].
    StakeLocked(StakeLocked),
    /// See [`InsufficientStake`].
    InsufficientStake(InsufficientStake),
    /// See [`ArithmeticOverflow`].
    ArithmeticOverflow(ArithmeticOverflow),
}

/// `a + b`, or [`ArithmeticOverflow`].
pub fn add(a: alloy_primitives::U256, b: alloy_primitives::U256) -> Result<alloy_primitives::U256, ComputeError> {
    a.checked_add(b).ok_or(ComputeError::ArithmeticOverflow(ArithmeticOverflow {}))
}

/// `a - b`, or [`ArithmeticOverflow`] when `b > a`.
pub fn sub(a: alloy_primitives::U256, b: alloy_primitives::U256) -> Result<alloy_primitives::U256, ComputeError> {
    a.checked_sub(b).ok_or(ComputeError::ArithmeticOverflow(ArithmeticOverflow {}))
}
