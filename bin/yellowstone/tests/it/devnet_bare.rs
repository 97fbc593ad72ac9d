//! `yellowstone devnet --bare`: a Stylus chain with nothing of ours on it, for other teams'
//! programs. What it prints is what block 0 holds, and SIGTERM stops it.

use std::{
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use serde_json::{json, Value};
use yellowstone_devnet::chain::{
    ARB_WASM, CREATE2_FACTORY, DEV_ACCOUNTS, NITRO_DEV_ACCOUNT, STYLUS_DEPLOYER,
};

/// A `yellowstone devnet --bare` on a free port; killed when dropped.
pub(crate) struct BareDevnet {
    child: Child,
    /// A scratch directory of its own (removed when dropped).
    pub(crate) dir: PathBuf,
    /// What it printed once it served.
    pub(crate) printed: Value,
}

impl BareDevnet {
    /// Starts one and waits until it serves (its `--deployments` file is written whole then).
    pub(crate) async fn start(name: &str) -> BareDevnet {
        let dir = std::env::temp_dir().join(format!("yellowstone-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("devnet.json");
        let child = Command::new(env!("CARGO_BIN_EXE_yellowstone"))
            .args(["devnet", "--bare", "--port", "0", "--deployments"])
            .arg(&file)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        let printed = loop {
            let text = std::fs::read_to_string(&file).unwrap_or_default();
            if let Ok(value) = serde_json::from_str(&text) {
                break value;
            }
            assert!(Instant::now() < deadline, "no devnet file");
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        BareDevnet {
            child,
            dir,
            printed,
        }
    }

    /// Its JSON-RPC endpoint.
    pub(crate) fn url(&self) -> String {
        self.printed["rpc_url"].as_str().unwrap().to_string()
    }
}

impl Drop for BareDevnet {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// One JSON-RPC call; its `result`.
pub(crate) async fn rpc(url: &str, method: &str, params: Value) -> Value {
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
    let result = answer.get("result").cloned();
    result.unwrap_or_else(|| panic!("{method}: {answer}"))
}

#[tokio::test]
async fn a_bare_devnet_prints_what_genesis_holds_and_serves_it() {
    let mut devnet = BareDevnet::start("devnet-bare").await;
    let printed = &devnet.printed;
    let address = |v: &Value| {
        v.as_str()
            .unwrap()
            .parse::<alloy_primitives::Address>()
            .unwrap()
    };
    assert_eq!(address(&printed["stylus_deployer"]), STYLUS_DEPLOYER);
    assert_eq!(address(&printed["create2_factory"]), CREATE2_FACTORY);
    assert_eq!(address(&printed["arb_wasm"]), ARB_WASM);
    let nitro = &printed["nitro_dev_account"]["address"];
    assert_eq!(address(nitro), NITRO_DEV_ACCOUNT.address);
    let accounts = printed["accounts"].as_array().unwrap();
    assert_eq!(accounts.len(), DEV_ACCOUNTS.len());
    assert_eq!(printed["chain_id"], 412_346);

    let url = devnet.url();
    // Nothing deployed: block 0, no transaction; StylusDeployer and ArbWasm answer.
    assert_eq!(rpc(&url, "eth_blockNumber", json!([])).await, "0x0");
    let code = rpc(&url, "eth_getCode", json!([STYLUS_DEPLOYER, "latest"])).await;
    assert_eq!(code.as_str().unwrap().len(), 2 + 2 * 2_269);
    let call = json!([{"to": ARB_WASM, "data": "0xa996e0c2"}, "latest"]); // stylusVersion()
    let version = rpc(&url, "eth_call", call).await;
    assert_eq!(version, format!("0x{:064x}", 2));
    let nitro = NITRO_DEV_ACCOUNT.address;
    let balance = rpc(&url, "eth_getBalance", json!([nitro, "latest"])).await;
    assert_eq!(balance, "0x21e19e0c9bab2400000"); // 10,000 ether

    let stopped = Command::new("kill")
        .args(["-s", "TERM", &devnet.child.id().to_string()])
        .status()
        .unwrap();
    assert!(stopped.success());
    assert!(devnet.child.wait().unwrap().success());
}
