//! Nitro's dynamic meter: `memory.copy` and `memory.fill` pay per byte.
//!
//! Nitro's `DynamicMeter` (`crates/prover/src/programs/dynamic.rs`) inserts, before every
//! `memory.copy` and `memory.fill`, code that takes the byte count `n` from the top of the stack
//! and charges `n * coefficient` ink, trapping out of ink when that is more than is left; the
//! coefficients are `memory_copy_ink` and `memory_fill_ink`, both `800 / 8` = 100 ink per byte
//! for Stylus versions 1 and 2 (`CompileConfig::version` in `programs/config.rs`). This is on
//! top of the operator's static price (950 ink, `pricing_v1` in `programs/meter.rs`), and the
//! inserted code itself is not metered (the static meter runs before the dynamic one).
//!
//! wasmi can only charge copies at a whole number of bytes per fuel unit (35 ink), so the
//! devnet does what Nitro does: before compiling, [`instrument`] inserts a call to a private
//! host function ([`METER_MODULE`].[`METER_FUNCTION`], type `(i32) -> i32`) before each of
//! these operators; the host charges the bytes and refunds the `call` operator's own fuel, so
//! the charge is exactly Nitro's (rounded up to whole fuel units). User programs cannot import
//! it: activation accepts `vm_hooks` imports only.

use wasm_encoder::reencode::{self, Reencode};
use wasm_encoder::{CodeSection, EntityType, ImportSection, Instruction, Module, SectionId};
use wasmparser::{Operator, Parser, Payload, TypeRef};

/// Ink per byte of `memory.copy` beyond its static price (`memory_copy_ink`).
pub const MEMORY_COPY_INK_PER_BYTE: u64 = 800 / 8;
/// Ink per byte of `memory.fill` beyond its static price (`memory_fill_ink`).
pub const MEMORY_FILL_INK_PER_BYTE: u64 = 800 / 8;

/// Module name of the private host function [`instrument`] imports.
pub const METER_MODULE: &str = "yellowstone_devnet";
/// Name of that function: `(bytes: i32) -> i32`, charges the bytes and returns them.
pub const METER_FUNCTION: &str = "memory_bytes";

/// What a module needs to be instrumented, from one pass over it.
struct Shape {
    types: u32,
    func_imports: u32,
    sites: usize,
}

fn shape(wasm: &[u8]) -> Result<Shape, String> {
    let mut s = Shape {
        types: 0,
        func_imports: 0,
        sites: 0,
    };
    for payload in Parser::new(0).parse_all(wasm) {
        match payload.map_err(|e| e.to_string())? {
            Payload::TypeSection(r) => s.types = r.count(),
            Payload::ImportSection(r) => {
                for imports in r {
                    for import in imports.map_err(|e| e.to_string())? {
                        let (_, import) = import.map_err(|e| e.to_string())?;
                        if matches!(import.ty, TypeRef::Func(_) | TypeRef::FuncExact(_)) {
                            s.func_imports += 1;
                        }
                    }
                }
            }
            Payload::CodeSectionEntry(body) => {
                let mut ops = body.get_operators_reader().map_err(|e| e.to_string())?;
                while !ops.eof() {
                    let op = ops.read().map_err(|e| e.to_string())?;
                    if matches!(
                        op,
                        Operator::MemoryCopy { .. } | Operator::MemoryFill { .. }
                    ) {
                        s.sites += 1;
                    }
                }
            }
            _ => {}
        }
    }
    Ok(s)
}

/// The reencoder: appends the meter's type and import, shifts defined functions up by one,
/// and inserts the meter call before each `memory.copy` / `memory.fill`.
struct Meter {
    shape: Shape,
    import_done: bool,
}

impl Meter {
    fn meter_index(&self) -> u32 {
        self.shape.func_imports
    }

    fn import(&mut self, imports: &mut ImportSection) {
        imports.import(
            METER_MODULE,
            METER_FUNCTION,
            EntityType::Function(self.shape.types),
        );
        self.import_done = true;
    }
}

type Error = reencode::Error<std::convert::Infallible>;

impl Reencode for Meter {
    type Error = std::convert::Infallible;

    fn function_index(&mut self, func: u32) -> Result<u32, Error> {
        Ok(if func >= self.shape.func_imports {
            func + 1
        } else {
            func
        })
    }

    fn parse_type_section(
        &mut self,
        types: &mut wasm_encoder::TypeSection,
        section: wasmparser::TypeSectionReader<'_>,
    ) -> Result<(), Error> {
        reencode::utils::parse_type_section(self, types, section)?;
        let i32 = wasm_encoder::ValType::I32;
        types.ty().function([i32], [i32]);
        Ok(())
    }

    fn parse_import_section(
        &mut self,
        imports: &mut ImportSection,
        section: wasmparser::ImportSectionReader<'_>,
    ) -> Result<(), Error> {
        reencode::utils::parse_import_section(self, imports, section)?;
        self.import(imports);
        Ok(())
    }

    fn intersperse_section_hook(
        &mut self,
        module: &mut Module,
        after: Option<SectionId>,
        before: Option<SectionId>,
    ) -> Result<(), Error> {
        // A module without an import section gets one right after its type section.
        let after_types = matches!(after, Some(SectionId::Type));
        if !self.import_done && after_types && !matches!(before, Some(SectionId::Import)) {
            let mut imports = ImportSection::new();
            self.import(&mut imports);
            module.section(&imports);
        }
        Ok(())
    }

    fn parse_function_body(
        &mut self,
        code: &mut CodeSection,
        func: wasmparser::FunctionBody<'_>,
    ) -> Result<(), Error> {
        let mut f = self.new_function_with_parsed_locals(&func)?;
        let mut reader = func.get_operators_reader()?;
        while !reader.eof() {
            let op = reader.read()?;
            if matches!(
                op,
                Operator::MemoryCopy { .. } | Operator::MemoryFill { .. }
            ) {
                f.instruction(&Instruction::Call(self.meter_index()));
            }
            f.instruction(&self.instruction(op)?);
        }
        code.function(&f);
        Ok(())
    }
}

/// `wasm` with Nitro's dynamic meter (see the module documentation), or `wasm` itself when it
/// has no `memory.copy` or `memory.fill`.
///
/// # Errors
///
/// The module does not parse, or has such operators but no type section.
pub fn instrument(wasm: &[u8]) -> Result<std::borrow::Cow<'_, [u8]>, String> {
    let shape = shape(wasm)?;
    if shape.sites == 0 {
        return Ok(std::borrow::Cow::Borrowed(wasm));
    }
    if shape.types == 0 {
        return Err("memory.copy or memory.fill in a module without types".into());
    }
    let mut meter = Meter {
        shape,
        import_done: false,
    };
    let mut module = Module::new();
    meter
        .parse_core_module(&mut module, Parser::new(0), wasm)
        .map_err(|e| format!("dynamic meter: {e}"))?;
    if !meter.import_done {
        return Err("dynamic meter: no place for its import".into());
    }
    Ok(std::borrow::Cow::Owned(module.finish()))
}
