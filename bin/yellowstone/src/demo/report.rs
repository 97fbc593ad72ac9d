//! The demo's final report: a row per provider, the settlement figures, the books' check,
//! and its rendering as text (MOR printed exactly from wei).

use std::fmt;

use alloy_primitives::{Address, U256};
use serde::{Serialize, Serializer};

use super::capital_report::CapitalReport;
use crate::units::format_mor as mor;

/// Serialises wei as an exact decimal string.
fn decimal<S: Serializer>(wei: &U256, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&wei.to_string())
}

/// A 1e18 fixed-point multiplier with four decimals, truncated.
fn multiplier(wad: U256) -> String {
    let unit = U256::from(10u64).pow(U256::from(18));
    let fraction = wad % unit / U256::from(10u64).pow(U256::from(14));
    format!("{}.{fraction:0>4}", wad / unit)
}

/// One provider's figures.
#[derive(Clone, Debug, Serialize)]
pub struct ProviderRow {
    /// Its name in the demo.
    pub name: String,
    /// Its address.
    pub address: Address,
    /// Its gateway's URL.
    pub endpoint: String,
    /// Wei per output token it bid.
    #[serde(serialize_with = "decimal")]
    pub price: U256,
    /// Wei staked.
    #[serde(serialize_with = "decimal")]
    pub stake: U256,
    /// Days locked.
    pub lock_days: u64,
    /// The contract's power multiplier of its lock, 1e18 fixed point.
    #[serde(serialize_with = "decimal")]
    pub multiplier: U256,
    /// Whether its generator is the slow one.
    pub slow: bool,
    /// Requests routed to it.
    pub requests: u64,
    /// Reports refused (failed or too slow).
    pub refused: u64,
    /// Of those, too slow.
    pub too_slow: u64,
    /// Tokens credited.
    pub tokens: u64,
    /// Work credit the users' verdicts showed, wei.
    #[serde(serialize_with = "decimal")]
    pub credited: U256,
    /// Work credit in the last committed root, wei.
    #[serde(serialize_with = "decimal")]
    pub committed: U256,
    /// Bootstrap shares in the last committed root, wei.
    #[serde(serialize_with = "decimal")]
    pub bootstrap: U256,
    /// MOR the claim paid it, wei.
    #[serde(serialize_with = "decimal")]
    pub claimed: U256,
    /// Gas its claim used (0: nothing to claim).
    pub claim_gas: u64,
}

impl ProviderRow {
    /// Claimed equals credited work plus bootstrap, and the committed work equals the
    /// verdicts.
    pub fn balanced(&self) -> bool {
        self.committed == self.credited && self.claimed == self.credited + self.bootstrap
    }
}

/// The on-chain settlement figures.
#[derive(Clone, Debug, Serialize)]
pub struct Settlement {
    /// Epoch roots committed.
    pub epochs: u64,
    /// Of those, committed before the day boundary.
    pub epochs_before_midnight: u64,
    /// Gas of every `commitEpoch`, summed.
    pub epoch_gas: u64,
    /// Claims sent.
    pub claims: u64,
    /// Gas of every claim, summed.
    pub claim_gas: u64,
    /// Reports credited (inferences paid for).
    pub inferences: u64,
    /// The work day's cap, wei.
    #[serde(serialize_with = "decimal")]
    pub daily_cap: U256,
    /// Credit committed on the work day, wei.
    #[serde(serialize_with = "decimal")]
    pub credited_on_work_day: U256,
    /// Funded into the pool, wei.
    #[serde(serialize_with = "decimal")]
    pub funded: U256,
    /// Staked, wei.
    #[serde(serialize_with = "decimal")]
    pub staked: U256,
    /// Cumulative work credit committed, wei.
    #[serde(serialize_with = "decimal")]
    pub credited: U256,
    /// Cumulative bootstrap committed, wei.
    #[serde(serialize_with = "decimal")]
    pub bootstrap: U256,
    /// Paid to providers, wei (the contract's own total).
    #[serde(serialize_with = "decimal")]
    pub claimed: U256,
    /// The contract's MOR balance at the end, wei.
    #[serde(serialize_with = "decimal")]
    pub contract_balance: U256,
}

impl Settlement {
    fn per(total: u64, count: u64) -> u64 {
        total.checked_div(count).unwrap_or(0)
    }

    /// Settlement transactions: epoch commits and claims.
    pub fn transactions(&self) -> u64 {
        self.epochs + self.claims
    }

    /// Inferences per settlement transaction, as text with one decimal (truncated).
    pub fn inferences_per_transaction(&self) -> String {
        let tenths = Self::per(self.inferences * 10, self.transactions());
        format!("{}.{}", tenths / 10, tenths % 10)
    }
}

/// Where the demo's services listen.
#[derive(Clone, Debug, Serialize)]
pub struct Urls {
    /// The devnet's JSON-RPC.
    pub rpc: String,
    /// The router's API.
    pub router: String,
    /// The compute contract.
    pub compute: Address,
    /// The MOR token.
    pub mor: Address,
    /// The capital contract.
    pub capital: Address,
}

