//! The records the chain keeps (blocks, transactions, receipts, logs) and the shapes of the
//! requests it answers (block tags, call requests, log filters).

use alloy_consensus::{Header, TxEnvelope};
use alloy_primitives::{Address, Bloom, Bytes, Log, TxKind, B256, U256};

/// Which block a query reads. `safe` and `finalized` from JSON-RPC map to [`BlockTag::Latest`]:
/// with automining every block is final at once.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum BlockTag {
    /// The newest mined block.
    #[default]
    Latest,
    /// Block 0, the genesis.
    Earliest,
    /// Same as [`BlockTag::Latest`]: there is no pending block, each transaction is mined at once.
    Pending,
    /// A block by number.
    Number(u64),
}

impl From<u64> for BlockTag {
    fn from(number: u64) -> Self {
        Self::Number(number)
    }
}

/// A mined block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    /// The block header. `state_root` and `receipts_root` are not computed (this chain keeps no
    /// Merkle trie) and hold the empty-trie root; `transactions_root` and `logs_bloom` are real.
    pub header: Header,
    /// `keccak256(rlp(header))`.
    pub hash: B256,
    /// Hashes of the block's transactions, in order (zero or one with automining).
    pub transactions: Vec<B256>,
}

impl Block {
    /// The block number.
    pub fn number(&self) -> u64 {
        self.header.number
    }

    /// The block timestamp, in seconds since the Unix epoch.
    pub fn timestamp(&self) -> u64 {
        self.header.timestamp
    }
}

/// A mined transaction with where it landed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransactionRecord {
    /// The signed transaction as it was sent.
    pub envelope: TxEnvelope,
    /// The transaction hash.
    pub hash: B256,
    /// The recovered sender.
    pub from: Address,
    /// The block that includes it.
    pub block_number: u64,
    /// That block's hash.
    pub block_hash: B256,
    /// Its index in the block.
    pub transaction_index: u64,
    /// The price per gas actually paid.
    pub effective_gas_price: u128,
}

/// A log with its position on the chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogEntry {
    /// Emitting address, topics and data.
    pub log: Log,
    /// The block number.
    pub block_number: u64,
    /// The block hash.
    pub block_hash: B256,
    /// The block timestamp.
    pub block_timestamp: u64,
    /// The transaction hash.
    pub transaction_hash: B256,
    /// The transaction's index in its block.
    pub transaction_index: u64,
    /// The log's index in its block.
    pub log_index: u64,
}

/// The receipt of a mined transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Receipt {
    /// The transaction hash.
    pub transaction_hash: B256,
    /// The transaction's index in its block.
    pub transaction_index: u64,
    /// The block number.
    pub block_number: u64,
    /// The block hash.
    pub block_hash: B256,
    /// The sender.
    pub from: Address,
    /// The callee, `None` for a contract creation.
    pub to: Option<Address>,
    /// The created contract's address, for a creation (also when it failed, as geth reports it).
    pub contract_address: Option<Address>,
    /// `true` when execution succeeded (status 1), `false` when it reverted or halted.
    pub status: bool,
    /// Gas used by this transaction (after refunds).
    pub gas_used: u64,
    /// Gas used by the block up to and including this transaction.
    pub cumulative_gas_used: u64,
    /// The price per gas actually paid.
    pub effective_gas_price: u128,
    /// The logs emitted (empty when execution failed).
    pub logs: Vec<LogEntry>,
    /// Bloom filter over the logs.
    pub logs_bloom: Bloom,
    /// The EIP-2718 transaction type (0 legacy, 1 EIP-2930, 2 EIP-1559).
    pub transaction_type: u8,
    /// Return data of a call, or revert data when it reverted (not part of Ethereum receipts;
    /// kept for diagnostics).
    pub output: Bytes,
}

/// An `eth_call` / `eth_estimateGas` request. Unset fields take defaults: sender the zero
/// address, gas the block gas limit, gas price zero (no fee charged), value zero.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CallRequest {
    /// The caller.
    pub from: Option<Address>,
    /// The callee; `None` runs `data` as init code (a simulated creation).
    pub to: Option<Address>,
    /// Gas limit.
    pub gas: Option<u64>,
    /// Price per gas (for EIP-1559 style requests, pass `maxFeePerGas` here). When nonzero the
    /// caller must be able to pay `gas * gas_price + value`.
    pub gas_price: Option<u128>,
    /// Value sent with the call.
    pub value: Option<U256>,
    /// Calldata (or init code when `to` is `None`).
    pub data: Bytes,
}

impl CallRequest {
    /// The transaction kind: a call to `to`, or a creation.
    pub fn kind(&self) -> TxKind {
        match self.to {
            Some(to) => TxKind::Call(to),
            None => TxKind::Create,
        }
    }
}

/// An `eth_getLogs` filter. A log matches when it lies in the block range, its address is one of
/// `addresses` (or `addresses` is empty), and for each position `i` of `topics` either the entry
/// is `None` (wildcard) or the log's topic `i` is one of the listed values.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogFilter {
    /// First block of the range (inclusive).
    pub from_block: BlockTag,
    /// Last block of the range (inclusive).
    pub to_block: BlockTag,
    /// Emitting addresses to accept; empty accepts all.
    pub addresses: Vec<Address>,
    /// Per-position topic alternatives; `None` accepts anything.
    pub topics: Vec<Option<Vec<B256>>>,
}

impl LogFilter {
    /// Whether `log` passes the address and topic parts of the filter.
    pub fn matches(&self, log: &Log) -> bool {
        if !self.addresses.is_empty() && !self.addresses.contains(&log.address) {
            return false;
        }
        let topics = log.data.topics();
        self.topics
            .iter()
            .enumerate()
            .all(|(i, wanted)| match wanted {
                None => true,
                Some(options) => topics.get(i).is_some_and(|topic| options.contains(topic)),
            })
    }
}
