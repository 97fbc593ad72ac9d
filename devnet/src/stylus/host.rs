//! The `vm_hooks` host functions, with Nitro's semantics and prices
//! (`crates/wasm-libraries/user-host-trait/lib.rs` in Nitro).
//!
//! Each function first buys its ink (see [`super::ink`]), then reads its arguments from the
//! program's memory, asks the [`EvmApi`] or reads the [`EvmData`], charges the EVM gas the api
//! reports and writes its results back. Ink is wasmi fuel, [`INK_PER_FUEL`] ink per unit.

use alloy_primitives::{keccak256, Address, Bytes, B256, U256};
use wasmi::{Caller, Error, Linker, Memory, ResourceLimiter, StoreLimits};

use super::api::{CallKind, EvmApi, EvmApiError, EvmData};
use super::ink::{self, hostio, INK_PER_FUEL};
use super::storage::StorageCache;
use crate::activation::HOST_MODULE;

/// Why a host function stopped the program (carried through wasmi as a host error).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Stop {
    /// The program ran out of ink.
    OutOfInk,
    /// `exit_early(status)`.
    Exit(u32),
    /// The host call failed; the program call fails.
    Fail(String),
}

impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Stop::OutOfInk => write!(f, "out of ink"),
            Stop::Exit(s) => write!(f, "exit_early({s})"),
            Stop::Fail(r) => write!(f, "{r}"),
        }
    }
}

impl wasmi::errors::HostError for Stop {}

fn fail(reason: impl Into<String>) -> Error {
    Error::host(Stop::Fail(reason.into()))
}

/// The store data of one program call.
pub(crate) struct HostState<'a> {
    /// The chain.
    pub api: &'a mut dyn EvmApi,
    /// The call's context.
    pub data: &'a EvmData,
    /// Calldata (`read_args`).
    pub args: Vec<u8>,
    /// The result set by `write_result`.
    pub outs: Vec<u8>,
    /// Return data of the last call or failed creation.
    pub return_data: Vec<u8>,
    /// The per-call storage cache.
    pub storage: StorageCache,
    /// The program's memory, once instantiated.
    pub memory: Option<Memory>,
    /// Memory limits (128 pages).
    pub limits: StoreLimits,
    /// Ink per gas.
    pub ink_price: u64,
    /// Wasm pages open in the transaction (Nitro's `open` pages).
    pub pages_open: u16,
    /// Most Wasm pages ever open in the transaction.
    pub pages_ever: u16,
    /// Ink bought by host calls, the EVM gas they pass on included (for the gas trace).
    pub host_ink: u64,
    /// EVM gas of storage reads and writes alone (for the gas trace).
    pub storage_gas: u64,
}

/// The store's resource limiter: the call's [`StoreLimits`].
pub(crate) fn limiter<'b>(state: &'b mut HostState<'_>) -> &'b mut dyn ResourceLimiter {
    &mut state.limits
}

type C<'c, 'a> = Caller<'c, HostState<'a>>;

fn buy_ink(c: &mut C<'_, '_>, ink: u64) -> Result<(), Error> {
    let fuel = c.get_fuel()?;
    let need = ink.div_ceil(INK_PER_FUEL);
    let state = c.data_mut();
    state.host_ink = state.host_ink.saturating_add(ink);
    if fuel < need {
        c.set_fuel(0)?;
        return Err(Error::host(Stop::OutOfInk));
    }
    c.set_fuel(fuel - need)
}

fn gas_to_ink(c: &C<'_, '_>, gas: u64) -> u64 {
    gas.saturating_mul(c.data().ink_price)
}

fn buy_gas(c: &mut C<'_, '_>, gas: u64) -> Result<(), Error> {
    let ink = gas_to_ink(c, gas);
    buy_ink(c, ink)
}

fn ink_left(c: &C<'_, '_>) -> Result<u64, Error> {
    Ok(c.get_fuel()?.saturating_mul(INK_PER_FUEL))
}

