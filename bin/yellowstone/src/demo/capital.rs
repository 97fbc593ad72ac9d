//! The demo's capital side: the compute contract is funded THROUGH the capital contract.
//!
//! Three capital providers (fresh keys) get stETH (the fixture's faucet stands in for staking
//! Ether at Lido) and deposit it; the stETH oracle's rebases accrue yield; the owner bootstraps
//! the empty wstETH/MOR pair with the first day's yield, and an outside liquidity provider joins
//! the pool through the genuine `UniswapV2Router02` (a pool of one day's yield could not take
//! the next harvest's swap within the slippage bound); on day six, after the oracle's next
//! report, a capital provider pokes, waits the TWAP window and harvests (permissionless) the
//! yield into protocol-owned liquidity; at seven days anyone's
//! `fundCompute` forwards the compute bucket's emission (about 20,000 MOR at today's rate) to
//! the compute contract, which the market then spends. At the end the capital providers claim
//! their MOR and one withdraws its principal; [`settle`] reads the books.

use std::time::Duration;

use alloy_primitives::{keccak256, Address, U256};
use alloy_signer_local::PrivateKeySigner;
use anyhow::{ensure, Context, Result};
use yellowstone_chain::capital::{
    send::{BootstrapOutcome, FundOutcome, HarvestOutcome},
    Capital,
};
use yellowstone_devnet::{
    capital::CapitalConfig,
    fixtures::{IStEth, IWstEth},
    uniswap::{IUniswapV2Pair, IUniswapV2Router02},
};
use yellowstone_protocol::{time::DAY, WAD};

use super::capital_report::{CapitalReport, CapitalRow};
use super::devnet::{dev_key, Devnet, IToken, POLL_INTERVAL};

/// One capital provider of the demo.
#[derive(Clone, Copy, Debug)]
pub struct CapitalSpec {
    /// A short name for the table.
    pub name: &'static str,
    /// stETH it gets and deposits (whole stETH).
    pub st_eth: u64,
    /// Whether it withdraws its whole principal at the end.
    pub withdraws: bool,
}

/// The three capital providers.
pub const CAPITAL_SPECS: [CapitalSpec; 3] = [
    CapitalSpec {
        name: "aurora",
        st_eth: 400,
        withdraws: false,
    },
    CapitalSpec {
        name: "cedar",
        st_eth: 250,
        withdraws: false,
    },
    CapitalSpec {
        name: "delta",
        st_eth: 100,
        withdraws: true,
    },
];

/// The compute bucket's emission forwarded: seven days of it (about 20,000 MOR at today's rate).
pub const FUNDING_DAYS: u64 = 7;
/// The stETH oracle's daily rebase: 82 parts per million, about 3% a year.
const DAILY_YIELD_PPM: u64 = 82;
/// The first price the owner sets: 500 MOR per wstETH.
const BOOTSTRAP_PRICE: u64 = 500;
/// stETH an outside liquidity provider (account 0) wraps and adds to the pool via Router02.
const OUTSIDE_LP_ST_ETH: u64 = 50;
/// MOR in the capital contract's reserve (claims and compute funding), sent by account 0.
const RESERVE_MOR: u64 = 100_000;
/// The gas limit of the capital client's transactions (simulated first, not estimated).
const GAS_LIMIT: u64 = 5_000_000;
/// Bound of every chain read of the capital client.
const TIMEOUT: Duration = Duration::from_secs(10);

/// The capital side's deployment: Morpheus's buckets, MOR paid from a reserve, the compute
/// contract funded; stETH for account 0 only (the outside liquidity provider; the capital
/// providers take theirs from the faucet).
pub fn config() -> CapitalConfig {
    CapitalConfig {
        reserve: wei(RESERVE_MOR),
        st_eth_holders: vec![0],
        ..CapitalConfig::default()
    }
}

fn wei(whole: u64) -> U256 {
    U256::from(whole) * WAD
}

/// A capital provider at work.
#[derive(Clone, Debug)]
pub struct CapitalProvider {
    /// Its spec.
    pub spec: CapitalSpec,
    /// Its client (signing with its key).
    pub client: Capital,
}

/// What the capital side did before the market opened.
#[derive(Clone, Debug)]
pub struct CapitalSide {
    /// The capital providers.
    pub providers: Vec<CapitalProvider>,
    /// The second both buckets began to accrue.
    pub start: u64,
    /// The reserve sent at deployment.
    pub reserve: U256,
    /// stETH credited to each provider by its deposit, in order.
    pub deposited: Vec<U256>,
    /// The owner's bootstrap of the pair.
    pub bootstrap: BootstrapOutcome,
    /// LP tokens the outside liquidity provider received.
    pub outside_lp: U256,
    /// The harvest.
    pub harvest: HarvestOutcome,
    /// The compute funding, and its block's timestamp.
    pub funded: (FundOutcome, u64),
}

