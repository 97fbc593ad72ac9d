//! `yellowstone capital`: the capital provider's commands (deposit, withdraw, claim), anyone's
//! (poke, harvest, fund-compute), the owner's bootstrap, and the status, over the capital
//! contract's client in `yellowstone_chain::capital`. A refusal is printed as the contract's
//! typed error with what to do about it.

use std::time::Duration;

use alloy_primitives::{Address, U256};
use anyhow::{anyhow, Result};
use clap::Subcommand;
use yellowstone_chain::capital::{Capital, CapitalCallError, CapitalError, CapitalStatus};
use yellowstone_protocol::dev::Deployment;

use super::chain_args::{ChainArgs, Tool};

use crate::units::format_mor as amount;

/// Bound of every chain RPC.
const CHAIN_TIMEOUT: Duration = Duration::from_secs(10);

const AFTER_LONG_HELP: &str = "\
A capital provider, in order:
  1. deposit <stETH>     Lends nothing: the stETH stays in the contract 1:1 as your principal;
                         its yield (stETH rebases) goes to the project. Locked at least the
                         minimum lock (7 days by default); a top-up weights the unlock time
                         instead of re-locking everything.
  2. status              Your principal, unlock time and the native token (MOR) owed: the
                         capital bucket's emission accrues every second, pro rata to principal.
  3. claim               Pays what is owed. Never locked, never paused.
  4. withdraw <stETH>    After the unlock time, your principal back (pro rata less only if a
                         negative rebase left the backing below the principal).

Anyone keeps the machine running:
  poke                   Opens a price observation of the wstETH/native pair.
  harvest                At least the TWAP window (30 min by default) after the observation, at
                         most once a day: wraps the yield, swaps about half for the native token
                         at no worse than the pair's own TWAP less slippage, and adds both as
                         liquidity the contract holds forever. Opens the next observation.
  fund-compute           Forwards the compute bucket's emission to the compute contract.

