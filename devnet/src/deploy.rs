//! Deploying Yellowstone onto a [`Chain`] exactly as a real deployment does it: every step is a
//! signed raw transaction from a development account.
//!
//! 1. MOR: an EVM ERC-20 ([`crate::mor`], OpenZeppelin's `ERC20`), as MOR on Arbitrum is, so
//!    every gas figure measured on the devnet pays for an EVM token transfer as it will in
//!    production. One CREATE whose constructor mints [`DeployConfig::mint_per_account`] to each
//!    development account.
//! 2. The compute contract (`yellowstone-compute`): the same three steps; owner = development
//!    account 0, emission schedule = Morpheus's compute bucket
//!    ([`MORPHEUS_COMPUTE`]: 3,456 MOR/day from UTC day 19,761, falling 0.59255872824 MOR/day),
//!    bootstrap window starting on the chain clock's current UTC day.
//! 3. `authorizeRouter(router key)` from the owner; the router key is development account
//!    [`DeployConfig::router_account`] (9 by default).
//!
//! **The development keys are public test vectors (anvil's `test ... junk` mnemonic): use them on
//! the devnet only, never on a real chain.**

use std::{
    fmt,
    path::{Path, PathBuf},
};

use alloy_consensus::{SignableTransaction, TxEip1559, TxEnvelope};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{keccak256, Address, TxKind, B256, U256};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::{sol, SolCall, SolInterface, SolValue};
use yellowstone_artifact::{build_artifact, BuildOptions, Limits};
use yellowstone_protocol::{emission::MORPHEUS_COMPUTE, time::DAY};

use crate::chain::stylus::abi::ArbWasm as IArbWasm;
use crate::chain::{
    stylus_constructor_selector, stylus_deploy_init_code, BlockTag, CallRequest, Chain,
    DevnetError, Receipt, ARB_WASM, DEV_ACCOUNTS,
};

sol! {
    interface IDeploy {
        function authorizeRouter(address router) external;
    }
}

/// Gas limit of every deployment transaction (the devnet's fee is paid from dev balances).
const GAS_LIMIT: u64 = 30_000_000;

/// The compute contract's package and artifact name.
pub const COMPUTE_PACKAGE: &str = "yellowstone-compute";
/// The Stylus MOR token fixture's package and artifact name. [`deploy_yellowstone`] deploys the
/// EVM MOR ([`crate::mor`]) instead; the fixture serves tests that need a Stylus callee.
pub const MOR_PACKAGE: &str = "yellowstone-mor-token";

pub use yellowstone_protocol::dev::{Deployment, KeyPair};

/// Options of [`deploy_yellowstone`].
#[derive(Clone, Debug)]
pub struct DeployConfig {
    /// MOR minted to each development account (default 1,000,000 MOR).
    pub mint_per_account: U256,
    /// The development account whose key is authorised as the router (default 9).
    pub router_account: usize,
    /// Build the artifacts with the project's pipeline when they are missing (default true).
    pub build_missing: bool,
    /// Print progress lines on stderr (default false).
    pub progress: bool,
}

impl Default for DeployConfig {
    fn default() -> Self {
        DeployConfig {
            mint_per_account: U256::from(1_000_000u64) * U256::from(10u64).pow(U256::from(18)),
            router_account: 9,
            build_missing: true,
            progress: false,
        }
    }
}

/// Why a deployment failed.
#[derive(Debug)]
pub enum DeployError {
    /// Reading or building an artifact failed.
    Artifact(String),
    /// The chain refused a transaction.
    Chain(DevnetError),
    /// A deployment transaction reverted.
    Reverted {
        /// The step that reverted.
        step: String,
        /// The revert data.
        output: Vec<u8>,
    },
    /// The configuration names no development account.
    BadConfig(String),
}

