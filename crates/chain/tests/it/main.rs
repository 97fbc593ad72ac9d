//! The router's chain client and epoch submitter against the real contract, run in-process by
//! the devnet behind JSON-RPC: settlement figures, provider records, the day's balance
//! snapshot across a UTC midnight, idempotent epoch submission with typed refusals, and an
//! unreachable node.

use std::{
    path::Path,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use alloy_primitives::{Address, Bytes, B256, U256};
use alloy_provider::{Provider, ProviderBuilder};
use alloy_rpc_types_eth::{TransactionReceipt, TransactionRequest};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::{sol, SolCall};
use yellowstone_chain::{
    submit::{bumped, EpochCall, Outcome, SentTx, SubmitPolicy, Submitter},
    ChainClient, ChainError, IYellowstoneCompute as I, ProviderRecord, SettlementView,
};
use yellowstone_devnet::{
    chain::{Chain, DEV_ACCOUNTS},
    deploy::{deploy_yellowstone, key_bytes, DeployConfig, Deployment},
    rpc::{serve, RpcHandle},
};
use yellowstone_protocol::{eip712, emission, merkle, time::DAY};

sol! {
    interface IToken {
        function approve(address spender, uint256 value) external returns (bool);
        function transfer(address to, uint256 value) external returns (bool);
    }
}

const TIMEOUT: Duration = Duration::from_secs(5);

fn mor(n: u64) -> U256 {
    U256::from(n) * U256::from(10u64).pow(U256::from(18))
}

fn start() -> (Deployment, RpcHandle) {
    let mut chain = Chain::new();
    let artifacts = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/stylus");
    let deployment = deploy_yellowstone(&mut chain, &artifacts, &DeployConfig::default())
        .expect("deploy_yellowstone");
    let handle = serve(Arc::new(Mutex::new(chain)), "127.0.0.1:0".parse().unwrap()).unwrap();
    (deployment, handle)
}

async fn client(handle: &RpcHandle, d: &Deployment) -> ChainClient {
    ChainClient::connect(&handle.url(), d.compute, TIMEOUT)
        .await
        .expect("connect")
}

fn signer(account: usize) -> PrivateKeySigner {
    PrivateKeySigner::from_bytes(&DEV_ACCOUNTS[account].private_key).unwrap()
}

fn router_key(d: &Deployment) -> PrivateKeySigner {
    PrivateKeySigner::from_bytes(&key_bytes(&d.router_key).unwrap()).unwrap()
}

fn addr(account: usize) -> Address {
    DEV_ACCOUNTS[account].address
}

/// A provider that signs for dev account `account` (for the test's own transactions).
fn wallet(handle: &RpcHandle, account: usize) -> impl Provider {
    ProviderBuilder::new()
        .wallet(signer(account))
        .connect_http(handle.url().parse().unwrap())
}

/// Sends `call` to `to`; asserts success.
async fn send(p: &impl Provider, to: Address, call: impl SolCall) -> TransactionReceipt {
    let tx = TransactionRequest::default()
        .to(to)
        .gas_limit(5_000_000)
        .input(Bytes::from(call.abi_encode()).into());
    let receipt = p
        .send_transaction(tx)
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    assert!(receipt.status(), "transaction failed: {receipt:?}");
    receipt
}

/// Funds the compute contract with `amount` from dev account 1 (approve + fund).
async fn fund(handle: &RpcHandle, d: &Deployment, amount: U256) {
    let funder = wallet(handle, 1);
    send(
        &funder,
        d.mor,
        IToken::approveCall {
            spender: d.compute,
            value: amount,
        },
    )
    .await;
    send(&funder, d.compute, I::fundCall { amount }).await;
}

/// Moves the chain clock forward by `seconds` and mines a block.
async fn advance(handle: &RpcHandle, seconds: u64) {
    let p = wallet(handle, 0);
    let _: serde_json::Value = p
        .raw_request("evm_increaseTime".into(), (seconds,))
        .await
        .unwrap();
    mine(handle).await;
}

/// Mines one empty block.
async fn mine(handle: &RpcHandle) {
    let p = wallet(handle, 0);
    let _: serde_json::Value = p.raw_request("evm_mine".into(), ()).await.unwrap();
}

/// An epoch root signed with `key` (EIP-712, compact r/vs), as the router produces it, with a
/// deadline far ahead.
fn signed(
    d: &Deployment,
    key: &PrivateKeySigner,
    epoch: u64,
    root: B256,
    credited: U256,
    bootstrap: U256,
) -> EpochCall {
    let digest = eip712::signing_hash(
        eip712::domain_separator(d.chain_id, d.compute),
        eip712::epoch_root_hash(epoch, root, credited, bootstrap, u64::MAX),
    );
    let sig = key.sign_hash_sync(&digest).unwrap();
    let (r, vs) = eip712::Signature::parse(&sig.as_bytes()).unwrap().compact();
    EpochCall {
        epoch,
        root,
        cumulative_credited: credited,
        cumulative_bootstrap: bootstrap,
        deadline: u64::MAX,
        r,
        vs,
    }
}

/// A Merkle root over two providers' leaves.
fn some_root(credited: U256, bootstrap: U256) -> B256 {
    merkle::MerkleTree::new(vec![
        merkle::leaf_hash(addr(2), credited, U256::ZERO),
        merkle::leaf_hash(addr(3), U256::ZERO, bootstrap),
    ])
    .unwrap()
    .root()
}

/// The submitter's on-chain transaction count.
async fn nonce_of(handle: &RpcHandle, who: Address) -> u64 {
    wallet(handle, 0).get_transaction_count(who).await.unwrap()
}

/// The emission scheduled for `day` by the schedule the contract reports
/// (`emissionSchedule()`: the devnet deploys Morpheus's compute bucket).
async fn scheduled(handle: &RpcHandle, d: &Deployment, day: u64) -> U256 {
    let out = wallet(handle, 0)
        .call(
            TransactionRequest::default()
                .to(d.compute)
                .input(Bytes::from(I::emissionScheduleCall {}.abi_encode()).into()),
        )
        .await
        .unwrap();
    let s = I::emissionScheduleCall::abi_decode_returns(&out).unwrap();
    emission::EmissionSchedule {
        start_day: s._0,
        first_day: s._1,
        daily_decrease: s._2,
    }
    .scheduled(day)
}

#[tokio::test]
async fn connect_reads_the_chain_id_the_token_and_the_domain() {
    let (d, handle) = start();
    let c = client(&handle, &d).await;
    assert_eq!(c.chain_id(), d.chain_id);
    assert_eq!(c.compute(), d.compute);
    assert_eq!(c.mor(), d.mor);
    assert_eq!(c.rpc_url(), handle.url());
    assert_eq!(
        c.domain_separator().await.unwrap(),
        eip712::domain_separator(d.chain_id, d.compute)
    );
    assert!(c.is_router(d.router_key.address).await.unwrap());
    assert!(!c.is_router(addr(4)).await.unwrap());
    let (number, timestamp) = c.latest_block().await.unwrap();
    assert_eq!(c.block_timestamp(number).await.unwrap(), timestamp);
    assert!(matches!(
        c.block_timestamp(number + 1_000).await,
        Err(ChainError::Other(_))
    ));
}

#[tokio::test]
async fn settlement_view_reflects_funding_and_a_committed_epoch() {
    let (d, handle) = start();
    let c = client(&handle, &d).await;

    // Before funding: nothing to credit.
    let v = c.settlement_view().await.unwrap();
    assert_eq!(v.day, v.timestamp / DAY);
    assert_eq!(v.total_funded, U256::ZERO);
    assert_eq!(v.latest_epoch, 0);
    assert!(!v.paused);
    assert_eq!(
        v.bootstrap_start_day, v.day,
        "the devnet opens the window at deployment"
    );
    assert_eq!(v.headroom(), U256::ZERO);
    assert_eq!(v.bootstrap_headroom(), U256::ZERO);

    // Funding 1,000 MOR: on the deployment day the cap is the scheduled emission alone, and
    // the funds bound the headroom.
    fund(&handle, &d, mor(1_000)).await;
    let v = c.settlement_view().await.unwrap();
    let today = scheduled(&handle, &d, v.day).await;
    assert_eq!(v.total_funded, mor(1_000));
    assert_eq!(v.daily_cap, today);
    assert!(v.daily_cap > mor(1_000));
    assert_eq!(v.headroom(), mor(1_000));
    assert_eq!(v.bootstrap_limit, emission::bootstrap_limit(today));

    // Next day: the cap adds 1% of the unused pool at the start of the day.
    advance(&handle, DAY).await;
    fund(&handle, &d, mor(99_000)).await;
    let v = c.settlement_view().await.unwrap();
    assert_eq!(
        v.daily_cap,
        emission::daily_cap(scheduled(&handle, &d, v.day).await, mor(1_000))
    );
    assert_eq!(v.daily_cap, scheduled(&handle, &d, v.day).await + mor(10));
    assert_eq!(v.total_funded, mor(100_000));
    assert_eq!(
        v.headroom(),
        v.daily_cap,
        "the cap binds once funds are plenty"
    );

    // A committed epoch: 300 MOR work + 5 MOR bootstrap.
    let root = some_root(mor(300), mor(5));
    let submitter = Submitter::new(&c, router_key(&d), SubmitPolicy::default());
    let outcome = submitter
        .submit(
            &signed(&d, &router_key(&d), 1, root, mor(300), mor(5)),
            None,
            |_| {},
        )
        .await
        .unwrap();
    assert!(matches!(outcome, Outcome::Committed { .. }), "{outcome:?}");
    let v = c.settlement_view().await.unwrap();
    assert_eq!((v.latest_epoch, v.latest_root), (1, root));
    assert_eq!(v.credited_today, mor(305));
    assert_eq!(v.bootstrap_today, mor(5));
    assert_eq!(
        (v.cumulative_credited, v.cumulative_bootstrap),
        (mor(300), mor(5))
    );
    assert_eq!(v.headroom(), v.daily_cap - mor(305));
    assert_eq!(v.bootstrap_headroom(), v.bootstrap_limit - mor(5));
    assert!(v.bootstrap_headroom() <= v.headroom());
    assert!(v.block >= 1);
}

#[test]
fn headroom_is_the_tighter_of_cap_and_funds_and_bounds_bootstrap() {
    let base = SettlementView {
        day: 20_000,
        bootstrap_start_day: 19_990,
        daily_cap: U256::from(1_000u64),
        credited_today: U256::from(400u64),
        total_funded: U256::from(10_000u64),
        cumulative_credited: U256::from(9_000u64),
        cumulative_bootstrap: U256::from(500u64),
        bootstrap_limit: U256::from(300u64),
        bootstrap_today: U256::from(100u64),
        ..SettlementView::default()
    };
    // Cap left 600, funds left 500.
    assert_eq!(base.headroom(), U256::from(500u64));
    assert_eq!(base.bootstrap_headroom(), U256::from(200u64));
    // Funds left 50: bootstrap is bounded by the headroom.
    let tight = SettlementView {
        total_funded: U256::from(9_550u64),
        ..base.clone()
    };
    assert_eq!(tight.headroom(), U256::from(50u64));
    assert_eq!(tight.bootstrap_headroom(), U256::from(50u64));
    // Overspent figures saturate at zero.
    let over = SettlementView {
        credited_today: U256::from(2_000u64),
        bootstrap_today: U256::from(400u64),
        ..base.clone()
    };
    assert_eq!(over.headroom(), U256::ZERO);
    assert_eq!(over.bootstrap_headroom(), U256::ZERO);
    // Outside the 365-day window there is no bootstrap credit.
    for day in [19_989, 19_990 + 365] {
        let closed = SettlementView {
            day,
            ..base.clone()
        };
        assert_eq!(closed.bootstrap_headroom(), U256::ZERO, "day {day}");
        assert_eq!(closed.headroom(), U256::from(500u64));
    }
}

#[tokio::test]
async fn provider_record_after_a_long_stake() {
    let (d, handle) = start();
    let c = client(&handle, &d).await;
    // Contract v2 reports multiplier 1 (1e18) for any provider whose lock is not running.
    assert_eq!(
        c.provider_record(addr(2)).await.unwrap(),
        ProviderRecord {
            multiplier: mor(1),
            ..ProviderRecord::default()
        }
    );

    let (_, now) = c.latest_block().await.unwrap();
    let lock_end = now + 365 * DAY;
    let p = wallet(&handle, 2);
    send(
        &p,
        d.mor,
        IToken::approveCall {
            spender: d.compute,
            value: mor(1_000),
        },
    )
    .await;
    let receipt = send(
        &p,
        d.compute,
        I::stakeCall {
            amount: mor(1_000),
            lock_end,
        },
    )
    .await;
    let staked_at = c
        .block_timestamp(receipt.block_number.unwrap())
        .await
        .unwrap();

    let r = c.provider_record(addr(2)).await.unwrap();
    assert!(r.registered);
    assert_eq!(r.stake, mor(1_000));
    assert_eq!((r.lock_start, r.lock_end), (staked_at, lock_end));
    let one = mor(1);
    assert!(
        r.multiplier > one,
        "a year's lock earns more than 1x: {}",
        r.multiplier
    );
    assert_eq!(r.weight, r.stake * r.multiplier / one);
    assert_eq!((r.earned, r.claimed), (U256::ZERO, U256::ZERO));
    assert_eq!(c.settlement_view().await.unwrap().total_staked, mor(1_000));
}

#[tokio::test]
async fn snapshot_block_is_the_last_block_before_midnight() {
    let (d, handle) = start();
    let c = client(&handle, &d).await;
    let (_, t0) = c.latest_block().await.unwrap();
    let today = t0 / DAY;
    let midnight = (today + 1) * DAY;

    // The next day has not started: no snapshot yet.
    assert!(matches!(
        c.snapshot_block(today + 1).await,
        Err(ChainError::Other(_))
    ));
    // A day long before the chain started has no block before its midnight.
    assert!(matches!(
        c.snapshot_block(today - 10).await,
        Err(ChainError::Other(_))
    ));

    // A few blocks before midnight, then a jump past it and a transfer after midnight.
    for _ in 0..3 {
        mine(&handle).await;
    }
    let (_, t) = c.latest_block().await.unwrap();
    let sender = wallet(&handle, 5);
    let before = c
        .mor_balance_at(addr(5), c.latest_block().await.unwrap().0)
        .await
        .unwrap();
    let supply = c
        .mor_supply_at(c.latest_block().await.unwrap().0)
        .await
        .unwrap();
    let _: serde_json::Value = sender
        .raw_request("evm_increaseTime".into(), (midnight - t + 30,))
        .await
        .unwrap();
    let moved = send(
        &sender,
        d.mor,
        IToken::transferCall {
            to: addr(6),
            value: mor(500),
        },
    )
    .await;
    for _ in 0..4 {
        mine(&handle).await;
    }

    let snapshot = c.snapshot_block(today + 1).await.unwrap();
    assert!(c.block_timestamp(snapshot).await.unwrap() < midnight);
    assert!(c.block_timestamp(snapshot + 1).await.unwrap() >= midnight);
    assert_eq!(
        snapshot + 1,
        moved.block_number.unwrap(),
        "the transfer opened the day"
    );

    // The snapshot ignores the transfer made after midnight; the latest state does not.
    assert_eq!(c.mor_balance_at(addr(5), snapshot).await.unwrap(), before);
    let (latest, _) = c.latest_block().await.unwrap();
    assert_eq!(
        c.mor_balance_at(addr(5), latest).await.unwrap(),
        before - mor(500)
    );
    assert_eq!(
        c.mor_balance_at(addr(6), snapshot).await.unwrap() + mor(500),
        c.mor_balance_at(addr(6), latest).await.unwrap()
    );
    assert_eq!(c.mor_supply_at(snapshot).await.unwrap(), supply);
}

#[tokio::test]
async fn submitter_commits_idempotently_and_reports_typed_refusals() {
    let (d, handle) = start();
    let c = client(&handle, &d).await;
    fund(&handle, &d, mor(100_000)).await;
    let key = router_key(&d);
    // Anyone may submit a root: dev account 4 pays the gas, the router key signs the root.
    let submitter = Submitter::new(&c, signer(4), SubmitPolicy::default());
    assert_eq!(submitter.address(), addr(4));

    // Epoch 1 is committed; the transaction is reported before the wait.
    let epoch1 = signed(&d, &key, 1, some_root(mor(300), mor(5)), mor(300), mor(5));
    let mut sent = Vec::new();
    let outcome = submitter
        .submit(&epoch1, None, |tx| sent.push(tx.clone()))
        .await
        .unwrap();
    let Outcome::Committed {
        tx,
        block,
        gas_used,
    } = outcome.clone()
    else {
        panic!("expected Committed, got {outcome:?}");
    };
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].hash, tx);
    assert!(block > 0 && gas_used > 0);
    assert_eq!(c.settlement_view().await.unwrap().latest_epoch, 1);
    let nonce = nonce_of(&handle, addr(4)).await;

    // Again: already there, no transaction.
    let again = submitter
        .submit(&epoch1, None, |_| panic!("no transaction expected"))
        .await
        .unwrap();
    assert_eq!(again, Outcome::AlreadyCommitted { latest: 1 });

    // After a restart with the sent transaction persisted: its own outcome.
    let resumed = submitter
        .submit(&epoch1, Some(&sent[0]), |_| {
            panic!("no transaction expected")
        })
        .await
        .unwrap();
    assert_eq!(resumed, outcome);

    // Beyond today's cap: DailyCapExceeded, decoded, and nothing sent.
    let cap = c.settlement_view().await.unwrap().daily_cap;
    let credited = cap + U256::from(1u64);
    let over = signed(&d, &key, 2, some_root(credited, mor(5)), credited, mor(5));
    match submitter
        .submit(&over, None, |_| panic!("no transaction expected"))
        .await
        .unwrap()
    {
        Outcome::Rejected { error } => assert!(error.contains("DailyCapExceeded"), "{error}"),
        other => panic!("expected Rejected, got {other:?}"),
    }

    // A skipped epoch number: UnexpectedEpoch.
    let skipped = signed(&d, &key, 5, some_root(mor(400), mor(5)), mor(400), mor(5));
    match submitter
        .submit(&skipped, None, |_| panic!("no transaction expected"))
        .await
        .unwrap()
    {
        Outcome::Rejected { error } => {
            assert!(error.contains("UnexpectedEpoch"), "{error}");
            assert!(error.contains("expected: 2"), "{error}");
        }
        other => panic!("expected Rejected, got {other:?}"),
    }

    // A root not signed by an authorised router: UnknownRouter.
    let forged = signed(
        &d,
        &signer(4),
        2,
        some_root(mor(400), mor(5)),
        mor(400),
        mor(5),
    );
    match submitter.submit(&forged, None, |_| {}).await.unwrap() {
        Outcome::Rejected { error } => assert!(error.contains("UnknownRouter"), "{error}"),
        other => panic!("expected Rejected, got {other:?}"),
    }
    assert_eq!(
        nonce_of(&handle, addr(4)).await,
        nonce,
        "refusals send nothing"
    );

    // A prior transaction that never got mined (lost before a restart): replaced at the same
    // nonce with fees above the bumped prior ones.
    let lost = SentTx {
        hash: B256::repeat_byte(0x42),
        nonce,
        max_fee_per_gas: 1_000_000_000,
        max_priority_fee_per_gas: 1_000,
    };
    let epoch2 = signed(&d, &key, 2, some_root(mor(400), mor(5)), mor(400), mor(5));
    let mut resent = Vec::new();
    let outcome = submitter
        .submit(&epoch2, Some(&lost), |tx| resent.push(tx.clone()))
        .await
        .unwrap();
    assert!(matches!(outcome, Outcome::Committed { .. }), "{outcome:?}");
    assert_eq!(resent.len(), 1);
    assert_eq!(resent[0].nonce, lost.nonce);
    let policy = SubmitPolicy::default();
    assert!(
        resent[0].max_fee_per_gas
            >= bumped(
                lost.max_fee_per_gas,
                policy.bump_percent,
                policy.max_fee_cap
            )
    );
    assert!(
        resent[0].max_priority_fee_per_gas
            >= bumped(
                lost.max_priority_fee_per_gas,
                policy.bump_percent,
                policy.max_fee_cap
            )
    );
    assert_eq!(c.settlement_view().await.unwrap().latest_epoch, 2);
}

