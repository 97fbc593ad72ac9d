//! Settlement (SPEC 6): once per inference block, fold the closed blocks' credits into the
//! cumulative table within the contract's daily cap, add the day's bootstrap shares, sign the
//! root and submit `commitEpoch`. One epoch is in flight at a time, so a refused root is simply
//! dropped and rebuilt; while the chain is down, credits queue and the next root carries them
//! all (one transaction, whatever the backlog). Unreported tickets are charged here too.

use std::{sync::atomic::Ordering::Relaxed, time::Duration};

use yellowstone_protocol::emission::in_bootstrap_window;

use super::Router;
use yellowstone_chain::submit::{EpochCall, Outcome, SentTx};
use yellowstone_market::records::EpochRecord;

impl Router {
    pub(super) async fn settle_loop(self: std::sync::Arc<Self>) {
        let mut last_block = 0;
        let mut last_prune = 0;
        loop {
            let now = self.now();
            if now >= last_prune + 3_600 {
                last_prune = now;
                let store = self.store.clone();
                match tokio::task::spawn_blocking(move || store.prune(now)).await {
                    Ok(Ok(rows)) if rows > 0 => {
                        tracing::info!(rows, "pruned expired nonces and old allowances")
                    }
                    Ok(Err(err)) => tracing::warn!(%err, "pruning the database failed"),
                    _ => {}
                }
            }
            let changes = self.state().sweep(now);
            if !changes.is_empty() {
                self.commit(changes).await;
            }
            let block = self.state().block_of(now);
            let retry = self.state().in_flight().is_some();
            if block != last_block || retry {
                last_block = block;
                self.settle_once().await;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// One settlement step: submit the epoch in flight, or build the next one and submit it.
    /// Returns the epoch the contract now holds, if this step committed one.
    pub async fn settle_once(&self) -> Option<u64> {
        if self.state().in_flight().is_none() {
            self.build().await?;
        }
        let epoch = self.state().in_flight().cloned()?;
        self.submit(epoch).await
    }

    async fn build(&self) -> Option<()> {
        let view = match self.chain.settlement_view().await {
            Ok(view) => view,
            Err(err) => {
                self.metrics.chain_errors.fetch_add(1, Relaxed);
                tracing::warn!(%err, "chain unreachable: credits wait for the next inference block");
                return None;
            }
        };
        self.chain_seen();
        self.clock.observe(view.timestamp);
        if view.paused {
            tracing::warn!("the compute contract is paused: no epoch built");
            return None;
        }
        if view.latest_epoch != self.state().committed().map_or(0, |e| e.epoch) {
            tracing::error!(
                chain = view.latest_epoch,
                ours = self.state().committed().map_or(0, |e| e.epoch),
                "the contract's latest epoch is not ours: another router key is committing; not building"
            );
            return None;
        }
        let now = self.now();
        if in_bootstrap_window(view.bootstrap_start_day, view.day) {
            // Shares still pending from earlier days come out of today's limit too.
            let pending = self.state().pending_bootstrap();
            let amount = view
                .bootstrap_limit
                .saturating_sub(view.bootstrap_today)
                .saturating_sub(pending);
            let changes = self.state().issue_bootstrap(view.day, amount, now);
            if !changes.is_empty() {
                tracing::info!(
                    day = view.day,
                    %amount,
                    providers = changes.len() - 1,
                    "bootstrap shares of the previous day's work issued"
                );
                self.commit(changes).await;
            }
        } else {
            let changes = self.state().drop_bootstrap();
            if !changes.is_empty() {
                tracing::warn!("the bootstrap window is closed: unpaid bootstrap shares dropped");
                self.commit(changes).await;
            }
        }
        let built = self
            .state()
            .build_epoch(now, view.headroom(), view.bootstrap_headroom());
        match built {
            Ok(Some((epoch, changes))) => {
                tracing::info!(
                    epoch = epoch.epoch,
                    root = %epoch.root,
                    credited = %epoch.cumulative_credited,
                    bootstrap = %epoch.cumulative_bootstrap,
                    credits = epoch.fold.len(),
                    "epoch built"
                );
                self.commit(changes).await;
                Some(())
            }
            Ok(None) => None,
            Err(err) => {
                tracing::error!(%err, "could not build the epoch");
                None
            }
        }
    }

    async fn submit(&self, epoch: EpochRecord) -> Option<u64> {
        let Ok(call) = EpochCall::from_record(&epoch) else {
            tracing::error!(epoch = epoch.epoch, "stored epoch signature is malformed");
            return None;
        };
        let prior = epoch.tx.map(|(hash, nonce, max_fee, tip)| SentTx {
            hash,
            nonce,
            max_fee_per_gas: max_fee,
            max_priority_fee_per_gas: tip,
        });
        let result = self
            .submitter
            .submit(&call, prior.as_ref(), |sent: &SentTx| self.sent(sent))
            .await;
        let number = epoch.epoch;
        match result {
            Ok(Outcome::Committed {
                tx,
                block,
                gas_used,
            }) => {
                tracing::info!(epoch = number, %tx, block, gas_used, "epoch committed");
                self.metrics.last_epoch_gas.store(gas_used, Relaxed);
                self.committed(Some((block, gas_used))).await;
                Some(number)
            }
            Ok(Outcome::AlreadyCommitted { latest }) => {
                // Ours only if the contract holds our root at that number (or has moved past it
                // on top of ours, which only this key's roots can do).
                let theirs = self.chain.settlement_view().await.ok();
                if theirs.is_some_and(|v| v.latest_epoch == number && v.latest_root != epoch.root) {
                    tracing::error!(
                        epoch = number,
                        "another root holds this epoch number on-chain: dropping ours"
                    );
                    self.metrics.epochs_rejected.fetch_add(1, Relaxed);
                    let changes = self.state().epoch_rejected();
                    self.commit(changes).await;
                    return None;
                }
                tracing::info!(epoch = number, latest, "epoch already on-chain");
                self.committed(None).await;
                Some(number)
            }
            Ok(Outcome::Rejected { error }) => {
                tracing::warn!(epoch = number, %error, "the contract refused the epoch: rebuilding it from the pending credits");
                self.metrics.epochs_rejected.fetch_add(1, Relaxed);
                let changes = self.state().epoch_rejected();
                self.commit(changes).await;
                None
            }
            Err(err) => {
                self.metrics.chain_errors.fetch_add(1, Relaxed);
                tracing::warn!(epoch = number, %err, "epoch not submitted yet: retrying next inference block");
                None
            }
        }
    }

    async fn committed(&self, mined: Option<(u64, u64)>) {
        let changes = self.state().epoch_committed(mined);
        self.metrics.epochs_committed.fetch_add(1, Relaxed);
        self.commit(changes).await;
    }

    /// Persists a sent transaction before the submitter waits for it, so a restart replaces
    /// it (same nonce) instead of sending a second one.
    fn sent(&self, sent: &SentTx) {
        let changes = self.state().epoch_sent((
            sent.hash,
            sent.nonce,
            sent.max_fee_per_gas,
            sent.max_priority_fee_per_gas,
        ));
        let writer = self.writer.clone();
        let result = tokio::task::block_in_place(|| writer.commit_blocking(changes));
        if let Err(err) = result {
            tracing::error!(%err, "database commit failed: stopping");
            std::process::exit(70);
        }
    }
}
