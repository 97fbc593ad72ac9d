//! The schema (DDL) and its version: created on first open, upgraded from an older version
//! (`upgrade`), refused when newer than this build. The tables are summarised in the crate
//! docs.

use rusqlite::Connection;

use crate::error::{sqlite, StoreError};

/// The schema version this build creates and reads (`PRAGMA user_version`).
pub const SCHEMA_VERSION: i64 = 3;

/// The schema of version 3. Every statement is idempotent, so two processes racing to create
/// it (inside an immediate transaction each) cannot fail, and the upgrades from versions 1
/// and 2 run it to create what they dropped or what is new.
pub(crate) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS bids (
    provider BLOB NOT NULL,
    model TEXT NOT NULL,
    price TEXT NOT NULL,
    capacity INTEGER NOT NULL,
    endpoint TEXT NOT NULL,
    nonce INTEGER NOT NULL,
    expiry INTEGER NOT NULL,
    signature BLOB NOT NULL,
    PRIMARY KEY (provider, model)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS attestations (
    provider BLOB NOT NULL,
    model TEXT NOT NULL,
    weights_hash BLOB NOT NULL,
    issued_at INTEGER NOT NULL,
    signature BLOB NOT NULL,
    PRIMARY KEY (provider, model)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS allowances (
    day INTEGER NOT NULL,
    user BLOB NOT NULL,
    balance TEXT NOT NULL,
    price TEXT NOT NULL,
    allowance TEXT NOT NULL,
    used TEXT NOT NULL,
    held TEXT NOT NULL,
    PRIMARY KEY (day, user)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS allowances_user ON allowances (user, day);
CREATE TABLE IF NOT EXISTS nonces (
    user BLOB NOT NULL,
    nonce INTEGER NOT NULL,
    deadline INTEGER NOT NULL,
    PRIMARY KEY (user, nonce)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS nonces_deadline ON nonces (deadline);
CREATE TABLE IF NOT EXISTS tickets (
    request_id BLOB NOT NULL PRIMARY KEY,
    user BLOB NOT NULL,
    provider BLOB NOT NULL,
    model TEXT NOT NULL,
    token_max INTEGER NOT NULL,
    price TEXT NOT NULL,
    expiry INTEGER NOT NULL,
    issued_at INTEGER NOT NULL,
    day INTEGER NOT NULL,
    status TEXT NOT NULL,
    charged TEXT NOT NULL,
    signature BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS tickets_status ON tickets (status, expiry);
CREATE TABLE IF NOT EXISTS reports (
    request_id BLOB NOT NULL UNIQUE,
    model TEXT NOT NULL,
    provider BLOB NOT NULL,
    first_token_ms INTEGER NOT NULL,
    elapsed_ms INTEGER NOT NULL,
    user_tokens INTEGER NOT NULL,
    receipt_tokens INTEGER,
    pass INTEGER NOT NULL,
    verdict TEXT NOT NULL,
    credited_tokens INTEGER,
    credited_wei TEXT,
    micros_per_token INTEGER,
    accepted_at INTEGER NOT NULL,
    signature BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS receipts (
    request_id BLOB NOT NULL PRIMARY KEY,
    provider BLOB NOT NULL,
    tokens INTEGER NOT NULL,
    signature BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS credits (
    seq INTEGER NOT NULL PRIMARY KEY,
    provider BLOB NOT NULL,
    amount TEXT NOT NULL,
    bootstrap INTEGER NOT NULL,
    block INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS counters (
    name TEXT NOT NULL PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS work (
    day INTEGER NOT NULL,
    provider BLOB NOT NULL,
    wei TEXT NOT NULL,
    tokens INTEGER NOT NULL,
    PRIMARY KEY (day, provider)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS scores (
    provider BLOB NOT NULL PRIMARY KEY,
    passes INTEGER NOT NULL,
    fails INTEGER NOT NULL,
    failed_by BLOB NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS speeds (
    model TEXT NOT NULL,
    seq INTEGER NOT NULL,
    user BLOB NOT NULL,
    first_ms INTEGER NOT NULL,
    rest_ms INTEGER NOT NULL,
    weight INTEGER NOT NULL,
    PRIMARY KEY (model, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS epochs (
    epoch INTEGER NOT NULL PRIMARY KEY,
    root BLOB NOT NULL,
    cumulative_credited TEXT NOT NULL,
    cumulative_bootstrap TEXT NOT NULL,
    signature BLOB NOT NULL,
    up_to_block INTEGER NOT NULL,
    built_at INTEGER NOT NULL,
    fold TEXT NOT NULL,
    status TEXT NOT NULL,
    tx_hash BLOB,
    tx_nonce INTEGER,
    tx_max_fee TEXT,
    tx_priority_fee TEXT,
    mined_block INTEGER,
    mined_gas INTEGER,
    deadline INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS epochs_status ON epochs (status, epoch);
CREATE TABLE IF NOT EXISTS archived_epochs (
    epoch INTEGER NOT NULL,
    root BLOB NOT NULL,
    cumulative_credited TEXT NOT NULL,
    cumulative_bootstrap TEXT NOT NULL,
    signature BLOB NOT NULL,
    up_to_block INTEGER NOT NULL,
    built_at INTEGER NOT NULL,
    fold TEXT NOT NULL,
    status TEXT NOT NULL,
    tx_hash BLOB,
    tx_nonce INTEGER,
    tx_max_fee TEXT,
    tx_priority_fee TEXT,
    mined_block INTEGER,
    mined_gas INTEGER,
    deadline INTEGER NOT NULL,
    PRIMARY KEY (epoch, root)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS archived_leaves (
    epoch INTEGER NOT NULL,
    root BLOB NOT NULL,
    provider BLOB NOT NULL,
    earned TEXT NOT NULL,
    bootstrap TEXT NOT NULL,
    PRIMARY KEY (epoch, root, provider)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS leaves (
    provider BLOB NOT NULL,
    epoch INTEGER NOT NULL,
    earned TEXT NOT NULL,
    bootstrap TEXT NOT NULL,
    PRIMARY KEY (provider, epoch)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS leaves_epoch ON leaves (epoch);
CREATE TABLE IF NOT EXISTS meta (
    key TEXT NOT NULL PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
";

/// Fails if the database's schema is newer than this build's (or not one it ever wrote);
/// returns the version found (0: no schema yet).
pub(crate) fn check_version(conn: &Connection, shown: &str) -> Result<i64, StoreError> {
    let found: i64 = conn
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .map_err(|source| StoreError::Sqlite {
            context: format!("reading the schema version of {shown}"),
            source,
        })?;
    if found > SCHEMA_VERSION {
        return Err(StoreError::TooNew {
            path: shown.to_string(),
            found,
            supported: SCHEMA_VERSION,
        });
    }
    if found < 0 {
        return Err(StoreError::UnknownVersion {
            path: shown.to_string(),
            found,
        });
    }
    Ok(found)
}

/// Creates the schema if the database has none (version 0) or upgrades an older one
/// ([`crate::upgrade::from_v1`], then [`crate::upgrade::from_v2`]), inside one immediate
/// transaction: a failed upgrade leaves the file exactly as it was, and a second process
/// opening it waits, then finds version 3.
pub(crate) fn migrate(conn: &mut Connection, shown: &str) -> Result<(), StoreError> {
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(sqlite("beginning the schema transaction"))?;
    let found = check_version(&tx, shown)?;
    match found {
        0 => tx
            .execute_batch(SCHEMA)
            .map_err(sqlite("creating the schema"))?,
        1 => {
            crate::upgrade::from_v1(&tx, shown)?;
            crate::upgrade::from_v2(&tx, shown)?;
        }
        2 => crate::upgrade::from_v2(&tx, shown)?,
        _ => {}
    }
    if found != SCHEMA_VERSION {
        tx.pragma_update(None, "user_version", SCHEMA_VERSION)
            .map_err(sqlite("setting the schema version"))?;
    }
    tx.commit().map_err(sqlite("committing the schema"))
}

#[cfg(test)]
mod tests {
    use rusqlite::Connection;

    use super::SCHEMA_VERSION;
    use crate::test_support::TempDir;
    use crate::{Durability, Store, StoreError};

    #[test]
    fn a_newer_schema_version_is_refused_with_a_clear_message() {
        let dir = TempDir::new("version");
        drop(Store::open(&dir.db(), Durability::Normal).unwrap());
        Connection::open(dir.db())
            .unwrap()
            .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
        let err = Store::open(&dir.db(), Durability::Normal).unwrap_err();
        assert!(
            matches!(
                err,
                StoreError::TooNew {
                    found: 4,
                    supported: 3,
                    ..
                }
            ),
            "{err}"
        );
        let text = err.to_string();
        assert!(
            text.contains("schema version 4") && text.contains("newer router"),
            "{text}"
        );
    }
}
