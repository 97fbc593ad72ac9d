//! The well-known development accounts and the devnet's deployment file, shared by the devnet
//! (which funds them at genesis) and by every off-chain tool (which refuses their keys on any
//! chain but the devnet's).
//!
//! These are anvil's well-known accounts, derived from the public test mnemonic
//! `test test test test test test test test test test test junk` along the path
//! `m/44'/60'/0'/0/i`. Their keys are public test vectors: never send real funds to them.

use alloy_primitives::{address, b256, Address, B256, U256};
use serde::{Deserialize, Serialize};

/// The devnet's chain id: development keys are accepted there and nowhere else.
pub const DEVNET_CHAIN_ID: u64 = 412_346;

/// The mnemonic the development accounts are derived from (BIP-39, path `m/44'/60'/0'/0/i`).
pub const DEV_MNEMONIC: &str = "test test test test test test test test test test test junk";

/// Balance each development account holds at genesis: 10,000 ETH, in wei.
pub const DEV_BALANCE: U256 = U256::from_limbs([0x19e0c9bab2400000, 0x21e, 0, 0]);

/// One development account: its address and its secp256k1 private key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DevAccount {
    /// The account's address.
    pub address: Address,
    /// The account's private key (a public test vector).
    pub private_key: B256,
}

/// The first ten accounts of [`DEV_MNEMONIC`], in derivation order, as anvil lists them.
pub const DEV_ACCOUNTS: [DevAccount; 10] = [
    DevAccount {
        address: address!("f39Fd6e51aad88F6F4ce6aB8827279cffFb92266"),
        private_key: b256!("ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"),
    },
    DevAccount {
        address: address!("70997970C51812dc3A010C7d01b50e0d17dc79C8"),
        private_key: b256!("59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"),
    },
    DevAccount {
        address: address!("3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"),
        private_key: b256!("5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a"),
    },
    DevAccount {
        address: address!("90F79bf6EB2c4f870365E785982E1f101E93b906"),
        private_key: b256!("7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6"),
    },
    DevAccount {
        address: address!("15d34AAf54267DB7D7c367839AAf71A00a2C6A65"),
        private_key: b256!("47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a"),
    },
    DevAccount {
        address: address!("9965507D1a55bcC2695C58ba16FB37d819B0A4dc"),
        private_key: b256!("8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba"),
    },
    DevAccount {
        address: address!("976EA74026E726554dB657fA54763abd0C3a0aa9"),
        private_key: b256!("92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e"),
    },
    DevAccount {
        address: address!("14dC79964da2C08b23698B3D3cc7Ca32193d9955"),
        private_key: b256!("4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356"),
    },
    DevAccount {
        address: address!("23618e81E3f5cdF7f54C3d65f7FBc0aBf5B21E8f"),
        private_key: b256!("dbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97"),
    },
    DevAccount {
        address: address!("a0Ee7A142d267C1f36714E4a8F75612F20a79720"),
        private_key: b256!("2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6"),
    },
];

/// The account a Nitro dev node pre-funds (`nitro-devnode`, cargo-stylus's devnet): the devnet
/// funds it too, so harnesses written for a Nitro dev node keep their key. Its key is public.
pub const NITRO_DEV_ACCOUNT: DevAccount = DevAccount {
    address: address!("3f1Eae7D46d88F08fc2F8ed27FCb2AB183EB2d0E"),
    private_key: b256!("b6b15c8cb491557369f3c7d2c287b053eb229daa9c22138887752191c9520659"),
};

/// Whether `address` is one of the [`DEV_ACCOUNTS`] or the [`NITRO_DEV_ACCOUNT`] (its key is
/// public).
pub fn is_dev_account(address: Address) -> bool {
    DEV_ACCOUNTS.iter().any(|a| a.address == address) || address == NITRO_DEV_ACCOUNT.address
}

/// Refuses `role`'s key (`"router"`, `"provider"`) at `address` on `chain_id` when it is a public
/// development key and the chain is not the devnet: anyone can sign with those keys.
///
/// # Errors
/// The refusal, naming the key, the chain and where the key may be used.
pub fn refuse_dev_key(role: &str, address: Address, chain_id: u64) -> Result<(), String> {
    if chain_id != DEVNET_CHAIN_ID && is_dev_account(address) {
        return Err(format!(
            "the {role} key {address} is a public development key (anvil's test mnemonic or \
             Nitro's dev node): refused on chain {chain_id}; use it on the devnet \
             ({DEVNET_CHAIN_ID}) only"
        ));
    }
    Ok(())
}

