//! Settlement is fair and live (SPEC 8): when a day's headroom is short, pending credit is paid
//! pro rata across providers, so no one entry can close the queue. The attack first, then the
//! rule's invariants as properties, then the rule through the market state.

use std::collections::BTreeMap;

use alloy_primitives::{Address, U256, U512};
use proptest::prelude::*;
use yellowstone_market::{
    records::Change,
    settle::{apply, apportion, fold, totals, Fold, Pending, Table},
};

use crate::fixture::*;

fn credit(seq: u64, provider: Address, amount: U256, bootstrap: bool) -> Pending {
    Pending {
        seq,
        provider,
        amount,
        bootstrap,
    }
}

fn addr(n: u64) -> Address {
    let mut bytes = [0u8; 20];
    bytes[12..].copy_from_slice(&n.to_be_bytes());
    Address::from(bytes)
}

fn pow10(n: u8) -> U256 {
    U256::from(10u64).pow(U256::from(n))
}

/// What the contract's commit does to the pending credits: the folded amounts leave, a
/// remainder stays under its seq.
fn settle_day(pending: &mut Vec<Pending>, f: &Fold) {
    for (seq, taken) in &f.taken {
        if let Some(c) = pending.iter_mut().find(|c| c.seq == *seq) {
            c.amount = c.amount.saturating_sub(*taken);
        }
    }
    pending.retain(|c| !c.amount.is_zero());
}

/// Wei taken per provider (work and bootstrap together).
fn paid(pending: &[Pending], f: &Fold) -> BTreeMap<Address, U256> {
    let mut out = BTreeMap::new();
    for (seq, taken) in &f.taken {
        let c = pending.iter().find(|c| c.seq == *seq).unwrap();
        *out.entry(c.provider).or_insert(U256::ZERO) += *taken;
    }
    out
}

// ---- the attack -----------------------------------------------------------------------------

/// An accomplice's 10^30 wei credit (10^12 MOR, from one token at an absurd price) accepted
/// first, then 100 honest credits of 10^15 wei (0.001 MOR). Under the old queue the first
/// credit took every day's whole headroom and the honest ones were paid nothing until it was
/// paid off; now each is paid its share the first day.
fn attack() -> (Address, Vec<Pending>) {
    let accomplice = addr(0xbad);
    let mut pending = vec![credit(1, accomplice, pow10(30), false)];
    for n in 0..100u64 {
        pending.push(credit(2 + n, addr(1 + n), pow10(15), false));
    }
    (accomplice, pending)
}

#[test]
fn one_huge_credit_no_longer_closes_the_queue() {
    let (accomplice, pending) = attack();
    // A daily cap of 3,000 MOR, the order of the demo's.
    let cap = U256::from(3_000u64) * pow10(18);
    let f = fold(&pending, cap, U256::ZERO);
    assert_eq!(f.credited, cap, "the whole headroom is used");
    let paid = paid(&pending, &f);
    // Each honest provider's share: 3e21 * 1e15 / (1e30 + 1e17) = 2,999,999.9999997 wei.
    for n in 0..100u64 {
        let got = paid.get(&addr(1 + n)).copied().unwrap_or_default();
        assert!(
            got == U256::from(2_999_999u64) || got == U256::from(3_000_000u64),
            "honest provider {n} got {got} wei (the old queue: 0)"
        );
    }
    assert!(
        paid[&accomplice] < cap,
        "the accomplice gets its share, not all"
    );
}

