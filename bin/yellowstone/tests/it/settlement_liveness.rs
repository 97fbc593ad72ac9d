//! Settlement cannot be stalled (issue 14, SPEC 8 "Settlement is fair and live"). The attack:
//! the owner pauses while epoch N is in flight, the router's simulation answers
//! `EnforcedPause`, and someone who saved root N lands it at `unpause`. The old router had
//! dropped root N and signed another N, so the saved copy froze every credit for good. Now the
//! root stays in flight until its deadline: landed before it, the router adopts it and goes on;
//! after it, the contract refuses the copy (`EpochRootExpired`) and the router's rebuilt root
//! lands. A taken epoch number whose root cannot be read is retried, never counted as the
//! router's. Then a fault run: transactions dropped at random and any root seen landed at
//! random by an adversary, and settlement never stalls and pays to the wei.
//!
//! The adversary here is as strong as it gets: a JSON-RPC proxy in front of the router (its
//! node operator) that sees every `commitEpoch` the router simulates or sends.
//! `LIVENESS_SEED` (default 1) and `LIVENESS_ROUNDS` (default 12) make other or longer runs.

use std::{
    net::SocketAddr,
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering::Relaxed},
        Arc, Mutex,
    },
    time::Duration,
};

use alloy_primitives::{keccak256, Address, Bytes, B256, U256};
use alloy_provider::{Provider, ProviderBuilder};
use alloy_rpc_types_eth::TransactionRequest;
use alloy_signer::SignerSync;
use alloy_sol_types::SolCall;
use axum::{body::Bytes as Body, extract::State, http::StatusCode, response::IntoResponse};
use serde_json::{json, Value};
use tokio::sync::oneshot;
use yellowstone_chain::{
    submit::{decode_revert, EpochCall},
    IYellowstoneCompute as I,
};
use yellowstone_protocol::{eip712, merkle};
use yellowstone_test_utils::{scenario::*, *};

// ---- the adversary's node -----------------------------------------------------------------

/// A simulated root handed to the test, with the sender that lets it through.
type Held = (EpochCall, oneshot::Sender<()>);

/// A JSON-RPC proxy between the router and the devnet that keeps every `commitEpoch` it sees,
/// can hold one simulation until the test releases it, can answer for an unreachable node,
/// and can drop the router's transactions (answering as if it had sent them).
#[derive(Clone)]
struct Spy {
    upstream: String,
    client: reqwest::Client,
    /// Every distinct `commitEpoch` seen, in order.
    calls: Arc<Mutex<Vec<EpochCall>>>,
    /// Every raw transaction the router sent (all are `commitEpoch`), dropped or not.
    raws: Arc<Mutex<Vec<String>>>,
    /// Armed: the next `commitEpoch` simulation is handed to the test, and forwarded once the
    /// test answers.
    gate: Arc<Mutex<Option<oneshot::Sender<Held>>>>,
    /// Armed: the submitter's next `latestEpoch()` read (at the latest block, not pinned as
    /// the settlement figures are) waits until the test answers.
    gate_latest: Arc<Mutex<Option<oneshot::Sender<oneshot::Sender<()>>>>>,
    /// Block reads (`eth_getBlockByNumber`) answer a JSON-RPC error: the settlement figures
    /// cannot be read.
    no_blocks: Arc<AtomicBool>,
    /// The router's node is unreachable (HTTP 502).
    down: Arc<AtomicBool>,
    /// Percent of the router's transactions dropped.
    drop_percent: Arc<AtomicU64>,
    rng: Arc<Mutex<u64>>,
    dropped: Arc<AtomicU64>,
}

