//! The credit rule and the fail rules under attack (SPEC 8 "The credit rule, robust" and
//! "Fail"): each test is an attack (or an honest market the seed's rule mistreated), with what
//! the seed's rule did and what the rule does now.
//!
//! The honest market: a hundred users taking turns, a provider answering with its first token
//! after 500 ms and 20 ms a token after it; answers of 100 tokens unless a test says otherwise.

use alloy_primitives::U256;
use alloy_signer_local::PrivateKeySigner;
use yellowstone_api::{Refusal, Verdict};
use yellowstone_market::{
    allowance::Allowance,
    judge::JudgePolicy,
    records::{AllowanceRecord, TicketStatus},
    state::Rules,
};
use yellowstone_protocol::messages::Report;

use crate::fixture::*;

/// Honest users (a full window's worth).
const HONEST: u8 = 100;

/// Milliseconds to the first token, and per token after it, of the honest provider.
const FIRST: u64 = 500;
const PER_TOKEN: u64 = 20;

/// The honest provider's time for an answer of `n` tokens: (first, elapsed).
fn honest_ms(n: u64) -> (u64, u64) {
    (FIRST, FIRST + (n - 1) * PER_TOKEN)
}

fn is_credited(v: &Verdict) -> bool {
    matches!(v, Verdict::Credited { .. })
}

/// A market with a clock: every request is issued at `now` and reported when its answer
/// ends (whole seconds), and the clock moves there.
struct Run {
    m: Market,
    now: u64,
    nonce: u64,
    honest: Vec<PrivateKeySigner>,
}

impl Run {
    fn new() -> Self {
        Self::with(Rules::default())
    }

    fn with(rules: Rules) -> Self {
        let mut m = Market::with(rules);
        // Room for many tickets at once (the fixture's bid serves 8).
        let p = provider();
        let mut bid = bid(&p, PRICE, 2, NOW + DAY);
        bid.capacity = 4_096;
        m.state.bid(sign(&p, bid), NOW).unwrap();
        let mut run = Run {
            m,
            now: NOW,
            nonce: 0,
            honest: Vec::new(),
        };
        let honest = (0..HONEST).map(|i| run.user(100 + i)).collect();
        run.honest = honest;
        run
    }

    /// A user with the fixture's allowance today.
    fn user(&mut self, n: u8) -> PrivateKeySigner {
        let k = key(n);
        self.m.allow(&k, ALLOWANCE, self.now);
        k
    }

    /// Opens a ticket of `tokens` at `now`.
    fn open(&mut self, who: &PrivateKeySigner, tokens: u64) -> alloy_primitives::B256 {
        self.nonce += 1;
        let nonce = self.nonce;
        self.m
            .open(who, nonce, tokens, &provider(), self.now)
            .request_id
    }

    /// Reports a ticket at `at` with the provider's receipt for `tokens`.
    #[allow(clippy::too_many_arguments)]
    fn report_at(
        &mut self,
        who: &PrivateKeySigner,
        id: alloy_primitives::B256,
        tokens: u64,
        first: u64,
        elapsed: u64,
        pass: bool,
        at: u64,
    ) -> Result<Verdict, yellowstone_api::ApiError> {
        let report = Report {
            requestId: id,
            user: who.address(),
            firstTokenMs: first,
            elapsedMs: elapsed,
            tokens,
            pass,
        };
        let (v, c) = self.m.state.report(
            sign(who, report),
            Some(receipt(&provider(), id, tokens)),
            at,
        )?;
        self.m.log.extend(c);
        Ok(v)
    }

    /// One request of `tokens`, answered in `first`/`elapsed` ms and reported as `pass`.
    fn request(
        &mut self,
        who: &PrivateKeySigner,
        tokens: u64,
        first: u64,
        elapsed: u64,
        pass: bool,
    ) -> Verdict {
        let id = self.open(who, tokens);
        let at = self.now + elapsed / 1000;
        let v = self
            .report_at(who, id, tokens, first, elapsed, pass, at)
            .unwrap();
        self.now = at;
        v
    }

    /// Honest request number `k` (from the `k % 100`th honest user) of `tokens`, at the
    /// honest speed times `slow`.
    fn honest(&mut self, k: usize, tokens: u64, slow: u64) -> Verdict {
        let who = self.honest[k % self.honest.len()].clone();
        let (first, elapsed) = honest_ms(tokens);
        self.request(&who, tokens, first * slow, elapsed * slow, true)
    }

    /// `n` honest requests of 100 tokens: the warm market.
    fn warm(&mut self, n: usize) {
        for k in 0..n {
            assert!(is_credited(&self.honest(k, 100, 1)));
        }
    }

