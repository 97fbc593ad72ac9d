//! The `vm_hooks` host functions a user program may import ([`HOSTIOS`]) and the check that an
//! import matches one of them exactly.

use std::fmt;

use wasmparser::{FuncType, ValType};

use super::ActivationError;

/// A Wasm value type that appears in a host function signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HostType {
    /// `i32`: Rust's `u8`, `u16`, `u32`, `bool`, `usize` and pointers on `wasm32`.
    I32,
    /// `i64`: Rust's `u64`.
    I64,
}

impl fmt::Display for HostType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            HostType::I32 => "i32",
            HostType::I64 => "i64",
        })
    }
}

/// One host function of the `vm_hooks` module.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Hostio {
    /// The import name, e.g. `read_args`.
    pub name: &'static str,
    /// Parameter types.
    pub params: &'static [HostType],
    /// Result types (empty or one).
    pub results: &'static [HostType],
    /// Whether `stylus-sdk` 0.10 declares it (34 of the 42 do; Nitro also offers `exit_early`,
    /// the `transient_*` and `math_*` functions).
    pub in_sdk: bool,
}

impl Hostio {
    /// The signature, formatted as `(i32, i32) -> (i32)`.
    pub fn signature(&self) -> String {
        format_signature(self.params, self.results)
    }
}

/// Formats a signature as `(i32, i32) -> (i32)`, for host types and Wasm types alike.
fn format_signature<T: fmt::Display>(params: &[T], results: &[T]) -> String {
    let list = |t: &[T]| {
        t.iter()
            .map(|t| t.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!("({}) -> ({})", list(params), list(results))
}

const fn hostio(
    name: &'static str,
    params: &'static [HostType],
    results: &'static [HostType],
    in_sdk: bool,
) -> Hostio {
    Hostio {
        name,
        params,
        results,
        in_sdk,
    }
}

use HostType::{I32, I64};

/// Every function a user program may import from `vm_hooks`, with its Wasm signature, in
/// Nitro's order (`HOSTIOS` in `crates/wasm-libraries/forward/lib.rs`). The signatures agree with
/// `stylus-sdk` 0.10.10's `hostio.rs` (`usize`, pointers, `bool`, `u8`, `u16` and `u32` are
/// `i32` on `wasm32`; `u64` is `i64`) for the 34 it declares ([`Hostio::in_sdk`]).
pub const HOSTIOS: [Hostio; 42] = [
    hostio("read_args", &[I32], &[], true),
    hostio("write_result", &[I32, I32], &[], true),
    hostio("exit_early", &[I32], &[], false),
    hostio("storage_load_bytes32", &[I32, I32], &[], true),
    hostio("storage_cache_bytes32", &[I32, I32], &[], true),
    hostio("storage_flush_cache", &[I32], &[], true),
    hostio("transient_load_bytes32", &[I32, I32], &[], false),
    hostio("transient_store_bytes32", &[I32, I32], &[], false),
    hostio(
        "call_contract",
        &[I32, I32, I32, I32, I64, I32],
        &[I32],
        true,
    ),
    hostio(
        "delegate_call_contract",
        &[I32, I32, I32, I64, I32],
        &[I32],
        true,
    ),
    hostio(
        "static_call_contract",
        &[I32, I32, I32, I64, I32],
        &[I32],
        true,
    ),
    hostio("create1", &[I32, I32, I32, I32, I32], &[], true),
    hostio("create2", &[I32, I32, I32, I32, I32, I32], &[], true),
    hostio("read_return_data", &[I32, I32, I32], &[I32], true),
    hostio("return_data_size", &[], &[I32], true),
    hostio("emit_log", &[I32, I32, I32], &[], true),
    hostio("account_balance", &[I32, I32], &[], true),
    hostio("account_code", &[I32, I32, I32, I32], &[I32], true),
    hostio("account_code_size", &[I32], &[I32], true),
    hostio("account_codehash", &[I32, I32], &[], true),
    hostio("evm_gas_left", &[], &[I64], true),
    hostio("evm_ink_left", &[], &[I64], true),
    hostio("block_basefee", &[I32], &[], true),
    hostio("chainid", &[], &[I64], true),
    hostio("block_coinbase", &[I32], &[], true),
    hostio("block_gas_limit", &[], &[I64], true),
    hostio("block_number", &[], &[I64], true),
    hostio("block_timestamp", &[], &[I64], true),
    hostio("contract_address", &[I32], &[], true),
    hostio("math_div", &[I32, I32], &[], false),
    hostio("math_mod", &[I32, I32], &[], false),
    hostio("math_pow", &[I32, I32], &[], false),
    hostio("math_add_mod", &[I32, I32, I32], &[], false),
    hostio("math_mul_mod", &[I32, I32, I32], &[], false),
    hostio("msg_reentrant", &[], &[I32], true),
    hostio("msg_sender", &[I32], &[], true),
    hostio("msg_value", &[I32], &[], true),
    hostio("native_keccak256", &[I32, I32, I32], &[], true),
    hostio("tx_gas_price", &[I32], &[], true),
    hostio("tx_ink_price", &[], &[I32], true),
    hostio("tx_origin", &[I32], &[], true),
    hostio("pay_for_memory_grow", &[I32], &[], true),
];

/// Looks a `vm_hooks` function up by name in [`HOSTIOS`].
pub fn hostio_by_name(name: &str) -> Option<&'static Hostio> {
    HOSTIOS.iter().find(|h| h.name == name)
}

fn to_host_types(types: &[ValType]) -> Option<Vec<HostType>> {
    types
        .iter()
        .map(|t| match t {
            ValType::I32 => Some(HostType::I32),
            ValType::I64 => Some(HostType::I64),
            _ => None,
        })
        .collect()
}

/// A Wasm function type, formatted as `(i32, i64) -> (i32)` for error messages.
pub(super) fn func_type_string(ty: &FuncType) -> String {
    format_signature(ty.params(), ty.results())
}

/// Resolves a `vm_hooks` import by name and checks its type against [`HOSTIOS`].
pub(super) fn check_hostio_type(
    name: &str,
    ty: u32,
    types: &[FuncType],
) -> Result<&'static Hostio, ActivationError> {
    let hostio = hostio_by_name(name).ok_or_else(|| ActivationError::UnknownHostio {
        name: name.to_string(),
    })?;
    let have = types
        .get(ty as usize)
        .ok_or_else(|| ActivationError::InvalidWasm(format!("import {name} has no type")))?;
    let matches = to_host_types(have.params()).as_deref() == Some(hostio.params)
        && to_host_types(have.results()).as_deref() == Some(hostio.results);
    if !matches {
        return Err(ActivationError::HostioSignature {
            name: name.to_string(),
            expected: hostio.signature(),
            found: func_type_string(have),
        });
    }
    Ok(hostio)
}
