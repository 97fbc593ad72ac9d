//! The token's behaviour called directly: minting at deployment, transfers, allowances, the
//! exact ERC-6093 errors and the events, with OpenZeppelin `ERC20`'s semantics.

use alloy_primitives::{Address, U256};
use yellowstone_mor_token::{abi::*, MorError, DECIMALS, NAME, SYMBOL};

use crate::common::*;

fn transfer_event(from: Address, to: Address, value: U256) -> Transfer {
    Transfer { from, to, value }
}

fn approval_event(owner: Address, spender: Address, value: U256) -> Approval {
    Approval {
        owner,
        spender,
        value,
    }
}

fn insufficient_balance(sender: Address, balance: U256, needed: U256) -> MorError {
    ERC20InsufficientBalance {
        sender,
        balance,
        needed,
    }
    .into()
}

fn insufficient_allowance(spender: Address, allowance: U256, needed: U256) -> MorError {
    ERC20InsufficientAllowance {
        spender,
        allowance,
        needed,
    }
    .into()
}

// ---- deployment ----------------------------------------------------------------------------

#[test]
fn constructor_mints_to_every_holder_and_sets_the_supply() {
    let t = Token::standard();
    for holder in [ALICE, BOB, CAROL] {
        assert_eq!(t.balance(holder), mor(1_000));
    }
    assert_eq!(t.balance(DEPLOYER), U256::ZERO, "the deployer gets nothing");
    assert_eq!(t.supply(), mor(3_000));
    assert_eq!(
        t.events::<Transfer>(),
        [ALICE, BOB, CAROL].map(|h| transfer_event(Address::ZERO, h, mor(1_000)))
    );
    assert!(t.events::<Approval>().is_empty());
}

#[test]
fn metadata_is_the_devnet_mor() {
    let t = Token::standard();
    assert_eq!(t.c.name(), "Morpheus (devnet)");
    assert_eq!(t.c.symbol(), "MOR");
    assert_eq!(t.c.decimals(), 18);
    assert_eq!((NAME, SYMBOL, DECIMALS), ("Morpheus (devnet)", "MOR", 18));
}

#[test]
fn a_holder_listed_twice_is_minted_twice() {
    let t = Token::deploy(&[ALICE, ALICE, BOB], mor(5));
    assert_eq!(t.balance(ALICE), mor(10));
    assert_eq!(t.balance(BOB), mor(5));
    assert_eq!(t.supply(), mor(15));
    assert_eq!(t.events::<Transfer>().len(), 3);
}

#[test]
fn no_holders_or_zero_amount_mints_nothing() {
    let t = Token::deploy(&[], mor(5));
    assert_eq!(t.supply(), U256::ZERO);
    assert!(t.logs().is_empty());

    let t = Token::deploy(&[ALICE], U256::ZERO);
    assert_eq!(t.supply(), U256::ZERO);
    assert_eq!(t.balance(ALICE), U256::ZERO);
    assert_eq!(
        t.events::<Transfer>(),
        [transfer_event(Address::ZERO, ALICE, U256::ZERO)]
    );
}

#[test]
fn constructor_refuses_the_zero_address_as_holder() {
    let mut t = Token::undeployed();
    let err = t
        .tx(DEPLOYER, |c| {
            c.constructor(vec![ALICE, Address::ZERO], mor(1))
        })
        .unwrap_err();
    assert_eq!(
        err,
        ERC20InvalidReceiver {
            receiver: Address::ZERO
        }
        .into()
    );
    assert_eq!(t.supply(), U256::ZERO, "the revert undoes Alice's mint");
    assert!(t.logs().is_empty());
}

