//! The kit's chain on its own, with a one-contract world: what a contract under test sees when
//! it calls out, and what a reverted transaction leaves behind.

use alloy_primitives::{address, Address, B256, U256};
use stylus_sdk::stylus_core::{CalldataAccess, RawLogAccess, UnsafeCallAccess};
use yellowstone_contract_test_kit::{CallKind, Chain, Counterparties, ExternalCall};

/// A counter contract: every successful call adds one and returns the new count; calldata
/// `[0xff]` reverts with `"no"`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Counter {
    count: u64,
}

const COUNTER: Address = address!("00000000000000000000000000000000000c0c0c");
const NOBODY: Address = address!("0000000000000000000000000000000000000b0d");
const SENDER: Address = address!("00000000000000000000000000000000000000e0");

impl Counterparties for Counter {
    fn answer(
        &mut self,
        call: &ExternalCall,
        _caller: Address,
        _now: u64,
    ) -> Option<Result<Vec<u8>, Vec<u8>>> {
        if call.to != COUNTER {
            return None;
        }
        if call.data == [0xff] {
            self.count += 100; // discarded: a reverting callee changes nothing
            return Some(Err(b"no".to_vec()));
        }
        self.count += 1;
        Some(Ok(U256::from(self.count).to_be_bytes::<32>().to_vec()))
    }
}

/// What the contract would see after a `CALL` (or `STATICCALL`) of `to` with `data`: the
/// status and the return data it reads back.
fn call(chain: &Chain<Counter>, kind: CallKind, to: Address, data: &[u8]) -> (u8, Vec<u8>) {
    let mut len = 0;
    let value = [0u8; 32];
    // SAFETY: every pointer is to a live buffer of the length given.
    let status = unsafe {
        match kind {
            CallKind::Call => chain.call_contract(
                to.as_ptr(),
                data.as_ptr(),
                data.len(),
                value.as_ptr(),
                0,
                &mut len,
            ),
            CallKind::Static => {
                chain.static_call_contract(to.as_ptr(), data.as_ptr(), data.len(), 0, &mut len)
            }
            CallKind::Delegate => {
                chain.delegate_call_contract(to.as_ptr(), data.as_ptr(), data.len(), 0, &mut len)
            }
        }
    };
    let out = chain.read_return_data(0, None);
    assert_eq!(out.len(), len, "the reported length is the data's");
    (status, out)
}

fn word(n: u64) -> Vec<u8> {
    U256::from(n).to_be_bytes::<32>().to_vec()
}

#[test]
fn each_call_reads_its_own_answer_not_the_last_mock() {
    let chain = Chain::new(Counter::default());
    chain
        .vm
        .mock_call(NOBODY, vec![1], U256::ZERO, Ok(b"mocked".to_vec()));
    assert_eq!(call(&chain, CallKind::Call, COUNTER, &[0]), (0, word(1)));
    // An account without code: success, no data (not the mock's stale bytes).
    assert_eq!(call(&chain, CallKind::Call, NOBODY, &[2]), (0, Vec::new()));
    // An explicit mock answers before the world.
    assert_eq!(
        call(&chain, CallKind::Call, NOBODY, &[1]),
        (0, b"mocked".to_vec())
    );
    assert_eq!(
        chain.calls(),
        [
            (CallKind::Call, COUNTER, vec![0]),
            (CallKind::Call, NOBODY, vec![2]),
            (CallKind::Call, NOBODY, vec![1]),
        ]
        .map(|(kind, to, data)| ExternalCall {
            kind,
            to,
            data,
            value: U256::ZERO,
        })
    );
}

#[test]
fn a_static_or_reverting_callee_changes_nothing() {
    let chain = Chain::new(Counter::default());
    assert_eq!(call(&chain, CallKind::Static, COUNTER, &[0]), (0, word(1)));
    assert_eq!(
        call(&chain, CallKind::Call, COUNTER, &[0xff]),
        (1, b"no".to_vec())
    );
    assert_eq!(chain.sim(|c| c.count), 0);
    assert_eq!(call(&chain, CallKind::Call, COUNTER, &[0]), (0, word(1)));
    assert_eq!(chain.sim(|c| c.count), 1);
}

#[test]
fn a_failed_transaction_rolls_back_storage_logs_and_world_but_not_the_call_record() {
    let chain = Chain::new(Counter::default());
    let kept: Result<(), ()> = chain.tx(SENDER, || {
        chain.vm.set_storage(U256::from(1), B256::repeat_byte(1));
        call(&chain, CallKind::Call, COUNTER, &[0]);
        Ok(())
    });
    kept.unwrap();
    let before = (chain.storage(), chain.logs(), chain.sim(Counter::clone));
    let reverted: Result<(), &str> = chain.tx(SENDER, || {
        chain.vm.set_storage(U256::from(1), B256::repeat_byte(2));
        chain.vm.set_storage(U256::from(2), B256::repeat_byte(2));
        chain.raw_log(&[B256::ZERO], b"gone").unwrap();
        call(&chain, CallKind::Call, COUNTER, &[0]);
        Err("revert")
    });
    assert_eq!(reverted, Err("revert"));
    assert_eq!(
        (chain.storage(), chain.logs(), chain.sim(Counter::clone)),
        before
    );
    assert!(chain.tx_logs().is_empty());
    assert_eq!(chain.tx_calls().len(), 1, "the attempt stays on record");
    assert_eq!(chain.call_count(), 2);
}
