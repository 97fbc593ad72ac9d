//! The capital contract's pure rules against their specification (SPEC 7): the reward
//! accumulator loses nothing, the weighted lock can't be gamed shorter or re-lock a balance, a
//! loss is shared pro rata, the Uniswap V2 arithmetic is the pair's own, and the harvest's price
//! guards refuse a sandwich. Each rule that pays or charges someone starts with its attack.

use proptest::prelude::*;
use yellowstone_protocol::{
    capital::{
        abi::ParameterOutOfBounds,
        amm::*,
        backing::{deposit_principal, withdrawal_payout, yield_of},
        lock::weighted_unlock,
        params::*,
        rewards::{accumulate, earned, SCALE},
    },
    time::DAY,
    U256,
};

const ETH: u128 = 1_000_000_000_000_000_000;
const WEEK: u64 = 7 * DAY;
const NOW: u64 = 1_800_000_000;

fn wei(amount: u128) -> U256 {
    U256::from(amount)
}

// ---------------------------------------------------------------------------------------------
// rewards: the reward-per-share accumulator

/// The contract's bookkeeping, as the capital contract keeps it: one accumulator, and per
/// account its principal, the accumulator value it was last settled at and what it is owed.
#[derive(Default)]
struct Pool {
    acc: U256,
    carry: U256,
    principal: U256,
    distributed: U256,
    kept: U256,
    accounts: Vec<(U256, U256, U256)>,
    /// Units of `reward * SCALE` each settlement floors away (below `SCALE` each).
    floored_units: U256,
}

impl Pool {
    fn new(accounts: usize) -> Self {
        Pool {
            accounts: vec![Default::default(); accounts],
            ..Default::default()
        }
    }

    fn accrue(&mut self, reward: U256) {
        if self.principal.is_zero() {
            self.kept += reward;
            return;
        }
        (self.acc, self.carry) = accumulate(self.acc, self.carry, reward, self.principal).unwrap();
        self.distributed += reward;
    }

    fn settle(&mut self, who: usize) {
        let (principal, paid_at, owed) = &mut self.accounts[who];
        let gained = earned(*principal, self.acc, *paid_at).unwrap();
        self.floored_units += *principal * (self.acc - *paid_at) - gained * SCALE;
        *owed += gained;
        *paid_at = self.acc;
    }

    /// Settles `who` first, then changes its principal, as a deposit or withdrawal does.
    fn set_principal(&mut self, who: usize, principal: U256) {
        self.settle(who);
        self.principal = self.principal - self.accounts[who].0 + principal;
        self.accounts[who].0 = principal;
    }

    fn owed(&self, who: usize) -> U256 {
        self.accounts[who].2
    }

    fn total_owed(&mut self) -> U256 {
        (0..self.accounts.len()).for_each(|who| self.settle(who));
        self.accounts.iter().map(|a| a.2).sum()
    }
}

#[test]
fn attack_accruing_every_block_cannot_round_everyone_s_rewards_away() {
    // 1,000 stETH deposited, and someone calls accrue every second, each time for 1 wei of
    // emission: without the carried remainder every accrual would floor to nothing.
    let mut pool = Pool::new(2);
    pool.set_principal(0, wei(600 * ETH));
    pool.set_principal(1, wei(400 * ETH));
    (0..10_000).for_each(|_| pool.accrue(wei(1)));
    assert_eq!(pool.total_owed(), wei(10_000));
    assert_eq!((pool.owed(0), pool.owed(1)), (wei(6_000), wei(4_000)));

    // A billion stETH and 1-wei rewards: the accumulator cannot move, the carry holds it all.
    let mut whales = Pool::new(1);
    whales.set_principal(0, wei(1_000_000_000 * ETH) * U256::from(1_000));
    (0..999).for_each(|_| whales.accrue(wei(1)));
    assert_eq!(whales.total_owed(), U256::ZERO);
    assert_eq!(
        whales.carry,
        wei(999) * SCALE,
        "nothing dropped: 999 wei carried"
    );
    whales.accrue(wei(1));
    assert_eq!(whales.total_owed(), wei(1_000));
}

