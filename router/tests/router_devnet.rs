//! The router on the devnet, end to end over HTTP and JSON-RPC (issue 4's proof): providers
//! stake, attest and bid; users get tickets and report; epochs commit once per inference block
//! within the daily cap, the remainder carries to the next day with the bootstrap shares;
//! providers claim with the proofs the router serves, and the MOR claimed equals the MOR
//! credited to the wei. Then a router killed mid-epoch and restarted, and the chain down for a
//! while and back.

mod common;

use std::sync::{
    atomic::{AtomicBool, Ordering},
    Arc,
};

use alloy_primitives::{keccak256, Address, B256, U256};
use common::*;
use serde_json::{json, Value};
use yellowstone_protocol::{
    merkle::{leaf_hash, MerkleTree},
    messages::{Bid, ModelAttestation, Receipt, Report, Rfc, Signed, Ticket},
};
use yellowstone_router::chain::IYellowstoneCompute as I;

const MODEL: &str = "demo-1b";
/// Providers: account 1 is the attested, well-staked one; 2 and 3 bid cheaper but never
/// attest, so they are never selected (yet their bids set the reference price).
const STAKED: usize = 1;
const CHEAP: [usize; 2] = [2, 3];
const USERS: [usize; 4] = [4, 5, 6, 7];
const TOKENS: u64 = 1_000;

fn price_of(account: usize) -> U256 {
    if account == STAKED {
        U256::from(10u64).pow(U256::from(17)) // 0.1 MOR per token
    } else {
        U256::from(10u64).pow(U256::from(15))
    }
}

