// Yellowstone patch (see patches/README.md): the same answers as upstream 0.10.10, written
// without `regex` and `lazy_static`, which pulled `std` into every contract built on this crate.

/// The decimal number after `prefix` in `name`, if `name` is `prefix` followed by one or more
/// digits and nothing else (what the regex `^<prefix>(\d+)$` matched).
fn suffix_number(name: &str, prefix: &str) -> Option<usize> {
    let digits = name.strip_prefix(prefix)?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

pub fn is_sol_keyword(name: &str) -> bool {
    if let Some(bits) = suffix_number(name, "uint") {
        if bits.is_multiple_of(8) {
            return true;
        }
    }

    if let Some(bits) = suffix_number(name, "int") {
        if bits.is_multiple_of(8) {
            return true;
        }
    }

    if let Some(bits) = suffix_number(name, "bytes") {
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
