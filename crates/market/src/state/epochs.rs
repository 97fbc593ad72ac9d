//! Settlement (SPEC 6): the day's bootstrap shares issued, pending credits folded into an epoch
//! root within the contract's headroom, the root's life on the chain (sent, committed, or
//! expired and archived), and each provider's leaf and proof for `claim`. What the router does
//! when the chain holds a root it did not see land is in `liveness`.

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::SolStruct;
use yellowstone_api::ApiError;
use yellowstone_protocol::eip712::types::EpochRoot;

use super::{State, BOOTSTRAP_DAY};
use crate::{
    bootstrap,
    records::{Change, CreditRecord, EpochRecord, EpochStatus, LeafRecord},
    settle::{self, Pending},
};

impl State {
    /// Issues the bootstrap shares paid on `day` (SPEC 6): `amount` shared pro rata among the
    /// top providers by the previous day's credited work. **Decision**: shares are paid on the
    /// day after the work, so every payment falls on a day the contract's window accepts and
    /// ranks a complete day. Returns nothing when already issued for `day`.
    pub fn issue_bootstrap(&mut self, day: u64, amount: U256, now: u64) -> Vec<Change> {
        if day <= self.bootstrap_day {
            return Vec::new();
        }
        self.bootstrap_day = day;
        let mut changes = vec![Change::Meta {
            key: BOOTSTRAP_DAY.into(),
            value: day.to_string(),
        }];
        let work: Vec<(Address, U256)> = self
            .work
            .iter()
            .filter(|((d, _), _)| *d + 1 == day)
            .map(|((_, p), (wei, _))| (*p, *wei))
            .collect();
        for (provider, share) in bootstrap::shares(&work, amount, self.rules.bootstrap_top) {
            let seq = self.next_seq;
            self.next_seq += 1;
            let credit = CreditRecord {
                seq,
                provider,
                amount: share,
                bootstrap: true,
                block: self.block_of(now),
            };
            self.credits.insert(seq, credit.clone());
            changes.push(Change::Credit(credit));
        }
        changes
    }

    /// Bootstrap shares issued and not yet in a committed root.
    pub fn pending_bootstrap(&self) -> U256 {
        self.credits
            .values()
            .filter(|c| c.bootstrap)
            .fold(U256::ZERO, |acc, c| acc.saturating_add(c.amount))
    }

    /// Drops pending bootstrap shares: the contract refuses bootstrap credit once the window
    /// has closed, so they can never be paid. Not while an epoch carrying some is in flight.
    pub fn drop_bootstrap(&mut self) -> Vec<Change> {
        if self.in_flight.is_some() {
            return Vec::new();
        }
        let dropped: Vec<u64> = self
            .credits
            .values()
            .filter(|c| c.bootstrap)
            .map(|c| c.seq)
            .collect();
        dropped
            .into_iter()
            .filter_map(|seq| self.credits.remove(&seq))
            .map(|mut c| {
                c.amount = U256::ZERO;
                Change::Credit(c)
            })
            .collect()
    }

    /// The last day whose bootstrap shares were issued.
    pub fn bootstrap_day(&self) -> u64 {
        self.bootstrap_day
    }

    /// Builds and signs the next epoch root from the credits of every closed inference block,
    /// within `headroom` (the contract's daily cap and funding left) and `bootstrap_headroom`,
    /// shared pro rata across providers when short ([`settle::fold`], SPEC 8); what does not
    /// fit stays pending, under its seq, for the next epoch (SPEC 6). The root's deadline is
    /// `now` (the router's clock, which follows the chain's) plus
    /// [`Rules::epoch_deadline_seconds`](super::Rules::epoch_deadline_seconds). `None` when an
    /// epoch is already in flight or nothing new is due (unless the chain holds a foreign root
    /// the operator rebased on: then the router's own table is signed even with nothing new).
    pub fn build_epoch(
        &mut self,
        now: u64,
        headroom: U256,
        bootstrap_headroom: U256,
    ) -> Result<Option<(EpochRecord, Vec<Change>)>, ApiError> {
        if self.in_flight.is_some() {
            return Ok(None);
        }
        let block = self.block_of(now);
        let pending: Vec<Pending> = self
            .credits
            .values()
            .filter(|c| c.block < block && !c.amount.is_zero())
            .map(|c| Pending {
                seq: c.seq,
                provider: c.provider,
                amount: c.amount,
                bootstrap: c.bootstrap,
            })
            .collect();
        let fold = settle::fold(&pending, headroom, bootstrap_headroom);
        // Over a foreign root the router's own table must land even with nothing new.
        if fold.taken.is_empty() && !self.rebasing() {
            return Ok(None);
        }
        let table = settle::apply(&self.committed_table, &pending, &fold);
        let tree = settle::tree(&table).ok_or_else(|| ApiError::internal("empty epoch table"))?;
        let (credited, bootstrap) = settle::totals(&table);
        let epoch = self.next_epoch();
        let deadline = now.saturating_add(self.rules.epoch_deadline_seconds);
        let message = EpochRoot {
            epoch,
            root: tree.root(),
            cumulativeCredited: credited,
            cumulativeBootstrap: bootstrap,
            deadline,
        };
        let signature = self.sign(message.eip712_signing_hash(&self.domain))?;
        let record = EpochRecord {
            epoch,
            root: tree.root(),
            cumulative_credited: credited,
            cumulative_bootstrap: bootstrap,
            deadline,
            signature,
            up_to_block: block,
            built_at: now,
            fold: fold.taken.clone(),
            status: EpochStatus::Built,
            // An expired root's transaction, if one may still be pending: replaced, not queued
            // behind.
            tx: self.expired_tx.take(),
            mined: None,
        };
        let mut changes = vec![Change::Epoch(record.clone())];
        for (provider, figures) in &table {
            if self.committed_table.get(provider) != Some(figures) {
                changes.push(Change::Leaf(LeafRecord {
                    provider: *provider,
                    epoch,
                    earned: figures.0,
                    bootstrap: figures.1,
                }));
            }
        }
        self.table = table;
        self.in_flight = Some(record.clone());
        Ok(Some((record, changes)))
    }

