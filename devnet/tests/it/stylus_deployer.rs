//! The devnet as a Nitro dev node for Stylus tooling: the predeploys of block 0 and their
//! provenance, then `cargo stylus deploy` (cargo-stylus 0.10.10, whose logic is the crate
//! `stylus-tools` 0.10.10) replayed over JSON-RPC call for call, with the Nitro dev node's key:
//!
//! 1. `eth_call` ArbWasm `codehashVersion(keccak(code))`: a version means active; the errors
//!    `ProgramNotActivated()`, `ProgramNeedsUpgrade(..)`, `ProgramExpired(..)` mean "activate";
//!    anything else is fatal (`core/project/contract.rs`, `Contract::exists`);
//! 2. if not active, `eth_call` `activateProgram(random)` from another random address with 1
//!    ether, the sender's balance overridden to `U256::MAX` and the code placed at the first
//!    address; the `dataFee` it returns is bumped by 20% (`core/activation.rs`, `data_fee`);
//! 3. with a constructor: `eth_getBalance` of the sender, then one transaction to
//!    `StylusDeployer.deploy(prelude ++ code, stylus_constructor selector ++ args, initValue,
//!    salt)` worth the bumped fee plus `initValue`: `eth_estimateGas`, `eth_gasPrice`, then an
//!    EIP-1559 transaction with that gas, that max fee and a priority fee of 0; the address is
//!    read from the `ContractDeployed` log (`core/deployment/{mod,request,deployer}.rs`);
//! 4. without a constructor: the same for a CREATE of `prelude ++ code`, then
//!    `activateProgram(address)` worth the bumped fee, re-estimated against the deployed code.
//!
//! Every rule that takes the deployer's ether is checked to the wei: the sender pays gas, the
//! data fee the activation charged (its `ProgramActivated` log) and `initValue`, nothing more.
//! Run with `--nocapture` to see the fee and the gas.

use alloy_consensus::{transaction::SignerRecoverable, Transaction, TxEnvelope};
use alloy_eips::eip2718::Decodable2718;
use alloy_primitives::{address, b256, hex, keccak256, Address, Bytes, Log, TxKind, B256, U256};
use alloy_provider::Provider;
use alloy_rpc_types_eth::{state::StateOverridesBuilder, TransactionReceipt, TransactionRequest};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::{sol, SolCall, SolError, SolEvent, SolValue};
use yellowstone_devnet::{
    chain::{
        stylus_constructor_selector, BlockTag, CallRequest, Chain, ARB_WASM, ARB_WASM_CACHE,
        DEV_ACCOUNTS, DEV_BALANCE, STYLUS_VERSION,
    },
    rpc::RpcHandle,
};

use crate::common::artifact;

use crate::common::rpc::{serve_chain, wallet};

sol! {
    /// ArbWasm (`0x71`) as `stylus-tools` 0.10.10 and `StylusDeployer` call it.
    interface IArbWasm {
        function stylusVersion() external view returns (uint16 version);
        function codehashVersion(bytes32 codehash) external view returns (uint16 version);
        function activateProgram(address program) external payable returns (uint16 version, uint256 dataFee);
        event ProgramActivated(bytes32 indexed codehash, bytes32 moduleHash, address program, uint256 dataFee, uint16 version);
        error ProgramNotActivated();
        error ProgramNeedsUpgrade(uint16 version, uint16 stylusVersion);
        error ProgramExpired(uint64 ageInSeconds);
        error ProgramUpToDate();
        error ProgramInsufficientValue(uint256 have, uint256 want);
    }

    /// Offchain Labs' `StylusDeployer` (nitro-contracts `src/stylus/StylusDeployer.sol`).
    interface IStylusDeployer {
        function deploy(bytes bytecode, bytes initData, uint256 initValue, bytes32 salt) external payable returns (address);
        function requiresActivation(address addr) external view returns (bool);
        function initSalt(bytes32 salt, bytes initData) external pure returns (bytes32);
        event ContractDeployed(address deployedContract);
        error ContractDeploymentError(bytes bytecode);
        error ContractInitializationError(address newContract, bytes data);
    }

    /// The example program (`contracts/examples/counter`).
    interface ICounter {
        function owner() external view returns (address);
        function number() external view returns (uint256);
        function endowment() external view returns (uint256);
        function increment() external returns (uint256);
        error ZeroOwner();
    }
}

