//! One market for the router's end-to-end tests: a staked, attested provider beside two
//! cheaper ones that never attest, four users, and the calls of one inference through the API.

use alloy_primitives::{keccak256, U256};
use serde_json::{json, Value};
use yellowstone_protocol::messages::{Bid, ModelAttestation, Receipt, Report, Rfc, Signed, Ticket};

use super::*;

/// The model every provider of the scenario serves.
pub const MODEL: &str = "demo-1b";
/// Providers: account 1 is the attested, well-staked one; 2 and 3 bid cheaper but never
/// attest, so they are never selected (yet their bids set the reference price).
pub const STAKED: usize = 1;
/// The cheap providers that never attest.
pub const CHEAP: [usize; 2] = [2, 3];
/// The users' accounts.
pub const USERS: [usize; 4] = [4, 5, 6, 7];
/// Output tokens per inference.
pub const TOKENS: u64 = 1_000;

/// The bid price of `account`, wei per token: 0.1 MOR for the staked provider, 0.001 for the others.
pub fn price_of(account: usize) -> U256 {
    if account == STAKED {
        U256::from(10u64).pow(U256::from(17)) // 0.1 MOR per token
    } else {
        U256::from(10u64).pow(U256::from(15))
    }
}

/// Deploys, funds 10,000 MOR, stakes the providers and moves to the next day, so the day's
/// balance snapshot sees everyone's MOR.
pub async fn market() -> Net {
    let net = Net::start();
    net.fund(mor(10_000)).await;
    net.stake(STAKED, mor(10_000), 365).await;
    for p in CHEAP {
        net.stake(p, mor(100), 30).await;
    }
    net.next_day().await;
    net
}

/// Attests (the staked provider only) and bids for every provider.
pub async fn providers_join(net: &Net, api: &Api, gateways: &Gateways) {
    let now = net.now().await;
    let domain = net.domain();
    let attestation = ModelAttestation {
        provider: key(STAKED).address(),
        model: MODEL.into(),
        weightsHash: keccak256("the weights"),
        issuedAt: now,
    };
    let (status, _) = api
        .post(
            "/v1/attestations",
            &sign(&key(STAKED), attestation, &domain),
        )
        .await;
    assert_eq!(status, 200);
    for p in [STAKED, CHEAP[0], CHEAP[1]] {
        let bid = Bid {
            provider: key(p).address(),
            model: MODEL.into(),
            pricePerToken: price_of(p),
            capacity: 8,
            endpoint: gateways.endpoint(&format!("p{p}")),
            nonce: 1,
            expiry: now + 30 * 86_400,
        };
        let (status, body) = api.post("/v1/bids", &sign(&key(p), bid, &domain)).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["selectable"], json!(p == STAKED), "{body}");
    }
}

/// One inference through the API: RFC, ticket, receipt and report. Returns the verdict.
pub async fn inference(net: &Net, api: &Api, user: usize, nonce: u64, pass: bool) -> Value {
    let ticket = admit(net, api, user, nonce).await;
    report(net, api, user, &ticket, pass).await
}

/// `user` asks for a ticket with RFC nonce `nonce`; asserts it is issued.
pub async fn admit(net: &Net, api: &Api, user: usize, nonce: u64) -> Signed<Ticket> {
    let rfc = Rfc {
        user: key(user).address(),
        model: MODEL.into(),
        tokenMax: TOKENS,
        nonce,
        deadline: net.now().await + 300,
    };
    let (status, body) = api
        .post("/v1/rfcs", &sign(&key(user), rfc, &net.domain()))
        .await;
    assert_eq!(status, 200, "{body}");
    serde_json::from_value(body["ticket"].clone()).unwrap()
}

/// `user` reports `ticket` (pass or fail) with the provider's receipt; returns the verdict.
pub async fn report(
    net: &Net,
    api: &Api,
    user: usize,
    ticket: &Signed<Ticket>,
    pass: bool,
) -> Value {
    let domain = net.domain();
    assert_eq!(
        ticket.verify(&domain, Some(key(9).address())),
        Ok(key(9).address())
    );
    let provider = ticket.message.provider;
    let account = [STAKED, CHEAP[0], CHEAP[1]]
        .into_iter()
        .find(|a| key(*a).address() == provider)
        .unwrap();
    let receipt = Receipt {
        requestId: ticket.message.requestId,
        provider,
        tokens: TOKENS,
    };
    let report = Report {
        requestId: ticket.message.requestId,
        user: key(user).address(),
        firstTokenMs: 0,
        elapsedMs: 2_000,
        tokens: TOKENS,
        pass,
    };
    let body = json!({
        "report": sign(&key(user), report, &domain),
        "receipt": sign(&key(account), receipt, &domain),
    });
    let (status, answer) = api.post("/v1/reports", &body).await;
    assert_eq!(status, 200, "{answer}");
    answer["verdict"].clone()
}

/// The wei a verdict credits (zero when refused).
pub fn credited(verdict: &Value) -> U256 {
    if verdict["outcome"] == "credited" {
        u256(&verdict["wei"])
    } else {
        U256::ZERO
    }
}

/// The latest committed epoch, if any.
pub async fn latest_epoch(api: &Api) -> Option<Value> {
    let (status, body) = api.get("/v1/epochs/latest").await;
    (status == 200).then_some(body)
}

/// Credit plus bootstrap in the latest committed epoch.
pub async fn committed_total(api: &Api) -> U256 {
    match latest_epoch(api).await {
        Some(e) => u256(&e["cumulative_credited"]) + u256(&e["cumulative_bootstrap"]),
        None => U256::ZERO,
    }
}

/// The market with a router serving it, the providers joined.
pub struct Joined {
    /// The chain.
    pub net: Net,
    /// The router.
    pub running: yellowstone_router::server::Running,
    /// A client of the router.
    pub api: Api,
    /// The providers' health checks (kept serving).
    pub gateways: Gateways,
}

/// [`market`], a router on a fresh database named `name` with one-second inference blocks,
/// and [`providers_join`].
pub async fn joined(name: &str) -> Joined {
    let net = market().await;
    let gateways = Gateways::start().await;
    let running = router(&net, &net.rpc.url(), &temp_db(name), 1).await;
    let api = Api::new(running.url());
    providers_join(&net, &api, &gateways).await;
    Joined {
        net,
        running,
        api,
        gateways,
    }
}
