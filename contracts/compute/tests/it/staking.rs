//! Provider stakes under MRC40 (SPEC section 5, "Stake", "Power multiplier", "Lock rules"):
//! the first stake registers a provider; a stake earns the power multiplier of its lock; a new
//! stake restarts the lock at now; a lock end only moves later; stake leaves only after it.

use alloy_primitives::{B256, U256};
use yellowstone_protocol::{
    abi::{LockExtended, ProviderRegistered, Staked, Withdrawn},
    multiplier::{power_multiplier, WINDOW_END, WINDOW_START},
};

use crate::common::*;

fn m(start: u64, end: u64) -> U256 {
    power_multiplier(U256::from(start), U256::from(end))
}

const LOCK_END: u64 = DEPLOY_TIME + YEAR;

// ---- stake ---------------------------------------------------------------------------------

#[test]
fn the_first_stake_registers_the_provider() {
    let mut w = World::deploy();
    assert!(!w.provider(ALICE).registered);
    w.stake(ALICE, mor(1_000), LOCK_END).unwrap();
    assert!(w.provider(ALICE).registered);
    assert_eq!(
        w.tx_event::<ProviderRegistered>(),
        ProviderRegistered { provider: ALICE }
    );
    let (topics, _) = w.tx_logs()[0].clone();
    assert_eq!(topics[1], B256::left_padding_from(ALICE.as_slice()));
}

#[test]
fn staking_pulls_the_mor_from_the_provider() {
    let mut w = World::deploy();
    w.stake(ALICE, mor(1_000), LOCK_END).unwrap();
    assert_eq!(
        w.tx_token_calls(),
        vec![transfer_from_calldata(ALICE, CONTRACT, mor(1_000))]
    );
    assert_eq!(w.totals().staked, mor(1_000));
}

#[test]
fn a_stake_records_its_lock_and_its_power_multiplier() {
    let mut w = World::deploy();
    w.stake(ALICE, mor(1_000), LOCK_END).unwrap();
    let multiplier = m(DEPLOY_TIME, LOCK_END);
    assert!(multiplier > wad(), "a year's lock is worth more than 1");
    let alice = w.provider(ALICE);
    assert_eq!(
        alice,
        ProviderView {
            registered: true,
            stake: mor(1_000),
            lock_start: DEPLOY_TIME,
            lock_end: LOCK_END,
            multiplier,
            weight: mor(1_000) * multiplier / wad(),
            earned: U256::ZERO,
            claimed: U256::ZERO,
        }
    );
    assert_eq!(
        w.tx_event::<Staked>(),
        Staked {
            provider: ALICE,
            amount: mor(1_000),
            stake: mor(1_000),
            lockStart: DEPLOY_TIME,
            lockEnd: LOCK_END,
        }
    );
}

#[test]
fn the_multiplier_is_the_specs_known_value() {
    // SPEC: (S + 100d, S + 400d) -> 1.744946883956739643.
    let start = WINDOW_START + 100 * DAY;
    let mut w = World::deploy_with(Config {
        deploy_time: start,
        ..Config::default()
    });
    w.stake(ALICE, mor(10), WINDOW_START + 400 * DAY).unwrap();
    let alice = w.provider(ALICE);
    assert_eq!(alice.multiplier, U256::from(1_744_946_883_956_739_643u64));
    assert_eq!(alice.weight, U256::from(17_449_468_839_567_396_430u128));
    assert_eq!(
        w.c()
            .power_multiplier(U256::from(start), U256::from(WINDOW_START + 400 * DAY)),
        alice.multiplier
    );
}

#[test]
fn the_multiplier_is_clamped_between_1_and_10_7() {
    let mut w = World::deploy();
    w.stake(ALICE, mor(1), WINDOW_END + 10 * YEAR).unwrap();
    assert_eq!(
        w.provider(ALICE).multiplier,
        U256::from(10_700_000_000_000_000_000u128)
    );
    w.stake(BOB, mor(1), DEPLOY_TIME + 1).unwrap();
    assert_eq!(w.provider(BOB).multiplier, wad());
}

#[test]
fn a_further_stake_adds_up_and_restarts_the_lock_at_now() {
    let mut w = World::deploy();
    w.stake(ALICE, mor(1_000), LOCK_END).unwrap();
    w.advance_days(30);
    let now = w.now();
    w.stake(ALICE, mor(500), LOCK_END).unwrap();
    assert!(
        w.tx_events::<ProviderRegistered>().is_empty(),
        "registered once only"
    );
    let alice = w.provider(ALICE);
    assert_eq!(
        (alice.stake, alice.lock_start, alice.lock_end),
        (mor(1_500), now, LOCK_END)
    );
    assert_eq!(alice.multiplier, m(now, LOCK_END));
    assert!(
        alice.multiplier < m(DEPLOY_TIME, LOCK_END),
        "a restarted lock is shorter"
    );
    assert_eq!(w.tx_event::<Staked>().stake, mor(1_500));
    assert_eq!(w.totals().staked, mor(1_500));
}

