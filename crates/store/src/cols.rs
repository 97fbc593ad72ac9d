//! Typed, checked access to a row's columns: every decoder reads through it, so a value that
//! does not decode is a [`StoreError::Corrupt`] naming its table and column.

use alloy_primitives::{Address, Bytes, B256, U256};
use rusqlite::Row;

use crate::error::StoreError;

/// Typed, checked access to the columns of one row of one table.
pub(crate) struct Cols<'a, 'b> {
    row: &'a Row<'b>,
    table: &'static str,
}

impl<'a, 'b> Cols<'a, 'b> {
    /// Reads `row` of `table` (named in errors).
    pub(crate) fn new(row: &'a Row<'b>, table: &'static str) -> Self {
        Cols { row, table }
    }

    /// The error for a bad value in `column`.
    pub(crate) fn corrupt(&self, column: &'static str, why: impl ToString) -> StoreError {
        StoreError::Corrupt {
            table: self.table,
            column,
            why: why.to_string(),
        }
    }

    fn get<T: rusqlite::types::FromSql>(&self, column: &'static str) -> Result<T, StoreError> {
        self.row.get(column).map_err(|e| self.corrupt(column, e))
    }

    /// A `u64`, bit-cast back from its `i64`.
    pub(crate) fn u64(&self, column: &'static str) -> Result<u64, StoreError> {
        Ok(self.get::<i64>(column)? as u64)
    }

    /// A nullable `u64`.
    pub(crate) fn opt_u64(&self, column: &'static str) -> Result<Option<u64>, StoreError> {
        Ok(self.get::<Option<i64>>(column)?.map(|v| v as u64))
    }

    /// A boolean: exactly 0 or 1.
    pub(crate) fn bool(&self, column: &'static str) -> Result<bool, StoreError> {
        match self.get::<i64>(column)? {
            0 => Ok(false),
            1 => Ok(true),
            other => Err(self.corrupt(column, format!("{other} is not a boolean (0 or 1)"))),
        }
    }

    /// A text column.
    pub(crate) fn string(&self, column: &'static str) -> Result<String, StoreError> {
        self.get(column)
    }

    /// Fails unless `text` is decimal digits only, as written (stricter than the parsers:
    /// `u128` takes a leading `+`).
    fn digits(&self, column: &'static str, text: &str) -> Result<(), StoreError> {
        if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(self.corrupt(column, format!("{text:?} is not a decimal integer")));
        }
        Ok(())
    }

    /// A `U256` from its decimal text.
    pub(crate) fn u256(&self, column: &'static str) -> Result<U256, StoreError> {
        let text: String = self.get(column)?;
        self.parse_u256(column, &text)
    }

    /// A `U256` from decimal text found in `column` (also inside JSON).
    pub(crate) fn parse_u256(&self, column: &'static str, text: &str) -> Result<U256, StoreError> {
        self.digits(column, text)?;
        U256::from_str_radix(text, 10)
            .map_err(|e| self.corrupt(column, format!("{text:?} is not a 256-bit integer: {e}")))
    }

    /// A nullable `u128` from its decimal text.
    pub(crate) fn opt_u128(&self, column: &'static str) -> Result<Option<u128>, StoreError> {
        let Some(text) = self.get::<Option<String>>(column)? else {
            return Ok(None);
        };
        self.digits(column, &text)?;
        text.parse::<u128>()
            .map(Some)
            .map_err(|e| self.corrupt(column, format!("{text:?} is not a 128-bit integer: {e}")))
    }

    /// A blob of any length.
    fn blob(&self, column: &'static str) -> Result<Vec<u8>, StoreError> {
        self.get(column)
    }

    /// A 20-byte address.
    pub(crate) fn address(&self, column: &'static str) -> Result<Address, StoreError> {
        let bytes = self.blob(column)?;
        if bytes.len() != 20 {
            return Err(self.corrupt(
                column,
                format!("{} bytes, not a 20-byte address", bytes.len()),
            ));
        }
        Ok(Address::from_slice(&bytes))
    }

    /// Addresses stored one after another (20 bytes each) in one blob.
    pub(crate) fn addresses(&self, column: &'static str) -> Result<Vec<Address>, StoreError> {
        let bytes = self.blob(column)?;
        if bytes.len() % 20 != 0 {
            return Err(self.corrupt(
                column,
                format!("{} bytes, not a list of 20-byte addresses", bytes.len()),
            ));
        }
        Ok(bytes.chunks_exact(20).map(Address::from_slice).collect())
    }

    /// A 32-byte hash, not NULL.
    pub(crate) fn b256(&self, column: &'static str) -> Result<B256, StoreError> {
        self.opt_b256(column)?
            .ok_or_else(|| self.corrupt(column, "NULL, not a 32-byte hash"))
    }

    /// A nullable 32-byte hash.
    pub(crate) fn opt_b256(&self, column: &'static str) -> Result<Option<B256>, StoreError> {
        let Some(bytes) = self.get::<Option<Vec<u8>>>(column)? else {
            return Ok(None);
        };
        if bytes.len() != 32 {
            return Err(self.corrupt(column, format!("{} bytes, not a 32-byte hash", bytes.len())));
        }
        Ok(Some(B256::from_slice(&bytes)))
    }

    /// A blob of any length, as `Bytes` (signatures).
    pub(crate) fn bytes(&self, column: &'static str) -> Result<Bytes, StoreError> {
        Ok(Bytes::from(self.blob(column)?))
    }
}
