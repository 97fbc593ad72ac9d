//! The parties, signed messages and market every rule test starts from.

use alloy_primitives::{address, Address, B256, U256};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::Eip712Domain;
use yellowstone_api::{v1::Issued, ApiError, ProviderRecord, Verdict};
use yellowstone_market::{
    allowance::Allowance,
    records::{AllowanceRecord, Change, EpochRecord},
    state::{Rules, State},
};
pub(crate) use yellowstone_protocol::time::DAY;
use yellowstone_protocol::{
    eip712::{domain_separator, epoch_root_hash, signing_hash, types::domain},
    messages::{recover, Bid, ModelAttestation, Party, Receipt, Report, Rfc, Signed},
};

pub(crate) const CHAIN_ID: u64 = 412_346;
pub(crate) const CONTRACT: Address = address!("00000000000000000000000000000000000c0de1");
pub(crate) const MODEL: &str = "llama-3-8b";
/// The UTC day the tests run on.
pub(crate) const DAY0: u64 = 20_000;
/// One hour into `DAY0`, at the start of an inference block (12 s).
pub(crate) const NOW: u64 = DAY0 * DAY + 3_600;
/// The provider's bid price, wei per token.
pub(crate) const PRICE: u64 = 7;
/// The user's daily allowance in wei: 100,000 tokens at `PRICE`.
pub(crate) const ALLOWANCE: u64 = 100_000 * PRICE;
/// A headroom that never limits an epoch.
pub(crate) const BIG: u64 = u64::MAX;

// ---- parties and messages -------------------------------------------------------------------

pub(crate) fn key(n: u8) -> PrivateKeySigner {
    PrivateKeySigner::from_bytes(&B256::repeat_byte(n)).unwrap()
}
pub(crate) fn router_key() -> PrivateKeySigner {
    key(9)
}
pub(crate) fn user() -> PrivateKeySigner {
    key(1)
}
pub(crate) fn other_user() -> PrivateKeySigner {
    key(4)
}
pub(crate) fn provider() -> PrivateKeySigner {
    key(2)
}
pub(crate) fn other_provider() -> PrivateKeySigner {
    key(3)
}
pub(crate) fn dom() -> Eip712Domain {
    domain(CHAIN_ID, CONTRACT)
}
pub(crate) fn u(n: u64) -> U256 {
    U256::from(n)
}

pub(crate) fn sign<T: Party>(signer: &PrivateKeySigner, message: T) -> Signed<T> {
    Signed::sign(message, signer, &dom()).unwrap()
}

pub(crate) fn attestation(p: &PrivateKeySigner, issued_at: u64) -> ModelAttestation {
    ModelAttestation {
        provider: p.address(),
        model: MODEL.into(),
        weightsHash: B256::repeat_byte(0xee),
        issuedAt: issued_at,
    }
}

pub(crate) fn bid(p: &PrivateKeySigner, price: u64, nonce: u64, expiry: u64) -> Bid {
    Bid {
        provider: p.address(),
        model: MODEL.into(),
        pricePerToken: u(price),
        capacity: 8,
        endpoint: "http://provider.example/".into(),
        nonce,
        expiry,
    }
}

pub(crate) fn rfc(
    user: &PrivateKeySigner,
    nonce: u64,
    token_max: u64,
    deadline: u64,
) -> Signed<Rfc> {
    sign(
        user,
        Rfc {
            user: user.address(),
            model: MODEL.into(),
            tokenMax: token_max,
            nonce,
            deadline,
        },
    )
}

pub(crate) fn receipt(p: &PrivateKeySigner, id: B256, tokens: u64) -> Signed<Receipt> {
    sign(
        p,
        Receipt {
            requestId: id,
            provider: p.address(),
            tokens,
        },
    )
}

pub(crate) fn report(
    user: &PrivateKeySigner,
    id: B256,
    tokens: u64,
    elapsed_ms: u64,
    pass: bool,
) -> Signed<Report> {
    sign(
        user,
        Report {
            requestId: id,
            user: user.address(),
            firstTokenMs: 0,
            elapsedMs: elapsed_ms,
            tokens,
            pass,
        },
    )
}

