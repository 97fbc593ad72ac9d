//! Phase 2, Nitro's instrumentation (`instrument` in `crates/prover/src/binary.rs`, with
//! `programs/start.rs`, `programs/heap.rs` and `programs/mod.rs`): the start mover, the heap
//! bound and the entrypoint.

use wasmparser::{ExternalKind, FuncType, MemoryType, ValType};

use super::hostio::{check_hostio_type, func_type_string};
use super::parser::FuncImport;
use super::sections::Parsed;
use super::{ActivationError, ENTRYPOINT, HOST_MODULE, MAX_PAGES, MEMORY_EXPORT};

/// Runs the instrumentation's checks; returns the memory and the entrypoint's function index.
pub(super) fn check(
    p: &Parsed<'_>,
    func_imports: &[FuncImport<'_>],
) -> Result<(MemoryType, u32), ActivationError> {
    if let Some(func) = p.start {
        return Err(ActivationError::StartFunction { func });
    }
    let memory = match p.memories.len() {
        0 => return Err(ActivationError::NoMemory),
        1 => p.memories[0],
        n => return Err(ActivationError::MemoryCount { count: n as u32 }),
    };
    let memory_export = p.exports.iter().find(|e| e.name == MEMORY_EXPORT);
    if !matches!(memory_export, Some(e) if e.kind == ExternalKind::Memory && e.index == 0) {
        return Err(ActivationError::MemoryNotExported);
    }
    if memory.initial > MAX_PAGES {
        return Err(ActivationError::MemoryTooLarge {
            pages: memory.initial,
            limit: MAX_PAGES,
        });
    }
    if memory.maximum != Some(memory.initial) {
        // Nitro's heap bound looks the import up and checks its type here, before the
        // entrypoint; other imports are resolved later.
        let Some(&(_, name, ty)) = func_imports
            .iter()
            .find(|&&(m, n, _)| m == HOST_MODULE && n == "pay_for_memory_grow")
        else {
            return Err(ActivationError::MissingPayForMemoryGrow);
        };
        check_hostio_type(name, ty, &p.types)?;
    }
    let func_type = |index: u32| -> Option<&FuncType> {
        let index = index as usize;
        let ty = if index < func_imports.len() {
            func_imports[index].2
        } else {
            *p.functions.get(index - func_imports.len())?
        };
        p.types.get(ty as usize)
    };
    let entry = p
        .exports
        .iter()
        .find(|e| e.name == ENTRYPOINT)
        .ok_or(ActivationError::MissingEntrypoint)?;
    if entry.kind != ExternalKind::Func {
        return Err(ActivationError::EntrypointNotFunction {
            kind: kind_name(entry.kind),
        });
    }
    let entry_ty = func_type(entry.index)
        .ok_or_else(|| ActivationError::InvalidWasm("entrypoint has no type".into()))?;
    if entry_ty.params() != [ValType::I32] || entry_ty.results() != [ValType::I32] {
        return Err(ActivationError::EntrypointSignature {
            found: func_type_string(entry_ty),
        });
    }
    Ok((memory, entry.index))
}

fn kind_name(kind: ExternalKind) -> &'static str {
    match kind {
        ExternalKind::Func => "function",
        ExternalKind::FuncExact => "function",
        ExternalKind::Table => "table",
        ExternalKind::Memory => "memory",
        ExternalKind::Global => "global",
        ExternalKind::Tag => "tag",
    }
}
