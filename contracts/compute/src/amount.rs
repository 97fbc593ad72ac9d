//! Amounts in storage: 128 bits, two to a slot (MOR's whole supply is below 2^86 wei), and a
//! `uint256` everywhere else. Stylus charges per slot touched, so the contract pairs the
//! amounts one call reads or writes together (docs/CONTRACT.md section 3).

use alloy_primitives::{aliases::U128, U256};
use stylus_sdk::storage::StorageU128;
use yellowstone_protocol::abi::ArithmeticOverflow;

use crate::errors::ComputeError;

/// A stored amount: 128 bits in storage, a `uint256` everywhere else.
pub(crate) trait Amount {
    /// The stored value, widened.
    fn amount(&self) -> U256;
    /// Stores `value`, or [`ArithmeticOverflow`] if it does not fit in 128 bits.
    fn set_amount(&mut self, value: U256) -> Result<(), ComputeError>;
}

impl Amount for StorageU128 {
    fn amount(&self) -> U256 {
        let [low, high] = self.get().into_limbs();
        U256::from_limbs([low, high, 0, 0])
    }

    fn set_amount(&mut self, value: U256) -> Result<(), ComputeError> {
        match value.into_limbs() {
            [low, high, 0, 0] => {
                self.set(U128::from_limbs([low, high]));
                Ok(())
            }
            _ => Err(ArithmeticOverflow {}.into()),
        }
    }
}