fn gas_left(c: &C<'_, '_>) -> Result<u64, Error> {
    Ok(ink_left(c)? / c.data().ink_price)
}

fn require_gas(c: &mut C<'_, '_>, gas: u64) -> Result<(), Error> {
    if ink_left(c)? < gas_to_ink(c, gas) {
        c.set_fuel(0)?;
        return Err(Error::host(Stop::OutOfInk));
    }
    Ok(())
}

fn memory(c: &C<'_, '_>) -> Result<Memory, Error> {
    c.data().memory.ok_or_else(|| fail("no memory"))
}

fn read(c: &C<'_, '_>, ptr: u32, len: u32) -> Result<Vec<u8>, Error> {
    let mem = memory(c)?;
    let mut buf = vec![0; len as usize];
    mem.read(c, ptr as usize, &mut buf)
        .map_err(|_| fail("memory access out of bounds"))?;
    Ok(buf)
}

fn read_fixed<const N: usize>(c: &C<'_, '_>, ptr: u32) -> Result<[u8; N], Error> {
    let mem = memory(c)?;
    let mut buf = [0; N];
    mem.read(c, ptr as usize, &mut buf)
        .map_err(|_| fail("memory access out of bounds"))?;
    Ok(buf)
}

fn write(c: &mut C<'_, '_>, ptr: u32, bytes: &[u8]) -> Result<(), Error> {
    let mem = memory(c)?;
    mem.write(c, ptr as usize, bytes)
        .map_err(|_| fail("memory access out of bounds"))
}

fn read_b256(c: &C<'_, '_>, ptr: u32) -> Result<B256, Error> {
    read_fixed::<32>(c, ptr).map(B256::from)
}

fn read_address(c: &C<'_, '_>, ptr: u32) -> Result<Address, Error> {
    read_fixed::<20>(c, ptr).map(Address::from)
}

fn api_error(e: EvmApiError) -> Error {
    match e {
        EvmApiError::WriteProtection => fail("write protection"),
        EvmApiError::Other(r) => fail(r),
    }
}

fn read_args(mut c: C<'_, '_>, ptr: u32) -> Result<(), Error> {
    buy_ink(&mut c, hostio::READ_ARGS)?;
    let args = std::mem::take(&mut c.data_mut().args);
    buy_ink(&mut c, ink::write_price(args.len() as u32))?;
    let r = write(&mut c, ptr, &args);
    c.data_mut().args = args;
    r
}

fn write_result(mut c: C<'_, '_>, ptr: u32, len: u32) -> Result<(), Error> {
    buy_ink(&mut c, hostio::WRITE_RESULT)?;
    buy_ink(&mut c, 2 * ink::read_price(len))?;
    let outs = read(&c, ptr, len)?;
    c.data_mut().outs = outs;
    Ok(())
}

fn exit_early(_c: C<'_, '_>, status: u32) -> Result<(), Error> {
    Err(Error::host(Stop::Exit(status)))
}

fn storage_load_bytes32(mut c: C<'_, '_>, key: u32, dest: u32) -> Result<(), Error> {
    buy_ink(&mut c, hostio::STORAGE_LOAD)?;
    let api_gas = ink::EVM_API_INK / c.data().ink_price;
    require_gas(
        &mut c,
        ink::COLD_SLOAD_GAS + ink::CACHE_REQUIRED_ACCESS_GAS + api_gas,
    )?;
    let key = U256::from_be_bytes(read_fixed::<32>(&c, key)?);
    let state = c.data_mut();
    let (cached, mut gas) = state.storage.read(key);
    let value = match cached {
        Some(value) => value,
        None => {
            let (value, sload_gas) = state.api.sload(key);
            state.storage.loaded(key, value);
            gas = gas.saturating_add(sload_gas).saturating_add(api_gas);
            value
        }
    };
    state.storage_gas = state.storage_gas.saturating_add(gas);
    buy_gas(&mut c, gas)?;
    write(&mut c, dest, value.as_slice())
}

