//! The token as the chain sees it: calldata in, return or revert data out, through the Stylus
//! entrypoint router (`router_entrypoint`), exactly as the deployed Wasm dispatches. Pins the
//! ERC-20 interface against a hand-written one, the revert data, the one-time constructor
//! (the only mint) and that no calldata makes the contract panic.

use alloy_primitives::{Address, U256};
use alloy_sol_types::{sol, SolCall, SolError, SolValue};
use stylus_sdk::{
    abi::{router_entrypoint, CONSTRUCTOR_SELECTOR},
    host::VM,
};
use yellowstone_mor_token::{abi::*, MorToken};

use crate::common::*;

sol! {
    /// ERC-20 as EIP-20 and OpenZeppelin write it.
    interface IERC20Metadata {
        function name() external view returns (string);
        function symbol() external view returns (string);
        function decimals() external view returns (uint8);
        function totalSupply() external view returns (uint256);
        function balanceOf(address account) external view returns (uint256);
        function transfer(address to, uint256 value) external returns (bool);
        function allowance(address owner, address spender) external view returns (uint256);
        function approve(address spender, uint256 value) external returns (bool);
        function transferFrom(address from, address to, uint256 value) external returns (bool);
    }
}

use IERC20Metadata as I;

/// Sends `calldata` from `sender` through the entrypoint; a revert rolls storage back.
fn send(t: &mut Token, sender: Address, calldata: Vec<u8>) -> Result<Vec<u8>, Vec<u8>> {
    t.vm.set_sender(sender);
    let storage = t.vm.snapshot().storage;
    let vm = VM {
        host: Box::new(t.vm.clone()),
    };
    let result = router_entrypoint::<MorToken, MorToken>(calldata, vm);
    if result.is_err() {
        t.vm.clear_storage();
        for (key, value) in storage {
            t.vm.set_storage(key, value);
        }
    }
    result
}

/// Calls `call` and decodes its return.
fn call<C: SolCall>(t: &mut Token, sender: Address, call: C) -> Result<C::Return, Vec<u8>> {
    let out = send(t, sender, call.abi_encode())?;
    Ok(C::abi_decode_returns_validate(&out).expect("the return decodes"))
}

fn constructor_calldata(holders: &[Address], amount_each: U256) -> Vec<u8> {
    let mut data = CONSTRUCTOR_SELECTOR.to_be_bytes().to_vec();
    data.extend((holders.to_vec(), amount_each).abi_encode_params());
    data
}

/// Deployed through the entrypoint: Alice, Bob and Carol hold 1,000 MOR each.
fn deployed() -> Token {
    let mut t = Token::undeployed();
    let out = send(
        &mut t,
        DEPLOYER,
        constructor_calldata(&[ALICE, BOB, CAROL], mor(1_000)),
    )
    .expect("deploys");
    assert!(out.is_empty());
    t
}

#[test]
fn the_interface_is_erc20_metadata() {
    let mut t = deployed();
    assert_eq!(
        call(&mut t, STRANGER, I::nameCall {}).unwrap(),
        "Morpheus (devnet)"
    );
    assert_eq!(call(&mut t, STRANGER, I::symbolCall {}).unwrap(), "MOR");
    assert_eq!(call(&mut t, STRANGER, I::decimalsCall {}).unwrap(), 18);
    assert_eq!(
        call(&mut t, STRANGER, I::totalSupplyCall {}).unwrap(),
        mor(3_000)
    );
    assert_eq!(
        call(&mut t, STRANGER, I::balanceOfCall { account: BOB }).unwrap(),
        mor(1_000)
    );

    let transfer = I::transferCall {
        to: STRANGER,
        value: mor(1),
    };
    assert!(call(&mut t, ALICE, transfer).unwrap());
    let approve = I::approveCall {
        spender: BOB,
        value: mor(10),
    };
    assert!(call(&mut t, ALICE, approve).unwrap());
    let allowance = I::allowanceCall {
        owner: ALICE,
        spender: BOB,
    };
    assert_eq!(call(&mut t, STRANGER, allowance.clone()).unwrap(), mor(10));
    let transfer_from = I::transferFromCall {
        from: ALICE,
        to: STRANGER,
        value: mor(4),
    };
    assert!(call(&mut t, BOB, transfer_from).unwrap());
    assert_eq!(call(&mut t, STRANGER, allowance).unwrap(), mor(6));
    assert_eq!(
        call(&mut t, STRANGER, I::balanceOfCall { account: STRANGER }).unwrap(),
        mor(5)
    );
    assert_eq!(
        call(&mut t, STRANGER, I::balanceOfCall { account: ALICE }).unwrap(),
        mor(995)
    );
    assert_eq!(
        decode_all::<Transfer>(&t.vm.get_emitted_logs()).len(),
        5,
        "three mints and two transfers"
    );
}