/// Everything the demo did, and whether the books balance.
#[derive(Clone, Debug, Serialize)]
pub struct DemoReport {
    /// Users that chatted.
    pub users: u64,
    /// Requests sent.
    pub requests: u64,
    /// Requests that ended in an error instead of a verdict.
    pub errors: Vec<String>,
    /// Whether the report of the failed answer was refused as failed.
    pub failed_refused: bool,
    /// One row per provider.
    pub providers: Vec<ProviderRow>,
    /// The settlement figures.
    pub settlement: Settlement,
    /// The capital side: its providers, its pool and its books.
    pub capital: CapitalReport,
    /// Where everything listens(ed).
    pub urls: Urls,
    /// Seconds the demo took.
    pub seconds: u64,
}

impl DemoReport {
    /// The books balance to the wei on both sides: every provider claimed what it was
    /// credited, the total claimed is the committed credit, and the compute contract holds
    /// funded + staked - claimed; and the capital contract's books
    /// ([`CapitalReport::balanced`]).
    pub fn balanced(&self) -> bool {
        self.compute_balanced() && self.capital.balanced()
    }

    /// The compute contract's books balance to the wei.
    pub fn compute_balanced(&self) -> bool {
        let s = &self.settlement;
        let claimed: U256 = self.providers.iter().map(|p| p.claimed).sum();
        self.providers.iter().all(ProviderRow::balanced)
            && claimed == s.claimed
            && claimed == s.credited + s.bootstrap
            && s.contract_balance + s.claimed == s.funded + s.staked
    }
}

impl fmt::Display for DemoReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} users, {} requests in {} s ({} errors; failed report refused: {})\n",
            self.users,
            self.requests,
            self.seconds,
            self.errors.len(),
            if self.failed_refused { "yes" } else { "NO" }
        )?;
        writeln!(
            f,
            "{:<9} {:>7} {:>6} {:>5} {:>9} {:>8} {:>7} {:>8} {:>8} {:>22} {:>22} {:>22}",
            "provider",
            "price",
            "stake",
            "lock",
            "mult",
            "requests",
            "refused",
            "tokens",
            "too slow",
            "credited MOR",
            "bootstrap MOR",
            "claimed MOR"
        )?;
        for p in &self.providers {
            writeln!(
                f,
                "{:<9} {:>7} {:>6} {:>4}d {:>9} {:>8} {:>7} {:>8} {:>8} {:>22} {:>22} {:>22}",
                if p.slow {
                    format!("{}*", p.name)
                } else {
                    p.name.clone()
                },
                mor(p.price),
                mor(p.stake),
                p.lock_days,
                multiplier(p.multiplier),
                p.requests,
                p.refused,
                p.tokens,
                p.too_slow,
                mor(p.credited),
                mor(p.bootstrap),
                mor(p.claimed),
            )?;
        }
        writeln!(
            f,
            "(* the slow provider: its generator waits between tokens)"
        )?;
        let s = &self.settlement;
        let headroom = s.daily_cap.saturating_sub(s.credited_on_work_day);
        writeln!(f)?;
        writeln!(
            f,
            "epochs committed      {} ({} before the day boundary, {} after)",
            s.epochs,
            s.epochs_before_midnight,
            s.epochs - s.epochs_before_midnight
        )?;
        writeln!(
            f,
            "gas per epoch         {}",
            Settlement::per(s.epoch_gas, s.epochs)
        )?;
        writeln!(
            f,
            "gas per claim         {}",
            Settlement::per(s.claim_gas, s.claims)
        )?;
        writeln!(
            f,
            "inferences per tx     {} ({} credited inferences, {} commits + {} claims)",
            s.inferences_per_transaction(),
            s.inferences,
            s.epochs,
            s.claims
        )?;
        writeln!(
            f,
            "daily cap headroom    {} of {} MOR left on the work day",
            mor(headroom),
            mor(s.daily_cap)
        )?;
        writeln!(
            f,
            "books                 funded {} + staked {} - claimed {} = {} MOR held (contract: {})",
            mor(s.funded),
            mor(s.staked),
            mor(s.claimed),
            mor((s.funded + s.staked).saturating_sub(s.claimed)),
            mor(s.contract_balance)
        )?;
        writeln!(
            f,
            "                      claimed {} = credited {} + bootstrap {} MOR: {}",
            mor(s.claimed),
            mor(s.credited),
            mor(s.bootstrap),
            if self.compute_balanced() {
                "balanced to the wei"
            } else {
                "NOT BALANCED"
            }
        )?;
        writeln!(f)?;
        write!(f, "{}", self.capital)?;
        write!(
            f,
            "both contracts        {}",
            if self.balanced() {
                "balanced to the wei"
            } else {
                "NOT BALANCED"
            }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mor_is_exact() {
        assert_eq!(mor(U256::ZERO), "0");
        assert_eq!(mor(U256::from(10u64).pow(U256::from(18))), "1");
        assert_eq!(
            mor(U256::from(1_500_000_000_000_000_001u128)),
            "1.500000000000000001"
        );
        assert_eq!(mor(U256::from(30_000_000_000_000_000u64)), "0.03");
        assert_eq!(
            multiplier(U256::from(1_744_946_883_956_739_643u64)),
            "1.7449"
        );
    }
}
