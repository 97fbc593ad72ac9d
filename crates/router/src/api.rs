//! The HTTP API, versioned under `/v1` (documented in `docs/API.md` and `docs/openapi.yaml`),
//! and the market page at `/` that reads it.
//! Bodies are JSON; signed messages travel as `{"message": {...}, "signature": "0x..."}`;
//! every refusal is `{"code", "message"}` with a fitting status (and `Retry-After` on 503).
//! Every answer is a `yellowstone_api::v1` type, so the client reads what is written here.

use std::sync::Arc;

use alloy_primitives::Address;
use axum::{
    body::Bytes,
    extract::{MatchedPath, Path, Query, Request, State},
    http::{header, HeaderValue, StatusCode},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{get, post},
    Extension, Json, Router as Routes,
};
use serde::{de::DeserializeOwned, Deserialize};
use yellowstone_api::{
    v1::{
        Accepted, BidAccepted, Epoch, Health, Issued, Judged, LiveBid, LiveBids, MarketInfo, Proof,
        ProviderView, ReportBody, SigningDomain,
    },
    ApiError, ErrorBody,
};
use yellowstone_market::records::LeafRecord;
use yellowstone_protocol::eip712::{DOMAIN_NAME, DOMAIN_VERSION};

use crate::service::Router;

mod activity;
mod page;
mod wire;

type App = State<Arc<Router>>;

/// The router's routes: the API, and the market page at `/` (`crate::page`).
pub fn routes(router: Arc<Router>) -> Routes {
    Routes::new()
        .merge(page::routes())
        .route("/health", get(health))
        .route("/metrics", get(metrics))
        .route("/v1/market", get(market))
        .route("/v1/attestations", post(attest))
        .route("/v1/bids", post(bid).get(bids))
        .route("/v1/providers", get(activity::providers))
        .route("/v1/providers/{address}", get(provider))
        .route("/v1/rfcs", post(rfc))
        .route("/v1/receipts", post(receipt))
        .route("/v1/reports", post(report))
        .route("/v1/allowance/{user}", get(allowance))
        .route("/v1/today", get(activity::today))
        .route("/v1/epochs", get(activity::epochs))
        .route("/v1/epochs/latest", get(latest_epoch))
        .route("/v1/epochs/{epoch}", get(epoch))
        .route("/v1/proofs/{provider}", get(proof))
        .fallback(|| async { Refused(ApiError::not_found("no such route; see docs/API.md")) })
        .layer(Extension(Arc::new(activity::ChainDay::default())))
        .layer(middleware::from_fn_with_state(router.clone(), count))
        .with_state(router)
}

/// A refusal on its way out: [`ApiError`] as the HTTP answer `{code, message}` with its status
/// and `Retry-After` (a local type, as axum's trait and the wire type live in other crates).
pub struct Refused(pub ApiError);

impl From<ApiError> for Refused {
    fn from(e: ApiError) -> Self {
        Refused(e)
    }
}

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        let Refused(e) = self;
        let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, Json(ErrorBody::from(&e))).into_response();
        if let Some(seconds) = e.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

async fn count(State(router): App, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let response = next.run(request).await;
    router.metrics.request(&route, response.status().as_u16());
    response
}

/// Parses a JSON body, naming what was wrong.
fn body<T: DeserializeOwned>(bytes: &Bytes) -> Result<T, ApiError> {
    serde_json::from_slice(bytes).map_err(|e| ApiError::invalid(format!("body: {e}")))
}

fn address(text: &str) -> Result<Address, ApiError> {
    text.parse()
        .map_err(|_| ApiError::invalid(format!("{text:?} is not a 0x-prefixed 20-byte address")))
}

async fn health(State(router): App) -> Json<Health> {
    let g = router.gauges();
    let seen = router
        .metrics
        .chain_seen
        .load(std::sync::atomic::Ordering::Relaxed);
    Json(Health {
        chain_id: router.chain().chain_id(),
        chain_lag_seconds: (seen != 0).then(|| g.now.saturating_sub(seen)),
        contract: router.chain().compute(),
        epoch: g.epoch,
        epoch_in_flight: g.in_flight,
        pending_wei: g.pending_wei,
        router: router.state().router(),
        status: "ok".into(),
    })
}

async fn metrics(State(router): App) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        router.metrics.render(&router.gauges()),
    )
}