fn storage_cache_bytes32(mut c: C<'_, '_>, key: u32, value: u32) -> Result<(), Error> {
    buy_ink(&mut c, hostio::STORAGE_CACHE)?;
    require_gas(
        &mut c,
        ink::SSTORE_SENTRY_GAS + ink::CACHE_REQUIRED_ACCESS_GAS,
    )?;
    let key = U256::from_be_bytes(read_fixed::<32>(&c, key)?);
    let value = read_b256(&c, value)?;
    let state = c.data_mut();
    let gas = state.storage.write(key, value);
    state.storage_gas = state.storage_gas.saturating_add(gas);
    buy_gas(&mut c, gas)
}

fn storage_flush_cache(mut c: C<'_, '_>, clear: u32) -> Result<(), Error> {
    buy_ink(&mut c, hostio::STORAGE_FLUSH)?;
    require_gas(&mut c, ink::SSTORE_SENTRY_GAS)?;
    let state = c.data_mut();
    let dirty = state.storage.take_dirty(clear != 0);
    let mut gas = 0u64;
    for (key, value) in dirty {
        gas = gas.saturating_add(state.api.sstore(key, value).map_err(api_error)?);
    }
    state.storage_gas = state.storage_gas.saturating_add(gas);
    buy_gas(&mut c, gas)
}

fn unsupported(name: &str) -> Error {
    fail(format!("unsupported hostio {name}"))
}

fn transient_load_bytes32(_c: C<'_, '_>, _key: u32, _dest: u32) -> Result<(), Error> {
    Err(unsupported("transient_load_bytes32"))
}

fn transient_store_bytes32(_c: C<'_, '_>, _key: u32, _value: u32) -> Result<(), Error> {
    Err(unsupported("transient_store_bytes32"))
}

#[allow(clippy::too_many_arguments)]
fn do_call(
    c: &mut C<'_, '_>,
    kind: CallKind,
    contract: u32,
    data: u32,
    data_len: u32,
    value: Option<u32>,
    gas: u64,
    ret_len: u32,
) -> Result<u32, Error> {
    buy_ink(c, hostio::CALL_CONTRACT)?;
    buy_ink(c, 2 * ink::read_price(data_len))?;
    let left = gas_left(c)?;
    // Nitro passes min(requested, left); the EVM side then applies the 63/64 rule.
    let offered = gas.min(left).min(left - left / 64);
    let to = read_address(c, contract)?;
    let input = read(c, data, data_len)?;
    let value = match value {
        Some(ptr) => U256::from_be_bytes(read_fixed::<32>(c, ptr)?),
        None => U256::ZERO,
    };
    let state = c.data_mut();
    let outcome = state.api.call(kind, to, &input, offered, value);
    let len = outcome.output.len() as u32;
    state.return_data = outcome.output.to_vec();
    buy_gas(c, outcome.gas_used)?;
    write(c, ret_len, &len.to_le_bytes())?;
    Ok(if outcome.success { 0 } else { 1 })
}

fn call_contract(
    mut c: C<'_, '_>,
    contract: u32,
    data: u32,
    data_len: u32,
    value: u32,
    gas: u64,
    ret_len: u32,
) -> Result<u32, Error> {
    do_call(
        &mut c,
        CallKind::Call,
        contract,
        data,
        data_len,
        Some(value),
        gas,
        ret_len,
    )
}

fn delegate_call_contract(
    mut c: C<'_, '_>,
    contract: u32,
    data: u32,
    data_len: u32,
    gas: u64,
    ret_len: u32,
) -> Result<u32, Error> {
    do_call(
        &mut c,
        CallKind::Delegate,
        contract,
        data,
        data_len,
        None,
        gas,
        ret_len,
    )
}

fn static_call_contract(
    mut c: C<'_, '_>,
    contract: u32,
    data: u32,
    data_len: u32,
    gas: u64,
    ret_len: u32,
) -> Result<u32, Error> {
    do_call(
        &mut c,
        CallKind::Static,
        contract,
        data,
        data_len,
        None,
        gas,
        ret_len,
    )
}

