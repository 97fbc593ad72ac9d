//! The router's market rules, read as a specification (SPEC sections 3 to 6): every rule of
//! `yellowstone_market::state::State` driven directly with signed messages and an explicit
//! clock, no network, no chain, no database (except the restore test, which replays the
//! returned `Change` records into an in-memory store).

use alloy_primitives::{address, Address, B256, U256};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::Eip712Domain;
use yellowstone_protocol::{
    eip712::{domain_separator, epoch_root_hash, signing_hash, types::domain},
    merkle::{leaf_hash, verify},
    messages::{
        recover, request_id, signature_bytes, Bid, ModelAttestation, Party, Receipt, Report, Rfc,
        Signed,
    },
};
use yellowstone_chain::ProviderRecord;
use yellowstone_api::error::ApiError;
use yellowstone_market::{
        allowance::Allowance,
        judge::{JudgePolicy, Refusal, Verdict},
    };
use yellowstone_market::records::{AllowanceRecord, Change, EpochRecord, TicketStatus};
use yellowstone_market::state::{Issued, Rules, State};
use yellowstone_store::Store;

const CHAIN_ID: u64 = 412_346;
const CONTRACT: Address = address!("00000000000000000000000000000000000c0de1");
const MODEL: &str = "llama-3-8b";
const DAY: u64 = 86_400;
/// The UTC day the tests run on.
const DAY0: u64 = 20_000;
/// One hour into `DAY0`, at the start of an inference block (12 s).
const NOW: u64 = DAY0 * DAY + 3_600;
/// The provider's bid price, wei per token.
const PRICE: u64 = 7;
/// The user's daily allowance in tokens.
const ALLOWANCE: u64 = 100_000;
const BIG: u64 = u64::MAX;

// ---- parties and messages -------------------------------------------------------------------

fn key(n: u8) -> PrivateKeySigner {
    PrivateKeySigner::from_bytes(&B256::repeat_byte(n)).unwrap()
}
fn router_key() -> PrivateKeySigner {
    key(9)
}
fn user() -> PrivateKeySigner {
    key(1)
}
fn other_user() -> PrivateKeySigner {
    key(4)
}
fn provider() -> PrivateKeySigner {
    key(2)
}
fn other_provider() -> PrivateKeySigner {
    key(3)
}
fn dom() -> Eip712Domain {
    domain(CHAIN_ID, CONTRACT)
}
fn u(n: u64) -> U256 {
    U256::from(n)
}

fn sign<T: Party>(signer: &PrivateKeySigner, message: T) -> Signed<T> {
    let sig = signer
        .sign_hash_sync(&message.eip712_signing_hash(&dom()))
        .unwrap();
    Signed {
        message,
        signature: signature_bytes(&sig),
    }
}

fn attestation(p: &PrivateKeySigner, issued_at: u64) -> ModelAttestation {
    ModelAttestation {
        provider: p.address(),
        model: MODEL.into(),
        weightsHash: B256::repeat_byte(0xee),
        issuedAt: issued_at,
    }
}

fn bid(p: &PrivateKeySigner, price: u64, nonce: u64, expiry: u64) -> Bid {
    Bid {
        provider: p.address(),
        model: MODEL.into(),
        pricePerToken: u(price),
        endpoint: "http://provider.example/".into(),
        nonce,
        expiry,
    }
}

fn rfc(user: &PrivateKeySigner, nonce: u64, token_max: u64, deadline: u64) -> Signed<Rfc> {
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

fn receipt(p: &PrivateKeySigner, id: B256, tokens: u64) -> Signed<Receipt> {
    sign(
        p,
        Receipt {
            requestId: id,
            provider: p.address(),
            tokens,
        },
    )
}

fn report(
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
            elapsedMs: elapsed_ms,
            tokens,
            pass,
        },
    )
}

fn staked() -> ProviderRecord {
    ProviderRecord {
        registered: true,
        stake: u(1_000),
        weight: u(1_000),
        multiplier: u(1_000_000_000_000_000_000),
        ..Default::default()
    }
}

fn allowance_record(user: Address, day: u64, allowance: u64) -> AllowanceRecord {
    AllowanceRecord {
        day,
        user,
        balance: u(5),
        allowance: Allowance {
            allowance,
            used: 0,
            held: 0,
        },
    }
}

// ---- a market -------------------------------------------------------------------------------

/// A state with every `Change` it returned kept in `log`, in order.
struct Market {
    state: State,
    log: Vec<Change>,
}

impl Market {
    /// A fresh market under `rules`: `provider()` attested, bidding `PRICE` until a day from
    /// now, staked; `user()` and `other_user()` with `ALLOWANCE` tokens today.
    fn with(rules: Rules) -> Self {
        let mut m = Market {
            state: State::new(rules, dom(), router_key()),
            log: Vec::new(),
        };
        m.add_provider(&provider(), PRICE);
        m.allow(&user(), ALLOWANCE, NOW);
        m.allow(&other_user(), ALLOWANCE, NOW);
        m
    }

    fn new() -> Self {
        Self::with(Rules::default())
    }

