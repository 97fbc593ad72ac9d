//! The simulated market: the router's real [`State`] driven by signed messages from a seeded
//! population, in simulated time (events in time order; a report arrives when its answer
//! ends), with the adversaries of issue 13 mixed into the honest traffic.
//!
//! Probes are not simulated (every gateway is live); selection is the router's own
//! [`selection::order`] over [`State::offers`], handing the ticket to the first provider that
//! takes it, as the service does.

use std::collections::{BTreeMap, HashMap};

use alloy_primitives::{address, Address, B256, U256};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::Eip712Domain;
use anyhow::{anyhow, Result};
use yellowstone_api::{ProviderRecord, Verdict};
use yellowstone_market::{
    allowance::Allowance,
    records::AllowanceRecord,
    selection,
    state::{Rules, State},
};
use yellowstone_protocol::{
    eip712::types::domain,
    messages::{Bid, ModelAttestation, Party, Receipt, Report, Rfc, Signed},
    time::DAY,
};

use super::population::{key, Provider, Rng, Speed, Timing};

/// The public model every honest user asks for.
pub const MODEL: &str = "llama-3-8b";
/// The accomplice's private model, bid at the price ceiling.
const PRIVATE: &str = "accomplice-private";
/// The absurd bidder's private model.
const ABSURD: &str = "absurd-private";
const WAD: u64 = 1_000_000_000_000_000_000;
/// The first simulated day (2026-12-01).
const DAY0: u64 = 20_788;

/// What to simulate.
#[derive(Clone, Debug)]
pub struct Config {
    /// Simulated days.
    pub days: u64,
    /// Honest requests per day.
    pub requests: u64,
    /// Honest providers.
    pub providers: u64,
    /// Log-normal shape of the providers' speed spread.
    pub sigma: f64,
    /// Day (0-based) at whose noon every honest provider becomes `slowdown` times slower.
    pub step_day: u64,
    /// The slowdown factor.
    pub slowdown: f64,
    /// Mix in the adversaries.
    pub adversaries: bool,
    /// The random seed.
    pub seed: u64,
    /// The market's rules.
    pub rules: Rules,
}

/// One day's figures.
#[derive(Clone, Debug, Default)]
pub struct Day {
    /// Honest passed reports, and how many were credited.
    pub honest_reports: u64,
    /// Of those, credited.
    pub honest_credited: u64,
    /// Tokens of honest passed work, and how many of them were credited.
    pub honest_tokens: u64,
    /// Of those, credited.
    pub honest_credited_tokens: u64,
    /// Poisoning reports sent, and accepted (credited or not).
    pub poison_sent: u64,
    /// Wei credited to the accomplice at the ceiling, and its user's allowance.
    pub accomplice_credit: U256,
    /// The accomplice user's allowance for the day.
    pub accomplice_allowance: U256,
    /// Wei credited to the absurd bidder, and its tickets.
    pub absurd_credit: U256,
    /// Tickets the absurd bidder's accomplice obtained.
    pub absurd_tickets: u64,
    /// Wei the fail spammer was charged, and its fails.
    pub spam_charged: U256,
    /// Fails the spammer reported.
    pub spam_fails: u64,
    /// Honest providers in back-off at the end of the day.
    pub backed_off: u64,
    /// The model's reference price at the end of the day.
    pub reference: Option<U256>,
}

/// The whole run.
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    /// Per day.
    pub days: Vec<Day>,
    /// Whether each honest passed report after the slowdown step was credited, in order.
    pub after_step: Vec<bool>,
    /// Honest passed reports before the step: (reports, credited, tokens, credited tokens).
    pub before_step: (u64, u64, u64, u64),
}

/// Who sends a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Who {
    Honest,
    /// Reports one token at 0 ms (or, `huge`, at the longest wall time allows).
    Poisoner {
        huge: bool,
    },
    Accomplice,
    Absurd,
    Spammer,
}

enum Event {
    Request { who: Who, user: usize },
    Report(Box<Pending>),
    Sweep,
}

struct Pending {
    who: Who,
    user: usize,
    provider: usize,
    id: B256,
    timing: Timing,
    pass: bool,
}

/// The simulation's world: the state, the parties and the event queue.
struct World {
    config: Config,
    state: State,
    domain: Eip712Domain,
    rng: Rng,
    speed: Speed,
    providers: Vec<Provider>,
    /// Every provider key by address (honest and adversarial), for receipts.
    provider_keys: Vec<PrivateKeySigner>,
    index: HashMap<Address, usize>,
    users: Vec<PrivateKeySigner>,
    events: BTreeMap<(u64, u64), Event>,
    seq: u64,
    nonce: u64,
    step_at: u64,
    outcome: Outcome,
}

