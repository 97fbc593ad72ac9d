//! The harvest on the devnet: the real capital contract Wasm against the genuine Uniswap V2
//! pair and router. Its price comes from the pair's own time-weighted average, so a swap in the
//! same block cannot move it; the window must be old enough; what does not fit the pair's ratio
//! is carried to the next harvest; the owner sets an empty pool's first price only within the
//! bounds fixed at deployment; the protocol-owned liquidity grows and its LP tokens never leave.

use alloy_primitives::{keccak256, Address, U256};
use alloy_sol_types::{SolCall, SolError, SolValue};
use yellowstone_devnet::capital::CapitalConfig;
use yellowstone_devnet::fixtures::IWstEth;
use yellowstone_devnet::uniswap::IUniswapV2Router02;
use yellowstone_protocol::capital::{abi::*, amm::max_swap_in, params::Parameters};

use crate::common::address_of;
use crate::common::capital::*;

const DAY: u64 = 86_400;
const WINDOW: u64 = Parameters::DEFAULT.twap_window;

/// A day of stETH yield (82 ppm, about 3% a year) and the clock a day on: a harvest is due.
fn a_day_later(w: &mut World) {
    w.rebase(82);
    w.advance(DAY);
}

/// The wstETH the contract's current yield wraps into.
fn yield_in_wst(w: &World) -> U256 {
    let t = w.totals();
    w.read(
        w.cap.wst_eth,
        IWstEth::getWstETHByStETHCall {
            stEthAmount: t.backing - t.principal,
        },
    )
}

/// Account 5, the attacker: a bundler holding `wst` wstETH of its own.
fn attacker_with(w: &mut World, wst: U256) -> Address {
    let bundler = deploy_bundler(w, 5);
    let got = w.wrap(5, wst * U256::from(2));
    assert!(got >= wst);
    let token = w.cap.wst_eth;
    w.ok_to(
        5,
        token,
        IToken::transferCall {
            to: bundler,
            value: wst,
        },
    );
    bundler
}

/// The bundle: the attacker's front-run swap of `wst` through UniswapV2Router02 (selling
/// wstETH, as the harvest will), then the harvest, in one transaction.
fn sandwich(w: &World, bundler: Address, wst: U256) -> Vec<u8> {
    let approve = IToken::approveCall {
        spender: w.cap.router,
        value: wst,
    };
    let swap = IUniswapV2Router02::swapExactTokensForTokensCall {
        amountIn: wst,
        amountOutMin: U256::ZERO,
        path: vec![w.cap.wst_eth, w.cap.native],
        to: bundler,
        deadline: U256::from(u64::MAX),
    };
    bundle(&[
        (w.cap.wst_eth, approve.abi_encode()),
        (w.cap.router, swap.abi_encode()),
        (w.cap.capital, C::harvestCall {}.abi_encode()),
    ])
}

/// The selectors of every function in the exported ABI (`abi/IYellowstoneCapital.json`), sorted.
fn exported_selectors() -> Vec<[u8; 4]> {
    let abi: serde_json::Value =
        serde_json::from_str(include_str!("../../../abi/IYellowstoneCapital.json")).unwrap();
    let mut out: Vec<[u8; 4]> = abi
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "function")
        .map(|e| {
            let types: Vec<&str> = e["inputs"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["type"].as_str().unwrap())
                .collect();
            let signature = format!("{}({})", e["name"].as_str().unwrap(), types.join(","));
            keccak256(signature.as_bytes())[..4].try_into().unwrap()
        })
        .collect();
    out.sort();
    out
}

/// Sends raw calldata to `to` from `account`.
fn send_raw(
    w: &mut World,
    account: usize,
    to: Address,
    data: Vec<u8>,
) -> yellowstone_devnet::chain::Receipt {
    crate::common::send(
        &mut w.chain,
        account,
        alloy_primitives::TxKind::Call(to),
        data,
    )
}