#[allow(clippy::too_many_arguments)]
fn do_create(
    c: &mut C<'_, '_>,
    code: u32,
    code_len: u32,
    endowment: u32,
    salt: Option<u32>,
    contract: u32,
    revert_len: u32,
) -> Result<(), Error> {
    let base = if salt.is_some() {
        hostio::CREATE2
    } else {
        hostio::CREATE1
    };
    buy_ink(c, base)?;
    buy_ink(c, 2 * ink::read_price(code_len))?;
    let init_code = read(c, code, code_len)?;
    let endowment = U256::from_be_bytes(read_fixed::<32>(c, endowment)?);
    let salt = salt.map(|ptr| read_b256(c, ptr)).transpose()?;
    let left = gas_left(c)?;
    let offered = left - left / 64;
    let state = c.data_mut();
    let outcome = state.api.create(&init_code, endowment, salt, offered);
    let len = outcome.output.len() as u32;
    state.return_data = outcome.output.to_vec();
    buy_gas(c, outcome.gas_used)?;
    write(c, revert_len, &len.to_le_bytes())?;
    write(c, contract, outcome.address.unwrap_or_default().as_slice())
}

fn create1(
    mut c: C<'_, '_>,
    code: u32,
    code_len: u32,
    endowment: u32,
    contract: u32,
    revert_len: u32,
) -> Result<(), Error> {
    do_create(
        &mut c, code, code_len, endowment, None, contract, revert_len,
    )
}

fn create2(
    mut c: C<'_, '_>,
    code: u32,
    code_len: u32,
    endowment: u32,
    salt: u32,
    contract: u32,
    revert_len: u32,
) -> Result<(), Error> {
    do_create(
        &mut c,
        code,
        code_len,
        endowment,
        Some(salt),
        contract,
        revert_len,
    )
}

fn read_return_data(mut c: C<'_, '_>, dest: u32, offset: u32, size: u32) -> Result<u32, Error> {
    buy_ink(&mut c, hostio::READ_RETURN_DATA)?;
    let len = c.data().return_data.len() as u32;
    let max = len.saturating_sub(offset);
    buy_ink(&mut c, ink::write_price(size.min(max)))?;
    if max == 0 {
        return Ok(0);
    }
    let start = offset as usize;
    let end = (offset.saturating_add(size).min(len)) as usize;
    let out = c.data().return_data[start..end].to_vec();
    if !out.is_empty() {
        write(&mut c, dest, &out)?;
    }
    Ok(out.len() as u32)
}

fn return_data_size(mut c: C<'_, '_>) -> Result<u32, Error> {
    buy_ink(&mut c, hostio::RETURN_DATA_SIZE)?;
    Ok(c.data().return_data.len() as u32)
}

fn emit_log(mut c: C<'_, '_>, data: u32, len: u32, topics: u32) -> Result<(), Error> {
    buy_ink(&mut c, hostio::EMIT_LOG)?;
    if topics > 4 || len < topics * 32 {
        return Err(fail("bad topic data"));
    }
    buy_ink(&mut c, ink::read_price(len))?;
    let log_gas = (1 + u64::from(topics)) * ink::LOG_TOPIC_GAS
        + u64::from(len - topics * 32) * ink::LOG_DATA_GAS;
    buy_gas(&mut c, log_gas)?;
    let bytes = read(&c, data, len)?;
    let split = topics as usize * 32;
    let topic_list = bytes[..split].chunks(32).map(B256::from_slice).collect();
    let body = Bytes::copy_from_slice(&bytes[split..]);
    c.data_mut()
        .api
        .emit_log(topic_list, body)
        .map_err(api_error)
}

fn account_balance(mut c: C<'_, '_>, address: u32, dest: u32) -> Result<(), Error> {
    buy_ink(&mut c, hostio::ACCOUNT_BALANCE)?;
    require_gas(&mut c, ink::COLD_ACCOUNT_GAS)?;
    let address = read_address(&c, address)?;
    let (balance, gas) = c.data_mut().api.account_balance(address);
    buy_gas(&mut c, gas)?;
    write(&mut c, dest, &balance.to_be_bytes::<32>())
}

