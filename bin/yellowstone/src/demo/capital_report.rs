//! The capital side's part of the demo's report: a row per capital provider, the
//! protocol-owned liquidity, and the books checked to the wei.

use std::fmt;

use alloy_primitives::{Address, U256};
use serde::Serialize;
use yellowstone_chain::capital::{
    send::{BootstrapOutcome, HarvestOutcome},
    CapitalStatus,
};

use crate::units::format_mor as mor;

/// LP tokens the pair locks forever at its first mint (`MINIMUM_LIQUIDITY`).
const MINIMUM_LIQUIDITY: u64 = 1_000;

/// One capital provider's figures.
#[derive(Clone, Debug, Serialize)]
pub struct CapitalRow {
    /// Its name in the demo.
    pub name: String,
    /// Its address.
    pub address: Address,
    /// stETH its deposit credited.
    pub deposited: U256,
    /// stETH principal at the end.
    pub principal: U256,
    /// When the principal unlocks (unix seconds).
    pub unlock_at: u64,
    /// MOR still owed at the end (accrued since its claim).
    pub owed: U256,
    /// MOR its claim paid.
    pub claimed: U256,
    /// Principal it withdrew.
    pub withdrawn: U256,
    /// stETH the contract paid for it.
    pub withdrawal_paid: U256,
    /// stETH its wallet received (a rebasing transfer may deliver a wei less).
    pub withdrawal_received: U256,
}

/// The capital side at the end of the demo.
#[derive(Clone, Debug, Serialize)]
pub struct CapitalReport {
    /// One row per capital provider.
    pub rows: Vec<CapitalRow>,
    /// The second both buckets began to accrue.
    pub start: u64,
    /// MOR sent into the reserve at deployment.
    pub reserve: U256,
    /// The owner's bootstrap of the pair.
    pub bootstrap: BootstrapOutcome,
    /// LP tokens the outside liquidity provider holds.
    pub outside_lp: U256,
    /// The harvest.
    pub harvest: HarvestOutcome,
    /// MOR the `fundCompute` sent.
    pub funded: U256,
    /// Its block's timestamp.
    pub funded_at: u64,
    /// MOR the compute contract counts as funded (`totals().0`).
    pub compute_funded: U256,
    /// The capital contract's MOR balance at the end.
    pub native_held: U256,
    /// The pair's `balanceOf(capital contract)` at the end.
    pub lp_balance: U256,
    /// The contract's status at the end (totals, pool, schedule).
    pub status: CapitalStatus,
}

/// One line of the books: what it says and whether it holds.
#[derive(Clone, Debug, Serialize)]
pub struct Check {
    /// The line.
    pub text: String,
    /// Whether it balances.
    pub ok: bool,
}

impl CapitalReport {
    fn sum(&self, f: impl Fn(&CapitalRow) -> U256) -> U256 {
        self.rows.iter().map(f).sum()
    }

    /// The capital bucket's emission from the start to the status block.
    pub fn scheduled(&self) -> U256 {
        let s = &self.status;
        s.schedule
            .capital_schedule()
            .reward(self.start, s.timestamp)
    }

    /// Rounding dust: distributed less paid less owed (a wei at most per settlement of a
    /// position, as each floors its share).
    pub fn dust(&self) -> U256 {
        let t = &self.status.totals;
        t.distributed.saturating_sub(t.paid + self.sum(|r| r.owed))
    }

