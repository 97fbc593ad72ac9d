//! Faults (issue 7). The router process killed with SIGKILL at random points under load and
//! restarted, many times: every acknowledged report is credited exactly once, the router's
//! cumulative totals and the contract's agree, and the claim pays to the wei. The chain
//! unreachable, slow, or answering errors and garbage through a fault-injecting proxy:
//! admission goes on, nothing crashes, and the queued epochs land in order once it heals.
//!
//! `FAULT_KILLS` (default 6) and `FAULT_SEED` (default 1) make longer or other runs.

use std::{
    io::{BufRead, BufReader},
    path::Path,
    process::{Child, Command, Stdio},
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Mutex,
    },
    time::Duration,
};

use alloy_primitives::{B256, U256};
use serde_json::{json, Value};
use yellowstone_chain::IYellowstoneCompute as I;
use yellowstone_protocol::messages::{Receipt, Report, Rfc, Signed, Ticket};
use yellowstone_test_utils::{
    chain_proxy::{ChainProxy, Fault},
    scenario::*,
    *,
};

/// Output tokens per inference here: at 0.01 MOR a token, each credited report is 0.01 MOR, so
/// even a long run (thousands of reports) stays inside the day's cap and settles the same day.
const SMALL: u64 = 1;

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A seeded xorshift generator: the kill moments of a run are reproducible with its seed.
fn xorshift(mut state: u64) -> impl FnMut() -> u64 {
    move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    }
}

/// `yellowstone router` as a child process, so that a kill is a real SIGKILL.
struct RouterProcess {
    child: Child,
    url: String,
}

impl RouterProcess {
    /// Starts the binary on `db` and waits until it serves.
    fn spawn(net: &Net, rpc_url: &str, db: &Path, config: &Path) -> RouterProcess {
        let mut child = Command::new(env!("CARGO_BIN_EXE_yellowstone"))
            .args(["router", "--listen", "127.0.0.1:0", "--chain-clock"])
            .arg("--config")
            .arg(config)
            .args(["--rpc-url", rpc_url])
            .args(["--contract", &net.d.compute.to_string()])
            .arg("--database")
            .arg(db)
            .env("YELLOWSTONE_ROUTER_KEY", key(9).to_bytes().to_string())
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("yellowstone router starts");
        let (tx, rx) = std::sync::mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            // Reads to the end so the child never blocks on a full pipe.
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(url) = line.strip_prefix("router: serving ") {
                    let _ = tx.send(url.split_whitespace().next().unwrap().to_string());
                }
            }
        });
        let url = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the router to say where it serves");
        RouterProcess { child, url }
    }

    /// SIGKILL: no handler runs, nothing is flushed.
    fn kill(self) {
        drop(self);
    }
}

