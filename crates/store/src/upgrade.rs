//! Upgrading an older schema, inside the immediate transaction [`crate::schema::migrate`]
//! opened: any error rolls the whole upgrade back and leaves the file at its old version.
//!
//! ## Version 1 to 2 (SPEC 8, market integrity)
//!
//! | table | version 1 | version 2 |
//! |---|---|---|
//! | `bids` | signed over the old `Bid` (no `capacity`) | **dropped**: an old signature cannot verify as a new `Bid`; providers bid again (their gateways re-bid on their own schedule), and selection offers nobody until they do |
//! | `allowances` | tokens (`allowance`, `used`, `held` INTEGER) | wei TEXT at the reference price of the day's figures (meta `day_params:<day>`, else the latest earlier day's, which is what version 1 priced a chain-down allowance with): `allowance` and `used` are tokens × that price, `price` is that price; `held` is recomputed as the sum of the day's open tickets' holds, `tokenMax × ticket price`, which is exactly what their settlement will release (tokens × the reference price would leave a residue, or release other tickets' holds, whenever a ticket's price differs from the reference). A row with no figures at or before its day (or a zero price) is dropped: the user's allowance of that day is computed afresh at their next request |
//! | `reports` | no `first_token_ms`; index `reports_speed` | `first_token_ms` 0 (`firstTokenMs` did not exist; the signatures stored are over the old `Report`); the index is dropped (speeds are in `speeds`); a `too_slow` verdict's per-token figures (µs per token) become the whole answer's (ms for its credited tokens), the unit the new verdict states |
//! | `scores` | passes, fails | `failed_by` empty: each user's next fail counts again, once |
//! | `speeds` | (none: speeds were read from `reports`) | created empty: each model's window relearns, and its first reports are judged on pass alone (the warm-up) |
//! | `tickets` | no `charged` | `charged`, what version 1 charged, in wei at the ticket's price: open 0; reported, the credited wei (version 1 charged only the credited tokens; a credit implies the receipt was held, so no later receipt can change it); expired, `tokenMax × price` |
//!
//! Every other table is unchanged.
//!
//! ## Version 2 to 3 (SPEC 8, settlement is live; contract v2)
//!
//! | table | version 2 | version 3 |
//! |---|---|---|
//! | `epochs` | no deadline | `deadline` 0: those roots were signed under contract v1's `EpochRoot`, which had none, and no v2 contract accepts them; one still built or sent reads as expired at the router's first look at the chain, is archived, and its credits are signed anew with a deadline |
//! | `archived_epochs`, `archived_leaves` | (none: a refused root was deleted with its leaves) | created empty: every root signed from now on is kept, an expired one with its full table, by (epoch, root) |
//!
//! Every other table is unchanged.

use std::collections::{BTreeMap, HashMap};
use std::str::FromStr;

use alloy_primitives::{Address, U256};
use rusqlite::{params, Connection};

use yellowstone_market::allowance::{ticket_hold, Allowance};
use yellowstone_market::judge::{Refusal, Verdict};
use yellowstone_market::records::AllowanceRecord;

use crate::apply::put_allowance;
use crate::codec::{dec, int, verdict_json};
use crate::cols::Cols;
use crate::error::{sqlite, StoreError};
use crate::schema::SCHEMA;
use crate::sql::{exec, query};

/// Meta key prefix of a day's figures (the router's `DAY_PARAMS`).
const DAY_PARAMS: &str = "day_params:";

/// The structural part of the upgrade; [`SCHEMA`] then creates the dropped and new tables.
const V1_TO_V2: &str = "
DROP TABLE bids;
DROP TABLE allowances;
DROP INDEX IF EXISTS reports_speed;
ALTER TABLE reports ADD COLUMN first_token_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE scores ADD COLUMN failed_by BLOB NOT NULL DEFAULT x'';
ALTER TABLE tickets ADD COLUMN charged TEXT NOT NULL DEFAULT '0';
";

/// The structural part of the upgrade from version 2; [`SCHEMA`] then creates the archive.
const V2_TO_V3: &str = "
ALTER TABLE epochs ADD COLUMN deadline INTEGER NOT NULL DEFAULT 0;
";

/// Upgrades a version-2 database to version 3 (see the module docs). The caller sets the
/// version and commits.
pub(crate) fn from_v2(conn: &Connection, shown: &str) -> Result<(), StoreError> {
    conn.execute_batch(V2_TO_V3)
        .map_err(sqlite("upgrading the schema from version 2"))?;
    conn.execute_batch(SCHEMA)
        .map_err(sqlite("creating the version-3 tables"))?;
    let open: i64 = conn
        .query_row(
            "SELECT count(*) FROM epochs WHERE status IN ('built', 'sent')",
            [],
            |row| row.get(0),
        )
        .map_err(sqlite("counting the epochs in flight"))?;
    tracing::info!(
        database = shown,
        epochs_in_flight = open,
        "schema upgraded from version 2 to 3: epochs carry a deadline (0 for the old ones: an epoch in flight is archived and rebuilt), and every signed root is archived rather than deleted"
    );
    Ok(())
}

