//! Bad input: property-based fuzzing of the compute contract's calldata, executed by the
//! devnet on the REAL compiled artifacts (`target/stylus/yellowstone_compute.br` and
//! `target/stylus/yellowstone_mor_token.br`, deployed, activated and constructed through
//! signed transactions as in `tests/it/chain_stylus.rs`).
//!
//! The oracle every property shares, from the Stylus SDK the contract is built with
//! (stylus-sdk 0.10.10, `router_entrypoint` and the `#[public]` macro's generated router):
//!
//! - calldata shorter than 4 bytes, or whose selector is not one of the ABI's functions,
//!   reverts with EMPTY data (the contract has no `receive` and no `fallback`);
//! - the constructor selector (`stylus_constructor()`) reverts with EMPTY data once the
//!   contract has been constructed (the SDK's run-once guard);
//! - a known selector whose arguments do not decode reverts with EMPTY data: the generated
//!   router decodes with `abi_decode_params_validate` (alloy-sol-types 1.7, `validate(true)`
//!   and not `strict`), and on an error logs `failed to decode arguments` to the (absent)
//!   console and returns `Err(Vec::new())`. So too-short arguments, out-of-range dynamic
//!   offsets or lengths, and dirty high bytes in an `address` or `uint64` word are refused
//!   with empty revert data, while TRAILING bytes after a valid encoding are accepted;
//! - a known selector whose arguments decode either succeeds, with return data that is the
//!   canonical encoding of the function's declared return types, or reverts with exactly the
//!   canonical encoding of one of the errors declared in `abi/IYellowstoneCompute.sol`
//!   (never empty data, never anything else); a view never reverts.
//!
//! A revert returns the unused gas; a trap (a Rust panic, `panic = "abort"`) or a failed host
//! call consumes all of it (docs/DEVNET.md), so every revert here must leave gas unused.
//!
//! Each property runs a bounded number of cases so the file stays fast in CI (the `config`
//! arguments below). For a longer run set `PROPTEST_CASES`, which replaces every property's
//! count, for example
//! `PROPTEST_CASES=2000 cargo test -p yellowstone-devnet --release --test it fuzz_calldata::`.

use std::cell::RefCell;
use std::collections::BTreeSet;

use alloy_primitives::{hex, keccak256, uint, Address, Bytes, TxKind, B256, U256};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::{SolCall, SolError, SolInterface, SolValue};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::TestCaseError;
use yellowstone_devnet::chain::{
    stylus_constructor_selector, BlockTag, CallRequest, Chain, DevnetError, Receipt, DEV_ACCOUNTS,
};
use yellowstone_protocol::time::DAY;

use crate::common::*;
use I::{IYellowstoneComputeCalls as Calls, IYellowstoneComputeErrors as Errors};

/// The secp256k1 group order n.
const SECP256K1_N: U256 =
    uint!(0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141_U256);

// ---- the oracle: the ABI's functions and errors ---------------------------------------------

/// Every error declared in `abi/IYellowstoneCompute.sol`, with its selector from the `sol!`
/// types (`the_oracle_covers_every_function_and_error_of_the_abi` checks the list against the
/// file).
const DECLARED_ERRORS: [(&str, [u8; 4]); 31] = [
    ("ZeroAmount", I::ZeroAmount::SELECTOR),
    ("ZeroAddress", I::ZeroAddress::SELECTOR),
    ("TokenTransferFailed", I::TokenTransferFailed::SELECTOR),
    ("NotOwner", I::NotOwner::SELECTOR),
    ("NotPendingOwner", I::NotPendingOwner::SELECTOR),
    ("EnforcedPause", I::EnforcedPause::SELECTOR),
    ("ExpectedPause", I::ExpectedPause::SELECTOR),
    (
        "RouterAlreadyAuthorized",
        I::RouterAlreadyAuthorized::SELECTOR,
    ),
    ("UnknownRouter", I::UnknownRouter::SELECTOR),
    ("SignatureMalformed", I::SignatureMalformed::SELECTOR),
    ("SignatureHighS", I::SignatureHighS::SELECTOR),
    ("SignatureInvalid", I::SignatureInvalid::SELECTOR),
    ("UnexpectedEpoch", I::UnexpectedEpoch::SELECTOR),
    ("EpochRootExpired", I::EpochRootExpired::SELECTOR),
    ("CreditedDecreased", I::CreditedDecreased::SELECTOR),
    ("BootstrapDecreased", I::BootstrapDecreased::SELECTOR),
    ("DailyCapExceeded", I::DailyCapExceeded::SELECTOR),
    ("BootstrapCapExceeded", I::BootstrapCapExceeded::SELECTOR),
    ("BootstrapWindowClosed", I::BootstrapWindowClosed::SELECTOR),
    ("FundingExceeded", I::FundingExceeded::SELECTOR),
    ("NoEpoch", I::NoEpoch::SELECTOR),
    ("InvalidProof", I::InvalidProof::SELECTOR),
    ("NotRegistered", I::NotRegistered::SELECTOR),
    ("NothingToClaim", I::NothingToClaim::SELECTOR),
    ("StakeCapReached", I::StakeCapReached::SELECTOR),
    ("ClaimExceedsCredit", I::ClaimExceedsCredit::SELECTOR),
    ("LockEndTooEarly", I::LockEndTooEarly::SELECTOR),
    ("StakeLocked", I::StakeLocked::SELECTOR),
    ("InsufficientStake", I::InsufficientStake::SELECTOR),
    ("StakeBacksPayouts", I::StakeBacksPayouts::SELECTOR),
    ("ArithmeticOverflow", I::ArithmeticOverflow::SELECTOR),
];

/// Declares the function table: `variant: call type: view|write`. The `match`es below are
/// exhaustive over the generated `Calls` enum, so a function added to the ABI does not compile
/// until it is listed here.
macro_rules! functions {
    (@view view) => { true };
    (@view write) => { false };
    ($($variant:ident : $call:ident : $kind:ident),* $(,)?) => {
        /// Every external function of the ABI: (signature, selector, is a view).
        const FUNCTIONS: &[(&str, [u8; 4], bool)] = &[
            $((<I::$call as SolCall>::SIGNATURE, <I::$call as SolCall>::SELECTOR, functions!(@view $kind)),)*
        ];

        /// Whether `out` is exactly the canonical encoding of `call`'s declared return values.
        fn returns_are_canonical(call: &Calls, out: &[u8]) -> Result<(), String> {
            match call {
                $(Calls::$variant(_) => canonical_returns::<I::$call>(out),)*
            }
        }

        fn is_view(call: &Calls) -> bool {
            match call {
                $(Calls::$variant(_) => functions!(@view $kind),)*
            }
        }
    };
}

