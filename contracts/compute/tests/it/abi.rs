//! The contract as the chain sees it: calldata in, return or revert data out, through the
//! contract's entry point ([`dispatch`], what the deployed program runs). This pins the
//! Solidity interface the router, the client and explorers rely on, the constructor guard, and
//! non-payability; and it runs the hand-written entry point side by side with stylus-sdk's
//! generated router (`router_entrypoint` over the `#[public]` impl) on well-formed and malformed
//! calldata: both must answer alike, byte for byte, with the same logs and storage.

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::{sol, SolCall, SolError};
use proptest::prelude::*;
use stylus_sdk::abi::{router_entrypoint, CONSTRUCTOR_SELECTOR};
use yellowstone_compute::{dispatch, YellowstoneCompute};
use yellowstone_contract_test_kit::differential::{
    assert_cases_reach_every_answer, assert_entry_matches_reference, cases, outcome, Case, Entry,
    Outcome,
};

use crate::common::*;

// The interface the router, the client and explorers use: the one exported from the contract
// (`scripts/export-abi.sh`), as `yellowstone-chain` and the devnet tests read it.
sol!("../../abi/IYellowstoneCompute.sol");

use IYellowstoneCompute as I;

/// stylus-sdk's generated router over the `#[public]` impl: the reference for [`dispatch`].
fn sdk_router(input: Vec<u8>, vm: stylus_sdk::host::VM) -> stylus_sdk::ArbResult {
    router_entrypoint::<YellowstoneCompute, YellowstoneCompute>(input, vm)
}

/// Sends `calldata` from `sender` through the contract's entry point; a revert rolls back.
fn send(w: &World, sender: Address, calldata: Vec<u8>) -> Result<Vec<u8>, Vec<u8>> {
    w.send(dispatch, sender, calldata)
}

/// Calls the view `call` through the contract's entry point and decodes its answer.
fn view<C: SolCall>(w: &World, call: C) -> C::Return {
    w.call(dispatch, STRANGER, &call)
}

fn constructor_calldata(owner: Address) -> Vec<u8> {
    let mut data = CONSTRUCTOR_SELECTOR.to_be_bytes().to_vec();
    data.extend(alloy_sol_types::SolValue::abi_encode_params(&(
        MOR,
        owner,
        EMISSION_START_DAY,
        FIRST_DAY_EMISSION,
        DAILY_DECREASE,
        BOOTSTRAP_START_DAY,
    )));
    data
}

/// Deployed through the entrypoint, with the router authorised.
fn deployed() -> World {
    let w = World::undeployed(Config::default());
    send(&w, OWNER, constructor_calldata(OWNER)).expect("deploys");
    let router = w.router_address();
    send(&w, OWNER, I::authorizeRouterCall { router }.abi_encode()).unwrap();
    w
}

#[test]
fn the_constructor_runs_only_once() {
    let w = deployed();
    assert!(
        send(&w, STRANGER, constructor_calldata(STRANGER)).is_err(),
        "a second constructor call reverts"
    );
    let owner = I::ownerCall::abi_decode_returns(
        &send(&w, STRANGER, I::ownerCall {}.abi_encode()).unwrap(),
    )
    .unwrap();
    assert_eq!(owner, OWNER);
}

#[test]
fn the_constructor_refusal_is_a_typed_error_too() {
    let w = World::undeployed(Config::default());
    let data = send(&w, OWNER, constructor_calldata(Address::ZERO)).unwrap_err();
    assert_eq!(
        data,
        yellowstone_protocol::abi::ZeroAddress::SELECTOR.to_vec()
    );
    // A refused constructor leaves the contract undeployed: it can still be constructed.
    send(&w, OWNER, constructor_calldata(OWNER)).unwrap();
}

