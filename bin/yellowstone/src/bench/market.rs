//! `yellowstone bench market`: the market's rules against a seeded population (issue 13).
//!
//! The router's real rules ([`yellowstone_market::state::State`], every message signed and
//! checked) serve honest providers whose speeds spread log-normally, with realistic time to
//! first token and answer lengths ([`population`]); on one day every provider becomes several
//! times slower; adversaries act beside them ([`sim`]): ten users poisoning the speed average
//! with 0 ms and with the longest allowed times, an accomplice bidding its private model at the
//! price ceiling and spending its user's whole allowance on it, a one-wei-stake provider
//! bidding 10^30 wei a token, one key with 1,000 one-wei bids on invented models, and a user
//! who reports fail after every full answer. Printed: the share of honest passed work
//! credited, how soon the slowdown is learned, the adversaries' credit against their bounds,
//! and the reference price per simulated day.

pub mod population;
pub mod sim;

use alloy_primitives::U256;
use anyhow::Result;
use yellowstone_market::state::Rules;

use super::{push_flag, Figure};

const DAYS: u64 = 4;
const REQUESTS: u64 = 4_000;
const PROVIDERS: u64 = 12;
const SIGMA_PERMILLE: u64 = 500;
const STEP_DAY: u64 = 2;
const SLOWDOWN: u64 = 4;
const SEED: u64 = 13;

/// Options of `yellowstone bench market`.
#[derive(Debug, Clone, clap::Args)]
pub struct Options {
    /// Simulated days.
    #[arg(long, default_value_t = DAYS)]
    pub days: u64,
    /// Honest requests per simulated day.
    #[arg(long, default_value_t = REQUESTS)]
    pub requests: u64,
    /// Honest providers.
    #[arg(long, default_value_t = PROVIDERS)]
    pub providers: u64,
    /// Log-normal shape of the providers' speed spread, in thousandths (500: sigma 0.5).
    #[arg(long, default_value_t = SIGMA_PERMILLE)]
    pub sigma_permille: u64,
    /// Day (0-based) at whose noon every provider becomes `--slowdown` times slower.
    #[arg(long, default_value_t = STEP_DAY)]
    pub step_day: u64,
    /// The slowdown factor.
    #[arg(long, default_value_t = SLOWDOWN)]
    pub slowdown: u64,
    /// Leave the adversaries out.
    #[arg(long)]
    pub honest_only: bool,
    /// The random seed.
    #[arg(long, default_value_t = SEED)]
    pub seed: u64,
    /// X of the credit rule (default: the rules' default, 50): how much slower than expected
    /// a credited answer may be, to see how the figures depend on it.
    #[arg(long)]
    pub slower_percent: Option<u64>,
}

fn command(o: &Options) -> String {
    let mut out = "cargo run --release --bin yellowstone -- bench market".to_string();
    push_flag(&mut out, "days", o.days, DAYS);
    push_flag(&mut out, "requests", o.requests, REQUESTS);
    push_flag(&mut out, "providers", o.providers, PROVIDERS);
    push_flag(&mut out, "sigma-permille", o.sigma_permille, SIGMA_PERMILLE);
    push_flag(&mut out, "step-day", o.step_day, STEP_DAY);
    push_flag(&mut out, "slowdown", o.slowdown, SLOWDOWN);
    push_flag(&mut out, "seed", o.seed, SEED);
    if o.honest_only {
        out.push_str(" --honest-only");
    }
    if let Some(x) = o.slower_percent {
        out.push_str(&format!(" --slower-percent {x}"));
    }
    out
}

fn percent(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        return 100.0;
    }
    (part as f64 * 1000.0 / whole as f64).round() / 10.0
}

fn mor(wei: U256) -> f64 {
    let milli: u128 = (wei / U256::from(1_000_000_000_000_000u64)).saturating_to();
    milli as f64 / 1000.0
}

/// Passed reports after the step until the window has learned the new speed: the first index
/// from which the next `window` honest passed reports are credited at the steady rate seen
/// before the step (`steady_permille`, less one percentage point for sampling noise).
pub fn learned_after(after: &[bool], window: usize, steady_permille: u64) -> Option<usize> {
    let window = window.max(1);
    let needed = steady_permille.saturating_sub(10) as usize;
    (0..after.len().saturating_sub(window)).find(|&start| {
        let credited = after[start..start + window].iter().filter(|c| **c).count();
        credited * 1000 >= window * needed
    })
}

