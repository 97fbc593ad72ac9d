//! Edits of account state outside transactions: the state and block overrides of `eth_call` /
//! `eth_estimateGas` (geth's `StateOverride` and `BlockOverrides`, taken as alloy's types), and
//! anvil's setters (`anvil_setBalance`, `anvil_setCode`, `anvil_setNonce`,
//! `anvil_setStorageAt`).
//!
//! # Overrides
//!
//! [`Overrides`] is checked once, when built ([`Overrides::new`]): `state` and `stateDiff` on
//! one account, `movePrecompileToAddress`, malformed EIP-7702 code and block fields this chain
//! has no use for are refused there, so applying it cannot fail. A call with overrides runs on
//! a copy of the chosen block's state with the overrides written into it; the chain's own
//! states are never touched, so nothing leaks into later calls or blocks. Code is placed as
//! if deployed: code starting `EF F0 00` runs as a Stylus program when its code hash is
//! activated, and `activateProgram` on an overridden address activates the overridden code
//! (the Stylus dispatch reads code through revm's journal, which reads the copy).
//!
//! # Setters and history
//!
//! The setters change the latest block's state in place, as anvil does: no block is mined, the
//! block number and the clock do not move, and the next transaction runs on the edited state.
//! Older blocks keep their states: the latest state is edited copy-on-write, so a state also
//! held elsewhere (by an older block or an `evm_snapshot`) is copied before the edit; and
//! `evm_revert` restores the latest state the snapshot saved, so it undoes the setters called
//! since.

use std::{borrow::Cow, collections::BTreeMap, fmt, sync::Arc};

use alloy_primitives::{Address, Bytes, B256, U256};
use alloy_rpc_types_eth::{
    state::{AccountOverride, StateOverride},
    BlockOverrides,
};
use revm::{
    bytecode::Bytecode, context::BlockEnv, database_interface::DatabaseRef,
    primitives::KECCAK_EMPTY,
};

use super::{evm, evm::StateDb, BlockTag, Chain, DevnetError};

/// Why an override (or `anvil_setCode`'s code) was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OverrideError {
    /// An account override gives both `state` (replace the storage) and `stateDiff` (patch
    /// slots), which contradict each other; geth refuses them together too.
    StateAndStateDiff(Address),
    /// An account override gives `movePrecompileToAddress`, which this chain does not support.
    MovePrecompile(Address),
    /// The code is not valid account code (code starting `EF 01` must be a 23-byte EIP-7702
    /// delegation designator).
    Code {
        /// The account.
        address: Address,
        /// What is wrong with it.
        reason: String,
    },
    /// A block override field this chain cannot honour.
    Block {
        /// The field, as named in JSON.
        field: &'static str,
        /// Why.
        reason: String,
    },
}

impl OverrideError {
    /// Whether the error is about the block overrides (`eth_call`'s fourth parameter) rather
    /// than the state overrides (its third).
    pub fn is_block(&self) -> bool {
        matches!(self, Self::Block { .. })
    }
}

impl fmt::Display for OverrideError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::StateAndStateDiff(address) => write!(
                f,
                "account {address}: both state and stateDiff given (state replaces the whole \
                 storage, stateDiff patches slots): give one"
            ),
            Self::MovePrecompile(address) => write!(
                f,
                "account {address}: movePrecompileToAddress is not supported by this devnet"
            ),
            Self::Code { address, reason } => {
                write!(f, "account {address}: invalid code: {reason}")
            }
            Self::Block { field, reason } => write!(f, "{field}: {reason}"),
        }
    }
}

impl std::error::Error for OverrideError {}

/// How an edit changes an account's storage.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Storage {
    /// Every slot not listed reads zero (`state`).
    Replace(Vec<(U256, U256)>),
    /// The listed slots change, the others keep their values (`stateDiff`).
    Patch(Vec<(U256, U256)>),
}

/// A checked change of one account.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct AccountEdit {
    balance: Option<U256>,
    nonce: Option<u64>,
    /// New code (empty removes the code).
    code: Option<Bytecode>,
    storage: Option<Storage>,
}

