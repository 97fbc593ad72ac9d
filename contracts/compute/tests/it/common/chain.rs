//! `Chain`: the stylus-test `TestVM`, with three things a contract test needs and `TestVM`
//! 0.10.10 does not give.
//!
//! 1. **The right return data.** `TestVM` answers `read_return_data` with the data of the
//!    *last mock registered* (any kind), not of the call that was made, and an unmocked call
//!    "succeeds" with that same stale data. A `transfer` the test never expected (wrong
//!    recipient, wrong amount) would then read as the `true` of some other mock and pass.
//!    Here every call returns exactly its own mock's data, and an unmocked call behaves as a
//!    call to an account without code does on the EVM: success with no data.
//! 2. **A record of every external call** (kind, target, calldata, value), so a test can say
//!    exactly which token calls an entry point made, or that it made none.
//! 3. **Reverts.** `TestVM` writes storage straight through and never rolls back, so a method
//!    that returns `Err` after writing storage leaves the writes in place, which on chain the
//!    revert would undo. [`Chain::snapshot`] / [`Chain::revert_to`] let the harness undo
//!    storage, logs and the simulated token exactly as a reverting transaction would.
//!
//! Optionally it also simulates the MOR token (balances, `transfer`, `transferFrom` with
//! unlimited allowance), for the property tests, where payments are not known in advance.
//! Explicit `TestVM` mocks always take precedence over the simulation.

use std::{cell::RefCell, collections::HashMap, rc::Rc, slice};

use alloy_primitives::{Address, B256, U256};
use stylus_sdk::{stylus_core::*, testing::TestVM};

/// How a contract reached another one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CallKind {
    /// `CALL`.
    Call,
    /// `STATICCALL`.
    Static,
    /// `DELEGATECALL`.
    Delegate,
}

/// One call the contract made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ExternalCall {
    pub(crate) kind: CallKind,
    pub(crate) to: Address,
    pub(crate) data: Vec<u8>,
    pub(crate) value: U256,
}

/// An emitted log: topics and data.
pub(crate) type Log = (Vec<B256>, Vec<u8>);

/// A minimal ERC-20 standing in for MOR: balances only, every allowance unlimited.
#[derive(Clone, Debug, Default)]
pub(crate) struct SimToken {
    pub(crate) address: Address,
    pub(crate) balances: HashMap<Address, U256>,
}

