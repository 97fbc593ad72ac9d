//! The market page at `/`, in a real browser: the demo's market runs in-process (its router left
//! serving), a few more users chat after its midnight so today has work, and headless Chromium
//! (Debian's `chromium`) loads the page. Every number checked on the rendered page is compared
//! with what `/v1` answers (the daily cap, the day's credit, each bid's price and stake, the
//! latest epoch's root, one allowance lookup); the page's JavaScript builds all of them, so a
//! page that renders nothing fails. A screenshot is saved as `target/market-page.png`.
//!
//! The new read endpoints are checked here too, against the chain and against each other:
//! `GET /v1/today`'s figures are the contract's, and its epochs add up to the day's committed
//! credit; `GET /v1/epochs` lists what `GET /v1/epochs/{n}` serves.

use std::{
    path::{Path, PathBuf},
    process::Command,
    time::{Duration, Instant},
};

use alloy_primitives::U256;
use serde::de::DeserializeOwned;
use yellowstone_api::{
    v1::{AllowanceView, Epoch, Health, MarketInfo, Providers, RecentEpochs, Today},
    ErrorBody,
};
use yellowstone_chain::ChainClient;
use yellowstone_cli::{
    demo::{devnet::dev_key, run, users, DemoOptions},
    units::{format_mor, format_multiplier},
};

/// The headless browser: Debian's package, as CI installs it.
const CHROMIUM: &str = "chromium";

async fn get<T: DeserializeOwned>(http: &reqwest::Client, url: &str) -> T {
    let response = http.get(url).send().await.unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    assert!(status.is_success(), "GET {url}: {status} {text}");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("GET {url}: {e}: {text}"))
}

/// Chromium's path, or a failure saying how to install it: never a silent pass.
fn chromium() -> PathBuf {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(CHROMIUM))
            .find(|path| path.is_file())
    });
    found.unwrap_or_else(|| {
        panic!(
            "headless Chromium is needed for the market page test and `{CHROMIUM}` is not on \
             PATH: install it with `sudo apt-get install -y chromium` (Debian; CI installs it)"
        )
    })
}

/// Runs headless Chromium on `url` with `args` in a fresh profile; returns its stdout.
fn browse(url: &str, args: &[&str]) -> String {
    let profile = std::env::temp_dir().join(format!(
        "yellowstone-chromium-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    let output = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--virtual-time-budget=8000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(url)
        .output()
        .expect("running chromium");
    let _ = std::fs::remove_dir_all(&profile);
    assert!(
        output.status.success(),
        "chromium failed on {url}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// The rendered content of the element with `id`, up to its closing tag.
fn element<'a>(dom: &'a str, id: &str) -> &'a str {
    let start = dom
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no element #{id} on the page"));
    let rest = &dom[start..];
    &rest[..rest.find("</dd>").or_else(|| rest.find("</div>")).unwrap()]
}

/// The table row of a provider (and a model, for a bid).
fn row<'a>(dom: &'a str, provider: &str, model: Option<&str>) -> &'a str {
    let open = match model {
        Some(m) => format!("<tr data-provider=\"{provider}\" data-model=\"{m}\">"),
        None => format!("<tr data-provider=\"{provider}\">"),
    };
    let start = dom
        .find(&open)
        .unwrap_or_else(|| panic!("no row {open} on the page"));
    let rest = &dom[start..];
    &rest[..rest.find("</tr>").unwrap()]
}

/// How the page writes an amount of wei: exact in `value`, as MOR in the text.
fn amount(class: &str, wei: U256) -> String {
    format!(
        "<data class=\"{class}\" value=\"{wei}\">{}</data>",
        format_mor(wei)
    )
}

fn assert_shows(part: &str, expected: &str, what: &str) {
    assert!(
        part.contains(expected),
        "{what}: expected {expected} in {part}"
    );
}