/// Nitro dev node's pre-funded key (public knowledge: `nitro-devnode`, stylus-tools' devnet).
const NITRO_DEV_KEY: B256 =
    b256!("b6b15c8cb491557369f3c7d2c287b053eb229daa9c22138887752191c9520659");
const NITRO_DEV: Address = address!("3f1Eae7D46d88F08fc2F8ed27FCb2AB183EB2d0E");
/// The deterministic-deployment proxy and the keyless account of its deployment transaction.
const CREATE2_FACTORY: Address = address!("4e59b44847b379578588920ca78fbf26c0b4956c");
const CREATE2_FACTORY_SIGNER: Address = address!("3fab184622dc19b6109349b94811493bf2a45362");
/// Where stylus-tools 0.10.10 (`src/devnet/mod.rs`, `addresses::STYLUS_DEPLOYER`) and
/// cargo-stylus (`core/deployment/deployer.rs`, `ADDRESS`) expect `StylusDeployer`.
const STYLUS_DEPLOYER: Address = address!("cEcba2F1DC234f70Dd89F2041029807F8D03A990");
/// Where ArbWasm pays activation data fees on the devnet: the chain owner, dev account 0.
const NETWORK_FEE_ACCOUNT: Address = address!("f39Fd6e51aad88F6F4ce6aB8827279cffFb92266");

/// The factory's deployment transaction, as published by Arachnid's
/// deterministic-deployment-proxy and copied by stylus-tools 0.10.10 (`src/devnet/bytecode.rs`,
/// `CREATE2_FACTORY_RAW_TX`), foundry and viem.
const FACTORY_TX_HEX: &str = include_str!("../../fixtures/create2-factory.deployment-tx.hex");
/// keccak-256 of the factory's runtime code, as foundry publishes it
/// (`foundry-evm-core` `constants.rs`, `DEFAULT_CREATE2_DEPLOYER_CODEHASH`).
const FACTORY_RUNTIME_HASH: B256 =
    b256!("2fa86add0aed31f33a762c9d88e807c475bd51d0f52bd0955754b2608f7e4989");
/// `StylusDeployer`'s creation bytecode: stylus-tools 0.10.10 `src/devnet/bytecode.rs`,
/// `STYLUS_DEPLOYER` (solc 0.8.17), the bytes its Nitro dev node setup sends to the factory.
const DEPLOYER_CREATION_HEX: &str = include_str!("../../fixtures/stylus-deployer.creation.hex");
/// keccak-256 of the committed creation bytecode (pins the file).
const DEPLOYER_CREATION_HASH: B256 =
    b256!("9456aa09c997a5383f5fd54c3b54543dea5584ef3e0f3e21be093f2a25e912b5");
/// keccak-256 of the runtime code the creation bytecode returns.
const DEPLOYER_RUNTIME_HASH: B256 =
    b256!("85c3998f7541c47e69d221966c2725e197d243190f367eefab6eda7c90c3994a");

const ETHER: u128 = 1_000_000_000_000_000_000;

// ---- block 0 ------------------------------------------------------------------------------------

#[test]
fn the_factory_is_the_published_transactions_creation() {
    let raw = hex::decode(FACTORY_TX_HEX.trim()).unwrap();
    let tx = TxEnvelope::decode_2718(&mut raw.as_slice()).unwrap();
    // A keyless, pre-EIP-155 transaction (no chain id): valid on every chain, signed by an
    // account nobody holds the key of, so the factory can only ever have this code.
    assert!(matches!(tx, TxEnvelope::Legacy(_)));
    assert_eq!(tx.chain_id(), None);
    assert_eq!(tx.nonce(), 0);
    assert_eq!(tx.recover_signer().unwrap(), CREATE2_FACTORY_SIGNER);
    assert_eq!(CREATE2_FACTORY_SIGNER.create(0), CREATE2_FACTORY);

    let chain = Chain::new();
    let code = chain.code(CREATE2_FACTORY, BlockTag::Latest).unwrap();
    assert_eq!(keccak256(&code), FACTORY_RUNTIME_HASH);
    // The init code is a 14-byte constructor that returns the 69 bytes after it.
    assert_eq!(&code[..], &tx.input()[14..14 + 69]);

    // It works: `salt ++ initcode` creates at the CREATE2 address and returns it.
    let init = minimal_init_code(&[0x2a]);
    let salt = B256::with_last_byte(7);
    let out = chain
        .call(
            &CallRequest {
                from: Some(NITRO_DEV),
                to: Some(CREATE2_FACTORY),
                data: [salt.as_slice(), &init].concat().into(),
                ..CallRequest::default()
            },
            BlockTag::Latest,
        )
        .unwrap();
    assert_eq!(
        Address::from_slice(&out),
        CREATE2_FACTORY.create2(salt, keccak256(&init))
    );
}

