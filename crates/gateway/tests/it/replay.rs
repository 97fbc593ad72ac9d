//! Recorded answers of real inference servers (`recorded/`), replayed by a tiny backend in
//! chosen pieces, and edited for the variants no server here produces.

use std::sync::{Arc, Mutex};

use axum::{body::Body, extract::State, response::IntoResponse, routing::post, Json, Router};
use futures_util::StreamExt;
use serde_json::Value;

/// The bytes of a recorded answer of llama.cpp's server (llama-cpp-python 0.3.36).
pub(crate) fn recorded(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/tests/it/recorded/llama-cpp-python/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The events of an event stream (LF or CRLF), each without its blank line.
pub(crate) fn events(sse: &[u8]) -> Vec<String> {
    String::from_utf8(sse.to_vec())
        .unwrap()
        .replace("\r\n", "\n")
        .split("\n\n")
        .filter(|e| !e.trim().is_empty())
        .map(str::to_string)
        .collect()
}

/// Events joined back into a stream.
pub(crate) fn stream_of(events: &[String]) -> Vec<u8> {
    events
        .iter()
        .map(|e| format!("{e}\n\n"))
        .collect::<String>()
        .into_bytes()
}

/// The JSON chunk of a `data:` event (`None` for `[DONE]`, comments and other events).
pub(crate) fn chunk_of(event: &str) -> Option<Value> {
    let data = event.lines().find_map(|l| l.strip_prefix("data: "))?;
    serde_json::from_str(data).ok()
}

/// The `delta.content` strings of a stream's chunks, in order (empty ones included).
pub(crate) fn contents(sse: &[u8]) -> Vec<String> {
    events(sse)
        .iter()
        .filter_map(|e| chunk_of(e))
        .filter_map(|c| {
            c["choices"][0]["delta"]["content"]
                .as_str()
                .map(str::to_string)
        })
        .collect()
}

/// How the replayed bytes are cut into network reads.
#[derive(Clone, Debug)]
pub(crate) enum Pieces {
    /// All at once.
    One,
    /// `n` bytes a read.
    Every(usize),
    /// Cut at these offsets.
    At(Vec<usize>),
}

struct Replay {
    body: Vec<u8>,
    pieces: Pieces,
    /// The connection drops after the body (no orderly end).
    drop_after: bool,
    seen: Mutex<Vec<Value>>,
}

async fn answer(State(r): State<Arc<Replay>>, Json(request): Json<Value>) -> impl IntoResponse {
    r.seen.lock().unwrap().push(request);
    let body = &r.body;
    let cuts: Vec<usize> = match &r.pieces {
        Pieces::One => vec![],
        Pieces::Every(n) => (1..body.len()).filter(|i| i % n == 0).collect(),
        Pieces::At(at) => at.clone(),
    };
    let mut pieces = Vec::new();
    let mut from = 0;
    for cut in cuts.into_iter().chain([body.len()]) {
        pieces.push(Ok::<_, std::io::Error>(body[from..cut].to_vec()));
        from = cut;
    }
    if r.drop_after {
        pieces.push(Err(std::io::Error::other("the backend crashed")));
    }
    let last = pieces.len() - 1;
    // Paced before a crash, so what came before it is on the wire first.
    let drop_after = r.drop_after;
    let paced = futures_util::stream::iter(pieces.into_iter().enumerate()).then(
        move |(i, piece)| async move {
            if drop_after && i == last {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            piece
        },
    );
    // A recorded whole answer is served as what it is.
    let json = r.body.first() == Some(&b'{');
    let content_type = if json {
        "application/json"
    } else {
        "text/event-stream"
    };
    ([("content-type", content_type)], Body::from_stream(paced))
}

/// A backend replaying `body` in `pieces` to every chat request; returns its URL and the
/// requests it received.
pub(crate) async fn replay(
    body: Vec<u8>,
    pieces: Pieces,
    drop_after: bool,
) -> (String, Arc<dyn Fn() -> Vec<Value> + Send + Sync>) {
    let state = Arc::new(Replay {
        body,
        pieces,
        drop_after,
        seen: Mutex::new(Vec::new()),
    });
    let app = Router::new()
        .route("/v1/chat/completions", post(answer))
        .with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, Arc::new(move || state.seen.lock().unwrap().clone()))
}
