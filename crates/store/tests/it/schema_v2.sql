-- The version-2 schema, copied from the release before issue 14 (crates/store/src/schema.rs).
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
    mined_gas INTEGER
);
CREATE INDEX IF NOT EXISTS epochs_status ON epochs (status, epoch);
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
