//! The market's economic adversaries (issue 13, SPEC 8), each on the devnet with the real
//! router and the real provider gateway in front of textgen, through the router's HTTP API.
//! Every attacker signs the router's EIP-712 messages itself, as a client written elsewhere
//! would; honest users time their streamed answers and report the truth. Each test prints the
//! figure docs/SECURITY.md quotes (`cargo test -p yellowstone --test it market_attacks --
//! --nocapture`).
//!
//! | module | attacks |
//! |---|---|
//! | `speed` | speed-average poisoning (zero and huge times, one user and ten); times beyond the wall clock |
//! | `prices` | an absurd bid; a thousand junk bids on invented models; an accomplice at the price ceiling |
//! | `fails` | fail spam by a large and a small holder; a fail reported before the answer is fetched |
//! | `endpoints` | many keys behind one endpoint; a provider over its capacity |
//! | `midnight` | a request admitted before 00:00 UTC and issued and reported after |

use std::{
    sync::atomic::{AtomicU64, Ordering},
    time::Duration,
};

use alloy_primitives::{Address, U256};
use alloy_signer_local::PrivateKeySigner;
use serde_json::{json, Value};
use yellowstone_router::config::Config;
use yellowstone_test_utils::{scenario::*, *};

mod endpoints;
mod fails;
mod midnight;
mod prices;
mod speed;

/// The model the honest provider serves.
const MODEL: &str = "textgen-words";
/// The honest provider: dev account 1 (which also funds the contract), 10,000 MOR staked.
const HONEST: usize = 1;
/// Dev accounts of honest users (1,000,000 MOR each).
const USERS: [usize; 4] = [4, 5, 6, 7];
/// Tokens of an honest answer.
const ANSWER: u64 = 20;
/// The pause between streamed tokens of every textgen here: an honest answer of [`ANSWER`]
/// tokens takes about 200 ms, so scheduling noise is small beside it.
const TOKEN_DELAY: Duration = Duration::from_millis(10);

/// The honest provider's price: 0.001 MOR per token.
fn honest_price() -> U256 {
    U256::from(10u64).pow(U256::from(15))
}

/// A devnet with the contract funded with 10,000 MOR and the honest provider's 10,000 MOR
/// staked for a year. Tests stake and move MOR further before [`Market::open`] takes the
/// day's balance snapshot.
async fn chain() -> Net {
    let net = Net::start();
    net.fund(mor(10_000)).await;
    net.stake(HONEST, mor(10_000), 365).await;
    net
}

/// The market of one test: the chain, the router, and the honest provider's real stack, bid.
struct Market {
    net: Net,
    running: yellowstone_router::server::Running,
    api: Api,
    honest: ProviderStack,
    nonce: AtomicU64,
}

impl Market {
    /// [`Market::open_with`] a capacity of 8 and the default router.
    async fn open(net: Net, name: &str) -> Market {
        Self::open_with(net, name, 8, |_| {}).await
    }

    /// Moves to the next day (the balance snapshot), starts a router configured by
    /// `configure` on a database named `name`, and the honest provider's stack serving
    /// `capacity` requests at once, attested and bid for [`MODEL`] at [`honest_price`].
    async fn open_with(
        net: Net,
        name: &str,
        capacity: u32,
        configure: impl FnOnce(&mut Config),
    ) -> Market {
        net.next_day().await;
        let running = router_with(&net, &temp_db(name), configure).await;
        let api = Api::new(running.url());
        let honest = gateway_stack(&net, &running.url(), HONEST, capacity, TOKEN_DELAY).await;
        attest_model(&net, &api, &key(HONEST), MODEL).await;
        let offer = Offer {
            model: MODEL.into(),
            price: honest_price(),
            capacity,
            endpoint: honest.gateway.url(),
            nonce: 1,
        };
        let (status, body) = bid_offer(&net, &api, &key(HONEST), &offer).await;
        assert_eq!((status, &body["selectable"]), (200, &json!(true)), "{body}");
        Market {
            net,
            running,
            api,
            honest,
            nonce: AtomicU64::new(1),
        }
    }

    /// A fresh RFC nonce (unique across users, which is more than needed).
    fn nonce(&self) -> u64 {
        self.nonce.fetch_add(1, Ordering::SeqCst)
    }

    /// An honest request of [`ANSWER`] tokens of [`MODEL`] by `user`; returns the verdict.
    async fn honest(&self, user: &PrivateKeySigner) -> Value {
        honest_request(&self.net, &self.api, user, MODEL, ANSWER, self.nonce())
            .await
            .1
    }

    /// `user`'s RFC for `token_max` tokens of `model`.
    async fn ask(&self, user: &PrivateKeySigner, model: &str, token_max: u64) -> (u16, Value) {
        ask(&self.net, &self.api, user, model, token_max, self.nonce()).await
    }

    /// `GET /v1/allowance/{user}`.
    async fn allowance(&self, user: Address) -> Value {
        let (status, view) = self.api.get(&format!("/v1/allowance/{user}")).await;
        assert_eq!(status, 200, "{view}");
        view
    }

    /// `GET /v1/providers/{provider}`.
    async fn provider(&self, provider: Address) -> Value {
        let (status, view) = self.api.get(&format!("/v1/providers/{provider}")).await;
        assert_eq!(status, 200, "{view}");
        view
    }

    /// Whether `provider` is backed off at the router's now.
    async fn backed_off(&self, provider: Address) -> bool {
        let view = self.provider(provider).await;
        let now = router_now(&self.api).await;
        view["backoff"]["until"]
            .as_u64()
            .is_some_and(|until| until > now)
    }

    /// Stops the router and the honest stack.
    fn stop(self) {
        self.honest.gateway.kill();
        self.honest.textgen.kill();
        self.running.kill();
    }
}

/// Whether a verdict credited.
fn is_credited(verdict: &Value) -> bool {
    verdict["outcome"] == "credited"
}

/// `a / b` in parts per million, for printing (integers only).
fn per_million(a: U256, b: U256) -> U256 {
    if b.is_zero() {
        return U256::ZERO;
    }
    a * U256::from(1_000_000u64) / b
}

/// Wei as MOR with three decimals, for printing.
fn mor_text(wei: U256) -> String {
    let milli = wei / U256::from(10u64).pow(U256::from(15));
    let whole = milli / U256::from(1_000u64);
    let frac = milli % U256::from(1_000u64);
    format!("{whole}.{:0>3} MOR", frac.to_string())
}
