//! The MOR token simulated behind the chain, for the property tests, where payments are not
//! known in advance: balances, `transfer`, and `transferFrom` with every allowance unlimited.
//! Explicit `TestVM` mocks always take precedence over the simulation (the kit's `Chain`).

use std::collections::HashMap;

use alloy_primitives::{Address, U256};
use yellowstone_contract_test_kit::{CallKind, Counterparties, ExternalCall};

/// A minimal ERC-20 standing in for MOR: balances only, every allowance unlimited.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct SimToken {
    pub(crate) address: Address,
    pub(crate) balances: HashMap<Address, U256>,
}

impl SimToken {
    /// An empty ledger at `address`.
    pub(crate) fn new(address: Address) -> Self {
        Self {
            address,
            balances: HashMap::new(),
        }
    }

    pub(crate) fn balance(&self, who: Address) -> U256 {
        self.balances.get(&who).copied().unwrap_or_default()
    }

    /// Gives `who` `amount`.
    pub(crate) fn mint(&mut self, who: Address, amount: U256) {
        let balance = self.balance(who);
        self.balances.insert(who, balance + amount);
    }

    fn move_funds(&mut self, from: Address, to: Address, amount: U256) -> bool {
        let have = self.balance(from);
        if have < amount {
            return false;
        }
        self.balances.insert(from, have - amount);
        let to_balance = self.balance(to);
        self.balances.insert(to, to_balance + amount);
        true
    }
}

impl Counterparties for SimToken {
    /// `transfer` and `transferFrom` `CALL`s to the token; any other function of it reverts,
    /// and calls elsewhere are not the token's.
    fn answer(
        &mut self,
        call: &ExternalCall,
        caller: Address,
        _now: u64,
    ) -> Option<Result<Vec<u8>, Vec<u8>>> {
        let data = &call.data;
        if call.kind != CallKind::Call || call.to != self.address || data.len() < 4 {
            return None;
        }
        let word = |i: usize| -> Option<&[u8]> { data.get(4 + 32 * i..4 + 32 * (i + 1)) };
        let address = |i: usize| word(i).map(|w| Address::from_slice(&w[12..]));
        let amount = |i: usize| word(i).map(U256::from_be_slice);
        let ok = match data[..4] {
            [0xa9, 0x05, 0x9c, 0xbb] if data.len() == 68 => {
                self.move_funds(caller, address(0)?, amount(1)?)
            }
            [0x23, 0xb8, 0x72, 0xdd] if data.len() == 100 => {
                self.move_funds(address(0)?, address(1)?, amount(2)?)
            }
            _ => return Some(Err(Vec::new())),
        };
        Some(if ok {
            Ok(U256::from(1).to_be_bytes::<32>().to_vec())
        } else {
            Err(Vec::new())
        })
    }
}