fn account_code(
    mut c: C<'_, '_>,
    address: u32,
    offset: u32,
    size: u32,
    dest: u32,
) -> Result<u32, Error> {
    buy_ink(&mut c, hostio::ACCOUNT_CODE)?;
    require_gas(&mut c, ink::COLD_ACCOUNT_GAS)?;
    let address = read_address(&c, address)?;
    let (code, gas) = c.data_mut().api.account_code(address);
    buy_gas(&mut c, gas)?;
    buy_ink(&mut c, ink::write_price(code.len() as u32))?;
    let start = (offset as usize).min(code.len());
    let end = (offset.saturating_add(size) as usize).min(code.len());
    write(&mut c, dest, &code[start..end])?;
    Ok((end - start) as u32)
}

fn account_code_size(mut c: C<'_, '_>, address: u32) -> Result<u32, Error> {
    buy_ink(&mut c, hostio::ACCOUNT_CODE_SIZE)?;
    require_gas(&mut c, ink::COLD_ACCOUNT_GAS)?;
    let address = read_address(&c, address)?;
    let (code, gas) = c.data_mut().api.account_code(address);
    buy_gas(&mut c, gas)?;
    Ok(code.len() as u32)
}

fn account_codehash(mut c: C<'_, '_>, address: u32, dest: u32) -> Result<(), Error> {
    buy_ink(&mut c, hostio::ACCOUNT_CODEHASH)?;
    require_gas(&mut c, ink::COLD_ACCOUNT_GAS)?;
    let address = read_address(&c, address)?;
    let (hash, gas) = c.data_mut().api.account_codehash(address);
    buy_gas(&mut c, gas)?;
    write(&mut c, dest, hash.as_slice())
}

fn evm_gas_left(mut c: C<'_, '_>) -> Result<u64, Error> {
    buy_ink(&mut c, hostio::PLAIN)?;
    gas_left(&c)
}

fn evm_ink_left(mut c: C<'_, '_>) -> Result<u64, Error> {
    buy_ink(&mut c, hostio::PLAIN)?;
    ink_left(&c)
}

/// Host calls that write one context word or address.
macro_rules! ptr_getter {
    ($name:ident, |$d:ident| $value:expr) => {
        fn $name(mut c: C<'_, '_>, dest: u32) -> Result<(), Error> {
            buy_ink(&mut c, hostio::WITH_PTR)?;
            let $d = c.data().data;
            let bytes: Vec<u8> = $value;
            write(&mut c, dest, &bytes)
        }
    };
}

/// Host calls that return one context number.
macro_rules! plain_getter {
    ($name:ident -> $ty:ty, |$d:ident| $value:expr) => {
        fn $name(mut c: C<'_, '_>) -> Result<$ty, Error> {
            buy_ink(&mut c, hostio::PLAIN)?;
            let $d = c.data().data;
            Ok($value)
        }
    };
}

ptr_getter!(block_basefee, |d| d
    .block_basefee
    .to_be_bytes::<32>()
    .to_vec());
ptr_getter!(block_coinbase, |d| d.block_coinbase.to_vec());
ptr_getter!(contract_address, |d| d.contract_address.to_vec());
ptr_getter!(msg_sender, |d| d.msg_sender.to_vec());
ptr_getter!(msg_value, |d| d.msg_value.to_be_bytes::<32>().to_vec());
ptr_getter!(tx_gas_price, |d| d
    .tx_gas_price
    .to_be_bytes::<32>()
    .to_vec());
ptr_getter!(tx_origin, |d| d.tx_origin.to_vec());
plain_getter!(chainid -> u64, |d| d.chain_id);
plain_getter!(block_gas_limit -> u64, |d| d.block_gas_limit);
plain_getter!(block_number -> u64, |d| d.block_number);
plain_getter!(block_timestamp -> u64, |d| d.block_timestamp);
plain_getter!(msg_reentrant -> u32, |d| u32::from(d.reentrant));

