//! What can go wrong in the store, and the one helper that labels SQLite errors.

use std::path::PathBuf;

/// What can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite failed; `context` says what the store was doing.
    #[error("sqlite error while {context}: {source}")]
    Sqlite {
        /// What the store was doing (often the table touched).
        context: String,
        /// The SQLite error.
        #[source]
        source: rusqlite::Error,
    },
    /// The database's directory could not be created.
    #[error("cannot create the database directory {}: {source}", path.display())]
    Io {
        /// The directory.
        path: PathBuf,
        /// The IO error.
        #[source]
        source: std::io::Error,
    },
    /// A row read back from disk does not decode.
    #[error("corrupt row in table `{table}`, column `{column}`: {why}")]
    Corrupt {
        /// The table.
        table: &'static str,
        /// The column.
        column: &'static str,
        /// What is wrong with the value.
        why: String,
    },
    /// A row that may be written only once was written again (a second report for a request).
    #[error("duplicate row in table `{table}`: {key} is already stored")]
    Duplicate {
        /// The table.
        table: &'static str,
        /// The key already present.
        key: String,
    },
    /// A value could not be encoded for its column.
    #[error("cannot encode table `{table}`, column `{column}`: {why}")]
    Encode {
        /// The table.
        table: &'static str,
        /// The column.
        column: &'static str,
        /// What went wrong.
        why: String,
    },
    /// The database was written by a newer router, with a schema this build does not know.
    #[error(
        "the database {path} has schema version {found} but this router supports version \
         {supported} at most: it was written by a newer router; run that version (or restore \
         a backup)"
    )]
    TooNew {
        /// The database file.
        path: String,
        /// The version found in `PRAGMA user_version`.
        found: i64,
        /// The newest version this build supports.
        supported: i64,
    },
    /// The database's schema version is not one this build ever wrote.
    #[error("the database {path} has an unknown schema version {found}")]
    UnknownVersion {
        /// The database file.
        path: String,
        /// The version found.
        found: i64,
    },
    /// Journal mode WAL could not be set (for example on a file system without shared memory).
    #[error("the database {path} cannot use WAL mode (the journal mode is {mode})")]
    NoWal {
        /// The database file.
        path: String,
        /// The journal mode SQLite kept.
        mode: String,
    },
    /// The writer thread has stopped, so the batch was not committed.
    #[error("the store writer has stopped; the batch was not committed")]
    WriterStopped,
}

/// A closure wrapping a SQLite error with what the store was doing.
pub(crate) fn sqlite(context: &'static str) -> impl FnOnce(rusqlite::Error) -> StoreError {
    move |source| StoreError::Sqlite {
        context: context.to_string(),
        source,
    }
}