pub(crate) fn staked() -> ProviderRecord {
    ProviderRecord {
        registered: true,
        stake: u(1_000),
        weight: u(1_000),
        multiplier: u(1_000_000_000_000_000_000),
        ..Default::default()
    }
}

pub(crate) fn allowance_record(user: Address, day: u64, allowance: u64) -> AllowanceRecord {
    AllowanceRecord {
        day,
        user,
        balance: u(5),
        price: u(PRICE),
        allowance: Allowance {
            allowance: u(allowance),
            used: U256::ZERO,
            held: U256::ZERO,
        },
    }
}

// ---- a market -------------------------------------------------------------------------------

/// A state with every `Change` it returned kept in `log`, in order.
pub(crate) struct Market {
    pub(crate) state: State,
    pub(crate) log: Vec<Change>,
}

impl Market {
    /// A fresh market under `rules`: `provider()` attested, bidding `PRICE` until a day from
    /// now, staked; `user()` and `other_user()` with `ALLOWANCE` tokens today.
    pub(crate) fn with(rules: Rules) -> Self {
        let mut m = Market {
            state: State::new(rules, dom(), router_key()),
            log: Vec::new(),
        };
        m.add_provider(&provider(), PRICE);
        m.allow(&user(), ALLOWANCE, NOW);
        m.allow(&other_user(), ALLOWANCE, NOW);
        m
    }

    pub(crate) fn new() -> Self {
        Self::with(Rules::default())
    }

    pub(crate) fn add_provider(&mut self, p: &PrivateKeySigner, price: u64) {
        let c = self
            .state
            .attest(sign(p, attestation(p, NOW)), NOW)
            .unwrap();
        self.log.extend(c);
        let c = self
            .state
            .bid(sign(p, bid(p, price, 1, NOW + DAY)), NOW)
            .unwrap();
        self.log.extend(c);
        self.state.set_chain_record(p.address(), staked(), NOW);
    }

    pub(crate) fn allow(&mut self, user: &PrivateKeySigner, allowance: u64, now: u64) {
        let c = self
            .state
            .set_allowance(allowance_record(user.address(), now / DAY, allowance));
        self.log.push(c);
    }

    /// Admits an RFC and issues its ticket to `to`.
    pub(crate) fn open(
        &mut self,
        user: &PrivateKeySigner,
        nonce: u64,
        token_max: u64,
        to: &PrivateKeySigner,
        now: u64,
    ) -> Issued {
        let checked = self
            .state
            .check_rfc(rfc(user, nonce, token_max, now + 60), now)
            .unwrap();
        let (issued, c) = self.state.issue(&checked, to.address(), now).unwrap();
        self.log.extend(c);
        issued
    }

    /// Reports with the provider's receipt attached.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn report(
        &mut self,
        user: &PrivateKeySigner,
        p: &PrivateKeySigner,
        id: B256,
        user_tokens: u64,
        receipt_tokens: u64,
        elapsed_ms: u64,
        pass: bool,
        now: u64,
    ) -> Verdict {
        let (verdict, c) = self
            .state
            .report(
                report(user, id, user_tokens, elapsed_ms, pass),
                Some(receipt(p, id, receipt_tokens)),
                now,
            )
            .unwrap();
        self.log.extend(c);
        verdict
    }

    /// One request of `tokens` tokens served by `p`, credited.
    pub(crate) fn serve(
        &mut self,
        p: &PrivateKeySigner,
        nonce: u64,
        tokens: u64,
        now: u64,
    ) -> B256 {
        let issued = self.open(&user(), nonce, tokens, p, now);
        let verdict = self.report(
            &user(),
            p,
            issued.request_id,
            tokens,
            tokens,
            tokens,
            true,
            now,
        );
        assert!(
            matches!(verdict, Verdict::Credited { .. }),
            "expected a credit, got {verdict:?}"
        );
        issued.request_id
    }

    pub(crate) fn build(&mut self, now: u64, headroom: u64, boot: u64) -> Option<EpochRecord> {
        let (epoch, c) = self.state.build_epoch(now, u(headroom), u(boot)).unwrap()?;
        self.log.extend(c);
        Some(epoch)
    }

    pub(crate) fn commit(&mut self) {
        let c = self.state.epoch_committed(Some((1, 21_000)));
        assert!(!c.is_empty(), "an epoch was in flight");
        self.log.extend(c);
    }

    pub(crate) fn allowance(&self, user: &PrivateKeySigner) -> Allowance {
        self.state
            .allowance(DAY0, user.address())
            .expect("allowance installed")
            .allowance
    }
}