#[test]
fn across_days_everyone_converges_and_no_one_waits_for_the_accomplice() {
    let (accomplice, mut pending) = attack();
    let honest: Vec<Address> = (1..=100u64).map(addr).collect();
    let headroom = U256::from(25u64) * pow10(28); // 2.5e29 a day: 4 days and a bit
    let mut table = Table::new();
    let mut seq = 200;
    for day in 1..=10u64 {
        // The honest providers keep working for the first three days.
        if day <= 3 {
            for p in &honest {
                seq += 1;
                pending.push(credit(seq, *p, pow10(15), false));
            }
        }
        let owed: BTreeMap<Address, U256> = pending.iter().fold(BTreeMap::new(), |mut m, c| {
            *m.entry(c.provider).or_insert(U256::ZERO) += c.amount;
            m
        });
        let f = fold(&pending, headroom, U256::ZERO);
        let paid = paid(&pending, &f);
        table = apply(&table, &pending, &f);
        // Every provider owed something is paid the same fraction of it, to the wei: at least
        // floor(headroom * owed / total).
        let total = owed.values().fold(U512::ZERO, |s, o| s + U512::from(*o));
        for (p, o) in &owed {
            let floor: U512 = headroom.widening_mul(*o) / total;
            let got = U512::from(paid.get(p).copied().unwrap_or_default());
            assert!(
                got >= floor.min(U512::from(*o)),
                "day {day}: {p} paid {got}"
            );
        }
        settle_day(&mut pending, &f);
        if pending.is_empty() {
            assert_eq!(day, 5, "paid off the day the total is");
            break;
        }
        // Until the last day the accomplice is still owed: the honest are paid alongside it,
        // not after it.
        assert!(pending.iter().any(|c| c.provider == accomplice));
    }
    assert!(pending.is_empty(), "everyone is paid in full");
    assert_eq!(table[&accomplice], (pow10(30), U256::ZERO));
    for p in &honest {
        assert_eq!(table[p], (U256::from(4u64) * pow10(15), U256::ZERO));
    }
}

#[test]
fn many_identities_gain_nothing_over_one() {
    // Pro rata to what is owed: splitting the accomplice's credit over 10 keys leaves the
    // honest provider's pay as it was (to the rounding wei).
    let honest = addr(1);
    let big = pow10(20);
    let one = [
        credit(1, addr(0xbad), big, false),
        credit(2, honest, pow10(18), false),
    ];
    let mut split: Vec<Pending> = (0..10u64)
        .map(|n| credit(1 + n, addr(0xb00 + n), big / U256::from(10u64), false))
        .collect();
    split.push(credit(20, honest, pow10(18), false));
    let headroom = pow10(19);
    let alone = paid(&one, &fold(&one, headroom, U256::ZERO))[&honest];
    let among = paid(&split, &fold(&split, headroom, U256::ZERO))[&honest];
    // floor(1e19 * 1e18 / 1.01e20) = 99,009,900,990,099,009.9: the rounding wei may differ.
    let floor = U256::from(99_009_900_990_099_009u64);
    assert!(alone >= floor && alone <= floor + u(1), "{alone}");
    assert!(among >= floor && among <= floor + u(1), "{among}");
}

#[test]
fn more_headroom_never_pays_a_provider_less() {
    // Largest remainders would pay these claims 1, 1, 1 of 3 wei but 0, 2, 2 of 4.
    let claims: BTreeMap<Address, U256> = [(addr(1), 1u64), (addr(2), 3), (addr(3), 3)]
        .into_iter()
        .map(|(p, c)| (p, U256::from(c)))
        .collect();
    let mut before = apportion(U256::ZERO, &claims);
    for room in 1..=8u64 {
        let now = apportion(U256::from(room), &claims);
        for (p, a) in &now {
            assert!(
                *a >= before[p],
                "room {room}: {p} fell from {} to {a}",
                before[p]
            );
        }
        let sum: U256 = now.values().copied().sum();
        assert_eq!(sum, U256::from(room.min(7)));
        before = now;
    }
}

// ---- the invariants -------------------------------------------------------------------------

fn amount() -> impl Strategy<Value = U256> {
    prop_oneof![
        4 => (0u64..1_000).prop_map(U256::from),
        1 => any::<[u8; 32]>().prop_map(U256::from_be_bytes),
        1 => any::<u128>().prop_map(U256::from),
    ]
}

/// Pending credits with distinct, gapped seqs, in a shuffled order.
fn pendings() -> impl Strategy<Value = Vec<Pending>> {
    prop::collection::vec((0u64..6, amount(), prop::bool::weighted(0.3)), 0..24)
        .prop_map(|v| {
            v.into_iter()
                .enumerate()
                .map(|(i, (p, a, b))| credit(3 * i as u64 + 1, addr(p), a, b))
                .collect::<Vec<_>>()
        })
        .prop_shuffle()
}

fn headroom() -> impl Strategy<Value = U256> {
    prop_oneof![
        3 => (0u64..5_000).prop_map(U256::from),
        1 => any::<[u8; 32]>().prop_map(U256::from_be_bytes),
    ]
}

fn wide(x: U256) -> U512 {
    U512::from(x)
}