/// The client, the submitter and their futures can live in spawned tasks.
#[test]
fn clients_and_their_futures_are_send() {
    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>(_: &T) {}
    send_sync::<ChainClient>();
    send_sync::<Submitter>();
    let _unpolled = |c: ChainClient, s: Submitter, call: EpochCall| {
        send(&c.settlement_view());
        send(&c.snapshot_block(1));
        send(&s.submit(&call, None, |_| {}));
    };
}

#[tokio::test]
async fn an_unreachable_node_is_a_transient_error() {
    // A port nobody listens on.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}");
    let error = ChainClient::connect(&url, Address::ZERO, TIMEOUT)
        .await
        .unwrap_err();
    assert!(matches!(error, ChainError::Unreachable(_)), "{error:?}");
    assert!(error.is_transient());

    // A node that goes away after connecting: reads fail as Unreachable, and a submission
    // gives up at its confirm timeout instead of hanging.
    let (d, handle) = start();
    let c = client(&handle, &d).await;
    let call = signed(&d, &router_key(&d), 1, B256::ZERO, mor(1), U256::ZERO);
    handle.shutdown();
    let error = c.settlement_view().await.unwrap_err();
    assert!(error.is_transient(), "{error:?}");
    let policy = SubmitPolicy {
        confirm_timeout: Duration::from_secs(1),
        ..SubmitPolicy::default()
    };
    let submitter = Submitter::new(&c, router_key(&d), policy);
    let started = Instant::now();
    let result = tokio::time::timeout(
        Duration::from_secs(20),
        submitter.submit(&call, None, |_| panic!("nothing can be sent")),
    )
    .await
    .expect("submit must give up by itself");
    assert!(
        matches!(result, Err(ChainError::Unreachable(_))),
        "{result:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    // A contract refusal is not transient.
    assert!(!ChainError::Reverted("EnforcedPause".into()).is_transient());
    assert!(!ChainError::Other("x".into()).is_transient());
}
