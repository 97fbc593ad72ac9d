//! The backend's health, as `GET /health` reports it: the backend answered `GET /v1/models`
//! (or `GET /health`) within 2 seconds, remembered for 2 seconds.

use std::{
    sync::Mutex,
    time::{Duration, Instant},
};

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
