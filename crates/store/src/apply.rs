//! Applying [`Change`]s: every batch in one transaction, one small function per kind of change.

use alloy_primitives::{Address, U256};
use rusqlite::{params, Connection, ErrorCode};

use yellowstone_market::judge::{SpeedSample, Verdict};
use yellowstone_market::records::{
    AllowanceRecord, AttestationRecord, BidRecord, Change, CreditRecord, EpochRecord, LeafRecord,
    ReceiptRecord, ReportRecord, TicketRecord,
};

use crate::codec::{dec, epoch_status_text, fold_json, int, ticket_status_text, verdict_json};
use crate::cols::Cols;
use crate::error::{sqlite, StoreError};
use crate::sql::{
    exec, query, BUMP_NEXT_SEQ, DEL_CREDIT, DEL_EPOCH, DEL_EPOCH_LEAVES, DEL_SPEED, GET_WORK,
    PUT_ALLOWANCE, PUT_ARCHIVED_EPOCH, PUT_ARCHIVED_LEAF, PUT_ATTESTATION, PUT_BID, PUT_CREDIT,
    PUT_EPOCH, PUT_LEAF, PUT_META, PUT_NONCE, PUT_RECEIPT, PUT_REPORT, PUT_SCORE, PUT_SPEED,
    PUT_TICKET, PUT_WORK,
};
use crate::{lock, Store};

impl Store {
    /// Applies a batch in ONE transaction, in order. Semantics per [`Change`] variant:
    /// Bid/Attestation/Allowance/Ticket/Epoch insert or replace by key ((provider, model),
    /// (provider, model), (day, user), request_id, epoch); Nonce inserts (replacing the
    /// deadline of the same (user, nonce)); Report inserts (a second report for the same
    /// request id is [`StoreError::Duplicate`]); Receipt inserts or is ignored (the first
    /// stands); Credit inserts or replaces by seq, an amount of zero deletes; Work adds wei and
    /// tokens to (day, provider) (saturating); Score replaces; Speed deletes its `drop` seqs then
    /// inserts or replaces its `put` samples by (model, seq); ArchiveEpoch copies the
    /// epoch and its full table into `archived_epochs`/`archived_leaves` by (epoch, root), then
    /// deletes its epoch row (that root's only) and the leaves at its number; Leaf inserts or replaces by (provider, epoch); Meta replaces.
    ///
    /// On any error nothing of the batch is persisted.
    pub fn apply(&self, changes: &[Change]) -> Result<(), StoreError> {
        self.apply_all(&[changes])
    }

    /// Applies several batches (from several requests) in ONE transaction, in order; used by
    /// the writer for group commit. On any error nothing of any batch is persisted.
    pub fn apply_all(&self, batches: &[&[Change]]) -> Result<(), StoreError> {
        let mut conn = lock(&self.write);
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(sqlite("beginning a write transaction"))?;
        for batch in batches {
            for change in batch.iter() {
                apply_change(&tx, change)?;
            }
        }
        tx.commit().map_err(sqlite("committing"))
    }
}

