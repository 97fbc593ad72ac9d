//! The capital side's Solidity fixtures (`contracts/evm-fixtures`, [`yellowstone_devnet::fixtures`]):
//! stETH keeps Lido's share accounting (balances are shares at the pooled rate, rounded down;
//! a transfer moves the shares the amount is worth, rounded down, so it can deliver a wei less;
//! rebases move every balance and no share), wstETH wraps shares one to one at the real rate,
//! the project token mints only for its minter, and `ToggleFund` refuses while switched off.
//! First, the committed bytecode is what `build.sh` makes from the committed sources.

use alloy_primitives::{keccak256, Address, TxKind, U256};
use alloy_sol_types::{SolCall, SolError};
use serde_json::Value;
use sha2::{Digest, Sha256};
use yellowstone_devnet::capital::{
    deploy_capital_parts, deploy_toggle_fund, mint_st_eth, rebase_st_eth, rebase_st_eth_ppm,
    set_toggle_fund_reverting, CapitalConfig, CapitalParts,
};
use yellowstone_devnet::chain::{Chain, Receipt};
use yellowstone_devnet::fixtures::{
    project_token_init_code, IProjectToken, IStEth, IToggleFund, IWstEth, FIXTURES, META_JSON,
};

use crate::common::{address_of, call, deploy_mor_token, mor, ok, send, IERC20};
use crate::mor_erc20::ipfs_multihash;

const PACKAGE_JSON: &str = include_str!("../../../contracts/evm-fixtures/package.json");
const PACKAGE_LOCK: &str = include_str!("../../../contracts/evm-fixtures/package-lock.json");
const SOLC: &str = "0.8.37";
const OPENZEPPELIN: &str = "5.7.0";

/// `eth_call`s `c` on `to` and decodes its return.
pub(crate) fn get<C: SolCall>(chain: &Chain, to: Address, c: C) -> C::Return {
    let out = call(chain, to, c.abi_encode()).expect("the call succeeds");
    C::abi_decode_returns(&out).expect("the return decodes")
}

/// Sends `c` to `to` from `account` and asserts that it reverted with error `E`; returns it.
pub(crate) fn refused<C: SolCall, E: SolError>(
    chain: &mut Chain,
    account: usize,
    to: Address,
    c: C,
) -> E {
    let receipt = send(chain, account, TxKind::Call(to), c.abi_encode());
    assert!(!receipt.status, "expected a revert: {receipt:?}");
    E::abi_decode(&receipt.output).expect("the expected error")
}

/// A fresh chain with MOR and the capital side's parts, deployed as `config` says.
pub(crate) fn parts_with(config: &CapitalConfig) -> (Chain, CapitalParts) {
    let mut chain = Chain::new();
    let mor = deploy_mor_token(&mut chain);
    let parts = deploy_capital_parts(&mut chain, mor, config).expect("deploy_capital_parts");
    (chain, parts)
}

/// A fresh chain with the default parts: stETH at 1.25 per share, 1,000 stETH per account.
pub(crate) fn parts() -> (Chain, CapitalParts) {
    parts_with(&CapitalConfig::default())
}

fn balance(chain: &Chain, token: Address, account: Address) -> U256 {
    get(chain, token, IStEth::balanceOfCall { account })
}

fn shares(chain: &Chain, st_eth: Address, account: Address) -> U256 {
    get(chain, st_eth, IStEth::sharesOfCall { account })
}

fn pooled(chain: &Chain, st_eth: Address) -> U256 {
    get(chain, st_eth, IStEth::getTotalPooledEtherCall {})
}

fn total_shares(chain: &Chain, st_eth: Address) -> U256 {
    get(chain, st_eth, IStEth::getTotalSharesCall {})
}

fn transfer(chain: &mut Chain, from: usize, token: Address, to: Address, amount: U256) -> Receipt {
    ok(
        chain,
        from,
        token,
        IStEth::transferCall { to, amount }.abi_encode(),
    )
}

// ---- provenance ---------------------------------------------------------------------------------

