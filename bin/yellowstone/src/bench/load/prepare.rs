//! Signing and preparing requests ahead of each timed phase, on every core.

use alloy_primitives::B256;
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::Eip712Domain;
use anyhow::{bail, ensure, Context, Result};
use yellowstone_protocol::messages::{request_id, Report, Rfc, Signed};

use super::{
    cpu,
    http::{Conn, Target},
    Options,
};
use yellowstone_api::v1::MarketInfo as Market;
use yellowstone_api::v1::ReportBody;
use yellowstone_client::exchange::sign;

/// One RFC ready to send: its request bytes and what its report needs.
pub(super) struct Prepared {
    pub(super) request: Vec<u8>,
    pub(super) request_id: B256,
    pub(super) user: usize,
}

pub(super) fn market(target: &Target) -> Result<Market> {
    let mut conn = Conn::open(target)?;
    let (status, body) = conn.exchange(&target.get("/v1/market"))?;
    ensure!(status == 200, "GET /v1/market answered {status}");
    serde_json::from_slice(&body).context("reading /v1/market")
}

/// Signs `count` RFCs round-robin over the users (next nonces), on every core.
pub(super) fn sign_rfcs(
    target: &Target,
    keys: &[PrivateKeySigner],
    nonces: &mut [u64],
    domain: &Eip712Domain,
    model: &str,
    count: usize,
    options: &Options,
) -> Result<Vec<Prepared>> {
    // Deadlines from the router's clock, well inside its RFC window (600 s by default).
    let deadline = market(target)?.now + 300;
    let plan: Vec<(usize, u64)> = (0..count)
        .map(|i| {
            let user = i % keys.len();
            nonces[user] += 1;
            (user, nonces[user])
        })
        .collect();
    parallel(&options.machine_cores, &plan, |&(user, nonce)| {
        let rfc = Rfc {
            user: keys[user].address(),
            model: model.to_string(),
            tokenMax: options.token_max,
            nonce,
            deadline,
        };
        let id = request_id(&rfc, domain);
        let signed = sign(&keys[user], rfc, domain)?;
        Ok(Prepared {
            request: target.post("/v1/rfcs", &serde_json::to_vec(&signed)?),
            request_id: id,
            user,
        })
    })
}

/// Signs a passing report of `token_max` tokens for each issued ticket, on every core.
pub(super) fn sign_reports(
    target: &Target,
    keys: &[PrivateKeySigner],
    domain: &Eip712Domain,
    issued: &[&Prepared],
    options: &Options,
) -> Result<Vec<Prepared>> {
    let tokens = options.token_max;
    parallel(&options.machine_cores, issued, |p| {
        let report = Report {
            requestId: p.request_id,
            user: keys[p.user].address(),
            firstTokenMs: 100,
            elapsedMs: 900,
            tokens,
            pass: true,
        };
        let body = ReportBody {
            report: sign(&keys[p.user], report, domain)?,
            receipt: None::<Signed<_>>,
        };
        Ok(Prepared {
            request: target.post("/v1/reports", &serde_json::to_vec(&body)?),
            request_id: p.request_id,
            user: p.user,
        })
    })
}

/// Maps `items` through `f` on every core of `cores` (one thread pinned to each; as many
/// threads as this one may use cores when `cores` is empty), keeping their order.
fn parallel<T: Sync, U: Send>(
    cores: &[usize],
    items: &[T],
    f: impl Fn(&T) -> Result<U> + Sync,
) -> Result<Vec<U>> {
    let threads = if cores.is_empty() {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        cores.len()
    };
    let chunk = items.len().div_ceil(threads).max(1);
    let parts: Vec<Result<Vec<U>>> = std::thread::scope(|s| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .enumerate()
            .map(|(n, part)| {
                let (f, core) = (&f, cores.get(n).copied());
                s.spawn(move || {
                    if let Some(core) = core {
                        // Signing is untimed: an unpinned thread only signs more slowly.
                        let _ = cpu::pin_thread(&[core]);
                    }
                    part.iter().map(f).collect::<Result<Vec<U>>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| bail!("a signing thread panicked"))
            })
            .collect()
    });
    let mut out = Vec::with_capacity(items.len());
    for part in parts {
        out.extend(part?);
    }
    Ok(out)
}