fn tx_ink_price(mut c: C<'_, '_>) -> Result<u32, Error> {
    buy_ink(&mut c, hostio::PLAIN)?;
    Ok(c.data().ink_price as u32)
}

fn read_u256(c: &C<'_, '_>, ptr: u32) -> Result<U256, Error> {
    Ok(U256::from_be_bytes(read_fixed::<32>(c, ptr)?))
}

fn math_div(mut c: C<'_, '_>, value: u32, divisor: u32) -> Result<(), Error> {
    buy_ink(&mut c, hostio::MATH_DIV)?;
    let (a, b) = (read_u256(&c, value)?, read_u256(&c, divisor)?);
    let r = a.checked_div(b).unwrap_or_default();
    write(&mut c, value, &r.to_be_bytes::<32>())
}

fn math_mod(mut c: C<'_, '_>, value: u32, modulus: u32) -> Result<(), Error> {
    buy_ink(&mut c, hostio::MATH_DIV)?;
    let (a, b) = (read_u256(&c, value)?, read_u256(&c, modulus)?);
    let r = a.checked_rem(b).unwrap_or_default();
    write(&mut c, value, &r.to_be_bytes::<32>())
}

fn math_pow(mut c: C<'_, '_>, value: u32, exponent: u32) -> Result<(), Error> {
    buy_ink(&mut c, hostio::MATH_POW)?;
    let a = read_u256(&c, value)?;
    let e = read_fixed::<32>(&c, exponent)?;
    buy_ink(&mut c, ink::pow_price(&e))?;
    let r = a.wrapping_pow(U256::from_be_bytes(e));
    write(&mut c, value, &r.to_be_bytes::<32>())
}

fn math_add_mod(mut c: C<'_, '_>, value: u32, addend: u32, modulus: u32) -> Result<(), Error> {
    buy_ink(&mut c, hostio::MATH_ADD_MOD)?;
    let (a, b, m) = (
        read_u256(&c, value)?,
        read_u256(&c, addend)?,
        read_u256(&c, modulus)?,
    );
    write(&mut c, value, &a.add_mod(b, m).to_be_bytes::<32>())
}

fn math_mul_mod(mut c: C<'_, '_>, value: u32, multiplier: u32, modulus: u32) -> Result<(), Error> {
    buy_ink(&mut c, hostio::MATH_MUL_MOD)?;
    let (a, b, m) = (
        read_u256(&c, value)?,
        read_u256(&c, multiplier)?,
        read_u256(&c, modulus)?,
    );
    write(&mut c, value, &a.mul_mod(b, m).to_be_bytes::<32>())
}

fn native_keccak256(mut c: C<'_, '_>, input: u32, len: u32, output: u32) -> Result<(), Error> {
    buy_ink(&mut c, ink::keccak_price(len))?;
    let preimage = read(&c, input, len)?;
    write(&mut c, output, keccak256(preimage).as_slice())
}

fn pay_for_memory_grow(mut c: C<'_, '_>, pages: u32) -> Result<(), Error> {
    if pages == 0 {
        return buy_ink(&mut c, hostio::PLAIN);
    }
    let pages = u16::try_from(pages).unwrap_or(u16::MAX);
    let state = c.data_mut();
    let gas = ink::MemoryModel::default().gas_cost(pages, state.pages_open, state.pages_ever);
    state.pages_open = state.pages_open.saturating_add(pages);
    state.pages_ever = state.pages_ever.max(state.pages_open);
    buy_gas(&mut c, gas)
}