impl Spy {
    async fn start(upstream: String, seed: u64) -> (Spy, String) {
        let spy = Spy {
            upstream,
            client: reqwest::Client::new(),
            calls: Arc::default(),
            raws: Arc::default(),
            gate: Arc::default(),
            gate_latest: Arc::default(),
            no_blocks: Arc::default(),
            down: Arc::default(),
            drop_percent: Arc::default(),
            rng: Arc::new(Mutex::new(seed | 1)),
            dropped: Arc::default(),
        };
        let app = axum::Router::new()
            .route("/", axum::routing::post(forward))
            .with_state(spy.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr: SocketAddr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        (spy, format!("http://{addr}"))
    }

    fn roll(&self) -> u64 {
        let mut s = self.rng.lock().unwrap();
        *s ^= *s << 13;
        *s ^= *s >> 7;
        *s ^= *s << 17;
        *s
    }

    /// Arms the gate; the receiver gets the next simulated root and a sender to release it.
    fn arm(&self) -> oneshot::Receiver<Held> {
        let (tx, rx) = oneshot::channel();
        *self.gate.lock().unwrap() = Some(tx);
        rx
    }

    fn saw(&self, call: EpochCall) {
        let mut calls = self.calls.lock().unwrap();
        if !calls.contains(&call) {
            calls.push(call);
        }
    }

    fn saved(&self) -> Vec<EpochCall> {
        self.calls.lock().unwrap().clone()
    }
}

/// Whether a JSON-RPC request is `latestEpoch()` at the latest block (the submitter's read).
fn latest_epoch_read(request: &Value) -> bool {
    let selector = alloy_primitives::hex::encode(I::latestEpochCall::SELECTOR);
    let tx = &request["params"][0];
    let data = tx["input"]
        .as_str()
        .or(tx["data"].as_str())
        .unwrap_or_default();
    let at = request["params"][1].as_str().unwrap_or("latest");
    request["method"] == "eth_call" && data.contains(&selector) && !at.starts_with("0x")
}

/// The `commitEpoch` a JSON-RPC `eth_call`/`eth_estimateGas` request carries, if any.
fn commit_in(request: &Value) -> Option<EpochCall> {
    let method = request["method"].as_str()?;
    if method != "eth_call" && method != "eth_estimateGas" {
        return None;
    }
    let tx = &request["params"][0];
    let data = tx["input"].as_str().or(tx["data"].as_str())?;
    let bytes: Bytes = data.parse().ok()?;
    EpochCall::decode(&bytes)
}

async fn forward(State(spy): State<Spy>, body: Body) -> axum::response::Response {
    if spy.down.load(Relaxed) {
        return (StatusCode::BAD_GATEWAY, "down").into_response();
    }
    let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    if let Some(call) = commit_in(&request) {
        spy.saw(call.clone());
        let armed = spy.gate.lock().unwrap().take();
        if let Some(gate) = armed {
            let (release, released) = oneshot::channel();
            let _ = gate.send((call, release));
            let _ = released.await;
        }
    }
    if latest_epoch_read(&request) {
        let armed = spy.gate_latest.lock().unwrap().take();
        if let Some(gate) = armed {
            let (release, released) = oneshot::channel();
            let _ = gate.send(release);
            let _ = released.await;
        }
    }
    if request["method"] == "eth_getBlockByNumber" && spy.no_blocks.load(Relaxed) {
        let answer = json!({"jsonrpc": "2.0", "id": request["id"],
            "error": {"code": -32000, "message": "header not found"}});
        return axum::Json(answer).into_response();
    }
    if request["method"] == "eth_sendRawTransaction" {
        let raw = request["params"][0]
            .as_str()
            .unwrap_or_default()
            .to_string();
        spy.raws.lock().unwrap().push(raw.clone());
        if spy.roll() % 100 < spy.drop_percent.load(Relaxed) {
            spy.dropped.fetch_add(1, Relaxed);
            let bytes: Bytes = raw.parse().unwrap_or_default();
            let answer =
                json!({"jsonrpc": "2.0", "id": request["id"], "result": keccak256(&bytes)});
            return axum::Json(answer).into_response();
        }
    }
    match spy
        .client
        .post(&spy.upstream)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
    {
        Ok(answer) => {
            let status = answer.status().as_u16();
            let bytes = answer.bytes().await.unwrap_or_default();
            (
                StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY),
                [("content-type", "application/json")],
                bytes,
            )
                .into_response()
        }
        Err(_) => (StatusCode::BAD_GATEWAY, "upstream").into_response(),
    }
}

// ---- the adversary's hands ----------------------------------------------------------------

/// Submits a saved root from account 8 (anyone may); true if it landed.
async fn land(net: &Net, call: &EpochCall) -> bool {
    let p = ProviderBuilder::new()
        .wallet(key(8))
        .connect_http(net.rpc.url().parse().unwrap());
    let tx = TransactionRequest::default()
        .to(net.d.compute)
        .gas_limit(2_000_000)
        .input(call.calldata().into());
    match p.send_transaction(tx).await {
        Ok(pending) => pending.get_receipt().await.is_ok_and(|r| r.status()),
        Err(_) => false,
    }
}