    /// The epoch waiting for the chain, if any.
    pub fn in_flight(&self) -> Option<&EpochRecord> {
        self.in_flight.as_ref()
    }

    /// The latest epoch the contract holds.
    pub fn committed(&self) -> Option<&EpochRecord> {
        self.committed.as_ref()
    }

    /// A transaction carrying the in-flight epoch was sent.
    pub fn epoch_sent(&mut self, tx: (B256, u64, u128, u128)) -> Vec<Change> {
        match self.in_flight.as_mut() {
            Some(e) => {
                e.status = EpochStatus::Sent;
                e.tx = Some(tx);
                vec![Change::Epoch(e.clone())]
            }
            None => Vec::new(),
        }
    }

    /// The contract holds the in-flight epoch: its credits are paid out of the pending queue.
    pub fn epoch_committed(&mut self, mined: Option<(u64, u64)>) -> Vec<Change> {
        let Some(mut epoch) = self.in_flight.take() else {
            return Vec::new();
        };
        epoch.status = EpochStatus::Committed;
        if mined.is_some() {
            epoch.mined = mined;
        }
        let mut changes = vec![Change::Epoch(epoch.clone())];
        for (seq, taken) in &epoch.fold {
            if let Some(c) = self.credits.get_mut(seq) {
                c.amount = c.amount.saturating_sub(*taken);
                changes.push(Change::Credit(c.clone()));
                if c.amount.is_zero() {
                    self.credits.remove(seq);
                }
            }
        }
        self.committed_table = self.table.clone();
        self.committed_tree = settle::tree(&self.committed_table);
        self.committed = Some(epoch);
        changes
    }

    /// The in-flight root can never land: the chain's latest block, at `chain_time`, is past
    /// its deadline while the contract's latest epoch, `chain_epoch`, is below its number
    /// (both read at that one block). Then, and only then, it is archived with its table (never
    /// deleted), its credits stay pending, and the next build signs a new root under the same
    /// number with a fresh deadline (SPEC 8). Nothing changes otherwise: a refused root stays in
    /// flight and is retried until its deadline has passed on-chain, since any copy of it could
    /// still land.
    pub fn epoch_expired(&mut self, chain_time: u64, chain_epoch: u64) -> Vec<Change> {
        match &self.in_flight {
            Some(e) if chain_time > e.deadline && chain_epoch < e.epoch => {
                self.expired_tx = e.tx;
                self.archive_in_flight()
            }
            _ => Vec::new(),
        }
    }

    /// Archives the in-flight root (see [`Change::ArchiveEpoch`]) and starts the next build
    /// from the committed table again.
    pub(super) fn archive_in_flight(&mut self) -> Vec<Change> {
        let Some(epoch) = self.in_flight.take() else {
            return Vec::new();
        };
        let table = std::mem::replace(&mut self.table, self.committed_table.clone());
        let table = table
            .into_iter()
            .map(|(provider, (earned, bootstrap))| LeafRecord {
                provider,
                epoch: epoch.epoch,
                earned,
                bootstrap,
            })
            .collect();
        vec![Change::ArchiveEpoch { epoch, table }]
    }

    /// A provider's leaf in the latest committed epoch and its proof: what `claim` takes.
    pub fn proof(&self, provider: Address) -> Option<(&EpochRecord, U256, U256, Vec<B256>)> {
        // Borrowed, not cloned: the record carries the fold of every credit it settled.
        let epoch = self.committed.as_ref()?;
        let (earned, bootstrap) = *self.committed_table.get(&provider)?;
        let leaf = yellowstone_protocol::merkle::leaf_hash(provider, earned, bootstrap);
        let proof = self.committed_tree.as_ref()?.proof(leaf)?;
        Some((epoch, earned, bootstrap, proof))
    }

    /// Wei credited but not yet in a committed root, and the number of such credits.
    pub fn pending_credit(&self) -> (U256, usize) {
        let total = self
            .credits
            .values()
            .fold(U256::ZERO, |acc, c| acc.saturating_add(c.amount));
        (total, self.credits.len())
    }

    /// A provider's pending (uncommitted) credit.
    pub fn pending_of(&self, provider: Address) -> U256 {
        self.credits
            .values()
            .filter(|c| c.provider == provider)
            .fold(U256::ZERO, |acc, c| acc.saturating_add(c.amount))
    }

    /// A provider's cumulative (earned, bootstrap) in the latest committed root.
    pub fn committed_leaf(&self, provider: Address) -> Option<(U256, U256)> {
        self.committed_table.get(&provider).copied()
    }
}
