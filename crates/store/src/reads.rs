//! Reads by key that are not worth keeping in memory: a request's ticket, report or receipt,
//! an epoch, the table at any epoch, a user's latest allowance, a day's work. All go through
//! the read connection, so they see the last commit and never wait for one in progress.

use alloy_primitives::{Address, B256, U256};
use rusqlite::{params, Connection};

use yellowstone_market::records::{
    AllowanceRecord, EpochRecord, LeafRecord, ReceiptRecord, ReportRecord, TicketRecord,
};

use crate::codec::{
    allowance_from, cmp, epoch_from, int, leaf_from, receipt_from, report_from, ticket_from,
};
use crate::cols::Cols;
use crate::error::StoreError;
use crate::sql::{query, ALLOWANCE_COLS, EPOCH_COLS, RECEIPT_COLS, REPORT_COLS, TICKET_COLS};
use crate::Store;

/// An epoch's columns with an empty `fold`, for summaries.
const SUMMARY_COLS: &str = "epoch, root, cumulative_credited, cumulative_bootstrap, signature, \
    up_to_block, built_at, '[]' AS fold, status, tx_hash, tx_nonce, tx_max_fee, tx_priority_fee, \
    mined_block, mined_gas, deadline";

impl Store {
    /// The ticket of a request.
    pub fn ticket(&self, request_id: B256) -> Result<Option<TicketRecord>, StoreError> {
        let conn = self.reader();
        let sql_text = format!("SELECT {TICKET_COLS} FROM tickets WHERE request_id = ?1");
        Ok(query(
            &conn,
            "tickets",
            &sql_text,
            [request_id.as_slice()],
            ticket_from,
        )?
        .pop())
    }

    /// The report of a request.
    pub fn report(&self, request_id: B256) -> Result<Option<ReportRecord>, StoreError> {
        let conn = self.reader();
        let sql_text = format!("SELECT {REPORT_COLS} FROM reports WHERE request_id = ?1");
        Ok(query(
            &conn,
            "reports",
            &sql_text,
            [request_id.as_slice()],
            report_from,
        )?
        .pop())
    }

    /// The receipt of a request.
    pub fn receipt(&self, request_id: B256) -> Result<Option<ReceiptRecord>, StoreError> {
        let conn = self.reader();
        let sql_text = format!("SELECT {RECEIPT_COLS} FROM receipts WHERE request_id = ?1");
        Ok(query(
            &conn,
            "receipts",
            &sql_text,
            [request_id.as_slice()],
            receipt_from,
        )?
        .pop())
    }

    /// An epoch by number.
    pub fn epoch(&self, epoch: u64) -> Result<Option<EpochRecord>, StoreError> {
        let conn = self.reader();
        let sql_text = format!("SELECT {EPOCH_COLS} FROM epochs WHERE epoch = ?1");
        Ok(query(&conn, "epochs", &sql_text, [int(epoch)], epoch_from)?.pop())
    }

    /// An archived root (one the router signed that can never land, or that was replaced) by
    /// (epoch, root), with its full table sorted by provider: what adopting it takes.
    pub fn archived(
        &self,
        epoch: u64,
        root: B256,
    ) -> Result<Option<(EpochRecord, Vec<LeafRecord>)>, StoreError> {
        let mut conn = self.reader();
        let tx = conn
            .transaction()
            .map_err(crate::error::sqlite("beginning a read transaction"))?;
        let key = params![int(epoch), root.as_slice()];
        let sql_text =
            format!("SELECT {EPOCH_COLS} FROM archived_epochs WHERE epoch = ?1 AND root = ?2");
        let Some(record) = query(&tx, "archived_epochs", &sql_text, key, epoch_from)?.pop() else {
            return Ok(None);
        };
        let leaves = query(
            &tx,
            "archived_leaves",
            "SELECT provider, epoch, earned, bootstrap FROM archived_leaves \
             WHERE epoch = ?1 AND root = ?2 ORDER BY provider",
            key,
            |row| leaf_from(row, "epoch"),
        )?;
        Ok(Some((record, leaves)))
    }

    /// Every archived root, by epoch then root.
    pub fn archived_epochs(&self) -> Result<Vec<EpochRecord>, StoreError> {
        let conn = self.reader();
        let sql_text = format!("SELECT {EPOCH_COLS} FROM archived_epochs ORDER BY epoch, root");
        query(&conn, "archived_epochs", &sql_text, [], epoch_from)
    }