functions! {
    fund: fundCall: write,
    emissionSchedule: emissionScheduleCall: view,
    today: todayCall: view,
    totals: totalsCall: view,
    commitEpoch: commitEpochCall: write,
    latestEpoch: latestEpochCall: view,
    domainSeparator: domainSeparatorCall: view,
    claim: claimCall: write,
    stake: stakeCall: write,
    lockClaim: lockClaimCall: write,
    withdraw: withdrawCall: write,
    provider: providerCall: view,
    stakeCapRemaining: stakeCapRemainingCall: view,
    powerMultiplier: powerMultiplierCall: view,
    owner: ownerCall: view,
    pendingOwner: pendingOwnerCall: view,
    mor: morCall: view,
    paused: pausedCall: view,
    isRouter: isRouterCall: view,
    authorizeRouter: authorizeRouterCall: write,
    revokeRouter: revokeRouterCall: write,
    pause: pauseCall: write,
    unpause: unpauseCall: write,
    transferOwnership: transferOwnershipCall: write,
    acceptOwnership: acceptOwnershipCall: write,
}

fn canonical_returns<C: SolCall>(out: &[u8]) -> Result<(), String> {
    let decoded = C::abi_decode_returns_validate(out)
        .map_err(|e| format!("{}: return data does not decode: {e}", C::SIGNATURE))?;
    let encoded = C::abi_encode_returns(&decoded);
    if encoded != out {
        return Err(format!(
            "{}: return data 0x{} is not canonical (expected 0x{})",
            C::SIGNATURE,
            hex::encode(out),
            hex::encode(&encoded)
        ));
    }
    Ok(())
}

/// The selectors the fuzzers aim at: every function, plus the Stylus constructor.
fn known_selectors() -> Vec<[u8; 4]> {
    let mut all: Vec<[u8; 4]> = FUNCTIONS.iter().map(|f| f.1).collect();
    all.push(stylus_constructor_selector());
    all
}

/// What the contract must do with `calldata` (see the module documentation).
enum Expect {
    /// Revert with empty data, for the stated reason.
    Empty(&'static str),
    /// The arguments decode: success with canonical returns, or a declared typed error.
    Typed(Calls),
}

fn expectation(calldata: &[u8]) -> Expect {
    let Some(selector) = calldata.get(..4) else {
        return Expect::Empty("calldata shorter than a selector");
    };
    let selector: [u8; 4] = selector.try_into().unwrap();
    if selector == stylus_constructor_selector() {
        return Expect::Empty("the constructor runs only once");
    }
    if !Calls::valid_selector(selector) {
        return Expect::Empty("unknown selector, no fallback");
    }
    match Calls::abi_decode_raw_validate(selector, &calldata[4..]) {
        Ok(call) => Expect::Typed(call),
        Err(_) => Expect::Empty("arguments that do not decode"),
    }
}

/// How a call ended, once it is known not to be a trap.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Outcome {
    Success(Bytes),
    Revert(Bytes),
}

impl Outcome {
    /// Success or revert, and the revert's selector: what an `eth_call` and the transaction
    /// that follows it must agree on (the rest of the data may hold the block time).
    fn class(&self) -> (bool, Vec<u8>) {
        match self {
            Outcome::Success(_) => (true, Vec::new()),
            Outcome::Revert(data) => (false, data.iter().take(4).copied().collect()),
        }
    }
}

/// A mined transaction's outcome; a failure that consumed all `gas_limit` gas is a trap.
fn tx_outcome(receipt: &Receipt, gas_limit: u64) -> Result<Outcome, TestCaseError> {
    if receipt.status {
        return Ok(Outcome::Success(receipt.output.clone()));
    }
    prop_assert!(
        receipt.gas_used < gas_limit,
        "the transaction consumed all {gas_limit} gas: a trap (panic) or a failed host call, \
         not a revert: {receipt:?}"
    );
    prop_assert!(receipt.logs.is_empty(), "a reverted transaction kept logs");
    Ok(Outcome::Revert(receipt.output.clone()))
}

/// An `eth_call`'s outcome; anything but success or a revert that left gas unused is a bug.
fn call_outcome(result: Result<Bytes, DevnetError>) -> Result<Outcome, TestCaseError> {
    match result {
        Ok(out) => Ok(Outcome::Success(out)),
        Err(DevnetError::Reverted { data, gas_used }) => {
            prop_assert!(
                gas_used < GAS,
                "eth_call consumed all {GAS} gas: a trap (panic), not a revert"
            );
            Ok(Outcome::Revert(data))
        }
        Err(other) => Err(TestCaseError::fail(format!(
            "eth_call ended other than by success or revert: {other:?}"
        ))),
    }
}

/// `data` is exactly the canonical encoding of one of the ABI's declared errors.
fn check_typed_error(data: &[u8]) -> Result<(), TestCaseError> {
    prop_assert!(
        data.len() >= 4 && DECLARED_ERRORS.iter().any(|e| e.1 == data[..4]),
        "revert data 0x{} is not a declared error",
        hex::encode(data)
    );
    let decoded = Errors::abi_decode_validate(data).map_err(|e| {
        TestCaseError::fail(format!(
            "revert data 0x{} does not decode as its error: {e}",
            hex::encode(data)
        ))
    })?;
    prop_assert_eq!(
        decoded.abi_encode(),
        data.to_vec(),
        "revert data is not the canonical encoding of its error"
    );
    Ok(())
}

/// Checks `outcome` against the oracle for `calldata`; returns the decoded call, if any.
fn check(calldata: &[u8], outcome: &Outcome) -> Result<Option<Calls>, TestCaseError> {
    match (expectation(calldata), outcome) {
        (Expect::Empty(why), Outcome::Revert(data)) => {
            prop_assert!(
                data.is_empty(),
                "{}: expected a revert with empty data, got 0x{} for calldata 0x{}",
                why,
                hex::encode(data),
                hex::encode(calldata)
            );
            Ok(None)
        }
        (Expect::Empty(why), Outcome::Success(out)) => Err(TestCaseError::fail(format!(
            "{why}: expected a revert, but the call succeeded with 0x{} for calldata 0x{}",
            hex::encode(out),
            hex::encode(calldata)
        ))),
        (Expect::Typed(call), Outcome::Success(out)) => {
            returns_are_canonical(&call, out).map_err(TestCaseError::fail)?;
            Ok(Some(call))
        }
        (Expect::Typed(call), Outcome::Revert(data)) => {
            prop_assert!(
                !is_view(&call),
                "a view reverted with 0x{} for calldata 0x{}",
                hex::encode(data),
                hex::encode(calldata)
            );
            check_typed_error(data)?;
            Ok(Some(call))
        }
    }
}

