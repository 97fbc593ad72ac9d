//! Packing data segments: leaving out the zeros a fresh memory already holds.
//!
//! Nitro prices every call of a program partly by the bytes of its data segments (the cached
//! entry cost counts about 0.75 gas per byte, paid on every call, cached or not), and the
//! linker writes zero-initialised statics into them byte for byte: a quarter to a half of a
//! Rust contract's data can be zeros. Memory starts zeroed, so runs of at least
//! [`MIN_ZERO_RUN`] zeros are dropped and the segment is split around them (what `wasm-opt`'s
//! memory-packing pass does). Segments that are not active, constant-offset segments of
//! memory 0, or that overlap, leave the module untouched.

use wasm_encoder::{ConstExpr, DataCountSection, DataSection, Module};
use wasmparser::{DataKind, Operator, Parser, Payload};

use crate::{wasm::copy_section, Error, Result};

/// Shortest run of zeros left out. A new segment costs about six bytes of header (flags,
/// `i32.const` offset, end, length), which compress far worse than zeros: on the compute
/// contract, runs of 16 saved 1,656 data bytes for 68 more compressed bytes, runs of 64 saved
/// 1,377 for 19 (docs/BENCHMARKS.md).
pub const MIN_ZERO_RUN: usize = 64;

/// Nitro's limit on data segments; packing never produces more.
const MAX_SEGMENTS: usize = 128;

/// One active segment: where it goes and what it holds.
struct Segment {
    offset: u32,
    bytes: Vec<u8>,
}

/// The module with its data segments packed (see the module docs), or unchanged when it has
/// nothing to pack or a segment this step does not handle.
///
/// # Errors
///
/// [`Error::InvalidWasm`] if the module cannot be parsed.
pub fn pack_data_segments(wasm: &[u8]) -> Result<Vec<u8>> {
    let invalid = |e: wasmparser::BinaryReaderError| Error::InvalidWasm(e.to_string());
    let Some(segments) = active_segments(wasm)? else {
        return Ok(wasm.to_vec());
    };
    let packed = pack(&segments);
    if packed.len() > MAX_SEGMENTS
        || packed.iter().map(|s| s.bytes.len()).sum::<usize>()
            == segments.iter().map(|s| s.bytes.len()).sum::<usize>()
    {
        return Ok(wasm.to_vec());
    }
    let mut module = Module::new();
    for payload in Parser::new(0).parse_all(wasm) {
        let payload = payload.map_err(invalid)?;
        match &payload {
            Payload::DataCountSection { .. } => {
                module.section(&DataCountSection {
                    count: packed.len() as u32,
                });
            }
            Payload::DataSection(_) => {
                let mut data = DataSection::new();
                for s in &packed {
                    data.active(
                        0,
                        &ConstExpr::i32_const(s.offset as i32),
                        s.bytes.iter().copied(),
                    );
                }
                module.section(&data);
            }
            other => copy_section(&mut module, wasm, other)?,
        }
    }
    Ok(module.finish())
}

/// The data segments, if every one is active in memory 0 at a constant offset and none
/// overlaps another; `None` otherwise (or when there are none).
fn active_segments(wasm: &[u8]) -> Result<Option<Vec<Segment>>> {
    let invalid = |e: wasmparser::BinaryReaderError| Error::InvalidWasm(e.to_string());
    let mut segments = Vec::new();
    for payload in Parser::new(0).parse_all(wasm) {
        let Payload::DataSection(reader) = payload.map_err(invalid)? else {
            continue;
        };
        for data in reader {
            let data = data.map_err(invalid)?;
            let DataKind::Active {
                memory_index: 0,
                offset_expr,
            } = data.kind
            else {
                return Ok(None);
            };
            let mut ops = offset_expr.get_operators_reader();
            let (Ok(Operator::I32Const { value }), Ok(Operator::End)) = (ops.read(), ops.read())
            else {
                return Ok(None);
            };
            segments.push(Segment {
                offset: value as u32,
                bytes: data.data.to_vec(),
            });
        }
    }
    segments.sort_by_key(|s| s.offset);
    let overlapping = segments
        .windows(2)
        .any(|w| u64::from(w[0].offset) + w[0].bytes.len() as u64 > u64::from(w[1].offset));
    Ok((!segments.is_empty() && !overlapping).then_some(segments))
}