#[test]
fn stylus_deployer_sits_where_nitro_dev_nodes_have_it() {
    let creation = hex::decode(DEPLOYER_CREATION_HEX.trim()).unwrap();
    assert_eq!(creation.len(), 2_301);
    assert_eq!(keccak256(&creation), DEPLOYER_CREATION_HASH);
    // solc's CBOR trailer: `solc` 0.8.17, as `pragma solidity 0.8.17` in StylusDeployer.sol.
    assert!(creation.ends_with(&hex!("64736f6c63430008110033")));
    // The address is the published one only if these are the bytes Nitro dev nodes deploy.
    assert_eq!(
        CREATE2_FACTORY.create2(B256::ZERO, keccak256(&creation)),
        STYLUS_DEPLOYER
    );

    let chain = Chain::new();
    let runtime = chain.code(STYLUS_DEPLOYER, BlockTag::Latest).unwrap();
    // stylus-tools' own devnet test expects 2,269 bytes there; the constructor copies them
    // from offset 32 of the creation code.
    assert_eq!(runtime.len(), 2_269);
    assert_eq!(&runtime[..], &creation[32..]);
    assert_eq!(keccak256(&runtime), DEPLOYER_RUNTIME_HASH);
    assert_eq!(chain.nonce(STYLUS_DEPLOYER, BlockTag::Latest).unwrap(), 1);
}

#[test]
fn genesis_funds_the_nitro_dev_account_and_stays_a_block_without_transactions() {
    let chain = Chain::new();
    assert_eq!(chain.block_number(), 0);
    // The addresses the devnet publishes (and `yellowstone devnet --bare` prints) are these.
    use yellowstone_devnet::chain as published;
    assert_eq!(published::STYLUS_DEPLOYER, STYLUS_DEPLOYER);
    assert_eq!(published::CREATE2_FACTORY, CREATE2_FACTORY);
    assert_eq!(published::NITRO_DEV_ACCOUNT.address, NITRO_DEV);
    assert_eq!(published::NITRO_DEV_ACCOUNT.private_key, NITRO_DEV_KEY);
    assert!(chain.latest_block().transactions.is_empty());
    assert_eq!(
        PrivateKeySigner::from_bytes(&NITRO_DEV_KEY)
            .unwrap()
            .address(),
        NITRO_DEV
    );
    assert_eq!(
        chain.balance(NITRO_DEV, BlockTag::Latest).unwrap(),
        DEV_BALANCE
    );
    // Running the creations at genesis moved no nonce: not the dev accounts', not the
    // factory signer's, not the Nitro dev account's (which stood in as the factory's caller).
    for account in DEV_ACCOUNTS.iter().map(|a| a.address).chain([NITRO_DEV]) {
        assert_eq!(chain.nonce(account, BlockTag::Latest).unwrap(), 0);
    }
    let signer = chain.nonce(CREATE2_FACTORY_SIGNER, BlockTag::Latest);
    assert_eq!(signer.unwrap(), 0);
    for precompile in [ARB_WASM, ARB_WASM_CACHE] {
        assert_eq!(
            chain.code(precompile, BlockTag::Latest).unwrap()[..],
            [0xFE]
        );
    }
}

// ---- cargo stylus deploy, over JSON-RPC --------------------------------------------------------

