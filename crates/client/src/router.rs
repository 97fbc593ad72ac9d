//! A typed async client of the router's HTTP API (`docs/API.md`): used by `yellowstone user`,
//! `yellowstone provider` and the demo.
//!
//! Every call answers a typed value or a [`ClientError`]; a router refusal keeps the router's
//! `code`, `message` and `Retry-After`. A `503 busy` is retried once after its `Retry-After`.

use std::time::Duration;

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::Eip712Domain;
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use yellowstone_protocol::{
    eip712::types::domain,
    messages::{Bid, ModelAttestation, Receipt, Report, Rfc, Signed, Ticket},
};

use crate::{api::ReportBody, market::judge::Verdict};

/// The longest `Retry-After` the client waits before its one retry of a `503 busy`.
const MAX_RETRY_WAIT: u64 = 10;

/// Why a call to the router failed.
#[derive(Clone, Debug, thiserror::Error)]
pub enum ClientError {
    /// The router answered with a refusal (`{code, message}`).
    #[error("the router refused ({status} {code}): {message}")]
    Refused {
        /// HTTP status.
        status: u16,
        /// The router's stable code, e.g. `allowance_exhausted`.
        code: String,
        /// What was wrong.
        message: String,
        /// Seconds to wait before retrying (503 answers).
        retry_after: Option<u64>,
    },
    /// The router could not be reached.
    #[error("the router at {url} is unreachable: {reason}")]
    Unreachable {
        /// The URL called.
        url: String,
        /// What failed.
        reason: String,
    },
    /// The router's answer was not what the API promises.
    #[error("the router's answer is not acceptable: {0}")]
    Answer(String),
    /// The client could not sign its message.
    #[error("signing failed: {0}")]
    Signing(String),
}

/// `GET /v1/market`: what a client needs to sign and to choose a model.
#[derive(Clone, Debug, Deserialize)]
pub struct Market {
    /// The router's address (signs tickets).
    pub router: Address,
    /// The chain id of the signing domain.
    pub chain_id: u64,
    /// The compute contract (the domain's verifying contract).
    pub contract: Address,
    /// The router's clock, unix seconds (the chain's on a devnet).
    pub now: u64,
    /// Models with at least one unexpired bid.
    pub models: Vec<String>,
}

impl Market {
    /// The EIP-712 domain every message is signed under.
    pub fn domain(&self) -> Eip712Domain {
        domain(self.chain_id, self.contract)
    }
}

/// `POST /v1/rfcs`: a ticket issued.
#[derive(Clone, Debug, Deserialize)]
pub struct Issued {
    /// The request id.
    pub request_id: B256,
    /// The router-signed ticket: the bearer token at the provider.
    pub ticket: Signed<Ticket>,
    /// The provider gateway's base URL.
    pub endpoint: String,
}

/// `POST /v1/reports`: the router's judgement.
#[derive(Clone, Debug, Deserialize)]
pub struct Judged {
    /// The request id.
    pub request_id: B256,
    /// Credited or refused, and why.
    pub verdict: Verdict,
}

/// `GET /v1/allowance/{user}`: today's allowance.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Allowance {
    /// UTC day.
    pub day: u64,
    /// The user.
    pub user: Address,
    /// MOR wei at the day's snapshot block.
    pub balance: U256,
    /// Tokens allowed today.
    pub allowance: u64,
    /// Tokens settled.
    pub used: u64,
    /// Tokens held by open tickets.
    pub held: u64,
    /// Tokens left.
    pub left: u64,
}

/// `GET /v1/bids`: one live bid.
#[derive(Clone, Debug, Deserialize)]
pub struct LiveBid {
    /// The provider.
    pub provider: Address,
    /// The model.
    pub model: String,
    /// Wei per output token.
    pub price_per_token: U256,
    /// The gateway's base URL.
    pub endpoint: String,
    /// The bid's nonce.
    pub nonce: u64,
    /// Unix second the bid expires.
    pub expiry: u64,
    /// Whether selection may pick it now.
    pub selectable: bool,
}

/// `POST /v1/bids`: whether the bid can be selected now.
#[derive(Clone, Debug, Deserialize)]
pub struct BidAccepted {
    /// Always true on a 200.
    pub accepted: bool,
    /// Whether selection may pick it now.
    pub selectable: bool,
    /// Why not, when not.
    pub reason: Option<String>,
}

/// `GET /v1/proofs/{provider}`: the arguments of the contract's `claim`.
#[derive(Clone, Debug, Deserialize)]
pub struct Proof {
    /// The committed epoch.
    pub epoch: u64,
    /// Its Merkle root.
    pub root: B256,
    /// The provider.
    pub provider: Address,
    /// Cumulative earned wei.
    pub cumulative_earned: U256,
    /// Cumulative bootstrap wei.
    pub cumulative_bootstrap: U256,
    /// Sibling hashes, leaf to root.
    pub proof: Vec<B256>,
}

