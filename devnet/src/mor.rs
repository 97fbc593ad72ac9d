//! The devnet's MOR: an EVM ERC-20, as MOR on Arbitrum is (a LayerZero OFT, whose transfer
//! path is OpenZeppelin's `ERC20`). It is OpenZeppelin's `ERC20` compiled with solc-js from
//! `contracts/mor-erc20/DevMor.sol`; the committed creation bytecode (`DevMor.hex`) is rebuilt
//! byte for byte by `contracts/mor-erc20/build.sh` from the versions pinned there, so no build
//! here needs node. Its constructor, `(address[] holders, uint256 amountEach)`, mints
//! `amountEach` to each holder, like the Stylus fixture `yellowstone-mor-token` it replaces
//! (which stays only where a test needs a Stylus callee).

use alloy_primitives::{hex, Address, U256};
use alloy_sol_types::SolValue;

/// `DevMor`'s creation bytecode as committed: hex without `0x`, then a newline.
pub const DEV_MOR_CREATION_HEX: &str = include_str!("../../contracts/mor-erc20/DevMor.hex");

/// solc's metadata of `DevMor` as committed (the bytecode ends with its IPFS hash).
pub const DEV_MOR_METADATA: &str = include_str!("../../contracts/mor-erc20/DevMor.metadata.json");

/// The Solidity source `DevMor.hex` was compiled from.
pub const DEV_MOR_SOURCE: &str = include_str!("../../contracts/mor-erc20/DevMor.sol");

/// `DevMor`'s creation bytecode, decoded from [`DEV_MOR_CREATION_HEX`].
///
/// # Errors
///
/// The committed file is not hex (a corrupted checkout).
pub fn creation_code() -> Result<Vec<u8>, hex::FromHexError> {
    hex::decode(DEV_MOR_CREATION_HEX.trim())
}

/// The init code of a CREATE deploying `DevMor` that mints `amount_each` wei to each of
/// `holders`: the creation bytecode followed by the ABI-encoded constructor arguments.
///
/// # Errors
///
/// As [`creation_code`].
pub fn init_code(holders: &[Address], amount_each: U256) -> Result<Vec<u8>, hex::FromHexError> {
    let mut code = creation_code()?;
    code.extend((holders.to_vec(), amount_each).abi_encode_params());
    Ok(code)
}
