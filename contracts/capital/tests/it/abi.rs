//! The contract as the chain sees it: calldata in, return or revert data out, through the
//! contract's entry point ([`dispatch`], what the deployed program runs). This pins the
//! Solidity interface the CLI, the demo and explorers rely on, the constructor guard and
//! non-payability; and it runs the hand-written entry point side by side with stylus-sdk's
//! generated router (`router_entrypoint` over the `#[public]` impl) on well-formed and malformed
//! calldata: both must answer alike, byte for byte, with the same logs, storage and balances.

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::{sol, SolCall, SolError, SolValue};
use proptest::prelude::*;
use stylus_sdk::abi::{router_entrypoint, CONSTRUCTOR_SELECTOR};
use yellowstone_capital::{dispatch, YellowstoneCapital};

use crate::common::*;

sol! {
    /// The interface of docs/CAPITAL.md, written by hand.
    interface IYellowstoneCapital {
        function deposit(uint256 amount) external;
        function withdraw(uint256 amount) external;
        function claim() external returns (uint256 paid);
        function poke() external;
        function harvest() external;
        function fundCompute() external returns (uint256 sent);
        function bootstrapPool(uint256 nativeAmount) external;
        function setParameters(uint64 minLock, uint64 twapWindow, uint16 maxDeviationBps, uint16 slippageBps) external;
        function pause() external;
        function unpause() external;
        function transferOwnership(address newOwner) external;
        function acceptOwnership() external;
        function owner() external view returns (address);
        function pendingOwner() external view returns (address);
        function paused() external view returns (bool);
        function position(address account) external view returns (uint256 principal, uint64 unlockAt, uint256 owed);
        function totals() external view returns (uint256 principal, uint256 backing, uint256 distributed, uint256 paid, uint256 kept, uint256 computeSent, uint256 computeOwed);
        function harvestState() external view returns (uint64 lastHarvest, uint64 observedAt, uint256 observedCumulative, uint256 carriedWst, uint256 carriedNative, uint256 liquidity);
        function parameters() external view returns (uint64 minLock, uint64 twapWindow, uint16 maxDeviationBps, uint16 slippageBps);
        function config() external view returns (address stEth, address wstEth, address native, address pair, address compute, bool mintsNative);
        function schedule() external view returns (uint64 payoutStart, uint64 interval, uint256 capitalInitial, uint256 capitalDecrease, uint256 computeInitial, uint256 computeDecrease);
    }
}

use IYellowstoneCapital as I;

/// An entry point: the contract's, or the SDK's generated router.
type Entry = fn(Vec<u8>, stylus_sdk::host::VM) -> stylus_sdk::ArbResult;

/// stylus-sdk's generated router over the `#[public]` impl: the reference for [`dispatch`].
fn sdk_router(input: Vec<u8>, vm: stylus_sdk::host::VM) -> stylus_sdk::ArbResult {
    router_entrypoint::<YellowstoneCapital, YellowstoneCapital>(input, vm)
}

/// Sends `calldata` from `sender` through `entry`; a revert rolls back.
fn send_via(
    entry: Entry,
    w: &World,
    sender: Address,
    calldata: Vec<u8>,
) -> Result<Vec<u8>, Vec<u8>> {
    w.chain.vm.set_sender(sender);
    let snapshot = w.chain.snapshot();
    let vm = stylus_sdk::host::VM {
        host: Box::new(w.chain.clone()),
    };
    let result = entry(calldata, vm);
    if result.is_err() {
        w.chain.revert_to(snapshot);
    }
    result
}

fn send(w: &World, sender: Address, calldata: Vec<u8>) -> Result<Vec<u8>, Vec<u8>> {
    send_via(dispatch, w, sender, calldata)
}

fn constructor_calldata(owner: Address) -> Vec<u8> {
    let c = Config::default();
    let mut data = CONSTRUCTOR_SELECTOR.to_be_bytes().to_vec();
    data.extend(
        (
            (
                ST_ETH,
                WST_ETH,
                NATIVE,
                PAIR,
                COMPUTE,
                owner,
                c.mints_native,
            ),
            (c.payout_start, c.interval, c.capital.0, c.capital.1),
            (c.compute.0, c.compute.1, c.price_bounds.0, c.price_bounds.1),
        )
            .abi_encode_params()
            .into_iter()
            .collect::<Vec<u8>>(),
    );
    data
}

