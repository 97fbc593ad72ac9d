//! The devnet behind JSON-RPC for the tests that drive it over HTTP with alloy's provider
//! (`rpc_node.rs`, `rpc_overrides.rs`, `e2e_rpc.rs`, `stylus_deployer.rs`).

use std::sync::{Arc, Mutex};

use alloy_primitives::{Bytes, B256};
use alloy_provider::{Provider, ProviderBuilder};
use alloy_rpc_types_eth::{TransactionReceipt, TransactionRequest};
use alloy_signer_local::PrivateKeySigner;
use yellowstone_devnet::{
    chain::Chain,
    rpc::{serve, RpcHandle},
};

/// `chain` served on a free local port; the chain stays reachable in-process too.
pub(crate) fn serve_chain(chain: Chain) -> (Arc<Mutex<Chain>>, RpcHandle) {
    let chain = Arc::new(Mutex::new(chain));
    let handle = serve(chain.clone(), "127.0.0.1:0".parse().unwrap()).unwrap();
    (chain, handle)
}

/// A provider for `handle` signing with `key`.
pub(crate) fn wallet(handle: &RpcHandle, key: &B256) -> impl Provider {
    ProviderBuilder::new()
        .wallet(PrivateKeySigner::from_bytes(key).unwrap())
        .connect_http(handle.url().parse().unwrap())
}

/// Sends a CREATE of `init` and waits for it; asserts it succeeded.
pub(crate) async fn create(provider: &impl Provider, init: Vec<u8>) -> TransactionReceipt {
    let tx = TransactionRequest::default()
        .create()
        .input(Bytes::from(init).into());
    let pending = provider.send_transaction(tx).await.unwrap();
    let receipt = pending.get_receipt().await.unwrap();
    assert!(receipt.status(), "the creation reverted");
    receipt
}
