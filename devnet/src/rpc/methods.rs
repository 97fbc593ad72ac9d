//! The JSON-RPC methods and their conversions between JSON and the [`Chain`] API.
//!
//! Ethereum: `eth_chainId`, `net_version`, `net_listening`, `web3_clientVersion`,
//! `eth_blockNumber`, `eth_syncing`, `eth_accounts`, `eth_getBalance`, `eth_getCode`,
//! `eth_getStorageAt`, `eth_getTransactionCount`, `eth_gasPrice`, `eth_maxPriorityFeePerGas`,
//! `eth_feeHistory`, `eth_estimateGas`, `eth_call`, `eth_sendRawTransaction`,
//! `eth_sendTransaction` (signed for the development accounts, as anvil does),
//! `eth_getTransactionByHash`, `eth_getTransactionReceipt`, `eth_getBlockByNumber`,
//! `eth_getBlockByHash`, `eth_getLogs`. Anvil's test methods: `evm_increaseTime`,
//! `evm_setNextBlockTimestamp`, `evm_mine`, `evm_snapshot`, `evm_revert`, and the account
//! setters (`anvil_setBalance`, ..., in `anvil.rs`).
//!
//! `eth_call` and `eth_estimateGas` take geth's state overrides (third parameter) and block
//! overrides (fourth); see [`Overrides`].
//!
//! Block parameters take a number, a tag (`latest`, `earliest`, `pending`, `safe`, `finalized`;
//! the last three mean `latest` since every block is final at once) or an EIP-1898 object
//! (`{"blockHash": ...}` / `{"blockNumber": ...}`). Responses use `alloy-rpc-types-eth`'s types,
//! so they serialise exactly as alloy and cast expect.

use alloy_consensus::{
    transaction::Recovered, ReceiptEnvelope, ReceiptWithBloom, SignableTransaction, TxEip1559,
    TxEnvelope, TxLegacy,
};
use alloy_eips::{BlockId, BlockNumberOrTag};
use alloy_primitives::{Address, Bytes, TxKind, B256, U128, U256, U64};
use alloy_rpc_types_eth::{
    state::StateOverride, Block as RpcBlock, BlockOverrides, BlockTransactions, FeeHistory, Filter,
    FilterBlockOption, Header as RpcHeader, Log as RpcLog, Transaction as RpcTransaction,
    TransactionReceipt, TransactionRequest,
};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::RpcError;
use crate::chain::{
    Block, BlockTag, CallRequest, Chain, LogEntry, LogFilter, Overrides, Receipt,
    TransactionRecord, BASE_FEE,
};

/// The `web3_clientVersion` answer.
pub const CLIENT_VERSION: &str = concat!("yellowstone-devnet/v", env!("CARGO_PKG_VERSION"));

/// The most blocks `eth_feeHistory` reports at once.
const MAX_FEE_HISTORY: u64 = 1024;

