//! Invariants under random use: sequences of funding, commits within and over the caps,
//! claims, stakes, lock extensions, withdrawals and time jumps across days and years, run
//! against the contract with a simulated MOR token and checked against an independent model
//! of the SPEC after every step:
//!
//! - claimed <= credited <= funded, and the contract holds exactly funded + staked - paid out;
//! - the credit of every UTC day <= that day's cap (scheduled + 1% of the pool at 00:00);
//! - bootstrap credit only inside the window and <= 10% of the day's scheduled emission;
//! - every multiplier lies in [1, 10.7], is 1 from the lock end on, a lock end never moves
//!   earlier, and extending a lock never lowers its multiplier (an ended lock restarts now);
//! - no claim pays a provider above its stake within one 365-day period, and the stake added
//!   in a period always backs that period's payouts while stake from earlier periods can leave
//!   (SPEC 8 "Stakes");
//! - every call is accepted exactly when the SPEC says it must be, with the amount it says.

use std::collections::HashMap;

use alloy_primitives::{Address, U256};
use proptest::{prelude::*, test_runner::FileFailurePersistence};
use yellowstone_compute::ComputeError;
use yellowstone_protocol::multiplier::{power_multiplier, MULTIPLIER_MAX, MULTIPLIER_MIN};

use crate::common::*;

const PROVIDERS: [Address; 3] = [ALICE, BOB, CAROL];
const CALLERS: [Address; 4] = [ALICE, BOB, CAROL, STRANGER];

#[derive(Clone, Debug)]
enum Op {
    /// Funds `amount` wei (zero is refused).
    Fund { amount: U256 },
    /// Commits new credit: `pct`% of today's remaining cap (over 100 is over the cap), of
    /// which bootstrap is `bootstrap_pct`% of today's remaining bootstrap limit, split among
    /// the providers by `shares`; `reuse_epoch` re-sends the last epoch number.
    /// When `within_funds`, the new credit is also kept within the unused pool.
    Commit {
        pct: u16,
        bootstrap_pct: u16,
        shares: [u8; 3],
        reuse_epoch: bool,
        within_funds: bool,
    },
    /// `caller` claims `provider`'s latest leaf.
    Claim { caller: usize, provider: usize },
    /// Stakes `amount` with a lock end `delta` seconds after the current end (or now), or,
    /// when `shorter`, before the current end.
    Stake {
        provider: usize,
        amount: U256,
        delta: u64,
        shorter: bool,
    },
    /// Moves the lock end to `current end + delta` (zero is refused).
    LockClaim { provider: usize, delta: u64 },
    /// Withdraws `pct`% of the stake (over 100 is refused).
    Withdraw { provider: usize, pct: u16 },
    /// Lets `secs` seconds pass.
    Wait { secs: u64 },
    /// Waits until `provider`'s lock end (if it is still ahead), plus `extra` seconds.
    WaitForUnlock { provider: usize, extra: u64 },
}

fn amount() -> impl Strategy<Value = U256> {
    prop_oneof![
        1 => Just(U256::ZERO),
        2 => (1u64..1_000).prop_map(U256::from),
        6 => (1u64..2_000_000, 0u64..1_000_000).prop_map(|(m, w)| mor(m) + U256::from(w)),
    ]
}

fn wait() -> impl Strategy<Value = u64> {
    prop_oneof![
        3 => 0u64..6 * 3_600,
        4 => (1u64..4, 0u64..DAY).prop_map(|(d, s)| d * DAY + s),
        1 => Just(YEAR),
        1 => (200u64..500).prop_map(|d| d * DAY),
    ]
}

fn lock() -> impl Strategy<Value = u64> {
    prop_oneof![
        3 => 0u64..30 * DAY,
        2 => 0u64..3 * YEAR,
        1 => Just(30 * YEAR),
    ]
}

