//! A contract's storage as packed fields of whole words.
//!
//! Fields are packed as Solidity (and stylus-sdk's `#[storage]`) packs them, the first field of
//! a slot in its low-order bytes. A contract declares its fields as [`Field`] constants rather
//! than a `#[storage]` struct of typed handles, which builds every handle on each call and
//! costs Wasm; its storage struct implements [`Storage`] and reads or writes a value where it
//! is needed. Mappings of records (a provider's, a position's) start at `keccak(key . slot)`
//! ([`mapped`], [`Record`]).

use alloy_primitives::{keccak256, Address, B256, U256};
use stylus_sdk::stylus_core::{host::Host, HostAccess};

/// A value in storage: its slot (in the contract, or in a record) and its byte range in the
/// slot's word, packed into one integer so that it costs no data segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Field(u32);

/// The field of `bytes` bytes (1 to 32) at byte `byte` (from the low-order end) of slot `slot`.
#[inline]
pub const fn field(slot: u32, byte: u32, bytes: u32) -> Field {
    Field(slot << 16 | (32 - byte - bytes) << 8 | bytes)
}

impl Field {
    /// The field's slot (relative to its record's, for a record's field).
    #[inline]
    pub fn slot(self) -> u64 {
        u64::from(self.0 >> 16)
    }

    /// Big-endian index of the field's first byte in the word.
    #[inline]
    fn start(self) -> usize {
        (self.0 >> 8 & 0xff) as usize
    }

    /// The field's length in bytes.
    #[inline]
    fn len(self) -> usize {
        (self.0 & 0xff) as usize
    }
}

/// A field at an absolute slot.
#[derive(Clone, Copy, Debug)]
pub struct Place {
    slot: U256,
    field: Field,
}

impl Place {
    /// Field `field` of the word at absolute slot `slot`.
    #[inline]
    pub fn new(slot: U256, field: Field) -> Self {
        Place { slot, field }
    }
}

/// Where a value is: a contract field, or a field of a record.
pub trait Loc: Copy {
    /// The absolute place.
    fn place(self) -> Place;
}

impl Loc for Field {
    #[inline]
    fn place(self) -> Place {
        Place {
            slot: U256::from(self.slot()),
            field: self,
        }
    }
}

impl Loc for Place {
    #[inline]
    fn place(self) -> Place {
        self
    }
}

/// The slot of `key` in the mapping at slot `map` (Solidity's `keccak(key . slot)`).
#[inline]
pub fn mapped(key: Address, map: u64) -> U256 {
    let mut preimage = [0u8; 64];
    preimage[12..32].copy_from_slice(key.as_slice());
    preimage[56..].copy_from_slice(&map.to_be_bytes());
    U256::from_be_bytes(keccak256(preimage).0)
}

/// A record in a mapping: the slot it starts at (one hash, however many fields are used).
#[derive(Clone, Copy, Debug)]
pub struct Record(U256);

impl Record {
    /// `key`'s record in the mapping at slot `map`.
    #[inline]
    pub fn of(key: Address, map: u64) -> Self {
        Record(mapped(key, map))
    }

    /// Field `f` of the record (`f`'s slot counted from the record's first).
    #[inline]
    pub fn at(self, f: Field) -> Place {
        Place {
            slot: self.0.wrapping_add(U256::from(f.slot())),
            field: f,
        }
    }
}

/// Typed reads and writes of fields, for a contract's storage struct. Writes go through the
/// host's storage cache (flushed when the call returns), reads see them.
pub trait Storage: HostAccess {
    /// The contract's error type.
    type Error;

    /// The contract's `ArithmeticOverflow`: a value too wide for its field.
    fn overflow() -> Self::Error;

    /// The value at `l`.
    fn get(&self, l: impl Loc) -> U256 {
        load(self.vm(), l.place())
    }

    /// The value at `l`, a field of at most 8 bytes.
    fn get_u64(&self, l: impl Loc) -> u64 {
        load(self.vm(), l.place()).as_limbs()[0]
    }

    /// The value at `l`, a one-byte flag.
    fn get_bool(&self, l: impl Loc) -> bool {
        !load(self.vm(), l.place()).is_zero()
    }

    /// The value at `l`, a 20-byte field.
    fn get_address(&self, l: impl Loc) -> Address {
        Address::from_word(B256::from(load(self.vm(), l.place())))
    }

    /// Sets the value at `l`, or [`Storage::overflow`] (writing nothing) if it does not fit:
    /// a value is refused, never truncated.
    fn set(&mut self, l: impl Loc, value: U256) -> Result<(), Self::Error> {
        if store(self.vm(), l.place(), value) {
            Ok(())
        } else {
            Err(Self::overflow())
        }
    }

    /// Sets the value at `l`, a field of at least 8 bytes: it always fits.
    fn set_u64(&mut self, l: impl Loc, value: u64) {
        store(self.vm(), l.place(), U256::from(value));
    }

    /// Sets the value at `l`, a one-byte flag.
    fn set_bool(&mut self, l: impl Loc, value: bool) {
        store(self.vm(), l.place(), U256::from(value as u8));
    }