    /// How many of `n` honest requests of 100 tokens are credited.
    fn honest_credited(&mut self, n: usize, slow: u64) -> usize {
        (0..n)
            .filter(|k| is_credited(&self.honest(*k, 100, slow)))
            .count()
    }

    /// The model's averages `(F, D)` in whole ms.
    fn averages(&self) -> (u64, u64) {
        self.m.state.speed(MODEL).unwrap().averages().unwrap()
    }
}

// ---- poisoning the speed averages -------------------------------------------------------

#[test]
fn one_user_reporting_zero_times_cannot_freeze_a_warm_model() {
    // Seed's rule: 120 one-token passes in 0 ms are all credited, fill the window with zeros,
    // and then 0 of 20 honest requests are credited, forever.
    let mut run = Run::new();
    run.warm(100);
    let attacker = run.user(7);
    for _ in 0..120 {
        run.request(&attacker, 1, 0, 0, true);
    }
    let window = run.m.state.speed(MODEL).unwrap();
    assert_eq!(
        window.held_by(attacker.address()),
        10,
        "a tenth of the window"
    );
    let (f, d) = run.averages();
    assert!(
        f >= 450 && d == 19,
        "the averages barely move: F {f}, D {d}"
    );
    assert_eq!(run.honest_credited(20, 1), 20);
}

#[test]
fn one_user_reporting_zero_times_cannot_set_the_scale_of_a_new_model() {
    // Seed's rule: the first ten reports are the warm-up; ten zeros from one user make the
    // average zero and no honest request is ever credited.
    let mut run = Run::new();
    let attacker = run.user(7);
    for _ in 0..120 {
        assert!(is_credited(&run.request(&attacker, 1, 0, 0, true)));
    }
    let window = run.m.state.speed(MODEL).unwrap();
    assert_eq!(window.len(), 2, "a fifth of the warm-up");
    // Eight honest users finish the warm-up: the median of the ten sets the scale.
    run.warm(8);
    // Its two zeros are raised to 500 / 1.5: F = (2 * 333 + 8 * 500) / 10.
    let (f, _) = run.averages();
    assert_eq!(f, 466);
    assert_eq!(run.honest_credited(20, 1), 20);
}

#[test]
fn ten_users_reporting_zero_times_are_outweighed_within_one_window() {
    // Seed's rule: the zeros fill the window and no honest request is ever credited again.
    // Now ten users hold the whole window between them, but each of their samples moves the
    // averages down by at most X / (100 + X) of them, and honest reports (credited or not)
    // enter too: after one window of honest traffic every honest request is credited.
    let mut run = Run::new();
    run.warm(100);
    let attackers: Vec<PrivateKeySigner> = (0..10).map(|i| run.user(60 + i)).collect();
    for k in 0..120 {
        run.request(&attackers[k % 10], 1, 0, 0, true);
    }
    let (f, d) = run.averages();
    assert!(f >= FIRST / 4, "F {f}: bounded by 1/(1 + X/100) a report");
    assert!(d >= PER_TOKEN / 4, "D {d}");
    let during = run.honest_credited(100, 1);
    assert!(
        during >= 50,
        "{during} of 100 credited while honest traffic recovers"
    );
    assert_eq!(run.honest_credited(20, 1), 20);
}

#[test]
fn huge_times_from_one_user_are_clamped_so_a_slow_provider_stays_refused() {
    // Seed's rule on a new model: ten huge warm-up reports make the average enormous, so any
    // slowness is credited. Now: two samples a user during the warm-up, clamped to twice the
    // median when it ends, and a tenth of the window after it. `elapsedMs` is also bounded by
    // the wall time since the ticket (at most ticket + report window, 1020 s).
    let mut run = Run::new();
    let attacker = run.user(7);
    let ids: Vec<_> = (0..120).map(|_| run.open(&attacker, 1)).collect();
    let at = run.now + 1_000;
    for id in ids {
        let v = run
            .report_at(&attacker, id, 1, 1_000_000, 1_000_000, true, at)
            .unwrap();
        assert!(is_credited(&v), "warm-up: pass alone");
    }
    run.now = at;
    run.warm(8);
    let (f, d) = run.averages();
    assert!(f <= 700 && d <= 21, "F {f}, D {d}");
    // A provider three times slower than the honest one is refused.
    let slow = run.honest[0].clone();
    let (first, elapsed) = honest_ms(100);
    assert!(!is_credited(&run.request(
        &slow,
        100,
        first * 3,
        elapsed * 3,
        true
    )));
    let (f0, d0) = run.averages();
    // More of the same user's huge reports after the warm-up move the averages little: they
    // hold one sample (a tenth of this small window) at twice the average at most.
    let ids: Vec<_> = (0..120).map(|_| run.open(&attacker, 1)).collect();
    let at = run.now + 1_000;
    for id in ids {
        run.report_at(&attacker, id, 1, 1_000_000, 1_000_000, true, at)
            .unwrap();
    }
    run.now = at;
    let (f, d) = run.averages();
    assert!(
        f <= f0 + f0 / 5 && d <= d0 + 1,
        "F {f0} -> {f}, D {d0} -> {d}"
    );
    assert!(!is_credited(&run.request(
        &slow,
        100,
        first * 3,
        elapsed * 3,
        true
    )));
}