impl fmt::Display for DeployError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeployError::Artifact(e) => write!(f, "artifact: {e}"),
            DeployError::Chain(e) => write!(f, "chain: {e}"),
            DeployError::Reverted { step, output } => write!(
                f,
                "{step} reverted with 0x{}",
                alloy_primitives::hex::encode(output)
            ),
            DeployError::BadConfig(e) => write!(f, "configuration: {e}"),
        }
    }
}

impl std::error::Error for DeployError {}

impl From<DevnetError> for DeployError {
    fn from(e: DevnetError) -> Self {
        DeployError::Chain(e)
    }
}

/// Reads `<artifacts_dir>/<lib>.br` for `package`; when it is missing and `build` is set, builds
/// it with [`yellowstone_artifact`] (the same pipeline as `yellowstone build-contract`), checks
/// the Stylus limits and writes it there first.
pub fn load_artifact(
    artifacts_dir: &Path,
    package: &str,
    build: bool,
) -> Result<Vec<u8>, DeployError> {
    let name = package.replace('-', "_");
    let path = artifacts_dir.join(format!("{name}.br"));
    if let Ok(bytes) = std::fs::read(&path) {
        return Ok(bytes);
    }
    if !build {
        return Err(DeployError::Artifact(format!(
            "{} is missing: run `yellowstone build-contract --package {package}`",
            path.display()
        )));
    }
    let mut opts = BuildOptions::new(package);
    // <workspace>/target/stylus: build from that workspace (else from the current directory).
    if let Some(workspace) = artifacts_dir.parent().and_then(Path::parent) {
        if artifacts_dir.ends_with("target/stylus") && workspace.join("Cargo.toml").is_file() {
            opts.dir = workspace.to_path_buf();
        }
    }
    opts.target_dir = Some(absolute(artifacts_dir));
    let err = |e: yellowstone_artifact::Error| DeployError::Artifact(format!("{package}: {e}"));
    let (_, artifact) = build_artifact(&opts).map_err(err)?;
    artifact.check_limits(&Limits::default()).map_err(err)?;
    let written = artifact.write(artifacts_dir, &name).map_err(err)?;
    std::fs::read(&written.deployable)
        .map_err(|e| DeployError::Artifact(format!("{}: {e}", written.deployable.display())))
}

fn absolute(path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|cwd| cwd.join(path))
            .unwrap_or_else(|_| path.to_path_buf())
    }
}

/// Signs (EIP-1559) and sends one transaction from development account `account`; a revert is
/// [`DeployError::Reverted`] naming `step`.
pub(crate) fn send(
    chain: &mut Chain,
    account: usize,
    to: TxKind,
    input: Vec<u8>,
    step: &str,
) -> Result<Receipt, DeployError> {
    send_value(chain, account, to, U256::ZERO, input, step)
}

/// [`send`] with `value` wei attached.
fn send_value(
    chain: &mut Chain,
    account: usize,
    to: TxKind,
    value: U256,
    input: Vec<u8>,
    step: &str,
) -> Result<Receipt, DeployError> {
    let from = DEV_ACCOUNTS[account];
    let tx = TxEip1559 {
        chain_id: chain.chain_id(),
        nonce: chain.nonce(from.address, BlockTag::Latest)?,
        gas_limit: GAS_LIMIT,
        max_fee_per_gas: chain.gas_price().max(1),
        max_priority_fee_per_gas: 0,
        to,
        value,
        access_list: Default::default(),
        input: input.into(),
    };
    let signer = PrivateKeySigner::from_bytes(&from.private_key)
        .map_err(|e| DeployError::BadConfig(e.to_string()))?;
    let signature = signer
        .sign_hash_sync(&tx.signature_hash())
        .map_err(|e| DeployError::BadConfig(e.to_string()))?;
    let raw = TxEnvelope::from(tx.into_signed(signature)).encoded_2718();
    let hash = chain.send_raw_transaction(&raw)?;
    let receipt = chain
        .receipt(hash)
        .cloned()
        .ok_or_else(|| DeployError::Artifact(format!("{step}: no receipt")))?;
    if !receipt.status {
        return Err(DeployError::Reverted {
            step: step.to_string(),
            output: receipt.output.to_vec(),
        });
    }
    Ok(receipt)
}

