//! What a Stylus program asks of the chain it runs on.
//!
//! The executor ([`super`]) turns every `vm_hooks` host call into a call on [`EvmApi`] or a
//! read of [`EvmData`]; the devnet's EVM implements [`EvmApi`] over its state (re-entering the
//! EVM for calls), and tests implement it in memory. Gas figures returned here are EVM gas,
//! which the executor converts to ink (10,000 ink per gas).

use alloy_primitives::{Address, Bytes, B256, U256};

/// The kind of a call a program makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallKind {
    /// `call_contract`: may move value and change state.
    Call,
    /// `delegate_call_contract`: runs the callee's code on the caller's state.
    Delegate,
    /// `static_call_contract`: no state change anywhere below it.
    Static,
}

/// The result of a call into the EVM.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallOutcome {
    /// Whether the callee succeeded (its state changes kept) or reverted (rolled back).
    pub success: bool,
    /// Return or revert data.
    pub output: Bytes,
    /// Gas the callee consumed, out of the gas the program offered.
    pub gas_used: u64,
}

/// The result of a contract creation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreateOutcome {
    /// The new contract's address, or `None` if the creation reverted or failed.
    pub address: Option<Address>,
    /// Revert data when the creation reverted (it becomes the return data).
    pub output: Bytes,
    /// Gas consumed.
    pub gas_used: u64,
}

/// Why a state-changing request was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EvmApiError {
    /// A state change was attempted inside a static call.
    WriteProtection,
    /// Any other refusal, with a reason.
    Other(String),
}

/// The chain as a program sees it. Every method that touches an account or a slot returns the
/// EVM gas it costs (cold or warm access, SSTORE pricing), charged by the executor.
pub trait EvmApi {
    /// Reads a storage slot of the running contract: `(value, gas)`.
    fn sload(&mut self, key: U256) -> (B256, u64);
    /// Writes a storage slot of the running contract (on `storage_flush_cache`): the gas cost.
    fn sstore(&mut self, key: U256, value: B256) -> Result<u64, EvmApiError>;
    /// Calls `to` with `input`, offering at most `gas`, moving `value` (zero for delegate and
    /// static calls).
    fn call(
        &mut self,
        kind: CallKind,
        to: Address,
        input: &[u8],
        gas: u64,
        value: U256,
    ) -> CallOutcome;
    /// Creates a contract from `init_code` with `endowment`, at the CREATE2 address when
    /// `salt` is given, offering at most `gas`.
    fn create(
        &mut self,
        init_code: &[u8],
        endowment: U256,
        salt: Option<B256>,
        gas: u64,
    ) -> CreateOutcome;
    /// Appends a log of the running contract.
    fn emit_log(&mut self, topics: Vec<B256>, data: Bytes) -> Result<(), EvmApiError>;
    /// An account's balance: `(balance, gas)`.
    fn account_balance(&mut self, address: Address) -> (U256, u64);
    /// An account's code: `(code, gas)`.
    fn account_code(&mut self, address: Address) -> (Bytes, u64);
    /// An account's code hash (zero for an empty account): `(hash, gas)`.
    fn account_codehash(&mut self, address: Address) -> (B256, u64);

    /// Wasm pages `(open, ever)` in the current transaction (Nitro's `GetStylusPages`): the
    /// first two are free, later ones priced by [`super::ink::MemoryModel`]. The default, for
    /// an api that does not track them, treats every program call as the transaction's first.
    fn stylus_pages(&mut self) -> (u16, u16) {
        (0, 0)
    }
    /// Records the pages after a program call returns: `open` back to its value at entry,
    /// `ever` the most open at any point (Nitro's `SetStylusPagesOpen` and `AddStylusPages`).
    fn set_stylus_pages(&mut self, open: u16, ever: u16) {
        let _ = (open, ever);
    }
    /// Whether the program with this code hash is cached (ArbWasmCache, or called recently),
    /// so that its call pays only the cached entry cost. The default: never.
    fn program_cached(&mut self, code_hash: B256) -> bool {
        let _ = code_hash;
        false
    }
}

/// The block, transaction and message context of one program call.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EvmData {
    /// `block_basefee`.
    pub block_basefee: U256,
    /// `chainid`.
    pub chain_id: u64,
    /// `block_coinbase`.
    pub block_coinbase: Address,
    /// `block_gas_limit`.
    pub block_gas_limit: u64,
    /// `block_number`.
    pub block_number: u64,
    /// `block_timestamp`.
    pub block_timestamp: u64,
    /// `contract_address`: the program's own address (the caller's, under delegate call).
    pub contract_address: Address,
    /// `msg_sender`.
    pub msg_sender: Address,
    /// `msg_value`.
    pub msg_value: U256,
    /// `tx_gas_price`.
    pub tx_gas_price: U256,
    /// `tx_ink_price`: ink per EVM gas, in basis points (Nitro's default 10,000).
    pub tx_ink_price: u32,
    /// `tx_origin`.
    pub tx_origin: Address,
    /// `msg_reentrant`: whether the program is already running lower in the call stack.
    pub reentrant: bool,
}
