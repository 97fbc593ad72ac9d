//! The demo's users: many at once, each chatting through the router's and the gateways' real
//! HTTP paths; what the router judged is tallied per provider.

use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex, PoisonError},
};

use alloy_primitives::{Address, U256};
use alloy_signer_local::PrivateKeySigner;
use tokio::task::JoinSet;

use yellowstone_client::router::RouterClient;

use yellowstone_market::judge::{Refusal, Verdict};

use yellowstone_gateway::textgen::MODEL;

use yellowstone_client::{
    chat::{chat, ChatRequest},
    exchange::DEFAULT_STALL_TIMEOUT,
};

/// What the router judged for one provider's answers.
#[derive(Clone, Debug, Default)]
pub struct Served {
    /// Requests the router sent it.
    pub requests: u64,
    /// Tokens credited.
    pub tokens: u64,
    /// Wei credited.
    pub credited: U256,
    /// Reports refused (failed, too slow, ...).
    pub refused: u64,
    /// Of those, refused as too slow.
    pub too_slow: u64,
}

/// Everything the users saw.
#[derive(Clone, Debug, Default)]
pub struct Tally {
    /// Requests finished, whatever the outcome.
    pub done: u64,
    /// Per provider.
    pub providers: BTreeMap<Address, Served>,
    /// Requests the router refused before a ticket, or whose report was not accepted.
    pub errors: Vec<String>,
    /// Whether the one report of a failed answer was refused as failed.
    pub failed_refused: bool,
}

impl Tally {
    /// Wei credited to every provider.
    pub fn credited(&self) -> U256 {
        self.providers.values().map(|s| s.credited).sum()
    }

    fn record(
        &mut self,
        fail: bool,
        outcome: Result<yellowstone_client::chat::ChatOutcome, String>,
    ) {
        self.done += 1;
        let outcome = match outcome {
            Ok(o) => o,
            Err(e) => return self.errors.push(e),
        };
        let served = self.providers.entry(outcome.provider).or_default();
        served.requests += 1;
        match outcome.verdict {
            Some(Verdict::Credited { tokens, wei, .. }) => {
                served.tokens += tokens;
                served.credited += wei;
            }
            Some(Verdict::Refused { reason }) => {
                served.refused += 1;
                served.too_slow += u64::from(matches!(reason, Refusal::TooSlow { .. }));
                self.failed_refused |= fail && reason == Refusal::Failed;
            }
            None => self.errors.push(
                outcome
                    .report_error
                    .unwrap_or_else(|| "the report was not judged".into()),
            ),
        }
    }
}

/// A shared tally, read while the users run.
pub type SharedTally = Arc<Mutex<Tally>>;

/// Reads the tally (a poisoned lock still holds good counts).
pub fn snapshot(tally: &SharedTally) -> Tally {
    tally.lock().unwrap_or_else(PoisonError::into_inner).clone()
}

/// The `index`th request: 48 tokens, every other one streamed, the first reported as failed.
/// One length for all: the credit rule compares milliseconds per token including the time to
/// the first token, so short answers would look slow beside long ones.
fn request(index: u64) -> ChatRequest {
    ChatRequest {
        model: MODEL.into(),
        prompt: format!("demo request {index}: tell me about the compute market"),
        max_tokens: 48,
        stream: index.is_multiple_of(2),
        fail: index == 0,
        stall_timeout: DEFAULT_STALL_TIMEOUT,
    }
}

/// Starts one task per user; together they send `requests` prompts (request `i` from user
/// `i % users`), each user one at a time.
pub fn spawn(
    client: &RouterClient,
    users: Vec<PrivateKeySigner>,
    requests: u64,
    tally: &SharedTally,
) -> JoinSet<()> {
    let mut tasks = JoinSet::new();
    let count = users.len() as u64;
    for (n, key) in (0u64..).zip(users) {
        let (client, tally) = (client.clone(), tally.clone());
        tasks.spawn(async move {
            for index in (n..requests).step_by(count as usize) {
                let request = request(index);
                let outcome = chat(&client, &key, &request)
                    .await
                    .map_err(|e| e.to_string());
                let mut tally = tally.lock().unwrap_or_else(PoisonError::into_inner);
                tally.record(request.fail, outcome);
            }
        });
    }
    tasks
}
