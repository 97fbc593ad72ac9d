//! The contract's counterparties, simulated in Rust after their Solidity originals: a
//! share-based rebasing stETH (Lido's rounding: balances and transferred shares rounded down),
//! wstETH (`wrap` mints the shares of the stETH it pulls), the native token (an ERC-20 whose
//! owner may grant the capital contract `mint`), a Uniswap V2 pair (the constant-product `k`
//! check with the 0.3% fee, `mint` with its locked minimum liquidity, the cumulative prices
//! updated on the first touch of a block), and a compute contract whose `fund` pulls with
//! `transferFrom` and can be switched to revert.
//!
//! The simulation is written from the originals' rules, independently of the contract and of
//! `yellowstone-protocol`; the real contracts run on the devnet (helper tests there).

use std::collections::HashMap;

use alloy_primitives::{address, Address, U256};
use alloy_sol_types::{sol, SolCall};
use yellowstone_contract_test_kit::{CallKind, Counterparties, ExternalCall};

sol! {
    /// The ERC-20 calls, and stETH's and wstETH's own.
    interface IToken {
        function transfer(address to, uint256 amount) external returns (bool);
        function transferFrom(address from, address to, uint256 amount) external returns (bool);
        function approve(address spender, uint256 amount) external returns (bool);
        function balanceOf(address account) external view returns (uint256);
        function wrap(uint256 stEthAmount) external returns (uint256);
    }
    /// The native token's minter entry point.
    interface IMintable {
        function mint(address to, uint256 amount) external;
    }
    /// The compute contract's funding entry point.
    interface ICompute {
        function fund(uint256 amount) external;
    }
    /// The Uniswap V2 pair.
    interface IPair {
        function token0() external view returns (address);
        function token1() external view returns (address);
        function getReserves() external view returns (uint112 reserve0, uint112 reserve1, uint32 blockTimestampLast);
        function price0CumulativeLast() external view returns (uint256);
        function price1CumulativeLast() external view returns (uint256);
        function totalSupply() external view returns (uint256);
        function swap(uint256 amount0Out, uint256 amount1Out, address to, bytes data) external;
        function mint(address to) external returns (uint256 liquidity);
        function burn(address to) external returns (uint256 amount0, uint256 amount1);
    }
}

/// stETH.
pub(crate) const ST_ETH: Address = address!("00000000000000000000000000000000000057e7");
/// wstETH.
pub(crate) const WST_ETH: Address = address!("000000000000000000000000000000000000a5e7");
/// The project's native token (MOR).
pub(crate) const NATIVE: Address = address!("000000000000000000000000000000000000000a");
/// The Uniswap V2 pair of wstETH and the native token.
pub(crate) const PAIR: Address = address!("0000000000000000000000000000000000009a12");
/// The compute contract.
pub(crate) const COMPUTE: Address = address!("00000000000000000000000000000000000c0de1");
/// Where the short-delivering stETH sends what it withholds.
pub(crate) const SINK: Address = address!("0000000000000000000000000000000000000dea");

/// Uniswap V2's liquidity locked forever by the first mint.
pub(crate) const MINIMUM_LIQUIDITY: u64 = 1_000;

type Outcome = Result<Vec<u8>, Vec<u8>>;

fn fail(reason: &str) -> Outcome {
    Err(reason.as_bytes().to_vec())
}

fn ok_true() -> Outcome {
    Ok(U256::from(1).to_be_bytes::<32>().to_vec())
}

fn word(value: U256) -> Outcome {
    Ok(value.to_be_bytes::<32>().to_vec())
}

/// Balances and allowances of a plain ERC-20.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Erc20 {
    pub(crate) balances: HashMap<Address, U256>,
    pub(crate) allowances: HashMap<(Address, Address), U256>,
    pub(crate) supply: U256,
}

impl Erc20 {
    pub(crate) fn balance(&self, who: Address) -> U256 {
        self.balances.get(&who).copied().unwrap_or_default()
    }

    pub(crate) fn allowance(&self, owner: Address, spender: Address) -> U256 {
        self.allowances
            .get(&(owner, spender))
            .copied()
            .unwrap_or_default()
    }

    pub(crate) fn mint(&mut self, to: Address, amount: U256) {
        *self.balances.entry(to).or_default() += amount;
        self.supply += amount;
    }

