//! One market for the router's end-to-end tests: a staked, attested provider beside two
//! cheaper ones that never attest, four users, and the calls of one inference through the API.
//!
//! Below it, what the market's adversary tests (issue 13) are made of: fresh MOR holders, a
//! router with its configuration adjusted, a provider's real stack with a given capacity and
//! speed, bids and RFCs signed directly, a user's timed fetch from a gateway and its report,
//! the router's clock moved with the chain's, and an endpoint whose health check is slow.

use alloy_primitives::{keccak256, U256};
use serde_json::{json, Value};
use yellowstone_protocol::messages::{Bid, ModelAttestation, Receipt, Report, Rfc, Signed, Ticket};

use super::*;

/// The model every provider of the scenario serves.
pub const MODEL: &str = "demo-1b";
/// Providers: account 1 is the attested, well-staked one; 2 and 3 bid cheaper but never
/// attest, so they are never selected (yet their bids set the reference price).
pub const STAKED: usize = 1;
/// The cheap providers that never attest.
pub const CHEAP: [usize; 2] = [2, 3];
/// The users' accounts.
pub const USERS: [usize; 4] = [4, 5, 6, 7];
/// Output tokens per inference.
pub const TOKENS: u64 = 1_000;

/// The bid price of `account`, wei per token: 0.01 MOR for the staked provider, 0.001 for the
/// others. A ticket of `TOKENS` holds 10 MOR of a user's allowance (about 294 MOR a day for a
/// holder of a tenth of the supply, SPEC 8).
pub fn price_of(account: usize) -> U256 {
    if account == STAKED {
        U256::from(10u64).pow(U256::from(16)) // 0.01 MOR per token
    } else {
        U256::from(10u64).pow(U256::from(15))
    }
}

/// Deploys, funds 10,000 MOR, stakes the providers and moves to the next day, so the day's
/// balance snapshot sees everyone's MOR.
pub async fn market() -> Net {
    let net = Net::start();
    net.fund(mor(10_000)).await;
    net.stake(STAKED, mor(10_000), 365).await;
    for p in CHEAP {
        net.stake(p, mor(100), 30).await;
    }
    net.next_day().await;
    net
}

/// Attests (the staked provider only) and bids for every provider.
pub async fn providers_join(net: &Net, api: &Api, gateways: &Gateways) {
    let now = net.now().await;
    let domain = net.domain();
    let attestation = ModelAttestation {
        provider: key(STAKED).address(),
        model: MODEL.into(),
        weightsHash: keccak256("the weights"),
        issuedAt: now,
    };
    let (status, _) = api
        .post(
            "/v1/attestations",
            &sign(&key(STAKED), attestation, &domain),
        )
        .await;
    assert_eq!(status, 200);
    for p in [STAKED, CHEAP[0], CHEAP[1]] {
        let bid = Bid {
            provider: key(p).address(),
            model: MODEL.into(),
            pricePerToken: price_of(p),
            capacity: 8,
            endpoint: gateways.endpoint(&format!("p{p}")),
            nonce: 1,
            expiry: now + 30 * 86_400,
        };
        let (status, body) = api.post("/v1/bids", &sign(&key(p), bid, &domain)).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["selectable"], json!(p == STAKED), "{body}");
    }
}

/// One inference through the API: RFC, ticket, receipt and report. Returns the verdict.
pub async fn inference(net: &Net, api: &Api, user: usize, nonce: u64, pass: bool) -> Value {
    let ticket = admit(net, api, user, nonce).await;
    report(net, api, user, &ticket, pass).await
}

/// `user` asks for a ticket with RFC nonce `nonce`; asserts it is issued.
pub async fn admit(net: &Net, api: &Api, user: usize, nonce: u64) -> Signed<Ticket> {
    let rfc = Rfc {
        user: key(user).address(),
        model: MODEL.into(),
        tokenMax: TOKENS,
        nonce,
        deadline: net.now().await + 300,
    };
    let (status, body) = api
        .post("/v1/rfcs", &sign(&key(user), rfc, &net.domain()))
        .await;
    assert_eq!(status, 200, "{body}");
    serde_json::from_value(body["ticket"].clone()).unwrap()
}

/// `user` reports `ticket` (pass or fail) with the provider's receipt; returns the verdict.
pub async fn report(
    net: &Net,
    api: &Api,
    user: usize,
    ticket: &Signed<Ticket>,
    pass: bool,
) -> Value {
    let domain = net.domain();
    assert_eq!(
        ticket.verify(&domain, Some(key(9).address())),
        Ok(key(9).address())
    );
    let provider = ticket.message.provider;
    let account = [STAKED, CHEAP[0], CHEAP[1]]
        .into_iter()
        .find(|a| key(*a).address() == provider)
        .unwrap();
    let receipt = Receipt {
        requestId: ticket.message.requestId,
        provider,
        tokens: TOKENS,
    };
    let report = Report {
        requestId: ticket.message.requestId,
        user: key(user).address(),
        firstTokenMs: 150,
        elapsedMs: 900,
        tokens: TOKENS,
        pass,
    };
    let body = json!({
        "report": sign(&key(user), report, &domain),
        "receipt": sign(&key(account), receipt, &domain),
    });
    let (status, answer) = api.post("/v1/reports", &body).await;
    assert_eq!(status, 200, "{answer}");
    answer["verdict"].clone()
}

