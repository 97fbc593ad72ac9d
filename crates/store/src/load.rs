//! Start-up: [`Store::load`] reads what the router keeps in memory (what is live, recent or
//! pending); [`Store::prune`] deletes what no load will read again, except the audit trail.

use rusqlite::Connection;

use yellowstone_market::judge::SpeedSample;
use yellowstone_market::records::{CreditRecord, EpochRecord, Loaded};
use yellowstone_market::selection::Score;
use yellowstone_protocol::time::DAY;

use crate::codec::{
    allowance_from, attestation_from, bid_from, cmp, credit_from, epoch_from, int, receipt_from,
    ticket_from,
};
use crate::cols::Cols;
use crate::error::{sqlite, StoreError};
use crate::reads::{latest_committed, table_at};
use crate::sql::{
    prefixed, query, ALLOWANCE_COLS, ATTESTATION_COLS, BID_COLS, CREDIT_COLS, EPOCH_COLS,
    LIVE_TICKETS, RECEIPT_COLS, TICKET_COLS,
};
use crate::{lock, Store};

/// Days of allowances and work kept by [`Store::prune`] before the current day.
const KEEP_DAYS: u64 = 7;

/// Seconds after a reported ticket's expiry during which it is still loaded at start-up.
const REPORTED_GRACE: u64 = 3_600;

impl Store {
    /// Everything the router keeps in memory, read at start-up (in one read transaction, so
    /// from one consistent state).
    pub fn load(&self, now: u64, speed_window: usize) -> Result<Loaded, StoreError> {
        let mut conn = self.reader();
        let tx = conn
            .transaction()
            .map_err(sqlite("beginning a read transaction"))?;
        let conn: &Connection = &tx;
        let recent_day = int((now / DAY).saturating_sub(1));
        let mut loaded = Loaded {
            bids: query(
                conn,
                "bids",
                &format!("SELECT {BID_COLS} FROM bids ORDER BY provider, model"),
                [],
                bid_from,
            )?,
            attestations: query(
                conn,
                "attestations",
                &format!("SELECT {ATTESTATION_COLS} FROM attestations ORDER BY provider, model"),
                [],
                attestation_from,
            )?,
            allowances: query(
                conn,
                "allowances",
                &format!(
                    "SELECT {ALLOWANCE_COLS} FROM allowances WHERE day >= ?1 \
                     ORDER BY day, user"
                ),
                [recent_day],
                allowance_from,
            )?,
            nonces: query(
                conn,
                "nonces",
                "SELECT user, nonce, deadline FROM nonces WHERE deadline >= ?1 OR deadline < 0 \
                 ORDER BY user, nonce",
                [cmp(now)],
                |row| {
                    let r = Cols::new(row, "nonces");
                    Ok((r.address("user")?, r.u64("nonce")?, r.u64("deadline")?))
                },
            )?,
            tickets: query(
                conn,
                "tickets",
                &format!(
                    "SELECT {} FROM tickets t WHERE {LIVE_TICKETS} ORDER BY t.issued_at, t.request_id",
                    prefixed("t", TICKET_COLS)
                ),
                [cmp(now.saturating_sub(REPORTED_GRACE))],
                ticket_from,
            )?,
            receipts: query(
                conn,
                "receipts",
                &format!(
                    "SELECT {} FROM tickets t JOIN receipts r ON r.request_id = t.request_id \
                     WHERE {LIVE_TICKETS} ORDER BY r.request_id",
                    prefixed("r", RECEIPT_COLS)
                ),
                [cmp(now.saturating_sub(REPORTED_GRACE))],
                receipt_from,
            )?,
            credits: query(
                conn,
                "credits",
                &format!("SELECT {CREDIT_COLS} FROM credits ORDER BY seq"),
                [],
                credit_from,
            )?,
            next_seq: 1,
            work: query(
                conn,
                "work",
                "SELECT day, provider, wei, tokens FROM work WHERE day >= ?1 \
                 ORDER BY day, provider",
                [recent_day],
                |row| {
                    let r = Cols::new(row, "work");
                    Ok((
                        r.u64("day")?,
                        r.address("provider")?,
                        r.u256("wei")?,
                        r.u64("tokens")?,
                    ))
                },
            )?,
            scores: query(
                conn,
                "scores",
                "SELECT provider, passes, fails, failed_by FROM scores ORDER BY provider",
                [],
                |row| {
                    let r = Cols::new(row, "scores");
                    Ok((
                        r.address("provider")?,
                        Score {
                            passes: r.u64("passes")?,
                            fails: r.u64("fails")?,
                        },
                        r.addresses("failed_by")?,
                    ))
                },
            )?,
            speeds: speeds(conn, speed_window)?,
            committed: None,
            in_flight: None,
            table: Vec::new(),
            meta: query(
                conn,
                "meta",
                "SELECT key, value FROM meta ORDER BY key",
                [],
                |row| {
                    let r = Cols::new(row, "meta");
                    Ok((r.string("key")?, r.string("value")?))
                },
            )?,
        };
        loaded.next_seq = next_seq(conn, &loaded.credits)?;
        loaded.committed = latest_committed(conn)?;
        loaded.in_flight = in_flight(conn, loaded.committed.as_ref().map_or(0, |e| e.epoch))?;
        let top = loaded
            .in_flight
            .as_ref()
            .or(loaded.committed.as_ref())
            .map(|e| e.epoch);
        if let Some(top) = top {
            loaded.table = table_at(conn, top)?;
        }
        drop(tx);
        Ok(loaded)
    }

