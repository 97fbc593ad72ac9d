//! `yellowstone user proxy`: a local OpenAI-compatible endpoint. Every chat request becomes an
//! RFC, a ticket, the call to the provider and a report, so an application written for OpenAI
//! works unchanged, and the router still never sees a prompt. Streams are relayed chunk by
//! chunk with the provider's receipt event taken out; the report is sent after the last token,
//! in the background, never delaying the application's answer.

use std::{convert::Infallible, net::SocketAddr, sync::Arc};

use alloy_signer_local::PrivateKeySigner;
use anyhow::Context;
use axum::{
    body::{Body, Bytes},
    extract::State,
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
    Json, Router,
};
use futures_util::StreamExt;
use serde_json::{json, Value};
use tokio::{net::TcpListener, sync::mpsc, task::JoinHandle};

use super::{
    describe,
    exchange::{admit, provider_http, Exchange, Step, RECEIPT_HEADER},
    sse::SseParser,
};
use crate::client::{ClientError, RouterClient};

/// How the proxy runs.
#[derive(Clone, Debug)]
pub struct ProxyConfig {
    /// Where the application connects.
    pub listen: SocketAddr,
    /// The router's base URL.
    pub router_url: String,
    /// `tokenMax` when the application gives no `max_tokens`.
    pub max_tokens: u64,
}

/// A proxy serving on a socket.
pub struct RunningProxy {
    /// Where it listens.
    pub addr: SocketAddr,
    server: JoinHandle<()>,
}

impl RunningProxy {
    /// The proxy's base URL (an OpenAI `base_url` is this plus `/v1`).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops serving at once.
    pub fn kill(self) {
        self.server.abort();
    }

    /// Serves until the task ends.
    pub async fn wait(self) -> anyhow::Result<()> {
        self.server.await.context("the proxy server failed")
    }
}

struct Proxy {
    client: RouterClient,
    key: PrivateKeySigner,
    http: reqwest::Client,
    max_tokens: u64,
}

/// Starts the proxy on `config.listen`, signing with `key`.
pub async fn start_proxy(
    config: &ProxyConfig,
    key: PrivateKeySigner,
) -> anyhow::Result<RunningProxy> {
    let proxy = Arc::new(Proxy {
        client: RouterClient::new(&config.router_url),
        key,
        http: provider_http(),
        max_tokens: config.max_tokens,
    });
    let app = Router::new()
        .route("/v1/chat/completions", post(completions))
        .route("/v1/models", get(models))
        .route("/health", get(|| async { Json(json!({"status": "ok"})) }))
        .with_state(proxy);
    let listener = TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("listening on {}", config.listen))?;
    let addr = listener.local_addr()?;
    let server = tokio::spawn(async move {
        if let Err(err) = axum::serve(listener, app).await {
            tracing::error!(%err, "the proxy stopped");
        }
    });
    Ok(RunningProxy { addr, server })
}

/// An OpenAI-style error answer.
fn openai_error(status: u16, kind: &str, code: &str, message: &str) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
    let body = json!({"error": {"message": message, "type": kind, "code": code}});
    (status, Json(body)).into_response()
}

/// A router refusal as an OpenAI-style error with the router's status and `Retry-After`.
fn router_error(err: ClientError) -> Response {
    match err {
        ClientError::Refused {
            status,
            code,
            message,
            retry_after,
        } => {
            let mut response = openai_error(status, "router_refused", &code, &message);
            if let Some(seconds) = retry_after {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
            }
            response
        }
        other => openai_error(
            502,
            "router_error",
            "router_unavailable",
            &other.to_string(),
        ),
    }
}

async fn models(State(proxy): State<Arc<Proxy>>) -> Response {
    match proxy.client.market().await {
        Ok(market) => {
            let data: Vec<Value> = market
                .models
                .iter()
                .map(|m| json!({"id": m, "object": "model", "owned_by": "yellowstone"}))
                .collect();
            Json(json!({"object": "list", "data": data})).into_response()
        }
        Err(e) => router_error(e),
    }
}