#[tokio::test(flavor = "current_thread")]
async fn deploys_through_stylus_deployer_with_a_constructor_as_cargo_stylus_does() {
    let (_node, p) = node();
    let code = counter_code();
    let owner = DEV_ACCOUNTS[1].address;
    let init_value = U256::from(3 * ETHER / 1000);

    let status = check(&p, &code).await;
    let Status::Ready { data_fee, bumped } = status else {
        panic!("a fresh program must need activation: {status:?}");
    };
    assert!(
        data_fee > U256::ZERO,
        "Nitro charges a data fee for every activation"
    );
    assert_eq!(bumped, data_fee * U256::from(120) / U256::from(100));

    let before = p.get_balance(NITRO_DEV).await.unwrap();
    let network_before = p.get_balance(NETWORK_FEE_ACCOUNT).await.unwrap();
    let init = constructor(owner, U256::from(41));
    let deployed = deploy_with_constructor(&p, &code, &init, init_value, B256::ZERO, bumped).await;
    let charged = deployed
        .data_fee
        .expect("the deployment activated the program");
    assert!(
        charged > U256::ZERO && charged <= bumped,
        "{charged} of {bumped}"
    );
    println!(
        "deploy through StylusDeployer: data fee {data_fee} wei (sent {bumped}), charged \
         {charged}, gas cost {} wei",
        deployed.gas_cost
    );

    // Every wei is accounted for: gas, the fee the activation charged, `initValue`; the rest
    // of the bumped fee came back to the sender.
    let after = p.get_balance(NITRO_DEV).await.unwrap();
    assert_eq!(before - after, deployed.gas_cost + charged + init_value);
    let network_after = p.get_balance(NETWORK_FEE_ACCOUNT).await.unwrap();
    assert_eq!(network_after - network_before, charged);
    assert_eq!(p.get_balance(STYLUS_DEPLOYER).await.unwrap(), U256::ZERO);
    assert_eq!(p.get_balance(deployed.address).await.unwrap(), init_value);

    // The program is active and constructed with the deployment's arguments and value.
    assert_eq!(deployed.address, STYLUS_DEPLOYER.create(1));
    assert_eq!(p.get_code_at(deployed.address).await.unwrap(), code);
    assert!(matches!(check(&p, &code).await, Status::Active));
    let version = view(&p, ARB_WASM, IArbWasm::stylusVersionCall {}).await;
    assert_eq!(version, STYLUS_VERSION);
    assert_eq!(
        view(&p, deployed.address, ICounter::ownerCall {}).await,
        owner
    );
    let number = view(&p, deployed.address, ICounter::numberCall {}).await;
    assert_eq!(number, U256::from(41));
    let endowment = view(&p, deployed.address, ICounter::endowmentCall {}).await;
    assert_eq!(endowment, init_value);

    // The constructor runs once: calling it again, even as the owner, reverts and changes
    // nothing.
    let again = TransactionRequest::default()
        .to(deployed.address)
        .input(Bytes::from(constructor(NITRO_DEV, U256::from(7))).into());
    let receipt = send(&p, again.clone().from(NITRO_DEV).gas_limit(1_000_000)).await;
    assert!(!receipt.status());
    assert!(call(&p, again).await.is_err());
    assert_eq!(
        view(&p, deployed.address, ICounter::ownerCall {}).await,
        owner
    );
    let number = view(&p, deployed.address, ICounter::numberCall {}).await;
    assert_eq!(number, U256::from(41));

    // The same code again: already active, so no fee, no activation, and the constructor
    // still runs with the new arguments.
    let requires = IStylusDeployer::requiresActivationCall {
        addr: deployed.address,
    };
    assert!(!view(&p, STYLUS_DEPLOYER, requires).await);
    assert!(matches!(check(&p, &code).await, Status::Active));
    let before = p.get_balance(NITRO_DEV).await.unwrap();
    let init = constructor(DEV_ACCOUNTS[2].address, U256::from(9));
    let second =
        deploy_with_constructor(&p, &code, &init, init_value, B256::ZERO, U256::ZERO).await;
    assert_eq!(
        second.data_fee, None,
        "an active program is not activated again"
    );
    let after = p.get_balance(NITRO_DEV).await.unwrap();
    assert_eq!(before - after, second.gas_cost + init_value);
    assert_ne!(second.address, deployed.address);
    let owner = view(&p, second.address, ICounter::ownerCall {}).await;
    assert_eq!(owner, DEV_ACCOUNTS[2].address);
    let number = view(&p, second.address, ICounter::numberCall {}).await;
    assert_eq!(number, U256::from(9));
}