/// Runs `method` with `params` on `chain`.
pub fn dispatch(chain: &mut Chain, method: &str, params: Option<Value>) -> Result<Value, RpcError> {
    let p = Params::new(params)?;
    match method {
        "web3_clientVersion" => json(CLIENT_VERSION),
        "eth_chainId" => json(U64::from(chain.chain_id())),
        "net_version" => json(chain.chain_id().to_string()),
        "net_listening" => json(true),
        "eth_syncing" => json(false),
        "eth_blockNumber" => json(U64::from(chain.block_number())),
        "eth_accounts" => json(
            chain
                .accounts()
                .iter()
                .map(|account| account.address)
                .collect::<Vec<_>>(),
        ),
        "eth_gasPrice" => json(U128::from(chain.gas_price())),
        // The base fee is constant and blocks are never full: no tip is needed.
        "eth_maxPriorityFeePerGas" => json(U128::ZERO),
        "eth_getBalance" => {
            let address: Address = p.required(0, "address")?;
            let block = block_tag(chain, p.optional(1, "block")?)?;
            json(chain.balance(address, block)?)
        }
        "eth_getTransactionCount" => {
            let address: Address = p.required(0, "address")?;
            let block = block_tag(chain, p.optional(1, "block")?)?;
            json(U64::from(chain.nonce(address, block)?))
        }
        "eth_getCode" => {
            let address: Address = p.required(0, "address")?;
            let block = block_tag(chain, p.optional(1, "block")?)?;
            json(chain.code(address, block)?)
        }
        "eth_getStorageAt" => {
            let address: Address = p.required(0, "address")?;
            let slot: U256 = p.required(1, "slot")?;
            let block = block_tag(chain, p.optional(2, "block")?)?;
            json(B256::from(chain.storage_at(address, slot, block)?))
        }
        "eth_call" => {
            let request = call_request(p.required(0, "transaction")?)?;
            let block = block_tag(chain, p.optional(1, "block")?)?;
            let overrides = overrides(&p)?;
            json(chain.call_with(&request, block, &overrides)?)
        }
        "eth_estimateGas" => {
            let request = call_request(p.required(0, "transaction")?)?;
            let block = block_tag(chain, p.optional(1, "block")?)?;
            let overrides = overrides(&p)?;
            json(U64::from(
                chain.estimate_gas_with(&request, block, &overrides)?,
            ))
        }
        "eth_sendRawTransaction" => {
            let raw: Bytes = p.required(0, "transaction")?;
            json(chain.send_raw_transaction(&raw)?)
        }
        "eth_sendTransaction" => {
            let request: TransactionRequest = p.required(0, "transaction")?;
            json(send_transaction(chain, request)?)
        }
        "eth_getTransactionByHash" => {
            let hash: B256 = p.required(0, "hash")?;
            json(chain.transaction_by_hash(hash).map(rpc_transaction))
        }
        "eth_getTransactionReceipt" => {
            let hash: B256 = p.required(0, "hash")?;
            json(chain.receipt(hash).map(rpc_receipt))
        }
        "eth_getBlockByNumber" => {
            let tag: BlockNumberOrTag = p.required(0, "block")?;
            let full = p.optional::<bool>(1, "full")?.unwrap_or(false);
            let block = chain.block_by_number(number_or_tag(tag));
            json(block.map(|block| rpc_block(chain, block, full)))
        }
        "eth_getBlockByHash" => {
            let hash: B256 = p.required(0, "hash")?;
            let full = p.optional::<bool>(1, "full")?.unwrap_or(false);
            let block = chain.block_by_hash(hash);
            json(block.map(|block| rpc_block(chain, block, full)))
        }
        "eth_getLogs" => {
            let filter: Filter = p.required(0, "filter")?;
            let filter = log_filter(chain, &filter)?;
            json(chain.logs(&filter)?.iter().map(rpc_log).collect::<Vec<_>>())
        }
        "eth_feeHistory" => {
            let count = p.required::<Quantity>(0, "blockCount")?.0;
            let newest: BlockNumberOrTag = p.required(1, "newestBlock")?;
            let percentiles: Option<Vec<f64>> = p.optional(2, "rewardPercentiles")?;
            fee_history(chain, count, newest, percentiles)
        }
        "evm_increaseTime" => {
            let seconds = p.required::<Quantity>(0, "seconds")?.0;
            let offset = chain.increase_time(seconds);
            json(offset.clamp(i64::MIN as i128, i64::MAX as i128) as i64)
        }
        "evm_setNextBlockTimestamp" => {
            let timestamp = p.required::<Quantity>(0, "timestamp")?.0;
            chain.set_next_block_timestamp(timestamp)?;
            Ok(Value::Null)
        }
        "evm_mine" => {
            let (timestamp, blocks) = mine_options(&p)?;
            for i in 0..blocks {
                chain.mine(if i == 0 { timestamp } else { None })?;
            }
            json("0x0")
        }
        "evm_snapshot" => json(U64::from(chain.snapshot())),
        "evm_revert" => {
            let id = p.required::<Quantity>(0, "id")?.0;
            json(chain.revert(id))
        }
        _ => super::anvil::dispatch(chain, method, &p),
    }
}

/// Serialises a result.
pub(super) fn json<T: serde::Serialize>(value: T) -> Result<Value, RpcError> {
    serde_json::to_value(value).map_err(|e| RpcError::server(format!("serialisation: {e}")))
}

/// Positional parameters.
pub(super) struct Params(Vec<Value>);

impl Params {
    fn new(params: Option<Value>) -> Result<Self, RpcError> {
        match params {
            None | Some(Value::Null) => Ok(Self(Vec::new())),
            Some(Value::Array(values)) => Ok(Self(values)),
            Some(_) => Err(RpcError::invalid_params(
                "params must be an array (positional parameters)",
            )),
        }
    }

    /// Parameter `index`, which must be present and not null.
    pub(super) fn required<T: DeserializeOwned>(
        &self,
        index: usize,
        name: &str,
    ) -> Result<T, RpcError> {
        self.optional(index, name)?
            .ok_or_else(|| RpcError::invalid_params(format!("missing parameter {index} ({name})")))
    }

