//! `yellowstone multiplier`: the MRC40 power multiplier of a lock (SPEC section 5), computed by
//! the same integer code as the compute contract.

use std::time::{SystemTime, UNIX_EPOCH};

use alloy_primitives::U256;
use anyhow::Context;
use yellowstone_protocol::multiplier::power_multiplier;

use crate::units::{format_wad_exact, parse_seconds_or_date};

/// What `--start` and `--end` accept, for help and error messages.
const TIME_FORMS: &str = concat!(
    "unix seconds (e.g. 1730548800), ",
    "a UTC date YYYY-MM-DD (e.g. 2024-11-02, meaning 00:00:00 UTC), or 'now'"
);

/// The long help's teaching text, shown after the options by `--help`. (The subcommand's
/// one-line summary is the `Multiplier` variant's doc comment in `cli/mod.rs`, which replaces
/// this struct's own `about` and `long_about`, hence `after_long_help`.)
const LONG_HELP: &str = "\
How it works:
  A provider's selection weight is stake x multiplier, and the multiplier grows with how long
  the stake is locked, weighted towards the early years:

    multiplier = 16.61327546 x (tanh(2(end - S)/D) - tanh(2(start - S)/D))

  S = 1721908800 (2024-07-25 12:00 UTC) opens the window and S + D = 2211192000
  (2040-01-26 12:00 UTC) closes it. Times outside the window count as its nearest edge, so
  only the part of a lock inside the window earns anything. The result is clamped to
  [1, 10.7], a start at or after the end gives exactly 1, and the value is truncated (never
  rounded up) to 18 decimals by the contract's own integer fixed-point code.

  Times are unix seconds, a UTC date YYYY-MM-DD (its 00:00:00 UTC), or 'now'.

Examples:
  yellowstone multiplier --start 1730548800 --end 1756468800
    1.744946883956739643      (S + 100 days to S + 400 days)
  yellowstone multiplier --start 2020-01-01 --end 1739188800
    1.171513456453704514      (to S + 200 days; a start before the window counts from S)
  yellowstone multiplier --start 2024-08-01 --end 2040-01-01
    10.700000000000000000     (the cap)
  yellowstone multiplier --start now --end 2030-01-01 --json
    {\"start\":<now>,\"end\":1893456000,\"multiplier\":\"...\",\"multiplier_wad\":\"...\"}";

/// Prints the MRC40 power multiplier of a lock, exactly as the compute contract computes it.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Run with --help for the formula, the window and examples.",
    after_long_help = LONG_HELP
)]
pub struct Args {
    /// When the lock starts: unix seconds, a UTC date YYYY-MM-DD (00:00:00 UTC), or 'now'.
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    start: u64,
    /// When the lock ends: unix seconds, a UTC date YYYY-MM-DD (00:00:00 UTC), or 'now'.
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    end: u64,
    /// Print one JSON object: {"start", "end" (unix seconds), "multiplier" (decimal string),
    /// "multiplier_wad" (the contract's 1e18-scaled integer, as a string)}.
    #[arg(long)]
    json: bool,
}

impl Args {
    /// Runs the calculator.
    pub fn run(self) -> anyhow::Result<()> {
        println!("{}", self.render());
        Ok(())
    }

    /// The output line: the multiplier, or the JSON object with `--json`.
    fn render(&self) -> String {
        let wad = power_multiplier(U256::from(self.start), U256::from(self.end));
        let multiplier = format_wad_exact(wad);
        if self.json {
            // Written by hand to keep the documented key order; every value is digits and '.'.
            format!(
                r#"{{"start":{},"end":{},"multiplier":"{multiplier}","multiplier_wad":"{wad}"}}"#,
                self.start, self.end
            )
        } else {
            multiplier
        }
    }
}

/// Parses a time argument: unix seconds, `YYYY-MM-DD` (00:00:00 UTC) or `now`.
fn parse_time(value: &str) -> Result<u64, String> {
    let text = value.trim();
    if text.eq_ignore_ascii_case("now") {
        return now().map_err(|err| format!("{err:#}"));
    }
    parse_seconds_or_date(text).map_err(|why| format!("{why}; expected {TIME_FORMS}"))
}

