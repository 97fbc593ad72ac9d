//! A real inference server behind the provider gateway: llama.cpp's server (as the PyPI
//! package `llama-cpp-python[server]` builds and ships it) serving a tiny llama model the test
//! writes itself (`scripts/llama/tiny_model.py`: random weights, so nonsense text over the real
//! protocol). Through the market, `user chat` (streamed and whole, the real binary) and the
//! official `openai` client through `user proxy` get their answers, and every credit is the
//! backend's own token count, cut at the ticket's `max_tokens` when the backend runs past it
//! (this server does: asked for 24 tokens with seed 1 it generates 26).
//!
//! Python with `llama_cpp`, `gguf` and `openai`: [`super::python`].

use std::{
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::Duration,
};

use alloy_primitives::U256;
use serde_json::Value;
use yellowstone_client::exchange::DEFAULT_STALL_TIMEOUT;
use yellowstone_client::proxy::{start_proxy, ProxyConfig};
use yellowstone_gateway::{GatewayConfig, Trust};
use yellowstone_test_utils::*;

use super::python::repo;

const MODEL: &str = "yellowstone-tiny";
const PROVIDER: usize = 1;
const USER: usize = 4;

fn python() -> PathBuf {
    super::python::python(&["llama_cpp.server", "gguf", "openai"])
}

/// llama.cpp's server on a free port; killed when dropped.
struct Llama {
    child: Child,
    url: String,
}

