//! The router's records in their published form: the market's rules and an epoch, each written out field by field so that a field added to a record fails to compile
//! here until the API says whether and how it is published.

use alloy_primitives::U256;
use yellowstone_api::v1::{
    Epoch, EpochSummary, JudgeRules, Leaf, MarketRules, Mined, SelectionRules,
};
use yellowstone_market::{
    judge::JudgePolicy,
    records::{EpochRecord, EpochStatus, LeafRecord},
    selection::SelectionPolicy,
    state::Rules,
};

/// The market's rules as published.
pub(super) fn market_rules(rules: &Rules) -> MarketRules {
    let Rules {
        block_seconds,
        ticket_seconds,
        report_seconds,
        rfc_window_seconds,
        max_token_max,
        require_attestation,
        backoff_base_seconds,
        backoff_max_seconds,
        bootstrap_top,
        // Each epoch publishes its own deadline.
        epoch_deadline_seconds: _,
        price_band_k,
        max_price_per_token,
        reference_prices,
        default_reference_price,
        max_capacity,
        pinned_weights,
        judge:
            JudgePolicy {
                slower_percent,
                window,
                warmup,
                // The SPEC 8 fail rules' settings: not published yet.
                fail_needs_balance_over_stake,
                backoff_fail_users,
                backoff_memory_seconds,
            },
        selection:
            SelectionPolicy {
                band_bps,
                explore_permille,
                new_provider_reports,
                min_explore_stake,
            },
    } = rules.clone();
    MarketRules {
        backoff_base_seconds,
        backoff_max_seconds,
        block_seconds,
        bootstrap_top: wide(bootstrap_top),
        default_reference_price,
        judge: JudgeRules {
            backoff_fail_users: wide(backoff_fail_users),
            backoff_memory_seconds,
            fail_needs_balance_over_stake,
            slower_percent,
            warmup: wide(warmup),
            window: wide(window),
        },
        max_capacity,
        max_price_per_token,
        max_token_max,
        pinned_weights,
        price_band_k,
        reference_prices,
        report_seconds,
        require_attestation,
        rfc_window_seconds,
        selection: SelectionRules {
            band_bps,
            explore_permille,
            min_explore_stake,
            new_provider_reports,
        },
        ticket_seconds,
    }
}