impl AccountEdit {
    /// Checks an alloy account override.
    fn new(address: Address, with: &AccountOverride) -> Result<Self, OverrideError> {
        if with.move_precompile_to.is_some() {
            return Err(OverrideError::MovePrecompile(address));
        }
        let slots = |map: &alloy_primitives::map::B256HashMap<B256>| {
            let mut slots: Vec<(U256, U256)> = map
                .iter()
                .map(|(slot, value)| ((*slot).into(), (*value).into()))
                .collect();
            slots.sort();
            slots
        };
        let storage = match (&with.state, &with.state_diff) {
            (Some(_), Some(_)) => return Err(OverrideError::StateAndStateDiff(address)),
            (Some(state), None) => Some(Storage::Replace(slots(state))),
            (None, Some(diff)) => Some(Storage::Patch(slots(diff))),
            (None, None) => None,
        };
        Ok(Self {
            balance: with.balance,
            nonce: with.nonce,
            code: with
                .code
                .as_ref()
                .map(|code| bytecode(address, code))
                .transpose()?,
            storage,
        })
    }

    /// Writes the change into `state`. The account exists afterwards, as in geth.
    fn apply(&self, state: &mut StateDb, address: Address) {
        let mut info = state
            .basic_ref(address)
            .unwrap_or_else(|e| match e {})
            .unwrap_or_default();
        if let Some(balance) = self.balance {
            info.balance = balance;
        }
        if let Some(nonce) = self.nonce {
            info.nonce = nonce;
        }
        if let Some(code) = &self.code {
            if code.original_byte_slice().is_empty() {
                info.code = None;
                info.code_hash = KECCAK_EMPTY;
            } else {
                info.code_hash = code.hash_slow();
                info.code = Some(code.clone());
            }
        }
        state.insert_account_info(address, info);
        match &self.storage {
            None => {}
            Some(Storage::Replace(slots)) => state
                .replace_account_storage(address, slots.iter().copied().collect())
                .unwrap_or_else(|e| match e {}),
            Some(Storage::Patch(slots)) => {
                for &(slot, value) in slots {
                    state
                        .insert_account_storage(address, slot, value)
                        .unwrap_or_else(|e| match e {});
                }
            }
        }
    }
}

/// `code` as account code, refusing a malformed EIP-7702 designator (revm would panic on it).
fn bytecode(address: Address, code: &Bytes) -> Result<Bytecode, OverrideError> {
    Bytecode::new_raw_checked(code.clone()).map_err(|e| OverrideError::Code {
        address,
        reason: e.to_string(),
    })
}

/// A checked change of the block environment a call runs in (geth's `BlockOverrides`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct BlockEdit {
    number: Option<U256>,
    difficulty: Option<U256>,
    time: Option<u64>,
    gas_limit: Option<u64>,
    coinbase: Option<Address>,
    random: Option<B256>,
    base_fee: Option<u64>,
    block_hash: BTreeMap<u64, B256>,
}

impl BlockEdit {
    fn new(with: &BlockOverrides) -> Result<Self, OverrideError> {
        let unsupported = |field: &'static str, why: &str| OverrideError::Block {
            field,
            reason: format!("not supported by this devnet ({why})"),
        };
        if with.blob_base_fee.is_some() {
            return Err(unsupported(
                "blobBaseFee",
                "it carries no blob transactions",
            ));
        }
        if with.beacon_root.is_some() {
            return Err(unsupported("beaconRoot", "it has no beacon chain"));
        }
        let base_fee = with
            .base_fee
            .map(|fee| {
                u64::try_from(fee).map_err(|_| OverrideError::Block {
                    field: "baseFee",
                    reason: format!("{fee} does not fit in 64 bits"),
                })
            })
            .transpose()?;
        Ok(Self {
            number: with.number,
            difficulty: with.difficulty,
            time: with.time,
            gas_limit: with.gas_limit,
            coinbase: with.coinbase,
            random: with.random,
            base_fee,
            block_hash: with.block_hash.clone().unwrap_or_default(),
        })
    }

    fn apply(&self, env: &mut BlockEnv, state: &mut StateDb) {
        if let Some(number) = self.number {
            env.number = number;
        }
        if let Some(difficulty) = self.difficulty {
            env.difficulty = difficulty;
        }
        if let Some(time) = self.time {
            env.timestamp = U256::from(time);
        }
        if let Some(gas_limit) = self.gas_limit {
            env.gas_limit = gas_limit;
        }
        if let Some(coinbase) = self.coinbase {
            env.beneficiary = coinbase;
        }
        if let Some(random) = self.random {
            env.prevrandao = Some(random);
        }
        if let Some(base_fee) = self.base_fee {
            env.basefee = base_fee;
        }
        for (&number, &hash) in &self.block_hash {
            state.cache.block_hashes.insert(U256::from(number), hash);
        }
    }
}

/// State and block overrides for one `eth_call` / `eth_estimateGas`; see the
/// [module documentation](self). The default overrides nothing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Overrides {
    /// Account edits, by address (ordered, so the same overrides always apply the same way).
    accounts: Vec<(Address, AccountEdit)>,
    block: Option<BlockEdit>,
}

