//! [`Chain`]: the stylus-test `TestVM`, with three things a contract test needs and `TestVM`
//! 0.10.10 does not give.
//!
//! 1. **The right return data.** `TestVM` answers `read_return_data` with the data of the
//!    *last mock registered* (any kind), not of the call that was made, and an unmocked call
//!    "succeeds" with that same stale data. A `transfer` the test never expected (wrong
//!    recipient, wrong amount) would then read as the `true` of some other mock and pass.
//!    Here every call returns exactly its own answer: an explicit `TestVM` mock first, else the
//!    suite's simulated [`Counterparties`], else what an account without code answers on the
//!    EVM, success with no data.
//! 2. **A record of every external call** (kind, target, calldata, value), so a test can say
//!    exactly which calls an entry point made, or that it made none.
//! 3. **Reverts.** `TestVM` writes storage straight through and never rolls back, so a method
//!    that returns `Err` after writing storage leaves the writes in place, which on chain the
//!    revert would undo. [`Chain::tx`] (through [`Chain::snapshot`] / [`Chain::revert_to`])
//!    undoes storage, logs and the counterparties exactly as a reverting transaction would.

use std::{cell::RefCell, collections::HashMap, rc::Rc};

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::SolEvent;
use stylus_sdk::{stylus_core::BlockAccess, testing::TestVM};

/// How a contract reached another one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallKind {
    /// `CALL`.
    Call,
    /// `STATICCALL`.
    Static,
    /// `DELEGATECALL`.
    Delegate,
}

/// One call the contract made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExternalCall {
    /// `CALL`, `STATICCALL` or `DELEGATECALL`.
    pub kind: CallKind,
    /// The callee.
    pub to: Address,
    /// The calldata.
    pub data: Vec<u8>,
    /// The value sent (zero for static and delegate calls).
    pub value: U256,
}

impl ExternalCall {
    /// Whether the call was a `STATICCALL` (could not change anything).
    pub fn is_static(&self) -> bool {
        self.kind == CallKind::Static
    }
}

/// An emitted log: topics and data.
pub type Log = (Vec<B256>, Vec<u8>);

/// The contracts a suite simulates behind the chain (tokens, pools, other protocol contracts).
///
/// A call runs on a copy of the counterparties, kept only when the call succeeds and is not
/// static, as the EVM reverts a failed callee; a snapshot clones them.
pub trait Counterparties: Clone + 'static {
    /// The answer of the simulated contract at `call.to` to `call`, made by `caller` at block
    /// time `now`: `Ok(return data)` or `Err(revert data)`; `None` when nothing is simulated
    /// there (the chain then answers as an account without code: success, no data).
    fn answer(
        &mut self,
        call: &ExternalCall,
        caller: Address,
        now: u64,
    ) -> Option<Result<Vec<u8>, Vec<u8>>>;

    /// The code size of `account` when the simulation decides it; `None` asks `TestVM`.
    fn code_size(&self, _account: Address) -> Option<usize> {
        None
    }
}

/// Counterparties that may be absent: `None` simulates nothing.
impl<T: Counterparties> Counterparties for Option<T> {
    fn answer(
        &mut self,
        call: &ExternalCall,
        caller: Address,
        now: u64,
    ) -> Option<Result<Vec<u8>, Vec<u8>>> {
        self.as_mut()?.answer(call, caller, now)
    }

    fn code_size(&self, account: Address) -> Option<usize> {
        self.as_ref()?.code_size(account)
    }
}

pub(crate) struct Recorder<W> {
    pub(crate) return_data: Vec<u8>,
    pub(crate) calls: Vec<ExternalCall>,
    pub(crate) logs: Vec<Log>,
    /// Logs and calls counts before the latest [`Chain::tx`].
    tx_marks: (usize, usize),
    pub(crate) sim: W,
}

/// Storage, logs and counterparties at one instant, to roll back to.
pub struct Snapshot<W> {
    storage: HashMap<U256, B256>,
    logs: usize,
    sim: W,
}

/// `TestVM` plus exact return data, a call record, reverts and the suite's counterparties.
#[derive(Clone)]
pub struct Chain<W: Counterparties> {
    /// The underlying `TestVM`: sender, value, clock, addresses and explicit mocks.
    pub vm: TestVM,
    pub(crate) rec: Rc<RefCell<Recorder<W>>>,
}

impl<W: Counterparties> Chain<W> {
    /// A fresh `TestVM` with `sim` behind it.
    pub fn new(sim: W) -> Self {
        Self {
            vm: TestVM::new(),
            rec: Rc::new(RefCell::new(Recorder {
                return_data: Vec::new(),
                calls: Vec::new(),
                logs: Vec::new(),
                tx_marks: (0, 0),
                sim,
            })),
        }
    }

    /// Reads the counterparties.
    pub fn sim<T>(&self, f: impl FnOnce(&W) -> T) -> T {
        f(&self.rec.borrow().sim)
    }

    /// Changes the counterparties (a test's own moves: faucets, rebases, other traders).
    pub fn sim_mut<T>(&self, f: impl FnOnce(&mut W) -> T) -> T {
        f(&mut self.rec.borrow_mut().sim)
    }

    // ---- clock ----

    /// The block time.
    pub fn now(&self) -> u64 {
        self.vm.block_timestamp()
    }

    /// Sets the block time to `t`.
    pub fn set_time(&self, t: u64) {
        self.vm.set_block_timestamp(t);
    }

    /// Moves the block time `secs` forward.
    pub fn advance(&self, secs: u64) {
        self.set_time(self.now() + secs);
    }

    // ---- records ----