/// The current unix time in whole seconds.
fn now() -> anyhow::Result<u64> {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .context("the clock is before 1970")?;
    Ok(since.as_secs())
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use yellowstone_protocol::time::DAY;

    /// The subcommand's arguments as a stand-alone parser.
    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        args: Args,
    }

    fn run(argv: &[&str]) -> Result<String, String> {
        let argv = std::iter::once("multiplier").chain(argv.iter().copied());
        Cli::try_parse_from(argv)
            .map(|cli| cli.args.render())
            .map_err(|err| err.to_string())
    }

    #[test]
    fn dates_are_midnight_utc() {
        assert_eq!(parse_time("1970-01-01"), Ok(0));
        assert_eq!(parse_time("1970-01-02"), Ok(DAY));
        // The first day of Morpheus emissions, UTC day 19761.
        assert_eq!(parse_time("2024-02-08"), Ok(19_761 * DAY));
        // The window opens and closes at noon on these days.
        assert_eq!(parse_time("2024-07-25"), Ok(1_721_908_800 - DAY / 2));
        assert_eq!(parse_time("2040-01-26"), Ok(2_211_192_000 - DAY / 2));
        assert_eq!(parse_time("2000-03-01"), Ok(951_868_800));
        assert_eq!(parse_time("2038-01-19"), Ok(2_147_472_000));
        assert_eq!(parse_time("9999-12-31"), Ok(253_402_214_400));
    }

    #[test]
    fn leap_days_follow_the_gregorian_rules() {
        assert_eq!(
            parse_time("2024-02-29"),
            Ok(parse_time("2024-03-01").unwrap() - DAY)
        );
        assert_eq!(parse_time("2000-02-29"), Ok(951_782_400));
        assert!(parse_time("2023-02-29")
            .unwrap_err()
            .contains("2023-02 has no day 29"));
        assert!(
            parse_time("2100-02-29").is_err(),
            "centuries are not leap years"
        );
        assert!(parse_time("2024-04-31").is_err());
        assert_eq!(
            parse_time("2024-12-31"),
            Ok(parse_time("2025-01-01").unwrap() - DAY)
        );
    }

    #[test]
    fn seconds_and_now_are_accepted() {
        assert_eq!(parse_time("1730548800"), Ok(1_730_548_800));
        assert_eq!(parse_time(" 0 "), Ok(0));
        assert_eq!(parse_time("18446744073709551615"), Ok(u64::MAX));
        let now = parse_time("now").unwrap();
        assert!(now > 1_721_908_800, "after the window opened");
        assert!(parse_time("NOW").is_ok());
    }

    #[test]
    fn anything_else_is_refused_with_the_accepted_forms() {
        for bad in [
            "",
            "-1",
            "1.5",
            "18446744073709551616",
            "2024-7-25",
            "2024/07/25",
            "24-07-25",
            "2024-00-10",
            "2024-13-01",
            "2024-01-00",
            "1969-12-31",
            "2024-07-25T12:00:00Z",
            "yesterday",
            "２０２４-01-01",
        ] {
            let err = parse_time(bad).unwrap_err();
            assert!(
                err.contains("YYYY-MM-DD") && err.contains("now"),
                "{bad:?}: {err}"
            );
        }
    }

    #[test]
    fn prints_eighteen_decimals_as_the_contract_computes() {
        let out = run(&["--start", "1730548800", "--end", "1756468800"]);
        assert_eq!(out.as_deref(), Ok("1.744946883956739643"));
        let out = run(&["--start", "2020-01-01", "--end", "1739188800"]);
        assert_eq!(out.as_deref(), Ok("1.171513456453704514"));
        let out = run(&["--start", "2024-08-01", "--end", "2040-01-01"]);
        assert_eq!(out.as_deref(), Ok("10.700000000000000000"));
        let out = run(&["--start", "2030-01-01", "--end", "2025-01-01"]);
        assert_eq!(out.as_deref(), Ok("1.000000000000000000"));
        assert_eq!(format_wad_exact(U256::from(5)), "0.000000000000000005");
    }

    #[test]
    fn json_carries_the_times_and_both_forms_of_the_value() {
        let out = run(&["--start", "1730548800", "--end", "1756468800", "--json"]).unwrap();
        assert_eq!(
            out,
            concat!(
                r#"{"start":1730548800,"end":1756468800,"#,
                r#""multiplier":"1.744946883956739643","multiplier_wad":"1744946883956739643"}"#
            )
        );
        let value: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(value["multiplier_wad"], "1744946883956739643");
    }

    #[test]
    fn the_long_help_teaches_and_its_examples_are_true() {
        use clap::CommandFactory;
        let help = Cli::command().render_long_help().to_string();
        for needle in [
            "tanh",
            "1721908800",
            "2211192000",
            "[1, 10.7]",
            "YYYY-MM-DD",
            "'now'",
        ] {
            assert!(help.contains(needle), "--help lacks {needle:?}");
        }
        let lines: Vec<&str> = LONG_HELP.lines().collect();
        let mut checked = 0;
        for pair in lines.windows(2) {
            let Some(argv) = pair[0].trim().strip_prefix("yellowstone multiplier ") else {
                continue;
            };
            let expected = pair[1].split_whitespace().next().unwrap();
            if argv.contains("now") {
                continue;
            }
            let argv: Vec<&str> = argv.split_whitespace().collect();
            assert_eq!(run(&argv).as_deref(), Ok(expected), "{argv:?}");
            checked += 1;
        }
        assert_eq!(checked, 3, "the examples with a fixed answer");
    }

    #[test]
    fn a_bad_time_names_its_argument() {
        let err = run(&["--start", "2024-02-30", "--end", "now"]).unwrap_err();
        assert!(
            err.contains("--start") && err.contains("YYYY-MM-DD"),
            "{err}"
        );
        let err = run(&["--start", "now", "--end", "soon"]).unwrap_err();
        assert!(err.contains("--end") && err.contains("'now'"), "{err}");
    }
}
