//! `scripts/deploy-stylus.sh`, the production deployment, rehearsed on `yellowstone devnet
//! --bare`: the devnet MOR, the compute artifact deployed, activated and constructed in one
//! StylusDeployer transaction, the router authorised, all with foundry's cast; and its refusal
//! of a public key anywhere but the devnet.

use std::{
    path::{Path, PathBuf},
    process::Command,
};

use serde_json::{json, Value};

use crate::devnet_bare::{rpc, BareDevnet};
use yellowstone_devnet::chain::{DEV_ACCOUNTS, NITRO_DEV_ACCOUNT};

/// The directory of foundry's `cast` binary: npm's platform package under `target/npm` (which
/// `scripts/test.sh` installs), else whatever `cast` is on `PATH`.
fn cast_dir() -> Option<PathBuf> {
    let npm =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/npm/node_modules/@foundry-rs");
    let local = std::fs::read_dir(npm).into_iter().flatten().flatten();
    local
        .filter(|e| e.file_name().to_string_lossy().starts_with("cast-"))
        .map(|e| e.path().join("bin"))
        .find(|bin| bin.join("cast").exists())
}

/// Runs the script with `args`, `cast` first on `PATH`; (exit status, stdout, stderr).
fn script(args: &[&str]) -> (bool, String, String) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let path = std::env::var("PATH").unwrap_or_default();
    let path = match cast_dir() {
        Some(dir) => format!("{}:{path}", dir.display()),
        None => path,
    };
    let out = Command::new(root.join("scripts/deploy-stylus.sh"))
        .args(args)
        .env("PATH", path)
        .env_remove("YELLOWSTONE_PRIVATE_KEY")
        .output()
        .unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.success(), text(&out.stdout), text(&out.stderr))
}

/// `eth_call` of `data` to `to` at the latest block.
async fn call(url: &str, to: &str, data: &str) -> Value {
    rpc(url, "eth_call", json!([{"to": to, "data": data}, "latest"])).await
}

#[tokio::test]
async fn the_deploy_script_deploys_and_constructs_through_stylus_deployer() {
    assert!(
        cast_dir().is_some() || Command::new("cast").arg("--version").output().is_ok(),
        "foundry's cast is needed: `npm install --prefix target/npm @foundry-rs/cast` \
         (scripts/test.sh does it)"
    );
    let devnet = BareDevnet::start("deploy-script").await;
    let url = devnet.url();
    let key_file = devnet.dir.join("key");
    std::fs::write(&key_file, format!("{}\n", NITRO_DEV_ACCOUNT.private_key)).unwrap();
    let artifact =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/stylus/yellowstone_compute.br");
    let router = DEV_ACCOUNTS[9].address.to_string();
    let key = key_file.to_str().unwrap();
    let (ok, stdout, stderr) = script(&[
        "--rpc-url",
        &url,
        "--key-file",
        key,
        "--artifact",
        artifact.to_str().unwrap(),
        "--with-devnet-mor",
        "--router",
        &router,
    ]);
    assert!(ok, "{stderr}");
    // Deployed, activated and constructed in the one StylusDeployer transaction: the program
    // has its owner, and the router is authorised (the script checks both too).
    let deployed: Value = serde_json::from_str(stdout.trim()).unwrap();
    let compute = deployed["compute"].as_str().unwrap();
    assert!(stderr.contains("StylusDeployer"), "{stderr}");
    let owner = call(&url, compute, "0x8da5cb5b").await; // owner()
    let expected = format!(
        "{:0>64}",
        NITRO_DEV_ACCOUNT.address.to_string()[2..].to_lowercase()
    );
    assert_eq!(owner, format!("0x{expected}"));
    let is_router = format!("0x{}{:0>64}", "f3d7d282", &router[2..]); // isRouter(address)
    let yes = call(&url, compute, &is_router.to_lowercase()).await;
    assert_eq!(yes, format!("0x{:064x}", 1));
    // No CacheManager on the devnet: the cache step says so and succeeds.
    assert!(stderr.contains("no CacheManager on this chain"), "{stderr}");

    // The same public key on any other chain is refused before anything is sent.
    let (ok, _, stderr) = script(&[
        "--rpc-url",
        "https://sepolia-rollup.arbitrum.io/rpc",
        "--key-file",
        key,
        "--mor",
        compute,
        "--router",
        &router,
    ]);
    assert!(
        !ok && stderr.contains("refusing a well-known development key"),
        "{stderr}"
    );
}