#[test]
fn a_stake_may_not_shorten_the_current_lock() {
    let mut w = World::deploy();
    w.stake(ALICE, mor(1_000), LOCK_END).unwrap();
    let err = expect_err!(w.stake(ALICE, mor(1), LOCK_END - 1), LockEndTooEarly);
    assert_eq!((err.lockEnd, err.minimum), (LOCK_END - 1, LOCK_END));
    assert_eq!(w.provider(ALICE).stake, mor(1_000));
    w.stake(ALICE, mor(1), LOCK_END).unwrap();
    w.stake(ALICE, mor(1), LOCK_END + 1).unwrap();
    assert_eq!(w.provider(ALICE).lock_end, LOCK_END + 1);
}

#[test]
fn a_stake_may_not_lock_until_a_time_already_past() {
    let mut w = World::deploy();
    let now = w.now();
    let err = expect_err!(w.stake(ALICE, mor(1), now - 1), LockEndTooEarly);
    assert_eq!((err.lockEnd, err.minimum), (now - 1, now));
    expect_err!(w.stake(ALICE, mor(1), 0), LockEndTooEarly);
    assert!(!w.provider(ALICE).registered);
    // A lock ending now is an unlocked stake: multiplier 1, withdrawable at once.
    w.stake(ALICE, mor(1), now).unwrap();
    assert_eq!(w.provider(ALICE).multiplier, yellowstone_protocol::WAD);
    w.withdraw(ALICE, mor(1)).unwrap();
}

#[test]
fn staking_zero_is_refused() {
    let mut w = World::deploy();
    expect_err!(w.stake(ALICE, U256::ZERO, LOCK_END), ZeroAmount);
    assert!(
        !w.provider(ALICE).registered,
        "a refused stake registers nobody"
    );
    assert!(w.tx_calls().is_empty());
}

#[test]
fn a_stake_the_token_refuses_registers_nobody() {
    let mut w = World::deploy();
    w.mock_transfer_from(ALICE, mor(10), TokenReply::Revert);
    let err = expect_err!(
        w.tx(ALICE, |c| c.stake(mor(10), LOCK_END)),
        TokenTransferFailed
    );
    assert_eq!((err.from, err.to, err.amount), (ALICE, CONTRACT, mor(10)));
    assert_eq!(
        w.provider(ALICE),
        w.provider(CAROL),
        "Alice's record is as empty as Carol's"
    );
    assert_eq!(w.totals().staked, U256::ZERO);
}

#[test]
fn staked_mor_is_not_emission_and_cannot_be_credited() {
    let mut w = World::deploy();
    w.stake(ALICE, mor(1_000_000), LOCK_END).unwrap();
    assert_eq!(w.unused_pool(), U256::ZERO);
    assert_eq!(w.totals().funded, U256::ZERO);
    expect_err!(
        w.commit(1, B256::repeat_byte(1), U256::from(1), U256::ZERO),
        FundingExceeded
    );
}

#[test]
fn the_stake_cap_remaining_starts_at_the_stake() {
    let mut w = World::deploy();
    assert_eq!(w.c().stake_cap_remaining(ALICE), U256::ZERO);
    w.stake(ALICE, mor(42), LOCK_END).unwrap();
    assert_eq!(w.c().stake_cap_remaining(ALICE), mor(42));
}

#[test]
fn the_weight_is_stake_times_multiplier() {
    let mut w = World::deploy();
    let amount = U256::from(1_234_567_890_123_456_789_012u128);
    w.stake(ALICE, amount, DEPLOY_TIME + 3 * YEAR).unwrap();
    let alice = w.provider(ALICE);
    assert_eq!(alice.weight, amount * alice.multiplier / wad());
}

#[test]
fn staking_is_not_stopped_by_a_pause() {
    let mut w = World::deploy();
    w.tx(OWNER, |c| c.pause()).unwrap();
    w.stake(ALICE, mor(1), LOCK_END).unwrap();
}

// ---- lockClaim (extending the lock) --------------------------------------------------------