/// Deploys, funds 10,000 MOR, stakes the providers and moves to the next day, so the day's
/// balance snapshot sees everyone's MOR.
async fn market() -> Net {
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
async fn providers_join(net: &Net, api: &Api, gateways: &Gateways) {
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
async fn inference(net: &Net, api: &Api, user: usize, nonce: u64, pass: bool) -> Value {
    let ticket = admit(net, api, user, nonce).await;
    report(net, api, user, &ticket, pass).await
}

async fn admit(net: &Net, api: &Api, user: usize, nonce: u64) -> Signed<Ticket> {
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

async fn report(net: &Net, api: &Api, user: usize, ticket: &Signed<Ticket>, pass: bool) -> Value {
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

fn credited(verdict: &Value) -> U256 {
    if verdict["outcome"] == "credited" {
        u256(&verdict["wei"])
    } else {
        U256::ZERO
    }
}

async fn latest_epoch(api: &Api) -> Option<Value> {
    let (status, body) = api.get("/v1/epochs/latest").await;
    (status == 200).then_some(body)
}

async fn committed_total(api: &Api) -> U256 {
    match latest_epoch(api).await {
        Some(e) => u256(&e["cumulative_credited"]) + u256(&e["cumulative_bootstrap"]),
        None => U256::ZERO,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_day_of_the_market_settles_within_the_cap_and_pays_to_the_wei() {
    let net = market().await;
    let gateways = Gateways::start().await;
    let running = router(&net, &net.rpc.url(), &temp_db("day"), 1).await;
    let api = Api::new(running.url());
    providers_join(&net, &api, &gateways).await;

    // 40 inferences of 1,000 tokens at 0.1 MOR: 4,000 MOR of work, more than the day's cap
    // (3,069 MOR scheduled + 1% of the 10,000 MOR pool). The cheap providers are never chosen.
    let mut total = U256::ZERO;
    for round in 0..10 {
        for user in USERS {
            let verdict = inference(&net, &api, user, round, true).await;
            assert_eq!(verdict["outcome"], "credited", "{verdict}");
            total += credited(&verdict);
        }
    }
    assert_eq!(total, mor(4_000));
    // A failed report earns nothing.
    let failed = inference(&net, &api, USERS[0], 99, false).await;
    assert_eq!(failed["outcome"], "refused");
    assert_eq!(failed["reason"]["reason"], "failed");

    // Epochs commit up to exactly the day's cap; the rest waits.
    let cap = net.view(net.d.compute, I::dailyCapCall {}).await;
    assert!(cap < total);
    eventually("the day's cap to be reached", || async {
        committed_total(&api).await == cap
    })
    .await;
    let credited_today = net.view(net.d.compute, I::creditedTodayCall {}).await;
    assert_eq!(credited_today, cap);
    let (_, health) = api.get("/health").await;
    assert_eq!(u256(&health["pending_wei"]), total - cap);

    // The next day the remainder commits, with the bootstrap share of yesterday's top
    // provider (the only one that worked): the whole of today's bootstrap limit.
    net.next_day().await;
    let (_, limit) = net
        .view(net.d.compute, I::bootstrapTodayCall {})
        .await
        .into();
    eventually(
        "the carried credit and the bootstrap share to commit",
        || async {
            match latest_epoch(&api).await {
                Some(e) => {
                    u256(&e["cumulative_credited"]) == total
                        && u256(&e["cumulative_bootstrap"]) == limit
                }
                None => false,
            }
        },
    )
    .await;

    // The epoch's table, as served, recomputes the committed root.
    let epoch = latest_epoch(&api).await.unwrap();
    let leaves: Vec<_> = epoch["leaves"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            leaf_hash(
                l["provider"].as_str().unwrap().parse::<Address>().unwrap(),
                u256(&l["earned"]),
                u256(&l["bootstrap"]),
            )
        })
        .collect();
    let root: B256 = epoch["root"].as_str().unwrap().parse().unwrap();
    assert_eq!(MerkleTree::new(leaves).unwrap().root(), root);
    let (on_chain, chain_root, _, _) = net.view(net.d.compute, I::latestEpochCall {}).await.into();
    assert_eq!(
        (on_chain, chain_root),
        (epoch["epoch"].as_u64().unwrap(), root)
    );

    // The provider claims with the router's proof: paid exactly what it was credited.
    let paid = claim(&net, &api.url, STAKED).await;
    assert_eq!(paid, total + limit);
    let t = net.totals().await;
    assert_eq!(t._3, paid, "total claimed");
    assert_eq!(
        net.mor_of(net.d.compute).await,
        t._0 + t._4 - t._3,
        "funded + staked - claimed"
    );
    running.kill();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_router_killed_mid_epoch_resumes_losing_and_duplicating_nothing() {
    let net = market().await;
    let gateways = Gateways::start().await;
    let db = temp_db("restart");
    // Hour-long inference blocks: nothing settles before the kill.
    let first = router(&net, &net.rpc.url(), &db, 3_600).await;
    let api = Api::new(first.url());
    providers_join(&net, &api, &gateways).await;
    let mut total = U256::ZERO;
    let mut reported = Vec::new();
    for user in USERS {
        let ticket = admit(&net, &api, user, 1).await;
        total += credited(&report(&net, &api, user, &ticket, true).await);
        reported.push((user, ticket));
    }
    // Two tickets out, not yet reported, when the router dies.
    let open = [
        (USERS[0], admit(&net, &api, USERS[0], 2).await),
        (USERS[1], admit(&net, &api, USERS[1], 2).await),
    ];
    let (_, held) = api
        .get(&format!("/v1/allowance/{}", key(USERS[0]).address()))
        .await;
    assert_eq!(held["held"], json!(TOKENS));
    first.kill();

    let second = router(&net, &net.rpc.url(), &db, 1).await;
    let api = Api::new(second.url());
    // The hold survived the restart.
    let (_, after) = api
        .get(&format!("/v1/allowance/{}", key(USERS[0]).address()))
        .await;
    assert_eq!(after, held);
    // Reports of the open tickets are accepted; replays of anything done before are refused.
    for (user, ticket) in &open {
        total += credited(&report(&net, &api, *user, ticket, true).await);
    }
    let (user, ticket) = &reported[0];
    let replay = json!({"report": sign(&key(*user), Report {
        requestId: ticket.message.requestId, user: key(*user).address(), elapsedMs: 2_000, tokens: TOKENS, pass: true,
    }, &net.domain())});
    let (status, body) = api.post("/v1/reports", &replay).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("replayed")),
        "{body}"
    );
    let rfc = Rfc {
        user: key(USERS[2]).address(),
        model: MODEL.into(),
        tokenMax: TOKENS,
        nonce: 1,
        deadline: net.now().await + 300,
    };
    let (status, body) = api
        .post("/v1/rfcs", &sign(&key(USERS[2]), rfc, &net.domain()))
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("replayed")),
        "{body}"
    );

    assert_eq!(total, mor(600));
    eventually("every credit to commit once", || async {
        committed_total(&api).await == total
    })
    .await;
    assert_eq!(claim(&net, &api.url, STAKED).await, total);
    second.kill();
}

/// A TCP proxy in front of the devnet's JSON-RPC that can cut every connection.
struct Proxy {
    url: String,
    up: Arc<AtomicBool>,
    cut: tokio::sync::watch::Sender<u64>,
}

impl Proxy {
    async fn start(upstream: String) -> Proxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let up = Arc::new(AtomicBool::new(true));
        let (cut, _) = tokio::sync::watch::channel(0u64);
        let target = upstream
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_string();
        let (flag, cuts) = (up.clone(), cut.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    return;
                };
                if !flag.load(Ordering::SeqCst) {
                    continue; // dropped: connection reset
                }
                let target = target.clone();
                let mut cut = cuts.subscribe();
                tokio::spawn(async move {
                    let Ok(mut outbound) = tokio::net::TcpStream::connect(&target).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = cut.changed() => {}
                    }
                });
            }
        });
        Proxy { url, up, cut }
    }

    fn set(&self, up: bool) {
        self.up.store(up, Ordering::SeqCst);
        if !up {
            self.cut.send_modify(|n| *n += 1);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_chain_down_admission_goes_on_and_the_backlog_settles_when_it_returns() {
    let net = market().await;
    let gateways = Gateways::start().await;
    let proxy = Proxy::start(net.rpc.url()).await;
    let running = router(&net, &proxy.url, &temp_db("down"), 1).await;
    let api = Api::new(running.url());
    providers_join(&net, &api, &gateways).await;
    let mut total = U256::ZERO;
    for user in &USERS[..3] {
        total += credited(&inference(&net, &api, *user, 1, true).await);
    }
    eventually("the first epoch", || async {
        committed_total(&api).await == total
    })
    .await;
    let epoch_before = latest_epoch(&api).await.unwrap()["epoch"].as_u64().unwrap();

    proxy.set(false);
    // Known users go on being admitted and credited with the chain unreachable...
    for round in 2..5 {
        for user in &USERS[..3] {
            total += credited(&inference(&net, &api, *user, round, true).await);
        }
    }
    // ...a user the router has never seen gets a clear answer...
    let rfc = Rfc {
        user: key(USERS[3]).address(),
        model: MODEL.into(),
        tokenMax: TOKENS,
        nonce: 1,
        deadline: net.now().await + 300,
    };
    let (status, body) = api
        .post("/v1/rfcs", &sign(&key(USERS[3]), rfc, &net.domain()))
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (503, Some("chain_unavailable")),
        "{body}"
    );
    // ...and nothing settles.
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    assert_eq!(
        latest_epoch(&api).await.unwrap()["epoch"].as_u64().unwrap(),
        epoch_before
    );
    let (_, metrics) = api.get("/health").await;
    assert!(u256(&metrics["pending_wei"]) > U256::ZERO);

    proxy.set(true);
    eventually("the backlog to settle", || async {
        committed_total(&api).await == total
    })
    .await;
    assert_eq!(
        latest_epoch(&api).await.unwrap()["epoch"].as_u64().unwrap(),
        epoch_before + 1,
        "the whole backlog in one root"
    );
    assert_eq!(claim(&net, &api.url, STAKED).await, total);
    running.kill();
}