    /// Prunes what can never matter again: nonces with deadline < now, allowances and work of
    /// days < now/86400 - 7. Returns the rows deleted. (Tickets, reports, receipts, epochs and
    /// leaves are kept: they are the audit trail.)
    pub fn prune(&self, now: u64) -> Result<usize, StoreError> {
        let mut conn = lock(&self.write);
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(sqlite("beginning a prune"))?;
        let mut deleted = tx
            .prepare_cached("DELETE FROM nonces WHERE deadline >= 0 AND deadline < ?1")
            .and_then(|mut s| s.execute([cmp(now)]))
            .map_err(sqlite("pruning nonces"))?;
        let oldest_kept = (now / DAY).saturating_sub(KEEP_DAYS);
        deleted += tx
            .prepare_cached("DELETE FROM allowances WHERE day >= 0 AND day < ?1")
            .and_then(|mut s| s.execute([cmp(oldest_kept)]))
            .map_err(sqlite("pruning allowances"))?;
        deleted += tx
            .prepare_cached("DELETE FROM work WHERE day >= 0 AND day < ?1")
            .and_then(|mut s| s.execute([cmp(oldest_kept)]))
            .map_err(sqlite("pruning work"))?;
        tx.commit().map_err(sqlite("committing a prune"))?;
        Ok(deleted)
    }
}

/// The next credit seq: past the stored counter (1 + the greatest seq ever inserted, so a seq
/// deleted since is never reused) and past every pending credit.
fn next_seq(conn: &Connection, credits: &[CreditRecord]) -> Result<u64, StoreError> {
    let stored = query(
        conn,
        "counters",
        "SELECT value FROM counters WHERE name = 'next_seq'",
        [],
        |row| Cols::new(row, "counters").u64("value"),
    )?
    .pop();
    let after_credits = credits.last().map_or(1, |c| c.seq.saturating_add(1));
    Ok(stored.unwrap_or(1).max(after_credits))
}

/// The epoch being committed: the first built or sent one above the last committed, `above`.
fn in_flight(conn: &Connection, above: u64) -> Result<Option<EpochRecord>, StoreError> {
    let sql_text = format!(
        "SELECT {EPOCH_COLS} FROM epochs WHERE status IN ('built', 'sent') AND epoch > ?1 \
         ORDER BY epoch LIMIT 1"
    );
    Ok(query(conn, "epochs", &sql_text, [int(above)], epoch_from)?.pop())
}

