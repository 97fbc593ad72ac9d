//! The SQL kept out of the code that runs it (every write, the column lists all reads of a
//! table share, the live-tickets filter), and the two helpers that run statements: cached, with
//! errors naming the table.

use rusqlite::{Connection, Row};

use crate::error::StoreError;

// Writes.
pub(crate) const PUT_BID: &str = "INSERT OR REPLACE INTO bids (provider, model, price, capacity, endpoint, nonce, expiry, signature) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
pub(crate) const PUT_ATTESTATION: &str = "INSERT OR REPLACE INTO attestations (provider, model, weights_hash, issued_at, signature) VALUES (?1, ?2, ?3, ?4, ?5)";
pub(crate) const PUT_ALLOWANCE: &str = "INSERT OR REPLACE INTO allowances (day, user, balance, price, allowance, used, held) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
pub(crate) const PUT_NONCE: &str =
    "INSERT OR REPLACE INTO nonces (user, nonce, deadline) VALUES (?1, ?2, ?3)";
pub(crate) const PUT_TICKET: &str = "INSERT OR REPLACE INTO tickets (request_id, user, provider, model, token_max, price, expiry, issued_at, day, status, charged, signature) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)";
pub(crate) const PUT_REPORT: &str = "INSERT INTO reports (request_id, model, provider, first_token_ms, elapsed_ms, user_tokens, receipt_tokens, pass, verdict, credited_tokens, credited_wei, micros_per_token, accepted_at, signature) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)";
pub(crate) const PUT_RECEIPT: &str = "INSERT OR IGNORE INTO receipts (request_id, provider, tokens, signature) VALUES (?1, ?2, ?3, ?4)";
pub(crate) const PUT_CREDIT: &str = "INSERT OR REPLACE INTO credits (seq, provider, amount, bootstrap, block) VALUES (?1, ?2, ?3, ?4, ?5)";
pub(crate) const DEL_CREDIT: &str = "DELETE FROM credits WHERE seq = ?1";
pub(crate) const BUMP_NEXT_SEQ: &str = "INSERT INTO counters (name, value) VALUES ('next_seq', ?1) ON CONFLICT (name) DO UPDATE SET value = max(value, excluded.value)";
pub(crate) const GET_WORK: &str = "SELECT wei, tokens FROM work WHERE day = ?1 AND provider = ?2";
pub(crate) const PUT_WORK: &str =
    "INSERT OR REPLACE INTO work (day, provider, wei, tokens) VALUES (?1, ?2, ?3, ?4)";
pub(crate) const PUT_SCORE: &str =
    "INSERT OR REPLACE INTO scores (provider, passes, fails, failed_by) VALUES (?1, ?2, ?3, ?4)";
pub(crate) const PUT_SPEED: &str = "INSERT OR REPLACE INTO speeds (model, seq, user, first_ms, rest_ms, weight) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
pub(crate) const DEL_SPEED: &str = "DELETE FROM speeds WHERE model = ?1 AND seq = ?2";
pub(crate) const PUT_EPOCH: &str = "INSERT OR REPLACE INTO epochs (epoch, root, cumulative_credited, cumulative_bootstrap, signature, up_to_block, built_at, fold, status, tx_hash, tx_nonce, tx_max_fee, tx_priority_fee, mined_block, mined_gas, deadline) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)";
pub(crate) const PUT_ARCHIVED_EPOCH: &str = "INSERT OR REPLACE INTO archived_epochs (epoch, root, cumulative_credited, cumulative_bootstrap, signature, up_to_block, built_at, fold, status, tx_hash, tx_nonce, tx_max_fee, tx_priority_fee, mined_block, mined_gas, deadline) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)";
pub(crate) const PUT_ARCHIVED_LEAF: &str = "INSERT OR REPLACE INTO archived_leaves (epoch, root, provider, earned, bootstrap) VALUES (?1, ?2, ?3, ?4, ?5)";
pub(crate) const DEL_EPOCH: &str = "DELETE FROM epochs WHERE epoch = ?1 AND root = ?2";
pub(crate) const DEL_EPOCH_LEAVES: &str = "DELETE FROM leaves WHERE epoch = ?1";
pub(crate) const PUT_LEAF: &str =
    "INSERT OR REPLACE INTO leaves (provider, epoch, earned, bootstrap) VALUES (?1, ?2, ?3, ?4)";
pub(crate) const PUT_META: &str = "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)";

// Column lists, shared by every read of a table (the decoders in `codec` read these names).
pub(crate) const BID_COLS: &str =
    "provider, model, price, capacity, endpoint, nonce, expiry, signature";
pub(crate) const ATTESTATION_COLS: &str = "provider, model, weights_hash, issued_at, signature";
pub(crate) const ALLOWANCE_COLS: &str = "day, user, balance, price, allowance, used, held";
pub(crate) const TICKET_COLS: &str = "request_id, user, provider, model, token_max, price, expiry, issued_at, day, status, charged, signature";
pub(crate) const REPORT_COLS: &str = "request_id, model, provider, first_token_ms, elapsed_ms, user_tokens, receipt_tokens, pass, verdict, accepted_at, signature";
pub(crate) const RECEIPT_COLS: &str = "request_id, provider, tokens, signature";
pub(crate) const CREDIT_COLS: &str = "seq, provider, amount, bootstrap, block";
pub(crate) const EPOCH_COLS: &str = "epoch, root, cumulative_credited, cumulative_bootstrap, signature, up_to_block, built_at, fold, status, tx_hash, tx_nonce, tx_max_fee, tx_priority_fee, mined_block, mined_gas, deadline";

/// The tickets loaded at start-up: open ones, and reported ones whose expiry is at most an
/// hour past (`?1` = now - 3600); a negative expiry is a `u64` above `i64::MAX`.
pub(crate) const LIVE_TICKETS: &str =
    "t.status = 'open' OR (t.status = 'reported' AND (t.expiry >= ?1 OR t.expiry < 0))";

/// A column list with each column prefixed by a table alias and named as itself.
pub(crate) fn prefixed(alias: &str, cols: &str) -> String {
    cols.split(',')
        .map(|c| {
            let c = c.trim();
            format!("{alias}.{c} AS {c}")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Runs one cached statement of a write (the rows it changed do not matter to any caller).
pub(crate) fn exec(
    conn: &Connection,
    table: &'static str,
    sql_text: &str,
    params: impl rusqlite::Params,
) -> Result<(), StoreError> {
    conn.prepare_cached(sql_text)
        .and_then(|mut stmt| stmt.execute(params))
        .map(drop)
        .map_err(|source| StoreError::Sqlite {
            context: format!("writing {table}"),
            source,
        })
}

/// Runs one cached query and decodes every row.
pub(crate) fn query<T>(
    conn: &Connection,
    table: &'static str,
    sql_text: &str,
    params: impl rusqlite::Params,
    mut decode: impl FnMut(&Row<'_>) -> Result<T, StoreError>,
) -> Result<Vec<T>, StoreError> {
    let failed = |source| StoreError::Sqlite {
        context: format!("reading {table}"),
        source,
    };
    let mut stmt = conn.prepare_cached(sql_text).map_err(failed)?;
    let mut rows = stmt.query(params).map_err(failed)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(failed)? {
        out.push(decode(row)?);
    }
    Ok(out)
}
