//! The per-function half of `bench gas`: the contract's ABI (`abi/IYellowstoneCompute.json`),
//! transactions that return their receipt's `gasUsed`, and every view's `eth_estimateGas`.

use std::collections::BTreeMap;

use alloy_primitives::{keccak256, Address, Bytes, U256};
use alloy_provider::{Provider, ProviderBuilder};
use alloy_rpc_types_eth::TransactionRequest;
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::{sol, SolCall};
use anyhow::{Context, Result};
use yellowstone_protocol::time::DAY;

use yellowstone_chain::IYellowstoneCompute as I;

use crate::demo::devnet::{dev_key, Devnet};

sol! {
    /// The MOR approval `fund` and `stake` need first.
    interface IMor {
        function approve(address spender, uint256 value) external returns (bool);
    }
}

/// The contract's ABI as exported from its source (CI keeps it current).
const ABI: &str = include_str!("../../../../../abi/IYellowstoneCompute.json");

/// One external function of the contract, from the ABI.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct AbiFunction {
    /// Its name, e.g. `commitEpoch`.
    pub name: String,
    /// Whether it is a view (`view` or `pure`).
    pub view: bool,
    /// Its parameters, `(name, Solidity type)`, in order.
    pub inputs: Vec<(String, String)>,
}

impl AbiFunction {
    /// The canonical signature, e.g. `provider(address)`.
    fn signature(&self) -> String {
        let types: Vec<&str> = self.inputs.iter().map(|(_, t)| t.as_str()).collect();
        format!("{}({})", self.name, types.join(","))
    }
}

/// Every external function in the ABI, in its order.
pub(super) fn abi_functions() -> Result<Vec<AbiFunction>> {
    let abi: serde_json::Value = serde_json::from_str(ABI).context("parsing the ABI")?;
    let entries = abi.as_array().context("the ABI is not an array")?;
    Ok(entries
        .iter()
        .filter(|e| e["type"] == "function")
        .filter_map(|e| {
            let mutability = e["stateMutability"].as_str().unwrap_or("nonpayable");
            let inputs = e["inputs"]
                .as_array()
                .map(|inputs| {
                    inputs
                        .iter()
                        .map(|i| {
                            let name = i["name"].as_str().unwrap_or_default().to_string();
                            (name, i["type"].as_str().unwrap_or_default().to_string())
                        })
                        .collect()
                })
                .unwrap_or_default();
            Some(AbiFunction {
                name: e["name"].as_str()?.to_string(),
                view: matches!(mutability, "view" | "pure"),
                inputs,
            })
        })
        .collect())
}

/// A function's measured gas and the circumstances of the call.
#[derive(Clone, Debug)]
pub(super) struct Measured {
    /// Receipt `gasUsed` (transactions) or `eth_estimateGas` (views).
    pub gas: u64,
    /// What was called, with which arguments, in which state.
    pub note: String,
}

/// Measurements by function name.
pub(super) type Book = BTreeMap<String, Measured>;

/// A call's function name: its signature up to the parenthesis.
pub(super) fn name_of<C: SolCall>() -> String {
    C::SIGNATURE
        .split('(')
        .next()
        .unwrap_or(C::SIGNATURE)
        .to_string()
}

/// Sends `call` to the compute contract from `key`; its receipt's `gasUsed`.
pub(super) async fn send<C: SolCall>(net: &Devnet, key: &PrivateKeySigner, call: C) -> Result<u64> {
    let receipt = net
        .send(key, net.deployment.compute, call)
        .await
        .with_context(|| format!("{} from {}", C::SIGNATURE, key.address()))?;
    Ok(receipt.gas_used)
}

/// Sends `call` from `key` and records its gas under the function's name.
pub(super) async fn record<C: SolCall>(
    book: &mut Book,
    net: &Devnet,
    key: &PrivateKeySigner,
    call: C,
    note: impl Into<String>,
) -> Result<u64> {
    let gas = send(net, key, call).await?;
    book.insert(
        name_of::<C>(),
        Measured {
            gas,
            note: note.into(),
        },
    );
    Ok(gas)
}