#[test]
fn each_fixture_names_its_committed_metadata_and_source() {
    let meta: Value = serde_json::from_str(META_JSON).unwrap();
    assert!(meta["solc"].as_str().unwrap().starts_with(SOLC));
    assert_eq!(meta["openzeppelin"], OPENZEPPELIN);
    for fixture in FIXTURES {
        let code = fixture.creation_code().unwrap();
        // solc's trailer: a2 64 "ipfs" 58 22 <multihash> 64 "solc" 43 <version>, then its length
        let n = code.len();
        let trailer_len = usize::from(u16::from_be_bytes([code[n - 2], code[n - 1]]));
        let trailer = &code[n - 2 - trailer_len..n - 2];
        assert_eq!(&trailer[..8], b"\xa2\x64ipfs\x58\x22", "{}", fixture.name);
        assert_eq!(
            &trailer[8..42],
            ipfs_multihash(fixture.metadata.as_bytes()),
            "{}",
            fixture.name
        );
        assert_eq!(
            &trailer[42..],
            b"\x64solc\x43\x00\x08\x25",
            "{}",
            fixture.name
        );

        let metadata: Value = serde_json::from_str(fixture.metadata).unwrap();
        let version = metadata["compiler"]["version"].as_str().unwrap();
        assert!(version.starts_with(&format!("{SOLC}+commit.")), "{version}");
        assert_eq!(metadata["settings"]["evmVersion"], "cancun");
        assert_eq!(metadata["settings"]["optimizer"]["runs"], 200);
        let file = format!("{}.sol", fixture.name);
        assert_eq!(
            metadata["sources"][&file]["keccak256"],
            format!("{}", keccak256(fixture.source.as_bytes())),
            "{file}"
        );
        assert!(fixture.source.contains(&format!("pragma solidity {SOLC};")));

        let record = &meta["fixtures"][fixture.name];
        let sha = |bytes: &[u8]| format!("{:x}", Sha256::digest(bytes));
        assert_eq!(
            record["creationBytecodeSha256"],
            sha(fixture.creation_hex.trim().as_bytes())
        );
        assert_eq!(record["metadataSha256"], sha(fixture.metadata.as_bytes()));
    }
}

#[test]
fn the_build_inputs_are_pinned() {
    let package: Value = serde_json::from_str(PACKAGE_JSON).unwrap();
    let lock: Value = serde_json::from_str(PACKAGE_LOCK).unwrap();
    for (name, version) in [
        ("solc", SOLC),
        ("@openzeppelin/contracts", OPENZEPPELIN),
        ("@uniswap/v2-core", "1.0.1"),
        ("@uniswap/v2-periphery", "1.1.0-beta.0"),
    ] {
        assert_eq!(package["dependencies"][name], version, "{name}");
        let entry = &lock["packages"][format!("node_modules/{name}")];
        assert_eq!(entry["version"], version, "{name}");
        let integrity = entry["integrity"].as_str().unwrap_or_default();
        assert!(integrity.starts_with("sha512-"), "{name}: {integrity}");
    }
}

// ---- stETH --------------------------------------------------------------------------------------

#[test]
fn balances_are_shares_at_the_pooled_rate() {
    let (chain, p) = parts();
    // the default: 1.25 stETH per share, 1,000 stETH for each of ten accounts plus a seed share
    let rate = get(&chain, p.wst_eth, IWstEth::stEthPerTokenCall {});
    assert_eq!(rate, mor(5) / U256::from(4));
    assert_eq!(balance(&chain, p.st_eth, address_of(3)), mor(1_000));
    assert_eq!(shares(&chain, p.st_eth, address_of(3)), mor(800));
    assert_eq!(total_shares(&chain, p.st_eth), mor(8_001));
    assert_eq!(
        pooled(&chain, p.st_eth),
        mor(10_001) + mor(1) / U256::from(4)
    );
    assert_eq!(
        get(&chain, p.st_eth, IStEth::totalSupplyCall {}),
        pooled(&chain, p.st_eth)
    );
    let oracle = get(&chain, p.st_eth, IStEth::oracleCall {});
    assert_eq!(oracle, address_of(0));
}