#[test]
fn constructor_refuses_a_supply_over_uint256() {
    let mut t = Token::undeployed();
    let err = t
        .tx(DEPLOYER, |c| c.constructor(vec![ALICE, BOB], U256::MAX))
        .unwrap_err();
    assert_eq!(err, MorError::Overflow);
    assert_eq!(
        Vec::<u8>::from(err),
        alloy_sol_types::SolError::abi_encode(&alloy_sol_types::Panic::from(
            alloy_sol_types::PanicKind::UnderOverflow
        )),
        "reverts as Solidity's checked arithmetic does: Panic(0x11)"
    );

    // Exactly uint256's maximum in total is fine.
    let half = U256::MAX >> 1;
    let t = Token::deploy(&[ALICE, BOB], half);
    assert_eq!(t.supply(), U256::MAX - U256::from(1));
    let t = Token::deploy(&[ALICE], U256::MAX);
    assert_eq!(t.supply(), U256::MAX);
}

// ---- transfer ------------------------------------------------------------------------------

#[test]
fn transfer_moves_the_balance_and_emits_transfer() {
    let mut t = Token::standard();
    assert_eq!(t.transfer(ALICE, STRANGER, mor(300)), Ok(true));
    assert_eq!(t.balance(ALICE), mor(700));
    assert_eq!(t.balance(STRANGER), mor(300));
    assert_eq!(t.supply(), mor(3_000));
    assert_eq!(t.tx_logs().len(), 1);
    assert_eq!(
        t.tx_events::<Transfer>(),
        [transfer_event(ALICE, STRANGER, mor(300))]
    );

    assert_eq!(t.transfer(STRANGER, BOB, mor(300)), Ok(true));
    assert_eq!(t.balance(STRANGER), U256::ZERO);
    assert_eq!(t.balance(BOB), mor(1_300));
}

#[test]
fn transfer_of_the_whole_balance_is_allowed() {
    let mut t = Token::standard();
    assert_eq!(t.transfer(ALICE, BOB, mor(1_000)), Ok(true));
    assert_eq!(t.balance(ALICE), U256::ZERO);
    assert_eq!(t.balance(BOB), mor(2_000));
}

#[test]
fn transfer_beyond_the_balance_reverts_with_the_exact_error() {
    let mut t = Token::standard();
    let needed = mor(1_000) + U256::from(1);
    assert_eq!(
        t.transfer(ALICE, BOB, needed),
        Err(insufficient_balance(ALICE, mor(1_000), needed))
    );
    assert_eq!(
        t.transfer(STRANGER, BOB, U256::from(1)),
        Err(insufficient_balance(STRANGER, U256::ZERO, U256::from(1)))
    );
    assert_eq!(
        t.transfer(ALICE, BOB, U256::MAX),
        Err(insufficient_balance(ALICE, mor(1_000), U256::MAX))
    );
    assert_eq!(t.balance(ALICE), mor(1_000));
    assert_eq!(t.balance(BOB), mor(1_000));
    assert!(t.tx_logs().is_empty());
    assert_eq!(t.logs().len(), 3, "only the mints");
}

#[test]
fn transfer_to_the_zero_address_reverts() {
    let mut t = Token::standard();
    let invalid = ERC20InvalidReceiver {
        receiver: Address::ZERO,
    };
    assert_eq!(
        t.transfer(ALICE, Address::ZERO, mor(1)),
        Err(invalid.clone().into())
    );
    assert_eq!(
        t.transfer(ALICE, Address::ZERO, U256::ZERO),
        Err(invalid.into()),
        "even of nothing: there is no burn"
    );
    assert_eq!(t.balance(ALICE), mor(1_000));
    assert_eq!(t.supply(), mor(3_000));
}

#[test]
fn transfer_of_zero_is_allowed_and_emits_transfer() {
    let mut t = Token::standard();
    assert_eq!(t.transfer(ALICE, BOB, U256::ZERO), Ok(true));
    assert_eq!(
        t.tx_events::<Transfer>(),
        [transfer_event(ALICE, BOB, U256::ZERO)]
    );
    assert_eq!(
        t.transfer(STRANGER, BOB, U256::ZERO),
        Ok(true),
        "from an empty account too"
    );
    assert_eq!(t.balance(ALICE), mor(1_000));
    assert_eq!(t.balance(BOB), mor(1_000));
}

