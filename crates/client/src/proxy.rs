//! `yellowstone user proxy`: a local OpenAI-compatible endpoint. Every chat request becomes an
//! RFC, a ticket, the call to the provider and a report, so an application written for OpenAI
//! works unchanged, and the router still never sees a prompt. Streams are relayed chunk by
//! chunk with the provider's receipt event taken out, and its usage chunk too unless the
//! application asked for it (the proxy always does, to count as the provider counts). A whole
//! answer is asked of the provider as a stream and assembled, so its first token is timed too
//! ([`crate::assemble`]).
//!
//! When an answer ends, its signed report (and the provider's receipt) is stored in the
//! outbox ([`crate::outbox`], fsync'd) before the application gets the whole answer, or the
//! last bytes of a stream (`[DONE]` or the error event); then it is posted in the background
//! ([`crate::postman`]: retried while the router is unreachable or answers 5xx). A proxy that
//! crashes in between posts it when it starts again with the same outbox.
//!
//! A provider failure reaches the application as an OpenAI-style error naming it (`code`
//! `provider_stalled`, `provider_cut`, `provider_garbage`, `provider_bad_receipt`, ...): the
//! error answer itself, or, once a stream has started, a last `data: {"error": ...}` event in
//! place of `[DONE]` (which the OpenAI libraries raise). Garbage is never relayed.

use std::{convert::Infallible, net::SocketAddr, sync::Arc, time::Duration};

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
use serde_json::{json, Value};
use tokio::{net::TcpListener, sync::mpsc, task::JoinHandle};
use yellowstone_api::openai::OpenAiError;

use super::exchange::{admit, provider_http, Exchange, Failure, Step};
use crate::{
    outbox::{unix_now, Outbox, Stored},
    postman,
    router::{ClientError, RouterClient},
};

/// How the proxy runs.
#[derive(Clone, Debug)]
pub struct ProxyConfig {
    /// Where the application connects.
    pub listen: SocketAddr,
    /// The router's base URL.
    pub router_url: String,
    /// `tokenMax` when the application gives no `max_tokens`.
    pub max_tokens: u64,
    /// How long a provider may send nothing at all before the application gets a
    /// `provider_stalled` error and the answer is reported as failed
    /// ([`super::exchange::DEFAULT_STALL_TIMEOUT`] unless told otherwise).
    pub stall_timeout: Duration,
}

/// A proxy serving on a socket.
pub struct RunningProxy {
    /// Where it listens.
    pub addr: SocketAddr,
    server: JoinHandle<()>,
    postman: JoinHandle<()>,
    /// Starts the graceful stop of the server; dropped unsent, it keeps serving.
    stop: tokio::sync::oneshot::Sender<()>,
    /// Held by every request and stream relay in progress: gone once each has stored its report.
    proxy: std::sync::Weak<Proxy>,
}

impl RunningProxy {
    /// The proxy's base URL (an OpenAI `base_url` is this plus `/v1`).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops at once, as a crash would: no more answers and no more posts (reports not yet
    /// judged stay in the outbox).
    pub fn kill(self) {
        self.server.abort();
        self.postman.abort();
    }

    /// Serves until `shutdown` resolves (the caller owns the signals), then stops as
    /// [`RunningProxy::shutdown`] does. An error if the server failed first.
    pub async fn serve_until(
        mut self,
        shutdown: impl std::future::Future<Output = ()>,
        drain: Duration,
    ) -> anyhow::Result<()> {
        tokio::select! {
            served = &mut self.server => {
                self.postman.abort();
                served.context("the proxy server failed")?;
                anyhow::bail!("the proxy server stopped")
            }
            () = shutdown => {}
        }
        self.shutdown(drain).await;
        Ok(())
    }