#[test]
fn a_same_block_sandwich_around_harvest_is_refused_and_the_harvest_alone_passes() {
    let mut w = world(CapitalConfig::default());
    w.live_pool();
    a_day_later(&mut w);
    let (reserve_wst, _) = w.reserves();
    let bundler = attacker_with(&mut w, reserve_wst / U256::from(4));
    let before = w.chain.snapshot();

    // A front-run of a fifth of the pool's wstETH: spot leaves the average, which the same
    // block's swap cannot move.
    let big = sandwich(&w, bundler, reserve_wst / U256::from(5));
    let receipt = send_raw(&mut w, 5, bundler, big);
    assert!(!receipt.status);
    let e = SpotDeviates::abi_decode(&receipt.output).expect("SpotDeviates");
    assert!(
        e.spotX112 < e.twapX112 * U256::from(90) / U256::from(100),
        "{e:?}"
    );
    assert_eq!(e.maxDeviationBps, U256::from(200));

    // A front-run small enough to stay inside the deviation still cannot make the harvest sell
    // below the average less the fee and slippage.
    let small = sandwich(&w, bundler, reserve_wst / U256::from(200));
    let receipt = send_raw(&mut w, 5, bundler, small);
    assert!(!receipt.status);
    let e = SlippageExceeded::abi_decode(&receipt.output).expect("SlippageExceeded");
    assert!(e.amountOut < e.minimumOut);
    assert_eq!(w.harvest_state().lastHarvest, 0, "nothing happened");

    // From the same state, the same harvest without the attacker's swap passes.
    assert!(w.chain.revert(before));
    let alone = bundle(&[(w.cap.capital, C::harvestCall {}.abi_encode())]);
    let receipt = send_raw(&mut w, 5, bundler, alone);
    assert!(
        receipt.status,
        "0x{}",
        alloy_primitives::hex::encode(&receipt.output)
    );
    let h: Harvested = event(&receipt, w.cap.capital);
    assert!(h.swappedIn > U256::ZERO && h.bought > U256::ZERO && h.liquidity > U256::ZERO);
}

#[test]
fn a_harvest_needs_an_observation_a_twap_window_old() {
    let mut w = world(CapitalConfig::default());
    // Nothing to observe before the pool has a price.
    w.refused::<NoObservation, _>(3, C::harvestCall {});
    w.refused::<PoolEmpty, _>(3, C::pokeCall {});

    // The bootstrap opens an observation; a harvest must wait the window out, to the second.
    w.live_pool();
    let opened = w.harvest_state().observedAt;
    assert_eq!(opened, w.now());
    w.rebase(82);
    w.next_block_in(opened + WINDOW - 1 - w.now());
    let e: TwapWindowTooShort = w.refused(3, C::harvestCall {});
    assert_eq!((e.elapsed, e.minimum), (WINDOW - 1, WINDOW));
    // Nobody may push the window away by re-opening it before twice the window.
    let e: ObservationOpen = w.refused(3, C::pokeCall {});
    assert_eq!(e.reopensAt, opened + 2 * WINDOW);
    w.ok(3, C::harvestCall {});

    // Once a day at most.
    let last = w.harvest_state().lastHarvest;
    w.rebase(82);
    w.next_block_in(last + DAY - 1 - w.now());
    let e: HarvestTooSoon = w.refused(3, C::harvestCall {});
    assert_eq!((e.nextAt, e.now), (last + DAY, last + DAY - 1));

    // A longer window set by the owner (inside its bounds) binds the same way.
    let e: ParameterOutOfBounds = w.refused(
        0,
        C::setParametersCall {
            minLock: DAY,
            twapWindow: 1_799,
            maxDeviationBps: 200,
            slippageBps: 100,
        },
    );
    assert_eq!((e.parameter, e.value), (1, U256::from(1_799)));
    w.set_parameters(7 * DAY, 2 * WINDOW, 200, 100);
    w.advance(3 * WINDOW);
    w.ok(3, C::pokeCall {});
    let opened = w.harvest_state().observedAt;
    w.next_block_in(WINDOW + 1);
    let e: TwapWindowTooShort = w.refused(3, C::harvestCall {});
    assert_eq!((e.elapsed, e.minimum), (WINDOW + 1, 2 * WINDOW));
    w.next_block_in(opened + 2 * WINDOW - w.now());
    w.ok(3, C::harvestCall {});
}

