//! The EVM chain core of the devnet: state, automining, receipts, history and time travel.
//!
//! A [`Chain`] starts with the ten development accounts of [`DEV_MNEMONIC`], each holding
//! [`DEV_BALANCE`], and mines one block per transaction ([`Chain::send_raw_transaction`]).
//! Queries ([`Chain::call`], [`Chain::balance`], ...) read any block's state: the chain keeps the
//! full state after every block (a shared copy for blocks without transactions), which costs
//! memory proportional to `blocks x state size` — a few kilobytes per block for a devnet
//! holding a handful of contracts, fine for test and demo sessions, not for millions of blocks.
//!
//! Execution runs on revm (see [`evm`]); Stylus programs (code starting `EF F0 00`) run in the
//! Wasm executor and are deployed and activated as on Arbitrum (see [`stylus`]). Calls take
//! geth's state and block overrides ([`Chain::call_with`], [`Overrides`]) and the latest state
//! takes anvil's setters ([`Chain::set_balance`], ...), both in [`overrides`].

mod clock;
mod error;
pub mod evm;
mod genesis;
pub mod overrides;
pub mod stylus;
mod types;

pub use error::DevnetError;
pub use evm::{BASE_FEE, BENEFICIARY, BLOCK_GAS_LIMIT, SPEC};
pub use genesis::{CREATE2_FACTORY, STYLUS_DEPLOYER};
pub use overrides::{OverrideError, Overrides};
pub use stylus::{
    stylus_constructor_selector, stylus_deploy_init_code, ARB_WASM, ARB_WASM_CACHE, CACHE_MANAGER,
    STYLUS_VERSION,
};
pub use types::{Block, BlockTag, CallRequest, LogEntry, LogFilter, Receipt, TransactionRecord};
pub use yellowstone_protocol::dev::{
    DevAccount, DEV_ACCOUNTS, DEV_BALANCE, DEV_MNEMONIC, NITRO_DEV_ACCOUNT,
};

use std::{collections::HashMap, sync::Arc};

use alloy_consensus::{
    proofs::calculate_transaction_root, transaction::SignerRecoverable, Header, Transaction,
    TxEnvelope, EMPTY_OMMER_ROOT_HASH, EMPTY_ROOT_HASH,
};
use alloy_eips::eip2718::Decodable2718;
use alloy_primitives::{Address, Bloom, Bytes, TxKind, B256, U256};
use revm::{
    context::{
        result::{EVMError, ExecutionResult, InvalidTransaction},
        TxEnv,
    },
    database_interface::DatabaseRef,
    state::AccountInfo,
    DatabaseCommit,
};

use clock::Clock;
use evm::StateDb;

/// The default chain id, 412346: the id of Nitro's local dev node (`nitro-devnode`), so that
/// tools configured for a local Arbitrum chain work unchanged.
pub const DEFAULT_CHAIN_ID: u64 = 412_346;

/// What `evm_snapshot` saved: enough to cut history back to that point.
#[derive(Clone, Debug)]
struct Snapshot {
    /// Number of blocks at the time (the latest block was `blocks - 1`).
    blocks: usize,
    /// The latest state at the time: the setters (`anvil_setBalance`, ...) edit the latest
    /// state in place, so cutting the blocks alone would keep their edits.
    state: Arc<StateDb>,
    /// The clock settings at the time.
    clock: Clock,
}

/// A local chain with automining; see the [module documentation](self).
#[derive(Debug)]
pub struct Chain {
    /// The chain id.
    chain_id: u64,
    /// Every block, indexed by number.
    blocks: Vec<Block>,
    /// The state after each block, indexed by number.
    states: Vec<Arc<StateDb>>,
    /// Mined transactions by hash.
    transactions: HashMap<B256, TransactionRecord>,
    /// Receipts by transaction hash.
    receipts: HashMap<B256, Receipt>,
    /// Block timestamps.
    clock: Clock,
    /// Saved snapshots by id.
    snapshots: HashMap<u64, Snapshot>,
    /// The id the next snapshot gets.
    next_snapshot: u64,
    /// Stylus caches: compiled modules and decoded programs by code hash.
    stylus: Arc<stylus::StylusRuntime>,
}

impl Default for Chain {
    fn default() -> Self {
        Self::new()
    }
}

impl Chain {
    /// A chain with [`DEFAULT_CHAIN_ID`].
    pub fn new() -> Self {
        Self::with_chain_id(DEFAULT_CHAIN_ID)
    }

