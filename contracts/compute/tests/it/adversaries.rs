//! Adversaries (SPEC section 6, "Daily cap", "Settlement", "Owner powers"; CONTRACT.md
//! section 10): what a stolen router key, a replaying submitter and a signature forger can and
//! cannot do. The caps are computed here from the SPEC's formula, independently of the
//! contract, and the contract must agree to the wei.
//!
//! Adversaries covered elsewhere are not repeated here: see CONTRACT.md section 10 for the
//! tests that cover signatures for another chain or contract, high-s and malformed signatures,
//! claims over the stake cap or of someone else's leaf, the owner moving MOR, and stake locks.

use alloy_primitives::{address, uint, Address, B256, U256, U512};
use k256::{
    elliptic_curve::{ops::Reduce, point::AffineCoordinates, scalar::IsHigh, sec1::ToEncodedPoint},
    ProjectivePoint, Scalar,
};
use yellowstone_protocol::abi::Claimed;

use crate::common::*;

/// The thief: holds a stolen router key and runs (or colludes with) a staked provider.
const MALLORY: Address = address!("000000000000000000000000000000000000bad0");
/// The reserve already in the pool when the key is stolen.
const RESERVE: u64 = 1_000_000;
/// Mallory's stake, locked for a year.
const STAKE: u64 = 10_000;

fn root(n: u8) -> B256 {
    B256::repeat_byte(n)
}

/// `wei` as MOR with thousands separators and no trailing zeros, integers only.
fn fmt_mor(wei: U256) -> String {
    let unit = wad();
    let (whole, frac) = (wei / unit, wei % unit);
    let digits = whole.to_string();
    let mut grouped = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    if frac.is_zero() {
        return grouped;
    }
    let frac = format!("{:0>18}", frac.to_string());
    format!("{grouped}.{}", frac.trim_end_matches('0'))
}

/// The SPEC, written here: what has been funded and credited, day by day.
struct Ledger {
    funded: U256,
    credited: U256,
    epoch: u64,
}

/// One day of the attack, as the test computed it.
struct Day {
    day: u64,
    scheduled: U256,
    one_percent: U256,
    cap: U256,
    pool_at_start: U256,
    drained: U256,
}

/// Deployed with Morpheus's compute schedule, a reserve of `RESERVE` MOR funded on the
/// deployment day, and Mallory registered with `STAKE` MOR locked for a year. The router key
/// `w.router` is the stolen one.
fn stolen_key_world() -> (World, Ledger) {
    let mut w = World::deploy();
    w.fund(FUNDER, mor(RESERVE)).unwrap();
    w.stake(MALLORY, mor(STAKE), DEPLOY_TIME + YEAR).unwrap();
    let ledger = Ledger {
        funded: mor(RESERVE),
        credited: U256::ZERO,
        epoch: 0,
    };
    (w, ledger)
}

/// Mallory's root: every wei of cumulative credit in its own leaf.
fn mallory_tree(cumulative: U256) -> Tree {
    Tree::new(&[Leaf::new(MALLORY, cumulative, U256::ZERO)])
}

/// Moves to the next UTC day; the emissions distributor funds that day's scheduled emission;
/// the thief then credits itself as much as the contract lets it: one wei over the cap is
/// refused, exactly the cap is accepted, and one more wei that day is refused again.
fn drain_next_day(w: &mut World, m: &mut Ledger) -> Day {
    w.next_midnight();
    let day = w.day();
    // The SPEC: scheduled(d) + floor(1% of (funded - credited) at 00:00 of d).
    let pool_at_start = m.funded - m.credited;
    let scheduled = scheduled(day);
    let one_percent = pool_at_start / U256::from(100);
    let cap = scheduled + one_percent;

    // The day's emission arrives; it counts from tomorrow.
    w.fund(FUNDER, scheduled).unwrap();
    m.funded += scheduled;

    let over = m.credited + cap + U256::from(1);
    let err = expect_err!(
        w.commit_tree(m.epoch + 1, &mallory_tree(over)),
        DailyCapExceeded
    );
    assert_eq!(
        (err.day, err.creditedToday, err.cap),
        (day, cap + U256::from(1), cap),
        "day {day}: one wei over the SPEC's cap is refused"
    );

    m.credited += cap;
    m.epoch += 1;
    w.commit_tree(m.epoch, &mallory_tree(m.credited)).unwrap();
    assert_eq!(w.credited_today(), cap, "day {day}: exactly the cap");

    let err = expect_err!(
        w.commit_tree(m.epoch + 1, &mallory_tree(m.credited + U256::from(1))),
        DailyCapExceeded
    );
    assert_eq!(
        (err.creditedToday, err.cap),
        (cap + U256::from(1), cap),
        "day {day}: a further root that day adds nothing"
    );

    let t = w.totals();
    assert_eq!((t.funded, t.credited), (m.funded, m.credited));
    assert_eq!(w.unused_pool(), m.funded - m.credited);
    Day {
        day,
        scheduled,
        one_percent,
        cap,
        pool_at_start,
        drained: m.credited,
    }
}

