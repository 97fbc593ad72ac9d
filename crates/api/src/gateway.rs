//! The provider gateway's `GET /health` answer: the one body the gateway writes and the
//! router's liveness probe reads (SPEC 8: the probe is a signed challenge, so an endpoint
//! proves it holds the key it bids with).

use alloy_primitives::Address;
use yellowstone_protocol::messages::{Liveness, Signed};

/// What a gateway says about itself. `GET /health` (for people) answers it unsigned, 200 while
/// the backend answers and 503 when not; `GET /health?challenge=0x<32 bytes>` (the router's
/// probe) answers 200 with `liveness` signed, whatever the backend's state, so the prober can
/// tell "wrong key" from "backend down". Fields in alphabetical order.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct GatewayHealth {
    /// The backend answered its last check (made at most 2 s ago).
    pub backend_live: bool,
    /// Concurrent requests the gateway serves: the capacity its bids state. Above it a
    /// request is answered 503 `busy`.
    pub capacity: u32,
    /// Requests being served now (at most `capacity`).
    pub in_flight: u32,
    /// `Liveness { provider, challenge }` signed by the provider key under the market's
    /// EIP-712 domain: the answer to the challenge asked (absent when none was).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub liveness: Option<Signed<Liveness>>,
    /// The provider key this gateway holds: it signs receipts and liveness answers.
    pub provider: Address,
    /// `ok` while the backend answers, else `backend_down`.
    pub status: String,
}

impl GatewayHealth {
    /// `status` while the backend answers.
    pub const OK: &'static str = "ok";
    /// `status` while it does not.
    pub const BACKEND_DOWN: &'static str = "backend_down";
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::{Bytes, B256};

    #[test]
    fn the_answer_writes_its_keys_in_order_and_omits_an_unasked_liveness() {
        let mut health = GatewayHealth {
            backend_live: true,
            capacity: 8,
            in_flight: 1,
            liveness: None,
            provider: Address::repeat_byte(1),
            status: GatewayHealth::OK.into(),
        };
        let text = serde_json::to_string(&health).unwrap();
        assert_eq!(
            text,
            r#"{"backend_live":true,"capacity":8,"in_flight":1,"provider":"0x0101010101010101010101010101010101010101","status":"ok"}"#
        );
        assert_eq!(
            serde_json::from_str::<GatewayHealth>(&text).unwrap(),
            health
        );
        health.liveness = Some(Signed {
            message: Liveness {
                provider: Address::repeat_byte(1),
                challenge: B256::repeat_byte(2),
            },
            signature: Bytes::from(vec![3u8; 65]),
        });
        let text = serde_json::to_string(&health).unwrap();
        assert_eq!(
            serde_json::from_str::<GatewayHealth>(&text).unwrap(),
            health
        );
    }
}