#[test]
fn huge_times_from_ten_users_raise_the_averages_by_a_bounded_factor() {
    // The window learns from refused reports too (so a real slowdown is learned), so ten users
    // can teach it a slowdown: each of their samples raises an average by at most 2X/100 of
    // it (here F to 5.6 times), and honest reports bring it back, each at least X/(100+X)
    // of the way (here within four windows). Meanwhile honest requests are all credited,
    // and a slower provider may be too: the residual risk of learning slowdowns.
    let mut run = Run::new();
    run.warm(100);
    let attackers: Vec<PrivateKeySigner> = (0..10).map(|i| run.user(60 + i)).collect();
    let ids: Vec<_> = (0..120)
        .map(|k| (k % 10, run.open(&attackers[k % 10], 1)))
        .collect();
    let at = run.now + 1_000;
    for (k, id) in ids {
        run.report_at(&attackers[k], id, 1, 1_000_000, 1_000_000, true, at)
            .unwrap();
    }
    run.now = at;
    let (f, _) = run.averages();
    assert!(f <= 6 * FIRST, "F {f}");
    for _ in 0..4 {
        assert_eq!(run.honest_credited(100, 1), 100);
    }
    let (f, d) = run.averages();
    assert!(
        (FIRST..=FIRST + 10).contains(&f) && d <= PER_TOKEN + 1,
        "F {f}, D {d}"
    );
}

// ---- times that cannot be true ----------------------------------------------------------

#[test]
fn elapsed_above_the_wall_time_since_the_ticket_is_refused_and_the_ticket_stays_open() {
    let mut run = Run::new();
    let who = run.honest[0].clone();
    let id = run.open(&who, 100);
    let issued = run.now;
    // Reported 5 s after the issue (whole seconds): at most 6000 ms.
    let err = run
        .report_at(&who, id, 100, 0, 6_001, true, issued + 5)
        .unwrap_err();
    assert_eq!((err.status, err.code), (400, "invalid"), "{err}");
    assert!(
        err.message.contains("6001") && err.message.contains("6000"),
        "{err}"
    );
    assert_eq!(
        run.m.state.ticket(id).unwrap().status,
        TicketStatus::Open,
        "the ticket is not consumed"
    );
    let v = run
        .report_at(&who, id, 100, 0, 6_000, true, issued + 5)
        .unwrap();
    assert!(is_credited(&v));
}

#[test]
fn a_first_token_after_the_last_is_refused_and_the_ticket_stays_open() {
    let mut run = Run::new();
    let who = run.honest[0].clone();
    let id = run.open(&who, 100);
    let err = run
        .report_at(&who, id, 100, 501, 500, true, run.now)
        .unwrap_err();
    assert_eq!((err.status, err.code), (400, "invalid"), "{err}");
    assert!(
        err.message.contains("501") && err.message.contains("500"),
        "{err}"
    );
    assert!(is_credited(
        &run.report_at(&who, id, 100, 500, 500, true, run.now)
            .unwrap()
    ));
}

// ---- what is measured ---------------------------------------------------------------------

#[test]
fn a_short_answer_from_the_fastest_provider_is_credited() {
    // Seed's rule: 5 tokens in 460 ms is 92 ms a token against an average of 24.8 (the
    // first token's wait spread over 100 tokens): refused. Now: E(5) = 500 + 4 * 20 = 580 ms.
    let mut run = Run::new();
    run.warm(100);
    let who = run.honest[0].clone();
    assert!(is_credited(&run.request(&who, 5, 400, 460, true)));
    assert!(is_credited(&run.request(&who, 1, 400, 400, true)));
}

