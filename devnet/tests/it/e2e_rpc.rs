//! End to end through JSON-RPC with alloy: `deploy_yellowstone` (the real Wasm, deployed with
//! signed raw transactions), then fund, stake, a signed epoch commit, claims with Merkle proofs,
//! every cap refusal (daily cap, funding, bootstrap limit and window) decoded as its typed error
//! from the RPC error data, a revert that rolls back, and time travel across a UTC day boundary
//! after which the daily cap resets.
//!
//! Run with `--nocapture` to see the gas of each transaction.

use std::path::Path;

use alloy_primitives::{Address, Bytes, B256, U256};
use alloy_provider::Provider;
use alloy_rpc_types_eth::{TransactionReceipt, TransactionRequest};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::{sol, SolCall, SolInterface};
use yellowstone_devnet::{
    chain::{stylus::abi::ArbWasm as IArbWasm, Chain, ARB_WASM, DEV_ACCOUNTS},
    deploy::{deploy_yellowstone, key_bytes, DeployConfig, Deployment},
    rpc::RpcHandle,
};
use yellowstone_protocol::{eip712, merkle, time::DAY};

sol!("../abi/IYellowstoneCompute.sol");

sol! {
    interface IERC20 {
        function balanceOf(address account) external view returns (uint256);
        function approve(address spender, uint256 value) external returns (bool);
    }
}

use IYellowstoneCompute as I;
use IYellowstoneCompute::IYellowstoneComputeErrors as E;

use crate::common::rpc::{serve_chain, wallet};

const GAS_LIMIT: u64 = 5_000_000;

fn mor(n: u64) -> U256 {
    U256::from(n) * U256::from(10u64).pow(U256::from(18))
}

fn start() -> (Deployment, RpcHandle) {
    let mut chain = Chain::new();
    let artifacts = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/stylus");
    let deployment = deploy_yellowstone(&mut chain, &artifacts, &DeployConfig::default())
        .expect("deploy_yellowstone");
    (deployment, serve_chain(chain).1)
}

fn provider(handle: &RpcHandle, account: usize) -> impl Provider {
    wallet(handle, &DEV_ACCOUNTS[account].private_key)
}

fn addr(account: usize) -> Address {
    DEV_ACCOUNTS[account].address
}

/// Sends `call` to `to`; asserts success and returns the receipt.
async fn send(p: &impl Provider, to: Address, call: impl SolCall) -> TransactionReceipt {
    // An explicit limit: this test checks behaviour, not eth_estimateGas (see the report).
    let tx = TransactionRequest::default()
        .to(to)
        .gas_limit(GAS_LIMIT)
        .input(Bytes::from(call.abi_encode()).into());
    let receipt = p
        .send_transaction(tx)
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    if !receipt.status() {
        let error = p
            .call(
                TransactionRequest::default()
                    .to(to)
                    .input(Bytes::from(call.abi_encode()).into()),
            )
            .await;
        panic!("transaction failed: {receipt:?}\nreplayed: {error:?}");
    }
    receipt
}

/// `eth_call` of `call` on `to`, decoded.
async fn view<C: SolCall>(p: &impl Provider, to: Address, call: C) -> C::Return {
    let out = p
        .call(
            TransactionRequest::default()
                .to(to)
                .input(Bytes::from(call.abi_encode()).into()),
        )
        .await
        .unwrap();
    C::abi_decode_returns(&out).unwrap()
}

/// `eth_call` that must revert; the revert data from the JSON-RPC error, decoded as the
/// contract's typed error.
async fn refusal(p: &impl Provider, to: Address, data: Vec<u8>) -> E {
    let error = p
        .call(
            TransactionRequest::default()
                .to(to)
                .input(Bytes::from(data).into()),
        )
        .await
        .unwrap_err();
    let payload = error.as_error_resp().expect("a JSON-RPC error");
    assert_eq!(payload.code, 3, "{payload:?}");
    let data = payload.as_revert_data().expect("revert data");
    E::abi_decode(&data).unwrap_or_else(|e| panic!("undecodable revert {data}: {e}"))
}

async fn balance(p: &impl Provider, d: &Deployment, who: Address) -> U256 {
    view(p, d.mor, IERC20::balanceOfCall { account: who }).await
}

/// A `commitEpoch` call signed with `key` (EIP-712, compact r/vs signature).
fn commit(
    d: &Deployment,
    key: &PrivateKeySigner,
    epoch: u64,
    root: B256,
    credited: U256,
    bootstrap: U256,
) -> I::commitEpochCall {
    let digest = eip712::signing_hash(
        eip712::domain_separator(d.chain_id, d.compute),
        eip712::epoch_root_hash(epoch, root, credited, bootstrap, u64::MAX),
    );
    let sig = key.sign_hash_sync(&digest).unwrap();
    let (r, vs) = eip712::Signature::parse(&sig.as_bytes()).unwrap().compact();
    I::commitEpochCall {
        epoch,
        root,
        cumulative_credited: credited,
        cumulative_bootstrap: bootstrap,
        deadline: u64::MAX,
        r,
        vs,
    }
}

