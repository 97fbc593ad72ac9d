//! Settlement is live (SPEC 8): an epoch root carries a deadline, signed with it, after which
//! it can never be committed. A root the router dropped (a copy of which anyone may hold: the
//! router's API, a reverted transaction's calldata) cannot land after the router has signed a
//! replacement for the same number, so it can never stall settlement.

use alloy_primitives::{B256, U256};
use yellowstone_protocol::abi::EpochCommitted;

use crate::common::*;

/// Deployed, with a pool of 1,000,000 MOR funded on the deployment day.
fn funded() -> World {
    let mut w = World::deploy();
    w.fund(FUNDER, mor(1_000_000)).unwrap();
    w
}

fn root(n: u8) -> B256 {
    B256::repeat_byte(n)
}

#[test]
fn a_dropped_root_cannot_land_after_its_deadline_and_its_replacement_does() {
    let mut w = funded();
    // The router signs root N for epoch 1, valid for an hour; it does not land.
    let first_deadline = w.now() + 3_600;
    w.deadline = first_deadline;
    let dropped = w.sign_epoch(1, root(1), mor(100), U256::ZERO);
    // After the deadline the router signs N' for the same number.
    w.set_time(first_deadline + 1);
    w.deadline = w.now() + 3_600;
    let replacement = w.sign_epoch(1, root(2), mor(90), U256::ZERO);

    // Whoever saved N submits it first: refused, whatever else is right about it.
    w.deadline = first_deadline;
    let err = expect_err!(
        w.submit(STRANGER, 1, root(1), mor(100), U256::ZERO, dropped),
        EpochRootExpired
    );
    assert_eq!(
        (err.epoch, err.deadline, err.now),
        (1, first_deadline, first_deadline + 1)
    );
    assert_eq!(w.epoch(), 0, "nothing landed");

    // N' lands.
    w.deadline = first_deadline + 1 + 3_600;
    w.submit(STRANGER, 1, root(2), mor(90), U256::ZERO, replacement)
        .unwrap();
    assert_eq!(w.c().latest_epoch(), (1, root(2), mor(90), U256::ZERO));
    assert_eq!(w.tx_event::<EpochCommitted>().root, root(2));
}

#[test]
fn a_root_lands_up_to_and_including_its_deadline_second() {
    let mut w = funded();
    w.deadline = w.now() + 60;
    w.set_time(w.deadline);
    w.commit(1, root(1), mor(1), U256::ZERO).unwrap();
    w.deadline = w.now() - 1;
    let err = expect_err!(w.commit(2, root(2), mor(2), U256::ZERO), EpochRootExpired);
    assert_eq!((err.deadline, err.now), (w.now() - 1, w.now()));
}

#[test]
fn a_root_with_a_forged_deadline_fails_the_signature() {
    let mut w = funded();
    let signed_until = w.now() + 60;
    w.deadline = signed_until;
    let signature = w.sign_epoch(1, root(1), mor(100), U256::ZERO);
    // Resubmitted later with the deadline moved: the digest changes, so the signature
    // recovers someone else (the precompile answers with that real recovery).
    w.set_time(signed_until + 10);
    let forged = signed_until + 3_600;
    w.mock_ecrecover(
        &signature,
        epoch_digest_until(1, root(1), mor(100), U256::ZERO, forged),
    );
    w.deadline = forged;
    let err = expect_err!(
        w.submit(STRANGER, 1, root(1), mor(100), U256::ZERO, signature),
        UnknownRouter
    );
    assert_ne!(err.router, w.router_address());
    assert_eq!(w.epoch(), 0);
}

#[test]
fn a_root_refused_during_a_pause_cannot_land_at_the_unpause_once_its_deadline_passed() {
    // The scenario: the owner pauses while epoch 1 is in flight, the router's
    // submission is refused and it drops the root; someone who saved it submits it at the
    // unpause. The router signs a replacement only after the dropped root's deadline.
    let mut w = funded();
    w.deadline = w.now() + 600;
    let in_flight = w.sign_epoch(1, root(1), mor(100), U256::ZERO);
    w.tx(OWNER, |c| c.pause()).unwrap();
    expect_err!(
        w.submit(
            STRANGER,
            1,
            root(1),
            mor(100),
            U256::ZERO,
            in_flight.clone()
        ),
        EnforcedPause
    );
    w.advance(601);
    w.tx(OWNER, |c| c.unpause()).unwrap();
    expect_err!(
        w.submit(STRANGER, 1, root(1), mor(100), U256::ZERO, in_flight),
        EpochRootExpired
    );
    w.deadline = w.now() + 600;
    w.commit(1, root(3), mor(100), U256::ZERO).unwrap();
    assert_eq!(w.c().latest_epoch().1, root(3));
}
