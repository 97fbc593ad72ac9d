//! The HTTP API, versioned under `/v1` (documented in `docs/API.md` and `docs/openapi.yaml`).
//! Bodies are JSON; signed messages travel as `{"message": {...}, "signature": "0x..."}`;
//! every refusal is `{"code", "message"}` with a fitting status (and `Retry-After` on 503).

use std::sync::Arc;

use alloy_primitives::{Address, B256, U256};
use axum::{
    body::Bytes,
    extract::{MatchedPath, Path, Query, Request, State},
    http::{header, HeaderValue, StatusCode},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{get, post},
    Json, Router as Routes,
};
use serde::{de::DeserializeOwned, Deserialize};
use serde_json::{json, Value};
use yellowstone_api::v1::ReportBody;

use yellowstone_api::{ApiError, ErrorBody};

use yellowstone_market::records::LeafRecord;

use crate::service::Router;

type App = State<Arc<Router>>;

/// The router's routes.
pub fn routes(router: Arc<Router>) -> Routes {
    Routes::new()
        .route("/health", get(health))
        .route("/metrics", get(metrics))
        .route("/v1/market", get(market))
        .route("/v1/attestations", post(attest))
        .route("/v1/bids", post(bid).get(bids))
        .route("/v1/providers/{address}", get(provider))
        .route("/v1/rfcs", post(rfc))
        .route("/v1/receipts", post(receipt))
        .route("/v1/reports", post(report))
        .route("/v1/allowance/{user}", get(allowance))
        .route("/v1/epochs/latest", get(latest_epoch))
        .route("/v1/epochs/{epoch}", get(epoch))
        .route("/v1/proofs/{provider}", get(proof))
        .fallback(|| async { Refused(ApiError::not_found("no such route; see docs/API.md")) })
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

async fn health(State(router): App) -> Json<Value> {
    let g = router.gauges();
    let seen = router
        .metrics
        .chain_seen
        .load(std::sync::atomic::Ordering::Relaxed);
    Json(json!({
        "status": "ok",
        "router": router.state().router(),
        "chain_id": router.chain().chain_id(),
        "contract": router.chain().compute(),
        "epoch": g.epoch,
        "epoch_in_flight": g.in_flight,
        "pending_wei": g.pending_wei,
        "chain_lag_seconds": if seen == 0 { None } else { Some(g.now.saturating_sub(seen)) },
    }))
}

async fn metrics(State(router): App) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        router.metrics.render(&router.gauges()),
    )
}

async fn market(State(router): App) -> Json<Value> {
    let now = router.now();
    let day = now / yellowstone_protocol::time::DAY;
    let state = router.state();
    let mut models: Vec<&str> = state
        .live_bids(None, now)
        .iter()
        .map(|b| b.model.as_str())
        .collect();
    models.sort();
    models.dedup();
    Json(json!({
        "router": state.router(),
        "chain_id": router.chain().chain_id(),
        "contract": router.chain().compute(),
        "mor": router.chain().mor(),
        "domain": {"name": yellowstone_protocol::eip712::DOMAIN_NAME, "version": yellowstone_protocol::eip712::DOMAIN_VERSION},
        "now": now,
        "day": day,
        "inference_block": state.block_of(now),
        "rules": state.rules(),
        "today": router.day(day),
        "models": models,
    }))
}

async fn attest(State(router): App, bytes: Bytes) -> Result<Json<Value>, Refused> {
    router.attest(body(&bytes)?).await?;
    Ok(Json(json!({"accepted": true})))
}

async fn bid(State(router): App, bytes: Bytes) -> Result<Json<Value>, Refused> {
    let why = router.bid(body(&bytes)?).await?;
    Ok(Json(
        json!({"accepted": true, "selectable": why.is_none(), "reason": why}),
    ))
}

#[derive(Deserialize)]
struct ModelQuery {
    model: Option<String>,
}

async fn bids(State(router): App, Query(q): Query<ModelQuery>) -> Json<Value> {
    let now = router.now();
    let state = router.state();
    let bids: Vec<Value> = state
        .live_bids(q.model.as_deref(), now)
        .into_iter()
        .map(|b| {
            json!({
                "provider": b.provider, "model": b.model, "price_per_token": b.price,
                "endpoint": b.endpoint, "nonce": b.nonce, "expiry": b.expiry,
                "selectable": state.unselectable(b.provider, &b.model, now).is_none(),
            })
        })
        .collect();
    Json(json!({ "bids": bids }))
}