/// Activates the program at `program` from development account `account` as a deployer on
/// Arbitrum does: asks `codehashVersion` first (code already active, e.g. an earlier deployment
/// of the same bytes, needs nothing: `None`), simulates `activateProgram` (an `eth_call` with
/// ample value) to learn the data fee, then sends it with the fee plus 20% (ArbWasm refunds the
/// excess in the same call, as `cargo stylus deploy` counts on). Returns the activation's
/// receipt.
pub(crate) fn activate_program(
    chain: &mut Chain,
    account: usize,
    program: Address,
    step: &str,
) -> Result<Option<Receipt>, DeployError> {
    let codehash = keccak256(chain.code(program, BlockTag::Latest)?);
    let version = CallRequest {
        to: Some(ARB_WASM),
        data: IArbWasm::codehashVersionCall { codehash }
            .abi_encode()
            .into(),
        ..CallRequest::default()
    };
    if chain.call(&version, BlockTag::Latest).is_ok() {
        return Ok(None);
    }
    let input = IArbWasm::activateProgramCall { program }.abi_encode();
    let simulated = chain
        .call(
            &CallRequest {
                from: Some(DEV_ACCOUNTS[account].address),
                to: Some(ARB_WASM),
                gas: Some(GAS_LIMIT),
                value: Some(ACTIVATION_SIMULATION_VALUE),
                data: input.clone().into(),
                ..CallRequest::default()
            },
            BlockTag::Latest,
        )
        .map_err(|e| DeployError::Reverted {
            step: format!("{step} (simulated)"),
            output: e.revert_data().map(|d| d.to_vec()).unwrap_or_default(),
        })?;
    let fee = IArbWasm::activateProgramCall::abi_decode_returns(&simulated)
        .map_err(|e| DeployError::Artifact(format!("{step}: {e}")))?
        .dataFee;
    let value = fee + fee / U256::from(5);
    send_value(chain, account, TxKind::Call(ARB_WASM), value, input, step).map(Some)
}

/// Re-activates, from development account 0 and paying the data fee, those of `programs` whose
/// activation has expired; returns them. Nitro expires a program `expiryDays` (365) after its
/// activation or last `codehashKeepalive`, after which its calls revert `ProgramExpired`: a
/// deployment that outlives a year must be kept alive (or re-activated), and so must a devnet
/// session or test that moves the clock past it.
///
/// # Errors
///
/// [`DeployError::Reverted`] if a re-activation fails.
pub fn reactivate_expired(
    chain: &mut Chain,
    programs: &[Address],
) -> Result<Vec<Address>, DeployError> {
    let mut reactivated = Vec::new();
    for &program in programs {
        let version = chain.call(
            &CallRequest {
                to: Some(ARB_WASM),
                data: IArbWasm::programVersionCall { program }.abi_encode().into(),
                ..CallRequest::default()
            },
            BlockTag::Latest,
        );
        let expired = match &version {
            Err(e) => e.revert_data().is_some_and(|data| {
                matches!(
                    IArbWasm::ArbWasmErrors::abi_decode(data),
                    Ok(IArbWasm::ArbWasmErrors::ProgramExpired(_))
                )
            }),
            Ok(_) => false,
        };
        if expired {
            activate_program(chain, 0, program, &format!("re-activating {program}"))?;
            reactivated.push(program);
        }
    }
    Ok(reactivated)
}

/// The value the activation fee simulation attaches: 1 ether, as `cargo stylus deploy` does.
const ACTIVATION_SIMULATION_VALUE: U256 = U256::from_limbs([1_000_000_000_000_000_000, 0, 0, 0]);