// ---- the chain -------------------------------------------------------------------------------

fn call_from(
    chain: &Chain,
    from: Address,
    to: Address,
    data: Vec<u8>,
    gas: u64,
) -> Result<Bytes, DevnetError> {
    chain.call(
        &CallRequest {
            from: Some(from),
            to: Some(to),
            gas: Some(gas),
            data: data.into(),
            ..CallRequest::default()
        },
        BlockTag::Latest,
    )
}

fn view<C: SolCall>(w: &World, to: Address, call: C) -> C::Return {
    let out = call_from(&w.chain, address_of(0), to, call.abi_encode(), GAS).unwrap();
    C::abi_decode_returns(&out).unwrap()
}

struct World {
    chain: Chain,
    mor: Address,
    compute: Address,
    /// The authorised router key.
    router: PrivateKeySigner,
    /// A key that is not a router.
    stranger: PrivateKeySigner,
}

impl World {
    fn now(&self) -> u64 {
        self.chain.latest_block().timestamp()
    }

    fn balance_of(&self, who: Address) -> U256 {
        view(self, self.mor, IERC20::balanceOfCall { account: who })
    }

    fn totals(&self) -> I::totalsReturn {
        view(self, self.compute, I::totalsCall {})
    }

    /// An `EpochRoot` signature by `key` under this compute contract's domain, in the compact
    /// form (r, vs).
    fn sign(
        &self,
        key: &PrivateKeySigner,
        epoch: u64,
        root: B256,
        credited: U256,
        bootstrap: U256,
    ) -> (B256, B256) {
        sign_epoch_root(key, self.compute, epoch, root, credited, bootstrap)
    }
}

/// Accounts 0..=4 hold MOR and have approved the compute contract; account 0 owns it.
const FUNDED: usize = 5;

/// The fixture every property starts each case from: the real MOR token (1,000,000 MOR for
/// each dev account) and compute contract (owner account 0, Morpheus-like schedule starting
/// today, bootstrap window open); accounts 0..=4 have approved 1,000,000 MOR; 1,000 MOR funded;
/// account 1 staked 100 MOR locked for 400 days, account 2 50 MOR for 30 days; one router
/// authorised; epoch 1 committed (10 MOR credited) under a root nobody knows leaves for. The
/// contract holds 1,150 MOR.
fn world() -> World {
    let mut chain = Chain::new();
    let mor_token = deploy_mor_token(&mut chain);
    let compute = deploy_compute(&mut chain, mor_token);
    let mut w = World {
        chain,
        mor: mor_token,
        compute,
        router: PrivateKeySigner::from_bytes(&B256::repeat_byte(0x11)).unwrap(),
        stranger: PrivateKeySigner::from_bytes(&B256::repeat_byte(0x22)).unwrap(),
    };
    for account in 0..FUNDED {
        let approve = IERC20::approveCall {
            spender: compute,
            value: mor(1_000_000),
        };
        ok(&mut w.chain, account, mor_token, approve.abi_encode());
    }
    ok(
        &mut w.chain,
        0,
        compute,
        I::fundCall { amount: mor(1_000) }.abi_encode(),
    );
    let now = w.now();
    let stake = |amount, days: u64| {
        I::stakeCall {
            amount,
            lock_end: now + days * DAY,
        }
        .abi_encode()
    };
    ok(&mut w.chain, 1, compute, stake(mor(100), 400));
    ok(&mut w.chain, 2, compute, stake(mor(50), 30));
    let router = w.router.address();
    ok(
        &mut w.chain,
        0,
        compute,
        I::authorizeRouterCall { router }.abi_encode(),
    );
    let root = keccak256("a root nobody knows leaves for");
    let commit = signed_commit(&w.router, compute, 1, root, mor(10));
    ok(&mut w.chain, 5, compute, commit);
    assert_eq!(w.balance_of(compute), mor(1_150));
    w
}

struct Fixture {
    world: World,
    /// The snapshot taken before the running case, if a case is running (or panicked).
    snapshot: Option<u64>,
}

thread_local! {
    /// One fixture per test thread (libtest runs each property on its own thread).
    static FIXTURE: RefCell<Option<Fixture>> = const { RefCell::new(None) };
}

/// Runs one case on the fixture world and then returns the chain to the fixture's state, so
/// that every case (and every shrinking step) starts from the same chain.
fn with_world<T>(case: impl FnOnce(&mut World) -> T) -> T {
    FIXTURE.with(|cell| {
        let mut slot = cell.borrow_mut();
        let fixture = slot.get_or_insert_with(|| Fixture {
            world: world(),
            snapshot: None,
        });
        if let Some(id) = fixture.snapshot.take() {
            // left behind by a case that panicked
            assert!(fixture.world.chain.revert(id));
        }
        let id = fixture.world.chain.snapshot();
        fixture.snapshot = Some(id);
        let out = case(&mut fixture.world);
        assert!(fixture.world.chain.revert(fixture.snapshot.take().unwrap()));
        out
    })
}

/// The state a call could change: the compute contract's fixed slots 0-11 and the
/// constructor guard, the router and provider mapping entries of the dev accounts, the router,
/// and `extra` addresses, and the MOR balances and allowances involved.
fn key_state(w: &World, extra: &[Address]) -> Vec<(String, U256)> {
    let slot = |slot: U256| {
        w.chain
            .storage_at(w.compute, slot, BlockTag::Latest)
            .unwrap()
    };
    let mut state = Vec::new();
    for n in 0..12u64 {
        state.push((format!("slot {n}"), slot(U256::from(n))));
    }
    let guard = U256::from_be_bytes(keccak256("stylus_constructor").0);
    state.push(("constructor guard".into(), slot(guard)));
    let mut addresses: Vec<Address> = (0..FUNDED).map(address_of).collect();
    addresses.push(w.router.address());
    addresses.extend_from_slice(extra);
    for a in addresses {
        let router = U256::from_be_bytes(keccak256((a, U256::from(3)).abi_encode()).0);
        state.push((format!("routers[{a}]"), slot(router)));
        let base = U256::from_be_bytes(keccak256((a, U256::from(11)).abi_encode()).0);
        for i in 0..4u64 {
            state.push((format!("providers[{a}] + {i}"), slot(base + U256::from(i))));
        }
    }
    state.push((
        "MOR balance of the contract".into(),
        w.balance_of(w.compute),
    ));
    for account in 0..FUNDED {
        let a = address_of(account);
        state.push((format!("MOR balance of {a}"), w.balance_of(a)));
        let allowance = view(
            w,
            w.mor,
            IERC20::allowanceCall {
                owner: a,
                spender: w.compute,
            },
        );
        state.push((format!("MOR allowance of {a}"), allowance));
    }
    state
}