#[test]
fn attack_a_late_deposit_earns_nothing_of_the_past() {
    let mut pool = Pool::new(2);
    pool.set_principal(0, wei(ETH));
    pool.accrue(wei(3_456 * ETH));
    // A whale deposits a thousand times more right after: the past is already in the accumulator.
    pool.set_principal(1, wei(1_000 * ETH));
    pool.settle(1);
    assert_eq!(pool.owed(1), U256::ZERO);
    pool.accrue(wei(1_001));
    pool.total_owed();
    assert_eq!(pool.owed(0), wei(3_456 * ETH + 1));
    assert_eq!(pool.owed(1), wei(1_000));
}

#[test]
fn emission_while_nothing_is_deposited_is_kept_not_credited() {
    let mut pool = Pool::new(1);
    pool.accrue(wei(5 * ETH));
    assert_eq!(accumulate(U256::ZERO, U256::ZERO, wei(5), U256::ZERO), None);
    pool.set_principal(0, wei(1));
    pool.accrue(wei(7));
    assert_eq!((pool.kept, pool.total_owed()), (wei(5 * ETH), wei(7)));
}

#[test]
fn the_accumulator_refuses_overflow_and_a_falling_index() {
    assert_eq!(accumulate(U256::ZERO, U256::ZERO, U256::MAX, wei(1)), None);
    assert_eq!(accumulate(U256::MAX, U256::ZERO, wei(1), wei(1)), None);
    assert_eq!(
        earned(wei(1), wei(5), wei(6)),
        None,
        "acc_paid above acc_now"
    );
    assert_eq!(earned(U256::MAX, wei(2), U256::ZERO), None);
    assert_eq!(earned(wei(3), SCALE, U256::ZERO), Some(wei(3)));
    assert_eq!(
        earned(wei(3), SCALE - wei(1), U256::ZERO),
        Some(wei(2)),
        "rounded down"
    );
}

#[derive(Clone, Debug)]
enum Step {
    Accrue(u128),
    SetPrincipal(usize, u128),
}

fn step() -> impl Strategy<Value = Step> {
    let amount = prop_oneof![0u128..1_000, 0u128..10_000 * ETH, Just(0)];
    prop_oneof![
        amount.prop_map(Step::Accrue),
        (
            0usize..4,
            prop_oneof![0u128..10, 0u128..1_000_000_000 * ETH]
        )
            .prop_map(|(who, p)| Step::SetPrincipal(who, p)),
    ]
}

proptest! {
    #[test]
    fn earned_plus_carried_dust_is_every_wei_of_the_rewards(
        steps in proptest::collection::vec(step(), 1..60)
    ) {
        let mut pool = Pool::new(4);
        let mut scheduled = U256::ZERO;
        for step in steps {
            match step {
                Step::Accrue(reward) => {
                    scheduled += wei(reward);
                    pool.accrue(wei(reward));
                }
                Step::SetPrincipal(who, p) => pool.set_principal(who, wei(p)),
            }
        }
        let owed = pool.total_owed();
        prop_assert_eq!(pool.distributed + pool.kept, scheduled);
        // To the unit: what accounts are owed, what they floored and what is carried.
        prop_assert_eq!(owed * SCALE + pool.floored_units + pool.carry, pool.distributed * SCALE);
        prop_assert!(owed <= pool.distributed);
    }
}

// ---------------------------------------------------------------------------------------------
// lock: the weighted unlock time

#[test]
fn a_fresh_deposit_locks_for_exactly_the_minimum() {
    assert_eq!(
        weighted_unlock(U256::ZERO, 0, wei(ETH), NOW, WEEK),
        Some(NOW + WEEK)
    );
    assert_eq!(
        weighted_unlock(U256::ZERO, NOW + 99 * WEEK, wei(1), NOW, WEEK),
        Some(NOW + WEEK)
    );
}

