//! `yellowstone devnet --bare`: a Stylus chain with nothing of ours on it, for other teams'
//! programs. What it prints is what block 0 holds, and SIGTERM stops it.

use std::{
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use serde_json::{json, Value};
use yellowstone_devnet::chain::{
    ARB_WASM, CREATE2_FACTORY, DEV_ACCOUNTS, NITRO_DEV_ACCOUNT, STYLUS_DEPLOYER,
};

/// One JSON-RPC call; the `result`.
async fn rpc(url: &str, method: &str, params: Value) -> Value {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    let answer: Value = reqwest::Client::new()
        .post(url)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    answer
        .get("result")
        .cloned()
        .unwrap_or_else(|| panic!("{method}: {answer}"))
}

#[tokio::test]
async fn a_bare_devnet_prints_what_genesis_holds_and_serves_it() {
    let dir = std::env::temp_dir().join(format!("yellowstone-devnet-bare-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("devnet.json");
    let mut devnet = Command::new(env!("CARGO_BIN_EXE_yellowstone"))
        .args(["devnet", "--bare", "--port", "0", "--deployments"])
        .arg(&file)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Written whole once the chain serves.
    let deadline = Instant::now() + Duration::from_secs(60);
    let printed: Value = loop {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        if let Ok(value) = serde_json::from_str(&text) {
            break value;
        }
        assert!(Instant::now() < deadline, "no devnet file");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let address = |v: &Value| {
        v.as_str()
            .unwrap()
            .parse::<alloy_primitives::Address>()
            .unwrap()
    };
    assert_eq!(address(&printed["stylus_deployer"]), STYLUS_DEPLOYER);
    assert_eq!(address(&printed["create2_factory"]), CREATE2_FACTORY);
    assert_eq!(address(&printed["arb_wasm"]), ARB_WASM);
    assert_eq!(
        address(&printed["nitro_dev_account"]["address"]),
        NITRO_DEV_ACCOUNT.address
    );
    assert_eq!(
        printed["accounts"].as_array().unwrap().len(),
        DEV_ACCOUNTS.len()
    );
    assert_eq!(printed["chain_id"], 412_346);

    let url = printed["rpc_url"].as_str().unwrap();
    // Nothing deployed: block 0, no transaction; StylusDeployer and ArbWasm answer.
    assert_eq!(rpc(url, "eth_blockNumber", json!([])).await, "0x0");
    let code = rpc(url, "eth_getCode", json!([STYLUS_DEPLOYER, "latest"])).await;
    assert_eq!(code.as_str().unwrap().len(), 2 + 2 * 2_269);
    let call = json!([{"to": ARB_WASM, "data": "0xa996e0c2"}, "latest"]); // stylusVersion()
    let version = rpc(url, "eth_call", call).await;
    assert_eq!(version, format!("0x{:064x}", 2));
    let nitro = NITRO_DEV_ACCOUNT.address;
    let balance = rpc(url, "eth_getBalance", json!([nitro, "latest"])).await;
    assert_eq!(balance, "0x21e19e0c9bab2400000"); // 10,000 ether

    let stopped = Command::new("kill")
        .args(["-s", "TERM", &devnet.id().to_string()])
        .status()
        .unwrap();
    assert!(stopped.success());
    assert!(devnet.wait().unwrap().success());
    std::fs::remove_dir_all(&dir).ok();
}