    /// Stops gracefully: no new connections; the answers in flight get up to `drain` to end,
    /// each with its report stored in the outbox, then are cut; then the postman stops (what
    /// the router has not judged yet stays in the outbox, posted at the next start). True
    /// when nothing had to be cut.
    pub async fn shutdown(self, drain: Duration) -> bool {
        let RunningProxy {
            mut server,
            postman,
            stop,
            proxy,
            ..
        } = self;
        let deadline = tokio::time::Instant::now() + drain;
        let _ = stop.send(());
        let mut drained = tokio::time::timeout_at(deadline, &mut server).await.is_ok();
        if drained {
            while proxy.strong_count() > 0 && tokio::time::Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            drained = proxy.strong_count() == 0;
        } else {
            server.abort();
        }
        if !drained {
            tracing::warn!(?drain, "answers still in flight at the drain deadline were cut: their reports may not be stored");
        }
        postman.abort();
        drained
    }
}

struct Proxy {
    client: RouterClient,
    key: PrivateKeySigner,
    http: reqwest::Client,
    max_tokens: u64,
    stall: Duration,
    outbox: Outbox,
    postman: mpsc::UnboundedSender<Stored>,
}

/// Starts the proxy on `config.listen`, signing with `key`, with its reports in memory only
/// ([`Outbox::memory`]: a crash loses those not yet posted). `yellowstone user proxy` uses
/// [`start_proxy_with`] and a file.
pub async fn start_proxy(
    config: &ProxyConfig,
    key: PrivateKeySigner,
) -> anyhow::Result<RunningProxy> {
    start_proxy_with(config, key, Outbox::memory()).await
}

/// Starts the proxy on `config.listen`, signing with `key`, storing each report in `outbox`
/// before the application sees the end of the answer. The outbox's reports for this router
/// that were never settled (a crash) are posted first.
pub async fn start_proxy_with(
    config: &ProxyConfig,
    key: PrivateKeySigner,
    outbox: Outbox,
) -> anyhow::Result<RunningProxy> {
    let listener = TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("listening on {}", config.listen))?;
    let addr = listener.local_addr()?;
    let client = RouterClient::new(&config.router_url);
    let waiting = outbox.pending(client.url()).with_context(|| {
        let path = outbox.path().unwrap_or(std::path::Path::new("")).display();
        format!("reading the outbox {path}")
    })?;
    let (posts, postman) = postman::start(client.clone(), outbox.clone());
    if !waiting.is_empty() {
        tracing::info!(
            reports = waiting.len(),
            "posting the reports the outbox kept"
        );
    }
    for record in waiting {
        let _ = posts.send(record);
    }
    let proxy = Arc::new(Proxy {
        client,
        key,
        http: provider_http(),
        max_tokens: config.max_tokens,
        stall: config.stall_timeout,
        outbox,
        postman: posts,
    });
    let app = Router::new()
        .route("/v1/chat/completions", post(completions))
        .route("/v1/models", get(models))
        .route("/health", get(|| async { Json(json!({"status": "ok"})) }))
        .with_state(proxy.clone());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        let stopping = async {
            if stopped.await.is_err() {
                std::future::pending::<()>().await;
            }
        };
        let served = axum::serve(listener, app).with_graceful_shutdown(stopping);
        if let Err(err) = served.await {
            tracing::error!(%err, "the proxy stopped");
        }
    });
    Ok(RunningProxy {
        addr,
        server,
        postman,
        stop,
        proxy: Arc::downgrade(&proxy),
    })
}

/// An OpenAI-style error answer.
fn openai_error(status: u16, kind: &str, code: &str, message: &str) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
    (status, Json(OpenAiError::new(kind, Some(code), message))).into_response()
}

/// A provider failure as an OpenAI-style error.
fn provider_error(failure: &Failure) -> Response {
    openai_error(
        failure.status,
        "provider_error",
        failure.code,
        &failure.message,
    )
}

