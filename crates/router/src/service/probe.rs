//! Liveness probes of provider gateways (SPEC 4 step 5, SPEC 8): `GET
//! {endpoint}/health?challenge=0x<32 random bytes>`, answered 200 with a
//! [`GatewayHealth`] whose `liveness` is `Liveness { provider, challenge }` signed by the bid's
//! provider under the market's domain, and whose backend is live. Anything else (no answer,
//! non-2xx, not that body, unsigned, another challenge, another key, a dead backend) is not
//! live, and the reason is kept ([`Prober::failure`]) and logged at debug. So an endpoint
//! proves it holds the key it bids with: of many keys bid behind one endpoint, only the key
//! the gateway holds is live.
//!
//! Answers are cached per (endpoint, provider) and used for at most `ttl`. Once an answer is
//! half that old, the next request that needs it starts one probe in the background and goes
//! on with the cached answer, so under steady load the answer is renewed before it expires and
//! no request waits for a probe; only a pair not asked about for `ttl` is probed on the
//! request path (by every request that finds it so, as before).

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use alloy_primitives::{Address, B256};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::Eip712Domain;
use yellowstone_api::GatewayHealth;

/// The largest health answer read: a signed liveness answer is well under 1 KiB.
const MAX_ANSWER: usize = 16 * 1024;

/// The last answer about one (endpoint, provider).
#[derive(Clone)]
struct Entry {
    /// `Ok` when live, else why not.
    verdict: Result<(), String>,
    at: Instant,
    /// A background probe is under way.
    refreshing: bool,
}

type Key = (String, Address);
type Cache = Arc<Mutex<HashMap<Key, Entry>>>;

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

    /// Whether the gateway at `endpoint` recently proved it holds `provider`'s key under
    /// `domain` and has a live backend, probing if the cache is stale (and renewing it in the
    /// background when it is getting old).
    pub async fn live(&self, endpoint: &str, provider: Address, domain: &Eip712Domain) -> bool {
        let key = (endpoint.to_string(), provider);
        {
            let mut cache = lock(&self.cache);
            if let Some(entry) = cache.get_mut(&key) {
                let age = entry.at.elapsed();
                if age < self.ttl {
                    if age >= self.ttl / 2 && !entry.refreshing {
                        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                            entry.refreshing = true;
                            let client = self.client.clone();
                            let cache = self.cache.clone();
                            let domain = domain.clone();
                            let key = key.clone();
                            runtime.spawn(async move {
                                let verdict = probe(&client, &key.0, key.1, &domain).await;
                                record(&cache, key, verdict);
                            });
                        }
                    }
                    return entry.verdict.is_ok();
                }
            }
        }
        let verdict = probe(&self.client, endpoint, provider, domain).await;
        let live = verdict.is_ok();
        record(&self.cache, key, verdict);
        live
    }

    /// Why the last probe of `provider` at `endpoint` found it not live (`None`: it was live,
    /// or was never probed).
    pub fn failure(&self, endpoint: &str, provider: Address) -> Option<String> {
        lock(&self.cache)
            .get(&(endpoint.to_string(), provider))
            .and_then(|entry| entry.verdict.clone().err())
    }
}

/// A fresh challenge: 32 bytes the endpoint cannot predict (a random secp256k1 scalar, from the
/// operating system's generator: the router has no other source of secure randomness).
fn challenge() -> B256 {
    PrivateKeySigner::random().to_bytes()
}

/// One challenge of `provider` at `endpoint`.
async fn probe(
    client: &reqwest::Client,
    endpoint: &str,
    provider: Address,
    domain: &Eip712Domain,
) -> Result<(), String> {
    let challenge = challenge();
    let verdict = ask(client, endpoint, challenge)
        .await
        .and_then(|answer| check(&answer, provider, challenge, domain));
    if let Err(reason) = &verdict {
        tracing::debug!(endpoint, %provider, reason, "provider not live");
    }
    verdict
}