    pub(crate) fn move_funds(
        &mut self,
        from: Address,
        to: Address,
        amount: U256,
    ) -> Result<(), ()> {
        let have = self.balance(from);
        if have < amount {
            return Err(());
        }
        self.balances.insert(from, have - amount);
        *self.balances.entry(to).or_default() += amount;
        Ok(())
    }

    fn spend(&mut self, owner: Address, spender: Address, amount: U256) -> Result<(), ()> {
        let allowed = self.allowance(owner, spender);
        if allowed < amount {
            return Err(());
        }
        if allowed != U256::MAX {
            self.allowances.insert((owner, spender), allowed - amount);
        }
        Ok(())
    }

    fn call(&mut self, caller: Address, data: &[u8]) -> Option<Outcome> {
        let selector: [u8; 4] = data.get(..4)?.try_into().ok()?;
        Some(match selector {
            IToken::transferCall::SELECTOR => {
                let c = IToken::transferCall::abi_decode(data).ok()?;
                match self.move_funds(caller, c.to, c.amount) {
                    Ok(()) => ok_true(),
                    Err(()) => fail("ERC20: transfer amount exceeds balance"),
                }
            }
            IToken::transferFromCall::SELECTOR => {
                let c = IToken::transferFromCall::abi_decode(data).ok()?;
                if self.spend(c.from, caller, c.amount).is_err() {
                    return Some(fail("ERC20: insufficient allowance"));
                }
                match self.move_funds(c.from, c.to, c.amount) {
                    Ok(()) => ok_true(),
                    Err(()) => fail("ERC20: transfer amount exceeds balance"),
                }
            }
            IToken::approveCall::SELECTOR => {
                let c = IToken::approveCall::abi_decode(data).ok()?;
                self.allowances.insert((caller, c.spender), c.amount);
                ok_true()
            }
            IToken::balanceOfCall::SELECTOR => {
                let c = IToken::balanceOfCall::abi_decode(data).ok()?;
                word(self.balance(c.account))
            }
            _ => return None,
        })
    }
}

/// Lido's stETH: balances are shares valued at `pooled / total_shares`, rounded down.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct StEth {
    pub(crate) shares: HashMap<Address, U256>,
    pub(crate) total_shares: U256,
    pub(crate) pooled: U256,
    pub(crate) allowances: HashMap<(Address, Address), U256>,
    /// Wei withheld from every `transferFrom` (sent to [`SINK`]): a token that delivers less
    /// than asked.
    pub(crate) short_wei: U256,
}

impl StEth {
    pub(crate) fn balance(&self, who: Address) -> U256 {
        if self.total_shares.is_zero() {
            return U256::ZERO;
        }
        self.shares.get(&who).copied().unwrap_or_default() * self.pooled / self.total_shares
    }

    /// The shares (and so the wstETH `wrap` mints) for `amount` stETH.
    pub(crate) fn shares_for_test(&self, amount: U256) -> U256 {
        self.shares_for(amount)
    }

    fn shares_for(&self, amount: U256) -> U256 {
        if self.pooled.is_zero() {
            return amount;
        }
        amount * self.total_shares / self.pooled
    }

    /// Lido's `submit`: `who` stakes `amount` ether for stETH.
    pub(crate) fn submit(&mut self, who: Address, amount: U256) {
        let shares = self.shares_for(amount);
        *self.shares.entry(who).or_default() += shares;
        self.total_shares += shares;
        self.pooled += amount;
    }

    /// The oracle's report: pooled ether becomes `pooled` (a rebase, either way).
    pub(crate) fn rebase_to(&mut self, pooled: U256) {
        self.pooled = pooled;
    }

    fn move_shares(&mut self, from: Address, to: Address, amount: U256) -> Result<(), ()> {
        let shares = self.shares_for(amount);
        let have = self.shares.get(&from).copied().unwrap_or_default();
        if have < shares {
            return Err(());
        }
        self.shares.insert(from, have - shares);
        *self.shares.entry(to).or_default() += shares;
        Ok(())
    }