/// Splits each segment around its runs of [`MIN_ZERO_RUN`] or more zeros, and trims zeros at
/// either end.
fn pack(segments: &[Segment]) -> Vec<Segment> {
    let mut out = Vec::new();
    for s in segments {
        let bytes = &s.bytes;
        let mut start: Option<usize> = None; // start of the piece being collected
        let mut zeros = 0; // zeros at the end of it
        for (i, &b) in bytes.iter().enumerate() {
            if b == 0 {
                zeros += 1;
                continue;
            }
            match start {
                Some(from) if zeros >= MIN_ZERO_RUN => {
                    push(&mut out, s.offset, bytes, from, i - zeros);
                    start = Some(i);
                }
                None => start = Some(i),
                Some(_) => {}
            }
            zeros = 0;
        }
        if let Some(from) = start {
            push(&mut out, s.offset, bytes, from, bytes.len() - zeros);
        }
    }
    out
}

fn push(out: &mut Vec<Segment>, base: u32, bytes: &[u8], from: usize, to: usize) {
    out.push(Segment {
        offset: base + from as u32,
        bytes: bytes[from..to].to_vec(),
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn module(data: &str) -> Vec<u8> {
        wat::parse_str(format!("(module (memory 1) {data})")).unwrap()
    }

    /// The bytes memory holds after instantiation, from the data segments alone.
    fn image(wasm: &[u8]) -> Vec<u8> {
        let mut memory = vec![0u8; 65_536];
        for s in active_segments(wasm).unwrap().unwrap_or_default() {
            let at = s.offset as usize;
            memory[at..at + s.bytes.len()].copy_from_slice(&s.bytes);
        }
        memory
    }

    fn data_len(wasm: &[u8]) -> usize {
        active_segments(wasm)
            .unwrap()
            .map_or(0, |s| s.iter().map(|s| s.bytes.len()).sum())
    }

    #[test]
    fn long_zero_runs_and_zero_ends_are_left_to_the_zeroed_memory() {
        let run = MIN_ZERO_RUN + 5;
        let zeros = "\\00".repeat(run);
        let wasm = module(&format!(
            r#"(data (i32.const 100) "\00\00abc{zeros}def\00\00")
               (data (i32.const 1000) "gh\00\00\00ij")"#
        ));
        let packed = pack_data_segments(&wasm).unwrap();
        wasmparser::validate(&packed).unwrap();
        assert_eq!(image(&packed), image(&wasm));
        // "abc", "def" and "gh\0\0\0ij": the three short zeros stay
        assert_eq!(data_len(&packed), 3 + 3 + 7);
        let offsets: Vec<u32> = active_segments(&packed)
            .unwrap()
            .unwrap()
            .iter()
            .map(|s| s.offset)
            .collect();
        assert_eq!(offsets, [102, 105 + run as u32, 1000]);
    }

    #[test]
    fn a_module_with_nothing_to_pack_is_returned_as_it_is() {
        let wasm = module(r#"(data (i32.const 8) "abc\00def")"#);
        assert_eq!(pack_data_segments(&wasm).unwrap(), wasm);
        let no_data = module("");
        assert_eq!(pack_data_segments(&no_data).unwrap(), no_data);
    }

    #[test]
    fn passive_or_overlapping_segments_leave_the_module_untouched() {
        let zeros = "\\00".repeat(MIN_ZERO_RUN);
        let passive = module(&format!(r#"(data "a{zeros}b")"#));
        assert_eq!(pack_data_segments(&passive).unwrap(), passive);
        let overlapping = module(&format!(
            r#"(data (i32.const 0) "a{zeros}b") (data (i32.const 10) "c")"#
        ));
        assert_eq!(pack_data_segments(&overlapping).unwrap(), overlapping);
    }

    #[test]
    fn a_segment_of_zeros_alone_disappears() {
        let zeros = "\\00".repeat(MIN_ZERO_RUN);
        let wasm = module(&format!(
            r#"(data (i32.const 0) "{zeros}") (data (i32.const 500) "x")"#
        ));
        let packed = pack_data_segments(&wasm).unwrap();
        assert_eq!(data_len(&packed), 1);
        assert_eq!(image(&packed), image(&wasm));
    }
}
