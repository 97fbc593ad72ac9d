//! The genuine Uniswap V2 on the devnet ([`yellowstone_devnet::uniswap`]): the committed bytecode is
//! the npm packages' published artifacts; the pair's creation code hashes to the constant
//! Router02 has compiled in, so pairs land where the router looks for them; liquidity, swaps and
//! the cumulative prices behave as Uniswap's; and a rebasing token inside a pair leaks every
//! positive rebase to whoever calls `skim`, which is why the capital contract pairs wstETH. Last,
//! `deploy_capital` puts the capital side beside the compute side without moving it.

use alloy_primitives::{address, keccak256, Address, TxKind, U256};
use alloy_sol_types::{sol, SolCall};
use serde_json::Value;
use sha2::{Digest, Sha256};
use yellowstone_devnet::capital::{
    deploy_capital, rebase_st_eth_ppm, CapitalConfig, CapitalParts, ComputeTarget,
};
use yellowstone_devnet::chain::{BlockTag, Chain};
use yellowstone_devnet::deploy::{deploy_yellowstone, DeployConfig};
use yellowstone_devnet::fixtures::{IProjectToken, IStEth, IWstEth, META_JSON};
use yellowstone_devnet::uniswap::{
    pair_for, sort_tokens, IUniswapV2Factory, IUniswapV2Pair, IUniswapV2Router02, ARTIFACTS,
    FACTORY, PAIR, PAIR_INIT_CODE_HASH, ROUTER02, WETH9,
};

use crate::common::{address_of, mor, ok, send};
use crate::steth::{get, parts};

/// A deadline that never passes.
const NEVER: U256 = U256::MAX;

// ---- provenance ---------------------------------------------------------------------------------

/// keccak-256 of each committed creation bytecode, as extracted from the npm packages: a change
/// to a committed file fails here.
const PUBLISHED: [(&str, &str); 4] = [
    (
        "UniswapV2Factory",
        "0x8716c49c3c982e1d8b8beaab0a95d88cc5ec06681dded0f951fa1f3059c1e32a",
    ),
    (
        "UniswapV2Pair",
        "0x96e8ac4277198ff8b6f785478aa9a39f403cb768dd02cbee326c3e7da348845f",
    ),
    (
        "UniswapV2Router02",
        "0x60ed3c9563fab19baceb6555668bf136db1f18d96b3b177f3726fccdb254f94b",
    ),
    (
        "WETH9",
        "0xe6818d3e452d5d03c7fabb0e72a91ecc8e57af4a3fcabe601b24005ed7475a46",
    ),
];

#[test]
fn the_committed_bytecode_is_the_published_artifacts() {
    let meta: Value = serde_json::from_str(META_JSON).unwrap();
    let lock: Value = serde_json::from_str(include_str!(
        "../../../contracts/evm-fixtures/package-lock.json"
    ))
    .unwrap();
    for (artifact, (name, hash)) in ARTIFACTS.iter().zip(PUBLISHED) {
        assert_eq!(artifact.name, name);
        let code = artifact.creation_code().unwrap();
        assert_eq!(format!("{}", keccak256(&code)), hash, "{name}");
        let record = &meta["uniswap"][name];
        assert_eq!(record["package"], artifact.package, "{name}");
        let sha = format!("{:x}", Sha256::digest(artifact.creation_hex.trim()));
        assert_eq!(record["creationBytecodeSha256"], sha, "{name}");
        // the tarball it came from is the one the lock file pins
        let (package, version) = artifact.package.rsplit_once('@').unwrap();
        let entry = &lock["packages"][format!("node_modules/{package}")];
        assert_eq!(entry["version"], version, "{name}");
        assert_eq!(record["integrity"], entry["integrity"], "{name}");
    }
}