/// A provider failure as the last event of a stream: `data: {"error": ...}`, which OpenAI
/// libraries raise as an API error.
fn provider_error_event(failure: &Failure) -> Bytes {
    let body = OpenAiError::new("provider_error", Some(failure.code), &failure.message);
    Bytes::from(format!("data: {}\n\n", body.to_json()))
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
    // Refused here, before a ticket holds any allowance: the provider's gateway would refuse
    // it too (a ticket pays for one answer).
    if body["n"].as_u64().is_none_or(|n| n != 1) && !body["n"].is_null() {
        let why = "n must be 1: a ticket pays for one answer";
        return openai_error(400, "invalid_request_error", "n_unsupported", why);
    }
    let stream = body["stream"].as_bool().unwrap_or(false);
    let wants_usage = body["stream_options"]["include_usage"].as_bool() == Some(true);
    let token_max = body["max_tokens"]
        .as_u64()
        .or(body["max_completion_tokens"].as_u64())
        .unwrap_or(proxy.max_tokens);
    let admitted = match admit(&proxy.client, &proxy.key, &model, token_max).await {
        Ok(a) => a,
        Err(e) => return router_error(e),
    };
    let mut exchange = Exchange::new(admitted, proxy.stall);
    let response = match exchange.send(&proxy.http, body).await {
        Ok(r) => r,
        Err(failure) => {
            finish(&proxy, &exchange).await;
            return provider_error(&failure);
        }
    };
    if stream {
        return relay(proxy, exchange, response, wants_usage);
    }
    let answer = exchange.read_whole(response).await;
    let failure = exchange.failed().cloned();
    finish(&proxy, &exchange).await;
    match (answer, failure) {
        (Some((answer, _)), None) => {
            ([(header::CONTENT_TYPE, "application/json")], answer).into_response()
        }
        (_, Some(failure)) => provider_error(&failure),
        (None, None) => openai_error(502, "provider_error", "provider_error", "no answer"),
    }
}

/// Relays a streamed answer event by event, without the receipt event, and without the usage
/// chunk unless the application asked for it (`stream_options.include_usage`: the proxy
/// always asks, to count as the provider does); a failure ends the stream with an error event
/// instead of `[DONE]`. The report is stored before that last event goes out.
fn relay(
    proxy: Arc<Proxy>,
    mut exchange: Exchange,
    response: reqwest::Response,
    wants_usage: bool,
) -> Response {
    let (tx, rx) = mpsc::channel::<Bytes>(64);
    tokio::spawn(async move {
        let mut upstream = response.bytes_stream();
        let mut done = None;
        // An application that hung up does not stop the tally.
        'read: while let Some(piece) = exchange.next_piece(&mut upstream).await {
            for (event, step) in exchange.stream_piece(&piece) {
                match step {
                    Step::Receipt => {}
                    Step::Usage if !wants_usage => {}
                    Step::Error(_) => break 'read,
                    Step::Chunk(_) | Step::Usage => {
                        let _ = tx.send(Bytes::from(event.to_text())).await;
                    }
                    Step::Done => {
                        done = Some(Bytes::from(event.to_text()));
                        break 'read;
                    }
                }
            }
        }
        exchange.end_stream();
        finish(&proxy, &exchange).await;
        let last = match exchange.failed() {
            Some(failure) => Some(provider_error_event(failure)),
            None => done,
        };
        if let Some(last) = last {
            let _ = tx.send(last).await;
        }
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

/// Signs the report on a finished exchange, stores it in the outbox (fsync'd), and hands it
/// to the postman. Returns once it is stored: the caller sends the answer's end after.
async fn finish(proxy: &Proxy, exchange: &Exchange) {
    let request = exchange.admitted.issued.request_id;
    let sealed = match exchange.seal(&proxy.key, false) {
        Ok(sealed) => sealed,
        Err(e) => {
            tracing::error!(%request, %e, "the report could not be signed");
            return;
        }
    };
    tracing::debug!(%request, tokens = sealed.tokens, first_token_ms = sealed.first_token_ms,
        elapsed_ms = sealed.elapsed_ms, pass = sealed.pass, "answer ended");
    let record = Stored::new(proxy.client.url(), &sealed, unix_now());
    if let Err(e) = proxy.outbox.store(&record).await {
        // The answer was delivered: it is not withheld; the report is posted all the same.
        tracing::error!(%request, %e, "the outbox could not store the report; a crash before it is posted loses it");
    }
    let _ = proxy.postman.send(record);
}
