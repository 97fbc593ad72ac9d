//! The harvest: yield wrapped, swapped at the pair's own time-weighted price, added as liquidity
//! that never leaves; and every refusal that guards it.

use alloy_primitives::U256;
use alloy_sol_types::SolCall;
use yellowstone_capital::CapitalError;
use yellowstone_protocol::capital::abi::*;

use crate::common::{sim::IPair, sim::IToken, *};

const WINDOW: u64 = 1_800;

/// A pool of 100 wstETH at 1,000 native each, Alice's 100 stETH with a 1% rebase of yield, an
/// observation opened and the TWAP window passed.
fn ready(config: Config) -> World {
    let mut w = World::deploy_with(config);
    w.seed_pool(eth(100));
    w.give_st_eth(ALICE, eth(100));
    w.deposit(ALICE, eth(100)).unwrap();
    w.rebase_bps(100);
    w.advance(60);
    w.poke().unwrap();
    w.advance(WINDOW);
    w
}

/// UQ112x112 of `num / den`.
fn x112(num: U256, den: U256) -> U256 {
    (num << 112usize) / den
}

#[test]
fn a_harvest_turns_the_yield_into_liquidity_the_contract_keeps() {
    let mut w = ready(Config::default());
    let principal = w.totals().principal;
    let yielded = w.totals().backing - principal;
    let lp_before = w.chain.sim(|s| s.pair.lp.balance(CAPITAL));
    w.harvest().unwrap();
    let e = w.tx_event::<Harvested>();
    assert_eq!(e.r#yield, yielded);
    let (last, observed_at, _, carried_wst, carried_native, liquidity) = w.c().harvest_state();
    assert_eq!(
        (last, observed_at),
        (w.now(), w.now()),
        "a fresh observation opens"
    );
    assert!(liquidity > U256::ZERO);
    assert_eq!(e.liquidity, liquidity);
    assert_eq!(
        w.chain.sim(|s| s.pair.lp.balance(CAPITAL)) - lp_before,
        liquidity
    );
    // About half the wrapped yield was sold, at about the pool's price.
    let wrapped = w.chain.sim(|s| s.st_eth.shares_for_test(yielded));
    assert!(e.swappedIn > wrapped * U256::from(49) / U256::from(100));
    assert!(e.swappedIn < wrapped / U256::from(2));
    assert!(e.bought > e.swappedIn * U256::from(980) && e.bought < e.swappedIn * U256::from(1_000));
    // What did not fit is carried, and held.
    assert_eq!(
        (e.carriedWst, e.carriedNative),
        (carried_wst, carried_native)
    );
    assert_eq!(w.chain.sim(|s| s.wst_eth.balance(CAPITAL)), carried_wst);
    assert_eq!(w.native_of(CAPITAL), carried_native);
    assert!(
        carried_wst < wrapped / U256::from(1_000) && carried_native < e.bought / U256::from(1_000)
    );
    // The principal is untouched.
    assert!(w.st_eth_of(CAPITAL) >= principal);
    assert!(w.st_eth_of(CAPITAL) - principal <= U256::from(2));
}

#[test]
fn the_harvest_works_with_wst_eth_as_token1() {
    let mut w = ready(Config {
        wst_is_token0: false,
        ..Config::default()
    });
    w.harvest().unwrap();
    assert!(w.tx_event::<Harvested>().liquidity > U256::ZERO);
}

#[test]
fn a_harvest_runs_at_most_once_a_day() {
    let mut w = ready(Config::default());
    w.harvest().unwrap();
    let last = w.now();
    w.rebase_bps(100);
    w.advance(DAY - 1);
    assert_eq!(
        w.harvest(),
        Err(HarvestTooSoon {
            nextAt: last + DAY,
            now: last + DAY - 1
        }
        .into())
    );
    w.advance(1);
    w.harvest().unwrap();
}

#[test]
fn carried_leftovers_join_the_next_harvest_and_nothing_is_lost() {
    let mut w = ready(Config::default());
    w.harvest().unwrap();
    let first = w.tx_event::<Harvested>();
    w.rebase_bps(100);
    w.advance(DAY);
    let yielded = w.totals().backing - w.totals().principal;
    let wrapped = w.chain.sim(|s| s.st_eth.shares_for_test(yielded));
    let (wst_before, native_before) = w.chain.sim(|s| s.reserves_wst_native());
    w.harvest().unwrap();
    let second = w.tx_event::<Harvested>();
    let (wst_after, native_after) = w.chain.sim(|s| s.reserves_wst_native());
    // Every wstETH at hand (wrapped now, carried from before) went into the pair or is carried.
    assert_eq!(
        wst_after - wst_before + second.carriedWst,
        wrapped + first.carriedWst
    );
    // Every native token at hand (bought now, carried from before) likewise.
    let native_added = native_after + second.bought - native_before;
    assert_eq!(
        native_added + second.carriedNative,
        second.bought + first.carriedNative
    );
    assert_eq!(
        w.chain.sim(|s| s.wst_eth.balance(CAPITAL)),
        second.carriedWst
    );
    assert_eq!(w.native_of(CAPITAL), second.carriedNative);
}

#[test]
fn carried_native_is_not_part_of_the_reserve() {
    let mut w = ready(Config::default());
    // wstETH sent to the pair outside a swap lowers its price after the harvest's swap, so the
    // harvest's native side is left over.
    w.chain
        .sim_mut(|s| s.wst_eth.mint(PAIR, eth(1) / U256::from(10)));
    w.harvest().unwrap();
    let carried = w.tx_event::<Harvested>().carriedNative;
    assert!(carried > U256::ZERO, "the harvest left native carried");
    w.chain.sim_mut(|s| s.native.mint(CAPITAL, eth(1)));
    let owed = w.position(ALICE).2;
    assert!(owed > eth(1));
    assert_eq!(
        w.claim(ALICE),
        Err(ReserveShort {
            needed: owed,
            available: eth(1)
        }
        .into()),
        "{carried} carried is held for the next harvest"
    );
}

#[test]
fn a_harvest_needs_an_observation_as_old_as_the_window() {
    let mut w = World::deploy();
    w.seed_pool(eth(100));
    w.give_st_eth(ALICE, eth(100));
    w.deposit(ALICE, eth(100)).unwrap();
    w.rebase_bps(100);
    assert_eq!(w.harvest(), Err(NoObservation {}.into()));
    w.poke().unwrap();
    w.advance(WINDOW - 1);
    assert_eq!(
        w.harvest(),
        Err(TwapWindowTooShort {
            elapsed: WINDOW - 1,
            minimum: WINDOW
        }
        .into())
    );
    w.advance(1);
    w.harvest().unwrap();
}

#[test]
fn an_observation_cannot_be_pushed_away() {
    // A griefer re-poking every block would keep any harvest from ever seeing a full window.
    let mut w = World::deploy();
    w.seed_pool(eth(100));
    w.poke().unwrap();
    let at = w.now();
    assert_eq!(w.tx_event::<Poked>().timestamp, at,);
    w.advance(2 * WINDOW - 1);
    assert_eq!(
        w.poke(),
        Err(ObservationOpen {
            reopensAt: at + 2 * WINDOW,
            now: at + 2 * WINDOW - 1
        }
        .into())
    );
    w.advance(1);
    w.poke().unwrap();
}

#[test]
fn an_empty_pool_cannot_be_observed_or_harvested() {
    let mut w = World::deploy();
    assert_eq!(w.poke(), Err(PoolEmpty {}.into()));
    // A pool drained after the observation opened (every LP burned out) refuses the harvest.
    let mut w = ready(Config::default());
    w.chain.sim_mut(|s| {
        s.pair.reserve0 = U256::ZERO;
        s.pair.reserve1 = U256::ZERO;
    });
    assert_eq!(w.harvest(), Err(PoolEmpty {}.into()));
}

#[test]
fn a_same_block_sandwich_is_refused_by_the_deviation_guard() {
    // The attacker pumps the native token's price in the harvest's block (selling wstETH
    // cheap is what the harvest does, so it pushes wstETH's price the other way first):
    // spot moves, the TWAP (from the cumulative at the block's start) does not.
    let mut w = ready(Config::default());
    let now = w.now();
    let twap = x112(eth(100_000), eth(100));
    w.chain
        .sim_mut(|s| s.trade(TRADER, NATIVE, eth(5_000), now));
    let (rw, rn) = w.chain.sim(|s| s.reserves_wst_native());
    let spot = x112(rn, rw);
    assert_eq!(
        w.harvest(),
        Err(SpotDeviates {
            spotX112: spot,
            twapX112: twap,
            maxDeviationBps: U256::from(200)
        }
        .into())
    );
    // The back-run restores the price; the harvest then passes at the fair price.
    let wst_back = w.chain.sim(|s| s.wst_eth.balance(TRADER));
    w.chain.sim_mut(|s| {
        s.wst_eth.balances.insert(TRADER, U256::ZERO);
        s.trade(TRADER, WST_ETH, wst_back, now)
    });
    w.harvest().unwrap();
}

#[test]
fn a_price_held_through_the_window_moves_the_average() {
    // Trades in earlier blocks count in the TWAP in proportion to how long they held.
    let mut w = ready(Config::default());
    let now = w.now();
    w.chain
        .sim_mut(|s| s.trade(TRADER, NATIVE, eth(3_000), now));
    w.advance(WINDOW);
    // Half the window at 1,000 and half at the moved price: spot is ~3% off the average.
    let err = w.harvest().unwrap_err();
    assert!(matches!(err, CapitalError::SpotDeviates(_)), "{err:?}");
}

#[test]
fn a_yield_too_large_for_a_thin_pool_is_swapped_in_slices_and_the_rest_carried() {
    // A thin pool: 1 wstETH against a yield of about 1 wstETH. Swapping half at once would move
    // the price ~30% and never fill the TWAP minimum; the harvest swaps only what fits in half
    // the slippage bound (1% slippage: 0.5% of the reserve) and carries the rest to later days,
    // when the pool is deeper.
    let mut w = World::deploy();
    w.seed_pool(eth(1));
    w.give_st_eth(ALICE, eth(100));
    w.deposit(ALICE, eth(100)).unwrap();
    w.rebase_bps(100);
    w.poke().unwrap();
    w.advance(WINDOW);
    w.harvest().unwrap();
    let first = w.tx_event::<Harvested>();
    assert_eq!(first.swappedIn, eth(1) / U256::from(200), "the cap");
    assert!(
        first.carriedWst > eth(1) / U256::from(2),
        "most of the yield waits"
    );
    w.advance(DAY);
    w.harvest().unwrap();
    let second = w.tx_event::<Harvested>();
    assert!(second.swappedIn > U256::ZERO && second.carriedWst < first.carriedWst);
}

#[test]
fn a_front_run_inside_the_deviation_bound_is_refused_by_the_minimum() {
    // The attacker sells 0.75 wstETH into a 100 wstETH pool in the harvest's block: spot falls
    // ~1.5%, inside the 2% deviation bound, but the harvest's swap would then fill below the
    // TWAP quote less 1% slippage.
    let mut w = ready(Config::default());
    let now = w.now();
    w.chain
        .sim_mut(|s| s.trade(TRADER, WST_ETH, eth(3) / U256::from(4), now));
    let err = w.harvest().unwrap_err();
    let CapitalError::SlippageExceeded(SlippageExceeded {
        amountOut,
        minimumOut,
    }) = err
    else {
        panic!("{err:?}");
    };
    assert!(amountOut < minimumOut);
}

#[test]
fn with_no_yield_there_is_nothing_to_harvest() {
    let mut w = World::deploy();
    w.seed_pool(eth(100));
    w.give_st_eth(ALICE, eth(100));
    w.deposit(ALICE, eth(100)).unwrap();
    w.poke().unwrap();
    w.advance(WINDOW);
    assert_eq!(w.harvest(), Err(NothingToHarvest {}.into()));
}

#[test]
fn a_harvest_under_a_loss_wraps_nothing_of_the_principal() {
    let mut w = ready(Config::default());
    w.rebase_bps(-300);
    assert_eq!(w.harvest(), Err(NothingToHarvest {}.into()));
}

#[test]
fn pause_stops_harvests_but_not_pokes() {
    let mut w = ready(Config::default());
    w.tx(OWNER, |c| c.pause()).unwrap();
    assert_eq!(w.harvest(), Err(EnforcedPause {}.into()));
    w.advance(2 * WINDOW);
    w.poke().unwrap();
}

#[test]
fn the_harvest_talks_to_the_pair_directly_and_never_moves_lp_tokens() {
    let mut w = ready(Config::default());
    w.harvest().unwrap();
    let forbidden = [
        IToken::transferCall::SELECTOR,
        IToken::transferFromCall::SELECTOR,
        IToken::approveCall::SELECTOR,
        IPair::burnCall::SELECTOR,
    ];
    for call in w.chain.calls() {
        if call.to == PAIR {
            assert!(
                !forbidden.contains(&call.data[..4].try_into().unwrap()),
                "{call:?}"
            );
        }
    }
    let pair_writes: Vec<[u8; 4]> = w
        .tx_calls()
        .into_iter()
        .filter(|c| c.to == PAIR && !c.is_static())
        .map(|c| c.data[..4].try_into().unwrap())
        .collect();
    assert_eq!(
        pair_writes,
        [IPair::swapCall::SELECTOR, IPair::mintCall::SELECTOR]
    );
}

// ---- the bootstrap ----

/// An empty pair and Alice's yield of about 1 stETH; the owner holds native tokens approved.
fn empty_pool() -> World {
    let mut w = World::deploy();
    w.give_st_eth(ALICE, eth(100));
    w.deposit(ALICE, eth(100)).unwrap();
    w.rebase_bps(100);
    w.chain.sim_mut(|s| {
        s.native.mint(OWNER, eth(1_000_000));
        s.native.allowances.insert((OWNER, CAPITAL), U256::MAX);
    });
    w
}

#[test]
fn the_owner_sets_the_first_price_within_the_deployment_bounds() {
    let mut w = empty_pool();
    let yielded = w.totals().backing - w.totals().principal;
    let wst = w.chain.sim(|s| s.st_eth.shares_for_test(yielded));
    assert_eq!(
        w.tx(ALICE, |c| c.bootstrap_pool(eth(1_000))),
        Err(NotOwner { caller: ALICE }.into())
    );
    assert_eq!(
        w.tx(OWNER, |c| c.bootstrap_pool(U256::ZERO)),
        Err(ZeroAmount {}.into())
    );
    let low = wst * U256::from(99);
    assert_eq!(
        w.tx(OWNER, |c| c.bootstrap_pool(low)),
        Err(PriceOutOfBounds {
            priceWad: low * eth(1) / wst,
            minimum: eth(100),
            maximum: eth(10_000)
        }
        .into())
    );
    let high = wst * U256::from(10_001);
    assert!(matches!(
        w.tx(OWNER, |c| c.bootstrap_pool(high)),
        Err(CapitalError::PriceOutOfBounds(_))
    ));
    let native = wst * U256::from(1_000);
    w.tx(OWNER, |c| c.bootstrap_pool(native)).unwrap();
    let e = w.tx_event::<PoolBootstrapped>();
    assert_eq!((e.owner, e.wst, e.native), (OWNER, wst, native));
    assert_eq!(w.chain.sim(|s| s.pair.lp.balance(CAPITAL)), e.liquidity);
    assert_eq!(w.c().harvest_state().5, e.liquidity);
    assert_eq!(w.chain.sim(|s| s.reserves_wst_native()), (wst, native));
    assert_eq!(
        w.tx_events::<Poked>().len(),
        1,
        "the first observation opens with the price"
    );
    // Once: the pair now has a market price.
    w.rebase_bps(100);
    assert_eq!(
        w.tx(OWNER, |c| c.bootstrap_pool(native)),
        Err(PoolNotEmpty {}.into())
    );
}

#[test]
fn the_bootstrap_is_refused_once_anyone_provided_liquidity() {
    let mut w = empty_pool();
    w.seed_pool(eth(1));
    assert_eq!(
        w.tx(OWNER, |c| c.bootstrap_pool(eth(1_000))),
        Err(PoolNotEmpty {}.into())
    );
}

#[test]
fn a_stranger_s_first_price_outside_the_band_is_never_traded_at() {
    // The attack: seed the empty pair before the owner, at 50 MOR per wstETH where the band
    // is 100 to 10,000. The owner's bootstrap is then refused (the pool is not empty) and the
    // TWAP agrees with spot, so the deviation guard alone would let the harvest sell at 50.
    let mut w = World::deploy();
    let now = w.now();
    w.chain
        .sim_mut(|s| s.add_liquidity(TRADER, eth(100), eth(5_000), now));
    w.give_st_eth(ALICE, eth(100));
    w.deposit(ALICE, eth(100)).unwrap();
    w.rebase_bps(100);
    w.poke().unwrap();
    w.advance(WINDOW);
    assert_eq!(
        w.harvest(),
        Err(PriceOutOfBounds {
            priceWad: eth(50),
            minimum: eth(100),
            maximum: eth(10_000)
        }
        .into())
    );
    // Arbitrage brings the pair back into the band; the harvest then runs.
    w.chain
        .sim_mut(|s| s.trade(TRADER, NATIVE, eth(20_000), now + WINDOW));
    w.advance(1);
    w.poke().unwrap_err();
    w.advance(2 * WINDOW);
    w.poke().unwrap();
    w.advance(WINDOW);
    w.harvest().unwrap();
}

#[test]
fn the_bootstrap_is_paused_with_the_harvest() {
    let mut w = empty_pool();
    w.tx(OWNER, |c| c.pause()).unwrap();
    assert_eq!(
        w.tx(OWNER, |c| c.bootstrap_pool(eth(1_000))),
        Err(EnforcedPause {}.into())
    );
}