    /// A chain with the given id, its genesis block (number 0, timestamp now) holding the funded
    /// development accounts.
    pub fn with_chain_id(chain_id: u64) -> Self {
        let mut state = StateDb::default();
        genesis::alloc(&mut state);
        let clock = Clock::default();
        let header = Header {
            parent_hash: B256::ZERO,
            ommers_hash: EMPTY_OMMER_ROOT_HASH,
            beneficiary: BENEFICIARY,
            state_root: EMPTY_ROOT_HASH,
            transactions_root: EMPTY_ROOT_HASH,
            receipts_root: EMPTY_ROOT_HASH,
            difficulty: U256::from(1),
            number: 0,
            gas_limit: BLOCK_GAS_LIMIT,
            timestamp: clock.now(),
            base_fee_per_gas: Some(BASE_FEE),
            ..Header::default()
        };
        let hash = header.hash_slow();
        state.cache.block_hashes.insert(U256::ZERO, hash);
        Self {
            chain_id,
            blocks: vec![Block {
                header,
                hash,
                transactions: Vec::new(),
            }],
            states: vec![Arc::new(state)],
            transactions: HashMap::new(),
            receipts: HashMap::new(),
            clock,
            snapshots: HashMap::new(),
            next_snapshot: 0,
            stylus: Arc::default(),
        }
    }

    /// The chain id.
    pub fn chain_id(&self) -> u64 {
        self.chain_id
    }

    /// The latest block number.
    pub fn block_number(&self) -> u64 {
        (self.blocks.len() - 1) as u64
    }

    /// The latest block.
    pub fn latest_block(&self) -> &Block {
        &self.blocks[self.blocks.len() - 1]
    }

    /// The gas price to quote (`eth_gasPrice`): the constant [`BASE_FEE`].
    pub fn gas_price(&self) -> u128 {
        BASE_FEE as u128
    }