/// A history: usually opened by funding, three stakes and a first commit, then random steps.
fn history() -> impl Strategy<Value = Vec<Op>> {
    (
        prop::bool::weighted(0.75),
        (1u64..3_000_000).prop_map(mor),
        prop::collection::vec((amount(), lock()), 3),
        prop::collection::vec(op(), 1..=20),
    )
        .prop_map(|(prelude, fund, stakes, ops)| {
            let mut all = Vec::new();
            if prelude {
                all.push(Op::Fund { amount: fund });
                for (provider, (amount, delta)) in stakes.into_iter().enumerate() {
                    all.push(Op::Stake {
                        provider,
                        amount,
                        delta,
                        shorter: false,
                    });
                }
                all.push(Op::Commit {
                    pct: 50,
                    bootstrap_pct: 50,
                    shares: [1, 2, 3],
                    reuse_epoch: false,
                    within_funds: true,
                });
            }
            all.extend(ops);
            all
        })
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        2 => amount().prop_map(|amount| Op::Fund { amount }),
        5 => (0u16..=125, 0u16..=115, any::<[u8; 3]>(), prop::bool::weighted(0.05), prop::bool::weighted(0.7))
            .prop_map(|(pct, bootstrap_pct, shares, reuse_epoch, within_funds)| Op::Commit {
                pct,
                bootstrap_pct,
                shares,
                reuse_epoch,
                within_funds
            }),
        4 => (0usize..4, 0usize..3).prop_map(|(caller, provider)| Op::Claim { caller, provider }),
        3 => (0usize..3, amount(), lock(), prop::bool::weighted(0.15))
            .prop_map(|(provider, amount, delta, shorter)| Op::Stake { provider, amount, delta, shorter }),
        1 => (0usize..3, prop_oneof![Just(0u64), 1u64..5 * YEAR])
            .prop_map(|(provider, delta)| Op::LockClaim { provider, delta }),
        1 => (0usize..3, 0u16..=110).prop_map(|(provider, pct)| Op::Withdraw { provider, pct }),
        3 => wait().prop_map(|secs| Op::Wait { secs }),
        1 => (0usize..3, prop_oneof![Just(0u64), 0u64..DAY]).prop_map(|(provider, extra)| Op::WaitForUnlock { provider, extra }),
    ]
}

/// What the SPEC says about one provider.
#[derive(Clone, Debug, Default)]
struct ProviderModel {
    registered_at: Option<u64>,
    stake: U256,
    lock_start: u64,
    lock_end: u64,
    /// Cumulative (earned, bootstrap) in the latest committed root.
    earned: U256,
    bootstrap: U256,
    claimed: U256,
    /// Paid per stake-cap period index.
    paid_in_period: HashMap<u64, U256>,
    /// Stake added per stake-cap period index and still staked (a withdrawal takes older
    /// stake first).
    added_in_period: HashMap<u64, U256>,
}

impl ProviderModel {
    /// The SPEC's multiplier at `now`: the lock's while it runs, 1 from its end on.
    fn multiplier(&self, now: u64) -> U256 {
        if now >= self.lock_end {
            MULTIPLIER_MIN
        } else {
            power_multiplier(U256::from(self.lock_start), U256::from(self.lock_end))
        }
    }
}

/// The SPEC, written independently of the contract.
struct Model {
    providers: HashMap<Address, ProviderModel>,
    epoch: Option<u64>,
    funded: U256,
    credited: U256,
    bootstrap: U256,
    claimed: U256,
    staked: U256,
    /// Unused pool at 00:00 of each day seen, and the credit and bootstrap of that day.
    pool_at_start: HashMap<u64, U256>,
    credited_on: HashMap<u64, U256>,
    bootstrap_on: HashMap<u64, U256>,
}

impl Model {
    fn new() -> Self {
        Self {
            providers: PROVIDERS
                .iter()
                .map(|p| (*p, ProviderModel::default()))
                .collect(),
            epoch: None,
            funded: U256::ZERO,
            credited: U256::ZERO,
            bootstrap: U256::ZERO,
            claimed: U256::ZERO,
            staked: U256::ZERO,
            pool_at_start: HashMap::new(),
            credited_on: HashMap::new(),
            bootstrap_on: HashMap::new(),
        }
    }

