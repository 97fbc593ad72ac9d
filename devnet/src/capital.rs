//! Deploying the capital side (SPEC 7) onto a [`Chain`] that already runs
//! [`deploy_yellowstone`](crate::deploy::deploy_yellowstone): the genuine Uniswap V2 contracts
//! ([`crate::uniswap`]), the staked-ETH fixtures ([`crate::fixtures`]), the wstETH/native pair and
//! the capital contract, every step a signed raw transaction from development account 0, after
//! the compute side's (whose addresses therefore never move).
//!
//! 1. `WETH9`, `UniswapV2Factory(feeToSetter = account 0)`, `UniswapV2Router02(factory, WETH9)`.
//! 2. `StEth` (oracle = account 0), set to [`CapitalConfig::st_eth_rate`] stETH per share by a
//!    seed share held by account 0 and one rebase; `WstEth(stEth)`.
//! 3. The native token: the deployment's MOR (reserve mode), or a fresh `ProjectToken` (mint
//!    mode) giving [`CapitalConfig::project_token_each`] to every development account.
//! 4. `factory.createPair(wstEth, native)`.
//! 5. [`CapitalConfig::st_eth_each`] stETH minted (the faucet) to each of
//!    [`CapitalConfig::st_eth_holders`].
//! 6. The compute target ([`ComputeTarget`]): the deployment's compute contract, or a fresh
//!    `ToggleFund`, or a given address.
//! 7. The capital contract (`yellowstone-capital`): CREATE, `activateProgram`, constructor with
//!    owner account 0.
//! 8. Mint mode: `ProjectToken.setMinter(capital)`. Reserve mode: [`CapitalConfig::reserve`] MOR
//!    transferred from account 0 into the capital contract.
//!
//! Steps 1 to 5 alone are [`deploy_capital_parts`], for tests of the AMM and the fixtures.
//!
//! **The development keys are public test vectors: devnet only.**

use std::path::Path;

use alloy_primitives::{hex, uint, Address, TxKind, U256};
use alloy_sol_types::{sol, SolCall, SolValue};
use yellowstone_protocol::schedule::{
    MORPHEUS_CAPITAL, MORPHEUS_COMPUTE_BUCKET, MORPHEUS_INTERVAL, MORPHEUS_PAYOUT_START,
};

use crate::chain::{BlockTag, CallRequest, Chain, Receipt, DEV_ACCOUNTS};
use crate::deploy::{deploy_program, load_artifact, send, DeployError, Deployment};
use crate::fixtures::{self, IProjectToken, IStEth, IToggleFund};
use crate::uniswap::{self, IUniswapV2Factory};

pub use yellowstone_protocol::dev::CapitalDeployment;

sol! {
    interface IErc20Transfer {
        function transfer(address to, uint256 amount) external returns (bool);
    }
}

/// The capital contract's package and artifact name.
pub const CAPITAL_PACKAGE: &str = "yellowstone-capital";

/// One token (18 decimals) in wei.
const WAD: U256 = uint!(1_000_000_000_000_000_000_U256);

/// Where the capital contract sends the compute bucket's emission (`fund(uint256)`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ComputeTarget {
    /// The deployment's compute contract (`Deployment::compute`).
    Deployment,
    /// A fresh `ToggleFund` pulling the native token, owned by account 0 (switch it to revert
    /// with `setReverting(true)`); read its address back with the capital contract's `config()`.
    ToggleFund,
    /// Any contract with `fund(uint256)`.
    At(Address),
}