#[tokio::test(flavor = "current_thread")]
async fn a_reverting_constructor_reverts_the_whole_deployment() {
    let (_node, p) = node();
    let code = counter_code();
    let Status::Ready { bumped, .. } = check(&p, &code).await else {
        panic!("a fresh program must need activation");
    };
    // The zero owner makes the constructor revert with `ZeroOwner()`.
    let init = constructor(Address::ZERO, U256::from(1));
    let tx = deploy_request(&code, &init, U256::ZERO, B256::ZERO, bumped);

    // cargo-stylus stops at the estimate, which names the program and its revert.
    let data = p
        .estimate_gas(tx.clone())
        .await
        .map(|_| ())
        .map_err(revert_data);
    let data = data.expect_err("the estimate must fail");
    let err = IStylusDeployer::ContractInitializationError::abi_decode(&data).unwrap();
    let predicted = STYLUS_DEPLOYER.create(1);
    assert_eq!(err.newContract, predicted);
    assert_eq!(err.data[..], ICounter::ZeroOwner::SELECTOR);

    // Sent anyway (an explicit gas limit skips the estimate): mined, reverted, and nothing
    // stays: no code, no activation, no fee, the value back with the sender.
    let before = p.get_balance(NITRO_DEV).await.unwrap();
    let receipt = send(&p, tx.gas_limit(5_000_000)).await;
    assert!(!receipt.status());
    let after = p.get_balance(NITRO_DEV).await.unwrap();
    assert_eq!(before - after, gas_cost(&receipt));
    assert!(p.get_code_at(predicted).await.unwrap().is_empty());
    let nonce = p.get_transaction_count(STYLUS_DEPLOYER).await.unwrap();
    assert_eq!(nonce, 1, "the deployer's CREATE was undone");
    assert!(matches!(check(&p, &code).await, Status::Ready { .. }));
}

#[tokio::test(flavor = "current_thread")]
async fn a_deployment_that_does_not_pay_the_data_fee_reverts() {
    let (_node, p) = node();
    let code = counter_code();
    let Status::Ready { data_fee, .. } = check(&p, &code).await else {
        panic!("a fresh program must need activation");
    };
    // The cheapest attack on the fee: send only `initValue`, hoping the activation is free.
    let init = constructor(NITRO_DEV, U256::from(1));
    let init_value = U256::from(5);
    let tx = deploy_request(&code, &init, init_value, B256::ZERO, U256::ZERO);
    let data = p
        .estimate_gas(tx.clone())
        .await
        .map(|_| ())
        .map_err(revert_data);
    let err = IArbWasm::ProgramInsufficientValue::abi_decode(&data.unwrap_err()).unwrap();
    assert_eq!(err.have, U256::ZERO);
    assert_eq!(err.want, data_fee, "the estimate ran on the same state");
    let receipt = send(&p, tx.gas_limit(5_000_000)).await;
    assert!(!receipt.status());
    assert!(matches!(check(&p, &code).await, Status::Ready { .. }));
}

