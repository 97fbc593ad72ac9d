//! The `Host` of [`Chain`]: external calls and return data through its recorder, logs into
//! its record, everything else straight to `TestVM`.

use std::slice;

use alloy_primitives::{Address, B256, U256};
use stylus_sdk::stylus_core::*;

use crate::{CallKind, Chain, Counterparties, ExternalCall};

impl<W: Counterparties> Chain<W> {
    /// Reads the call behind a host call's raw pointers, records and answers it, and reports
    /// the length of its return data as the host does.
    ///
    /// # Safety
    /// `to` must point to 20 readable bytes and `data` to `data_len` (when non-zero).
    unsafe fn host_call(
        &self,
        kind: CallKind,
        to: *const u8,
        data: *const u8,
        data_len: usize,
        value: U256,
        outs_len: &mut usize,
    ) -> u8 {
        let to = Address::from_slice(slice::from_raw_parts(to, 20));
        let data = if data_len == 0 {
            Vec::new()
        } else {
            slice::from_raw_parts(data, data_len).to_vec()
        };
        let (status, len) = self.dispatch(ExternalCall {
            kind,
            to,
            data,
            value,
        });
        *outs_len = len;
        status
    }
}

impl<W: Counterparties> Host for Chain<W> {}

impl<W: Counterparties> CryptographyAccess for Chain<W> {
    fn native_keccak256(&self, input: &[u8]) -> B256 {
        self.vm.native_keccak256(input)
    }
}

impl<W: Counterparties> CalldataAccess for Chain<W> {
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

unsafe impl<W: Counterparties> UnsafeDeploymentAccess for Chain<W> {
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

impl<W: Counterparties> StorageAccess for Chain<W> {
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

unsafe impl<W: Counterparties> UnsafeCallAccess for Chain<W> {
    unsafe fn call_contract(
        &self,
        to: *const u8,
        data: *const u8,
        data_len: usize,
        value: *const u8,
        _gas: u64,
        outs_len: &mut usize,
    ) -> u8 {
        let value = U256::from_be_slice(slice::from_raw_parts(value, 32));
        self.host_call(CallKind::Call, to, data, data_len, value, outs_len)
    }

    unsafe fn static_call_contract(
        &self,
        to: *const u8,
        data: *const u8,
        data_len: usize,
        _gas: u64,
        outs_len: &mut usize,
    ) -> u8 {
        self.host_call(CallKind::Static, to, data, data_len, U256::ZERO, outs_len)
    }

    unsafe fn delegate_call_contract(
        &self,
        to: *const u8,
        data: *const u8,
        data_len: usize,
        _gas: u64,
        outs_len: &mut usize,
    ) -> u8 {
        self.host_call(CallKind::Delegate, to, data, data_len, U256::ZERO, outs_len)
    }
}

impl<W: Counterparties> BlockAccess for Chain<W> {
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

impl<W: Counterparties> ChainAccess for Chain<W> {
    fn chain_id(&self) -> u64 {
        self.vm.chain_id()
    }
}

impl<W: Counterparties> AccountAccess for Chain<W> {
    fn balance(&self, account: Address) -> U256 {
        self.vm.balance(account)
    }

    fn contract_address(&self) -> Address {
        self.vm.contract_address()
    }

    fn code(&self, account: Address) -> Vec<u8> {
        self.vm.code(account)
    }

    /// What the counterparties say, else what `TestVM` has (see [`Counterparties::code_size`]).
    fn code_size(&self, account: Address) -> usize {
        let simulated = self.rec.borrow().sim.code_size(account);
        simulated.unwrap_or_else(|| self.vm.code_size(account))
    }

    fn code_hash(&self, account: Address) -> B256 {
        self.vm.code_hash(account)
    }
}

impl<W: Counterparties> MemoryAccess for Chain<W> {
    fn pay_for_memory_grow(&self, pages: u16) {
        self.vm.pay_for_memory_grow(pages)
    }
}

impl<W: Counterparties> MessageAccess for Chain<W> {
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

impl<W: Counterparties> MeteringAccess for Chain<W> {
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

impl<W: Counterparties> RawLogAccess for Chain<W> {
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