/// Options of [`deploy_capital`]. The default is Morpheus's case: MOR paid from a funded reserve,
/// Morpheus's capital and compute buckets, the deployment's compute contract.
#[derive(Clone, Debug)]
pub struct CapitalConfig {
    /// Mint mode: the contract mints a fresh `ProjectToken` (else it pays the deployment's MOR
    /// from its reserve). Default false.
    pub mints_native: bool,
    /// Reserve mode: MOR moved from account 0 into the capital contract (default 100,000 MOR,
    /// about two weeks of both buckets). Must be zero in mint mode.
    pub reserve: U256,
    /// Mint mode: `ProjectToken` given to each development account at construction, so the owner
    /// can bootstrap the pool (default 1,000,000 tokens).
    pub project_token_each: U256,
    /// The emission schedules' first second (default Morpheus's, 2024-02-08 12:00 UTC; the
    /// defaults of this and the next five are `yellowstone_protocol::schedule`'s
    /// `MORPHEUS_CAPITAL` and `MORPHEUS_COMPUTE_BUCKET`).
    pub payout_start: u64,
    /// The schedules' interval in seconds (default one day).
    pub interval: u64,
    /// The capital bucket's first-interval amount (default 3,456 MOR).
    pub capital_initial: U256,
    /// The capital bucket's decrease per interval (default 0.59255872824 MOR).
    pub capital_decrease: U256,
    /// The compute bucket's first-interval amount (default 3,456 MOR).
    pub compute_initial: U256,
    /// The compute bucket's decrease per interval (default 0.59255872824 MOR).
    pub compute_decrease: U256,
    /// The lowest price `bootstrapPool` accepts, native wei per wstETH times 1e18 (default 1
    /// native per wstETH).
    pub min_bootstrap_price_wad: U256,
    /// The highest such price (default 1,000,000 native per wstETH).
    pub max_bootstrap_price_wad: U256,
    /// Where the compute bucket goes (default the deployment's compute contract).
    pub compute: ComputeTarget,
    /// stETH per share after deployment, times 1e18 (default 1.25: wstETH and stETH differ, as on
    /// mainnet, and round amounts still mint exactly).
    pub st_eth_rate: U256,
    /// Development accounts given stETH (default all ten).
    pub st_eth_holders: Vec<usize>,
    /// stETH minted to each of them (default 1,000 stETH).
    pub st_eth_each: U256,
    /// Build the capital artifact when it is missing (default true).
    pub build_missing: bool,
    /// Print progress lines on stderr (default false).
    pub progress: bool,
}

impl Default for CapitalConfig {
    fn default() -> Self {
        let (capital, compute) = (MORPHEUS_CAPITAL, MORPHEUS_COMPUTE_BUCKET);
        CapitalConfig {
            mints_native: false,
            reserve: U256::from(100_000u64) * WAD,
            project_token_each: U256::from(1_000_000u64) * WAD,
            payout_start: MORPHEUS_PAYOUT_START,
            interval: MORPHEUS_INTERVAL,
            capital_initial: capital.initial,
            capital_decrease: capital.decrease,
            compute_initial: compute.initial,
            compute_decrease: compute.decrease,
            min_bootstrap_price_wad: WAD,
            max_bootstrap_price_wad: U256::from(1_000_000u64) * WAD,
            compute: ComputeTarget::Deployment,
            st_eth_rate: WAD + WAD / U256::from(4u64),
            st_eth_holders: (0..DEV_ACCOUNTS.len()).collect(),
            st_eth_each: U256::from(1_000u64) * WAD,
            build_missing: true,
            progress: false,
        }
    }
}

impl CapitalConfig {
    fn check(&self) -> Result<(), DeployError> {
        let bad = |why: String| Err(DeployError::BadConfig(why));
        if self.mints_native && !self.reserve.is_zero() {
            return bad(format!(
                "a reserve of {} wei in mint mode: the contract mints, a reserve would sit unused",
                self.reserve
            ));
        }
        if let Some(&i) = self
            .st_eth_holders
            .iter()
            .find(|&&i| i >= DEV_ACCOUNTS.len())
        {
            return bad(format!(
                "stETH holder {i} is not one of the {} development accounts",
                DEV_ACCOUNTS.len()
            ));
        }
        if self.st_eth_rate.is_zero() {
            return bad("an stETH rate of zero stETH per share".into());
        }
        if self.min_bootstrap_price_wad > self.max_bootstrap_price_wad {
            return bad(format!(
                "bootstrap price bounds [{}, {}] are empty",
                self.min_bootstrap_price_wad, self.max_bootstrap_price_wad
            ));
        }
        Ok(())
    }