    fn unused(&self) -> U256 {
        self.funded - self.credited - self.bootstrap
    }

    /// Records the pool at the start of `day` the first time the day is seen (before any
    /// operation of that day changes it).
    fn enter_day(&mut self, day: u64) {
        let pool = self.unused();
        self.pool_at_start.entry(day).or_insert(pool);
    }

    fn cap(&self, day: u64) -> U256 {
        scheduled(day) + self.pool_at_start[&day] / U256::from(100)
    }

    fn bootstrap_limit(day: u64) -> U256 {
        if (BOOTSTRAP_START_DAY..BOOTSTRAP_START_DAY + 365).contains(&day) {
            scheduled(day) / U256::from(10)
        } else {
            U256::ZERO
        }
    }

    fn today(&self, day: u64) -> (U256, U256) {
        (
            self.credited_on.get(&day).copied().unwrap_or_default(),
            self.bootstrap_on.get(&day).copied().unwrap_or_default(),
        )
    }

    fn period(p: &ProviderModel, now: u64) -> u64 {
        (now - p.registered_at.unwrap()) / YEAR
    }

    /// The stake `p` added in the stake-cap period `now` falls in and still has.
    fn added_now(p: &ProviderModel, now: u64) -> U256 {
        match p.registered_at {
            Some(_) => p
                .added_in_period
                .get(&Model::period(p, now))
                .copied()
                .unwrap_or_default(),
            None => U256::ZERO,
        }
    }

    /// What `p` has been paid in the stake-cap period `now` falls in.
    fn paid_now(p: &ProviderModel, now: u64) -> U256 {
        match p.registered_at {
            Some(_) => p
                .paid_in_period
                .get(&Model::period(p, now))
                .copied()
                .unwrap_or_default(),
            None => U256::ZERO,
        }
    }

    fn tree(&self) -> Tree {
        Tree::new(
            &PROVIDERS
                .iter()
                .map(|a| {
                    let p = &self.providers[a];
                    Leaf::new(*a, p.earned, p.bootstrap)
                })
                .collect::<Vec<_>>(),
        )
    }
}

fn name(err: &ComputeError) -> String {
    format!("{err:?}").split('(').next().unwrap().to_string()
}

/// The outcome the SPEC expects: `Ok` or the name of the error.
type Expected = Result<(), &'static str>;

fn check_outcome<T: std::fmt::Debug>(op: &Op, expected: Expected, got: &Result<T, ComputeError>) {
    match (expected, got) {
        (Ok(()), Ok(_)) => {}
        (Err(want), Err(err)) => assert_eq!(name(err), want, "{op:?}"),
        (want, got) => panic!("{op:?}: expected {want:?}, got {got:?}"),
    }
}