/// The address-shaped argument words of `calldata` (12 zero bytes, then 20 bytes).
fn addresses_in(calldata: &[u8]) -> Vec<Address> {
    calldata
        .get(4..)
        .unwrap_or_default()
        .chunks_exact(32)
        .filter(|w| w[..12].iter().all(|&b| b == 0) && w[12..].iter().any(|&b| b != 0))
        .map(|w| Address::from_slice(&w[12..]))
        .collect()
}

/// Sends `calldata` from `account` as an `eth_call` and then as a transaction; checks both
/// against the oracle and against each other. Returns the decoded call and the receipt.
fn call_and_send(
    w: &mut World,
    account: usize,
    calldata: &[u8],
) -> Result<(Option<Calls>, Receipt), TestCaseError> {
    let simulated = call_outcome(call_from(
        &w.chain,
        address_of(account),
        w.compute,
        calldata.to_vec(),
        GAS,
    ))?;
    check(calldata, &simulated)?;
    let receipt = send(
        &mut w.chain,
        account,
        TxKind::Call(w.compute),
        calldata.to_vec(),
    );
    let mined = tx_outcome(&receipt, GAS)?;
    let call = check(calldata, &mined)?;
    prop_assert_eq!(
        simulated.class(),
        mined.class(),
        "eth_call and the transaction disagree: {:?} then {:?}",
        simulated,
        mined
    );
    Ok((call, receipt))
}

// ---- strategies ------------------------------------------------------------------------------

fn bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..max)
}

fn word_of(value: U256) -> [u8; 32] {
    value.to_be_bytes()
}

/// One argument word, shaped like the ABI's types more often than uniform bytes would be.
fn word() -> impl Strategy<Value = [u8; 32]> {
    prop_oneof![
        Just([0u8; 32]),
        any::<u64>().prop_map(|v| word_of(U256::from(v))),
        (0u64..=0x240).prop_map(|v| word_of(U256::from(v))), // offsets, lengths
        any::<[u8; 20]>().prop_map(|a| Address::from(a).into_word().0),
        (0..FUNDED).prop_map(|a| address_of(a).into_word().0),
        Just(word_of(U256::from(u128::MAX))),
        Just(word_of(U256::MAX)),
        any::<[u8; 32]>(),
    ]
}

/// Argument bytes for a known selector: arbitrary bytes, or a run of ABI-shaped words with
/// an optional partial tail, optionally cut at a random point.
fn args() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        bytes(300),
        (
            prop::collection::vec(word(), 0..10),
            bytes(40),
            any::<Index>(),
            any::<bool>()
        )
            .prop_map(|(words, tail, cut, truncate)| {
                let mut out: Vec<u8> = words.concat();
                out.extend_from_slice(&tail);
                if truncate {
                    out.truncate(cut.index(out.len() + 1));
                }
                out
            }),
        // a well-formed claim's arguments (proof of 0..6 words), then one byte replaced or cut
        (
            any::<[u8; 20]>(),
            word(),
            word(),
            prop::collection::vec(any::<[u8; 32]>(), 0..6),
            any::<Index>(),
            any::<u8>(),
            0u8..3
        )
            .prop_map(|(provider, earned, bootstrap, proof, at, byte, mutation)| {
                let call = I::claimCall {
                    provider: provider.into(),
                    cumulative_earned: U256::from_be_bytes(earned),
                    cumulative_bootstrap: U256::from_be_bytes(bootstrap),
                    proof: proof.into_iter().map(B256::from).collect(),
                };
                let mut out = call.abi_encode()[4..].to_vec();
                let i = at.index(out.len());
                match mutation {
                    0 => {}
                    1 => out[i] = byte,
                    _ => out.truncate(i),
                }
                out
            }),
    ]
}

/// Calldata that starts with a known selector (or the constructor's).
fn selector_and_args() -> impl Strategy<Value = Vec<u8>> {
    (prop::sample::select(known_selectors()), args()).prop_map(|(selector, args)| {
        let mut data = selector.to_vec();
        data.extend_from_slice(&args);
        data
    })
}

// ---- properties 1 and 2: arbitrary and selector-led calldata ---------------------------------

proptest! {
    #![proptest_config(config(128))]

    /// Arbitrary bytes (0..600) sent as an `eth_call` and then as a transaction, from the
    /// owner or a funded, approved account: the chain never panics; each ends in success or a
    /// revert that leaves gas unused (never a trap); calldata shorter than a selector, with an
    /// unknown selector, the constructor's selector or undecodable arguments reverts with
    /// empty data; decodable calldata succeeds with canonical return data or reverts with
    /// exactly a declared typed error; and the call and the transaction agree.
    #[test]
    fn arbitrary_calldata_never_panics_and_reverts_typed(
        calldata in bytes(600),
        account in prop::sample::select(vec![0usize, 1, 3]),
    ) {
        with_world(|w| call_and_send(w, account, &calldata).map(|_| ()))?;
    }

    /// Each function's selector (and the constructor's) followed by arbitrary, truncated,
    /// extended or mutated argument bytes, from any funded account (owner and stakers
    /// included): the same oracle as above; a reverted transaction (and any view) changes
    /// none of the contract's storage, token balances or allowances; and the chain keeps
    /// working: a valid `fund(1)` afterwards succeeds and adds exactly 1 wei to the funded
    /// total.
    #[test]
    fn known_selectors_with_bad_arguments_revert_typed_and_change_nothing(
        calldata in selector_and_args(),
        account in 0usize..4,
    ) {
        with_world(|w| -> Result<(), TestCaseError> {
            let extra = addresses_in(&calldata);
            let before = key_state(w, &extra);
            let (call, receipt) = call_and_send(w, account, &calldata)?;
            if !receipt.status || call.as_ref().is_some_and(is_view) {
                let after = key_state(w, &extra);
                for (b, a) in before.iter().zip(&after) {
                    prop_assert_eq!(b, a, "a reverted call or a view changed state");
                }
            }
            let funded = w.totals()._0;
            let fund = send(&mut w.chain, 4, TxKind::Call(w.compute), I::fundCall { amount: U256::from(1) }.abi_encode());
            prop_assert!(fund.status, "a valid fund(1) failed after the fuzzed call: {:?}", fund);
            prop_assert_eq!(w.totals()._0, funded + U256::from(1));
            Ok(())
        })?;
    }
}