    fn say(&self, what: &str, at: Address) {
        if self.progress {
            eprintln!("devnet: {what} at {at}");
        }
    }
}

/// The contracts the capital contract talks to, deployed by [`deploy_capital_parts`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CapitalParts {
    /// Uniswap V2's `WETH9`.
    pub weth: Address,
    /// `UniswapV2Factory`, `feeToSetter` account 0 (no protocol fee).
    pub factory: Address,
    /// `UniswapV2Router02` over `factory` and `weth`.
    pub router: Address,
    /// The rebasing stETH fixture (oracle account 0).
    pub st_eth: Address,
    /// The wstETH fixture wrapping `st_eth`.
    pub wst_eth: Address,
    /// The native token: MOR, or a fresh `ProjectToken` in mint mode (owner account 0, no minter).
    pub native: Address,
    /// Whether `native` is a fresh `ProjectToken`.
    pub mints_native: bool,
    /// The empty wstETH/native `UniswapV2Pair`.
    pub pair: Address,
}

/// Deploys steps 1 to 5 of the module documentation (everything but the compute target and the
/// capital contract) with `mor` as the reserve mode's native token: the AMM and the staked
/// ETH a test needs without the capital contract.
///
/// # Errors
///
/// As [`deploy_capital`].
pub fn deploy_capital_parts(
    chain: &mut Chain,
    mor: Address,
    config: &CapitalConfig,
) -> Result<CapitalParts, DeployError> {
    config.check()?;
    let owner = DEV_ACCOUNTS[0].address;
    let weth = create(chain, uniswap::weth9_init_code(), "WETH9")?;
    config.say("WETH9 (Uniswap V2 periphery 1.1.0-beta.0)", weth);
    let factory = create(chain, uniswap::factory_init_code(owner), "UniswapV2Factory")?;
    config.say("UniswapV2Factory (Uniswap V2 core 1.0.1)", factory);
    let router = create(
        chain,
        uniswap::router02_init_code(factory, weth),
        "UniswapV2Router02",
    )?;
    config.say("UniswapV2Router02", router);

    let st_eth = create(chain, fixtures::st_eth_init_code(), "StEth")?;
    set_st_eth_rate(chain, st_eth, config.st_eth_rate)?;
    config.say("stETH (rebasing fixture, oracle account 0)", st_eth);
    let wst_eth = create(chain, fixtures::wst_eth_init_code(st_eth), "WstEth")?;
    config.say("wstETH", wst_eth);

    let native = if config.mints_native {
        let holders: Vec<Address> = DEV_ACCOUNTS.iter().map(|a| a.address).collect();
        let init = fixtures::project_token_init_code(
            "Project",
            "PROJ",
            &holders,
            config.project_token_each,
        );
        let token = create(chain, init, "ProjectToken")?;
        config.say("ProjectToken (mint mode)", token);
        token
    } else {
        mor
    };

    let receipt = call(
        chain,
        factory,
        IUniswapV2Factory::createPairCall {
            tokenA: wst_eth,
            tokenB: native,
        }
        .abi_encode(),
        "factory.createPair(wstETH, native)",
    )?;
    let pair = IUniswapV2Factory::createPairCall::abi_decode_returns(&receipt.output)
        .map_err(|e| DeployError::Artifact(format!("createPair returned no address: {e}")))?;
    config.say("UniswapV2Pair wstETH/native", pair);

    for &holder in &config.st_eth_holders {
        let to = DEV_ACCOUNTS[holder].address;
        mint_st_eth(chain, st_eth, to, config.st_eth_each)?;
    }
    if config.progress && !config.st_eth_holders.is_empty() {
        eprintln!(
            "devnet: {} stETH wei minted to each of development accounts {:?}",
            config.st_eth_each, config.st_eth_holders
        );
    }
    Ok(CapitalParts {
        weth,
        factory,
        router,
        st_eth,
        wst_eth,
        native,
        mints_native: config.mints_native,
        pair,
    })
}