/// Runs the simulation.
pub fn run(config: Config) -> Result<Outcome> {
    let mut world = World::new(config)?;
    world.schedule_days();
    while let Some(((now, _), event)) = world.events.pop_first() {
        world.handle(now, event)?;
    }
    Ok(world.outcome)
}

fn sign<T: Party>(key: &PrivateKeySigner, message: T, domain: &Eip712Domain) -> Signed<T> {
    Signed::sign(message, key, domain).expect("a local key signs")
}

fn staked(stake: U256) -> ProviderRecord {
    ProviderRecord {
        registered: true,
        stake,
        multiplier: U256::from(WAD),
        weight: stake,
        lock_start: 0,
        lock_end: u64::MAX,
        ..Default::default()
    }
}

impl World {
    fn new(config: Config) -> Result<Self> {
        let domain = domain(
            412_346,
            address!("00000000000000000000000000000000000c0de1"),
        );
        let state = State::new(config.rules.clone(), domain.clone(), key(0));
        let mut rng = Rng::new(config.seed);
        let base = 2_000_000_000_000_000u64; // 0.002 MOR a token
        let providers: Vec<Provider> = (0..config.providers)
            .map(|i| Provider {
                key: key(1_000 + i),
                factor: rng.log_normal(config.sigma),
                price: U256::from(base + base / 50 * (i % 5)),
            })
            .collect();
        let mut world = Self {
            step_at: (DAY0 + config.step_day) * DAY + DAY / 2,
            config,
            state,
            domain,
            rng,
            speed: Speed::chat(),
            provider_keys: Vec::new(),
            index: HashMap::new(),
            providers,
            users: (0..100).map(|i| key(10_000 + i)).collect(),
            events: BTreeMap::new(),
            seq: 0,
            nonce: 0,
            outcome: Outcome::default(),
        };
        world.enter_providers()?;
        Ok(world)
    }

    fn now0(&self) -> u64 {
        DAY0 * DAY
    }

    fn enter(
        &mut self,
        key: &PrivateKeySigner,
        model: &str,
        price: U256,
        stake: U256,
    ) -> Result<()> {
        let now = self.now0();
        let attestation = ModelAttestation {
            provider: key.address(),
            model: model.into(),
            weightsHash: alloy_primitives::keccak256(model),
            issuedAt: now,
        };
        self.state
            .attest(sign(key, attestation, &self.domain), now)
            .map_err(|e| anyhow!("attest: {e}"))?;
        let bid = Bid {
            provider: key.address(),
            model: model.into(),
            pricePerToken: price,
            capacity: 64,
            endpoint: format!("http://{}.example", key.address()),
            nonce: 1,
            expiry: now + (self.config.days + 1) * DAY,
        };
        self.state
            .bid(sign(key, bid, &self.domain), now)
            .map_err(|e| anyhow!("bid: {e}"))?;
        self.state
            .set_chain_record(key.address(), staked(stake), now);
        self.index.insert(key.address(), self.provider_keys.len());
        self.provider_keys.push(key.clone());
        Ok(())
    }

    fn enter_providers(&mut self) -> Result<()> {
        let honest: Vec<(PrivateKeySigner, U256)> = self
            .providers
            .iter()
            .map(|p| (p.key.clone(), p.price))
            .collect();
        for (key, price) in honest {
            self.enter(&key, MODEL, price, U256::from(10_000u64) * U256::from(WAD))?;
        }
        if !self.config.adversaries {
            return Ok(());
        }
        // The accomplice bids its private model at the ceiling: k times the reference it gets.
        let ceiling = self.state.price_bound(PRIVATE, self.now0()).limit();
        self.enter(&key(1), PRIVATE, ceiling, U256::from(WAD))?;
        // The absurd bidder: one wei of stake, 10^30 wei a token.
        let absurd = U256::from(10u64).pow(U256::from(30));
        self.enter(&key(2), ABSURD, absurd, U256::from(1))?;
        // Junk: one unstaked key, 1,000 one-wei bids on invented models.
        let junk = key(3);
        let now = self.now0();
        for i in 0..1_000u64 {
            let bid = Bid {
                provider: junk.address(),
                model: format!("invented-{i}"),
                pricePerToken: U256::from(1),
                capacity: 1,
                endpoint: "http://junk.example".into(),
                nonce: 1,
                expiry: now + (self.config.days + 1) * DAY,
            };
            self.state
                .bid(sign(&junk, bid, &self.domain), now)
                .map_err(|e| anyhow!("junk bid: {e}"))?;
        }
        Ok(())
    }

    fn push(&mut self, at: u64, event: Event) {
        self.seq += 1;
        self.events.insert((at, self.seq), event);
    }

