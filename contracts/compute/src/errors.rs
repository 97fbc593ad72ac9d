//! Every refusal of the contract, as a typed Solidity error declared in
//! `yellowstone-protocol`'s `errors.sol` (so off-chain code decodes the same definitions).
//!
//! The revert data is encoded by `yellowstone_stylus_kit`'s `abi_words` (through
//! [`sol_errors!`](yellowstone_stylus_kit::sol_errors)): every error parameter is one static ABI
//! word, so `selector ++ words` is the whole encoding. Doing it in one non-generic function
//! instead of one `SolError::abi_encode` instance per error keeps kilobytes out of the Wasm;
//! a test checks each error's bytes against `abi_encode`.

use alloy_primitives::U256;
use yellowstone_protocol::abi::*;
/// The word encoding the errors share with events and calls.
pub use yellowstone_stylus_kit::{abi_words, Word};

yellowstone_stylus_kit::sol_errors! {
    ComputeError {
        ZeroAmount {},
        ZeroAddress {},
        TokenTransferFailed { from, to, amount },
        NotOwner { caller },
        NotPendingOwner { caller },
        EnforcedPause {},
        ExpectedPause {},
        RouterAlreadyAuthorized { router },
        UnknownRouter { router },
        SignatureMalformed {},
        SignatureHighS {},
        SignatureInvalid {},
        UnexpectedEpoch { epoch, expected },
        EpochRootExpired { epoch, deadline, now },
        CreditedDecreased { given, previous },
        BootstrapDecreased { given, previous },
        DailyCapExceeded { day, creditedToday, cap },
        BootstrapCapExceeded { day, bootstrapToday, limit },
        BootstrapWindowClosed { day, windowStartDay },
        FundingExceeded { totalCredited, totalFunded },
        NoEpoch {},
        InvalidProof { provider },
        NotRegistered { provider },
        NothingToClaim { provider, cumulative, claimed },
        StakeCapReached { provider, paidThisPeriod, stake },
        ClaimExceedsCredit { totalClaimed, totalCredited },
        LockEndTooEarly { lockEnd, minimum },
        StakeLocked { lockEnd, now },
        InsufficientStake { requested, staked },
        StakeBacksPayouts { requested, withdrawable, periodEnd },
        ArithmeticOverflow {},
    }
}

/// Under `export-abi` stylus-sdk asks the error type for its declarations; the export splices
/// them in from `errors.sol` instead, with parameter names, so this lists none.
#[cfg(feature = "export-abi")]
impl stylus_sdk::abi::export::internal::InnerTypes for ComputeError {}

/// `a + b`, or [`ArithmeticOverflow`].
pub fn add(a: U256, b: U256) -> Result<U256, ComputeError> {
    a.checked_add(b)
        .ok_or(ComputeError::ArithmeticOverflow(ArithmeticOverflow {}))
}

#[cfg(test)]
mod tests {
    use alloc::vec::Vec;

    use super::*;

    #[test]
    fn every_error_encodes_exactly_as_solidity_would() {
        let samples = samples();
        assert_eq!(samples.len(), 31, "one sample per error in errors.sol");
        for (err, expected) in samples {
            assert_eq!(Vec::<u8>::from(err.clone()), expected, "{err:?}");
        }
    }
}
