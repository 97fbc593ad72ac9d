//! The owner's powers and their limits (SPEC section 6, "Owner powers"): authorise or revoke
//! router keys, pause commits and claims, hand ownership over in two steps, and never move
//! MOR out.

use alloy_primitives::{Address, B256, U256};
use yellowstone_protocol::abi::{
    OwnershipTransferStarted, OwnershipTransferred, Paused, RouterAuthorized, RouterRevoked,
    Unpaused,
};

use crate::common::*;

const NEW_ROUTER: Address = Address::with_last_byte(0x77);
const NEW_OWNER: Address = Address::with_last_byte(0x88);

// ---- routers -------------------------------------------------------------------------------

#[test]
fn the_owner_authorises_a_router() {
    let mut w = World::deploy();
    assert!(!w.c().is_router(NEW_ROUTER));
    w.tx(OWNER, |c| c.authorize_router(NEW_ROUTER)).unwrap();
    assert!(w.c().is_router(NEW_ROUTER));
    assert_eq!(
        w.tx_event::<RouterAuthorized>(),
        RouterAuthorized { router: NEW_ROUTER }
    );
    let (topics, _) = w.tx_logs().pop().unwrap();
    assert_eq!(topics[1], B256::left_padding_from(NEW_ROUTER.as_slice()));
}

#[test]
fn only_the_owner_authorises_routers() {
    let mut w = World::deploy();
    for caller in [STRANGER, ALICE, w.router_address()] {
        let err = expect_err!(w.tx(caller, |c| c.authorize_router(NEW_ROUTER)), NotOwner);
        assert_eq!(err.caller, caller);
    }
    assert!(!w.c().is_router(NEW_ROUTER));
}

#[test]
fn a_router_cannot_be_authorised_twice() {
    let mut w = World::deploy();
    let router = w.router_address();
    let err = expect_err!(
        w.tx(OWNER, |c| c.authorize_router(router)),
        RouterAlreadyAuthorized
    );
    assert_eq!(err.router, router);
}

#[test]
fn the_zero_address_is_no_router() {
    let mut w = World::deploy();
    expect_err!(
        w.tx(OWNER, |c| c.authorize_router(Address::ZERO)),
        ZeroAddress
    );
    expect_err!(w.tx(OWNER, |c| c.revoke_router(Address::ZERO)), ZeroAddress);
}

#[test]
fn the_owner_revokes_a_router() {
    let mut w = World::deploy();
    let router = w.router_address();
    w.tx(OWNER, |c| c.revoke_router(router)).unwrap();
    assert!(!w.c().is_router(router));
    assert_eq!(w.tx_event::<RouterRevoked>(), RouterRevoked { router });
    // And may authorise it again.
    w.tx(OWNER, |c| c.authorize_router(router)).unwrap();
    assert!(w.c().is_router(router));
}

#[test]
fn only_the_owner_revokes_routers() {
    let mut w = World::deploy();
    let router = w.router_address();
    let err = expect_err!(w.tx(router, |c| c.revoke_router(router)), NotOwner);
    assert_eq!(err.caller, router);
    assert!(w.c().is_router(router));
}

#[test]
fn revoking_an_unknown_router_is_refused() {
    let mut w = World::deploy();
    let err = expect_err!(w.tx(OWNER, |c| c.revoke_router(NEW_ROUTER)), UnknownRouter);
    assert_eq!(err.router, NEW_ROUTER);
    let router = w.router_address();
    w.tx(OWNER, |c| c.revoke_router(router)).unwrap();
    expect_err!(w.tx(OWNER, |c| c.revoke_router(router)), UnknownRouter);
}

// ---- pause ---------------------------------------------------------------------------------

#[test]
fn the_owner_pauses_and_unpauses() {
    let mut w = World::deploy();
    w.tx(OWNER, |c| c.pause()).unwrap();
    assert!(w.c().paused());
    assert_eq!(w.tx_event::<Paused>(), Paused { account: OWNER });
    w.tx(OWNER, |c| c.unpause()).unwrap();
    assert!(!w.c().paused());
    assert_eq!(w.tx_event::<Unpaused>(), Unpaused { account: OWNER });
}

#[test]
fn only_the_owner_pauses_and_unpauses() {
    let mut w = World::deploy();
    let err = expect_err!(w.tx(STRANGER, |c| c.pause()), NotOwner);
    assert_eq!(err.caller, STRANGER);
    w.tx(OWNER, |c| c.pause()).unwrap();
    expect_err!(w.tx(STRANGER, |c| c.unpause()), NotOwner);
    assert!(w.c().paused());
}

#[test]
fn pausing_twice_is_refused() {
    let mut w = World::deploy();
    w.tx(OWNER, |c| c.pause()).unwrap();
    expect_err!(w.tx(OWNER, |c| c.pause()), EnforcedPause);
}