    fn add_provider(&mut self, p: &PrivateKeySigner, price: u64) {
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

    fn allow(&mut self, user: &PrivateKeySigner, allowance: u64, now: u64) {
        let c = self
            .state
            .set_allowance(allowance_record(user.address(), now / DAY, allowance));
        self.log.push(c);
    }

    /// Admits an RFC and issues its ticket to `to`.
    fn open(
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
    fn report(
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
    fn serve(&mut self, p: &PrivateKeySigner, nonce: u64, tokens: u64, now: u64) -> B256 {
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

    fn build(&mut self, now: u64, headroom: u64, boot: u64) -> Option<EpochRecord> {
        let (epoch, c) = self.state.build_epoch(now, u(headroom), u(boot)).unwrap()?;
        self.log.extend(c);
        Some(epoch)
    }

    fn commit(&mut self) {
        let c = self.state.epoch_committed(Some((1, 21_000)));
        assert!(!c.is_empty(), "an epoch was in flight");
        self.log.extend(c);
    }

    fn allowance(&self, user: &PrivateKeySigner) -> Allowance {
        self.state
            .allowance(DAY0, user.address())
            .expect("allowance installed")
            .allowance
    }
}

fn refused<T: std::fmt::Debug>(result: Result<T, ApiError>, status: u16, code: &str) -> ApiError {
    match result {
        Ok(v) => panic!("expected {status} {code}, got Ok({v:?})"),
        Err(e) => {
            assert_eq!((e.status, e.code), (status, code), "{e}");
            e
        }
    }
}

fn credited(tokens: u64, price: u64, verdict: &Verdict) {
    match verdict {
        Verdict::Credited { tokens: t, wei, .. } => {
            assert_eq!(*t, tokens, "credited tokens");
            assert_eq!(*wei, u(tokens * price), "credited wei");
        }
        other => panic!("expected a credit of {tokens} tokens, got {other:?}"),
    }
}

/// The block after the one `now` falls in.
fn next_block(now: u64) -> u64 {
    (now / 12 + 1) * 12
}

// ---- attestations ---------------------------------------------------------------------------

#[test]
fn an_attestation_signed_by_anyone_but_the_provider_it_names_is_refused() {
    let mut state = State::new(Rules::default(), dom(), router_key());
    let forged = sign(&key(5), attestation(&provider(), NOW));
    refused(state.attest(forged, NOW), 401, "bad_signature");
    assert!(state.attestations_of(provider().address()).is_empty());
}

#[test]
fn an_attestation_older_than_the_one_held_is_refused() {
    let mut state = State::new(Rules::default(), dom(), router_key());
    state
        .attest(sign(&provider(), attestation(&provider(), NOW)), NOW)
        .unwrap();
    refused(
        state.attest(sign(&provider(), attestation(&provider(), NOW - 1)), NOW),
        409,
        "replayed",
    );
    let newer = state
        .attest(
            sign(&provider(), attestation(&provider(), NOW + 10)),
            NOW + 10,
        )
        .unwrap();
    assert!(matches!(&newer[..], [Change::Attestation(a)] if a.issued_at == NOW + 10));
}

#[test]
fn an_attestation_issued_in_the_future_is_refused() {
    let mut state = State::new(Rules::default(), dom(), router_key());
    refused(
        state.attest(sign(&provider(), attestation(&provider(), NOW + 301)), NOW),
        400,
        "invalid",
    );
    // Five minutes of clock skew are tolerated.
    state
        .attest(sign(&provider(), attestation(&provider(), NOW + 300)), NOW)
        .unwrap();
}

#[test]
fn an_attestation_of_a_zero_weights_hash_is_refused() {
    let mut state = State::new(Rules::default(), dom(), router_key());
    let mut unset = attestation(&provider(), NOW);
    unset.weightsHash = B256::ZERO;
    let err = state.attest(sign(&provider(), unset), NOW).unwrap_err();
    assert_eq!((err.status, err.code), (400, "invalid"));
    assert!(err.message.contains("weightsHash is zero"), "{err:?}");
    assert!(state.attestations_of(provider().address()).is_empty());
}

// ---- bids -----------------------------------------------------------------------------------

#[test]
fn a_bid_at_price_zero_is_refused() {
    let mut state = State::new(Rules::default(), dom(), router_key());
    let p = provider();
    refused(
        state.bid(sign(&p, bid(&p, 0, 1, NOW + 60)), NOW),
        400,
        "invalid",
    );
}

#[test]
fn an_expired_bid_is_refused() {
    let mut state = State::new(Rules::default(), dom(), router_key());
    let p = provider();
    refused(state.bid(sign(&p, bid(&p, 7, 1, NOW)), NOW), 410, "expired");
    refused(
        state.bid(sign(&p, bid(&p, 7, 1, NOW - 1)), NOW),
        410,
        "expired",
    );
}

#[test]
fn a_bid_whose_endpoint_is_not_http_is_refused() {
    let mut state = State::new(Rules::default(), dom(), router_key());
    let p = provider();
    for endpoint in [
        "ftp://provider.example",
        "provider.example",
        "http://a b",
        "",
    ] {
        let mut b = bid(&p, 7, 1, NOW + 60);
        b.endpoint = endpoint.into();
        refused(state.bid(sign(&p, b), NOW), 400, "invalid");
    }
    let mut b = bid(&p, 7, 1, NOW + 60);
    b.endpoint = "https://provider.example".into();
    state.bid(sign(&p, b), NOW).unwrap();
}

#[test]
fn a_bid_signed_by_anyone_but_the_provider_it_names_is_refused() {
    let mut state = State::new(Rules::default(), dom(), router_key());
    refused(
        state.bid(sign(&key(5), bid(&provider(), 7, 1, NOW + 60)), NOW),
        401,
        "bad_signature",
    );
}

#[test]
fn a_bid_with_a_later_nonce_replaces_the_current_one() {
    let mut m = Market::new();
    let p = provider();
    let c = m.state.bid(sign(&p, bid(&p, 9, 2, NOW + 60)), NOW).unwrap();
    assert!(matches!(&c[..], [Change::Bid(b)] if b.nonce == 2 && b.price == u(9)));
    let offers = m.state.offers(MODEL, NOW);
    assert_eq!(offers.len(), 1);
    assert_eq!(offers[0].candidate.price, u(9));
    // The endpoint is kept without its trailing slash.
    assert_eq!(offers[0].endpoint, "http://provider.example");
}

#[test]
fn a_bid_with_an_equal_or_older_nonce_is_refused() {
    let mut m = Market::new();
    let p = provider();
    m.state.bid(sign(&p, bid(&p, 9, 5, NOW + 60)), NOW).unwrap();
    refused(
        m.state.bid(sign(&p, bid(&p, 1, 5, NOW + 60)), NOW),
        409,
        "replayed",
    );
    refused(
        m.state.bid(sign(&p, bid(&p, 1, 4, NOW + 60)), NOW),
        409,
        "replayed",
    );
    assert_eq!(m.state.offers(MODEL, NOW)[0].candidate.price, u(9));
}

#[test]
fn a_bid_without_an_attestation_is_unselectable_when_attestation_is_required() {
    let mut state = State::new(Rules::default(), dom(), router_key());
    let p = provider();
    state.bid(sign(&p, bid(&p, 7, 1, NOW + 60)), NOW).unwrap();
    state.set_chain_record(p.address(), staked(), NOW);
    let why = state.unselectable(p.address(), MODEL, NOW).unwrap();
    assert!(why.contains("no attestation"), "{why}");

    let mut lax = State::new(
        Rules {
            require_attestation: false,
            ..Rules::default()
        },
        dom(),
        router_key(),
    );
    lax.bid(sign(&p, bid(&p, 7, 1, NOW + 60)), NOW).unwrap();
    lax.set_chain_record(p.address(), staked(), NOW);
    assert_eq!(lax.unselectable(p.address(), MODEL, NOW), None);
}

#[test]
fn a_bid_without_a_chain_record_is_unselectable() {
    let mut state = State::new(Rules::default(), dom(), router_key());
    let p = provider();
    state.attest(sign(&p, attestation(&p, NOW)), NOW).unwrap();
    state.bid(sign(&p, bid(&p, 7, 1, NOW + 60)), NOW).unwrap();
    let why = state.unselectable(p.address(), MODEL, NOW).unwrap();
    assert!(why.contains("not read from the chain"), "{why}");
    assert_eq!(state.stale_providers(NOW, 60), vec![p.address()]);
}

#[test]
fn a_bid_from_a_provider_with_zero_weight_is_unselectable() {
    let mut m = Market::new();
    let p = provider();
    m.state.set_chain_record(
        p.address(),
        ProviderRecord {
            weight: U256::ZERO,
            ..staked()
        },
        NOW,
    );
    let why = m.state.unselectable(p.address(), MODEL, NOW).unwrap();
    assert!(why.contains("no stake"), "{why}");
    assert!(m.state.offers(MODEL, NOW).is_empty());
}

#[test]
fn a_provider_that_failed_is_backed_off_and_comes_back_after_the_delay() {
    let mut m = Market::new();
    let p = provider();
    assert_eq!(m.state.unselectable(p.address(), MODEL, NOW), None);
    m.state.provider_failed(p.address(), NOW);
    let why = m.state.unselectable(p.address(), MODEL, NOW).unwrap();
    assert!(why.contains("backed off"), "{why}");
    assert!(m.state.offers(MODEL, NOW + 4).is_empty());
    // Base back-off 5 s.
    assert_eq!(m.state.unselectable(p.address(), MODEL, NOW + 5), None);
    m.state.provider_failed(p.address(), NOW + 5);
    m.state.provider_live(p.address());
    assert_eq!(m.state.unselectable(p.address(), MODEL, NOW + 5), None);
}

#[test]
fn an_expired_bid_is_unselectable() {
    let m = Market::new();
    let p = provider();
    assert_eq!(
        m.state.unselectable(p.address(), MODEL, NOW + DAY - 1),
        None
    );
    let why = m.state.unselectable(p.address(), MODEL, NOW + DAY).unwrap();
    assert!(why.contains("expired"), "{why}");
    assert!(m.state.offers(MODEL, NOW + DAY).is_empty());
    assert!(m.state.live_bids(Some(MODEL), NOW + DAY).is_empty());
}

#[test]
fn offers_list_only_selectable_bids() {
    let mut m = Market::new();
    let (p, q, r) = (provider(), other_provider(), key(6));
    // q bids and attests but its stake is not read; r is staked but backed off.
    m.state.attest(sign(&q, attestation(&q, NOW)), NOW).unwrap();
    m.state.bid(sign(&q, bid(&q, 5, 1, NOW + 60)), NOW).unwrap();
    m.add_provider(&r, 6);
    m.state.provider_failed(r.address(), NOW);
    let offers = m.state.offers(MODEL, NOW);
    assert_eq!(offers.len(), 1);
    assert_eq!(offers[0].candidate.provider, p.address());
    assert_eq!(offers[0].candidate.price, u(PRICE));
    assert_eq!(offers[0].candidate.weight, u(1_000));
    assert_eq!(m.state.live_bids(Some(MODEL), NOW).len(), 3);
    assert!(m.state.offers("another-model", NOW).is_empty());
}

// ---- admission ------------------------------------------------------------------------------

#[test]
fn an_rfc_past_its_deadline_is_refused() {
    let m = Market::new();
    refused(
        m.state.check_rfc(rfc(&user(), 1, 10, NOW - 1), NOW),
        410,
        "expired",
    );
    m.state.check_rfc(rfc(&user(), 1, 10, NOW), NOW).unwrap();
}

#[test]
fn an_rfc_whose_deadline_is_too_far_ahead_is_refused() {
    let m = Market::new();
    refused(
        m.state.check_rfc(rfc(&user(), 1, 10, NOW + 601), NOW),
        400,
        "invalid",
    );
    m.state
        .check_rfc(rfc(&user(), 1, 10, NOW + 600), NOW)
        .unwrap();
}

#[test]
fn an_rfc_asking_for_zero_tokens_or_more_than_the_maximum_is_refused() {
    let m = Market::new();
    refused(
        m.state.check_rfc(rfc(&user(), 1, 0, NOW + 60), NOW),
        400,
        "invalid",
    );
    refused(
        m.state.check_rfc(rfc(&user(), 1, 32_769, NOW + 60), NOW),
        400,
        "invalid",
    );
    m.state
        .check_rfc(rfc(&user(), 1, 32_768, NOW + 60), NOW)
        .unwrap();
}

#[test]
fn an_rfc_signed_by_anyone_but_its_user_is_refused() {
    let m = Market::new();
    let mut forged = rfc(&user(), 1, 10, NOW + 60);
    forged.signature = rfc(&other_user(), 1, 10, NOW + 60).signature;
    refused(m.state.check_rfc(forged, NOW), 401, "bad_signature");
}

#[test]
fn a_replayed_rfc_nonce_is_refused() {
    let mut m = Market::new();
    let signed = rfc(&user(), 1, 10, NOW + 60);
    let checked = m.state.check_rfc(signed.clone(), NOW).unwrap();
    // Checked twice before issue: both pass the check, only one is issued.
    let twin = m.state.check_rfc(signed.clone(), NOW).unwrap();
    m.state.issue(&checked, provider().address(), NOW).unwrap();
    refused(
        m.state.issue(&twin, provider().address(), NOW),
        409,
        "replayed",
    );
    refused(m.state.check_rfc(signed, NOW + 1), 409, "replayed");
    // The same nonce with other fields is still the same nonce.
    refused(
        m.state.check_rfc(rfc(&user(), 1, 20, NOW + 90), NOW + 1),
        409,
        "replayed",
    );
    // Another user's nonce 1 is theirs.
    m.state
        .check_rfc(rfc(&other_user(), 1, 10, NOW + 60), NOW)
        .unwrap();
    assert_eq!(m.allowance(&user()).held, 10, "held once");
}

#[test]
fn issuing_a_ticket_holds_token_max_of_the_allowance() {
    let mut m = Market::new();
    let issued = m.open(&user(), 1, 500, &provider(), NOW);
    assert_eq!(
        m.allowance(&user()),
        Allowance {
            allowance: ALLOWANCE,
            used: 0,
            held: 500
        }
    );
    m.open(&user(), 2, 300, &provider(), NOW);
    assert_eq!(m.allowance(&user()).held, 800);
    assert_eq!(
        m.state.ticket(issued.request_id).unwrap().status,
        TicketStatus::Open
    );
    assert_eq!(m.state.open_tickets(), 2);
}

#[test]
fn a_ticket_the_allowance_cannot_cover_is_refused_and_nothing_is_held() {
    let mut m = Market::new();
    let poor = key(7);
    m.allow(&poor, 100, NOW);
    let checked = m
        .state
        .check_rfc(rfc(&poor, 1, 101, NOW + 60), NOW)
        .unwrap();
    refused(
        m.state.issue(&checked, provider().address(), NOW),
        429,
        "allowance_exhausted",
    );
    let a = m.state.allowance(DAY0, poor.address()).unwrap().allowance;
    assert_eq!((a.used, a.held), (0, 0));
    // The nonce was not spent: the same RFC fits once smaller requests are gone.
    m.state
        .check_rfc(rfc(&poor, 1, 101, NOW + 60), NOW)
        .unwrap();
    let checked = m
        .state
        .check_rfc(rfc(&poor, 2, 100, NOW + 60), NOW)
        .unwrap();
    m.state.issue(&checked, provider().address(), NOW).unwrap();
    let checked = m.state.check_rfc(rfc(&poor, 3, 1, NOW + 60), NOW).unwrap();
    refused(
        m.state.issue(&checked, provider().address(), NOW),
        429,
        "allowance_exhausted",
    );
}

#[test]
fn a_ticket_is_signed_by_the_router_with_the_bids_price_and_the_ticket_lifetime() {
    let mut m = Market::new();
    let signed = rfc(&user(), 1, 500, NOW + 60);
    let checked = m.state.check_rfc(signed.clone(), NOW).unwrap();
    let (issued, changes) = m.state.issue(&checked, provider().address(), NOW).unwrap();
    let router = router_key().address();
    assert_eq!(m.state.router(), router);
    assert_eq!(issued.ticket.verify(&dom(), Some(router)), Ok(router));
    assert!(issued
        .ticket
        .verify(&dom(), Some(key(5).address()))
        .is_err());
    let t = &issued.ticket.message;
    assert_eq!(t.pricePerToken, u(PRICE));
    assert_eq!(t.expiry, NOW + Rules::default().ticket_seconds);
    assert_eq!(t.tokenMax, 500);
    assert_eq!(
        (t.user, t.provider),
        (user().address(), provider().address())
    );
    assert_eq!(t.model, MODEL);
    assert_eq!(issued.endpoint, "http://provider.example");
    // The request id is the RFC's EIP-712 digest.
    let id = request_id(&signed.message, &dom());
    assert_eq!(issued.request_id, id);
    assert_eq!(checked.request_id, id);
    assert_eq!(t.requestId, id);
    assert!(matches!(
        &changes[..],
        [Change::Nonce { nonce: 1, .. }, Change::Allowance(_), Change::Ticket(r)]
            if r.request_id == id && r.price == u(PRICE) && r.day == DAY0
    ));
}

#[test]
fn a_ticket_for_a_provider_without_a_bid_is_refused() {
    let mut m = Market::new();
    let checked = m
        .state
        .check_rfc(rfc(&user(), 1, 10, NOW + 60), NOW)
        .unwrap();
    refused(
        m.state.issue(&checked, other_provider().address(), NOW),
        503,
        "no_provider",
    );
    assert_eq!(m.allowance(&user()).held, 0);
}

#[test]
fn a_provider_is_never_ticketed_to_its_own_request() {
    let mut m = Market::new();
    m.allow(&provider(), ALLOWANCE, NOW);
    let checked = m
        .state
        .check_rfc(rfc(&provider(), 1, 10, NOW + 60), NOW)
        .unwrap();
    refused(
        m.state.issue(&checked, provider().address(), NOW),
        403,
        "forbidden",
    );
    assert_eq!(m.allowance(&provider()).held, 0, "nothing held");
    // The nonce is not spent: the same RFC can still go to another provider.
    m.add_provider(&other_provider(), PRICE);
    m.state
        .issue(&checked, other_provider().address(), NOW)
        .unwrap();
}

// ---- receipts -------------------------------------------------------------------------------

#[test]
fn a_receipt_from_a_provider_other_than_the_tickets_is_refused() {
    let mut m = Market::new();
    let issued = m.open(&user(), 1, 100, &provider(), NOW);
    refused(
        m.state
            .receipt(receipt(&other_provider(), issued.request_id, 50)),
        403,
        "forbidden",
    );
    // Signed by another key in the ticketed provider's name.
    let mut forged = receipt(&provider(), issued.request_id, 50);
    forged.signature = receipt(&other_provider(), issued.request_id, 50).signature;
    refused(m.state.receipt(forged), 401, "bad_signature");
}

#[test]
fn a_receipt_for_an_unknown_request_is_refused() {
    let mut m = Market::new();
    refused(
        m.state
            .receipt(receipt(&provider(), B256::repeat_byte(0x42), 50)),
        404,
        "not_found",
    );
}

#[test]
fn the_first_receipt_stands() {
    let mut m = Market::new();
    let issued = m.open(&user(), 1, 100, &provider(), NOW);
    let id = issued.request_id;
    let first = m.state.receipt(receipt(&provider(), id, 50)).unwrap();
    assert!(matches!(&first[..], [Change::Receipt(r)] if r.tokens == 50));
    assert!(m
        .state
        .receipt(receipt(&provider(), id, 80))
        .unwrap()
        .is_empty());
    // A report without a receipt of its own uses the receipt on file.
    let (verdict, _) = m
        .state
        .report(report(&user(), id, 100, 100, true), None, NOW + 5)
        .unwrap();
    credited(50, PRICE, &verdict);
}

// ---- reports --------------------------------------------------------------------------------

#[test]
fn a_report_from_another_user_is_refused() {
    let mut m = Market::new();
    let issued = m.open(&user(), 1, 100, &provider(), NOW);
    refused(
        m.state.report(
            report(&other_user(), issued.request_id, 100, 100, true),
            None,
            NOW,
        ),
        403,
        "forbidden",
    );
    assert_eq!(
        m.state.ticket(issued.request_id).unwrap().status,
        TicketStatus::Open
    );
}

#[test]
fn a_report_for_an_unknown_request_is_refused() {
    let mut m = Market::new();
    refused(
        m.state.report(
            report(&user(), B256::repeat_byte(0x42), 1, 1, true),
            None,
            NOW,
        ),
        404,
        "not_found",
    );
}

#[test]
fn a_second_report_is_refused() {
    let mut m = Market::new();
    let id = m.serve(&provider(), 1, 100, NOW);
    refused(
        m.state.report(
            report(&user(), id, 100, 100, true),
            Some(receipt(&provider(), id, 100)),
            NOW + 1,
        ),
        409,
        "replayed",
    );
    assert_eq!(m.state.pending_of(provider().address()), u(100 * PRICE));
}

#[test]
fn a_report_after_the_report_window_is_refused() {
    let mut m = Market::new();
    let issued = m.open(&user(), 1, 100, &provider(), NOW);
    let closes = issued.ticket.message.expiry + Rules::default().report_seconds;
    let late = m.state.report(
        report(&user(), issued.request_id, 100, 100, true),
        Some(receipt(&provider(), issued.request_id, 100)),
        closes + 1,
    );
    refused(late, 410, "expired");
    // At the last second it is still accepted.
    let (verdict, _) = m
        .state
        .report(
            report(&user(), issued.request_id, 100, 100, true),
            Some(receipt(&provider(), issued.request_id, 100)),
            closes,
        )
        .unwrap();
    credited(100, PRICE, &verdict);
}

#[test]
fn credited_tokens_are_the_smallest_of_the_users_count_the_receipt_and_token_max_times_price() {
    let mut m = Market::new();
    let p = provider();
    for (nonce, (user_count, receipt_count, token_max, want)) in
        [(90, 80, 100, 80), (70, 80, 100, 70), (200, 100, 100, 100)]
            .into_iter()
            .enumerate()
    {
        let issued = m.open(&user(), nonce as u64, token_max, &p, NOW);
        let verdict = m.report(
            &user(),
            &p,
            issued.request_id,
            user_count,
            receipt_count,
            100,
            true,
            NOW,
        );
        credited(want, PRICE, &verdict);
    }
    assert_eq!(m.state.pending_of(p.address()), u((80 + 70 + 100) * PRICE));
    assert_eq!(m.state.day_volume(DAY0), (u(250 * PRICE), 250));
}

#[test]
fn a_receipt_for_more_tokens_than_the_ticket_allows_is_refused() {
    let mut m = Market::new();
    let p = provider();
    let issued = m.open(&user(), 1, 100, &p, NOW);
    let err = m
        .state
        .receipt(receipt(&p, issued.request_id, 101))
        .unwrap_err();
    assert_eq!((err.status, err.code), (400, "invalid"), "{err:?}");
    assert!(
        err.message.contains("101 tokens") && err.message.contains("at most 100"),
        "{err:?}"
    );
    // Exactly TokenMax stands.
    assert!(!m
        .state
        .receipt(receipt(&p, issued.request_id, 100))
        .unwrap()
        .is_empty());
}

#[test]
fn a_user_claiming_more_tokens_than_the_receipt_gets_the_receipts_count() {
    let mut m = Market::new();
    let issued = m.open(&user(), 1, 1_000, &provider(), NOW);
    let verdict = m.report(
        &user(),
        &provider(),
        issued.request_id,
        900,
        300,
        3_000,
        true,
        NOW,
    );
    credited(300, PRICE, &verdict);
    assert_eq!(m.allowance(&user()).used, 300);
}

#[test]
fn a_report_without_a_receipt_earns_nothing_and_charges_nothing() {
    let mut m = Market::new();
    let issued = m.open(&user(), 1, 100, &provider(), NOW);
    let (verdict, changes) = m
        .state
        .report(
            report(&user(), issued.request_id, 100, 100, true),
            None,
            NOW,
        )
        .unwrap();
    assert_eq!(
        verdict,
        Verdict::Refused {
            reason: Refusal::NoReceipt
        }
    );
    assert_eq!(
        m.allowance(&user()),
        Allowance {
            allowance: ALLOWANCE,
            used: 0,
            held: 0
        }
    );
    assert!(!changes.iter().any(|c| matches!(c, Change::Credit(_))));
    assert_eq!(m.state.pending_credit(), (U256::ZERO, 0));
    assert_eq!(
        m.state.ticket(issued.request_id).unwrap().status,
        TicketStatus::Reported
    );
}

#[test]
fn a_failed_report_earns_nothing_counts_a_fail_and_backs_the_provider_off() {
    let mut m = Market::new();
    let p = provider();
    let issued = m.open(&user(), 1, 100, &p, NOW);
    let verdict = m.report(&user(), &p, issued.request_id, 100, 100, 100, false, NOW);
    assert_eq!(
        verdict,
        Verdict::Refused {
            reason: Refusal::Failed
        }
    );
    let info = m.state.provider(p.address()).unwrap();
    assert_eq!((info.score.passes, info.score.fails), (0, 1));
    let why = m.state.unselectable(p.address(), MODEL, NOW).unwrap();
    assert!(why.contains("backed off"), "{why}");
    assert_eq!(m.state.pending_credit(), (U256::ZERO, 0));
    assert_eq!(m.allowance(&user()).used, 0);
    assert_eq!(m.allowance(&user()).held, 0);
}

#[test]
fn after_the_warm_up_a_report_slower_than_the_limit_is_refused() {
    let mut m = Market::with(Rules {
        judge: JudgePolicy {
            slower_percent: 50,
            window: 100,
            warmup: 2,
        },
        ..Rules::default()
    });
    let p = provider();
    // Warm-up: 1000 µs per token twice.
    for nonce in 1..=2 {
        let issued = m.open(&user(), nonce, 100, &p, NOW);
        let v = m.report(&user(), &p, issued.request_id, 100, 100, 100, true, NOW);
        credited(100, PRICE, &v);
    }
    // 2000 µs per token is more than 50% slower: refused, and counted as a fail.
    let issued = m.open(&user(), 3, 100, &p, NOW);
    let v = m.report(&user(), &p, issued.request_id, 100, 100, 200, true, NOW);
    assert_eq!(
        v,
        Verdict::Refused {
            reason: Refusal::TooSlow {
                micros_per_token: 2_000,
                average: 1_000,
                limit: 1_500
            }
        }
    );
    let score = m.state.provider(p.address()).unwrap().score;
    assert_eq!((score.passes, score.fails), (2, 1));
    // Exactly at the limit is credited.
    let issued = m.open(&user(), 4, 100, &p, NOW);
    let v = m.report(&user(), &p, issued.request_id, 100, 100, 150, true, NOW);
    credited(100, PRICE, &v);
    // Too slow is not a failure to answer: no back-off.
    assert_eq!(m.state.unselectable(p.address(), MODEL, NOW), None);
}

#[test]
fn during_the_warm_up_pass_alone_decides() {
    let mut m = Market::new();
    let p = provider();
    for (nonce, elapsed) in [(1, 100), (2, 100_000)] {
        let issued = m.open(&user(), nonce, 100, &p, NOW);
        let v = m.report(&user(), &p, issued.request_id, 100, 100, elapsed, true, NOW);
        credited(100, PRICE, &v);
    }
}

#[test]
fn a_credited_report_releases_the_hold_and_charges_the_credited_tokens() {
    let mut m = Market::new();
    let issued = m.open(&user(), 1, 1_000, &provider(), NOW);
    assert_eq!(m.allowance(&user()).held, 1_000);
    m.report(
        &user(),
        &provider(),
        issued.request_id,
        400,
        400,
        400,
        true,
        NOW,
    );
    assert_eq!(
        m.allowance(&user()),
        Allowance {
            allowance: ALLOWANCE,
            used: 400,
            held: 0
        }
    );
}

#[test]
fn a_credited_report_returns_the_report_ticket_allowance_credit_and_work_records() {
    let mut m = Market::new();
    let p = provider();
    let issued = m.open(&user(), 1, 1_000, &p, NOW);
    let id = issued.request_id;
    let (_, changes) = m
        .state
        .report(
            report(&user(), id, 400, 400, true),
            Some(receipt(&p, id, 400)),
            NOW + 3,
        )
        .unwrap();
    let has = |f: &dyn Fn(&Change) -> bool| changes.iter().filter(|c| f(c)).count();
    assert_eq!(
        has(&|c| matches!(c, Change::Receipt(r) if r.request_id == id && r.tokens == 400)),
        1
    );
    assert_eq!(
        has(
            &|c| matches!(c, Change::Report(r) if r.request_id == id && r.user_tokens == 400
            && r.receipt_tokens == Some(400) && r.accepted_at == NOW + 3)
        ),
        1
    );
    assert_eq!(
        has(
            &|c| matches!(c, Change::Ticket(t) if t.request_id == id && t.status == TicketStatus::Reported)
        ),
        1
    );
    assert_eq!(
        has(
            &|c| matches!(c, Change::Allowance(a) if a.allowance.used == 400 && a.allowance.held == 0)
        ),
        1
    );
    assert_eq!(
        has(
            &|c| matches!(c, Change::Credit(cr) if cr.provider == p.address()
            && cr.amount == u(400 * PRICE) && !cr.bootstrap && cr.block == (NOW + 3) / 12)
        ),
        1
    );
    assert_eq!(
        has(&|c| matches!(c, Change::Work { day, provider, wei, tokens }
            if *day == DAY0 && *provider == p.address() && *wei == u(400 * PRICE) && *tokens == 400)),
        1
    );
    assert_eq!(
        has(&|c| matches!(c, Change::Score { score, .. } if score.passes == 1)),
        1
    );
}

// ---- sweep ----------------------------------------------------------------------------------

#[test]
fn an_unreported_ticket_is_charged_at_token_max_once_its_report_window_closes() {
    let mut m = Market::new();
    let issued = m.open(&user(), 1, 700, &provider(), NOW);
    let id = issued.request_id;
    let closes = issued.ticket.message.expiry + Rules::default().report_seconds;
    assert!(m.state.sweep(closes).is_empty(), "the window is still open");
    assert_eq!(m.allowance(&user()).held, 700);

    let changes = m.state.sweep(closes + 1);
    assert!(matches!(
        &changes[..],
        [Change::Ticket(t), Change::Allowance(a)]
            if t.status == TicketStatus::Expired && a.allowance.used == 700 && a.allowance.held == 0
    ));
    assert_eq!(
        m.allowance(&user()),
        Allowance {
            allowance: ALLOWANCE,
            used: 700,
            held: 0
        }
    );
    assert_eq!(m.state.ticket(id).unwrap().status, TicketStatus::Expired);
    // Exactly once.
    assert!(m.state.sweep(closes + 2).is_empty());
    assert_eq!(m.allowance(&user()).used, 700);
    // And a report after that is refused.
    refused(
        m.state.report(
            report(&user(), id, 100, 100, true),
            Some(receipt(&provider(), id, 100)),
            closes + 2,
        ),
        410,
        "expired",
    );
    assert_eq!(m.state.pending_credit(), (U256::ZERO, 0));
}

#[test]
fn a_sweep_leaves_reported_tickets_and_other_holds_alone() {
    let mut m = Market::new();
    let done = m.serve(&provider(), 1, 100, NOW);
    let late = m.open(&user(), 2, 50, &provider(), NOW + 500);
    let changes = m.state.sweep(NOW + 120 + 900 + 1);
    assert!(changes.is_empty(), "{changes:?}");
    assert_eq!(m.state.ticket(done).unwrap().status, TicketStatus::Reported);
    assert_eq!(
        m.state.ticket(late.request_id).unwrap().status,
        TicketStatus::Open
    );
    assert_eq!(m.allowance(&user()).held, 50);
}

// ---- settlement -----------------------------------------------------------------------------

fn epoch_signer(e: &EpochRecord) -> Address {
    let digest = signing_hash(
        domain_separator(CHAIN_ID, CONTRACT),
        epoch_root_hash(
            e.epoch,
            e.root,
            e.cumulative_credited,
            e.cumulative_bootstrap,
        ),
    );
    recover(digest, &e.signature).unwrap()
}

#[test]
fn an_epoch_folds_only_credits_of_closed_inference_blocks() {
    let mut m = Market::new();
    let at = NOW + 5; // inside the block starting at NOW
    m.serve(&provider(), 1, 100, at);
    assert_eq!(
        m.build(at, BIG, BIG),
        None,
        "the credit's block is still open"
    );
    assert_eq!(m.build(NOW + 11, BIG, BIG), None);
    let e = m.build(NOW + 12, BIG, BIG).expect("the block closed");
    assert_eq!(e.epoch, 1);
    assert_eq!(e.up_to_block, (NOW + 12) / 12);
    assert_eq!(e.cumulative_credited, u(100 * PRICE));
    assert_eq!(e.cumulative_bootstrap, U256::ZERO);
    assert_eq!(e.fold, vec![(1, u(100 * PRICE))]);
}

#[test]
fn nothing_is_built_with_nothing_due_or_with_an_epoch_in_flight() {
    let mut m = Market::new();
    assert_eq!(m.build(NOW, BIG, BIG), None);
    m.serve(&provider(), 1, 100, NOW);
    let t = next_block(NOW);
    m.build(t, BIG, BIG).unwrap();
    assert!(m.state.in_flight().is_some());
    m.serve(&provider(), 2, 100, t);
    assert_eq!(m.build(t + 60, BIG, BIG), None, "an epoch is in flight");
    m.commit();
    assert_eq!(m.build(t + 60, BIG, BIG).unwrap().epoch, 2);
    // No headroom at all: nothing is taken, nothing is built.
    let mut m = Market::new();
    m.serve(&provider(), 1, 100, NOW);
    assert_eq!(m.build(next_block(NOW), 0, 0), None);
}

#[test]
fn an_epoch_is_signed_by_the_router() {
    let mut m = Market::new();
    m.serve(&provider(), 1, 100, NOW);
    let e = m.build(next_block(NOW), BIG, BIG).unwrap();
    assert_eq!(epoch_signer(&e), router_key().address());
    assert_eq!(e.signature.len(), 65);
}

#[test]
fn the_headroom_limits_what_an_epoch_takes_and_the_rest_waits_for_the_next() {
    let mut m = Market::new();
    let p = provider();
    m.serve(&p, 1, 100, NOW); // 700 wei
    let t = next_block(NOW);
    let e1 = m.build(t, 500, BIG).unwrap();
    assert_eq!(e1.fold, vec![(1, u(500))]);
    assert_eq!(e1.cumulative_credited, u(500));
    m.commit();
    assert_eq!(m.state.pending_credit(), (u(200), 1));
    assert_eq!(
        m.state.committed_leaf(p.address()),
        Some((u(500), U256::ZERO))
    );
    let e2 = m.build(t + 12, BIG, BIG).unwrap();
    assert_eq!(e2.epoch, 2);
    assert_eq!(e2.fold, vec![(1, u(200))]);
    assert_eq!(e2.cumulative_credited, u(700));
    m.commit();
    assert_eq!(m.state.pending_credit(), (U256::ZERO, 0));
    assert_eq!(
        m.state.committed_leaf(p.address()),
        Some((u(700), U256::ZERO))
    );
    assert_eq!(m.build(t + 24, BIG, BIG), None);
}

#[test]
fn epoch_numbers_are_consecutive() {
    let mut m = Market::new();
    let mut t = NOW;
    for n in 1..=4u64 {
        m.serve(&provider(), n, 10, t);
        t = next_block(t);
        let e = m.build(t, BIG, BIG).unwrap();
        assert_eq!(e.epoch, n);
        assert_eq!(epoch_signer(&e), router_key().address());
        m.commit();
        assert_eq!(m.state.committed().unwrap().epoch, n);
    }
}

#[test]
fn a_rejected_epoch_is_dropped_and_rebuilt_under_the_same_number() {
    let mut m = Market::new();
    m.serve(&provider(), 1, 100, NOW);
    let t = next_block(NOW);
    m.build(t, BIG, BIG).unwrap();
    m.commit();
    m.serve(&provider(), 2, 50, t);
    let e2 = m.build(t + 12, BIG, BIG).unwrap();
    assert_eq!(e2.epoch, 2);
    assert_eq!(m.state.epoch_rejected(), vec![Change::DropEpoch(2)]);
    assert!(m.state.in_flight().is_none());
    assert!(m.state.epoch_rejected().is_empty());
    assert_eq!(m.state.pending_credit(), (u(50 * PRICE), 1));
    let again = m.build(t + 12, BIG, BIG).unwrap();
    assert_eq!(again.epoch, 2);
    assert_eq!(again.root, e2.root);
    assert_eq!(again.cumulative_credited, u(150 * PRICE));
    // Rebuilt from the committed table, not on top of the dropped one.
    m.state.epoch_rejected();
    m.serve(&provider(), 3, 10, t + 12);
    let third = m.build(t + 24, BIG, BIG).unwrap();
    assert_eq!(third.epoch, 2);
    assert_eq!(third.cumulative_credited, u(160 * PRICE));
}

#[test]
fn every_providers_leaf_proves_against_the_committed_root() {
    let mut m = Market::new();
    let others: Vec<PrivateKeySigner> = (10..15).map(key).collect();
    for (i, p) in others.iter().enumerate() {
        m.add_provider(p, 3 + i as u64);
    }
    let mut nonce = 0;
    for p in others.iter().chain([&provider()]) {
        nonce += 1;
        m.serve(p, nonce, 10 * nonce, NOW);
    }
    assert!(
        m.state.proof(provider().address()).is_none(),
        "nothing committed yet"
    );
    m.build(next_block(NOW), BIG, BIG).unwrap();
    assert!(
        m.state.proof(provider().address()).is_none(),
        "still in flight"
    );
    m.commit();
    let committed = m.state.committed().unwrap().clone();
    for p in others.iter().chain([&provider()]) {
        let (epoch, earned, bootstrap, proof) = m.state.proof(p.address()).unwrap();
        assert_eq!(epoch.root, committed.root);
        assert_eq!(
            Some((earned, bootstrap)),
            m.state.committed_leaf(p.address())
        );
        assert!(verify(
            &proof,
            committed.root,
            leaf_hash(p.address(), earned, bootstrap)
        ));
        assert!(!verify(
            &proof,
            committed.root,
            leaf_hash(p.address(), earned + u(1), bootstrap)
        ));
    }
    assert!(m.state.proof(key(30).address()).is_none());
}

#[test]
fn cumulative_totals_equal_the_sum_of_credits_committed() {
    let mut m = Market::new();
    let q = other_provider();
    m.add_provider(&q, 11);
    let mut t = NOW;
    let mut credited_p = 0u64;
    let mut credited_q = 0u64;
    for n in 1..=5u64 {
        m.serve(&provider(), 2 * n, 10 * n, t);
        m.serve(&q, 2 * n + 1, n, t);
        credited_p += 10 * n * PRICE;
        credited_q += n * 11;
        t = next_block(t);
        // A tight headroom on odd epochs: some is left over each time.
        let head = if n % 2 == 1 { 100 } else { BIG };
        m.build(t, head, BIG).unwrap();
        m.commit();
    }
    t = next_block(t);
    if m.build(t, BIG, BIG).is_some() {
        m.commit();
    }
    let e = m.state.committed().unwrap();
    assert_eq!(e.cumulative_credited, u(credited_p + credited_q));
    assert_eq!(
        m.state.committed_leaf(provider().address()),
        Some((u(credited_p), U256::ZERO))
    );
    assert_eq!(
        m.state.committed_leaf(q.address()),
        Some((u(credited_q), U256::ZERO))
    );
    assert_eq!(m.state.pending_credit(), (U256::ZERO, 0));
}

// ---- bootstrap ------------------------------------------------------------------------------

#[test]
fn bootstrap_shares_the_amount_pro_rata_to_the_previous_days_work_once_per_day() {
    let mut m = Market::new();
    let (p, q) = (provider(), other_provider());
    m.add_provider(&q, PRICE);
    m.serve(&p, 1, 300, NOW); // 2100 wei of work
    m.serve(&q, 2, 100, NOW); // 700 wei
    let tomorrow = (DAY0 + 1) * DAY + 60;
    let changes = m.state.issue_bootstrap(DAY0 + 1, u(1_000), tomorrow);
    let mut shares: Vec<(Address, U256)> = changes
        .iter()
        .filter_map(|c| match c {
            Change::Credit(cr) => {
                assert!(cr.bootstrap);
                assert_eq!(cr.block, tomorrow / 12);
                Some((cr.provider, cr.amount))
            }
            _ => None,
        })
        .collect();
    shares.sort();
    let mut want = vec![(p.address(), u(750)), (q.address(), u(250))];
    want.sort();
    assert_eq!(shares, want);
    assert!(changes
        .iter()
        .any(|c| matches!(c, Change::Meta { value, .. } if *value == (DAY0 + 1).to_string())));
    assert_eq!(m.state.bootstrap_day(), DAY0 + 1);
    // Only once per day (and never for an earlier day).
    assert!(m
        .state
        .issue_bootstrap(DAY0 + 1, u(1_000), tomorrow + 1)
        .is_empty());
    assert!(m
        .state
        .issue_bootstrap(DAY0, u(1_000), tomorrow + 1)
        .is_empty());
    assert_eq!(m.state.pending_of(p.address()), u(2_100 + 750));
}

#[test]
fn bootstrap_with_no_work_the_day_before_shares_nothing() {
    let mut m = Market::new();
    m.serve(&provider(), 1, 100, NOW);
    // Work was on DAY0; day DAY0 + 2 looks at DAY0 + 1, which had none.
    let changes = m
        .state
        .issue_bootstrap(DAY0 + 2, u(1_000), (DAY0 + 2) * DAY);
    assert!(!changes.iter().any(|c| matches!(c, Change::Credit(_))));
    assert_eq!(m.state.pending_credit(), (u(100 * PRICE), 1));
    // Nor does a fresh market.
    let mut m = Market::new();
    let changes = m
        .state
        .issue_bootstrap(DAY0 + 1, u(1_000), (DAY0 + 1) * DAY);
    assert!(!changes.iter().any(|c| matches!(c, Change::Credit(_))));
}

#[test]
fn bootstrap_shares_fold_within_the_bootstrap_headroom() {
    let mut m = Market::new();
    let (p, q) = (provider(), other_provider());
    m.add_provider(&q, PRICE);
    m.serve(&p, 1, 300, NOW);
    m.serve(&q, 2, 100, NOW);
    let t = next_block(NOW);
    m.build(t, BIG, BIG).unwrap();
    m.commit();
    let tomorrow = (DAY0 + 1) * DAY + 60;
    m.state.issue_bootstrap(DAY0 + 1, u(1_000), tomorrow);
    assert_eq!(
        m.build(tomorrow, BIG, BIG),
        None,
        "the shares' block is open"
    );
    let e = m.build(next_block(tomorrow), BIG, 600).unwrap();
    assert_eq!(e.cumulative_credited, u(2_800));
    assert_eq!(e.cumulative_bootstrap, u(600));
    m.commit();
    assert_eq!(m.state.pending_credit().0, u(400));
    let e = m.build(next_block(tomorrow) + 12, BIG, BIG).unwrap();
    assert_eq!(e.cumulative_bootstrap, u(1_000));
    m.commit();
    assert_eq!(
        m.state.committed_leaf(p.address()),
        Some((u(2_100), u(750)))
    );
    assert_eq!(m.state.committed_leaf(q.address()), Some((u(700), u(250))));
    for x in [&p, &q] {
        let (epoch, earned, bootstrap, proof) = m.state.proof(x.address()).unwrap();
        assert!(verify(
            &proof,
            epoch.root,
            leaf_hash(x.address(), earned, bootstrap)
        ));
    }
}

// ---- restore --------------------------------------------------------------------------------

#[test]
fn a_restored_state_resumes_exactly_where_the_changes_left_it() {
    let rules = Rules::default();
    let mut m = Market::with(rules.clone());
    let (p, q) = (provider(), other_provider());
    m.add_provider(&q, 11);
    // Committed work.
    let reported = m.serve(&p, 1, 300, NOW);
    m.serve(&q, 2, 100, NOW);
    let t = next_block(NOW);
    m.build(t, 1_000, BIG).unwrap(); // takes 1000 of 2100 + 1100
    m.commit();
    // Pending work, a failed report, a receipt on file, and an open ticket holding 500.
    m.serve(&q, 3, 40, t);
    let failed = m.open(&user(), 4, 100, &p, t);
    m.report(&user(), &p, failed.request_id, 10, 10, 10, false, t);
    let open = m.open(&user(), 5, 500, &p, t + 1);
    let c = m.state.receipt(receipt(&p, open.request_id, 20)).unwrap();
    m.log.extend(c);
    let later = t + 2;

    let store = Store::open_in_memory().unwrap();
    store.apply(&m.log).unwrap();
    let committed = m.state.committed().unwrap().epoch;
    let mut restored = State::restore(
        rules.clone(),
        dom(),
        router_key(),
        store.load(later, rules.judge.window).unwrap(),
        store.table_at(committed).unwrap(),
    );

    // The replayed nonce and the second report are refused.
    refused(
        restored.check_rfc(rfc(&user(), 5, 500, t + 61), later),
        409,
        "replayed",
    );
    refused(
        restored.report(
            report(&user(), reported, 300, 300, true),
            Some(receipt(&p, reported, 300)),
            later,
        ),
        409,
        "replayed",
    );
    // The hold, the allowance and the pending credits are kept.
    assert_eq!(
        restored.allowance(DAY0, user().address()),
        m.state.allowance(DAY0, user().address())
    );
    assert_eq!(
        restored
            .allowance(DAY0, user().address())
            .unwrap()
            .allowance
            .held,
        500
    );
    assert_eq!(restored.pending_credit(), m.state.pending_credit());
    assert_eq!(
        restored.pending_of(p.address()),
        m.state.pending_of(p.address())
    );
    assert_eq!(
        restored.pending_of(q.address()),
        m.state.pending_of(q.address())
    );
    assert_eq!(restored.committed(), m.state.committed());
    assert_eq!(
        restored.committed_leaf(p.address()),
        m.state.committed_leaf(p.address())
    );
    assert_eq!(restored.proof(p.address()), m.state.proof(p.address()));
    assert_eq!(restored.day_volume(DAY0), m.state.day_volume(DAY0));
    assert_eq!(restored.bootstrap_day(), m.state.bootstrap_day());
    assert_eq!(
        restored.provider(p.address()).unwrap().score,
        m.state.provider(p.address()).unwrap().score
    );
    assert_eq!(
        restored.ticket(open.request_id),
        m.state.ticket(open.request_id)
    );
    assert_eq!(restored.live_bids(None, later).len(), 2);
    assert_eq!(restored.attestations_of(q.address()).len(), 1);

    // The receipt on file is kept: the open ticket's report is credited the receipt's 20.
    let (verdict, _) = restored
        .report(
            report(&user(), open.request_id, 500, 200, true),
            None,
            later,
        )
        .unwrap();
    credited(20, PRICE, &verdict);
    let (verdict, c) = m
        .state
        .report(
            report(&user(), open.request_id, 500, 200, true),
            None,
            later,
        )
        .unwrap();
    credited(20, PRICE, &verdict);
    m.log.extend(c);

    // Both build the same next epoch.
    let at = next_block(later);
    let (mine, _) = m.state.build_epoch(at, u(BIG), u(BIG)).unwrap().unwrap();
    let (theirs, _) = restored.build_epoch(at, u(BIG), u(BIG)).unwrap().unwrap();
    assert_eq!(theirs.epoch, 2);
    assert_eq!(theirs, mine);
    assert_eq!(epoch_signer(&theirs), router_key().address());
}

#[test]
fn a_restored_state_resumes_an_epoch_in_flight() {
    let rules = Rules::default();
    let mut m = Market::with(rules.clone());
    m.serve(&provider(), 1, 100, NOW);
    let t = next_block(NOW);
    m.build(t, BIG, BIG).unwrap();
    m.commit();
    m.serve(&provider(), 2, 50, t);
    let flying = m.build(t + 12, BIG, BIG).unwrap();
    let store = Store::open_in_memory().unwrap();
    store.apply(&m.log).unwrap();
    let mut restored = State::restore(
        rules.clone(),
        dom(),
        router_key(),
        store.load(t + 13, rules.judge.window).unwrap(),
        store.table_at(1).unwrap(),
    );
    assert_eq!(restored.in_flight(), Some(&flying));
    assert_eq!(restored.build_epoch(t + 24, u(BIG), u(BIG)).unwrap(), None);
    // Once it is committed, the proofs are those of epoch 2 on both sides.
    restored.epoch_committed(Some((1, 21_000)));
    m.commit();
    assert_eq!(restored.committed().map(|e| e.root), Some(flying.root));
    assert_eq!(
        restored.proof(provider().address()),
        m.state.proof(provider().address())
    );
    assert_eq!(restored.pending_credit(), (U256::ZERO, 0));
}

/// The restored state of `m` at `now`, from its change log replayed into a fresh store.
fn restore(m: &Market, rules: &Rules, now: u64) -> State {
    let store = Store::open_in_memory().unwrap();
    store.apply(&m.log).unwrap();
    let committed = m.state.committed().map_or(0, |e| e.epoch);
    State::restore(
        rules.clone(),
        dom(),
        router_key(),
        store.load(now, rules.judge.window).unwrap(),
        store.table_at(committed).unwrap(),
    )
}

#[test]
fn a_restored_state_never_reuses_a_credit_sequence_number() {
    let rules = Rules::default();
    let mut m = Market::with(rules.clone());
    m.serve(&provider(), 1, 100, NOW);
    m.serve(&provider(), 2, 100, NOW);
    let t = next_block(NOW);
    m.build(t, BIG, BIG).unwrap();
    m.commit();
    assert_eq!(m.state.pending_credit(), (U256::ZERO, 0));
    let mut restored = restore(&m, &rules, t);
    let issued = {
        let checked = restored.check_rfc(rfc(&user(), 3, 10, t + 60), t).unwrap();
        restored.issue(&checked, provider().address(), t).unwrap().0
    };
    let (_, changes) = restored
        .report(
            report(&user(), issued.request_id, 10, 10, true),
            Some(receipt(&provider(), issued.request_id, 10)),
            t,
        )
        .unwrap();
    let seqs: Vec<u64> = changes
        .iter()
        .filter_map(|c| match c {
            Change::Credit(cr) => Some(cr.seq),
            _ => None,
        })
        .collect();
    assert_eq!(seqs, vec![3]);
    let e = restored
        .build_epoch(next_block(t), u(BIG), u(BIG))
        .unwrap()
        .unwrap()
        .0;
    assert_eq!(e.epoch, 2);
    assert_eq!(e.cumulative_credited, u(210 * PRICE));
}

#[test]
fn a_restored_state_keeps_the_speed_history_of_the_credit_rule() {
    let rules = Rules {
        judge: JudgePolicy {
            slower_percent: 50,
            window: 100,
            warmup: 2,
        },
        ..Rules::default()
    };
    let mut m = Market::with(rules.clone());
    let p = provider();
    for nonce in 1..=2 {
        let issued = m.open(&user(), nonce, 100, &p, NOW);
        let v = m.report(&user(), &p, issued.request_id, 100, 100, 100, true, NOW);
        credited(100, PRICE, &v);
    }
    let issued = m.open(&user(), 3, 100, &p, NOW);
    let mut restored = restore(&m, &rules, NOW + 1);
    let (verdict, _) = restored
        .report(
            report(&user(), issued.request_id, 100, 200, true),
            Some(receipt(&p, issued.request_id, 100)),
            NOW + 1,
        )
        .unwrap();
    assert!(
        matches!(
            verdict,
            Verdict::Refused {
                reason: Refusal::TooSlow { .. }
            }
        ),
        "{verdict:?}"
    );
}

#[test]
fn a_restored_state_charges_an_unreported_ticket_like_the_original() {
    let rules = Rules::default();
    let mut m = Market::with(rules.clone());
    let issued = m.open(&user(), 1, 700, &provider(), NOW);
    let mut restored = restore(&m, &rules, NOW + 1);
    let closes = issued.ticket.message.expiry + rules.report_seconds;
    let theirs = restored.sweep(closes + 1);
    let mine = m.state.sweep(closes + 1);
    assert_eq!(theirs, mine);
    assert_eq!(
        restored
            .allowance(DAY0, user().address())
            .unwrap()
            .allowance,
        Allowance {
            allowance: ALLOWANCE,
            used: 700,
            held: 0
        }
    );
}
