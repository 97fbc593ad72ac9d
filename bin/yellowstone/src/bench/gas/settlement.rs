//! The settlement half of `bench gas`: a router [`State`] crediting inferences exactly as the
//! service does (signed RFC, ticket, provider receipt, user report, judge), then one epoch root
//! built by [`State::build_epoch`] and committed by the router's [`Submitter`], then each
//! credited provider's `claim` with the proof [`State::proof`] gives (what the router serves at
//! `/v1/proofs/{provider}`).
//!
//! The HTTP layer is skipped (it costs time, not gas) and allowances are installed directly
//! rather than computed from the day's balance snapshot (an off-chain figure the contract never
//! sees). Providers are chosen round-robin rather than by weighted selection: which provider
//! serves does not change the gas, only how many providers have new credit to claim.

use std::collections::HashMap;

use alloy_primitives::{keccak256, Address, U256};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::Eip712Domain;
use anyhow::{anyhow, bail, Context, Result};
use yellowstone_protocol::{
    eip712::types::domain,
    emission::in_bootstrap_window,
    messages::{Bid, ModelAttestation, Party, Receipt, Report, Rfc, Signed},
    time::DAY,
};

use crate::bench::format_value;

use yellowstone_chain::{
    submit::{EpochCall, Outcome, SubmitPolicy, Submitter},
    ChainClient, IYellowstoneCompute as I,
};

use crate::demo::devnet::{dev_key, Devnet};

use yellowstone_api::error::ApiError;

use yellowstone_market::{allowance::Allowance, judge::Verdict};

use yellowstone_market::records::AllowanceRecord;

use yellowstone_market::state::{Rules, State};

/// The model every inference asks for.
const MODEL: &str = "llama-3.1-8b-instruct";
/// Tokens per inference (as both the user and the provider report them).
const TOKENS: u64 = 500;
/// Each provider's bid, wei per token (0.1 MOR per million tokens).
const PRICE: u64 = 100_000_000_000;
/// Users taking turns; each has its own nonces and allowance.
pub(super) const USERS: usize = 20;
/// The router's key: development account 9, authorised at deployment.
const ROUTER_ACCOUNT: usize = 9;

/// What one inference block cost to settle.
#[derive(Clone, Debug)]
pub(super) struct Round {
    /// Inferences credited in the block.
    pub inferences: u64,
    /// `commitEpoch` gas of the block's root.
    pub commit_gas: u64,
    /// `claim` gas of each provider with new credit, after the commit.
    pub claims: Vec<u64>,
}

impl Round {
    /// Commit plus every claim.
    pub(super) fn total(&self) -> u64 {
        self.commit_gas + self.claims.iter().sum::<u64>()
    }
}

/// The router's state, its submitter, the providers and users, and the router's clock.
pub(super) struct Settlement<'a> {
    net: &'a Devnet,
    client: ChainClient,
    state: State,
    submitter: Submitter,
    providers: Vec<PrivateKeySigner>,
    users: Vec<PrivateKeySigner>,
    /// Each provider's leaf when it last claimed.
    claimed: HashMap<Address, (U256, U256)>,
    served: u64,
    /// The router's clock (unix seconds), moved on by the bench.
    now: u64,
}

fn api<T>(result: Result<T, ApiError>, what: &str) -> Result<T> {
    result.map_err(|e| anyhow!("the router refused {what}: {e}"))
}

fn sign<T: Party>(key: &PrivateKeySigner, message: T, domain: &Eip712Domain) -> Result<Signed<T>> {
    Signed::sign(message, key, domain).context("signing a message")
}