    /// At most `limit` epochs numbered above `after`, newest first, without their `fold`
    /// (left empty: a busy block folds thousands of credits, and a summary needs none).
    pub fn epochs_after(&self, after: u64, limit: usize) -> Result<Vec<EpochRecord>, StoreError> {
        let conn = self.reader();
        let sql_text = format!(
            "SELECT {SUMMARY_COLS} FROM epochs WHERE epoch > ?1 ORDER BY epoch DESC LIMIT ?2"
        );
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        query(
            &conn,
            "epochs",
            &sql_text,
            params![cmp(after), limit],
            epoch_from,
        )
    }

    /// The last epoch built before `time` (unix seconds), without its `fold`. Epochs are built
    /// in order, so the walk down the numbers stops at the day's first.
    pub fn epoch_built_before(&self, time: u64) -> Result<Option<EpochRecord>, StoreError> {
        let conn = self.reader();
        let sql_text = format!(
            "SELECT {SUMMARY_COLS} FROM epochs WHERE built_at < ?1 ORDER BY epoch DESC LIMIT 1"
        );
        Ok(query(&conn, "epochs", &sql_text, [cmp(time)], epoch_from)?.pop())
    }

    /// The committed epoch with the greatest number.
    pub fn latest_committed_epoch(&self) -> Result<Option<EpochRecord>, StoreError> {
        latest_committed(&self.reader())
    }

    /// The full table as of `epoch`: for every provider, its leaf with the greatest epoch <=
    /// `epoch` (one SQL query), sorted by provider.
    pub fn table_at(&self, epoch: u64) -> Result<Vec<LeafRecord>, StoreError> {
        table_at(&self.reader(), epoch)
    }

    /// One provider's leaf as of `epoch` (greatest epoch <= `epoch`).
    pub fn leaf_at(&self, provider: Address, epoch: u64) -> Result<Option<LeafRecord>, StoreError> {
        let conn = self.reader();
        Ok(query(
            &conn,
            "leaves",
            "SELECT provider, epoch, earned, bootstrap FROM leaves \
             WHERE provider = ?1 AND epoch BETWEEN 0 AND ?2 ORDER BY epoch DESC LIMIT 1",
            params![provider.as_slice(), cmp(epoch)],
            |row| leaf_from(row, "epoch"),
        )?
        .pop())
    }

    /// The user's most recent allowance record of any day (fallback balance when the chain is
    /// unreachable).
    pub fn latest_allowance(&self, user: Address) -> Result<Option<AllowanceRecord>, StoreError> {
        let conn = self.reader();
        let sql_text = format!(
            "SELECT {ALLOWANCE_COLS} FROM allowances WHERE user = ?1 ORDER BY day DESC LIMIT 1"
        );
        Ok(query(
            &conn,
            "allowances",
            &sql_text,
            [user.as_slice()],
            allowance_from,
        )?
        .pop())
    }

    /// Total (wei, tokens) credited on a day, over all providers (the reference price's
    /// volume-weighted average). Saturates at the type maxima.
    pub fn day_volume(&self, day: u64) -> Result<(U256, u64), StoreError> {
        let conn = self.reader();
        let rows = query(
            &conn,
            "work",
            "SELECT wei, tokens FROM work WHERE day = ?1",
            [int(day)],
            |row| {
                let r = Cols::new(row, "work");
                Ok((r.u256("wei")?, r.u64("tokens")?))
            },
        )?;
        Ok(rows
            .into_iter()
            .fold((U256::ZERO, 0u64), |(wei, tokens), (w, t)| {
                (wei.saturating_add(w), tokens.saturating_add(t))
            }))
    }

    /// Work per provider on a day: (provider, wei), sorted by provider.
    pub fn day_work(&self, day: u64) -> Result<Vec<(Address, U256)>, StoreError> {
        let conn = self.reader();
        query(
            &conn,
            "work",
            "SELECT provider, wei FROM work WHERE day = ?1 ORDER BY provider",
            [int(day)],
            |row| {
                let r = Cols::new(row, "work");
                Ok((r.address("provider")?, r.u256("wei")?))
            },
        )
    }
}

/// The latest committed epoch.
pub(crate) fn latest_committed(conn: &Connection) -> Result<Option<EpochRecord>, StoreError> {
    let sql_text = format!(
        "SELECT {EPOCH_COLS} FROM epochs WHERE status = 'committed' ORDER BY epoch DESC LIMIT 1"
    );
    Ok(query(conn, "epochs", &sql_text, [], epoch_from)?.pop())
}

