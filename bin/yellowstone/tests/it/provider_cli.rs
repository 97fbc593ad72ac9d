//! The provider's management commands against the real contract on the devnet and the real
//! router: a fresh account stakes (and registers), extends its lock, attests a weights file,
//! bids, serves a user through textgen behind the real gateway, claims exactly what it was
//! credited, and reads a consistent status. Plus the exact MOR decimal parser and printer, and
//! the binary's help for every subcommand.

use std::process::Command;

use alloy_primitives::U256;
use yellowstone_cli::provider::{
    offer::{attest, bid},
    onchain::{claim, lock, stake},
    status::status,
    ChainCtx, ProviderError,
};
use yellowstone_cli::units::{format_mor, format_multiplier, parse_lock_end, parse_mor};
use yellowstone_client::chat::{chat, ChatRequest};
use yellowstone_client::exchange::DEFAULT_STALL_TIMEOUT;
use yellowstone_client::router::RouterClient;
use yellowstone_market::judge::Verdict;
use yellowstone_protocol::{messages::weights_hash, time::DAY};
use yellowstone_test_utils::*;

const MODEL: &str = "textgen-words";
/// A development account nobody else stakes with.
const PROVIDER: usize = 2;

fn wei(text: &str) -> U256 {
    text.parse().unwrap()
}

#[test]
fn mor_amounts_parse_exactly() {
    assert_eq!(parse_mor("12.5").unwrap(), wei("12500000000000000000"));
    assert_eq!(parse_mor("0.001").unwrap(), wei("1000000000000000"));
    assert_eq!(parse_mor("1000").unwrap(), mor(1000));
    assert_eq!(parse_mor("0").unwrap(), U256::ZERO);
    assert_eq!(parse_mor(" 7 ").unwrap(), mor(7));
    assert_eq!(parse_mor("0.000000000000000001").unwrap(), U256::from(1u64));
    assert_eq!(
        parse_mor("123456789.123456789123456789").unwrap(),
        wei("123456789123456789123456789")
    );
    // 0.1 + 0.2 is exactly 0.3 here.
    assert_eq!(
        parse_mor("0.1").unwrap() + parse_mor("0.2").unwrap(),
        parse_mor("0.3").unwrap()
    );
}

#[test]
fn bad_mor_amounts_are_refused() {
    let too_many = parse_mor("0.0000000000000000001").unwrap_err();
    assert!(too_many.contains("19 decimals"), "{too_many}");
    for bad in [
        "", " ", "-1", "+1", "-0.5", "1e18", "abc", "1.2.3", ".5", "1.", "1,5", "0x10", "1 000",
        "NaN", "inf",
    ] {
        assert!(parse_mor(bad).is_err(), "{bad:?} was accepted");
    }
    let huge = format!("{}", U256::MAX);
    assert!(parse_mor(&huge).unwrap_err().contains("too large"));
}

#[test]
fn wei_prints_as_mor_exactly() {
    assert_eq!(format_mor(wei("12500000000000000000")), "12.5");
    assert_eq!(format_mor(U256::ZERO), "0");
    assert_eq!(format_mor(U256::from(1u64)), "0.000000000000000001");
    assert_eq!(format_mor(mor(1000)), "1000");
    assert_eq!(format_mor(wei("1000000000000000")), "0.001");
    assert_eq!(
        format_multiplier(wei("1744946883956739643")),
        "1.744946883956739643"
    );
    for text in ["12.5", "0.001", "1", "0.000000000000000001", "98765.4321"] {
        assert_eq!(format_mor(parse_mor(text).unwrap()), text);
    }
    assert_eq!(parse_mor(&format_mor(U256::MAX)).unwrap(), U256::MAX);
}

#[test]
fn lock_ends_parse_as_unix_seconds_or_utc_dates() {
    assert_eq!(parse_lock_end("1790000000").unwrap(), 1_790_000_000);
    // SPEC 5's S is 2024-07-25 12:00 UTC.
    assert_eq!(
        parse_lock_end("2024-07-25").unwrap(),
        1_721_908_800 - 43_200
    );
    assert_eq!(
        parse_lock_end("2024-02-29").unwrap() + DAY,
        parse_lock_end("2024-03-01").unwrap()
    );
    for bad in [
        "2023-02-29",
        "2024-13-01",
        "2024-00-10",
        "24-07-25",
        "soon",
        "",
        "-5",
    ] {
        assert!(parse_lock_end(bad).is_err(), "{bad:?} was accepted");
    }
}