impl<'a> Settlement<'a> {
    /// A router state for the deployed contract with `providers` attested, bidding and their
    /// stakes read from the chain, and [`USERS`] users, at the chain's current time.
    pub(super) async fn new(
        net: &'a Devnet,
        client: ChainClient,
        providers: Vec<PrivateKeySigner>,
    ) -> Result<Settlement<'a>> {
        let d = &net.deployment;
        let router = dev_key(ROUTER_ACCOUNT)?;
        let submitter = Submitter::new(&client, router.clone(), SubmitPolicy::default());
        let state = State::new(Rules::default(), domain(d.chain_id, d.compute), router);
        let users = (0..USERS)
            .map(|i| {
                let seed = keccak256(format!("yellowstone bench gas user {i}"));
                PrivateKeySigner::from_bytes(&seed).context("a user key")
            })
            .collect::<Result<Vec<_>>>()?;
        let now = net.now().await?;
        let mut market = Settlement {
            net,
            client,
            state,
            submitter,
            providers,
            users,
            claimed: HashMap::new(),
            served: 0,
            now,
        };
        let domain = market.state.domain().clone();
        for (i, p) in market.providers.clone().iter().enumerate() {
            let attestation = ModelAttestation {
                provider: p.address(),
                model: MODEL.into(),
                weightsHash: keccak256(MODEL),
                issuedAt: now,
            };
            let signed = sign(p, attestation, &domain)?;
            api(market.state.attest(signed, now), "an attestation")?;
            let bid = Bid {
                provider: p.address(),
                model: MODEL.into(),
                pricePerToken: U256::from(PRICE),
                capacity: 8,
                endpoint: format!("http://127.0.0.1:9/provider-{i}"),
                nonce: 1,
                expiry: now + 30 * DAY,
            };
            api(market.state.bid(sign(p, bid, &domain)?, now), "a bid")?;
            let record = market.client.provider_record(p.address()).await?;
            if record.weight.is_zero() {
                bail!("provider {} has no stake on-chain", p.address());
            }
            market.state.set_chain_record(p.address(), record, now);
        }
        Ok(market)
    }

    /// Sets the router's clock to the chain's (after time travel).
    pub(super) async fn follow_chain(&mut self) -> Result<()> {
        self.now = self.net.now().await?.max(self.now);
        Ok(())
    }

    /// Credits `k` inferences within one inference block (the router's clock stays inside
    /// it), taking providers and users in turn; prints progress on stderr for large `k`.
    pub(super) fn serve(&mut self, k: u64) -> Result<()> {
        let now = self.now;
        let day = now / DAY;
        let domain = self.state.domain().clone();
        for user in &self.users {
            if self.state.allowance(day, user.address()).is_none() {
                self.state.set_allowance(AllowanceRecord {
                    day,
                    user: user.address(),
                    balance: U256::from(10u64).pow(U256::from(24u64)),
                    price: U256::from(PRICE),
                    allowance: Allowance {
                        allowance: U256::MAX / U256::from(4),
                        used: U256::ZERO,
                        held: U256::ZERO,
                    },
                });
            }
        }
        for i in 0..k {
            if k >= 1_000 && i > 0 && i % 2_000 == 0 {
                eprintln!(
                    "bench gas:   {} of {} inferences credited",
                    format_value(i as f64),
                    format_value(k as f64)
                );
            }
            let n = self.served;
            self.served += 1;
            let provider = &self.providers[n as usize % self.providers.len()];
            let user = &self.users[n as usize % self.users.len()];
            let rfc = Rfc {
                user: user.address(),
                model: MODEL.into(),
                tokenMax: TOKENS,
                nonce: n + 1,
                deadline: now + 60,
            };
            let checked = api(
                self.state.check_rfc(sign(user, rfc, &domain)?, now),
                "an RFC",
            )?;
            let (issued, _) = api(
                self.state.issue(&checked, provider.address(), now),
                "a ticket",
            )?;
            let receipt = Receipt {
                requestId: issued.request_id,
                provider: provider.address(),
                tokens: TOKENS,
            };
            let report = Report {
                requestId: issued.request_id,
                user: user.address(),
                firstTokenMs: 150,
                elapsedMs: 900,
                tokens: TOKENS,
                pass: true,
            };
            let (verdict, _) = api(
                self.state.report(
                    sign(user, report, &domain)?,
                    Some(sign(provider, receipt, &domain)?),
                    now,
                ),
                "a report",
            )?;
            if !matches!(verdict, Verdict::Credited { .. }) {
                bail!("inference {n} was not credited: {verdict:?}");
            }
        }
        Ok(())
    }

    /// Closes the inference block (the clock moves to the next one), issues the day's
    /// bootstrap shares if `bootstrap` (as the settler does on a new day), builds the root and
    /// commits it with the router's submitter. Returns the `commitEpoch` gas.
    pub(super) async fn settle(&mut self, bootstrap: bool) -> Result<u64> {
        let block = self.state.rules().block_seconds.max(1);
        self.now = (self.now / block + 1) * block;
        let view = self.client.settlement_view().await?;
        if bootstrap {
            if !in_bootstrap_window(view.bootstrap_start_day, view.day) {
                bail!("day {} is outside the bootstrap window", view.day);
            }
            let amount = view
                .bootstrap_limit
                .saturating_sub(view.bootstrap_today)
                .saturating_sub(self.state.pending_bootstrap());
            self.state.issue_bootstrap(view.day, amount, self.now);
        }
        let (epoch, _) = api(
            self.state
                .build_epoch(self.now, view.headroom(), view.bootstrap_headroom()),
            "building the epoch",
        )?
        .context("no credit to settle")?;
        let call =
            EpochCall::from_record(&epoch).map_err(|e| anyhow!("the epoch signature: {e:?}"))?;
        match self.submitter.submit(&call, None, |_| {}).await? {
            Outcome::Committed {
                block, gas_used, ..
            } => {
                self.state.epoch_committed(Some((block, gas_used)));
                Ok(gas_used)
            }
            other => bail!("epoch {} was not committed: {other:?}", epoch.epoch),
        }
    }

    /// Every provider whose committed leaf grew since its last claim claims it (from its own
    /// key, with the router's proof). Returns each claim's gas.
    pub(super) async fn claim_all(&mut self) -> Result<Vec<u64>> {
        let mut gas = Vec::new();
        for provider in self.providers.clone() {
            let who = provider.address();
            let Some((_, earned, bootstrap, proof)) = self.state.proof(who) else {
                continue;
            };
            if self.claimed.get(&who) == Some(&(earned, bootstrap)) {
                continue;
            }
            let call = I::claimCall {
                provider: who,
                cumulative_earned: earned,
                cumulative_bootstrap: bootstrap,
                proof,
            };
            let receipt = self
                .net
                .send(&provider, self.net.deployment.compute, call)
                .await
                .with_context(|| format!("{who} claiming"))?;
            self.claimed.insert(who, (earned, bootstrap));
            gas.push(receipt.gas_used);
        }
        Ok(gas)
    }

    /// One inference block of `k` inferences, settled and claimed.
    pub(super) async fn round(&mut self, k: u64) -> Result<Round> {
        self.serve(k)?;
        let commit_gas = self.settle(false).await?;
        let claims = self.claim_all().await?;
        Ok(Round {
            inferences: k,
            commit_gas,
            claims,
        })
    }

    /// The latest committed root's proof length for `provider` (Merkle depth it pays for).
    pub(super) fn proof_len(&self, provider: Address) -> usize {
        self.state.proof(provider).map_or(0, |p| p.3.len())
    }

    /// The router's address.
    pub(super) fn router(&self) -> Address {
        self.state.router()
    }
}
