//! One pass of `wasmparser` over a validated module, collecting the sections the activation
//! phases check.

use wasmparser::{FuncType, Name, NameSectionReader, Operator, Parser, Payload};

/// The module's sections, as the phases need them.
#[derive(Default)]
pub(super) struct Parsed<'a> {
    pub(super) types: Vec<FuncType>,
    pub(super) imports: Vec<wasmparser::Import<'a>>,
    /// The type index of each defined function.
    pub(super) functions: Vec<u32>,
    /// The initial size of each table.
    pub(super) tables: Vec<u64>,
    pub(super) memories: Vec<wasmparser::MemoryType>,
    /// How many globals the module defines.
    pub(super) globals: u64,
    /// The first global whose initialiser is not a single constant.
    pub(super) non_constant_global: Option<u32>,
    pub(super) exports: Vec<wasmparser::Export<'a>>,
    pub(super) start: Option<u32>,
    pub(super) elements: Vec<wasmparser::Element<'a>>,
    pub(super) datas: Vec<wasmparser::Data<'a>>,
    pub(super) bodies: Vec<wasmparser::FunctionBody<'a>>,
    /// The module name from the `name` section.
    pub(super) module_name: Option<String>,
}

/// Reads every section of `wasm` into a [`Parsed`].
pub(super) fn parse(wasm: &[u8]) -> Result<Parsed<'_>, wasmparser::BinaryReaderError> {
    let mut p = Parsed::default();
    for payload in Parser::new(0).parse_all(wasm) {
        match payload? {
            Payload::TypeSection(reader) => {
                for ty in reader.into_iter_err_on_gc_types() {
                    p.types.push(ty?);
                }
            }
            Payload::ImportSection(reader) => {
                for import in reader.into_imports() {
                    p.imports.push(import?);
                }
            }
            Payload::FunctionSection(reader) => {
                for f in reader {
                    p.functions.push(f?);
                }
            }
            Payload::TableSection(reader) => {
                for t in reader {
                    p.tables.push(t?.ty.initial);
                }
            }
            Payload::MemorySection(reader) => {
                for m in reader {
                    p.memories.push(m?);
                }
            }
            Payload::GlobalSection(reader) => {
                for g in reader {
                    let g = g?;
                    let mut ops = g.init_expr.get_operators_reader();
                    let constant = matches!(
                        (ops.read()?, ops.read()?, ops.eof()),
                        (
                            Operator::I32Const { .. }
                                | Operator::I64Const { .. }
                                | Operator::F32Const { .. }
                                | Operator::F64Const { .. },
                            Operator::End,
                            true
                        )
                    );
                    if !constant && p.non_constant_global.is_none() {
                        p.non_constant_global = Some(p.globals as u32);
                    }
                    p.globals += 1;
                }
            }
            Payload::ExportSection(reader) => {
                for e in reader {
                    p.exports.push(e?);
                }
            }
            Payload::StartSection { func, .. } => p.start = Some(func),
            Payload::ElementSection(reader) => {
                for e in reader {
                    p.elements.push(e?);
                }
            }
            Payload::DataSection(reader) => {
                for d in reader {
                    p.datas.push(d?);
                }
            }
            Payload::CodeSectionEntry(body) => p.bodies.push(body),
            Payload::CustomSection(reader) if reader.name() == "name" => {
                let names = NameSectionReader::new(wasmparser::BinaryReader::new(
                    reader.data(),
                    reader.data_offset(),
                ));
                for name in names {
                    if let Name::Module { name, .. } = name? {
                        p.module_name = Some(name.to_string());
                    }
                }
            }
            _ => {}
        }
    }
    Ok(p)
}
