//! Compiling programs once per code hash, and running them.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hasher};
use std::sync::{Arc, Mutex, OnceLock};

use alloy_primitives::B256;
use wasmi::{
    CompilationMode, Config, CustomFuelCosts, Engine, Module, Store, StoreLimitsBuilder, TrapCode,
};

use super::api::{EvmApi, EvmData};
use super::host::{self, HostState, Stop};
use super::ink::{self, INK_PER_FUEL};
use super::{Outcome, Status};
use crate::activation::{Program, ENTRYPOINT, MAX_PAGES, MEMORY_EXPORT};

/// Compiled modules by code hash, on one metered wasmi [`Engine`]. Each entry keeps the Wasm
/// it was compiled from and a hit is checked against it (a byte comparison), so a wrong or
/// colliding key recompiles instead of running the wrong module.
pub struct ProgramCache {
    engine: Engine,
    modules: Mutex<HashMap<B256, Entry>>,
}

/// A compiled module and the Wasm it was compiled from.
type Entry = (Arc<[u8]>, Module);

impl Default for ProgramCache {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for ProgramCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProgramCache")
            .field("modules", &self.len())
            .finish()
    }
}

impl ProgramCache {
    /// An empty cache with an engine metering Nitro's ink ([`ink::operator_costs`]).
    pub fn new() -> Self {
        let mut config = Config::default();
        config
            .consume_fuel(true)
            .operator_cost(ink::operator_costs())
            .fuel_cost(CustomFuelCosts {
                bytes_copied_per_fuel: u32::MAX,
                fuel_per_bytes_translated: 0,
                fuel_per_bytes_validated: 0,
            })
            .compilation_mode(CompilationMode::Eager);
        ProgramCache {
            engine: Engine::new(&config),
            modules: Mutex::new(HashMap::new()),
        }
    }