    /// Parameter `index`, `None` when absent or null.
    pub(super) fn optional<T: DeserializeOwned>(
        &self,
        index: usize,
        name: &str,
    ) -> Result<Option<T>, RpcError> {
        match self.0.get(index) {
            None | Some(Value::Null) => Ok(None),
            Some(value) => T::deserialize(value)
                .map(Some)
                .map_err(|e| RpcError::invalid_params(format!("parameter {index} ({name}): {e}"))),
        }
    }
}

/// A quantity given as a hex string, a decimal string or a JSON number (anvil's methods accept
/// all three), up to 64 bits.
pub(super) struct Quantity(pub(super) u64);

impl<'de> serde::Deserialize<'de> for Quantity {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let BigQuantity(value) = BigQuantity::deserialize(deserializer)?;
        u64::try_from(value)
            .map(Quantity)
            .map_err(|_| D::Error::custom(format!("{value} does not fit in 64 bits")))
    }
}

/// [`Quantity`] up to 256 bits.
pub(super) struct BigQuantity(pub(super) U256);

impl<'de> serde::Deserialize<'de> for BigQuantity {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        match Value::deserialize(deserializer)? {
            Value::Number(n) => n
                .as_u64()
                .map(|n| BigQuantity(U256::from(n)))
                .ok_or_else(|| {
                    D::Error::custom(format!(
                        "{n} is not an integer from 0 to 2^64 - 1 (give larger quantities as \
                         hex strings)"
                    ))
                }),
            Value::String(s) => {
                let (digits, radix) = match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
                    Some(hex) => (hex, 16),
                    None => (s.as_str(), 10),
                };
                if digits.is_empty() {
                    return Err(D::Error::custom(format!(
                        "invalid quantity {s:?}: no digits"
                    )));
                }
                U256::from_str_radix(digits, radix)
                    .map(BigQuantity)
                    .map_err(|e| D::Error::custom(format!("invalid quantity {s:?}: {e}")))
            }
            other => Err(D::Error::custom(format!(
                "expected a quantity, got {other}"
            ))),
        }
    }
}

/// `evm_mine`'s optional parameter: a timestamp, or `{timestamp, blocks}`.
fn mine_options(p: &Params) -> Result<(Option<u64>, u64), RpcError> {
    match p.0.first() {
        None | Some(Value::Null) => Ok((None, 1)),
        Some(Value::Object(options)) => {
            let field = |name: &str| -> Result<Option<u64>, RpcError> {
                match options.get(name) {
                    None | Some(Value::Null) => Ok(None),
                    Some(value) => serde_json::from_value::<Quantity>(value.clone())
                        .map(|q| Some(q.0))
                        .map_err(|e| {
                            RpcError::invalid_params(format!("parameter 0 ({name}): {e}"))
                        }),
                }
            };
            Ok((field("timestamp")?, field("blocks")?.unwrap_or(1)))
        }
        Some(_) => Ok((Some(p.required::<Quantity>(0, "timestamp")?.0), 1)),
    }
}

/// `eth_call` / `eth_estimateGas`'s state overrides (parameter 2) and block overrides
/// (parameter 3), checked; a refusal names the parameter.
fn overrides(p: &Params) -> Result<Overrides, RpcError> {
    let state: Option<StateOverride> = p.optional(2, "state overrides")?;
    let block: Option<BlockOverrides> = p.optional(3, "block overrides")?;
    Overrides::new(state.as_ref(), block.as_ref()).map_err(|e| {
        let (index, name) = if e.is_block() {
            (3, "block overrides")
        } else {
            (2, "state overrides")
        };
        RpcError::invalid_params(format!("parameter {index} ({name}): {e}"))
    })
}

/// A block tag from JSON-RPC (absent means latest).
fn number_or_tag(tag: BlockNumberOrTag) -> BlockTag {
    match tag {
        BlockNumberOrTag::Earliest => BlockTag::Earliest,
        BlockNumberOrTag::Pending => BlockTag::Pending,
        BlockNumberOrTag::Number(n) => BlockTag::Number(n),
        BlockNumberOrTag::Latest | BlockNumberOrTag::Safe | BlockNumberOrTag::Finalized => {
            BlockTag::Latest
        }
    }
}

/// A block parameter (number, tag or EIP-1898 object) as a [`BlockTag`]; an unknown hash is an
/// error.
fn block_tag(chain: &Chain, block: Option<BlockId>) -> Result<BlockTag, RpcError> {
    match block {
        None => Ok(BlockTag::Latest),
        Some(BlockId::Number(tag)) => Ok(number_or_tag(tag)),
        Some(BlockId::Hash(hash)) => chain
            .block_by_hash(hash.block_hash)
            .map(|block| BlockTag::Number(block.number()))
            .ok_or_else(|| RpcError::server(format!("unknown block: {}", hash.block_hash))),
    }
}

