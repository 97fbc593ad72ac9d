//! Stopping like a service (issue 16): every long-running command (`router`, `devnet`,
//! `demo --keep-running`, `provider serve`, `provider textgen`, `user proxy`) is the real
//! binary here, stopped with SIGTERM as `kill`, systemd and container runtimes stop it (and
//! SIGINT, as Ctrl-C does). Each exits 0 after finishing what it acknowledged: a report the
//! router accepted is there after a restart; an answer in flight through the gateway or the
//! proxy ends whole, its receipt or report kept; a report the proxy could not deliver is
//! delivered by the next proxy. The attacks: a stream that never ends does not hold a stopping
//! service past its drain deadline, and a second signal ends a drain at once.
//!
//! The only time bound asserted is a generous "it exited" (a minute); the drain deadline is
//! set per test with YELLOWSTONE_DRAIN_SECONDS.

use std::{
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, Command, ExitStatus, Stdio},
    time::Duration,
};

use futures_util::StreamExt;
use serde_json::{json, Value};
use yellowstone_client::outbox::Outbox;
use yellowstone_gateway::textgen::{start_textgen, TextgenConfig};
use yellowstone_test_utils::{scenario::*, *};

/// The longest a stopped command may take to exit before the test calls it stuck.
const EXITED: Duration = Duration::from_secs(60);

/// A `yellowstone` command as a child process, its stderr in a file of its own.
struct Service {
    child: Child,
    log: PathBuf,
}

impl Service {
    /// Starts `yellowstone <args>` with `env`; its stderr goes to `<dir>/<name>.log`.
    fn start(dir: &Path, name: &str, args: &[&str], env: &[(&str, String)]) -> Service {
        let log = dir.join(format!("{name}.log"));
        let file = std::fs::File::create(&log).unwrap();
        let mut command = Command::new(env!("CARGO_BIN_EXE_yellowstone"));
        command
            .args(args)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(file);
        for (k, v) in env {
            command.env(k, v);
        }
        let child = command.spawn().expect("yellowstone starts");
        Service { child, log }
    }

