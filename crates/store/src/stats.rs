//! Row counts and the file size, for `/metrics` and `status`.

use crate::error::{sqlite, StoreError};
use crate::Store;

/// Counts for `/metrics` and `status`.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct StoreStats {
    /// Tickets ever issued.
    pub tickets: u64,
    /// Reports ever accepted.
    pub reports: u64,
    /// Credits not yet wholly committed.
    pub credits_pending: u64,
    /// Epochs stored.
    pub epochs: u64,
    /// Leaves stored.
    pub leaves: u64,
    /// Size of the database file in bytes (page_count * page_size; the WAL is not counted).
    pub bytes: u64,
}

impl Store {
    /// Counts for /metrics and `status`: rows per table, and the database file size in bytes
    /// (page_count * page_size).
    pub fn stats(&self) -> Result<StoreStats, StoreError> {
        let mut conn = self.reader();
        let tx = conn
            .transaction()
            .map_err(sqlite("beginning a read transaction"))?;
        let count = |table: &'static str, sql_text: &str| -> Result<u64, StoreError> {
            let n: i64 = tx
                .prepare_cached(sql_text)
                .and_then(|mut s| s.query_row([], |row| row.get(0)))
                .map_err(|source| StoreError::Sqlite {
                    context: format!("counting {table}"),
                    source,
                })?;
            Ok(u64::try_from(n).unwrap_or(0))
        };
        Ok(StoreStats {
            tickets: count("tickets", "SELECT count(*) FROM tickets")?,
            reports: count("reports", "SELECT count(*) FROM reports")?,
            credits_pending: count("credits", "SELECT count(*) FROM credits")?,
            epochs: count("epochs", "SELECT count(*) FROM epochs")?,
            leaves: count("leaves", "SELECT count(*) FROM leaves")?,
            bytes: count(
                "pages",
                "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()",
            )?,
        })
    }
}
