//! Phase 3, Nitro's `parse_user` limits (`WasmBinary::parse_user` in
//! `crates/prover/src/binary.rs`): how many of each thing a module may have, and how long its
//! names may be.

use std::fmt;

use super::parser::FuncImport;
use super::sections::Parsed;
use super::ActivationError;

/// Largest number of defined functions (Nitro: 4096).
pub const MAX_FUNCTIONS: u64 = 4096;
/// Largest number of exports (Nitro: 1024).
pub const MAX_EXPORTS: u64 = 1024;
/// Largest number of data segments (Nitro: 128).
pub const MAX_DATA_SEGMENTS: u64 = 128;
/// Largest number of element segments (Nitro: 128).
pub const MAX_ELEMENT_SEGMENTS: u64 = 128;
/// Largest number of globals (Nitro: 32768).
pub const MAX_GLOBALS: u64 = 32_768;
/// Largest number of declared locals in one function, parameters excluded (Nitro: 348).
pub const MAX_LOCALS: u64 = 348;
/// Largest number of operators in one function body, the final `end` included (Nitro: 65536).
pub const MAX_OPCODES: u64 = 65_536;
/// Largest number of imports (Nitro: 513, since ArbOS's Stylus charging fixes).
pub const MAX_IMPORTS: u64 = 513;
/// Largest sum of the tables' initial sizes (Nitro: 4096).
pub const MAX_TABLE_ENTRIES: u64 = 4096;
/// Largest sum of the element segments' sizes (Nitro: 4096; Nitro measures each segment by the
/// length of its encoding in bytes, which this crate mirrors).
pub const MAX_ELEMENT_ENTRIES: u64 = 4096;
/// Longest export name and module name (from the `name` section), in bytes (Nitro: 512).
pub const MAX_NAME_LEN: usize = 512;

/// A counted quantity Nitro bounds; see [`ActivationError::TooMany`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Count {
    /// Defined functions ([`MAX_FUNCTIONS`]).
    Functions,
    /// Exports ([`MAX_EXPORTS`]).
    Exports,
    /// Data segments ([`MAX_DATA_SEGMENTS`]).
    DataSegments,
    /// Element segments ([`MAX_ELEMENT_SEGMENTS`]).
    ElementSegments,
    /// Globals ([`MAX_GLOBALS`]).
    Globals,
    /// Declared locals of one function ([`MAX_LOCALS`]).
    Locals,
    /// Operators in one function body ([`MAX_OPCODES`]).
    Opcodes,
    /// Imports ([`MAX_IMPORTS`]).
    Imports,
    /// Sum of the tables' initial sizes ([`MAX_TABLE_ENTRIES`]).
    TableEntries,
    /// Sum of the element segments' encoded sizes ([`MAX_ELEMENT_ENTRIES`]).
    ElementEntries,
}

impl fmt::Display for Count {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Count::Functions => "functions",
            Count::Exports => "exports",
            Count::DataSegments => "data segments",
            Count::ElementSegments => "element segments",
            Count::Globals => "globals",
            Count::Locals => "locals",
            Count::Opcodes => "opcodes",
            Count::Imports => "imports",
            Count::TableEntries => "table entries",
            Count::ElementEntries => "element entries (bytes of element segments)",
        })
    }
}

/// Runs the `parse_user` checks.
pub(super) fn check(
    p: &Parsed<'_>,
    func_imports: &[FuncImport<'_>],
) -> Result<(), ActivationError> {
    too_many(
        Count::DataSegments,
        None,
        p.datas.len() as u64,
        MAX_DATA_SEGMENTS,
    )?;
    too_many(
        Count::ElementSegments,
        None,
        p.elements.len() as u64,
        MAX_ELEMENT_SEGMENTS,
    )?;
    too_many(Count::Exports, None, p.exports.len() as u64, MAX_EXPORTS)?;
    too_many(Count::Functions, None, p.bodies.len() as u64, MAX_FUNCTIONS)?;
    too_many(Count::Globals, None, p.globals, MAX_GLOBALS)?;
    let first_defined = func_imports.len() as u32;
    for (i, body) in p.bodies.iter().enumerate() {
        let func = Some(first_defined + i as u32);
        let mut locals: u64 = 0;
        let mut reader = body
            .get_locals_reader()
            .map_err(|e| ActivationError::InvalidWasm(e.to_string()))?;
        for _ in 0..reader.get_count() {
            let (count, _) = reader
                .read()
                .map_err(|e| ActivationError::InvalidWasm(e.to_string()))?;
            locals += u64::from(count);
        }
        too_many(Count::Locals, func, locals, MAX_LOCALS)?;
        let mut ops = body
            .get_operators_reader()
            .map_err(|e| ActivationError::InvalidWasm(e.to_string()))?;
        let mut n: u64 = 0;
        while !ops.eof() {
            ops.read()
                .map_err(|e| ActivationError::InvalidWasm(e.to_string()))?;
            n += 1;
        }
        too_many(Count::Opcodes, func, n, MAX_OPCODES)?;
    }
    too_many(Count::Imports, None, p.imports.len() as u64, MAX_IMPORTS)?;
    let table_entries = p.tables.iter().fold(0u64, |a, t| a.saturating_add(*t));
    too_many(Count::TableEntries, None, table_entries, MAX_TABLE_ENTRIES)?;
    let elem_entries = p.elements.iter().fold(0u64, |a, e| {
        a.saturating_add(e.range.end.saturating_sub(e.range.start))
    });
    too_many(
        Count::ElementEntries,
        None,
        elem_entries,
        MAX_ELEMENT_ENTRIES,
    )?;
    if let Some(e) = p.exports.iter().find(|e| e.name.len() > MAX_NAME_LEN) {
        return Err(ActivationError::NameTooLong {
            kind: "export name",
            name: e.name.to_string(),
            limit: MAX_NAME_LEN,
        });
    }
    if let Some(name) = p.module_name.as_ref().filter(|n| n.len() > MAX_NAME_LEN) {
        return Err(ActivationError::NameTooLong {
            kind: "module name",
            name: name.clone(),
            limit: MAX_NAME_LEN,
        });
    }
    Ok(())
}

/// [`ActivationError::TooMany`] when `count` exceeds `limit`.
fn too_many(what: Count, func: Option<u32>, count: u64, limit: u64) -> Result<(), ActivationError> {
    if count > limit {
        Err(ActivationError::TooMany {
            what,
            func,
            count,
            limit,
        })
    } else {
        Ok(())
    }
}