/// Waits until every credit is in a committed root and no root is in flight.
async fn settled(http: &reqwest::Client, router: &str) {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let health: Health = get(http, &format!("{router}/health")).await;
        if health.pending_wei.is_zero() && !health.epoch_in_flight {
            return;
        }
        assert!(Instant::now() < deadline, "not settled: {health:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_market_page_shows_what_the_api_says_in_a_real_browser() {
    chromium();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let options = DemoOptions {
        users: 3,
        requests: 30,
        block_seconds: 1,
        database: None,
        artifacts_dir: root.join("target/stylus"),
    };
    let demo = run(options, |_| {}).await.expect("the demo finishes");
    let router = demo.report.urls.router.clone();
    let http = reqwest::Client::new();

    // The demo ended past midnight; today's work comes from a few more requests.
    let client = yellowstone_client::router::RouterClient::new(&router);
    let keys = [4, 5, 6].map(|n| dev_key(n).unwrap()).to_vec();
    let tally = users::SharedTally::default();
    let mut tasks = users::spawn(&client, keys, 18, &tally);
    while let Some(done) = tasks.join_next().await {
        done.unwrap();
    }
    assert!(users::snapshot(&tally).errors.is_empty());
    settled(&http, &router).await;

    // The new endpoints against the chain and against each other.
    let today: Today = get(&http, &format!("{router}/v1/today")).await;
    let market: MarketInfo = get(&http, &format!("{router}/v1/market")).await;
    let chain = ChainClient::connect(
        &demo.report.urls.rpc,
        demo.report.urls.compute,
        Duration::from_secs(5),
    )
    .await
    .unwrap();
    let view = chain.settlement_view().await.unwrap();
    let c = &today.contract;
    assert_eq!(c.day, view.day);
    assert_eq!(c.daily_cap, view.daily_cap);
    assert_eq!(c.credited_today, view.credited_today);
    assert_eq!(c.bootstrap_today, view.bootstrap_today);
    assert_eq!(c.headroom, view.headroom());
    assert!(!today.truncated && !today.epochs.is_empty());
    assert!(
        !today.epochs.iter().all(|e| e.work.is_zero()),
        "no work today"
    );
    let added: U256 = today.epochs.iter().map(|e| e.work + e.bootstrap).sum();
    assert_eq!(
        added, view.credited_today,
        "today's epochs add up to the contract's"
    );
    let last = today.epochs.last().unwrap();
    assert_eq!(
        last.cumulative_credited + last.cumulative_bootstrap - today.before,
        view.credited_today
    );
    let recent: RecentEpochs = get(&http, &format!("{router}/v1/epochs?limit=3")).await;
    assert_eq!(recent.epochs.len(), 3);
    let latest: Epoch = get(&http, &format!("{router}/v1/epochs/latest")).await;
    assert_eq!(recent.epochs[0].epoch, latest.epoch);
    assert_eq!(recent.epochs[0].root, latest.root);
    assert_eq!(recent.epochs[0].tx, latest.tx);
    assert_eq!(
        recent.epochs[0].mined.map(|m| m.gas_used),
        latest.mined.map(|m| m.gas_used)
    );
    for pair in recent.epochs.windows(2) {
        assert_eq!(pair[0].epoch, pair[1].epoch + 1);
        assert_eq!(
            pair[0].work,
            pair[0].cumulative_credited - pair[1].cumulative_credited
        );
    }
    let refused = http
        .get(format!("{router}/v1/epochs?limit=0"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 400);
    let body: ErrorBody = refused.json().await.unwrap();
    assert!(body.message.contains("limit"), "{}", body.message);
    let providers: Providers = get(&http, &format!("{router}/v1/providers")).await;
    assert_eq!(providers.providers.len(), 3);

    // The page, rendered by Chromium, with an allowance looked up from its address.
    let user = dev_key(4).unwrap().address();
    let allowance: AllowanceView = get(&http, &format!("{router}/v1/allowance/{user}")).await;
    let dom = browse(&format!("{router}/?address={user}"), &["--dump-dom"]);
    assert_shows(
        element(&dom, "daily-cap"),
        &amount("mor", c.daily_cap),
        "daily cap",
    );
    assert_shows(
        element(&dom, "credited-today"),
        &amount("mor", view.credited_today),
        "credited today",
    );
    assert_shows(
        element(&dom, "headroom"),
        &amount("mor", view.headroom()),
        "headroom",
    );
    for p in &providers.providers {
        let who = p.provider.to_string().to_lowercase();
        let stake = p.chain.as_ref().unwrap().stake;
        let multiplier = p.chain.as_ref().unwrap().multiplier;
        for bid in &p.bids {
            let r = row(&dom, &who, Some(&bid.model));
            assert_shows(r, &amount("price", bid.price_per_token), "price");
            assert_shows(r, &amount("stake", stake), "stake");
            assert_shows(
                r,
                &format!("{}×", format_multiplier(multiplier)),
                "multiplier",
            );
        }
        let r = row(&dom, &who, None);
        // A provider without a leaf has earned nothing yet: the page shows zeros.
        let (earned, bootstrap) = p
            .committed
            .as_ref()
            .map_or((U256::ZERO, U256::ZERO), |c| (c.earned, c.bootstrap));
        assert_shows(r, &amount("earned", earned), "earned");
        assert_shows(r, &amount("bootstrap", bootstrap), "bootstrap");
        assert_shows(
            r,
            &amount("claimed", p.chain.as_ref().unwrap().claimed),
            "claimed",
        );
    }
    let epoch_row = {
        let open = format!("<tr data-epoch=\"{}\">", latest.epoch);
        let start = dom.find(&open).expect("the latest epoch's row");
        &dom[start..start + dom[start..].find("</tr>").unwrap()]
    };
    assert_shows(epoch_row, &latest.root.to_string(), "latest root");
    assert_shows(
        epoch_row,
        &latest.tx.unwrap().to_string(),
        "latest epoch's transaction",
    );
    let looked_up = &dom[dom
        .find("id=\"allowance\"")
        .expect("the allowance looked up")..];
    assert_shows(
        looked_up,
        &amount("allowance", allowance.allowance),
        "allowance",
    );
    assert_shows(looked_up, &amount("left", allowance.left), "allowance left");
    assert_shows(
        element(&dom, "router-address"),
        &market.router.to_string().to_lowercase(),
        "router",
    );

    // Bad input gets a clear message on the page, and nothing looked up.
    let dom = browse(&format!("{router}/?address=0x1234"), &["--dump-dom"]);
    assert_shows(
        &dom,
        "“0x1234” is not an address: expected 0x followed by 40 hexadecimal digits.",
        "bad address",
    );
    assert!(!dom.contains("id=\"allowance\""));

    let screenshot = root.join("target/market-page.png");
    browse(
        &format!("{router}/?address={user}"),
        &[
            &format!("--screenshot={}", screenshot.display()),
            "--window-size=1280,1960",
        ],
    );
    let png = std::fs::read(&screenshot).expect("the screenshot");
    assert!(
        png.starts_with(b"\x89PNG"),
        "{} is not a PNG",
        screenshot.display()
    );
    demo.stop();
}