#[test]
fn the_pair_init_code_hash_is_the_one_router02_hard_codes() {
    let pair = PAIR.creation_code().unwrap();
    assert_eq!(keccak256(&pair), PAIR_INIT_CODE_HASH);
    let router = ROUTER02.creation_code().unwrap();
    let hash = PAIR_INIT_CODE_HASH.as_slice();
    assert!(router.windows(32).any(|w| w == hash));
    // the factory creates pairs from exactly that code
    let factory = FACTORY.creation_code().unwrap();
    assert!(factory.windows(pair.len()).any(|w| w == pair.as_slice()));
    assert!(!WETH9.creation_code().unwrap().is_empty());
}

// ---- pairs, liquidity, swaps --------------------------------------------------------------------

/// Wraps `st_eth` stETH of `account` into wstETH and approves `spender` for all of it and of
/// the native token; returns the wstETH.
fn wrap_and_approve(
    chain: &mut Chain,
    p: &CapitalParts,
    account: usize,
    st_eth: U256,
    spender: Address,
) -> U256 {
    let approve = |token| {
        (
            token,
            IStEth::approveCall {
                spender,
                amount: U256::MAX,
            },
        )
    };
    ok(
        chain,
        account,
        p.st_eth,
        IStEth::approveCall {
            spender: p.wst_eth,
            amount: st_eth,
        }
        .abi_encode(),
    );
    let receipt = ok(
        chain,
        account,
        p.wst_eth,
        IWstEth::wrapCall {
            stEthAmount: st_eth,
        }
        .abi_encode(),
    );
    for (token, call) in [approve(p.wst_eth), approve(p.native), approve(p.st_eth)] {
        ok(chain, account, token, call.abi_encode());
    }
    IWstEth::wrapCall::abi_decode_returns(&receipt.output).unwrap()
}

fn add_liquidity(
    chain: &mut Chain,
    p: &CapitalParts,
    account: usize,
    (a, amount_a): (Address, U256),
    (b, amount_b): (Address, U256),
) -> U256 {
    let receipt = ok(
        chain,
        account,
        p.router,
        IUniswapV2Router02::addLiquidityCall {
            tokenA: a,
            tokenB: b,
            amountADesired: amount_a,
            amountBDesired: amount_b,
            amountAMin: U256::ZERO,
            amountBMin: U256::ZERO,
            to: address_of(account),
            deadline: NEVER,
        }
        .abi_encode(),
    );
    IUniswapV2Router02::addLiquidityCall::abi_decode_returns(&receipt.output)
        .unwrap()
        .liquidity
}

/// `(reserve of a, reserve of b, blockTimestampLast)` of `pair`.
fn reserves(chain: &Chain, pair: Address, a: Address, b: Address) -> (U256, U256, u32) {
    let r = get(chain, pair, IUniswapV2Pair::getReservesCall {});
    let (r0, r1) = (U256::from(r.reserve0), U256::from(r.reserve1));
    let (token0, _) = sort_tokens(a, b);
    if token0 == a {
        (r0, r1, r.blockTimestampLast)
    } else {
        (r1, r0, r.blockTimestampLast)
    }
}

/// Uniswap V2's `getAmountOut`: 0.3% fee on the input.
fn amount_out(amount_in: U256, r_in: U256, r_out: U256) -> U256 {
    let in_with_fee = amount_in * U256::from(997);
    in_with_fee * r_out / (r_in * U256::from(1000) + in_with_fee)
}