#[test]
fn every_management_subcommand_explains_itself() {
    for (sub, expect) in [
        ("attest", "--model-file"),
        ("bid", "--capacity"),
        ("stake", "--lock-days"),
        ("lock", "LockEndTooEarly"),
        ("claim", "NothingToClaim"),
        ("status", "stake-cap"),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_yellowstone"))
            .args(["provider", sub, "--help"])
            .output()
            .unwrap();
        let help = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "provider {sub} --help failed");
        for flag in [expect, "--router", "--rpc-url", "--key-file", "--json"] {
            assert!(
                help.contains(flag),
                "provider {sub} --help lacks {flag}:\n{help}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fresh_provider_stakes_attests_bids_serves_and_claims_to_the_wei() {
    let net = Net::start();
    net.fund(mor(10_000)).await;
    net.next_day().await;
    let running = router(&net, &net.rpc.url(), &temp_db("provider-cli"), 1).await;
    let ctx = ChainCtx::connect(key(PROVIDER), &running.url(), &net.rpc.url(), None)
        .await
        .unwrap();
    let me = key(PROVIDER).address();
    assert!(!ctx.chain().provider_record(me).await.unwrap().registered);

    // Stake: approves, registers, multiplier above 1.
    let now = ctx.chain_now().await.unwrap();
    let staked = stake(&ctx, parse_mor("1000").unwrap(), now + 365 * DAY)
        .await
        .unwrap();
    assert!(staked.approve.is_some());
    assert!(staked.record.registered);
    assert_eq!(staked.record.stake, mor(1000));
    assert_eq!(staked.record.lock_end, now + 365 * DAY);
    let one = U256::from(10u64).pow(U256::from(18));
    assert!(staked.record.multiplier > one, "{:?}", staked.record);
    assert!(staked.stake.gas_used > 0);

    // Lock: extending raises the multiplier; shortening is refused, decoded.
    let locked = lock(&ctx, now + 730 * DAY).await.unwrap();
    assert_eq!(locked.record.lock_end, now + 730 * DAY);
    assert_eq!(locked.record.lock_start, staked.record.lock_start);
    assert!(locked.record.multiplier > staked.record.multiplier);
    match lock(&ctx, now + 200 * DAY).await {
        Err(ProviderError::Refused { call, error }) => {
            assert_eq!(call, "lockClaim");
            assert!(error.starts_with("LockEndTooEarly"), "{error}");
        }
        other => panic!("a shorter lock was not refused: {other:?}"),
    }

    // Attest a temporary weights file.
    let weights = std::env::temp_dir().join(format!("provider-cli-{}.gguf", std::process::id()));
    std::fs::write(&weights, vec![7u8; 3 << 20]).unwrap();
    let attested = attest(ctx.ctx(), MODEL, &weights).await.unwrap();
    let expected = weights_hash(std::fs::File::open(&weights).unwrap()).unwrap();
    assert_eq!(attested.weights_hash, expected);
    std::fs::remove_file(&weights).unwrap();

    // The gateway in front of textgen, then two bids: the second replaces the first.
    let stack = serve_provider(&net, &running.url(), PROVIDER, MODEL).await;
    let price = parse_mor("0.002").unwrap();
    let first = bid(ctx.ctx(), MODEL, price, 8, &stack.gateway.url(), 24 * 3600)
        .await
        .unwrap();
    assert!(first.selectable, "{first:?}");
    let price = parse_mor("0.001").unwrap();
    let second = bid(ctx.ctx(), MODEL, price, 3, &stack.gateway.url(), 24 * 3600)
        .await
        .unwrap();
    assert!(second.selectable, "{second:?}");
    assert!(second.nonce > first.nonce);
    let client = RouterClient::new(&running.url());
    let live = client.bids(Some(MODEL)).await.unwrap();
    assert_eq!(live.len(), 1);
    assert_eq!(
        (live[0].nonce, live[0].price_per_token, live[0].capacity),
        (second.nonce, price, 3)
    );

    // A user chats; the answer is credited at the bid's price.
    let outcome = chat(
        &client,
        &key(4),
        &ChatRequest {
            model: MODEL.into(),
            prompt: "provider management".into(),
            max_tokens: 24,
            stream: true,
            fail: false,
            stall_timeout: DEFAULT_STALL_TIMEOUT,
        },
    )
    .await
    .unwrap();
    let credited = match outcome.verdict {
        Some(Verdict::Credited { tokens, wei, .. }) => {
            assert_eq!(tokens, 24);
            wei
        }
        other => panic!("not credited: {other:?} {:?}", outcome.report_error),
    };
    assert_eq!(credited, price * U256::from(24u64));

    // The epoch commits; the claim pays exactly the credit; a second claim is refused.
    let api = Api::new(running.url());
    eventually("the credit to commit", || async {
        match api.get("/v1/epochs/latest").await {
            (200, e) => u256(&e["cumulative_credited"]) == credited,
            _ => false,
        }
    })
    .await;
    let before = net.mor_of(me).await;
    let claimed = claim(&ctx).await.unwrap();
    assert_eq!(claimed.paid, credited);
    assert_eq!(net.mor_of(me).await - before, credited);
    assert_eq!((claimed.cumulative, claimed.claimed), (credited, credited));
    assert_eq!(claimed.remaining, U256::ZERO);
    assert_eq!(claimed.stake_cap_remaining, mor(1000) - credited);
    match claim(&ctx).await {
        Err(ProviderError::Refused { call, error }) => {
            assert_eq!(call, "claim");
            assert!(error.starts_with("NothingToClaim"), "{error}");
        }
        other => panic!("a second claim was not refused: {other:?}"),
    }

    // The status agrees with all of it.
    let s = status(&ctx).await.unwrap();
    assert_eq!(s.provider, me);
    assert_eq!(s.record.stake, mor(1000));
    assert_eq!(s.record.lock_end, now + 730 * DAY);
    assert_eq!(s.record.multiplier, locked.record.multiplier);
    assert_eq!((s.record.earned, s.record.claimed), (credited, credited));
    assert_eq!(s.stake_cap_remaining, claimed.stake_cap_remaining);
    assert_eq!(s.balance, net.mor_of(me).await);
    assert_eq!(s.router.attestations.len(), 1);
    assert_eq!(s.router.attestations[0].weights_hash, expected);
    assert_eq!(s.router.bids.len(), 1);
    assert_eq!(s.router.bids[0].price_per_token, price);
    assert_eq!(s.router.bids[0].unselectable, None);
    assert_eq!(s.router.pending_wei, U256::ZERO);
    let committed = s.router.committed.expect("a committed leaf");
    assert_eq!(committed.earned + committed.bootstrap, credited);
    stack.gateway.kill();
    stack.textgen.kill();
    running.kill();
}