/// The dynamic meter's host function ([`super::dynamic`]): charges `bytes` of `memory.copy` or
/// `memory.fill` at [`super::dynamic::MEMORY_COPY_INK_PER_BYTE`] (the two prices are equal) and
/// refunds the fuel wasmi charged for the inserted `call`, so only Nitro's charge remains.
fn memory_bytes(mut c: C<'_, '_>, bytes: u32) -> Result<u32, Error> {
    let call_fuel = ink::call_fuel();
    let need = (u64::from(bytes) * super::dynamic::MEMORY_COPY_INK_PER_BYTE).div_ceil(INK_PER_FUEL);
    let fuel = c.get_fuel()?.saturating_add(call_fuel);
    if fuel < need {
        c.set_fuel(0)?;
        return Err(Error::host(Stop::OutOfInk));
    }
    c.set_fuel(fuel - need)?;
    Ok(bytes)
}

/// A linker defining every `vm_hooks` function of [`crate::activation::HOSTIOS`].
pub(crate) fn linker<'a>(engine: &wasmi::Engine) -> Result<Linker<HostState<'a>>, Error> {
    let mut l = Linker::<HostState<'a>>::new(engine);
    let m = HOST_MODULE;
    l.func_wrap(m, "read_args", read_args)?;
    l.func_wrap(m, "write_result", write_result)?;
    l.func_wrap(m, "exit_early", exit_early)?;
    l.func_wrap(m, "storage_load_bytes32", storage_load_bytes32)?;
    l.func_wrap(m, "storage_cache_bytes32", storage_cache_bytes32)?;
    l.func_wrap(m, "storage_flush_cache", storage_flush_cache)?;
    l.func_wrap(m, "transient_load_bytes32", transient_load_bytes32)?;
    l.func_wrap(m, "transient_store_bytes32", transient_store_bytes32)?;
    l.func_wrap(m, "call_contract", call_contract)?;
    l.func_wrap(m, "delegate_call_contract", delegate_call_contract)?;
    l.func_wrap(m, "static_call_contract", static_call_contract)?;
    l.func_wrap(m, "create1", create1)?;
    l.func_wrap(m, "create2", create2)?;
    l.func_wrap(m, "read_return_data", read_return_data)?;
    l.func_wrap(m, "return_data_size", return_data_size)?;
    l.func_wrap(m, "emit_log", emit_log)?;
    l.func_wrap(m, "account_balance", account_balance)?;
    l.func_wrap(m, "account_code", account_code)?;
    l.func_wrap(m, "account_code_size", account_code_size)?;
    l.func_wrap(m, "account_codehash", account_codehash)?;
    l.func_wrap(m, "evm_gas_left", evm_gas_left)?;
    l.func_wrap(m, "evm_ink_left", evm_ink_left)?;
    l.func_wrap(m, "block_basefee", block_basefee)?;
    l.func_wrap(m, "chainid", chainid)?;
    l.func_wrap(m, "block_coinbase", block_coinbase)?;
    l.func_wrap(m, "block_gas_limit", block_gas_limit)?;
    l.func_wrap(m, "block_number", block_number)?;
    l.func_wrap(m, "block_timestamp", block_timestamp)?;
    l.func_wrap(m, "contract_address", contract_address)?;
    l.func_wrap(m, "math_div", math_div)?;
    l.func_wrap(m, "math_mod", math_mod)?;
    l.func_wrap(m, "math_pow", math_pow)?;
    l.func_wrap(m, "math_add_mod", math_add_mod)?;
    l.func_wrap(m, "math_mul_mod", math_mul_mod)?;
    l.func_wrap(m, "msg_reentrant", msg_reentrant)?;
    l.func_wrap(m, "msg_sender", msg_sender)?;
    l.func_wrap(m, "msg_value", msg_value)?;
    l.func_wrap(m, "native_keccak256", native_keccak256)?;
    l.func_wrap(m, "tx_gas_price", tx_gas_price)?;
    l.func_wrap(m, "tx_ink_price", tx_ink_price)?;
    l.func_wrap(m, "tx_origin", tx_origin)?;
    l.func_wrap(m, "pay_for_memory_grow", pay_for_memory_grow)?;
    let meter = super::dynamic::METER_MODULE;
    l.func_wrap(meter, super::dynamic::METER_FUNCTION, memory_bytes)?;
    Ok(l)
}