    fn call(&mut self, caller: Address, data: &[u8]) -> Option<Outcome> {
        let selector: [u8; 4] = data.get(..4)?.try_into().ok()?;
        Some(match selector {
            IToken::transferCall::SELECTOR => {
                let c = IToken::transferCall::abi_decode(data).ok()?;
                match self.move_shares(caller, c.to, c.amount) {
                    Ok(()) => ok_true(),
                    Err(()) => fail("BALANCE_EXCEEDED"),
                }
            }
            IToken::transferFromCall::SELECTOR => {
                let c = IToken::transferFromCall::abi_decode(data).ok()?;
                let allowed = self
                    .allowances
                    .get(&(c.from, caller))
                    .copied()
                    .unwrap_or_default();
                if allowed < c.amount {
                    return Some(fail("ALLOWANCE_EXCEEDED"));
                }
                if allowed != U256::MAX {
                    self.allowances.insert((c.from, caller), allowed - c.amount);
                }
                let short = self.short_wei.min(c.amount);
                let moved = self
                    .move_shares(c.from, c.to, c.amount - short)
                    .and_then(|()| self.move_shares(c.from, SINK, short));
                match moved {
                    Ok(()) => ok_true(),
                    Err(()) => fail("BALANCE_EXCEEDED"),
                }
            }
            IToken::approveCall::SELECTOR => {
                let c = IToken::approveCall::abi_decode(data).ok()?;
                self.allowances.insert((caller, c.spender), c.amount);
                ok_true()
            }
            IToken::balanceOfCall::SELECTOR => {
                let c = IToken::balanceOfCall::abi_decode(data).ok()?;
                word(self.balance(c.account))
            }
            _ => return None,
        })
    }
}

/// A Uniswap V2 pair's own state (its token balances live in the tokens).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Pair {
    pub(crate) token0: Address,
    pub(crate) token1: Address,
    pub(crate) reserve0: U256,
    pub(crate) reserve1: U256,
    pub(crate) timestamp_last: u32,
    pub(crate) price0_cumulative: U256,
    pub(crate) price1_cumulative: U256,
    /// The LP token.
    pub(crate) lp: Erc20,
}

/// Every simulated contract.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Sim {
    pub(crate) st_eth: StEth,
    pub(crate) wst_eth: Erc20,
    pub(crate) native: Erc20,
    /// Who may call the native token's `mint` (the capital contract in mint mode).
    pub(crate) minter: Option<Address>,
    pub(crate) pair: Pair,
    /// Whether the compute contract's `fund` reverts.
    pub(crate) compute_reverts: bool,
}

impl Sim {
    /// A world whose pair trades wstETH against the native token, wstETH as token0 or token1.
    pub(crate) fn new(wst_is_token0: bool) -> Self {
        let mut sim = Sim::default();
        (sim.pair.token0, sim.pair.token1) = if wst_is_token0 {
            (WST_ETH, NATIVE)
        } else {
            (NATIVE, WST_ETH)
        };
        // Lido's pool starts with some ether staked by others, so shares and ether differ later.
        sim.st_eth
            .submit(SINK, U256::from(1_000_000_000_000_000_000u64));
        sim
    }

    pub(crate) fn has_code(&self, account: Address) -> bool {
        [ST_ETH, WST_ETH, NATIVE, PAIR, COMPUTE].contains(&account)
    }

    /// The pair-side token at `address`.
    pub(crate) fn token(&mut self, address: Address) -> &mut Erc20 {
        if address == WST_ETH {
            &mut self.wst_eth
        } else {
            &mut self.native
        }
    }

    fn token_balance(&self, address: Address, who: Address) -> U256 {
        if address == WST_ETH {
            self.wst_eth.balance(who)
        } else {
            self.native.balance(who)
        }
    }

    /// wstETH's `wrap`: pulls `amount` stETH from `caller`, mints it the shares.
    pub(crate) fn wrap(&mut self, caller: Address, amount: U256) -> Outcome {
        let minted = self.st_eth.shares_for(amount);
        let pull = IToken::transferFromCall {
            from: caller,
            to: WST_ETH,
            amount,
        }
        .abi_encode();
        self.st_eth.call(WST_ETH, &pull).expect("a transferFrom")?;
        self.wst_eth.mint(caller, minted);
        word(minted)
    }

