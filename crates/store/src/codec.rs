//! Records to and from rows, per the encoding table in the crate docs: the encoders the writes
//! bind, and one decoder per record for the reads (through [`Cols`], so a bad row is an error
//! naming its column, never a panic).

use std::fmt::Write as _;

use alloy_primitives::U256;
use rusqlite::Row;

use yellowstone_market::allowance::Allowance;
use yellowstone_market::judge::Verdict;
use yellowstone_market::records::{
    AllowanceRecord, AttestationRecord, BidRecord, CreditRecord, EpochRecord, EpochStatus,
    LeafRecord, ReceiptRecord, ReportRecord, TicketRecord, TicketStatus,
};

use crate::cols::Cols;
use crate::error::StoreError;

/// A `u64` as stored: bit-cast to `i64` (lossless; values above `i64::MAX` are negative).
pub(crate) fn int(value: u64) -> i64 {
    value as i64
}

/// A `u64` as a bound in a comparison against stored values, clamped to `i64::MAX` (queries
/// treat negative stored values as larger than every bound).
pub(crate) fn cmp(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// A `U256` as stored: decimal text.
pub(crate) fn dec(value: &U256) -> String {
    value.to_string()
}

/// A ticket status as stored.
pub(crate) fn ticket_status_text(status: TicketStatus) -> &'static str {
    match status {
        TicketStatus::Open => "open",
        TicketStatus::Reported => "reported",
        TicketStatus::Expired => "expired",
    }
}

/// An epoch status as stored.
pub(crate) fn epoch_status_text(status: EpochStatus) -> &'static str {
    match status {
        EpochStatus::Built => "built",
        EpochStatus::Sent => "sent",
        EpochStatus::Committed => "committed",
    }
}

/// A verdict as stored: its serde JSON.
pub(crate) fn verdict_json(verdict: &Verdict) -> Result<String, StoreError> {
    serde_json::to_string(verdict).map_err(|e| StoreError::Encode {
        table: "reports",
        column: "verdict",
        why: e.to_string(),
    })
}

/// An epoch's fold as stored: `[[seq, "wei"], ...]` (wei as a string: JSON numbers cannot hold
/// a `U256`).
pub(crate) fn fold_json(fold: &[(u64, U256)]) -> String {
    let mut text = String::with_capacity(2 + fold.len() * 32);
    text.push('[');
    for (i, (seq, wei)) in fold.iter().enumerate() {
        if i > 0 {
            text.push(',');
        }
        // Writing to a String cannot fail.
        let _ = write!(text, "[{seq},\"{wei}\"]");
    }
    text.push(']');
    text
}

// Decoders: one per record, reading the columns its table's `*_COLS` list names.

pub(crate) fn bid_from(row: &Row<'_>) -> Result<BidRecord, StoreError> {
    let r = Cols::new(row, "bids");
    Ok(BidRecord {
        provider: r.address("provider")?,
        model: r.string("model")?,
        price: r.u256("price")?,
        capacity: u32::try_from(r.u64("capacity")?).unwrap_or(u32::MAX),
        endpoint: r.string("endpoint")?,
        nonce: r.u64("nonce")?,
        expiry: r.u64("expiry")?,
        signature: r.bytes("signature")?,
    })
}

pub(crate) fn attestation_from(row: &Row<'_>) -> Result<AttestationRecord, StoreError> {
    let r = Cols::new(row, "attestations");
    Ok(AttestationRecord {
        provider: r.address("provider")?,
        model: r.string("model")?,
        weights_hash: r.b256("weights_hash")?,
        issued_at: r.u64("issued_at")?,
        signature: r.bytes("signature")?,
    })
}

pub(crate) fn allowance_from(row: &Row<'_>) -> Result<AllowanceRecord, StoreError> {
    let r = Cols::new(row, "allowances");
    Ok(AllowanceRecord {
        day: r.u64("day")?,
        user: r.address("user")?,
        balance: r.u256("balance")?,
        price: r.u256("price")?,
        allowance: Allowance {
            allowance: r.u256("allowance")?,
            used: r.u256("used")?,
            held: r.u256("held")?,
        },
    })
}

