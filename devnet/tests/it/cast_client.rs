//! The devnet driven by a client nobody here wrote: foundry's `cast` (npm `@foundry-rs/cast`,
//! which `scripts/test.sh` installs into `target/npm`), calling `powerMultiplier` on the real
//! compute Wasm and sending a signed transaction to the real MOR token Wasm.
//!
//! The test finds `cast` through `YELLOWSTONE_CAST`, then `target/npm/node_modules/.bin/cast`,
//! then `PATH`; without it, it fails and says how to install it.

use std::{
    path::{Path, PathBuf},
    process::Command,
    sync::{Arc, Mutex},
};

use yellowstone_devnet::{
    chain::Chain,
    deploy::{deploy_yellowstone, DeployConfig},
    rpc::serve,
};

fn cast() -> PathBuf {
    if let Some(path) = std::env::var_os("YELLOWSTONE_CAST") {
        return PathBuf::from(path);
    }
    let local = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/npm/node_modules/.bin/cast");
    if local.exists() {
        return local;
    }
    let on_path = Command::new("cast").arg("--version").output();
    assert!(
        on_path.is_ok_and(|out| out.status.success()),
        "foundry's cast is needed: `npm install --prefix target/npm @foundry-rs/cast` \
         (scripts/test.sh does it), or set YELLOWSTONE_CAST"
    );
    PathBuf::from("cast")
}

/// Runs `cast` and returns its trimmed stdout, failing with its stderr.
fn run(cast: &Path, args: &[&str]) -> String {
    let out = Command::new(cast).args(args).output().expect("cast runs");
    assert!(
        out.status.success(),
        "cast {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn cast_calls_and_transacts_against_the_real_wasm() {
    let cast = cast();
    let mut chain = Chain::new();
    let artifacts = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/stylus");
    let deployment = deploy_yellowstone(&mut chain, &artifacts, &DeployConfig::default())
        .expect("deploy_yellowstone");
    let handle = serve(Arc::new(Mutex::new(chain)), "127.0.0.1:0".parse().unwrap()).unwrap();
    let url = handle.url();
    let compute = deployment.compute.to_string();
    let mor = deployment.mor.to_string();

    assert_eq!(run(&cast, &["chain-id", "--rpc-url", &url]), "412346");

    // SPEC section 5: (S + 100 days, S + 400 days) -> 1.744946883956739643.
    let multiplier = run(
        &cast,
        &[
            "call",
            &compute,
            "powerMultiplier(uint256,uint256)(uint256)",
            "1730548800",
            "1756468800",
            "--rpc-url",
            &url,
        ],
    );
    assert!(
        multiplier.starts_with("1744946883956739643"),
        "{multiplier}"
    );

    // A signed transaction from a dev account to the MOR token's Wasm, then its effect.
    let sender = &deployment.accounts[1];
    let receiver = "0x000000000000000000000000000000000000bEEF";
    run(
        &cast,
        &[
            "send",
            &mor,
            "transfer(address,uint256)",
            receiver,
            "1234",
            "--private-key",
            &sender.key,
            "--rpc-url",
            &url,
        ],
    );
    let balance = run(
        &cast,
        &[
            "call",
            &mor,
            "balanceOf(address)(uint256)",
            receiver,
            "--rpc-url",
            &url,
        ],
    );
    assert_eq!(balance, "1234");
}
