//! The router against the root the contract holds (SPEC 8, "Settlement is fair and live"):
//! [`sync`], which the settlement loop runs before every build and after every submission,
//! and [`rebuild`], the operator's `yellowstone router rebuild`.
//!
//! Every root the router signs stays committable until its deadline, by anyone holding a
//! copy. So the contract may hold a root of the router's that the router did not see land (the
//! one in flight, submitted by someone else; or, after a lost reply or a restored backup, an
//! archived one): the router adopts it and reconciles its pending credits. A root it never
//! signed is foreign (a stolen or another router key): the router stops building and says so,
//! until the operator, having revoked that key, runs `yellowstone router rebuild --foreign`.

use std::sync::Arc;

use alloy_primitives::{B256, U256};
use alloy_signer_local::PrivateKeySigner;
use anyhow::{bail, Context};
use yellowstone_chain::ChainClient;
use yellowstone_market::{
    records::{Change, Loaded},
    settle::Table,
    state::{ChainRoot, Rebased, Reconciled, State},
};
use yellowstone_protocol::eip712::types::domain;
use yellowstone_store::{Store, StoreError};

use crate::config::Config;

/// Where the router stands against the contract's latest root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Synced {
    /// The contract holds the router's committed root: build on.
    InStep,
    /// The contract holds the root that was in flight: committed (whoever sent it).
    Landed(u64),
    /// The contract holds one of the router's archived roots: adopted.
    Adopted {
        /// Its number.
        epoch: u64,
        /// The root.
        root: B256,
        /// What it paid of the pending credits.
        reconciled: Reconciled,
    },
    /// The node answering is behind the router's committed epoch: retry later.
    Behind(u64),
    /// A root the router never signed: stop building until the operator decides.
    Foreign {
        /// Its number.
        epoch: u64,
        /// The root.
        root: B256,
    },
    /// An archived root of ours that cannot be adopted yet (a root above it is in flight).
    Wait(String),
}

/// Brings `state` in step with the contract's latest `(epoch, root)` (read at one block) and
/// returns the changes to commit with where it stands. Reads the archive only for a root the
/// state does not hold in memory.
pub fn sync(
    state: &mut State,
    store: &Store,
    epoch: u64,
    root: B256,
) -> Result<(Synced, Vec<Change>), StoreError> {
    Ok(match state.classify(epoch, root) {
        ChainRoot::Committed => (Synced::InStep, Vec::new()),
        ChainRoot::InFlight => (Synced::Landed(epoch), state.epoch_committed(None)),
        ChainRoot::Behind => (Synced::Behind(epoch), Vec::new()),
        ChainRoot::Unknown => match store.archived(epoch, root)? {
            None => (Synced::Foreign { epoch, root }, Vec::new()),
            Some((record, leaves)) => {
                let table: Table = leaves
                    .into_iter()
                    .map(|l| (l.provider, (l.earned, l.bootstrap)))
                    .collect();
                match state.adopt(record, table) {
                    Ok((changes, reconciled)) => (
                        Synced::Adopted {
                            epoch,
                            root,
                            reconciled,
                        },
                        changes,
                    ),
                    Err(err) => (Synced::Wait(err.message), Vec::new()),
                }
            }
        },
    })
}

/// The words an operator reads when the router stops at a foreign root.
pub fn foreign_advice(epoch: u64, root: B256) -> String {
    format!(
        "the contract's latest epoch {epoch} holds root {root}, which this router never signed \
         (another or a stolen router key): not building. Revoke that key, then run `yellowstone \
         router rebuild --foreign` with this router stopped (see docs/ROUTER.md, \"Settlement\")"
    )
}

/// What `yellowstone router rebuild` did.
#[derive(Clone, Debug)]
pub struct Rebuilt {
    /// The contract's latest (epoch, root).
    pub chain: (u64, B256),
    /// Where the router stood against it.
    pub synced: Synced,
    /// Set when a foreign root was accepted (`--foreign`).
    pub rebased: Option<Rebased>,
    /// Pending (wei, credits) after.
    pub pending: (U256, usize),
}

