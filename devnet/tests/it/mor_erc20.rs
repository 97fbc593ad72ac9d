//! The devnet's EVM MOR (`contracts/mor-erc20`): the committed creation bytecode is what
//! `build.sh` makes from the committed source with the pinned compiler and library, and it
//! behaves as an ERC-20 whose constructor mints to the holders.
//!
//! The chain of evidence, without running node: the bytecode ends with solc's CBOR trailer,
//! whose IPFS hash names the committed metadata; the metadata records the compiler version,
//! the settings and the keccak-256 of every source, and `DevMor.sol`'s matches the committed
//! file; the compiler and OpenZeppelin versions in it are the ones `package.json` and
//! `package-lock.json` pin.

use alloy_primitives::{keccak256, Address, TxKind, U256};
use alloy_sol_types::{sol, SolCall};
use serde_json::Value;
use sha2::{Digest, Sha256};
use yellowstone_devnet::chain::{BlockTag, Chain, DEV_ACCOUNTS};
use yellowstone_devnet::mor::{
    creation_code, init_code, DEV_MOR_CREATION_HEX, DEV_MOR_METADATA, DEV_MOR_SOURCE,
};

use crate::common::{address_of, call, deploy_mor_token, deploy_stylus_mor_token, mor, ok, send};

sol! {
    interface IDevMor {
        function name() external view returns (string memory);
        function symbol() external view returns (string memory);
        function decimals() external view returns (uint8);
        function totalSupply() external view returns (uint256);
        function balanceOf(address account) external view returns (uint256);
        function transfer(address to, uint256 value) external returns (bool);
    }
}

const PACKAGE_JSON: &str = include_str!("../../../contracts/mor-erc20/package.json");
const PACKAGE_LOCK: &str = include_str!("../../../contracts/mor-erc20/package-lock.json");
const SOLC: &str = "0.8.37";
const OPENZEPPELIN: &str = "5.7.0";

/// IPFS CIDv0 multihash (`12 20 <sha256>`) of a file under 256 KiB, as solc computes it
/// (`libsolutil/IpfsHash.cpp`): one UnixFS `File` node holding the bytes, in a dag-pb node.
pub(crate) fn ipfs_multihash(bytes: &[u8]) -> Vec<u8> {
    fn varint(mut n: usize, out: &mut Vec<u8>) {
        while n >= 0x80 {
            out.push((n as u8 & 0x7f) | 0x80);
            n >>= 7;
        }
        out.push(n as u8);
    }
    let mut unixfs = vec![0x08, 0x02, 0x12];
    varint(bytes.len(), &mut unixfs);
    unixfs.extend_from_slice(bytes);
    unixfs.push(0x18);
    varint(bytes.len(), &mut unixfs);
    let mut node = vec![0x0a];
    varint(unixfs.len(), &mut node);
    node.extend(unixfs);
    let mut hash = vec![0x12, 0x20];
    hash.extend(Sha256::digest(&node));
    hash
}

#[test]
fn the_bytecode_names_the_committed_metadata_and_source() {
    let code = creation_code().unwrap();
    assert_eq!(DEV_MOR_CREATION_HEX.trim().len(), 2 * code.len());
    // solc's trailer: a2 64 "ipfs" 58 22 <34-byte multihash> 64 "solc" 43 <major minor patch>,
    // then its length as two bytes
    let trailer_len = usize::from(u16::from_be_bytes([
        code[code.len() - 2],
        code[code.len() - 1],
    ]));
    let trailer = &code[code.len() - 2 - trailer_len..code.len() - 2];
    assert_eq!(&trailer[..8], b"\xa2\x64ipfs\x58\x22");
    assert_eq!(&trailer[8..42], ipfs_multihash(DEV_MOR_METADATA.as_bytes()));
    assert_eq!(&trailer[42..], b"\x64solc\x43\x00\x08\x25");

    let metadata: Value = serde_json::from_str(DEV_MOR_METADATA).unwrap();
    let version = metadata["compiler"]["version"].as_str().unwrap();
    assert!(version.starts_with(&format!("{SOLC}+commit.")), "{version}");
    let settings = &metadata["settings"];
    assert_eq!(settings["evmVersion"], "cancun");
    assert_eq!(settings["optimizer"]["enabled"], true);
    assert_eq!(settings["optimizer"]["runs"], 200);
    let source_hash = format!("{}", keccak256(DEV_MOR_SOURCE.as_bytes()));
    assert_eq!(metadata["sources"]["DevMor.sol"]["keccak256"], source_hash);
    assert!(metadata["sources"]["@openzeppelin/contracts/token/ERC20/ERC20.sol"].is_object());
}

