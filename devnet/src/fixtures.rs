//! The capital side's EVM fixtures (`contracts/evm-fixtures`): a share-based rebasing stETH, its
//! wrapper wstETH, a project token with one minter and a switchable `fund` target, written in
//! Solidity for the devnet and compiled with solc-js. The committed creation bytecode
//! (`out/<Name>.hex`) is rebuilt byte for byte by `contracts/evm-fixtures/build.sh` from the
//! versions pinned there, so no build here needs node (the devnet tests check the chain of
//! hashes). Why Solidity and not Stylus: `contracts/evm-fixtures/README.md`.

use alloy_primitives::{hex, Address, U256};
use alloy_sol_types::{sol, SolValue};

sol! {
    /// The devnet's stETH (`src/StEth.sol`): Lido's share accounting; `mint` is a faucet,
    /// `rebase` the oracle's (the deployer's) setting of the total pooled ether.
    #[derive(Debug)]
    interface IStEth {
        function name() external view returns (string memory);
        function symbol() external view returns (string memory);
        function decimals() external view returns (uint8);
        function totalSupply() external view returns (uint256);
        function balanceOf(address account) external view returns (uint256);
        function allowance(address owner, address spender) external view returns (uint256);
        function approve(address spender, uint256 amount) external returns (bool);
        function transfer(address to, uint256 amount) external returns (bool);
        function transferFrom(address from, address to, uint256 amount) external returns (bool);
        function oracle() external view returns (address);
        function getTotalPooledEther() external view returns (uint256);
        function getTotalShares() external view returns (uint256);
        function sharesOf(address account) external view returns (uint256);
        function getSharesByPooledEth(uint256 ethAmount) external view returns (uint256);
        function getPooledEthByShares(uint256 sharesAmount) external view returns (uint256);
        function mint(address to, uint256 amount) external returns (uint256);
        function rebase(uint256 totalPooledEther) external;
        function transferShares(address to, uint256 sharesAmount) external returns (uint256);

        event Transfer(address indexed from, address indexed to, uint256 value);
        event TransferShares(address indexed from, address indexed to, uint256 sharesValue);
        event Submitted(address indexed sender, uint256 amount, uint256 shares);
        event Rebased(uint256 preTotalPooledEther, uint256 postTotalPooledEther, uint256 totalShares);

        error NotOracle(address caller);
        error ZeroShares(uint256 amount);
        error InvalidRebase(uint256 totalShares, uint256 totalPooledEther);
        error InsufficientShares(address account, uint256 held, uint256 needed);
        error InsufficientAllowance(address owner, address spender, uint256 allowed, uint256 needed);
        error InvalidAddress(address account);
    }

    /// The devnet's wstETH (`src/WstEth.sol`): an ERC-20 holding one stETH share per token.
    #[derive(Debug)]
    interface IWstEth {
        function balanceOf(address account) external view returns (uint256);
        function totalSupply() external view returns (uint256);
        function approve(address spender, uint256 amount) external returns (bool);
        function transfer(address to, uint256 amount) external returns (bool);
        function stETH() external view returns (address);
        function wrap(uint256 stEthAmount) external returns (uint256);
        function unwrap(uint256 wstEthAmount) external returns (uint256);
        function getWstETHByStETH(uint256 stEthAmount) external view returns (uint256);
        function getStETHByWstETH(uint256 wstEthAmount) external view returns (uint256);
        function stEthPerToken() external view returns (uint256);
        function tokensPerStEth() external view returns (uint256);

        error ZeroAmount();
    }

    /// A project's native token for mint mode (`src/ProjectToken.sol`).
    #[derive(Debug)]
    interface IProjectToken {
        function balanceOf(address account) external view returns (uint256);
        function totalSupply() external view returns (uint256);
        function owner() external view returns (address);
        function minter() external view returns (address);
        function setMinter(address newMinter) external;
        function mint(address to, uint256 amount) external;

        event MinterSet(address indexed previous, address indexed minter);

        error NotMinter(address caller);
    }

    /// A `fund(uint256)` target its owner can switch to revert (`src/ToggleFund.sol`).
    #[derive(Debug)]
    interface IToggleFund {
        function token() external view returns (address);
        function reverting() external view returns (bool);
        function funded() external view returns (uint256);
        function setReverting(bool value) external;
        function fund(uint256 amount) external;

        event Funded(address indexed from, uint256 amount);

        error FundingSwitchedOff(uint256 amount);
    }
}