async fn market(State(router): App) -> Json<MarketInfo> {
    let now = router.now();
    let day = now / yellowstone_protocol::time::DAY;
    let today = router.day(day);
    let state = router.state();
    let mut models: Vec<String> = state
        .live_bids(None, now)
        .iter()
        .map(|b| b.model.clone())
        .collect();
    models.sort();
    models.dedup();
    Json(MarketInfo {
        chain_id: router.chain().chain_id(),
        contract: router.chain().compute(),
        day,
        domain: SigningDomain {
            name: DOMAIN_NAME.into(),
            version: DOMAIN_VERSION.into(),
        },
        inference_block: state.block_of(now),
        models,
        mor: router.chain().mor(),
        now,
        router: state.router(),
        rules: wire::market_rules(state.rules()),
        today,
    })
}

async fn attest(State(router): App, bytes: Bytes) -> Result<Json<Accepted>, Refused> {
    router.attest(body(&bytes)?).await?;
    Ok(Json(Accepted { accepted: true }))
}

async fn bid(State(router): App, bytes: Bytes) -> Result<Json<BidAccepted>, Refused> {
    let reason = router.bid(body(&bytes)?).await?;
    Ok(Json(BidAccepted {
        accepted: true,
        selectable: reason.is_none(),
        reason,
    }))
}

#[derive(Deserialize)]
struct ModelQuery {
    model: Option<String>,
}

async fn bids(State(router): App, Query(q): Query<ModelQuery>) -> Json<LiveBids> {
    let now = router.now();
    let state = router.state();
    let bids = state
        .live_bids(q.model.as_deref(), now)
        .into_iter()
        .map(|b| LiveBid {
            capacity: b.capacity,
            endpoint: b.endpoint.clone(),
            expiry: b.expiry,
            model: b.model.clone(),
            nonce: b.nonce,
            price_per_token: b.price,
            provider: b.provider,
            selectable: state.unselectable(b.provider, &b.model, now).is_none(),
        })
        .collect();
    Json(LiveBids { bids })
}

async fn provider(
    State(router): App,
    Path(text): Path<String>,
) -> Result<Json<ProviderView>, Refused> {
    let who = address(&text)?;
    Ok(Json(activity::provider_view(&router, who, router.now())))
}

async fn rfc(State(router): App, bytes: Bytes) -> Result<Json<Issued>, Refused> {
    Ok(Json(router.admit(body(&bytes)?).await?))
}

async fn receipt(State(router): App, bytes: Bytes) -> Result<Json<Accepted>, Refused> {
    router.receipt(body(&bytes)?).await?;
    Ok(Json(Accepted { accepted: true }))
}

async fn report(State(router): App, bytes: Bytes) -> Result<Json<Judged>, Refused> {
    let b: ReportBody = body(&bytes)?;
    let request_id = b.report.message.requestId;
    let verdict = router.report(b.report, b.receipt).await?;
    Ok(Json(Judged {
        request_id,
        verdict,
    }))
}

async fn allowance(
    State(router): App,
    Path(text): Path<String>,
) -> Result<Json<yellowstone_api::v1::AllowanceView>, Refused> {
    Ok(Json(router.allowance_of(address(&text)?).await?))
}

async fn latest_epoch(State(router): App) -> Result<Json<Epoch>, Refused> {
    let number = router
        .state()
        .committed()
        .map(|e| e.epoch)
        .ok_or_else(|| ApiError::not_found("no epoch committed yet"))?;
    epoch_table(&router, number)
}

async fn epoch(State(router): App, Path(text): Path<String>) -> Result<Json<Epoch>, Refused> {
    let number: u64 = text
        .parse()
        .map_err(|_| ApiError::invalid(format!("{text:?} is not an epoch number")))?;
    epoch_table(&router, number)
}

/// An epoch with its full table and the router's signature: enough for anyone to recompute
/// the root and mirror the proofs.
fn epoch_table(router: &Router, number: u64) -> Result<Json<Epoch>, Refused> {
    let store = router.store();
    let epoch = store
        .epoch(number)
        .map_err(|e| ApiError::internal(e.to_string()))?
        .ok_or_else(|| ApiError::not_found(format!("no epoch {number}")))?;
    let leaves: Vec<LeafRecord> = store
        .table_at(number)
        .map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(Json(wire::epoch(epoch, leaves)))
}

async fn proof(State(router): App, Path(text): Path<String>) -> Result<Json<Proof>, Refused> {
    let who = address(&text)?;
    let state = router.state();
    let (epoch, cumulative_earned, cumulative_bootstrap, proof) =
        state.proof(who).ok_or_else(|| {
            ApiError::not_found(format!("{who} has no leaf in the latest committed epoch"))
        })?;
    Ok(Json(Proof {
        cumulative_bootstrap,
        cumulative_earned,
        epoch: epoch.epoch,
        proof,
        provider: who,
        root: epoch.root,
    }))
}
