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

use crate::common::*;

sol! {
    /// The interface the SPEC's parties use, written by hand.
    interface IYellowstoneCompute {
        function fund(uint256 amount) external;
        function emissionSchedule() external view returns (uint64 startDay, uint256 firstDay, uint256 decrease, uint64 bootstrapStartDay);
        function today() external view returns (uint64 day, uint256 cap, uint256 credited, uint256 bootstrapLimit, uint256 bootstrap);
        function totals() external view returns (uint256 funded, uint256 credited, uint256 bootstrap, uint256 claimed, uint256 staked);
        function commitEpoch(uint64 epoch, bytes32 root, uint256 cumulativeCredited, uint256 cumulativeBootstrap, uint64 deadline, bytes32 r, bytes32 vs) external;
        function latestEpoch() external view returns (uint64 epoch, bytes32 root, uint256 credited, uint256 bootstrap);
        function domainSeparator() external view returns (bytes32 separator);
        function claim(address provider, uint256 cumulativeEarned, uint256 cumulativeBootstrap, bytes32[] proof) external returns (uint256 paid);
        function stake(uint256 amount, uint64 lockEnd) external;
        function lockClaim(uint64 newEnd) external;
        function withdraw(uint256 amount) external;
        function provider(address provider) external view returns (bool registered, uint256 stake, uint64 lockStart, uint64 lockEnd, uint256 multiplier, uint256 weight, uint256 earned, uint256 claimed);
        function stakeCapRemaining(address provider) external view returns (uint256 remaining);
        function powerMultiplier(uint256 start, uint256 end) external view returns (uint256 multiplier);
        function owner() external view returns (address owner_);
        function pendingOwner() external view returns (address pending);
        function mor() external view returns (address token);
        function paused() external view returns (bool isPaused);
        function isRouter(address router) external view returns (bool authorized);
        function authorizeRouter(address router) external;
        function revokeRouter(address router) external;
        function pause() external;
        function unpause() external;
        function transferOwnership(address newOwner) external;
        function acceptOwnership() external;
    }
}

use IYellowstoneCompute as I;

/// An entry point: the contract's, or the SDK's generated router.
type Entry = fn(Vec<u8>, stylus_sdk::host::VM) -> stylus_sdk::ArbResult;

/// stylus-sdk's generated router over the `#[public]` impl: the reference for [`dispatch`].
fn sdk_router(input: Vec<u8>, vm: stylus_sdk::host::VM) -> stylus_sdk::ArbResult {
    router_entrypoint::<YellowstoneCompute, YellowstoneCompute>(input, vm)
}