    /// Every line of the books.
    pub fn checks(&self) -> Vec<Check> {
        let (s, t, p) = (&self.status, &self.status.totals, &self.status.pool);
        let check = |ok: bool, text: String| Check { text, ok };
        let claimed = self.sum(|r| r.claimed);
        let held = self.native_held.saturating_sub(s.harvest.carried_native);
        let compute_bucket = s
            .schedule
            .compute_schedule()
            .reward(self.start, self.funded_at);
        let deposited = self.sum(|r| r.deposited);
        let withdrawn = self.sum(|r| r.withdrawn);
        let settlements = U256::from(4 * self.rows.len() + 1);
        vec![
            check(
                t.distributed + t.kept == self.scheduled(),
                format!(
                    "distributed {} + kept {} = the capital bucket's {} MOR since the start",
                    mor(t.distributed),
                    mor(t.kept),
                    mor(self.scheduled())
                ),
            ),
            check(
                claimed == t.paid
                    && t.paid + self.sum(|r| r.owed) <= t.distributed
                    && self.dust() <= settlements,
                format!(
                    "claimed {} + owed {} MOR + rounding dust {} wei = distributed",
                    mor(claimed),
                    mor(self.sum(|r| r.owed)),
                    self.dust()
                ),
            ),
            check(
                self.funded == compute_bucket + t.kept
                    && t.compute_sent == self.funded
                    && t.compute_owed.is_zero()
                    && self.compute_funded == self.funded,
                format!(
                    "sent to compute {} = compute bucket {} + kept {} MOR = the compute contract's funded {}",
                    mor(self.funded),
                    mor(compute_bucket),
                    mor(t.kept),
                    mor(self.compute_funded)
                ),
            ),
            check(
                self.reserve == t.paid + t.compute_sent + held,
                format!(
                    "reserve {} = claimed {} + sent to compute {} + still held {} MOR",
                    mor(self.reserve),
                    mor(t.paid),
                    mor(t.compute_sent),
                    mor(held)
                ),
            ),
            check(
                deposited - withdrawn == t.principal
                    && self.sum(|r| r.principal) == t.principal
                    && self.sum(|r| r.withdrawal_paid) == withdrawn
                    && t.backing == t.principal + t.pending_yield,
                format!(
                    "deposited {} - withdrawn {} = principal {} stETH (withdrawals paid in full); \
                     backing {} = principal + yield {}",
                    mor(deposited),
                    mor(withdrawn),
                    mor(t.principal),
                    mor(t.backing),
                    mor(t.pending_yield)
                ),
            ),
            check(
                p.lp_held == self.lp_balance
                    && p.lp_held == self.bootstrap.liquidity + self.harvest.liquidity
                    && p.lp_supply == p.lp_held + self.outside_lp + U256::from(MINIMUM_LIQUIDITY),
                format!(
                    "LP held {} = bootstrap {} + harvest {} = the pair's balanceOf(capital); \
                     supply {} = held + outside {} + {MINIMUM_LIQUIDITY} wei locked",
                    mor(p.lp_held),
                    mor(self.bootstrap.liquidity),
                    mor(self.harvest.liquidity),
                    mor(p.lp_supply),
                    mor(self.outside_lp)
                ),
            ),
        ]
    }

    /// Every line of the books holds.
    pub fn balanced(&self) -> bool {
        self.checks().iter().all(|c| c.ok)
    }
}

impl fmt::Display for CapitalReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:<9} {:>22} {:>22} {:>11} {:>24} {:>24}",
            "capital",
            "deposited stETH",
            "principal stETH",
            "unlock day",
            "owed MOR",
            "claimed MOR"
        )?;
        for r in &self.rows {
            let name = if r.withdrawn.is_zero() {
                r.name.clone()
            } else {
                format!("{}*", r.name)
            };
            writeln!(
                f,
                "{name:<9} {:>22} {:>22} {:>11} {:>24} {:>24}",
                mor(r.deposited),
                mor(r.principal),
                format!("+{} d", r.unlock_at.saturating_sub(self.start) / 86_400),
                mor(r.owed),
                mor(r.claimed)
            )?;
        }
        writeln!(
            f,
            "(* withdrew its whole principal at the end; unlock day counted from the start)"
        )?;
        let (s, t, p, h) = (
            &self.status,
            &self.status.totals,
            &self.status.pool,
            &self.harvest,
        );
        writeln!(f)?;
        writeln!(
            f,
            "pool (POL)            the capital contract holds {} of {} LP: the pair's {} wstETH / {} MOR \
             (its share {} / {})",
            mor(p.lp_held),
            mor(p.lp_supply),
            mor(p.reserve_wst),
            mor(p.reserve_native),
            mor(p.owned_wst),
            mor(p.owned_native)
        )?;
        writeln!(
            f,
            "harvest               wrapped {} stETH of yield, swapped {} wstETH for {} MOR, minted {} LP; \
             carried {} wstETH, {} MOR",
            mor(h.yield_wrapped),
            mor(h.swapped_in),
            mor(h.bought),
            mor(h.liquidity),
            mor(s.harvest.carried_wst),
            mor(s.harvest.carried_native)
        )?;
        writeln!(
            f,
            "capital totals        distributed {} MOR, kept {}, paid {}; compute funded {} MOR",
            mor(t.distributed),
            mor(t.kept),
            mor(t.paid),
            mor(t.compute_sent)
        )?;
        let checks = self.checks();
        for (i, c) in checks.iter().enumerate() {
            let label = if i == 0 { "capital books" } else { "" };
            writeln!(
                f,
                "{label:<21} {}: {}",
                c.text,
                if c.ok { "balanced" } else { "NOT BALANCED" }
            )?;
        }
        Ok(())
    }
}
