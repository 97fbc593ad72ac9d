//! Deployment and the owner's powers, each at and beyond its bounds: what a stolen owner key can
//! and cannot do.

use alloy_primitives::{Address, U256};
use yellowstone_capital::CapitalError;
use yellowstone_protocol::capital::abi::*;

use crate::common::*;

#[test]
fn deployment_fixes_the_configuration_and_defaults() {
    let w = World::deploy();
    assert_eq!(w.c().owner(), OWNER);
    assert_eq!(w.c().pending_owner(), Address::ZERO);
    assert!(!w.c().paused());
    assert_eq!(
        w.c().config(),
        (ST_ETH, WST_ETH, NATIVE, PAIR, COMPUTE, false)
    );
    assert_eq!(
        w.c().schedule(),
        (PAYOUT_START, DAY, INITIAL, DECREASE, INITIAL, DECREASE)
    );
    assert_eq!(w.c().parameters(), (7 * DAY, 1_800, 200, 100));
    assert_eq!(
        w.c().harvest_state(),
        (0, 0, U256::ZERO, U256::ZERO, U256::ZERO, U256::ZERO)
    );
}

#[test]
fn deployment_announces_the_owner_and_the_configuration() {
    let mut w = World::undeployed(Config {
        mints_native: true,
        ..Config::default()
    });
    w.construct(OWNER).unwrap();
    let t = w.tx_event::<OwnershipTransferred>();
    assert_eq!((t.previousOwner, t.newOwner), (Address::ZERO, OWNER));
    let e = w.tx_event::<Initialized>();
    assert_eq!(
        (
            e.stEth,
            e.wstEth,
            e.native,
            e.pair,
            e.compute,
            e.mintsNative
        ),
        (ST_ETH, WST_ETH, NATIVE, PAIR, COMPUTE, true)
    );
}

#[test]
fn deployment_refuses_a_zero_address_or_a_foreign_pair() {
    let mut w = World::undeployed(Config::default());
    assert_eq!(w.construct(Address::ZERO), Err(ZeroAddress {}.into()));
    w.chain.sim_mut(|s| s.pair.token1 = ST_ETH);
    assert_eq!(w.construct(OWNER), Err(PairMismatch { pair: PAIR }.into()));
    w.chain.sim_mut(|s| {
        s.pair.token0 = NATIVE;
        s.pair.token1 = NATIVE
    });
    assert_eq!(w.construct(OWNER), Err(PairMismatch { pair: PAIR }.into()));
}

/// `setParameters` with one value replaced.
fn set(w: &mut World, index: usize, value: u64) -> Result<(), CapitalError> {
    let mut v = [7 * DAY, 1_800, 200, 100];
    v[index] = value;
    w.tx(OWNER, |c| {
        c.set_parameters(v[0], v[1], v[2] as u16, v[3] as u16)
    })
}

#[test]
fn every_parameter_is_accepted_at_its_bounds_and_refused_beyond() {
    let mut w = World::deploy();
    let bounds = [(DAY, 365 * DAY), (1_800, DAY), (10, 1_000), (10, 1_000)];
    for (index, (min, max)) in bounds.into_iter().enumerate() {
        set(&mut w, index, min).unwrap();
        set(&mut w, index, max).unwrap();
        for value in [min - 1, max + 1, 0] {
            assert_eq!(
                set(&mut w, index, value),
                Err(ParameterOutOfBounds {
                    parameter: index as u8,
                    value: U256::from(value),
                    minimum: U256::from(min),
                    maximum: U256::from(max)
                }
                .into())
            );
        }
    }
    w.tx(OWNER, |c| c.set_parameters(DAY, 3_600, 50, 30))
        .unwrap();
    assert_eq!(w.c().parameters(), (DAY, 3_600, 50, 30));
    let e = w.tx_event::<ParametersChanged>();
    assert_eq!(
        (e.minLock, e.twapWindow, e.maxDeviationBps, e.slippageBps),
        (DAY, 3_600, 50, 30)
    );
}

#[test]
fn a_lock_is_never_longer_than_a_year_whatever_the_owner_sets() {
    let mut w = World::deploy();
    set(&mut w, 0, 365 * DAY).unwrap();
    assert!(set(&mut w, 0, 10 * 365 * DAY).is_err());
    w.give_st_eth(ALICE, eth(1));
    w.deposit(ALICE, eth(1)).unwrap();
    assert_eq!(w.position(ALICE).1, w.now() + 365 * DAY);
}