fn run(ops: Vec<Op>) {
    let mut w = World::deploy_with(Config {
        simulate_token: true,
        ..Config::default()
    });
    for who in [FUNDER, ALICE, BOB, CAROL] {
        w.mint(who, mor(1_000_000_000));
    }
    let mut m = Model::new();
    let mut next_epoch = 1u64;

    for op in &ops {
        let now = w.now();
        let day = now / DAY;
        m.enter_day(day);
        match op {
            Op::Fund { amount } => {
                let expected = if amount.is_zero() {
                    Err("ZeroAmount")
                } else {
                    Ok(())
                };
                let got = w.fund(FUNDER, *amount);
                check_outcome(op, expected, &got);
                if got.is_ok() {
                    m.funded += *amount;
                }
            }
            Op::Commit {
                pct,
                bootstrap_pct,
                shares,
                reuse_epoch,
                within_funds,
            } => {
                let cap = m.cap(day);
                let (credited_today, bootstrap_today) = m.today(day);
                let mut room = cap.saturating_sub(credited_today);
                if *within_funds {
                    room = room.min(m.unused());
                }
                let total_new = room * U256::from(*pct) / U256::from(100);
                let limit = Model::bootstrap_limit(day);
                // Outside the window (limit zero) a few wei are still tried, to be refused.
                let boot_room = limit
                    .saturating_sub(bootstrap_today)
                    .max(U256::from(*pct % 3));
                let bootstrap_new =
                    (boot_room * U256::from(*bootstrap_pct) / U256::from(100)).min(total_new);
                let work_new = total_new - bootstrap_new;
                // Split among providers by shares (the rest to Alice).
                let weights: Vec<U256> = shares.iter().map(|s| U256::from(*s as u64 + 1)).collect();
                let sum: U256 = weights.iter().copied().sum();
                let mut next = m.providers.clone();
                let (mut work_left, mut boot_left) = (work_new, bootstrap_new);
                for (i, a) in PROVIDERS.iter().enumerate().rev() {
                    let (dw, db) = if i == 0 {
                        (work_left, boot_left)
                    } else {
                        (
                            work_new * weights[i] / sum,
                            bootstrap_new * weights[i] / sum,
                        )
                    };
                    work_left -= dw;
                    boot_left -= db;
                    let p = next.get_mut(a).unwrap();
                    p.earned += dw;
                    p.bootstrap += db;
                }
                let epoch = match (reuse_epoch, m.epoch) {
                    (true, Some(last)) => last,
                    _ => next_epoch,
                };
                let new_credited = m.credited + work_new;
                let new_bootstrap = m.bootstrap + bootstrap_new;
                let expected = if epoch != m.epoch.unwrap_or(0) + 1 {
                    Err("UnexpectedEpoch")
                } else if credited_today + total_new > cap {
                    Err("DailyCapExceeded")
                } else if !bootstrap_new.is_zero() && limit.is_zero() {
                    Err("BootstrapWindowClosed")
                } else if bootstrap_today + bootstrap_new > limit && !bootstrap_new.is_zero() {
                    Err("BootstrapCapExceeded")
                } else if new_credited + new_bootstrap > m.funded {
                    Err("FundingExceeded")
                } else {
                    Ok(())
                };
                let saved = std::mem::replace(&mut m.providers, next);
                let tree = m.tree();
                let got = w.commit(epoch, tree.root(), new_credited, new_bootstrap);
                check_outcome(op, expected, &got);
                if got.is_ok() {
                    m.epoch = Some(epoch);
                    next_epoch = epoch + 1;
                    m.credited = new_credited;
                    m.bootstrap = new_bootstrap;
                    *m.credited_on.entry(day).or_default() += total_new;
                    *m.bootstrap_on.entry(day).or_default() += bootstrap_new;
                } else {
                    m.providers = saved;
                }
            }
            Op::Claim { caller, provider } => {
                let caller = CALLERS[*caller];
                let a = PROVIDERS[*provider];
                let p = m.providers[&a].clone();
                let cumulative = p.earned + p.bootstrap;
                let owed = cumulative.saturating_sub(p.claimed);
                let period = p.registered_at.map(|_| Model::period(&p, now));
                let paid = period
                    .map(|i| p.paid_in_period.get(&i).copied().unwrap_or_default())
                    .unwrap_or_default();
                let remaining = p.stake.saturating_sub(paid);
                let expected = if m.epoch.is_none() {
                    Err("NoEpoch")
                } else if p.registered_at.is_none() {
                    Err("NotRegistered")
                } else if owed.is_zero() {
                    Err("NothingToClaim")
                } else if remaining.is_zero() {
                    Err("StakeCapReached")
                } else {
                    Ok(())
                };
                let balance_before = w.token_balance(a);
                let got = if m.epoch.is_some() {
                    let tree = m.tree();
                    w.claim(caller, &tree, a)
                } else {
                    w.claim_raw(caller, Leaf::new(a, p.earned, p.bootstrap), Vec::new())
                };
                check_outcome(op, expected, &got);
                if let Ok(amount) = got {
                    let pays = owed.min(remaining);
                    assert_eq!(amount, pays, "{op:?}: pays min(owed, remaining cap)");
                    assert_eq!(
                        w.token_balance(a) - balance_before,
                        pays,
                        "paid to the provider"
                    );
                    let event = w.tx_event::<yellowstone_protocol::abi::Claimed>();
                    assert_eq!(
                        (event.provider, event.caller, event.amount),
                        (a, caller, pays)
                    );
                    assert_eq!(event.deferred, owed - pays);
                    let pm = m.providers.get_mut(&a).unwrap();
                    pm.claimed += pays;
                    *pm.paid_in_period.entry(period.unwrap()).or_default() += pays;
                    m.claimed += pays;
                    // Never paid above its cap in any period.
                    assert!(
                        pm.paid_in_period[&period.unwrap()] <= pm.stake,
                        "{op:?}: paid above the stake cap"
                    );
                }
            }
            Op::Stake {
                provider,
                amount,
                delta,
                shorter,
            } => {
                let a = PROVIDERS[*provider];
                let p = m.providers[&a].clone();
                let lock_end = if *shorter && p.lock_end > 0 {
                    p.lock_end - 1 - delta % p.lock_end
                } else {
                    p.lock_end.max(now) + delta
                };
                let expected = if amount.is_zero() {
                    Err("ZeroAmount")
                } else if lock_end < p.lock_end {
                    Err("LockEndTooEarly")
                } else {
                    Ok(())
                };
                let got = w.stake(a, *amount, lock_end);
                check_outcome(op, expected, &got);
                if got.is_ok() {
                    let pm = m.providers.get_mut(&a).unwrap();
                    pm.registered_at.get_or_insert(now);
                    pm.stake += *amount;
                    *pm.added_in_period
                        .entry(Model::period(pm, now))
                        .or_default() += *amount;
                    pm.lock_start = now;
                    pm.lock_end = lock_end;
                    m.staked += *amount;
                }
            }
            Op::LockClaim { provider, delta } => {
                let a = PROVIDERS[*provider];
                let p = m.providers[&a].clone();
                let new_end = p.lock_end + delta;
                let expected = if p.registered_at.is_none() {
                    Err("NotRegistered")
                } else if new_end <= p.lock_end.max(now) {
                    Err("LockEndTooEarly")
                } else {
                    Ok(())
                };
                let got = w.lock_claim(a, new_end);
                check_outcome(op, expected, &got);
                if got.is_ok() {
                    let pm = m.providers.get_mut(&a).unwrap();
                    let before = pm.multiplier(now);
                    if now >= pm.lock_end {
                        pm.lock_start = now;
                    }
                    pm.lock_end = new_end;
                    assert!(
                        pm.multiplier(now) >= before,
                        "{op:?}: a later end never lowers the multiplier"
                    );
                }
            }
            Op::Withdraw { provider, pct } => {
                let a = PROVIDERS[*provider];
                let p = m.providers[&a].clone();
                // With no stake, an odd percentage still asks for one wei.
                let amount =
                    (p.stake * U256::from(*pct) / U256::from(100)).max(U256::from(*pct as u64 % 2));
                let expected = if amount.is_zero() {
                    Err("ZeroAmount")
                } else if p.registered_at.is_none() {
                    Err("NotRegistered")
                } else if now < p.lock_end {
                    Err("StakeLocked")
                } else if amount > p.stake {
                    Err("InsufficientStake")
                } else if amount > p.stake - Model::paid_now(&p, now).min(Model::added_now(&p, now))
                {
                    Err("StakeBacksPayouts")
                } else {
                    Ok(())
                };
                let balance_before = w.token_balance(a);
                let got = w.withdraw(a, amount);
                check_outcome(op, expected, &got);
                if got.is_ok() {
                    assert_eq!(w.token_balance(a) - balance_before, amount);
                    let pm = m.providers.get_mut(&a).unwrap();
                    pm.stake -= amount;
                    let period = Model::period(pm, now);
                    let stake = pm.stake;
                    pm.added_in_period
                        .entry(period)
                        .and_modify(|added| *added = (*added).min(stake));
                    m.staked -= amount;
                }
            }
            Op::Wait { secs } => w.advance(*secs),
            Op::WaitForUnlock { provider, extra } => {
                let end = m.providers[&PROVIDERS[*provider]].lock_end;
                w.set_time(end.max(now) + extra);
            }
        }
        check_invariants(&w, &m, op);
    }
}

