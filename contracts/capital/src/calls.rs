//! Calls to the other contracts: the tokens (with OpenZeppelin `SafeERC20` semantics: a call
//! succeeds when it does not revert and returns either nothing, from an account with code, or
//! `true`), the Uniswap V2 pair, and the compute contract's `fund`. Calldata is written word by
//! word (every argument is static) rather than through one generic encoder per call.

use alloc::vec::Vec;

use alloy_primitives::{Address, FixedBytes, B256, U256};
use stylus_sdk::{
    call::{call, static_call},
    function_selector,
    prelude::*,
};
use yellowstone_protocol::capital::abi::{PairCallFailed, TokenCallFailed};

use yellowstone_stylus_kit::Storage;

use crate::{
    errors::{abi_words, CapitalError, Word},
    store::PAIR,
    YellowstoneCapital,
};

/// `transfer(address,uint256)`.
const TRANSFER: [u8; 4] = function_selector!("transfer", Address, U256);
/// `transferFrom(address,address,uint256)`.
const TRANSFER_FROM: [u8; 4] = function_selector!("transferFrom", Address, Address, U256);
/// `approve(address,uint256)`.
const APPROVE: [u8; 4] = function_selector!("approve", Address, U256);
/// `mint(address,uint256)`: the native token's minter entry point.
const MINT_TO: [u8; 4] = function_selector!("mint", Address, U256);
/// `balanceOf(address)`.
const BALANCE_OF: [u8; 4] = function_selector!("balanceOf", Address);
/// `wrap(uint256)`: wstETH's stETH-to-wstETH entry point.
const WRAP: [u8; 4] = function_selector!("wrap", U256);
/// `fund(uint256)`: the compute contract's funding entry point.
const FUND: [u8; 4] = function_selector!("fund", U256);
/// The pair's `token0()`.
pub(crate) const TOKEN0: [u8; 4] = function_selector!("token0");
/// The pair's `token1()`.
pub(crate) const TOKEN1: [u8; 4] = function_selector!("token1");
/// The pair's `getReserves()`.
pub(crate) const GET_RESERVES: [u8; 4] = function_selector!("getReserves");
/// The pair's `price0CumulativeLast()`.
pub(crate) const PRICE0_CUMULATIVE: [u8; 4] = function_selector!("price0CumulativeLast");
/// The pair's `price1CumulativeLast()`.
pub(crate) const PRICE1_CUMULATIVE: [u8; 4] = function_selector!("price1CumulativeLast");
/// The pair's `totalSupply()`.
pub(crate) const TOTAL_SUPPLY: [u8; 4] = function_selector!("totalSupply");
/// The pair's `swap(uint256,uint256,address,bytes)`.
pub(crate) const SWAP: [u8; 4] =
    function_selector!("swap", U256, U256, Address, stylus_sdk::abi::Bytes);
/// The pair's `mint(address)`.
pub(crate) const PAIR_MINT: [u8; 4] = function_selector!("mint", Address);

/// The pair's reserves as `getReserves` reports them.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Reserves {
    pub(crate) reserve0: U256,
    pub(crate) reserve1: U256,
    /// `blockTimestampLast`: the block time of the pair's last update, modulo 2^32.
    pub(crate) timestamp: u32,
}

/// Word `i` of return data, if it has one.
fn word(data: &[u8], i: usize) -> Option<U256> {
    data.get(32 * i..32 * i + 32).map(U256::from_be_slice)
}

impl YellowstoneCapital {
    /// Calls `to` with `data`: its return data, or `None` if it reverted.
    fn call_raw(&mut self, to: Address, data: &[u8]) -> Option<Vec<u8>> {
        let context = Call::new_mutating(self);
        call(self.vm(), context, to, data).ok()
    }

    /// Static-calls `to` with `data`: its return data, or `None` if it reverted.
    fn view_raw(&self, to: Address, data: &[u8]) -> Option<Vec<u8>> {
        static_call(self.vm(), Call::new(), to, data).ok()
    }

    /// A token call with `SafeERC20` semantics; `to` and `amount` name it in the error.
    fn token_call(
        &mut self,
        token: Address,
        data: &[u8],
        to: Address,
        amount: U256,
    ) -> Result<(), CapitalError> {
        let ok = match self.call_raw(token, data) {
            Some(ret) if ret.is_empty() => self.vm().code_size(token) > 0,
            Some(ret) => ret.len() == 32 && word(&ret, 0) == Some(U256::from(1)),
            None => false,
        };
        if ok {
            Ok(())
        } else {
            Err(TokenCallFailed { token, to, amount }.into())
        }
    }

    /// Sends `amount` of `token` from the contract to `to`.
    pub(crate) fn transfer(
        &mut self,
        token: Address,
        to: Address,
        amount: U256,
    ) -> Result<(), CapitalError> {
        let data = abi_words(&TRANSFER, &[to.word(), amount.word()]);
        self.token_call(token, &data, to, amount)
    }

    /// Pulls `amount` of `token` from `from` (which approved the contract) into the contract.
    pub(crate) fn transfer_from(
        &mut self,
        token: Address,
        from: Address,
        amount: U256,
    ) -> Result<(), CapitalError> {
        let this = self.vm().contract_address();
        let data = abi_words(&TRANSFER_FROM, &[from.word(), this.word(), amount.word()]);
        self.token_call(token, &data, this, amount)
    }