/// Why the contract refuses a saved root now (its simulation), or `None` if it would land.
async fn refusal(net: &Net, call: &EpochCall) -> Option<String> {
    let p = ProviderBuilder::new().connect_http(net.rpc.url().parse().unwrap());
    let tx = TransactionRequest::default()
        .from(key(8).address())
        .to(net.d.compute)
        .input(call.calldata().into());
    match p.call(tx).await {
        Ok(_) => None,
        Err(e) => Some(
            e.as_error_resp()
                .and_then(|r| r.as_revert_data())
                .map(|d| decode_revert(&d))
                .unwrap_or_else(|| e.to_string()),
        ),
    }
}

/// Replays a raw transaction the router sent (and the spy dropped) straight to the devnet.
async fn rebroadcast(net: &Net, raw: &str) {
    let p = ProviderBuilder::new().connect_http(net.rpc.url().parse().unwrap());
    let _: Result<Value, _> = p.raw_request("eth_sendRawTransaction".into(), (raw,)).await;
}

async fn owner_pauses(net: &Net, pause: bool) {
    if pause {
        net.send(0, net.d.compute, I::pauseCall {}).await;
    } else {
        net.send(0, net.d.compute, I::unpauseCall {}).await;
    }
}

/// The contract's latest (epoch, root).
async fn chain_latest(net: &Net) -> (u64, B256) {
    let l = net.view(net.d.compute, I::latestEpochCall {}).await;
    (l._0, l._1)
}

/// A market whose router talks to the chain through the spy.
async fn spied(
    name: &str,
    seed: u64,
) -> (Net, Spy, yellowstone_router::server::Running, Api, Gateways) {
    let net = market().await;
    let gateways = Gateways::start().await;
    let (spy, url) = Spy::start(net.rpc.url(), seed).await;
    let running = router_with(&net, &temp_db(name), |c| c.rpc_url = url).await;
    let api = Api::new(running.url());
    providers_join(&net, &api, &gateways).await;
    (net, spy, running, api, gateways)
}