impl std::fmt::Display for Rebuilt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (epoch, root) = self.chain;
        writeln!(f, "chain        epoch {epoch}, root {root}")?;
        match &self.synced {
            Synced::InStep => writeln!(f, "router       in step: nothing to do")?,
            Synced::Landed(n) => writeln!(f, "router       root {n} in flight had landed: committed")?,
            Synced::Adopted {
                epoch, reconciled, ..
            } => {
                writeln!(f, "router       adopted its archived root of epoch {epoch}")?;
                writeln!(
                    f,
                    "paid         {} wei of work and {} wei of bootstrap taken out of the pending credits",
                    reconciled.work, reconciled.bootstrap
                )?;
                for (provider, work, boot) in &reconciled.unmatched {
                    writeln!(
                        f,
                        "unmatched    {provider}: {work} wei of work, {boot} wei of bootstrap in the root had no pending credit"
                    )?;
                }
            }
            Synced::Behind(n) => writeln!(
                f,
                "router       the node is behind: it reports epoch {n}, below the router's; try another node"
            )?,
            Synced::Foreign { .. } if self.rebased.is_none() => {
                writeln!(f, "router       {}", foreign_advice(epoch, root))?
            }
            Synced::Foreign { .. } => {}
            Synced::Wait(why) => writeln!(f, "router       not yet: {why}")?,
        }
        if let Some(r) = &self.rebased {
            writeln!(
                f,
                "rebased      the next root is epoch {}, on the router's own committed table",
                r.next_epoch
            )?;
            writeln!(
                f,
                "totals       router {} work + {} bootstrap; chain {} + {}",
                r.ours.0, r.ours.1, r.chain.0, r.chain.1
            )?;
            if r.enough {
                writeln!(f, "             the router's totals are at least the chain's: its next root is accepted (within the day's cap)")?;
            } else {
                writeln!(f, "             the router's totals are BELOW the chain's: the contract refuses its roots (CreditedDecreased) until pending credits make up the difference")?;
            }
        }
        write!(
            f,
            "pending      {} wei in {} credits",
            self.pending.0, self.pending.1
        )
    }
}

/// Restores the router's state from what `store` loaded, as `yellowstone router` does at
/// start-up.
pub fn restore(
    store: &Store,
    config: &Config,
    key: PrivateKeySigner,
    chain: &ChainClient,
    loaded: Loaded,
) -> anyhow::Result<State> {
    let committed_table = match &loaded.committed {
        Some(e) => store.table_at(e.epoch)?,
        None => Vec::new(),
    };
    let domain = domain(chain.chain_id(), chain.compute());
    Ok(State::restore(
        config.rules.clone(),
        domain,
        key,
        loaded,
        committed_table,
    ))
}

/// `yellowstone router rebuild`: reads the contract's latest root; adopts it if it is one of
/// the router's; if it is foreign, refuses unless `foreign`, which numbers the router's next
/// root after it on top of the router's own committed table. Run with the router stopped.
pub async fn rebuild(
    config: &Config,
    key: PrivateKeySigner,
    foreign: bool,
) -> anyhow::Result<Rebuilt> {
    config.validate()?;
    let contract = config.contract.context("no compute contract configured")?;
    let chain = ChainClient::connect(
        &config.rpc_url,
        contract,
        std::time::Duration::from_secs(10),
    )
    .await
    .context("connecting to the chain")?;
    let view = chain
        .settlement_view()
        .await
        .context("reading the contract's latest epoch")?;
    let store = Arc::new(
        Store::open(&config.database, config.durability)
            .with_context(|| format!("opening the database {}", config.database.display()))?,
    );
    let loaded = store.load(view.timestamp, config.rules.judge.window)?;
    let mut state = restore(&store, config, key, &chain, loaded)?;
    // A root in flight that is past its deadline on-chain can never land: archive it first.
    let expired = state.epoch_expired(view.timestamp, view.latest_epoch);
    store.apply(&expired)?;
    let (synced, changes) = sync(&mut state, &store, view.latest_epoch, view.latest_root)?;
    store.apply(&changes)?;
    let mut rebased = None;
    if let Synced::Foreign { epoch, root } = &synced {
        if !foreign {
            bail!(
                "{}\n(pass --foreign to build on it)",
                foreign_advice(*epoch, *root)
            );
        }
        let chain_totals = (view.cumulative_credited, view.cumulative_bootstrap);
        let (changes, r) = state
            .rebase(*epoch, *root, chain_totals)
            .map_err(|e| anyhow::anyhow!(e.message))?;
        store.apply(&changes)?;
        rebased = Some(r);
    }
    Ok(Rebuilt {
        chain: (view.latest_epoch, view.latest_root),
        synced,
        rebased,
        pending: state.pending_credit(),
    })
}