#[test]
fn attack_topping_up_never_relocks_the_whole_balance() {
    // Morpheus's issue #6: a 1% top-up to an unlocked position re-locked 100% of it for the full
    // period. Here the position unlocks after 1/101 of the minimum lock (rounded up).
    let unlocked = weighted_unlock(wei(100 * ETH), NOW - 1, wei(ETH), NOW, WEEK).unwrap();
    assert_eq!(unlocked, NOW + (WEEK).div_ceil(101));
    // Half-way through a lock, an equal top-up: halfway between the two unlock times.
    assert_eq!(
        weighted_unlock(wei(ETH), NOW + WEEK / 2, wei(ETH), NOW, WEEK),
        Some(NOW + 3 * WEEK / 4)
    );
    // A zero top-up changes nothing (a passed lock stays passed, counted from now).
    assert_eq!(
        weighted_unlock(wei(ETH), NOW + 5, U256::ZERO, NOW, WEEK),
        Some(NOW + 5)
    );
    assert_eq!(
        weighted_unlock(wei(ETH), NOW - 5, U256::ZERO, NOW, WEEK),
        Some(NOW)
    );
}

#[test]
fn attack_a_big_deposit_behind_a_dust_position_still_takes_the_minimum_lock() {
    // 1 wei deposited long ago, then 1,000 stETH: rounding down would shave a second off the
    // lock; rounding up keeps it whole.
    assert_eq!(
        weighted_unlock(wei(1), 0, wei(1_000 * ETH), NOW, WEEK),
        Some(NOW + WEEK)
    );
}

#[test]
fn the_lock_refuses_nothing_to_weigh_and_times_past_u64() {
    assert_eq!(
        weighted_unlock(U256::ZERO, NOW, U256::ZERO, NOW, WEEK),
        None
    );
    assert_eq!(
        weighted_unlock(U256::ZERO, 0, wei(1), u64::MAX - 5, WEEK),
        None
    );
    assert_eq!(
        weighted_unlock(U256::MAX, NOW + 1, U256::MAX, NOW, WEEK),
        None
    );
}

fn lock_case() -> impl Strategy<Value = (U256, u64, U256, u64, u64)> {
    let amount = prop_oneof![0u128..100, 0u128..1_000_000_000 * ETH].prop_map(wei);
    (
        amount.clone(),
        0u64..NOW + 400 * DAY,
        amount,
        NOW..NOW + 100 * DAY,
        MIN_LOCK.min..=MIN_LOCK.max,
    )
}

proptest! {
    #[test]
    fn the_weighted_lock_lies_between_the_old_lock_and_a_fresh_one(
        (principal, unlock_at, amount, now, min_lock) in lock_case()
    ) {
        prop_assume!(!(principal + amount).is_zero());
        let unlock = weighted_unlock(principal, unlock_at, amount, now, min_lock).unwrap();
        let (old, fresh) = (unlock_at.max(now), now + min_lock);
        prop_assert!(unlock >= old.min(fresh) && unlock <= old.max(fresh));
        if old <= fresh {
            // The usual case: the old part is never freed early, the whole never locked longer
            // than a fresh deposit.
            prop_assert!(unlock >= old, "old principal unlocked early");
            prop_assert!(unlock <= fresh, "re-locked beyond a fresh deposit");
        }
    }

    #[test]
    fn attack_splitting_a_deposit_never_shortens_the_lock(
        (principal, unlock_at, amount, now, min_lock) in lock_case(), cut in 0u128..=1_000
    ) {
        prop_assume!(!(principal + amount).is_zero());
        let first = amount * wei(cut) / wei(1_000);
        let whole = weighted_unlock(principal, unlock_at, amount, now, min_lock).unwrap();
        prop_assume!(!(principal + first).is_zero(), "an empty first piece is no split");
        let after_first = weighted_unlock(principal, unlock_at, first, now, min_lock).unwrap();
        let split = weighted_unlock(principal + first, after_first, amount - first, now, min_lock);
        prop_assert!(split.unwrap() >= whole);
    }
}

// ---------------------------------------------------------------------------------------------
// backing: yield and the pro-rata loss

#[test]
fn without_a_loss_a_withdrawal_pays_in_full_and_yield_is_the_surplus() {
    assert_eq!(
        withdrawal_payout(wei(ETH), wei(11 * ETH), wei(10 * ETH)),
        Some(wei(ETH))
    );
    assert_eq!(
        withdrawal_payout(wei(10 * ETH), wei(10 * ETH), wei(10 * ETH)),
        Some(wei(10 * ETH))
    );
    assert_eq!(yield_of(wei(11 * ETH), wei(10 * ETH)), wei(ETH));
    assert_eq!(
        yield_of(wei(9 * ETH), wei(10 * ETH)),
        U256::ZERO,
        "a loss is not negative yield"
    );
    assert_eq!(
        withdrawal_payout(wei(2), wei(10), wei(1)),
        None,
        "more than is deposited"
    );
    assert_eq!(
        withdrawal_payout(U256::MAX, U256::MAX - wei(1), U256::MAX),
        None
    );
}

