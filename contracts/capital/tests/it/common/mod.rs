//! The test harness shared by every module: a deployed capital contract on a [`Chain`] (the
//! kit's stylus-test `TestVM` with the counterparties of `sim.rs` behind it), Morpheus's schedule
//! written out independently, and actors.
//!
//! Every state-changing entry point is called through [`World::tx`], which sets the sender and
//! rolls storage, logs and the simulated world back when the call returns an error, as the EVM
//! does on a revert. A [`World`] dereferences to its [`Chain`]: the clock, the call record and
//! the latest transaction's logs and events are the kit's.

pub(crate) mod sim;

use std::ops::Deref;

use alloy_primitives::{address, uint, Address, U256};
use yellowstone_capital::{CapitalError, YellowstoneCapital};

pub(crate) use sim::{Sim, COMPUTE, NATIVE, PAIR, ST_ETH, WST_ETH};
/// `n` whole tokens (18 decimals) in wei.
pub(crate) use yellowstone_contract_test_kit::fixtures::whole as eth;
pub(crate) use yellowstone_contract_test_kit::fixtures::{ALICE, BOB, CAROL, OWNER, STRANGER};
/// The protocol's UTC day (the default emission interval).
pub(crate) use yellowstone_protocol::time::DAY;

/// The kit's chain with the capital contract's counterparties behind it.
pub(crate) type Chain = yellowstone_contract_test_kit::Chain<Sim>;

/// The capital contract's own address.
pub(crate) const CAPITAL: Address = address!("0000000000000000000000000000000000ca9171");
/// An outside liquidity provider and trader.
pub(crate) const TRADER: Address = address!("00000000000000000000000000000000000000f2");

/// Morpheus's payout start, 2024-02-08 12:00 UTC.
pub(crate) const PAYOUT_START: u64 = 1_707_393_600;
/// 3456 MOR on day one.
pub(crate) const INITIAL: U256 = uint!(3_456_000_000_000_000_000_000_U256);
/// Falling 0.59255872824 MOR a day.
pub(crate) const DECREASE: U256 = uint!(592_558_728_240_000_000_U256);
/// The deployment: 2025-01-12 01:00 UTC, well inside the curve.
pub(crate) const DEPLOY_TIME: u64 = 1_736_643_600;

/// What a deployment is given.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Config {
    pub(crate) deploy_time: u64,
    pub(crate) payout_start: u64,
    pub(crate) interval: u64,
    pub(crate) capital: (U256, U256),
    pub(crate) compute: (U256, U256),
    pub(crate) mints_native: bool,
    pub(crate) wst_is_token0: bool,
    /// Bootstrap price bounds, native wei per wstETH wei, 1e18 scale.
    pub(crate) price_bounds: (U256, U256),
}

impl Default for Config {
    fn default() -> Self {
        Self {
            deploy_time: DEPLOY_TIME,
            payout_start: PAYOUT_START,
            interval: DAY,
            capital: (INITIAL, DECREASE),
            compute: (INITIAL, DECREASE),
            mints_native: false,
            wst_is_token0: true,
            price_bounds: (eth(100), eth(10_000)),
        }
    }
}

/// A schedule written out the slow way, independently of the contract and the protocol crate:
/// interval by interval, `initial - k * decrease` spread evenly over the interval, each second
/// in `[from, to)` counted once. Exact to the wei against a whole-interval sum: it adds
/// `amount * seconds` for each interval and divides once per interval boundary it crosses, which
/// is how the cumulative is defined (floor of each interval's elapsed share).
pub(crate) fn emitted(config: &Config, bucket: (U256, U256), to: u64) -> U256 {
    let (initial, decrease) = bucket;
    if to <= config.payout_start {
        return U256::ZERO;
    }
    let elapsed = to - config.payout_start;
    let whole = elapsed / config.interval;
    let mut total = U256::ZERO;
    for k in 0..whole {
        let amount = initial.saturating_sub(decrease * U256::from(k));
        if amount.is_zero() {
            return total;
        }
        total += amount;
    }
    let amount = initial.saturating_sub(decrease * U256::from(whole));
    total + amount * U256::from(elapsed % config.interval) / U256::from(config.interval)
}

/// The contract's `totals()`, named.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Totals {
    pub(crate) principal: U256,
    pub(crate) backing: U256,
    pub(crate) distributed: U256,
    pub(crate) paid: U256,
    pub(crate) kept: U256,
    pub(crate) compute_sent: U256,
    pub(crate) compute_owed: U256,
}

/// A deployed capital contract and its world.
pub(crate) struct World {
    pub(crate) chain: Chain,
    pub(crate) contract: YellowstoneCapital,
    pub(crate) config: Config,
}

impl Deref for World {
    type Target = Chain;

    fn deref(&self) -> &Chain {
        &self.chain
    }
}

impl World {
    /// A chain with the contract's address set but its constructor not yet run.
    pub(crate) fn undeployed(config: Config) -> Self {
        let mut sim = Sim::new(config.wst_is_token0);
        if config.mints_native {
            sim.minter = Some(CAPITAL);
        }
        let chain = Chain::new(sim);
        chain.vm.set_contract_address(CAPITAL);
        chain.vm.set_block_timestamp(config.deploy_time);
        chain.vm.set_block_number(1);
        let contract = YellowstoneCapital::from(&chain);
        Self {
            chain,
            contract,
            config,
        }
    }