/// An `eth_call` / `eth_estimateGas` request object as a [`CallRequest`].
fn call_request(request: TransactionRequest) -> Result<CallRequest, RpcError> {
    let data = request
        .input
        .try_into_unique_input()
        .map_err(|e| RpcError::invalid_params(format!("parameter 0 (transaction): {e}")))?
        .unwrap_or_default();
    Ok(CallRequest {
        from: request.from,
        to: match request.to {
            Some(TxKind::Call(to)) => Some(to),
            Some(TxKind::Create) | None => None,
        },
        gas: request.gas,
        gas_price: request.gas_price.or(request.max_fee_per_gas),
        value: request.value,
        data,
    })
}

/// `eth_sendTransaction` for a development account, as anvil offers it: fills the nonce, gas
/// (estimated), chain id and fees (a legacy transaction when `gasPrice` is given, else EIP-1559
/// with `maxFeePerGas` defaulting to twice the base fee and no tip), signs with the account's
/// key and mines it.
fn send_transaction(chain: &mut Chain, request: TransactionRequest) -> Result<B256, RpcError> {
    let from = request
        .from
        .ok_or_else(|| RpcError::invalid_params("parameter 0 (transaction): from is required"))?;
    let key = chain
        .accounts()
        .iter()
        .find(|account| account.address == from)
        .map(|account| account.private_key)
        .ok_or_else(|| {
            RpcError::server(format!(
                "no key for {from}: eth_sendTransaction signs only for the development accounts \
                 (eth_accounts); send a signed transaction with eth_sendRawTransaction"
            ))
        })?;
    let signer = PrivateKeySigner::from_bytes(&key)
        .map_err(|e| RpcError::internal(format!("development key: {e}")))?;
    let nonce = match request.nonce {
        Some(nonce) => nonce,
        None => chain.nonce(from, BlockTag::Latest)?,
    };
    let call = call_request(request.clone())?;
    let gas_limit = match request.gas {
        Some(gas) => gas,
        None => chain.estimate_gas(&call, BlockTag::Latest)?,
    };
    let to = request.to.unwrap_or(TxKind::Create);
    let value = request.value.unwrap_or_default();
    let chain_id = chain.chain_id();
    let sign = |hash: B256| {
        signer
            .sign_hash_sync(&hash)
            .map_err(|e| RpcError::internal(format!("signing: {e}")))
    };
    let envelope = match request.gas_price {
        Some(gas_price) => {
            let tx = TxLegacy {
                chain_id: Some(chain_id),
                nonce,
                gas_price,
                gas_limit,
                to,
                value,
                input: call.data,
            };
            let signature = sign(tx.signature_hash())?;
            TxEnvelope::from(tx.into_signed(signature))
        }
        None => {
            let tx = TxEip1559 {
                chain_id,
                nonce,
                gas_limit,
                max_fee_per_gas: request.max_fee_per_gas.unwrap_or(2 * BASE_FEE as u128),
                max_priority_fee_per_gas: request.max_priority_fee_per_gas.unwrap_or(0),
                to,
                value,
                access_list: request.access_list.unwrap_or_default(),
                input: call.data,
            };
            let signature = sign(tx.signature_hash())?;
            TxEnvelope::from(tx.into_signed(signature))
        }
    };
    Ok(chain.send_transaction_envelope(envelope)?)
}

/// An `eth_getLogs` filter as a [`LogFilter`].
fn log_filter(chain: &Chain, filter: &Filter) -> Result<LogFilter, RpcError> {
    let (from_block, to_block) = match filter.block_option {
        FilterBlockOption::Range {
            from_block,
            to_block,
        } => (
            from_block.map(number_or_tag).unwrap_or_default(),
            to_block.map(number_or_tag).unwrap_or_default(),
        ),
        FilterBlockOption::AtBlockHash(hash) => {
            let number = chain
                .block_by_hash(hash)
                .ok_or_else(|| RpcError::server(format!("unknown block: {hash}")))?
                .number();
            (BlockTag::Number(number), BlockTag::Number(number))
        }
    };
    let topics = filter
        .topics
        .iter()
        .map(|topic| (!topic.is_empty()).then(|| topic.iter().copied().collect()))
        .collect::<Vec<Option<Vec<B256>>>>();
    let last = topics
        .iter()
        .rposition(Option::is_some)
        .map_or(0, |i| i + 1);
    Ok(LogFilter {
        from_block,
        to_block,
        addresses: filter.address.iter().copied().collect(),
        topics: topics[..last].to_vec(),
    })
}

