//! An application written for OpenAI works unchanged through `yellowstone user proxy`: the
//! official `openai` Python package (from PyPI) asks for a whole and a streamed completion; the
//! answers come from the provider, the router never sees the prompt, and both reports are
//! credited. Python: [`super::python`].

use std::{path::Path, path::PathBuf, process::Command};

use alloy_primitives::U256;
use serde_json::Value;
use yellowstone_client::exchange::DEFAULT_STALL_TIMEOUT;
use yellowstone_client::proxy::{start_proxy, ProxyConfig};
use yellowstone_test_utils::*;

const MODEL: &str = "textgen-words";
const PROVIDER: usize = 1;
const USER: usize = 4;

fn python() -> PathBuf {
    super::python::python(&["openai"])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_official_openai_client_works_unchanged_through_the_user_proxy() {
    let net = Net::start();
    net.fund(mor(10_000)).await;
    net.stake(PROVIDER, mor(1_000), 365).await;
    net.next_day().await;
    let running = router(&net, &net.rpc.url(), &temp_db("openai"), 1).await;
    let price = U256::from(10u64).pow(U256::from(15));
    let stack = provider_stack(&net, &running.url(), PROVIDER, MODEL, price).await;
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

    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/openai_client.py");
    let base_url = format!("http://{}/v1", proxy.addr);
    let out = tokio::task::spawn_blocking(move || {
        Command::new(python())
            .arg(script)
            .args([
                "--base-url",
                &base_url,
                "--model",
                MODEL,
                "--max-tokens",
                "16",
            ])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "the openai client failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let answer: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(answer["models"], serde_json::json!([MODEL]));
    assert_eq!(
        answer["whole"].as_str().unwrap().split_whitespace().count(),
        16
    );
    assert_eq!(answer["whole_tokens"], 16);
    assert_eq!(answer["streamed_chunks"], 16);
    // Same prompt, same deterministic answer, streamed or not.
    assert_eq!(
        answer["streamed"]
            .as_str()
            .unwrap()
            .split_whitespace()
            .collect::<Vec<_>>(),
        answer["whole"]
            .as_str()
            .unwrap()
            .split_whitespace()
            .collect::<Vec<_>>()
    );

    // Both reports were credited: 32 tokens at the bid's price, committed and claimable.
    let credited = U256::from(32u64) * price;
    committed(&Api::new(running.url()), credited).await;
    assert_eq!(claim(&net, &running.url(), PROVIDER).await, credited);
    proxy.kill();
    stack.gateway.kill();
    stack.textgen.kill();
    running.kill();
}
