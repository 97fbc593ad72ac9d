//! One or more values of every wire type, between them writing every key, every `null` and
//! every enum value the type can write.

use alloy_primitives::{Address, Bytes, B256, U256};
use yellowstone_api::{
    v1::{
        Accepted, AllowanceView, BidAccepted, CommittedLeaf, DayFigures, Epoch, EpochStatus,
        Health, Issued, JudgeRules, Judged, Leaf, LiveBid, LiveBids, MarketInfo, MarketRules,
        Mined, Proof, ProviderAttestation, ProviderBid, ProviderView, ReportBody, SelectionRules,
        SigningDomain,
    },
    v1::{ContractDay, EpochSummary, Providers, RecentEpochs, Today},
    ApiError, Backoff, ErrorBody, ProviderRecord, Refusal, Score, Verdict,
};
use yellowstone_protocol::{
    eip712::{DOMAIN_NAME, DOMAIN_VERSION},
    messages::{Bid, ModelAttestation, Receipt, Report, Rfc, Signed, Ticket},
};

const A: Address = Address::repeat_byte(1);
const H: B256 = B256::repeat_byte(2);
const WEI: U256 = U256::from_limbs([10, 0, 0, 0]);

/// `message` with a signature of zeroes (only the shape matters).
pub(crate) fn signed<T>(message: T) -> Signed<T> {
    Signed {
        message,
        signature: Bytes::from(vec![0; 65]),
    }
}

pub(crate) fn health() -> Vec<Health> {
    let ok = Health {
        chain_id: 1,
        chain_lag_seconds: Some(2),
        contract: A,
        epoch: 3,
        epoch_in_flight: false,
        pending_wei: WEI,
        router: A,
        status: "ok".into(),
    };
    let never_seen = Health {
        chain_lag_seconds: None,
        ..ok.clone()
    };
    vec![ok, never_seen]
}

pub(crate) fn rules() -> MarketRules {
    MarketRules {
        backoff_base_seconds: 5,
        backoff_max_seconds: 300,
        block_seconds: 12,
        bootstrap_top: 100,
        default_reference_price: Some(WEI),
        judge: JudgeRules {
            backoff_fail_users: 3,
            backoff_memory_seconds: 300,
            fail_needs_balance_over_stake: false,
            slower_percent: 50,
            warmup: 10,
            window: 100,
        },
        max_capacity: 4_096,
        max_price_per_token: WEI,
        max_token_max: 32_768,
        pinned_weights: [("m".to_string(), vec![H])].into(),
        price_band_k: 4,
        reference_prices: [("m".to_string(), WEI)].into(),
        report_seconds: 900,
        require_attestation: true,
        rfc_window_seconds: 600,
        selection: SelectionRules {
            band_bps: 500,
            explore_permille: 50,
            min_explore_stake: WEI,
            new_provider_reports: 10,
        },
        ticket_seconds: 120,
    }
}

pub(crate) fn day() -> DayFigures {
    DayFigures {
        budget: WEI,
        day: 1,
        price: WEI,
        snapshot_block: 2,
        supply: WEI,
    }
}

pub(crate) fn market() -> Vec<MarketInfo> {
    let today = MarketInfo {
        chain_id: 1,
        contract: A,
        day: 2,
        domain: SigningDomain {
            name: DOMAIN_NAME.into(),
            version: DOMAIN_VERSION.into(),
        },
        inference_block: 3,
        models: vec!["m".into()],
        mor: A,
        now: 4,
        router: A,
        rules: rules(),
        today: Some(day()),
    };
    let first_thing = MarketInfo {
        today: None,
        ..today.clone()
    };
    vec![today, first_thing]
}

pub(crate) fn live_bid() -> LiveBid {
    LiveBid {
        capacity: 8,
        endpoint: "http://gpu".into(),
        expiry: 1,
        model: "m".into(),
        nonce: 2,
        price_per_token: WEI,
        provider: A,
        selectable: true,
    }
}

pub(crate) fn live_bids() -> LiveBids {
    LiveBids {
        bids: vec![live_bid()],
    }
}

pub(crate) fn accepted() -> Accepted {
    Accepted { accepted: true }
}