#[test]
fn extending_the_lock_keeps_its_start_and_applies_the_new_multiplier_at_once() {
    let mut w = World::deploy();
    w.stake(ALICE, mor(1_000), LOCK_END).unwrap();
    w.advance_days(100);
    let new_end = LOCK_END + 2 * YEAR;
    w.lock_claim(ALICE, new_end).unwrap();
    let alice = w.provider(ALICE);
    assert_eq!((alice.lock_start, alice.lock_end), (DEPLOY_TIME, new_end));
    assert_eq!(alice.multiplier, m(DEPLOY_TIME, new_end));
    assert_eq!(alice.weight, mor(1_000) * alice.multiplier / wad());
    assert_eq!(
        w.tx_event::<LockExtended>(),
        LockExtended {
            provider: ALICE,
            lockStart: DEPLOY_TIME,
            lockEnd: new_end,
        }
    );
    assert!(w.tx_calls().is_empty(), "extending moves no MOR");
}

#[test]
fn extending_a_long_ended_lock_restarts_it_now() {
    // A four-year lock ended a year ago; a one-second extension earns a one-second lock's
    // multiplier (1), not that of the five years since the old start.
    let mut w = World::deploy();
    let four_years = DEPLOY_TIME + 4 * YEAR;
    w.stake(ALICE, mor(1_000), four_years).unwrap();
    w.set_time(four_years + YEAR);
    let now = w.now();
    w.lock_claim(ALICE, now + 1).unwrap();
    let alice = w.provider(ALICE);
    assert_eq!((alice.lock_start, alice.lock_end), (now, now + 1));
    assert_eq!(alice.multiplier, wad());
    assert_eq!(alice.weight, mor(1_000));
    assert!(m(DEPLOY_TIME, now + 1) > wad(), "the old rule's reward");
    assert_eq!(
        w.tx_event::<LockExtended>(),
        LockExtended {
            provider: ALICE,
            lockStart: now,
            lockEnd: now + 1,
        }
    );
    // A real extension from an ended lock is priced from now.
    w.lock_claim(ALICE, now + 3 * YEAR).unwrap();
    assert_eq!(
        w.provider(ALICE).lock_start,
        now,
        "the lock now runs: its start stays"
    );
    assert_eq!(w.provider(ALICE).multiplier, m(now, now + 3 * YEAR));
}

#[test]
fn a_lock_ending_this_second_has_ended() {
    let mut w = World::deploy();
    w.stake(ALICE, mor(1_000), LOCK_END).unwrap();
    w.set_time(LOCK_END);
    w.lock_claim(ALICE, LOCK_END + YEAR).unwrap();
    assert_eq!(w.provider(ALICE).lock_start, LOCK_END);
    assert_eq!(w.provider(ALICE).multiplier, m(LOCK_END, LOCK_END + YEAR));
}

#[test]
fn the_multiplier_and_the_weight_fall_to_one_at_the_lock_end() {
    let mut w = World::deploy();
    let end = DEPLOY_TIME + 3 * YEAR;
    w.stake(ALICE, mor(1_000), end).unwrap();
    w.set_time(end - 1);
    let running = w.provider(ALICE);
    assert_eq!(running.multiplier, m(DEPLOY_TIME, end));
    assert!(running.weight > mor(1_000));
    w.set_time(end);
    let ended = w.provider(ALICE);
    assert_eq!((ended.multiplier, ended.weight), (wad(), mor(1_000)));
    assert_eq!(
        (ended.lock_start, ended.lock_end),
        (DEPLOY_TIME, end),
        "the record keeps the lock"
    );
}

#[test]
fn the_new_end_must_be_later_than_the_current_end() {
    let mut w = World::deploy();
    w.stake(ALICE, mor(1_000), LOCK_END).unwrap();
    let err = expect_err!(w.lock_claim(ALICE, LOCK_END), LockEndTooEarly);
    assert_eq!((err.lockEnd, err.minimum), (LOCK_END, LOCK_END));
    let err = expect_err!(w.lock_claim(ALICE, LOCK_END - 1), LockEndTooEarly);
    assert_eq!((err.lockEnd, err.minimum), (LOCK_END - 1, LOCK_END));
    w.lock_claim(ALICE, LOCK_END + 1).unwrap();
}

#[test]
fn the_new_end_must_be_later_than_now() {
    let mut w = World::deploy();
    w.stake(ALICE, mor(1_000), DEPLOY_TIME + DAY).unwrap();
    w.advance_days(10);
    let now = w.now();
    let err = expect_err!(w.lock_claim(ALICE, now), LockEndTooEarly);
    assert_eq!((err.lockEnd, err.minimum), (now, now));
    expect_err!(w.lock_claim(ALICE, DEPLOY_TIME + 2 * DAY), LockEndTooEarly);
    w.lock_claim(ALICE, now + 1).unwrap();
    assert_eq!(w.provider(ALICE).lock_end, now + 1);
}