/// The wei a verdict credits (zero when refused).
pub fn credited(verdict: &Value) -> U256 {
    if verdict["outcome"] == "credited" {
        u256(&verdict["wei"])
    } else {
        U256::ZERO
    }
}

/// The latest committed epoch, if any.
pub async fn latest_epoch(api: &Api) -> Option<Value> {
    let (status, body) = api.get("/v1/epochs/latest").await;
    (status == 200).then_some(body)
}

/// Credit plus bootstrap in the latest committed epoch.
pub async fn committed_total(api: &Api) -> U256 {
    match latest_epoch(api).await {
        Some(e) => u256(&e["cumulative_credited"]) + u256(&e["cumulative_bootstrap"]),
        None => U256::ZERO,
    }
}

/// The market with a router serving it, the providers joined.
pub struct Joined {
    /// The chain.
    pub net: Net,
    /// The router.
    pub running: yellowstone_router::server::Running,
    /// A client of the router.
    pub api: Api,
    /// The providers' health checks (kept serving).
    pub gateways: Gateways,
}

/// [`market`], a router on a fresh database named `name` with one-second inference blocks,
/// and [`providers_join`].
pub async fn joined(name: &str) -> Joined {
    let net = market().await;
    let gateways = Gateways::start().await;
    let running = router(&net, &net.rpc.url(), &temp_db(name), 1).await;
    let api = Api::new(running.url());
    providers_join(&net, &api, &gateways).await;
    Joined {
        net,
        running,
        api,
        gateways,
    }
}

// ---- The market's adversaries (issue 13): real gateways, fresh holders, a slow endpoint ----

alloy_sol_types::sol! {
    interface IMorTransfer {
        function transfer(address to, uint256 amount) external returns (bool);
    }
}

/// A fresh key holding `amount` MOR sent from dev `account`. Call it before the day's snapshot
/// (before [`Net::next_day`]), so the day's allowance sees the balance.
pub async fn fresh_holder(net: &Net, account: usize, amount: U256) -> PrivateKeySigner {
    let fresh = PrivateKeySigner::random();
    net.send(
        account,
        net.d.mor,
        IMorTransfer::transferCall {
            to: fresh.address(),
            amount,
        },
    )
    .await;
    fresh
}

/// A router like [`router`] (chain clock, one-second blocks, 200 ms probe cache) with
/// `configure` applied to its configuration first.
pub async fn router_with(net: &Net, db: &Path, configure: impl FnOnce(&mut Config)) -> Running {
    let mut config = Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        rpc_url: net.rpc.url(),
        contract: Some(net.d.compute),
        database: db.to_path_buf(),
        chain_clock: true,
        ..Config::default()
    };
    config.rules.block_seconds = 1;
    config.service.probe_cache_ms = 200;
    configure(&mut config);
    start(&config, key(9)).await.expect("router starts")
}

/// The real stack of `account`: textgen pausing `token_delay` between streamed tokens, behind
/// the real gateway serving any model, at most `capacity` requests at once, posting receipts
/// to the router at `router_url`.
pub async fn gateway_stack(
    net: &Net,
    router_url: &str,
    account: usize,
    capacity: u32,
    token_delay: Duration,
) -> ProviderStack {
    let spec = StackSpec {
        capacity,
        token_delay,
        ..StackSpec::default()
    };
    start_stack(net, router_url, account, spec).await
}

