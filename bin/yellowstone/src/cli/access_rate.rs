//! `yellowstone access-rate`: how many output tokens a day a MOR balance buys (SPEC section 3).

use alloy_primitives::{
    utils::{format_units, parse_units},
    U256,
};
use anyhow::{bail, Context};
use yellowstone_protocol::access;

/// Computes MaxT, AccessRate and UserMax with the integer math the router uses.
///
/// MaxT = ComputeBudget / price per T (tokens the whole budget buys a day); AccessRate = MaxT /
/// TotalSupply (tokens per MOR per day); UserMax = AccessRate x balance.
///
/// Quote the price in dollars (--mor-price and --t-price, the seed's form) or directly in MOR
/// wei per token (--price-wei, the router's form, which needs no price oracle).
///
/// Example (the seed's): yellowstone access-rate --supply 10000000 --budget 3000
/// --mor-price 20 --t-price 0.002 --balance 5  ->  MaxT 30000000000, AccessRate 3000, UserMax 15000
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// Total MOR supply, in MOR (decimals allowed).
    #[arg(long, value_name = "MOR")]
    supply: String,
    /// The day's compute budget, in MOR per day (on-chain: the contract's daily cap).
    #[arg(long, value_name = "MOR/DAY")]
    budget: String,
    /// MOR price in dollars.
    #[arg(
        long,
        value_name = "USD",
        requires = "t_price",
        conflicts_with = "price_wei"
    )]
    mor_price: Option<String>,
    /// Price of 1000 output tokens in dollars.
    #[arg(long, value_name = "USD/1000T", requires = "mor_price")]
    t_price: Option<String>,
    /// Price of one output token in MOR wei (instead of the two dollar prices).
    #[arg(long, value_name = "WEI/T", required_unless_present = "mor_price")]
    price_wei: Option<String>,
    /// The user's MOR balance.
    #[arg(long, value_name = "MOR")]
    balance: String,
    /// Print one JSON object: {"max_t", "access_rate", "user_max"}.
    #[arg(long)]
    json: bool,
}

impl Args {
    /// Runs the calculator.
    pub fn run(self) -> anyhow::Result<()> {
        let supply = fixed18("--supply", &self.supply)?;
        let budget = fixed18("--budget", &self.budget)?;
        let balance = fixed18("--balance", &self.balance)?;
        if supply.is_zero() {
            bail!("--supply must be above zero");
        }
        let max_t = match (&self.mor_price, &self.t_price, &self.price_wei) {
            (Some(mor_price), Some(t_price), None) => {
                let mor_price = fixed18("--mor-price", mor_price)?;
                let t_price = fixed18("--t-price", t_price)?;
                if t_price.is_zero() {
                    bail!("--t-price must be above zero");
                }
                access::max_tokens_usd(budget, mor_price, t_price)
                    .context("--budget x --mor-price overflows 256 bits")?
            }
            (None, None, Some(price)) => {
                let price: U256 = price.parse().with_context(|| {
                    format!("--price-wei: '{price}' is not a whole number of wei")
                })?;
                if price.is_zero() {
                    bail!("--price-wei must be above zero");
                }
                access::max_tokens(budget, price)
            }
            _ => bail!("give either --mor-price and --t-price, or --price-wei"),
        };
        let rate = access::access_rate(max_t, supply).context("MaxT overflows 256 bits")?;
        let user =
            access::user_max(max_t, supply, balance).context("UserMax overflows 256 bits")?;
        let rate = decimal(rate);
        if self.json {
            let out = serde_json::json!({
                "max_t": number(max_t),
                "access_rate": rate,
                "user_max": number(user),
            });
            println!("{out}");
        } else {
            println!("MaxT        {max_t} T/day (the whole budget)");
            println!("AccessRate  {rate} T per MOR per day");
            println!(
                "UserMax     {user} T/day for a balance of {} MOR",
                self.balance
            );
        }
        Ok(())
    }
}

/// Parses a decimal amount (MOR or dollars) into 1e18 fixed point, naming the flag on error.
fn fixed18(flag: &str, value: &str) -> anyhow::Result<U256> {
    let parsed = parse_units(value, 18)
        .map_err(|err| anyhow::anyhow!("{flag}: '{value}' is not a decimal amount ({err})"))?;
    if parsed.is_negative() {
        bail!("{flag}: '{value}' is negative");
    }
    Ok(parsed.get_absolute())
}

/// A 1e18 fixed-point value as an exact decimal with trailing zeros trimmed.
fn decimal(wad: U256) -> String {
    let text = format_units(wad, 18).expect("18 decimals is always valid");
    let trimmed = text.trim_end_matches('0').trim_end_matches('.');
    trimmed.to_string()
}

/// A token count as a JSON number when it fits 64 bits, else as an exact string.
fn number(value: U256) -> serde_json::Value {
    match u64::try_from(value) {
        Ok(n) => n.into(),
        Err(_) => value.to_string().into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_trim_trailing_zeros_but_keep_every_digit() {
        assert_eq!(
            decimal(U256::from(3_000u64) * yellowstone_protocol::WAD),
            "3000"
        );
        assert_eq!(decimal(U256::from(1u64)), "0.000000000000000001");
        assert_eq!(decimal(U256::from(1_500_000_000_000_000_000u128)), "1.5");
    }

    #[test]
    fn amounts_name_the_flag_when_refused() {
        let err = fixed18("--supply", "ten").unwrap_err().to_string();
        assert!(err.contains("--supply") && err.contains("ten"), "{err}");
        assert!(fixed18("--budget", "-1")
            .unwrap_err()
            .to_string()
            .contains("negative"));
        assert_eq!(
            fixed18("--balance", "0.5").unwrap(),
            U256::from(500_000_000_000_000_000u128)
        );
    }
}