/// `eth_feeHistory`: the base fee is constant; rewards are each block's tip (one transaction per
/// block, so every percentile is that tip; zero for an empty block).
fn fee_history(
    chain: &Chain,
    count: u64,
    newest: BlockNumberOrTag,
    percentiles: Option<Vec<f64>>,
) -> Result<Value, RpcError> {
    let newest = chain.resolve(number_or_tag(newest))?;
    let count = count.min(MAX_FEE_HISTORY).min(newest + 1);
    if count == 0 {
        return json(FeeHistory::default());
    }
    let oldest = newest + 1 - count;
    let mut history = FeeHistory {
        oldest_block: oldest,
        base_fee_per_gas: vec![BASE_FEE as u128; count as usize + 1],
        ..FeeHistory::default()
    };
    let mut rewards = Vec::new();
    for number in oldest..=newest {
        let Some(block) = chain.block_by_number(BlockTag::Number(number)) else {
            continue;
        };
        let header = &block.header;
        history
            .gas_used_ratio
            .push(header.gas_used as f64 / header.gas_limit as f64);
        if let Some(percentiles) = &percentiles {
            let tip = block
                .transactions
                .first()
                .and_then(|hash| chain.receipt(*hash))
                .map_or(0, |r| {
                    r.effective_gas_price.saturating_sub(BASE_FEE as u128)
                });
            rewards.push(vec![tip; percentiles.len()]);
        }
    }
    if percentiles.is_some() {
        history.reward = Some(rewards);
    }
    json(history)
}

/// A block as JSON-RPC returns it, with transaction hashes or full transactions.
fn rpc_block(chain: &Chain, block: &Block, full: bool) -> RpcBlock {
    let transactions = if full {
        BlockTransactions::Full(
            block
                .transactions
                .iter()
                .filter_map(|hash| chain.transaction_by_hash(*hash))
                .map(rpc_transaction)
                .collect(),
        )
    } else {
        BlockTransactions::Hashes(block.transactions.clone())
    };
    RpcBlock {
        header: RpcHeader {
            hash: block.hash,
            inner: block.header.clone(),
            // Every block has difficulty 1.
            total_difficulty: Some(U256::from(block.number() + 1)),
            size: None,
        },
        uncles: Vec::new(),
        transactions,
        withdrawals: None,
    }
}

/// A mined transaction as JSON-RPC returns it.
fn rpc_transaction(record: &TransactionRecord) -> RpcTransaction {
    RpcTransaction {
        inner: Recovered::new_unchecked(record.envelope.clone(), record.from),
        block_hash: Some(record.block_hash),
        block_number: Some(record.block_number),
        transaction_index: Some(record.transaction_index),
        effective_gas_price: Some(record.effective_gas_price),
    }
}

/// A log as JSON-RPC returns it.
fn rpc_log(entry: &LogEntry) -> RpcLog {
    RpcLog {
        inner: entry.log.clone(),
        block_hash: Some(entry.block_hash),
        block_number: Some(entry.block_number),
        block_timestamp: Some(entry.block_timestamp),
        transaction_hash: Some(entry.transaction_hash),
        transaction_index: Some(entry.transaction_index),
        log_index: Some(entry.log_index),
        removed: false,
    }
}

/// A receipt as JSON-RPC returns it.
fn rpc_receipt(receipt: &Receipt) -> TransactionReceipt {
    let inner = ReceiptWithBloom {
        receipt: alloy_consensus::Receipt {
            status: receipt.status.into(),
            cumulative_gas_used: receipt.cumulative_gas_used,
            logs: receipt.logs.iter().map(rpc_log).collect(),
        },
        logs_bloom: receipt.logs_bloom,
    };
    let inner = match receipt.transaction_type {
        1 => ReceiptEnvelope::Eip2930(inner),
        2 => ReceiptEnvelope::Eip1559(inner),
        3 => ReceiptEnvelope::Eip4844(inner),
        4 => ReceiptEnvelope::Eip7702(inner),
        _ => ReceiptEnvelope::Legacy(inner),
    };
    TransactionReceipt {
        inner,
        transaction_hash: receipt.transaction_hash,
        transaction_index: Some(receipt.transaction_index),
        block_hash: Some(receipt.block_hash),
        block_number: Some(receipt.block_number),
        gas_used: receipt.gas_used,
        effective_gas_price: receipt.effective_gas_price,
        blob_gas_used: None,
        blob_gas_price: None,
        from: receipt.from,
        to: receipt.to,
        contract_address: receipt.contract_address,
    }
}
