//! # yellowstone-test-utils
//!
//! A market on one machine for the end-to-end tests: the devnet running the real contract
//! Wasm, funded and staked through JSON-RPC, mock provider gateways that answer health probes,
//! and routers started in-process on a database of their own.
//!
//! | module | what |
//! |---|---|
//! | (root) | [`Net`] (the devnet with Yellowstone deployed), keys, routers, gateways, the HTTP [`Api`] |
//! | [`scenario`] | one staked provider beside two cheap unattested ones, four users, one inference's calls |
//! | [`chain_proxy`] | a JSON-RPC proxy that injects faults between a router and the chain |

pub mod chain_proxy;
pub mod scenario;

use std::{
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
    time::Duration,
};

use alloy_primitives::{Address, Bytes, U256};
use alloy_provider::{Provider, ProviderBuilder};
use alloy_rpc_types_eth::{TransactionReceipt, TransactionRequest};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::{sol, Eip712Domain, SolCall};
use serde_json::Value;
use yellowstone_chain::IYellowstoneCompute as I;
use yellowstone_devnet::{
    chain::{Chain, DEV_ACCOUNTS},
    deploy::{deploy_yellowstone, DeployConfig, Deployment},
    rpc::{serve, RpcHandle},
};
use yellowstone_protocol::{
    eip712::types::domain,
    messages::{Party, Signed},
    time::DAY,
};
use yellowstone_router::config::Config;
use yellowstone_router::server::{start, Running};

sol! {
    interface IToken {
        function approve(address spender, uint256 value) external returns (bool);
        function balanceOf(address account) external view returns (uint256);
    }
}

/// `n` MOR in wei.
pub fn mor(n: u64) -> U256 {
    U256::from(n) * U256::from(10u64).pow(U256::from(18))
}

/// A development account's key.
pub fn key(account: usize) -> PrivateKeySigner {
    PrivateKeySigner::from_bytes(&DEV_ACCOUNTS[account].private_key).unwrap()
}

/// The devnet with Yellowstone deployed.
pub struct Net {
    /// What was deployed.
    pub d: Deployment,
    /// The JSON-RPC server.
    pub rpc: RpcHandle,
}

impl Net {
    /// Deploys MOR (an EVM ERC-20, as on Arbitrum) and the real compute Wasm and serves
    /// JSON-RPC.
    pub fn start() -> Net {
        let mut chain = Chain::new();
        let artifacts = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/stylus");
        let d = deploy_yellowstone(&mut chain, &artifacts, &DeployConfig::default())
            .expect("deploy_yellowstone");
        let rpc = serve(Arc::new(Mutex::new(chain)), "127.0.0.1:0".parse().unwrap()).unwrap();
        Net { d, rpc }
    }

    /// The EIP-712 domain of the deployed contract.
    pub fn domain(&self) -> Eip712Domain {
        domain(self.d.chain_id, self.d.compute)
    }

    fn wallet(&self, account: usize) -> impl Provider {
        ProviderBuilder::new()
            .wallet(key(account))
            .connect_http(self.rpc.url().parse().unwrap())
    }

    /// Sends `call` to `to` from `account`; asserts success.
    pub async fn send(
        &self,
        account: usize,
        to: Address,
        call: impl SolCall,
    ) -> TransactionReceipt {
        let tx = TransactionRequest::default()
            .to(to)
            .gas_limit(5_000_000)
            .input(Bytes::from(call.abi_encode()).into());
        let receipt = self
            .wallet(account)
            .send_transaction(tx)
            .await
            .unwrap()
            .get_receipt()
            .await
            .unwrap();
        assert!(receipt.status(), "transaction failed: {receipt:?}");
        receipt
    }

    /// `eth_call` of `call` on `to`.
    pub async fn view<C: SolCall>(&self, to: Address, call: C) -> C::Return {
        let out = self
            .wallet(0)
            .call(
                TransactionRequest::default()
                    .to(to)
                    .input(Bytes::from(call.abi_encode()).into()),
            )
            .await
            .unwrap();
        C::abi_decode_returns(&out).unwrap()
    }

    /// A MOR balance.
    pub async fn mor_of(&self, who: Address) -> U256 {
        self.view(self.d.mor, IToken::balanceOfCall { account: who })
            .await
    }

    /// Funds the compute contract from dev account 1.
    pub async fn fund(&self, amount: U256) {
        self.send(
            1,
            self.d.mor,
            IToken::approveCall {
                spender: self.d.compute,
                value: amount,
            },
        )
        .await;
        self.send(1, self.d.compute, I::fundCall { amount }).await;
    }