    /// Every external call made so far (including those of reverted transactions).
    pub fn calls(&self) -> Vec<ExternalCall> {
        self.rec.borrow().calls.clone()
    }

    /// How many external calls were made so far.
    pub fn call_count(&self) -> usize {
        self.rec.borrow().calls.len()
    }

    /// The external calls from the `from`-th on.
    ///
    /// # Panics
    /// When `from` is past the end.
    pub fn calls_from(&self, from: usize) -> Vec<ExternalCall> {
        self.rec.borrow().calls[from..].to_vec()
    }

    /// Every log of every transaction that did not revert.
    pub fn logs(&self) -> Vec<Log> {
        self.rec.borrow().logs.clone()
    }

    /// How many logs are kept so far.
    pub fn log_count(&self) -> usize {
        self.rec.borrow().logs.len()
    }

    /// The logs from the `from`-th on (none if `from` is past the end).
    pub fn logs_from(&self, from: usize) -> Vec<Log> {
        let rec = self.rec.borrow();
        rec.logs[from.min(rec.logs.len())..].to_vec()
    }

    /// Every storage slot, sorted by key: a state to compare whole.
    pub fn storage(&self) -> Vec<(U256, B256)> {
        let mut storage: Vec<_> = self.vm.snapshot().storage.into_iter().collect();
        storage.sort();
        storage
    }

    // ---- transactions ----

    /// The state to roll back to.
    pub fn snapshot(&self) -> Snapshot<W> {
        let rec = self.rec.borrow();
        Snapshot {
            storage: self.vm.snapshot().storage,
            logs: rec.logs.len(),
            sim: rec.sim.clone(),
        }
    }

    /// Undoes everything a reverted transaction did since `snapshot` (the call record stays:
    /// it says what was attempted).
    pub fn revert_to(&self, snapshot: Snapshot<W>) {
        self.vm.clear_storage();
        for (key, value) in snapshot.storage {
            self.vm.set_storage(key, value);
        }
        let mut rec = self.rec.borrow_mut();
        rec.logs.truncate(snapshot.logs);
        rec.sim = snapshot.sim;
    }

    /// Runs one transaction `f` from `sender`: on `Err`, storage, logs and the counterparties
    /// are rolled back as the EVM rolls back a revert. [`Chain::tx_logs`] and
    /// [`Chain::tx_calls`] then say what it did.
    pub fn tx<T, E>(&self, sender: Address, f: impl FnOnce() -> Result<T, E>) -> Result<T, E> {
        self.vm.set_sender(sender);
        {
            let mut rec = self.rec.borrow_mut();
            rec.tx_marks = (rec.logs.len(), rec.calls.len());
        }
        let snapshot = self.snapshot();
        let result = f();
        if result.is_err() {
            self.revert_to(snapshot);
        }
        result
    }

    /// The logs of the latest [`Chain::tx`] (none if it reverted).
    pub fn tx_logs(&self) -> Vec<Log> {
        self.logs_from(self.rec.borrow().tx_marks.0)
    }

    /// The external calls of the latest [`Chain::tx`], reverted or not.
    pub fn tx_calls(&self) -> Vec<ExternalCall> {
        self.calls_from(self.rec.borrow().tx_marks.1)
    }

    /// Every `E` the latest [`Chain::tx`] emitted, decoded.
    pub fn tx_events<E: SolEvent>(&self) -> Vec<E> {
        decode_events(&self.tx_logs())
    }

    /// The single `E` the latest [`Chain::tx`] emitted.
    ///
    /// # Panics
    /// When it emitted no `E` or more than one.
    pub fn tx_event<E: SolEvent>(&self) -> E {
        let mut events = self.tx_events::<E>();
        assert_eq!(
            events.len(),
            1,
            "exactly one {} in the transaction",
            E::SIGNATURE
        );
        events.remove(0)
    }

    /// Records `call` and answers it: `(status, return data length)` as the host reports.
    pub(crate) fn dispatch(&self, call: ExternalCall) -> (u8, usize) {
        let state = self.vm.snapshot();
        let mocked = match call.kind {
            CallKind::Call => state
                .call_returns
                .get(&(call.to, call.data.clone(), call.value))
                .cloned(),
            CallKind::Static => state
                .static_call_returns
                .get(&(call.to, call.data.clone()))
                .cloned(),
            CallKind::Delegate => state
                .delegate_call_returns
                .get(&(call.to, call.data.clone()))
                .cloned(),
        };
        let now = self.vm.block_timestamp();
        let mut rec = self.rec.borrow_mut();
        let (status, out) = match mocked {
            Some(Ok(out)) => (0, out),
            Some(Err(out)) => (1, out),
            None => {
                let mut sim = rec.sim.clone();
                match sim.answer(&call, state.contract_address, now) {
                    Some(Ok(out)) => {
                        if !call.is_static() {
                            rec.sim = sim;
                        }
                        (0, out)
                    }
                    Some(Err(out)) => (1, out),
                    None => (0, Vec::new()),
                }
            }
        };
        rec.calls.push(call);
        let len = out.len();
        rec.return_data = out;
        (status, len)
    }
}

/// Every log in `logs` that is an `E`, decoded from its topics and data.
///
/// # Panics
/// When a log carries `E`'s signature but does not decode as `E`.
pub fn decode_events<E: SolEvent>(logs: &[Log]) -> Vec<E> {
    logs.iter()
        .filter(|(topics, _)| topics.first() == Some(&E::SIGNATURE_HASH))
        .map(|(topics, data)| {
            E::decode_raw_log(topics.iter().copied(), data)
                .expect("an event decodes with its sol! type")
        })
        .collect()
}