#[test]
fn every_view_answers_at_its_solidity_selector() {
    let mut w = deployed();
    w.fund(FUNDER, mor(1_000)).unwrap();
    w.stake(ALICE, mor(10), DEPLOY_TIME + YEAR).unwrap();
    w.commit(1, B256::repeat_byte(3), mor(5), mor(1)).unwrap();

    // Each answer, decoded with the exported signature, is the contract's own view word for
    // word.
    assert_eq!(
        w.c().emission_schedule(),
        view(&w, I::emissionScheduleCall {}).into()
    );
    assert_eq!(
        (
            DEPLOY_DAY,
            scheduled(DEPLOY_DAY),
            mor(6),
            scheduled(DEPLOY_DAY) / U256::from(10),
            mor(1)
        ),
        view(&w, I::todayCall {}).into()
    );
    assert_eq!(w.c().totals(), view(&w, I::totalsCall {}).into());
    assert_eq!(
        (1u64, B256::repeat_byte(3), mor(5), mor(1)),
        view(&w, I::latestEpochCall {}).into()
    );
    assert_eq!(
        view(&w, I::domainSeparatorCall {}),
        w.c().domain_separator()
    );
    assert_eq!(
        w.c().provider(ALICE),
        view(&w, I::providerCall { provider: ALICE }).into()
    );
    assert_eq!(
        view(&w, I::stakeCapRemainingCall { provider: ALICE }),
        mor(10)
    );
    assert_eq!(
        view(
            &w,
            I::powerMultiplierCall {
                start: U256::ZERO,
                end: U256::MAX
            }
        ),
        U256::from(10_700_000_000_000_000_000u128)
    );
    assert_eq!(view(&w, I::ownerCall {}), OWNER);
    assert_eq!(view(&w, I::pendingOwnerCall {}), Address::ZERO);
    assert_eq!(view(&w, I::morCall {}), MOR);
    assert!(!view(&w, I::pausedCall {}));
    assert!(view(
        &w,
        I::isRouterCall {
            router: w.router_address()
        }
    ));
}

#[test]
fn a_whole_round_runs_through_the_abi() {
    let w = deployed();
    w.mock_transfer_from(FUNDER, mor(1_000), TokenReply::True);
    send(&w, FUNDER, I::fundCall { amount: mor(1_000) }.abi_encode()).unwrap();
    w.mock_transfer_from(ALICE, mor(50), TokenReply::True);
    send(
        &w,
        ALICE,
        I::stakeCall {
            amount: mor(50),
            lock_end: DEPLOY_TIME + DAY,
        }
        .abi_encode(),
    )
    .unwrap();
    send(
        &w,
        ALICE,
        I::lockClaimCall {
            new_end: DEPLOY_TIME + 2 * DAY,
        }
        .abi_encode(),
    )
    .unwrap();

    let tree = Tree::new(&[
        Leaf::new(ALICE, mor(30), mor(2)),
        Leaf::new(BOB, mor(8), U256::ZERO),
    ]);
    let (credited, bootstrap) = tree.totals();
    let (r, vs) = compact(&w.sign_epoch(1, tree.root(), credited, bootstrap));
    let commit = I::commitEpochCall {
        epoch: 1,
        root: tree.root(),
        cumulative_credited: credited,
        cumulative_bootstrap: bootstrap,
        deadline: FAR,
        r,
        vs,
    };
    send(&w, STRANGER, commit.abi_encode()).unwrap();

    w.mock_transfer(ALICE, mor(32), TokenReply::True);
    let claim = I::claimCall {
        provider: ALICE,
        cumulative_earned: mor(30),
        cumulative_bootstrap: mor(2),
        proof: tree.proof(ALICE),
    };
    let ret = send(&w, STRANGER, claim.abi_encode()).unwrap();
    assert_eq!(I::claimCall::abi_decode_returns(&ret).unwrap(), mor(32));

    // After the lock, all but the 32 MOR that back this period's payout may leave.
    w.set_time(DEPLOY_TIME + 2 * DAY);
    w.mock_transfer(ALICE, mor(18), TokenReply::True);
    send(&w, ALICE, I::withdrawCall { amount: mor(18) }.abi_encode()).unwrap();
    assert_eq!(
        w.totals(),
        Totals {
            funded: mor(1_000),
            credited: mor(38),
            bootstrap: mor(2),
            claimed: mor(32),
            staked: mor(32)
        }
    );

    send(&w, OWNER, I::pauseCall {}.abi_encode()).unwrap();
    send(&w, OWNER, I::unpauseCall {}.abi_encode()).unwrap();
    let router = w.router_address();
    send(&w, OWNER, I::revokeRouterCall { router }.abi_encode()).unwrap();
    send(
        &w,
        OWNER,
        I::transferOwnershipCall { new_owner: BOB }.abi_encode(),
    )
    .unwrap();
    send(&w, BOB, I::acceptOwnershipCall {}.abi_encode()).unwrap();
    assert_eq!(w.c().owner(), BOB);
}