    /// Stakes `amount` from `account`, locked for `days`.
    pub async fn stake(&self, account: usize, amount: U256, days: u64) {
        let now = self.now().await;
        self.send(
            account,
            self.d.mor,
            IToken::approveCall {
                spender: self.d.compute,
                value: amount,
            },
        )
        .await;
        self.send(
            account,
            self.d.compute,
            I::stakeCall {
                amount,
                lock_end: now + days * DAY,
            },
        )
        .await;
    }

    /// The latest block's timestamp.
    pub async fn now(&self) -> u64 {
        let p = self.wallet(0);
        let block: Value = p
            .raw_request("eth_getBlockByNumber".into(), ("latest", false))
            .await
            .unwrap();
        u64::from_str_radix(
            block["timestamp"]
                .as_str()
                .unwrap()
                .trim_start_matches("0x"),
            16,
        )
        .unwrap()
    }

    /// Moves the chain clock forward and mines a block.
    pub async fn advance(&self, seconds: u64) {
        let p = self.wallet(0);
        let _: Value = p
            .raw_request("evm_increaseTime".into(), (seconds,))
            .await
            .unwrap();
        let _: Value = p.raw_request("evm_mine".into(), ()).await.unwrap();
    }

    /// Moves the chain clock to a minute past the next UTC midnight.
    pub async fn next_day(&self) {
        let now = self.now().await;
        self.advance((now / DAY + 1) * DAY + 60 - now).await;
    }

    /// The contract's totals: funded, credited, bootstrap, claimed, staked.
    pub async fn totals(&self) -> I::totalsReturn {
        self.view(self.d.compute, I::totalsCall {}).await
    }
}

/// A fresh database path under the system's temporary directory.
pub fn temp_db(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "yellowstone-{name}-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("router.db")
}

/// Starts a router on `rpc_url` with one-second inference blocks on the chain's clock.
pub async fn router(net: &Net, rpc_url: &str, db: &Path, block_seconds: u64) -> Running {
    let mut config = Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        rpc_url: rpc_url.to_string(),
        contract: Some(net.d.compute),
        database: db.to_path_buf(),
        chain_clock: true,
        ..Config::default()
    };
    config.rules.block_seconds = block_seconds;
    config.service.probe_cache_ms = 200;
    start(&config, key(9)).await.expect("router starts")
}

/// Mock provider gateways: `/p<n>` holds development key `n` and answers the router's liveness
/// challenge (`/p<n>/health?challenge=`) signed by it, as the real gateway does, while it is up;
/// a gateway taken down answers 503.
pub struct Gateways {
    /// Base URL; a gateway's endpoint is `{url}/{name}`.
    pub url: String,
    down: Arc<Mutex<Vec<String>>>,
}

/// The EIP-712 domain of every [`Net`]: each deploys the same way on a fresh devnet, so the
/// chain id and the compute contract's address are the same. Computed once, by deploying on a
/// scratch chain, for the mock gateways whose callers name no [`Net`].
pub fn devnet_domain() -> Eip712Domain {
    static DOMAIN: std::sync::OnceLock<Eip712Domain> = std::sync::OnceLock::new();
    DOMAIN
        .get_or_init(|| {
            let artifacts = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/stylus");
            let d = deploy_yellowstone(&mut Chain::new(), &artifacts, &DeployConfig::default())
                .expect("deploy_yellowstone");
            domain(d.chain_id, d.compute)
        })
        .clone()
}

/// The JSON a stand-in gateway holding `signer` answers to a health check whose request target
/// (path and query) is `target`, as the real gateway does: with `challenge=0x…` in the query,
/// the challenge signed under `market` (the router's probe counts nothing else as live).
pub fn health_answer(signer: &PrivateKeySigner, market: &Eip712Domain, target: &str) -> String {
    let challenge = target
        .split_once('?')
        .and_then(|(_, query)| query.split('&').find_map(|p| p.strip_prefix("challenge=")))
        .and_then(|c| yellowstone_gateway::challenge_of(c).ok());
    let answer = yellowstone_gateway::answer_health(signer, market, challenge, true, 8, 0).unwrap();
    serde_json::to_string(&answer).unwrap()
}

impl Gateways {
    /// Serves the health checks, signing under the devnet's domain ([`devnet_domain`]).
    pub async fn start() -> Gateways {
        Gateways::start_for(devnet_domain()).await
    }