#[test]
fn create_pair_lands_where_the_router_looks() {
    let (mut chain, p) = parts();
    assert_eq!(p.pair, pair_for(p.factory, p.wst_eth, p.native));
    assert_eq!(p.pair, pair_for(p.factory, p.native, p.wst_eth));
    let found = get(
        &chain,
        p.factory,
        IUniswapV2Factory::getPairCall {
            tokenA: p.native,
            tokenB: p.wst_eth,
        },
    );
    assert_eq!(found, p.pair);
    let (token0, token1) = sort_tokens(p.wst_eth, p.native);
    assert_eq!(get(&chain, p.pair, IUniswapV2Pair::token0Call {}), token0);
    assert_eq!(get(&chain, p.pair, IUniswapV2Pair::token1Call {}), token1);
    assert_eq!(
        get(&chain, p.router, IUniswapV2Router02::factoryCall {}),
        p.factory
    );
    assert_eq!(
        get(&chain, p.router, IUniswapV2Router02::WETHCall {}),
        p.weth
    );
    let setter = get(&chain, p.factory, IUniswapV2Factory::feeToSetterCall {});
    assert_eq!(setter, address_of(0));

    // a second pair, created through the factory by anyone, lands at its CREATE2 address too
    let receipt = ok(
        &mut chain,
        3,
        p.factory,
        IUniswapV2Factory::createPairCall {
            tokenA: p.st_eth,
            tokenB: p.weth,
        }
        .abi_encode(),
    );
    let pair = IUniswapV2Factory::createPairCall::abi_decode_returns(&receipt.output).unwrap();
    assert_eq!(pair, pair_for(p.factory, p.weth, p.st_eth));
    let code = chain.code(pair, BlockTag::Latest).unwrap();
    assert!(!code.is_empty());
    // creating it again is refused (UniswapV2: PAIR_EXISTS)
    let again = IUniswapV2Factory::createPairCall {
        tokenA: p.weth,
        tokenB: p.st_eth,
    };
    assert!(!send(&mut chain, 3, TxKind::Call(p.factory), again.abi_encode()).status);
}

#[test]
fn liquidity_and_swaps_through_router02() {
    let (mut chain, p) = parts();
    let wst = wrap_and_approve(&mut chain, &p, 1, mor(500), p.router);
    assert_eq!(wst, mor(400));
    // 100 wstETH against 80,000 MOR: 800 MOR per wstETH
    let liquidity = add_liquidity(
        &mut chain,
        &p,
        1,
        (p.wst_eth, mor(100)),
        (p.native, mor(80_000)),
    );
    let root = (mor(100) * mor(80_000)).root(2);
    assert_eq!(liquidity, root - U256::from(1_000)); // less the minimum locked forever
    let lp = get(
        &chain,
        p.pair,
        IUniswapV2Pair::balanceOfCall {
            owner: address_of(1),
        },
    );
    assert_eq!(lp, liquidity);
    let (rw, rn, _) = reserves(&chain, p.pair, p.wst_eth, p.native);
    assert_eq!((rw, rn), (mor(100), mor(80_000)));

    // the router prices from the pair at pairFor's address: its quote is the pair's formula
    let path = vec![p.wst_eth, p.native];
    let quote = get(
        &chain,
        p.router,
        IUniswapV2Router02::getAmountsOutCall {
            amountIn: mor(1),
            path: path.clone(),
        },
    );
    let expected = amount_out(mor(1), rw, rn);
    assert_eq!(quote, vec![mor(1), expected]);

    wrap_and_approve(&mut chain, &p, 2, mor(5), p.router);
    let before = get(
        &chain,
        p.native,
        IUniswapV2Pair::balanceOfCall {
            owner: address_of(2),
        },
    );
    let swap = |min| IUniswapV2Router02::swapExactTokensForTokensCall {
        amountIn: mor(1),
        amountOutMin: min,
        path: path.clone(),
        to: address_of(2),
        deadline: NEVER,
    };
    // a minimum one wei above what the pool gives is refused (INSUFFICIENT_OUTPUT_AMOUNT)
    let greedy = swap(expected + U256::from(1)).abi_encode();
    assert!(!send(&mut chain, 2, TxKind::Call(p.router), greedy).status);
    ok(&mut chain, 2, p.router, swap(expected).abi_encode());
    let after = get(
        &chain,
        p.native,
        IUniswapV2Pair::balanceOfCall {
            owner: address_of(2),
        },
    );
    assert_eq!(after - before, expected);
    let (rw2, rn2, _) = reserves(&chain, p.pair, p.wst_eth, p.native);
    assert_eq!((rw2, rn2), (rw + mor(1), rn - expected));
}