#[test]
fn the_constructor_calldata_is_the_flat_fifteen_words() {
    // The nested tuple above encodes as fifteen static words, the constructor's.
    assert_eq!(constructor_calldata(OWNER).len(), 4 + 15 * 32);
}

#[test]
fn the_constructor_runs_only_once_and_refuses_with_typed_errors() {
    let w = World::undeployed(Config::default());
    assert_eq!(
        send(&w, OWNER, constructor_calldata(Address::ZERO)).unwrap_err(),
        yellowstone_protocol::capital::abi::ZeroAddress::SELECTOR.to_vec()
    );
    send(&w, OWNER, constructor_calldata(OWNER)).unwrap();
    assert!(send(&w, STRANGER, constructor_calldata(STRANGER)).is_err());
    let owner = I::ownerCall::abi_decode_returns(
        &send(&w, STRANGER, I::ownerCall {}.abi_encode()).unwrap(),
    )
    .unwrap();
    assert_eq!(owner, OWNER);
}

#[test]
fn ether_is_refused_everywhere() {
    let w = World::deploy();
    w.chain.vm.set_value(U256::from(1));
    assert_eq!(
        send(&w, STRANGER, I::ownerCall {}.abi_encode()),
        Err(Vec::new())
    );
    assert_eq!(
        send(&w, STRANGER, I::pokeCall {}.abi_encode()),
        Err(Vec::new())
    );
}