/// A version-1 allowance row: tokens, not wei.
struct V1Allowance {
    day: u64,
    user: Address,
    balance: U256,
    allowance: u64,
    used: u64,
}

/// Upgrades a version-1 database to version 2 (see the module docs). The caller sets the
/// version and commits.
pub(crate) fn from_v1(conn: &Connection, shown: &str) -> Result<(), StoreError> {
    let prices = day_prices(conn)?;
    let allowances = query(
        conn,
        "allowances",
        "SELECT day, user, balance, allowance, used FROM allowances",
        [],
        |row| {
            let r = Cols::new(row, "allowances");
            Ok(V1Allowance {
                day: r.u64("day")?,
                user: r.address("user")?,
                balance: r.u256("balance")?,
                allowance: r.u64("allowance")?,
                used: r.u64("used")?,
            })
        },
    )?;
    let holds = open_holds(conn)?;
    let bids: i64 = conn
        .query_row("SELECT count(*) FROM bids", [], |row| row.get(0))
        .map_err(sqlite("counting the version-1 bids"))?;

    conn.execute_batch(V1_TO_V2)
        .map_err(sqlite("upgrading the schema from version 1"))?;
    conn.execute_batch(SCHEMA)
        .map_err(sqlite("creating the version-2 tables"))?;

    let (mut kept, mut dropped) = (0usize, 0usize);
    for a in allowances {
        let Some((_, price)) = prices.range(..=a.day).next_back() else {
            dropped += 1;
            continue;
        };
        let record = AllowanceRecord {
            day: a.day,
            user: a.user,
            balance: a.balance,
            price: *price,
            allowance: Allowance {
                allowance: price.saturating_mul(U256::from(a.allowance)),
                used: price.saturating_mul(U256::from(a.used)),
                held: holds.get(&(a.day, a.user)).copied().unwrap_or_default(),
            },
        };
        put_allowance(conn, &record)?;
        kept += 1;
    }
    let expired = charge_settled_tickets(conn)?;
    let slow = restate_too_slow(conn)?;
    tracing::warn!(
        database = shown,
        bids_dropped = bids,
        "schema upgraded from version 1 to 2: every bid was dropped (signed without a capacity); providers must bid again"
    );
    tracing::info!(
        database = shown,
        allowances_converted = kept,
        allowances_dropped = dropped,
        expired_tickets = expired,
        too_slow_verdicts = slow,
        "allowances converted to wei at each day's reference price (rows of days without figures dropped: recomputed at the user's next request)"
    );
    Ok(())
}

/// Each day's reference price from its persisted figures (JSON with `price` as a `0x` hex or
/// decimal string). Figures that do not parse, or a zero price, count as none (the router skips
/// unreadable figures at start-up too).
fn day_prices(conn: &Connection) -> Result<BTreeMap<u64, U256>, StoreError> {
    let rows = query(conn, "meta", "SELECT key, value FROM meta", [], |row| {
        let r = Cols::new(row, "meta");
        Ok((r.string("key")?, r.string("value")?))
    })?;
    let mut prices = BTreeMap::new();
    for (key, value) in rows {
        let Some(day) = key.strip_prefix(DAY_PARAMS) else {
            continue;
        };
        let price = serde_json::from_str::<serde_json::Value>(&value)
            .ok()
            .and_then(|v| v.get("price")?.as_str().map(str::to_owned))
            .and_then(|p| U256::from_str(&p).ok());
        match (day.parse::<u64>(), price) {
            (Ok(day), Some(price)) if !price.is_zero() => {
                prices.insert(day, price);
            }
            _ => tracing::warn!(key, "day figures without a readable price: ignored"),
        }
    }
    Ok(prices)
}

/// Per (day, user), the wei the open tickets hold: the sum of `tokenMax × price`.
fn open_holds(conn: &Connection) -> Result<HashMap<(u64, Address), U256>, StoreError> {
    let rows = query(
        conn,
        "tickets",
        "SELECT day, user, token_max, price FROM tickets WHERE status = 'open'",
        [],
        |row| {
            let r = Cols::new(row, "tickets");
            let hold = ticket_hold(r.u64("token_max")?, r.u256("price")?).unwrap_or(U256::MAX);
            Ok(((r.u64("day")?, r.address("user")?), hold))
        },
    )?;
    let mut holds: HashMap<(u64, Address), U256> = HashMap::new();
    for (key, hold) in rows {
        let sum = holds.entry(key).or_default();
        *sum = sum.saturating_add(hold);
    }
    Ok(holds)
}

