//! Settlement liveness (SPEC 8, "Settlement is fair and live"): what the router makes of the
//! root the contract holds when it is not the one the router last saw land.
//!
//! Every root the router signs stays valid on-chain until its deadline, so anyone holding a
//! copy may land it. The router therefore never assumes: it classifies the chain's latest
//! (epoch, root) ([`State::classify`]), adopts a root of its own that landed behind its back
//! ([`State::epoch_committed`] for the one in flight, [`State::adopt`] for an archived one,
//! reconciling the pending credits so nothing is paid twice or lost), and stops at a foreign
//! root until the operator says what to build on ([`State::rebase`], `yellowstone router
//! rebuild --foreign`).

use alloy_primitives::{Address, B256, U256};
use yellowstone_api::ApiError;

use super::{State, FOREIGN_BASE};
use crate::{
    records::{Change, EpochRecord, EpochStatus, LeafRecord},
    settle::{self, Table},
};

/// What the contract's latest (epoch, root) is to the router.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChainRoot {
    /// The root the router holds as committed (or the foreign root the operator accepted):
    /// in step.
    Committed,
    /// The root in flight: it landed (whoever sent it); commit it with
    /// [`State::epoch_committed`].
    InFlight,
    /// An epoch below the committed one: the node answering is behind. Retry later.
    Behind,
    /// No root the router holds in memory: one of its archived roots (look it up and
    /// [`State::adopt`] it), else a foreign root (stop building; the operator decides).
    Unknown,
}

/// What adopting a root changed in the pending credits.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reconciled {
    /// Work wei the adopted root paid out of the pending credits.
    pub work: U256,
    /// Bootstrap wei the adopted root paid out of the pending credits.
    pub bootstrap: U256,
    /// Per provider, (work, bootstrap) wei the adopted root carries above the previous
    /// committed table that no pending credit accounted for (none for the router's own roots
    /// unless pending bootstrap shares were dropped after the window closed).
    pub unmatched: Vec<(Address, U256, U256)>,
}

/// What accepting a foreign root as the chain's latest means for the next root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rebased {
    /// The number the next root will carry: the chain's epoch + 1.
    pub next_epoch: u64,
    /// The router's committed cumulative (work, bootstrap) totals, the floor of its next root.
    pub ours: (U256, U256),
    /// The chain's cumulative (work, bootstrap) totals.
    pub chain: (U256, U256),
    /// Whether both of the router's totals are at least the chain's: otherwise the contract
    /// refuses the next root (`CreditedDecreased`) until pending credits make up the gap.
    pub enough: bool,
}

impl State {
    /// The epoch number the next root carries: one above the committed epoch, or above the
    /// foreign root the operator accepted when that is higher.
    pub(super) fn next_epoch(&self) -> u64 {
        let committed = self.committed.as_ref().map_or(0, |e| e.epoch);
        let base = self.foreign_base.map_or(0, |b| b.0);
        committed.max(base).saturating_add(1)
    }

    /// Whether the contract's latest root is a foreign one the operator accepted
    /// ([`State::rebase`]) and no root of the router's has landed over it yet: the next root
    /// is then built even with no new credit, and even while the contract is paused, so the
    /// corrected table is ready to land.
    pub fn rebasing(&self) -> bool {
        let committed = self.committed.as_ref().map_or(0, |e| e.epoch);
        self.foreign_base.is_some_and(|b| b.0 >= committed)
    }

    /// The (epoch, root) the router holds the contract to be at: its committed root, or the
    /// accepted foreign root when that is higher; (0, zero) before any.
    pub fn chain_tip(&self) -> (u64, B256) {
        let ours = self
            .committed
            .as_ref()
            .map_or((0, B256::ZERO), |e| (e.epoch, e.root));
        match self.foreign_base {
            Some(base) if base.0 > ours.0 => base,
            _ => ours,
        }
    }

    /// Classifies the contract's latest (epoch, root), both read at one block.
    pub fn classify(&self, epoch: u64, root: B256) -> ChainRoot {
        let tip = self.chain_tip();
        if epoch == tip.0 && (epoch == 0 || root == tip.1) {
            return ChainRoot::Committed;
        }
        if self
            .in_flight
            .as_ref()
            .is_some_and(|e| e.epoch == epoch && e.root == root)
        {
            return ChainRoot::InFlight;
        }
        if epoch < tip.0 {
            return ChainRoot::Behind;
        }
        ChainRoot::Unknown
    }