/// UQ112x112 `num / den`, as the pair accumulates it.
fn price_x112(num: U256, den: U256) -> U256 {
    (num << 112) / den
}

#[test]
fn cumulative_prices_advance_with_time() {
    let (mut chain, p) = parts();
    wrap_and_approve(&mut chain, &p, 1, mor(500), p.router);
    add_liquidity(
        &mut chain,
        &p,
        1,
        (p.wst_eth, mor(100)),
        (p.native, mor(80_000)),
    );
    let (token0, _) = sort_tokens(p.wst_eth, p.native);
    let cumulative = |chain: &Chain, of_wst: bool| {
        if (token0 == p.wst_eth) == of_wst {
            get(chain, p.pair, IUniswapV2Pair::price0CumulativeLastCall {})
        } else {
            get(chain, p.pair, IUniswapV2Pair::price1CumulativeLastCall {})
        }
    };
    // the first liquidity starts the clock at zero
    let (rw, rn, t0) = reserves(&chain, p.pair, p.wst_eth, p.native);
    assert_eq!(cumulative(&chain, true), U256::ZERO);

    // ten minutes later, a swap accrues ten minutes of the old price before it moves it
    chain.set_next_block_timestamp(u64::from(t0) + 600).unwrap();
    wrap_and_approve(&mut chain, &p, 2, mor(50), p.router);
    let (_, _, t_approve) = reserves(&chain, p.pair, p.wst_eth, p.native);
    assert_eq!(t_approve, t0, "approvals do not touch the pair");
    let path = vec![p.wst_eth, p.native];
    ok(
        &mut chain,
        2,
        p.router,
        IUniswapV2Router02::swapExactTokensForTokensCall {
            amountIn: mor(10),
            amountOutMin: U256::ZERO,
            path,
            to: address_of(2),
            deadline: NEVER,
        }
        .abi_encode(),
    );
    let (rw1, rn1, t1) = reserves(&chain, p.pair, p.wst_eth, p.native);
    let dt1 = U256::from(t1 - t0);
    assert!(dt1 >= U256::from(600));
    let wst_price = price_x112(rn, rw); // native per wstETH
    let native_price = price_x112(rw, rn);
    assert_eq!(cumulative(&chain, true), wst_price * dt1);
    assert_eq!(cumulative(&chain, false), native_price * dt1);

    // half an hour later, a sync accrues the new price
    chain
        .set_next_block_timestamp(u64::from(t1) + 1_800)
        .unwrap();
    ok(
        &mut chain,
        3,
        p.pair,
        IUniswapV2Pair::syncCall {}.abi_encode(),
    );
    let (_, _, t2) = reserves(&chain, p.pair, p.wst_eth, p.native);
    assert_eq!(t2, t1 + 1_800);
    let twap = (cumulative(&chain, true) - wst_price * dt1) / U256::from(1_800);
    assert_eq!(twap, price_x112(rn1, rw1));
    assert!(twap < wst_price, "selling wstETH lowered its price");
}

// ---- why the pair holds wstETH ------------------------------------------------------------------