#[test]
fn attack_leaving_first_after_a_loss_takes_no_more_than_the_shared_fraction() {
    // 10% slashed: 100 stETH of principal backed by 90. The first out gets 90%, and so does the last.
    let (mut backing, mut principal) = (wei(90 * ETH), wei(100 * ETH));
    for _ in 0..4 {
        let paid = withdrawal_payout(wei(25 * ETH), backing, principal).unwrap();
        assert_eq!(paid, wei(22_500_000_000_000_000_000));
        (backing, principal) = (backing - paid, principal - wei(25 * ETH));
    }
    assert_eq!((backing, principal), (U256::ZERO, U256::ZERO));
}

proptest! {
    #[test]
    fn under_a_loss_every_withdrawal_gets_at_least_the_first_ones_fraction(
        backing in 1u128..1_000_000 * ETH,
        shares in proptest::collection::vec(1u128..1_000_000 * ETH, 1..12)
    ) {
        let mut principal: U256 = shares.iter().map(|&s| wei(s)).sum();
        let mut backing = wei(backing).min(principal);
        let (start_backing, start_principal) = (backing, principal);
        for share in shares {
            let paid = withdrawal_payout(wei(share), backing, principal).unwrap();
            prop_assert!(paid <= wei(share));
            // Never more than pro rata at the moment, never less than pro rata at the start.
            prop_assert!(paid * principal <= wei(share) * backing);
            prop_assert!(paid * start_principal + start_principal > wei(share) * start_backing);
            (backing, principal) = (backing - paid, principal - wei(share));
        }
        prop_assert!(principal.is_zero());
    }
}

// ---------------------------------------------------------------------------------------------
// amm: Uniswap V2 arithmetic

/// UniswapV2Pair.swap's invariant for an input of `amount_in` paying `out`: the balances after,
/// less 0.3% of the input, keep at least the product of the reserves.
fn pair_accepts(amount_in: U256, out: U256, reserve_in: U256, reserve_out: U256) -> bool {
    let balance_in = reserve_in + amount_in;
    let balance_out = reserve_out - out;
    let adjusted_in = balance_in * wei(1_000) - amount_in * wei(3);
    adjusted_in * balance_out * wei(1_000) >= reserve_in * reserve_out * wei(1_000_000)
}

/// A pair's reserve: uint112, from a handful of wei to all of it.
fn reserve() -> impl Strategy<Value = U256> {
    prop_oneof![1u128..1_000, 1_000u128..1u128 << 112].prop_map(wei)
}

const Q112: U256 = U256::from_limbs([0, 1 << 48, 0, 0]);

#[test]
fn amount_out_is_uniswaps_get_amount_out() {
    // 1 ETH into a 100 / 200,000 pool: 997 * 200000 / (100000 + 997) = 1974.16...
    let out = amount_out(wei(ETH), wei(100 * ETH), wei(200_000 * ETH)).unwrap();
    assert_eq!(out, wei(1_974_316_068_794_122_597_700));
    assert_eq!(amount_out(wei(ETH), U256::ZERO, wei(1)), None, "empty pair");
    assert_eq!(amount_out(U256::MAX, wei(1), wei(1)), None, "overflow");
    assert_eq!(amount_out(U256::ZERO, wei(1), wei(1)), Some(U256::ZERO));
}

#[test]
fn quote_and_price_are_the_reserves_ratio() {
    assert_eq!(quote(wei(ETH), wei(2), wei(6)), Some(wei(3 * ETH)));
    assert_eq!(
        quote(wei(1), wei(3), wei(2)),
        Some(U256::ZERO),
        "rounded down"
    );
    assert_eq!(quote(wei(1), U256::ZERO, wei(2)), None);
    assert_eq!(price_x112(wei(5), wei(5)), Some(Q112));
    assert_eq!(price_x112(wei(1), wei(3)), Some(Q112 / wei(3)));
    assert_eq!(price_x112(wei(1), U256::ZERO), None);
    assert_eq!(price_x112(U256::from(1) << 144usize, wei(1)), None);
}