/// A count as published (`usize` fits `u64` on every target the router builds for).
fn wide(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

/// An epoch as published, with its table. The signature only once a transaction carrying it
/// was sent (SPEC 8): a built root the contract then refuses is kept in flight until its
/// deadline, and a signature served before that would be one more copy someone could land.
pub(super) fn epoch(epoch: EpochRecord, leaves: Vec<LeafRecord>) -> Epoch {
    let submitted = epoch.status != EpochStatus::Built;
    Epoch {
        cumulative_bootstrap: epoch.cumulative_bootstrap,
        cumulative_credited: epoch.cumulative_credited,
        deadline: epoch.deadline,
        epoch: epoch.epoch,
        leaves: leaves
            .into_iter()
            .map(|l| Leaf {
                bootstrap: l.bootstrap,
                earned: l.earned,
                provider: l.provider,
            })
            .collect(),
        mined: epoch
            .mined
            .map(|(block, gas_used)| Mined { block, gas_used }),
        root: epoch.root,
        signature: submitted.then_some(epoch.signature),
        status: epoch.status,
        tx: epoch.tx.map(|t| t.0),
    }
}

/// An epoch summarised, with the credit it added to `previous` (its predecessor's cumulative
/// work and bootstrap; zero before the first). Written out field by field, as above.
pub(super) fn summary(epoch: EpochRecord, previous: (U256, U256)) -> EpochSummary {
    let EpochRecord {
        epoch,
        root,
        cumulative_credited,
        cumulative_bootstrap,
        deadline,
        // Published once sent, with the table, by `GET /v1/epochs/{n}`.
        signature: _,
        up_to_block,
        built_at,
        // Internal: which credits it settled.
        fold: _,
        status,
        tx,
        mined,
    } = epoch;
    EpochSummary {
        bootstrap: cumulative_bootstrap.saturating_sub(previous.1),
        built_at,
        built_in_block: up_to_block,
        cumulative_bootstrap,
        cumulative_credited,
        deadline,
        epoch,
        mined: mined.map(|(block, gas_used)| Mined { block, gas_used }),
        root,
        status,
        tx: tx.map(|t| t.0),
        work: cumulative_credited.saturating_sub(previous.0),
    }
}

/// Summaries of `records` (newest first, as the store reads them), each with the credit it
/// added to the next older one; the oldest is measured against `base`. Newest first.
pub(super) fn summaries(records: Vec<EpochRecord>, base: (U256, U256)) -> Vec<EpochSummary> {
    let previous: Vec<(U256, U256)> = records
        .iter()
        .skip(1)
        .map(|e| (e.cumulative_credited, e.cumulative_bootstrap))
        .chain(std::iter::once(base))
        .collect();
    records
        .into_iter()
        .zip(previous)
        .map(|(e, p)| summary(e, p))
        .collect()
}

#[cfg(test)]
mod tests {
    use alloy_primitives::{Bytes, B256, U256};
    use yellowstone_market::records::{EpochRecord, EpochStatus};

    use super::{epoch, summaries};

    /// The attack: `GET /v1/epochs/{n}` served a built root's signature before the router sent
    /// it; the contract then refused the root (a pause) and a saved copy landed later.
    #[test]
    fn a_signature_is_published_only_once_its_root_was_sent() {
        let built = EpochRecord {
            epoch: 3,
            root: B256::repeat_byte(1),
            cumulative_credited: U256::from(5u64),
            cumulative_bootstrap: U256::ZERO,
            deadline: 1_700_000_300,
            signature: Bytes::from(vec![7; 65]),
            up_to_block: 9,
            built_at: 1_700_000_000,
            fold: Vec::new(),
            status: EpochStatus::Built,
            tx: None,
            mined: None,
        };
        let published = epoch(built.clone(), Vec::new());
        assert_eq!(published.signature, None);
        assert_eq!(published.deadline, 1_700_000_300);
        for status in [EpochStatus::Sent, EpochStatus::Committed] {
            let sent = EpochRecord {
                status,
                tx: Some((B256::repeat_byte(2), 0, 1, 1)),
                ..built.clone()
            };
            assert_eq!(
                epoch(sent, Vec::new()).signature,
                Some(built.signature.clone())
            );
        }
    }

    /// The attack: `GET /v1/epochs` or `GET /v1/today` serving a built root's signature, which
    /// anyone could then land. A summary has no signature at all, whatever the status; and
    /// each epoch's credit is measured against the one before it, the oldest against the base.
    #[test]
    fn a_summary_never_carries_a_signature_and_adds_up_epoch_by_epoch() {
        let record = |n: u64, credited: u64, bootstrap: u64, status: EpochStatus| EpochRecord {
            epoch: n,
            root: B256::repeat_byte(n as u8),
            cumulative_credited: U256::from(credited),
            cumulative_bootstrap: U256::from(bootstrap),
            deadline: 1_700_000_300 + n,
            signature: Bytes::from(vec![0xab; 65]),
            up_to_block: 100 + n,
            built_at: 1_700_000_000 + n,
            fold: Vec::new(),
            status,
            tx: None,
            mined: None,
        };
        let newest_first = vec![
            record(7, 50, 9, EpochStatus::Built),
            record(6, 30, 9, EpochStatus::Committed),
            record(5, 10, 4, EpochStatus::Committed),
        ];
        let listed = summaries(newest_first, (U256::from(4u64), U256::from(1u64)));
        let added: Vec<(u64, u64, u64)> = listed
            .iter()
            .map(|s| (s.epoch, s.work.to::<u64>(), s.bootstrap.to::<u64>()))
            .collect();
        assert_eq!(added, vec![(7, 20, 0), (6, 20, 5), (5, 6, 3)]);
        assert_eq!(listed[0].built_in_block, 107);
        let text = serde_json::to_string(&listed).unwrap();
        assert!(!text.contains("abababab"), "{text}");
        assert!(!text.contains("signature"), "{text}");
    }
}