#[test]
fn a_rebasing_token_in_a_pair_leaks_each_rebase_to_skim() {
    let (mut chain, p) = parts();
    let attacker = address_of(7);
    // a pair of stETH itself against the native token, with liquidity
    ok(
        &mut chain,
        1,
        p.factory,
        IUniswapV2Factory::createPairCall {
            tokenA: p.st_eth,
            tokenB: p.native,
        }
        .abi_encode(),
    );
    let pair = pair_for(p.factory, p.st_eth, p.native);
    wrap_and_approve(&mut chain, &p, 1, mor(5), p.router);
    add_liquidity(
        &mut chain,
        &p,
        1,
        (p.st_eth, mor(100)),
        (p.native, mor(80_000)),
    );
    let (reserve, _, _) = reserves(&chain, pair, p.st_eth, p.native);
    assert_eq!(reserve, mor(100));

    // +1%: the pair's stETH balance grows past its reserve
    rebase_st_eth_ppm(&mut chain, p.st_eth, 10_000).unwrap();
    let held = get(&chain, p.st_eth, IStEth::balanceOfCall { account: pair });
    assert_eq!(held - reserve, mor(1));
    let stolen = |chain: &Chain| get(chain, p.st_eth, IStEth::balanceOfCall { account: attacker });
    let before = stolen(&chain);
    ok(
        &mut chain,
        7,
        pair,
        IUniswapV2Pair::skimCall { to: attacker }.abi_encode(),
    );
    // the whole rebase, less at most a couple of wei of share rounding, went to the caller
    let gain = stolen(&chain) - before;
    assert!(gain <= mor(1) && mor(1) - gain <= U256::from(2), "{gain}");
    let (reserve_after, _, _) = reserves(&chain, pair, p.st_eth, p.native);
    assert_eq!(
        reserve_after, reserve,
        "the liquidity providers got none of it"
    );
}

#[test]
fn a_wrapped_token_in_a_pair_keeps_each_rebase() {
    let (mut chain, p) = parts();
    let attacker = address_of(7);
    wrap_and_approve(&mut chain, &p, 1, mor(500), p.router);
    add_liquidity(
        &mut chain,
        &p,
        1,
        (p.wst_eth, mor(100)),
        (p.native, mor(80_000)),
    );
    let worth = |chain: &Chain| {
        let (reserve, _, _) = reserves(chain, p.pair, p.wst_eth, p.native);
        get(
            chain,
            p.wst_eth,
            IWstEth::getStETHByWstETHCall {
                wstEthAmount: reserve,
            },
        )
    };
    assert_eq!(worth(&chain), mor(125));

    rebase_st_eth_ppm(&mut chain, p.st_eth, 10_000).unwrap();
    let held = get(
        &chain,
        p.wst_eth,
        IWstEth::balanceOfCall { account: p.pair },
    );
    let (reserve, _, _) = reserves(&chain, p.pair, p.wst_eth, p.native);
    assert_eq!(held, reserve, "nothing for skim");
    ok(
        &mut chain,
        7,
        p.pair,
        IUniswapV2Pair::skimCall { to: attacker }.abi_encode(),
    );
    let got = get(
        &chain,
        p.wst_eth,
        IWstEth::balanceOfCall { account: attacker },
    );
    assert_eq!(got, U256::ZERO);
    // the rebase stays in the pool, for its liquidity providers
    assert_eq!(worth(&chain), mor(12_625) / U256::from(100));
}

// ---- the capital side's deployment --------------------------------------------------------------

sol! {
    interface ICapitalDeployed {
        function owner() external view returns (address);
        function config() external view returns (address stEth, address wstEth, address native, address pair, address compute, bool mintsNative);
        function schedule() external view returns (uint64 payoutStart, uint64 interval, uint256 capitalInitial, uint256 capitalDecrease, uint256 computeInitial, uint256 computeDecrease);
    }
}

fn artifacts_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/stylus")
}