/// Applies one change inside the caller's transaction.
fn apply_change(conn: &Connection, change: &Change) -> Result<(), StoreError> {
    match change {
        Change::Bid(b) => put_bid(conn, b),
        Change::Attestation(a) => put_attestation(conn, a),
        Change::Allowance(a) => put_allowance(conn, a),
        Change::Nonce {
            user,
            nonce,
            deadline,
        } => exec(
            conn,
            "nonces",
            PUT_NONCE,
            params![user.as_slice(), int(*nonce), int(*deadline)],
        ),
        Change::Ticket(t) => put_ticket(conn, t),
        Change::Report(r) => put_report(conn, r),
        Change::Receipt(r) => put_receipt(conn, r),
        Change::Credit(c) => put_credit(conn, c),
        Change::Work {
            day,
            provider,
            wei,
            tokens,
        } => add_work(conn, *day, provider, *wei, *tokens),
        Change::Score {
            provider,
            score,
            failed_by,
        } => exec(
            conn,
            "scores",
            PUT_SCORE,
            params![
                provider.as_slice(),
                int(score.passes),
                int(score.fails),
                failed_by
                    .iter()
                    .flat_map(|a| a.as_slice().iter().copied())
                    .collect::<Vec<u8>>()
            ],
        ),
        Change::Speed { model, put, drop } => put_speed(conn, model, put, drop),
        Change::Epoch(e) => put_epoch(conn, e),
        Change::ArchiveEpoch { epoch, table } => {
            put_epoch_into(conn, "archived_epochs", PUT_ARCHIVED_EPOCH, epoch)?;
            for l in table {
                exec(
                    conn,
                    "archived_leaves",
                    PUT_ARCHIVED_LEAF,
                    params![
                        int(epoch.epoch),
                        epoch.root.as_slice(),
                        l.provider.as_slice(),
                        dec(&l.earned),
                        dec(&l.bootstrap),
                    ],
                )?;
            }
            let key = params![int(epoch.epoch), epoch.root.as_slice()];
            exec(conn, "epochs", DEL_EPOCH, key)?;
            exec(conn, "leaves", DEL_EPOCH_LEAVES, [int(epoch.epoch)])
        }
        Change::Leaf(l) => put_leaf(conn, l),
        Change::Meta { key, value } => exec(conn, "meta", PUT_META, params![key, value]),
    }
}

fn put_bid(conn: &Connection, b: &BidRecord) -> Result<(), StoreError> {
    exec(
        conn,
        "bids",
        PUT_BID,
        params![
            b.provider.as_slice(),
            b.model,
            dec(&b.price),
            i64::from(b.capacity),
            b.endpoint,
            int(b.nonce),
            int(b.expiry),
            b.signature.as_ref(),
        ],
    )
}

fn put_attestation(conn: &Connection, a: &AttestationRecord) -> Result<(), StoreError> {
    exec(
        conn,
        "attestations",
        PUT_ATTESTATION,
        params![
            a.provider.as_slice(),
            a.model,
            a.weights_hash.as_slice(),
            int(a.issued_at),
            a.signature.as_ref(),
        ],
    )
}

pub(crate) fn put_allowance(conn: &Connection, a: &AllowanceRecord) -> Result<(), StoreError> {
    exec(
        conn,
        "allowances",
        PUT_ALLOWANCE,
        params![
            int(a.day),
            a.user.as_slice(),
            dec(&a.balance),
            dec(&a.price),
            dec(&a.allowance.allowance),
            dec(&a.allowance.used),
            dec(&a.allowance.held),
        ],
    )
}

fn put_ticket(conn: &Connection, t: &TicketRecord) -> Result<(), StoreError> {
    exec(
        conn,
        "tickets",
        PUT_TICKET,
        params![
            t.request_id.as_slice(),
            t.user.as_slice(),
            t.provider.as_slice(),
            t.model,
            int(t.token_max),
            dec(&t.price),
            int(t.expiry),
            int(t.issued_at),
            int(t.day),
            ticket_status_text(t.status),
            dec(&t.charged),
            t.signature.as_ref(),
        ],
    )
}

/// Inserts a report, with a credited verdict's figures as columns of their own (speeds are
/// read from them); a second report for the request is [`StoreError::Duplicate`].
fn put_report(conn: &Connection, r: &ReportRecord) -> Result<(), StoreError> {
    let verdict = verdict_json(&r.verdict)?;
    let (tokens, wei, speed) = match &r.verdict {
        Verdict::Credited {
            tokens,
            wei,
            micros_per_token,
        } => (
            Some(int(*tokens)),
            Some(dec(wei)),
            Some(int(*micros_per_token)),
        ),
        _ => (None, None, None),
    };
    let inserted = conn.prepare_cached(PUT_REPORT).and_then(|mut stmt| {
        stmt.execute(params![
            r.request_id.as_slice(),
            r.model,
            r.provider.as_slice(),
            int(r.first_token_ms),
            int(r.elapsed_ms),
            int(r.user_tokens),
            r.receipt_tokens.map(int),
            r.pass,
            verdict,
            tokens,
            wei,
            speed,
            int(r.accepted_at),
            r.signature.as_ref(),
        ])
    });
    match inserted {
        Ok(_) => Ok(()),
        Err(rusqlite::Error::SqliteFailure(e, _)) if e.code == ErrorCode::ConstraintViolation => {
            Err(StoreError::Duplicate {
                table: "reports",
                key: format!("request {}", r.request_id),
            })
        }
        Err(source) => Err(StoreError::Sqlite {
            context: "writing reports".to_string(),
            source,
        }),
    }
}

