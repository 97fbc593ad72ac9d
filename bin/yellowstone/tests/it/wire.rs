//! The router's answers, byte for byte: one call of every route on a real market, each raw
//! body compared with the shape recorded before the answers became `yellowstone-api` structs
//! (key order, key names, value types, U256 as hex strings), and each deserialised into its
//! api type and serialised again to the very same bytes. Renaming a field, reordering one or
//! changing an encoding fails here.

use alloy_primitives::keccak256;
use serde::{de::DeserializeOwned, Serialize};
use yellowstone_api::{
    v1::{
        Accepted, AllowanceView, BidAccepted, Epoch, Health, Issued, Judged, LiveBids, MarketInfo,
        Proof, ProviderView,
    },
    ErrorBody,
};
use yellowstone_protocol::messages::{Bid, ModelAttestation, Receipt, Report, Rfc};
use yellowstone_test_utils::{scenario::*, *};

/// The shapes recorded from the router before its answers were typed.
const RECORDED: &str = include_str!("wire_shapes.txt");

/// A client that keeps the router's answers as text.
struct Raw {
    http: reqwest::Client,
    url: String,
}

impl Raw {
    async fn get(&self, path: &str) -> (u16, String) {
        let response = self.http.get(format!("{}{path}", self.url)).send().await;
        let response = response.unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }

    async fn post(&self, path: &str, body: &impl Serialize) -> (u16, String) {
        let url = format!("{}{path}", self.url);
        let response = self.http.post(url).json(body).send().await.unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }
}

/// The answers of one request's calls.
struct Inference {
    issued: String,
    receipt: String,
    judged: String,
}

/// RFC, receipt and report of `user`'s request `nonce`, answered as text.
async fn inference(net: &Net, raw: &Raw, user: usize, nonce: u64, pass: bool) -> Inference {
    let domain = net.domain();
    let rfc = Rfc {
        user: key(user).address(),
        model: MODEL.into(),
        tokenMax: TOKENS,
        nonce,
        deadline: net.now().await + 300,
    };
    let (status, issued) = raw.post("/v1/rfcs", &sign(&key(user), rfc, &domain)).await;
    assert_eq!(status, 200, "{issued}");
    let request_id = serde_json::from_str::<Issued>(&issued)
        .unwrap()
        .ticket
        .message
        .requestId;
    let receipt = Receipt {
        requestId: request_id,
        provider: key(STAKED).address(),
        tokens: TOKENS,
    };
    let receipt = sign(&key(STAKED), receipt, &domain);
    let (status, accepted) = raw.post("/v1/receipts", &receipt).await;
    assert_eq!(status, 200, "{accepted}");
    let report = Report {
        requestId: request_id,
        user: key(user).address(),
        firstTokenMs: 150,
        elapsedMs: 900,
        tokens: TOKENS,
        pass,
    };
    let body = serde_json::json!({"report": sign(&key(user), report, &domain), "receipt": receipt});
    let (status, judged) = raw.post("/v1/reports", &body).await;
    assert_eq!(status, 200, "{judged}");
    Inference {
        issued,
        receipt: accepted,
        judged,
    }
}

/// `raw` with every value replaced by its kind, keys and structure kept: `<address>`,
/// `<bytes32>`, `<signature>` and `<hex>` for 0x strings of 40, 64, 130 and other lengths,
/// `<num>` for numbers, `<str>` for other strings but lower-case words (codes, outcomes,
/// statuses), which stay as they are.
fn shape(raw: &str) -> String {
    let mut out = String::new();
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                let mut text = String::new();
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => text.extend([c, chars.next().unwrap()]),
                        '"' => break,
                        _ => text.push(c),
                    }
                }
                if chars.peek() == Some(&':') {
                    out.push_str(&format!("\"{text}\""));
                } else {
                    out.push_str(&kind(&text));
                }
            }
            '-' | '0'..='9' => {
                while matches!(chars.peek(), Some('0'..='9' | '.' | 'e' | 'E' | '+' | '-')) {
                    chars.next();
                }
                out.push_str("<num>");
            }
            _ => out.push(c),
        }
    }
    out
}

fn kind(text: &str) -> String {
    match text.strip_prefix("0x") {
        Some(hex) if !hex.is_empty() && hex.chars().all(|c| c.is_ascii_hexdigit()) => {
            match hex.len() {
                40 => "<address>",
                64 => "<bytes32>",
                130 => "<signature>",
                _ => "<hex>",
            }
            .to_string()
        }
        _ if !text.is_empty() && text.chars().all(|c| c.is_ascii_lowercase() || c == '_') => {
            format!("\"{text}\"")
        }
        _ => "<str>".to_string(),
    }
}

/// `body` read as a `T` and written again.
fn round_trip<T: DeserializeOwned + Serialize>(body: &str) -> String {
    let typed: T = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"));
    serde_json::to_string(&typed).unwrap()
}