#[test]
fn what_does_not_fit_the_ratio_is_carried_into_the_next_harvest() {
    // Mint mode: the contract holds no native token but what it carries.
    let mut w = world(CapitalConfig {
        mints_native: true,
        reserve: U256::ZERO,
        ..CapitalConfig::default()
    });
    w.live_pool();
    let capital = w.cap.capital;
    let mut carried = (U256::ZERO, U256::ZERO);
    let mut ever_carried = false;
    for day in 0..4u64 {
        // Uneven yields: some days' swaps round differently from others.
        w.rebase(82 + 37 * day as i64);
        w.advance(DAY);
        let wrapped = yield_in_wst(&w);
        let (wst0, native0) = w.reserves();
        assert_eq!((w.wst_eth(capital), w.native(capital)), carried);

        let receipt = w.ok(3, C::harvestCall {});
        let h: Harvested = event(&receipt, capital);
        let s = w.harvest_state();
        assert_eq!(
            (s.carriedWst, s.carriedNative),
            (h.carriedWst, h.carriedNative)
        );
        // What is carried is what the contract holds, no more, no less.
        assert_eq!(
            (w.wst_eth(capital), w.native(capital)),
            (h.carriedWst, h.carriedNative)
        );
        // Everything else went into the pair, the previous carry included.
        let (wst1, native1) = w.reserves();
        assert_eq!(wst1 - wst0, carried.0 + wrapped - h.carriedWst);
        assert_eq!(native1 + h.carriedNative, native0 + carried.1);
        carried = (h.carriedWst, h.carriedNative);
        ever_carried |= carried != (U256::ZERO, U256::ZERO);
    }
    assert!(ever_carried, "no harvest left anything to carry");
}

#[test]
fn a_yield_large_against_the_pool_is_harvested_over_days_never_stuck() {
    // The pool holds 16 wstETH; a 2% rebase brings twice that as yield. Its swap at once would
    // move the price past any slippage bound: each harvest swaps what the bound lets through,
    // pairs it, and carries the rest to the next day's deeper pool.
    let mut w = world(CapitalConfig::default());
    w.live_pool();
    w.set_parameters(7 * DAY, WINDOW, 200, 1_000);
    w.rebase(20_000);
    let capital = w.cap.capital;
    let mut carried = U256::MAX;
    for _ in 0..5 {
        w.advance(DAY);
        let (reserve_wst, _) = w.reserves();
        let receipt = w.ok(3, C::harvestCall {});
        let h: Harvested = event(&receipt, capital);
        assert_eq!(h.swappedIn, max_swap_in(reserve_wst, 1_000).unwrap());
        assert!(h.carriedWst < carried, "the carry shrinks every day");
        assert!(h.liquidity > U256::ZERO);
        carried = h.carriedWst;
    }
    assert!(
        carried > U256::ZERO,
        "still carrying: the bound held every day"
    );
    assert_eq!(w.wst_eth(capital), carried);
}

#[test]
fn the_owner_sets_an_empty_pools_first_price_only_within_bounds() {
    let mut w = world(CapitalConfig {
        min_bootstrap_price_wad: tokens(1_000),
        max_bootstrap_price_wad: tokens(3_000),
        ..CapitalConfig::default()
    });
    w.deposit(1, tokens(1_000));
    w.rebase(10_000);
    let wst = yield_in_wst(&w);
    let (native, capital) = (w.cap.native, w.cap.capital);
    for account in [0, 3] {
        w.approve(account, native, capital, wst * U256::from(4_000));
    }

    let e: NotOwner = w.refused(
        3,
        C::bootstrapPoolCall {
            nativeAmount: wst * U256::from(2_000),
        },
    );
    assert_eq!(e.caller, address_of(3));
    for price in [999u64, 3_001] {
        let e: PriceOutOfBounds = w.refused(
            0,
            C::bootstrapPoolCall {
                nativeAmount: wst * U256::from(price),
            },
        );
        assert_eq!(e.priceWad, tokens(price));
        assert_eq!((e.minimum, e.maximum), (tokens(1_000), tokens(3_000)));
    }

    let receipt = w.ok(
        0,
        C::bootstrapPoolCall {
            nativeAmount: wst * U256::from(2_000),
        },
    );
    let b: PoolBootstrapped = event(&receipt, capital);
    assert_eq!(
        (b.owner, b.wst, b.native),
        (address_of(0), wst, wst * U256::from(2_000))
    );
    assert_eq!(w.reserves(), (wst, wst * U256::from(2_000)));
    assert_eq!(w.lp(capital), b.liquidity);
    assert_eq!(w.harvest_state().liquidity, b.liquidity);
    let t = w.totals();
    assert_eq!(
        t.backing, t.principal,
        "the yield went into the pool, not the principal"
    );

    // Once only: the pool's price is the market's from now on.
    w.rebase(10_000);
    w.refused::<PoolNotEmpty, _>(
        0,
        C::bootstrapPoolCall {
            nativeAmount: tokens(1),
        },
    );
}