/// Deletes the samples that left a model's speed window, then writes those that entered it
/// (or were re-clamped).
fn put_speed(
    conn: &Connection,
    model: &str,
    put: &[SpeedSample],
    drop: &[u64],
) -> Result<(), StoreError> {
    for seq in drop {
        exec(conn, "speeds", DEL_SPEED, params![model, int(*seq)])?;
    }
    for s in put {
        exec(
            conn,
            "speeds",
            PUT_SPEED,
            params![
                model,
                int(s.seq),
                s.user.as_slice(),
                int(s.first_ms),
                int(s.rest_ms),
                int(s.weight)
            ],
        )?;
    }
    Ok(())
}

fn put_receipt(conn: &Connection, r: &ReceiptRecord) -> Result<(), StoreError> {
    exec(
        conn,
        "receipts",
        PUT_RECEIPT,
        params![
            r.request_id.as_slice(),
            r.provider.as_slice(),
            int(r.tokens),
            r.signature.as_ref(),
        ],
    )
}

/// Inserts or replaces a pending credit, or deletes it when its amount is zero. `next_seq`
/// only grows, so a seq deleted here is never handed out again.
fn put_credit(conn: &Connection, c: &CreditRecord) -> Result<(), StoreError> {
    if c.amount.is_zero() {
        return exec(conn, "credits", DEL_CREDIT, [int(c.seq)]);
    }
    exec(
        conn,
        "credits",
        PUT_CREDIT,
        params![
            int(c.seq),
            c.provider.as_slice(),
            dec(&c.amount),
            c.bootstrap,
            int(c.block),
        ],
    )?;
    exec(
        conn,
        "counters",
        BUMP_NEXT_SEQ,
        [int(c.seq.saturating_add(1))],
    )
}

/// Adds to a provider's work of a day, saturating (a read and a write: the sum of two `U256`s
/// stored as text cannot be done in SQL).
fn add_work(
    conn: &Connection,
    day: u64,
    provider: &Address,
    wei: U256,
    tokens: u64,
) -> Result<(), StoreError> {
    let (before_wei, before_tokens) = query(
        conn,
        "work",
        GET_WORK,
        params![int(day), provider.as_slice()],
        |row| {
            let r = Cols::new(row, "work");
            Ok((r.u256("wei")?, r.u64("tokens")?))
        },
    )?
    .pop()
    .unwrap_or((U256::ZERO, 0));
    exec(
        conn,
        "work",
        PUT_WORK,
        params![
            int(day),
            provider.as_slice(),
            dec(&before_wei.saturating_add(wei)),
            int(before_tokens.saturating_add(tokens)),
        ],
    )
}

fn put_epoch(conn: &Connection, e: &EpochRecord) -> Result<(), StoreError> {
    put_epoch_into(conn, "epochs", PUT_EPOCH, e)
}

/// Writes an epoch row into `epochs` or `archived_epochs` (the same columns).
fn put_epoch_into(
    conn: &Connection,
    table: &'static str,
    sql_text: &str,
    e: &EpochRecord,
) -> Result<(), StoreError> {
    let tx = e.tx.as_ref();
    exec(
        conn,
        table,
        sql_text,
        params![
            int(e.epoch),
            e.root.as_slice(),
            dec(&e.cumulative_credited),
            dec(&e.cumulative_bootstrap),
            e.signature.as_ref(),
            int(e.up_to_block),
            int(e.built_at),
            fold_json(&e.fold),
            epoch_status_text(e.status),
            tx.map(|t| t.0.as_slice()),
            tx.map(|t| int(t.1)),
            tx.map(|t| t.2.to_string()),
            tx.map(|t| t.3.to_string()),
            e.mined.map(|m| int(m.0)),
            e.mined.map(|m| int(m.1)),
            int(e.deadline),
        ],
    )
}