fn check_invariants(w: &World, m: &Model, op: &Op) {
    let t = w.totals();
    let credited = t.credited + t.bootstrap;
    assert!(
        t.claimed <= credited,
        "after {op:?}: claimed {} > credited {credited}",
        t.claimed
    );
    assert!(
        credited <= t.funded,
        "after {op:?}: credited {credited} > funded {}",
        t.funded
    );
    assert_eq!(
        (t.funded, t.credited, t.bootstrap, t.claimed, t.staked),
        (m.funded, m.credited, m.bootstrap, m.claimed, m.staked),
        "after {op:?}: totals"
    );
    // The stake added this period backs this period's payouts: restaking a payout and
    // withdrawing it cannot lift the cap; older stake is never held.
    for (address, p) in &m.providers {
        let (paid, added) = (Model::paid_now(p, w.now()), Model::added_now(p, w.now()));
        assert!(
            paid.min(added) <= p.stake && added <= p.stake,
            "after {op:?}: {address} holds less than the stake backing this period's payouts"
        );
    }
    // Solvency: the contract holds everything funded and staked, minus what it paid out.
    assert_eq!(
        w.token_balance(CONTRACT),
        t.funded + t.staked - t.claimed,
        "after {op:?}: balance"
    );

    for (day, credited) in &m.credited_on {
        assert!(
            *credited <= m.cap(*day),
            "after {op:?}: day {day} credited {credited} > cap"
        );
    }
    for (day, bootstrap) in &m.bootstrap_on {
        assert!(
            *bootstrap <= Model::bootstrap_limit(*day),
            "after {op:?}: day {day} bootstrap over limit"
        );
    }
    // Today's figures as the views report them, even before the day's first transaction.
    let day = w.day();
    let pool = m
        .pool_at_start
        .get(&day)
        .copied()
        .unwrap_or_else(|| m.unused());
    assert_eq!(
        w.daily_cap(),
        scheduled(day) + pool / U256::from(100),
        "after {op:?}: today's cap"
    );
    assert_eq!(
        w.credited_today(),
        m.today(day).0,
        "after {op:?}: credited today"
    );
    assert_eq!(
        w.bootstrap_today(),
        (Model::bootstrap_limit(day), m.today(day).1),
        "after {op:?}"
    );
    assert_eq!(w.unused_pool(), m.unused(), "after {op:?}: unused pool");

    for a in PROVIDERS {
        let p = &m.providers[&a];
        let v = w.provider(a);
        assert_eq!(v.registered, p.registered_at.is_some(), "after {op:?}");
        assert_eq!(
            (v.stake, v.lock_start, v.lock_end),
            (p.stake, p.lock_start, p.lock_end),
            "after {op:?}: {a}"
        );
        assert_eq!(v.claimed, p.claimed, "after {op:?}: {a} claimed");
        if p.registered_at.is_some() {
            assert!(
                (MULTIPLIER_MIN..=MULTIPLIER_MAX).contains(&v.multiplier),
                "after {op:?}: multiplier {} out of [1, 10.7]",
                v.multiplier
            );
            assert_eq!(
                v.multiplier,
                p.multiplier(w.now()),
                "after {op:?}: {a} multiplier"
            );
            assert_eq!(v.weight, v.stake * v.multiplier / wad());
        }
        assert!(p.claimed <= p.earned + p.bootstrap);
    }
}

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::Off)),
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config(96))]

    #[test]
    fn every_step_of_any_history_keeps_the_invariants(ops in history()) {
        run(ops);
    }
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn the_multiplier_is_bounded_and_never_falls_with_a_later_end(
        start in 1_600_000_000u64..2_300_000_000,
        end in 1_600_000_000u64..2_300_000_000,
        later in 0u64..2 * YEAR,
    ) {
        let w = World::deploy();
        let a = w.c().power_multiplier(U256::from(start), U256::from(end));
        let b = w.c().power_multiplier(U256::from(start), U256::from(end + later));
        prop_assert!((MULTIPLIER_MIN..=MULTIPLIER_MAX).contains(&a));
        prop_assert!((MULTIPLIER_MIN..=MULTIPLIER_MAX).contains(&b));
        prop_assert!(b >= a, "m({start}, {end}) = {a} > m({start}, {}) = {b}", end + later);
    }

    #[test]
    fn a_lock_end_never_moves_earlier(
        first in 0u64..3 * YEAR,
        attempts in prop::collection::vec((prop::bool::ANY, 0u64..3 * YEAR, 0u64..YEAR), 1..8),
    ) {
        let mut w = World::deploy_with(Config { simulate_token: true, ..Config::default() });
        w.mint(ALICE, mor(1_000));
        w.stake(ALICE, mor(1), DEPLOY_TIME + first).unwrap();
        for (restake, end, wait) in attempts {
            let before = w.provider(ALICE).lock_end;
            let _ = if restake { w.stake(ALICE, mor(1), DEPLOY_TIME + end) } else { w.lock_claim(ALICE, DEPLOY_TIME + end) };
            prop_assert!(w.provider(ALICE).lock_end >= before);
            w.advance(wait);
        }
    }
}

