//! The genuine Uniswap V2 contracts, as published on npm: `UniswapV2Factory` and `UniswapV2Pair`
//! from `@uniswap/v2-core` 1.0.1, `UniswapV2Router02` and `WETH9` from `@uniswap/v2-periphery`
//! 1.1.0-beta.0. Their creation bytecode is copied unedited from the packages' `build/*.json`
//! into `contracts/evm-fixtures/out/` by its `build.sh` (from the versions its lock file pins);
//! the devnet tests check the hashes. The router finds pairs by CREATE2 with the pair's
//! init-code hash compiled in ([`PAIR_INIT_CODE_HASH`]): a factory from the same artifact puts
//! them there, which [`pair_for`] computes.

use alloy_primitives::{b256, hex, keccak256, Address, B256};
use alloy_sol_types::{sol, SolValue};

sol! {
    /// The subset of `UniswapV2Factory` the devnet calls.
    #[derive(Debug)]
    interface IUniswapV2Factory {
        function feeTo() external view returns (address);
        function feeToSetter() external view returns (address);
        function getPair(address tokenA, address tokenB) external view returns (address pair);
        function allPairsLength() external view returns (uint256);
        function createPair(address tokenA, address tokenB) external returns (address pair);

        event PairCreated(address indexed token0, address indexed token1, address pair, uint256);
    }

    /// The subset of `UniswapV2Pair` the devnet calls.
    #[derive(Debug)]
    interface IUniswapV2Pair {
        function token0() external view returns (address);
        function token1() external view returns (address);
        function totalSupply() external view returns (uint256);
        function balanceOf(address owner) external view returns (uint256);
        function getReserves() external view returns (uint112 reserve0, uint112 reserve1, uint32 blockTimestampLast);
        function price0CumulativeLast() external view returns (uint256);
        function price1CumulativeLast() external view returns (uint256);
        function kLast() external view returns (uint256);
        function mint(address to) external returns (uint256 liquidity);
        function swap(uint256 amount0Out, uint256 amount1Out, address to, bytes calldata data) external;
        function skim(address to) external;
        function sync() external;

        event Sync(uint112 reserve0, uint112 reserve1);
    }

    /// The subset of `UniswapV2Router02` the devnet calls.
    #[derive(Debug)]
    interface IUniswapV2Router02 {
        function factory() external view returns (address);
        function WETH() external view returns (address);
        function addLiquidity(address tokenA, address tokenB, uint256 amountADesired, uint256 amountBDesired, uint256 amountAMin, uint256 amountBMin, address to, uint256 deadline) external returns (uint256 amountA, uint256 amountB, uint256 liquidity);
        function swapExactTokensForTokens(uint256 amountIn, uint256 amountOutMin, address[] calldata path, address to, uint256 deadline) external returns (uint256[] memory amounts);
        function getAmountsOut(uint256 amountIn, address[] calldata path) external view returns (uint256[] memory amounts);
        function getAmountOut(uint256 amountIn, uint256 reserveIn, uint256 reserveOut) external pure returns (uint256 amountOut);
        function quote(uint256 amountA, uint256 reserveA, uint256 reserveB) external pure returns (uint256 amountB);
    }
}

/// The pair's init-code hash `UniswapV2Library.pairFor` hard-codes (in Router02's bytecode).
pub const PAIR_INIT_CODE_HASH: B256 =
    b256!("96e8ac4277198ff8b6f785478aa9a39f403cb768dd02cbee326c3e7da348845f");

/// One published Uniswap V2 artifact's committed creation bytecode.
#[derive(Clone, Copy, Debug)]
pub struct Artifact {
    /// The contract's name (`UniswapV2Factory`, ...).
    pub name: &'static str,
    /// The npm package and version it was copied from.
    pub package: &'static str,
    /// The creation bytecode as committed: hex without `0x`, then a newline.
    pub creation_hex: &'static str,
}

macro_rules! artifact {
    ($name:literal, $package:literal) => {
        Artifact {
            name: $name,
            package: $package,
            creation_hex: include_str!(concat!("../../contracts/evm-fixtures/out/", $name, ".hex")),
        }
    };
}

/// `UniswapV2Factory` (constructor: `address feeToSetter`).
pub const FACTORY: Artifact = artifact!("UniswapV2Factory", "@uniswap/v2-core@1.0.1");
/// `UniswapV2Pair` (created by the factory; committed for its hash).
pub const PAIR: Artifact = artifact!("UniswapV2Pair", "@uniswap/v2-core@1.0.1");
/// `UniswapV2Router02` (constructor: `address factory, address WETH`).
pub const ROUTER02: Artifact = artifact!("UniswapV2Router02", "@uniswap/v2-periphery@1.1.0-beta.0");
/// `WETH9` (no constructor arguments).
pub const WETH9: Artifact = artifact!("WETH9", "@uniswap/v2-periphery@1.1.0-beta.0");
/// Every artifact.
pub const ARTIFACTS: [Artifact; 4] = [FACTORY, PAIR, ROUTER02, WETH9];

impl Artifact {
    /// The creation bytecode, decoded from [`Artifact::creation_hex`].
    ///
    /// # Errors
    ///
    /// The committed file is not hex (a corrupted checkout).
    pub fn creation_code(&self) -> Result<Vec<u8>, hex::FromHexError> {
        hex::decode(self.creation_hex.trim())
    }
}

/// Init code of `UniswapV2Factory` with `fee_to_setter`.
///
/// # Errors
///
/// As [`Artifact::creation_code`].
pub fn factory_init_code(fee_to_setter: Address) -> Result<Vec<u8>, hex::FromHexError> {
    let mut code = FACTORY.creation_code()?;
    code.extend(fee_to_setter.abi_encode());
    Ok(code)
}

/// Init code of `UniswapV2Router02` over `factory` and `weth`.
///
/// # Errors
///
/// As [`Artifact::creation_code`].
pub fn router02_init_code(factory: Address, weth: Address) -> Result<Vec<u8>, hex::FromHexError> {
    let mut code = ROUTER02.creation_code()?;
    code.extend((factory, weth).abi_encode_params());
    Ok(code)
}

/// Init code of `WETH9`.
///
/// # Errors
///
/// As [`Artifact::creation_code`].
pub fn weth9_init_code() -> Result<Vec<u8>, hex::FromHexError> {
    WETH9.creation_code()
}

/// `(token0, token1)`: the pair's order of two tokens (the lower address first).
pub fn sort_tokens(a: Address, b: Address) -> (Address, Address) {
    if a < b {
        (a, b)
    } else {
        (b, a)
    }
}

/// The address `factory` creates the pair of `a` and `b` at (CREATE2 salted with the sorted
/// tokens, over the pair's creation code), as `UniswapV2Library.pairFor` computes it.
pub fn pair_for(factory: Address, a: Address, b: Address) -> Address {
    let (token0, token1) = sort_tokens(a, b);
    let mut salt_input = [0u8; 40];
    salt_input[..20].copy_from_slice(token0.as_slice());
    salt_input[20..].copy_from_slice(token1.as_slice());
    factory.create2(keccak256(salt_input), PAIR_INIT_CODE_HASH)
}