#[test]
fn self_transfer_leaves_the_balance_unchanged() {
    let mut t = Token::standard();
    assert_eq!(t.transfer(ALICE, ALICE, mor(400)), Ok(true));
    assert_eq!(t.balance(ALICE), mor(1_000));
    assert_eq!(t.supply(), mor(3_000));
    assert_eq!(
        t.tx_events::<Transfer>(),
        [transfer_event(ALICE, ALICE, mor(400))]
    );
    assert_eq!(t.transfer(ALICE, ALICE, mor(1_000)), Ok(true));
    assert_eq!(t.balance(ALICE), mor(1_000));
    assert_eq!(
        t.transfer(ALICE, ALICE, mor(1_001)),
        Err(insufficient_balance(ALICE, mor(1_000), mor(1_001))),
        "a self-transfer still needs the balance"
    );
}

#[test]
fn huge_amounts_move_without_overflow() {
    let mut t = Token::deploy(&[ALICE], U256::MAX);
    assert_eq!(t.transfer(ALICE, BOB, U256::MAX - U256::from(1)), Ok(true));
    assert_eq!(t.balance(ALICE), U256::from(1));
    assert_eq!(t.balance(BOB), U256::MAX - U256::from(1));
    assert_eq!(t.transfer(ALICE, BOB, U256::from(1)), Ok(true));
    assert_eq!(t.balance(BOB), U256::MAX);
    assert_eq!(t.transfer(BOB, BOB, U256::MAX), Ok(true));
    assert_eq!(t.balance(BOB), U256::MAX);
    assert_eq!(
        t.transfer(ALICE, BOB, U256::MAX),
        Err(insufficient_balance(ALICE, U256::ZERO, U256::MAX))
    );
    assert_eq!(t.supply(), U256::MAX);
}

// ---- approve and transferFrom -------------------------------------------------------------

#[test]
fn approve_sets_the_allowance_and_emits_approval() {
    let mut t = Token::standard();
    assert_eq!(t.allowance(ALICE, BOB), U256::ZERO);
    assert_eq!(t.approve(ALICE, BOB, mor(50)), Ok(true));
    assert_eq!(t.allowance(ALICE, BOB), mor(50));
    assert_eq!(
        t.allowance(BOB, ALICE),
        U256::ZERO,
        "allowances are directed"
    );
    assert_eq!(
        t.tx_events::<Approval>(),
        [approval_event(ALICE, BOB, mor(50))]
    );
    assert_eq!(t.tx_logs().len(), 1);

    // A new approval replaces the old one, whatever the balance.
    assert_eq!(t.approve(ALICE, BOB, mor(1_000_000)), Ok(true));
    assert_eq!(t.allowance(ALICE, BOB), mor(1_000_000));
    assert_eq!(t.approve(ALICE, BOB, U256::ZERO), Ok(true));
    assert_eq!(t.allowance(ALICE, BOB), U256::ZERO);
    assert_eq!(
        t.tx_events::<Approval>(),
        [approval_event(ALICE, BOB, U256::ZERO)]
    );
    assert_eq!(t.balance(ALICE), mor(1_000), "approving moves nothing");
}

#[test]
fn approve_refuses_the_zero_spender() {
    let mut t = Token::standard();
    assert_eq!(
        t.approve(ALICE, Address::ZERO, mor(1)),
        Err(ERC20InvalidSpender {
            spender: Address::ZERO
        }
        .into())
    );
    assert_eq!(t.allowance(ALICE, Address::ZERO), U256::ZERO);
    assert!(t.tx_logs().is_empty());
}