// ---- property 3: well-typed adversarial values -------------------------------------------------

/// A time argument: absolute, or relative to the latest block's timestamp.
#[derive(Clone, Copy, Debug)]
enum Time {
    Abs(u64),
    Rel(i64),
}

impl Time {
    fn at(self, now: u64) -> u64 {
        match self {
            Time::Abs(t) => t,
            Time::Rel(d) => now.saturating_add_signed(d),
        }
    }
}

#[derive(Clone, Copy, Debug)]
enum Who {
    Zero,
    Dev(usize),
    Router,
    Compute,
    Mor,
    Random([u8; 20]),
}

impl Who {
    fn at(self, w: &World) -> Address {
        match self {
            Who::Zero => Address::ZERO,
            Who::Dev(i) => address_of(i),
            Who::Router => w.router.address(),
            Who::Compute => w.compute,
            Who::Mor => w.mor,
            Who::Random(a) => a.into(),
        }
    }
}

/// How a `commitEpoch` is signed.
#[derive(Clone, Debug)]
enum Sig {
    /// Arbitrary (r, vs) words.
    Words(B256, B256),
    /// By the authorised router, over exactly the submitted values.
    Router,
    /// The router's r with an s above n/2 that the compact form can still carry
    /// (n/2 < s < 2^255; the exact twin n - s of a low s almost always has bit 255 set, which
    /// is the parity bit in EIP-2098, so it cannot be encoded at all), and either parity.
    RouterHighS(u128, bool),
    /// By a key that is not a router.
    Stranger,
}

#[derive(Clone, Debug)]
enum Op {
    Fund(U256),
    Stake(U256, Time),
    LockClaim(Time),
    Withdraw(U256),
    Claim(Who, U256, U256, Vec<B256>),
    /// `commitEpoch`; epoch `None` is the next one; signed and sent with a deadline this many
    /// seconds from now (`None`: never), negative ones already past.
    Commit(Option<u64>, B256, U256, U256, Sig, Option<i64>),
    /// Not a call: time passes by this many seconds and a block is mined.
    Wait(u64),
    AuthorizeRouter(Who),
    RevokeRouter(Who),
    Pause,
    Unpause,
    TransferOwnership(Who),
    AcceptOwnership,
    Today,
    PowerMultiplier(U256, U256),
    Provider(Who),
    StakeCapRemaining(Who),
    IsRouter(Who),
}

fn amount() -> impl Strategy<Value = U256> {
    prop_oneof![
        1 => Just(U256::ZERO),
        1 => Just(U256::from(1)),
        4 => (1u64..=2_000_000).prop_map(|n| U256::from(n) * U256::from(1_000_000_000_000_000u64)),
        1 => Just(mor(10)),
        1 => Just(mor(1_150)),
        1 => Just(mor(1_000_000)),
        1 => Just(U256::from(u128::MAX)),
        1 => Just(U256::from(u128::MAX) + U256::from(1)),
        1 => Just(U256::MAX),
        1 => Just(U256::MAX - U256::from(1)),
        1 => any::<[u8; 32]>().prop_map(U256::from_be_bytes),
    ]
}

fn time() -> impl Strategy<Value = Time> {
    prop_oneof![
        Just(Time::Abs(0)),
        Just(Time::Abs(1)),
        Just(Time::Abs(u64::MAX)),
        any::<u64>().prop_map(Time::Abs),
        Just(Time::Rel(-1)),
        Just(Time::Rel(0)),
        Just(Time::Rel(1)),
        (-(400 * DAY as i64)..(3_000 * DAY as i64)).prop_map(Time::Rel),
        Just(Time::Rel(1_500 * DAY as i64)),
        Just(Time::Rel(100 * 365 * DAY as i64)),
    ]
}

fn who() -> impl Strategy<Value = Who> {
    prop_oneof![
        Just(Who::Zero),
        (0..DEV_ACCOUNTS.len()).prop_map(Who::Dev),
        Just(Who::Router),
        Just(Who::Compute),
        Just(Who::Mor),
        any::<[u8; 20]>().prop_map(Who::Random),
    ]
}

fn b256() -> impl Strategy<Value = B256> {
    prop_oneof![
        Just(B256::ZERO),
        any::<[u8; 32]>().prop_map(B256::from),
        Just(B256::from(SECP256K1_N)),
        Just(B256::from(SECP256K1_N >> 1)),
        Just(B256::from((SECP256K1_N >> 1) + U256::from(1))),
        Just(B256::from(U256::MAX)),
    ]
}

fn epoch() -> impl Strategy<Value = u64> {
    prop_oneof![
        Just(0u64),
        Just(1),
        Just(2),
        Just(3),
        Just(u64::MAX),
        any::<u64>()
    ]
}

fn sig() -> impl Strategy<Value = Sig> {
    prop_oneof![
        1 => (b256(), b256()).prop_map(|(r, vs)| Sig::Words(r, vs)),
        3 => Just(Sig::Router),
        1 => (0..(1u128 << 127), any::<bool>()).prop_map(|(d, p)| Sig::RouterHighS(d, p)),
        1 => Just(Sig::Stranger),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        1 => amount().prop_map(Op::Fund),
        2 => (amount(), time()).prop_map(|(a, t)| Op::Stake(a, t)),
        1 => time().prop_map(Op::LockClaim),
        2 => amount().prop_map(Op::Withdraw),
        1 => (
            who(),
            amount(),
            amount(),
            prop::collection::vec(b256(), 0..5)
        )
            .prop_map(|(p, e, b, proof)| Op::Claim(p, e, b, proof)),
        4 => (
            prop_oneof![3 => Just(None), 1 => epoch().prop_map(Some)],
            b256(),
            prop_oneof![amount(), Just(mor(10)), (0u64..1_200).prop_map(mor)],
            prop_oneof![2 => Just(U256::ZERO), 1 => amount(), 1 => (0u64..400).prop_map(mor)],
            sig(),
            prop_oneof![3 => Just(None), 1 => (-3_600i64..3_600).prop_map(Some)]
        )
            .prop_map(|(e, root, c, b, s, d)| Op::Commit(e, root, c, b, s, d)),
        1 => prop::sample::select(vec![1, 3_600, DAY, 31 * DAY, 400 * DAY]).prop_map(Op::Wait),
        1 => who().prop_map(Op::AuthorizeRouter),
        1 => who().prop_map(Op::RevokeRouter),
        1 => Just(Op::Pause),
        1 => Just(Op::Unpause),
        1 => who().prop_map(Op::TransferOwnership),
        1 => Just(Op::AcceptOwnership),
        1 => Just(Op::Today),
        1 => (amount(), amount()).prop_map(|(s, e)| Op::PowerMultiplier(s, e)),
        1 => who().prop_map(Op::Provider),
        1 => who().prop_map(Op::StakeCapRemaining),
        1 => who().prop_map(Op::IsRouter),
    ]
}