    /// Deploys with `config`.
    pub(crate) fn deploy_with(config: Config) -> Self {
        let mut w = Self::undeployed(config);
        w.construct(OWNER).expect("deploys");
        w
    }

    /// Deploys with the default configuration (reserve mode, Morpheus's buckets).
    pub(crate) fn deploy() -> Self {
        Self::deploy_with(Config::default())
    }

    /// Runs the constructor from the deployer with the world's configuration and `owner`.
    pub(crate) fn construct(&mut self, owner: Address) -> Result<(), CapitalError> {
        let c = self.config;
        self.tx(OWNER, |k| {
            k.constructor(
                ST_ETH,
                WST_ETH,
                NATIVE,
                PAIR,
                COMPUTE,
                owner,
                c.mints_native,
                c.payout_start,
                c.interval,
                c.capital.0,
                c.capital.1,
                c.compute.0,
                c.compute.1,
                c.price_bounds.0,
                c.price_bounds.1,
            )
        })
    }

    /// Read-only access to the contract (views).
    pub(crate) fn c(&self) -> &YellowstoneCapital {
        &self.contract
    }

    /// Runs one transaction from `sender`: on `Err`, storage, logs and the simulated world are
    /// rolled back as the EVM would roll back a revert.
    pub(crate) fn tx<T>(
        &mut self,
        sender: Address,
        f: impl FnOnce(&mut YellowstoneCapital) -> Result<T, CapitalError>,
    ) -> Result<T, CapitalError> {
        let contract = &mut self.contract;
        self.chain.tx(sender, || f(contract))
    }

    // ---- the world around ----

    /// `who` stakes `amount` ether at Lido and approves the contract for all its stETH.
    pub(crate) fn give_st_eth(&self, who: Address, amount: U256) {
        self.chain.sim_mut(|s| {
            s.st_eth.submit(who, amount);
            s.st_eth.allowances.insert((who, CAPITAL), U256::MAX);
        });
    }

    /// Lido's oracle moves pooled ether by `bps` basis points (negative: a slashing).
    pub(crate) fn rebase_bps(&self, bps: i64) {
        self.chain.sim_mut(|s| {
            let pooled = s.st_eth.pooled;
            let delta = pooled * U256::from(bps.unsigned_abs()) / U256::from(10_000);
            s.st_eth.rebase_to(if bps >= 0 {
                pooled + delta
            } else {
                pooled - delta
            });
        });
    }

    /// stETH held by `who`.
    pub(crate) fn st_eth_of(&self, who: Address) -> U256 {
        self.chain.sim(|s| s.st_eth.balance(who))
    }

    /// Native token held by `who`.
    pub(crate) fn native_of(&self, who: Address) -> U256 {
        self.chain.sim(|s| s.native.balance(who))
    }

    /// Funds the contract's native-token reserve with a plain transfer.
    pub(crate) fn fund_reserve(&self, amount: U256) {
        self.chain.sim_mut(|s| s.native.mint(CAPITAL, amount));
    }

    /// An outside provider seeds the pair at 1,000 native per wstETH: `wst` wstETH.
    pub(crate) fn seed_pool(&self, wst: U256) {
        let now = self.now();
        self.chain
            .sim_mut(|s| s.add_liquidity(TRADER, wst, wst * U256::from(1_000), now));
    }

    // ---- the contract's entry points, from a sender ----

    pub(crate) fn deposit(&mut self, who: Address, amount: U256) -> Result<(), CapitalError> {
        self.tx(who, |c| c.deposit(amount))
    }

    pub(crate) fn withdraw(&mut self, who: Address, amount: U256) -> Result<(), CapitalError> {
        self.tx(who, |c| c.withdraw(amount))
    }

    pub(crate) fn claim(&mut self, who: Address) -> Result<U256, CapitalError> {
        self.tx(who, |c| c.claim())
    }

    pub(crate) fn fund_compute(&mut self) -> Result<U256, CapitalError> {
        self.tx(STRANGER, |c| c.fund_compute())
    }

    pub(crate) fn poke(&mut self) -> Result<(), CapitalError> {
        self.tx(STRANGER, |c| c.poke())
    }

    pub(crate) fn harvest(&mut self) -> Result<(), CapitalError> {
        self.tx(STRANGER, |c| c.harvest())
    }

    // ---- views ----

    /// (principal, unlock time, owed) of `who`.
    pub(crate) fn position(&self, who: Address) -> (U256, u64, U256) {
        self.c().position(who).expect("position")
    }

    pub(crate) fn totals(&self) -> Totals {
        let (principal, backing, distributed, paid, kept, compute_sent, compute_owed) =
            self.c().totals().expect("totals");
        Totals {
            principal,
            backing,
            distributed,
            paid,
            kept,
            compute_sent,
            compute_owed,
        }
    }

    /// The capital bucket's emission from the accrual start (deployment, or the payout start
    /// if later) to now, written out independently.
    pub(crate) fn capital_scheduled(&self) -> U256 {
        let start = self.config.deploy_time.max(self.config.payout_start);
        emitted(&self.config, self.config.capital, self.now())
            - emitted(&self.config, self.config.capital, start)
    }

    /// The compute bucket's emission from the accrual start to now.
    pub(crate) fn compute_scheduled(&self) -> U256 {
        let start = self.config.deploy_time.max(self.config.payout_start);
        emitted(&self.config, self.config.compute, self.now())
            - emitted(&self.config, self.config.compute, start)
    }
}