/// `provider` attests `model` (with the hash of its name); asserts the router accepts it.
pub async fn attest_model(net: &Net, api: &Api, provider: &PrivateKeySigner, model: &str) {
    let attestation = ModelAttestation {
        provider: provider.address(),
        model: model.into(),
        weightsHash: keccak256(model),
        issuedAt: net.now().await,
    };
    let (status, body) = api
        .post(
            "/v1/attestations",
            &sign(provider, attestation, &net.domain()),
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

/// What a provider offers in a bid.
#[derive(Clone, Debug)]
pub struct Offer {
    /// The model.
    pub model: String,
    /// Wei per output token.
    pub price: U256,
    /// Concurrent requests.
    pub capacity: u32,
    /// The gateway's base URL.
    pub endpoint: String,
    /// A later nonce replaces the bid.
    pub nonce: u64,
}

/// `provider` bids `offer` for 30 days; returns the router's status and answer (a bid may be
/// accepted and still not selectable: its `reason` says why).
pub async fn bid_offer(
    net: &Net,
    api: &Api,
    provider: &PrivateKeySigner,
    offer: &Offer,
) -> (u16, Value) {
    let bid = Bid {
        provider: provider.address(),
        model: offer.model.clone(),
        pricePerToken: offer.price,
        capacity: offer.capacity,
        endpoint: offer.endpoint.clone(),
        nonce: offer.nonce,
        expiry: net.now().await + 30 * 86_400,
    };
    api.post("/v1/bids", &sign(provider, bid, &net.domain()))
        .await
}

/// `user`'s RFC for `token_max` tokens of `model`, nonce `nonce`; returns the router's status
/// and answer (an `Issued` on 200).
pub async fn ask(
    net: &Net,
    api: &Api,
    user: &PrivateKeySigner,
    model: &str,
    token_max: u64,
    nonce: u64,
) -> (u16, Value) {
    let rfc = Rfc {
        user: user.address(),
        model: model.into(),
        tokenMax: token_max,
        nonce,
        deadline: net.now().await + 300,
    };
    api.post("/v1/rfcs", &sign(user, rfc, &net.domain())).await
}

/// The ticket of an `Issued` answer.
pub fn ticket_of(issued: &Value) -> Signed<Ticket> {
    serde_json::from_value(issued["ticket"].clone()).unwrap_or_else(|e| panic!("{e}: {issued}"))
}

/// What a user got from a gateway: the status, the error body when refused, the tokens
/// received, when the first and the last arrived, and the provider's receipt.
#[derive(Clone, Debug)]
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// The OpenAI error body of a refusal (`Null` on 200).
    pub error: Value,
    /// Tokens received (textgen: one word, one token).
    pub tokens: u64,
    /// Milliseconds from sending the prompt to the first token.
    pub first_token_ms: u64,
    /// Milliseconds from sending the prompt to the last token.
    pub elapsed_ms: u64,
    /// The provider's signed receipt.
    pub receipt: Option<Signed<Receipt>>,
}

/// Sends a prompt for `max_tokens` to the gateway at `endpoint` with `ticket` as the bearer
/// token, streamed or whole, timing the first and the last token as a user's client does.
pub async fn fetch(
    endpoint: &str,
    ticket: &Signed<Ticket>,
    max_tokens: u64,
    stream: bool,
) -> Answer {
    let body = json!({
        "model": ticket.message.model,
        "messages": [{"role": "user", "content": format!("a question {}", ticket.message.requestId)}],
        "max_tokens": max_tokens,
        "stream": stream,
    });
    let start = std::time::Instant::now();
    let ms = |start: std::time::Instant| u64::try_from(start.elapsed().as_millis()).unwrap();
    let mut response = reqwest::Client::new()
        .post(format!("{endpoint}/v1/chat/completions"))
        .header("authorization", format!("Bearer {}", ticket.to_token()))
        .json(&body)
        .timeout(Duration::from_secs(60))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let mut answer = Answer {
        status,
        error: Value::Null,
        tokens: 0,
        first_token_ms: 0,
        elapsed_ms: 0,
        receipt: None,
    };
    if status != 200 {
        answer.error = response.json().await.unwrap_or(Value::Null);
        return answer;
    }
    if !stream {
        let receipt = response
            .headers()
            .get(yellowstone_gateway::RECEIPT_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(|t| Signed::<Receipt>::from_token(t).unwrap());
        let whole: Value = response.json().await.unwrap();
        answer.elapsed_ms = ms(start);
        answer.first_token_ms = answer.elapsed_ms;
        let text = whole["choices"][0]["message"]["content"]
            .as_str()
            .unwrap_or("");
        answer.tokens = u64::try_from(text.split_whitespace().count()).unwrap();
        answer.receipt = receipt;
        return answer;
    }
    let mut buffer = String::new();
    while let Some(chunk) = response.chunk().await.unwrap() {
        buffer.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buffer.find("\n\n") {
            let event: String = buffer.drain(..end + 2).collect();
            let mut name = "";
            let mut data = "";
            for line in event.lines() {
                if let Some(v) = line.strip_prefix("event:") {
                    name = v.trim();
                } else if let Some(v) = line.strip_prefix("data:") {
                    data = v.trim();
                }
            }
            if name == "yellowstone.receipt" {
                answer.receipt = Some(serde_json::from_str(data).unwrap());
            } else if name.is_empty() && data != "[DONE]" {
                let chunk: Value = serde_json::from_str(data).unwrap_or(Value::Null);
                let text = chunk["choices"][0]["delta"]["content"]
                    .as_str()
                    .unwrap_or("");
                let words = u64::try_from(text.split_whitespace().count()).unwrap();
                if words > 0 {
                    if answer.tokens == 0 {
                        answer.first_token_ms = ms(start);
                    }
                    answer.tokens += words;
                    answer.elapsed_ms = ms(start);
                }
            }
        }
    }
    answer
}

/// What a user's report says.
#[derive(Clone, Copy, Debug)]
pub struct Said {
    /// Milliseconds to the first token.
    pub first_token_ms: u64,
    /// Milliseconds to the last token.
    pub elapsed_ms: u64,
    /// Tokens received.
    pub tokens: u64,
    /// Pass or fail.
    pub pass: bool,
}

impl Said {
    /// What an honest user says of `answer`: its measured times and tokens, and pass.
    pub fn truth(answer: &Answer) -> Said {
        Said {
            first_token_ms: answer.first_token_ms,
            elapsed_ms: answer.elapsed_ms,
            tokens: answer.tokens,
            pass: true,
        }
    }
}

/// `user` reports request `id` as `said`, with `receipt` if given; returns the router's status
/// and answer (a `Judged` on 200).
pub async fn report_as(
    net: &Net,
    api: &Api,
    user: &PrivateKeySigner,
    id: alloy_primitives::B256,
    said: Said,
    receipt: Option<&Signed<Receipt>>,
) -> (u16, Value) {
    let report = Report {
        requestId: id,
        user: user.address(),
        firstTokenMs: said.first_token_ms,
        elapsedMs: said.elapsed_ms,
        tokens: said.tokens,
        pass: said.pass,
    };
    let body = json!({"report": sign(user, report, &net.domain()), "receipt": receipt});
    api.post("/v1/reports", &body).await
}

/// An honest request: `user` asks for `tokens` of `model`, receives them streamed from the
/// ticketed gateway, and reports the truth (pass). Returns the answer and the verdict.
pub async fn honest_request(
    net: &Net,
    api: &Api,
    user: &PrivateKeySigner,
    model: &str,
    tokens: u64,
    nonce: u64,
) -> (Answer, Value) {
    let (status, issued) = ask(net, api, user, model, tokens, nonce).await;
    assert_eq!(status, 200, "{issued}");
    let ticket = ticket_of(&issued);
    let answer = fetch(issued["endpoint"].as_str().unwrap(), &ticket, tokens, true).await;
    assert_eq!(answer.status, 200, "{:?}", answer.error);
    let said = Said::truth(&answer);
    let (status, judged) = report_as(
        net,
        api,
        user,
        ticket.message.requestId,
        said,
        answer.receipt.as_ref(),
    )
    .await;
    assert_eq!(status, 200, "{judged}");
    (answer, judged["verdict"].clone())
}

/// The router's clock (`GET /v1/market`'s `now`).
pub async fn router_now(api: &Api) -> u64 {
    let (status, market) = api.get("/v1/market").await;
    assert_eq!(status, 200, "{market}");
    market["now"].as_u64().unwrap()
}

/// Moves the chain's clock to `target` (unix seconds, in its future) and waits until the
/// router's clock has followed.
pub async fn travel_to(net: &Net, api: &Api, target: u64) {
    let now = net.now().await;
    assert!(target > now, "the chain is at {now}, past {target}");
    net.advance(target - now).await;
    eventually("the router's clock to follow the chain", || async {
        router_now(api).await >= target
    })
    .await;
}

/// A stand-in endpoint in front of `target`: `GET .../health` waits `delay` before it is
/// forwarded; everything else is forwarded at once (answers are buffered, not streamed).
/// Returns its base URL.
pub async fn slow_health(target: String, delay: Duration) -> String {
    use axum::{body::Bytes, extract::Request, http::StatusCode, response::IntoResponse};
    let client = reqwest::Client::new();
    let app = axum::Router::new().fallback(move |request: Request| {
        let (client, target) = (client.clone(), target.clone());
        async move {
            let (parts, body) = request.into_parts();
            let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
            if parts.uri.path().ends_with("/health") {
                tokio::time::sleep(delay).await;
            }
            let body: Bytes = axum::body::to_bytes(body, 1 << 20)
                .await
                .unwrap_or_default();
            let mut forward = client.request(parts.method.clone(), format!("{target}{path}"));
            for (name, value) in &parts.headers {
                if name != "host" && name != "content-length" {
                    forward = forward.header(name, value);
                }
            }
            let Ok(answer) = forward.body(body).send().await else {
                return StatusCode::BAD_GATEWAY.into_response();
            };
            let status = StatusCode::from_u16(answer.status().as_u16()).unwrap();
            let mut headers = axum::http::HeaderMap::new();
            for (name, value) in answer.headers() {
                if name != "content-length" && name != "transfer-encoding" {
                    headers.insert(name.clone(), value.clone());
                }
            }
            let bytes = answer.bytes().await.unwrap_or_default();
            (status, headers, bytes).into_response()
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}