/// The calldata of `op` at the chain's current state.
fn encode(w: &World, op: &Op) -> Vec<u8> {
    let now = w.now();
    match op.clone() {
        Op::Fund(amount) => I::fundCall { amount }.abi_encode(),
        Op::Stake(amount, t) => I::stakeCall {
            amount,
            lock_end: t.at(now),
        }
        .abi_encode(),
        Op::LockClaim(t) => I::lockClaimCall { new_end: t.at(now) }.abi_encode(),
        Op::Withdraw(amount) => I::withdrawCall { amount }.abi_encode(),
        Op::Claim(p, earned, bootstrap, proof) => I::claimCall {
            provider: p.at(w),
            cumulative_earned: earned,
            cumulative_bootstrap: bootstrap,
            proof,
        }
        .abi_encode(),
        Op::Commit(epoch, root, credited, bootstrap, sig, deadline) => {
            let next = view(w, w.compute, I::latestEpochCall {})
                ._0
                .saturating_add(1);
            let epoch = epoch.unwrap_or(next);
            let deadline = deadline.map_or(u64::MAX, |d| now.saturating_add_signed(d));
            let sign = |key| {
                sign_epoch_root_until(key, w.compute, epoch, root, credited, bootstrap, deadline)
            };
            let (r, vs) = match sig {
                Sig::Words(r, vs) => (r, vs),
                Sig::Router => sign(&w.router),
                Sig::Stranger => sign(&w.stranger),
                Sig::RouterHighS(delta, parity) => {
                    let (r, _) = sign(&w.router);
                    let s = (SECP256K1_N >> 1usize) + U256::from(1) + U256::from(delta);
                    assert!(s < U256::from(1) << 255usize);
                    (r, B256::from(s | (U256::from(parity as u8) << 255usize)))
                }
            };
            I::commitEpochCall {
                epoch,
                root,
                cumulative_credited: credited,
                cumulative_bootstrap: bootstrap,
                deadline,
                r,
                vs,
            }
            .abi_encode()
        }
        Op::AuthorizeRouter(a) => I::authorizeRouterCall { router: a.at(w) }.abi_encode(),
        Op::RevokeRouter(a) => I::revokeRouterCall { router: a.at(w) }.abi_encode(),
        Op::Pause => I::pauseCall {}.abi_encode(),
        Op::Unpause => I::unpauseCall {}.abi_encode(),
        Op::TransferOwnership(a) => I::transferOwnershipCall { new_owner: a.at(w) }.abi_encode(),
        Op::AcceptOwnership => I::acceptOwnershipCall {}.abi_encode(),
        Op::Today => I::todayCall {}.abi_encode(),
        Op::PowerMultiplier(start, end) => I::powerMultiplierCall { start, end }.abi_encode(),
        Op::Provider(a) => I::providerCall { provider: a.at(w) }.abi_encode(),
        Op::StakeCapRemaining(a) => I::stakeCapRemainingCall { provider: a.at(w) }.abi_encode(),
        Op::IsRouter(a) => I::isRouterCall { router: a.at(w) }.abi_encode(),
        Op::Wait(_) => unreachable!("not a call"),
    }
}

fn selector_of(outcome: &Outcome) -> Option<[u8; 4]> {
    match outcome {
        Outcome::Revert(data) if data.len() >= 4 => Some(data[..4].try_into().unwrap()),
        _ => None,
    }
}

