//! Static ABI words: the encoding of revert data, events and outgoing calls.
//!
//! Every error parameter, event field and call argument of the contracts is one static ABI
//! word, so `prefix ++ words` is the whole encoding. Writing it with one non-generic function
//! instead of one `SolError`/`SolEvent`/`SolCall` encoder per type keeps kilobytes out of the
//! Wasm; the contracts' tests check each error's bytes against `abi_encode` and decode every
//! log with the `sol!` types.

use alloc::vec::Vec;

use alloy_primitives::{Address, FixedBytes, B256, U256};
use stylus_sdk::stylus_core::host::RawLogAccess;

/// A value that is one static ABI word.
pub trait Word {
    /// The value as its 32-byte ABI encoding.
    fn word(self) -> B256;
}

impl Word for U256 {
    #[inline]
    fn word(self) -> B256 {
        B256::from(self)
    }
}

impl Word for u64 {
    #[inline]
    fn word(self) -> B256 {
        B256::from(U256::from(self))
    }
}

impl Word for u16 {
    #[inline]
    fn word(self) -> B256 {
        B256::from(U256::from(self))
    }
}

impl Word for u8 {
    #[inline]
    fn word(self) -> B256 {
        B256::from(U256::from(self))
    }
}

impl Word for bool {
    #[inline]
    fn word(self) -> B256 {
        B256::from(U256::from(self as u8))
    }
}

impl Word for Address {
    #[inline]
    fn word(self) -> B256 {
        self.into_word()
    }
}

impl Word for B256 {
    #[inline]
    fn word(self) -> B256 {
        self
    }
}

/// A `bytes4` is left-aligned in its word.
impl Word for FixedBytes<4> {
    #[inline]
    fn word(self) -> B256 {
        B256::right_padding_from(self.as_slice())
    }
}

/// `prefix ++ words`: the ABI encoding of a call, an error or an event's data.
#[inline]
pub fn abi_words(prefix: &[u8], words: &[B256]) -> Vec<u8> {
    let mut out = Vec::with_capacity(prefix.len() + 32 * words.len());
    out.extend_from_slice(prefix);
    for word in words {
        out.extend_from_slice(word.as_slice());
    }
    out
}

/// Emits a log: `topics` (the event's signature hash first, then its indexed fields) and the
/// non-indexed fields as static ABI words.
pub fn emit<H: RawLogAccess + ?Sized>(host: &H, topics: &[B256], data: &[B256]) {
    let mut log = Vec::with_capacity(32 * (topics.len() + data.len()));
    for word in topics.iter().chain(data) {
        log.extend_from_slice(word.as_slice());
    }
    host.emit_log(&log, topics.len());
}

/// A distinct value of an error field's type from a small counter: the samples
/// [`sol_errors!`](crate::sol_errors) builds for a contract's encoding test.
pub trait Sample {
    /// The value for counter `n` (distinct counters, distinct values).
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

/// A contract's error enum over `sol!` error types whose fields are all static words: the
/// enum `$enum` with one variant per error, `From` each error, and `From<$enum> for Vec<u8>`
/// (the revert data, `selector ++ words` by [`abi_words`]). Under `cfg(test)` it also defines
/// `fn samples() -> Vec<($enum, Vec<u8>)>`: one error of each kind with distinct field values
/// ([`Sample`]) and its `abi_encode`, for the contract's test that the encodings agree.
#[macro_export]
macro_rules! sol_errors {
    ($enum:ident { $($name:ident { $($field:ident),* }),* $(,)? }) => {
        /// The errors the contract reverts with; each names what was wrong.
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum $enum {
            $(
                #[doc = concat!("See [`", stringify!($name), "`].")]
                $name($name),
            )*
        }

        $(
            impl From<$name> for $enum {
                fn from(err: $name) -> Self {
                    $enum::$name(err)
                }
            }
        )*

        impl From<$enum> for alloc::vec::Vec<u8> {
            fn from(err: $enum) -> Self {
                match err {
                    $(
                        $enum::$name(_e) => $crate::abi_words(
                            &<$name as $crate::alloy_sol_types::SolError>::SELECTOR,
                            &[$($crate::Word::word(_e.$field)),*],
                        ),
                    )*
                }
            }
        }

        /// One error of each kind with distinct field values, to test the encoding with.
        #[cfg(test)]
        fn samples() -> alloc::vec::Vec<($enum, alloc::vec::Vec<u8>)> {
            let mut next = 0u8;
            let mut sample = || { next += 1; next };
            alloc::vec![$({
                let err = $name { $($field: $crate::Sample::sample(sample())),* };
                let encoded = $crate::alloy_sol_types::SolError::abi_encode(&err);
                ($enum::from(err), encoded)
            }),*]
        }
    };
}

#[cfg(test)]
mod tests {
    use alloy_primitives::{address, b256, fixed_bytes};

    use super::*;

    #[test]
    fn each_value_is_its_abi_word() {
        let max = U256::MAX.word();
        assert_eq!(max, B256::repeat_byte(0xff));
        assert_eq!(
            0x0102_0304_0506_0708u64.word(),
            b256!("0000000000000000000000000000000000000000000000000102030405060708")
        );
        assert_eq!(0xbeefu16.word(), B256::from(U256::from(0xbeef)));
        assert_eq!(7u8.word(), B256::from(U256::from(7)));
        assert_eq!(true.word(), B256::from(U256::from(1)));
        assert_eq!(false.word(), B256::ZERO);
        let a = address!("00000000000000000000000000000000000000aa");
        assert_eq!(a.word(), B256::left_padding_from(a.as_slice()));
        assert_eq!(B256::repeat_byte(3).word(), B256::repeat_byte(3));
        assert_eq!(
            fixed_bytes!("a9059cbb").word(),
            b256!("a9059cbb00000000000000000000000000000000000000000000000000000000")
        );
    }

    #[test]
    fn words_follow_the_prefix_in_order() {
        let words = [B256::repeat_byte(1), B256::repeat_byte(2)];
        let out = abi_words(&[9, 8, 7, 6], &words);
        assert_eq!(out.len(), 4 + 64);
        assert_eq!(&out[..4], &[9, 8, 7, 6]);
        assert_eq!(&out[4..36], words[0].as_slice());
        assert_eq!(&out[36..], words[1].as_slice());
        assert!(abi_words(&[], &[]).is_empty());
    }

    #[test]
    fn a_log_is_its_topics_then_its_data() {
        let vm = stylus_sdk::testing::TestVM::new();
        let (topic, field) = (B256::repeat_byte(1), B256::repeat_byte(2));
        emit(&vm, &[topic, field], &[U256::from(5).word()]);
        assert_eq!(
            vm.get_emitted_logs(),
            [(alloc::vec![topic, field], U256::from(5).word().to_vec())]
        );
    }

    #[test]
    fn samples_are_distinct() {
        assert_ne!(U256::sample(1), U256::sample(2));
        assert_ne!(u64::sample(1), u64::sample(2));
        assert_ne!(u8::sample(1), u8::sample(2));
        assert_ne!(Address::sample(1), Address::sample(2));
        assert_ne!(FixedBytes::<4>::sample(1), FixedBytes::<4>::sample(2));
    }
}
