//! Settlement (SPEC 6, SPEC 8): once per inference block, fold the closed blocks' credits into
//! the cumulative table within the contract's daily cap, add the day's bootstrap shares, sign
//! the root with a deadline and submit `commitEpoch`. One epoch is in flight at a time; while
//! the chain is down, credits queue and the next root carries them all (one transaction,
//! whatever the backlog). Unreported tickets are charged here too.
//!
//! Liveness: each step first reads the contract at one block and brings the state in step with
//! its latest root ([`crate::rebuild::sync`]: a root of ours that landed is adopted, a foreign
//! one stops building). A root the contract refuses (a pause, a day's cap) stays in flight
//! and is retried each inference block: any copy of it may still land, so no other root is
//! signed under its number until the chain's latest block is past its deadline with the
//! number still free; then it is archived and its credits are signed anew. An unreadable
//! chain is always "retry", never "ours".

use std::{sync::atomic::Ordering::Relaxed, time::Duration};

use yellowstone_chain::SettlementView;
use yellowstone_protocol::emission::in_bootstrap_window;

use super::Router;
use crate::rebuild::{foreign_advice, Synced};
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
            // A root the contract refused is retried once per inference block, not at once.
            let retry =
                self.state().in_flight().is_some() && self.refused_in.load(Relaxed) != block;
            if block != last_block || retry {
                last_block = block;
                self.settle_once().await;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// One settlement step: read the contract, get in step with its latest root, archive the
    /// root in flight if it can never land, then submit the epoch in flight or build the next
    /// one and submit it. Returns the epoch the contract now holds, if this step committed or
    /// adopted one.
    pub async fn settle_once(&self) -> Option<u64> {
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
        let landed = self.sync(&view).await?;
        let expired = self
            .state()
            .epoch_expired(view.timestamp, view.latest_epoch);
        if let Some(yellowstone_market::records::Change::ArchiveEpoch { epoch, .. }) =
            expired.first()
        {
            tracing::warn!(
                epoch = epoch.epoch,
                root = %epoch.root,
                deadline = epoch.deadline,
                chain_time = view.timestamp,
                "the root in flight is past its deadline on-chain and can never land: archived; its credits are signed anew"
            );
            self.metrics.epochs_expired.fetch_add(1, Relaxed);
            self.commit(expired).await;
        }
        if self.state().in_flight().is_none() && !self.build(&view).await {
            return landed;
        }
        let epoch = self.state().in_flight().cloned()?;
        self.submit(epoch).await.or(landed)
    }

    /// Brings the state in step with the contract's latest root (see [`crate::rebuild::sync`]).
    /// `None`: do not build or submit now (the node is behind, the root is foreign, or the
    /// archive could not be read); `Some(n)`: in step, `n` the epoch this adopted, if any.
    async fn sync(&self, view: &SettlementView) -> Option<Option<u64>> {
        let synced = {
            let mut state = self.state();
            crate::rebuild::sync(&mut state, &self.store, view.latest_epoch, view.latest_root)
        };
        let (synced, changes) = match synced {
            Ok(done) => done,
            Err(err) => {
                tracing::warn!(%err, "reading the archive of signed roots failed: retrying");
                return None;
            }
        };
        self.metrics
            .foreign_root
            .store(u64::from(matches!(synced, Synced::Foreign { .. })), Relaxed);
        if matches!(
            synced,
            Synced::Behind(_) | Synced::Foreign { .. } | Synced::Wait(_)
        ) {
            // Not at once again: at the next inference block.
            let block = self.state().block_of(self.now());
            self.refused_in.store(block, Relaxed);
        }
        match synced {
            Synced::InStep => Some(None),
            Synced::Landed(n) => {
                tracing::info!(epoch = n, root = %view.latest_root, "the root in flight is on-chain (someone else sent it): committed");
                self.metrics.epochs_committed.fetch_add(1, Relaxed);
                self.commit(changes).await;
                Some(Some(n))
            }
            Synced::Adopted {
                epoch,
                root,
                reconciled,
            } => {
                tracing::warn!(
                    epoch,
                    %root,
                    work = %reconciled.work,
                    bootstrap = %reconciled.bootstrap,
                    unmatched = reconciled.unmatched.len(),
                    "the contract holds an archived root of this router's: adopted, pending credits reconciled"
                );
                self.metrics.epochs_adopted.fetch_add(1, Relaxed);
                self.commit(changes).await;
                Some(Some(epoch))
            }
            Synced::Behind(n) => {
                tracing::warn!(
                    chain = n,
                    "the node reports an epoch below ours: it is behind; retrying"
                );
                None
            }
            Synced::Foreign { epoch, root } => {
                tracing::error!(epoch, %root, "{}", foreign_advice(epoch, root));
                None
            }
            Synced::Wait(why) => {
                tracing::warn!(
                    "an archived root of ours is on-chain but cannot be adopted yet: {why}"
                );
                None
            }
        }
    }

    /// Builds the next epoch from the view, if anything is due. True when one was built.
    async fn build(&self, view: &SettlementView) -> bool {
        if view.paused && !self.state().rebasing() {
            tracing::warn!("the compute contract is paused: no epoch built");
            return false;
        }
        let now = self.now().max(view.timestamp);
        if in_bootstrap_window(view.bootstrap_start_day, view.day) {
            // Shares still pending from earlier days come out of today's limit too.
            let pending = self.state().pending_bootstrap();
            let amount = view
                .bootstrap_limit
                .saturating_sub(view.bootstrap_today)
                .saturating_sub(pending);
            let changes = self.state().issue_bootstrap(view.day, amount, now);
            if !changes.is_empty() {
                // The first change marks the day issued; the rest are the shares.
                let providers = changes.len() - 1;
                if providers > 0 {
                    tracing::info!(
                        day = view.day,
                        %amount,
                        providers,
                        "bootstrap shares of the previous day's work issued"
                    );
                } else {
                    tracing::debug!(
                        day = view.day,
                        "no work the previous day: no bootstrap shares"
                    );
                }
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
                    deadline = epoch.deadline,
                    credits = epoch.fold.len(),
                    "epoch built"
                );
                self.commit(changes).await;
                true
            }
            Ok(None) => false,
            Err(err) => {
                tracing::error!(%err, "could not build the epoch");
                false
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
                // Which root holds the number? Only the contract knows: read it, and take an
                // unreadable chain as "retry", never as "ours".
                tracing::info!(
                    epoch = number,
                    latest,
                    "the epoch number is taken on-chain: checking by which root"
                );
                let view = match self.chain.settlement_view().await {
                    Ok(view) => view,
                    Err(err) => {
                        self.metrics.chain_errors.fetch_add(1, Relaxed);
                        tracing::warn!(epoch = number, %err, "could not read which root holds the epoch: retrying");
                        return None;
                    }
                };
                self.sync(&view).await.flatten()
            }
            Ok(Outcome::Rejected { error }) => {
                tracing::warn!(epoch = number, %error, deadline = epoch.deadline, "the contract refused the epoch: it stays in flight and is retried each inference block until its deadline passes on-chain");
                self.metrics.epochs_rejected.fetch_add(1, Relaxed);
                self.refused_in
                    .store(self.state().block_of(self.now()), Relaxed);
                None
            }
            Ok(Outcome::Retry { reason }) => {
                tracing::warn!(epoch = number, %reason, "the epoch's transaction reverted, yet the root is still committable: sending it again");
                self.refused_in
                    .store(self.state().block_of(self.now()), Relaxed);
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
