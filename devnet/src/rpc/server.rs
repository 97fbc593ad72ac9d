//! The HTTP server: hyper 1 on a current-thread tokio runtime running on its own thread.

use std::{
    convert::Infallible,
    io,
    net::SocketAddr,
    sync::{mpsc, Arc, Mutex},
    thread::JoinHandle,
    time::Duration,
};

use http_body_util::{BodyExt, Full, Limited};
use hyper::{
    body::{Bytes, Incoming},
    header, Method, Request, Response, StatusCode,
};
use hyper_util::rt::TokioIo;
use tokio::{sync::watch, task::JoinSet};

use crate::chain::Chain;

/// The largest request body accepted: 32 MiB (a large deployment is well below).
const MAX_BODY: usize = 32 * 1024 * 1024;

/// How long a stopping server lets the requests in flight be answered before cutting them.
pub const DRAIN: Duration = Duration::from_secs(5);

/// Where a server is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Serving,
    /// No new connections; each open one ends after its request in flight.
    Draining,
    /// Whatever is still open is dropped.
    Cut,
}

/// A running server; see [`serve`]. Dropping it stops the server as
/// [`RpcHandle::shutdown`] does.
#[derive(Debug)]
pub struct RpcHandle {
    addr: SocketAddr,
    phase: watch::Sender<Phase>,
    /// Disconnected when the server thread ends (in a mutex: a handle is shared across
    /// threads, and a receiver alone is not `Sync`).
    ended: Mutex<mpsc::Receiver<()>>,
    thread: Option<JoinHandle<()>>,
}

impl RpcHandle {
    /// The address the server is bound to (with the real port when 0 was asked).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The server's URL, `http://<addr>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops gracefully and waits for the server thread to end: no new connections; the
    /// requests in flight get up to [`DRAIN`] to be answered, then are cut; idle connections
    /// are closed. True when nothing had to be cut.
    pub fn shutdown(mut self) -> bool {
        self.stop_and_join()
    }

    fn stop_and_join(&mut self) -> bool {
        let Some(thread) = self.thread.take() else {
            return true;
        };
        let _ = self.phase.send(Phase::Draining);
        let ended = self.ended.lock().unwrap_or_else(|p| p.into_inner());
        let drained = matches!(
            ended.recv_timeout(DRAIN),
            Err(mpsc::RecvTimeoutError::Disconnected) | Ok(())
        );
        if !drained {
            let _ = self.phase.send(Phase::Cut);
        }
        let _ = thread.join();
        drained
    }
}

impl Drop for RpcHandle {
    fn drop(&mut self) {
        self.stop_and_join();
    }
}

/// Starts the JSON-RPC server for `chain` on `addr` and returns once it listens. Works from
/// synchronous code and from inside an async runtime alike (the server has its own thread and
/// runtime).
pub fn serve(chain: Arc<Mutex<Chain>>, addr: SocketAddr) -> io::Result<RpcHandle> {
    let listener = std::net::TcpListener::bind(addr)?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()?;
    // Registered here, so a listener tokio cannot use is an error now, not a dead server.
    let listener = {
        let _entered = runtime.enter();
        tokio::net::TcpListener::from_std(listener)?
    };
    let (phase, watching) = watch::channel(Phase::Serving);
    let (ending, ended) = mpsc::channel::<()>();
    let thread = std::thread::Builder::new()
        .name(format!("devnet-rpc-{}", addr.port()))
        .spawn(move || {
            runtime.block_on(accept_loop(listener, chain, watching));
            drop(ending);
        })?;
    Ok(RpcHandle {
        addr,
        phase,
        ended: Mutex::new(ended),
        thread: Some(thread),
    })
}

/// Accepts connections until told to drain, then waits for the open ones to end, or to be
/// told to cut them; dropping the runtime afterwards ends what is left.
async fn accept_loop(
    listener: tokio::net::TcpListener,
    chain: Arc<Mutex<Chain>>,
    mut phase: watch::Receiver<Phase>,
) {
    let mut connections = JoinSet::new();
    let mut told = phase.clone();
    loop {
        tokio::select! {
            _ = told.wait_for(|p| *p != Phase::Serving) => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let _ = stream.set_nodelay(true);
                connections.spawn(connection(stream, chain.clone(), phase.clone()));
            }
        }
    }
    drop(listener);
    tokio::select! {
        _ = async { while connections.join_next().await.is_some() {} } => {}
        _ = phase.wait_for(|p| *p == Phase::Cut) => {}
    }
}

/// Serves one connection; once the server drains, it ends after the request in flight.
async fn connection(
    stream: tokio::net::TcpStream,
    chain: Arc<Mutex<Chain>>,
    mut phase: watch::Receiver<Phase>,
) {
    let service = hyper::service::service_fn(move |request| {
        let chain = chain.clone();
        async move { Ok::<_, Infallible>(answer(&chain, request).await) }
    });
    let served =
        hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service);
    tokio::pin!(served);
    tokio::select! {
        _ = served.as_mut() => return,
        _ = phase.wait_for(|p| *p != Phase::Serving) => {}
    }
    served.as_mut().graceful_shutdown();
    let _ = served.await;
}

/// Answers one HTTP request. Browsers may call from any origin (as with anvil): responses carry
/// `Access-Control-Allow-Origin: *` and CORS preflights are answered.
async fn answer(chain: &Arc<Mutex<Chain>>, request: Request<Incoming>) -> Response<Full<Bytes>> {
    if request.method() == Method::OPTIONS {
        return Response::builder()
            .status(StatusCode::NO_CONTENT)
            .header(header::ACCESS_CONTROL_ALLOW_ORIGIN, "*")
            .header(header::ACCESS_CONTROL_ALLOW_METHODS, "POST, OPTIONS")
            .header(header::ACCESS_CONTROL_ALLOW_HEADERS, "*")
            .body(Full::new(Bytes::new()))
            .expect("a valid response");
    }
    if request.method() != Method::POST {
        return plain(
            StatusCode::METHOD_NOT_ALLOWED,
            "JSON-RPC requests are HTTP POSTs",
        );
    }
    let body = match Limited::new(request.into_body(), MAX_BODY).collect().await {
        Ok(body) => body.to_bytes(),
        Err(e) => return plain(StatusCode::PAYLOAD_TOO_LARGE, &e.to_string()),
    };
    let response = Response::builder()
        .status(StatusCode::OK)
        .header(header::ACCESS_CONTROL_ALLOW_ORIGIN, "*");
    match super::handle_body(chain, &body) {
        Some(reply) => response
            .header(header::CONTENT_TYPE, "application/json")
            .body(Full::new(Bytes::from(
                serde_json::to_vec(&reply).unwrap_or_default(),
            ))),
        None => response.body(Full::new(Bytes::new())),
    }
    .expect("a valid response")
}

fn plain(status: StatusCode, text: &str) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "text/plain")
        .header(header::ACCESS_CONTROL_ALLOW_ORIGIN, "*")
        .body(Full::new(Bytes::from(text.to_owned())))
        .expect("a valid response")
}