    fn schedule_days(&mut self) {
        let (days, requests) = (self.config.days, self.config.requests.max(1));
        for d in 0..days {
            let start = (DAY0 + d) * DAY;
            for i in 0..requests {
                let user = self.rng.below(self.users.len() as u64) as usize;
                self.push(
                    start + i * DAY / requests,
                    Event::Request {
                        who: Who::Honest,
                        user,
                    },
                );
            }
            for minute in 0..DAY / 60 {
                self.push(start + minute * 60 + 59, Event::Sweep);
            }
            if !self.config.adversaries {
                continue;
            }
            // Ten poisoners on day 1, 120 one-token requests each: five report 0 ms, five the
            // longest time wall time allows.
            if d == 1 {
                for p in 0..10u64 {
                    for i in 0..120 {
                        let at = start + (p * 120 + i) * DAY / 1_200 + 7;
                        let who = Who::Poisoner { huge: p >= 5 };
                        self.push(
                            at,
                            Event::Request {
                                who,
                                user: p as usize,
                            },
                        );
                    }
                }
            }
            for hour in 0..24 {
                let at = start + hour * 3_600 + 1_800;
                self.push(
                    at,
                    Event::Request {
                        who: Who::Accomplice,
                        user: 0,
                    },
                );
                self.push(
                    at + 60,
                    Event::Request {
                        who: Who::Absurd,
                        user: 0,
                    },
                );
                for i in 0..4 {
                    self.push(
                        at + 120 + i * 600,
                        Event::Request {
                            who: Who::Spammer,
                            user: 0,
                        },
                    );
                }
            }
        }
    }

    /// The adversaries' user keys (fixed indices beyond the honest users').
    fn adversary(&self, who: Who, user: usize) -> PrivateKeySigner {
        match who {
            Who::Honest => self.users[user].clone(),
            Who::Poisoner { .. } => key(20_000 + user as u64),
            Who::Accomplice => key(30_000),
            Who::Absurd => key(30_001),
            Who::Spammer => key(30_002),
        }
    }

    /// The simulated day `now` falls in; reports of the last day's late answers count to it.
    fn day_index(&self, now: u64) -> usize {
        (now / DAY - DAY0).min(self.config.days.saturating_sub(1)) as usize
    }

    fn day_mut(&mut self, now: u64) -> &mut Day {
        let i = self.day_index(now);
        while self.outcome.days.len() <= i {
            self.outcome.days.push(Day::default());
        }
        &mut self.outcome.days[i]
    }

    /// Makes sure the user has today's allowance: honest users and the spammer plenty, the
    /// accomplices 50 MOR a day.
    fn allow(&mut self, user: &PrivateKeySigner, who: Who, now: u64) {
        let day = now / DAY;
        if self.state.allowance(day, user.address()).is_some() {
            return;
        }
        let wei = match who {
            Who::Accomplice | Who::Absurd => U256::from(50u64) * U256::from(WAD),
            _ => U256::from(1_000_000u64) * U256::from(WAD),
        };
        let record = AllowanceRecord {
            day,
            user: user.address(),
            balance: wei,
            price: self
                .state
                .reference_price(Some(MODEL), now)
                .unwrap_or(U256::from(1)),
            allowance: Allowance {
                allowance: wei,
                used: U256::ZERO,
                held: U256::ZERO,
            },
        };
        self.state.set_allowance(record);
        if who == Who::Accomplice {
            self.day_mut(now).accomplice_allowance = wei;
        }
    }

    fn handle(&mut self, now: u64, event: Event) -> Result<()> {
        match event {
            Event::Sweep => {
                self.state.sweep(now);
                if (now + 1).is_multiple_of(DAY) {
                    self.close_day(now);
                }
                Ok(())
            }
            Event::Request { who, user } => self.request(now, who, user),
            Event::Report(pending) => self.report(now, *pending),
        }
    }

    fn close_day(&mut self, now: u64) {
        let reference = self.state.reference_price(Some(MODEL), now);
        let backed_off = self
            .providers
            .iter()
            .filter(|p| {
                self.state
                    .provider(p.key.address())
                    .is_some_and(|i| i.backoff.until > now)
            })
            .count() as u64;
        let day = self.day_mut(now);
        day.reference = reference;
        day.backed_off = backed_off;
    }