fn put_leaf(conn: &Connection, l: &LeafRecord) -> Result<(), StoreError> {
    exec(
        conn,
        "leaves",
        PUT_LEAF,
        params![
            l.provider.as_slice(),
            int(l.epoch),
            dec(&l.earned),
            dec(&l.bootstrap),
        ],
    )
}

#[cfg(test)]
mod tests {
    use alloy_primitives::U256;

    use yellowstone_market::records::{Change, EpochRecord, EpochStatus, LeafRecord, TicketStatus};

    use crate::test_support::{
        addr, check_every_change, credit, epoch, every_change, hash, leaf, receipt, report, ticket,
        wei, TempDir, NOW,
    };
    use crate::{Durability, Store, StoreError};

    #[test]
    fn every_change_round_trips_through_apply_and_load() {
        let store = Store::open_in_memory().unwrap();
        store.apply(&every_change()).unwrap();
        check_every_change(&store);
        // Applying the same idempotent changes again (without the report) changes nothing.
        let again: Vec<Change> = every_change()
            .into_iter()
            .filter(|c| !matches!(c, Change::Report(_) | Change::Work { .. }))
            .collect();
        store.apply(&again).unwrap();
        check_every_change(&store);
    }

    #[test]
    fn replacing_changes_replace_and_receipts_keep_the_first() {
        let store = Store::open_in_memory().unwrap();
        let mut t = ticket(1, TicketStatus::Open, NOW + 300);
        store
            .apply(&[Change::Ticket(t.clone()), Change::Receipt(receipt(1, 10))])
            .unwrap();
        t.status = TicketStatus::Reported;
        store
            .apply(&[Change::Ticket(t.clone()), Change::Receipt(receipt(1, 99))])
            .unwrap();
        assert_eq!(store.ticket(hash(1)).unwrap(), Some(t));
        assert_eq!(store.receipt(hash(1)).unwrap(), Some(receipt(1, 10)));
        let work = |wei_: u64, tokens| Change::Work {
            day: 3,
            provider: addr(4),
            wei: wei(wei_),
            tokens,
        };
        store.apply(&[work(1, 10), work(2, 20)]).unwrap();
        store
            .apply(&[Change::Work {
                day: 3,
                provider: addr(5),
                wei: U256::MAX,
                tokens: u64::MAX,
            }])
            .unwrap();
        assert_eq!(
            store.day_work(3).unwrap(),
            vec![(addr(4), wei(3)), (addr(5), U256::MAX)]
        );
        assert_eq!(
            store.day_volume(3).unwrap(),
            (U256::MAX, u64::MAX),
            "saturates"
        );
    }

    #[test]
    fn a_second_report_is_a_duplicate_and_rolls_back_its_whole_batch() {
        let store = Store::open_in_memory().unwrap();
        store
            .apply(&[Change::Report(report(1, "llama", Some(10)))])
            .unwrap();
        let err = store
            .apply(&[
                Change::Ticket(ticket(2, TicketStatus::Open, NOW)),
                Change::Credit(credit(9, wei(1))),
                Change::Meta {
                    key: "k".into(),
                    value: "v".into(),
                },
                Change::Report(report(1, "llama", None)),
                Change::Leaf(leaf(1, 1, 1)),
            ])
            .unwrap_err();
        assert!(
            matches!(
                err,
                StoreError::Duplicate {
                    table: "reports",
                    ..
                }
            ),
            "{err}"
        );
        assert_eq!(store.ticket(hash(2)).unwrap(), None);
        assert_eq!(
            store.report(hash(1)).unwrap(),
            Some(report(1, "llama", Some(10)))
        );
        let loaded = store.load(NOW, 10).unwrap();
        assert!(loaded.credits.is_empty());
        assert_eq!(loaded.next_seq, 1);
        assert!(loaded.meta.is_empty());
        assert!(store.table_at(10).unwrap().is_empty());
    }

