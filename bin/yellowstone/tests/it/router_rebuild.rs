//! The incident procedure (docs/CONTRACT.md, issue 14): another router key (stolen, say)
//! commits a root the router never signed. The router stops building and says so; the owner
//! revokes that key; `yellowstone router rebuild` refuses the foreign root until told
//! `--foreign`, then numbers the router's next root after the chain's, on the router's own
//! table, and that root lands over the foreign one: the providers are paid what the router
//! credited them, to the wei, and the thief's accomplice nothing.

use std::{process::Command, sync::atomic::Ordering::Relaxed};

use alloy_primitives::{Address, B256, U256};
use alloy_signer::SignerSync;
use serde_json::json;
use yellowstone_chain::IYellowstoneCompute as I;
use yellowstone_protocol::{eip712, merkle};
use yellowstone_test_utils::{scenario::*, *};

/// The thief's key: authorised as a router, as a stolen key would be.
const THIEF: usize = 7;

/// `yellowstone router rebuild <extra>` on the router's database; (success, stdout + stderr).
fn rebuild(net: &Net, db: &std::path::Path, extra: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_yellowstone"))
        .args(["router", "rebuild"])
        .args(extra)
        .args(["--rpc-url", &net.rpc.url()])
        .args(["--contract", &net.d.compute.to_string()])
        .arg("--database")
        .arg(db)
        .env("YELLOWSTONE_ROUTER_KEY", key(9).to_bytes().to_string())
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_foreign_root_stops_the_router_until_the_operator_rebuilds_on_it() {
    let net = market().await;
    let gateways = Gateways::start().await;
    let db = temp_db("rebuild");
    let running = router_with(&net, &db, |_| {}).await;
    let api = Api::new(running.url());
    providers_join(&net, &api, &gateways).await;
    let mut total = credited(&inference(&net, &api, USERS[0], 1, true).await);
    committed(&api, total).await;

    // The thief's root 2: the router's totals plus 1 MOR to an accomplice.
    net.send(
        0,
        net.d.compute,
        I::authorizeRouterCall {
            router: key(THIEF).address(),
        },
    )
    .await;
    let accomplice = Address::repeat_byte(0xac);
    let stolen = mor(1);
    let table = [
        merkle::leaf_hash(key(STAKED).address(), total, U256::ZERO),
        merkle::leaf_hash(accomplice, stolen, U256::ZERO),
    ];
    let root = merkle::MerkleTree::new(table.to_vec()).unwrap().root();
    let deadline = net.now().await + 3_600;
    let digest = eip712::signing_hash(
        eip712::domain_separator(net.d.chain_id, net.d.compute),
        eip712::epoch_root_hash(2, root, total + stolen, U256::ZERO, deadline),
    );
    let signature = key(THIEF).sign_hash_sync(&digest).unwrap();
    let (r, vs) = eip712::Signature::parse(&signature.as_bytes())
        .unwrap()
        .compact();
    net.send(
        8,
        net.d.compute,
        I::commitEpochCall {
            epoch: 2,
            root,
            cumulative_credited: total + stolen,
            cumulative_bootstrap: U256::ZERO,
            deadline,
            r,
            vs,
        },
    )
    .await;

    // The router sees a root it never signed: it stops building and says so.
    eventually("the router to stop at the foreign root", || async {
        running.router.metrics.foreign_root.load(Relaxed) == 1
    })
    .await;
    total += credited(&inference(&net, &api, USERS[1], 1, true).await);
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert_eq!(
        net.view(net.d.compute, I::latestEpochCall {}).await._1,
        root
    );
    running.kill();

    // The owner revokes the stolen key; the operator rebuilds on the chain's root.
    net.send(
        0,
        net.d.compute,
        I::revokeRouterCall {
            router: key(THIEF).address(),
        },
    )
    .await;
    let (ok, text) = rebuild(&net, &db, &[]);
    assert!(!ok, "a foreign root is refused without --foreign: {text}");
    assert!(
        text.contains(&root.to_string()) && text.contains("--foreign"),
        "{text}"
    );
    let (ok, text) = rebuild(&net, &db, &["--foreign"]);
    assert!(ok, "{text}");
    assert!(text.contains("the next root is epoch 3"), "{text}");
    assert!(
        text.contains("BELOW the chain's"),
        "1 wei short is reported: {text}"
    );

    // Restarted, the router's root 3 (its own table and the waiting credit) lands.
    let running = router_with(&net, &db, |_| {}).await;
    let api = Api::new(running.url());
    committed(&api, total).await;
    let (_, e) = api.get("/v1/epochs/latest").await;
    assert_eq!(e["epoch"], json!(3));
    assert_eq!(running.router.metrics.foreign_root.load(Relaxed), 0);
    assert_eq!(
        claim(&net, &api.url, STAKED).await,
        total,
        "paid to the wei"
    );
    let latest = net.view(net.d.compute, I::latestEpochCall {}).await;
    assert_eq!((latest._0, latest._2), (3, total));
    assert_ne!(latest._1, B256::ZERO);
    running.kill();
}