#[test]
fn a_refusal_reverts_with_the_typed_error() {
    let w = deployed();
    let data = send(&w, FUNDER, I::fundCall { amount: U256::ZERO }.abi_encode()).unwrap_err();
    assert_eq!(data, yellowstone_protocol::abi::ZeroAmount {}.abi_encode());
    let data = send(&w, STRANGER, I::pauseCall {}.abi_encode()).unwrap_err();
    assert_eq!(
        yellowstone_protocol::abi::NotOwner::abi_decode(&data)
            .unwrap()
            .caller,
        STRANGER
    );
}

#[test]
fn no_function_accepts_ether() {
    let w = deployed();
    w.chain.vm.set_value(U256::from(1));
    w.mock_transfer_from(FUNDER, mor(1), TokenReply::True);
    assert_eq!(
        send(&w, FUNDER, I::fundCall { amount: mor(1) }.abi_encode()),
        Err(Vec::new())
    );
    assert_eq!(
        send(&w, OWNER, I::pauseCall {}.abi_encode()),
        Err(Vec::new())
    );
    assert_eq!(w.totals().funded, U256::ZERO);
}

#[test]
fn unknown_selectors_and_plain_transfers_revert() {
    let w = deployed();
    assert!(send(&w, STRANGER, vec![0xde, 0xad, 0xbe, 0xef]).is_err());
    assert!(send(&w, STRANGER, Vec::new()).is_err());
}

// ---- the hand-written entry point against the SDK's router -----------------------------

/// How one argument is encoded: an `address`, a `uint64`, a full word, or `bytes32[]`.
#[derive(Clone, Copy, Debug)]
enum Kind {
    Address,
    U64,
    Word,
    Proof,
}

/// Every function of the interface with its argument kinds, and the constructor.
fn functions() -> Vec<([u8; 4], Vec<Kind>)> {
    use Kind::*;
    vec![
        (
            CONSTRUCTOR_SELECTOR.to_be_bytes(),
            vec![Address, Address, U64, Word, Word, U64],
        ),
        (I::fundCall::SELECTOR, vec![Word]),
        (I::emissionScheduleCall::SELECTOR, vec![]),
        (I::todayCall::SELECTOR, vec![]),
        (I::totalsCall::SELECTOR, vec![]),
        (
            I::commitEpochCall::SELECTOR,
            vec![U64, Word, Word, Word, U64, Word, Word],
        ),
        (I::latestEpochCall::SELECTOR, vec![]),
        (I::domainSeparatorCall::SELECTOR, vec![]),
        (I::claimCall::SELECTOR, vec![Address, Word, Word, Proof]),
        (I::stakeCall::SELECTOR, vec![Word, U64]),
        (I::lockClaimCall::SELECTOR, vec![U64]),
        (I::withdrawCall::SELECTOR, vec![Word]),
        (I::providerCall::SELECTOR, vec![Address]),
        (I::stakeCapRemainingCall::SELECTOR, vec![Address]),
        (I::powerMultiplierCall::SELECTOR, vec![Word, Word]),
        (I::ownerCall::SELECTOR, vec![]),
        (I::pendingOwnerCall::SELECTOR, vec![]),
        (I::morCall::SELECTOR, vec![]),
        (I::pausedCall::SELECTOR, vec![]),
        (I::isRouterCall::SELECTOR, vec![Address]),
        (I::authorizeRouterCall::SELECTOR, vec![Address]),
        (I::revokeRouterCall::SELECTOR, vec![Address]),
        (I::pauseCall::SELECTOR, vec![]),
        (I::unpauseCall::SELECTOR, vec![]),
        (I::transferOwnershipCall::SELECTOR, vec![Address]),
        (I::acceptOwnershipCall::SELECTOR, vec![]),
    ]
}