#[tokio::test(flavor = "current_thread")]
async fn a_salt_deploys_at_the_create2_address_of_salt_and_init_data() {
    let (_node, p) = node();
    let code = counter_code();
    let Status::Ready { bumped, .. } = check(&p, &code).await else {
        panic!("a fresh program must need activation");
    };
    let salt = B256::with_last_byte(0x5a);
    let init = constructor(NITRO_DEV, U256::from(77));
    // StylusDeployer salts with the init data, so an address implies its construction.
    let salted = keccak256([salt.as_slice(), &init].concat());
    let on_chain = view(
        &p,
        STYLUS_DEPLOYER,
        IStylusDeployer::initSaltCall {
            salt,
            initData: init.clone().into(),
        },
    )
    .await;
    assert_eq!(on_chain, salted);
    let predicted = STYLUS_DEPLOYER.create2(salted, keccak256(prelude(&code)));

    let deployed = deploy_with_constructor(&p, &code, &init, U256::ZERO, salt, bumped).await;
    assert_eq!(deployed.address, predicted);
    let number = view(&p, predicted, ICounter::numberCall {}).await;
    assert_eq!(number, U256::from(77));

    // The same salt and init data again collide at that address: refused, nothing paid but
    // gas.
    let tx = deploy_request(&code, &init, U256::ZERO, salt, U256::ZERO);
    let data = p.estimate_gas(tx).await.map(|_| ()).map_err(revert_data);
    let err = IStylusDeployer::ContractDeploymentError::abi_decode(&data.unwrap_err()).unwrap();
    assert_eq!(err.bytecode, prelude(&code));
}

#[tokio::test(flavor = "current_thread")]
async fn deploys_without_a_constructor_as_cargo_stylus_does() {
    let (_node, p) = node();
    let code = counter_code();
    let before = p.get_balance(NITRO_DEV).await.unwrap();
    let network_before = p.get_balance(NETWORK_FEE_ACCOUNT).await.unwrap();

    let Status::Ready { .. } = check(&p, &code).await else {
        panic!("a fresh program must need activation");
    };
    // CREATE of the prelude and the code.
    let create = TransactionRequest {
        to: Some(TxKind::Create),
        ..TransactionRequest::default()
    }
    .from(NITRO_DEV)
    .input(Bytes::from(prelude(&code)).into());
    let created = exec(&p, create).await;
    let address = created.contract_address.expect("a CREATE receipt");
    assert_eq!(address, NITRO_DEV.create(0));
    assert_eq!(p.get_code_at(address).await.unwrap(), code);

    // `cargo stylus activate`: the fee estimated again against the deployed code, then
    // `activateProgram` worth the bumped fee, gas estimated by the provider.
    let Status::Ready { bumped, .. } = check(&p, &code).await else {
        panic!("deployed but not yet active");
    };
    let activate = TransactionRequest::default()
        .from(NITRO_DEV)
        .to(ARB_WASM)
        .value(bumped)
        .input(Bytes::from(IArbWasm::activateProgramCall { program: address }.abi_encode()).into());
    let activated = send(&p, activate.clone()).await;
    assert!(activated.status());
    let charged = activation_fee(&activated).expect("a ProgramActivated log");
    assert!(charged > U256::ZERO && charged <= bumped);

    let after = p.get_balance(NITRO_DEV).await.unwrap();
    assert_eq!(
        before - after,
        gas_cost(&created) + gas_cost(&activated) + charged
    );
    let network_after = p.get_balance(NETWORK_FEE_ACCOUNT).await.unwrap();
    assert_eq!(network_after - network_before, charged);
    assert!(matches!(check(&p, &code).await, Status::Active));
    // Nitro refuses to activate an up-to-date program again.
    let again = call(&p, activate).await.unwrap_err();
    assert!(
        IArbWasm::ProgramUpToDate::abi_decode(&again).is_ok(),
        "{again}"
    );

    // It answers calls; nothing ran its constructor, so its state is zero.
    assert_eq!(view(&p, address, ICounter::numberCall {}).await, U256::ZERO);
    assert_eq!(
        view(&p, address, ICounter::ownerCall {}).await,
        Address::ZERO
    );
    let increment = TransactionRequest::default()
        .from(NITRO_DEV)
        .to(address)
        .input(Bytes::from(ICounter::incrementCall {}.abi_encode()).into());
    assert!(send(&p, increment).await.status());
    assert_eq!(
        view(&p, address, ICounter::numberCall {}).await,
        U256::from(1)
    );
}

// ---- the steps ----------------------------------------------------------------------------------

/// What `check` found: the program is active, or needs activation for `data_fee` (`bumped`
/// with cargo-stylus's 20%).
#[derive(Debug)]
enum Status {
    Active,
    Ready { data_fee: U256, bumped: U256 },
}