#[test]
fn the_cumulative_price_wraps_its_u32_timestamps_as_the_pair_does() {
    let price = price_x112(wei(3_000), wei(1)).unwrap();
    let last = wei(12_345);
    // Touched 10 s before the 2^32 wrap, read 6 s after it: 16 s of price.
    let now = (1u64 << 32) + 6;
    let cumulative = cumulative_now(last, wei(3_000), wei(1), u32::MAX - 9, now).unwrap();
    assert_eq!(cumulative, last + price * wei(16));
    // Touched in this very block: the pair's own value, even if its reserves are empty.
    assert_eq!(
        cumulative_now(last, wei(1), U256::ZERO, now as u32, now),
        Some(last)
    );
    assert_eq!(cumulative_now(last, wei(1), U256::ZERO, 0, now), None);
}

#[test]
fn the_twap_is_right_across_the_cumulatives_256_bit_wrap() {
    let price = price_x112(wei(2_500), wei(1)).unwrap();
    let then = U256::MAX - price * wei(100);
    let now = cumulative_now(then, wei(2_500), wei(1), 1_000, 2_800).unwrap();
    assert!(now < then, "the cumulative wrapped");
    assert_eq!(twap_x112(now, then, 1_800), Some(price));
    assert_eq!(twap_x112(now, then, 0), None);
    assert_eq!(
        twap_x112(wei(u128::MAX) << 64usize, U256::ZERO, 1 << 40),
        Some(wei(u128::MAX) << 24usize)
    );
}

#[test]
fn deviation_is_bounded_inclusively_on_both_sides() {
    let twap = wei(1_000_000);
    for (spot, inside) in [
        (1_000_000, true),
        (1_020_000, true),
        (1_020_001, false),
        (980_000, true),
        (979_999, false),
        (0, false),
    ] {
        assert_eq!(
            within_deviation(wei(spot), twap, 200),
            inside,
            "spot {spot}"
        );
    }
    assert!(
        !within_deviation(U256::MAX, U256::MAX - wei(1), 1_000),
        "overflow refuses"
    );
    assert!(
        !within_deviation(wei(1), U256::ZERO, 1_000),
        "no price, no harvest"
    );
}

#[test]
fn min_out_is_the_twap_value_less_the_fee_and_slippage() {
    // 1 wstETH at 2,000 MOR, 1% slippage: 2000 * 0.997 * 0.99 = 1974.06 MOR.
    let twap = wei(2_000) * Q112;
    assert_eq!(
        min_out(wei(ETH), twap, 100),
        Some(wei(1_974_060_000_000_000_000_000))
    );
    assert_eq!(min_out(wei(ETH), twap, 10_000), Some(U256::ZERO));
    assert_eq!(min_out(wei(ETH), twap, 10_001), None);
    assert_eq!(min_out(U256::MAX, twap, 100), None);
}

#[test]
fn min_out_leaves_the_harvest_s_own_price_impact_only_the_slippage() {
    // The minimum is the TWAP value less fee and slippage; the swap's own impact must fit in the
    // slippage: at 1%, an honest pool takes a swap of up to about 1% of its wstETH reserve.
    let (wst, mor) = (wei(1_000 * ETH), wei(2_000_000 * ETH));
    let twap = price_x112(mor, wst).unwrap();
    let fills = |swap: u128, slippage: u16| {
        amount_out(wei(swap), wst, mor).unwrap() >= min_out(wei(swap), twap, slippage).unwrap()
    };
    assert!(fills(9 * ETH, 100));
    assert!(
        !fills(11 * ETH, 100),
        "a swap over ~1% of the reserve never fills at 1%"
    );
    assert!(
        fills(100 * ETH, 1_000) && !fills(120 * ETH, 1_000),
        "about 11% at the 10% bound"
    );
}