/// Per provider: (work owed, bootstrap owed), exact.
fn owed(pending: &[Pending]) -> BTreeMap<Address, (U512, U512)> {
    let mut out: BTreeMap<Address, (U512, U512)> = BTreeMap::new();
    for c in pending {
        let row = out.entry(c.provider).or_default();
        if c.bootstrap {
            row.1 += wide(c.amount);
        } else {
            row.0 += wide(c.amount);
        }
    }
    out
}

fn taken_of(f: &Fold, seq: u64) -> U256 {
    f.taken
        .iter()
        .find(|(s, _)| *s == seq)
        .map_or(U256::ZERO, |(_, a)| *a)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn takes_exactly_what_fits_and_never_more_than_either_headroom(
        pending in pendings(), head in headroom(), boot_head in headroom(),
    ) {
        let f = fold(&pending, head, boot_head);
        let (work, boot) = owed(&pending)
            .values()
            .fold((U512::ZERO, U512::ZERO), |(w, b), (pw, pb)| (w + pw, b + pb));
        let paid = wide(f.credited) + wide(f.bootstrap);
        prop_assert!(paid <= wide(head));
        prop_assert!(f.bootstrap <= boot_head);
        prop_assert_eq!(paid, wide(head).min(work + boot.min(wide(boot_head))));
        let listed = f.taken.iter().fold(U512::ZERO, |s, (_, a)| s + wide(*a));
        prop_assert_eq!(listed, paid);
    }

    #[test]
    fn no_credit_or_provider_is_paid_more_than_it_is_owed(
        pending in pendings(), head in headroom(), boot_head in headroom(),
    ) {
        let f = fold(&pending, head, boot_head);
        let seqs: Vec<u64> = f.taken.iter().map(|(s, _)| *s).collect();
        prop_assert!(seqs.windows(2).all(|w| w[0] < w[1]), "seq order, once each");
        for (seq, taken) in &f.taken {
            let c = pending.iter().find(|c| c.seq == *seq);
            prop_assert!(c.is_some_and(|c| *taken <= c.amount));
        }
        let owed = owed(&pending);
        for (p, got) in paid(&pending, &f) {
            let (w, b) = owed[&p];
            prop_assert!(wide(got) <= w + b);
        }
    }

    #[test]
    fn when_short_each_provider_gets_at_least_its_pro_rata_floor(
        pending in pendings(), head in headroom(),
    ) {
        let work: Vec<Pending> = pending.into_iter().filter(|c| !c.bootstrap).collect();
        let owed = owed(&work);
        let total = owed.values().fold(U512::ZERO, |s, (w, _)| s + w);
        let f = fold(&work, head, U256::ZERO);
        let paid = paid(&work, &f);
        for (p, (w, _)) in &owed {
            let got = wide(paid.get(p).copied().unwrap_or_default());
            if wide(head) >= total {
                prop_assert_eq!(got, *w, "everything fits: all is paid");
            } else if *w <= wide(U256::MAX) {
                // (A provider owed more than 2^256 - 1 wei, which only a test can make, is
                // counted as owed that much, so its own floor is not exact.)
                let floor = wide(head) * *w / total;
                prop_assert!(got >= floor, "{} got {} below its floor {}", p, got, floor);
            }
        }
    }

    #[test]
    fn a_provider_is_paid_oldest_first(
        pending in pendings(), head in headroom(), boot_head in headroom(),
    ) {
        let f = fold(&pending, head, boot_head);
        let mut sorted = pending.clone();
        sorted.sort_by_key(|c| c.seq);
        for c in &sorted {
            if taken_of(&f, c.seq) == c.amount {
                continue;
            }
            // Not taken whole: the provider's share (or, for a bootstrap share, its bootstrap
            // allotment) is spent, so nothing later of that kind is taken.
            for later in sorted.iter().filter(|l| l.seq > c.seq && l.provider == c.provider) {
                if c.bootstrap && !later.bootstrap {
                    continue;
                }
                prop_assert_eq!(taken_of(&f, later.seq), U256::ZERO);
            }
        }
    }

    #[test]
    fn more_headroom_never_takes_less_of_any_credit(
        pending in pendings(), head in headroom(), more in headroom(), boot_head in headroom(),
    ) {
        let small = fold(&pending, head, boot_head);
        let large = fold(&pending, head.saturating_add(more), boot_head);
        for c in &pending {
            prop_assert!(taken_of(&large, c.seq) >= taken_of(&small, c.seq));
        }
    }

    #[test]
    fn the_table_grows_by_exactly_what_was_taken(
        pending in pendings(), head in headroom(), boot_head in headroom(),
        previous in prop::collection::btree_map(0u64..8, (0u64..1_000, 0u64..1_000), 0..8),
    ) {
        let previous: Table = previous
            .into_iter()
            .map(|(p, (e, b))| (addr(p), (U256::from(e), U256::from(b))))
            .collect();
        let f = fold(&pending, head, boot_head);
        let table = apply(&previous, &pending, &f);
        let (e0, b0) = totals(&previous);
        let (e1, b1) = totals(&table);
        prop_assert_eq!((e1 - e0, b1 - b0), (f.credited, f.bootstrap));
        for (p, (e, b)) in &previous {
            let (e2, b2) = table[p];
            prop_assert!(e2 >= *e && b2 >= *b, "cumulative figures only grow");
        }
        let grown: U256 = table
            .iter()
            .map(|(p, (e, b))| {
                let (pe, pb) = previous.get(p).copied().unwrap_or_default();
                (*e - pe) + (*b - pb)
            })
            .sum();
        prop_assert_eq!(grown, f.credited + f.bootstrap);
    }

    #[test]
    fn the_fold_is_the_same_whatever_the_input_order(
        pending in pendings(), head in headroom(), boot_head in headroom(),
    ) {
        let mut sorted = pending.clone();
        sorted.sort_by_key(|c| c.seq);
        prop_assert_eq!(fold(&pending, head, boot_head), fold(&sorted, head, boot_head));
    }

    #[test]
    fn apportioning_uses_all_the_room_and_is_monotone(
        claims in prop::collection::btree_map(0u64..8, amount(), 0..8),
        room in headroom(), more in headroom(),
    ) {
        let claims: BTreeMap<Address, U256> =
            claims.into_iter().map(|(p, c)| (addr(p), c)).collect();
        let total = claims.values().fold(U512::ZERO, |s, c| s + wide(*c));
        let a = apportion(room, &claims);
        let sum = a.values().fold(U512::ZERO, |s, x| s + wide(*x));
        prop_assert_eq!(sum, wide(room).min(total));
        let b = apportion(room.saturating_add(more), &claims);
        for (p, c) in &claims {
            prop_assert!(a[p] <= *c);
            prop_assert!(b[p] >= a[p]);
        }
    }
}