pub(crate) fn ticket_from(row: &Row<'_>) -> Result<TicketRecord, StoreError> {
    let r = Cols::new(row, "tickets");
    let status = match r.string("status")?.as_str() {
        "open" => TicketStatus::Open,
        "reported" => TicketStatus::Reported,
        "expired" => TicketStatus::Expired,
        other => return Err(r.corrupt("status", format!("unknown ticket status {other:?}"))),
    };
    Ok(TicketRecord {
        request_id: r.b256("request_id")?,
        user: r.address("user")?,
        provider: r.address("provider")?,
        model: r.string("model")?,
        token_max: r.u64("token_max")?,
        price: r.u256("price")?,
        expiry: r.u64("expiry")?,
        issued_at: r.u64("issued_at")?,
        day: r.u64("day")?,
        status,
        charged: r.u256("charged")?,
        signature: r.bytes("signature")?,
    })
}

pub(crate) fn report_from(row: &Row<'_>) -> Result<ReportRecord, StoreError> {
    let r = Cols::new(row, "reports");
    let verdict_text = r.string("verdict")?;
    let verdict: Verdict =
        serde_json::from_str(&verdict_text).map_err(|e| r.corrupt("verdict", e))?;
    Ok(ReportRecord {
        request_id: r.b256("request_id")?,
        model: r.string("model")?,
        provider: r.address("provider")?,
        first_token_ms: r.u64("first_token_ms")?,
        elapsed_ms: r.u64("elapsed_ms")?,
        user_tokens: r.u64("user_tokens")?,
        receipt_tokens: r.opt_u64("receipt_tokens")?,
        pass: r.bool("pass")?,
        verdict,
        accepted_at: r.u64("accepted_at")?,
        signature: r.bytes("signature")?,
    })
}

pub(crate) fn receipt_from(row: &Row<'_>) -> Result<ReceiptRecord, StoreError> {
    let r = Cols::new(row, "receipts");
    Ok(ReceiptRecord {
        request_id: r.b256("request_id")?,
        provider: r.address("provider")?,
        tokens: r.u64("tokens")?,
        signature: r.bytes("signature")?,
    })
}

pub(crate) fn credit_from(row: &Row<'_>) -> Result<CreditRecord, StoreError> {
    let r = Cols::new(row, "credits");
    Ok(CreditRecord {
        seq: r.u64("seq")?,
        provider: r.address("provider")?,
        amount: r.u256("amount")?,
        bootstrap: r.bool("bootstrap")?,
        block: r.u64("block")?,
    })
}

pub(crate) fn epoch_from(row: &Row<'_>) -> Result<EpochRecord, StoreError> {
    let r = Cols::new(row, "epochs");
    let status = match r.string("status")?.as_str() {
        "built" => EpochStatus::Built,
        "sent" => EpochStatus::Sent,
        "committed" => EpochStatus::Committed,
        other => return Err(r.corrupt("status", format!("unknown epoch status {other:?}"))),
    };
    let fold_text = r.string("fold")?;
    let pairs: Vec<(u64, String)> =
        serde_json::from_str(&fold_text).map_err(|e| r.corrupt("fold", e))?;
    let fold = pairs
        .into_iter()
        .map(|(seq, wei)| Ok((seq, r.parse_u256("fold", &wei)?)))
        .collect::<Result<Vec<_>, StoreError>>()?;
    let tx = match (
        r.opt_b256("tx_hash")?,
        r.opt_u64("tx_nonce")?,
        r.opt_u128("tx_max_fee")?,
        r.opt_u128("tx_priority_fee")?,
    ) {
        (Some(hash), Some(nonce), Some(max_fee), Some(priority)) => {
            Some((hash, nonce, max_fee, priority))
        }
        (None, None, None, None) => None,
        _ => {
            return Err(r.corrupt(
                "tx_hash",
                "tx_hash, tx_nonce, tx_max_fee and tx_priority_fee must be all set or all NULL",
            ))
        }
    };
    let mined = match (r.opt_u64("mined_block")?, r.opt_u64("mined_gas")?) {
        (Some(block), Some(gas)) => Some((block, gas)),
        (None, None) => None,
        _ => {
            return Err(r.corrupt(
                "mined_block",
                "mined_block and mined_gas must be both set or both NULL",
            ))
        }
    };
    Ok(EpochRecord {
        epoch: r.u64("epoch")?,
        root: r.b256("root")?,
        cumulative_credited: r.u256("cumulative_credited")?,
        cumulative_bootstrap: r.u256("cumulative_bootstrap")?,
        deadline: r.u64("deadline")?,
        signature: r.bytes("signature")?,
        up_to_block: r.u64("up_to_block")?,
        built_at: r.u64("built_at")?,
        fold,
        status,
        tx,
        mined,
    })
}

