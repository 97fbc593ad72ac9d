//! The devnet driven by a client nobody here wrote: foundry's `cast` (npm `@foundry-rs/cast`,
//! which `scripts/test.sh` installs into `target/npm`), calling `powerMultiplier` on the real
//! compute Wasm, sending a signed transaction to the real MOR token Wasm, and deploying a
//! stylus-sdk program through StylusDeployer on a fresh chain as a Stylus developer would.
//!
//! The test finds `cast` through `YELLOWSTONE_CAST`, then npm's platform binary under
//! `target/npm/node_modules/@foundry-rs/cast-*/bin/`, then `PATH`; without it, it fails and says
//! how to install it.

use std::{
    path::{Path, PathBuf},
    process::Command,
    sync::{Arc, Mutex},
};

use alloy_primitives::{Address, B256, U256};
use yellowstone_devnet::{
    chain::{stylus_deploy_init_code, Chain, ARB_WASM, STYLUS_DEPLOYER},
    deploy::{deploy_yellowstone, DeployConfig},
    rpc::serve,
};

fn cast() -> PathBuf {
    if let Some(path) = std::env::var_os("YELLOWSTONE_CAST") {
        return PathBuf::from(path);
    }
    // The platform's binary itself: npm's `.bin/cast` is a node wrapper that exits 0 whatever
    // cast's status was.
    let npm = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/npm/node_modules/@foundry-rs");
    let binaries = std::fs::read_dir(npm).into_iter().flatten().flatten();
    let local = binaries
        .filter(|e| e.file_name().to_string_lossy().starts_with("cast-"))
        .map(|e| e.path().join("bin/cast"))
        .find(|p| p.exists());
    if let Some(local) = local {
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

/// A Stylus developer's session on a fresh devnet (what `yellowstone devnet --bare` serves),
/// with cast alone: the activation fee from `activateProgram` under cast's state overrides (as
/// cargo-stylus asks for it), the example deployed and constructed through StylusDeployer in
/// one transaction, then called; an account funded with `anvil_setBalance`.
#[test]
fn cast_deploys_a_stylus_program_through_stylus_deployer() {
    let cast = cast();
    let handle = serve(
        Arc::new(Mutex::new(Chain::new())),
        "127.0.0.1:0".parse().unwrap(),
    )
    .unwrap();
    let url = handle.url();
    let call = |args: &[&str]| run(&cast, &[&["call", "--rpc-url", &url], args].concat());
    let arb_wasm = ARB_WASM.to_string();
    assert_eq!(call(&[&arb_wasm, "stylusVersion()(uint16)"]), "2");

    let code = crate::common::artifact(
        "yellowstone_example_counter",
        " --package yellowstone-example-counter",
    );
    let codehash = alloy_primitives::keccak256(&code).to_string();
    // Not activated yet: ArbWasm's own error, which cargo-stylus decodes.
    let out = Command::new(&cast)
        .args(["call", "--rpc-url", &url, &arb_wasm])
        .args(["codehashVersion(bytes32)(uint16)", &codehash])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    let not_activated = run(&cast, &["sig", "ProgramNotActivated()"]);
    assert!(
        !out.status.success() && said.contains(&not_activated[2..]),
        "{said}"
    );

    // The fee, asked as cargo-stylus asks: the code placed at an unused address and a sender
    // given a balance, for this call only.
    let (spot, sender) = (Address::repeat_byte(0x5a), Address::repeat_byte(0x5b));
    let fee = call(&[
        &arb_wasm,
        "activateProgram(address)(uint16,uint256)",
        &spot.to_string(),
        "--from",
        &sender.to_string(),
        "--value",
        "1ether",
        "--override-balance",
        &format!("{sender}:{}", U256::MAX),
        "--override-code",
        &format!("{spot}:0x{}", alloy_primitives::hex::encode(&code)),
    ]);
    let fee: U256 = fee
        .lines()
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(fee > U256::ZERO, "Nitro's data pricer charges for the asm");

    // A key with nothing, funded the way harnesses written for anvil do.
    let key = "0x0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    let owner = run(&cast, &["wallet", "address", key]);
    let wei = "0x3635c9adc5dea00000"; // 1,000 ether
    run(
        &cast,
        &["rpc", "--rpc-url", &url, "anvil_setBalance", &owner, wei],
    );

    // deploy(bytecode, initData, initValue, salt): initData is stylus-sdk's constructor call.
    let selector = run(&cast, &["sig", "stylus_constructor()"]);
    let args = run(&cast, &["abi-encode", "f(address,uint256)", &owner, "41"]);
    let init_data = format!("{selector}{}", &args[2..]);
    let bytecode = format!(
        "0x{}",
        alloy_primitives::hex::encode(stylus_deploy_init_code(&code))
    );
    let init_value = U256::from(7);
    let receipt = run(
        &cast,
        &[
            "send",
            "--rpc-url",
            &url,
            "--private-key",
            key,
            "--json",
            "--value",
            &(fee + init_value).to_string(),
            &STYLUS_DEPLOYER.to_string(),
            "deploy(bytes,bytes,uint256,bytes32)",
            &bytecode,
            &init_data,
            &init_value.to_string(),
            &B256::ZERO.to_string(),
        ],
    );
    let receipt: serde_json::Value = serde_json::from_str(&receipt).unwrap();
    assert_eq!(receipt["status"], "0x1", "{receipt}");
    // ContractDeployed(address): the only log StylusDeployer emits.
    let log = receipt["logs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|log| {
            log["address"]
                .as_str()
                .unwrap()
                .eq_ignore_ascii_case(&STYLUS_DEPLOYER.to_string())
        })
        .expect("ContractDeployed");
    let data = log["data"].as_str().unwrap();
    let counter = format!("0x{}", &data[data.len() - 40..]);
    let view = |sig: &str| call(&[&counter, sig]);
    assert_eq!(view("number()(uint256)"), "41");
    assert!(view("owner()(address)").eq_ignore_ascii_case(&owner));
    assert_eq!(view("endowment()(uint256)"), "7");
    let version = call(&[&arb_wasm, "codehashVersion(bytes32)(uint16)", &codehash]);
    assert_eq!(version, "2");
}
