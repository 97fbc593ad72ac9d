//! The bench's stage on the embedded devnet: router, provider, users, and the calibration.

use std::path::Path;

use alloy_primitives::{keccak256, B256, U256};
use alloy_signer_local::PrivateKeySigner;
use anyhow::{ensure, Context, Result};
use yellowstone_protocol::messages::{request_id, Report, Rfc};

use super::Options;
use crate::demo::{
    devnet::{dev_key, Devnet},
    providers::{self, Provider, Spec},
};
use yellowstone_client::exchange::sign;
use yellowstone_client::router::RouterClient;
use yellowstone_router::config::Config;
use yellowstone_router::server::{start, Running};

/// MOR each bench user receives (the allowance is far beyond any run's needs at the bench
/// provider's price).
const USER_MOR: u64 = 20_000;
/// RFCs and reports of the calibration.
const CALIBRATION: u64 = 8;

/// The bench's market: devnet, router, one provider and the users.
pub(super) struct Stage {
    net: Devnet,
    pub(super) router: Running,
    provider: Provider,
    /// The load's users.
    pub(super) users: Vec<PrivateKeySigner>,
    /// The calibration's user.
    calibrator: PrivateKeySigner,
}

impl Stage {
    /// Deploys, funds and starts everything; the router runs on `router_runtime` (its own, so
    /// its threads can be told from the devnet's and the gateway's).
    pub(super) async fn start(
        options: &Options,
        dir: &Path,
        router_runtime: &tokio::runtime::Handle,
    ) -> Result<Stage> {
        let net = Devnet::start(options.artifacts_dir.clone()).await?;
        let funder = dev_key(0)?;
        let spec = Spec {
            name: "bench",
            account: 1,
            // A low price, so every user's allowance (SPEC 3) is far beyond the run's needs.
            price: 1_000_000_000_000,
            stake: 20_000,
            lock_days: 1_500,
            token_delay_ms: 0,
            // The load process never fetches its answers, so every ticket stays in flight to
            // its expiry: capacity is lifted (and checked all the same) to measure the router.
            capacity: u32::MAX,
        };
        let now = net.now().await?;
        net.stake(
            &dev_key(spec.account)?,
            wei(spec.stake),
            now + spec.lock_days * 86_400,
        )
        .await?;
        let mut users = Vec::new();
        for n in 0..=options.users {
            let seed = keccak256(format!("yellowstone bench user {n}"));
            let key = PrivateKeySigner::from_bytes(&seed).context("a user key")?;
            net.transfer(&funder, key.address(), wei(USER_MOR)).await?;
            users.push(key);
        }
        let calibrator = users.pop().context("no calibration user")?;
        // The day's balance snapshot must see the staked and transferred MOR.
        net.next_day().await?;

        let router_key = yellowstone_devnet::chain::DEV_ACCOUNTS
            .iter()
            .position(|a| a.address == net.deployment.router_key.address)
            .context("the router key is not a development account")?;
        let mut config = Config {
            listen: ([127, 0, 0, 1], 0).into(),
            rpc_url: net.url(),
            contract: Some(net.deployment.compute),
            database: dir.join("router.db"),
            chain_clock: true,
            ..Config::default()
        };
        config.rules.max_capacity = u32::MAX;
        let key = dev_key(router_key)?;
        let router = router_runtime
            .spawn(async move { start(&config, key).await })
            .await
            .context("starting the router")??;
        let client = RouterClient::new(&router.url());
        let provider = providers::start(spec, &net, &router.url(), net.now().await?).await?;
        providers::join(&provider, &client).await?;
        // Compute every allowance now: the first admission of a user reads the chain.
        for user in users.iter().chain([&calibrator]) {
            let allowance = client.allowance(user.address()).await?;
            ensure!(
                allowance.tokens_left >= 1_000_000,
                "user {} has only {} tokens today",
                user.address(),
                allowance.tokens_left
            );
        }
        Ok(Stage {
            net,
            router,
            provider,
            users,
            calibrator,
        })
    }

    /// Sends `CALIBRATION` RFCs and their reports through the API and counts the router's
    /// recoveries and signings: (recoveries per RFC, signings per RFC, recoveries per report).
    pub(super) async fn calibrate(&self) -> Result<(f64, f64, f64)> {
        let client = RouterClient::new(&self.router.url());
        let market = client.market().await?;
        let domain = market.domain();
        let model = market.models.first().context("no model bid")?.clone();
        let key = &self.calibrator;
        let mut ids: Vec<B256> = Vec::new();
        let (recovered, signed) = self.counters();
        for nonce in 1..=CALIBRATION {
            let rfc = Rfc {
                user: key.address(),
                model: model.clone(),
                tokenMax: 1,
                nonce,
                deadline: market.now + 300,
            };
            ids.push(request_id(&rfc, &domain));
            client.rfc(&sign(key, rfc, &domain)?).await?;
        }
        let (recovered_rfc, signed_rfc) = self.counters();
        for id in ids {
            let report = Report {
                requestId: id,
                user: key.address(),
                firstTokenMs: 0,
                elapsedMs: 100,
                tokens: 1,
                pass: true,
            };
            client.report(sign(key, report, &domain)?, None).await?;
        }
        let (recovered_report, _) = self.counters();
        let n = CALIBRATION as f64;
        Ok((
            (recovered_rfc - recovered) as f64 / n,
            (signed_rfc - signed) as f64 / n,
            (recovered_report - recovered_rfc) as f64 / n,
        ))
    }

    /// This router's (recoveries, signatures made) so far: its own counts, so other work in
    /// the process (tests running beside the bench) does not skew them.
    pub(super) fn counters(&self) -> (u64, u64) {
        let counts = self.router.router.signatures();
        (counts.recovered(), counts.made())
    }

    pub(super) fn stop(self) {
        self.provider.kill();
        self.router.kill();
        self.net.shutdown();
    }
}

fn wei(mor: u64) -> U256 {
    U256::from(mor) * U256::from(10u64).pow(U256::from(18))
}
