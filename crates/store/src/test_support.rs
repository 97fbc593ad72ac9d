//! Helpers shared by the unit tests: a temporary directory, records built from a small
//! number, and one of every change with the state it must load back as.

use std::path::PathBuf;

use alloy_primitives::{Address, Bytes, B256, U256};

use yellowstone_market::records::{
    AllowanceRecord, AttestationRecord, BidRecord, Change, CreditRecord, EpochRecord, EpochStatus,
    LeafRecord, ReceiptRecord, ReportRecord, TicketRecord, TicketStatus,
};
use yellowstone_market::{
    allowance::Allowance,
    judge::{Refusal, SpeedSample, Verdict},
    selection::Score,
};
use yellowstone_protocol::time::DAY;

use crate::Store;

/// A directory under the system temp dir, removed on drop.
pub(crate) struct TempDir(PathBuf);

impl TempDir {
    pub(crate) fn new(name: &str) -> TempDir {
        use std::sync::atomic::{AtomicU64, Ordering};
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let dir = std::env::temp_dir().join(format!(
            "yellowstone-store-{name}-{}-{nanos}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    /// The database file, one directory down: [`Store::open`] must create that directory.
    pub(crate) fn db(&self) -> PathBuf {
        self.0.join("nested").join("router.db")
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub(crate) fn addr(n: u8) -> Address {
    Address::repeat_byte(n)
}

pub(crate) fn hash(n: u8) -> B256 {
    B256::repeat_byte(n)
}

fn sig(n: u8) -> Bytes {
    Bytes::from(vec![n; 65])
}

pub(crate) fn wei(n: u64) -> U256 {
    U256::from(n) * U256::from(10u64).pow(U256::from(18))
}

pub(crate) fn ticket(n: u8, status: TicketStatus, expiry: u64) -> TicketRecord {
    TicketRecord {
        request_id: hash(n),
        user: addr(100),
        provider: addr(1),
        model: "llama".into(),
        token_max: 1000,
        price: wei(3) + U256::from(7),
        expiry,
        issued_at: expiry.saturating_sub(60),
        day: expiry / DAY,
        status,
        charged: match status {
            TicketStatus::Open => U256::ZERO,
            _ => U256::MAX - U256::from(n),
        },
        signature: sig(n),
    }
}

pub(crate) fn report(n: u8, model: &str, micros: Option<u64>) -> ReportRecord {
    ReportRecord {
        request_id: hash(n),
        model: model.into(),
        provider: addr(1),
        first_token_ms: u64::MAX - 1,
        elapsed_ms: 1234,
        user_tokens: 500,
        receipt_tokens: Some(499),
        pass: micros.is_some(),
        verdict: match micros {
            Some(micros_per_token) => Verdict::Credited {
                tokens: 499,
                wei: U256::MAX - U256::from(n),
                micros_per_token,
            },
            None => Verdict::Refused {
                reason: Refusal::Failed,
            },
        },
        accepted_at: 1_700_000_000,
        signature: sig(n),
    }
}

/// A speed sample whose every figure derives from its seq (extremes at `u64::MAX`).
pub(crate) fn sample(seq: u64) -> SpeedSample {
    SpeedSample {
        seq,
        user: addr(seq as u8),
        first_ms: seq.wrapping_mul(3),
        rest_ms: u64::MAX - seq,
        weight: seq.saturating_add(1),
    }
}

/// A change of `model`'s speed window putting the samples of `put` and dropping `drop`.
pub(crate) fn speed(model: &str, put: &[u64], drop: &[u64]) -> Change {
    Change::Speed {
        model: model.into(),
        put: put.iter().map(|s| sample(*s)).collect(),
        drop: drop.to_vec(),
    }
}

pub(crate) fn receipt(n: u8, tokens: u64) -> ReceiptRecord {
    ReceiptRecord {
        request_id: hash(n),
        provider: addr(1),
        tokens,
        signature: sig(n),
    }
}

pub(crate) fn credit(seq: u64, amount: U256) -> CreditRecord {
    CreditRecord {
        seq,
        provider: addr(seq as u8),
        amount,
        bootstrap: seq.is_multiple_of(2),
        block: 1000 + seq,
    }
}

pub(crate) fn epoch(n: u64, status: EpochStatus) -> EpochRecord {
    EpochRecord {
        epoch: n,
        root: hash(n as u8),
        cumulative_credited: U256::MAX,
        cumulative_bootstrap: wei(n),
        deadline: u64::MAX - n,
        signature: sig(n as u8),
        up_to_block: 100 * n,
        built_at: 1_700_000_000 + n,
        fold: vec![(n, wei(1)), (n + 1, U256::MAX)],
        status,
        tx: (status != EpochStatus::Built).then_some((hash(9), 42, u128::MAX, 7)),
        mined: (status == EpochStatus::Committed).then_some((123, 45_678)),
    }
}

pub(crate) fn leaf(provider: u8, epoch: u64, earned: u64) -> LeafRecord {
    LeafRecord {
        provider: addr(provider),
        epoch,
        earned: wei(earned),
        bootstrap: U256::from(earned),
    }
}

/// The clock of the tests that need one.
pub(crate) const NOW: u64 = 1_700_000_000;

/// One of every change (at [`NOW`]); [`check_every_change`] checks what they leave stored.
pub(crate) fn every_change() -> Vec<Change> {
    let day = NOW / DAY;
    vec![
        Change::Bid(BidRecord {
            provider: addr(1),
            model: "llama".into(),
            price: U256::MAX,
            capacity: u32::MAX,
            endpoint: "https://p1.example".into(),
            nonce: u64::MAX,
            expiry: u64::MAX,
            signature: sig(1),
        }),
        Change::Attestation(AttestationRecord {
            provider: addr(1),
            model: "llama".into(),
            weights_hash: hash(77),
            issued_at: NOW - 10,
            signature: sig(2),
        }),
        Change::Allowance(AllowanceRecord {
            day,
            user: addr(100),
            balance: wei(500),
            price: U256::MAX,
            allowance: Allowance {
                allowance: U256::MAX,
                used: wei(20),
                held: U256::MAX - wei(1),
            },
        }),
        Change::Nonce {
            user: addr(100),
            nonce: u64::MAX,
            deadline: u64::MAX,
        },
        Change::Ticket(ticket(1, TicketStatus::Open, NOW + 300)),
        Change::Report(report(2, "llama", Some(1500))),
        Change::Receipt(receipt(1, 480)),
        Change::Credit(credit(5, wei(2))),
        Change::Work {
            day,
            provider: addr(1),
            wei: wei(2),
            tokens: 499,
        },
        Change::Score {
            provider: addr(1),
            score: Score {
                passes: 9,
                fails: 1,
            },
            failed_by: vec![addr(7), addr(8)],
        },
        speed("llama", &[u64::MAX, 0, 1], &[]),
        speed("llama", &[2], &[1]),
        Change::Epoch(epoch(1, EpochStatus::Committed)),
        Change::Leaf(leaf(1, 1, 10)),
        Change::Epoch(epoch(2, EpochStatus::Built)),
        Change::Leaf(leaf(2, 2, 20)),
        Change::Epoch(epoch(3, EpochStatus::Built)),
        Change::Leaf(leaf(3, 3, 30)),
        Change::ArchiveEpoch {
            epoch: epoch(3, EpochStatus::Built),
            table: vec![leaf(3, 3, 30)],
        },
        Change::Meta {
            key: "bootstrap_day".into(),
            value: day.to_string(),
        },
    ]
}

/// Asserts that the store holds what [`every_change`] wrote, through `load` and every read.
pub(crate) fn check_every_change(store: &Store) {
    let changes = every_change();
    let loaded = store.load(NOW, 100).unwrap();
    let day = NOW / DAY;
    let Change::Bid(bid) = &changes[0] else {
        unreachable!()
    };
    assert_eq!(loaded.bids, vec![bid.clone()]);
    let Change::Attestation(att) = &changes[1] else {
        unreachable!()
    };
    assert_eq!(loaded.attestations, vec![att.clone()]);
    let Change::Allowance(allowance) = &changes[2] else {
        unreachable!()
    };
    assert_eq!(loaded.allowances, vec![allowance.clone()]);
    assert_eq!(loaded.nonces, vec![(addr(100), u64::MAX, u64::MAX)]);
    assert_eq!(
        loaded.tickets,
        vec![ticket(1, TicketStatus::Open, NOW + 300)]
    );
    assert_eq!(loaded.receipts, vec![receipt(1, 480)]);
    assert_eq!(loaded.credits, vec![credit(5, wei(2))]);
    assert_eq!(loaded.next_seq, 6);
    assert_eq!(loaded.work, vec![(day, addr(1), wei(2), 499)]);
    assert_eq!(
        loaded.scores,
        vec![(
            addr(1),
            Score {
                passes: 9,
                fails: 1
            },
            vec![addr(7), addr(8)]
        )]
    );
    // Seqs are stored as bit-cast integers: u64::MAX comes first in SQLite's order (-1).
    assert_eq!(
        loaded.speeds,
        vec![(
            "llama".to_string(),
            vec![sample(u64::MAX), sample(0), sample(2)]
        )]
    );
    assert_eq!(loaded.committed, Some(epoch(1, EpochStatus::Committed)));
    assert_eq!(loaded.in_flight, Some(epoch(2, EpochStatus::Built)));
    assert_eq!(loaded.table, vec![leaf(1, 1, 10), leaf(2, 2, 20)]);
    assert_eq!(
        loaded.meta,
        vec![("bootstrap_day".to_string(), day.to_string())]
    );
    assert_eq!(
        store.report(hash(2)).unwrap(),
        Some(report(2, "llama", Some(1500)))
    );
    assert_eq!(
        store.ticket(hash(1)).unwrap(),
        Some(ticket(1, TicketStatus::Open, NOW + 300))
    );
    assert_eq!(store.receipt(hash(1)).unwrap(), Some(receipt(1, 480)));
    assert_eq!(store.epoch(3).unwrap(), None);
    assert_eq!(
        store.archived(3, hash(3)).unwrap(),
        Some((epoch(3, EpochStatus::Built), vec![leaf(3, 3, 30)]))
    );
    assert_eq!(store.epoch(2).unwrap(), Some(epoch(2, EpochStatus::Built)));
    assert_eq!(
        store.latest_committed_epoch().unwrap(),
        Some(epoch(1, EpochStatus::Committed))
    );
    assert_eq!(
        store.latest_allowance(addr(100)).unwrap(),
        Some(allowance.clone())
    );
    assert_eq!(store.day_volume(day).unwrap(), (wei(2), 499));
    assert_eq!(store.day_work(day).unwrap(), vec![(addr(1), wei(2))]);
}