    /// The development accounts.
    pub fn accounts(&self) -> &'static [DevAccount] {
        &DEV_ACCOUNTS
    }

    /// The number a tag refers to, if that block exists.
    pub fn resolve(&self, block: BlockTag) -> Result<u64, DevnetError> {
        let latest = self.block_number();
        match block {
            BlockTag::Latest | BlockTag::Pending => Ok(latest),
            BlockTag::Earliest => Ok(0),
            BlockTag::Number(n) if n <= latest => Ok(n),
            BlockTag::Number(n) => Err(DevnetError::UnknownBlock(n)),
        }
    }

    /// The state after `block`.
    fn state(&self, block: BlockTag) -> Result<&StateDb, DevnetError> {
        Ok(&self.states[self.resolve(block)? as usize])
    }

    fn account(&self, address: Address, block: BlockTag) -> Result<AccountInfo, DevnetError> {
        let state = self.state(block)?;
        Ok(state
            .basic_ref(address)
            .unwrap_or_else(|e| match e {})
            .unwrap_or_default())
    }

    /// The balance of `address` at `block`.
    pub fn balance(&self, address: Address, block: BlockTag) -> Result<U256, DevnetError> {
        Ok(self.account(address, block)?.balance)
    }

    /// The nonce (transaction count) of `address` at `block`.
    pub fn nonce(&self, address: Address, block: BlockTag) -> Result<u64, DevnetError> {
        Ok(self.account(address, block)?.nonce)
    }

    /// The code of `address` at `block` (empty for an account without code).
    pub fn code(&self, address: Address, block: BlockTag) -> Result<Bytes, DevnetError> {
        let info = self.account(address, block)?;
        let code = match info.code {
            Some(code) => code,
            None if info.code_hash == revm::primitives::KECCAK_EMPTY => return Ok(Bytes::new()),
            None => self
                .state(block)?
                .code_by_hash_ref(info.code_hash)
                .unwrap_or_else(|e| match e {}),
        };
        Ok(code.original_bytes())
    }

    /// The storage slot `slot` of `address` at `block`.
    pub fn storage_at(
        &self,
        address: Address,
        slot: U256,
        block: BlockTag,
    ) -> Result<U256, DevnetError> {
        Ok(self
            .state(block)?
            .storage_ref(address, slot)
            .unwrap_or_else(|e| match e {}))
    }

    /// The block a tag refers to, if it exists.
    pub fn block_by_number(&self, block: BlockTag) -> Option<&Block> {
        self.resolve(block).ok().map(|n| &self.blocks[n as usize])
    }

    /// The block with the given hash, if any.
    pub fn block_by_hash(&self, hash: B256) -> Option<&Block> {
        self.blocks.iter().rev().find(|block| block.hash == hash)
    }

    /// A mined transaction by hash.
    pub fn transaction_by_hash(&self, hash: B256) -> Option<&TransactionRecord> {
        self.transactions.get(&hash)
    }

    /// The receipt of a mined transaction.
    pub fn receipt(&self, hash: B256) -> Option<&Receipt> {
        self.receipts.get(&hash)
    }

    /// The logs matching `filter`, in chain order. A range reaching past the latest block is cut
    /// at the latest block; a range starting past it is an [`DevnetError::UnknownBlock`].
    pub fn logs(&self, filter: &LogFilter) -> Result<Vec<LogEntry>, DevnetError> {
        let from = self.resolve(filter.from_block)?;
        let to = match filter.to_block {
            BlockTag::Number(n) => n.min(self.block_number()),
            tag => self.resolve(tag)?,
        };
        let mut found = Vec::new();
        for block in self.blocks.iter().take(to as usize + 1).skip(from as usize) {
            for hash in &block.transactions {
                let receipt = &self.receipts[hash];
                found.extend(
                    receipt
                        .logs
                        .iter()
                        .filter(|entry| filter.matches(&entry.log))
                        .cloned(),
                );
            }
        }
        Ok(found)
    }

    /// Executes `request` against the state after `block` without changing anything
    /// (`eth_call`). Nonce checks are off and no base fee applies; the call runs in the
    /// environment (number, timestamp) of that block. A revert is
    /// [`DevnetError::Reverted`] carrying the revert data.
    pub fn call(&self, request: &CallRequest, block: BlockTag) -> Result<Bytes, DevnetError> {
        self.call_with(request, block, &Overrides::default())
    }

    /// [`Chain::call`] on a copy of the block's state and environment with `overrides` written
    /// into it (`eth_call`'s state and block overrides); the chain itself is not changed. The
    /// gas defaults to the (possibly overridden) block gas limit.
    pub fn call_with(
        &self,
        request: &CallRequest,
        block: BlockTag,
        overrides: &Overrides,
    ) -> Result<Bytes, DevnetError> {
        let env = self.call_env(block, overrides)?;
        let gas_limit = request.gas.unwrap_or(env.block.gas_limit);
        match self.simulate(&env, request, gas_limit)? {
            ExecutionResult::Success { output, .. } => Ok(output.into_data()),
            result => Err(failure(result)),
        }
    }

    /// Estimates the gas `request` needs (`eth_estimateGas`): runs it with the gas cap
    /// (`request.gas` or the block gas limit) and returns the revert or halt if it fails there;
    /// otherwise tries exactly the gas it used, and if that is not enough (refunds, the 63/64
    /// rule), binary-searches the smallest limit that succeeds between the gas used and the cap.
    pub fn estimate_gas(&self, request: &CallRequest, block: BlockTag) -> Result<u64, DevnetError> {
        self.estimate_gas_with(request, block, &Overrides::default())
    }

    /// [`Chain::estimate_gas`] with `overrides`, as [`Chain::call_with`] applies them (once, to
    /// one copy that every trial run reads).
    pub fn estimate_gas_with(
        &self,
        request: &CallRequest,
        block: BlockTag,
        overrides: &Overrides,
    ) -> Result<u64, DevnetError> {
        let env = self.call_env(block, overrides)?;
        let cap = request.gas.unwrap_or(env.block.gas_limit);
        let used = match self.simulate(&env, request, cap)? {
            ExecutionResult::Success { gas, .. } => gas.tx_gas_used(),
            result => return Err(failure(result)),
        };
        let succeeds = |limit: u64| {
            matches!(
                self.simulate(&env, request, limit),
                Ok(ExecutionResult::Success { .. })
            )
        };
        if succeeds(used) {
            return Ok(used);
        }
        // Invariant: `low` fails, `high` succeeds.
        let (mut low, mut high) = (used, cap);
        while high - low > 1 {
            let mid = low + (high - low) / 2;
            if succeeds(mid) {
                high = mid;
            } else {
                low = mid;
            }
        }
        Ok(high)
    }

    /// Runs `request` with `gas_limit` in `env`, returning revm's result.
    fn simulate(
        &self,
        env: &overrides::CallEnv<'_>,
        request: &CallRequest,
        gas_limit: u64,
    ) -> Result<ExecutionResult, DevnetError> {
        let state: &StateDb = &env.state;
        let caller = request.from.unwrap_or_default();
        let nonce = state
            .basic_ref(caller)
            .unwrap_or_else(|e| match e {})
            .map(|info| info.nonce)
            .unwrap_or_default();
        let tx = TxEnv {
            tx_type: 0,
            caller,
            gas_limit,
            gas_price: request.gas_price.unwrap_or(0),
            kind: request.kind(),
            value: request.value.unwrap_or_default(),
            data: request.data.clone(),
            nonce,
            chain_id: Some(self.chain_id),
            ..TxEnv::default()
        };
        let mut cfg = evm::cfg(self.chain_id);
        cfg.disable_nonce_check = true;
        cfg.disable_base_fee = true;
        let outcome = evm::transact(state, &self.stylus, cfg, env.block.clone(), tx)
            .map_err(|e| rejection(caller, e))?;
        Ok(outcome.result)
    }

    /// Decodes, checks and executes a signed transaction (`eth_sendRawTransaction`), then mines
    /// it in a new block. Legacy (EIP-155), EIP-2930 and EIP-1559 transactions are accepted.
    /// Returns the transaction hash; a transaction that reverts is still mined (status 0).
    pub fn send_raw_transaction(&mut self, raw: &[u8]) -> Result<B256, DevnetError> {
        let mut buf = raw;
        let envelope = TxEnvelope::decode_2718(&mut buf)
            .map_err(|e| DevnetError::InvalidTransaction(e.to_string()))?;
        if !buf.is_empty() {
            return Err(DevnetError::InvalidTransaction(format!(
                "{} trailing bytes after the transaction",
                buf.len()
            )));
        }
        self.send_transaction_envelope(envelope)
    }

    /// [`Chain::send_raw_transaction`] for an already decoded transaction.
    pub fn send_transaction_envelope(&mut self, envelope: TxEnvelope) -> Result<B256, DevnetError> {
        let tx_type = envelope.tx_type() as u8;
        if !matches!(
            envelope,
            TxEnvelope::Legacy(_) | TxEnvelope::Eip2930(_) | TxEnvelope::Eip1559(_)
        ) {
            return Err(DevnetError::UnsupportedTransactionType(tx_type));
        }
        match envelope.chain_id() {
            None => return Err(DevnetError::MissingChainId),
            Some(got) if got != self.chain_id => {
                return Err(DevnetError::WrongChainId {
                    expected: self.chain_id,
                    got,
                });
            }
            Some(_) => {}
        }
        let from = envelope
            .recover_signer()
            .map_err(|e| DevnetError::InvalidSignature(e.to_string()))?;
        let hash = *envelope.tx_hash();
        if self.transactions.contains_key(&hash) {
            return Err(DevnetError::AlreadyKnown);
        }

        let sender = self.account(from, BlockTag::Latest)?;
        let nonce = envelope.nonce();
        if nonce < sender.nonce {
            return Err(DevnetError::NonceTooLow {
                expected: sender.nonce,
                got: nonce,
            });
        }
        if nonce > sender.nonce {
            return Err(DevnetError::NonceTooHigh {
                expected: sender.nonce,
                got: nonce,
            });
        }
        let gas_limit = envelope.gas_limit();
        if gas_limit > BLOCK_GAS_LIMIT {
            return Err(DevnetError::GasLimitTooHigh {
                gas_limit,
                block_gas_limit: BLOCK_GAS_LIMIT,
            });
        }
        let max_fee = envelope.max_fee_per_gas();
        if max_fee < BASE_FEE as u128 {
            return Err(DevnetError::FeeCapTooLow {
                max_fee,
                base_fee: BASE_FEE,
            });
        }
        if let Some(tip) = envelope.max_priority_fee_per_gas() {
            if tip > max_fee {
                return Err(DevnetError::TipAboveFeeCap { tip, max_fee });
            }
        }
        let required = U256::from(gas_limit) * U256::from(max_fee) + envelope.value();
        if sender.balance < required {
            return Err(DevnetError::InsufficientFunds {
                address: from,
                balance: sender.balance,
                required,
            });
        }

        let tx = TxEnv {
            tx_type,
            caller: from,
            gas_limit,
            gas_price: max_fee,
            kind: envelope.kind(),
            value: envelope.value(),
            data: envelope.input().clone(),
            nonce,
            chain_id: envelope.chain_id(),
            access_list: envelope.access_list().cloned().unwrap_or_default(),
            gas_priority_fee: envelope.max_priority_fee_per_gas(),
            ..TxEnv::default()
        };
        let parent = &self.blocks[self.blocks.len() - 1];
        let number = parent.number() + 1;
        let timestamp = self.clock.peek(parent.timestamp());
        let block_env = evm::block_env(number, timestamp);
        let latest = self.states[self.states.len() - 1].clone();
        let outcome = evm::transact(
            &latest,
            &self.stylus,
            evm::cfg(self.chain_id),
            block_env,
            tx,
        )
        .map_err(|e| rejection(from, e))?;

        let mut state = StateDb::clone(&latest);
        state.commit(outcome.state);
        let result = outcome.result;
        let gas_used = result.tx_gas_used();
        let status = result.is_success();
        let effective_gas_price = envelope.effective_gas_price(Some(BASE_FEE));
        let output = match &result {
            ExecutionResult::Success { output, .. } => output.data().clone(),
            ExecutionResult::Revert { output, .. } => output.clone(),
            ExecutionResult::Halt { .. } => Bytes::new(),
        };
        let raw_logs = if status {
            result.into_logs()
        } else {
            Vec::new()
        };

        let mut logs_bloom = Bloom::ZERO;
        for log in &raw_logs {
            logs_bloom.accrue_log(log);
        }
        let header = Header {
            parent_hash: parent.hash,
            ommers_hash: EMPTY_OMMER_ROOT_HASH,
            beneficiary: BENEFICIARY,
            state_root: EMPTY_ROOT_HASH,
            transactions_root: calculate_transaction_root(std::slice::from_ref(&envelope)),
            receipts_root: EMPTY_ROOT_HASH,
            logs_bloom,
            difficulty: U256::from(1),
            number,
            gas_limit: BLOCK_GAS_LIMIT,
            gas_used,
            timestamp,
            base_fee_per_gas: Some(BASE_FEE),
            ..Header::default()
        };
        let block_hash = header.hash_slow();
        state
            .cache
            .block_hashes
            .insert(U256::from(number), block_hash);

        let logs = raw_logs
            .into_iter()
            .enumerate()
            .map(|(i, log)| LogEntry {
                log,
                block_number: number,
                block_hash,
                block_timestamp: timestamp,
                transaction_hash: hash,
                transaction_index: 0,
                log_index: i as u64,
            })
            .collect();
        let contract_address = match envelope.kind() {
            TxKind::Create => Some(from.create(nonce)),
            TxKind::Call(_) => None,
        };
        let receipt = Receipt {
            transaction_hash: hash,
            transaction_index: 0,
            block_number: number,
            block_hash,
            from,
            to: envelope.to(),
            contract_address,
            status,
            gas_used,
            cumulative_gas_used: gas_used,
            effective_gas_price,
            logs,
            logs_bloom,
            transaction_type: tx_type,
            output,
        };
        let record = TransactionRecord {
            envelope,
            hash,
            from,
            block_number: number,
            block_hash,
            transaction_index: 0,
            effective_gas_price,
        };

        self.clock.mined(timestamp);
        self.blocks.push(Block {
            header,
            hash: block_hash,
            transactions: vec![hash],
        });
        self.states.push(Arc::new(state));
        self.transactions.insert(hash, record);
        self.receipts.insert(hash, receipt);
        Ok(hash)
    }

    /// Mines an empty block (`evm_mine`), at `timestamp` if given (which must be after the
    /// latest block's), else at the clock's next timestamp. Returns the new block number.
    pub fn mine(&mut self, timestamp: Option<u64>) -> Result<u64, DevnetError> {
        if let Some(timestamp) = timestamp {
            self.set_next_block_timestamp(timestamp)?;
        }
        let parent = &self.blocks[self.blocks.len() - 1];
        let number = parent.number() + 1;
        let timestamp = self.clock.peek(parent.timestamp());
        let header = Header {
            parent_hash: parent.hash,
            ommers_hash: EMPTY_OMMER_ROOT_HASH,
            beneficiary: BENEFICIARY,
            state_root: EMPTY_ROOT_HASH,
            transactions_root: EMPTY_ROOT_HASH,
            receipts_root: EMPTY_ROOT_HASH,
            difficulty: U256::from(1),
            number,
            gas_limit: BLOCK_GAS_LIMIT,
            timestamp,
            base_fee_per_gas: Some(BASE_FEE),
            ..Header::default()
        };
        let hash = header.hash_slow();
        let mut state = self.states[self.states.len() - 1].clone();
        Arc::make_mut(&mut state)
            .cache
            .block_hashes
            .insert(U256::from(number), hash);
        self.clock.mined(timestamp);
        self.blocks.push(Block {
            header,
            hash,
            transactions: Vec::new(),
        });
        self.states.push(state);
        Ok(number)
    }

    /// Moves time forward by `seconds` (`evm_increaseTime`); the next block's timestamp
    /// reflects it. Returns the total offset from wall-clock time, in seconds.
    pub fn increase_time(&mut self, seconds: u64) -> i128 {
        self.clock.increase(seconds)
    }

    /// Makes the next block's timestamp exactly `timestamp` (`evm_setNextBlockTimestamp`);
    /// later blocks continue from there. It must be after the latest block's timestamp.
    pub fn set_next_block_timestamp(&mut self, timestamp: u64) -> Result<(), DevnetError> {
        let latest = self.blocks[self.blocks.len() - 1].timestamp();
        if timestamp <= latest {
            return Err(DevnetError::TimestampNotIncreasing {
                requested: timestamp,
                latest,
            });
        }
        self.clock.set_next(timestamp);
        Ok(())
    }

    /// Saves the chain's current state and history (`evm_snapshot`); returns the snapshot id.
    pub fn snapshot(&mut self) -> u64 {
        let id = self.next_snapshot;
        self.next_snapshot += 1;
        self.snapshots.insert(
            id,
            Snapshot {
                blocks: self.blocks.len(),
                state: self.states[self.states.len() - 1].clone(),
                clock: self.clock,
            },
        );
        id
    }

    /// Returns the chain to snapshot `id` (`evm_revert`): blocks, transactions and receipts mined
    /// since are dropped, the latest state (with any setter's edits) and the clock settings
    /// restored. As in anvil, the snapshot and every later one are consumed. Returns `false` if
    /// no such snapshot exists.
    pub fn revert(&mut self, id: u64) -> bool {
        let Some(snapshot) = self.snapshots.remove(&id) else {
            return false;
        };
        for block in self.blocks.drain(snapshot.blocks..) {
            for hash in block.transactions {
                self.transactions.remove(&hash);
                self.receipts.remove(&hash);
            }
        }
        self.states.truncate(snapshot.blocks);
        self.states[snapshot.blocks - 1] = snapshot.state;
        self.clock = snapshot.clock;
        self.snapshots.retain(|&other, _| other < id);
        true
    }
}

