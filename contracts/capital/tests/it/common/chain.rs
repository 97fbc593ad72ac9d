//! `Chain`: the stylus-test `TestVM` with the contract's counterparties simulated behind it (the
//! [`Sim`] of `sim.rs`), a record of every external call, and reverts.
//!
//! `TestVM` 0.10.10 answers every call with the data of the last mock registered and never rolls
//! storage back; here each call is answered by the simulated contract it was sent to (an account
//! without code answers success with no data, as on the EVM), and [`Chain::snapshot`] /
//! [`Chain::revert_to`] undo storage, logs and the simulated world exactly as a reverting
//! transaction would.

use std::{cell::RefCell, collections::HashMap, rc::Rc, slice};

use alloy_primitives::{Address, B256, U256};
use stylus_sdk::{stylus_core::*, testing::TestVM};

use super::sim::Sim;

/// One call the contract made: static or not, target, calldata.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ExternalCall {
    pub(crate) is_static: bool,
    pub(crate) to: Address,
    pub(crate) data: Vec<u8>,
}

/// An emitted log: topics and data.
pub(crate) type Log = (Vec<B256>, Vec<u8>);

#[derive(Default)]
struct Recorder {
    return_data: Vec<u8>,
    calls: Vec<ExternalCall>,
    logs: Vec<Log>,
    sim: Sim,
}

/// Storage, logs and the simulated world at one instant, to roll back to.
pub(crate) struct Snapshot {
    storage: HashMap<U256, B256>,
    logs: usize,
    sim: Sim,
}

/// `TestVM` plus the simulated counterparties, a call record and reverts.
#[derive(Clone)]
pub(crate) struct Chain {
    pub(crate) vm: TestVM,
    rec: Rc<RefCell<Recorder>>,
}

impl Chain {
    pub(crate) fn new(sim: Sim) -> Self {
        Self {
            vm: TestVM::new(),
            rec: Rc::new(RefCell::new(Recorder {
                sim,
                ..Recorder::default()
            })),
        }
    }

    /// Reads the simulated world.
    pub(crate) fn sim<T>(&self, f: impl FnOnce(&Sim) -> T) -> T {
        f(&self.rec.borrow().sim)
    }

    /// Changes the simulated world (a test's own moves: faucets, rebases, other traders).
    pub(crate) fn sim_mut<T>(&self, f: impl FnOnce(&mut Sim) -> T) -> T {
        f(&mut self.rec.borrow_mut().sim)
    }

    /// How many external calls were made so far.
    pub(crate) fn call_count(&self) -> usize {
        self.rec.borrow().calls.len()
    }

    /// Every external call made so far (including those of reverted transactions).
    pub(crate) fn calls(&self) -> Vec<ExternalCall> {
        self.rec.borrow().calls.clone()
    }

    /// The external calls from the `from`-th on.
    pub(crate) fn calls_from(&self, from: usize) -> Vec<ExternalCall> {
        self.rec.borrow().calls[from..].to_vec()
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
            sim: rec.sim.clone(),
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
        rec.sim = snapshot.sim;
    }

    fn dispatch(&self, is_static: bool, to: Address, data: Vec<u8>) -> (u8, usize) {
        let caller = self.vm.contract_address();
        let now = self.vm.block_timestamp();
        let mut rec = self.rec.borrow_mut();
        rec.calls.push(ExternalCall {
            is_static,
            to,
            data: data.clone(),
        });
        // A call runs on a copy that is kept only if it succeeds, as the EVM reverts a callee.
        let mut sim = rec.sim.clone();
        let (status, out) = match sim.call(caller, to, &data, now) {
            Some(Ok(out)) => {
                if !is_static {
                    rec.sim = sim;
                }
                (0, out)
            }
            Some(Err(out)) => (1, out),
            None => (0, Vec::new()),
        };
        let len = out.len();
        rec.return_data = out;
        (status, len)
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
        _value: *const u8,
        _gas: u64,
        outs_len: &mut usize,
    ) -> u8 {
        let (to, data) = read_call(to, data, data_len);
        let (status, len) = self.dispatch(false, to, data);
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
        let (status, len) = self.dispatch(true, to, data);
        *outs_len = len;
        status
    }

    unsafe fn delegate_call_contract(
        &self,
        _to: *const u8,
        _data: *const u8,
        _data_len: usize,
        _gas: u64,
        _outs_len: &mut usize,
    ) -> u8 {
        panic!("the capital contract never delegate-calls")
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

    /// The simulated contracts have code; every other account has none.
    fn code_size(&self, account: Address) -> usize {
        usize::from(self.rec.borrow().sim.has_code(account))
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
