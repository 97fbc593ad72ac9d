//! Keys, signed messages and temporary files for the tests.

use std::path::PathBuf;

use alloy_primitives::{Address, B256, U256};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::Eip712Domain;
use yellowstone_api::v1::Issued;
use yellowstone_client::{exchange::Admitted, outbox::Stored};
use yellowstone_protocol::{
    eip712::types::domain,
    messages::{Party, Receipt, Report, Signed, Ticket},
};

/// The market's signing domain in these tests.
pub(crate) fn market() -> Eip712Domain {
    domain(412_346, Address::repeat_byte(0xcc))
}

/// A fixed key: 1 the router, 2 the provider, 3 the user.
pub(crate) fn key(n: u8) -> PrivateKeySigner {
    PrivateKeySigner::from_bytes(&B256::repeat_byte(n)).unwrap()
}

/// `message` signed by `signer` in the market's domain.
pub(crate) fn sign<T: Party>(signer: &PrivateKeySigner, message: T) -> Signed<T> {
    Signed::sign(message, signer, &market()).unwrap()
}

/// A ticket for request `id`, issued by the router (key 1) to the user (key 3) for the
/// provider (key 2) at `endpoint`.
pub(crate) fn admitted(id: u8, endpoint: &str, token_max: u64) -> Admitted {
    let ticket = Ticket {
        requestId: B256::repeat_byte(id),
        user: key(3).address(),
        provider: key(2).address(),
        model: "mock-1b".into(),
        tokenMax: token_max,
        pricePerToken: U256::from(1_000u64),
        expiry: 2_000_000_000,
    };
    Admitted {
        issued: Issued {
            endpoint: endpoint.into(),
            request_id: ticket.requestId,
            ticket: sign(&key(1), ticket),
        },
        domain: market(),
    }
}

/// The provider's receipt for request `id`.
pub(crate) fn receipt(id: B256, tokens: u64) -> Signed<Receipt> {
    sign(
        &key(2),
        Receipt {
            requestId: id,
            provider: key(2).address(),
            tokens,
        },
    )
}

/// A report on request `n`, stored for `router` at `stored`.
pub(crate) fn stored(n: u64, router: &str, stored: u64) -> Stored {
    let mut id = [0u8; 32];
    id[24..].copy_from_slice(&n.to_be_bytes());
    let report = Report {
        requestId: B256::from(id),
        user: key(3).address(),
        firstTokenMs: 40,
        elapsedMs: 400,
        tokens: 8,
        pass: true,
    };
    Stored {
        router: router.into(),
        stored,
        report: sign(&key(3), report),
        receipt: Some(receipt(B256::from(id), 8)),
    }
}

/// A fresh path for an outbox file in a fresh directory (not yet created).
pub(crate) fn temp_outbox(name: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    std::env::temp_dir()
        .join(format!(
            "yellowstone-client-{name}-{}-{nanos}",
            std::process::id()
        ))
        .join("outbox.jsonl")
}