#[test]
fn unpausing_when_not_paused_is_refused() {
    let mut w = World::deploy();
    expect_err!(w.tx(OWNER, |c| c.unpause()), ExpectedPause);
}

// ---- two-step ownership --------------------------------------------------------------------

#[test]
fn ownership_moves_only_when_the_new_owner_accepts() {
    let mut w = World::deploy();
    w.tx(OWNER, |c| c.transfer_ownership(NEW_OWNER)).unwrap();
    assert_eq!(
        w.tx_event::<OwnershipTransferStarted>(),
        OwnershipTransferStarted {
            previousOwner: OWNER,
            newOwner: NEW_OWNER
        }
    );
    assert_eq!((w.c().owner(), w.c().pending_owner()), (OWNER, NEW_OWNER));
    w.tx(OWNER, |c| c.pause()).unwrap(); // still the owner until acceptance

    w.tx(NEW_OWNER, |c| c.accept_ownership()).unwrap();
    assert_eq!(
        (w.c().owner(), w.c().pending_owner()),
        (NEW_OWNER, Address::ZERO)
    );
    assert_eq!(
        w.tx_event::<OwnershipTransferred>(),
        OwnershipTransferred {
            previousOwner: OWNER,
            newOwner: NEW_OWNER
        }
    );
    expect_err!(w.tx(OWNER, |c| c.unpause()), NotOwner);
    w.tx(NEW_OWNER, |c| c.unpause()).unwrap();
}

#[test]
fn only_the_owner_offers_ownership() {
    let mut w = World::deploy();
    let err = expect_err!(w.tx(STRANGER, |c| c.transfer_ownership(STRANGER)), NotOwner);
    assert_eq!(err.caller, STRANGER);
    assert_eq!(w.c().pending_owner(), Address::ZERO);
}

#[test]
fn only_the_pending_owner_accepts() {
    let mut w = World::deploy();
    let err = expect_err!(w.tx(NEW_OWNER, |c| c.accept_ownership()), NotPendingOwner);
    assert_eq!(err.caller, NEW_OWNER);
    w.tx(OWNER, |c| c.transfer_ownership(NEW_OWNER)).unwrap();
    for caller in [STRANGER, OWNER, Address::ZERO] {
        let err = expect_err!(w.tx(caller, |c| c.accept_ownership()), NotPendingOwner);
        assert_eq!(err.caller, caller);
    }
    assert_eq!(w.c().owner(), OWNER);
}

#[test]
fn an_accepted_offer_cannot_be_accepted_again() {
    let mut w = World::deploy();
    w.tx(OWNER, |c| c.transfer_ownership(NEW_OWNER)).unwrap();
    w.tx(NEW_OWNER, |c| c.accept_ownership()).unwrap();
    expect_err!(w.tx(NEW_OWNER, |c| c.accept_ownership()), NotPendingOwner);
}

#[test]
fn a_new_offer_replaces_the_old_and_an_offer_to_zero_cancels() {
    let mut w = World::deploy();
    w.tx(OWNER, |c| c.transfer_ownership(NEW_OWNER)).unwrap();
    w.tx(OWNER, |c| c.transfer_ownership(STRANGER)).unwrap();
    expect_err!(w.tx(NEW_OWNER, |c| c.accept_ownership()), NotPendingOwner);
    w.tx(OWNER, |c| c.transfer_ownership(Address::ZERO))
        .unwrap();
    assert_eq!(w.c().pending_owner(), Address::ZERO);
    expect_err!(w.tx(STRANGER, |c| c.accept_ownership()), NotPendingOwner);
    expect_err!(
        w.tx(Address::ZERO, |c| c.accept_ownership()),
        NotPendingOwner
    );
    assert_eq!(w.c().owner(), OWNER);
}

// ---- the owner cannot move MOR -------------------------------------------------------------

/// A world holding MOR: funded, staked, one epoch committed.
fn holding_mor() -> (World, Tree) {
    let mut w = World::deploy();
    w.fund(FUNDER, mor(100_000)).unwrap();
    w.stake(ALICE, mor(5_000), DEPLOY_TIME + YEAR).unwrap();
    let tree = Tree::new(&[
        Leaf::new(ALICE, mor(300), U256::ZERO),
        Leaf::new(BOB, mor(200), U256::ZERO),
    ]);
    w.commit_tree(1, &tree).unwrap();
    (w, tree)
}