#[test]
fn only_the_owner_holds_the_owner_powers() {
    let mut w = World::deploy();
    let refused = Err(NotOwner { caller: STRANGER }.into());
    assert_eq!(
        w.tx(STRANGER, |c| c.set_parameters(DAY, 1_800, 200, 100)),
        refused
    );
    assert_eq!(w.tx(STRANGER, |c| c.pause()), refused);
    assert_eq!(w.tx(STRANGER, |c| c.unpause()), refused);
    assert_eq!(w.tx(STRANGER, |c| c.bootstrap_pool(eth(1))), refused);
    assert_eq!(w.tx(STRANGER, |c| c.transfer_ownership(STRANGER)), refused);
}

#[test]
fn pause_and_unpause_toggle_and_refuse_the_state_they_are_in() {
    let mut w = World::deploy();
    assert_eq!(w.tx(OWNER, |c| c.unpause()), Err(ExpectedPause {}.into()));
    w.tx(OWNER, |c| c.pause()).unwrap();
    assert_eq!(w.tx_event::<Paused>().account, OWNER);
    assert!(w.c().paused());
    assert_eq!(w.tx(OWNER, |c| c.pause()), Err(EnforcedPause {}.into()));
    w.tx(OWNER, |c| c.unpause()).unwrap();
    assert_eq!(w.tx_event::<Unpaused>().account, OWNER);
    assert!(!w.c().paused());
}

#[test]
fn ownership_moves_in_two_steps() {
    let mut w = World::deploy();
    w.tx(OWNER, |c| c.transfer_ownership(ALICE)).unwrap();
    let e = w.tx_event::<OwnershipTransferStarted>();
    assert_eq!((e.previousOwner, e.newOwner), (OWNER, ALICE));
    assert_eq!(w.c().owner(), OWNER, "nothing moves before acceptance");
    assert_eq!(w.c().pending_owner(), ALICE);
    assert_eq!(
        w.tx(BOB, |c| c.accept_ownership()),
        Err(NotPendingOwner { caller: BOB }.into())
    );
    w.tx(ALICE, |c| c.accept_ownership()).unwrap();
    let e = w.tx_event::<OwnershipTransferred>();
    assert_eq!((e.previousOwner, e.newOwner), (OWNER, ALICE));
    assert_eq!(
        (w.c().owner(), w.c().pending_owner()),
        (ALICE, Address::ZERO)
    );
    assert_eq!(
        w.tx(OWNER, |c| c.pause()),
        Err(NotOwner { caller: OWNER }.into())
    );
    w.tx(ALICE, |c| c.pause()).unwrap();
}

#[test]
fn an_offer_to_nobody_cannot_be_taken() {
    let mut w = World::deploy();
    w.tx(OWNER, |c| c.transfer_ownership(Address::ZERO))
        .unwrap();
    assert_eq!(
        w.tx(Address::ZERO, |c| c.accept_ownership()),
        Err(NotPendingOwner {
            caller: Address::ZERO
        }
        .into())
    );
}

#[test]
fn a_stolen_owner_key_moves_no_principal_no_emission_and_no_liquidity() {
    // The thief runs every owner power, at its extremes, against a busy contract.
    let mut w = World::deploy();
    w.seed_pool(eth(100));
    w.fund_reserve(eth(1_000_000));
    w.give_st_eth(ALICE, eth(100));
    w.deposit(ALICE, eth(100)).unwrap();
    w.rebase_bps(100);
    w.poke().unwrap();
    w.advance(1_800);
    w.harvest().unwrap();
    let st_eth = w.st_eth_of(CAPITAL);
    let lp = w.chain.sim(|s| s.pair.lp.balance(CAPITAL));
    let native = w.native_of(CAPITAL);
    let mark = w.chain.call_count();
    w.tx(OWNER, |c| c.set_parameters(365 * DAY, 86_400, 1_000, 1_000))
        .unwrap();
    w.tx(OWNER, |c| c.pause()).unwrap();
    w.tx(OWNER, |c| c.transfer_ownership(STRANGER)).unwrap();
    w.tx(STRANGER, |c| c.accept_ownership()).unwrap();
    assert!(w.tx(STRANGER, |c| c.bootstrap_pool(eth(1))).is_err());
    assert_eq!(w.st_eth_of(CAPITAL), st_eth);
    assert_eq!(w.chain.sim(|s| s.pair.lp.balance(CAPITAL)), lp);
    assert_eq!(w.native_of(CAPITAL), native);
    assert!(
        w.chain.calls_from(mark).iter().all(|c| c.is_static()),
        "no owner call moved any token"
    );
    // And depositors leave and claim regardless.
    w.advance(7 * DAY);
    let p = w.position(ALICE).0;
    w.withdraw(ALICE, p).unwrap();
    assert!(w.claim(ALICE).unwrap() > U256::ZERO);
}