async fn provider(State(router): App, Path(text): Path<String>) -> Result<Json<Value>, Refused> {
    let who = address(&text)?;
    let now = router.now();
    let (pending, committed) = router.earnings(who);
    let state = router.state();
    let info = state.provider(who);
    let bids: Vec<Value> = state
        .live_bids(None, now)
        .into_iter()
        .filter(|b| b.provider == who)
        .map(|b| json!({"model": b.model, "price_per_token": b.price, "endpoint": b.endpoint, "expiry": b.expiry, "unselectable": state.unselectable(who, &b.model, now)}))
        .collect();
    let attestations: Vec<Value> = state
        .attestations_of(who)
        .into_iter()
        .map(
            |a| json!({"model": a.model, "weights_hash": a.weights_hash, "issued_at": a.issued_at}),
        )
        .collect();
    let chain = info.and_then(|i| i.chain.as_ref()).map(|r| {
        json!({"registered": r.registered, "stake": r.stake, "lock_start": r.lock_start, "lock_end": r.lock_end,
               "multiplier": r.multiplier, "weight": r.weight, "earned": r.earned, "claimed": r.claimed})
    });
    Ok(Json(json!({
        "provider": who,
        "chain": chain,
        "score": info.map(|i| i.score),
        "backoff": info.map(|i| i.backoff),
        "bids": bids,
        "attestations": attestations,
        "pending_wei": pending,
        "committed": committed.map(|(earned, bootstrap)| json!({"earned": earned, "bootstrap": bootstrap})),
    })))
}

async fn rfc(State(router): App, bytes: Bytes) -> Result<Json<Value>, Refused> {
    let issued = router.admit(body(&bytes)?).await?;
    Ok(Json(
        serde_json::to_value(issued).map_err(|e| ApiError::internal(e.to_string()))?,
    ))
}

async fn receipt(State(router): App, bytes: Bytes) -> Result<Json<Value>, Refused> {
    router.receipt(body(&bytes)?).await?;
    Ok(Json(json!({"accepted": true})))
}

async fn report(State(router): App, bytes: Bytes) -> Result<Json<Value>, Refused> {
    let b: ReportBody = body(&bytes)?;
    let request_id = b.report.message.requestId;
    let verdict = router.report(b.report, b.receipt).await?;
    Ok(Json(json!({"request_id": request_id, "verdict": verdict})))
}

async fn allowance(State(router): App, Path(text): Path<String>) -> Result<Json<Value>, Refused> {
    let view = router.allowance_of(address(&text)?).await?;
    Ok(Json(
        serde_json::to_value(view).map_err(|e| ApiError::internal(e.to_string()))?,
    ))
}

async fn latest_epoch(State(router): App) -> Result<Json<Value>, Refused> {
    let number = router
        .state()
        .committed()
        .map(|e| e.epoch)
        .ok_or_else(|| ApiError::not_found("no epoch committed yet"))?;
    epoch_table(&router, number)
}

async fn epoch(State(router): App, Path(text): Path<String>) -> Result<Json<Value>, Refused> {
    let number: u64 = text
        .parse()
        .map_err(|_| ApiError::invalid(format!("{text:?} is not an epoch number")))?;
    epoch_table(&router, number)
}

/// An epoch with its full table and the router's signature: enough for anyone to recompute
/// the root and mirror the proofs.
fn epoch_table(router: &Router, number: u64) -> Result<Json<Value>, Refused> {
    let store = router.store();
    let epoch = store
        .epoch(number)
        .map_err(|e| ApiError::internal(e.to_string()))?
        .ok_or_else(|| ApiError::not_found(format!("no epoch {number}")))?;
    let leaves: Vec<LeafRecord> = store
        .table_at(number)
        .map_err(|e| ApiError::internal(e.to_string()))?;
    let leaves: Vec<Value> = leaves
        .into_iter()
        .map(|l| json!({"provider": l.provider, "earned": l.earned, "bootstrap": l.bootstrap}))
        .collect();
    Ok(Json(json!({
        "epoch": epoch.epoch,
        "root": epoch.root,
        "cumulative_credited": epoch.cumulative_credited,
        "cumulative_bootstrap": epoch.cumulative_bootstrap,
        "signature": epoch.signature,
        "status": epoch.status,
        "tx": epoch.tx.map(|t| t.0),
        "mined": epoch.mined.map(|(block, gas)| json!({"block": block, "gas_used": gas})),
        "leaves": leaves,
    })))
}

async fn proof(State(router): App, Path(text): Path<String>) -> Result<Json<Value>, Refused> {
    let who = address(&text)?;
    let state = router.state();
    let (epoch, earned, bootstrap, proof) = state.proof(who).ok_or_else(|| {
        ApiError::not_found(format!("{who} has no leaf in the latest committed epoch"))
    })?;
    let proof: Vec<B256> = proof;
    let earned: U256 = earned;
    Ok(Json(json!({
        "epoch": epoch.epoch,
        "root": epoch.root,
        "provider": who,
        "cumulative_earned": earned,
        "cumulative_bootstrap": bootstrap,
        "proof": proof,
    })))
}