/// One fixture's committed files.
#[derive(Clone, Copy, Debug)]
pub struct Fixture {
    /// The contract's name (`StEth`, ...).
    pub name: &'static str,
    /// Its Solidity source as committed (`src/<name>.sol`).
    pub source: &'static str,
    /// Its creation bytecode as committed: hex without `0x`, then a newline.
    pub creation_hex: &'static str,
    /// solc's metadata as committed (the bytecode ends with its IPFS hash).
    pub metadata: &'static str,
}

macro_rules! fixture {
    ($name:literal) => {
        Fixture {
            name: $name,
            source: include_str!(concat!("../../contracts/evm-fixtures/src/", $name, ".sol")),
            creation_hex: include_str!(concat!("../../contracts/evm-fixtures/out/", $name, ".hex")),
            metadata: include_str!(concat!(
                "../../contracts/evm-fixtures/out/",
                $name,
                ".metadata.json"
            )),
        }
    };
}

/// The rebasing stETH.
pub const ST_ETH: Fixture = fixture!("StEth");
/// The stETH wrapper.
pub const WST_ETH: Fixture = fixture!("WstEth");
/// The mintable project token.
pub const PROJECT_TOKEN: Fixture = fixture!("ProjectToken");
/// The switchable `fund` target.
pub const TOGGLE_FUND: Fixture = fixture!("ToggleFund");
/// Every fixture, in build order.
pub const FIXTURES: [Fixture; 4] = [ST_ETH, WST_ETH, PROJECT_TOKEN, TOGGLE_FUND];

/// `meta.json` as committed: compiler, settings and every output's hashes.
pub const META_JSON: &str = include_str!("../../contracts/evm-fixtures/out/meta.json");

impl Fixture {
    /// The creation bytecode, decoded from [`Fixture::creation_hex`].
    ///
    /// # Errors
    ///
    /// The committed file is not hex (a corrupted checkout).
    pub fn creation_code(&self) -> Result<Vec<u8>, hex::FromHexError> {
        hex::decode(self.creation_hex.trim())
    }

    fn with_args(&self, args: Vec<u8>) -> Result<Vec<u8>, hex::FromHexError> {
        let mut code = self.creation_code()?;
        code.extend(args);
        Ok(code)
    }
}

/// Init code of `StEth` (no arguments; the deployer becomes its oracle).
///
/// # Errors
///
/// As [`Fixture::creation_code`].
pub fn st_eth_init_code() -> Result<Vec<u8>, hex::FromHexError> {
    ST_ETH.creation_code()
}

/// Init code of `WstEth` wrapping the stETH at `st_eth`.
///
/// # Errors
///
/// As [`Fixture::creation_code`].
pub fn wst_eth_init_code(st_eth: Address) -> Result<Vec<u8>, hex::FromHexError> {
    WST_ETH.with_args(st_eth.abi_encode())
}

/// Init code of a `ProjectToken` named `name` (`symbol`) giving `amount_each` to each holder;
/// the deployer becomes its owner, and no one is its minter until the owner names one.
///
/// # Errors
///
/// As [`Fixture::creation_code`].
pub fn project_token_init_code(
    name: &str,
    symbol: &str,
    holders: &[Address],
    amount_each: U256,
) -> Result<Vec<u8>, hex::FromHexError> {
    PROJECT_TOKEN.with_args(
        (
            name.to_string(),
            symbol.to_string(),
            holders.to_vec(),
            amount_each,
        )
            .abi_encode_params(),
    )
}

/// Init code of a `ToggleFund` pulling `token`; the deployer becomes its owner.
///
/// # Errors
///
/// As [`Fixture::creation_code`].
pub fn toggle_fund_init_code(token: Address) -> Result<Vec<u8>, hex::FromHexError> {
    TOGGLE_FUND.with_args(token.abi_encode())
}