#[test]
fn a_swap_capped_at_max_swap_in_always_fills_in_an_honest_pool() {
    // Spot at the TWAP: a swap of the cap fills at every slippage bound, shallow pool or deep,
    // so a large carried yield is swapped over several harvests instead of never.
    for (wst, mor) in [(ETH, 2_000 * ETH), (1_000 * ETH, 2_000_000 * ETH), (7, 13)] {
        let (wst, mor) = (wei(wst), wei(mor));
        let twap = price_x112(mor, wst).unwrap();
        for slippage in [10u16, 100, 1_000] {
            let cap = max_swap_in(wst, slippage).unwrap();
            let out = amount_out(cap, wst, mor).unwrap();
            assert!(
                out >= min_out(cap, twap, slippage).unwrap(),
                "{wst} {slippage}"
            );
        }
    }
    assert_eq!(max_swap_in(wei(1_000 * ETH), 100), Some(wei(5 * ETH)));
    assert_eq!(max_swap_in(U256::MAX, 100), None, "overflow is refused");
}

#[test]
fn attack_a_same_block_sandwich_is_refused_by_the_minimum_or_the_deviation() {
    // A pool at 2,000 MOR per wstETH for the whole window; the harvest swaps 1 wstETH.
    let (wst, mor) = (wei(1_000 * ETH), wei(2_000_000 * ETH));
    let twap = price_x112(mor, wst).unwrap();
    let harvest = wei(ETH);
    let minimum = min_out(harvest, twap, 100).unwrap();
    let spot_ok = |wst: U256, mor: U256| within_deviation(price_x112(mor, wst).unwrap(), twap, 200);
    let out = |wst: U256, mor: U256| amount_out(harvest, wst, mor).unwrap();
    assert!(
        spot_ok(wst, mor) && out(wst, mor) >= minimum,
        "an honest pool harvests"
    );
    // The attacker sells wstETH first to make MOR dear, to buy it back cheap after the harvest.
    let front_run = |attack: u128| {
        let bought = amount_out(wei(attack), wst, mor).unwrap();
        (wst + wei(attack), mor - bought)
    };
    // 5 and 10 wstETH move spot 1% and 2%: inside the deviation, but the harvest's swap would
    // fill below the minimum.
    for attack in [5 * ETH, 10 * ETH] {
        let (wst, mor) = front_run(attack);
        assert!(
            spot_ok(wst, mor) && out(wst, mor) < minimum,
            "front-run of {attack}"
        );
    }
    // 100 wstETH move spot 17%: refused before any swap.
    let (moved_wst, moved_mor) = front_run(100 * ETH);
    assert!(!spot_ok(moved_wst, moved_mor));
    // What passes both guards costs the harvest at most the slippage: 1 wstETH moves spot 0.2%
    // and the harvest still gets its minimum.
    let (wst, mor) = front_run(ETH);
    assert!(spot_ok(wst, mor) && out(wst, mor) >= minimum);
}

#[test]
fn liquidity_is_added_in_the_ratio_and_the_rest_carried() {
    let (a, b) = (wei(10 * ETH), wei(25_000 * ETH));
    // At 2,000 per unit the 25,000 are too many: all of a, 20,000 of b.
    assert_eq!(
        liquidity_split(a, b, wei(1_000), wei(2_000_000)),
        Some((a, wei(20_000 * ETH)))
    );
    // At 5,000 per unit, a is too much: 5 of a, all of b.
    assert_eq!(
        liquidity_split(a, b, wei(1), wei(5_000)),
        Some((wei(5 * ETH), b))
    );
    assert_eq!(
        liquidity_split(a, b, U256::ZERO, U256::ZERO),
        Some((a, b)),
        "first liquidity"
    );
    assert_eq!(liquidity_split(a, b, U256::ZERO, wei(1)), None);
}

#[test]
fn the_optimal_swap_is_about_half() {
    // Small against the pool: a little over half (1000/1997), since the fee takes a part of
    // what is swapped.
    let small = optimal_swap_in(wei(2 * ETH), wei(1_000_000 * ETH)).unwrap();
    assert_eq!(small, wei(1_001_501_752_630_574_241));
    // As large as the pool: well under half, since the swap moves the price against itself.
    let large = optimal_swap_in(wei(2 * ETH), wei(2 * ETH)).unwrap();
    assert_eq!(large, wei(829_671_906_397_485_621), "41% of the amount");
    assert_eq!(
        optimal_swap_in(wei(ETH), U256::ZERO),
        None,
        "nothing to swap against"
    );
    assert_eq!(optimal_swap_in(U256::ZERO, wei(ETH)), Some(U256::ZERO));
    assert_eq!(optimal_swap_in(U256::MAX, wei(ETH)), None);
}