impl SimToken {
    pub(crate) fn balance(&self, who: Address) -> U256 {
        self.balances.get(&who).copied().unwrap_or_default()
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

#[derive(Default)]
struct Recorder {
    return_data: Vec<u8>,
    calls: Vec<ExternalCall>,
    logs: Vec<Log>,
    token: Option<SimToken>,
}

/// Storage, logs and token ledger at one instant, to roll back to.
pub(crate) struct Snapshot {
    storage: HashMap<U256, B256>,
    logs: usize,
    token: Option<SimToken>,
}

/// `TestVM` plus correct return data, a call record, reverts and an optional MOR simulation.
#[derive(Clone)]
pub(crate) struct Chain {
    pub(crate) vm: TestVM,
    rec: Rc<RefCell<Recorder>>,
}

impl Default for Chain {
    fn default() -> Self {
        Self::new()
    }
}

impl Chain {
    pub(crate) fn new() -> Self {
        Self {
            vm: TestVM::new(),
            rec: Rc::new(RefCell::new(Recorder::default())),
        }
    }

    /// Simulates an ERC-20 at `address` for calls no explicit mock answers.
    pub(crate) fn simulate_token(&self, address: Address) {
        self.rec.borrow_mut().token = Some(SimToken {
            address,
            balances: HashMap::new(),
        });
    }

    /// Whether a token is simulated.
    pub(crate) fn simulates_token(&self) -> bool {
        self.rec.borrow().token.is_some()
    }

    /// Gives `who` `amount` of the simulated token.
    pub(crate) fn mint(&self, who: Address, amount: U256) {
        let mut rec = self.rec.borrow_mut();
        let token = rec.token.as_mut().expect("no simulated token");
        let balance = token.balance(who);
        token.balances.insert(who, balance + amount);
    }

    /// The simulated token's balance of `who`.
    pub(crate) fn token_balance(&self, who: Address) -> U256 {
        self.rec
            .borrow()
            .token
            .as_ref()
            .expect("no simulated token")
            .balance(who)
    }

    /// Every external call made so far (including those of reverted transactions).
    pub(crate) fn calls(&self) -> Vec<ExternalCall> {
        self.rec.borrow().calls.clone()
    }

    /// How many external calls were made so far.
    pub(crate) fn call_count(&self) -> usize {
        self.rec.borrow().calls.len()
    }

    /// The external calls from the `from`-th on.
    pub(crate) fn calls_from(&self, from: usize) -> Vec<ExternalCall> {
        self.rec.borrow().calls[from..].to_vec()
    }

    /// Every log of every transaction that did not revert.
    pub(crate) fn logs(&self) -> Vec<Log> {
        self.rec.borrow().logs.clone()
    }

    /// How many logs are kept so far.
    pub(crate) fn log_count(&self) -> usize {
        self.rec.borrow().logs.len()
    }

    /// The logs from the `from`-th on (none if `from` is past the end).
    pub(crate) fn logs_from(&self, from: usize) -> Vec<Log> {
        let rec = self.rec.borrow();
        rec.logs[from.min(rec.logs.len())..].to_vec()
    }

    pub(crate) fn snapshot(&self) -> Snapshot {
        let rec = self.rec.borrow();
        Snapshot {
            storage: self.vm.snapshot().storage,
            logs: rec.logs.len(),
            token: rec.token.clone(),
        }
    }

    /// Undoes everything a reverted transaction did since `snapshot`.
    pub(crate) fn revert_to(&self, snapshot: Snapshot) {
        self.vm.clear_storage();
        for (key, value) in snapshot.storage {
            self.vm.set_storage(key, value);
        }
        let mut rec = self.rec.borrow_mut();
        rec.logs.truncate(snapshot.logs);
        rec.token = snapshot.token;
    }

    fn dispatch(&self, kind: CallKind, to: Address, data: Vec<u8>, value: U256) -> (u8, usize) {
        self.rec.borrow_mut().calls.push(ExternalCall {
            kind,
            to,
            data: data.clone(),
            value,
        });
        let state = self.vm.snapshot();
        let mocked = match kind {
            CallKind::Call => state.call_returns.get(&(to, data.clone(), value)).cloned(),
            CallKind::Static => state.static_call_returns.get(&(to, data.clone())).cloned(),
            CallKind::Delegate => state
                .delegate_call_returns
                .get(&(to, data.clone()))
                .cloned(),
        };
        let caller = state.contract_address;
        let (status, out) = match mocked {
            Some(Ok(out)) => (0, out),
            Some(Err(out)) => (1, out),
            None => self
                .simulate(kind, caller, to, &data)
                .unwrap_or((0, Vec::new())),
        };
        let len = out.len();
        self.rec.borrow_mut().return_data = out;
        (status, len)
    }

    /// The simulated token's answer, or `None` when the call is not for it.
    fn simulate(
        &self,
        kind: CallKind,
        caller: Address,
        to: Address,
        data: &[u8],
    ) -> Option<(u8, Vec<u8>)> {
        let mut rec = self.rec.borrow_mut();
        let token = rec.token.as_mut()?;
        if kind != CallKind::Call || to != token.address || data.len() < 4 {
            return None;
        }
        let word = |i: usize| -> Option<&[u8]> { data.get(4 + 32 * i..4 + 32 * (i + 1)) };
        let address = |i: usize| word(i).map(|w| Address::from_slice(&w[12..]));
        let amount = |i: usize| word(i).map(U256::from_be_slice);
        let ok = match data[..4] {
            [0xa9, 0x05, 0x9c, 0xbb] if data.len() == 68 => {
                token.move_funds(caller, address(0)?, amount(1)?)
            }
            [0x23, 0xb8, 0x72, 0xdd] if data.len() == 100 => {
                token.move_funds(address(0)?, address(1)?, amount(2)?)
            }
            _ => return Some((1, Vec::new())),
        };
        if ok {
            Some((0, U256::from(1).to_be_bytes::<32>().to_vec()))
        } else {
            Some((1, Vec::new()))
        }
    }
}

impl Host for Chain {}

impl CryptographyAccess for Chain {
    fn native_keccak256(&self, input: &[u8]) -> B256 {
        self.vm.native_keccak256(input)
    }
}

impl CalldataAccess for Chain {
    fn read_args(&self, len: usize) -> Vec<u8> {
        self.vm.read_args(len)
    }

    fn read_return_data(&self, offset: usize, size: Option<usize>) -> Vec<u8> {
        let rec = self.rec.borrow();
        let data = &rec.return_data;
        let start = offset.min(data.len());
        let end = size.map_or(data.len(), |s| (start + s).min(data.len()));
        data[start..end].to_vec()
    }

    fn return_data_size(&self) -> usize {
        self.rec.borrow().return_data.len()
    }

    fn write_result(&self, data: &[u8]) {
        self.rec.borrow_mut().return_data = data.to_vec();
    }
}

unsafe impl UnsafeDeploymentAccess for Chain {
    unsafe fn create1(
        &self,
        code: *const u8,
        code_len: usize,
        endowment: *const u8,
        contract: *mut u8,
        revert_data_len: *mut usize,
    ) {
        self.vm
            .create1(code, code_len, endowment, contract, revert_data_len)
    }

    unsafe fn create2(
        &self,
        code: *const u8,
        code_len: usize,
        endowment: *const u8,
        salt: *const u8,
        contract: *mut u8,
        revert_data_len: *mut usize,
    ) {
        self.vm
            .create2(code, code_len, endowment, salt, contract, revert_data_len)
    }
}

impl StorageAccess for Chain {
    fn storage_load_bytes32(&self, key: U256) -> B256 {
        self.vm.storage_load_bytes32(key)
    }

    unsafe fn storage_cache_bytes32(&self, key: U256, value: B256) {
        self.vm.storage_cache_bytes32(key, value)
    }

    fn flush_cache(&self, clear: bool) {
        self.vm.flush_cache(clear)
    }
}

unsafe fn read_call(to: *const u8, data: *const u8, data_len: usize) -> (Address, Vec<u8>) {
    let to = Address::from_slice(slice::from_raw_parts(to, 20));
    let data = if data_len == 0 {
        Vec::new()
    } else {
        slice::from_raw_parts(data, data_len).to_vec()
    };
    (to, data)
}

unsafe impl UnsafeCallAccess for Chain {
    unsafe fn call_contract(
        &self,
        to: *const u8,
        data: *const u8,
        data_len: usize,
        value: *const u8,
        _gas: u64,
        outs_len: &mut usize,
    ) -> u8 {
        let (to, data) = read_call(to, data, data_len);
        let value = U256::from_be_slice(slice::from_raw_parts(value, 32));
        let (status, len) = self.dispatch(CallKind::Call, to, data, value);
        *outs_len = len;
        status
    }

    unsafe fn static_call_contract(
        &self,
        to: *const u8,
        data: *const u8,
        data_len: usize,
        _gas: u64,
        outs_len: &mut usize,
    ) -> u8 {
        let (to, data) = read_call(to, data, data_len);
        let (status, len) = self.dispatch(CallKind::Static, to, data, U256::ZERO);
        *outs_len = len;
        status
    }

    unsafe fn delegate_call_contract(
        &self,
        to: *const u8,
        data: *const u8,
        data_len: usize,
        _gas: u64,
        outs_len: &mut usize,
    ) -> u8 {
        let (to, data) = read_call(to, data, data_len);
        let (status, len) = self.dispatch(CallKind::Delegate, to, data, U256::ZERO);
        *outs_len = len;
        status
    }
}

impl BlockAccess for Chain {
    fn block_basefee(&self) -> U256 {
        self.vm.block_basefee()
    }

    fn block_coinbase(&self) -> Address {
        self.vm.block_coinbase()
    }

    fn block_number(&self) -> u64 {
        self.vm.block_number()
    }

    fn block_timestamp(&self) -> u64 {
        self.vm.block_timestamp()
    }

    fn block_gas_limit(&self) -> u64 {
        self.vm.block_gas_limit()
    }
}

impl ChainAccess for Chain {
    fn chain_id(&self) -> u64 {
        self.vm.chain_id()
    }
}

impl AccountAccess for Chain {
    fn balance(&self, account: Address) -> U256 {
        self.vm.balance(account)
    }

    fn contract_address(&self) -> Address {
        self.vm.contract_address()
    }

    fn code(&self, account: Address) -> Vec<u8> {
        self.vm.code(account)
    }

    fn code_size(&self, account: Address) -> usize {
        self.vm.code_size(account)
    }

    fn code_hash(&self, account: Address) -> B256 {
        self.vm.code_hash(account)
    }
}

impl MemoryAccess for Chain {
    fn pay_for_memory_grow(&self, pages: u16) {
        self.vm.pay_for_memory_grow(pages)
    }
}

impl MessageAccess for Chain {
    fn msg_sender(&self) -> Address {
        self.vm.msg_sender()
    }

    fn msg_reentrant(&self) -> bool {
        self.vm.msg_reentrant()
    }

    fn msg_value(&self) -> U256 {
        self.vm.msg_value()
    }

    fn tx_origin(&self) -> Address {
        self.vm.tx_origin()
    }
}

impl MeteringAccess for Chain {
    fn evm_gas_left(&self) -> u64 {
        self.vm.evm_gas_left()
    }

    fn evm_ink_left(&self) -> u64 {
        self.vm.evm_ink_left()
    }

    fn tx_gas_price(&self) -> U256 {
        self.vm.tx_gas_price()
    }

    fn tx_ink_price(&self) -> u32 {
        self.vm.tx_ink_price()
    }
}

impl RawLogAccess for Chain {
    fn emit_log(&self, input: &[u8], num_topics: usize) {
        let (topics, data) = input.split_at(num_topics * 32);
        let topics = topics.chunks(32).map(B256::from_slice).collect();
        self.rec.borrow_mut().logs.push((topics, data.to_vec()));
    }

    fn raw_log(&self, topics: &[B256], data: &[u8]) -> Result<(), &'static str> {
        self.rec
            .borrow_mut()
            .logs
            .push((topics.to_vec(), data.to_vec()));
        Ok(())
    }
}