    /// Lets `spender` pull `amount` of `token` from the contract.
    pub(crate) fn approve(
        &mut self,
        token: Address,
        spender: Address,
        amount: U256,
    ) -> Result<(), CapitalError> {
        let data = abi_words(&APPROVE, &[spender.word(), amount.word()]);
        self.token_call(token, &data, spender, amount)
    }

    /// Mints `amount` of the native token `token` to `to` (the token granted the contract).
    pub(crate) fn mint_native(
        &mut self,
        token: Address,
        to: Address,
        amount: U256,
    ) -> Result<(), CapitalError> {
        let data = abi_words(&MINT_TO, &[to.word(), amount.word()]);
        self.token_call(token, &data, to, amount)
    }

    /// `token.balanceOf(account)`.
    pub(crate) fn balance_of(
        &self,
        token: Address,
        account: Address,
    ) -> Result<U256, CapitalError> {
        let data = abi_words(&BALANCE_OF, &[account.word()]);
        self.view_raw(token, &data)
            .and_then(|ret| word(&ret, 0))
            .ok_or_else(|| {
                TokenCallFailed {
                    token,
                    to: account,
                    amount: U256::ZERO,
                }
                .into()
            })
    }

    /// Wraps `amount` stETH (approved to `wst`) into wstETH: the wstETH received.
    pub(crate) fn wrap(&mut self, wst: Address, amount: U256) -> Result<U256, CapitalError> {
        let data = abi_words(&WRAP, &[amount.word()]);
        let this = self.vm().contract_address();
        self.call_raw(wst, &data)
            .and_then(|ret| word(&ret, 0))
            .ok_or_else(|| {
                TokenCallFailed {
                    token: wst,
                    to: this,
                    amount,
                }
                .into()
            })
    }

    /// `compute.fund(amount)`: whether it succeeded (its refusal is not the caller's error).
    pub(crate) fn fund(&mut self, compute: Address, amount: U256) -> bool {
        let data = abi_words(&FUND, &[amount.word()]);
        self.call_raw(compute, &data).is_some()
    }

    // ---- the pair ----

    fn pair_failed(&self, selector: [u8; 4]) -> CapitalError {
        PairCallFailed {
            pair: self.get_address(PAIR),
            selector: FixedBytes(selector),
        }
        .into()
    }

    /// Static-calls the pair: word `i` of the answer to `data`.
    fn pair_view(&self, data: &[u8], i: usize) -> Result<U256, CapitalError> {
        let mut selector = [0u8; 4];
        selector.copy_from_slice(&data[..4]);
        self.view_raw(self.get_address(PAIR), data)
            .and_then(|ret| word(&ret, i))
            .ok_or_else(|| self.pair_failed(selector))
    }

    /// A pair view that returns one word (`token0`, `totalSupply`, a cumulative price).
    pub(crate) fn pair_word(&self, selector: [u8; 4]) -> Result<U256, CapitalError> {
        self.pair_view(&selector, 0)
    }

    /// The pair's token at `selector` (`token0` or `token1`).
    pub(crate) fn pair_token(&self, selector: [u8; 4]) -> Result<Address, CapitalError> {
        self.pair_word(selector)
            .map(|w| Address::from_word(B256::from(w)))
    }

    /// The pair's `getReserves()`.
    pub(crate) fn reserves(&self) -> Result<Reserves, CapitalError> {
        let ret = self
            .view_raw(self.get_address(PAIR), &GET_RESERVES)
            .filter(|ret| ret.len() >= 96)
            .ok_or_else(|| self.pair_failed(GET_RESERVES))?;
        let timestamp = word(&ret, 2).unwrap_or_default();
        Ok(Reserves {
            reserve0: word(&ret, 0).unwrap_or_default(),
            reserve1: word(&ret, 1).unwrap_or_default(),
            timestamp: timestamp.as_limbs()[0] as u32,
        })
    }

    /// `pair.swap(amount0Out, amount1Out, this, "")`: the pair pays the contract.
    pub(crate) fn swap(
        &mut self,
        amount0_out: U256,
        amount1_out: U256,
    ) -> Result<(), CapitalError> {
        let this = self.vm().contract_address();
        let data = abi_words(
            &SWAP,
            &[
                amount0_out.word(),
                amount1_out.word(),
                this.word(),
                U256::from(128).word(),
                U256::ZERO.word(),
            ],
        );
        let pair = self.get_address(PAIR);
        match self.call_raw(pair, &data) {
            Some(_) => Ok(()),
            None => Err(self.pair_failed(SWAP)),
        }
    }

    /// `pair.mint(this)`: the LP tokens minted to the contract.
    pub(crate) fn pair_mint(&mut self) -> Result<U256, CapitalError> {
        let this = self.vm().contract_address();
        let data = abi_words(&PAIR_MINT, &[this.word()]);
        let pair = self.get_address(PAIR);
        match self.call_raw(pair, &data).and_then(|ret| word(&ret, 0)) {
            Some(minted) => Ok(minted),
            None => Err(self.pair_failed(PAIR_MINT)),
        }
    }
}
