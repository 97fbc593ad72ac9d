//! The measurements of `bench gas` as [`Figure`]s: the settlement figures against the issue's
//! goals and Morpheus, then one figure per external function (transactions first, then views,
//! each in the ABI's order).

use super::{
    functions::{self, Measured},
    Measurements, Options, CLAIM_GOAL_CACHED, CLAIM_GOAL_DEPLOYED, COMMIT_GOAL_CACHED,
    COMMIT_GOAL_DEPLOYED, INDEPENDENCE_PERCENT, MORPHEUS_SESSION_GAS,
};
use crate::bench::{format_value, Figure};

/// A number as people read it (thousands separators).
fn n(value: u64) -> String {
    format_value(value as f64)
}

/// `count` and the noun, plural unless one (`-es` after `s` and `h`).
pub(super) fn count(count: u64, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        let es = if noun.ends_with('s') || noun.ends_with('h') {
            "es"
        } else {
            "s"
        };
        format!("{} {noun}{es}", n(count))
    }
}

/// The mean, rounded to whole gas; 0 for none.
fn mean(xs: &[u64]) -> f64 {
    if xs.is_empty() {
        return 0.0;
    }
    (xs.iter().sum::<u64>() as f64 / xs.len() as f64).round()
}

/// How many times cheaper than a one-inference Morpheus session.
fn times_cheaper(per_inference: f64) -> String {
    let ratio = MORPHEUS_SESSION_GAS as f64 / per_inference;
    if ratio >= 100.0 {
        format!("{}x", format_value(ratio.round()))
    } else {
        format!("{ratio:.1}x")
    }
}

/// Every figure of a run with `options`.
pub(super) fn figures(options: &Options, m: &Measurements) -> Vec<Figure> {
    let cmd = super::command(options);
    let gas = |key: String, name: String, value: f64| {
        Figure::new("gas", key, name, value, "gas", cmd.as_str())
    };
    let providers = options.providers;
    let mut out = Vec::new();
    for r in &m.rounds {
        out.push(
            gas(
                format!("commit_gas_k{}", r.inferences),
                format!(
                    "commitEpoch, one root settling {}",
                    count(r.inferences, "inference")
                ),
                r.commit_gas as f64,
            )
            .goal(
                format!("<= {} as deployed", n(COMMIT_GOAL_DEPLOYED)),
                r.commit_gas <= COMMIT_GOAL_DEPLOYED,
            )
            .compare(format!(
                "{} in the root; program not cached; devnet L2 execution gas, no L1 data fee",
                count(providers, "provider")
            )),
        );
    }
    let claims: Vec<u64> = m.rounds.iter().flat_map(|r| r.claims.clone()).collect();
    let worst = claims.iter().copied().max().unwrap_or(0);
    let best = claims.iter().copied().min().unwrap_or(0);
    out.push(
        gas(
            "claim_gas".into(),
            "claim, mean of providers' later claims".into(),
            mean(&claims),
        )
        .goal(
            format!("<= {} as deployed (every claim)", n(CLAIM_GOAL_DEPLOYED)),
            !claims.is_empty() && worst <= CLAIM_GOAL_DEPLOYED,
        )
        .compare(format!(
            "{}, {} to {}; proofs of {} ({} leaves)",
            count(claims.len() as u64, "claim"),
            n(best),
            n(worst),
            count(m.proof_len as u64, "hash"),
            providers
        )),
    );
    for r in &m.rounds {
        let per = r.total() as f64 / r.inferences as f64;
        let per = if per >= 100.0 { per.round() } else { per };
        out.push(
            gas(
                format!("per_inference_k{}", r.inferences),
                format!(
                    "gas per inference at {} per block: (commit + {}) / {}",
                    n(r.inferences),
                    count(r.claims.len() as u64, "claim"),
                    n(r.inferences)
                ),
                per,
            )
            .compare(format!(
                "Morpheus: {} per session (open ~496,000 + close ~440,000): {} cheaper than a \
                 one-inference session",
                n(MORPHEUS_SESSION_GAS),
                times_cheaper(per)
            )),
        );
    }
    let lo = m.rounds.iter().min_by_key(|r| r.inferences);
    let hi = m.rounds.iter().max_by_key(|r| r.inferences);
    if let (Some(lo), Some(hi)) = (lo, hi) {
        let delta = hi.commit_gas as f64 - lo.commit_gas as f64;
        let met = delta.abs() <= lo.commit_gas as f64 * INDEPENDENCE_PERCENT / 100.0;
        out.push(
            gas(
                "commit_independence".into(),
                format!(
                    "commitEpoch at {} minus at {}",
                    count(hi.inferences, "inference"),
                    count(lo.inferences, "inference")
                ),
                delta,
            )
            .goal(
                format!("within ±{INDEPENDENCE_PERCENT}% of the commit"),
                met,
            )
            .compare(format!(
                "{} at {}, {} at {}",
                n(lo.commit_gas),
                count(lo.inferences, "inference"),
                n(hi.commit_gas),
                count(hi.inferences, "inference")
            )),
        );
    }
    let c = &m.cached;
    out.push(
        gas(
            "commit_gas_cached".into(),
            format!(
                "commitEpoch, {}, the program in Nitro's program cache",
                count(c.inferences, "inference")
            ),
            c.commit_gas as f64,
        )
        .goal(
            format!("<= {} cached", n(COMMIT_GOAL_CACHED)),
            c.commit_gas <= COMMIT_GOAL_CACHED,
        )
        .compare("ArbWasmCache.cacheProgram (a CacheManager bid on Arbitrum)"),
    );
    let worst_cached = c.claims.iter().copied().max().unwrap_or(0);
    out.push(
        gas(
            "claim_gas_cached".into(),
            "claim, the program in Nitro's program cache".into(),
            mean(&c.claims),
        )
        .goal(
            format!("<= {} cached (every claim)", n(CLAIM_GOAL_CACHED)),
            !c.claims.is_empty() && worst_cached <= CLAIM_GOAL_CACHED,
        )
        .compare(format!(
            "{}, {} to {}; the MOR transfer inside is EVM code (OpenZeppelin ERC20)",
            count(c.claims.len() as u64, "claim"),
            n(c.claims.iter().copied().min().unwrap_or(0)),
            n(worst_cached)
        )),
    );
    let per = c.total() as f64 / c.inferences as f64;
    out.push(
        gas(
            format!("per_inference_cached_k{}", c.inferences),
            format!(
                "gas per inference at {} per block, program cached",
                n(c.inferences)
            ),
            if per >= 100.0 { per.round() } else { per },
        )
        .compare(format!(
            "Morpheus: {} per session: {} cheaper",
            n(MORPHEUS_SESSION_GAS),
            times_cheaper(per)
        )),
    );
    out.push(
        gas(
            "commit_gas_first_root".into(),
            "commitEpoch, the first root ever (and the day's first)".into(),
            m.first_commit as f64,
        )
        .compare("once per deployment: fresh storage"),
    );
    out.push(
        gas(
            "commit_gas_day_first".into(),
            "commitEpoch, a day's first root".into(),
            m.day_commit as f64,
        )
        .compare("once per UTC day: the day roll"),
    );
    out.push(
        gas(
            "commit_gas_bootstrap".into(),
            "commitEpoch, the root carrying a day's bootstrap shares".into(),
            m.bootstrap_commit as f64,
        )
        .compare(
            "once per UTC day in the bootstrap window; here the first ever, whose bootstrap \
             totals are fresh storage",
        ),
    );
    out.push(
        gas(
            "claim_gas_first".into(),
            "claim, a provider's first".into(),
            mean(&m.first_claims),
        )
        .compare(format!(
            "once per provider: fresh storage (mean of {})",
            count(m.first_claims.len() as u64, "claim")
        )),
    );
    out.extend(function_figures(&cmd, m, &claims));
    out
}

