//! Every refusal of the contract, as a typed Solidity error declared in `yellowstone-protocol`'s
//! `capital/errors.sol` (so off-chain code decodes the same definitions).
//!
//! The revert data is encoded by `yellowstone_stylus_kit`'s `abi_words` (through
//! [`sol_errors!`](yellowstone_stylus_kit::sol_errors)): every error parameter is one static ABI
//! word, so `selector ++ words` is the whole encoding, written by one non-generic function
//! instead of one `SolError::abi_encode` instance per error (kilobytes of Wasm); a test checks
//! each error's bytes against `abi_encode`.

use alloy_primitives::U256;
use yellowstone_protocol::capital::abi::*;
/// The word encoding the errors share with events and calls.
pub use yellowstone_stylus_kit::{abi_words, Word};

yellowstone_stylus_kit::sol_errors! {
    CapitalError {
        ZeroAmount {},
        ZeroAddress {},
        PairMismatch { pair },
        TokenCallFailed { token, to, amount },
        PairCallFailed { pair, selector },
        NotOwner { caller },
        NotPendingOwner { caller },
        EnforcedPause {},
        ExpectedPause {},
        StillLocked { unlockAt, now },
        InsufficientPrincipal { requested, principal },
        NothingToClaim { account },
        ReserveShort { needed, available },
        HarvestTooSoon { nextAt, now },
        NoObservation {},
        TwapWindowTooShort { elapsed, minimum },
        ObservationOpen { reopensAt, now },
        PoolEmpty {},
        PoolNotEmpty {},
        SpotDeviates { spotX112, twapX112, maxDeviationBps },
        SlippageExceeded { amountOut, minimumOut },
        NothingToHarvest {},
        ParameterOutOfBounds { parameter, value, minimum, maximum },
        PriceOutOfBounds { priceWad, minimum, maximum },
        ArithmeticOverflow {},
    }
}

/// Under `export-abi` stylus-sdk asks the error type for its declarations; the export splices
/// them in from `errors.sol` instead, with parameter names, so this lists none.
#[cfg(feature = "export-abi")]
impl stylus_sdk::abi::export::internal::InnerTypes for CapitalError {}

/// [`ArithmeticOverflow`] for a `None` from checked arithmetic.
pub trait OrOverflow<T> {
    /// The value, or [`ArithmeticOverflow`].
    fn or_overflow(self) -> Result<T, CapitalError>;
}

impl<T> OrOverflow<T> for Option<T> {
    fn or_overflow(self) -> Result<T, CapitalError> {
        self.ok_or(CapitalError::ArithmeticOverflow(ArithmeticOverflow {}))
    }
}

/// `a + b`, or [`ArithmeticOverflow`].
pub fn add(a: U256, b: U256) -> Result<U256, CapitalError> {
    a.checked_add(b).or_overflow()
}

/// `a - b`, or [`ArithmeticOverflow`] (a broken books invariant, never expected).
pub fn sub(a: U256, b: U256) -> Result<U256, CapitalError> {
    a.checked_sub(b).or_overflow()
}

#[cfg(test)]
mod tests {
    use alloc::vec::Vec;

    use super::*;

    #[test]
    fn every_error_encodes_exactly_as_solidity_would() {
        let samples = samples();
        assert_eq!(
            samples.len(),
            25,
            "one sample per error in capital/errors.sol"
        );
        for (err, expected) in samples {
            assert_eq!(Vec::<u8>::from(err.clone()), expected, "{err:?}");
        }
    }
}