pub(crate) fn bid_accepted() -> Vec<BidAccepted> {
    let reason = BidAccepted {
        accepted: true,
        reason: Some("no attestation".into()),
        selectable: false,
    };
    let selectable = BidAccepted {
        accepted: true,
        reason: None,
        selectable: true,
    };
    vec![reason, selectable]
}

pub(crate) fn record() -> ProviderRecord {
    ProviderRecord {
        registered: true,
        stake: WEI,
        multiplier: WEI,
        weight: WEI,
        earned: WEI,
        claimed: WEI,
        lock_start: 1,
        lock_end: 2,
    }
}

pub(crate) fn provider_bid() -> Vec<ProviderBid> {
    let selectable = ProviderBid {
        capacity: 8,
        endpoint: "http://gpu".into(),
        expiry: 1,
        model: "m".into(),
        price_per_token: WEI,
        unselectable: None,
    };
    let backed_off = ProviderBid {
        unselectable: Some("backed off".into()),
        ..selectable.clone()
    };
    vec![selectable, backed_off]
}

pub(crate) fn attestation() -> ProviderAttestation {
    ProviderAttestation {
        issued_at: 1,
        model: "m".into(),
        weights_hash: H,
    }
}

pub(crate) fn committed() -> CommittedLeaf {
    CommittedLeaf {
        bootstrap: WEI,
        earned: WEI,
    }
}

pub(crate) fn provider() -> Vec<ProviderView> {
    let known = ProviderView {
        attestations: vec![attestation()],
        backoff: Some(Backoff::default()),
        bids: provider_bid(),
        chain: Some(record()),
        committed: Some(committed()),
        pending_wei: WEI,
        provider: A,
        score: Some(Score::default()),
    };
    let stranger = ProviderView {
        attestations: vec![],
        backoff: None,
        bids: vec![],
        chain: None,
        committed: None,
        pending_wei: U256::ZERO,
        provider: A,
        score: None,
    };
    vec![known, stranger]
}

pub(crate) fn ticket() -> Ticket {
    Ticket {
        requestId: H,
        user: A,
        provider: A,
        model: "m".into(),
        tokenMax: 1,
        pricePerToken: WEI,
        expiry: 2,
    }
}

pub(crate) fn issued() -> Issued {
    Issued {
        endpoint: "http://gpu".into(),
        request_id: H,
        ticket: signed(ticket()),
    }
}

pub(crate) fn refusals() -> Vec<Refusal> {
    let too_slow = Refusal::TooSlow {
        elapsed_ms: 3,
        expected_ms: 1,
        limit_ms: 2,
    };
    vec![
        Refusal::Failed,
        Refusal::NoReceipt,
        Refusal::NothingDelivered,
        too_slow,
    ]
}

pub(crate) fn verdicts() -> Vec<Verdict> {
    let credited = Verdict::Credited {
        tokens: 1,
        wei: WEI,
        micros_per_token: 2,
    };
    let refused = refusals()
        .into_iter()
        .map(|reason| Verdict::Refused { reason });
    std::iter::once(credited).chain(refused).collect()
}

pub(crate) fn judged() -> Vec<Judged> {
    let judged = |verdict| Judged {
        request_id: H,
        verdict,
    };
    verdicts().into_iter().map(judged).collect()
}

pub(crate) fn allowance() -> AllowanceView {
    AllowanceView {
        allowance: U256::from(9),
        balance: WEI,
        day: 2,
        held: U256::from(3),
        left: U256::from(1),
        price: U256::from(2),
        tokens_allowed: 4,
        tokens_left: 0,
        used: U256::from(5),
        user: A,
    }
}

pub(crate) fn stages() -> Vec<EpochStatus> {
    vec![
        EpochStatus::Built,
        EpochStatus::Sent,
        EpochStatus::Committed,
    ]
}

pub(crate) fn mined() -> Mined {
    Mined {
        block: 1,
        gas_used: 2,
    }
}

pub(crate) fn leaf() -> Leaf {
    Leaf {
        bootstrap: WEI,
        earned: WEI,
        provider: A,
    }
}

