//! The whole flow with the real edges: textgen behind the real provider gateway, the real
//! router on the devnet, and the user client. A user chats (streamed and whole), the gateway
//! checks the router's ticket and signs the receipt, the router credits the report, an epoch
//! commits, and the provider claims exactly what the user's answers were credited.

use alloy_primitives::U256;
use yellowstone_client::chat::{chat, ChatRequest};
use yellowstone_client::exchange::DEFAULT_STALL_TIMEOUT;
use yellowstone_client::router::RouterClient;
use yellowstone_market::judge::Verdict;
use yellowstone_test_utils::*;

const MODEL: &str = "textgen-words";
const PROVIDER: usize = 1;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_chats_through_the_real_gateway_and_the_provider_is_paid_to_the_wei() {
    let net = Net::start();
    net.fund(mor(10_000)).await;
    net.stake(PROVIDER, mor(1_000), 365).await;
    net.next_day().await;
    let running = router(&net, &net.rpc.url(), &temp_db("edges"), 1).await;
    let price = U256::from(10u64).pow(U256::from(15));
    let stack = provider_stack(&net, &running.url(), PROVIDER, MODEL, price).await;

    // Two users chat, one streamed and one whole; every answer is credited at the receipt.
    let client = RouterClient::new(&running.url());
    let mut credited = U256::ZERO;
    for (user, stream) in [(4, true), (5, false)] {
        let outcome = chat(
            &client,
            &key(user),
            &ChatRequest {
                model: MODEL.into(),
                prompt: "say something deterministic".into(),
                max_tokens: 32,
                stream,
                fail: false,
                stall_timeout: DEFAULT_STALL_TIMEOUT,
            },
        )
        .await
        .unwrap();
        assert_eq!(outcome.tokens, 32, "{outcome:?}");
        assert_eq!(outcome.answer.split_whitespace().count(), 32);
        assert!(outcome.receipt_note.is_none(), "{outcome:?}");
        match outcome.verdict {
            Some(Verdict::Credited { tokens, wei, .. }) => {
                assert_eq!(tokens, 32);
                credited += wei;
            }
            other => panic!("not credited: {other:?} {:?}", outcome.report_error),
        }
    }
    assert_eq!(credited, U256::from(64u64) * price);

    // The epoch commits; the provider claims with the served proof.
    committed(&Api::new(running.url()), credited).await;
    assert_eq!(claim(&net, &running.url(), PROVIDER).await, credited);
    stack.gateway.kill();
    stack.textgen.kill();
    running.kill();
}