/// Runs the capital side up to the compute funding: deposits, rebases, bootstrap, outside
/// liquidity, poke, harvest, `fundCompute`.
pub async fn fund_compute(net: &Devnet) -> Result<CapitalSide> {
    let d = net
        .deployment
        .capital
        .clone()
        .context("no capital side deployed")?;
    let owner = dev_key(0)?;
    let (url, capital) = (&net.url(), d.capital);
    let connect = move |key: PrivateKeySigner| async move {
        let client = Capital::connect(url, capital, Some(key), TIMEOUT)
            .await?
            .with_gas_limit(GAS_LIMIT);
        client.set_poll_interval(POLL_INTERVAL);
        anyhow::Ok(client)
    };
    let owner_client = connect(owner.clone()).await?;
    let start = owner_client.accrual_start().await?;

    let mut providers = Vec::new();
    let mut deposited = Vec::new();
    for spec in CAPITAL_SPECS {
        let key = capital_key(spec.name)?;
        let stake = wei(spec.st_eth);
        // Ether for gas; the fixture's faucet stands in for staking Ether at Lido.
        net.send_eth(&owner, key.address(), WAD).await?;
        let mint = IStEth::mintCall {
            to: key.address(),
            amount: stake,
        };
        net.send(&key, d.st_eth, mint).await?;
        let client = connect(key).await?;
        let held = client
            .balance(d.st_eth, client.signer().unwrap_or_default())
            .await?;
        deposited.push(client.deposit(held).await?.credited);
        providers.push(CapitalProvider { spec, client });
    }

    // Day 1: the oracle's first report; the owner prices the empty pair with that yield.
    net.advance_to(start + DAY).await?;
    rebase(net, &owner, d.st_eth, 1).await?;
    let pending = owner_client.totals(None).await?.pending_yield;
    let wst: U256 = net
        .view(
            d.wst_eth,
            IWstEth::getWstETHByStETHCall {
                stEthAmount: pending,
            },
        )
        .await?;
    let bootstrap = owner_client
        .bootstrap_pool(wst * U256::from(BOOTSTRAP_PRICE))
        .await?;
    let outside_lp = add_outside_liquidity(net, &owner).await?;

    // Day 6: the oracle's next report (five days of yield); then anyone pokes, waits the TWAP
    // window and harvests.
    net.advance_to(start + 6 * DAY).await?;
    rebase(net, &owner, d.st_eth, 5).await?;
    let keeper = &providers[0].client;
    let poked = keeper.poke().await?;
    let window = keeper.status(None).await?.parameters.twap_window;
    net.advance_to(poked.observed_at + window).await?;
    let harvest = keeper.harvest().await?;

    // Seven days after the start: the compute bucket's emission goes to the compute contract.
    net.set_next_timestamp(start + FUNDING_DAYS * DAY).await?;
    let fund = keeper.fund_compute().await?;
    ensure!(
        fund.failed.is_zero(),
        "the compute contract refused {} wei",
        fund.failed
    );
    let fund_ts = keeper.block_timestamp(fund.tx.block).await?;
    Ok(CapitalSide {
        providers,
        start,
        reserve: wei(RESERVE_MOR),
        deposited,
        bootstrap,
        outside_lp,
        harvest,
        funded: (fund, fund_ts),
    })
}

/// A capital provider's key, derived from its name.
fn capital_key(name: &str) -> Result<PrivateKeySigner> {
    let seed = keccak256(format!("yellowstone demo capital provider {name}"));
    PrivateKeySigner::from_bytes(&seed).context("a capital provider's key")
}

/// The stETH oracle (account 0) reports `days` of yield: the total pooled Ether grows by
/// [`DAILY_YIELD_PPM`] a day, every balance with it.
async fn rebase(net: &Devnet, oracle: &PrivateKeySigner, st_eth: Address, days: u64) -> Result<()> {
    let pooled: U256 = net.view(st_eth, IStEth::getTotalPooledEtherCall {}).await?;
    let million = U256::from(1_000_000u64);
    let grown = pooled * (million + U256::from(DAILY_YIELD_PPM * days)) / million;
    let call = IStEth::rebaseCall {
        totalPooledEther: grown,
    };
    net.send(oracle, st_eth, call).await.map(drop)
}

