//! The patched `is_sol_keyword` (no `regex`) gives upstream 0.10.10's answer for every name
//! upstream answers, checked against upstream's own code (kept here, regex and all) and against
//! the keyword set its patterns describe, written out by hand.

use std::panic::{catch_unwind, set_hook, take_hook};
use std::sync::LazyLock;

use regex::Regex;
use stylus_core::is_sol_keyword;

static UINT_REGEX: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^uint(\d+)$").unwrap());
static INT_REGEX: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^int(\d+)$").unwrap());
static BYTES_REGEX: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^bytes(\d+)$").unwrap());

/// Upstream 0.10.10's `is_sol_keyword`, verbatim but for `LazyLock` in place of `lazy_static`.
fn upstream(name: &str) -> bool {
    if let Some(caps) = UINT_REGEX.captures(name) {
        let bits: usize = caps[1].parse().unwrap();
        if bits.is_multiple_of(8) {
            return true;
        }
    }

    if let Some(caps) = INT_REGEX.captures(name) {
        let bits: usize = caps[1].parse().unwrap();
        if bits.is_multiple_of(8) {
            return true;
        }
    }

    if let Some(caps) = BYTES_REGEX.captures(name) {
        let bits: usize = caps[1].parse().unwrap();
        if bits <= 32 {
            return true;
        }
    }

    match name {
        // other types
        "address" | "bytes" | "bool" | "int" | "uint" => true,

        // other words
        "is" | "contract" | "interface" => true,

        // reserved keywords
        "after" | "alias" | "apply" | "auto" | "byte" | "case" | "copyof" | "default"
        | "define" | "final" | "implements" | "in" | "inline" | "let" | "macro" | "match"
        | "mutable" | "null" | "of" | "partial" | "promise" | "reference" | "relocatable"
        | "sealed" | "sizeof" | "static" | "supports" | "switch" | "typedef" | "typeof" | "var" => {
            true
        }
        _ => false,
    }
}

const WORDS: [&str; 39] = [
    "address",
    "bytes",
    "bool",
    "int",
    "uint",
    "is",
    "contract",
    "interface",
    "after",
    "alias",
    "apply",
    "auto",
    "byte",
    "case",
    "copyof",
    "default",
    "define",
    "final",
    "implements",
    "in",
    "inline",
    "let",
    "macro",
    "match",
    "mutable",
    "null",
    "of",
    "partial",
    "promise",
    "reference",
    "relocatable",
    "sealed",
    "sizeof",
    "static",
    "supports",
    "switch",
    "typedef",
    "typeof",
    "var",
];

/// Names around every edge of the three patterns and the word list: each prefix with numbers
/// 0..=300 (with and without leading zeros), the largest `usize`, signs, spaces, a trailing
/// newline (`$` in `regex` is end of text only), wrong case, and each word with a letter
/// added or removed.
fn candidates() -> Vec<String> {
    let mut names: Vec<String> = WORDS.iter().map(|w| w.to_string()).collect();
    for word in WORDS {
        names.push(format!("{word}s"));
        names.push(format!("_{word}"));
        names.push(word.to_uppercase());
        names.push(word[..word.len() - 1].to_string());
    }
    for prefix in ["uint", "int", "bytes", "byte", "Uint", "u", ""] {
        for n in 0..=300u32 {
            names.push(format!("{prefix}{n}"));
            names.push(format!("{prefix}0{n}"));
            names.push(format!("{prefix}{n}x"));
            names.push(format!("{prefix}+{n}"));
            names.push(format!("{prefix}-{n}"));
            names.push(format!("{prefix} {n}"));
            names.push(format!("{prefix}{n} "));
            names.push(format!("{prefix}{n}\n"));
            names.push(format!("x{prefix}{n}"));
        }
        names.push(format!("{prefix}{}", usize::MAX));
        names.push(format!("{prefix}{}", usize::MAX - 7));
        names.push(format!("{prefix}0000000000000000000000000000008"));
        names.push(format!("{prefix}_8"));
    }
    names.push(String::new());
    names
}

#[test]
fn every_candidate_gets_upstreams_answer() {
    let names = candidates();
    assert!(names.len() > 10_000);
    for name in &names {
        assert_eq!(is_sol_keyword(name), upstream(name), "{name:?}");
    }
}

#[test]
fn the_keywords_are_exactly_the_set_the_patterns_describe() {
    let mut expected: Vec<String> = WORDS.iter().map(|w| w.to_string()).collect();
    for bits in (0..=4096).step_by(8) {
        expected.push(format!("uint{bits}"));
        expected.push(format!("int{bits}"));
    }
    for size in 0..=32 {
        expected.push(format!("bytes{size}"));
    }
    for name in &expected {
        assert!(is_sol_keyword(name), "{name:?} is a keyword");
    }
    for name in candidates() {
        let digits_only = |p: &str| {
            name.strip_prefix(p)
                .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
        };
        let number = |p: &str| name[p.len()..].parse::<u128>().unwrap_or(u128::MAX);
        let in_set = WORDS.contains(&name.as_str())
            || (digits_only("uint") && number("uint") % 8 == 0 && number("uint") != u128::MAX)
            || (digits_only("int") && number("int") % 8 == 0 && number("int") != u128::MAX)
            || (digits_only("bytes") && number("bytes") <= 32);
        assert_eq!(is_sol_keyword(&name), in_set, "{name:?}");
    }
}

/// The one change: where upstream panicked (`parse().unwrap()` on a number too large for
/// `usize`, or on a non-ASCII decimal digit, which `\d` matches), the patch answers `false`.
/// Upstream's panic surfaced as a proc-macro crash at compile time.
#[test]
fn names_upstream_panicked_on_are_not_keywords() {
    let too_large = format!("uint{}0", usize::MAX);
    let arabic_indic_eight = "int\u{0668}".to_string();
    let mut fullwidth_eight = "bytes".to_string();
    fullwidth_eight.push('\u{FF18}');
    let previous = take_hook();
    set_hook(Box::new(|_| {}));
    for name in [too_large, arabic_indic_eight, fullwidth_eight] {
        assert!(catch_unwind(|| upstream(&name)).is_err(), "{name:?}");
        assert!(!is_sol_keyword(&name), "{name:?}");
    }
    set_hook(previous);
}