/// Approves the compute contract for `amount` of `key`'s MOR.
pub(super) async fn approve(net: &Devnet, key: &PrivateKeySigner, amount: U256) -> Result<()> {
    let d = &net.deployment;
    let call = IMor::approveCall {
        spender: d.compute,
        value: amount,
    };
    net.send(key, d.mor, call).await.context("approve")?;
    Ok(())
}

/// `eth_estimateGas` of `input` sent to the compute contract from development account 0.
async fn estimate(net: &Devnet, input: Vec<u8>, what: &str) -> Result<u64> {
    let provider = ProviderBuilder::new()
        .disable_recommended_fillers()
        .connect_http(net.url().parse().context("the devnet's URL")?);
    let tx = TransactionRequest::default()
        .from(dev_key(0)?.address())
        .to(net.deployment.compute)
        .input(Bytes::from(input).into());
    provider
        .estimate_gas(tx)
        .await
        .with_context(|| format!("eth_estimateGas of {what}"))
}

/// A realistic argument for a view's parameter, by its name and type, as one ABI word, with
/// what it stands for. Every view parameter of the contract is a static type.
fn argument(
    name: &str,
    ty: &str,
    now: u64,
    provider: Address,
    router: Address,
) -> Result<([u8; 32], &'static str)> {
    let word = |x: U256| x.to_be_bytes::<32>();
    Ok(match (name, ty) {
        ("router", "address") => (router.into_word().0, "the router key"),
        (_, "address") => (provider.into_word().0, "a staked provider that has claimed"),
        ("day", _) => (word(U256::from(now / DAY)), "today"),
        ("start", _) => (word(U256::from(now)), "a one-year lock"),
        ("end", _) => (word(U256::from(now + 365 * DAY)), "a one-year lock"),
        (_, t) if t.starts_with("uint") => (word(U256::ZERO), "0"),
        _ => anyhow::bail!("no realistic argument for a view parameter `{ty} {name}`"),
    })
}

/// Every view in the ABI (whatever the contract's surface is), with realistic arguments:
/// `provider` is a staked provider that has claimed, `router` the authorised router key.
pub(super) async fn views(
    book: &mut Book,
    net: &Devnet,
    provider: Address,
    router: Address,
) -> Result<()> {
    let now = net.now().await?;
    for f in abi_functions()?.into_iter().filter(|f| f.view) {
        let signature = f.signature();
        let mut input = keccak256(signature.as_bytes())[..4].to_vec();
        let mut about = Vec::new();
        for (name, ty) in &f.inputs {
            let (word, what) = argument(name, ty, now, provider, router)?;
            input.extend_from_slice(&word);
            if !about.contains(&what) {
                about.push(what);
            }
        }
        let gas = estimate(net, input, &signature).await?;
        let args = if about.is_empty() {
            String::new()
        } else {
            format!(" ({})", about.join(", "))
        };
        let note = format!("view{args}: eth_estimateGas, 21,000 intrinsic included");
        book.insert(f.name, Measured { gas, note });
    }
    Ok(())
}

/// The owner's functions, from development account 0 (the owner at deployment): a second
/// router key authorised and revoked, a pause and unpause, and ownership handed to account 8,
/// which accepts it. Run last: the owner changes.
pub(super) async fn owner_functions(book: &mut Book, net: &Devnet) -> Result<()> {
    let owner = dev_key(0)?;
    let spare = Address::from_word(keccak256("yellowstone bench gas: a second router key"));
    let call = I::authorizeRouterCall { router: spare };
    record(book, net, &owner, call, "owner adds a second router key").await?;
    let call = I::revokeRouterCall { router: spare };
    record(book, net, &owner, call, "owner revokes that key").await?;
    record(book, net, &owner, I::pauseCall {}, "owner pauses").await?;
    record(book, net, &owner, I::unpauseCall {}, "owner unpauses").await?;
    let next = dev_key(8)?;
    let call = I::transferOwnershipCall {
        new_owner: next.address(),
    };
    record(book, net, &owner, call, "owner offers ownership").await?;
    let call = I::acceptOwnershipCall {};
    record(book, net, &next, call, "the new owner accepts").await?;
    Ok(())
}