/// For every provider, its leaf with the greatest epoch <= `epoch`, sorted by provider. (SQLite
/// takes the bare columns of a `max()` aggregate from the row holding the maximum.)
pub(crate) fn table_at(conn: &Connection, epoch: u64) -> Result<Vec<LeafRecord>, StoreError> {
    query(
        conn,
        "leaves",
        "SELECT provider, max(epoch) AS max_epoch, earned, bootstrap FROM leaves \
         WHERE epoch BETWEEN 0 AND ?1 GROUP BY provider ORDER BY provider",
        [cmp(epoch)],
        |row| leaf_from(row, "max_epoch"),
    )
}

#[cfg(test)]
mod tests {
    use yellowstone_market::records::Change;

    use yellowstone_market::records::EpochStatus;

    use crate::test_support::{addr, epoch, leaf};
    use crate::Store;

    #[test]
    fn summaries_walk_down_from_the_latest_epoch_without_the_fold() {
        let store = Store::open_in_memory().unwrap();
        let stored: Vec<_> = (1..=5)
            .map(|n| {
                let status = if n == 5 {
                    EpochStatus::Sent
                } else {
                    EpochStatus::Committed
                };
                epoch(n, status)
            })
            .collect();
        let changes: Vec<Change> = stored.iter().cloned().map(Change::Epoch).collect();
        store.apply(&changes).unwrap();
        let summary = |n: usize| yellowstone_market::records::EpochRecord {
            fold: Vec::new(),
            ..stored[n - 1].clone()
        };
        assert_eq!(
            store.epochs_after(0, 2).unwrap(),
            vec![summary(5), summary(4)]
        );
        assert_eq!(
            store.epochs_after(3, 10).unwrap(),
            vec![summary(5), summary(4)]
        );
        assert!(store.epochs_after(5, 10).unwrap().is_empty());
        assert!(store.epochs_after(0, 0).unwrap().is_empty());
        // Epoch n was built at 1_700_000_000 + n.
        let before = |t: u64| store.epoch_built_before(t).unwrap().map(|e| e.epoch);
        assert_eq!(before(1_700_000_001), None);
        assert_eq!(before(1_700_000_002), Some(1));
        assert_eq!(before(1_700_000_004), Some(3));
        assert_eq!(before(u64::MAX), Some(5));
        assert_eq!(
            store.epoch_built_before(1_700_000_003).unwrap(),
            Some(summary(2))
        );
    }

    #[test]
    fn table_at_picks_the_latest_leaf_at_or_before_the_epoch() {
        let store = Store::open_in_memory().unwrap();
        store
            .apply(&[
                Change::Leaf(leaf(1, 1, 10)),
                Change::Leaf(leaf(2, 1, 20)),
                Change::Leaf(leaf(1, 3, 11)),
                Change::Leaf(leaf(3, 3, 30)),
                Change::Leaf(leaf(2, 7, 21)),
                Change::Leaf(leaf(3, 7, 31)),
                Change::Leaf(leaf(4, 7, 40)),
            ])
            .unwrap();
        assert!(store.table_at(0).unwrap().is_empty());
        assert_eq!(
            store.table_at(1).unwrap(),
            vec![leaf(1, 1, 10), leaf(2, 1, 20)]
        );
        assert_eq!(
            store.table_at(2).unwrap(),
            vec![leaf(1, 1, 10), leaf(2, 1, 20)]
        );
        let at3 = vec![leaf(1, 3, 11), leaf(2, 1, 20), leaf(3, 3, 30)];
        assert_eq!(store.table_at(3).unwrap(), at3);
        assert_eq!(store.table_at(6).unwrap(), at3);
        let at7 = vec![
            leaf(1, 3, 11),
            leaf(2, 7, 21),
            leaf(3, 7, 31),
            leaf(4, 7, 40),
        ];
        assert_eq!(store.table_at(7).unwrap(), at7);
        assert_eq!(store.table_at(u64::MAX).unwrap(), at7);
        assert_eq!(store.leaf_at(addr(2), 6).unwrap(), Some(leaf(2, 1, 20)));
        assert_eq!(store.leaf_at(addr(2), 7).unwrap(), Some(leaf(2, 7, 21)));
        assert_eq!(store.leaf_at(addr(4), 6).unwrap(), None);
        assert_eq!(store.leaf_at(addr(9), 7).unwrap(), None);
        // A leaf rewritten at the same epoch is replaced.
        store.apply(&[Change::Leaf(leaf(4, 7, 41))]).unwrap();
        assert_eq!(store.leaf_at(addr(4), 7).unwrap(), Some(leaf(4, 7, 41)));
    }
}
