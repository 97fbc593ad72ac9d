//! Phase 1, Nitro's parser (`parse_with_version` in `crates/prover/src/binary.rs`): only
//! function imports, none imported twice with different types, no export shadowing an import,
//! and no name using the reserved prefix.

use std::collections::{HashMap, HashSet};

use wasmparser::TypeRef;

use super::sections::Parsed;
use super::{ActivationError, RESERVED_PREFIX};

/// A function import: module, name and type index.
pub(super) type FuncImport<'a> = (&'a str, &'a str, u32);

/// Runs the parser's checks; returns the function imports in order (once it passes, every
/// import is one).
pub(super) fn check<'a>(p: &Parsed<'a>) -> Result<Vec<FuncImport<'a>>, ActivationError> {
    // Nitro's parser requires single-constant global initialisers (unreachable once validated
    // without extended constants or reference types, kept as a backstop).
    if let Some(index) = p.non_constant_global {
        return Err(ActivationError::NonConstantGlobal { index });
    }
    let mut func_imports: Vec<FuncImport<'a>> = Vec::new();
    for import in &p.imports {
        match import.ty {
            TypeRef::Func(ty) => func_imports.push((import.module, import.name, ty)),
            ref other => {
                return Err(ActivationError::ImportNotFunction {
                    module: import.module.to_string(),
                    name: import.name.to_string(),
                    kind: type_ref_name(other),
                })
            }
        }
    }
    let mut seen: HashMap<(&str, &str), u32> = HashMap::new();
    for &(module, name, ty) in &func_imports {
        if let Some(prior) = seen.insert((module, name), ty) {
            if prior != ty {
                return Err(ActivationError::InconsistentImport {
                    module: module.to_string(),
                    name: name.to_string(),
                });
            }
        }
    }
    let export_segments: HashSet<&str> = p
        .exports
        .iter()
        .filter_map(|e| e.name.rsplit("__").next())
        .collect();
    for &(_, name, _) in &func_imports {
        if export_segments.contains(name) {
            return Err(ActivationError::ExportShadowsImport {
                name: name.to_string(),
            });
        }
    }
    let reserved = |name: &str| name.starts_with(RESERVED_PREFIX);
    // Nitro iterates a hash set for exports; report the smallest for determinism.
    let mut reserved_exports: Vec<&str> = export_segments
        .iter()
        .copied()
        .filter(|n| reserved(n))
        .collect();
    reserved_exports.sort_unstable();
    if let Some(name) = reserved_exports.first() {
        return Err(ActivationError::ReservedName {
            kind: "export",
            name: name.to_string(),
        });
    }
    if let Some(&(_, name, _)) = func_imports.iter().find(|(_, n, _)| reserved(n)) {
        return Err(ActivationError::ReservedName {
            kind: "import",
            name: name.to_string(),
        });
    }
    Ok(func_imports)
}

fn type_ref_name(ty: &TypeRef) -> &'static str {
    match ty {
        TypeRef::Func(_) | TypeRef::FuncExact(_) => "function",
        TypeRef::Table(_) => "table",
        TypeRef::Memory(_) => "memory",
        TypeRef::Global(_) => "global",
        TypeRef::Tag(_) => "tag",
    }
}
