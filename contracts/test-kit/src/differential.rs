//! Calldata in, return or revert data out: sending raw calldata through an entry point, and the
//! differential harness that runs a contract's hand-written entry point (`dispatch`, what the
//! deployed program runs) side by side with stylus-sdk's generated router on generated, often
//! spoiled, calldata.
//!
//! Each suite keeps its own function table and word encoding (which values of each argument
//! make calls succeed is the contract's business); the kit generates the material
//! ([`cases`]), spoils well-formed calldata the same way for every contract ([`Case::spoil`]),
//! captures what a call did ([`outcome`]), runs the property
//! ([`assert_entry_matches_reference`]) and checks the generator reaches every kind of answer
//! ([`assert_cases_reach_every_answer`]).

use std::fmt::Debug;

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::SolCall;
use proptest::{prelude::*, sample::Index, strategy::ValueTree, test_runner::TestRunner};
use stylus_sdk::{host::VM, ArbResult};

use crate::{Chain, Counterparties, Log};

/// An entry point: the contract's `dispatch`, or the SDK's generated router.
pub type Entry = fn(Vec<u8>, VM) -> ArbResult;

impl<W: Counterparties> Chain<W> {
    /// Sends `calldata` from `sender` through `entry` as one [`Chain::tx`]: a revert rolls
    /// back storage, logs and the counterparties.
    pub fn send(&self, entry: Entry, sender: Address, calldata: Vec<u8>) -> ArbResult {
        let vm = VM {
            host: Box::new(self.clone()),
        };
        self.tx(sender, || entry(calldata, vm))
    }

    /// Sends `call` from `sender` through `entry` and decodes what it returns.
    ///
    /// # Panics
    /// When the call reverts or its return data does not decode.
    pub fn call<C: SolCall>(&self, entry: Entry, sender: Address, call: &C) -> C::Return {
        let ret = self
            .send(entry, sender, call.abi_encode())
            .unwrap_or_else(|data| panic!("{} reverts with {data:?}", C::SIGNATURE));
        C::abi_decode_returns(&ret)
            .unwrap_or_else(|e| panic!("{} returns what its signature says: {e}", C::SIGNATURE))
    }
}

/// One generated call: which function, its raw argument material, and how to spoil it; `X` is
/// what a suite adds for its own argument kinds.
#[derive(Clone, Debug)]
pub struct Case<X> {
    /// Which function of the suite's table.
    pub function: Index,
    /// Argument material: small values make many calls succeed, the rest exercise refusals.
    pub values: Vec<u64>,
    /// (word index, byte, value): a byte written over the encoding, often a padding byte.
    pub dirt: Option<(Index, u8, u8)>,
    /// Keep only this many bytes.
    pub cut: Option<Index>,
    /// Bytes appended after the encoding.
    pub trailing: Vec<u8>,
    /// Which party sends the call.
    pub sender: Index,
    /// Whether one wei is sent with the call.
    pub value: bool,
    /// Whether the contract is deployed (its constructor has run) before the call.
    pub deployed: bool,
    /// The suite's own material.
    pub extra: X,
}

/// Cases with `values` values each, `dirt_bytes` choosing which byte of a word to spoil, and
/// `extra` the suite's own material.
pub fn cases<X: Clone + Debug>(
    values: usize,
    dirt_bytes: impl Strategy<Value = u8>,
    extra: impl Strategy<Value = X>,
) -> impl Strategy<Value = Case<X>> {
    (
        any::<Index>(),
        prop::collection::vec(prop_oneof![0u64..4, any::<u64>()], values),
        prop::option::weighted(0.3, (any::<Index>(), dirt_bytes, 1u8..=255)),
        prop::option::weighted(0.2, any::<Index>()),
        prop::collection::vec(any::<u8>(), 0..3),
        any::<Index>(),
        prop::bool::weighted(0.05),
        prop::bool::weighted(0.9),
        extra,
    )
        .prop_map(
            |(function, values, dirt, cut, trailing, sender, value, deployed, extra)| Case {
                function,
                values,
                dirt,
                cut,
                trailing,
                sender,
                value,
                deployed,
                extra,
            },
        )
}

impl<X> Case<X> {
    /// The function of `table` this case calls.
    pub fn function<'t, T>(&self, table: &'t [T]) -> &'t T {
        &table[self.function.index(table.len())]
    }

    /// The material of the `k`-th argument.
    pub fn value(&self, k: usize) -> u64 {
        self.values[k % self.values.len()]
    }

    /// The party of `parties` that sends this case.
    pub fn sender<T: Copy>(&self, parties: &[T]) -> T {
        *self.sender.get(parties)
    }

    /// Well-formed `calldata` (selector and words) spoiled as the case says: one byte dirtied,
    /// cut short, bytes appended.
    pub fn spoil(&self, mut data: Vec<u8>) -> Vec<u8> {
        if let Some((at, byte, value)) = self.dirt {
            let words = (data.len() - 4) / 32;
            if words > 0 {
                data[4 + 32 * at.index(words) + byte as usize] = value;
            }
        }
        if let Some(cut) = &self.cut {
            data.truncate(cut.index(data.len() + 1));
        }
        data.extend(&self.trailing);
        data
    }
}

/// What one call did: its answer, its logs, the storage and the counterparties after it.
pub type Outcome<W> = (ArbResult, Vec<Log>, Vec<(U256, B256)>, W);

/// Sends `calldata` from `sender` (with one wei when `value`) through `entry`, and says what
/// the call did.
pub fn outcome<W: Counterparties>(
    chain: &Chain<W>,
    entry: Entry,
    sender: Address,
    value: bool,
    calldata: Vec<u8>,
) -> Outcome<W> {
    chain.vm.set_value(U256::from(value as u8));
    let result = chain.send(entry, sender, calldata);
    (
        result,
        chain.tx_logs(),
        chain.storage(),
        chain.sim(W::clone),
    )
}

/// The differential property: on each of `cases` generated calls (no failure file: a failure
/// prints its shrunk case), `run` through `entry` and through `reference` did the same thing.
///
/// # Panics
/// When one call's outcomes differ, with the smallest such case.
pub fn assert_entry_matches_reference<C: Debug, O: PartialEq + Debug>(
    cases: u32,
    strategy: impl Strategy<Value = C>,
    run: impl Fn(Entry, &C) -> O,
    entry: Entry,
    reference: Entry,
) {
    let config = ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    let result = TestRunner::new(config).run(&strategy, |case| {
        prop_assert_eq!(run(entry, &case), run(reference, &case));
        Ok(())
    });
    if let Err(failure) = result {
        panic!("the entry point and the reference differ: {failure}");
    }
}

/// The differential property is only as good as its cases: asserts that 300 of `cases`
/// (deterministically drawn) reach calls that succeed, typed refusals and undecodable
/// calldata (reverts with no data), each often enough, when `answer` sends them.
///
/// # Panics
/// When one kind of answer is too rare.
pub fn assert_cases_reach_every_answer<C: Debug>(
    cases: impl Strategy<Value = C>,
    answer: impl Fn(&C) -> ArbResult,
) {
    let mut runner = TestRunner::deterministic();
    let (mut ok, mut typed, mut empty) = (0, 0, 0);
    for _ in 0..300 {
        let case = cases.new_tree(&mut runner).expect("a case").current();
        match answer(&case) {
            Ok(_) => ok += 1,
            Err(data) if data.is_empty() => empty += 1,
            Err(_) => typed += 1,
        }
    }
    assert!(
        ok > 30 && typed > 30 && empty > 10,
        "{ok} ok, {typed} typed, {empty} empty"
    );
}