The owner, once: bootstrap-pool <native> gives the empty pair its first price (the yield so far
against <native> of the owner's native token, within the price bounds fixed at deployment).

The capital contract comes from --capital, or the `capital` section of a devnet --deployments
file (`yellowstone devnet --capital`). The key (for transactions; `status` needs none) comes
from --key-file or YELLOWSTONE_CAPITAL_KEY (hex) and is never logged; the public development
keys are refused on any chain but the devnet. Amounts are decimal stETH or native tokens
(18 decimals, exact: 12.5, 0.001). A refusal prints the contract's typed error and what to do.";

/// Capital providers: deposit stETH, earn the project's native token, keep the principal.
///
/// The capital contract (SPEC 7, the Techno Capital Machine) holds stETH 1:1, turns its yield
/// into protocol-owned liquidity, pays the capital bucket's emission to depositors every second
/// pro rata, and forwards the compute bucket's emission to the compute contract.
#[derive(Debug, clap::Args)]
#[command(after_long_help = AFTER_LONG_HELP)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

// Each subcommand's help is its arguments struct's doc comment.
#[derive(Debug, Subcommand)]
enum Command {
    Deposit(AmountArgs),
    Withdraw(WithdrawArgs),
    Claim(PlainArgs),
    Poke(PokeArgs),
    Harvest(HarvestArgs),
    FundCompute(FundArgs),
    Status(StatusArgs),
    BootstrapPool(BootstrapArgs),
}

impl Args {
    /// Runs the subcommand.
    pub fn run(self) -> Result<()> {
        super::init_tracing();
        super::block_on(async move {
            match self.command {
                Command::Deposit(a) => a.deposit().await,
                Command::Withdraw(a) => a.run().await,
                Command::Claim(a) => a.claim().await,
                Command::Poke(a) => a.run().await,
                Command::Harvest(a) => a.run().await,
                Command::FundCompute(a) => a.run().await,
                Command::Status(a) => a.run().await,
                Command::BootstrapPool(a) => a.run().await,
            }
        })?
    }
}

/// The capital tool's flags: --capital, YELLOWSTONE_CAPITAL_KEY.
#[derive(Debug)]
struct CapitalTool;

impl Tool for CapitalTool {
    const ROLE: &'static str = "capital";
    const KEY_ENV: &'static str = "YELLOWSTONE_CAPITAL_KEY";
    const KEY_FILE_HELP: &'static str =
        "File holding the capital provider's private key (hex). Or set YELLOWSTONE_CAPITAL_KEY";
    const CONTRACT_FLAG: &'static str = "capital";
    const CONTRACT_VALUE: &'static str = "CAPITAL";
    const CONTRACT_ENV: &'static str = "YELLOWSTONE_CAPITAL";
    const CONTRACT_HELP: &'static str =
        "The capital contract [default: the --deployments file's `capital` section]";
    const DEPLOYMENTS_HELP: &'static str =
        "A devnet deployments JSON (`yellowstone devnet --capital --deployments`): its RPC URL \
         and capital contract are used; its keys are not";

    fn contract(deployment: &Deployment) -> Option<Address> {
        deployment.capital.as_ref().map(|c| c.capital)
    }
}

/// Where the chain and the capital contract are, who signs, how to print.
type Conn = ChainArgs<CapitalTool>;

impl Conn {
    /// Connects to the capital contract, signing with the key when `signing` (else with the
    /// key only when one is given).
    async fn connect(&self, signing: bool) -> Result<Capital> {
        let (rpc_url, capital) = self.endpoint()?;
        let capital = capital.ok_or_else(|| {
            anyhow!(
                "no capital contract: pass --capital <address> (or YELLOWSTONE_CAPITAL), or \
                 --deployments <file> from `yellowstone devnet --capital`"
            )
        })?;
        let key = if signing {
            Some(self.key()?)
        } else {
            self.key_if_given()?
        };
        Ok(Capital::connect(&rpc_url, capital, key, CHAIN_TIMEOUT).await?)
    }
}

/// Parses a decimal stETH (or native token) amount into wei, exactly (18 decimals).
fn parse_amount(text: &str) -> Result<U256, String> {
    crate::units::parse_mor(text).map_err(|e| e.replace("MOR", "token"))
}

/// Deposits stETH as principal; approves the contract first when the allowance is short.
///
/// What arrives is credited (a rebasing transfer may lose a wei or two) and locked until the
/// principal-weighted mean of your current unlock time and now + the minimum lock (7 days by
/// default): a top-up never re-locks the whole balance. From the next second your principal
/// earns its share of the capital bucket's emission. Refusals: EnforcedPause (deposits are
/// paused; withdrawals and claims are not), ZeroAmount, TokenCallFailed.
///
/// Example: yellowstone capital deposit 12.5 --deployments deployments.json
#[derive(Debug, clap::Args)]
struct AmountArgs {
    /// stETH to deposit, decimal (e.g. 100 or 12.5).
    #[arg(value_parser = parse_amount)]
    amount: U256,
    #[command(flatten)]
    conn: Conn,
}

impl AmountArgs {
    async fn deposit(self) -> Result<()> {
        let c = self.conn.connect(true).await?;
        let done = checked(&c, c.deposit(self.amount).await).await?;
        let mut text = String::new();
        if let Some(tx) = &done.approve {
            text += &format!("approve {} (gas {})\n", tx.hash, tx.gas_used);
        }
        text += &format!(
            "deposit {} (gas {})\ncredited {} stETH; principal {} stETH, unlocks {}",
            done.tx.hash,
            done.tx.gas_used,
            amount(done.credited),
            amount(done.principal),
            utc(done.unlock_at)
        );
        self.conn.print(&done, text)
    }
}

/// Withdraws principal once it is unlocked.
///
/// Pays amount x min(1, backing / principal) stETH: the full amount unless a negative rebase
/// left the contract's stETH below the total principal, in which case every withdrawal takes
/// the same loss (never the last to leave). What you are owed stays claimable. Refusals:
/// StillLocked (prints the unlock time in UTC), InsufficientPrincipal, ZeroAmount.
///
/// Example: yellowstone capital withdraw 12.5
#[derive(Debug, clap::Args)]
struct WithdrawArgs {
    /// Principal to withdraw, decimal stETH.
    #[arg(value_parser = parse_amount)]
    amount: U256,
    #[command(flatten)]
    conn: Conn,
}

impl WithdrawArgs {
    async fn run(self) -> Result<()> {
        let c = self.conn.connect(true).await?;
        let done = checked(&c, c.withdraw(self.amount).await).await?;
        let text = format!(
            "withdraw {} (gas {})\nwithdrew {} stETH of principal, paid {} stETH; principal left {} stETH",
            done.tx.hash,
            done.tx.gas_used,
            amount(done.amount),
            amount(done.paid),
            amount(done.principal)
        );
        self.conn.print(&done, text)
    }
}

/// Claims the native token (MOR) you are owed: never locked, never paused.
///
/// The capital bucket's emission accrues every second to each capital provider pro rata to
/// principal; `status` shows what is owed. Refusals: NothingToClaim, ReserveShort (the
/// project's reserve must be topped up).
///
/// Example: yellowstone capital claim
#[derive(Debug, clap::Args)]
struct PlainArgs {
    #[command(flatten)]
    conn: Conn,
}

impl PlainArgs {
    async fn claim(self) -> Result<()> {
        let c = self.conn.connect(true).await?;
        let done = checked(&c, c.claim().await).await?;
        let text = format!(
            "claim {} (gas {})\npaid {} of the native token",
            done.tx.hash,
            done.tx.gas_used,
            amount(done.paid)
        );
        self.conn.print(&done, text)
    }
}

/// Opens a price observation of the pair (anyone may).
///
/// The harvest prices its swap from the pair's own time-weighted average since the
/// observation, which must be at least the TWAP window old (30 minutes by default). An open
/// observation can only be replaced once it is older than twice the window, so nobody can keep
/// pushing the harvest away; a harvest opens the next one itself. Refusals: ObservationOpen
/// (prints when it may be reopened), PoolEmpty.
///
/// Example: yellowstone capital poke
#[derive(Debug, clap::Args)]
struct PokeArgs {
    #[command(flatten)]
    conn: Conn,
}

impl PokeArgs {
    async fn run(self) -> Result<()> {
        let c = self.conn.connect(true).await?;
        let done = checked(&c, c.poke().await).await?;
        let window = c.status(None).await?.parameters.twap_window;
        let text = format!(
            "poke {} (gas {})\nobservation opened {}; harvest from {}",
            done.tx.hash,
            done.tx.gas_used,
            utc(done.observed_at),
            utc(done.observed_at + window)
        );
        self.conn.print(&done, text)
    }
}

/// Harvests the yield into protocol-owned liquidity (anyone may; at most once a day).
///
/// Wraps the stETH yield to wstETH (a rebasing token inside a pair would leak every rebase to
/// `skim`), swaps the single-sided optimal share for the native token directly on the pair,
/// requiring at least the TWAP quote less the pair's 0.3% fee and the slippage bound, adds both
/// sides as liquidity (the LP tokens never leave the contract) and carries what does not fit
/// the pair's ratio into the next harvest. Refusals, in the order checked: EnforcedPause,
/// HarvestTooSoon (prints when), NoObservation (poke first), TwapWindowTooShort (prints when to
/// retry), PoolEmpty, SpotDeviates (someone moved the price), NothingToHarvest,
/// SlippageExceeded.
///
/// Example: yellowstone capital harvest
#[derive(Debug, clap::Args)]
struct HarvestArgs {
    #[command(flatten)]
    conn: Conn,
}

impl HarvestArgs {
    async fn run(self) -> Result<()> {
        let c = self.conn.connect(true).await?;
        let done = checked(&c, c.harvest().await).await?;
        let text = format!(
            "harvest {} (gas {})\nwrapped {} stETH of yield; swapped {} wstETH for {} native; \
             minted {} LP (held forever); carried {} wstETH and {} native",
            done.tx.hash,
            done.tx.gas_used,
            amount(done.yield_wrapped),
            amount(done.swapped_in),
            amount(done.bought),
            amount(done.liquidity),
            amount(done.carried_wst),
            amount(done.carried_native)
        );
        self.conn.print(&done, text)
    }
}

/// Forwards the compute bucket's emission to the compute contract's `fund` (anyone may).
///
/// Sends the compute bucket's emission accrued since the last call, plus the capital emission
/// kept while nothing was deposited, plus anything a refused `fund` left owed. If the compute
/// contract refuses, the amount stays owed and the next call retries it (the call itself
/// succeeds). Never paused. Refusals: ReserveShort.
///
/// Example: yellowstone capital fund-compute
#[derive(Debug, clap::Args)]
struct FundArgs {
    #[command(flatten)]
    conn: Conn,
}

impl FundArgs {
    async fn run(self) -> Result<()> {
        let c = self.conn.connect(true).await?;
        let done = checked(&c, c.fund_compute().await).await?;
        let mut text = format!(
            "fundCompute {} (gas {})\nsent {} native to the compute contract {}",
            done.tx.hash,
            done.tx.gas_used,
            amount(done.sent),
            c.config().compute
        );
        if !done.failed.is_zero() {
            text += &format!(
                "\nthe compute contract refused {} native: it stays owed; run fund-compute again later",
                amount(done.failed)
            );
        }
        self.conn.print(&done, text)
    }
}

/// The owner gives the empty pair its first price (once).
///
/// Wraps the yield so far, pulls <native> of your native token (approved first when the
/// allowance is short) and adds both as the pair's first liquidity, held by the contract. The
/// price, native per wstETH, must lie within the bounds fixed at deployment. Refusals:
/// NotOwner, PoolNotEmpty, NothingToHarvest (no yield yet), PriceOutOfBounds (prints the range).
///
/// Example: yellowstone capital bootstrap-pool 1500
#[derive(Debug, clap::Args)]
struct BootstrapArgs {
    /// Native token to pair with the yield, decimal.
    #[arg(value_parser = parse_amount)]
    native: U256,
    #[command(flatten)]
    conn: Conn,
}

impl BootstrapArgs {
    async fn run(self) -> Result<()> {
        let c = self.conn.connect(true).await?;
        let done = checked(&c, c.bootstrap_pool(self.native).await).await?;
        let mut text = String::new();
        if let Some(tx) = &done.approve {
            text += &format!("approve {} (gas {})\n", tx.hash, tx.gas_used);
        }
        text += &format!(
            "bootstrapPool {} (gas {})\npaired {} wstETH with {} native; minted {} LP (held forever)",
            done.tx.hash,
            done.tx.gas_used,
            amount(done.wst),
            amount(done.native),
            amount(done.liquidity)
        );
        self.conn.print(&done, text)
    }
}

/// Shows the capital contract: a position, the books, the harvest, the pool and the schedule.
///
/// Position (of <ADDRESS>, else of your key's account, else none): principal, unlock time,
/// native token owed, wallet balances. Totals: principal, stETH backing and pending yield,
/// emission distributed, paid and kept, compute bucket sent and owed. Harvest: last harvest and
/// the next allowed, the open observation's age against the TWAP window, the pair's spot price
/// and TWAP, carried amounts, the LP tokens held and their share of the pair's reserves.
/// Parameters, and both buckets' schedules with this interval's emission. Everything is read
/// at one block; no key is needed.
///
/// Example: yellowstone capital status 0x70997970C51812dc3A010C7d01b50e0d17dc79C8 --json
#[derive(Debug, clap::Args)]
struct StatusArgs {
    /// The capital provider to show [default: your key's account, if a key is given].
    address: Option<Address>,
    #[command(flatten)]
    conn: Conn,
}

impl StatusArgs {
    async fn run(self) -> Result<()> {
        let c = self.conn.connect(false).await?;
        let who = self.address.or(c.signer());
        let s = c.status(who).await?;
        self.conn.print(&s, status_text(&s))
    }
}

/// `result` of a call through `c`; a refusal with what to do about it when the contract said
/// why.
async fn checked<T>(c: &Capital, result: Result<T, CapitalCallError>) -> Result<T> {
    let e = match result {
        Ok(value) => return Ok(value),
        Err(e) => e,
    };
    let Some(error) = e.capital_error() else {
        return Err(e.into());
    };
    let now = c.latest_block().await.map_or(0, |(_, ts)| ts);
    match advice(error, c, now) {
        Some(advice) => Err(anyhow!("{e}\n  {advice}")),
        None => Err(e.into()),
    }
}

/// What to do about `error` (the chain's clock at `now`), when there is something to say.
fn advice(error: &CapitalError, c: &Capital, now: u64) -> Option<String> {
    use CapitalError as E;
    Some(match error {
        E::StillLocked(e) => format!(
            "your principal unlocks at {} (in {}); claims are never locked: `yellowstone capital claim`",
            utc(e.unlockAt),
            span(e.unlockAt.saturating_sub(e.now))
        ),
        E::InsufficientPrincipal(e) => format!(
            "your principal is {} stETH: withdraw at most that",
            amount(e.principal)
        ),
        E::NothingToClaim(_) => {
            "nothing is owed yet: emission accrues every second to principal (see `yellowstone capital status`)".into()
        }
        E::ReserveShort(e) => format!(
            "the contract's native-token reserve holds {} but {} is needed: the project must top it up (a plain transfer to {})",
            amount(e.available),
            amount(e.needed),
            c.config().capital
        ),
        E::HarvestTooSoon(e) => format!(
            "one harvest a day: retry at {} (in {})",
            utc(e.nextAt),
            span(e.nextAt.saturating_sub(e.now))
        ),
        E::NoObservation(_) => {
            "no price observation is open: run `yellowstone capital poke`, then harvest once the TWAP window has passed".into()
        }
        E::TwapWindowTooShort(e) => {
            let wait = e.minimum.saturating_sub(e.elapsed);
            format!(
                "the observation is {} s old, the TWAP window is {} s: retry in {} (at about {})",
                e.elapsed,
                e.minimum,
                span(wait),
                utc(now + wait)
            )
        }
        E::ObservationOpen(e) => format!(
            "an observation is already open: harvest once it is a TWAP window old; a new one may be opened from {} (in {})",
            utc(e.reopensAt),
            span(e.reopensAt.saturating_sub(e.now))
        ),
        E::PoolEmpty(_) => {
            "the pair has no liquidity yet: the owner must give it its first price with `yellowstone capital bootstrap-pool <native>`".into()
        }
        E::PoolNotEmpty(_) => {
            "the pair already has its price: harvests add to it (`yellowstone capital harvest`)".into()
        }
        E::SpotDeviates(_) => {
            "the pair's spot price moved away from its time-weighted average (a trade, or a manipulation): wait for arbitrage to bring it back, then retry".into()
        }
        E::SlippageExceeded(_) => {
            "the swap would return less than the TWAP quote less slippage: retry after the next observation".into()
        }
        E::NothingToHarvest(_) => {
            "there is no yield since the last harvest: wait for the next stETH rebase".into()
        }
        E::EnforcedPause(_) => {
            "the owner paused deposits and harvests; withdrawals, claims and fund-compute still work".into()
        }
        E::NotOwner(_) => "only the capital contract's owner may do this (see `status`)".into(),
        E::PriceOutOfBounds(e) => format!(
            "the price (native per wstETH) must lie between {} and {}: choose the native amount accordingly",
            amount(e.minimum),
            amount(e.maximum)
        ),
        E::ZeroAmount(_) => "the amount must be above zero (and a deposit must deliver some stETH)".into(),
        E::TokenCallFailed(e) => format!(
            "the token {} refused to move {} wei: check your balance and allowance",
            e.token, e.amount
        ),
        _ => return None,
    })
}

/// A unix time as `YYYY-MM-DD HH:MM:SS UTC` (`never` for 0).
fn utc(ts: u64) -> String {
    if ts == 0 {
        return "never".into();
    }
    let (days, rest) = (ts / 86_400, ts % 86_400);
    // Howard Hinnant's civil_from_days, for days on or after 1970-01-01.
    let z = days + 719_468;
    let (era, doe) = (z / 146_097, z % 146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        rest / 3_600,
        rest % 3_600 / 60,
        rest % 60
    )
}

/// A duration as `6 d 23 h 59 min`, `29 min 10 s`, `12 s`.
fn span(seconds: u64) -> String {
    let (d, h, m, s) = (
        seconds / 86_400,
        seconds % 86_400 / 3_600,
        seconds % 3_600 / 60,
        seconds % 60,
    );
    match (d, h, m) {
        (0, 0, 0) => format!("{s} s"),
        (0, 0, _) => format!("{m} min {s} s"),
        (0, _, _) => format!("{h} h {m} min"),
        _ => format!("{d} d {h} h {m} min"),
    }
}

/// The status in lines.
fn status_text(s: &CapitalStatus) -> String {
    let (c, t, h, p) = (&s.config, &s.totals, &s.harvest, &s.pool);
    let n = &s.native_symbol;
    let mode = if c.mints_native {
        "minted by the contract"
    } else {
        "paid from the contract's reserve"
    };
    let mut out = format!(
        "capital contract {} at block {} ({})\n  stETH {}, wstETH {}, native {} {n} ({mode})\n  \
         pair {}, compute {}, owner {}; deposits and harvests {}\n",
        c.capital,
        s.block,
        utc(s.timestamp),
        c.st_eth,
        c.wst_eth,
        c.native,
        c.pair,
        c.compute,
        s.owner,
        if s.paused { "PAUSED" } else { "open" }
    );
    if let Some(a) = &s.account {
        let unlock = match a.unlock_at {
            0 => "no deposit".to_string(),
            at if at <= s.timestamp => format!("unlocked since {}", utc(at)),
            at => format!("locked until {} (in {})", utc(at), span(at - s.timestamp)),
        };
        out += &format!(
            "position of {}\n  principal        {} stETH, {unlock}\n  owed             {} {n}, \
             claimable now\n  wallet           {} stETH, {} {n}\n",
            a.address,
            amount(a.principal),
            amount(a.owed),
            amount(a.st_eth_balance),
            amount(a.native_balance)
        );
    }
    out += &format!(
        "totals\n  principal        {} stETH; backing {} stETH; pending yield {} stETH\n  \
         capital bucket   distributed {} {n}, paid {}; kept {} (no deposits: routed to compute)\n  \
         compute bucket   sent {} {n}; owed {} (after a refused fund)\n",
        amount(t.principal),
        amount(t.backing),
        amount(t.pending_yield),
        amount(t.distributed),
        amount(t.paid),
        amount(t.kept),
        amount(t.compute_sent),
        amount(t.compute_owed)
    );
    let next = match h.last_harvest {
        0 => "never; the first may run as soon as an observation is ready".to_string(),
        last => format!("{}; the next from {}", utc(last), utc(h.next_harvest_at)),
    };
    let observation = match h.observed_at {
        0 => "none open: `poke` opens one".to_string(),
        at => format!(
            "opened {} ({} old); TWAP window {} s: {}",
            utc(at),
            span(h.observation_age),
            s.parameters.twap_window,
            if h.observation_age >= s.parameters.twap_window {
                "ready".to_string()
            } else {
                format!("ready at {}", utc(h.twap_ready_at))
            }
        ),
    };
    out += &format!(
        "harvest\n  last harvest     {next}\n  observation      {observation}\n  \
         price            spot {} {n} per wstETH, TWAP {} ({})\n  \
         carried          {} wstETH, {} {n}\n",
        amount(h.spot_price_wad),
        amount(h.twap_price_wad),
        if h.spot_within_deviation {
            "within the allowed deviation"
        } else {
            "no TWAP yet, or spot outside the allowed deviation"
        },
        amount(h.carried_wst),
        amount(h.carried_native)
    );
    out += &format!(
        "protocol-owned liquidity\n  LP held          {} of {} LP tokens (held forever)\n  \
         pair reserves    {} wstETH, {} {n}; the contract's share {} wstETH, {} {n}\n",
        amount(p.lp_held),
        amount(p.lp_supply),
        amount(p.reserve_wst),
        amount(p.reserve_native),
        amount(p.owned_wst),
        amount(p.owned_native)
    );
    let q = &s.parameters;
    out += &format!(
        "parameters         minimum lock {}, TWAP window {} s, max deviation {} bps, slippage {} bps\n",
        span(q.min_lock),
        q.twap_window,
        q.max_deviation_bps,
        q.slippage_bps
    );
    let sc = &s.schedule;
    out += &format!(
        "schedule           interval {} since {} ({} s each)\n",
        sc.current_interval,
        utc(sc.payout_start),
        sc.interval
    );
    for (name, b) in [
        ("capital bucket", &sc.capital),
        ("compute bucket", &sc.compute),
    ] {
        out += &format!(
            "  {name}   {} {n} this interval ({} at first, {} less each; ends {})\n",
            amount(b.this_interval),
            amount(b.initial),
            amount(b.decrease),
            utc(b.end)
        );
    }
    out.trim_end().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_times_print_as_calendar_dates() {
        assert_eq!(utc(1_707_393_600), "2024-02-08 12:00:00 UTC");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(utc(1_767_225_599), "2025-12-31 23:59:59 UTC");
        assert_eq!(utc(0), "never");
    }

    #[test]
    fn spans_print_in_the_largest_units() {
        assert_eq!(span(12), "12 s");
        assert_eq!(span(1_750), "29 min 10 s");
        assert_eq!(span(7 * 86_400 - 60), "6 d 23 h 59 min");
    }
}
