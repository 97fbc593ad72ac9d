//! Deployment (SPEC section 6, "Schedule"): the token, the owner and the emission schedule are
//! fixed by the constructor, which refuses zero addresses and announces itself.

use alloy_primitives::{Address, U256};
use yellowstone_protocol::abi::{Initialized, OwnershipTransferred};

use crate::common::*;

fn construct(
    w: &mut World,
    mor: Address,
    owner: Address,
) -> Result<(), yellowstone_compute::ComputeError> {
    w.tx(OWNER, |c| {
        c.constructor(
            mor,
            owner,
            EMISSION_START_DAY,
            FIRST_DAY_EMISSION,
            DAILY_DECREASE,
            BOOTSTRAP_START_DAY,
        )
    })
}

#[test]
fn a_zero_token_address_is_refused() {
    let mut w = World::undeployed(Config::default());
    expect_err!(construct(&mut w, Address::ZERO, OWNER), ZeroAddress);
    assert!(w.logs().is_empty(), "a refused deployment emits nothing");
}

#[test]
fn a_zero_owner_is_refused() {
    let mut w = World::undeployed(Config::default());
    expect_err!(construct(&mut w, MOR, Address::ZERO), ZeroAddress);
    assert_eq!(w.c().owner(), Address::ZERO);
}

#[test]
fn the_constructor_stores_the_token_the_owner_and_the_schedule() {
    let mut w = World::undeployed(Config::default());
    construct(&mut w, MOR, OWNER).unwrap();
    assert_eq!(w.c().mor(), MOR);
    assert_eq!(w.c().owner(), OWNER);
    assert_eq!(w.c().pending_owner(), Address::ZERO);
    assert!(!w.c().paused());
    assert_eq!(
        w.c().emission_schedule(),
        (
            EMISSION_START_DAY,
            FIRST_DAY_EMISSION,
            DAILY_DECREASE,
            BOOTSTRAP_START_DAY
        )
    );
    let t = w.totals();
    assert_eq!(
        t,
        Totals {
            funded: U256::ZERO,
            credited: U256::ZERO,
            bootstrap: U256::ZERO,
            claimed: U256::ZERO,
            staked: U256::ZERO
        }
    );
    assert_eq!(w.unused_pool(), U256::ZERO);
    assert_eq!(
        w.c().latest_epoch(),
        (0, Default::default(), U256::ZERO, U256::ZERO)
    );
}

#[test]
fn the_constructor_announces_the_owner_and_the_schedule() {
    let mut w = World::undeployed(Config::default());
    construct(&mut w, MOR, OWNER).unwrap();
    let transferred = w.tx_event::<OwnershipTransferred>();
    assert_eq!(transferred.previousOwner, Address::ZERO);
    assert_eq!(transferred.newOwner, OWNER);
    let init = w.tx_event::<Initialized>();
    assert_eq!(init.mor, MOR);
    assert_eq!(init.emissionStartDay, EMISSION_START_DAY);
    assert_eq!(init.firstDayEmission, FIRST_DAY_EMISSION);
    assert_eq!(init.dailyDecrease, DAILY_DECREASE);
    assert_eq!(init.bootstrapStartDay, BOOTSTRAP_START_DAY);
    // The token is an indexed topic, so logs can be filtered by it.
    let (topics, _) = w
        .tx_logs()
        .into_iter()
        .find(|(t, _)| t[0] == <Initialized as alloy_sol_types::SolEvent>::SIGNATURE_HASH)
        .unwrap();
    assert_eq!(
        topics[1],
        alloy_primitives::B256::left_padding_from(MOR.as_slice())
    );
}

#[test]
fn the_schedule_is_morpheus_compute_bucket() {
    let w = World::deploy();
    // 3456 MOR on 2024-02-08, then 0.59255872824 MOR less each day, zero before the start.
    assert_eq!(w.scheduled_emission(EMISSION_START_DAY - 1), U256::ZERO);
    assert_eq!(w.scheduled_emission(EMISSION_START_DAY), mor(3_456));
    assert_eq!(
        w.scheduled_emission(EMISSION_START_DAY + 1),
        mor(3_456) - U256::from(592_558_728_240_000_000u64)
    );
    for day in [
        DEPLOY_DAY,
        DEPLOY_DAY + 1,
        DEPLOY_DAY + 365,
        EMISSION_START_DAY + 5_832,
    ] {
        assert_eq!(w.scheduled_emission(day), scheduled(day), "day {day}");
    }
    assert!(w.scheduled_emission(EMISSION_START_DAY + 5_832) > U256::ZERO);
    assert_eq!(
        w.scheduled_emission(EMISSION_START_DAY + 5_833),
        U256::ZERO,
        "never negative"
    );
    assert_eq!(w.scheduled_emission(u64::MAX), U256::ZERO);
}

#[test]
fn the_eip712_domain_is_bound_to_this_chain_and_this_contract() {
    let w = World::deploy();
    let expected = yellowstone_protocol::eip712::types::domain(CHAIN_ID, CONTRACT).separator();
    assert_eq!(w.c().domain_separator(), expected);
}

#[test]
fn the_selectors_the_contract_uses_are_erc20s() {
    assert_eq!(
        &transfer_calldata(Address::ZERO, U256::ZERO)[..4],
        &[0xa9, 0x05, 0x9c, 0xbb]
    );
    assert_eq!(
        &transfer_from_calldata(Address::ZERO, Address::ZERO, U256::ZERO)[..4],
        &[0x23, 0xb8, 0x72, 0xdd]
    );
}

#[test]
fn a_schedule_beyond_128_bits_is_refused() {
    let mut w = World::undeployed(Config::default());
    let result = w.tx(OWNER, |c| {
        c.constructor(
            MOR,
            OWNER,
            EMISSION_START_DAY,
            U256::from(1) << 128,
            DAILY_DECREASE,
            BOOTSTRAP_START_DAY,
        )
    });
    expect_err!(result, ArithmeticOverflow);
}