// ---- a stolen router key ---------------------------------------------------------------------

/// A thief holding an authorised router key and a provider staked with 10,000 MOR attacks a
/// pool holding a 1,000,000 MOR reserve (Morpheus's compute schedule, each day's emission
/// arriving during the day) for five days, 2025-01-13 to 2025-01-17 (days 20101-20105):
///
/// | day | scheduled | 1% of unused | cap | drained (cumulative) | paid (cumulative) |
/// |---|---|---|---|---|---|
/// | 20101 | 3,254.5300323984 | 10,000 | 13,254.5300323984 | 13,254.5300323984 | 10,000 |
/// | 20102 | 3,253.93747367016 | 9,900 | 13,153.93747367016 | 26,408.46750606856 | 10,000 |
/// | 20103 | 3,253.34491494192 | 9,801 | 13,054.34491494192 | 39,462.81242101048 | 10,000 |
/// | 20104 | 3,252.75235621368 | 9,702.99 | 12,955.74235621368 | 52,418.55477722416 | 10,000 |
/// | 20105 | 3,252.15979748544 | 9,605.9601 | 12,858.11989748544 | 65,276.6746747096 | 10,000 |
///
/// Each day one wei over the cap is refused and exactly the cap is accepted. Five days drain
/// 65,276.6746747096 MOR of credit (16,266.7245747096 MOR of emission plus 49,009.9501 MOR,
/// 4.9%, of the reserve, which keeps 950,990.0499 MOR = 0.99^5 of it), but the thief is paid
/// only its stake, 10,000 MOR, in the 365-day period; the other 55,276.6746747096 MOR are
/// deferred, a stake's worth per period. (Restaking payouts does not let them leave before the
/// period ends: `claims.rs::restaking_a_payout_cannot_lift_the_cap_because_the_stake_backs_the_period`.)
#[test]
fn a_stolen_router_key_drains_at_most_the_daily_cap_per_day_and_is_paid_at_most_its_stake() {
    let (mut w, mut m) = stolen_key_world();
    let reserve = mor(RESERVE);
    let mut days = Vec::new();
    let mut paid = U256::ZERO;
    let mut paid_by_day = Vec::new();
    for _ in 0..5 {
        let d = drain_next_day(&mut w, &mut m);
        // What the thief can take out today: its leaf minus what it was paid, at most its
        // stake minus what it was paid in this 365-day period.
        let owed = m.credited - paid;
        let pays = owed.min(mor(STAKE) - paid);
        let tree = mallory_tree(m.credited);
        if pays.is_zero() {
            let err = expect_err!(w.claim(MALLORY, &tree, MALLORY), StakeCapReached);
            assert_eq!((err.paidThisPeriod, err.stake), (mor(STAKE), mor(STAKE)));
        } else {
            w.claim_paying(MALLORY, &tree, MALLORY, pays);
            paid += pays;
            assert_eq!(w.tx_event::<Claimed>().deferred, m.credited - paid);
        }
        paid_by_day.push(paid);
        days.push(d);
    }

    // The first day's cap, worked by hand: 3456 - 340 x 0.59255872824 = 3254.5300323984 MOR
    // scheduled, plus 1% of the 1,000,000 MOR reserve.
    assert_eq!(days[0].day, DEPLOY_DAY + 1);
    assert_eq!(days[0].cap, uint!(13_254_530_032_398_400_000_000_U256));

    // The drain is the sum of the caps and nothing more; the pool keeps the rest.
    let caps: U256 = days.iter().map(|d| d.cap).sum();
    let emission: U256 = days.iter().map(|d| d.scheduled).sum();
    let from_reserve: U256 = days.iter().map(|d| d.one_percent).sum();
    assert_eq!(caps, emission + from_reserve);
    assert_eq!(w.totals().credited, caps);
    assert_eq!(w.unused_pool(), reserve + emission - caps);
    assert!(from_reserve <= U256::from(days.len()) * reserve / U256::from(100));
    // Each day's emission arrives and leaves again, so what is left of the reserve after N days
    // is at least 0.99^N of it: 950,990.0499 MOR after five days.
    assert_eq!(w.unused_pool(), reserve - from_reserve);
    assert_eq!(
        w.unused_pool(),
        mor(950_990) + uint!(49_900_000_000_000_000_U256)
    );

    // Paid: the stake, once, in the period; the rest is deferred.
    assert_eq!(paid, mor(STAKE));
    assert_eq!(w.totals().claimed, mor(STAKE));
    assert_eq!(w.provider(MALLORY).claimed, mor(STAKE));
    expect_err!(
        w.claim(MALLORY, &mallory_tree(m.credited), MALLORY),
        StakeCapReached
    );
    // The stake backs the payout: it cannot leave before its lock end (a year away).
    expect_err!(w.withdraw(MALLORY, mor(1)), StakeLocked);

    eprintln!(
        "\nA stolen router key, {} MOR reserve, each day's emission funded, stake {} MOR",
        fmt_mor(mor(RESERVE)),
        fmt_mor(mor(STAKE)),
    );
    eprintln!("| day | scheduled | 1% of unused | cap | drained (cumulative) | paid (cumulative) | unused at start |");
    eprintln!("|---|---|---|---|---|---|---|");
    for (d, paid) in days.iter().zip(&paid_by_day) {
        eprintln!(
            "| {} | {} | {} | {} | {} | {} | {} |",
            d.day,
            fmt_mor(d.scheduled),
            fmt_mor(d.one_percent),
            fmt_mor(d.cap),
            fmt_mor(d.drained),
            fmt_mor(*paid),
            fmt_mor(d.pool_at_start),
        );
    }
    eprintln!(
        "after {} days: drained {} MOR ({} emission + {} reserve); unused pool {} MOR; paid {} MOR; deferred {} MOR",
        days.len(),
        fmt_mor(caps),
        fmt_mor(emission),
        fmt_mor(from_reserve),
        fmt_mor(w.unused_pool()),
        fmt_mor(paid),
        fmt_mor(m.credited - paid),
    );

    // A period after registration, the thief is paid one more stake's worth, no more.
    w.set_time(DEPLOY_TIME + YEAR);
    let tree = mallory_tree(m.credited);
    w.claim_paying(MALLORY, &tree, MALLORY, mor(STAKE));
    assert_eq!(
        w.tx_event::<Claimed>().deferred,
        m.credited - mor(2 * STAKE)
    );
    expect_err!(w.claim(MALLORY, &tree, MALLORY), StakeCapReached);
}

