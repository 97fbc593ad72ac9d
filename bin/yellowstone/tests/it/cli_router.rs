//! `yellowstone router` as an operator runs it: bad configuration and key handling are refused
//! before anything starts, each refusal naming what was wrong, and the public development keys
//! are refused on any chain but the devnet.

use std::{
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

fn yellowstone() -> Command {
    Command::new(env!("CARGO_BIN_EXE_yellowstone"))
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("yellowstone-cli-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `yellowstone router <args>`, expecting it to fail; returns its stderr.
fn refused(args: &[&str], env: &[(&str, &str)]) -> String {
    let mut cmd = yellowstone();
    cmd.arg("router")
        .args(args)
        .env_remove("YELLOWSTONE_ROUTER_KEY");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    assert!(!out.status.success(), "expected a refusal, got success");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn an_unknown_key_in_the_config_file_is_refused_by_name() {
    let dir = temp_dir("config");
    let file = dir.join("router.toml");
    std::fs::write(&file, "[rules]\nblok_seconds = 6\n").unwrap();
    let err = refused(&["--config", file.to_str().unwrap()], &[]);
    assert!(err.contains("blok_seconds"), "{err}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_router_without_a_contract_or_a_key_says_how_to_give_one() {
    let err = refused(&["--key-file", "/nonexistent/key"], &[]);
    assert!(err.contains("/nonexistent/key"), "{err}");
    let err = refused(
        &["--contract", "0x0000000000000000000000000000000000000001"],
        &[],
    );
    assert!(
        err.contains("--key-file") && err.contains("YELLOWSTONE_ROUTER_KEY"),
        "{err}"
    );
    let err = refused(
        &["--contract", "0x0000000000000000000000000000000000000001"],
        &[("YELLOWSTONE_ROUTER_KEY", "not-hex")],
    );
    assert!(err.contains("not 32 bytes of hex"), "{err}");
    assert!(
        !err.contains("not-hex"),
        "the key's text is never echoed: {err}"
    );
}

struct Devnet(Child);

impl Drop for Devnet {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn the_public_development_keys_are_refused_off_the_devnet() {
    let dir = temp_dir("devkey");
    let deployments = dir.join("deployments.json");
    // A devnet pretending to be Arbitrum One (chain id 42161).
    let _devnet = Devnet(
        yellowstone()
            .args([
                "devnet",
                "--port",
                "0",
                "--chain-id",
                "42161",
                "--deployments",
            ])
            .arg(&deployments)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let start = Instant::now();
    while !deployments.exists() {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "the devnet did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(200)); // the file is written in one call; let it land
    let err = refused(
        &[
            "--deployments",
            deployments.to_str().unwrap(),
            "--database",
            dir.join("router.db").to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
        ],
        &[],
    );
    assert!(
        err.contains("public development key") && err.contains("42161"),
        "{err}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}