proptest! {
    #[test]
    fn amount_out_is_the_most_the_pair_accepts(
        amount_in in reserve(), reserve_in in reserve(), reserve_out in reserve()
    ) {
        let out = amount_out(amount_in, reserve_in, reserve_out).unwrap();
        prop_assert!(out < reserve_out);
        prop_assert!(pair_accepts(amount_in, out, reserve_in, reserve_out));
        prop_assert!(!pair_accepts(amount_in, out + wei(1), reserve_in, reserve_out));
    }

    #[test]
    fn the_optimal_swap_leaves_both_sides_in_the_pairs_new_ratio(
        reserve_in in reserve(), reserve_out in reserve(), fraction in 1u128..=1_000_000
    ) {
        // Harvest-sized inputs: up to the size of the pool.
        let amount = (reserve_in * wei(fraction) / wei(1_000_000)).max(wei(1));
        let swapped = optimal_swap_in(amount, reserve_in).unwrap();
        let bought = amount_out(swapped, reserve_in, reserve_out).unwrap();
        let (r_in, r_out) = (reserve_in + swapped, reserve_out - bought);
        let (rest_in, rest_out) = (amount - swapped, bought);
        let (use_in, use_out) = liquidity_split(rest_in, rest_out, r_in, r_out).unwrap();
        // What is carried is worth at most 4 wei of each side, valued at the new ratio.
        let (left_in, left_out) = (rest_in - use_in, rest_out - use_out);
        prop_assert!(left_in * r_out + left_out * r_in <= wei(4) * (r_in + r_out),
            "left {left_in} and {left_out} at {r_in}/{r_out}");
    }

    #[test]
    fn the_split_never_uses_more_than_given_and_keeps_the_ratio(
        a in reserve(), b in reserve(), reserve_a in reserve(), reserve_b in reserve()
    ) {
        let (use_a, use_b) = liquidity_split(a, b, reserve_a, reserve_b).unwrap();
        prop_assert!(use_a <= a && use_b <= b);
        prop_assert!(use_a == a || use_b == b, "one side is used whole");
        // use_b / use_a is the pool's ratio, to the wei of rounding.
        prop_assert!(use_a * reserve_b <= (use_b + wei(1)) * reserve_a);
        prop_assert!(use_b * reserve_a <= (use_a + wei(1)) * reserve_b);
    }

    #[test]
    fn the_twap_of_a_steady_price_is_that_price(
        reserve_num in reserve(), reserve_den in reserve(),
        last in any::<[u64; 4]>(), touched in any::<u32>(), waited in 1u64..1u64 << 33, elapsed in 1u32..=86_400
    ) {
        let then = cumulative_now(U256::from_limbs(last), reserve_num, reserve_den, touched, u64::from(touched) + waited).unwrap();
        let now_ts = u64::from(touched) + waited + u64::from(elapsed);
        let now = cumulative_now(U256::from_limbs(last), reserve_num, reserve_den, touched, now_ts).unwrap();
        prop_assert_eq!(twap_x112(now, then, u64::from(elapsed)), price_x112(reserve_num, reserve_den));
    }
}

// ---------------------------------------------------------------------------------------------
// params: the owner's bounds

#[test]
fn the_defaults_are_7_days_30_minutes_2_and_1_percent_inside_their_bounds() {
    let p = Parameters::DEFAULT;
    assert_eq!(
        (
            p.min_lock,
            p.twap_window,
            p.max_deviation_bps,
            p.slippage_bps
        ),
        (WEEK, 1_800, 200, 100)
    );
    assert_eq!(p.check(), Ok(()));
    assert_eq!(HARVEST_INTERVAL, DAY);
    assert_eq!(
        MIN_LOCK,
        Bounds {
            min: 86_400,
            max: 31_536_000
        }
    );
    assert_eq!(
        TWAP_WINDOW,
        Bounds {
            min: 1_800,
            max: 86_400
        }
    );
    assert_eq!(
        MAX_DEVIATION_BPS,
        Bounds {
            min: 10,
            max: 1_000
        }
    );
    assert_eq!(
        SLIPPAGE_BPS,
        Bounds {
            min: 10,
            max: 1_000
        }
    );
}