    #[test]
    fn a_zero_credit_deletes_and_next_seq_never_goes_back() {
        let dir = TempDir::new("seq");
        {
            let store = Store::open(&dir.db(), Durability::Normal).unwrap();
            assert_eq!(store.load(NOW, 10).unwrap().next_seq, 1);
            store
                .apply(&[
                    Change::Credit(credit(1, wei(1))),
                    Change::Credit(credit(2, wei(2))),
                    Change::Credit(credit(3, wei(3))),
                ])
                .unwrap();
            store
                .apply(&[
                    Change::Credit(credit(2, wei(5))),
                    Change::Credit(credit(3, U256::ZERO)),
                ])
                .unwrap();
            let loaded = store.load(NOW, 10).unwrap();
            assert_eq!(loaded.credits, vec![credit(1, wei(1)), credit(2, wei(5))]);
            assert_eq!(loaded.next_seq, 4);
            store
                .apply(&[
                    Change::Credit(credit(1, U256::ZERO)),
                    Change::Credit(credit(2, U256::ZERO)),
                ])
                .unwrap();
            let loaded = store.load(NOW, 10).unwrap();
            assert!(loaded.credits.is_empty());
            assert_eq!(loaded.next_seq, 4);
            assert_eq!(store.stats().unwrap().credits_pending, 0);
        }
        let store = Store::open(&dir.db(), Durability::Normal).unwrap();
        let loaded = store.load(NOW, 10).unwrap();
        assert!(loaded.credits.is_empty());
        assert_eq!(
            loaded.next_seq, 4,
            "seq 3 was used and deleted: never reuse it"
        );
    }

    #[test]
    fn archive_epoch_keeps_the_root_and_its_full_table_and_frees_its_number() {
        let store = Store::open_in_memory().unwrap();
        let sent = epoch(2, EpochStatus::Sent);
        store
            .apply(&[
                Change::Epoch(epoch(1, EpochStatus::Committed)),
                Change::Leaf(leaf(1, 1, 10)),
                Change::Leaf(leaf(2, 1, 20)),
                Change::Epoch(sent.clone()),
                Change::Leaf(leaf(1, 2, 11)),
                Change::Leaf(leaf(3, 2, 30)),
            ])
            .unwrap();
        let loaded = store.load(NOW, 10).unwrap();
        assert_eq!(loaded.in_flight, Some(sent.clone()));
        let full = vec![leaf(1, 2, 11), leaf(2, 1, 20), leaf(3, 2, 30)];
        assert_eq!(loaded.table, full);
        let full: Vec<_> = full
            .into_iter()
            .map(|l| LeafRecord { epoch: 2, ..l })
            .collect();
        store
            .apply(&[Change::ArchiveEpoch {
                epoch: sent.clone(),
                table: full.clone(),
            }])
            .unwrap();
        assert_eq!(store.epoch(2).unwrap(), None);
        assert_eq!(
            store.epoch(1).unwrap(),
            Some(epoch(1, EpochStatus::Committed))
        );
        assert_eq!(
            store.table_at(2).unwrap(),
            vec![leaf(1, 1, 10), leaf(2, 1, 20)]
        );
        assert_eq!(
            store.archived(2, sent.root).unwrap(),
            Some((sent.clone(), full))
        );
        assert_eq!(store.archived(2, hash(99)).unwrap(), None);
        assert_eq!(store.archived_epochs().unwrap(), vec![sent.clone()]);
        // Archiving a root whose number another root now holds leaves that root alone.
        let other = EpochRecord {
            root: hash(98),
            ..epoch(2, EpochStatus::Built)
        };
        store.apply(&[Change::Epoch(other.clone())]).unwrap();
        store
            .apply(&[Change::ArchiveEpoch {
                epoch: sent,
                table: Vec::new(),
            }])
            .unwrap();
        assert_eq!(store.epoch(2).unwrap(), Some(other));
        let loaded = store.load(NOW, 10).unwrap();
        assert_eq!(loaded.committed, Some(epoch(1, EpochStatus::Committed)));
        let stats = store.stats().unwrap();
        assert_eq!((stats.epochs, stats.leaves), (2, 2));
    }
}
