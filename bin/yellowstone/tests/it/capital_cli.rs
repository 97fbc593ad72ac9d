//! `yellowstone capital`: the real binary against the devnet with the capital side deployed
//! (the real capital Wasm, genuine Uniswap V2, the rebasing stETH). A capital provider deposits
//! (approving first), is refused a locked withdrawal with its unlock time, claims exactly what it
//! is owed; the owner bootstraps the pair; anyone harvests once the TWAP window has passed and is
//! refused a second harvest the same day; the compute bucket funds the compute contract; the
//! status answers in text and JSON; and every subcommand's help teaches.

use std::{
    path::PathBuf,
    process::{Command, Output},
    sync::{Arc, Mutex},
    time::Duration,
};

use alloy_primitives::{Address, U256};
use serde_json::Value;
use yellowstone_chain::capital::Capital;
use yellowstone_devnet::{
    capital::{deploy_capital, rebase_st_eth_ppm, CapitalConfig},
    chain::{Chain, DEV_ACCOUNTS},
    deploy::{deploy_yellowstone, DeployConfig, Deployment},
    rpc::{serve, RpcHandle},
};
use yellowstone_protocol::time::DAY;
use yellowstone_test_utils::mor;

/// The capital provider: a development account.
const PROVIDER: usize = 3;
/// The owner (the deployer).
const OWNER: usize = 0;

/// The devnet with both contracts, its deployments file and one key file per account used.
struct CapitalNet {
    chain: Arc<Mutex<Chain>>,
    rpc: RpcHandle,
    d: Deployment,
    dir: PathBuf,
}

