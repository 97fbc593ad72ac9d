//! `yellowstone bench`: how fast and how cheap the market is, against its goals and, where one
//! exists, a comparison measured in the same run (this machine is shared: absolute times drift,
//! ratios taken side by side do not).
//!
//! | module | what it measures |
//! |---|---|
//! | [`router`] | admitted RFCs and accepted reports per second over HTTP from a separate load process, against secp256k1 recoveries per second |
//! | [`load`] | the load process itself (`yellowstone bench load`, started by [`router`]) |
//! | [`gas`] | gas per epoch commit, per claim and per inference; every external function's gas |
//! | [`contract`] | the compressed Wasm, and the power multiplier's gas and precision |
//! | [`market`] | the market's rules against a seeded population with adversaries: honest work credited, a slowdown learned, adversary credit against its bounds |
//! | [`scale`] | router memory and database size per 100,000 users and 1,000 providers; epoch build time |
//!
//! Every area returns [`Figure`]s; `--json` prints them as one JSON document.

pub mod contract;
pub mod gas;
pub mod load;
pub mod market;
pub mod router;
pub mod scale;

use serde::Serialize;

/// One measured figure, as a row of a table in `docs/BENCHMARKS.md`.
#[derive(Debug, Clone, Serialize)]
pub struct Figure {
    /// The area: `router`, `gas`, `contract`, `scale` or `market`.
    pub area: &'static str,
    /// A stable machine-readable key, e.g. `commit_epoch_gas`.
    pub key: String,
    /// What was measured, for people.
    pub name: String,
    /// The measured value.
    pub value: f64,
    /// Its unit, e.g. `gas`, `bytes`, `per second`, `ms`.
    pub unit: &'static str,
    /// The goal, as text (e.g. `< 60,000`), if the issue sets one.
    pub goal: Option<String>,
    /// Whether the goal is met; `None` when there is no goal.
    pub met: Option<bool>,
    /// The comparison measured beside it in the same run, or the incumbent's figure.
    pub comparison: Option<String>,
    /// The command that reproduces it.
    pub command: String,
}

impl Figure {
    /// A figure with no goal and no comparison.
    pub fn new(
        area: &'static str,
        key: impl Into<String>,
        name: impl Into<String>,
        value: f64,
        unit: &'static str,
        command: impl Into<String>,
    ) -> Self {
        Figure {
            area,
            key: key.into(),
            name: name.into(),
            value,
            unit,
            goal: None,
            met: None,
            comparison: None,
            command: command.into(),
        }
    }

    /// Sets the goal: its text and whether `value` meets it.
    pub fn goal(mut self, text: impl Into<String>, met: bool) -> Self {
        self.goal = Some(text.into());
        self.met = Some(met);
        self
    }

    /// Sets the comparison measured beside it.
    pub fn compare(mut self, text: impl Into<String>) -> Self {
        self.comparison = Some(text.into());
        self
    }
}

/// Renders figures as an aligned text table (the default output of `yellowstone bench`).
pub fn render_table(figures: &[Figure]) -> String {
    let rows: Vec<[String; 5]> = figures
        .iter()
        .map(|f| {
            let goal = match (&f.goal, f.met) {
                (Some(goal), Some(true)) => format!("{goal} (met)"),
                (Some(goal), _) => format!("{goal} (NOT met)"),
                (None, _) => String::new(),
            };
            [
                f.area.to_string(),
                f.name.clone(),
                format!("{} {}", format_value(f.value), f.unit),
                goal,
                f.comparison.clone().unwrap_or_default(),
            ]
        })
        .collect();
    let header = ["area", "figure", "value", "goal", "compared with"];
    let mut widths = header.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: [&str; 5]| {
        let mut out = String::new();
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            if i > 0 {
                out.push_str("  ");
            }
            out.push_str(cell);
            if i + 1 < cells.len() {
                out.push_str(&" ".repeat(w.saturating_sub(cell.chars().count())));
            }
        }
        out.trim_end().to_string()
    };
    let mut out = line(header);
    for row in &rows {
        out.push('\n');
        out.push_str(&line([&row[0], &row[1], &row[2], &row[3], &row[4]]));
    }
    out
}

/// A value as people read it: integers with thousands separators, others to 3 significant
/// decimals.
pub fn format_value(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        let digits = format!("{}", value.abs() as u64);
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        if value < 0.0 {
            out.insert(0, '-');
        }
        out
    } else if value.abs() >= 100.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.3}")
    }
}

/// Appends ` --name value` to the command reproducing a run when `value` is not the flag's
/// default, so the command printed beside a figure is the shortest one that gives it again.
pub fn push_flag<T: PartialEq + std::fmt::Display>(
    command: &mut String,
    name: &str,
    value: T,
    default: T,
) {
    if value != default {
        command.push_str(&format!(" --{name} {value}"));
    }
}

/// Percentile `p` (0 to 100) of `samples`, which are sorted in place; 0 when empty.
pub fn percentile(samples: &mut [f64], p: f64) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    samples.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * samples.len() as f64).ceil() as usize;
    samples[rank.clamp(1, samples.len()) - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_read_as_people_write_them() {
        assert_eq!(format_value(1_234_567.0), "1,234,567");
        assert_eq!(format_value(999.0), "999");
        assert_eq!(format_value(-60_000.0), "-60,000");
        assert_eq!(format_value(0.5), "0.500");
        assert_eq!(format_value(1234.56), "1234.6");
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let mut xs: Vec<f64> = (1..=100).map(f64::from).collect();
        xs.reverse();
        assert_eq!(percentile(&mut xs, 99.0), 99.0);
        assert_eq!(percentile(&mut xs, 50.0), 50.0);
        assert_eq!(percentile(&mut xs, 100.0), 100.0);
        assert_eq!(percentile(&mut [], 99.0), 0.0);
    }

    #[test]
    fn the_table_names_unmet_goals() {
        let f = Figure::new(
            "gas",
            "commit",
            "commitEpoch",
            117_000.0,
            "gas",
            "yellowstone bench gas",
        )
        .goal("< 60,000", false)
        .compare("Morpheus: 936,000 per session");
        let table = render_table(&[f]);
        assert!(table.contains("117,000 gas"), "{table}");
        assert!(table.contains("< 60,000 (NOT met)"), "{table}");
        assert!(table.contains("Morpheus: 936,000 per session"), "{table}");
    }
}
