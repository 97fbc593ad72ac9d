//! The HTTP server: hyper 1 on a current-thread tokio runtime running on its own thread.

use std::{
    convert::Infallible,
    io,
    net::SocketAddr,
    sync::{Arc, Mutex},
    thread::JoinHandle,
};

use http_body_util::{BodyExt, Full, Limited};
use hyper::{
    body::{Bytes, Incoming},
    header, Method, Request, Response, StatusCode,
};
use hyper_util::rt::TokioIo;
use tokio::sync::oneshot;

use crate::chain::Chain;

/// The largest request body accepted: 32 MiB (a large deployment is well below).
const MAX_BODY: usize = 32 * 1024 * 1024;

/// A running server; see [`serve`]. Dropping it stops the server.
#[derive(Debug)]
pub struct RpcHandle {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
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

    /// Stops the server and waits for its thread to end.
    pub fn shutdown(mut self) {
        self.stop_and_join();
    }

    /// Blocks until the server thread ends (for a foreground node; it ends only on a fatal error
    /// of the listener).
    pub fn wait(mut self) {
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }

    fn stop_and_join(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
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
    let (stop, stopped) = oneshot::channel();
    let thread = std::thread::Builder::new()
        .name(format!("devnet-rpc-{}", addr.port()))
        .spawn(move || runtime.block_on(accept_loop(listener, chain, stopped)))?;
    Ok(RpcHandle {
        addr,
        stop: Some(stop),
        thread: Some(thread),
    })
}

/// Accepts connections until `stopped` fires; dropping the runtime afterwards ends the
/// connection tasks.
async fn accept_loop(
    listener: std::net::TcpListener,
    chain: Arc<Mutex<Chain>>,
    mut stopped: oneshot::Receiver<()>,
) {
    let listener = match tokio::net::TcpListener::from_std(listener) {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("devnet rpc: cannot use the listener: {e}");
            return;
        }
    };
    loop {
        tokio::select! {
            _ = &mut stopped => return,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let _ = stream.set_nodelay(true);
                let chain = chain.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |request| {
                        let chain = chain.clone();
                        async move { Ok::<_, Infallible>(answer(&chain, request).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        }
    }
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