/// The pause scenario up to the refusal: epoch 1 committed, then epoch 2 built while the owner
/// pauses, so its simulation answers `EnforcedPause`; a third credit waits behind it. Returns
/// (the saved root 2, every wei credited).
async fn paused_with_epoch_2_in_flight(net: &Net, spy: &Spy, api: &Api) -> (EpochCall, U256) {
    let mut total = credited(&inference(net, api, USERS[0], 1, true).await);
    committed(api, total).await;
    let gate = spy.arm();
    total += credited(&inference(net, api, USERS[1], 1, true).await);
    let (saved, release) = tokio::time::timeout(Duration::from_secs(60), gate)
        .await
        .expect("the router to simulate root 2")
        .unwrap();
    assert_eq!(saved.epoch, 2);
    owner_pauses(net, true).await;
    release.send(()).unwrap();
    // The router keeps root 2 in flight and publishes no signature for it (never sent).
    eventually("root 2 to be refused and kept", || async {
        let (status, e) = api.get("/v1/epochs/2").await;
        status == 200 && e["status"] == "built" && e["signature"].is_null()
    })
    .await;
    let (_, e) = api.get("/v1/epochs/2").await;
    assert_eq!(e["root"], json!(saved.root));
    assert_eq!(e["deadline"], json!(saved.deadline));
    total += credited(&inference(net, api, USERS[2], 1, true).await);
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(chain_latest(net).await.0, 1, "nothing lands while paused");
    // Blocks later, the router still holds the very same root 2: refused, never replaced.
    let (status, e) = api.get("/v1/epochs/2").await;
    assert_eq!((status, e["root"].clone()), (200, json!(saved.root)), "{e}");
    assert!(e["signature"].is_null(), "never sent, never published");
    (saved, total)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_saved_root_landed_at_unpause_before_its_deadline_is_adopted() {
    let (net, spy, running, api, _gateways) = spied("liveness-adopt", 1).await;
    let (saved, total) = paused_with_epoch_2_in_flight(&net, &spy, &api).await;
    // The router cannot reach its node while the owner unpauses and the adversary lands root 2.
    spy.down.store(true, Relaxed);
    owner_pauses(&net, false).await;
    assert!(
        land(&net, &saved).await,
        "a saved root is valid until its deadline"
    );
    assert_eq!(chain_latest(&net).await, (2, saved.root));
    spy.down.store(false, Relaxed);
    // The router adopts root 2 as its own and settles the rest in root 3.
    committed(&api, total).await;
    let (_, e) = api.get("/v1/epochs/latest").await;
    assert_eq!(e["epoch"], json!(3));
    let (_, e2) = api.get("/v1/epochs/2").await;
    assert_eq!(
        (e2["status"].clone(), e2["root"].clone()),
        (json!("committed"), json!(saved.root))
    );
    assert_eq!(
        claim(&net, &api.url, STAKED).await,
        total,
        "paid to the wei"
    );
    let totals = net.totals().await;
    assert_eq!(totals._1, total);
    assert_eq!(totals._3, total);
    assert_eq!(running.router.metrics.foreign_root.load(Relaxed), 0);
    running.kill();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_saved_root_landed_after_its_deadline_is_refused_and_the_rebuilt_root_lands() {
    let (net, spy, running, api, _gateways) = spied("liveness-expire", 2).await;
    let (saved, total) = paused_with_epoch_2_in_flight(&net, &spy, &api).await;
    // The pause outlasts root 2's deadline: the chain moves past it (a block is mined).
    let now = net.now().await;
    net.advance(saved.deadline.saturating_sub(now) + 5).await;
    // The router archives root 2 (never deletes it) once the chain's latest block is past
    // its deadline with epoch 2 still free.
    eventually("root 2 to be archived", || async {
        running
            .router
            .store()
            .archived(2, saved.root)
            .unwrap()
            .is_some()
    })
    .await;
    spy.down.store(true, Relaxed);
    owner_pauses(&net, false).await;
    let why = refusal(&net, &saved)
        .await
        .expect("an expired root is refused");
    assert!(why.contains("EpochRootExpired"), "{why}");
    assert!(!land(&net, &saved).await);
    assert_eq!(chain_latest(&net).await.0, 1);
    spy.down.store(false, Relaxed);
    // The rebuilt root 2 carries both waiting credits and lands.
    committed(&api, total).await;
    let (_, e) = api.get("/v1/epochs/latest").await;
    assert_eq!(e["epoch"], json!(2));
    assert_ne!(e["root"], json!(saved.root));
    assert!(e["deadline"].as_u64().unwrap() > saved.deadline);
    assert_eq!(
        claim(&net, &api.url, STAKED).await,
        total,
        "paid to the wei"
    );
    assert_eq!(net.totals().await._3, total);
    assert_eq!(running.router.metrics.epochs_expired.load(Relaxed), 1);
    running.kill();
}

/// A root for `epoch` signed by dev account `thief` (authorised as a router, as a stolen key
/// would be): the table `total` to the staked provider plus 1 MOR to an accomplice.
fn foreign_root(net: &Net, thief: usize, epoch: u64, total: U256, deadline: u64) -> EpochCall {
    let accomplice = Address::repeat_byte(0xac);
    let leaves = vec![
        merkle::leaf_hash(key(STAKED).address(), total, U256::ZERO),
        merkle::leaf_hash(accomplice, mor(1), U256::ZERO),
    ];
    let root = merkle::MerkleTree::new(leaves).unwrap().root();
    let credited = total + mor(1);
    let digest = eip712::signing_hash(
        eip712::domain_separator(net.d.chain_id, net.d.compute),
        eip712::epoch_root_hash(epoch, root, credited, U256::ZERO, deadline),
    );
    let signature = key(thief).sign_hash_sync(&digest).unwrap();
    let (r, vs) = eip712::Signature::parse(&signature.as_bytes())
        .unwrap()
        .compact();
    EpochCall {
        epoch,
        root,
        cumulative_credited: credited,
        cumulative_bootstrap: U256::ZERO,
        deadline,
        r,
        vs,
    }
}

/// The attack on the old rule: the contract reports the epoch number taken, and the read of
/// which root took it fails; the old router counted it as its own (and served proofs against a
/// root the contract does not hold).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_taken_epoch_number_with_an_unreadable_chain_is_retried_never_taken_as_ours() {
    let (net, spy, running, api, _gateways) = spied("liveness-unreadable", 3).await;
    let mut total = credited(&inference(&net, &api, USERS[0], 1, true).await);
    committed(&api, total).await;
    net.send(
        0,
        net.d.compute,
        I::authorizeRouterCall {
            router: key(7).address(),
        },
    )
    .await;
    // Root 2 is built; the submitter is held at its `latestEpoch()` check while another key's
    // root 2 lands and block reads start failing.
    let gate = {
        let (tx, rx) = oneshot::channel();
        *spy.gate_latest.lock().unwrap() = Some(tx);
        rx
    };
    total += credited(&inference(&net, &api, USERS[1], 1, true).await);
    let release = tokio::time::timeout(Duration::from_secs(60), gate)
        .await
        .expect("the router to submit root 2")
        .unwrap();
    let foreign = foreign_root(&net, 7, 2, total, net.now().await + 3_600);
    assert!(land(&net, &foreign).await);
    spy.no_blocks.store(true, Relaxed);
    release.send(()).unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await;
    // Not taken as ours: the router still holds epoch 1 as its latest and root 2 in flight.
    let (_, latest) = api.get("/v1/epochs/latest").await;
    assert_eq!(latest["epoch"], json!(1), "{latest}");
    let (_, e2) = api.get("/v1/epochs/2").await;
    assert_ne!(e2["status"], json!("committed"), "{e2}");
    // Once the chain reads again, the root is seen for what it is: foreign, settlement stops.
    spy.no_blocks.store(false, Relaxed);
    eventually("the foreign root to be seen", || async {
        running.router.metrics.foreign_root.load(Relaxed) == 1
    })
    .await;
    let (_, latest) = api.get("/v1/epochs/latest").await;
    assert_eq!(latest["epoch"], json!(1), "{latest}");
    running.kill();
}

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roots_dropped_and_landed_at_random_never_stall_settlement() {
    let seed = env_or("LIVENESS_SEED", 1);
    let rounds = env_or("LIVENESS_ROUNDS", 12);
    let (net, spy, running, api, _gateways) = spied("liveness-chaos", seed).await;
    let mut rng = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut roll = move |n: u64| {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng % n
    };
    // Every user is known to the router before the faults start.
    let mut total = U256::ZERO;
    let mut nonce = 1;
    for user in USERS {
        total += credited(&inference(&net, &api, user, nonce, true).await);
    }
    spy.drop_percent.store(50, Relaxed);
    let (mut landed, mut refused, mut advanced) = (0, 0, 0);
    for round in 0..rounds {
        nonce += 1;
        let user = USERS[(round % 4) as usize];
        total += credited(&inference(&net, &api, user, nonce, true).await);
        tokio::time::sleep(Duration::from_millis(300 + roll(1_200))).await;
        // Each kind of fault in turn, its details drawn from the seed.
        match round % 3 {
            // The adversary lands any root it has seen.
            0 => {
                let saved = spy.saved();
                if !saved.is_empty() {
                    let call = &saved[roll(saved.len() as u64) as usize];
                    if land(&net, call).await {
                        landed += 1;
                    } else {
                        refused += 1;
                    }
                }
            }
            // A transaction the spy dropped reaches the chain after all.
            1 => {
                let raws = spy.raws.lock().unwrap().clone();
                if !raws.is_empty() {
                    rebroadcast(&net, &raws[roll(raws.len() as u64) as usize]).await;
                }
            }
            // Time passes: whatever is in flight may expire.
            _ => {
                let target = net.now().await + 100 + roll(300);
                travel_to(&net, &api, target).await;
                advanced += 1;
            }
        }
        assert_eq!(
            running.router.metrics.foreign_root.load(Relaxed),
            0,
            "every root on-chain is one the router signed"
        );
    }
    // The faults end; settlement catches up on its own.
    spy.drop_percent.store(0, Relaxed);
    committed(&api, total).await;
    let (epoch, root) = chain_latest(&net).await;
    let (_, e) = api.get("/v1/epochs/latest").await;
    assert_eq!(
        (e["epoch"].clone(), e["root"].clone()),
        (json!(epoch), json!(root))
    );
    assert_eq!(
        claim(&net, &api.url, STAKED).await,
        total,
        "paid to the wei"
    );
    let totals = net.totals().await;
    assert_eq!((totals._1, totals._3), (total, total));
    eprintln!(
        "seed {seed}: {rounds} rounds, {} transactions dropped, {landed} saved roots landed, \
         {refused} refused, {advanced} jumps in time, {} roots expired, epoch {epoch}",
        spy.dropped.load(Relaxed),
        running.router.metrics.epochs_expired.load(Relaxed),
    );
    running.kill();
}
