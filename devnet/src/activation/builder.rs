//! Phase 4, Nitro's module builder (`Module::from_binary` in `crates/prover/src/machine.rs` and
//! `wasm_to_wavm` in `crates/prover/src/wavm.rs`): imports resolve to host functions with exact
//! signatures, every instruction has a WAVM translation, and data and element segments fit.

use wasmparser::{DataKind, ElementItems, ElementKind, MemoryType, Operator};

use super::hostio::check_hostio_type;
use super::parser::FuncImport;
use super::sections::Parsed;
use super::{ActivationError, ImportedHostio, HOST_MODULE};

/// Runs the module builder's checks; returns the resolved imports and the number of
/// unmeterable float instructions ([`super::ModuleInfo::unmeterable_float_ops`]).
pub(super) fn check(
    p: &Parsed<'_>,
    func_imports: &[FuncImport<'_>],
    memory: MemoryType,
) -> Result<(Vec<ImportedHostio>, u32), ActivationError> {
    let mut imports = Vec::with_capacity(func_imports.len());
    for (i, &(module, name, ty)) in func_imports.iter().enumerate() {
        if module != HOST_MODULE {
            return Err(ActivationError::ImportModule {
                module: module.to_string(),
                name: name.to_string(),
            });
        }
        let hostio = check_hostio_type(name, ty, &p.types)?;
        imports.push(ImportedHostio {
            func_index: i as u32,
            hostio,
        });
    }

    let first_defined = func_imports.len() as u32;
    let mut unmeterable_float_ops: u32 = 0;
    for (i, body) in p.bodies.iter().enumerate() {
        let func = first_defined + i as u32;
        let mut ops = body
            .get_operators_reader()
            .map_err(|e| ActivationError::InvalidWasm(e.to_string()))?;
        while !ops.eof() {
            let op = ops
                .read()
                .map_err(|e| ActivationError::InvalidWasm(e.to_string()))?;
            let operator = || operator_name(&op);
            match classify(&op) {
                OpClass::Ok => {}
                OpClass::UnmeterableFloat => unmeterable_float_ops += 1,
                OpClass::FloatArithmetic => {
                    return Err(ActivationError::FloatArithmetic {
                        func,
                        operator: operator(),
                    })
                }
                OpClass::Table => {
                    return Err(ActivationError::TableOperator {
                        func,
                        operator: operator(),
                    })
                }
                OpClass::PassiveData => {
                    return Err(ActivationError::PassiveDataOperator {
                        func,
                        operator: operator(),
                    })
                }
                OpClass::Unsupported => {
                    return Err(ActivationError::UnsupportedOperator {
                        func,
                        operator: operator(),
                    })
                }
            }
        }
    }

    let memory_bytes = memory.initial * 65_536;
    for (index, data) in p.datas.iter().enumerate() {
        let DataKind::Active { offset_expr, .. } = &data.kind else {
            continue;
        };
        let offset = const_i32(offset_expr);
        let fits = offset
            .is_some_and(|o| u64::from(o).saturating_add(data.data.len() as u64) <= memory_bytes);
        if !fits {
            return Err(ActivationError::DataSegmentOutOfBounds {
                index: index as u32,
                offset,
                len: data.data.len(),
                memory: memory_bytes,
            });
        }
    }
    for (index, elem) in p.elements.iter().enumerate() {
        let invalid = |reason: String| ActivationError::ElementSegmentInvalid {
            index: index as u32,
            reason,
        };
        let ElementKind::Active {
            table_index,
            offset_expr,
        } = &elem.kind
        else {
            continue;
        };
        let table = table_index.unwrap_or(0);
        let Some(&size) = p.tables.get(table as usize) else {
            return Err(invalid(format!("table {table} does not exist")));
        };
        let offset = const_i32(offset_expr)
            .ok_or_else(|| invalid("the offset is not an i32.const".into()))?;
        let len = match &elem.items {
            ElementItems::Functions(items) => items.count(),
            ElementItems::Expressions(..) => {
                return Err(invalid(
                    "non-constant element initialisers are not supported".into(),
                ))
            }
        };
        if u64::from(offset).saturating_add(u64::from(len)) > size {
            return Err(invalid(format!(
                "{len} entries at offset {offset} do not fit in table {table} of {size} entries"
            )));
        }
    }
    Ok((imports, unmeterable_float_ops))
}

/// The instruction's name for error messages, e.g. `F64Add`.
fn operator_name(op: &Operator) -> String {
    let debug = format!("{op:?}");
    debug
        .split([' ', '{', '('])
        .next()
        .unwrap_or_default()
        .to_string()
}

/// How Nitro treats an instruction that validation accepts.
enum OpClass {
    Ok,
    /// Passes activation, costs `u64::MAX` ink.
    UnmeterableFloat,
    FloatArithmetic,
    Table,
    PassiveData,
    Unsupported,
}

/// Nitro's treatment of `op` (`wasm_to_wavm` and `pricing_v1`).
fn classify(op: &Operator) -> OpClass {
    use Operator::*;
    match op {
        F32Load { .. }
        | F64Load { .. }
        | F32Store { .. }
        | F64Store { .. }
        | F32Const { .. }
        | F64Const { .. }
        | I32ReinterpretF32
        | I64ReinterpretF64
        | F32ReinterpretI32
        | F64ReinterpretI64 => OpClass::UnmeterableFloat,
        F32Eq | F32Ne | F32Lt | F32Gt | F32Le | F32Ge | F64Eq | F64Ne | F64Lt | F64Gt | F64Le
        | F64Ge | F32Abs | F32Neg | F32Ceil | F32Floor | F32Trunc | F32Nearest | F32Sqrt
        | F32Add | F32Sub | F32Mul | F32Div | F32Min | F32Max | F32Copysign | F64Abs | F64Neg
        | F64Ceil | F64Floor | F64Trunc | F64Nearest | F64Sqrt | F64Add | F64Sub | F64Mul
        | F64Div | F64Min | F64Max | F64Copysign | I32TruncF32S | I32TruncF32U | I32TruncF64S
        | I32TruncF64U | I64TruncF32S | I64TruncF32U | I64TruncF64S | I64TruncF64U
        | F32ConvertI32S | F32ConvertI32U | F32ConvertI64S | F32ConvertI64U | F32DemoteF64
        | F64ConvertI32S | F64ConvertI32U | F64ConvertI64S | F64ConvertI64U | F64PromoteF32
        | I32TruncSatF32S | I32TruncSatF32U | I32TruncSatF64S | I32TruncSatF64U
        | I64TruncSatF32S | I64TruncSatF32U | I64TruncSatF64S | I64TruncSatF64U => {
            OpClass::FloatArithmetic
        }
        TableInit { .. }
        | ElemDrop { .. }
        | TableCopy { .. }
        | TableFill { .. }
        | TableGet { .. }
        | TableSet { .. }
        | TableGrow { .. }
        | TableSize { .. } => OpClass::Table,
        MemoryInit { .. } | DataDrop { .. } => OpClass::PassiveData,
        MemoryFill { mem } if *mem != 0 => OpClass::Unsupported,
        MemoryCopy { src_mem, dst_mem } if *src_mem != 0 || *dst_mem != 0 => OpClass::Unsupported,
        MemoryDiscard { .. }
        | TypedSelect { .. }
        | RefNull { .. }
        | RefIsNull
        | RefFunc { .. }
        | ReturnCall { .. }
        | ReturnCallIndirect { .. } => OpClass::Unsupported,
        _ => OpClass::Ok,
    }
}

/// The value of a constant expression that is a single `i32.const`.
fn const_i32(expr: &wasmparser::ConstExpr) -> Option<u32> {
    let mut ops = expr.get_operators_reader();
    match (ops.read().ok()?, ops.read().ok()?, ops.eof()) {
        (Operator::I32Const { value }, Operator::End, true) => Some(value as u32),
        _ => None,
    }
}