pub(crate) fn epochs() -> Vec<Epoch> {
    let committed = Epoch {
        cumulative_bootstrap: WEI,
        cumulative_credited: WEI,
        deadline: 1_700_000_300,
        epoch: 1,
        leaves: vec![leaf()],
        mined: Some(mined()),
        root: H,
        signature: Some(Bytes::from(vec![0; 65])),
        status: EpochStatus::Committed,
        tx: Some(H),
    };
    let built = Epoch {
        mined: None,
        signature: None,
        status: EpochStatus::Built,
        tx: None,
        ..committed.clone()
    };
    vec![committed, built]
}

pub(crate) fn proof() -> Proof {
    Proof {
        cumulative_bootstrap: WEI,
        cumulative_earned: WEI,
        epoch: 1,
        proof: vec![H],
        provider: A,
        root: H,
    }
}

/// One refusal of every code the router answers with.
pub(crate) fn errors() -> Vec<ErrorBody> {
    [
        ApiError::invalid("m"),
        ApiError::signature("m"),
        ApiError::forbidden("m"),
        ApiError::not_found("m"),
        ApiError::replayed("m"),
        ApiError::expired("m"),
        ApiError::exhausted("m"),
        ApiError::busy(2),
        ApiError::no_provider("m"),
        ApiError::chain("m"),
        ApiError::internal("m"),
    ]
    .iter()
    .map(ErrorBody::from)
    .collect()
}

pub(crate) fn report() -> Report {
    Report {
        requestId: H,
        user: A,
        firstTokenMs: 1,
        elapsedMs: 1,
        tokens: 2,
        pass: true,
    }
}

pub(crate) fn receipt() -> Receipt {
    Receipt {
        requestId: H,
        provider: A,
        tokens: 1,
    }
}

pub(crate) fn report_body() -> Vec<ReportBody> {
    let with_receipt = ReportBody {
        report: signed(report()),
        receipt: Some(signed(receipt())),
    };
    let without = ReportBody {
        report: signed(report()),
        receipt: None,
    };
    vec![with_receipt, without]
}

pub(crate) fn model_attestation() -> ModelAttestation {
    ModelAttestation {
        provider: A,
        model: "m".into(),
        weightsHash: H,
        issuedAt: 1,
    }
}

pub(crate) fn bid() -> Bid {
    Bid {
        provider: A,
        model: "m".into(),
        pricePerToken: WEI,
        capacity: 4,
        endpoint: "http://gpu".into(),
        nonce: 1,
        expiry: 2,
    }
}

pub(crate) fn rfc() -> Rfc {
    Rfc {
        user: A,
        model: "m".into(),
        tokenMax: 1,
        nonce: 2,
        deadline: 3,
    }
}

pub(crate) fn providers() -> Providers {
    Providers {
        providers: provider(),
    }
}

pub(crate) fn summaries() -> Vec<EpochSummary> {
    let committed = EpochSummary {
        bootstrap: WEI,
        built_at: 1_700_000_000,
        built_in_block: 141_666_667,
        cumulative_bootstrap: WEI,
        cumulative_credited: WEI,
        deadline: 1_700_000_300,
        epoch: 1,
        mined: Some(mined()),
        root: H,
        status: EpochStatus::Committed,
        tx: Some(H),
        work: WEI,
    };
    let built = EpochSummary {
        mined: None,
        status: EpochStatus::Built,
        tx: None,
        ..committed.clone()
    };
    vec![committed, built]
}

pub(crate) fn contract_day() -> ContractDay {
    ContractDay {
        block: 9,
        bootstrap_headroom: WEI,
        bootstrap_limit: WEI,
        bootstrap_today: WEI,
        credited_today: WEI,
        daily_cap: WEI,
        day: 19_675,
        headroom: WEI,
        paused: false,
        timestamp: 1_700_000_000,
    }
}

pub(crate) fn today() -> Today {
    Today {
        before: WEI,
        block_seconds: 12,
        contract: contract_day(),
        day: 19_675,
        epochs: summaries(),
        inference_block: 141_666_667,
        now: 1_700_000_000,
        pending_wei: WEI,
        truncated: false,
    }
}

pub(crate) fn recent_epochs() -> RecentEpochs {
    RecentEpochs {
        epochs: summaries(),
    }
}