    /// Sets the value at `l`, a 20-byte field: it always fits.
    fn set_address(&mut self, l: impl Loc, value: Address) {
        store(
            self.vm(),
            l.place(),
            U256::from_be_bytes(value.into_word().0),
        );
    }
}

fn load<H: Host + ?Sized>(host: &H, p: Place) -> U256 {
    let (start, len) = (p.field.start(), p.field.len());
    let word = host.storage_load_bytes32(p.slot).0;
    let mut out = [0u8; 32];
    if let (Some(to), Some(from)) = (out.get_mut(32 - len..), word.get(start..start + len)) {
        to.copy_from_slice(from);
    }
    U256::from_be_bytes(out)
}

/// Writes `value` into its field; `false` (and nothing written) if it does not fit.
fn store<H: Host + ?Sized>(host: &H, p: Place, value: U256) -> bool {
    let (start, len) = (p.field.start(), p.field.len());
    let bytes = value.to_be_bytes::<32>();
    let (high, low) = bytes.split_at(32 - len.min(32));
    if high.iter().any(|b| *b != 0) {
        return false;
    }
    // A whole-word field is written without reading the slot (a cold read costs 2,100).
    let mut word = if len == 32 {
        [0u8; 32]
    } else {
        host.storage_load_bytes32(p.slot).0
    };
    if let Some(to) = word.get_mut(start..start + len) {
        to.copy_from_slice(low);
    }
    // SAFETY: nothing else holds this slot's value across the write.
    unsafe { host.storage_cache_bytes32(p.slot, B256::from(word)) };
    true
}

#[cfg(test)]
mod tests {
    use alloy_primitives::{address, b256};
    use stylus_sdk::{stylus_core::StorageAccess, testing::TestVM};

    use super::*;

    /// A contract whose storage is a bare test host.
    struct Contract(TestVM);

    impl HostAccess for Contract {
        type Host = TestVM;
        fn vm(&self) -> &TestVM {
            &self.0
        }
    }

    #[derive(Debug, PartialEq)]
    struct Overflow;

    impl Storage for Contract {
        type Error = Overflow;
        fn overflow() -> Overflow {
            Overflow
        }
    }

    const FLAG: Field = field(3, 0, 1);
    const TIME: Field = field(3, 1, 8);
    const OWNER: Field = field(3, 9, 20);
    const AMOUNT: Field = field(4, 16, 16);
    const WORD: Field = field(5, 0, 32);

    fn raw(c: &Contract, slot: u64) -> B256 {
        c.0.storage_load_bytes32(U256::from(slot))
    }

    #[test]
    fn fields_pack_from_the_low_order_end_as_solidity_does() {
        let mut c = Contract(TestVM::new());
        let owner = address!("00112233445566778899aabbccddeeff00112233");
        c.set_bool(FLAG, true);
        c.set_u64(TIME, 0x0102_0304_0506_0708);
        c.set_address(OWNER, owner);
        assert_eq!(
            raw(&c, 3),
            b256!("00000000112233445566778899aabbccddeeff00112233010203040506070801")
        );
        assert!(c.get_bool(FLAG));
        assert_eq!(c.get_u64(TIME), 0x0102_0304_0506_0708);
        assert_eq!(c.get_address(OWNER), owner);
        c.set_u64(TIME, 9);
        assert_eq!(c.get_address(OWNER), owner, "neighbours are kept");
        assert!(c.get_bool(FLAG));
        assert_eq!(c.get(TIME), U256::from(9));
    }

    #[test]
    fn a_value_too_wide_is_refused_and_nothing_is_written() {
        let mut c = Contract(TestVM::new());
        let max = U256::from(u128::MAX);
        assert_eq!(c.set(AMOUNT, max), Ok(()));
        assert_eq!(c.get(AMOUNT), max);
        assert_eq!(c.set(AMOUNT, max + U256::from(1)), Err(Overflow));
        assert_eq!(c.get(AMOUNT), max);
        assert_eq!(
            raw(&c, 4),
            b256!("ffffffffffffffffffffffffffffffff00000000000000000000000000000000")
        );
        assert_eq!(c.set(WORD, U256::MAX), Ok(()));
        assert_eq!(c.get(WORD), U256::MAX);
    }

    #[test]
    fn a_record_starts_at_the_solidity_mapping_slot() {
        let key = address!("00000000000000000000000000000000000000aa");
        let mut preimage = [0u8; 64];
        preimage[31] = 0xaa;
        preimage[63] = 11;
        let base = U256::from_be_bytes(keccak256(preimage).0);
        assert_eq!(mapped(key, 11), base);
        let mut c = Contract(TestVM::new());
        let r = Record::of(key, 11);
        c.set_u64(r.at(field(2, 8, 8)), 5);
        let word = c.0.storage_load_bytes32(base + U256::from(2));
        assert_eq!(U256::from_be_slice(&word.0[16..24]), U256::from(5));
        assert_eq!(c.get_u64(r.at(field(2, 8, 8))), 5);
    }
}