/// Deploys the capital side onto `chain` beside `base` (the result of
/// [`deploy_yellowstone`](crate::deploy::deploy_yellowstone) on the same chain), as the module
/// documentation lists; `artifacts_dir` holds `yellowstone_capital.br` (normally
/// `<workspace>/target/stylus`). Store the result in `Deployment::capital`.
///
/// # Errors
///
/// [`DeployError::BadConfig`] for an inconsistent `config` (named), [`DeployError::Artifact`] when
/// the capital contract cannot be read or built (before any transaction),
/// [`DeployError::Reverted`] naming the step that reverted, [`DeployError::Chain`] when the chain
/// refuses a transaction.
pub fn deploy_capital(
    chain: &mut Chain,
    artifacts_dir: &Path,
    base: &Deployment,
    config: &CapitalConfig,
) -> Result<CapitalDeployment, DeployError> {
    config.check()?;
    let capital_code = load_artifact(artifacts_dir, CAPITAL_PACKAGE, config.build_missing)?;
    let parts = deploy_capital_parts(chain, base.mor, config)?;
    let compute = match config.compute {
        ComputeTarget::Deployment => base.compute,
        ComputeTarget::At(address) => address,
        ComputeTarget::ToggleFund => {
            let fund = deploy_toggle_fund(chain, parts.native)?;
            config.say("ToggleFund (compute stand-in)", fund);
            fund
        }
    };

    let args = (
        parts.st_eth,
        parts.wst_eth,
        parts.native,
        parts.pair,
        compute,
        DEV_ACCOUNTS[0].address,
        config.mints_native,
        config.payout_start,
        config.interval,
        config.capital_initial,
        config.capital_decrease,
        config.compute_initial,
        config.compute_decrease,
        config.min_bootstrap_price_wad,
        config.max_bootstrap_price_wad,
    )
        .abi_encode_params();
    let capital = deploy_program(
        chain,
        &capital_code,
        |_, _| args,
        "capital contract",
        config.progress,
    )?;

    if config.mints_native {
        call(
            chain,
            parts.native,
            IProjectToken::setMinterCall { newMinter: capital }.abi_encode(),
            "ProjectToken.setMinter(capital)",
        )?;
        config.say("ProjectToken's minter: the capital contract", capital);
    } else if !config.reserve.is_zero() {
        call(
            chain,
            parts.native,
            IErc20Transfer::transferCall {
                to: capital,
                amount: config.reserve,
            }
            .abi_encode(),
            "funding the capital contract's MOR reserve",
        )?;
        config.say(
            &format!("{} MOR wei of reserve sent to", config.reserve),
            capital,
        );
    }

    Ok(CapitalDeployment {
        capital,
        st_eth: parts.st_eth,
        wst_eth: parts.wst_eth,
        native: parts.native,
        mints_native: parts.mints_native,
        weth: parts.weth,
        factory: parts.factory,
        router: parts.router,
        pair: parts.pair,
    })
}

/// Deploys a `ToggleFund` pulling `token` from account 0 (its owner); returns its address.
///
/// # Errors
///
/// As [`deploy_capital`]'s transactions.
pub fn deploy_toggle_fund(chain: &mut Chain, token: Address) -> Result<Address, DeployError> {
    create(chain, fixtures::toggle_fund_init_code(token), "ToggleFund")
}

/// Switches the `ToggleFund` at `fund` to revert (`true`) or accept (`false`), as its owner
/// (account 0).
///
/// # Errors
///
/// As [`deploy_capital`]'s transactions ([`DeployError::Reverted`] if account 0 does not own it).
pub fn set_toggle_fund_reverting(
    chain: &mut Chain,
    fund: Address,
    reverting: bool,
) -> Result<Receipt, DeployError> {
    call(
        chain,
        fund,
        IToggleFund::setRevertingCall { value: reverting }.abi_encode(),
        "ToggleFund.setReverting",
    )
}