/// The health answer to `challenge`, read up to [`MAX_ANSWER`] bytes.
async fn ask(
    client: &reqwest::Client,
    endpoint: &str,
    challenge: B256,
) -> Result<GatewayHealth, String> {
    let url = format!("{endpoint}/health?challenge={challenge}");
    let mut response = client
        .get(&url)
        .send()
        .await
        .map_err(|e| format!("no answer to the health check: {}", e.without_url()))?;
    let status = response.status();
    if !status.is_success() {
        return Err(format!("the health check answered {status}"));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| format!("the health answer was cut off: {}", e.without_url()))?
    {
        if body.len().saturating_add(chunk.len()) > MAX_ANSWER {
            return Err(format!(
                "the health answer is larger than {MAX_ANSWER} bytes"
            ));
        }
        body.extend_from_slice(&chunk);
    }
    serde_json::from_slice(&body).map_err(|e| {
        format!("the health answer is not a gateway's (signed liveness expected): {e}")
    })
}

/// Whether `answer` proves `provider`'s key signed `challenge` under `domain`, with a live
/// backend; else why not.
fn check(
    answer: &GatewayHealth,
    provider: Address,
    challenge: B256,
    domain: &Eip712Domain,
) -> Result<(), String> {
    let Some(signed) = &answer.liveness else {
        return Err("the health answer is not signed (no liveness)".into());
    };
    let liveness = &signed.message;
    if liveness.challenge != challenge {
        return Err(format!(
            "the liveness answer is to challenge {}, not to the one asked {challenge}",
            liveness.challenge
        ));
    }
    if liveness.provider != provider {
        return Err(format!(
            "the endpoint holds the key of {}, not of {provider}",
            liveness.provider
        ));
    }
    signed
        .verify(domain, None)
        .map_err(|e| format!("the liveness answer's signature is not {provider}'s: {e}"))?;
    if !answer.backend_live {
        return Err("the gateway's backend is down".into());
    }
    Ok(())
}

/// Stores a fresh answer (ending any background probe's claim on the entry).
fn record(cache: &Cache, key: Key, verdict: Result<(), String>) {
    lock(cache).insert(
        key,
        Entry {
            verdict,
            at: Instant::now(),
            refreshing: false,
        },
    );
}