#[test]
fn a_transfer_moves_the_shares_the_amount_buys_rounded_down() {
    let (mut chain, p) = parts();
    // an awkward rate: a wei above 4/3 stETH per share
    let s = total_shares(&chain, p.st_eth);
    let awkward = s * U256::from(4) / U256::from(3) + U256::from(1);
    rebase_st_eth(&mut chain, p.st_eth, awkward).unwrap();
    let amount = mor(1);
    // a fresh recipient (no fraction of a wei already held to round up with)
    let to = Address::repeat_byte(0x42);
    let moved = amount * s / awkward;
    let shares_before = shares(&chain, p.st_eth, address_of(2));
    let receipt = transfer(&mut chain, 2, p.st_eth, to, amount);
    assert_eq!(
        shares(&chain, p.st_eth, address_of(2)),
        shares_before - moved
    );
    let received = balance(&chain, p.st_eth, to);
    assert_eq!(received, moved * awkward / s);
    assert!(received < amount, "{received} of {amount}");
    assert!(amount - received <= U256::from(2), "{received} of {amount}");
    // the Transfer event names the amount asked for; TransferShares the shares moved
    let topic = |sig: &str| keccak256(sig);
    let logs: Vec<_> = receipt.logs.iter().map(|l| &l.log.data).collect();
    assert_eq!(
        logs[0].topics()[0],
        topic("Transfer(address,address,uint256)")
    );
    assert_eq!(logs[0].data.as_ref(), amount.to_be_bytes::<32>());
    assert_eq!(
        logs[1].topics()[0],
        topic("TransferShares(address,address,uint256)")
    );
    assert_eq!(logs[1].data.as_ref(), moved.to_be_bytes::<32>());
}

#[test]
fn transfer_shares_moves_exactly_and_an_overdraft_is_refused() {
    let (mut chain, p) = parts();
    let (from, to) = (address_of(4), address_of(5));
    ok(
        &mut chain,
        4,
        p.st_eth,
        IStEth::transferSharesCall {
            to,
            sharesAmount: mor(300),
        }
        .abi_encode(),
    );
    assert_eq!(shares(&chain, p.st_eth, from), mor(500));
    assert_eq!(shares(&chain, p.st_eth, to), mor(1_100));
    let err: IStEth::InsufficientShares = refused(
        &mut chain,
        4,
        p.st_eth,
        IStEth::transferSharesCall {
            to,
            sharesAmount: mor(501),
        },
    );
    assert_eq!((err.held, err.needed), (mor(500), mor(501)));
    let err: IStEth::InvalidAddress = refused(
        &mut chain,
        4,
        p.st_eth,
        IStEth::transferCall {
            to: p.st_eth,
            amount: mor(1),
        },
    );
    assert_eq!(err.account, p.st_eth);
}

#[test]
fn transfer_from_spends_the_allowance_unless_it_is_unlimited() {
    let (mut chain, p) = parts();
    let (owner, spender) = (address_of(1), address_of(2));
    ok(
        &mut chain,
        1,
        p.st_eth,
        IStEth::approveCall {
            spender,
            amount: mor(10),
        }
        .abi_encode(),
    );
    let pull = |amount| IStEth::transferFromCall {
        from: owner,
        to: spender,
        amount,
    };
    ok(&mut chain, 2, p.st_eth, pull(mor(4)).abi_encode());
    let left = get(&chain, p.st_eth, IStEth::allowanceCall { owner, spender });
    assert_eq!(left, mor(6));
    let err: IStEth::InsufficientAllowance = refused(&mut chain, 2, p.st_eth, pull(mor(7)));
    assert_eq!((err.allowed, err.needed), (mor(6), mor(7)));
    ok(
        &mut chain,
        1,
        p.st_eth,
        IStEth::approveCall {
            spender,
            amount: U256::MAX,
        }
        .abi_encode(),
    );
    ok(&mut chain, 2, p.st_eth, pull(mor(7)).abi_encode());
    let left = get(&chain, p.st_eth, IStEth::allowanceCall { owner, spender });
    assert_eq!(left, U256::MAX);
}