    /// The process-wide cache used by [`execute`].
    pub fn global() -> &'static ProgramCache {
        static GLOBAL: OnceLock<ProgramCache> = OnceLock::new();
        GLOBAL.get_or_init(ProgramCache::new)
    }

    /// Number of compiled modules held.
    pub fn len(&self) -> usize {
        self.modules.lock().map(|m| m.len()).unwrap_or(0)
    }

    /// Whether no module is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The compiled module for `code_hash`, compiling `wasm` on a miss (or when the entry
    /// under `code_hash` was compiled from other bytes).
    pub fn module(&self, code_hash: B256, wasm: &[u8]) -> Result<Module, String> {
        let modules = self.modules.lock().map_err(|e| e.to_string())?;
        if let Some((bytes, m)) = modules.get(&code_hash) {
            if **bytes == *wasm {
                return Ok(m.clone());
            }
        }
        drop(modules);
        let metered = super::dynamic::instrument(wasm)?;
        let module = Module::new(&self.engine, &metered).map_err(|e| format!("compile: {e}"))?;
        self.modules
            .lock()
            .map_err(|e| e.to_string())?
            .insert(code_hash, (Arc::from(wasm), module.clone()));
        Ok(module)
    }

    /// A cache key for `wasm` when the caller has no code hash: SipHash of the bytes and their
    /// length (cheap even in unoptimised builds, unlike keccak; [`Self::module`] compares the
    /// bytes on a hit), tagged so that it is not a keccak hash by construction.
    pub fn content_key(wasm: &[u8]) -> B256 {
        let mut h = DefaultHasher::new();
        h.write(wasm);
        let mut key = B256::ZERO;
        key.0[..4].copy_from_slice(b"wasm");
        key.0[16..24].copy_from_slice(&(wasm.len() as u64).to_be_bytes());
        key.0[24..].copy_from_slice(&h.finish().to_be_bytes());
        key
    }

    /// Runs `program` (cached under `code_hash`, e.g. the hash of the account's code) with
    /// `calldata` and `gas`, against `api` in the context `data`.
    pub fn run(
        &self,
        code_hash: B256,
        program: &Program,
        api: &mut dyn EvmApi,
        data: &EvmData,
        calldata: &[u8],
        gas: u64,
    ) -> Outcome {
        let module = match self.module(code_hash, &program.wasm) {
            Ok(m) => m,
            Err(e) => return Outcome::failure(e),
        };

        // Entry cost: memory footprint, then program init (arbos/programs/programs.go).
        let (open, ever) = api.stylus_pages();
        let footprint = program.info.memory_initial_pages;
        let mut entry = ink::MemoryModel::default().gas_cost(footprint, open, ever);
        entry = entry.saturating_add(ink::cached_gas(program.info.cached_init_cost));
        if !api.program_cached(code_hash) {
            entry = entry.saturating_add(ink::init_gas(program.info.init_cost));
        }
        if gas < entry {
            return Outcome::failure("out of gas paying the program's entry cost");
        }
        let ink_price = match data.tx_ink_price {
            0 => ink::DEFAULT_INK_PRICE,
            p => u64::from(p),
        };
        let pages_open = open.saturating_add(footprint);
        let state = HostState {
            api,
            data,
            args: calldata.to_vec(),
            outs: Vec::new(),
            return_data: Vec::new(),
            storage: Default::default(),
            memory: None,
            limits: StoreLimitsBuilder::new()
                .memory_size(MAX_PAGES as usize * 65_536)
                .build(),
            ink_price,
            pages_open,
            pages_ever: ever.max(pages_open),
            host_ink: 0,
            storage_gas: 0,
        };
        let mut store = Store::new(&self.engine, state);
        store.limiter(host::limiter);
        let fuel = (gas - entry).saturating_mul(ink_price) / INK_PER_FUEL;
        if let Err(e) = store.set_fuel(fuel) {
            return Outcome::failure(e.to_string());
        }

        let result = (|| {
            let linker = host::linker(&self.engine)?;
            let instance = linker.instantiate_and_start(&mut store, &module)?;
            let memory = instance
                .get_memory(&store, MEMORY_EXPORT)
                .ok_or_else(|| wasmi::Error::new("no memory export"))?;
            store.data_mut().memory = Some(memory);
            let entrypoint = instance.get_typed_func::<u32, u32>(&store, ENTRYPOINT)?;
            entrypoint.call(&mut store, calldata.len() as u32)
        })();

        let fuel_left = store.get_fuel().unwrap_or(0);
        let gas_left = fuel_left.saturating_mul(INK_PER_FUEL) / ink_price;
        // Memory starts zeroed and a Rust program's stack comes first, growing down from its
        // top: the lowest byte written bounds the stack the call used.
        let lowest_written = store.data().memory.and_then(|m| {
            let data = m.data(&store);
            data.iter().position(|&b| b != 0)
        });
        let state = store.into_data();
        state.api.set_stylus_pages(open, state.pages_ever);
        if std::env::var_os(GAS_TRACE_ENV).is_some() {
            let used = gas.saturating_sub(gas_left);
            let host = state.host_ink / ink_price;
            eprintln!(
                "stylus {code_hash:.8}: {used} gas = entry {entry} + host calls {host} \
                 (storage {}) + wasm {}; lowest address written {lowest_written:?}",
                state.storage_gas,
                used.saturating_sub(entry).saturating_sub(host),
            );
        }
        let outs = state.outs;

        let status = match result {
            Ok(status) => status,
            Err(e) => {
                if let Some(stop) = e.downcast_ref::<Stop>() {
                    match stop {
                        Stop::Exit(status) => *status,
                        Stop::OutOfInk => return Outcome::failure("out of ink"),
                        Stop::Fail(reason) => return Outcome::failure(reason.clone()),
                    }
                } else if e.as_trap_code() == Some(TrapCode::OutOfFuel) {
                    return Outcome::failure("out of ink");
                } else {
                    return Outcome::failure(format!("trap: {e}"));
                }
            }
        };
        match status {
            0 => Outcome {
                status: Status::Success,
                output: outs,
                gas_left,
            },
            1 => Outcome {
                status: Status::Revert,
                output: outs,
                gas_left,
            },
            s => Outcome::failure(format!("invalid status {s}")),
        }
    }
}

/// Set this environment variable to print, for every Stylus call, where its gas went: entry
/// cost, host calls (storage separately) and Wasm operators.
pub(crate) const GAS_TRACE_ENV: &str = "YELLOWSTONE_DEVNET_GAS_TRACE";

/// Runs `program` with the process-wide [`ProgramCache`], keyed by
/// [`ProgramCache::content_key`]: `user_entrypoint(calldata.len())` with `gas`, against `api` in
/// the context `data`. A chain that knows the account's code hash should call
/// [`ProgramCache::run`] with it instead (that hash is also what [`EvmApi::program_cached`]
/// receives).
pub fn execute(
    program: &Program,
    api: &mut dyn EvmApi,
    data: &EvmData,
    calldata: &[u8],
    gas: u64,
) -> Outcome {
    let code_hash = ProgramCache::content_key(&program.wasm);
    ProgramCache::global().run(code_hash, program, api, data, calldata, gas)
}