#[test]
fn a_long_busy_history_keeps_the_invariants() {
    // One deterministic long run through 400 days of daily commits and claims: past the end
    // of the bootstrap window and into every provider's second stake-cap period.
    let mut ops = vec![Op::Fund {
        amount: mor(5_000_000),
    }];
    for i in 0..3 {
        ops.push(Op::Stake {
            provider: i,
            amount: mor(20_000 * (i as u64 + 1)),
            delta: YEAR,
            shorter: false,
        });
    }
    for day in 0..400u64 {
        ops.push(Op::Commit {
            pct: 60 + (day % 50) as u16,
            bootstrap_pct: 50 + (day % 60) as u16,
            shares: [day as u8, 3, 7],
            reuse_epoch: false,
            within_funds: day % 7 != 0,
        });
        ops.push(Op::Claim {
            caller: (day % 4) as usize,
            provider: (day % 3) as usize,
        });
        if day % 90 == 0 {
            ops.push(Op::Fund {
                amount: mor(1_000_000),
            });
        }
        ops.push(Op::Wait { secs: DAY });
    }
    run(ops);
}

#[test]
fn the_model_and_the_contract_agree_on_a_hand_written_history() {
    run(vec![
        Op::Claim {
            caller: 3,
            provider: 0,
        },
        Op::Fund {
            amount: mor(100_000),
        },
        Op::Stake {
            provider: 0,
            amount: mor(100),
            delta: YEAR,
            shorter: false,
        },
        Op::Commit {
            pct: 100,
            bootstrap_pct: 100,
            shares: [0, 0, 0],
            reuse_epoch: false,
            within_funds: true,
        },
        Op::Commit {
            pct: 1,
            bootstrap_pct: 0,
            shares: [0, 0, 0],
            reuse_epoch: false,
            within_funds: true,
        },
        Op::Claim {
            caller: 3,
            provider: 0,
        },
        Op::Claim {
            caller: 0,
            provider: 0,
        },
        Op::Claim {
            caller: 1,
            provider: 1,
        },
        Op::Wait { secs: YEAR },
        Op::Claim {
            caller: 0,
            provider: 0,
        },
        Op::Withdraw {
            provider: 0,
            pct: 50,
        },
        Op::Claim {
            caller: 0,
            provider: 0,
        },
    ]);
}