/// A deployment through `StylusDeployer`.
struct Deployed {
    /// From the `ContractDeployed` log.
    address: Address,
    /// What the transaction's gas cost the sender.
    gas_cost: U256,
    /// The data fee of the activation, if the deployment activated the program.
    data_fee: Option<U256>,
}

/// A devnet behind JSON-RPC and a provider signing with the Nitro dev node's key.
fn node() -> (RpcHandle, impl Provider) {
    let (_, handle) = serve_chain(Chain::new());
    let p = wallet(&handle, &NITRO_DEV_KEY);
    (handle, p)
}

/// The example's deployable code (`target/stylus`).
fn counter_code() -> Bytes {
    artifact(
        "yellowstone_example_counter",
        " --package yellowstone-example-counter",
    )
    .into()
}

/// The constructor's calldata: stylus-sdk's `stylus_constructor()` selector and the ABI
/// arguments.
fn constructor(owner: Address, start: U256) -> Vec<u8> {
    [
        &stylus_constructor_selector()[..],
        &(owner, start).abi_encode_params(),
    ]
    .concat()
}

/// cargo-stylus's deployment prelude (`DeploymentCalldata::new`): `PUSH32 len DUP1 PUSH1 43
/// PUSH1 0 CODECOPY PUSH1 0 RETURN`, a version byte 0, then the code.
fn prelude(code: &[u8]) -> Vec<u8> {
    let mut out = vec![0x7f];
    out.extend_from_slice(&U256::from(code.len()).to_be_bytes::<32>());
    out.extend_from_slice(&[0x80, 0x60, 43, 0x60, 0x00, 0x39, 0x60, 0x00, 0xf3, 0x00]);
    out.extend_from_slice(code);
    out
}

/// EVM init code returning `runtime`.
fn minimal_init_code(runtime: &[u8]) -> Vec<u8> {
    let len = runtime.len() as u8;
    [
        &[
            0x60, len, 0x60, 12, 0x60, 0x00, 0x39, 0x60, len, 0x60, 0x00, 0xf3,
        ][..],
        runtime,
    ]
    .concat()
}

/// A random address, as cargo-stylus takes one for the fee estimate.
fn random_address(label: &str) -> Address {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    Address::from_word(keccak256([label.as_bytes(), &nanos.to_be_bytes()].concat()))
}

/// Steps 1 and 2: `codehashVersion`, then the fee estimate with the state override.
async fn check(p: &impl Provider, code: &Bytes) -> Status {
    let version = IArbWasm::codehashVersionCall {
        codehash: keccak256(code),
    };
    let tx = TransactionRequest::default()
        .to(ARB_WASM)
        .input(Bytes::from(version.abi_encode()).into());
    match call(p, tx).await {
        Ok(out) => {
            IArbWasm::codehashVersionCall::abi_decode_returns(&out).expect("a version");
            return Status::Active;
        }
        Err(data) => {
            let needs_activation = IArbWasm::ProgramNotActivated::abi_decode(&data).is_ok()
                || IArbWasm::ProgramNeedsUpgrade::abi_decode(&data).is_ok()
                || IArbWasm::ProgramExpired::abi_decode(&data).is_ok();
            assert!(needs_activation, "UnexpectedArbWasmError: {data}");
        }
    }
    let program = random_address("program");
    let sender = random_address("sender");
    let overrides = StateOverridesBuilder::default()
        .with_balance(sender, U256::MAX)
        .with_code(program, code.clone())
        .build();
    let tx = TransactionRequest::default()
        .from(sender)
        .to(ARB_WASM)
        .value(U256::from(ETHER))
        .input(Bytes::from(IArbWasm::activateProgramCall { program }.abi_encode()).into());
    let out = p
        .call(tx)
        .overrides(overrides)
        .await
        .unwrap_or_else(|e| panic!("the activation estimate failed: {e}"));
    let data_fee = IArbWasm::activateProgramCall::abi_decode_returns(&out)
        .unwrap()
        .dataFee;
    Status::Ready {
        data_fee,
        bumped: data_fee * U256::from(100 + 20) / U256::from(100),
    }
}