#[test]
fn rebases_move_every_balance_and_no_share() {
    let (mut chain, p) = parts();
    let who = address_of(6);
    let before = pooled(&chain, p.st_eth);
    // +1% (yield)
    let up = rebase_st_eth_ppm(&mut chain, p.st_eth, 10_000).unwrap();
    assert_eq!(up, before * U256::from(101) / U256::from(100));
    assert_eq!(shares(&chain, p.st_eth, who), mor(800));
    let total = total_shares(&chain, p.st_eth);
    assert_eq!(balance(&chain, p.st_eth, who), mor(800) * up / total);
    assert_eq!(balance(&chain, p.st_eth, who), mor(1_010));
    // -5% (a slashing): below the deposit
    let down = rebase_st_eth_ppm(&mut chain, p.st_eth, -50_000).unwrap();
    assert_eq!(down, up * U256::from(95) / U256::from(100));
    assert_eq!(balance(&chain, p.st_eth, who), mor(800) * down / total);
    assert!(balance(&chain, p.st_eth, who) < mor(1_000));
    assert_eq!(shares(&chain, p.st_eth, who), mor(800));
    // a rebase to nothing is refused before it reaches the chain
    assert!(rebase_st_eth_ppm(&mut chain, p.st_eth, -1_000_000).is_err());
}

#[test]
fn only_the_oracle_rebases_and_never_to_zero() {
    let (mut chain, p) = parts();
    let err: IStEth::NotOracle = refused(
        &mut chain,
        1,
        p.st_eth,
        IStEth::rebaseCall {
            totalPooledEther: mor(1_000_000),
        },
    );
    assert_eq!(err.caller, address_of(1));
    let err: IStEth::InvalidRebase = refused(
        &mut chain,
        0,
        p.st_eth,
        IStEth::rebaseCall {
            totalPooledEther: U256::ZERO,
        },
    );
    assert_eq!(err.totalShares, mor(8_001));
}

#[test]
fn minting_less_than_a_share_is_refused() {
    let (mut chain, p) = parts();
    // at 1.25 stETH per share, one wei buys no share: it would be a gift to every holder
    let err: IStEth::ZeroShares = refused(
        &mut chain,
        1,
        p.st_eth,
        IStEth::mintCall {
            to: address_of(1),
            amount: U256::from(1),
        },
    );
    assert_eq!(err.amount, U256::from(1));
    let receipt = mint_st_eth(&mut chain, p.st_eth, address_of(1), U256::from(2)).unwrap();
    assert!(receipt.status);
    assert_eq!(
        shares(&chain, p.st_eth, address_of(1)),
        mor(800) + U256::from(1)
    );
}

// ---- wstETH -------------------------------------------------------------------------------------

#[test]
fn wsteth_wraps_shares_one_to_one_at_the_real_rate() {
    let (mut chain, p) = parts();
    let who = address_of(2);
    ok(
        &mut chain,
        2,
        p.st_eth,
        IStEth::approveCall {
            spender: p.wst_eth,
            amount: mor(500),
        }
        .abi_encode(),
    );
    let receipt = ok(
        &mut chain,
        2,
        p.wst_eth,
        IWstEth::wrapCall {
            stEthAmount: mor(500),
        }
        .abi_encode(),
    );
    let wrapped = IWstEth::wrapCall::abi_decode_returns(&receipt.output).unwrap();
    assert_eq!(wrapped, mor(400));
    assert_eq!(balance(&chain, p.wst_eth, who), mor(400));
    assert_eq!(
        get(
            &chain,
            p.wst_eth,
            IWstEth::getWstETHByStETHCall {
                stEthAmount: mor(5)
            }
        ),
        mor(4)
    );
    // the wrapper holds exactly its supply in shares
    let supply = get(&chain, p.wst_eth, IWstEth::totalSupplyCall {});
    assert_eq!(shares(&chain, p.st_eth, p.wst_eth), supply);

    // +10%: the wstETH balance stays, its stETH worth grows
    rebase_st_eth_ppm(&mut chain, p.st_eth, 100_000).unwrap();
    assert_eq!(balance(&chain, p.wst_eth, who), mor(400));
    let rate = get(&chain, p.wst_eth, IWstEth::stEthPerTokenCall {});
    assert_eq!(rate, mor(11) / U256::from(8)); // 1.25 * 1.1
    let worth = get(
        &chain,
        p.wst_eth,
        IWstEth::getStETHByWstETHCall {
            wstEthAmount: mor(400),
        },
    );
    assert_eq!(worth, mor(550));

    let before = balance(&chain, p.st_eth, who);
    ok(
        &mut chain,
        2,
        p.wst_eth,
        IWstEth::unwrapCall {
            wstEthAmount: mor(400),
        }
        .abi_encode(),
    );
    assert_eq!(balance(&chain, p.st_eth, who) - before, mor(550));
    assert_eq!(shares(&chain, p.st_eth, who), mor(800));
    assert_eq!(shares(&chain, p.st_eth, p.wst_eth), U256::ZERO);
    let _: IWstEth::ZeroAmount = refused(
        &mut chain,
        2,
        p.wst_eth,
        IWstEth::unwrapCall {
            wstEthAmount: U256::ZERO,
        },
    );
}

