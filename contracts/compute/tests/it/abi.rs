//! The contract as the chain sees it: calldata in, return or revert data out, through the
//! Stylus entrypoint router (`router_entrypoint`), exactly as a deployed contract dispatches.
//! This pins the Solidity interface the router, the client and explorers rely on, the
//! constructor guard, and non-payability.

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::{sol, SolCall, SolError};
use stylus_sdk::abi::{router_entrypoint, CONSTRUCTOR_SELECTOR};
use yellowstone_compute::YellowstoneCompute;

use crate::common::*;

sol! {
    /// The interface the SPEC's parties use, written by hand.
    interface IYellowstoneCompute {
        function fund(uint256 amount) external;
        function scheduledEmission(uint64 day) external view returns (uint256 wei_);
        function emissionSchedule() external view returns (uint64 startDay, uint256 firstDay, uint256 decrease, uint64 bootstrapStartDay);
        function dailyCap() external view returns (uint256 cap);
        function creditedToday() external view returns (uint256 credited);
        function bootstrapToday() external view returns (uint256 limit, uint256 used);
        function unusedPool() external view returns (uint256 pool);
        function totals() external view returns (uint256 funded, uint256 credited, uint256 bootstrap, uint256 claimed, uint256 staked);
        function commitEpoch(uint64 epoch, bytes32 root, uint256 cumulativeCredited, uint256 cumulativeBootstrap, bytes32 r, bytes32 vs) external;
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

/// Sends `calldata` from `sender` through the contract's entrypoint; a revert rolls back.
fn send(w: &mut World, sender: Address, calldata: Vec<u8>) -> Result<Vec<u8>, Vec<u8>> {
    w.chain.vm.set_sender(sender);
    let snapshot = w.chain.snapshot();
    let vm = stylus_sdk::host::VM {
        host: Box::new(w.chain.clone()),
    };
    let result = router_entrypoint::<YellowstoneCompute, YellowstoneCompute>(calldata, vm);
    if result.is_err() {
        w.chain.revert_to(snapshot);
    }
    result
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

    assert_eq!(
        view!(I::scheduledEmissionCall { day: DEPLOY_DAY }),
        scheduled(DEPLOY_DAY)
    );
    let s = view!(I::emissionScheduleCall {});
    assert_eq!(
        (s.startDay, s.firstDay, s.decrease, s.bootstrapStartDay),
        w.c().emission_schedule()
    );
    assert_eq!(view!(I::dailyCapCall {}), w.c().daily_cap());
    assert_eq!(view!(I::creditedTodayCall {}), mor(6));
    let b = view!(I::bootstrapTodayCall {});
    assert_eq!((b.limit, b.used), w.c().bootstrap_today());
    assert_eq!(view!(I::unusedPoolCall {}), mor(994));
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