#[test]
fn the_build_inputs_are_pinned() {
    let package: Value = serde_json::from_str(PACKAGE_JSON).unwrap();
    assert_eq!(package["dependencies"]["solc"], SOLC);
    assert_eq!(
        package["dependencies"]["@openzeppelin/contracts"],
        OPENZEPPELIN
    );
    let lock: Value = serde_json::from_str(PACKAGE_LOCK).unwrap();
    for (name, version) in [("solc", SOLC), ("@openzeppelin/contracts", OPENZEPPELIN)] {
        let entry = &lock["packages"][format!("node_modules/{name}")];
        assert_eq!(entry["version"], version, "{name}");
        let integrity = entry["integrity"].as_str().unwrap_or_default();
        assert!(integrity.starts_with("sha512-"), "{name}: {integrity}");
    }
    assert!(DEV_MOR_SOURCE.contains(&format!("pragma solidity {SOLC};")));
}

fn view(chain: &Chain, token: Address, data: Vec<u8>) -> Vec<u8> {
    call(chain, token, data).unwrap().to_vec()
}

#[test]
fn it_deploys_as_an_erc20_minting_to_each_holder() {
    let mut chain = Chain::new();
    let holders = [address_of(1), address_of(2)];
    let receipt = send(
        &mut chain,
        0,
        TxKind::Create,
        init_code(&holders, mor(7)).unwrap(),
    );
    assert!(receipt.status, "{receipt:?}");
    let token = receipt.contract_address.unwrap();
    assert!(!chain.code(token, BlockTag::Latest).unwrap().is_empty());

    let name = view(&chain, token, IDevMor::nameCall {}.abi_encode());
    assert_eq!(
        IDevMor::nameCall::abi_decode_returns(&name).unwrap(),
        "Morpheus"
    );
    let symbol = view(&chain, token, IDevMor::symbolCall {}.abi_encode());
    assert_eq!(
        IDevMor::symbolCall::abi_decode_returns(&symbol).unwrap(),
        "MOR"
    );
    let decimals = view(&chain, token, IDevMor::decimalsCall {}.abi_encode());
    assert_eq!(
        IDevMor::decimalsCall::abi_decode_returns(&decimals).unwrap(),
        18
    );
    let supply = view(&chain, token, IDevMor::totalSupplyCall {}.abi_encode());
    assert_eq!(
        IDevMor::totalSupplyCall::abi_decode_returns(&supply).unwrap(),
        mor(14)
    );
    let balance = |chain: &Chain, who: Address| {
        let out = view(
            chain,
            token,
            IDevMor::balanceOfCall { account: who }.abi_encode(),
        );
        IDevMor::balanceOfCall::abi_decode_returns(&out).unwrap()
    };
    assert_eq!(balance(&chain, holders[0]), mor(7));
    assert_eq!(balance(&chain, address_of(0)), U256::ZERO);

    // a transfer moves balances; one beyond the balance reverts
    let to = DEV_ACCOUNTS[3].address;
    ok(
        &mut chain,
        1,
        token,
        IDevMor::transferCall { to, value: mor(2) }.abi_encode(),
    );
    assert_eq!(balance(&chain, to), mor(2));
    assert_eq!(balance(&chain, holders[0]), mor(5));
    let too_much = send(
        &mut chain,
        1,
        TxKind::Call(token),
        IDevMor::transferCall { to, value: mor(6) }.abi_encode(),
    );
    assert!(!too_much.status);
    assert_eq!(balance(&chain, holders[0]), mor(5));
}

/// The Stylus fixture, kept for tests that need a Stylus token, is a drop-in for the EVM MOR:
/// the same constructor, balances, `Transfer` log and refusal of an overdraft.
#[test]
fn the_stylus_fixture_behaves_as_the_evm_mor() {
    let mut chain = Chain::new();
    let evm = deploy_mor_token(&mut chain);
    let stylus = deploy_stylus_mor_token(&mut chain);
    let to = address_of(4);
    for token in [evm, stylus] {
        let receipt = ok(
            &mut chain,
            1,
            token,
            IDevMor::transferCall { to, value: mor(3) }.abi_encode(),
        );
        let log = &receipt.logs[0].log;
        assert_eq!(log.address, token);
        let topics = log.data.topics();
        assert_eq!(topics[0], keccak256("Transfer(address,address,uint256)"));
        assert_eq!(topics[2], to.into_word());
        assert_eq!(log.data.data.as_ref(), mor(3).to_be_bytes::<32>());
        let out = view(
            &chain,
            token,
            IDevMor::balanceOfCall { account: to }.abi_encode(),
        );
        let balance = IDevMor::balanceOfCall::abi_decode_returns(&out).unwrap();
        assert_eq!(balance, mor(1_000_003), "{token}");
        let overdraft = send(
            &mut chain,
            4,
            TxKind::Call(token),
            IDevMor::transferCall {
                to,
                value: mor(2_000_000),
            }
            .abi_encode(),
        );
        assert!(!overdraft.status, "{token}");
    }
}