// ---- the project token and the fund target ------------------------------------------------------

#[test]
fn the_project_token_mints_only_for_the_minter_its_owner_names() {
    let mut chain = Chain::new();
    let holders = [address_of(0)];
    let init = project_token_init_code("Project", "PROJ", &holders, mor(5)).unwrap();
    let receipt = send(&mut chain, 0, TxKind::Create, init);
    let token = receipt.contract_address.unwrap();
    assert_eq!(balance(&chain, token, address_of(0)), mor(5));
    let mint = || IProjectToken::mintCall {
        to: address_of(3),
        amount: mor(1),
    };
    let err: IProjectToken::NotMinter = refused(&mut chain, 0, token, mint());
    assert_eq!(err.caller, address_of(0));
    // only the owner names the minter
    let set = IProjectToken::setMinterCall {
        newMinter: address_of(2),
    };
    assert!(!send(&mut chain, 2, TxKind::Call(token), set.abi_encode()).status);
    ok(&mut chain, 0, token, set.abi_encode());
    assert_eq!(
        get(&chain, token, IProjectToken::minterCall {}),
        address_of(2)
    );
    ok(&mut chain, 2, token, mint().abi_encode());
    assert_eq!(balance(&chain, token, address_of(3)), mor(1));
    assert_eq!(
        get(&chain, token, IProjectToken::totalSupplyCall {}),
        mor(6)
    );
}

#[test]
fn toggle_fund_pulls_unless_switched_off() {
    let mut chain = Chain::new();
    let mor_token = deploy_mor_token(&mut chain);
    let fund = deploy_toggle_fund(&mut chain, mor_token).unwrap();
    ok(
        &mut chain,
        1,
        mor_token,
        IERC20::approveCall {
            spender: fund,
            value: mor(10),
        }
        .abi_encode(),
    );
    set_toggle_fund_reverting(&mut chain, fund, true).unwrap();
    let err: IToggleFund::FundingSwitchedOff = refused(
        &mut chain,
        1,
        fund,
        IToggleFund::fundCall { amount: mor(3) },
    );
    assert_eq!(err.amount, mor(3));
    assert_eq!(get(&chain, fund, IToggleFund::fundedCall {}), U256::ZERO);
    // only its owner switches it
    let on = IToggleFund::setRevertingCall { value: false };
    assert!(!send(&mut chain, 1, TxKind::Call(fund), on.abi_encode()).status);
    set_toggle_fund_reverting(&mut chain, fund, false).unwrap();
    ok(
        &mut chain,
        1,
        fund,
        IToggleFund::fundCall { amount: mor(3) }.abi_encode(),
    );
    assert_eq!(get(&chain, fund, IToggleFund::fundedCall {}), mor(3));
    assert_eq!(balance(&chain, mor_token, fund), mor(3));
}