impl Drop for RouterProcess {
    /// A failing test leaves no router behind.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What the load saw: reports acknowledged with a credit, reports whose answer was lost in a
/// kill and that the restarted router shows as already reported, and tickets lost in a kill.
#[derive(Debug, Default)]
struct Seen {
    acknowledged: u64,
    reported_unacknowledged: u64,
    tickets_lost: u64,
    retries: u64,
}

/// POSTs until the router answers: connection failures (the router dead or restarting) are
/// retried with the very same body. Returns the answer and whether any attempt failed.
async fn persist(
    url: &Mutex<String>,
    path: &str,
    body: &Value,
    seen: &Mutex<Seen>,
) -> (u16, Value, bool) {
    let mut failed = false;
    loop {
        let base = url.lock().unwrap().clone();
        match Api::new(base).try_post(path, body).await {
            // Busy, or every provider's capacity held by tickets whose answers died in a kill
            // (they free when the tickets expire): a client waits and retries the same body.
            Ok((503, answer)) if answer["code"] == "busy" || answer["code"] == "no_provider" => {}
            Ok((status, answer)) => return (status, answer, failed),
            Err(_) => {
                failed = true;
                seen.lock().unwrap().retries += 1;
            }
        }
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
}

/// One user's inferences, back to back, until `stop`.
async fn user_load(
    net: Arc<Net>,
    user: usize,
    url: Arc<Mutex<String>>,
    seen: Arc<Mutex<Seen>>,
    stop: Arc<AtomicBool>,
) {
    let domain = net.domain();
    let mut nonce = 1_000;
    while !stop.load(Ordering::SeqCst) {
        nonce += 1;
        let rfc = Rfc {
            user: key(user).address(),
            model: MODEL.into(),
            tokenMax: SMALL,
            nonce,
            deadline: net.now().await + 300,
        };
        let body = serde_json::to_value(sign(&key(user), rfc, &domain)).unwrap();
        let (status, answer, failed) = persist(&url, "/v1/rfcs", &body, &seen).await;
        let ticket: Signed<Ticket> = match status {
            200 => serde_json::from_value(answer["ticket"].clone()).unwrap(),
            // Admitted before a kill, answer lost: the ticket is gone with it.
            409 if failed && answer["code"] == "replayed" => {
                seen.lock().unwrap().tickets_lost += 1;
                continue;
            }
            _ => panic!("RFC {nonce} of user {user}: {status} {answer}"),
        };
        let id = ticket.message.requestId;
        let receipt = Receipt {
            requestId: id,
            provider: key(STAKED).address(),
            tokens: SMALL,
        };
        let report = Report {
            requestId: id,
            user: key(user).address(),
            firstTokenMs: 150,
            elapsedMs: 900,
            tokens: SMALL,
            pass: true,
        };
        let body = json!({
            "report": sign(&key(user), report, &domain),
            "receipt": sign(&key(STAKED), receipt, &domain),
        });
        let (status, answer, failed) = persist(&url, "/v1/reports", &body, &seen).await;
        match status {
            200 => {
                assert_eq!(answer["verdict"]["outcome"], "credited", "{answer}");
                assert_eq!(u256(&answer["verdict"]["wei"]), unit(), "{answer}");
                seen.lock().unwrap().acknowledged += 1;
            }
            409 if failed && answer["code"] == "replayed" => {
                seen.lock().unwrap().reported_unacknowledged += 1;
            }
            _ => panic!("report of {id}: {status} {answer}"),
        }
    }
}

/// Polls `/health` for up to 3 s until an epoch is in flight; whether one was seen.
async fn epoch_in_flight(url: &str) -> bool {
    let api = Api::new(url.to_string());
    for _ in 0..300 {
        if api.get("/health").await.1["epoch_in_flight"] == true {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    false
}

/// The wei one report of `SMALL` tokens at the staked provider's price earns.
fn unit() -> U256 {
    U256::from(SMALL) * price_of(STAKED)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_router_killed_at_random_points_under_load_loses_and_duplicates_nothing() {
    let kills = env_or("FAULT_KILLS", 6);
    let mut rng = xorshift(env_or("FAULT_SEED", 1) | 1);
    let net = Arc::new(market().await);
    let gateways = Gateways::start().await;
    let db = temp_db("sigkill");
    let config = db.with_file_name("router.toml");
    std::fs::write(
        &config,
        "[rules]\nblock_seconds = 1\n[service]\nprobe_cache_ms = 200\n",
    )
    .unwrap();
    let mut process = RouterProcess::spawn(&net, &net.rpc.url(), &db, &config);
    providers_join(&net, &Api::new(process.url.clone()), &gateways).await;

    let url = Arc::new(Mutex::new(process.url.clone()));
    let seen = Arc::new(Mutex::new(Seen::default()));
    let stop = Arc::new(AtomicBool::new(false));
    let load: Vec<_> = USERS
        .iter()
        .map(|&user| {
            tokio::spawn(user_load(
                net.clone(),
                user,
                url.clone(),
                seen.clone(),
                stop.clone(),
            ))
        })
        .collect();
    let mut mid_epoch = 0;
    for kill in 0..kills {
        // Anywhere in an inference block: admitting, judging, building or sending a root...
        tokio::time::sleep(Duration::from_millis(300 + rng() % 2_700)).await;
        // ...and every other time as soon as a root is in flight (built, maybe sent).
        if kill % 2 == 1 && epoch_in_flight(&process.url).await {
            mid_epoch += 1;
        }
        process.kill();
        process = RouterProcess::spawn(&net, &net.rpc.url(), &db, &config);
        *url.lock().unwrap() = process.url.clone();
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::SeqCst);
    for task in load {
        task.await.unwrap();
    }
    let seen = std::mem::take(&mut *seen.lock().unwrap());
    assert!(
        seen.acknowledged > 0 && seen.retries > 0,
        "the kills hit the load: {seen:?}"
    );

    // Every report the router took is in the totals once: acknowledged ones and ones whose
    // answer died with the process alike. Nothing else is.
    let total = unit() * U256::from(seen.acknowledged + seen.reported_unacknowledged);
    let api = Api::new(process.url.clone());
    // A long run can credit more than one day's cap: the rest commits after midnight (with
    // the bootstrap share of the day's work, which is not the load's).
    if total > net.view(net.d.compute, I::todayCall {}).await._1 {
        net.next_day().await;
    }
    let mut credited = U256::ZERO;
    for _ in 0..600 {
        credited = latest_epoch(&api)
            .await
            .map_or(U256::ZERO, |e| u256(&e["cumulative_credited"]));
        if credited == total {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(credited, total, "committed vs credited: {seen:?}");
    let (_, health) = api.get("/health").await;
    assert_eq!(u256(&health["pending_wei"]), U256::ZERO, "{health}");
    let epoch = latest_epoch(&api).await.unwrap();
    let (on_chain, root, credited, bootstrap) =
        net.view(net.d.compute, I::latestEpochCall {}).await.into();
    assert_eq!(on_chain, epoch["epoch"].as_u64().unwrap());
    assert_eq!(
        root,
        epoch["root"].as_str().unwrap().parse::<B256>().unwrap()
    );
    assert_eq!(credited, total, "the contract's cumulative credit");
    assert_eq!(
        net.totals().await._1,
        total,
        "the contract's total credited"
    );
    assert_eq!(
        claim(&net, &api.url, STAKED).await,
        total + bootstrap,
        "the claim pays to the wei"
    );
    eprintln!("{kills} kills ({mid_epoch} with a root in flight): {seen:?}, {on_chain} epochs");
    process.kill();
}

/// A counter's value in the router's Prometheus text.
async fn metric(api: &Api, name: &str) -> u64 {
    let text = reqwest::get(format!("{}/metrics", api.url))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.trim().parse().ok())
        .unwrap_or_else(|| panic!("{name} not in /metrics"))
}

/// Every committed epoch the router serves, 1 to the latest, as (epoch, credited, bootstrap).
async fn epochs(api: &Api) -> Vec<(u64, U256, U256)> {
    let latest = latest_epoch(api)
        .await
        .map_or(0, |e| e["epoch"].as_u64().unwrap());
    let mut all = Vec::new();
    for n in 1..=latest {
        let (status, e) = api.get(&format!("/v1/epochs/{n}")).await;
        assert_eq!(status, 200, "epoch {n}: {e}");
        all.push((
            n,
            u256(&e["cumulative_credited"]),
            u256(&e["cumulative_bootstrap"]),
        ));
    }
    all
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_chain_unreachable_slow_or_erring_stops_nothing_and_the_backlog_lands_in_order() {
    let net = market().await;
    let gateways = Gateways::start().await;
    let proxy = ChainProxy::start(net.rpc.url()).await;
    let running = router(&net, &proxy.url, &temp_db("chain-faults"), 1).await;
    let api = Api::new(running.url());
    providers_join(&net, &api, &gateways).await;
    let mut total = U256::ZERO;
    let mut nonce = 0;
    // Every user known to the router before the faults: their allowance is computed.
    for user in USERS {
        nonce += 1;
        total += credited(&inference(&net, &api, user, nonce, true).await);
    }
    eventually("the first epoch", || async {
        committed_total(&api).await == total
    })
    .await;

    let faults = [
        Fault::Down,
        Fault::Slow(Duration::from_millis(1_500)),
        Fault::BadGateway,
        Fault::RpcError,
        Fault::Garbage,
    ];
    for fault in faults {
        let errors_before = metric(&api, "yellowstone_chain_errors_total").await;
        let epoch_before = latest_epoch(&api).await.unwrap()["epoch"].as_u64().unwrap();
        proxy.set(fault);
        // Admission and judging go on: they need nothing from the chain.
        for user in USERS {
            nonce += 1;
            let verdict = inference(&net, &api, user, nonce, true).await;
            assert_eq!(verdict["outcome"], "credited", "under {fault:?}: {verdict}");
            total += credited(&verdict);
        }
        // Several inference blocks pass under the fault.
        tokio::time::sleep(Duration::from_secs(3)).await;
        let (status, health) = api.get("/health").await;
        assert_eq!(status, 200, "under {fault:?}: {health}");
        if fault != Fault::Slow(Duration::from_millis(1_500)) {
            assert_eq!(
                chain_epoch(&net).await,
                epoch_before,
                "nothing settles under {fault:?}"
            );
            assert!(
                metric(&api, "yellowstone_chain_errors_total").await > errors_before,
                "the router saw {fault:?}"
            );
            assert!(u256(&health["pending_wei"]) > U256::ZERO, "{health}");
        }
        proxy.set(Fault::None);
        eventually("the backlog to settle", || async {
            committed_total(&api).await == total
        })
        .await;
        assert_eq!(
            chain_epoch(&net).await,
            latest_epoch(&api).await.unwrap()["epoch"].as_u64().unwrap()
        );
    }
    assert!(proxy.counts().faulted > 0, "{:?}", proxy.counts());

    // The epochs landed one by one, numbered from 1 without a gap, their totals only growing,
    // and the last one is the contract's.
    let all = epochs(&api).await;
    assert!(
        all.windows(2).all(|w| w[0].1 <= w[1].1 && w[0].2 <= w[1].2),
        "{all:?}"
    );
    let (_, _, credited_on_chain, _) = net.view(net.d.compute, I::latestEpochCall {}).await.into();
    assert_eq!(credited_on_chain, total);
    assert_eq!(claim(&net, &api.url, STAKED).await, total);
    running.kill();
}

/// The contract's latest epoch number.
async fn chain_epoch(net: &Net) -> u64 {
    let (epoch, _, _, _) = net.view(net.d.compute, I::latestEpochCall {}).await.into();
    epoch
}