impl CapitalNet {
    fn start() -> CapitalNet {
        let mut chain = Chain::new();
        let artifacts =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/stylus");
        let mut d = deploy_yellowstone(&mut chain, &artifacts, &DeployConfig::default()).unwrap();
        let config = CapitalConfig {
            st_eth_holders: vec![OWNER, PROVIDER],
            ..CapitalConfig::default()
        };
        d.capital = Some(deploy_capital(&mut chain, &artifacts, &d, &config).unwrap());
        let chain = Arc::new(Mutex::new(chain));
        let rpc = serve(chain.clone(), "127.0.0.1:0".parse().unwrap()).unwrap();
        d.rpc_url = Some(rpc.url());
        let dir = std::env::temp_dir().join(format!(
            "yellowstone-capital-cli-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("deployments.json"),
            serde_json::to_string(&d).unwrap(),
        )
        .unwrap();
        for account in [OWNER, PROVIDER] {
            let key = DEV_ACCOUNTS[account].private_key.to_string();
            std::fs::write(dir.join(format!("key{account}")), key).unwrap();
        }
        CapitalNet { chain, rpc, d, dir }
    }

    fn capital(&self) -> Address {
        self.d.capital.as_ref().unwrap().capital
    }

    /// Runs `yellowstone capital <args> --deployments <file>` as `account`.
    async fn cli(&self, account: Option<usize>, args: &[&str]) -> Output {
        let mut command = Command::new(env!("CARGO_BIN_EXE_yellowstone"));
        command.arg("capital").args(args);
        command
            .arg("--deployments")
            .arg(self.dir.join("deployments.json"));
        command.env_remove("YELLOWSTONE_CAPITAL_KEY");
        if let Some(account) = account {
            command
                .arg("--key-file")
                .arg(self.dir.join(format!("key{account}")));
        }
        tokio::task::spawn_blocking(move || command.output().unwrap())
            .await
            .unwrap()
    }

    /// As [`Self::cli`], asserting success; its stdout.
    async fn ok(&self, account: Option<usize>, args: &[&str]) -> String {
        let out = self.cli(account, args).await;
        let (stdout, stderr) = text(&out);
        assert!(
            out.status.success(),
            "capital {args:?} failed:\n{stdout}\n{stderr}"
        );
        stdout
    }

    /// As [`Self::cli`], asserting a refusal; its stderr.
    async fn refused(&self, account: Option<usize>, args: &[&str]) -> String {
        let out = self.cli(account, args).await;
        let (stdout, stderr) = text(&out);
        assert!(
            !out.status.success(),
            "capital {args:?} succeeded:\n{stdout}"
        );
        stderr
    }

    /// The latest block's timestamp.
    fn now(&self) -> u64 {
        self.chain.lock().unwrap().latest_block().header.timestamp
    }

    /// Mines a block at `timestamp`.
    fn mine_at(&self, timestamp: u64) {
        self.chain.lock().unwrap().mine(Some(timestamp)).unwrap();
    }

    /// The stETH oracle reports `ppm` parts per million of yield.
    fn rebase(&self, ppm: i64) {
        let st_eth = self.d.capital.as_ref().unwrap().st_eth;
        rebase_st_eth_ppm(&mut self.chain.lock().unwrap(), st_eth, ppm).unwrap();
    }

    async fn reader(&self) -> Capital {
        Capital::connect(
            &self.rpc.url(),
            self.capital(),
            None,
            Duration::from_secs(10),
        )
        .await
        .unwrap()
    }

    async fn status(&self, who: Address) -> Value {
        let who = who.to_string();
        serde_json::from_str(&self.ok(None, &["status", &who, "--json"]).await).unwrap()
    }
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A JSON amount (alloy's `0x` hex) as a number.
fn wei(v: &Value) -> U256 {
    v.as_str().unwrap().parse().unwrap()
}

#[test]
fn every_capital_subcommand_explains_itself() {
    let help = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_yellowstone"))
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?} failed");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let root = help(&["capital", "--help"]);
    for step in [
        "1. deposit",
        "2. status",
        "3. claim",
        "4. withdraw",
        "poke",
        "harvest",
        "fund-compute",
        "bootstrap-pool",
        "YELLOWSTONE_CAPITAL_KEY",
    ] {
        assert!(root.contains(step), "capital --help lacks {step}:\n{root}");
    }
    for (sub, expect) in [
        ("deposit", "approves the contract first"),
        ("withdraw", "StillLocked"),
        ("claim", "NothingToClaim"),
        ("poke", "ObservationOpen"),
        ("harvest", "TwapWindowTooShort"),
        ("fund-compute", "retries"),
        ("status", "share of the pair"),
        ("bootstrap-pool", "PriceOutOfBounds"),
    ] {
        let text = help(&["capital", sub, "--help"]);
        for flag in [
            expect,
            "--rpc-url",
            "--capital",
            "--deployments",
            "--key-file",
            "--json",
        ] {
            assert!(
                text.contains(flag),
                "capital {sub} --help lacks {flag}:\n{text}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_capital_provider_and_a_keeper_run_the_machine_through_the_cli() {
    let net = CapitalNet::start();
    let me = DEV_ACCOUNTS[PROVIDER].address;
    let reader = net.reader().await;
    let st_eth = net.d.capital.as_ref().unwrap().st_eth;

    // Nothing deposited: no position; the status needs no key.
    let s = net.status(me).await;
    assert_eq!(wei(&s["account"]["principal"]), U256::ZERO);
    assert_eq!(s["account"]["unlock_at"], 0);
    let capital: Address = s["config"]["capital"].as_str().unwrap().parse().unwrap();
    assert_eq!(capital, net.capital());
    let text = net.ok(None, &["status"]).await;
    assert!(
        text.contains("capital bucket") && text.contains("compute bucket"),
        "{text}"
    );
    assert!(!text.contains("position of"), "{text}");

    // Deposit: the stETH is approved first, credited, locked for the minimum lock.
    let balance_before = reader.balance(st_eth, me).await.unwrap();
    let out = net.ok(Some(PROVIDER), &["deposit", "100"]).await;
    assert!(out.starts_with("approve 0x"), "{out}");
    assert!(
        out.contains("credited 100 stETH; principal 100 stETH"),
        "{out}"
    );
    let (principal, unlock_at, _) = reader.position(me, None).await.unwrap();
    assert_eq!(principal, mor(100));
    assert_eq!(
        balance_before - reader.balance(st_eth, me).await.unwrap(),
        mor(100)
    );
    let deposited_at = net.now();
    assert_eq!(unlock_at, deposited_at + 7 * DAY);
    // A deposit above the wallet is refused before anything is sent.
    let err = net.refused(Some(PROVIDER), &["deposit", "1000000"]).await;
    assert!(err.contains("holds only"), "{err}");

    // A locked withdrawal: the typed error and when it unlocks, in UTC.
    let err = net.refused(Some(PROVIDER), &["withdraw", "10"]).await;
    assert!(
        err.contains("withdraw refused: StillLocked { unlockAt: "),
        "{err}"
    );
    assert!(err.contains("your principal unlocks at 20"), "{err}");
    assert!(
        err.contains(" UTC (in ") && err.contains("claims are never locked"),
        "{err}"
    );

    // Harvest before any price: no observation; poke an empty pair: the owner must bootstrap.
    let err = net.refused(None, &["harvest"]).await;
    assert!(
        err.contains("no capital key") || err.contains("pass --key-file"),
        "{err}"
    );
    let err = net.refused(Some(PROVIDER), &["harvest"]).await;
    assert!(
        err.contains("NoObservation") && err.contains("capital poke"),
        "{err}"
    );
    let err = net.refused(Some(PROVIDER), &["poke"]).await;
    assert!(
        err.contains("PoolEmpty") && err.contains("bootstrap-pool"),
        "{err}"
    );

    // A day of yield (1%): the owner prices the pair at 500 MOR per wstETH; nobody else may.
    net.mine_at(deposited_at + DAY);
    net.rebase(10_000);
    let err = net
        .refused(Some(PROVIDER), &["bootstrap-pool", "400"])
        .await;
    assert!(err.contains("only the owner"), "{err}");
    let err = net
        .refused(Some(OWNER), &["bootstrap-pool", "0.0001"])
        .await;
    assert!(
        err.contains("PriceOutOfBounds") && err.contains("must lie between 1 and 1000000"),
        "{err}"
    );
    let out = net.ok(Some(OWNER), &["bootstrap-pool", "400"]).await;
    assert!(out.contains("wstETH with 400 native"), "{out}");

    // The bootstrap opened an observation: a harvest must wait the TWAP window.
    let err = net.refused(Some(PROVIDER), &["harvest"]).await;
    assert!(err.contains("TwapWindowTooShort { elapsed: "), "{err}");
    assert!(
        err.contains("minimum: 1800") && err.contains("retry in"),
        "{err}"
    );

    // Half an hour later, after a small rebase, anyone's harvest adds protocol-owned liquidity.
    let bootstrapped = reader.status(None).await.unwrap();
    net.mine_at(bootstrapped.harvest.observed_at + 1_800);
    net.rebase(40);
    let out = net.ok(Some(PROVIDER), &["harvest", "--json"]).await;
    let harvest: Value = serde_json::from_str(&out).unwrap();
    assert!(!wei(&harvest["liquidity"]).is_zero(), "{out}");
    assert!(!wei(&harvest["bought"]).is_zero(), "{out}");
    // Once a day: the next harvest is refused, saying when.
    let err = net.refused(Some(PROVIDER), &["harvest"]).await;
    assert!(
        err.contains("HarvestTooSoon") && err.contains("one harvest a day: retry at"),
        "{err}"
    );
    // The harvest opened the next observation: a poke cannot push it away.
    let err = net.refused(Some(PROVIDER), &["poke"]).await;
    assert!(err.contains("ObservationOpen"), "{err}");

    // The compute bucket goes to the compute contract, by anyone.
    let out = net.ok(Some(PROVIDER), &["fund-compute", "--json"]).await;
    let funded: Value = serde_json::from_str(&out).unwrap();
    let sent = wei(&funded["sent"]);
    assert!(!sent.is_zero(), "{out}");
    let totals = reader.totals(None).await.unwrap();
    assert_eq!(totals.compute_sent, sent);

    // The claim pays exactly what the contract says was owed.
    let mor_token = net.d.mor;
    let before = reader.balance(mor_token, me).await.unwrap();
    let out = net.ok(Some(PROVIDER), &["claim", "--json"]).await;
    let claimed: Value = serde_json::from_str(&out).unwrap();
    let paid = wei(&claimed["paid"]);
    assert!(!paid.is_zero());
    assert_eq!(reader.balance(mor_token, me).await.unwrap() - before, paid);

    // The status agrees, at one block.
    let s = net.status(me).await;
    assert_eq!(wei(&s["account"]["principal"]), mor(100));
    assert_eq!(s["account"]["unlock_at"], unlock_at);
    assert_eq!(wei(&s["totals"]["paid"]), paid);
    assert_eq!(wei(&s["totals"]["compute_sent"]), sent);
    let lp_held = wei(&s["pool"]["lp_held"]);
    assert!(!lp_held.is_zero());
    assert_eq!(lp_held, wei(&s["pool"]["lp_supply"]) - U256::from(1_000u64));
    assert!(s["harvest"]["spot_within_deviation"].as_bool().unwrap());
    assert_eq!(s["parameters"]["twap_window"], 1_800);
    let schedule = reader.status(None).await.unwrap().schedule;
    let today = schedule
        .capital_schedule()
        .interval_amount(schedule.current_interval);
    assert_eq!(wei(&s["schedule"]["capital"]["this_interval"]), today);
    let text = net.ok(Some(PROVIDER), &["status"]).await;
    assert!(text.contains(&format!("position of {me}")), "{text}");
    assert!(
        text.contains("principal        100 stETH, locked until"),
        "{text}"
    );

    // After the unlock time the principal comes back whole.
    net.mine_at(unlock_at);
    let out = net.ok(Some(PROVIDER), &["withdraw", "100"]).await;
    assert!(
        out.contains("withdrew 100 stETH of principal, paid 100 stETH"),
        "{out}"
    );
    let err = net.refused(Some(PROVIDER), &["withdraw", "1"]).await;
    assert!(err.contains("InsufficientPrincipal"), "{err}");
    net.rpc.shutdown();
}

#[test]
fn devnet_capital_writes_the_capital_section_that_the_cli_reads() {
    let dir =
        std::env::temp_dir().join(format!("yellowstone-devnet-capital-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("deployments.json");
    let mut devnet = Command::new(env!("CARGO_BIN_EXE_yellowstone"))
        .args(["devnet", "--capital", "--port", "0", "--deployments"])
        .arg(&file)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // The file is written whole once the chain serves; until then it is absent (or partial).
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    let d: Deployment = loop {
        let read = std::fs::read_to_string(&file).ok();
        if let Some(d) = read.and_then(|text| serde_json::from_str(&text).ok()) {
            break d;
        }
        assert!(std::time::Instant::now() < deadline, "no deployments file");
        std::thread::sleep(Duration::from_millis(200));
    };
    let capital = d.capital.expect("a capital section");
    let out = Command::new(env!("CARGO_BIN_EXE_yellowstone"))
        .args(["capital", "status", "--json", "--deployments"])
        .arg(&file)
        .env_remove("YELLOWSTONE_CAPITAL_KEY")
        .output()
        .unwrap();
    devnet.kill().unwrap();
    devnet.wait().unwrap();
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    let s: Value = serde_json::from_str(&stdout).unwrap();
    let read = |k: &str| -> Address { s["config"][k].as_str().unwrap().parse().unwrap() };
    assert_eq!(read("capital"), capital.capital);
    assert_eq!(read("pair"), capital.pair);
    assert_eq!(read("native"), d.mor, "reserve mode pays MOR");
    assert_eq!(
        read("compute"),
        d.compute,
        "the compute bucket funds the deployment's contract"
    );
    assert_eq!(s["native_symbol"], "MOR");
    assert_eq!(wei(&s["totals"]["principal"]), U256::ZERO);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_public_development_key_is_refused_off_the_devnet() {
    // A chain that calls itself Arbitrum One: anyone can sign with the development keys.
    let chain = Arc::new(Mutex::new(Chain::with_chain_id(42_161)));
    let rpc = serve(chain, "127.0.0.1:0".parse().unwrap()).unwrap();
    let key = alloy_signer_local::PrivateKeySigner::from_bytes(&DEV_ACCOUNTS[PROVIDER].private_key)
        .unwrap();
    let err = Capital::connect(
        &rpc.url(),
        Address::repeat_byte(7),
        Some(key),
        Duration::from_secs(5),
    )
    .await
    .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("public development key") && text.contains("42161"),
        "{text}"
    );
    rpc.shutdown();
}