#[test]
fn reverts_carry_the_abi_encoded_error() {
    let mut t = deployed();
    let needed = mor(1_001);
    let transfer = I::transferCall {
        to: BOB,
        value: needed,
    };
    assert_eq!(
        send(&mut t, ALICE, transfer.abi_encode()),
        Err(ERC20InsufficientBalance {
            sender: ALICE,
            balance: mor(1_000),
            needed,
        }
        .abi_encode())
    );
    let transfer_from = I::transferFromCall {
        from: ALICE,
        to: BOB,
        value: mor(1),
    };
    assert_eq!(
        send(&mut t, CAROL, transfer_from.abi_encode()),
        Err(ERC20InsufficientAllowance {
            spender: CAROL,
            allowance: U256::ZERO,
            needed: mor(1),
        }
        .abi_encode())
    );
    let approve = I::approveCall {
        spender: Address::ZERO,
        value: mor(1),
    };
    assert_eq!(
        send(&mut t, ALICE, approve.abi_encode()),
        Err(ERC20InvalidSpender {
            spender: Address::ZERO
        }
        .abi_encode())
    );
}

#[test]
fn the_constructor_runs_once_so_nothing_can_mint_after_deployment() {
    let mut t = deployed();
    let again = send(
        &mut t,
        ALICE,
        constructor_calldata(&[ALICE], mor(1_000_000)),
    );
    assert!(again.is_err(), "a second constructor call reverts");
    assert_eq!(t.c.total_supply(), mor(3_000));
    assert_eq!(t.c.balance_of(ALICE), mor(1_000));
}

#[test]
fn deploying_with_a_zero_holder_reverts() {
    let mut t = Token::undeployed();
    let out = send(
        &mut t,
        DEPLOYER,
        constructor_calldata(&[ALICE, Address::ZERO], mor(1)),
    );
    assert_eq!(
        out,
        Err(ERC20InvalidReceiver {
            receiver: Address::ZERO
        }
        .abi_encode())
    );
    assert_eq!(t.c.total_supply(), U256::ZERO);
}

#[test]
fn value_sent_to_the_token_reverts() {
    let mut t = deployed();
    t.vm.set_value(U256::from(1));
    let transfer = I::transferCall {
        to: BOB,
        value: mor(1),
    };
    assert!(send(&mut t, ALICE, transfer.abi_encode()).is_err());
    t.vm.set_value(U256::ZERO);
    assert_eq!(t.c.balance_of(BOB), mor(1_000));
}

#[test]
fn no_calldata_makes_the_token_panic() {
    let mut t = deployed();
    let selectors = [
        I::nameCall::SELECTOR,
        I::symbolCall::SELECTOR,
        I::decimalsCall::SELECTOR,
        I::totalSupplyCall::SELECTOR,
        I::balanceOfCall::SELECTOR,
        I::transferCall::SELECTOR,
        I::allowanceCall::SELECTOR,
        I::approveCall::SELECTOR,
        I::transferFromCall::SELECTOR,
        CONSTRUCTOR_SELECTOR.to_be_bytes(),
        [0xde, 0xad, 0xbe, 0xef],
    ];
    // Empty and short calldata, an unknown selector: reverts with no data.
    for data in [vec![], vec![0xa9], vec![0xa9, 0x05, 0x9c]] {
        assert_eq!(send(&mut t, ALICE, data), Err(vec![]));
    }
    // Every selector with truncated, dirty, oversized and garbage arguments.
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut byte = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed as u8
    };
    for selector in selectors {
        for len in [0, 1, 20, 31, 32, 33, 63, 64, 65, 96, 100, 128, 200] {
            for fill in [0x00, 0xff, 0x01] {
                let mut data = selector.to_vec();
                data.extend(std::iter::repeat_n(fill, len));
                let _ = send(&mut t, ALICE, data);
            }
            let mut data = selector.to_vec();
            data.extend((0..len).map(|_| byte()));
            let _ = send(&mut t, ALICE, data);
        }
    }
    // An address word with dirty high bytes is not an address.
    let mut dirty = I::transferCall {
        to: BOB,
        value: mor(1),
    }
    .abi_encode();
    dirty[4] = 0x01;
    assert!(send(&mut t, ALICE, dirty).is_err());
    // Whatever happened, the token is intact.
    let sum = [ALICE, BOB, CAROL, STRANGER, DEPLOYER]
        .iter()
        .fold(U256::ZERO, |sum, a| sum + t.c.balance_of(*a));
    assert_eq!(t.c.total_supply(), mor(3_000));
    assert!(sum <= t.c.total_supply());
}
