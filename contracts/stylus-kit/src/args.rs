//! The compact router's calldata decoder and return helpers.
//!
//! stylus-sdk's `#[public]` router decodes and encodes every function's arguments and returns
//! with its own instance of alloy's generic ABI code, a sixth of a contract's Wasm. A contract's
//! own router reads static words in place with the same acceptance rules
//! (`abi_decode_params_validate`: too-short data, dirty high bytes in an `address`, `bool`,
//! `uint16` or `uint64` word, out-of-range offsets or lengths: `None`, which the router turns
//! into empty revert data; trailing bytes are accepted). The contracts' `abi` tests run both
//! routers side by side on well-formed and malformed calldata and require the same answer.

use alloc::vec::Vec;

use alloy_primitives::{Address, B256, U256};
use stylus_sdk::ArbResult;

use crate::abi_words;

/// The arguments after the selector: ABI words, read in place.
#[derive(Clone, Copy, Debug)]
pub struct Args<'a>(&'a [u8]);

impl<'a> Args<'a> {
    /// Splits calldata into its selector and arguments; `None` if it is shorter than a selector.
    #[inline]
    pub fn call(input: &'a [u8]) -> Option<(u32, Self)> {
        let (selector, args) = input.split_first_chunk::<4>()?;
        Some((u32::from_be_bytes(*selector), Args(args)))
    }

    /// Word `i`, if the calldata holds it.
    #[inline]
    pub fn word(&self, i: usize) -> Option<&'a [u8; 32]> {
        let start = i.checked_mul(32)?;
        self.0.get(start..start.checked_add(32)?)?.try_into().ok()
    }

    /// Word `i` whose first `zeros` bytes must be zero (a shorter type's padding).
    #[inline]
    fn padded(&self, i: usize, zeros: usize) -> Option<&'a [u8; 32]> {
        let word = self.word(i)?;
        word[..zeros].iter().all(|b| *b == 0).then_some(word)
    }

    /// An unsigned word of `bytes` bytes (at most 8).
    #[inline]
    fn small(&self, i: usize, bytes: usize) -> Option<u64> {
        let w = self.padded(i, 32 - bytes)?;
        Some(u64::from_be_bytes(w[24..].try_into().ok()?))
    }

    /// A `uint256`.
    #[inline]
    pub fn u256(&self, i: usize) -> Option<U256> {
        self.word(i).map(|w| U256::from_be_bytes(*w))
    }

    /// A `bytes32`.
    #[inline]
    pub fn b256(&self, i: usize) -> Option<B256> {
        self.word(i).map(|w| B256::from(*w))
    }

    /// A `uint64`.
    #[inline]
    pub fn u64(&self, i: usize) -> Option<u64> {
        self.small(i, 8)
    }

    /// A `uint16`.
    #[inline]
    pub fn u16(&self, i: usize) -> Option<u16> {
        self.small(i, 2).map(|v| v as u16)
    }

    /// A `bool`: 0 or 1, nothing else.
    #[inline]
    pub fn bool(&self, i: usize) -> Option<bool> {
        match self.small(i, 1)? {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        }
    }

    /// An `address`.
    #[inline]
    pub fn address(&self, i: usize) -> Option<Address> {
        Some(Address::from_word(B256::from(*self.padded(i, 12)?)))
    }

    /// An offset or a length: a `usize` word (32 bits on wasm32, as alloy reads it).
    #[inline]
    fn size(&self, i: usize) -> Option<usize> {
        const BYTES: usize = core::mem::size_of::<usize>();
        let w = self.padded(i, 32 - BYTES)?;
        Some(usize::from_be_bytes(w[32 - BYTES..].try_into().ok()?))
    }

    /// The `bytes32[]` whose offset is word `i`: a length word at the offset, then that many
    /// words, all inside the calldata.
    #[inline]
    pub fn words(&self, i: usize) -> Option<Vec<B256>> {
        let tail = Args(self.0.get(self.size(i)?..)?);
        let len = tail.size(0)?;
        let items = Args(&tail.0[32..]);
        if len > items.0.len() / 32 {
            return None;
        }
        (0..len).map(|k| items.b256(k)).collect()
    }
}

