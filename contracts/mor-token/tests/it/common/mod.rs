//! The harness shared by the test modules: the token deployed on a stylus-test `TestVM`, with
//! transactions that roll back on a revert and typed event decoding.
//!
//! `TestVM` 0.10.10 writes storage straight through and keeps every log, even of a call that
//! returns `Err`; [`Token::tx`] restores storage and drops the call's logs on `Err`, as the EVM
//! does on a revert, so multi-step assertions see the chain's state.

use alloy_primitives::{address, Address, B256, U256};
use alloy_sol_types::SolEvent;
use stylus_sdk::testing::TestVM;
use yellowstone_mor_token::{MorError, MorToken};

/// The token's own address.
pub(crate) const TOKEN: Address = address!("000000000000000000000000000000000000a0a0");
/// The deployer.
pub(crate) const DEPLOYER: Address = address!("00000000000000000000000000000000000000d0");
/// Development accounts.
pub(crate) const ALICE: Address = address!("000000000000000000000000000000000000a11c");
pub(crate) const BOB: Address = address!("0000000000000000000000000000000000000b0b");
pub(crate) const CAROL: Address = address!("000000000000000000000000000000000000ca01");
/// Someone who holds nothing.
pub(crate) const STRANGER: Address = address!("00000000000000000000000000000000000000f1");

/// `n` whole MOR in wei.
pub(crate) fn mor(n: u64) -> U256 {
    U256::from(n) * U256::from(10u64).pow(U256::from(18))
}

/// An emitted log: topics and data.
pub(crate) type Log = (Vec<B256>, Vec<u8>);

/// The token on a `TestVM`, with the logs of every transaction that did not revert.
pub(crate) struct Token {
    pub(crate) vm: TestVM,
    pub(crate) c: MorToken,
    /// Logs of successful transactions.
    logs: Vec<Log>,
    /// Logs of the latest transaction (empty if it reverted).
    tx_logs: Vec<Log>,
}

impl Token {
    /// A `TestVM` with the token's address set and its constructor not yet run.
    pub(crate) fn undeployed() -> Self {
        let vm = TestVM::new();
        vm.set_contract_address(TOKEN);
        vm.set_chain_id(412_346);
        let c = MorToken::from(&vm);
        Self {
            vm,
            c,
            logs: Vec::new(),
            tx_logs: Vec::new(),
        }
    }

    /// Deployed by [`DEPLOYER`], minting `amount_each` to every one of `holders`.
    pub(crate) fn deploy(holders: &[Address], amount_each: U256) -> Self {
        let mut t = Self::undeployed();
        t.tx(DEPLOYER, |c| c.constructor(holders.to_vec(), amount_each))
            .expect("deploys");
        t
    }

    /// Alice, Bob and Carol hold 1,000 MOR each.
    pub(crate) fn standard() -> Self {
        Self::deploy(&[ALICE, BOB, CAROL], mor(1_000))
    }

    /// Runs one transaction from `sender`; on `Err`, storage and logs are rolled back.
    pub(crate) fn tx<T>(
        &mut self,
        sender: Address,
        f: impl FnOnce(&mut MorToken) -> Result<T, MorError>,
    ) -> Result<T, MorError> {
        self.vm.set_sender(sender);
        let storage = self.vm.snapshot().storage;
        let mark = self.vm.get_emitted_logs().len();
        let result = f(&mut self.c);
        if result.is_ok() {
            self.tx_logs = self.vm.get_emitted_logs()[mark..].to_vec();
            self.logs.extend(self.tx_logs.iter().cloned());
        } else {
            self.tx_logs.clear();
            self.vm.clear_storage();
            for (key, value) in storage {
                self.vm.set_storage(key, value);
            }
        }
        result
    }

    /// `transfer(to, value)` from `sender`.
    pub(crate) fn transfer(
        &mut self,
        sender: Address,
        to: Address,
        value: U256,
    ) -> Result<bool, MorError> {
        self.tx(sender, |c| c.transfer(to, value))
    }

    /// `approve(spender, value)` from `sender`.
    pub(crate) fn approve(
        &mut self,
        sender: Address,
        spender: Address,
        value: U256,
    ) -> Result<bool, MorError> {
        self.tx(sender, |c| c.approve(spender, value))
    }

    /// `transferFrom(from, to, value)` from `sender`.
    pub(crate) fn transfer_from(
        &mut self,
        sender: Address,
        from: Address,
        to: Address,
        value: U256,
    ) -> Result<bool, MorError> {
        self.tx(sender, |c| c.transfer_from(from, to, value))
    }

    pub(crate) fn balance(&self, who: Address) -> U256 {
        self.c.balance_of(who)
    }

    pub(crate) fn allowance(&self, owner: Address, spender: Address) -> U256 {
        self.c.allowance(owner, spender)
    }

    pub(crate) fn supply(&self) -> U256 {
        self.c.total_supply()
    }

    /// Every log of every successful transaction.
    pub(crate) fn logs(&self) -> &[Log] {
        &self.logs
    }

    /// The logs of the latest transaction (none if it reverted).
    pub(crate) fn tx_logs(&self) -> &[Log] {
        &self.tx_logs
    }

    /// Every `E` emitted by successful transactions, decoded.
    pub(crate) fn events<E: SolEvent>(&self) -> Vec<E> {
        decode_all(&self.logs)
    }

    /// Every `E` the latest transaction emitted, decoded.
    pub(crate) fn tx_events<E: SolEvent>(&self) -> Vec<E> {
        decode_all(&self.tx_logs)
    }
}

/// The logs whose first topic is `E`'s signature hash, decoded as `E` (a log that does not
/// decode fails the test).
pub(crate) fn decode_all<E: SolEvent>(logs: &[Log]) -> Vec<E> {
    logs.iter()
        .filter(|(topics, _)| topics.first() == Some(&E::SIGNATURE_HASH))
        .map(|(topics, data)| {
            E::decode_raw_log_validate(topics.iter().copied(), data)
                .unwrap_or_else(|err| panic!("{} does not decode: {err}", E::SIGNATURE))
        })
        .collect()
}