/// Every answer with its shape line (`name status shape`) and its api type's round trip.
#[derive(Default)]
struct Answers(Vec<(String, String, String)>);

impl Answers {
    fn record(&mut self, name: &str, (status, body): (u16, String), read: fn(&str) -> String) {
        let line = format!("{name} {status} {}", shape(&body));
        self.0.push((line, read(&body), body));
    }

    /// Each answer has its recorded shape and survives its api type byte for byte.
    fn check(&self) {
        let recorded: Vec<&str> = RECORDED.lines().filter(|l| !l.starts_with('#')).collect();
        assert_eq!(
            self.0.len(),
            recorded.len(),
            "one answer per recorded shape"
        );
        for ((line, written, body), recorded) in self.0.iter().zip(recorded) {
            assert_eq!(line, recorded, "the answer's shape changed");
            assert_eq!(
                written, body,
                "{line}: the api type does not write the same bytes"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_keeps_its_bytes() {
    let net = market().await;
    let gateways = Gateways::start().await;
    let running = router(&net, &net.rpc.url(), &temp_db("wire"), 1).await;
    let raw = Raw {
        http: reqwest::Client::new(),
        url: running.url(),
    };
    let domain = net.domain();
    let mut a = Answers::default();

    let error = round_trip::<ErrorBody>;
    let none = raw.get("/v1/epochs/latest").await;
    a.record("epochs_latest_none", none, error);
    a.record("fallback", raw.get("/v1/no/such/route").await, error);
    let invalid = raw.post("/v1/rfcs", &serde_json::json!({})).await;
    a.record("rfc_invalid", invalid, error);
    let market = raw.get("/v1/market").await;
    a.record("market_fresh", market, round_trip::<MarketInfo>);

    let now = net.now().await;
    let attestation = ModelAttestation {
        provider: key(STAKED).address(),
        model: MODEL.into(),
        weightsHash: keccak256("the weights"),
        issuedAt: now,
    };
    let attestation = sign(&key(STAKED), attestation, &domain);
    let attested = raw.post("/v1/attestations", &attestation).await;
    a.record("attest", attested, round_trip::<Accepted>);
    for (name, p) in [("bid_selectable", STAKED), ("bid_unselectable", CHEAP[0])] {
        let bid = Bid {
            provider: key(p).address(),
            model: MODEL.into(),
            pricePerToken: price_of(p),
            capacity: 8,
            endpoint: gateways.endpoint(&format!("p{p}")),
            nonce: 1,
            expiry: now + 30 * 86_400,
        };
        let answer = raw.post("/v1/bids", &sign(&key(p), bid, &domain)).await;
        a.record(name, answer, round_trip::<BidAccepted>);
    }
    a.record("bids", raw.get("/v1/bids").await, round_trip::<LiveBids>);
    let bids = raw.get(&format!("/v1/bids?model={MODEL}")).await;
    a.record("bids_model", bids, round_trip::<LiveBids>);

    let credited = inference(&net, &raw, USERS[0], 1, true).await;
    a.record("rfc", (200, credited.issued), round_trip::<Issued>);
    a.record("receipt", (200, credited.receipt), round_trip::<Accepted>);
    let judged = (200, credited.judged);
    a.record("report_credited", judged, round_trip::<Judged>);
    let user = key(USERS[0]).address();
    let allowance = raw.get(&format!("/v1/allowance/{user}")).await;
    a.record("allowance", allowance, round_trip::<AllowanceView>);
    let market = raw.get("/v1/market").await;
    a.record("market", market, round_trip::<MarketInfo>);

    eventually("the first epoch to commit", || async {
        let (status, body) = raw.get("/v1/epochs/latest").await;
        status == 200 && body.contains(r#""status":"committed""#)
    })
    .await;
    let (_, latest) = raw.get("/v1/epochs/latest").await;
    let number = serde_json::from_str::<Epoch>(&latest).unwrap().epoch;
    a.record("epochs_latest", (200, latest), round_trip::<Epoch>);
    let epoch = raw.get(&format!("/v1/epochs/{number}")).await;
    a.record("epoch", epoch, round_trip::<Epoch>);
    let provider = key(STAKED).address();
    let proof = raw.get(&format!("/v1/proofs/{provider}")).await;
    a.record("proof", proof, round_trip::<Proof>);
    // Before any failure: the bid selectable, its `unselectable` null.
    let view = raw.get(&format!("/v1/providers/{provider}")).await;
    a.record("provider", view, round_trip::<ProviderView>);
    let stranger = key(8).address();
    let view = raw.get(&format!("/v1/providers/{stranger}")).await;
    a.record("provider_unknown", view, round_trip::<ProviderView>);
    let refused = (200, inference(&net, &raw, USERS[1], 1, false).await.judged);
    a.record("report_refused", refused, round_trip::<Judged>);
    a.record("health", raw.get("/health").await, round_trip::<Health>);

    a.check();
    running.kill();
}