#[test]
fn transfer_from_spends_the_allowance() {
    let mut t = Token::standard();
    t.approve(ALICE, BOB, mor(100)).unwrap();
    assert_eq!(t.transfer_from(BOB, ALICE, CAROL, mor(30)), Ok(true));
    assert_eq!(t.balance(ALICE), mor(970));
    assert_eq!(t.balance(CAROL), mor(1_030));
    assert_eq!(
        t.balance(BOB),
        mor(1_000),
        "the spender's own balance is untouched"
    );
    assert_eq!(t.allowance(ALICE, BOB), mor(70));
    assert_eq!(
        t.tx_events::<Transfer>(),
        [transfer_event(ALICE, CAROL, mor(30))]
    );
    assert!(
        t.tx_events::<Approval>().is_empty(),
        "spending an allowance emits no Approval, as in OpenZeppelin v5"
    );

    // The spender may send to itself, and spend the rest exactly.
    assert_eq!(t.transfer_from(BOB, ALICE, BOB, mor(70)), Ok(true));
    assert_eq!(t.allowance(ALICE, BOB), U256::ZERO);
    assert_eq!(t.balance(BOB), mor(1_070));
    assert_eq!(t.supply(), mor(3_000));
}

#[test]
fn infinite_allowance_is_never_decreased() {
    let mut t = Token::standard();
    t.approve(ALICE, BOB, U256::MAX).unwrap();
    assert_eq!(t.transfer_from(BOB, ALICE, CAROL, mor(400)), Ok(true));
    assert_eq!(t.transfer_from(BOB, ALICE, CAROL, mor(600)), Ok(true));
    assert_eq!(t.allowance(ALICE, BOB), U256::MAX);
    assert_eq!(t.balance(ALICE), U256::ZERO);
    assert_eq!(t.balance(CAROL), mor(2_000));
    // One below the maximum is an ordinary allowance.
    t.approve(CAROL, BOB, U256::MAX - U256::from(1)).unwrap();
    assert_eq!(t.transfer_from(BOB, CAROL, ALICE, mor(1)), Ok(true));
    assert_eq!(t.allowance(CAROL, BOB), U256::MAX - U256::from(1) - mor(1));
}

#[test]
fn transfer_from_beyond_the_allowance_reverts_with_the_exact_error() {
    let mut t = Token::standard();
    assert_eq!(
        t.transfer_from(BOB, ALICE, BOB, U256::from(1)),
        Err(insufficient_allowance(BOB, U256::ZERO, U256::from(1))),
        "no allowance at all"
    );
    t.approve(ALICE, BOB, mor(10)).unwrap();
    assert_eq!(
        t.transfer_from(BOB, ALICE, CAROL, mor(11)),
        Err(insufficient_allowance(BOB, mor(10), mor(11)))
    );
    assert_eq!(
        t.transfer_from(CAROL, ALICE, CAROL, mor(1)),
        Err(insufficient_allowance(CAROL, U256::ZERO, mor(1))),
        "Bob's allowance is not Carol's"
    );
    assert_eq!(t.allowance(ALICE, BOB), mor(10));
    assert_eq!(t.balance(ALICE), mor(1_000));
    assert!(t.tx_logs().is_empty());
    // A zero transferFrom needs no allowance.
    assert_eq!(t.transfer_from(CAROL, ALICE, CAROL, U256::ZERO), Ok(true));
}

#[test]
fn transfer_from_beyond_the_balance_reverts_and_keeps_the_allowance() {
    let mut t = Token::standard();
    t.approve(ALICE, BOB, mor(5_000)).unwrap();
    assert_eq!(
        t.transfer_from(BOB, ALICE, CAROL, mor(1_001)),
        Err(insufficient_balance(ALICE, mor(1_000), mor(1_001)))
    );
    assert_eq!(
        t.allowance(ALICE, BOB),
        mor(5_000),
        "the revert undoes the spent allowance"
    );
    // The allowance is checked first, as in OpenZeppelin.
    t.approve(ALICE, BOB, mor(1)).unwrap();
    assert_eq!(
        t.transfer_from(BOB, ALICE, CAROL, mor(2_000)),
        Err(insufficient_allowance(BOB, mor(1), mor(2_000)))
    );
}