impl Overrides {
    /// Checks geth-style state overrides (`eth_call`'s third parameter) and block overrides
    /// (its fourth).
    ///
    /// # Errors
    /// [`OverrideError`] for an account with both `state` and `stateDiff`, one with
    /// `movePrecompileToAddress`, malformed EIP-7702 code, a block override of `blobBaseFee`
    /// or `beaconRoot`, or a `baseFee` beyond 64 bits.
    pub fn new(
        state: Option<&StateOverride>,
        block: Option<&BlockOverrides>,
    ) -> Result<Self, OverrideError> {
        let mut accounts = state
            .into_iter()
            .flatten()
            .map(|(address, with)| Ok((*address, AccountEdit::new(*address, with)?)))
            .collect::<Result<Vec<_>, OverrideError>>()?;
        accounts.sort_by_key(|(address, _)| *address);
        Ok(Self {
            accounts,
            block: block.map(BlockEdit::new).transpose()?,
        })
    }

    /// Only state overrides; see [`Overrides::new`].
    ///
    /// # Errors
    /// As [`Overrides::new`].
    pub fn state(state: &StateOverride) -> Result<Self, OverrideError> {
        Self::new(Some(state), None)
    }

    /// Whether these overrides change nothing.
    pub fn is_empty(&self) -> bool {
        self.accounts.is_empty() && self.block.is_none()
    }
}

/// Where one call runs: the state (a copy when overridden) and the block environment.
pub(super) struct CallEnv<'a> {
    /// The chosen block's state, with the overrides written into a copy.
    pub(super) state: Cow<'a, StateDb>,
    /// The block environment (the block's, with the block overrides).
    pub(super) block: BlockEnv,
}

impl Chain {
    /// The state and environment a call at `block` with `overrides` runs in.
    pub(super) fn call_env(
        &self,
        block: BlockTag,
        overrides: &Overrides,
    ) -> Result<CallEnv<'_>, DevnetError> {
        let number = self.resolve(block)?;
        let mut state = Cow::Borrowed(&*self.states[number as usize]);
        let mut env = evm::block_env(number, self.blocks[number as usize].timestamp());
        if !overrides.is_empty() {
            let state = state.to_mut();
            for (address, edit) in &overrides.accounts {
                edit.apply(state, *address);
            }
            if let Some(edit) = &overrides.block {
                edit.apply(&mut env, state);
            }
        }
        Ok(CallEnv { state, block: env })
    }

    /// Sets the balance of `address` in the latest state (`anvil_setBalance`); see the
    /// [module documentation](self) for how this fits the chain's history.
    pub fn set_balance(&mut self, address: Address, balance: U256) {
        self.edit_latest(
            address,
            &AccountEdit {
                balance: Some(balance),
                ..AccountEdit::default()
            },
        );
    }

    /// Sets the nonce of `address` in the latest state (`anvil_setNonce`).
    pub fn set_nonce(&mut self, address: Address, nonce: u64) {
        self.edit_latest(
            address,
            &AccountEdit {
                nonce: Some(nonce),
                ..AccountEdit::default()
            },
        );
    }

    /// Sets the code of `address` in the latest state (`anvil_setCode`); empty code removes it.
    /// Stylus code (`EF F0 00`) runs once its code hash is activated.
    ///
    /// # Errors
    /// [`OverrideError::Code`] for code starting `EF 01` that is not a 23-byte EIP-7702
    /// delegation designator.
    pub fn set_code(&mut self, address: Address, code: Bytes) -> Result<(), OverrideError> {
        let code = bytecode(address, &code)?;
        self.edit_latest(
            address,
            &AccountEdit {
                code: Some(code),
                ..AccountEdit::default()
            },
        );
        Ok(())
    }

    /// Sets storage slot `slot` of `address` to `value` in the latest state
    /// (`anvil_setStorageAt`).
    pub fn set_storage_at(&mut self, address: Address, slot: U256, value: U256) {
        self.edit_latest(
            address,
            &AccountEdit {
                storage: Some(Storage::Patch(vec![(slot, value)])),
                ..AccountEdit::default()
            },
        );
    }

    /// Applies `edit` to the latest state, copying it first if anything else (an older block,
    /// a snapshot) holds it.
    fn edit_latest(&mut self, address: Address, edit: &AccountEdit) {
        let latest = self
            .states
            .last_mut()
            .expect("the chain always holds the genesis state");
        edit.apply(Arc::make_mut(latest), address);
    }
}
