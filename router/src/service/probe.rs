//! Liveness probes of provider gateways (SPEC 4 step 5): `GET {endpoint}/health`, answered 2xx
//! within the timeout, cached for a few seconds so a busy router probes each endpoint rarely.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

/// A cached prober.
pub struct Prober {
    client: reqwest::Client,
    ttl: Duration,
    cache: Mutex<HashMap<String, (bool, Instant)>>,
}

impl Prober {
    /// Probes time out after `timeout`; answers are reused for `ttl`.
    pub fn new(timeout: Duration, ttl: Duration) -> Self {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .build()
            .unwrap_or_default();
        Self {
            client,
            ttl,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// Whether `endpoint` answered its health check recently, probing it if the cache is stale.
    pub async fn live(&self, endpoint: &str) -> bool {
        if let Some((live, at)) = self.lock().get(endpoint) {
            if at.elapsed() < self.ttl {
                return *live;
            }
        }
        let live = match self.client.get(format!("{endpoint}/health")).send().await {
            Ok(response) => response.status().is_success(),
            Err(_) => false,
        };
        self.lock()
            .insert(endpoint.to_string(), (live, Instant::now()));
        live
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (bool, Instant)>> {
        self.cache.lock().unwrap_or_else(|p| p.into_inner())
    }
}
