//! # yellowstone-client
//!
//! The user's side of the market (SPEC section 4, steps 2, 7 and 9): sign an RFC, take the
//! ticket to the provider, send the prompt straight there, count the answer, sign a report.
//! The router never sees a prompt or an answer.
//!
//! | module | what it does |
//! |---|---|
//! | [`router`] | a typed async client of the router's API ([`RouterClient`]) |
//! | [`exchange`] | one request: RFC and ticket, the provider call, the tally, the report |
//! | [`assemble`] | a whole answer asked as a stream and put together, so its first token is timed |
//! | [`failure`] | how a provider call fails: status, code and a message naming the fault |
//! | [`outbox`] | signed reports on disk until the router has judged them |
//! | [`postman`] | posting stored reports, retried until judged or refused for good |
//! | [`chat`] | `yellowstone user chat`: one prompt, the answer streamed |
//! | [`proxy`] | `yellowstone user proxy`: a local OpenAI-compatible endpoint |
//! | [`sse`] | reading server-sent events |

pub mod assemble;
pub mod chat;
pub mod exchange;
pub mod failure;
pub mod outbox;
pub mod postman;
pub mod proxy;
pub mod router;
pub mod sse;

pub use router::{ClientError, RouterClient};

use yellowstone_api::Verdict;

/// A verdict in words: `credited 12 tokens (120 wei)` or `refused: failed`.
pub fn describe(verdict: &Verdict) -> String {
    match verdict {
        Verdict::Credited { tokens, wei, .. } => format!("credited {tokens} tokens ({wei} wei)"),
        Verdict::Refused { reason } => match serde_json::to_value(reason) {
            Ok(v) => match v["reason"].as_str() {
                Some("too_slow") => format!("refused: too slow ({v})"),
                Some(r) => format!("refused: {r}"),
                None => format!("refused: {v}"),
            },
            Err(_) => format!("refused: {reason:?}"),
        },
    }
}