#[test]
fn no_owner_function_makes_any_external_call() {
    let (mut w, _) = holding_mor();
    let before = (w.totals(), w.chain.calls().len());
    // No token mock is registered for any of these: a transfer would fail them.
    w.tx(OWNER, |c| c.authorize_router(NEW_ROUTER)).unwrap();
    w.tx(OWNER, |c| c.authorize_router(OWNER)).unwrap();
    w.tx(OWNER, |c| c.revoke_router(NEW_ROUTER)).unwrap();
    w.tx(OWNER, |c| c.pause()).unwrap();
    w.tx(OWNER, |c| c.unpause()).unwrap();
    w.tx(OWNER, |c| c.transfer_ownership(NEW_OWNER)).unwrap();
    w.tx(NEW_OWNER, |c| c.accept_ownership()).unwrap();
    w.tx(NEW_OWNER, |c| c.transfer_ownership(OWNER)).unwrap();
    w.tx(OWNER, |c| c.accept_ownership()).unwrap();
    assert_eq!(
        (w.totals(), w.chain.calls().len()),
        before,
        "no call was made, no total moved"
    );
}

#[test]
fn the_owner_has_no_stake_to_withdraw_and_no_leaf_to_claim() {
    let (mut w, tree) = holding_mor();
    w.advance_days(400);
    expect_err!(w.withdraw(OWNER, mor(1)), NotRegistered);
    let alice = tree.leaf(ALICE);
    expect_err!(
        w.claim_raw(
            OWNER,
            Leaf::new(OWNER, alice.earned, alice.bootstrap),
            tree.proof(ALICE)
        ),
        InvalidProof
    );
    // Claiming Alice's leaf pays Alice, not the owner.
    w.claim_paying(OWNER, &tree, ALICE, mor(300));
}

#[test]
fn even_an_owner_acting_as_router_is_held_to_the_daily_cap() {
    // "A stolen router key can drain at most one day's emission plus 1% of the reserve per day."
    let (mut w, _) = holding_mor();
    let rogue = key(0x66);
    let rogue_address = address_of(&rogue);
    w.tx(OWNER, |c| c.authorize_router(rogue_address)).unwrap();
    let credited = w.totals().credited;
    let cap_left = w.daily_cap() - w.credited_today();
    let greedy = credited + mor(100_000) - mor(500);
    let signature = w.sign_epoch_with(&rogue, 2, B256::repeat_byte(9), greedy, U256::ZERO);
    expect_err!(
        w.submit(
            OWNER,
            2,
            B256::repeat_byte(9),
            greedy,
            U256::ZERO,
            signature
        ),
        DailyCapExceeded
    );
    let signature = w.sign_epoch_with(
        &rogue,
        2,
        B256::repeat_byte(9),
        credited + cap_left,
        U256::ZERO,
    );
    w.submit(
        OWNER,
        2,
        B256::repeat_byte(9),
        credited + cap_left,
        U256::ZERO,
        signature,
    )
    .unwrap();
    assert_eq!(w.credited_today(), w.daily_cap());
}

#[test]
fn every_outgoing_transfer_comes_from_a_claim_or_a_withdrawal() {
    let (mut w, tree) = holding_mor();
    let transfer = &transfer_calldata(Address::ZERO, U256::ZERO)[..4];
    let mut senders_of_transfers = Vec::new();
    let mut record = |w: &World, name: &'static str| {
        for data in w.tx_token_calls() {
            if &data[..4] == transfer {
                senders_of_transfers.push(name);
            }
        }
    };
    w.fund(FUNDER, mor(1)).unwrap();
    record(&w, "fund");
    w.stake(BOB, mor(10), DEPLOY_TIME + DAY).unwrap();
    record(&w, "stake");
    w.lock_claim(BOB, DEPLOY_TIME + 2 * DAY).unwrap();
    record(&w, "lockClaim");
    w.commit(2, tree.root(), mor(500), U256::ZERO).unwrap();
    record(&w, "commitEpoch");
    w.claim_paying(STRANGER, &tree, ALICE, mor(300));
    record(&w, "claim");
    w.advance_days(3);
    w.withdraw(BOB, mor(10)).unwrap();
    record(&w, "withdraw");
    for owner_call in [
        |c: &mut yellowstone_compute::YellowstoneCompute| c.pause(),
        |c: &mut yellowstone_compute::YellowstoneCompute| c.unpause(),
        |c: &mut yellowstone_compute::YellowstoneCompute| c.authorize_router(NEW_ROUTER),
        |c: &mut yellowstone_compute::YellowstoneCompute| c.revoke_router(NEW_ROUTER),
        |c: &mut yellowstone_compute::YellowstoneCompute| c.transfer_ownership(NEW_OWNER),
    ] {
        w.tx(OWNER, owner_call).unwrap();
        record(&w, "owner");
    }
    assert_eq!(senders_of_transfers, vec!["claim", "withdraw"]);
}

#[test]
fn a_pause_stops_commits_and_claims_but_never_traps_a_stake() {
    let mut w = World::deploy();
    w.stake(ALICE, mor(10), DEPLOY_TIME + DAY).unwrap();
    w.tx(OWNER, |c| c.pause()).unwrap();
    w.advance_days(1);
    w.withdraw(ALICE, mor(10)).unwrap();
    assert_eq!(w.provider(ALICE).stake, U256::ZERO);
}