    /// What it wrote on stderr so far.
    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits (five minutes at most: a demo on a busy machine) until a line of its stderr
    /// contains `marker`; returns the first `http://` word of that line (where it serves), or
    /// the empty string.
    async fn said(&mut self, marker: &str) -> String {
        for _ in 0..3_000 {
            // Only whole lines: the writer may be mid-line when the file is read.
            let log = self.log();
            let whole = log.rsplit_once('\n').map_or("", |(lines, _)| lines);
            if let Some(line) = whole.lines().find(|l| l.contains(marker)) {
                let url = line.split_whitespace().find(|w| w.starts_with("http://"));
                return url.unwrap_or_default().trim_end_matches(',').to_string();
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "exited with {status} before saying {marker:?}:\n{}",
                    self.log()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("never said {marker:?}:\n{}", self.log());
    }

    /// Sends `signal` (TERM, INT, KILL) with the `kill` command.
    fn signal(&self, signal: &str) {
        let sent = Command::new("kill")
            .args(["-s", signal, &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success(), "kill -s {signal} failed");
    }

    /// Waits for it to exit (at most [`EXITED`]: a stuck process fails the test).
    async fn exit(&mut self) -> ExitStatus {
        for _ in 0..EXITED.as_millis() / 100 {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("still running {EXITED:?} after the signal:\n{}", self.log());
    }

    /// Signals it and asserts it exits 0, saying why it stopped.
    async fn stops_cleanly_on(&mut self, signal: &str) {
        self.signal(signal);
        let status = self.exit().await;
        let log = self.log();
        assert!(
            status.success(),
            "exited with {status} on SIG{signal}:\n{log}"
        );
        assert!(
            log.contains(&format!("SIG{signal} received: stopping")),
            "no line says why it stopped:\n{log}"
        );
    }
}

impl Drop for Service {
    /// A failing test leaves nothing running.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A fresh directory for one test's files.
fn scratch(name: &str) -> PathBuf {
    temp_db(&format!("sigterm-{name}"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// A port free right now (for a service that must come back at the same address).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn hex_key(account: usize) -> String {
    key(account).to_bytes().to_string()
}

/// `yellowstone router` on the in-process devnet, serving at `listen`, logging to
/// `<dir>/<name>.log`.
async fn router_process(net: &Net, dir: &Path, name: &str, listen: &str) -> (Service, String) {
    let db = dir.join("router.db");
    let args = [
        "router",
        "--listen",
        listen,
        "--chain-clock",
        "--block-seconds",
        "1",
        "--rpc-url",
        &net.rpc.url(),
        "--contract",
        &net.d.compute.to_string(),
        "--database",
        db.to_str().unwrap(),
    ];
    let mut router = Service::start(dir, name, &args, &[("YELLOWSTONE_ROUTER_KEY", hex_key(9))]);
    let url = router.said("router: serving").await;
    (router, url)
}

/// Waits until `url` answers `GET /health` with 200.
async fn healthy(url: &str) {
    let http = reqwest::Client::new();
    eventually(&format!("{url}/health"), || async {
        matches!(http.get(format!("{url}/health")).send().await, Ok(r) if r.status() == 200)
    })
    .await;
}

/// Reads a server-sent-event stream to its end (or until the server cuts it).
async fn rest_of(response: reqwest::Response) -> String {
    let mut text = String::new();
    let mut body = response.bytes_stream();
    while let Some(Ok(piece)) = body.next().await {
        text.push_str(&String::from_utf8_lossy(&piece));
    }
    text
}

/// Starts a streamed chat request and waits for its first bytes (so it is in flight).
async fn stream_started(
    url: &str,
    auth: Option<String>,
    body: &Value,
) -> (reqwest::Response, String) {
    let mut request = reqwest::Client::new()
        .post(format!("{url}/v1/chat/completions"))
        .json(body);
    if let Some(auth) = auth {
        request = request.header("authorization", auth);
    }
    let mut response = request.send().await.unwrap();
    assert_eq!(response.status(), 200, "the stream did not start");
    let first = response.chunk().await.unwrap().expect("a first chunk");
    (response, String::from_utf8_lossy(&first).into_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn textgen_stops_on_sigint_as_on_sigterm() {
    let dir = scratch("sigint");
    for signal in ["INT", "TERM"] {
        let args = ["provider", "textgen", "--listen", "127.0.0.1:0"];
        let mut textgen = Service::start(&dir, &format!("textgen-{signal}"), &args, &[]);
        let url = textgen.said("serving").await;
        healthy(&url).await;
        textgen.stops_cleanly_on(signal).await;
    }
}

/// `provider textgen` draining for `drain_seconds`, with a stream open that would last a day
/// (100,000 words a second apart).
async fn endless_stream(name: &str, drain_seconds: u64) -> (Service, reqwest::Response) {
    let dir = scratch(name);
    let args = [
        "provider",
        "textgen",
        "--listen",
        "127.0.0.1:0",
        "--token-delay-ms",
        "1000",
    ];
    let env = [("YELLOWSTONE_DRAIN_SECONDS", drain_seconds.to_string())];
    let mut textgen = Service::start(&dir, "textgen", &args, &env);
    let url = textgen.said("serving").await;
    let body = json!({"model": "m", "stream": true, "max_tokens": 100_000,
                      "messages": [{"role": "user", "content": "go on"}]});
    let (response, _) = stream_started(&url, None, &body).await;
    (textgen, response)
}

/// The attack: a client keeps a stream open (a backend that never finishes). The stopping
/// service waits for it only until its drain deadline, then cuts it and exits 0.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_that_never_ends_does_not_hold_a_stopping_service() {
    let (mut textgen, response) = endless_stream("slow", 1).await;
    textgen.stops_cleanly_on("TERM").await;
    let rest = rest_of(response).await;
    assert!(
        !rest.contains("[DONE]"),
        "the endless stream ended?\n{rest}"
    );
    assert!(
        textgen.log().contains("cut"),
        "the cut is not logged:\n{}",
        textgen.log()
    );
}

/// A second signal during the drain exits at once, non-zero, saying so: an operator's second
/// Ctrl-C is never ignored, however long the drain.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_signal_during_the_drain_exits_at_once() {
    let (mut textgen, _response) = endless_stream("twice", 3600).await;
    textgen.signal("TERM");
    textgen.said("SIGTERM received: stopping").await;
    textgen.signal("INT");
    let status = textgen.exit().await;
    assert_eq!(status.code(), Some(130), "{}", textgen.log());
    assert!(
        textgen
            .log()
            .contains("SIGINT received while stopping: exiting at once"),
        "{}",
        textgen.log()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_devnet_stops_on_sigterm() {
    let dir = scratch("devnet");
    let deployments = dir.join("devnet.json");
    let args = [
        "devnet",
        "--port",
        "0",
        "--deployments",
        deployments.to_str().unwrap(),
    ];
    let mut devnet = Service::start(&dir, "devnet", &args, &[]);
    let url = devnet.said("devnet: listening on").await;
    let chain_id: Value = reqwest::Client::new()
        .post(&url)
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(chain_id["result"].is_string(), "{chain_id}");
    devnet.stops_cleanly_on("TERM").await;
}

/// A report the router acknowledged before SIGTERM is in its database after the restart: the
/// same report again is refused as already reported.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_router_stops_on_sigterm_keeping_what_it_acknowledged() {
    let dir = scratch("router");
    let net = market().await;
    let gateways = Gateways::start_for(net.domain()).await;
    let (mut router, url) = router_process(&net, &dir, "router", "127.0.0.1:0").await;
    let api = Api::new(url);
    providers_join(&net, &api, &gateways).await;
    let ticket = admit(&net, &api, USERS[0], 1).await;
    let verdict = report(&net, &api, USERS[0], &ticket, true).await;
    assert_eq!(verdict["outcome"], "credited", "{verdict}");

    router.stops_cleanly_on("TERM").await;
    let log = router.log();
    assert!(
        !log.contains("did not close") && !log.contains("were cut"),
        "the router did not drain and close its database:\n{log}"
    );

    let (_router, url) = router_process(&net, &dir, "router-again", "127.0.0.1:0").await;
    let api = Api::new(url);
    let receipt = yellowstone_protocol::messages::Receipt {
        requestId: ticket.message.requestId,
        provider: ticket.message.provider,
        tokens: TOKENS,
    };
    let again = yellowstone_protocol::messages::Report {
        requestId: ticket.message.requestId,
        user: key(USERS[0]).address(),
        firstTokenMs: 150,
        elapsedMs: 900,
        tokens: TOKENS,
        pass: true,
    };
    let body = json!({
        "report": sign(&key(USERS[0]), again, &net.domain()),
        "receipt": sign(&key(STAKED), receipt, &net.domain()),
    });
    let (status, answer) = api.post("/v1/reports", &body).await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (409, Some("replayed")),
        "{answer}"
    );
}

/// A router still waiting for its chain at start-up (it retries forever) stops on SIGTERM too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_router_waiting_for_its_chain_stops_on_sigterm() {
    let dir = scratch("nochain");
    let db = dir.join("router.db");
    let args = [
        "router",
        "--listen",
        "127.0.0.1:0",
        "--rpc-url",
        "http://127.0.0.1:1",
        "--contract",
        "0x0000000000000000000000000000000000000001",
        "--database",
        db.to_str().unwrap(),
    ];
    let env = [("YELLOWSTONE_ROUTER_KEY", hex_key(9))];
    let mut router = Service::start(&dir, "router", &args, &env);
    router.said("chain unreachable at start-up").await;
    router.stops_cleanly_on("TERM").await;
}

/// `provider serve` stopped mid-answer finishes the answer: the user gets every token, the
/// receipt and `[DONE]`, the router gets the receipt, then the gateway exits 0.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopping_gateway_finishes_the_answer_in_flight() {
    let dir = scratch("gateway");
    let net = market().await;
    let running = router(&net, &net.rpc.url(), &dir.join("router.db"), 1).await;
    let textgen = start_textgen(TextgenConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        token_delay: Duration::from_millis(100),
        fail_after: None,
    })
    .await
    .unwrap();
    let tickets = dir.join("gateway.tickets");
    let args = [
        "provider",
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--backend",
        &textgen.url(),
        "--router",
        &running.url(),
        "--model",
        MODEL,
        "--tickets-db",
        tickets.to_str().unwrap(),
    ];
    let env = [
        ("YELLOWSTONE_PROVIDER_KEY", hex_key(STAKED)),
        ("YELLOWSTONE_DRAIN_SECONDS", "60".to_string()),
    ];
    let mut gateway = Service::start(&dir, "gateway", &args, &env);
    let endpoint = gateway.said("provider gateway: serving").await;
    let client = yellowstone_client::router::RouterClient::new(&running.url());
    join(
        &net,
        &client,
        STAKED,
        MODEL,
        price_of(STAKED),
        endpoint.clone(),
    )
    .await;
    let api = Api::new(running.url());
    let ticket = admit(&net, &api, USERS[0], 1).await;

    // 20 tokens, 100 ms apart: two seconds in flight when the signal comes.
    let body = json!({"model": MODEL, "stream": true, "max_tokens": 20,
                      "messages": [{"role": "user", "content": "hello"}]});
    let auth = format!("Bearer {}", ticket.to_token());
    let (response, first) = stream_started(&endpoint, Some(auth), &body).await;
    gateway.stops_cleanly_on("TERM").await;
    let answer = first + &rest_of(response).await;
    assert!(
        answer.contains("yellowstone.receipt"),
        "no receipt:\n{answer}"
    );
    assert!(answer.contains("data: [DONE]"), "cut short:\n{answer}");
    // The gateway posts every receipt to the router too (a user cannot withhold it): that
    // post was waited for before the gateway exited.
    let posted = running.router.store().receipt(ticket.message.requestId);
    assert!(
        posted.unwrap().is_some(),
        "the receipt never reached the router"
    );
}

/// `user proxy` stopped mid-answer finishes it and keeps its report: the router is down (killed)
/// so the report cannot be posted; the outbox holds it when the proxy exits 0, and the next
/// proxy delivers it to the restarted router, which judges it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopping_proxy_keeps_the_report_of_the_answer_in_flight() {
    let dir = scratch("proxy");
    let net = market().await;
    let listen = format!("127.0.0.1:{}", free_port());
    let (mut router, url) = router_process(&net, &dir, "router", &listen).await;
    let stack = gateway_stack(&net, &url, STAKED, 8, Duration::from_millis(100)).await;
    let client = yellowstone_client::router::RouterClient::new(&url);
    join(
        &net,
        &client,
        STAKED,
        MODEL,
        price_of(STAKED),
        stack.gateway.url(),
    )
    .await;
    let outbox = dir.join("outbox.jsonl");
    let args = [
        "user",
        "proxy",
        "--listen",
        "127.0.0.1:0",
        "--router",
        &url,
        "--outbox",
        outbox.to_str().unwrap(),
    ];
    let env = [
        ("YELLOWSTONE_USER_KEY", hex_key(USERS[0])),
        ("YELLOWSTONE_DRAIN_SECONDS", "60".to_string()),
    ];
    let mut proxy = Service::start(&dir, "proxy", &args, &env);
    let proxy_url = proxy.said("proxy: OpenAI base_url").await;
    let proxy_url = proxy_url.trim_end_matches("/v1");

    let body = json!({"model": MODEL, "stream": true, "max_tokens": 20,
                      "messages": [{"role": "user", "content": "hello"}]});
    let (response, first) = stream_started(proxy_url, None, &body).await;
    router.signal("KILL");
    router.exit().await;
    proxy.stops_cleanly_on("TERM").await;
    let answer = first + &rest_of(response).await;
    assert!(
        answer.trim_end().ends_with("data: [DONE]"),
        "cut short:\n{answer}"
    );
    let kept = Outbox::open(&outbox).unwrap().pending(&url).unwrap();
    assert_eq!(
        kept.len(),
        1,
        "the report of the answer is not in the outbox"
    );

    // Time passes during a restart (the router's chain clock would otherwise still be at the
    // moment of the ticket, and refuse an answer said to have taken longer).
    net.advance(10).await;
    let (_router, url) = router_process(&net, &dir, "router-again", &listen).await;
    let _proxy = Service::start(&dir, "proxy-again", &args, &env);
    let api = Api::new(url);
    let user = key(USERS[0]).address();
    eventually("the kept report to be judged", || async {
        match api.get(&format!("/v1/allowance/{user}")).await {
            (200, a) => u256(&a["held"]).is_zero() && !u256(&a["used"]).is_zero(),
            _ => false,
        }
    })
    .await;
}

/// `demo --keep-running` prints the market page's address beside the others, and SIGTERM stops
/// it with status 0 (the books balanced).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_keeps_running_until_sigterm() {
    let dir = scratch("demo");
    let db = dir.join("demo.db");
    let args = [
        "demo",
        "--keep-running",
        "--users",
        "2",
        "--requests",
        "12",
        "--database",
        db.to_str().unwrap(),
    ];
    let mut demo = Service::start(&dir, "demo", &args, &[]);
    demo.said("serving until").await;
    let page = demo.said("market page").await;
    let router = demo.said("router API").await;
    let router = router.trim_end_matches("/v1/market");
    assert_eq!(page, format!("{router}/"), "{}", demo.log());
    healthy(router).await;
    demo.stops_cleanly_on("TERM").await;
}