/// Sends `calldata` from `sender` through `entry`; a revert rolls back.
fn send_via(
    entry: Entry,
    w: &mut World,
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

/// Sends `calldata` from `sender` through the contract's entry point; a revert rolls back.
fn send(w: &mut World, sender: Address, calldata: Vec<u8>) -> Result<Vec<u8>, Vec<u8>> {
    send_via(dispatch, w, sender, calldata)
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
    let mut w = World::undeployed(Config::default());
    send(&mut w, OWNER, constructor_calldata(OWNER)).expect("deploys");
    let router = w.router_address();
    send(
        &mut w,
        OWNER,
        I::authorizeRouterCall { router }.abi_encode(),
    )
    .unwrap();
    w
}

#[test]
fn the_constructor_runs_only_once() {
    let mut w = deployed();
    assert!(
        send(&mut w, STRANGER, constructor_calldata(STRANGER)).is_err(),
        "a second constructor call reverts"
    );
    let owner = I::ownerCall::abi_decode_returns(
        &send(&mut w, STRANGER, I::ownerCall {}.abi_encode()).unwrap(),
    )
    .unwrap();
    assert_eq!(owner, OWNER);
}

#[test]
fn the_constructor_refusal_is_a_typed_error_too() {
    let mut w = World::undeployed(Config::default());
    let data = send(&mut w, OWNER, constructor_calldata(Address::ZERO)).unwrap_err();
    assert_eq!(
        data,
        yellowstone_protocol::abi::ZeroAddress::SELECTOR.to_vec()
    );
    // A refused constructor leaves the contract undeployed: it can still be constructed.
    send(&mut w, OWNER, constructor_calldata(OWNER)).unwrap();
}

#[test]
fn every_view_answers_at_its_solidity_selector() {
    let mut w = deployed();
    w.fund(FUNDER, mor(1_000)).unwrap();
    w.stake(ALICE, mor(10), DEPLOY_TIME + YEAR).unwrap();
    w.commit(1, B256::repeat_byte(3), mor(5), mor(1)).unwrap();

    macro_rules! view {
        ($call:expr) => {{
            let call = $call;
            let ret = send(&mut w, STRANGER, call.abi_encode()).expect("view answers");
            fn decode<C: SolCall>(_: &C, ret: &[u8]) -> C::Return {
                C::abi_decode_returns(ret).expect("decodes")
            }
            decode(&call, &ret)
        }};
    }

    let s = view!(I::emissionScheduleCall {});
    assert_eq!(
        (s.startDay, s.firstDay, s.decrease, s.bootstrapStartDay),
        w.c().emission_schedule()
    );
    let d = view!(I::todayCall {});
    assert_eq!(
        (d.day, d.cap, d.credited, d.bootstrapLimit, d.bootstrap),
        (
            DEPLOY_DAY,
            scheduled(DEPLOY_DAY),
            mor(6),
            scheduled(DEPLOY_DAY) / U256::from(10),
            mor(1)
        )
    );
    let t = view!(I::totalsCall {});
    assert_eq!(
        (t.funded, t.credited, t.bootstrap, t.claimed, t.staked),
        w.c().totals()
    );
    let e = view!(I::latestEpochCall {});
    assert_eq!(
        (e.epoch, e.root, e.credited, e.bootstrap),
        (1, B256::repeat_byte(3), mor(5), mor(1))
    );
    assert_eq!(view!(I::domainSeparatorCall {}), w.c().domain_separator());
    let p = view!(I::providerCall { provider: ALICE });
    assert_eq!(
        (
            p.registered,
            p.stake,
            p.lockStart,
            p.lockEnd,
            p.multiplier,
            p.weight,
            p.earned,
            p.claimed
        ),
        w.c().provider(ALICE)
    );
    assert_eq!(view!(I::stakeCapRemainingCall { provider: ALICE }), mor(10));
    assert_eq!(
        view!(I::powerMultiplierCall {
            start: U256::ZERO,
            end: U256::MAX
        }),
        U256::from(10_700_000_000_000_000_000u128)
    );
    assert_eq!(view!(I::ownerCall {}), OWNER);
    assert_eq!(view!(I::pendingOwnerCall {}), Address::ZERO);
    assert_eq!(view!(I::morCall {}), MOR);
    assert!(!view!(I::pausedCall {}));
    assert!(view!(I::isRouterCall {
        router: w.router_address()
    }));
}

#[test]
fn a_whole_round_runs_through_the_abi() {
    let mut w = deployed();
    w.mock_transfer_from(FUNDER, mor(1_000), TokenReply::True);
    send(
        &mut w,
        FUNDER,
        I::fundCall { amount: mor(1_000) }.abi_encode(),
    )
    .unwrap();
    w.mock_transfer_from(ALICE, mor(50), TokenReply::True);
    send(
        &mut w,
        ALICE,
        I::stakeCall {
            amount: mor(50),
            lockEnd: DEPLOY_TIME + DAY,
        }
        .abi_encode(),
    )
    .unwrap();
    send(
        &mut w,
        ALICE,
        I::lockClaimCall {
            newEnd: DEPLOY_TIME + 2 * DAY,
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
        cumulativeCredited: credited,
        cumulativeBootstrap: bootstrap,
        deadline: FAR,
        r,
        vs,
    };
    send(&mut w, STRANGER, commit.abi_encode()).unwrap();

    w.mock_transfer(ALICE, mor(32), TokenReply::True);
    let claim = I::claimCall {
        provider: ALICE,
        cumulativeEarned: mor(30),
        cumulativeBootstrap: mor(2),
        proof: tree.proof(ALICE),
    };
    let ret = send(&mut w, STRANGER, claim.abi_encode()).unwrap();
    assert_eq!(I::claimCall::abi_decode_returns(&ret).unwrap(), mor(32));

    // After the lock, all but the 32 MOR that back this period's payout may leave.
    w.set_time(DEPLOY_TIME + 2 * DAY);
    w.mock_transfer(ALICE, mor(18), TokenReply::True);
    send(
        &mut w,
        ALICE,
        I::withdrawCall { amount: mor(18) }.abi_encode(),
    )
    .unwrap();
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

    send(&mut w, OWNER, I::pauseCall {}.abi_encode()).unwrap();
    send(&mut w, OWNER, I::unpauseCall {}.abi_encode()).unwrap();
    let router = w.router_address();
    send(&mut w, OWNER, I::revokeRouterCall { router }.abi_encode()).unwrap();
    send(
        &mut w,
        OWNER,
        I::transferOwnershipCall { newOwner: BOB }.abi_encode(),
    )
    .unwrap();
    send(&mut w, BOB, I::acceptOwnershipCall {}.abi_encode()).unwrap();
    assert_eq!(w.c().owner(), BOB);
}

#[test]
fn a_refusal_reverts_with_the_typed_error() {
    let mut w = deployed();
    let data = send(
        &mut w,
        FUNDER,
        I::fundCall { amount: U256::ZERO }.abi_encode(),
    )
    .unwrap_err();
    assert_eq!(data, yellowstone_protocol::abi::ZeroAmount {}.abi_encode());
    let data = send(&mut w, STRANGER, I::pauseCall {}.abi_encode()).unwrap_err();
    assert_eq!(
        yellowstone_protocol::abi::NotOwner::abi_decode(&data)
            .unwrap()
            .caller,
        STRANGER
    );
}

#[test]
fn no_function_accepts_ether() {
    let mut w = deployed();
    w.chain.vm.set_value(U256::from(1));
    w.mock_transfer_from(FUNDER, mor(1), TokenReply::True);
    assert_eq!(
        send(&mut w, FUNDER, I::fundCall { amount: mor(1) }.abi_encode()),
        Err(Vec::new())
    );
    assert_eq!(
        send(&mut w, OWNER, I::pauseCall {}.abi_encode()),
        Err(Vec::new())
    );
    assert_eq!(w.totals().funded, U256::ZERO);
}

#[test]
fn unknown_selectors_and_plain_transfers_revert() {
    let mut w = deployed();
    assert!(send(&mut w, STRANGER, vec![0xde, 0xad, 0xbe, 0xef]).is_err());
    assert!(send(&mut w, STRANGER, Vec::new()).is_err());
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

/// One generated call: which function, its raw argument material, and how to spoil it.
#[derive(Clone, Debug)]
struct Case {
    function: prop::sample::Index,
    /// Small values make many calls succeed; the rest exercise the refusals.
    values: Vec<u64>,
    /// (word index, byte, value): a byte written over the encoding, often a padding byte.
    dirt: Option<(prop::sample::Index, u8, u8)>,
    /// The proof's (offset, length) words when not the canonical ones.
    proof_head: Option<(u64, u64)>,
    /// Keep only this many bytes, or append these.
    cut: Option<prop::sample::Index>,
    trailing: Vec<u8>,
    sender: prop::sample::Index,
    value: bool,
    deployed: bool,
    selector: Option<[u8; 4]>,
}

fn case() -> impl Strategy<Value = Case> {
    (
        any::<prop::sample::Index>(),
        prop::collection::vec(prop_oneof![0u64..4, any::<u64>()], 8),
        prop::option::weighted(
            0.3,
            (
                any::<prop::sample::Index>(),
                prop_oneof![0u8..32, Just(11u8), Just(23u8), Just(27u8)],
                1u8..=255,
            ),
        ),
        prop::option::weighted(0.2, (0u64..400, prop_oneof![0u64..4, any::<u64>()])),
        prop::option::weighted(0.2, any::<prop::sample::Index>()),
        prop::collection::vec(any::<u8>(), 0..3),
        any::<prop::sample::Index>(),
        prop::bool::weighted(0.05),
        prop::bool::weighted(0.9),
        prop::option::weighted(0.05, any::<[u8; 4]>()),
    )
        .prop_map(
            |(
                function,
                values,
                dirt,
                proof_head,
                cut,
                trailing,
                sender,
                value,
                deployed,
                selector,
            )| {
                Case {
                    function,
                    values,
                    dirt,
                    proof_head,
                    cut,
                    trailing,
                    sender,
                    value,
                    deployed,
                    selector,
                }
            },
        )
}

/// The calldata of `case`, and its sender.
fn calldata(case: &Case, w: &World) -> (Vec<u8>, Address, bool) {
    let table = functions();
    let (selector, kinds) = &table[case.function.index(table.len())];
    let parties = [OWNER, STRANGER, ALICE, w.router_address()];
    let word = |k: usize| -> [u8; 32] {
        let v = case.values[k % case.values.len()];
        match kinds[k] {
            Kind::Address => B256::left_padding_from(parties[v as usize % 4].as_slice()).0,
            Kind::U64 => U256::from(DEPLOY_TIME + v % (2 * YEAR)).to_be_bytes(),
            Kind::Word => (U256::from(v) * mor(1)).to_be_bytes(),
            Kind::Proof => U256::from(32 * kinds.len()).to_be_bytes(),
        }
    };
    let mut data = case.selector.unwrap_or(*selector).to_vec();
    for k in 0..kinds.len() {
        data.extend(word(k));
    }
    if kinds.iter().any(|k| matches!(k, Kind::Proof)) {
        let len = case.values[0] % 3;
        let (offset, len_word) = case.proof_head.unwrap_or((32 * kinds.len() as u64, len));
        let at = 4 + 32 * (kinds.len() - 1);
        data[at..at + 32].copy_from_slice(&U256::from(offset).to_be_bytes::<32>());
        data.extend(U256::from(len_word).to_be_bytes::<32>());
        for i in 0..len {
            data.extend(B256::repeat_byte(i as u8 + 1).0);
        }
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
    (data, *case.sender.get(&parties), case.value)
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
    w.chain.mint(FUNDER, mor(1_000_000));
    w.chain.mint(ALICE, mor(1_000_000));
    w.fund(FUNDER, mor(1_000)).unwrap();
    w.stake(ALICE, mor(10), DEPLOY_TIME + DAY).unwrap();
    w.commit(1, B256::repeat_byte(3), mor(5), mor(1)).unwrap();
    w
}

/// What one call did: its answer, its logs, and the storage after it.
type Outcome = (Result<Vec<u8>, Vec<u8>>, Vec<Log>, Vec<(U256, B256)>, U256);

fn run(entry: Entry, case: &Case) -> Outcome {
    let mut w = busy_world(case.deployed);
    let (data, sender, value) = calldata(case, &w);
    w.chain.vm.set_value(U256::from(value as u8));
    let mark = w.chain.log_count();
    let result = send_via(entry, &mut w, sender, data);
    let mut storage: Vec<_> = w.chain.vm.snapshot().storage.into_iter().collect();
    storage.sort();
    (
        result,
        w.chain.logs_from(mark),
        storage,
        w.chain.token_balance(CONTRACT),
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 600, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn the_entry_point_answers_every_calldata_as_the_sdk_router_would(case in case()) {
        prop_assert_eq!(run(dispatch, &case), run(sdk_router, &case));
    }
}

#[test]
fn the_differential_cases_reach_both_successes_and_refusals() {
    // The property above is only as good as its cases: check the generator reaches calls that
    // succeed, typed refusals, and undecodable calldata, for every function.
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