pub(crate) fn refused<T: std::fmt::Debug>(
    result: Result<T, ApiError>,
    status: u16,
    code: &str,
) -> ApiError {
    match result {
        Ok(v) => panic!("expected {status} {code}, got Ok({v:?})"),
        Err(e) => {
            assert_eq!((e.status, e.code), (status, code), "{e}");
            e
        }
    }
}

pub(crate) fn credited(tokens: u64, price: u64, verdict: &Verdict) {
    match verdict {
        Verdict::Credited { tokens: t, wei, .. } => {
            assert_eq!(*t, tokens, "credited tokens");
            assert_eq!(*wei, u(tokens * price), "credited wei");
        }
        other => panic!("expected a credit of {tokens} tokens, got {other:?}"),
    }
}

/// The block after the one `now` falls in.
pub(crate) fn next_block(now: u64) -> u64 {
    (now / 12 + 1) * 12
}

/// The address that signed an epoch root, recovered as the contract does.
pub(crate) fn epoch_signer(e: &EpochRecord) -> Address {
    let digest = signing_hash(
        domain_separator(CHAIN_ID, CONTRACT),
        epoch_root_hash(
            e.epoch,
            e.root,
            e.cumulative_credited,
            e.cumulative_bootstrap,
            e.deadline,
        ),
    );
    recover(digest, &e.signature).unwrap()
}

// ---- prices, selection and capacity (SPEC 8) ------------------------------------------------

/// `n` MOR in wei.
pub(crate) fn mor(n: u64) -> U256 {
    u(n) * u(1_000_000_000_000_000_000)
}

/// A chain record staking `stake` wei, locked until `lock_end` at `multiplier_permille / 1000`.
pub(crate) fn stake_record(stake: U256, multiplier_permille: u64, lock_end: u64) -> ProviderRecord {
    let multiplier = u(multiplier_permille) * u(1_000_000_000_000_000);
    ProviderRecord {
        registered: true,
        stake,
        multiplier,
        weight: stake * multiplier / u(1_000_000_000_000_000_000),
        lock_start: NOW - DAY,
        lock_end,
        ..Default::default()
    }
}

/// `p`'s bid for `model` at `price` wei per token for `capacity` concurrent requests, live
/// until a day from now.
pub(crate) fn bid_on(
    p: &PrivateKeySigner,
    model: &str,
    price: U256,
    capacity: u32,
    nonce: u64,
) -> Signed<Bid> {
    sign(
        p,
        Bid {
            provider: p.address(),
            model: model.into(),
            pricePerToken: price,
            capacity,
            endpoint: "http://provider.example/".into(),
            nonce,
            expiry: NOW + DAY,
        },
    )
}

/// `p`'s attestation of `model` with weights hash `hash`.
pub(crate) fn attest_on(p: &PrivateKeySigner, model: &str, hash: B256) -> Signed<ModelAttestation> {
    sign(
        p,
        ModelAttestation {
            provider: p.address(),
            model: model.into(),
            weightsHash: hash,
            issuedAt: NOW,
        },
    )
}

/// An RFC for `model`, sent at `now` (deadline a minute later).
pub(crate) fn rfc_on(
    user: &PrivateKeySigner,
    model: &str,
    nonce: u64,
    token_max: u64,
    now: u64,
) -> Signed<Rfc> {
    sign(
        user,
        Rfc {
            user: user.address(),
            model: model.into(),
            tokenMax: token_max,
            nonce,
            deadline: now + 60,
        },
    )
}

