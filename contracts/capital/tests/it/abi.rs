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
use yellowstone_contract_test_kit::differential::{
    assert_cases_reach_every_answer, assert_entry_matches_reference, cases, outcome, Case, Entry,
    Outcome,
};

use crate::common::*;

// The interface the CLI, the demo and explorers use: the one exported from the contract
// (`scripts/export-abi.sh`), as `yellowstone-chain` and the devnet tests read it.
sol!("../../abi/IYellowstoneCapital.sol");

use IYellowstoneCapital as I;

/// stylus-sdk's generated router over the `#[public]` impl: the reference for [`dispatch`].
fn sdk_router(input: Vec<u8>, vm: stylus_sdk::host::VM) -> stylus_sdk::ArbResult {
    router_entrypoint::<YellowstoneCapital, YellowstoneCapital>(input, vm)
}

/// Sends `calldata` from `sender` through the contract's entry point; a revert rolls back.
fn send(w: &World, sender: Address, calldata: Vec<u8>) -> Result<Vec<u8>, Vec<u8>> {
    w.send(dispatch, sender, calldata)
}

/// Sends `c` from `sender` through the contract's entry point and decodes its answer.
fn call<C: SolCall>(w: &World, sender: Address, c: C) -> C::Return {
    w.call(dispatch, sender, &c)
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
    // Each answer, decoded with the exported signature, is the contract's own view word for word.
    let w = busy_world(true);
    assert_eq!(
        w.c().totals().unwrap(),
        call(&w, STRANGER, I::totalsCall {}).into()
    );
    assert_eq!(
        w.position(ALICE),
        call(&w, STRANGER, I::positionCall { account: ALICE }).into()
    );
    assert_eq!(w.c().config(), call(&w, STRANGER, I::configCall {}).into());
    assert_eq!(
        w.c().schedule(),
        call(&w, STRANGER, I::scheduleCall {}).into()
    );
    assert_eq!(
        w.c().harvest_state(),
        call(&w, STRANGER, I::harvestStateCall {}).into()
    );
    assert_eq!(
        w.c().parameters(),
        call(&w, STRANGER, I::parametersCall {}).into()
    );
    assert!(!call(&w, STRANGER, I::pausedCall {}));
    assert_eq!(call(&w, STRANGER, I::pendingOwnerCall {}), Address::ZERO);
}

#[test]
fn writes_return_what_their_solidity_signature_says() {
    let w = busy_world(true);
    w.advance(DAY);
    let sent = call(&w, STRANGER, I::fundComputeCall {});
    assert!(sent > U256::ZERO);
    let paid = call(&w, ALICE, I::claimCall {});
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

fn case() -> impl Strategy<Value = Case<()>> {
    cases(
        15,
        prop_oneof![
            0u8..32,
            Just(11u8),
            Just(23u8),
            Just(29u8),
            Just(30u8),
            Just(31u8)
        ],
        Just(()),
    )
}

/// The calldata of `case` and its sender.
fn calldata(case: &Case<()>) -> (Vec<u8>, Address) {
    let table = functions();
    let (selector, kinds) = case.function(&table);
    let parties = [OWNER, STRANGER, ALICE, BOB];
    let canonical = [ST_ETH, WST_ETH, NATIVE, PAIR, COMPUTE, OWNER];
    let is_constructor = *selector == CONSTRUCTOR_SELECTOR.to_be_bytes();
    let mut data = selector.to_vec();
    for (k, kind) in kinds.iter().enumerate() {
        let v = case.value(k);
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
    (case.spoil(data), case.sender(&parties))
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

fn run(entry: Entry, case: &Case<()>) -> Outcome<Sim> {
    let w = busy_world(case.deployed);
    let (data, sender) = calldata(case);
    outcome(&w, entry, sender, case.value, data)
}

#[test]
fn the_entry_point_answers_every_calldata_as_the_sdk_router_would() {
    assert_entry_matches_reference(400, case(), run, dispatch, sdk_router);
}

#[test]
fn the_differential_cases_reach_both_successes_and_refusals() {
    // The property above is only as good as its cases: it must reach calls that succeed, typed
    // refusals, and undecodable calldata.
    assert_cases_reach_every_answer(case(), |case| run(dispatch, case).0);
}