#[test]
fn transfer_from_refuses_zero_addresses() {
    let mut t = Token::standard();
    t.approve(ALICE, BOB, U256::MAX).unwrap();
    assert_eq!(
        t.transfer_from(BOB, ALICE, Address::ZERO, mor(1)),
        Err(ERC20InvalidReceiver {
            receiver: Address::ZERO
        }
        .into())
    );
    // Nobody can hold an allowance from the zero address, so as in OpenZeppelin a nonzero
    // amount fails on the allowance and zero fails on the approver.
    assert_eq!(
        t.transfer_from(BOB, Address::ZERO, CAROL, mor(1)),
        Err(insufficient_allowance(BOB, U256::ZERO, mor(1)))
    );
    assert_eq!(
        t.transfer_from(BOB, Address::ZERO, CAROL, U256::ZERO),
        Err(ERC20InvalidApprover {
            approver: Address::ZERO
        }
        .into())
    );
    assert_eq!(t.balance(ALICE), mor(1_000));
}

#[test]
fn supply_is_conserved_across_many_transfers() {
    let accounts = [ALICE, BOB, CAROL, STRANGER, DEPLOYER];
    let mut t = Token::deploy(&accounts[..3], mor(1_000));
    for (i, a) in accounts.iter().enumerate() {
        for b in &accounts {
            if a != b {
                t.approve(*a, *b, mor(10_000 + i as u64)).unwrap();
            }
        }
    }
    // A fixed pseudo-random walk (64-bit LCG), successful and failing moves alike.
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        seed >> 33
    };
    let (mut ok, mut failed) = (0, 0);
    for _ in 0..500 {
        let from = accounts[next() as usize % 5];
        let to = accounts[next() as usize % 5];
        let spender = accounts[next() as usize % 5];
        let value = mor(next() % 1_500);
        let result = if next() % 2 == 0 {
            t.transfer(from, to, value)
        } else {
            t.transfer_from(spender, from, to, value)
        };
        if result.is_ok() {
            ok += 1;
        } else {
            failed += 1;
        }
        let sum = accounts
            .iter()
            .fold(U256::ZERO, |sum, a| sum + t.balance(*a));
        assert_eq!(sum, t.supply());
    }
    assert_eq!(t.supply(), mor(3_000));
    assert!(
        ok > 100 && failed > 50,
        "both paths exercised: {ok} ok, {failed} failed"
    );
    // Every successful move logged one Transfer; replaying them gives today's balances.
    let mut replay = std::collections::HashMap::<Address, U256>::new();
    for e in t.events::<Transfer>() {
        if !e.from.is_zero() {
            *replay.get_mut(&e.from).unwrap() -= e.value;
        }
        *replay.entry(e.to).or_default() += e.value;
    }
    for a in accounts {
        assert_eq!(replay.get(&a).copied().unwrap_or_default(), t.balance(a));
    }
}

#[test]
fn storage_layout_is_openzeppelins() {
    use alloy_primitives::{keccak256, B256};
    let mut t = Token::standard();
    t.approve(ALICE, BOB, mor(7)).unwrap();
    let slot = |n: u64| B256::from(U256::from(n));
    let mapping = |key: Address, base: B256| {
        U256::from_be_bytes(keccak256([key.into_word(), base].concat()).0)
    };
    // _balances (slot 0), _allowances (slot 1), _totalSupply (slot 2).
    let balance_slot = mapping(ALICE, slot(0));
    assert_eq!(t.vm.get_storage(balance_slot), B256::from(mor(1_000)));
    let allowance_slot = mapping(BOB, B256::from(mapping(ALICE, slot(1))));
    assert_eq!(t.vm.get_storage(allowance_slot), B256::from(mor(7)));
    assert_eq!(t.vm.get_storage(U256::from(2)), B256::from(mor(3_000)));
}
