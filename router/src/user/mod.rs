//! The user's side of the market (SPEC section 4, steps 2, 7 and 9): sign an RFC, take the
//! ticket to the provider, send the prompt straight there, count the answer, sign a report.
//! The router never sees a prompt or an answer.
//!
//! | module | what it does |
//! |---|---|
//! | [`exchange`] | one request: RFC and ticket, the provider call, the tally, the report |
//! | [`chat`] | `yellowstone user chat`: one prompt, the answer streamed |
//! | [`proxy`] | `yellowstone user proxy`: a local OpenAI-compatible endpoint |
//! | [`sse`] | reading server-sent events |

pub mod chat;
pub mod exchange;
pub mod proxy;
pub mod sse;

use alloy_primitives::{B256, U256};
use alloy_signer_local::PrivateKeySigner;
use anyhow::Context;

use crate::market::judge::Verdict;

/// Reads the user key: `file` (hex, whitespace ignored) or `env` (the value of
/// `YELLOWSTONE_USER_KEY`). Never logged.
pub fn load_key(
    file: Option<&std::path::Path>,
    env: Option<String>,
) -> anyhow::Result<PrivateKeySigner> {
    let text = match (file, env) {
        (Some(path), _) => std::fs::read_to_string(path)
            .with_context(|| format!("reading the user key file {}", path.display()))?,
        (None, Some(value)) => value,
        (None, None) => anyhow::bail!(
            "no user key: pass --key-file <path> or set YELLOWSTONE_USER_KEY (hex private key)"
        ),
    };
    let bytes: B256 = text
        .trim()
        .parse()
        .map_err(|_| anyhow::anyhow!("the user key is not 32 bytes of hex"))?;
    PrivateKeySigner::from_bytes(&bytes)
        .map_err(|_| anyhow::anyhow!("the user key is not a valid secp256k1 secret"))
}

/// MOR wei as MOR with all 18 decimals, exactly: `1500000000000000000` → `1.500000000000000000`.
pub fn format_mor(wei: U256) -> String {
    let unit = U256::from(10u64).pow(U256::from(18));
    format!("{}.{:0>18}", wei / unit, (wei % unit).to_string())
}

/// A verdict in words: `credited 12 tokens (120 wei)` or `refused: failed`.
pub fn describe(verdict: &Verdict) -> String {
    match verdict {
        Verdict::Credited { tokens, wei, .. } => format!("credited {tokens} tokens ({wei} wei)"),
        Verdict::Refused { reason } => match serde_json::to_value(reason) {
            Ok(v) => match v["reason"].as_str() {
                Some("too_slow") => format!("refused: too slow ({v})"),
                Some(r) => format!("refused: {r}"),
                None => format!("refused: {v}"),
            },
            Err(_) => format!("refused: {reason:?}"),
        },
    }
}
