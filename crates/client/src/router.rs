//! A typed async client of the router's HTTP API (`docs/API.md`): used by `yellowstone user`,
//! `yellowstone provider` and the demo.
//!
//! Every call answers a typed value or a [`ClientError`]; a router refusal keeps the router's
//! `code`, `message` and `Retry-After`. A `503 busy` is retried once after its `Retry-After`.

use std::time::Duration;

use alloy_primitives::Address;
use serde::{de::DeserializeOwned, Serialize};
use yellowstone_api::{
    v1::{
        Accepted, AllowanceView, BidAccepted, Issued, Judged, LiveBid, LiveBids, MarketInfo, Proof,
        ProviderView, ReportBody,
    },
    ErrorBody,
};
use yellowstone_protocol::messages::{Bid, ModelAttestation, Receipt, Report, Rfc, Signed};

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
    pub async fn market(&self) -> Result<MarketInfo, ClientError> {
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
    pub async fn allowance(&self, user: Address) -> Result<AllowanceView, ClientError> {
        self.get(&format!("/v1/allowance/{user}")).await
    }

    /// `POST /v1/receipts`: a provider's receipt.
    pub async fn receipt(&self, receipt: &Signed<Receipt>) -> Result<(), ClientError> {
        self.post::<Accepted>("/v1/receipts", receipt)
            .await
            .map(drop)
    }

    /// `GET /v1/proofs/{provider}`.
    pub async fn proof(&self, provider: Address) -> Result<Proof, ClientError> {
        self.get(&format!("/v1/proofs/{provider}")).await
    }

    /// `GET /v1/bids`, for one model or all.
    pub async fn bids(&self, model: Option<&str>) -> Result<Vec<LiveBid>, ClientError> {
        let path = match model {
            Some(m) => format!("/v1/bids?model={}", encode_query(m)),
            None => "/v1/bids".into(),
        };
        self.get::<LiveBids>(&path).await.map(|b| b.bids)
    }

    /// `GET /v1/providers/{provider}`: what the router knows of a provider.
    pub async fn provider(&self, provider: Address) -> Result<ProviderView, ClientError> {
        self.get(&format!("/v1/providers/{provider}")).await
    }

    /// `POST /v1/attestations`.
    pub async fn attest(&self, attestation: &Signed<ModelAttestation>) -> Result<(), ClientError> {
        self.post::<Accepted>("/v1/attestations", attestation)
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
    let (code, message) = match serde_json::from_slice::<ErrorBody>(&bytes) {
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