/// The error for a call that did not succeed.
fn failure(result: ExecutionResult) -> DevnetError {
    match result {
        ExecutionResult::Revert { output, gas, .. } => DevnetError::Reverted {
            data: output,
            gas_used: gas.tx_gas_used(),
        },
        ExecutionResult::Halt { reason, gas, .. } => DevnetError::Halted {
            reason: format!("{reason:?}"),
            gas_used: gas.tx_gas_used(),
        },
        ExecutionResult::Success { .. } => unreachable!("failure() is only given failures"),
    }
}

/// The error for a transaction revm refused to execute.
fn rejection(caller: Address, error: EVMError<std::convert::Infallible>) -> DevnetError {
    match error {
        EVMError::Transaction(InvalidTransaction::NonceTooLow { tx, state }) => {
            DevnetError::NonceTooLow {
                expected: state,
                got: tx,
            }
        }
        EVMError::Transaction(InvalidTransaction::NonceTooHigh { tx, state }) => {
            DevnetError::NonceTooHigh {
                expected: state,
                got: tx,
            }
        }
        EVMError::Transaction(InvalidTransaction::CallGasCostMoreThanGasLimit {
            initial_gas,
            gas_limit,
        }) => DevnetError::IntrinsicGasTooLow {
            gas_limit,
            intrinsic: initial_gas,
        },
        EVMError::Transaction(InvalidTransaction::GasFloorMoreThanGasLimit {
            gas_floor,
            gas_limit,
        }) => DevnetError::IntrinsicGasTooLow {
            gas_limit,
            intrinsic: gas_floor,
        },
        EVMError::Transaction(InvalidTransaction::LackOfFundForMaxFee { fee, balance }) => {
            DevnetError::InsufficientFunds {
                address: caller,
                balance: *balance,
                required: *fee,
            }
        }
        other => DevnetError::Evm(other.to_string()),
    }
}