#[test]
fn only_a_registered_provider_can_extend_a_lock() {
    let mut w = World::deploy();
    let err = expect_err!(w.lock_claim(ALICE, LOCK_END), NotRegistered);
    assert_eq!(err.provider, ALICE);
}

// ---- withdraw ------------------------------------------------------------------------------

#[test]
fn stake_is_locked_until_the_lock_end() {
    let mut w = World::deploy();
    w.stake(ALICE, mor(1_000), LOCK_END).unwrap();
    w.set_time(LOCK_END - 1);
    let err = expect_err!(w.withdraw(ALICE, mor(1)), StakeLocked);
    assert_eq!((err.lockEnd, err.now), (LOCK_END, LOCK_END - 1));
    assert!(w.tx_token_calls().is_empty());
}

#[test]
fn stake_can_be_withdrawn_from_the_lock_end_on() {
    let mut w = World::deploy();
    w.stake(ALICE, mor(1_000), LOCK_END).unwrap();
    w.set_time(LOCK_END);
    w.withdraw(ALICE, mor(400)).unwrap();
    assert_eq!(w.tx_token_calls(), vec![transfer_calldata(ALICE, mor(400))]);
    assert_eq!(
        w.tx_event::<Withdrawn>(),
        Withdrawn {
            provider: ALICE,
            amount: mor(400),
            stake: mor(600)
        }
    );
    assert_eq!(w.provider(ALICE).stake, mor(600));
    assert_eq!(w.totals().staked, mor(600));
    w.advance_days(1000);
    w.withdraw(ALICE, mor(600)).unwrap();
    let alice = w.provider(ALICE);
    assert_eq!((alice.stake, alice.weight), (U256::ZERO, U256::ZERO));
    assert!(alice.registered, "a provider stays registered");
}

#[test]
fn a_provider_cannot_withdraw_more_than_its_stake() {
    let mut w = World::deploy();
    w.stake(ALICE, mor(1_000), LOCK_END).unwrap();
    w.stake(BOB, mor(1_000), LOCK_END).unwrap();
    w.set_time(LOCK_END);
    let err = expect_err!(
        w.withdraw(ALICE, mor(1_000) + U256::from(1)),
        InsufficientStake
    );
    assert_eq!(
        (err.requested, err.staked),
        (mor(1_000) + U256::from(1), mor(1_000))
    );
    assert_eq!(w.totals().staked, mor(2_000));
}

#[test]
fn withdrawing_zero_is_refused() {
    let mut w = World::deploy();
    w.stake(ALICE, mor(1_000), LOCK_END).unwrap();
    w.set_time(LOCK_END);
    expect_err!(w.withdraw(ALICE, U256::ZERO), ZeroAmount);
}

#[test]
fn only_a_registered_provider_can_withdraw() {
    let mut w = World::deploy();
    let err = expect_err!(w.withdraw(ALICE, mor(1)), NotRegistered);
    assert_eq!(err.provider, ALICE);
}

#[test]
fn a_withdrawal_the_token_fails_keeps_the_stake() {
    let mut w = World::deploy();
    w.stake(ALICE, mor(1_000), LOCK_END).unwrap();
    w.set_time(LOCK_END);
    w.mock_transfer(ALICE, mor(1_000), TokenReply::False);
    let err = expect_err!(w.tx(ALICE, |c| c.withdraw(mor(1_000))), TokenTransferFailed);
    assert_eq!(
        (err.from, err.to, err.amount),
        (CONTRACT, ALICE, mor(1_000))
    );
    assert_eq!(w.provider(ALICE).stake, mor(1_000));
}

#[test]
fn an_extended_lock_keeps_the_stake_locked_longer() {
    let mut w = World::deploy();
    w.stake(ALICE, mor(1_000), LOCK_END).unwrap();
    w.lock_claim(ALICE, LOCK_END + DAY).unwrap();
    w.set_time(LOCK_END);
    expect_err!(w.withdraw(ALICE, mor(1)), StakeLocked);
    w.set_time(LOCK_END + DAY);
    w.withdraw(ALICE, mor(1)).unwrap();
}

#[test]
fn a_new_stake_keeps_the_stake_locked_to_its_end() {
    let mut w = World::deploy();
    w.stake(ALICE, mor(1_000), LOCK_END).unwrap();
    w.set_time(LOCK_END);
    w.stake(ALICE, mor(1), LOCK_END + YEAR).unwrap();
    expect_err!(w.withdraw(ALICE, mor(1)), StakeLocked);
}