#[test]
fn deploy_capital_leaves_the_compute_side_where_it_was() {
    let mut chain = Chain::new();
    let dir = artifacts_dir();
    let base = deploy_yellowstone(&mut chain, &dir, &DeployConfig::default()).unwrap();
    let config = CapitalConfig::default();
    let c = deploy_capital(&mut chain, &dir, &base, &config).unwrap();
    // the compute side was deployed first, from account 0's first nonces: it never moves
    let deployer = address_of(0);
    assert_eq!(
        (base.mor, base.compute),
        (deployer.create(0), deployer.create(1))
    );
    assert_eq!(c.native, base.mor);
    assert!(!c.mints_native);
    // the default deployment's addresses, as the documentation lists them
    assert_eq!(
        [c.weth, c.factory, c.router, c.st_eth, c.wst_eth, c.pair, c.capital],
        [
            address!("5fc8d32690cc91d4c39d9d3abcbd16989f875707"),
            address!("0165878a594ca255338adfa4d48449f69242eb8f"),
            address!("a513e6e4b8f2a923d98304ec87f64353c4d5c853"),
            address!("2279b7a0a67db372996a5fab50d91eaa73d2ebe6"),
            address!("b7f8bc63bbcad18155201308c8f3540b07f84f5e"),
            address!("b383e2287ecf2ec86e5c50c34313dd8baa6e7dd1"),
            address!("322813fd9a801c5507c9de605d63cea4f2ce6c44"),
        ]
    );
    assert_eq!(c.pair, pair_for(c.factory, c.wst_eth, c.native));

    let got = get(&chain, c.capital, ICapitalDeployed::configCall {});
    assert_eq!(
        (
            got.stEth,
            got.wstEth,
            got.native,
            got.pair,
            got.compute,
            got.mintsNative
        ),
        (c.st_eth, c.wst_eth, c.native, c.pair, base.compute, false)
    );
    assert_eq!(
        get(&chain, c.capital, ICapitalDeployed::ownerCall {}),
        address_of(0)
    );
    let s = get(&chain, c.capital, ICapitalDeployed::scheduleCall {});
    assert_eq!(
        (
            s.payoutStart,
            s.interval,
            s.capitalInitial,
            s.computeDecrease
        ),
        (
            config.payout_start,
            config.interval,
            config.capital_initial,
            config.compute_decrease
        )
    );
    // the reserve is funded; every account holds its stETH
    let reserve = get(
        &chain,
        c.native,
        IStEth::balanceOfCall { account: c.capital },
    );
    assert_eq!(reserve, config.reserve);
    for account in 0..10 {
        let held = get(
            &chain,
            c.st_eth,
            IStEth::balanceOfCall {
                account: address_of(account),
            },
        );
        assert!(held >= config.st_eth_each, "account {account}");
    }
    // the deployment file carries it
    let mut file = base.clone();
    file.capital = Some(c.clone());
    let json = serde_json::to_string(&file).unwrap();
    assert_eq!(
        serde_json::from_str::<yellowstone_devnet::deploy::Deployment>(&json).unwrap(),
        file
    );
}

#[test]
fn deploy_capital_in_mint_mode_makes_the_contract_the_minter() {
    let mut chain = Chain::new();
    let dir = artifacts_dir();
    let base = deploy_yellowstone(&mut chain, &dir, &DeployConfig::default()).unwrap();
    let config = CapitalConfig {
        mints_native: true,
        reserve: U256::ZERO,
        compute: ComputeTarget::ToggleFund,
        ..CapitalConfig::default()
    };
    let c = deploy_capital(&mut chain, &dir, &base, &config).unwrap();
    assert!(c.mints_native);
    assert_ne!(c.native, base.mor);
    assert_eq!(
        get(&chain, c.native, IProjectToken::minterCall {}),
        c.capital
    );
    let got = get(&chain, c.capital, ICapitalDeployed::configCall {});
    assert!(got.mintsNative);
    assert_ne!(got.compute, base.compute);
    let fund_token = get(
        &chain,
        got.compute,
        yellowstone_devnet::fixtures::IToggleFund::tokenCall {},
    );
    assert_eq!(fund_token, c.native);

    // a reserve in mint mode is refused before any transaction
    let bad = CapitalConfig {
        mints_native: true,
        ..CapitalConfig::default()
    };
    let block = chain.block_number();
    let err = deploy_capital(&mut chain, &dir, &base, &bad).unwrap_err();
    assert!(err.to_string().contains("mint mode"), "{err}");
    assert_eq!(chain.block_number(), block);
}