/// Mints `amount` stETH worth of shares (rounded down) to `to` with the fixture's faucet.
///
/// # Errors
///
/// As [`deploy_capital`]'s transactions ([`DeployError::Reverted`] if `amount` buys no share).
pub fn mint_st_eth(
    chain: &mut Chain,
    st_eth: Address,
    to: Address,
    amount: U256,
) -> Result<Receipt, DeployError> {
    call(
        chain,
        st_eth,
        IStEth::mintCall { to, amount }.abi_encode(),
        "stETH.mint",
    )
}

/// Sets the stETH fixture's total pooled ether to `total_pooled_ether` as its oracle (account 0):
/// every balance moves in proportion, shares stay. Above the current total it is staking
/// yield, below it a slashing.
///
/// # Errors
///
/// As [`deploy_capital`]'s transactions ([`DeployError::Reverted`] for zero, or with no shares).
pub fn rebase_st_eth(
    chain: &mut Chain,
    st_eth: Address,
    total_pooled_ether: U256,
) -> Result<Receipt, DeployError> {
    call(
        chain,
        st_eth,
        IStEth::rebaseCall {
            totalPooledEther: total_pooled_ether,
        }
        .abi_encode(),
        "stETH.rebase",
    )
}

/// Rebases the stETH fixture by `change_ppm` parts per million of its total pooled ether (positive:
/// yield, e.g. 82 for a day at 3% a year; negative: a slashing), rounded down; returns the new
/// total.
///
/// # Errors
///
/// As [`rebase_st_eth`]; [`DeployError::BadConfig`] for a change of -100% or more.
pub fn rebase_st_eth_ppm(
    chain: &mut Chain,
    st_eth: Address,
    change_ppm: i64,
) -> Result<U256, DeployError> {
    let million = 1_000_000i64;
    let factor = million
        .checked_add(change_ppm)
        .filter(|f| *f > 0)
        .ok_or_else(|| {
            DeployError::BadConfig(format!(
                "a rebase of {change_ppm} ppm leaves no pooled ether"
            ))
        })?;
    let pooled = view(
        chain,
        st_eth,
        IStEth::getTotalPooledEtherCall {}.abi_encode(),
    )?;
    let pooled = IStEth::getTotalPooledEtherCall::abi_decode_returns(&pooled)
        .map_err(|e| DeployError::Artifact(format!("stETH.getTotalPooledEther: {e}")))?;
    let total = pooled * U256::from(factor as u64) / U256::from(million as u64);
    rebase_st_eth(chain, st_eth, total)?;
    Ok(total)
}

/// A fresh stETH has no shares; a seed share for account 0 and one rebase set its rate.
fn set_st_eth_rate(chain: &mut Chain, st_eth: Address, rate: U256) -> Result<(), DeployError> {
    if rate == WAD {
        return Ok(());
    }
    mint_st_eth(chain, st_eth, DEV_ACCOUNTS[0].address, WAD)?;
    rebase_st_eth(chain, st_eth, rate)?;
    Ok(())
}

/// CREATE from account 0 with `init`; returns the new contract's address.
fn create(
    chain: &mut Chain,
    init: Result<Vec<u8>, hex::FromHexError>,
    name: &str,
) -> Result<Address, DeployError> {
    let init = init.map_err(|e| {
        DeployError::Artifact(format!("contracts/evm-fixtures/out/{name}.hex: {e}"))
    })?;
    let receipt = send(chain, 0, TxKind::Create, init, &format!("deploying {name}"))?;
    receipt
        .contract_address
        .ok_or_else(|| DeployError::Artifact(format!("{name}: no contract address")))
}

/// A transaction from account 0 to `to`.
fn call(
    chain: &mut Chain,
    to: Address,
    input: Vec<u8>,
    step: &str,
) -> Result<Receipt, DeployError> {
    send(chain, 0, TxKind::Call(to), input, step)
}

/// An `eth_call` of `to` from account 0 at the latest block.
fn view(chain: &Chain, to: Address, data: Vec<u8>) -> Result<Vec<u8>, DeployError> {
    let request = CallRequest {
        from: Some(DEV_ACCOUNTS[0].address),
        to: Some(to),
        data: data.into(),
        ..CallRequest::default()
    };
    Ok(chain.call(&request, BlockTag::Latest)?.to_vec())
}