    /// Serves the health checks, signing liveness answers under `market`.
    pub async fn start_for(market: Eip712Domain) -> Gateways {
        use axum::{
            extract::{Path as P, RawQuery},
            http::{header::CONTENT_TYPE, StatusCode},
            response::IntoResponse,
            routing::get,
        };
        let down: Arc<Mutex<Vec<String>>> = Arc::default();
        let d = down.clone();
        let app = axum::Router::new().route(
            "/{name}/health",
            get(move |P(name): P<String>, RawQuery(query): RawQuery| {
                let d = d.clone();
                let market = market.clone();
                async move {
                    let account = name
                        .strip_prefix('p')
                        .and_then(|n| n.parse::<usize>().ok())
                        .filter(|n| *n < DEV_ACCOUNTS.len());
                    let Some(account) = account else {
                        return StatusCode::NOT_FOUND.into_response();
                    };
                    if d.lock().unwrap().contains(&name) {
                        return StatusCode::SERVICE_UNAVAILABLE.into_response();
                    }
                    let target = format!("/{name}/health?{}", query.unwrap_or_default());
                    let body = health_answer(&key(account), &market, &target);
                    ([(CONTENT_TYPE, "application/json")], body).into_response()
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Gateways { url, down }
    }

    /// The endpoint of the gateway `name`: `p<n>` for development key `n`.
    pub fn endpoint(&self, name: &str) -> String {
        format!("{}/{name}", self.url)
    }

    /// Makes a gateway fail its health checks.
    pub fn take_down(&self, name: &str) {
        self.down.lock().unwrap().push(name.to_string());
    }
}

/// Signs a message with `signer` under `domain`.
pub fn sign<T: Party>(signer: &PrivateKeySigner, message: T, domain: &Eip712Domain) -> Signed<T> {
    Signed::sign(message, signer, domain).unwrap()
}

/// A JSON client of the router's API.
pub struct Api {
    http: reqwest::Client,
    /// The router's base URL.
    pub url: String,
}

impl Api {
    /// A client of the router at `url`.
    pub fn new(url: String) -> Api {
        Api {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap(),
            url,
        }
    }

    /// POSTs JSON; returns the status and the JSON answer.
    pub async fn post(&self, path: &str, body: &impl serde::Serialize) -> (u16, Value) {
        self.try_post(path, body).await.unwrap()
    }

    /// [`Api::post`], with a connection failure (the router down) as an error.
    pub async fn try_post(
        &self,
        path: &str,
        body: &impl serde::Serialize,
    ) -> reqwest::Result<(u16, Value)> {
        let response = self
            .http
            .post(format!("{}{path}", self.url))
            .json(body)
            .send()
            .await?;
        let status = response.status().as_u16();
        Ok((status, response.json().await.unwrap_or(Value::Null)))
    }

    /// GETs JSON; returns the status and the JSON answer.
    pub async fn get(&self, path: &str) -> (u16, Value) {
        let response = self
            .http
            .get(format!("{}{path}", self.url))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }
}

/// Reads a U256 the API serialised (0x-hex).
pub fn u256(v: &Value) -> U256 {
    v.as_str()
        .unwrap_or_else(|| panic!("not a string: {v}"))
        .parse()
        .unwrap()
}

/// Waits (up to a minute) until `check` passes.
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..600 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for {what}");
}

/// A provider's whole stack: textgen behind the real gateway, attested and bid on the router.
pub struct ProviderStack {
    /// The backend.
    pub textgen: yellowstone_gateway::textgen::RunningTextgen,
    /// The gateway, the bid's endpoint.
    pub gateway: yellowstone_gateway::RunningGateway,
}

/// Starts textgen and, in front of it, the gateway of `account` serving `model`, posting
/// receipts to the router at `router_url`.
pub async fn serve_provider(
    net: &Net,
    router_url: &str,
    account: usize,
    model: &str,
) -> ProviderStack {
    let stack = StackSpec {
        models: vec![model.to_string()],
        ..StackSpec::default()
    };
    start_stack(net, router_url, account, stack).await
}

/// How [`start_stack`] builds a provider's stack.
pub struct StackSpec {
    /// The models the gateway serves (empty: any).
    pub models: Vec<String>,
    /// Requests the gateway serves at once.
    pub capacity: u32,
    /// What textgen waits between streamed tokens.
    pub token_delay: Duration,
}

impl Default for StackSpec {
    /// Any model, the gateway's default capacity, tokens as fast as textgen makes them.
    fn default() -> Self {
        Self {
            models: Vec::new(),
            capacity: yellowstone_gateway::DEFAULT_CAPACITY,
            token_delay: Duration::ZERO,
        }
    }
}

/// The real stack of `account` as `spec` says: textgen behind the real gateway, posting
/// receipts to the router at `router_url`.
pub async fn start_stack(
    net: &Net,
    router_url: &str,
    account: usize,
    spec: StackSpec,
) -> ProviderStack {
    use yellowstone_gateway::textgen::{start_textgen, TextgenConfig};
    use yellowstone_gateway::{GatewayConfig, Trust};
    let textgen = start_textgen(TextgenConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        token_delay: spec.token_delay,
        fail_after: None,
    })
    .await
    .unwrap();
    let mut config = GatewayConfig::new(
        "127.0.0.1:0".parse().unwrap(),
        textgen.url(),
        Trust {
            router: key(9).address(),
            chain_id: net.d.chain_id,
            contract: net.d.compute,
        },
    );
    config.router = Some(router_url.to_string());
    config.models = spec.models;
    config.capacity = spec.capacity;
    let gateway = yellowstone_gateway::start(config, key(account))
        .await
        .unwrap();
    ProviderStack { textgen, gateway }
}

/// `account` attests `model` and bids `price` wei per token at `endpoint` for 30 days, through
/// the router's client; asserts the bid is selectable.
pub async fn join(
    net: &Net,
    client: &yellowstone_client::router::RouterClient,
    account: usize,
    model: &str,
    price: U256,
    endpoint: String,
) {
    use yellowstone_protocol::messages::{Bid, ModelAttestation};
    let p = key(account);
    let now = net.now().await;
    let attestation = ModelAttestation {
        provider: p.address(),
        model: model.into(),
        weightsHash: alloy_primitives::keccak256(model),
        issuedAt: now,
    };
    client
        .attest(&sign(&p, attestation, &net.domain()))
        .await
        .unwrap();
    let bid = Bid {
        provider: p.address(),
        model: model.into(),
        pricePerToken: price,
        capacity: 8,
        endpoint,
        nonce: 1,
        expiry: now + 30 * 86_400,
    };
    let accepted = client.bid(&sign(&p, bid, &net.domain())).await.unwrap();
    assert!(accepted.selectable, "{:?}", accepted.reason);
}

/// Starts textgen and a gateway for `account`, then attests and bids `price` wei per token
/// for `model` on the router at `router_url`.
pub async fn provider_stack(
    net: &Net,
    router_url: &str,
    account: usize,
    model: &str,
    price: U256,
) -> ProviderStack {
    use yellowstone_protocol::messages::{Bid, ModelAttestation};
    let stack = serve_provider(net, router_url, account, model).await;
    let api = Api::new(router_url.to_string());
    let now = net.now().await;
    let domain = net.domain();
    let attestation = ModelAttestation {
        provider: key(account).address(),
        model: model.into(),
        weightsHash: alloy_primitives::keccak256(model),
        issuedAt: now,
    };
    let (status, body) = api
        .post(
            "/v1/attestations",
            &sign(&key(account), attestation, &domain),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let bid = Bid {
        provider: key(account).address(),
        model: model.into(),
        pricePerToken: price,
        capacity: 8,
        endpoint: stack.gateway.url(),
        nonce: 1,
        expiry: now + 86_400,
    };
    let (status, body) = api
        .post("/v1/bids", &sign(&key(account), bid, &domain))
        .await;
    assert_eq!(
        (status, &body["selectable"]),
        (200, &Value::Bool(true)),
        "{body}"
    );
    stack
}

/// Claims for `account` with the proof the router serves (sent by account 8: anyone may);
/// returns the MOR paid to the provider.
pub async fn claim(net: &Net, router_url: &str, account: usize) -> U256 {
    let who = key(account).address();
    let (status, p) = Api::new(router_url.to_string())
        .get(&format!("/v1/proofs/{who}"))
        .await;
    assert_eq!(status, 200, "{p}");
    let before = net.mor_of(who).await;
    net.send(
        8,
        net.d.compute,
        I::claimCall {
            provider: who,
            cumulative_earned: u256(&p["cumulative_earned"]),
            cumulative_bootstrap: u256(&p["cumulative_bootstrap"]),
            proof: serde_json::from_value(p["proof"].clone()).unwrap(),
        },
    )
    .await;
    net.mor_of(who).await - before
}

/// Waits until the latest committed epoch's cumulative credit is `total`.
pub async fn committed(api: &Api, total: U256) {
    eventually("the credits to commit", || async {
        match api.get("/v1/epochs/latest").await {
            (200, e) => u256(&e["cumulative_credited"]) == total,
            _ => false,
        }
    })
    .await;
}