#[test]
fn a_real_harvest_grows_the_pol_and_no_function_moves_lp_tokens_out() {
    let mut w = world(CapitalConfig::default());
    w.live_pool();
    let capital = w.cap.capital;
    let mut lp = w.lp(capital);
    let mut reserves = w.reserves();
    for _ in 0..3 {
        a_day_later(&mut w);
        let receipt = w.ok(4, C::harvestCall {});
        let h: Harvested = event(&receipt, capital);
        assert_eq!(w.lp(capital), lp + h.liquidity);
        assert!(w.lp(capital) > lp);
        assert_eq!(w.harvest_state().liquidity, w.lp(capital));
        // The wstETH side grows by the yield; the native side gets back what the swap bought.
        let now = w.reserves();
        assert!(now.0 > reserves.0);
        assert!(now.1 + h.carriedNative >= reserves.1);
        (lp, reserves) = (w.lp(capital), now);
    }

    // Every other function of the contract, by its owner and by anyone: the LP balance holds.
    let owner_calls: Vec<Vec<u8>> = vec![
        C::pauseCall {}.abi_encode(),
        C::unpauseCall {}.abi_encode(),
        C::setParametersCall {
            minLock: DAY,
            twapWindow: WINDOW,
            maxDeviationBps: 1_000,
            slippageBps: 1_000,
        }
        .abi_encode(),
        C::bootstrapPoolCall {
            nativeAmount: tokens(1),
        }
        .abi_encode(),
        C::transferOwnershipCall {
            newOwner: address_of(6),
        }
        .abi_encode(),
    ];
    let anyone: Vec<Vec<u8>> = vec![
        C::pokeCall {}.abi_encode(),
        C::claimCall {}.abi_encode(),
        C::fundComputeCall {}.abi_encode(),
        C::withdrawCall { amount: tokens(1) }.abi_encode(),
        C::depositCall { amount: tokens(1) }.abi_encode(),
        C::harvestCall {}.abi_encode(),
        C::acceptOwnershipCall {}.abi_encode(),
        // The views, sent as transactions.
        C::ownerCall {}.abi_encode(),
        C::pendingOwnerCall {}.abi_encode(),
        C::pausedCall {}.abi_encode(),
        C::positionCall {
            account: address_of(1),
        }
        .abi_encode(),
        C::totalsCall {}.abi_encode(),
        C::harvestStateCall {}.abi_encode(),
        C::parametersCall {}.abi_encode(),
        C::configCall {}.abi_encode(),
        C::scheduleCall {}.abi_encode(),
    ];
    // Those are all the contract exports: a new function must be added here, and so be shown
    // not to move LP tokens.
    let mut called: Vec<[u8; 4]> = owner_calls
        .iter()
        .chain(&anyone)
        .map(|d| d[..4].try_into().unwrap())
        .collect();
    called.sort();
    called.dedup();
    assert_eq!(called, exported_selectors());
    // And selectors that would move an ERC-20 or a position elsewhere: none exists here.
    let strangers: Vec<Vec<u8>> = [
        "transfer(address,uint256)",
        "approve(address,uint256)",
        "transferFrom(address,address,uint256)",
        "burn(uint256)",
        "skim(address)",
        "removeLiquidity(uint256)",
        "withdrawLiquidity(address,uint256)",
        "execute(address,bytes)",
        "multicall(bytes[])",
        "upgradeTo(address)",
    ]
    .iter()
    .map(|s| {
        let mut data = keccak256(s.as_bytes())[..4].to_vec();
        data.extend((w.cap.pair, address_of(0), lp).abi_encode_params());
        data
    })
    .collect();
    w.advance(8 * DAY);
    for (account, data) in owner_calls
        .iter()
        .map(|d| (0, d))
        .chain(anyone.iter().flat_map(|d| [(0, d), (1, d), (7, d)]))
        .chain(strangers.iter().flat_map(|d| [(0, d), (7, d)]))
    {
        send_raw(&mut w, account, capital, data.clone());
        assert_eq!(
            w.lp(capital),
            lp,
            "LP tokens moved by 0x{}",
            alloy_primitives::hex::encode(&data[..4])
        );
    }
    w.ok(6, C::acceptOwnershipCall {});
    assert_eq!(w.lp(capital), lp);
    for data in &strangers {
        let receipt = send_raw(&mut w, 6, capital, data.clone());
        assert!(
            !receipt.status,
            "the contract has no 0x{}",
            alloy_primitives::hex::encode(&data[..4])
        );
    }
}