#[test]
fn attack_the_owner_cannot_set_a_parameter_outside_its_bounds() {
    let at = |index: u8, value: u64, bounds: Bounds| ParameterOutOfBounds {
        parameter: index,
        value: U256::from(value),
        minimum: U256::from(bounds.min),
        maximum: U256::from(bounds.max),
    };
    let d = Parameters::DEFAULT;
    let cases = [
        (
            Parameters {
                min_lock: DAY - 1,
                ..d
            },
            at(0, DAY - 1, MIN_LOCK),
        ),
        (
            Parameters {
                min_lock: 10 * 365 * DAY,
                ..d
            },
            at(0, 10 * 365 * DAY, MIN_LOCK),
        ),
        (
            Parameters {
                twap_window: 60,
                ..d
            },
            at(1, 60, TWAP_WINDOW),
        ),
        (
            Parameters {
                twap_window: DAY + 1,
                ..d
            },
            at(1, DAY + 1, TWAP_WINDOW),
        ),
        (
            Parameters {
                max_deviation_bps: 9,
                ..d
            },
            at(2, 9, MAX_DEVIATION_BPS),
        ),
        (
            Parameters {
                max_deviation_bps: u16::MAX,
                ..d
            },
            at(2, 65_535, MAX_DEVIATION_BPS),
        ),
        (
            Parameters {
                slippage_bps: 0,
                ..d
            },
            at(3, 0, SLIPPAGE_BPS),
        ),
        (
            Parameters {
                slippage_bps: 1_001,
                ..d
            },
            at(3, 1_001, SLIPPAGE_BPS),
        ),
    ];
    for (parameters, error) in cases {
        assert_eq!(parameters.check(), Err(error), "{parameters:?}");
    }
    let edges = Parameters {
        min_lock: DAY,
        twap_window: DAY,
        max_deviation_bps: 10,
        slippage_bps: 1_000,
    };
    assert_eq!(edges.check(), Ok(()), "the bounds themselves are allowed");
}

#[test]
fn attack_a_deposit_under_a_loss_neither_fills_nor_takes_the_hole() {
    // 100 stETH of principal backed by 90 after a 10% slashing. A newcomer's 90 stETH credited
    // 1:1 would withdraw at 180/190: it would lose 4.7 stETH to the old depositors. Units at
    // the under-water price keep both sides whole.
    let (principal, backing) = (wei(100 * ETH), wei(90 * ETH));
    let units = deposit_principal(wei(90 * ETH), backing, principal).unwrap();
    assert_eq!(units, wei(100 * ETH));
    let (principal, backing) = (principal + units, backing + wei(90 * ETH));
    let newcomer = withdrawal_payout(units, backing, principal).unwrap();
    assert_eq!(newcomer, wei(90 * ETH), "gets back its deposit");
    let old = withdrawal_payout(wei(100 * ETH), backing - newcomer, principal - units).unwrap();
    assert_eq!(
        old,
        wei(90 * ETH),
        "keeps its 10% loss, no more and no less"
    );
    // While the backing covers the principal a deposit is 1:1; with none left there is no price.
    assert_eq!(deposit_principal(wei(5), wei(10), wei(10)), Some(wei(5)));
    assert_eq!(deposit_principal(wei(5), U256::ZERO, wei(10)), None);
}

proptest! {
    #[test]
    fn a_deposit_under_water_never_gains_at_the_others_expense(
        principal in 1u128..1_000_000 * ETH,
        loss_ppm in 1u64..1_000_000,
        deposit in 1u128..1_000_000 * ETH,
    ) {
        let principal = wei(principal);
        let backing = principal - principal * U256::from(loss_ppm) / U256::from(1_000_000u64);
        prop_assume!(!backing.is_zero());
        let units = deposit_principal(wei(deposit), backing, principal).unwrap();
        let paid = withdrawal_payout(units, backing + wei(deposit), principal + units).unwrap();
        prop_assert!(paid <= wei(deposit), "the newcomer takes nothing of the others");
        // ...and loses at most the rounding of two divisions.
        prop_assert!(wei(deposit) - paid <= U256::from(2) + wei(deposit) / principal);
    }
}
