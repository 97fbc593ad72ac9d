//! Posting stored reports ([`crate::outbox`]) until the router has judged them or refused them
//! for good.
//!
//! A judgement, or a refusal that no retry can change (any 4xx but 408 and 429: `replayed`,
//! `expired`, `not_found`, `bad_signature`, ...), settles the report in the outbox. An
//! unreachable router, a 5xx (`busy`, `chain_unavailable`, `internal`), a 408 or 429, or an
//! answer that does not parse is retried: after [`FIRST_RETRY`], doubling up to
//! [`LAST_RETRY`], until the report is a day old ([`crate::outbox::GIVE_UP_SECONDS`]).

use std::time::Duration;

use tokio::{
    sync::mpsc,
    task::{JoinHandle, JoinSet},
};
use yellowstone_api::v1::Judged;

use crate::{
    describe,
    outbox::{unix_now, Outbox, Stored},
    router::{ClientError, RouterClient},
};

/// The wait before the first retry.
pub const FIRST_RETRY: Duration = Duration::from_secs(1);
/// The longest wait between two tries.
pub const LAST_RETRY: Duration = Duration::from_secs(60);

/// What one post of a stored report came to.
#[derive(Debug)]
pub enum Posted {
    /// The router judged it (settled).
    Judged(Judged),
    /// The router refused it for good (settled).
    Refused(ClientError),
    /// It could not be posted and waited too long (settled).
    GivenUp(ClientError),
    /// It could not be posted now; it stays in the outbox.
    Retry(ClientError),
}

/// Whether the router's refusal is final: a 4xx other than 408 (timeout) and 429 (too many
/// requests) says the report itself is wrong, or was judged already, or is too late.
pub fn is_final(error: &ClientError) -> bool {
    match error {
        ClientError::Refused { status, .. } => {
            (400..500).contains(status) && !matches!(status, 408 | 429)
        }
        ClientError::Signing(_) => true,
        ClientError::Unreachable { .. } | ClientError::Answer(_) => false,
    }
}

/// Posts `record` to `client`'s router once and, unless it is to be retried, settles it in
/// `outbox`. `now` (unix seconds) decides whether a failed post gives it up.
pub async fn post_once(
    client: &RouterClient,
    outbox: &Outbox,
    record: &Stored,
    now: u64,
) -> Posted {
    let request = record.request_id();
    let (posted, outcome) = match client
        .report(record.report.clone(), record.receipt.clone())
        .await
    {
        Ok(judged) => {
            let outcome = describe(&judged.verdict);
            (Posted::Judged(judged), outcome)
        }
        Err(e) if is_final(&e) => {
            let outcome = format!("refused for good: {e}");
            (Posted::Refused(e), outcome)
        }
        Err(e) if record.given_up(now) => {
            let outcome = format!("given up after a day: {e}");
            (Posted::GivenUp(e), outcome)
        }
        Err(e) => return Posted::Retry(e),
    };
    if let Err(e) = outbox.settle(request, &outcome).await {
        // The report is posted again on the next start; the router refuses it as replayed.
        tracing::warn!(%request, %e, "the outbox could not note a settled report");
    }
    posted
}

/// Posts `record` until it is settled, waiting between tries; logs the outcome.
pub async fn deliver(client: RouterClient, outbox: Outbox, record: Stored) {
    let request = record.request_id();
    let tokens = record.report.message.tokens;
    let mut wait = FIRST_RETRY;
    loop {
        match post_once(&client, &outbox, &record, unix_now()).await {
            Posted::Judged(j) => {
                tracing::info!(%request, tokens, "{}", describe(&j.verdict));
                return;
            }
            Posted::Refused(e) => {
                tracing::warn!(%request, %e, "the router refused the report for good");
                return;
            }
            Posted::GivenUp(e) => {
                tracing::warn!(%request, %e, "the report is given up: the router never took it");
                return;
            }
            Posted::Retry(e) => {
                tracing::warn!(%request, %e, retry_in = ?wait, "the report could not be posted; it waits in the outbox");
            }
        }
        tokio::time::sleep(wait).await;
        wait = wait.saturating_mul(2).min(LAST_RETRY);
    }
}

/// Delivers every record sent on the returned channel, each on its own task. Aborting the
/// returned task stops every delivery (what is not settled stays in the outbox).
pub fn start(
    client: RouterClient,
    outbox: Outbox,
) -> (mpsc::UnboundedSender<Stored>, JoinHandle<()>) {
    let (tx, mut rx) = mpsc::unbounded_channel::<Stored>();
    let task = tokio::spawn(async move {
        let mut deliveries = JoinSet::new();
        loop {
            tokio::select! {
                record = rx.recv() => match record {
                    Some(record) => {
                        deliveries.spawn(deliver(client.clone(), outbox.clone(), record));
                    }
                    None => break,
                },
                Some(_) = deliveries.join_next(), if !deliveries.is_empty() => {}
            }
        }
        while deliveries.join_next().await.is_some() {}
    });
    (tx, task)
}
