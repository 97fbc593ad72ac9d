//! Liveness probes of provider gateways (SPEC 4 step 5): `GET {endpoint}/health`, answered 2xx
//! within the timeout, cached for a few seconds so a busy router probes each endpoint rarely.
//!
//! An answer is used for at most `ttl`. Once it is half that old, the next request that needs
//! it starts one probe in the background and goes on with the cached answer, so under steady
//! load the answer is renewed before it expires and no request waits for a probe; only an
//! endpoint not asked about for `ttl` is probed on the request path (by every request that
//! finds it so, as before).

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

/// The last answer about one endpoint.
#[derive(Clone, Copy)]
struct Entry {
    live: bool,
    at: Instant,
    /// A background probe is under way.
    refreshing: bool,
}

type Cache = Arc<Mutex<HashMap<String, Entry>>>;

/// A cached prober.
pub struct Prober {
    client: reqwest::Client,
    ttl: Duration,
    cache: Cache,
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
            cache: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// Whether `endpoint` answered its health check recently, probing it if the cache is stale
    /// (and renewing it in the background when it is getting old).
    pub async fn live(&self, endpoint: &str) -> bool {
        {
            let mut cache = lock(&self.cache);
            if let Some(entry) = cache.get_mut(endpoint) {
                let age = entry.at.elapsed();
                if age < self.ttl {
                    if age >= self.ttl / 2 && !entry.refreshing {
                        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                            entry.refreshing = true;
                            let client = self.client.clone();
                            let cache = self.cache.clone();
                            let endpoint = endpoint.to_string();
                            runtime.spawn(async move {
                                let live = probe(&client, &endpoint).await;
                                record(&cache, endpoint, live);
                            });
                        }
                    }
                    return entry.live;
                }
            }
        }
        let live = probe(&self.client, endpoint).await;
        record(&self.cache, endpoint.to_string(), live);
        live
    }
}

/// One health check.
async fn probe(client: &reqwest::Client, endpoint: &str) -> bool {
    match client.get(format!("{endpoint}/health")).send().await {
        Ok(response) => response.status().is_success(),
        Err(_) => false,
    }
}

/// Stores a fresh answer (ending any background probe's claim on the entry).
fn record(cache: &Cache, endpoint: String, live: bool) {
    lock(cache).insert(
        endpoint,
        Entry {
            live,
            at: Instant::now(),
            refreshing: false,
        },
    );
}

fn lock(cache: &Cache) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
    cache.lock().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A health endpoint answering 200 and closing each connection; counts the probes.
    async fn endpoint() -> (String, Arc<AtomicU64>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let hits = Arc::new(AtomicU64::new(0));
        let counted = hits.clone();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                counted.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(async move {
                    let mut buf = [0u8; 1024];
                    let _ = socket.read(&mut buf).await;
                    let _ = socket
                        .write_all(
                            b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                        )
                        .await;
                });
            }
        });
        (url, hits)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_ageing_answer_is_renewed_in_the_background_once() {
        let (url, hits) = endpoint().await;
        let prober = Prober::new(Duration::from_secs(2), Duration::from_millis(400));
        assert!(prober.live(&url).await);
        assert_eq!(hits.load(Ordering::SeqCst), 1);
        // Fresh: no probe.
        assert!(prober.live(&url).await);
        assert_eq!(hits.load(Ordering::SeqCst), 1);
        // Past half the ttl: answered from the cache at once, one probe in the background.
        tokio::time::sleep(Duration::from_millis(250)).await;
        for _ in 0..50 {
            assert!(prober.live(&url).await);
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        while hits.load(Ordering::SeqCst) < 2 {
            assert!(Instant::now() < deadline, "no background probe");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(hits.load(Ordering::SeqCst), 2);
        // The renewed answer is fresh again: no further probe.
        assert!(prober.live(&url).await);
        assert_eq!(hits.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_expired_answer_is_probed_again_and_a_dead_endpoint_is_not_live() {
        let (url, hits) = endpoint().await;
        let prober = Prober::new(Duration::from_secs(2), Duration::from_millis(50));
        assert!(prober.live(&url).await);
        tokio::time::sleep(Duration::from_millis(80)).await;
        assert!(prober.live(&url).await);
        assert_eq!(hits.load(Ordering::SeqCst), 2);
        let dead = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            format!("http://{}", listener.local_addr().unwrap())
        };
        assert!(!prober.live(&dead).await);
    }
}