/// A leaf; `epoch_column` names the epoch's column (an alias where the query aggregates).
pub(crate) fn leaf_from(
    row: &Row<'_>,
    epoch_column: &'static str,
) -> Result<LeafRecord, StoreError> {
    let r = Cols::new(row, "leaves");
    Ok(LeafRecord {
        provider: r.address("provider")?,
        epoch: r.u64(epoch_column)?,
        earned: r.u256("earned")?,
        bootstrap: r.u256("bootstrap")?,
    })
}

#[cfg(test)]
mod tests {
    use rusqlite::{params, Connection};

    use crate::test_support::{addr, credit, hash, leaf, ticket, wei, TempDir, NOW};
    use crate::{Durability, Store, StoreError};
    use yellowstone_market::records::{Change, TicketStatus};

    #[test]
    fn a_corrupt_row_is_an_error_naming_its_table_and_column() {
        let dir = TempDir::new("corrupt");
        let store = Store::open(&dir.db(), Durability::Normal).unwrap();
        store
            .apply(&[
                Change::Credit(credit(1, wei(1))),
                Change::Ticket(ticket(1, TicketStatus::Open, NOW + 10)),
                Change::Leaf(leaf(1, 1, 1)),
            ])
            .unwrap();
        let raw = Connection::open(dir.db()).unwrap();
        let expect = |sql_text: &str, table: &str, column: &str, err: StoreError| {
            let text = err.to_string();
            assert!(
                matches!(&err, StoreError::Corrupt { table: t, column: c, .. } if *t == table && *c == column),
                "{sql_text}: {text}"
            );
            assert!(text.contains(table) && text.contains(column), "{text}");
        };
        let cases: [(&str, &str, &str); 5] = [
            ("UPDATE credits SET amount = 'garbage'", "credits", "amount"),
            ("UPDATE credits SET amount = '1e18'", "credits", "amount"),
            (
                "UPDATE credits SET amount = '1' || amount",
                "credits",
                "amount",
            ),
            (
                "UPDATE credits SET provider = x'0102'",
                "credits",
                "provider",
            ),
            (
                "UPDATE credits SET bootstrap = 'yes'",
                "credits",
                "bootstrap",
            ),
        ];
        for (sql_text, table, column) in cases {
            let backup: String = raw
                .query_row("SELECT amount FROM credits", [], |r| r.get(0))
                .unwrap();
            let backup_provider: Vec<u8> = raw
                .query_row("SELECT provider FROM credits", [], |r| r.get(0))
                .unwrap();
            raw.execute_batch(sql_text).unwrap();
            if sql_text.contains("|| amount") {
                // 78 digits: more than 2^256.
                raw.execute_batch(
                    "UPDATE credits SET amount = amount || amount || amount || amount",
                )
                .unwrap();
            }
            expect(sql_text, table, column, store.load(NOW, 10).unwrap_err());
            raw.execute(
                "UPDATE credits SET amount = ?1, provider = ?2, bootstrap = 0",
                params![backup, backup_provider],
            )
            .unwrap();
        }
        store.load(NOW, 10).unwrap();
        raw.execute_batch("UPDATE tickets SET status = 'lost'")
            .unwrap();
        expect(
            "status",
            "tickets",
            "status",
            store.ticket(hash(1)).unwrap_err(),
        );
        raw.execute_batch("UPDATE tickets SET status = 'open', price = -5")
            .unwrap();
        expect(
            "price",
            "tickets",
            "price",
            store.load(NOW, 10).unwrap_err(),
        );
        raw.execute_batch("UPDATE leaves SET earned = 'x'").unwrap();
        expect("earned", "leaves", "earned", store.table_at(5).unwrap_err());
        raw.execute_batch("UPDATE leaves SET earned = '1', epoch = 2.5")
            .unwrap();
        expect(
            "epoch",
            "leaves",
            "epoch",
            store.leaf_at(addr(1), 5).unwrap_err(),
        );
    }
}