    /// Answers `caller`'s call to `to` at block time `now`: `None` for an account without code
    /// or a function the simulated contract does not have.
    pub(crate) fn call(
        &mut self,
        caller: Address,
        to: Address,
        data: &[u8],
        now: u64,
    ) -> Option<Outcome> {
        let selector: [u8; 4] = data.get(..4)?.try_into().ok()?;
        match to {
            ST_ETH => self.st_eth.call(caller, data),
            WST_ETH if selector == IToken::wrapCall::SELECTOR => {
                let c = IToken::wrapCall::abi_decode(data).ok()?;
                Some(self.wrap(caller, c.stEthAmount))
            }
            WST_ETH => self.wst_eth.call(caller, data),
            NATIVE if selector == IMintable::mintCall::SELECTOR => {
                let c = IMintable::mintCall::abi_decode(data).ok()?;
                if self.minter != Some(caller) {
                    return Some(fail("not a minter"));
                }
                self.native.mint(c.to, c.amount);
                Some(Ok(Vec::new()))
            }
            NATIVE => self.native.call(caller, data),
            COMPUTE if selector == ICompute::fundCall::SELECTOR => {
                let c = ICompute::fundCall::abi_decode(data).ok()?;
                if self.compute_reverts {
                    return Some(fail("EnforcedPause"));
                }
                if c.amount.is_zero() {
                    return Some(fail("ZeroAmount"));
                }
                let pull = IToken::transferFromCall {
                    from: caller,
                    to: COMPUTE,
                    amount: c.amount,
                }
                .abi_encode();
                Some(self.native.call(COMPUTE, &pull)?.map(|_| Vec::new()))
            }
            PAIR => self.pair_call(caller, data, now),
            _ => None,
        }
    }

    fn pair_call(&mut self, caller: Address, data: &[u8], now: u64) -> Option<Outcome> {
        let selector: [u8; 4] = data.get(..4)?.try_into().ok()?;
        let p = &self.pair;
        Some(match selector {
            IPair::token0Call::SELECTOR => Ok(p.token0.into_word().to_vec()),
            IPair::token1Call::SELECTOR => Ok(p.token1.into_word().to_vec()),
            IPair::getReservesCall::SELECTOR => {
                let mut out = p.reserve0.to_be_bytes::<32>().to_vec();
                out.extend(p.reserve1.to_be_bytes::<32>());
                out.extend(U256::from(p.timestamp_last).to_be_bytes::<32>());
                Ok(out)
            }
            IPair::price0CumulativeLastCall::SELECTOR => word(p.price0_cumulative),
            IPair::price1CumulativeLastCall::SELECTOR => word(p.price1_cumulative),
            IPair::totalSupplyCall::SELECTOR => word(p.lp.supply),
            IPair::swapCall::SELECTOR => {
                let c = IPair::swapCall::abi_decode(data).ok()?;
                self.swap(c.amount0Out, c.amount1Out, c.to, now)
            }
            IPair::mintCall::SELECTOR => {
                let c = IPair::mintCall::abi_decode(data).ok()?;
                self.mint_liquidity(c.to, now)
            }
            // The LP token's own ERC-20 calls (the contract must never make them).
            _ => return self.pair.lp.call(caller, data),
        })
    }

    /// The pair's `_update`: cumulative prices on the first touch of a block, then reserves.
    fn update(&mut self, balance0: U256, balance1: U256, now: u64) {
        let p = &mut self.pair;
        let timestamp = now as u32;
        let elapsed = U256::from(timestamp.wrapping_sub(p.timestamp_last));
        if !elapsed.is_zero() && !p.reserve0.is_zero() && !p.reserve1.is_zero() {
            let price0: U256 = (p.reserve1 << 112usize) / p.reserve0;
            let price1: U256 = (p.reserve0 << 112usize) / p.reserve1;
            p.price0_cumulative = p
                .price0_cumulative
                .wrapping_add(price0.wrapping_mul(elapsed));
            p.price1_cumulative = p
                .price1_cumulative
                .wrapping_add(price1.wrapping_mul(elapsed));
        }
        p.reserve0 = balance0;
        p.reserve1 = balance1;
        p.timestamp_last = timestamp;
    }

    fn balances(&self) -> (U256, U256) {
        (
            self.token_balance(self.pair.token0, PAIR),
            self.token_balance(self.pair.token1, PAIR),
        )
    }