/// The state a restart rebuilds from `log` under `rules` (what the store would load).
pub(crate) fn restored(rules: Rules, log: &[Change]) -> State {
    use std::collections::BTreeMap;
    use yellowstone_market::records::Loaded;
    let (mut bids, mut attestations, mut allowances, mut tickets) = (
        BTreeMap::new(),
        BTreeMap::new(),
        BTreeMap::new(),
        BTreeMap::new(),
    );
    let mut loaded = Loaded::default();
    for change in log {
        match change {
            Change::Bid(b) => {
                bids.insert((b.model.clone(), b.provider), b.clone());
            }
            Change::Attestation(a) => {
                attestations.insert((a.provider, a.model.clone()), a.clone());
            }
            Change::Allowance(a) => {
                allowances.insert((a.day, a.user), a.clone());
            }
            Change::Ticket(t) => {
                tickets.insert(t.request_id, t.clone());
            }
            Change::Receipt(r) => loaded.receipts.push(r.clone()),
            Change::Nonce {
                user,
                nonce,
                deadline,
            } => loaded.nonces.push((*user, *nonce, *deadline)),
            _ => {}
        }
    }
    loaded.bids = bids.into_values().collect();
    loaded.attestations = attestations.into_values().collect();
    loaded.allowances = allowances.into_values().collect();
    loaded.tickets = tickets.into_values().collect();
    State::restore(rules, dom(), router_key(), loaded, Vec::new())
}

impl Market {
    /// A market under `rules` with `user()` and `other_user()` allowed `u64::MAX` wei today and
    /// no provider.
    pub(crate) fn empty(rules: Rules) -> Self {
        let mut m = Market {
            state: State::new(rules, dom(), router_key()),
            log: Vec::new(),
        };
        m.allow(&user(), u64::MAX, NOW);
        m.allow(&other_user(), u64::MAX, NOW);
        m
    }

    /// `p` attests `model` (the fixture's hash), bids `price` for `capacity` requests, and
    /// stakes `stake` wei with no lock running.
    pub(crate) fn offer(
        &mut self,
        p: &PrivateKeySigner,
        model: &str,
        price: U256,
        stake: U256,
        capacity: u32,
    ) {
        let c = self
            .state
            .attest(attest_on(p, model, B256::repeat_byte(0xee)), NOW)
            .unwrap();
        self.log.extend(c);
        self.rebid(p, model, price, capacity);
        self.state
            .set_chain_record(p.address(), stake_record(stake, 1_000, 0), NOW);
    }

    /// `p` bids again for `model` (the next nonce).
    pub(crate) fn rebid(&mut self, p: &PrivateKeySigner, model: &str, price: U256, capacity: u32) {
        let nonce = self
            .state
            .live_bids(Some(model), NOW)
            .iter()
            .find(|b| b.provider == p.address())
            .map_or(1, |b| b.nonce + 1);
        let c = self
            .state
            .bid(bid_on(p, model, price, capacity, nonce), NOW)
            .unwrap();
        self.log.extend(c);
    }

    /// Admits `user`'s RFC for `model` and tries to issue its ticket to `to` at `now`.
    pub(crate) fn try_open(
        &mut self,
        user: &PrivateKeySigner,
        nonce: u64,
        model: &str,
        to: &PrivateKeySigner,
        now: u64,
    ) -> Result<Issued, ApiError> {
        let checked = self
            .state
            .check_rfc(rfc_on(user, model, nonce, 10, now), now)?;
        let (issued, c) = self.state.issue(&checked, to.address(), now)?;
        self.log.extend(c);
        Ok(issued)
    }

    /// The providers offered for `model` at `now`.
    pub(crate) fn offered(&self, model: &str, now: u64) -> Vec<Address> {
        self.state
            .offers(model, now)
            .iter()
            .map(|o| o.candidate.provider)
            .collect()
    }
}
