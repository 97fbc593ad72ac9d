//! `GET /health`: the backend's health (it answered `GET /v1/models` or `GET /health` within
//! 2 seconds, remembered for 2 seconds), the load, and the signed answer to the router's
//! liveness challenge (SPEC 8), which proves the endpoint holds the provider key.

use std::{
    str::FromStr,
    sync::Mutex,
    time::{Duration, Instant},
};

use alloy_primitives::B256;
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::Eip712Domain;
use yellowstone_api::GatewayHealth;
use yellowstone_protocol::messages::{Liveness, Signed};

/// Reads a challenge, `0x` and 64 hex digits.
pub fn challenge_of(text: &str) -> Result<B256, String> {
    let hex = text.strip_prefix("0x").unwrap_or(text);
    if hex.len() != 64 {
        return Err(format!(
            "the challenge is {} hex digits; it must be 0x and 64 (32 bytes)",
            hex.len()
        ));
    }
    B256::from_str(hex).map_err(|e| format!("the challenge is not hex: {e}"))
}

/// The `/health` answer of the gateway holding `key`: with `challenge`, `Liveness { provider,
/// challenge }` signed under the market's `domain`. Also what a test's stand-in gateway
/// answers, so it passes the router's probe exactly as the real one does.
pub fn answer_health(
    key: &PrivateKeySigner,
    domain: &Eip712Domain,
    challenge: Option<B256>,
    backend_live: bool,
    capacity: u32,
    in_flight: u32,
) -> Result<GatewayHealth, alloy_signer::Error> {
    let provider = key.address();
    let liveness = challenge
        .map(|challenge| {
            Signed::sign(
                Liveness {
                    provider,
                    challenge,
                },
                key,
                domain,
            )
        })
        .transpose()?;
    let status = if backend_live {
        GatewayHealth::OK
    } else {
        GatewayHealth::BACKEND_DOWN
    };
    Ok(GatewayHealth {
        backend_live,
        capacity,
        in_flight,
        liveness,
        provider,
        status: status.into(),
    })
}

/// How long a probe may take, and how long its answer is reused.
const PROBE: Duration = Duration::from_secs(2);

/// A cached probe of the backend.
pub(crate) struct Health {
    client: reqwest::Client,
    last: Mutex<Option<(bool, Instant)>>,
}

impl Health {
    /// A prober that opens a fresh connection each time, so a dead backend is never hidden
    /// behind a pooled connection.
    pub(crate) fn new() -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .timeout(PROBE)
            .pool_max_idle_per_host(0)
            .build()?;
        Ok(Self {
            client,
            last: Mutex::new(None),
        })
    }

    /// Whether the backend at `base` answers, probing when the last answer is stale.
    pub(crate) async fn live(&self, base: &str) -> bool {
        if let Some((live, at)) = *self.lock() {
            if at.elapsed() < PROBE {
                return live;
            }
        }
        let mut live = false;
        for path in ["/v1/models", "/health"] {
            if let Ok(response) = self.client.get(format!("{base}{path}")).send().await {
                if response.status().is_success() {
                    live = true;
                    break;
                }
            }
        }
        *self.lock() = Some((live, Instant::now()));
        live
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<(bool, Instant)>> {
        self.last.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_challenge_is_32_bytes_of_hex() {
        let hex = format!("0x{}", "ab".repeat(32));
        assert_eq!(challenge_of(&hex), Ok(B256::repeat_byte(0xab)));
        assert_eq!(challenge_of(&hex[2..]), Ok(B256::repeat_byte(0xab)));
        assert!(challenge_of("0x1234").unwrap_err().contains("4 hex digits"));
        assert!(challenge_of(&format!("0x{}", "zz".repeat(32)))
            .unwrap_err()
            .contains("not hex"));
    }
}