async fn completions(State(proxy): State<Arc<Proxy>>, bytes: Bytes) -> Response {
    let body: Value = match serde_json::from_slice(&bytes) {
        Ok(b) => b,
        Err(e) => {
            let why = format!("the body is not JSON: {e}");
            return openai_error(400, "invalid_request_error", "invalid", &why);
        }
    };
    let Some(model) = body["model"].as_str().map(str::to_string) else {
        return openai_error(400, "invalid_request_error", "invalid", "no model");
    };
    let stream = body["stream"].as_bool().unwrap_or(false);
    let token_max = body["max_tokens"]
        .as_u64()
        .or(body["max_completion_tokens"].as_u64())
        .unwrap_or(proxy.max_tokens);
    let admitted = match admit(&proxy.client, &proxy.key, &model, token_max).await {
        Ok(a) => a,
        Err(e) => return router_error(e),
    };
    let mut exchange = Exchange::new(admitted);
    let response = match exchange.send(&proxy.http, body).await {
        Ok(r) => r,
        Err(failure) => {
            report_later(proxy, exchange);
            return openai_error(
                failure.status,
                "provider_error",
                "provider_failed",
                &failure.message,
            );
        }
    };
    if stream {
        return relay(proxy, exchange, response);
    }
    let receipt = response
        .headers()
        .get(RECEIPT_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let answer = match response.bytes().await {
        Ok(a) => a,
        Err(e) => {
            let why = format!("the provider's answer broke: {e}");
            exchange.fail(why.clone());
            report_later(proxy, exchange);
            return openai_error(502, "provider_error", "provider_failed", &why);
        }
    };
    match serde_json::from_slice::<Value>(&answer) {
        Ok(whole) => {
            exchange.whole(receipt.as_deref(), &whole);
        }
        Err(e) => exchange.fail(format!("the provider's answer is not JSON: {e}")),
    }
    report_later(proxy, exchange);
    ([(header::CONTENT_TYPE, "application/json")], answer).into_response()
}

/// Relays a streamed answer event by event, without the receipt event; reports at the end.
fn relay(proxy: Arc<Proxy>, mut exchange: Exchange, response: reqwest::Response) -> Response {
    let (tx, rx) = mpsc::channel::<Bytes>(64);
    tokio::spawn(async move {
        let mut parser = SseParser::default();
        let mut upstream = response.bytes_stream();
        'read: while let Some(piece) = upstream.next().await {
            let piece = match piece {
                Ok(p) => p,
                Err(e) => {
                    exchange.fail(format!("the provider's stream broke: {e}"));
                    break;
                }
            };
            for event in parser.push(&piece) {
                let step = exchange.event(&event);
                if step != Step::Receipt {
                    // An application that hung up does not stop the tally.
                    let _ = tx.send(Bytes::from(event.to_text())).await;
                }
                if matches!(step, Step::Done | Step::Error(_)) {
                    break 'read;
                }
            }
        }
        exchange.end_stream();
        drop(tx);
        report_later(proxy, exchange);
    });
    let body = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|b| (Ok::<_, Infallible>(b), rx))
    });
    Response::builder()
        .header(header::CONTENT_TYPE, "text/event-stream")
        .header(header::CACHE_CONTROL, "no-cache")
        .body(Body::from_stream(body))
        .unwrap_or_else(|e| openai_error(500, "proxy_error", "internal", &e.to_string()))
}

/// Reports on a finished exchange in the background.
fn report_later(proxy: Arc<Proxy>, exchange: Exchange) {
    tokio::spawn(async move {
        let request = exchange.admitted.issued.request_id;
        let reported = exchange.report(&proxy.client, &proxy.key, false).await;
        match reported.judged {
            Ok(j) => {
                tracing::info!(%request, tokens = reported.tokens, elapsed_ms = reported.elapsed_ms, "{}", describe(&j.verdict))
            }
            Err(e) => tracing::warn!(%request, %e, "the report was not accepted"),
        }
    });
}