/// Runs one typed call from `account` and checks it (see the property below).
fn run_op(w: &mut World, account: usize, op: &Op) -> Result<(), TestCaseError> {
    if let Op::Wait(seconds) = op {
        w.chain.increase_time(*seconds);
        w.chain.mine(None).unwrap();
        // Past a year the compute contract's activation expires (Nitro's 365 days): its
        // operator re-activates it.
        keep_programs_alive(&mut w.chain, &[w.compute]);
        return Ok(());
    }
    let sender = address_of(account);
    let calldata = encode(w, op);
    prop_assert!(
        matches!(expectation(&calldata), Expect::Typed(_)),
        "the encoding of {:?} does not decode",
        op
    );
    let balance = w.balance_of(w.compute);
    let stake_before = view(w, w.compute, I::providerCall { provider: sender });

    let receipt = send(
        &mut w.chain,
        account,
        TxKind::Call(w.compute),
        calldata.clone(),
    );
    let outcome = tx_outcome(&receipt, GAS)?;
    check(&calldata, &outcome)?;
    let ok = receipt.status;
    let error = selector_of(&outcome);
    let paused = error == Some(I::EnforcedPause::SELECTOR);

    // MOR moves only as the call says, and out only through a withdrawal of an unlocked stake
    // of the caller's own: no forged claim ever pays.
    let block_time = w
        .chain
        .block_by_number(BlockTag::Number(receipt.block_number))
        .unwrap()
        .timestamp();
    let expected = match op {
        Op::Fund(amount) if ok => balance + amount,
        Op::Stake(amount, _) if ok => balance + amount,
        Op::Withdraw(amount) if ok => {
            prop_assert!(
                stake_before._1 >= *amount && stake_before._3 <= block_time,
                "a withdrawal of {} paid with stake {} locked until {} at {}",
                amount,
                stake_before._1,
                stake_before._3,
                block_time
            );
            balance - amount
        }
        Op::Claim(..) => {
            prop_assert!(!ok, "a claim with a random leaf and proof paid: {:?}", op);
            balance
        }
        _ => balance,
    };
    let after = w.balance_of(w.compute);
    prop_assert_eq!(
        after,
        expected,
        "the contract's MOR balance after {:?} (ok: {})",
        op,
        ok
    );
    let totals = w.totals();
    prop_assert_eq!(
        after,
        totals._0 - totals._3 + totals._4,
        "MOR held != funded - claimed + staked after {:?}",
        op
    );

    // Deadlines: a root whose deadline has passed is refused before its signature is looked at
    // (only a pause is checked first); one that has not passed is never refused as expired.
    let expired = error == Some(I::EpochRootExpired::SELECTOR);
    if let Op::Commit(_, _, _, _, _, deadline) = op {
        if matches!(deadline, Some(d) if *d < 0) {
            prop_assert!(paused || expired, "a root past its deadline: {:?}", outcome);
        }
        if expired {
            // Blocks are mined a little after `now`: only a deadline near it may have passed.
            prop_assert!(
                matches!(deadline, Some(d) if *d < 60),
                "refused as expired: {:?}",
                op
            );
        }
    }

    // Signatures: only the router's own low-s signature is accepted.
    if let (false, Op::Commit(_, _, _, _, sig, _)) = (expired, op) {
        match sig {
            Sig::Router => {}
            Sig::Stranger => prop_assert!(
                paused
                    || outcome
                        == Outcome::Revert(
                            I::UnknownRouter {
                                router: w.stranger.address()
                            }
                            .abi_encode()
                            .into()
                        ),
                "a stranger's signature: {:?}",
                outcome
            ),
            Sig::RouterHighS(..) => prop_assert!(
                paused || error == Some(I::SignatureHighS::SELECTOR),
                "a high-s signature: {:?}",
                outcome
            ),
            Sig::Words(r, vs) => {
                prop_assert!(!ok, "arbitrary signature words were accepted: {:?}", op);
                let s: U256 = U256::from_be_slice(vs.as_slice()) & (U256::MAX >> 1usize);
                if r.is_zero() || s.is_zero() {
                    prop_assert!(
                        paused || error == Some(I::SignatureMalformed::SELECTOR),
                        "r or s zero: {:?}",
                        outcome
                    );
                }
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(64))]

    /// Sequences of 1-5 well-typed calls with adversarial values (amounts 0, 1, u128::MAX,
    /// u128::MAX + 1, U256::MAX, random; addresses zero, dev accounts, the router, the
    /// contracts, random; lock ends 0, past, now, far future, u64::MAX; epoch numbers 0, the
    /// next, skipped, u64::MAX; random Merkle leaves and proofs; arbitrary signature words, a
    /// stranger's signature, the router's r with a high s, or the router's real signature
    /// over the adversarial values; and time passing by a second up to 400 days between
    /// calls), from any of five funded accounts, against a contract that
    /// holds 1,150 MOR of funding and stakes: every call succeeds or reverts with a declared
    /// typed error (views always succeed); the contract's MOR balance changes by exactly the
    /// amount of a successful fund or stake, and falls only by a successful withdrawal of the
    /// caller's own unlocked stake; no claim with a random leaf ever pays; the balance always
    /// equals funded - claimed + staked; and only the router's own low-s signature gets a root
    /// past the signature checks.
    #[test]
    fn adversarial_typed_arguments_revert_typed_and_never_move_mor_out(
        ops in prop::collection::vec((0..FUNDED, op()), 1..=5),
    ) {
        with_world(|w| {
            for (account, op) in &ops {
                run_op(w, *account, op)?;
            }
            Ok::<(), TestCaseError>(())
        })?;
    }
}

// ---- property 4: gas ---------------------------------------------------------------------------

proptest! {
    #![proptest_config(config(64))]

    /// Any calldata (arbitrary, or a known selector with fuzzed arguments) terminates with a
    /// gas limit of 30M, and again from the same state with a random gas limit between 0 and
    /// 3x the gas the 30M run used: below that gas, the transaction fails (out of gas: status
    /// 0, all gas used, empty data, no logs; or a declared typed error when a nested token
    /// call ran short) and changes no state; from twice that gas up, it ends exactly as the
    /// 30M run did; in between, it ends as the 30M run did or fails in the same clean way. A
    /// limit below the intrinsic gas is refused before execution; an `eth_call` with the same
    /// limit ends in success, a revert, an out-of-gas halt (all of the limit used) or that
    /// refusal, never anything else.
    #[test]
    fn any_calldata_terminates_and_low_gas_fails_cleanly(
        calldata in prop_oneof![bytes(200), selector_and_args()],
        account in 0usize..4,
        fraction in 0u64..=300,
    ) {
        with_world(|w| -> Result<(), TestCaseError> {
            let extra = addresses_in(&calldata);
            let before = key_state(w, &extra);
            let id = w.chain.snapshot();
            let full = send(&mut w.chain, account, TxKind::Call(w.compute), calldata.clone());
            let full_outcome = tx_outcome(&full, GAS)?;
            check(&calldata, &full_outcome)?;
            assert!(w.chain.revert(id));

            let limit = (full.gas_used * fraction / 100).max(1);
            let simulated = call_from(&w.chain, address_of(account), w.compute, calldata.clone(), limit);
            match &simulated {
                Ok(_) | Err(DevnetError::Reverted { .. }) => {}
                Err(DevnetError::Halted { reason, gas_used }) => {
                    prop_assert!(reason.contains("OutOfGas"), "eth_call halted: {}", reason);
                    prop_assert_eq!(*gas_used, limit);
                }
                Err(DevnetError::IntrinsicGasTooLow { gas_limit, intrinsic }) => {
                    prop_assert!(*gas_limit == limit && *intrinsic > limit);
                }
                Err(other) => prop_assert!(false, "eth_call with gas {} failed: {:?}", limit, other),
            }
            let receipt = match try_send(&mut w.chain, account, TxKind::Call(w.compute), calldata.clone(), limit) {
                Ok(receipt) => receipt,
                Err(DevnetError::IntrinsicGasTooLow { gas_limit, intrinsic }) => {
                    prop_assert_eq!(gas_limit, limit);
                    prop_assert!(intrinsic > limit && intrinsic <= full.gas_used);
                    return Ok(());
                }
                Err(other) => return Err(TestCaseError::fail(format!("gas {limit}: refused with {other:?}"))),
            };
            let same = receipt.status == full.status && receipt.output == full.output;
            if limit >= 2 * full.gas_used {
                prop_assert!(same, "with {} gas (the 30M run used {}): {:?}, not {:?}", limit, full.gas_used, receipt, full);
            } else if !same || limit < full.gas_used {
                // a failure: out of gas, or a typed error when a nested token call ran short
                prop_assert!(!receipt.status, "succeeded with {} gas after using {}", limit, full.gas_used);
                prop_assert!(receipt.logs.is_empty());
                if receipt.output.is_empty() {
                    prop_assert_eq!(receipt.gas_used, limit, "a failure with empty data short of the gas used must be out of gas");
                } else {
                    check_typed_error(&receipt.output)?;
                }
                let after = key_state(w, &extra);
                for (b, a) in before.iter().zip(&after) {
                    prop_assert_eq!(b, a, "a transaction that ran short of gas changed state");
                }
            }
            Ok(())
        })?;
    }
}

/// Out of gas at a few small limits, for `fund`, `claim`, a valid `commitEpoch` and `owner()`,
/// each below the gas the call uses with ample gas (21,000 up to just under it): below the
/// intrinsic gas the chain refuses the transaction; above it, the transaction is mined with
/// status 0 and no logs, and either used all its gas with empty output (out of gas) or, when a
/// nested token call was the one to run short, reverted with `TokenTransferFailed`; an
/// `eth_call` with the same limit halts with `OutOfGas` or gives the same revert; nothing
/// changes state; and afterwards the same calls with ample gas end as they did before.
#[test]
fn out_of_gas_at_small_limits_is_a_clean_failure() {
    with_world(|w| {
        let (r, vs) = w.sign(&w.router, 2, B256::repeat_byte(2), mor(11), U256::ZERO);
        let calls: Vec<(&str, Vec<u8>)> = vec![
            ("fund", I::fundCall { amount: mor(1) }.abi_encode()),
            (
                "claim",
                I::claimCall {
                    provider: address_of(1),
                    cumulative_earned: mor(1),
                    cumulative_bootstrap: U256::ZERO,
                    proof: vec![B256::repeat_byte(9); 3],
                }
                .abi_encode(),
            ),
            (
                "commitEpoch",
                I::commitEpochCall {
                    epoch: 2,
                    root: B256::repeat_byte(2),
                    cumulative_credited: mor(11),
                    cumulative_bootstrap: U256::ZERO,
                    deadline: u64::MAX,
                    r,
                    vs,
                }
                .abi_encode(),
            ),
            ("owner", I::ownerCall {}.abi_encode()),
        ];
        let before = key_state(w, &[]);
        let mut ample = Vec::new();
        for (_, calldata) in &calls {
            let id = w.chain.snapshot();
            let receipt = send(&mut w.chain, 3, TxKind::Call(w.compute), calldata.clone());
            assert!(w.chain.revert(id));
            ample.push(receipt);
        }
        let mut out_of_gas = 0;
        for ((name, calldata), full) in calls.iter().zip(&ample) {
            let used = full.gas_used;
            for limit in [
                21_000u64,
                22_000,
                25_000,
                30_000,
                40_000,
                used / 2,
                used - 1,
            ] {
                if limit >= used {
                    continue;
                }
                let receipt = match try_send(
                    &mut w.chain,
                    3,
                    TxKind::Call(w.compute),
                    calldata.clone(),
                    limit,
                ) {
                    Err(DevnetError::IntrinsicGasTooLow { intrinsic, .. }) => {
                        assert!(
                            intrinsic > limit,
                            "{name} at {limit}: intrinsic {intrinsic}"
                        );
                        continue;
                    }
                    Err(other) => panic!("{name} at {limit}: refused with {other:?}"),
                    Ok(receipt) => receipt,
                };
                assert!(
                    !receipt.status,
                    "{name} succeeded with {limit} gas of {used}"
                );
                assert!(receipt.logs.is_empty());
                let simulated =
                    call_from(&w.chain, address_of(3), w.compute, calldata.clone(), limit)
                        .unwrap_err();
                if receipt.output.is_empty() {
                    assert_eq!(
                        receipt.gas_used, limit,
                        "{name} at {limit}: not all gas used"
                    );
                    assert!(
                        matches!(&simulated, DevnetError::Halted { reason, gas_used }
                            if reason.contains("OutOfGas") && *gas_used == limit),
                        "{name} at {limit}: eth_call {simulated:?}"
                    );
                    out_of_gas += 1;
                } else {
                    assert_eq!(*name, "fund", "{name} at {limit}: {:?}", receipt.output);
                    assert_eq!(
                        receipt.output[..4],
                        I::TokenTransferFailed::SELECTOR,
                        "{name} at {limit}"
                    );
                    assert_eq!(simulated.revert_data(), Some(&receipt.output));
                }
            }
            assert_eq!(
                key_state(w, &[]),
                before,
                "{name}: a transaction short of gas changed state"
            );
        }
        assert!(
            out_of_gas >= 12,
            "only {out_of_gas} out-of-gas failures were exercised"
        );
        for ((name, calldata), full) in calls.iter().zip(&ample) {
            let receipt = send(&mut w.chain, 3, TxKind::Call(w.compute), calldata.clone());
            assert_eq!(receipt.status, full.status, "{name}");
            assert_eq!(receipt.output, full.output, "{name}");
        }
        assert!(ample[0].status && ample[2].status && ample[3].status);
        assert_eq!(
            ample[1].output.as_ref(),
            I::InvalidProof {
                provider: address_of(1)
            }
            .abi_encode()
            .as_slice()
        );
    });
}

// ---- the oracle itself ---------------------------------------------------------------------

/// The oracle's tables are the ABI's: every `error` of `abi/IYellowstoneCompute.sol` is in
/// `DECLARED_ERRORS` (and nothing else), every `function` is in `FUNCTIONS` with the right
/// view flag, and the selectors are those of the `sol!` types.
#[test]
fn the_oracle_covers_every_function_and_error_of_the_abi() {
    let abi = std::fs::read_to_string(format!(
        "{}/../abi/IYellowstoneCompute.sol",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let name = |line: &str, keyword: &str| -> Option<String> {
        let rest = line.trim().strip_prefix(keyword)?;
        Some(rest.split('(').next().unwrap().trim().to_string())
    };
    let errors: BTreeSet<String> = abi.lines().filter_map(|l| name(l, "error ")).collect();
    let listed: BTreeSet<String> = DECLARED_ERRORS.iter().map(|e| e.0.to_string()).collect();
    assert_eq!(errors, listed);
    assert_eq!(errors.len(), Errors::COUNT);
    for (name, selector) in DECLARED_ERRORS {
        assert!(Errors::valid_selector(selector), "{name}");
    }

    let functions: BTreeSet<(String, bool)> = abi
        .lines()
        .filter_map(|l| name(l, "function ").map(|n| (n, l.contains(" view "))))
        .collect();
    let listed: BTreeSet<(String, bool)> = FUNCTIONS
        .iter()
        .map(|f| (f.0.split('(').next().unwrap().to_string(), f.2))
        .collect();
    assert_eq!(functions, listed);
    assert_eq!(FUNCTIONS.len(), Calls::COUNT);
    for (signature, selector, _) in FUNCTIONS {
        assert_eq!(
            *selector,
            keccak256(signature.as_bytes())[..4],
            "{signature}"
        );
    }
    assert!(!known_selectors()[..FUNCTIONS.len()].contains(&stylus_constructor_selector()));
}
