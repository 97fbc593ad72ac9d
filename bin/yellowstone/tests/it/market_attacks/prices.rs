//! Prices (SPEC 8 "Prices are bounded", "Allowances are held in MOR"). Under the old rules
//! the only check on a bid was `price > 0`, the fallback reference price was the median of
//! every live bid (staked or not), and an allowance was a count of tokens whatever their price:
//! a 1-wei stake bidding 10^30 wei per token turned one token of an accomplice's allowance
//! into 10^12 MOR of credit, and one key's 1-wei bids on invented models made every allowance
//! unbounded.

use super::*;

/// A private model: only the attacker's provider bids for it, so its reference is the
/// market-wide one.
const PRIVATE: &str = "private-model";
/// The attacker's provider (dev account 2) and its accomplice user (dev account 3).
const SHADY: usize = 2;
const ACCOMPLICE: usize = 3;

/// The attacker's provider joins: its real stack, and an attestation of [`PRIVATE`].
async fn shady_joins(m: &Market) -> ProviderStack {
    let stack = gateway_stack(&m.net, &m.running.url(), SHADY, 8, TOKEN_DELAY).await;
    attest_model(&m.net, &m.api, &key(SHADY), PRIVATE).await;
    stack
}

/// `SHADY` bids `price` for [`PRIVATE`] at its gateway with `nonce`; returns the answer.
async fn shady_bids(m: &Market, stack: &ProviderStack, price: U256, nonce: u64) -> Value {
    let offer = Offer {
        model: PRIVATE.into(),
        price,
        capacity: 8,
        endpoint: stack.gateway.url(),
        nonce,
    };
    let (status, body) = bid_offer(&m.net, &m.api, &key(SHADY), &offer).await;
    assert_eq!(status, 200, "{body}");
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_absurd_bid_on_a_private_model_is_never_ticketed_and_earns_nothing() {
    let net = chain().await;
    net.stake(SHADY, U256::from(1u64), 30).await; // one wei
    let m = Market::open(net, "absurd-bid").await;
    let stack = shady_joins(&m).await;
    let accomplice = key(ACCOMPLICE);

    // 10^30 wei a token (above the operator's maximum), then 1 MOR a token (the maximum
    // itself, far above k times the reference): accepted, never selectable, never ticketed.
    let absurd = U256::from(10u64).pow(U256::from(30));
    let at_max = U256::from(10u64).pow(U256::from(18));
    let mut refusals = Vec::new();
    for (nonce, price) in [(1, absurd), (2, at_max)] {
        let bid = shady_bids(&m, &stack, price, nonce).await;
        assert_eq!(bid["selectable"], json!(false), "{bid}");
        let reason = bid["reason"].as_str().unwrap_or_default();
        assert!(reason.contains("price"), "{bid}");
        let (status, body) = m.ask(&accomplice, PRIVATE, 1).await;
        eprintln!(
            "absurd bid of {price} wei/token: bid {bid}; the accomplice's RFC: {status} {body}"
        );
        assert_eq!(
            (status, &body["code"]),
            (503, &json!("no_provider")),
            "{body}"
        );
        refusals.push(body["message"].as_str().unwrap_or_default().to_string());
    }
    let view = m.provider(key(SHADY).address()).await;
    assert_eq!(u256(&view["pending_wei"]), U256::ZERO, "{view}");
    assert_eq!(view["committed"], Value::Null, "{view}");
    // Nor did the bid move the day's reference price.
    let allowance = m.allowance(accomplice.address()).await;
    assert_eq!(u256(&allowance["price"]), honest_price(), "{allowance}");
    eprintln!(
        "absurd bid: 0 tickets, 0 wei credited (old rules: 10^30 wei for one token, the whole \
         daily headroom); the day's reference stays {} wei/token",
        honest_price()
    );
    for message in refusals {
        assert!(
            message.contains("price"),
            "the refusal names the price bound: {message}"
        );
    }
    stack.gateway.kill();
    stack.textgen.kill();
    m.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_junk_bids_on_invented_models_move_no_reference_price_or_allowance() {
    let net = chain().await;
    net.stake(SHADY, U256::from(1u64), 30).await; // one wei
    let m = Market::open(net, "junk-bids").await;
    let users: Vec<Address> = USERS.iter().map(|a| key(*a).address()).collect();
    let mut before = Vec::new();
    for user in &users {
        before.push(m.allowance(*user).await);
    }

    // An unstaked key bids 1 wei a token on 1,000 invented models; a key with one wei staked
    // attests and bids the same 1,000.
    let one_wei = U256::from(1u64);
    let mut accepted = [0u32; 2];
    for (slot, (account, attests)) in [(8, false), (SHADY, true)].into_iter().enumerate() {
        let junk = key(account);
        for i in 0..1_000 {
            let model = format!("invented-{i}");
            if attests {
                attest_model(&m.net, &m.api, &junk, &model).await;
            }
            let offer = Offer {
                model,
                price: one_wei,
                capacity: 8,
                endpoint: "http://127.0.0.1:9".into(),
                nonce: 1,
            };
            let (status, _) = bid_offer(&m.net, &m.api, &junk, &offer).await;
            accepted[slot] += u32::from(status == 200);
        }
    }

    // Today's allowances are untouched, and the honest model is still ticketed at its price.
    for (user, was) in users.iter().zip(&before) {
        assert_eq!(&m.allowance(*user).await, was);
    }
    let (status, issued) = m.ask(&key(USERS[0]), MODEL, ANSWER).await;
    assert_eq!(status, 200, "{issued}");
    assert_eq!(ticket_of(&issued).message.pricePerToken, honest_price());

    // Tomorrow, with no credited work today, the bids set the reference: still the honest one.
    m.net.next_day().await;
    let day = m.net.now().await / 86_400;
    eventually("the router's day to follow the chain", || async {
        router_now(&m.api).await / 86_400 == day
    })
    .await;
    for (user, was) in users.iter().zip(&before) {
        let view = m.allowance(*user).await;
        assert_eq!(view["day"], json!(day), "{view}");
        assert_eq!(u256(&view["price"]), honest_price(), "{view}");
        let tokens = u256(&view["allowance"]) / honest_price();
        assert_eq!(U256::from(view["tokens_allowed"].as_u64().unwrap()), tokens);
        eprintln!(
            "junk bids: {user}: price {} -> {} wei/token, allowance {} -> {} tokens",
            u256(&was["price"]),
            u256(&view["price"]),
            was["tokens_allowed"],
            view["tokens_allowed"]
        );
    }
    eprintln!(
        "junk bids: {} of 1,000 accepted from the unstaked key, {} of 1,000 from the key \
         staking 1 wei (attested); the reference stays {} wei/token",
        accepted[0],
        accepted[1],
        honest_price()
    );
    m.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_accomplice_at_the_price_ceiling_earns_at_most_its_users_allowance_a_day() {
    let net = chain().await;
    net.stake(SHADY, mor(100), 365).await;
    let m = Market::open(net, "ceiling").await;
    let stack = shady_joins(&m).await;
    let (shady, accomplice) = (key(SHADY), key(ACCOMPLICE));

    // The ceiling is k = 4 times the reference (the market-wide stake-weighted median, the
    // honest price): a wei above it is not selectable, the ceiling itself is.
    let ceiling = honest_price() * U256::from(4u64);
    let above = shady_bids(&m, &stack, ceiling + U256::from(1u64), 1).await;
    assert_eq!(above["selectable"], json!(false), "{above}");
    let at = shady_bids(&m, &stack, ceiling, 2).await;
    assert_eq!(at["selectable"], json!(true), "{at}");

    // The accomplice spends its whole allowance on the provider, the largest requests first,
    // each receipted by the provider and reported as passed in no time.
    let view = m.allowance(accomplice.address()).await;
    let allowance = u256(&view["allowance"]);
    let (mut token_max, mut credit, mut tickets) = (32_768u64, U256::ZERO, 0u32);
    while token_max > 0 {
        let (status, issued) = m.ask(&accomplice, PRIVATE, token_max).await;
        if status == 429 {
            assert_eq!(issued["code"], "allowance_exhausted", "{issued}");
            token_max /= 2;
            continue;
        }
        assert_eq!(status, 200, "{issued}");
        let ticket = ticket_of(&issued);
        assert_eq!(ticket.message.provider, shady.address());
        assert_eq!(ticket.message.pricePerToken, ceiling);
        tickets += 1;
        let id = ticket.message.requestId;
        let receipt = sign(
            &shady,
            yellowstone_protocol::messages::Receipt {
                requestId: id,
                provider: shady.address(),
                tokens: token_max,
            },
            &m.net.domain(),
        );
        let said = Said {
            first_token_ms: 0,
            elapsed_ms: 0,
            tokens: token_max,
            pass: true,
        };
        let (status, judged) =
            report_as(&m.net, &m.api, &accomplice, id, said, Some(&receipt)).await;
        assert_eq!(status, 200, "{judged}");
        credit += credited(&judged["verdict"]);
    }
    let left = u256(&m.allowance(accomplice.address()).await["left"]);
    let balance = u256(&view["balance"]);
    let cap = m
        .net
        .view(
            m.net.d.compute,
            yellowstone_chain::IYellowstoneCompute::todayCall {},
        )
        .await
        ._1;
    eprintln!(
        "accomplice at the ceiling ({ceiling} wei/token = 4 x {}): {tickets} tickets, credit \
         {credit} wei ({}) a day against an allowance of {allowance} wei ({}), {} left; the \
         accomplice holds {}, so the pair turns {} per million of its MOR a day into credit \
         ({} per million a year); the daily cap is {}",
        honest_price(),
        mor_text(credit),
        mor_text(allowance),
        mor_text(left),
        mor_text(balance),
        per_million(credit, balance),
        per_million(credit * U256::from(365u64), balance),
        mor_text(cap),
    );
    assert!(!credit.is_zero());
    assert!(
        credit <= allowance,
        "credit {credit} > allowance {allowance}"
    );
    assert!(left < ceiling, "the whole allowance was spent: {left} left");
    stack.gateway.kill();
    stack.textgen.kill();
    m.stop();
}