    fn request(&mut self, now: u64, who: Who, user: usize) -> Result<()> {
        self.nonce += 1;
        let key = self.adversary(who, user);
        self.allow(&key, who, now);
        let (model, token_max) = match who {
            Who::Honest | Who::Spammer => (MODEL, 1_024),
            Who::Poisoner { .. } => (MODEL, 1),
            Who::Accomplice => (PRIVATE, 4_096),
            Who::Absurd => (ABSURD, 1),
        };
        let rfc = Rfc {
            user: key.address(),
            model: model.into(),
            tokenMax: token_max,
            nonce: self.nonce,
            deadline: now + 60,
        };
        let checked = self
            .state
            .check_rfc(sign(&key, rfc, &self.domain), now)
            .map_err(|e| anyhow!("rfc: {e}"))?;
        let offers = self.state.offers(model, now);
        let candidates: Vec<_> = offers.iter().map(|o| o.candidate.clone()).collect();
        let policy = self.state.rules().selection;
        let rng = &mut self.rng;
        let order = selection::order(&candidates, &policy, &mut || rng.next_u64());
        let mut issued = None;
        for i in order {
            let provider = candidates[i].provider;
            if let Ok((ticket, _)) = self.state.issue(&checked, provider, now) {
                issued = Some((ticket, provider));
                break;
            }
        }
        let Some((ticket, provider)) = issued else {
            return Ok(()); // no provider, busy or exhausted: nothing to report
        };
        let provider = self.index[&provider];
        let honest = provider < self.providers.len();
        let factor = if honest {
            self.providers[provider].factor
        } else {
            1.0
        };
        let slowdown = if honest && now >= self.step_at {
            self.config.slowdown
        } else {
            1.0
        };
        let mut timing = self
            .speed
            .answer(&mut self.rng, factor, slowdown, token_max);
        let mut pass = true;
        let mut report_at = now + timing.elapsed_ms.div_ceil(1_000);
        match who {
            Who::Poisoner { huge: false } => {
                timing.first_ms = 0;
                timing.elapsed_ms = 0;
                self.day_mut(now).poison_sent += 1;
            }
            Who::Poisoner { huge: true } => {
                // As late as the report window allows, claiming all of it.
                report_at = now + 600;
                timing.first_ms = 0;
                timing.elapsed_ms = 600_000;
                self.day_mut(now).poison_sent += 1;
            }
            Who::Absurd => self.day_mut(now).absurd_tickets += 1,
            Who::Spammer => pass = false,
            Who::Honest | Who::Accomplice => {}
        }
        let pending = Pending {
            who,
            user,
            provider,
            id: ticket.request_id,
            timing,
            pass,
        };
        self.push(report_at, Event::Report(Box::new(pending)));
        Ok(())
    }

    fn report(&mut self, now: u64, p: Pending) -> Result<()> {
        let user = self.adversary(p.who, p.user);
        let provider = self.provider_keys[p.provider].clone();
        let report = Report {
            requestId: p.id,
            user: user.address(),
            firstTokenMs: p.timing.first_ms,
            elapsedMs: p.timing.elapsed_ms,
            tokens: p.timing.tokens,
            pass: p.pass,
        };
        let receipt = Receipt {
            requestId: p.id,
            provider: provider.address(),
            tokens: p.timing.tokens,
        };
        let before = self.used(&user, now);
        let judged = self.state.report(
            sign(&user, report, &self.domain),
            Some(sign(&provider, receipt, &self.domain)),
            now,
        );
        let verdict = match judged {
            Ok((verdict, _)) => verdict,
            Err(_) => return Ok(()), // refused as invalid: nothing credited or learned
        };
        let wei = match &verdict {
            Verdict::Credited { wei, .. } => *wei,
            Verdict::Refused { .. } => U256::ZERO,
        };
        let charged = self.used(&user, now).saturating_sub(before);
        let step_at = self.step_at;
        match p.who {
            Who::Honest => {
                let credited = !wei.is_zero();
                let tokens = p.timing.tokens;
                if now > step_at {
                    self.outcome.after_step.push(credited);
                } else {
                    let b = &mut self.outcome.before_step;
                    b.0 += 1;
                    b.1 += u64::from(credited);
                    b.2 += tokens;
                    b.3 += if credited { tokens } else { 0 };
                }
                let day = self.day_mut(now);
                day.honest_reports += 1;
                day.honest_tokens += tokens;
                if credited {
                    day.honest_credited += 1;
                    day.honest_credited_tokens += tokens;
                }
            }
            Who::Accomplice => {
                let day = self.day_mut(now);
                day.accomplice_credit = day.accomplice_credit.saturating_add(wei);
            }
            Who::Absurd => {
                let day = self.day_mut(now);
                day.absurd_credit = day.absurd_credit.saturating_add(wei);
            }
            Who::Spammer => {
                let day = self.day_mut(now);
                day.spam_charged = day.spam_charged.saturating_add(charged);
                day.spam_fails += 1;
            }
            Who::Poisoner { .. } => {}
        }
        Ok(())
    }

    /// Wei the user has used today (settled charges).
    fn used(&self, user: &PrivateKeySigner, now: u64) -> U256 {
        self.state
            .allowance(now / DAY, user.address())
            .map_or(U256::ZERO, |a| a.allowance.used)
    }
}
