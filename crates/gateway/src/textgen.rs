//! textgen: a deterministic word generator behind the OpenAI chat-completions protocol, for
//! tests and demos. **It is not a language model**: the answer is a string of words drawn
//! from a fixed list by a xorshift generator seeded with a hash of the prompt, so the same
//! prompt always gets the same answer, and one word is one token.
//!
//! It serves `POST /v1/chat/completions` (streaming and not), `GET /v1/models` and
//! `GET /health`, and answers exactly `max_tokens` words (default [`DEFAULT_MAX_TOKENS`]) with
//! `finish_reason: "length"`. A delay between streamed chunks makes a slow provider; failing
//! every request after the first N makes a broken one. Everything else in Yellowstone talks to
//! it only through the OpenAI-compatible protocol, as it would to llama.cpp, vLLM or Ollama.

use std::{
    convert::Infallible,
    net::SocketAddr,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::Duration,
};

use anyhow::Context;
use axum::{
    body::{Body, Bytes},
    extract::State,
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
    Json, Router,
};
use futures_util::StreamExt;
use serde_json::{json, Value};
use tokio::net::TcpListener;
use yellowstone_api::openai::OpenAiError;

/// The model name textgen lists in `/v1/models` (it answers whatever model it is asked for).
pub const MODEL: &str = "textgen-words";
/// Completion tokens (words) when a request names no `max_tokens`.
pub const DEFAULT_MAX_TOKENS: u64 = 64;

const WORDS: [&str; 32] = [
    "amber", "basalt", "bison", "canyon", "cedar", "creek", "dawn", "elk", "ember", "falls",
    "geyser", "granite", "hollow", "juniper", "lake", "lodge", "meadow", "mist", "north",
    "obsidian", "pine", "prairie", "ridge", "river", "sage", "spring", "stone", "summit",
    "thunder", "trail", "valley", "wolf",
];

/// How to run textgen.
#[derive(Clone, Debug)]
pub struct TextgenConfig {
    /// Where to listen.
    pub listen: SocketAddr,
    /// Pause before each streamed chunk after the first (zero: as fast as possible).
    pub token_delay: Duration,
    /// Answer the first N chat requests, then fail every one with 500 (`None`: never fail).
    pub fail_after: Option<u64>,
}

/// A textgen serving on a socket.
pub struct RunningTextgen {
    /// Where it listens.
    pub addr: SocketAddr,
    requests: Arc<AtomicU64>,
    server: crate::Serving,
}

impl RunningTextgen {
    /// The base URL (an OpenAI-compatible backend URL).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Chat-completion requests received so far, answered or failed.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::SeqCst)
    }

    /// Stops listening at once.
    pub fn kill(self) {
        self.server.task.abort();
    }

    /// Serves until `shutdown` resolves (the caller owns the signals), then stops as
    /// [`RunningTextgen::shutdown`] does. An error if the server failed first.
    pub async fn serve_until(
        mut self,
        shutdown: impl std::future::Future<Output = ()>,
        drain: Duration,
    ) -> anyhow::Result<()> {
        self.server.until(shutdown).await?;
        self.shutdown(drain).await;
        Ok(())
    }

    /// Stops gracefully: no new connections; the answers in flight get up to `drain` to end,
    /// then are cut. True when nothing had to be cut.
    pub async fn shutdown(self, drain: Duration) -> bool {
        let drained = self.server.stop(tokio::time::Instant::now() + drain).await;
        if !drained {
            tracing::warn!(
                ?drain,
                "answers still in flight at the drain deadline were cut"
            );
        }
        drained
    }
}

#[derive(Clone)]
struct Shared {
    config: TextgenConfig,
    requests: Arc<AtomicU64>,
}

/// Starts textgen on `config.listen`.
pub async fn start_textgen(config: TextgenConfig) -> anyhow::Result<RunningTextgen> {
    let listener = TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("listening on {}", config.listen))?;
    let addr = listener.local_addr()?;
    let requests = Arc::new(AtomicU64::new(0));
    let app = Router::new()
        .route("/v1/chat/completions", post(chat))
        .route("/v1/models", get(models))
        .route("/health", get(|| async { Json(json!({"status": "ok"})) }))
        .with_state(Shared {
            config,
            requests: requests.clone(),
        });
    Ok(RunningTextgen {
        addr,
        requests,
        server: crate::Serving::spawn(listener, app, "textgen"),
    })
}

/// The seed of a prompt: FNV-1a (64-bit) of its bytes.
pub fn seed(prompt: &str) -> u64 {
    prompt.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The answer to `prompt`: `tokens` words, the same for the same prompt.
pub fn generate(prompt: &str, tokens: u64) -> Vec<&'static str> {
    let mut state = seed(prompt) | 1;
    (0..tokens)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            WORDS[(state % WORDS.len() as u64) as usize]
        })
        .collect()
}