    /// The pair's `swap`, with its `k` check after the 0.3% fee.
    pub(crate) fn swap(&mut self, out0: U256, out1: U256, to: Address, now: u64) -> Outcome {
        let (r0, r1) = (self.pair.reserve0, self.pair.reserve1);
        if out0.is_zero() && out1.is_zero() {
            return fail("UniswapV2: INSUFFICIENT_OUTPUT_AMOUNT");
        }
        if out0 >= r0 || out1 >= r1 {
            return fail("UniswapV2: INSUFFICIENT_LIQUIDITY");
        }
        let (t0, t1) = (self.pair.token0, self.pair.token1);
        if !out0.is_zero() {
            self.token(t0)
                .move_funds(PAIR, to, out0)
                .expect("reserve held");
        }
        if !out1.is_zero() {
            self.token(t1)
                .move_funds(PAIR, to, out1)
                .expect("reserve held");
        }
        let (b0, b1) = self.balances();
        let in0 = b0.saturating_sub(r0 - out0);
        let in1 = b1.saturating_sub(r1 - out1);
        if in0.is_zero() && in1.is_zero() {
            return fail("UniswapV2: INSUFFICIENT_INPUT_AMOUNT");
        }
        let adjusted0 = b0 * U256::from(1000) - in0 * U256::from(3);
        let adjusted1 = b1 * U256::from(1000) - in1 * U256::from(3);
        if adjusted0 * adjusted1 < r0 * r1 * U256::from(1_000_000) {
            return fail("UniswapV2: K");
        }
        self.update(b0, b1, now);
        Ok(Vec::new())
    }

    /// The pair's `mint`: liquidity for what was sent beyond the reserves.
    pub(crate) fn mint_liquidity(&mut self, to: Address, now: u64) -> Outcome {
        let (b0, b1) = self.balances();
        let (a0, a1) = (b0 - self.pair.reserve0, b1 - self.pair.reserve1);
        let supply = self.pair.lp.supply;
        let liquidity = if supply.is_zero() {
            let root = (a0 * a1).root(2);
            if root <= U256::from(MINIMUM_LIQUIDITY) {
                return fail("UniswapV2: INSUFFICIENT_LIQUIDITY_MINTED");
            }
            self.pair
                .lp
                .mint(Address::ZERO, U256::from(MINIMUM_LIQUIDITY));
            root - U256::from(MINIMUM_LIQUIDITY)
        } else {
            (a0 * supply / self.pair.reserve0).min(a1 * supply / self.pair.reserve1)
        };
        if liquidity.is_zero() {
            return fail("UniswapV2: INSUFFICIENT_LIQUIDITY_MINTED");
        }
        self.pair.lp.mint(to, liquidity);
        self.update(b0, b1, now);
        word(liquidity)
    }

    /// The pair's reserves as (wstETH, native).
    pub(crate) fn reserves_wst_native(&self) -> (U256, U256) {
        if self.pair.token0 == WST_ETH {
            (self.pair.reserve0, self.pair.reserve1)
        } else {
            (self.pair.reserve1, self.pair.reserve0)
        }
    }

    /// An outside trader sells `amount_in` of `token_in` (wstETH or native) to the pair, at
    /// Uniswap's `getAmountOut`, written out here: `in * 997 * r_out / (r_in * 1000 + in * 997)`.
    pub(crate) fn trade(&mut self, trader: Address, token_in: Address, amount_in: U256, now: u64) {
        let (rw, rn) = self.reserves_wst_native();
        let (r_in, r_out) = if token_in == WST_ETH {
            (rw, rn)
        } else {
            (rn, rw)
        };
        let out = amount_in * U256::from(997) * r_out
            / (r_in * U256::from(1000) + amount_in * U256::from(997));
        self.token(token_in).mint(trader, amount_in);
        self.token(token_in)
            .move_funds(trader, PAIR, amount_in)
            .expect("minted");
        let out_is_token0 = self.pair.token0 != token_in;
        let (o0, o1) = if out_is_token0 {
            (out, U256::ZERO)
        } else {
            (U256::ZERO, out)
        };
        self.swap(o0, o1, trader, now)
            .expect("a fair trade passes k");
    }

    /// An outside liquidity provider adds `wst` and `native` and mints LP tokens.
    pub(crate) fn add_liquidity(&mut self, provider: Address, wst: U256, native: U256, now: u64) {
        self.wst_eth.mint(PAIR, wst);
        self.native.mint(PAIR, native);
        self.mint_liquidity(provider, now)
            .expect("liquidity minted");
    }
}

/// What the kit's chain asks of the world: each call answered by the simulated contract it was
/// sent to; the simulated contracts have code, every other account has none.
impl Counterparties for Sim {
    fn answer(&mut self, call: &ExternalCall, caller: Address, now: u64) -> Option<Outcome> {
        assert!(
            call.kind != CallKind::Delegate,
            "the capital contract never delegate-calls"
        );
        self.call(caller, call.to, &call.data, now)
    }

    fn code_size(&self, account: Address) -> Option<usize> {
        Some(usize::from(self.has_code(account)))
    }
}