/// Return data: the words' ABI encoding.
#[inline]
pub fn ret(words: &[B256]) -> ArbResult {
    Ok(abi_words(&[], words))
}

/// A write's outcome: no return data, or the typed error's revert data.
pub fn done<E: Into<Vec<u8>>>(result: Result<(), E>) -> ArbResult {
    result.map(|()| Vec::new()).map_err(Into::into)
}

/// Declares `const NAME: u32` selectors from Solidity names and Rust argument types
/// (`NAME = "name"(U256, Address);`), computed at compile time by stylus-sdk's
/// `function_selector!` as the `#[public]` router computes them.
#[macro_export]
macro_rules! selectors {
    ($($name:ident = $sol:literal ($($ty:ty),*);)*) => {
        $(
            #[doc = concat!("`", $sol, "`")]
            const $name: u32 =
                u32::from_be_bytes($crate::stylus_sdk::function_selector!($sol $(, $ty)*));
        )*
    };
}

#[cfg(test)]
mod tests {
    use alloc::vec;

    use super::*;

    fn word(last: &[u8]) -> [u8; 32] {
        let mut w = [0u8; 32];
        w[32 - last.len()..].copy_from_slice(last);
        w
    }

    #[test]
    fn the_selector_is_split_off_and_short_calldata_refused() {
        let (selector, args) = Args::call(&[1, 2, 3, 4, 5]).unwrap();
        assert_eq!(selector, 0x0102_0304);
        assert_eq!(args.word(0), None, "one byte is not a word");
        assert!(Args::call(&[1, 2, 3]).is_none());
    }

    #[test]
    fn static_words_decode_with_alloys_acceptance_rules() {
        let mut data = vec![];
        data.extend(word(&[0xff; 20]));
        data.extend(word(&[0x01; 8]));
        data.extend(word(&[0xbe, 0xef]));
        data.extend(word(&[1]));
        data.extend([0xee; 32]);
        data.extend([7; 5]); // trailing bytes: accepted
        let a = Args(&data);
        assert_eq!(a.address(0), Some(Address::repeat_byte(0xff)));
        assert_eq!(a.u64(1), Some(0x0101_0101_0101_0101));
        assert_eq!(a.u16(2), Some(0xbeef));
        assert_eq!(a.bool(3), Some(true));
        assert_eq!(a.u256(4), Some(U256::from_be_bytes([0xee; 32])));
        assert_eq!(a.b256(4), Some(B256::repeat_byte(0xee)));
        // dirty high bytes
        assert_eq!(a.address(4), None);
        assert_eq!(a.u64(0), None);
        assert_eq!(a.u16(1), None);
        assert_eq!(a.bool(2), None, "0xbeef is no bool");
        let two = word(&[2]);
        assert_eq!(Args(&two).bool(0), None, "2 is no bool");
        // out of range
        assert_eq!(a.u256(5), None);
        assert_eq!(a.u256(usize::MAX), None);
    }

    #[test]
    fn a_dynamic_array_must_lie_inside_the_calldata() {
        let mut data = vec![];
        data.extend(word(&[32]));
        data.extend(word(&[2]));
        data.extend([0xaa; 32]);
        data.extend([0xbb; 32]);
        let a = Args(&data);
        assert_eq!(
            a.words(0),
            Some(vec![B256::repeat_byte(0xaa), B256::repeat_byte(0xbb)])
        );
        assert_eq!(Args(&data[..data.len() - 1]).words(0), None, "a word short");
        let mut far = data.clone();
        far[31] = 0xff;
        assert_eq!(Args(&far).words(0), None, "offset past the end");
        let mut long = data.clone();
        long[0] = 1;
        assert_eq!(Args(&long).words(0), None, "offset wider than usize");
    }

    #[test]
    fn returns_are_words_and_errors_their_revert_data() {
        assert_eq!(
            ret(&[B256::repeat_byte(1)]),
            Ok(B256::repeat_byte(1).to_vec())
        );
        assert_eq!(done::<Vec<u8>>(Ok(())), Ok(vec![]));
        assert_eq!(done(Err(vec![9u8, 9])), Err(vec![9, 9]));
    }
}