/// One figure per external function in the ABI, `fn_<name>`: transactions first, then views.
/// A function without a measurement gets a zero figure that says so.
fn function_figures(cmd: &str, m: &Measurements, claims: &[u64]) -> Vec<Figure> {
    let mut book = m.book.clone();
    if let Some(r) = m.rounds.first() {
        let note = format!(
            "a root within the day settling {} (steady state)",
            count(r.inferences, "inference")
        );
        let measured = Measured {
            gas: r.commit_gas,
            note,
        };
        book.insert("commitEpoch".into(), measured);
    }
    if !claims.is_empty() {
        let note = format!(
            "a provider's later claim from its own key: mean of {} (steady state)",
            count(claims.len() as u64, "claim")
        );
        let measured = Measured {
            gas: mean(claims) as u64,
            note,
        };
        book.insert("claim".into(), measured);
    }
    let mut abi = match functions::abi_functions() {
        Ok(abi) => abi,
        Err(e) => {
            let f = Figure::new("gas", "fn_abi", "the contract's ABI", 0.0, "gas", cmd);
            return vec![f.compare(format!("unreadable: {e:#}"))];
        }
    };
    abi.sort_by_key(|f| f.view);
    abi.iter()
        .map(|f| {
            let kind = if f.view { "view" } else { "transaction" };
            let name = format!("{} ({kind})", f.name);
            let key = format!("fn_{}", f.name);
            match book.get(&f.name) {
                Some(x) => {
                    Figure::new("gas", key, name, x.gas as f64, "gas", cmd).compare(x.note.clone())
                }
                None => Figure::new("gas", key, name, 0.0, "gas", cmd)
                    .compare("not measured: the bench has no call for it yet"),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_read_as_english() {
        assert_eq!(count(1, "inference"), "1 inference");
        assert_eq!(count(10_000, "inference"), "10,000 inferences");
        assert_eq!(count(3, "hash"), "3 hashes");
        assert_eq!(count(0, "claim"), "0 claims");
    }

    #[test]
    fn morpheus_ratios_are_rounded_for_people() {
        assert_eq!(times_cheaper(208_000.0), "4.5x");
        assert_eq!(times_cheaper(80.647), "11,606x");
        assert_eq!(mean(&[]), 0.0);
        assert_eq!(mean(&[1, 2]), 2.0);
    }
}