/// CREATE + `activateProgram` (paying its data fee) + constructor, from development account 0;
/// returns the program's address.
pub(crate) fn deploy_program(
    chain: &mut Chain,
    code: &[u8],
    constructor_args: impl FnOnce(&Chain, Address) -> Vec<u8>,
    name: &str,
    progress: bool,
) -> Result<Address, DeployError> {
    let receipt = send(
        chain,
        0,
        TxKind::Create,
        stylus_deploy_init_code(code),
        &format!("deploying {name}"),
    )?;
    let address = receipt
        .contract_address
        .ok_or_else(|| DeployError::Artifact(format!("{name}: no contract address")))?;
    activate_program(chain, 0, address, &format!("activating {name}"))?;
    let mut input = stylus_constructor_selector().to_vec();
    input.extend(constructor_args(chain, address));
    send(
        chain,
        0,
        TxKind::Call(address),
        input,
        &format!("constructing {name}"),
    )?;
    if progress {
        eprintln!(
            "devnet: {name} at {address} ({} bytes, activated, constructed)",
            code.len()
        );
    }
    Ok(address)
}

/// Deploys the EVM MOR ([`crate::mor`]), deploys, activates and constructs the compute contract
/// on `chain` and authorises the router key, each step a signed raw transaction from
/// development account 0 (see the module documentation). `artifacts_dir` holds
/// `yellowstone_compute.br` (normally `<workspace>/target/stylus`).
pub fn deploy_yellowstone(
    chain: &mut Chain,
    artifacts_dir: &Path,
    config: &DeployConfig,
) -> Result<Deployment, DeployError> {
    if config.router_account >= DEV_ACCOUNTS.len() {
        return Err(DeployError::BadConfig(format!(
            "router account {} is not one of the {} development accounts",
            config.router_account,
            DEV_ACCOUNTS.len()
        )));
    }
    let progress = config.progress;
    if progress {
        eprintln!("devnet: reading artifacts from {}", artifacts_dir.display());
    }
    let compute_code = load_artifact(artifacts_dir, COMPUTE_PACKAGE, config.build_missing)?;

    let holders: Vec<Address> = DEV_ACCOUNTS.iter().map(|a| a.address).collect();
    let mor_init = crate::mor::init_code(&holders, config.mint_per_account)
        .map_err(|e| DeployError::Artifact(format!("contracts/mor-erc20/DevMor.hex: {e}")))?;
    let receipt = send(
        chain,
        0,
        TxKind::Create,
        mor_init,
        "deploying MOR (EVM ERC-20)",
    )?;
    let mor = receipt
        .contract_address
        .ok_or_else(|| DeployError::Artifact("MOR: no contract address".into()))?;
    if progress {
        eprintln!("devnet: MOR (EVM ERC-20, OpenZeppelin) at {mor}");
    }

    let owner = DEV_ACCOUNTS[0].address;
    let schedule = MORPHEUS_COMPUTE;
    let compute = deploy_program(
        chain,
        &compute_code,
        |chain, _| {
            let today = chain.latest_block().timestamp() / DAY;
            (
                mor,
                owner,
                schedule.start_day,
                schedule.first_day,
                schedule.daily_decrease,
                today,
            )
                .abi_encode_params()
        },
        "compute contract",
        progress,
    )?;

    let router_key = KeyPair::dev(config.router_account).ok_or_else(|| {
        DeployError::BadConfig(format!("no development account {}", config.router_account))
    })?;
    let router = router_key.address;
    send(
        chain,
        0,
        TxKind::Call(compute),
        IDeploy::authorizeRouterCall { router }.abi_encode(),
        "authorizeRouter",
    )?;
    if progress {
        eprintln!(
            "devnet: router key {router} (dev account {}) authorised",
            config.router_account
        );
    }

    Ok(Deployment {
        rpc_url: None,
        chain_id: chain.chain_id(),
        mor,
        compute,
        router_key,
        accounts: (0..DEV_ACCOUNTS.len()).filter_map(KeyPair::dev).collect(),
        capital: None,
    })
}

/// The private key of a [`KeyPair`] as bytes, for signing.
pub fn key_bytes(pair: &KeyPair) -> Option<B256> {
    pair.key.parse().ok()
}