/// Sets `charged` of settled tickets to what version 1 charged: a reported ticket its
/// credited wei, an expired one `tokenMax × price`. Returns the expired tickets set.
fn charge_settled_tickets(conn: &Connection) -> Result<usize, StoreError> {
    conn.execute(
        "UPDATE tickets SET charged = COALESCE((SELECT r.credited_wei FROM reports r \
         WHERE r.request_id = tickets.request_id), '0') WHERE status = 'reported'",
        [],
    )
    .map_err(sqlite("setting what reported tickets were charged"))?;
    let expired = query(
        conn,
        "tickets",
        "SELECT request_id, token_max, price FROM tickets WHERE status = 'expired'",
        [],
        |row| {
            let r = Cols::new(row, "tickets");
            let hold = ticket_hold(r.u64("token_max")?, r.u256("price")?).unwrap_or(U256::MAX);
            Ok((r.b256("request_id")?, hold))
        },
    )?;
    for (id, hold) in &expired {
        exec(
            conn,
            "tickets",
            "UPDATE tickets SET charged = ?2 WHERE request_id = ?1",
            params![id.as_slice(), dec(hold)],
        )?;
    }
    Ok(expired.len())
}

/// Restates version 1's `too_slow` verdicts in version 2's terms (the whole answer's ms, not
/// µs per token): `expected_ms = average × n / 1000` and `limit_ms = limit × n / 1000`
/// (floor), n the credited count `min(user tokens, receipt, tokenMax)`. Without this, the
/// old JSON would not decode and the report would read as corrupt. Returns the count.
fn restate_too_slow(conn: &Connection) -> Result<usize, StoreError> {
    let rows = query(
        conn,
        "reports",
        "SELECT r.rowid AS id, r.verdict AS verdict, r.elapsed_ms AS elapsed_ms, \
         r.user_tokens AS user_tokens, r.receipt_tokens AS receipt_tokens, \
         t.token_max AS token_max \
         FROM reports r LEFT JOIN tickets t ON t.request_id = r.request_id \
         WHERE r.verdict LIKE '%too_slow%'",
        [],
        |row| {
            let r = Cols::new(row, "reports");
            let n = [r.opt_u64("receipt_tokens")?, r.opt_u64("token_max")?]
                .into_iter()
                .flatten()
                .fold(r.u64("user_tokens")?, u64::min);
            Ok((r.u64("id")?, r.string("verdict")?, r.u64("elapsed_ms")?, n))
        },
    )?;
    let mut restated = 0;
    for (id, verdict, elapsed_ms, n) in rows {
        let Some((average, limit)) = v1_too_slow(&verdict) else {
            continue;
        };
        let whole = |micros: u64| {
            let ms = u128::from(micros) * u128::from(n) / 1000;
            u64::try_from(ms).unwrap_or(u64::MAX)
        };
        let verdict = Verdict::Refused {
            reason: Refusal::TooSlow {
                elapsed_ms,
                expected_ms: whole(average),
                limit_ms: whole(limit),
            },
        };
        exec(
            conn,
            "reports",
            "UPDATE reports SET verdict = ?2 WHERE rowid = ?1",
            params![int(id), verdict_json(&verdict)?],
        )?;
        restated += 1;
    }
    Ok(restated)
}

/// A version-1 `too_slow` verdict's (average, limit) in µs per token; `None` for any other.
fn v1_too_slow(json: &str) -> Option<(u64, u64)> {
    let value: serde_json::Value = serde_json::from_str(json).ok()?;
    let reason = value.get("reason")?;
    if reason.get("reason")?.as_str()? != "too_slow" {
        return None;
    }
    Some((
        reason.get("average")?.as_u64()?,
        reason.get("limit")?.as_u64()?,
    ))
}

#[cfg(test)]
mod tests {
    use super::v1_too_slow;

    #[test]
    fn only_a_version_1_too_slow_verdict_is_restated() {
        let old = r#"{"outcome":"refused","reason":{"reason":"too_slow","micros_per_token":9,"average":4,"limit":6}}"#;
        assert_eq!(v1_too_slow(old), Some((4, 6)));
        let new = r#"{"outcome":"refused","reason":{"reason":"too_slow","elapsed_ms":9,"expected_ms":4,"limit_ms":6}}"#;
        assert_eq!(v1_too_slow(new), None);
        assert_eq!(
            v1_too_slow(r#"{"outcome":"refused","reason":{"reason":"failed"}}"#),
            None
        );
        assert_eq!(v1_too_slow("not json"), None);
    }
}
