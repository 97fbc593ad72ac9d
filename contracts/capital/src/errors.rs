//! Every refusal of the contract, as a typed Solidity error declared in `yellowstone-protocol`'s
//! `capital/errors.sol` (so off-chain code decodes the same definitions).
//!
//! The revert data is encoded by [`abi_words`]: every error parameter is one static ABI word,
//! so `selector ++ words` is the whole encoding, written by one non-generic function instead of
//! one `SolError::abi_encode` instance per error (kilobytes of Wasm); a test checks each error's
//! bytes against `abi_encode`.

use alloc::vec::Vec;

use alloy_primitives::{Address, FixedBytes, B256, U256};
use alloy_sol_types::SolError;
use yellowstone_protocol::capital::abi::*;

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

impl Word for u16 {
    fn word(self) -> B256 {
        B256::from(U256::from(self))
    }
}

impl Word for u8 {
    fn word(self) -> B256 {
        B256::from(U256::from(self))
    }
}

impl Word for bool {
    fn word(self) -> B256 {
        B256::from(U256::from(self as u8))
    }
}

impl Word for Address {
    fn word(self) -> B256 {
        self.into_word()
    }
}

/// A `bytes4` is left-aligned in its word.
impl Word for FixedBytes<4> {
    fn word(self) -> B256 {
        B256::right_padding_from(self.as_slice())
    }
}

/// `prefix ++ words`: the ABI encoding of an error or an event's data.
pub fn abi_words(prefix: &[u8], words: &[B256]) -> Vec<u8> {
    let mut out = Vec::with_capacity(prefix.len() + 32 * words.len());
    out.extend_from_slice(prefix);
    for word in words {
        out.extend_from_slice(word.as_slice());
    }
    out
}

macro_rules! capital_errors {
    ($($name:ident { $($field:ident),* }),* $(,)?) => {
        /// The errors the contract reverts with; each names what was wrong.
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum CapitalError {
            $(
                #[doc = concat!("See [`", stringify!($name), "`].")]
                $name($name),
            )*
        }

        $(
            impl From<$name> for CapitalError {
                fn from(err: $name) -> Self {
                    CapitalError::$name(err)
                }
            }
        )*

        impl From<CapitalError> for Vec<u8> {
            fn from(err: CapitalError) -> Self {
                match err {
                    $(
                        CapitalError::$name(_e) => {
                            abi_words(&<$name as SolError>::SELECTOR, &[$(Word::word(_e.$field)),*])
                        }
                    )*
                }
            }
        }

        /// One error of each kind with distinct field values, to test the encoding with.
        #[cfg(test)]
        fn samples() -> Vec<(CapitalError, Vec<u8>)> {
            let mut next = 0u8;
            let mut sample = || { next += 1; next };
            alloc::vec![$({
                let err = $name { $($field: tests::Sample::sample(sample())),* };
                (CapitalError::from(err.clone()), err.abi_encode())
            }),*]
        }
    };
}

capital_errors! {
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
    impl Sample for u8 {
        fn sample(n: u8) -> Self {
            u8::MAX - n
        }
    }
    impl Sample for Address {
        fn sample(n: u8) -> Self {
            Address::repeat_byte(n)
        }
    }
    impl Sample for FixedBytes<4> {
        fn sample(n: u8) -> Self {
            FixedBytes([n, 0xfe, n, 0x01])
        }
    }

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