/// Runs the simulation and returns its figures (the per-day table goes to stderr).
pub fn run(options: &Options) -> Result<Vec<Figure>> {
    let mut rules = Rules::default();
    if let Some(x) = options.slower_percent {
        rules.judge.slower_percent = x;
    }
    let window = rules.judge.window;
    let config = sim::Config {
        days: options.days,
        requests: options.requests,
        providers: options.providers,
        sigma: options.sigma_permille as f64 / 1000.0,
        step_day: options.step_day,
        slowdown: options.slowdown as f64,
        adversaries: !options.honest_only,
        seed: options.seed,
        rules,
    };
    let outcome = sim::run(config)?;
    eprintln!("day  honest passed  credited  tokens credited  reference wei/token  accomplice MOR (allowance)  absurd MOR  spam fails (charged MOR)  providers backed off");
    for (d, day) in outcome.days.iter().enumerate() {
        eprintln!(
            "{d:>3}  {:>13}  {:>7}%  {:>14}%  {:>19}  {:>12} ({:>10})  {:>10}  {:>10} ({:>10})  {:>3}",
            day.honest_reports,
            percent(day.honest_credited, day.honest_reports),
            percent(day.honest_credited_tokens, day.honest_tokens),
            day.reference.map_or("-".into(), |p| p.to_string()),
            mor(day.accomplice_credit),
            mor(day.accomplice_allowance),
            mor(day.absurd_credit),
            day.spam_fails,
            mor(day.spam_charged),
            day.backed_off,
        );
    }
    let cmd = command(options);
    let (_, _, tokens, credited_tokens) = outcome.before_step;
    let share = percent(credited_tokens, tokens);
    let mut figures = vec![Figure::new(
        "market",
        "honest_work_credited",
        format!(
            "honest passed work credited before the step (speed spread sigma {})",
            options.sigma_permille as f64 / 1000.0
        ),
        share,
        "%",
        &cmd,
    )
    .goal(">= 95%", share >= 95.0)];
    let (reports, credited, _, _) = outcome.before_step;
    let steady = (credited * 1_000).checked_div(reports).unwrap_or(1_000);
    let learned = learned_after(&outcome.after_step, window, steady);
    let value = learned.map_or(outcome.after_step.len() as f64, |n| n as f64);
    figures.push(
        Figure::new(
            "market",
            "slowdown_learned_after",
            format!(
                "passed reports until a {}x slowdown is learned (credited again at the steady {}%)",
                options.slowdown,
                percent(credited, reports)
            ),
            value,
            "reports",
            &cmd,
        )
        .goal(
            format!("<= {window} (one window)"),
            learned.is_some_and(|n| n <= window),
        ),
    );
    if !options.honest_only {
        adversary_figures(&outcome, &cmd, &mut figures);
    }
    Ok(figures)
}

fn adversary_figures(outcome: &sim::Outcome, cmd: &str, figures: &mut Vec<Figure>) {
    let poisoned = outcome.days.get(1).cloned().unwrap_or_default();
    let calm = outcome.days.first().cloned().unwrap_or_default();
    let share = percent(poisoned.honest_credited_tokens, poisoned.honest_tokens);
    let before = percent(calm.honest_credited_tokens, calm.honest_tokens);
    figures.push(
        Figure::new(
            "market",
            "honest_work_credited_while_poisoned",
            format!(
                "honest passed work credited on the day ten users sent {} poisoning reports",
                poisoned.poison_sent
            ),
            share,
            "%",
            cmd,
        )
        .goal(
            "no less than the day before, less 1 point",
            share + 1.0 >= before,
        )
        .compare(format!("the day before, with no poisoning: {before}%")),
    );
    let (credit, allowance) = outcome
        .days
        .iter()
        .fold((U256::ZERO, U256::ZERO), |acc, d| {
            (
                acc.0.max(d.accomplice_credit),
                acc.1.max(d.accomplice_allowance),
            )
        });
    figures.push(
        Figure::new(
            "market",
            "accomplice_credit_per_day",
            "accomplice at the price ceiling: largest credit in a day",
            mor(credit),
            "MOR",
            cmd,
        )
        .goal(
            format!("<= its user's allowance ({} MOR)", mor(allowance)),
            credit <= allowance,
        ),
    );
    let absurd = outcome
        .days
        .iter()
        .fold(U256::ZERO, |acc, d| acc.saturating_add(d.absurd_credit));
    let tickets: u64 = outcome.days.iter().map(|d| d.absurd_tickets).sum();
    figures.push(
        Figure::new(
            "market",
            "absurd_bid_credit",
            format!("1-wei-stake provider bidding 10^30 wei a token: credit ({tickets} tickets)"),
            mor(absurd),
            "MOR",
            cmd,
        )
        .goal("0", absurd.is_zero()),
    );
    let backed_off = outcome.days.iter().map(|d| d.backed_off).max().unwrap_or(0);
    let fails: u64 = outcome.days.iter().map(|d| d.spam_fails).sum();
    let charged = outcome
        .days
        .iter()
        .fold(U256::ZERO, |acc, d| acc.saturating_add(d.spam_charged));
    figures.push(
        Figure::new(
            "market",
            "fail_spam_backoffs",
            format!(
                "providers backed off by one user's {fails} fails (charged {} MOR)",
                mor(charged)
            ),
            backed_off as f64,
            "providers",
            cmd,
        )
        .goal("0", backed_off == 0),
    );
    let references: Vec<String> = outcome
        .days
        .iter()
        .map(|d| d.reference.map_or("-".into(), |p| p.to_string()))
        .collect();
    let first = outcome.days.first().and_then(|d| d.reference);
    let steady = outcome.days.iter().all(|d| d.reference == first);
    figures.push(
        Figure::new(
            "market",
            "reference_price_steady",
            format!(
                "reference price per day with 1,000 junk bids in (wei/token: {})",
                references.join(", ")
            ),
            f64::from(u8::from(steady)),
            "steady",
            cmd,
        )
        .goal("1 (unmoved by junk)", steady),
    );
}

#[cfg(test)]
mod tests {
    use super::learned_after;

    #[test]
    fn the_slowdown_is_learned_where_a_window_is_credited_at_the_steady_rate_less_a_point() {
        let mut after = vec![false; 30];
        after.extend(vec![true; 200]);
        // Steady at 100%: learned where 99 of the next 100 are credited.
        assert_eq!(learned_after(&after, 100, 1_000), Some(29));
        assert_eq!(learned_after(&[false; 300], 100, 1_000), None);
        assert_eq!(learned_after(&[true; 300], 100, 1_000), Some(0));
        // A steady rate of 94% is reached once 93 of the next 100 are credited.
        assert_eq!(learned_after(&after, 100, 940), Some(23));
    }
}
