//! The router on the devnet, end to end over HTTP and JSON-RPC (issue 4's proof): providers
//! stake, attest and bid; users get tickets and report; epochs commit once per inference block
//! within the daily cap, and the next day the bootstrap shares;
//! providers claim with the proofs the router serves, and the MOR claimed equals the MOR
//! credited to the wei. Then a router killed mid-epoch and restarted, and the chain down for a
//! while and back.

use alloy_primitives::{Address, B256, U256};
use serde_json::json;
use yellowstone_chain::IYellowstoneCompute as I;
use yellowstone_protocol::{
    merkle::{leaf_hash, MerkleTree},
    messages::{Report, Rfc},
};
use yellowstone_test_utils::{
    chain_proxy::{ChainProxy, Fault},
    scenario::*,
    *,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_day_of_the_market_settles_within_the_cap_and_pays_to_the_wei() {
    let Joined {
        net, running, api, ..
    } = joined("day").await;

    // 40 inferences of 1,000 tokens at 0.01 MOR: 400 MOR of work. Allowances are held in MOR
    // and together come to at most the day's budget, the contract's cap (SPEC 8), so honest
    // work fits the day; the cap itself is the contract's tests' (compute and devnet).
    let mut total = U256::ZERO;
    for round in 0..10 {
        for user in USERS {
            let verdict = inference(&net, &api, user, round, true).await;
            assert_eq!(verdict["outcome"], "credited", "{verdict}");
            total += credited(&verdict);
        }
    }
    assert_eq!(total, mor(400));
    // A failed report earns nothing.
    let failed = inference(&net, &api, USERS[0], 99, false).await;
    assert_eq!(failed["outcome"], "refused");
    assert_eq!(failed["reason"]["reason"], "failed");

    // Epochs commit the day's work within the day's cap.
    let cap = net.view(net.d.compute, I::todayCall {}).await._1;
    assert!(total <= cap);
    eventually("the day's work to commit", || async {
        committed_total(&api).await == total
    })
    .await;
    let credited_today = net.view(net.d.compute, I::todayCall {}).await._2;
    assert_eq!(credited_today, total);
    let (_, health) = api.get("/health").await;
    assert_eq!(u256(&health["pending_wei"]), U256::ZERO);

    // The next day the bootstrap share of yesterday's top provider (the only one that worked)
    // commits: the whole of today's bootstrap limit.
    net.next_day().await;
    let limit = net.view(net.d.compute, I::todayCall {}).await._3;
    eventually("the bootstrap share to commit", || async {
        match latest_epoch(&api).await {
            Some(e) => {
                u256(&e["cumulative_credited"]) == total
                    && u256(&e["cumulative_bootstrap"]) == limit
            }
            None => false,
        }
    })
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
    // Held in wei: tokenMax x the bid's price (SPEC 8).
    assert_eq!(
        u256(&held["held"]),
        U256::from(TOKENS) * open[0].1.message.pricePerToken
    );
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
        requestId: ticket.message.requestId, user: key(*user).address(), firstTokenMs: 150, elapsedMs: 900, tokens: TOKENS, pass: true,
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

    assert_eq!(total, mor(60));
    eventually("every credit to commit once", || async {
        committed_total(&api).await == total
    })
    .await;
    assert_eq!(claim(&net, &api.url, STAKED).await, total);
    second.kill();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_chain_down_admission_goes_on_and_the_backlog_settles_when_it_returns() {
    let net = market().await;
    let gateways = Gateways::start().await;
    let proxy = ChainProxy::start(net.rpc.url()).await;
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

    proxy.set(Fault::Down);
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

    proxy.set(Fault::None);
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