async fn now(p: &impl Provider) -> u64 {
    p.get_block_by_number(Default::default())
        .await
        .unwrap()
        .unwrap()
        .header
        .timestamp
}

#[tokio::test]
async fn fund_stake_commit_claim_caps_revert_and_time_travel() {
    let (d, handle) = start();
    assert_eq!(d.router_key.address, addr(9));
    let router = PrivateKeySigner::from_bytes(&key_bytes(&d.router_key).unwrap()).unwrap();
    assert_eq!(router.address(), d.router_key.address);
    let owner = provider(&handle, 0);
    let funder = provider(&handle, 1);
    let (p2, p3) = (provider(&handle, 2), provider(&handle, 3));
    let anyone = provider(&handle, 4);

    assert_eq!(balance(&owner, &d, addr(1)).await, mor(1_000_000));
    assert!(view(&owner, d.compute, I::isRouterCall { router: addr(9) }).await);

    // Fund 1,000 MOR (approve + fund).
    send(
        &funder,
        d.mor,
        IERC20::approveCall {
            spender: d.compute,
            value: mor(100_000),
        },
    )
    .await;
    let receipt = send(&funder, d.compute, I::fundCall { amount: mor(1_000) }).await;
    println!("fund gas: {}", receipt.gas_used);

    // Two providers stake 1,000 MOR each, locked 30 days and 365 days.
    let t = now(&owner).await;
    for (p, lock) in [(&p2, 30 * DAY), (&p3, 365 * DAY)] {
        send(
            p,
            d.mor,
            IERC20::approveCall {
                spender: d.compute,
                value: mor(1_000),
            },
        )
        .await;
        let receipt = send(
            p,
            d.compute,
            I::stakeCall {
                amount: mor(1_000),
                lock_end: t + lock,
            },
        )
        .await;
        println!("stake gas (lock {} days): {}", lock / DAY, receipt.gas_used);
    }
    let r2 = view(&owner, d.compute, I::providerCall { provider: addr(2) }).await;
    let r3 = view(&owner, d.compute, I::providerCall { provider: addr(3) }).await;
    assert!(r2._0 && r3._0, "both registered");
    assert_eq!((r2._1, r3._1), (mor(1_000), mor(1_000)));

    // Epoch 1: provider 2 earned 100 MOR, provider 3 200 MOR (plus 5 MOR bootstrap).
    let leaves = [(addr(2), mor(100), U256::ZERO), (addr(3), mor(200), mor(5))];
    let tree = merkle::MerkleTree::new(
        leaves
            .iter()
            .map(|(a, e, b)| merkle::leaf_hash(*a, *e, *b))
            .collect(),
    )
    .unwrap();
    let root = tree.root();
    let receipt = send(
        &anyone,
        d.compute,
        commit(&d, &router, 1, root, mor(300), mor(5)),
    )
    .await;
    println!("commitEpoch gas: {}", receipt.gas_used);
    let latest = view(&owner, d.compute, I::latestEpochCall {}).await;
    assert_eq!((latest._0, latest._1), (1, root));

    // Claims pay exactly the leaf amounts, whoever sends them.
    for (i, (who, earned, bootstrap)) in leaves.iter().enumerate() {
        let before = balance(&owner, &d, *who).await;
        let proof = tree
            .proof(merkle::leaf_hash(*who, *earned, *bootstrap))
            .unwrap();
        let claimer = if i == 0 { &anyone } else { &p3 };
        let receipt = send(
            claimer,
            d.compute,
            I::claimCall {
                provider: *who,
                cumulative_earned: *earned,
                cumulative_bootstrap: *bootstrap,
                proof,
            },
        )
        .await;
        println!("claim gas: {}", receipt.gas_used);
        assert_eq!(
            balance(&owner, &d, *who).await - before,
            *earned + *bootstrap
        );
    }

    // FundingExceeded: 1,200 MOR more credit is within today's cap but above the 1,000 funded.
    let cap = view(&owner, d.compute, I::todayCall {}).await._1;
    assert!(cap > mor(1_500), "cap {cap}");
    match refusal(
        &anyone,
        d.compute,
        commit(&d, &router, 2, root, mor(1_500), mor(5)).abi_encode(),
    )
    .await
    {
        E::FundingExceeded(e) => {
            assert_eq!((e.totalCredited, e.totalFunded), (mor(1_505), mor(1_000)))
        }
        other => panic!(
            "expected FundingExceeded, got 0x{}",
            alloy_primitives::hex::encode(other.abi_encode())
        ),
    }

    // A revert rolls back: funding beyond the allowance fails inside the token transfer.
    let totals_before = view(&owner, d.compute, I::totalsCall {}).await;
    let (b5, bc) = (
        balance(&owner, &d, addr(5)).await,
        balance(&owner, &d, d.compute).await,
    );
    let failed = provider(&handle, 5)
        .send_transaction(
            TransactionRequest::default()
                .to(d.compute)
                .gas_limit(5_000_000)
                .input(Bytes::from(I::fundCall { amount: mor(10) }.abi_encode()).into()),
        )
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    assert!(!failed.status(), "fund without allowance must revert");
    let totals_after = view(&owner, d.compute, I::totalsCall {}).await;
    assert_eq!(
        (totals_before._0, totals_before._1, totals_before._2),
        (totals_after._0, totals_after._1, totals_after._2)
    );
    assert_eq!(balance(&owner, &d, addr(5)).await, b5);
    assert_eq!(balance(&owner, &d, d.compute).await, bc);

    // Fund enough for the rest of the test.
    send(
        &funder,
        d.compute,
        I::fundCall {
            amount: mor(20_000),
        },
    )
    .await;

    // BootstrapCapExceeded: bootstrap beyond a tenth of today's scheduled emission.
    let today = view(&owner, d.compute, I::todayCall {}).await;
    let (limit, used) = (today._3, today._4);
    assert_eq!(used, mor(5));
    match refusal(
        &anyone,
        d.compute,
        commit(&d, &router, 2, root, mor(300), limit + U256::from(1)).abi_encode(),
    )
    .await
    {
        E::BootstrapCapExceeded(e) => {
            assert_eq!((e.bootstrapToday, e.limit), (limit + U256::from(1), limit))
        }
        other => panic!(
            "expected BootstrapCapExceeded, got 0x{}",
            alloy_primitives::hex::encode(other.abi_encode())
        ),
    }

    // Fill today's cap exactly, then one wei more is DailyCapExceeded.
    let books = view(&owner, d.compute, I::todayCall {}).await;
    let (cap, credited) = (books._1, books._2);
    assert_eq!(credited, mor(305));
    let full = mor(300) + (cap - credited);
    send(
        &anyone,
        d.compute,
        commit(&d, &router, 2, root, full, mor(5)),
    )
    .await;
    assert_eq!(view(&owner, d.compute, I::todayCall {}).await._2, cap);
    let over = commit(&d, &router, 3, root, full + U256::from(1), mor(5));
    let today = match refusal(&anyone, d.compute, over.abi_encode()).await {
        E::DailyCapExceeded(e) => {
            assert_eq!((e.creditedToday, e.cap), (cap + U256::from(1), cap));
            e.day
        }
        other => panic!(
            "expected DailyCapExceeded, got 0x{}",
            alloy_primitives::hex::encode(other.abi_encode())
        ),
    };

    // Time travel to the next UTC day: the cap resets and the same commit goes through.
    let t = now(&owner).await;
    let to_midnight = DAY - t % DAY + 60;
    let _: serde_json::Value = owner
        .raw_request("evm_increaseTime".into(), (to_midnight,))
        .await
        .unwrap();
    let _: serde_json::Value = owner.raw_request("evm_mine".into(), ()).await.unwrap();
    assert_eq!(now(&owner).await / DAY, today + 1);
    assert_eq!(
        view(&owner, d.compute, I::todayCall {}).await._2,
        U256::ZERO
    );
    let receipt = send(&anyone, d.compute, over).await;
    assert!(receipt.status());
    assert_eq!(
        view(&owner, d.compute, I::todayCall {}).await._2,
        U256::from(1)
    );
    assert_eq!(view(&owner, d.compute, I::latestEpochCall {}).await._0, 3);

    // A year later the bootstrap window (365 days from deployment) has closed: any new
    // bootstrap credit is refused, while plain credit still goes through.
    let _: serde_json::Value = owner
        .raw_request("evm_increaseTime".into(), (365 * DAY,))
        .await
        .unwrap();
    let _: serde_json::Value = owner.raw_request("evm_mine".into(), ()).await.unwrap();
    // A year on, the compute contract's activation has expired (Nitro's `expiryDays`, 365): its
    // operator re-activates it, offering 1 ether for the data fee (ArbWasm refunds the rest).
    let reactivated = owner
        .send_transaction(
            TransactionRequest::default()
                .to(ARB_WASM)
                .gas_limit(GAS_LIMIT)
                .value(U256::from(10u64).pow(U256::from(18u64)))
                .input(
                    Bytes::from(IArbWasm::activateProgramCall { program: d.compute }.abi_encode())
                        .into(),
                ),
        )
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    assert!(reactivated.status());
    let late = commit(
        &d,
        &router,
        4,
        root,
        full + U256::from(2),
        mor(5) + U256::from(1),
    );
    match refusal(&anyone, d.compute, late.abi_encode()).await {
        E::BootstrapWindowClosed(e) => assert!(e.day >= e.windowStartDay + 365),
        other => panic!(
            "expected BootstrapWindowClosed, got 0x{}",
            alloy_primitives::hex::encode(other.abi_encode())
        ),
    }
    let receipt = send(
        &anyone,
        d.compute,
        commit(&d, &router, 4, root, full + U256::from(2), mor(5)),
    )
    .await;
    assert!(receipt.status());
}