/// Thirty days of the same attack: the reserve loses at most 1% a day, so it keeps at least
/// 0.99^30 (73.97%) of itself: 739,700.373388280422730022 MOR of the 1,000,000 after draining
/// 357,677.764536887177269978 MOR (97,378.1379251676 of emission). Checked in integers:
/// `unused x 100^30 >= 99^30 x reserve`.
#[test]
fn after_thirty_days_of_a_stolen_key_the_reserve_keeps_at_least_0_99_to_the_30th() {
    let (mut w, mut m) = stolen_key_world();
    let reserve = mor(RESERVE);
    let mut caps = U256::ZERO;
    let mut emission = U256::ZERO;
    for _ in 0..30 {
        let d = drain_next_day(&mut w, &mut m);
        // The pool never loses more than 1% of what it held at the day's start.
        let next = d.pool_at_start + d.scheduled - d.cap;
        assert!(next * U256::from(100) >= d.pool_at_start * U256::from(99));
        caps += d.cap;
        emission += d.scheduled;
    }
    let unused = w.unused_pool();
    assert_eq!(unused, reserve + emission - caps);
    // The same reserve, decayed by hand: 30 times, minus 1% rounded down.
    let decayed = (0..30).fold(reserve, |pool, _| pool - pool / U256::from(100));
    assert_eq!(unused, decayed);
    let wide = |x: U256| U512::from_be_slice(&x.to_be_bytes::<32>());
    let hundred_pow = U512::from(100u64).pow(U512::from(30u64));
    let ninety_nine_pow = U512::from(99u64).pow(U512::from(30u64));
    assert!(
        wide(unused) * hundred_pow >= wide(reserve) * ninety_nine_pow,
        "the reserve keeps at least 0.99^30 of itself"
    );
    // And no more than that: each day took its full 1% (rounded down to the wei).
    assert!(wide(unused) * hundred_pow < wide(reserve + mor(1)) * ninety_nine_pow);
    eprintln!(
        "\n30 days: drained {} MOR ({} emission + {} reserve); unused pool {} MOR of the {} MOR reserve",
        fmt_mor(caps),
        fmt_mor(emission),
        fmt_mor(reserve - unused),
        fmt_mor(unused),
        fmt_mor(reserve),
    );
}