/// The transaction `cargo stylus deploy` sends to `StylusDeployer`, worth `fee + init_value`.
fn deploy_request(
    code: &[u8],
    init: &[u8],
    init_value: U256,
    salt: B256,
    fee: U256,
) -> TransactionRequest {
    let deploy = IStylusDeployer::deployCall {
        bytecode: prelude(code).into(),
        initData: init.to_vec().into(),
        initValue: init_value,
        salt,
    };
    TransactionRequest::default()
        .from(NITRO_DEV)
        .to(STYLUS_DEPLOYER)
        .value(fee + init_value)
        .input(Bytes::from(deploy.abi_encode()).into())
}

/// Step 3: the balance check, then the deployment through `StylusDeployer`.
async fn deploy_with_constructor(
    p: &impl Provider,
    code: &[u8],
    init: &[u8],
    init_value: U256,
    salt: B256,
    fee: U256,
) -> Deployed {
    let balance = p.get_balance(NITRO_DEV).await.unwrap();
    assert!(balance >= fee + init_value, "NotEnoughFunds");
    let receipt = exec(p, deploy_request(code, init, init_value, salt, fee)).await;
    let deployed = receipt
        .inner
        .logs()
        .iter()
        .find(|log| log.topic0() == Some(&IStylusDeployer::ContractDeployed::SIGNATURE_HASH))
        .expect("a ContractDeployed log");
    assert_eq!(deployed.address(), STYLUS_DEPLOYER);
    let address = IStylusDeployer::ContractDeployed::decode_log_data(deployed.data())
        .unwrap()
        .deployedContract;
    Deployed {
        address,
        gas_cost: gas_cost(&receipt),
        data_fee: activation_fee(&receipt),
    }
}

/// `DeploymentRequest::exec`: `eth_estimateGas`, `eth_gasPrice`, then the transaction with
/// that gas, that max fee and no priority fee; the receipt must show success.
async fn exec(p: &impl Provider, tx: TransactionRequest) -> TransactionReceipt {
    let gas = p.estimate_gas(tx.clone()).await.unwrap();
    let max_fee = p.get_gas_price().await.unwrap();
    let tx = tx
        .gas_limit(gas)
        .max_fee_per_gas(max_fee)
        .max_priority_fee_per_gas(0);
    let receipt = send(p, tx).await;
    assert!(receipt.status(), "deploy tx reverted: {receipt:?}");
    receipt
}

/// Sends `tx` signed by the provider's wallet and waits for its receipt.
async fn send(p: &impl Provider, tx: TransactionRequest) -> TransactionReceipt {
    p.send_transaction(tx)
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap()
}

/// `eth_call`: the output, or the revert data.
async fn call(p: &impl Provider, tx: TransactionRequest) -> Result<Bytes, Bytes> {
    p.call(tx).await.map_err(revert_data)
}

/// `eth_call` of `call` on `to`, decoded.
async fn view<C: SolCall>(p: &impl Provider, to: Address, call: C) -> C::Return {
    let tx = TransactionRequest::default()
        .to(to)
        .input(Bytes::from(call.abi_encode()).into());
    let out = p.call(tx).await.unwrap();
    C::abi_decode_returns(&out).unwrap()
}

/// The revert data of a JSON-RPC error (code 3); panics on any other error.
fn revert_data<E: std::fmt::Debug>(error: alloy_provider::transport::RpcError<E>) -> Bytes {
    let payload = error
        .as_error_resp()
        .unwrap_or_else(|| panic!("not a JSON-RPC error: {error:?}"));
    assert_eq!(payload.code, 3, "{payload:?}");
    payload.as_revert_data().expect("revert data")
}

/// The data fee in the receipt's `ProgramActivated` log from ArbWasm, if any.
fn activation_fee(receipt: &TransactionReceipt) -> Option<U256> {
    receipt.inner.logs().iter().find_map(|log| {
        let log: &Log = &log.inner;
        (log.address == ARB_WASM)
            .then(|| IArbWasm::ProgramActivated::decode_log(log).ok())
            .flatten()
            .map(|event| event.data.dataFee)
    })
}

/// What `receipt`'s gas cost its sender.
fn gas_cost(receipt: &TransactionReceipt) -> U256 {
    U256::from(receipt.gas_used) * U256::from(receipt.effective_gas_price)
}