/// Account 0 joins the pool as an outside liquidity provider: wraps stETH and adds it with
/// MOR at the pair's ratio through the genuine Router02. Returns the LP tokens it received.
async fn add_outside_liquidity(net: &Devnet, lp: &PrivateKeySigner) -> Result<U256> {
    let d = net
        .deployment
        .capital
        .clone()
        .context("no capital side deployed")?;
    let me = lp.address();
    let st = wei(OUTSIDE_LP_ST_ETH);
    let approve = |spender, value| IToken::approveCall { spender, value };
    net.send(lp, d.st_eth, approve(d.wst_eth, st)).await?;
    net.send(lp, d.wst_eth, IWstEth::wrapCall { stEthAmount: st })
        .await?;
    let wst: U256 = net
        .view(d.wst_eth, IWstEth::balanceOfCall { account: me })
        .await?;
    let reserves = net.view(d.pair, IUniswapV2Pair::getReservesCall {}).await?;
    let token0 = net.view(d.pair, IUniswapV2Pair::token0Call {}).await?;
    let (r0, r1) = (U256::from(reserves.reserve0), U256::from(reserves.reserve1));
    let (r_wst, r_native) = if token0 == d.wst_eth {
        (r0, r1)
    } else {
        (r1, r0)
    };
    let native = wst * r_native / r_wst + U256::from(1u64);
    net.send(lp, d.wst_eth, approve(d.router, wst)).await?;
    net.send(lp, d.native, approve(d.router, native)).await?;
    let before = net
        .view(d.pair, IUniswapV2Pair::balanceOfCall { owner: me })
        .await?;
    let add = IUniswapV2Router02::addLiquidityCall {
        tokenA: d.wst_eth,
        tokenB: d.native,
        amountADesired: wst,
        amountBDesired: native,
        amountAMin: U256::ZERO,
        amountBMin: U256::ZERO,
        to: me,
        deadline: U256::from(net.now().await? + DAY),
    };
    net.send(lp, d.router, add).await?;
    let after = net
        .view(d.pair, IUniswapV2Pair::balanceOfCall { owner: me })
        .await?;
    Ok(after - before)
}

/// The end: every capital provider claims, the one that withdraws takes its principal back,
/// and the books are read at one block.
pub async fn settle(
    net: &Devnet,
    side: &CapitalSide,
    compute_funded: U256,
) -> Result<CapitalReport> {
    let d = net
        .deployment
        .capital
        .clone()
        .context("no capital side deployed")?;
    let mut claimed = Vec::new();
    let mut withdrawn = Vec::new();
    for p in &side.providers {
        claimed.push(p.client.claim().await?.paid);
        let me = p.client.signer().unwrap_or_default();
        let paid = if p.spec.withdraws {
            let (principal, _, _) = p.client.position(me, None).await?;
            let before = p.client.balance(d.st_eth, me).await?;
            let done = p.client.withdraw(principal).await?;
            let after = p.client.balance(d.st_eth, me).await?;
            (done.amount, done.paid, after - before)
        } else {
            (U256::ZERO, U256::ZERO, U256::ZERO)
        };
        withdrawn.push(paid);
    }
    let reader = &side.providers[0].client;
    let status = reader.status(None).await?;
    let mut rows = Vec::new();
    for (i, p) in side.providers.iter().enumerate() {
        let me = p.client.signer().unwrap_or_default();
        let (principal, unlock_at, owed) = reader.position(me, Some(status.block)).await?;
        let (withdrew, paid, received) = withdrawn[i];
        rows.push(CapitalRow {
            name: p.spec.name.into(),
            address: me,
            deposited: side.deposited[i],
            principal,
            unlock_at,
            owed,
            claimed: claimed[i],
            withdrawn: withdrew,
            withdrawal_paid: paid,
            withdrawal_received: received,
        });
    }
    let native_held = net
        .view(d.native, IToken::balanceOfCall { account: d.capital })
        .await?;
    let lp_balance = net
        .view(d.pair, IUniswapV2Pair::balanceOfCall { owner: d.capital })
        .await?;
    Ok(CapitalReport {
        rows,
        start: side.start,
        reserve: side.reserve,
        bootstrap: side.bootstrap.clone(),
        outside_lp: side.outside_lp,
        harvest: side.harvest.clone(),
        funded: side.funded.0.sent,
        funded_at: side.funded.1,
        compute_funded,
        native_held,
        lp_balance,
        status,
    })
}