/// The compute suite's own material: a spoiled proof head, a foreign selector.
#[derive(Clone, Debug)]
struct Extra {
    /// The proof's (offset, length) words when not the canonical ones.
    proof_head: Option<(u64, u64)>,
    selector: Option<[u8; 4]>,
}

fn case() -> impl Strategy<Value = Case<Extra>> {
    cases(
        8,
        prop_oneof![0u8..32, Just(11u8), Just(23u8), Just(27u8)],
        (
            prop::option::weighted(0.2, (0u64..400, prop_oneof![0u64..4, any::<u64>()])),
            prop::option::weighted(0.05, any::<[u8; 4]>()),
        )
            .prop_map(|(proof_head, selector)| Extra {
                proof_head,
                selector,
            }),
    )
}

/// The calldata of `case`, and its sender.
fn calldata(case: &Case<Extra>, w: &World) -> (Vec<u8>, Address) {
    let table = functions();
    let (selector, kinds) = case.function(&table);
    let parties = [OWNER, STRANGER, ALICE, w.router_address()];
    let word = |k: usize| -> [u8; 32] {
        let v = case.value(k);
        match kinds[k] {
            Kind::Address => B256::left_padding_from(parties[v as usize % 4].as_slice()).0,
            Kind::U64 => U256::from(DEPLOY_TIME + v % (2 * YEAR)).to_be_bytes(),
            Kind::Word => (U256::from(v) * mor(1)).to_be_bytes(),
            Kind::Proof => U256::from(32 * kinds.len()).to_be_bytes(),
        }
    };
    let mut data = case.extra.selector.unwrap_or(*selector).to_vec();
    for k in 0..kinds.len() {
        data.extend(word(k));
    }
    if kinds.iter().any(|k| matches!(k, Kind::Proof)) {
        let len = case.values[0] % 3;
        let (offset, len_word) = case
            .extra
            .proof_head
            .unwrap_or((32 * kinds.len() as u64, len));
        let at = 4 + 32 * (kinds.len() - 1);
        data[at..at + 32].copy_from_slice(&U256::from(offset).to_be_bytes::<32>());
        data.extend(U256::from(len_word).to_be_bytes::<32>());
        for i in 0..len {
            data.extend(B256::repeat_byte(i as u8 + 1).0);
        }
    }
    (case.spoil(data), case.sender(&parties))
}

/// A world with some history: funded, Alice staked, epoch 1 committed.
fn busy_world(deployed: bool) -> World {
    if !deployed {
        return World::undeployed(Config {
            simulate_token: true,
            ..Config::default()
        });
    }
    let mut w = World::deploy_with(Config {
        simulate_token: true,
        ..Config::default()
    });
    w.mint(FUNDER, mor(1_000_000));
    w.mint(ALICE, mor(1_000_000));
    w.fund(FUNDER, mor(1_000)).unwrap();
    w.stake(ALICE, mor(10), DEPLOY_TIME + DAY).unwrap();
    w.commit(1, B256::repeat_byte(3), mor(5), mor(1)).unwrap();
    w
}

fn run(entry: Entry, case: &Case<Extra>) -> Outcome<Option<SimToken>> {
    let w = busy_world(case.deployed);
    let (data, sender) = calldata(case, &w);
    outcome(&w, entry, sender, case.value, data)
}

#[test]
fn the_entry_point_answers_every_calldata_as_the_sdk_router_would() {
    assert_entry_matches_reference(600, case(), run, dispatch, sdk_router);
}

#[test]
fn the_differential_cases_reach_both_successes_and_refusals() {
    // The property above is only as good as its cases: check the generator reaches calls that
    // succeed, typed refusals, and undecodable calldata.
    assert_cases_reach_every_answer(case(), |case| run(dispatch, case).0);
}