/// An address and its private key (hex, `0x`-prefixed). Development keys only.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyPair {
    /// The account's address.
    pub address: Address,
    /// The account's private key, `0x`-prefixed hex.
    pub key: String,
}

impl KeyPair {
    /// The development account at `index` of [`DEV_ACCOUNTS`] (`None` past the tenth).
    pub fn dev(index: usize) -> Option<Self> {
        DEV_ACCOUNTS.get(index).map(|a| KeyPair {
            address: a.address,
            key: a.private_key.to_string(),
        })
    }
}

/// What a devnet deployed, as `yellowstone devnet` writes it to `--deployments` and stdout,
/// and as the router, the provider tools and the demo read it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deployment {
    /// The JSON-RPC endpoint, once the chain is served.
    pub rpc_url: Option<String>,
    /// The chain id (EIP-155 and the EIP-712 domain).
    pub chain_id: u64,
    /// The MOR token fixture.
    pub mor: Address,
    /// The compute contract.
    pub compute: Address,
    /// The authorised router key (a development key: devnet only).
    pub router_key: KeyPair,
    /// The development accounts, each holding ETH and MOR (devnet only).
    pub accounts: Vec<KeyPair>,
    /// The capital side (SPEC 7), when it was deployed too (`yellowstone devnet --capital`, the
    /// demo). Absent from deployment files written before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capital: Option<CapitalDeployment>,
}

/// The capital side's contracts on a devnet: the Techno Capital Machine, the staked-ETH fixtures it
/// takes deposits in, and the genuine Uniswap V2 contracts its liquidity lives in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CapitalDeployment {
    /// The capital contract (`yellowstone-capital`).
    pub capital: Address,
    /// The rebasing staked-ETH fixture deposits are made in (share-based, as Lido's stETH).
    pub st_eth: Address,
    /// The non-rebasing wrapper of `st_eth` the pool holds (as Lido's wstETH).
    pub wst_eth: Address,
    /// The native token the contract pays and pairs (MOR on Morpheus's deployment).
    pub native: Address,
    /// Whether the contract mints `native` (else it pays from a funded reserve).
    pub mints_native: bool,
    /// Uniswap V2's `WETH9`.
    pub weth: Address,
    /// Uniswap V2's `UniswapV2Factory`.
    pub factory: Address,
    /// Uniswap V2's `UniswapV2Router02`.
    pub router: Address,
    /// The wstETH/native `UniswapV2Pair` holding the protocol-owned liquidity.
    pub pair: Address,
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_signer_local::PrivateKeySigner;

    #[test]
    fn dev_keys_are_refused_on_every_chain_but_the_devnet() {
        let public = DEV_ACCOUNTS[9].address;
        assert_eq!(refuse_dev_key("router", public, DEVNET_CHAIN_ID), Ok(()));
        let err = refuse_dev_key("router", public, 42_161).unwrap_err();
        assert!(err.contains("router key") && err.contains("42161"), "{err}");
        assert_eq!(
            refuse_dev_key("router", Address::repeat_byte(7), 42_161),
            Ok(())
        );
        // Nitro's dev node key is as public as anvil's.
        let nitro = NITRO_DEV_ACCOUNT.address;
        assert_eq!(refuse_dev_key("provider", nitro, DEVNET_CHAIN_ID), Ok(()));
        assert!(refuse_dev_key("provider", nitro, 421_614).is_err());
    }

    #[test]
    fn balance_is_ten_thousand_ether() {
        let ether = U256::from(10u64).pow(U256::from(18u64));
        assert_eq!(DEV_BALANCE, U256::from(10_000u64) * ether);
    }

    #[test]
    fn addresses_derive_from_their_keys() {
        for account in DEV_ACCOUNTS.into_iter().chain([NITRO_DEV_ACCOUNT]) {
            let signer = PrivateKeySigner::from_bytes(&account.private_key).unwrap();
            assert_eq!(signer.address(), account.address);
        }
    }
}