#[test]
fn every_view_answers_at_its_solidity_selector() {
    let w = busy_world(true);
    let t = w.totals();
    let totals = I::totalsCall::abi_decode_returns(
        &send(&w, STRANGER, I::totalsCall {}.abi_encode()).unwrap(),
    )
    .unwrap();
    assert_eq!(
        (
            totals.principal,
            totals.backing,
            totals.distributed,
            totals.paid,
            totals.kept,
            totals.computeSent,
            totals.computeOwed
        ),
        (
            t.principal,
            t.backing,
            t.distributed,
            t.paid,
            t.kept,
            t.compute_sent,
            t.compute_owed
        )
    );
    let p = I::positionCall::abi_decode_returns(
        &send(
            &w,
            STRANGER,
            I::positionCall { account: ALICE }.abi_encode(),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!((p.principal, p.unlockAt, p.owed), w.position(ALICE));
    let c = I::configCall::abi_decode_returns(
        &send(&w, STRANGER, I::configCall {}.abi_encode()).unwrap(),
    )
    .unwrap();
    assert_eq!(
        (
            c.stEth,
            c.wstEth,
            c.native,
            c.pair,
            c.compute,
            c.mintsNative
        ),
        w.c().config()
    );
    let s = I::scheduleCall::abi_decode_returns(
        &send(&w, STRANGER, I::scheduleCall {}.abi_encode()).unwrap(),
    )
    .unwrap();
    assert_eq!(
        (
            s.payoutStart,
            s.interval,
            s.capitalInitial,
            s.capitalDecrease,
            s.computeInitial,
            s.computeDecrease
        ),
        w.c().schedule()
    );
    let h = I::harvestStateCall::abi_decode_returns(
        &send(&w, STRANGER, I::harvestStateCall {}.abi_encode()).unwrap(),
    )
    .unwrap();
    assert_eq!(
        (
            h.lastHarvest,
            h.observedAt,
            h.observedCumulative,
            h.carriedWst,
            h.carriedNative,
            h.liquidity
        ),
        w.c().harvest_state()
    );
    let q = I::parametersCall::abi_decode_returns(
        &send(&w, STRANGER, I::parametersCall {}.abi_encode()).unwrap(),
    )
    .unwrap();
    assert_eq!(
        (q.minLock, q.twapWindow, q.maxDeviationBps, q.slippageBps),
        w.c().parameters()
    );
    let paused = I::pausedCall::abi_decode_returns(
        &send(&w, STRANGER, I::pausedCall {}.abi_encode()).unwrap(),
    )
    .unwrap();
    assert!(!paused);
    let pending = I::pendingOwnerCall::abi_decode_returns(
        &send(&w, STRANGER, I::pendingOwnerCall {}.abi_encode()).unwrap(),
    )
    .unwrap();
    assert_eq!(pending, Address::ZERO);
}

#[test]
fn writes_return_what_their_solidity_signature_says() {
    let w = busy_world(true);
    w.advance(DAY);
    let sent = I::fundComputeCall::abi_decode_returns(
        &send(&w, STRANGER, I::fundComputeCall {}.abi_encode()).unwrap(),
    )
    .unwrap();
    assert!(sent > U256::ZERO);
    let paid =
        I::claimCall::abi_decode_returns(&send(&w, ALICE, I::claimCall {}.abi_encode()).unwrap())
            .unwrap();
    assert!(paid > U256::ZERO);
    let refused = send(&w, ALICE, I::claimCall {}.abi_encode()).unwrap_err();
    assert_eq!(
        refused,
        yellowstone_protocol::capital::abi::NothingToClaim { account: ALICE }.abi_encode()
    );
}

// ---- the differential test ----

#[derive(Clone, Copy, Debug)]
enum Kind {
    Address,
    U64,
    U16,
    Bool,
    Word,
}

/// Every function: its selector and argument kinds.
fn functions() -> Vec<([u8; 4], Vec<Kind>)> {
    use Kind::*;
    let constructor = [vec![Address; 6], vec![Bool, U64, U64], vec![Word; 6]].concat();
    vec![
        (CONSTRUCTOR_SELECTOR.to_be_bytes(), constructor),
        (I::depositCall::SELECTOR, vec![Word]),
        (I::withdrawCall::SELECTOR, vec![Word]),
        (I::claimCall::SELECTOR, vec![]),
        (I::pokeCall::SELECTOR, vec![]),
        (I::harvestCall::SELECTOR, vec![]),
        (I::fundComputeCall::SELECTOR, vec![]),
        (I::bootstrapPoolCall::SELECTOR, vec![Word]),
        (I::setParametersCall::SELECTOR, vec![U64, U64, U16, U16]),
        (I::pauseCall::SELECTOR, vec![]),
        (I::unpauseCall::SELECTOR, vec![]),
        (I::transferOwnershipCall::SELECTOR, vec![Address]),
        (I::acceptOwnershipCall::SELECTOR, vec![]),
        (I::ownerCall::SELECTOR, vec![]),
        (I::pendingOwnerCall::SELECTOR, vec![]),
        (I::pausedCall::SELECTOR, vec![]),
        (I::positionCall::SELECTOR, vec![Address]),
        (I::totalsCall::SELECTOR, vec![]),
        (I::harvestStateCall::SELECTOR, vec![]),
        (I::parametersCall::SELECTOR, vec![]),
        (I::configCall::SELECTOR, vec![]),
        (I::scheduleCall::SELECTOR, vec![]),
    ]
}

/// One generated call: which function, its raw argument material, and how to spoil it.
#[derive(Clone, Debug)]
struct Case {
    function: prop::sample::Index,
    /// Small values make many calls succeed; the rest exercise the refusals.
    values: Vec<u64>,
    /// (word index, byte, value): a byte written over the encoding, often a padding byte.
    dirt: Option<(prop::sample::Index, u8, u8)>,
    /// Keep only this many bytes, or append these.
    cut: Option<prop::sample::Index>,
    trailing: Vec<u8>,
    sender: prop::sample::Index,
    value: bool,
    deployed: bool,
}

fn case() -> impl Strategy<Value = Case> {
    (
        any::<prop::sample::Index>(),
        prop::collection::vec(prop_oneof![0u64..4, any::<u64>()], 15),
        prop::option::weighted(
            0.3,
            (
                any::<prop::sample::Index>(),
                prop_oneof![
                    0u8..32,
                    Just(11u8),
                    Just(23u8),
                    Just(29u8),
                    Just(30u8),
                    Just(31u8)
                ],
                1u8..=255,
            ),
        ),
        prop::option::weighted(0.2, any::<prop::sample::Index>()),
        prop::collection::vec(any::<u8>(), 0..3),
        any::<prop::sample::Index>(),
        prop::bool::weighted(0.05),
        prop::bool::weighted(0.9),
    )
        .prop_map(
            |(function, values, dirt, cut, trailing, sender, value, deployed)| Case {
                function,
                values,
                dirt,
                cut,
                trailing,
                sender,
                value,
                deployed,
            },
        )
}

/// The calldata of `case` and its sender.
fn calldata(case: &Case) -> (Vec<u8>, Address) {
    let table = functions();
    let (selector, kinds) = &table[case.function.index(table.len())];
    let parties = [OWNER, STRANGER, ALICE, BOB];
    let canonical = [ST_ETH, WST_ETH, NATIVE, PAIR, COMPUTE, OWNER];
    let is_constructor = *selector == CONSTRUCTOR_SELECTOR.to_be_bytes();
    let mut data = selector.to_vec();
    for (k, kind) in kinds.iter().enumerate() {
        let v = case.values[k % case.values.len()];
        let word: [u8; 32] = match kind {
            Kind::Address if is_constructor && v < 4 => {
                B256::left_padding_from(canonical[k].as_slice()).0
            }
            Kind::Address => B256::left_padding_from(parties[v as usize % 4].as_slice()).0,
            Kind::U64 if v < 4 => {
                U256::from([DAY, 1_800, 7 * DAY, 3_600][v as usize]).to_be_bytes()
            }
            Kind::U64 => U256::from(v % (400 * DAY)).to_be_bytes(),
            Kind::U16 if v < 4 => U256::from([10, 100, 200, 1_000][v as usize]).to_be_bytes(),
            Kind::U16 => U256::from(v % 70_000).to_be_bytes(),
            Kind::Bool => U256::from(v % 3).to_be_bytes(),
            Kind::Word => {
                (U256::from(v % 100_000) * U256::from(1_000_000_000_000_000u64)).to_be_bytes()
            }
        };
        data.extend(word);
    }
    if let Some((at, byte, value)) = case.dirt {
        let words = (data.len() - 4) / 32;
        if words > 0 {
            data[4 + 32 * at.index(words) + byte as usize] = value;
        }
    }
    if let Some(cut) = &case.cut {
        data.truncate(cut.index(data.len() + 1));
    }
    data.extend(&case.trailing);
    (data, *case.sender.get(&parties))
}

/// A world with some history: a seeded pool, a funded reserve, Alice's deposit, a rebase, an
/// open observation past its window. Undeployed: only the counterparties.
fn busy_world(deployed: bool) -> World {
    if !deployed {
        let w = World::undeployed(Config::default());
        w.seed_pool(eth(100));
        return w;
    }
    let mut w = World::deploy();
    w.seed_pool(eth(100));
    w.fund_reserve(eth(1_000_000));
    w.give_st_eth(ALICE, eth(100));
    w.give_st_eth(BOB, eth(100));
    w.deposit(ALICE, eth(50)).unwrap();
    w.rebase_bps(100);
    w.poke().unwrap();
    w.advance(1_800);
    w.chain.sim_mut(|s| {
        s.native.mint(OWNER, eth(1_000_000));
        s.native.allowances.insert((OWNER, CAPITAL), U256::MAX);
    });
    w
}

/// What one call did: its answer, its logs, the storage and the counterparties after it.
type Outcome = (Result<Vec<u8>, Vec<u8>>, Vec<Log>, Vec<(U256, B256)>, Sim);

fn run(entry: Entry, case: &Case) -> Outcome {
    let w = busy_world(case.deployed);
    let (data, sender) = calldata(case);
    w.chain.vm.set_value(U256::from(case.value as u8));
    let mark = w.chain.log_count();
    let result = send_via(entry, &w, sender, data);
    let mut storage: Vec<_> = w.chain.vm.snapshot().storage.into_iter().collect();
    storage.sort();
    (
        result,
        w.chain.logs_from(mark),
        storage,
        w.chain.sim(Sim::clone),
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn the_entry_point_answers_every_calldata_as_the_sdk_router_would(case in case()) {
        prop_assert_eq!(run(dispatch, &case), run(sdk_router, &case));
    }
}

#[test]
fn the_differential_cases_reach_both_successes_and_refusals() {
    // The property above is only as good as its cases: it must reach calls that succeed, typed
    // refusals, and undecodable calldata.
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let (mut ok, mut typed, mut empty) = (0, 0, 0);
    for _ in 0..300 {
        let case = proptest::strategy::ValueTree::current(&case().new_tree(&mut runner).unwrap());
        match run(dispatch, &case).0 {
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