#[derive(Deserialize)]
struct Refusal {
    code: String,
    message: String,
}

/// A client of one router.
#[derive(Clone, Debug)]
pub struct RouterClient {
    http: reqwest::Client,
    base: String,
}

impl RouterClient {
    /// A client of the router at `base_url` (e.g. `http://127.0.0.1:8640`).
    pub fn new(base_url: &str) -> RouterClient {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap_or_default();
        RouterClient {
            http,
            base: base_url.trim_end_matches('/').to_string(),
        }
    }

    /// The router's base URL.
    pub fn url(&self) -> &str {
        &self.base
    }

    /// `GET /v1/market`.
    pub async fn market(&self) -> Result<Market, ClientError> {
        self.get("/v1/market").await
    }

    /// `POST /v1/rfcs`: asks for a ticket.
    pub async fn rfc(&self, rfc: &Signed<Rfc>) -> Result<Issued, ClientError> {
        self.post("/v1/rfcs", rfc).await
    }

    /// `POST /v1/reports`: the user's report, with the provider's receipt when it has one.
    pub async fn report(
        &self,
        report: Signed<Report>,
        receipt: Option<Signed<Receipt>>,
    ) -> Result<Judged, ClientError> {
        self.post("/v1/reports", &ReportBody { report, receipt })
            .await
    }

    /// `GET /v1/allowance/{user}`.
    pub async fn allowance(&self, user: Address) -> Result<Allowance, ClientError> {
        self.get(&format!("/v1/allowance/{user}")).await
    }

    /// `POST /v1/receipts`: a provider's receipt.
    pub async fn receipt(&self, receipt: &Signed<Receipt>) -> Result<(), ClientError> {
        self.post::<serde_json::Value>("/v1/receipts", receipt)
            .await
            .map(drop)
    }

    /// `GET /v1/proofs/{provider}`.
    pub async fn proof(&self, provider: Address) -> Result<Proof, ClientError> {
        self.get(&format!("/v1/proofs/{provider}")).await
    }

    /// `GET /v1/bids`, for one model or all.
    pub async fn bids(&self, model: Option<&str>) -> Result<Vec<LiveBid>, ClientError> {
        #[derive(Deserialize)]
        struct Bids {
            bids: Vec<LiveBid>,
        }
        let path = match model {
            Some(m) => format!("/v1/bids?model={}", encode_query(m)),
            None => "/v1/bids".into(),
        };
        self.get::<Bids>(&path).await.map(|b| b.bids)
    }

    /// `POST /v1/attestations`.
    pub async fn attest(&self, attestation: &Signed<ModelAttestation>) -> Result<(), ClientError> {
        self.post::<serde_json::Value>("/v1/attestations", attestation)
            .await
            .map(drop)
    }

    /// `POST /v1/bids`.
    pub async fn bid(&self, bid: &Signed<Bid>) -> Result<BidAccepted, ClientError> {
        self.post("/v1/bids", bid).await
    }

    async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ClientError> {
        let url = format!("{}{path}", self.base);
        self.call(&url, || self.http.get(&url)).await
    }

    async fn post<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &impl Serialize,
    ) -> Result<T, ClientError> {
        let url = format!("{}{path}", self.base);
        self.call(&url, || self.http.post(&url).json(body)).await
    }

    /// Sends a request, retrying once after `Retry-After` when the router is busy.
    async fn call<T: DeserializeOwned>(
        &self,
        url: &str,
        request: impl Fn() -> reqwest::RequestBuilder,
    ) -> Result<T, ClientError> {
        match once(url, request()).await {
            Err(ClientError::Refused {
                code, retry_after, ..
            }) if code == "busy" => {
                let wait = retry_after.unwrap_or(1).min(MAX_RETRY_WAIT);
                tokio::time::sleep(Duration::from_secs(wait)).await;
                once(url, request()).await
            }
            other => other,
        }
    }
}

async fn once<T: DeserializeOwned>(
    url: &str,
    request: reqwest::RequestBuilder,
) -> Result<T, ClientError> {
    let unreachable = |e: reqwest::Error| ClientError::Unreachable {
        url: url.to_string(),
        reason: e.to_string(),
    };
    let response = request.send().await.map_err(unreachable)?;
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok());
    let bytes = response.bytes().await.map_err(unreachable)?;
    if (200..300).contains(&status) {
        return serde_json::from_slice(&bytes)
            .map_err(|e| ClientError::Answer(format!("{url}: {e}")));
    }
    let (code, message) = match serde_json::from_slice::<Refusal>(&bytes) {
        Ok(r) => (r.code, r.message),
        Err(_) => (
            "http".to_string(),
            String::from_utf8_lossy(&bytes).into_owned(),
        ),
    };
    Err(ClientError::Refused {
        status,
        code,
        message,
        retry_after,
    })
}

/// Percent-encodes a query value (everything but unreserved characters).
fn encode_query(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
