//! Every refusal of the contract, as a typed Solidity error declared in
//! `yellowstone-protocol`'s `errors.sol` (so off-chain code decodes the same definitions).
//!
//! The revert data is encoded here by [`abi_words`]: every error parameter is one static ABI
//! word, so `selector ++ words` is the whole encoding. Doing it in one non-generic function
//! instead of one `SolError::abi_encode` instance per error keeps kilobytes out of the Wasm;
//! a test checks each error's bytes against `abi_encode`.

use alloc::vec::Vec;

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::SolError;
use yellowstone_protocol::abi::*;

/// A value that is one static ABI word.
pub trait Word {
    /// The value as its 32-byte ABI encoding.
    fn word(self) -> B256;
}

impl Word for U256 {
    fn word(self) -> B256 {
        B256::from(self)
    }
}

impl Word for u64 {
    fn word(self) -> B256 {
        B256::from(U256::from(self))
    }
}

impl Word for Address {
    fn word(self) -> B256 {
        self.into_word()
    }
}

impl Word for B256 {
    fn word(self) -> B256 {
        self
    }
}

/// `prefix ++ words`: the ABI encoding of a call, an error or an event's data.
pub fn abi_words(prefix: &[u8], words: &[B256]) -> Vec<u8> {
    let mut out = Vec::with_capacity(prefix.len() + 32 * words.len());
    out.extend_from_slice(prefix);
    for word in words {
        out.extend_from_slice(word.as_slice());
    }
    out
}

macro_rules! compute_errors {
    ($($name:ident { $($field:ident),* }),* $(,)?) => {
        /// The errors the contract reverts with; each names what was wrong.
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum ComputeError {
            $(
                #[doc = concat!("See [`", stringify!($name), "`].")]
                $name($name),
            )*
        }

        $(
            impl From<$name> for ComputeError {
                fn from(err: $name) -> Self {
                    ComputeError::$name(err)
                }
            }
        )*

        impl From<ComputeError> for Vec<u8> {
            fn from(err: ComputeError) -> Self {
                match err {
                    $(
                        ComputeError::$name(_e) => {
                            abi_words(&<$name as SolError>::SELECTOR, &[$(Word::word(_e.$field)),*])
                        }
                    )*
                }
            }
        }

        /// One error of each kind with distinct field values, to test the encoding with.
        #[cfg(test)]
        fn samples() -> Vec<(ComputeError, Vec<u8>)> {
            let mut next = 0u8;
            let mut sample = || { next += 1; next };
            alloc::vec![$({
                let err = $name { $($field: tests::Sample::sample(sample())),* };
                (ComputeError::from(err.clone()), err.abi_encode())
            }),*]
        }
    };
}

compute_errors! {
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
    use super::*;

    /// A distinct value of a field's type from a small counter.
    pub(super) trait Sample {
        fn sample(n: u8) -> Self;
    }
    impl Sample for U256 {
        fn sample(n: u8) -> Self {
            U256::from(n) << 200 | U256::from(n)
        }
    }
    impl Sample for u64 {
        fn sample(n: u8) -> Self {
            u64::MAX - u64::from(n)
        }
    }
    impl Sample for Address {
        fn sample(n: u8) -> Self {
            Address::repeat_byte(n)
        }
    }

    #[test]
    fn every_error_encodes_exactly_as_solidity_would() {
        let samples = samples();
        assert_eq!(samples.len(), 31, "one sample per error in errors.sol");
        for (err, expected) in samples {
            assert_eq!(Vec::<u8>::from(err.clone()), expected, "{err:?}");
        }
    }
}