fn lock(cache: &Cache) -> std::sync::MutexGuard<'_, HashMap<Key, Entry>> {
    cache.lock().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use yellowstone_protocol::{
        eip712::types::domain,
        messages::{Liveness, Signed},
    };

    fn market() -> Eip712Domain {
        domain(412_346, Address::repeat_byte(0xc0))
    }

    fn key(n: u8) -> PrivateKeySigner {
        PrivateKeySigner::from_bytes(&B256::repeat_byte(n)).unwrap()
    }

    /// How a stand-in gateway answers a challenge.
    #[derive(Clone, Copy)]
    enum Answer {
        /// As the real gateway: its key signs the challenge asked.
        Honest,
        /// 200 and an empty body: the unsigned health check of old.
        Unsigned,
        /// Its key signs a challenge it makes up.
        OtherChallenge,
        /// Its key signs, under another market's domain.
        OtherDomain,
        /// Signed honestly, but the backend is down.
        BackendDown,
    }

    fn reply(answer: Answer, signer: &PrivateKeySigner, request: &str) -> String {
        let asked = request
            .split_once("challenge=")
            .and_then(|(_, rest)| rest.get(..66))
            .and_then(|c| c.parse::<B256>().ok())
            .unwrap_or_default();
        let (challenge, domain) = match answer {
            Answer::Unsigned => {
                return "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".into()
            }
            Answer::OtherChallenge => (B256::repeat_byte(7), market()),
            Answer::OtherDomain => (asked, domain(1, Address::repeat_byte(0xc0))),
            Answer::Honest | Answer::BackendDown => (asked, market()),
        };
        let provider = signer.address();
        let signed = Signed::sign(
            Liveness {
                provider,
                challenge,
            },
            signer,
            &domain,
        )
        .unwrap();
        let backend_live = !matches!(answer, Answer::BackendDown);
        let body = serde_json::to_string(&GatewayHealth {
            backend_live,
            capacity: 8,
            in_flight: 0,
            liveness: Some(signed),
            provider,
            status: GatewayHealth::OK.into(),
        })
        .unwrap();
        format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
    }

    /// A stand-in gateway holding `signer`, answering each probe as `answer` and closing each
    /// connection; counts the probes.
    async fn endpoint(answer: Answer, signer: PrivateKeySigner) -> (String, Arc<AtomicU64>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let hits = Arc::new(AtomicU64::new(0));
        let counted = hits.clone();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                counted.fetch_add(1, Ordering::SeqCst);
                let signer = signer.clone();
                tokio::spawn(async move {
                    let mut buf = [0u8; 1024];
                    let n = socket.read(&mut buf).await.unwrap_or(0);
                    let request = String::from_utf8_lossy(&buf[..n]).to_string();
                    let _ = socket
                        .write_all(reply(answer, &signer, &request).as_bytes())
                        .await;
                });
            }
        });
        (url, hits)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn of_two_keys_behind_one_endpoint_only_the_key_it_holds_is_live() {
        let (url, hits) = endpoint(Answer::Honest, key(1)).await;
        let prober = Prober::new(Duration::from_secs(2), Duration::from_secs(60));
        assert!(prober.live(&url, key(1).address(), &market()).await);
        assert_eq!(prober.failure(&url, key(1).address()), None);
        // The second key is probed on its own (the cache is per endpoint and provider).
        assert!(!prober.live(&url, key(2).address(), &market()).await);
        assert_eq!(hits.load(Ordering::SeqCst), 2);
        let why = prober.failure(&url, key(2).address()).unwrap();
        assert!(why.contains("holds the key of"), "{why}");
        // The key held stays live from the cache.
        assert!(prober.live(&url, key(1).address(), &market()).await);
        assert_eq!(hits.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_unsigned_replayed_foreign_or_backendless_answer_is_not_live() {
        let prober = Prober::new(Duration::from_secs(2), Duration::from_secs(60));
        let provider = key(1).address();
        for (answer, reason) in [
            (Answer::Unsigned, "not a gateway's"),
            (Answer::OtherChallenge, "not to the one asked"),
            (Answer::OtherDomain, "signature is not"),
            (Answer::BackendDown, "backend is down"),
        ] {
            let (url, _) = endpoint(answer, key(1)).await;
            assert!(!prober.live(&url, provider, &market()).await, "{reason}");
            let why = prober.failure(&url, provider).unwrap();
            assert!(why.contains(reason), "{why}");
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_ageing_answer_is_renewed_in_the_background_once() {
        let (url, hits) = endpoint(Answer::Honest, key(1)).await;
        let p = key(1).address();
        let prober = Prober::new(Duration::from_secs(2), Duration::from_millis(400));
        assert!(prober.live(&url, p, &market()).await);
        assert_eq!(hits.load(Ordering::SeqCst), 1);
        // Fresh: no probe.
        assert!(prober.live(&url, p, &market()).await);
        assert_eq!(hits.load(Ordering::SeqCst), 1);
        // Past half the ttl: answered from the cache at once, one probe in the background.
        tokio::time::sleep(Duration::from_millis(250)).await;
        for _ in 0..50 {
            assert!(prober.live(&url, p, &market()).await);
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        while hits.load(Ordering::SeqCst) < 2 {
            assert!(Instant::now() < deadline, "no background probe");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(hits.load(Ordering::SeqCst), 2);
        // The renewed answer is fresh again: no further probe.
        assert!(prober.live(&url, p, &market()).await);
        assert_eq!(hits.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_expired_answer_is_probed_again_and_a_dead_endpoint_is_not_live() {
        let (url, hits) = endpoint(Answer::Honest, key(1)).await;
        let p = key(1).address();
        let prober = Prober::new(Duration::from_secs(2), Duration::from_millis(50));
        assert!(prober.live(&url, p, &market()).await);
        tokio::time::sleep(Duration::from_millis(80)).await;
        assert!(prober.live(&url, p, &market()).await);
        assert_eq!(hits.load(Ordering::SeqCst), 2);
        let dead = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            format!("http://{}", listener.local_addr().unwrap())
        };
        assert!(!prober.live(&dead, p, &market()).await);
        let why = prober.failure(&dead, p).unwrap();
        assert!(why.contains("no answer"), "{why}");
    }
}