// ---- replays ---------------------------------------------------------------------------------

#[test]
fn a_replayed_epoch_root_is_refused() {
    let mut w = World::deploy();
    w.fund(FUNDER, mor(RESERVE)).unwrap();
    let signature = w.sign_epoch(1, root(1), mor(100), mor(10));
    w.submit(STRANGER, 1, root(1), mor(100), mor(10), signature.clone())
        .unwrap();
    let snapshot = |w: &World| {
        (
            w.c().latest_epoch(),
            w.totals(),
            w.credited_today(),
            w.daily_cap(),
            w.logs().len(),
        )
    };

    // The same signed commitEpoch, byte for byte, a second time.
    let before = snapshot(&w);
    let err = expect_err!(
        w.submit(STRANGER, 1, root(1), mor(100), mor(10), signature.clone()),
        UnexpectedEpoch
    );
    assert_eq!((err.epoch, err.expected), (1, 2));
    assert_eq!(snapshot(&w), before, "the replay changed nothing");

    // After epoch 2, neither epoch 1 nor epoch 2 can land again, today or on a later day.
    let second = w.sign_epoch(2, root(2), mor(200), mor(10));
    w.submit(STRANGER, 2, root(2), mor(200), mor(10), second.clone())
        .unwrap();
    let before = snapshot(&w);
    let err = expect_err!(
        w.submit(STRANGER, 1, root(1), mor(100), mor(10), signature.clone()),
        UnexpectedEpoch
    );
    assert_eq!((err.epoch, err.expected), (1, 3));
    assert_eq!(snapshot(&w), before);
    w.next_midnight();
    let before = snapshot(&w);
    for (epoch, root, credited, signature) in [
        (1, root(1), mor(100), signature),
        (2, root(2), mor(200), second),
    ] {
        let err = expect_err!(
            w.submit(STRANGER, epoch, root, credited, mor(10), signature),
            UnexpectedEpoch
        );
        assert_eq!((err.epoch, err.expected), (epoch, 3));
    }
    assert_eq!(snapshot(&w), before);
    assert_eq!(w.c().latest_epoch(), (2, root(2), mor(200), mor(10)));
}

// ---- forged signatures -----------------------------------------------------------------------

/// Anyone can make a signature that ecrecover maps to the router's address without its key,
/// but only over a digest the forger cannot choose: pick scalars a, b; R = aG + bQ (Q the
/// router's public key), r = x(R), s = r / b, and the signed "digest" is h = a s. No epoch root
/// hashes to h, and the contract hashes the root itself, so the forgery recovers someone else.
#[test]
fn a_forged_signature_with_the_routers_address_is_refused() {
    let mut w = World::deploy();
    w.fund(FUNDER, mor(RESERVE)).unwrap();
    let q = ProjectivePoint::from(*w.router.verifying_key().as_affine());
    let (a, b) = (Scalar::from(0x5eed_0001u64), Scalar::from(0x5eed_0002u64));
    let big_r = (ProjectivePoint::GENERATOR * a + q * b).to_affine();
    let x = big_r.to_encoded_point(false).x().copied().unwrap();
    let r = <Scalar as Reduce<k256::U256>>::reduce_bytes(&x);
    assert_eq!(r.to_bytes(), x, "x(R) is below the group order");
    let mut s = r * b.invert().unwrap();
    let h = a * s; // unchanged when a, b, R and s all change sign
    let mut odd = bool::from(big_r.y_is_odd());
    if bool::from(s.is_high()) {
        s = -s;
        odd = !odd;
    }
    let mut forged = r.to_bytes().to_vec();
    forged.extend_from_slice(&s.to_bytes());
    forged.push(27 + odd as u8);

    // Over h the forgery does recover the router...
    let chosen = B256::from_slice(&h.to_bytes());
    let mut input = [0u8; 128];
    input[..32].copy_from_slice(chosen.as_slice());
    input[63] = forged[64];
    input[64..].copy_from_slice(&forged[..64]);
    assert_eq!(&ecrecover(&input)[12..], w.router_address().as_slice());

    // ...but no root hashes to h, so submitted with any root it recovers someone else.
    let digest = epoch_digest(1, root(1), mor(1_000), U256::ZERO);
    assert_ne!(digest, chosen);
    w.mock_ecrecover(&forged, digest);
    let err = expect_err!(
        w.submit(STRANGER, 1, root(1), mor(1_000), U256::ZERO, forged),
        UnknownRouter
    );
    assert_ne!(err.router, w.router_address());
    assert_eq!(w.epoch(), 0);
    assert_eq!(w.totals().credited, U256::ZERO);
}
