//! The no-floats rule.

use std::collections::HashMap;
use std::fmt::Write as _;

use wasmparser::{
    FuncType, KnownCustom, Name, Parser, Payload, TypeRef, ValType, Validator, WasmFeatures,
};

use crate::{Error, FloatSite, FloatUse, Result};

/// Checks that a module contains no floating point at all: no `f32`/`f64` parameter, result,
/// local, global or imported global, and no instruction that loads, stores, computes, converts
/// or reinterprets a float (including `i32.trunc_sat_f64_s` and friends, and typed blocks or
/// `select`s producing floats).
///
/// Nitro accepts floats (it runs them through a soft-float library), but this project forbids
/// them in contracts: they cost far more ink than integer code and have no place in
/// fixed-point money arithmetic. They usually come from a dependency's float formatting.
///
/// Every function body is scanned with wasmparser's operator reader, and a validation with
/// float support disabled backs the scan up. The error names the first offending place,
/// preferring an instruction, then a local, then a type, global or import, with the
/// function's index (in the function index space: imports first), its name when the module
/// still has a `name` section, and the byte offset.
///
/// # Errors
///
/// [`Error::Float`] where a float is found, [`Error::InvalidWasm`] if the module cannot be
/// parsed.
pub fn check_no_floats(wasm: &[u8]) -> Result<()> {
    let invalid = |e: wasmparser::BinaryReaderError| Error::InvalidWasm(e.to_string());

    let mut imported_funcs = 0u32;
    let mut imported_globals = 0u32;
    let mut defined_funcs = 0u32;
    let mut names: HashMap<u32, String> = HashMap::new();
    let mut first_operator: Option<FloatUse> = None;
    let mut first_local: Option<FloatUse> = None;
    let mut first_other: Option<FloatUse> = None;
    let mut text = String::new();

    for payload in Parser::new(0).parse_all(wasm) {
        match payload.map_err(invalid)? {
            Payload::TypeSection(reader) => {
                let mut offsets = reader.clone().into_iter_with_offsets();
                for (index, ty) in (0u32..).zip(reader.into_iter_err_on_gc_types()) {
                    let offset = offsets.next().and_then(|r| r.ok()).map(|(o, _)| o);
                    let ty = ty.map_err(invalid)?;
                    if first_other.is_none() && ty.params().iter().chain(ty.results()).any(is_float)
                    {
                        first_other = Some(FloatUse {
                            site: FloatSite::Type {
                                index,
                                signature: signature(&ty),
                            },
                            offset: offset.map(to_usize),
                        });
                    }
                }
            }
            Payload::ImportSection(reader) => {
                for import in reader.into_imports_with_offsets() {
                    let (offset, import) = import.map_err(invalid)?;
                    match import.ty {
                        TypeRef::Func(_) | TypeRef::FuncExact(_) => imported_funcs += 1,
                        TypeRef::Global(global) => {
                            imported_globals += 1;
                            if first_other.is_none() && is_float(&global.content_type) {
                                first_other = Some(FloatUse {
                                    site: FloatSite::Import {
                                        module: import.module.to_string(),
                                        field: import.name.to_string(),
                                    },
                                    offset: Some(to_usize(offset)),
                                });
                            }
                        }
                        _ => {}
                    }
                }
            }
            Payload::GlobalSection(reader) => {
                for (index, global) in (imported_globals..).zip(reader.into_iter_with_offsets()) {
                    let (offset, global) = global.map_err(invalid)?;
                    if first_other.is_none() {
                        if let Some(ty) = float_name(&global.ty.content_type) {
                            first_other = Some(FloatUse {
                                site: FloatSite::Global { index, ty },
                                offset: Some(to_usize(offset)),
                            });
                        }
                    }
                }
            }
            Payload::CodeSectionEntry(body) => {
                let func = imported_funcs + defined_funcs;
                defined_funcs += 1;
                if first_operator.is_some() {
                    continue;
                }
                if first_local.is_none() {
                    let mut locals = body.get_locals_reader().map_err(invalid)?;
                    for _ in 0..locals.get_count() {
                        let offset = locals.original_position();
                        let (_, ty) = locals.read().map_err(invalid)?;
                        if let Some(ty) = float_name(&ty) {
                            first_local = Some(FloatUse {
                                site: FloatSite::Local {
                                    func,
                                    name: None,
                                    ty,
                                },
                                offset: Some(to_usize(offset)),
                            });
                            break;
                        }
                    }
                }
                let mut operators = body.get_operators_reader().map_err(invalid)?;
                while !operators.eof() {
                    let (operator, offset) = operators.read_with_offset().map_err(invalid)?;
                    // Every float-related operator's `Debug` form names an f32/f64 type: its
                    // variant (`F64Add`, `I32TruncSatF64S`, `F32Load`, `F64x2Splat`, ...) or its
                    // immediate (`Block { blockty: Type(F64) }`, `TypedSelect { ty: F32 }`).
                    // Matching on the text keeps the check complete for operators added to
                    // future wasmparser versions; the validation below backs it up.
                    text.clear();
                    let _ = write!(text, "{operator:?}");
                    if text.contains("F32") || text.contains("F64") {
                        first_operator = Some(FloatUse {
                            site: FloatSite::Operator {
                                func,
                                name: None,
                                operator: text.clone(),
                            },
                            offset: Some(to_usize(offset)),
                        });
                        break;
                    }
                }
            }
            Payload::CustomSection(reader) => {
                if let KnownCustom::Name(section) = reader.as_known() {
                    // Names are a convenience for the message: ignore a malformed section.
                    for name in section.into_iter().map_while(|n| n.ok()) {
                        if let Name::Function(map) = name {
                            for naming in map.into_iter().map_while(|n| n.ok()) {
                                names.insert(naming.index, naming.name.to_string());
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }

    if let Some(mut found) = first_operator.or(first_local).or(first_other) {
        if let FloatSite::Operator { func, name, .. } | FloatSite::Local { func, name, .. } =
            &mut found.site
        {
            *name = names.get(func).cloned();
        }
        return Err(Error::Float(found));
    }

    // Backstop: a validation with every feature but floats. Only float complaints count here;
    // anything else is for `validate` to report.
    let features = WasmFeatures::all().difference(WasmFeatures::FLOATS);
    if let Err(err) = Validator::new_with_features(features).validate_all(wasm) {
        if err.message().contains("floating-point") {
            return Err(Error::Float(FloatUse {
                site: FloatSite::Validation(err.message().to_string()),
                offset: Some(to_usize(err.offset())),
            }));
        }
    }
    Ok(())
}

fn is_float(ty: &ValType) -> bool {
    float_name(ty).is_some()
}

fn float_name(ty: &ValType) -> Option<&'static str> {
    match ty {
        ValType::F32 => Some("f32"),
        ValType::F64 => Some("f64"),
        _ => None,
    }
}

fn signature(ty: &FuncType) -> String {
    let list = |types: &[ValType]| {
        let names: Vec<String> = types.iter().map(|t| t.to_string()).collect();
        names.join(", ")
    };
    format!("({}) -> ({})", list(ty.params()), list(ty.results()))
}

fn to_usize(offset: u64) -> usize {
    usize::try_from(offset).unwrap_or(usize::MAX)
}