impl Drop for Llama {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start_llama(dir: &Path) -> Llama {
    let model = dir.join("tiny.gguf");
    let written = Command::new(python())
        .arg(repo().join("scripts/llama/tiny_model.py"))
        .arg(&model)
        .status()
        .unwrap();
    assert!(written.success(), "tiny_model.py failed");
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let log = std::fs::File::create(dir.join("llama-server.log")).unwrap();
    let child = Command::new(python())
        .args(["-m", "llama_cpp.server", "--model"])
        .arg(&model)
        .args([
            "--model_alias",
            MODEL,
            "--host",
            "127.0.0.1",
            "--n_ctx",
            "512",
        ])
        .args(["--port", &port.to_string()])
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap();
    let llama = Llama {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    let http = reqwest::Client::new();
    let models = format!("{}/v1/models", llama.url);
    for _ in 0..600 {
        if let Ok(r) = http.get(&models).send().await {
            let body: Value = r.json().await.unwrap_or_default();
            assert_eq!(body["data"][0]["id"], MODEL, "{body}");
            return llama;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "llama.cpp's server did not start: {}",
        std::fs::read_to_string(dir.join("llama-server.log")).unwrap_or_default()
    );
}

/// `yellowstone user chat --json`, the real binary.
fn user_chat(router: &str, dir: &Path, max_tokens: u64, stream: bool) -> Value {
    let mut command = Command::new(env!("CARGO_BIN_EXE_yellowstone"));
    command
        .args([
            "user", "chat", "--json", "--router", router, "--model", MODEL,
        ])
        .args(["--max-tokens", &max_tokens.to_string()])
        .env("YELLOWSTONE_USER_KEY", key(USER).to_bytes().to_string())
        .env("YELLOWSTONE_OUTBOX", dir.join("outbox"))
        .stdin(Stdio::null());
    if !stream {
        command.arg("--no-stream");
    }
    let out = command.arg("say something").output().unwrap();
    assert!(
        out.status.success(),
        "user chat failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The credited tokens of a `user chat --json` outcome, checked against the user's count.
fn credited(outcome: &Value, max_tokens: u64) -> u64 {
    let verdict = &outcome["verdict"];
    assert_eq!(verdict["outcome"], "credited", "{outcome}");
    let tokens = verdict["tokens"].as_u64().unwrap();
    assert_eq!(outcome["tokens"].as_u64(), Some(tokens), "{outcome}");
    let bytes = outcome["answer"].as_str().unwrap().len() as u64;
    // Random weights write bytes that are not UTF-8, which the server drops: an answer is
    // credited at most one token per byte delivered (docs/EDGES.md, counting).
    assert!(
        (1..=max_tokens.min(bytes)).contains(&tokens),
        "{tokens} tokens for max_tokens {max_tokens} and {bytes} bytes"
    );
    tokens
}

fn chunks(v: &Value) -> Vec<String> {
    serde_json::from_value(v.clone()).unwrap()
}

/// The openai client straight to the backend and through the proxy, for one seeded request.
fn openai(backend: &str, proxy: &str, prompt: &str, max_tokens: u64, seed: u64) -> Value {
    let out = Command::new(python())
        .arg(repo().join("scripts/llama/openai_llama.py"))
        .args(["--backend", &format!("{backend}/v1")])
        .args(["--proxy", &format!("{proxy}/v1"), "--model", MODEL])
        .args(["--prompt", prompt, "--max-tokens", &max_tokens.to_string()])
        .args(["--seed", &seed.to_string()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "the openai client failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn llama_cpp_behind_the_gateway_is_credited_to_the_token() {
    let dir = temp_db("llama");
    std::fs::create_dir_all(&dir).unwrap();
    let llama = start_llama(&dir).await;

    let net = Net::start();
    net.fund(mor(10_000)).await;
    net.stake(PROVIDER, mor(1_000), 365).await;
    net.next_day().await;
    let running = router(&net, &net.rpc.url(), &dir.join("router.db"), 1).await;
    let mut config = GatewayConfig::new(
        "127.0.0.1:0".parse().unwrap(),
        llama.url.clone(),
        Trust {
            router: key(9).address(),
            chain_id: net.d.chain_id,
            contract: net.d.compute,
        },
    );
    config.router = Some(running.url());
    config.models = vec![MODEL.to_string()];
    config.used_tickets_path = Some(dir.join("gateway.tickets"));
    let gateway = yellowstone_gateway::start(config, key(PROVIDER))
        .await
        .unwrap();
    let price = U256::from(10u64).pow(U256::from(15));
    let client = yellowstone_client::router::RouterClient::new(&running.url());
    join(&net, &client, PROVIDER, MODEL, price, gateway.url()).await;

    // `user chat`, streamed and whole: the user's count, the receipt and the credit agree.
    let streamed = user_chat(&running.url(), &dir, 16, true);
    let whole = user_chat(&running.url(), &dir, 16, false);
    let mut tokens = credited(&streamed, 16) + credited(&whole, 16);
    assert!(!whole["answer"].as_str().unwrap().is_empty(), "{whole}");

    let proxy = start_proxy(
        &ProxyConfig {
            listen: "127.0.0.1:0".parse().unwrap(),
            router_url: running.url(),
            max_tokens: 64,
            stall_timeout: DEFAULT_STALL_TIMEOUT,
        },
        key(USER),
    )
    .await
    .unwrap();
    let proxy_url = format!("http://{}", proxy.addr);

    // A request the backend honours: 16 tokens asked, 16 generated (7 of them byte tokens that
    // complete no character, streamed as empty content: the count once credited 9 of 16), 18
    // bytes of text, 16 delivered and credited both ways, the very chunks the backend streams.
    let honoured = openai(&llama.url, &proxy_url, "hello", 16, 7);
    let direct = chunks(&honoured["direct_chunks"]);
    assert_eq!(
        (honoured["direct_tokens"].as_u64(), direct.len()),
        (Some(16), 16)
    );
    assert_eq!(chunks(&honoured["streamed_chunks"]), direct, "{honoured}");
    assert_eq!(honoured["whole"], direct.concat(), "{honoured}");
    assert_eq!(honoured["whole_tokens"], 16, "{honoured}");
    assert!(direct.concat().len() >= 16 && direct.iter().filter(|c| c.is_empty()).count() > 0);
    tokens += 32;

    // A request the backend overruns: 24 asked, 26 generated; the market delivers the first 24
    // and credits 24, whole (cut, `finish_reason` "length") and streamed.
    let overrun = openai(&llama.url, &proxy_url, "hello 1", 24, 1);
    let direct = chunks(&overrun["direct_chunks"]);
    assert_eq!(
        (overrun["direct_tokens"].as_u64(), direct.len()),
        (Some(26), 26)
    );
    assert_eq!(
        chunks(&overrun["streamed_chunks"]),
        direct[..24],
        "{overrun}"
    );
    assert_eq!(overrun["whole"], direct[..24].concat(), "{overrun}");
    assert_eq!(overrun["whole_tokens"], 24, "{overrun}");
    assert_eq!(overrun["whole_finish"], "length", "{overrun}");
    assert!(direct[..24].concat().len() >= 24);
    tokens += 48;

    // Every answer credited at the backend's count, committed and claimable to the wei.
    let total = U256::from(tokens) * price;
    committed(&Api::new(running.url()), total).await;
    assert_eq!(claim(&net, &running.url(), PROVIDER).await, total);
    proxy.kill();
    gateway.kill();
    running.kill();
    drop(llama);
}