/// Tokens in a text, textgen's way: one per whitespace-separated word.
pub fn count_tokens(text: &str) -> u64 {
    text.split_whitespace().count() as u64
}

/// A message's text: a string, or the text parts of a content array.
fn content_text(content: &Value) -> String {
    match content {
        Value::String(s) => s.clone(),
        Value::Array(parts) => parts
            .iter()
            .filter_map(|p| p["text"].as_str())
            .collect::<Vec<_>>()
            .join(" "),
        _ => String::new(),
    }
}

fn error(status: StatusCode, kind: &str, message: &str) -> Response {
    (status, Json(OpenAiError::new(kind, None, message))).into_response()
}

async fn models() -> Json<Value> {
    Json(json!({"object": "list", "data": [
        {"id": MODEL, "object": "model", "created": 0, "owned_by": "textgen"}
    ]}))
}

async fn chat(State(shared): State<Shared>, Json(body): Json<Value>) -> Response {
    let seen = shared.requests.fetch_add(1, Ordering::SeqCst);
    if shared.config.fail_after.is_some_and(|n| seen >= n) {
        let message = "textgen was told to fail (--fail-after)";
        return error(StatusCode::INTERNAL_SERVER_ERROR, "server_error", message);
    }
    let Some(messages) = body["messages"].as_array() else {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            "messages is required",
        );
    };
    let mut prompt = String::new();
    let mut prompt_tokens = 0;
    for m in messages {
        let text = content_text(&m["content"]);
        prompt_tokens += count_tokens(&text);
        prompt.push_str(m["role"].as_str().unwrap_or(""));
        prompt.push('\0');
        prompt.push_str(&text);
        prompt.push('\0');
    }
    let max_tokens = body["max_completion_tokens"]
        .as_u64()
        .or(body["max_tokens"].as_u64())
        .unwrap_or(DEFAULT_MAX_TOKENS);
    let words = generate(&prompt, max_tokens);
    let id = format!("textgen-{:016x}", seed(&prompt));
    let model = body["model"].as_str().unwrap_or(MODEL).to_string();
    let usage = json!({
        "prompt_tokens": prompt_tokens,
        "completion_tokens": max_tokens,
        "total_tokens": prompt_tokens + max_tokens,
    });
    let delay = shared.config.token_delay;
    if body["stream"].as_bool() != Some(true) {
        // A whole answer takes as long to generate as a streamed one.
        let generation = delay.saturating_mul(u32::try_from(words.len()).unwrap_or(u32::MAX));
        if !generation.is_zero() {
            tokio::time::sleep(generation).await;
        }
        return Json(json!({
            "id": id, "object": "chat.completion", "created": 0, "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": words.join(" ")},
                         "finish_reason": "length"}],
            "usage": usage,
        }))
        .into_response();
    }
    let chunk = |choices: Value, usage: Value| {
        let c = json!({"id": id, "object": "chat.completion.chunk", "created": 0,
                       "model": model, "choices": choices, "usage": usage});
        format!("data: {c}\n\n")
    };
    let mut frames = vec![chunk(
        json!([{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": null}]),
        Value::Null,
    )];
    for (i, word) in words.iter().enumerate() {
        let content = if i == 0 {
            word.to_string()
        } else {
            format!(" {word}")
        };
        let delta = json!([{"index": 0, "delta": {"content": content}, "finish_reason": null}]);
        frames.push(chunk(delta, Value::Null));
    }
    frames.push(chunk(
        json!([{"index": 0, "delta": {}, "finish_reason": "length"}]),
        Value::Null,
    ));
    if body["stream_options"]["include_usage"].as_bool() == Some(true) {
        frames.push(chunk(json!([]), usage));
    }
    frames.push("data: [DONE]\n\n".into());
    let stream = futures_util::stream::iter(frames.into_iter().enumerate()).then(
        move |(i, frame)| async move {
            if i > 0 && !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            Ok::<_, Infallible>(Bytes::from(frame))
        },
    );
    (
        [(header::CONTENT_TYPE, "text/event-stream")],
        Body::from_stream(stream),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_prompt_gets_the_same_words() {
        let a = generate("user\0hello there\0", 20);
        assert_eq!(a, generate("user\0hello there\0", 20));
        assert_eq!(a.len(), 20);
        assert_ne!(a, generate("user\0hello there!\0", 20));
        assert_eq!(&generate("user\0hello there\0", 5)[..], &a[..5]);
    }

    #[test]
    fn one_word_is_one_token() {
        assert_eq!(count_tokens(""), 0);
        assert_eq!(count_tokens("  one two\tthree\nfour "), 4);
        assert_eq!(count_tokens(&generate("p", 37).join(" ")), 37);
    }

    #[test]
    fn content_parts_are_read_as_text() {
        let parts = json!([{"type": "text", "text": "a b"}, {"type": "image_url"}, {"text": "c"}]);
        assert_eq!(content_text(&parts), "a b c");
        assert_eq!(content_text(&json!("x y")), "x y");
    }
}