/// Per model, the last `window` samples of its speed window (by seq), oldest first.
fn speeds(conn: &Connection, window: usize) -> Result<Vec<(String, Vec<SpeedSample>)>, StoreError> {
    let rows = query(
        conn,
        "speeds",
        "SELECT model, seq, user, first_ms, rest_ms, weight FROM speeds ORDER BY model, seq",
        [],
        |row| {
            let r = Cols::new(row, "speeds");
            Ok((
                r.string("model")?,
                SpeedSample {
                    seq: r.u64("seq")?,
                    user: r.address("user")?,
                    first_ms: r.u64("first_ms")?,
                    rest_ms: r.u64("rest_ms")?,
                    weight: r.u64("weight")?,
                },
            ))
        },
    )?;
    let mut out: Vec<(String, Vec<SpeedSample>)> = Vec::new();
    for (model, sample) in rows {
        match out.last_mut() {
            Some((m, samples)) if *m == model => samples.push(sample),
            _ => out.push((model, vec![sample])),
        }
    }
    for (_, samples) in &mut out {
        let skip = samples.len().saturating_sub(window);
        samples.drain(..skip);
    }
    out.retain(|(_, samples)| !samples.is_empty());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use alloy_primitives::{B256, U256};

    use yellowstone_market::allowance::Allowance;
    use yellowstone_market::records::{AllowanceRecord, Change, TicketStatus};
    use yellowstone_protocol::time::DAY;

    use crate::test_support::{addr, hash, receipt, report, sample, speed, ticket, NOW};
    use crate::Store;

    #[test]
    fn load_keeps_only_what_still_matters_and_prune_deletes_the_rest() {
        let store = Store::open_in_memory().unwrap();
        let day = NOW / DAY;
        let mut changes = Vec::new();
        for (i, d) in [day - 9, day - 7, day - 2, day - 1, day]
            .into_iter()
            .enumerate()
        {
            changes.push(Change::Allowance(AllowanceRecord {
                day: d,
                user: addr(100),
                balance: U256::from(i),
                price: U256::from(1),
                allowance: Allowance {
                    allowance: U256::from(1),
                    used: U256::ZERO,
                    held: U256::ZERO,
                },
            }));
            changes.push(Change::Work {
                day: d,
                provider: addr(1),
                wei: U256::from(i),
                tokens: 1,
            });
        }
        changes.extend([
            Change::Nonce {
                user: addr(100),
                nonce: 1,
                deadline: NOW - 1,
            },
            Change::Nonce {
                user: addr(100),
                nonce: 2,
                deadline: NOW,
            },
            Change::Ticket(ticket(1, TicketStatus::Open, NOW - 100_000)),
            Change::Ticket(ticket(2, TicketStatus::Reported, NOW - 3600)),
            Change::Ticket(ticket(3, TicketStatus::Reported, NOW - 3601)),
            Change::Ticket(ticket(4, TicketStatus::Expired, NOW + 100)),
            Change::Ticket(ticket(5, TicketStatus::Reported, u64::MAX)),
            Change::Receipt(receipt(2, 1)),
            Change::Receipt(receipt(3, 1)),
            Change::Receipt(receipt(4, 1)),
        ]);
        for (i, micros) in (10u8..20).zip(100u64..) {
            changes.push(Change::Report(report(i, "a", Some(micros))));
            changes.push(Change::Report(report(i + 20, "b", None)));
        }
        changes.push(Change::Report(report(50, "b", Some(7))));
        changes.push(Change::Report(report(51, "c", None)));
        // Speeds: model a keeps seqs 0..10 but for 4 (dropped); b one sample; c none left.
        for seq in 0..10 {
            changes.push(speed("a", &[seq], &[]));
        }
        changes.push(speed("a", &[], &[4]));
        changes.push(speed("b", &[7], &[]));
        changes.push(speed("c", &[1], &[]));
        changes.push(speed("c", &[], &[1]));
        store.apply(&changes).unwrap();

        let loaded = store.load(NOW, 3).unwrap();
        let days: Vec<u64> = loaded.allowances.iter().map(|a| a.day).collect();
        assert_eq!(days, vec![day - 1, day]);
        let work_days: Vec<u64> = loaded.work.iter().map(|w| w.0).collect();
        assert_eq!(work_days, vec![day - 1, day]);
        assert_eq!(loaded.nonces, vec![(addr(100), 2, NOW)]);
        let mut tickets: Vec<B256> = loaded.tickets.iter().map(|t| t.request_id).collect();
        tickets.sort();
        assert_eq!(tickets, vec![hash(1), hash(2), hash(5)]);
        assert_eq!(loaded.receipts, vec![receipt(2, 1)]);
        let seqs: Vec<(String, Vec<u64>)> = loaded
            .speeds
            .iter()
            .map(|(m, s)| (m.clone(), s.iter().map(|s| s.seq).collect()))
            .collect();
        assert_eq!(
            seqs,
            vec![("a".to_string(), vec![7, 8, 9]), ("b".to_string(), vec![7])]
        );
        assert_eq!(loaded.speeds[1].1, vec![sample(7)]);
        assert!(store.load(NOW, 0).unwrap().speeds.is_empty());
        assert_eq!(
            store.latest_allowance(addr(100)).unwrap().map(|a| a.day),
            Some(day)
        );

        // Prune: nonce 1 (deadline passed), allowance and work of day - 9 (older than 7 days).
        assert_eq!(store.prune(NOW).unwrap(), 3);
        assert_eq!(store.prune(NOW).unwrap(), 0);
        let loaded = store.load(NOW - 8 * DAY, 3).unwrap();
        let days: Vec<u64> = loaded.allowances.iter().map(|a| a.day).collect();
        assert_eq!(days, vec![day - 7, day - 2, day - 1, day]);
        assert_eq!(loaded.nonces.len(), 1);
        let stats = store.stats().unwrap();
        assert_eq!(
            (stats.tickets, stats.reports),
            (5, 22),
            "the audit trail is kept"
        );
    }
}