// ---- through the market state ---------------------------------------------------------------

#[test]
fn an_epoch_pays_a_short_headroom_pro_rata_and_the_remainders_keep_their_seqs() {
    let mut m = Market::new();
    let (p, q) = (provider(), other_provider());
    m.add_provider(&q, 11);
    m.serve(&p, 1, 1_000, NOW); // seq 1: 7,000 wei, accepted first
    m.serve(&q, 2, 100, NOW); // seq 2: 1,100 wei
    let t = next_block(NOW);
    // A tenth of the 8,100 owed: each provider is paid a tenth of its credit. (The old queue
    // paid p 810 and q nothing.)
    let e = m.build(t, 810, BIG).unwrap();
    assert_eq!(e.fold, vec![(1, u(700)), (2, u(110))]);
    m.commit();
    assert_eq!(
        m.state.committed_leaf(p.address()),
        Some((u(700), U256::ZERO))
    );
    assert_eq!(
        m.state.committed_leaf(q.address()),
        Some((u(110), U256::ZERO))
    );
    // What the store is handed: each remainder under its own seq, so a restart resumes it.
    let credits: Vec<(u64, U256)> = m
        .log
        .iter()
        .rev()
        .take(2)
        .filter_map(|c| match c {
            Change::Credit(c) => Some((c.seq, c.amount)),
            _ => None,
        })
        .collect();
    assert_eq!(credits, vec![(2, u(990)), (1, u(6_300))]);
    assert_eq!(m.state.pending_credit(), (u(7_290), 2));
    let e = m.build(t + 12, BIG, BIG).unwrap();
    assert_eq!(e.fold, vec![(1, u(6_300)), (2, u(990))]);
    m.commit();
    assert_eq!(
        m.state.committed_leaf(p.address()),
        Some((u(7_000), U256::ZERO))
    );
    assert_eq!(
        m.state.committed_leaf(q.address()),
        Some((u(1_100), U256::ZERO))
    );
    assert_eq!(m.state.pending_credit(), (U256::ZERO, 0));
}