    /// Adopts `epoch`, an archived root of this router's that the contract holds, with its
    /// full `table`: the root in flight (whose number is now taken) is archived, the committed
    /// table becomes `table`, and each provider's pending credits are reduced by what the
    /// adopted root adds to its committed figures, work and bootstrap apart, oldest first (the
    /// order every fold pays them in), so nothing is paid twice and nothing is lost.
    ///
    /// Refused while a root numbered above `epoch` is in flight: that root may still land, so
    /// it must expire first.
    pub fn adopt(
        &mut self,
        mut epoch: EpochRecord,
        table: Table,
    ) -> Result<(Vec<Change>, Reconciled), ApiError> {
        if let Some(flying) = self.in_flight.as_ref().filter(|f| f.epoch > epoch.epoch) {
            return Err(ApiError::invalid(format!(
                "root {} of epoch {} is in flight above the adopted epoch {}: it may still land, \
                 so it must expire first",
                flying.root, flying.epoch, epoch.epoch
            )));
        }
        let mut changes = self.archive_in_flight();
        let mut reconciled = Reconciled::default();
        let providers: std::collections::BTreeSet<Address> = table
            .keys()
            .chain(self.committed_table.keys())
            .copied()
            .collect();
        for provider in providers {
            let (e0, b0) = self
                .committed_table
                .get(&provider)
                .copied()
                .unwrap_or_default();
            let (e1, b1) = table.get(&provider).copied().unwrap_or_default();
            let (work, boot) = (e1.saturating_sub(e0), b1.saturating_sub(b0));
            let work_left = self.pay_pending(provider, false, work, &mut changes);
            let boot_left = self.pay_pending(provider, true, boot, &mut changes);
            reconciled.work = reconciled.work.saturating_add(work - work_left);
            reconciled.bootstrap = reconciled.bootstrap.saturating_add(boot - boot_left);
            if !work_left.is_zero() || !boot_left.is_zero() {
                reconciled.unmatched.push((provider, work_left, boot_left));
            }
        }
        epoch.status = EpochStatus::Committed;
        changes.push(Change::Epoch(epoch.clone()));
        // The full table at this number: the adopted root may skip numbers the leaves hold.
        for (provider, (earned, bootstrap)) in &table {
            changes.push(Change::Leaf(LeafRecord {
                provider: *provider,
                epoch: epoch.epoch,
                earned: *earned,
                bootstrap: *bootstrap,
            }));
        }
        self.committed_tree = settle::tree(&table);
        self.table = table.clone();
        self.committed_table = table;
        self.committed = Some(epoch);
        Ok((changes, reconciled))
    }

    /// Takes up to `amount` wei out of `provider`'s pending credits of one kind, oldest first;
    /// returns what no credit covered.
    fn pay_pending(
        &mut self,
        provider: Address,
        bootstrap: bool,
        amount: U256,
        changes: &mut Vec<Change>,
    ) -> U256 {
        let mut left = amount;
        let seqs: Vec<u64> = self
            .credits
            .values()
            .filter(|c| c.provider == provider && c.bootstrap == bootstrap)
            .map(|c| c.seq)
            .collect();
        for seq in seqs {
            if left.is_zero() {
                break;
            }
            let Some(credit) = self.credits.get_mut(&seq) else {
                continue;
            };
            let take = credit.amount.min(left);
            left -= take;
            credit.amount -= take;
            changes.push(Change::Credit(credit.clone()));
            if credit.amount.is_zero() {
                self.credits.remove(&seq);
            }
        }
        left
    }

    /// Accepts a foreign root, `epoch` with `root` and cumulative totals `chain`, as the
    /// contract's latest (the operator's `yellowstone router rebuild --foreign`, after the key
    /// that signed it was revoked): the next root is numbered `epoch + 1` and built, as ever,
    /// on the router's own committed table and pending credits. A root in flight at or below
    /// `epoch` can never land (its number is taken) and is archived; one above it may still
    /// land, so the rebase is refused until it expires.
    pub fn rebase(
        &mut self,
        epoch: u64,
        root: B256,
        chain: (U256, U256),
    ) -> Result<(Vec<Change>, Rebased), ApiError> {
        if let Some(flying) = self.in_flight.as_ref().filter(|f| f.epoch > epoch) {
            return Err(ApiError::invalid(format!(
                "root {} of epoch {} is in flight above the chain's epoch {epoch}: it may still \
                 land; wait for its deadline ({}) to pass",
                flying.root, flying.epoch, flying.deadline
            )));
        }
        let mut changes = self.archive_in_flight();
        self.foreign_base = Some((epoch, root));
        changes.push(Change::Meta {
            key: FOREIGN_BASE.into(),
            value: format!("{epoch}:{root}"),
        });
        let ours = settle::totals(&self.committed_table);
        Ok((
            changes,
            Rebased {
                next_epoch: epoch.saturating_add(1),
                ours,
                chain,
                enough: ours.0 >= chain.0 && ours.1 >= chain.1,
            },
        ))
    }
}

/// Reads the meta value of an accepted foreign root, `epoch:0xroot`.
pub(super) fn parse_base(value: &str) -> Option<(u64, B256)> {
    let (epoch, root) = value.split_once(':')?;
    Some((epoch.parse().ok()?, root.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_foreign_base_reads_back_as_written() {
        let root = B256::repeat_byte(7);
        assert_eq!(parse_base(&format!("12:{root}")), Some((12, root)));
        assert_eq!(parse_base(""), None);
        assert_eq!(parse_base("x:0x00"), None);
    }
}