#[test]
fn padding_an_answer_is_not_rewarded() {
    // A provider 60% slower per token. Seed's rule: refused at 20 tokens (55 ms a token), but
    // credited when padded to 100 (36.7 ms a token, the wait to the first token spread
    // thinner). Now: credited at 20 tokens (1108 ms against E(20) = 880, limit 1320), and
    // padding only adds slow tokens: refused at 300 (10068 ms against a limit of 9720).
    let mut run = Run::new();
    run.warm(100);
    let who = run.honest[0].clone();
    let slow = |n: u64| FIRST + (n - 1) * 32;
    assert!(is_credited(&run.request(&who, 20, FIRST, slow(20), true)));
    assert!(is_credited(&run.request(&who, 100, FIRST, slow(100), true)));
    assert!(!is_credited(&run.request(
        &who,
        300,
        FIRST,
        slow(300),
        true
    )));
    // At the honest speed every length is credited.
    for n in [1, 2, 5, 20, 300, 1_000] {
        let (first, elapsed) = honest_ms(n);
        assert!(
            is_credited(&run.request(&who, n, first, elapsed, true)),
            "{n}"
        );
    }
}

#[test]
fn a_4x_slowdown_is_learned_within_one_window() {
    // Seed's rule: the window learns only from credited requests, so after a 4x slowdown
    // every request is refused and the model is frozen. Now refused reports enter too.
    let mut run = Run::new();
    run.warm(100);
    let refused_first = run.honest_credited(1, 4);
    assert_eq!(refused_first, 0, "the first slow ones are refused");
    let learning = run.honest_credited(99, 4);
    assert!(learning > 0, "learned before a window is over");
    assert_eq!(run.honest_credited(20, 4), 20, "learned after Z reports");
}

// ---- fails ---------------------------------------------------------------------------------

#[test]
fn fail_spam_by_one_user_never_backs_off_nor_sinks_the_score() {
    // Seed's rule: every fail counted and backed the provider off (5 s doubling to 300 s), so
    // one user could keep a provider out of the market and its score near zero.
    let mut run = Run::new();
    let spammer = run.user(7);
    for k in 0..300 {
        let v = run.request(&spammer, 10, 0, 100, false);
        assert_eq!(
            v,
            Verdict::Refused {
                reason: Refusal::Failed
            }
        );
        assert_eq!(
            run.m
                .state
                .unselectable(provider().address(), MODEL, run.now),
            None
        );
        assert!(is_credited(&run.honest(k, 100, 1)));
        let score = run.m.state.provider(provider().address()).unwrap().score;
        assert!(score.fails < 2, "one user is at most one fail: {score:?}");
    }
    let score = run.m.state.provider(provider().address()).unwrap().score;
    assert!(score.permille() > 900, "{score:?}");
}

#[test]
fn fails_from_ten_users_count_one_each() {
    let mut run = Run::new();
    let users: Vec<PrivateKeySigner> = (0..10).map(|i| run.user(60 + i)).collect();
    for k in 0..100 {
        run.request(&users[k % 10], 10, 0, 100, false);
    }
    let score = run.m.state.provider(provider().address()).unwrap().score;
    assert_eq!((score.passes, score.fails), (0, 10));
    let counted = run
        .m
        .state
        .fail_memory(provider().address())
        .unwrap()
        .counted();
    assert_eq!(counted.len(), 10);
}

/// Installs `who`'s allowance for today with a MOR `balance` (the fixture's stake is 1000).
fn with_balance(run: &mut Run, who: &PrivateKeySigner, balance: u64) {
    let record = AllowanceRecord {
        day: run.now / DAY,
        user: who.address(),
        balance: u(balance),
        price: u(PRICE),
        allowance: Allowance {
            allowance: u(ALLOWANCE),
            used: U256::ZERO,
            held: U256::ZERO,
        },
    };
    run.m.state.set_allowance(record);
}

#[test]
fn with_the_balance_rule_a_small_holders_fail_is_only_a_negative_point() {
    let rules = Rules {
        judge: JudgePolicy {
            fail_needs_balance_over_stake: true,
            ..JudgePolicy::default()
        },
        ..Rules::default()
    };
    let mut run = Run::with(rules);
    for i in 0..3 {
        let who = &key(60 + i);
        with_balance(&mut run, who, 1_000);
        // Balance 1000 does not exceed the stake of 1000: credited as if passed.
        let v = run.request(who, 10, 0, 100, false);
        assert!(is_credited(&v), "{v:?}");
    }
    let score = run.m.state.provider(provider().address()).unwrap().score;
    assert_eq!((score.passes, score.fails), (0, 3));
    assert_eq!(
        run.m
            .state
            .unselectable(provider().address(), MODEL, run.now),
        None,
        "no back-off"
    );
    // A fail that does not withhold is still judged on speed, and is no speed sample.
    assert!(run.m.state.speed(MODEL).is_none_or(|s| s.is_empty()));
    // A holder of more than the stake withholds the credit.
    let large = key(70);
    with_balance(&mut run, &large, 1_001);
    assert_eq!(
        run.request(&large, 10, 0, 100, false),
        Verdict::Refused {
            reason: Refusal::Failed
        }
    );
}
