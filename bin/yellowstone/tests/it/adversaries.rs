//! Adversaries against the market on the devnet, through the router's API (issue 7): replayed
//! RFCs, reports, receipts and epoch roots; forged, high-s and foreign-domain signatures on
//! every message; MOR moved to a fresh address mid-day; a provider requesting from itself and
//! an accomplice spending its whole allowance on it. The contract's side (a stolen router or
//! owner key, claims over the cap, reentrancy) is in the contract's and the devnet's tests;
//! docs/SECURITY.md maps every threat to its test.

use alloy_primitives::{keccak256, Address, Bytes, U256};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::{sol, SolCall, SolError};
use serde_json::{json, Value};
use yellowstone_chain::IYellowstoneCompute as I;
use yellowstone_protocol::{
    eip712::{types::domain, Signature},
    messages::{Bid, ModelAttestation, Party, Receipt, Report, Rfc, Signed},
};
use yellowstone_test_utils::{scenario::*, *};

sol! {
    interface IMor {
        function transfer(address to, uint256 amount) external returns (bool);
    }
}

/// The secp256k1 group order: `s` and `n - s` both verify, so only low `s` is accepted.
const N: U256 = alloy_primitives::uint!(
    0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141_U256
);

/// The other valid signature of the same message: `(r, n - s)` with the parity flipped.
fn high_s_twin<T: Party + Clone>(signed: &Signed<T>) -> Signed<T> {
    let mut bytes = signed.signature.to_vec();
    let s = U256::from_be_slice(&bytes[32..64]);
    bytes[32..64].copy_from_slice(&(N - s).to_be_bytes::<32>());
    bytes[64] ^= 1; // 27 <-> 28
    Signed {
        message: signed.message.clone(),
        signature: bytes.into(),
    }
}

/// `eth_call` of `data` on the compute contract that must revert; returns the revert data.
async fn revert_data(net: &Net, data: Vec<u8>) -> Bytes {
    let answer: Value = reqwest::Client::new()
        .post(net.rpc.url())
        .json(
            &json!({"jsonrpc": "2.0", "id": 1, "method": "eth_call", "params": [
                {"from": key(8).address(), "to": net.d.compute, "data": Bytes::from(data)}, "latest"
            ]}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let data = answer["error"]["data"]
        .as_str()
        .unwrap_or_else(|| panic!("expected a revert: {answer}"));
    data.parse().unwrap()
}

/// An RFC of `user` for `tokens`, signed under `domain`.
fn rfc(net: &Net, user: &PrivateKeySigner, nonce: u64, tokens: u64, now: u64) -> Signed<Rfc> {
    let message = Rfc {
        user: user.address(),
        model: MODEL.into(),
        tokenMax: tokens,
        nonce,
        deadline: now + 300,
    };
    sign(user, message, &net.domain())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replayed_rfcs_reports_receipts_and_epoch_roots_change_nothing() {
    let Joined {
        net, running, api, ..
    } = joined("replays").await;
    let domain = net.domain();
    let user = key(USERS[0]);

    // An RFC is admitted once; its copy is refused, even after the ticket was reported.
    let signed = rfc(&net, &user, 1, TOKENS, net.now().await);
    let (status, issued) = api.post("/v1/rfcs", &signed).await;
    assert_eq!(status, 200, "{issued}");
    let (status, body) = api.post("/v1/rfcs", &signed).await;
    assert_eq!((status, &body["code"]), (409, &json!("replayed")), "{body}");

    // A report is judged once; the receipt replayed after it changes nothing.
    let id = issued["request_id"].as_str().unwrap().parse().unwrap();
    let receipt = sign(
        &key(STAKED),
        Receipt {
            requestId: id,
            provider: key(STAKED).address(),
            tokens: TOKENS,
        },
        &domain,
    );
    let report = sign(
        &user,
        Report {
            requestId: id,
            user: user.address(),
            firstTokenMs: 150,
            elapsedMs: 900,
            tokens: TOKENS,
            pass: true,
        },
        &domain,
    );
    let body = json!({"report": report, "receipt": receipt});
    let (status, first) = api.post("/v1/reports", &body).await;
    assert_eq!(status, 200, "{first}");
    let wei = credited(&first["verdict"]);
    assert_eq!(wei, U256::from(TOKENS) * price_of(STAKED));
    let (status, again) = api.post("/v1/reports", &body).await;
    assert_eq!(
        (status, &again["code"]),
        (409, &json!("replayed")),
        "{again}"
    );
    let (status, _) = api.post("/v1/receipts", &receipt).await;
    assert_eq!(status, 200, "a known receipt is acknowledged and ignored");
    let provider = format!("/v1/providers/{}", key(STAKED).address());
    let (_, info) = api.get(&provider).await;
    assert_eq!(
        u256(&info["pending_wei"]) + committed_total(&api).await,
        wei,
        "{info}"
    );

    // A committed root cannot be committed again, nor an older one after a newer.
    eventually("epoch 1", || async { committed_total(&api).await == wei }).await;
    total_after_one_more(&net, &api, wei).await;
    let latest = latest_epoch(&api).await.unwrap()["epoch"].as_u64().unwrap();
    for n in [1, latest] {
        let (_, e) = api.get(&format!("/v1/epochs/{n}")).await;
        let signature: Bytes = e["signature"].as_str().unwrap().parse().unwrap();
        let (r, vs) = Signature::parse(&signature).unwrap().compact();
        let replay = I::commitEpochCall {
            epoch: n,
            root: e["root"].as_str().unwrap().parse().unwrap(),
            cumulative_credited: u256(&e["cumulative_credited"]),
            cumulative_bootstrap: u256(&e["cumulative_bootstrap"]),
            deadline: e["deadline"].as_u64().unwrap(),
            r,
            vs,
        };
        let refused = revert_data(&net, replay.abi_encode()).await;
        let expected = I::UnexpectedEpoch {
            epoch: n,
            expected: latest + 1,
        };
        assert_eq!(refused, Bytes::from(expected.abi_encode()), "epoch {n}");
    }
    running.kill();
}

/// One more credited inference, committed; returns nothing, asserts the total.
async fn total_after_one_more(net: &Net, api: &Api, before: U256) {
    let verdict = inference(net, api, USERS[1], 1, true).await;
    let total = before + credited(&verdict);
    eventually("the next epoch", || async {
        committed_total(api).await == total
    })
    .await;
}

/// Each message of the protocol at its endpoint: the user's signed by `as_user`, the
/// provider's by `as_provider`, all under `domain`.
fn messages(
    as_user: &PrivateKeySigner,
    as_provider: &PrivateKeySigner,
    domain: &alloy_sol_types::Eip712Domain,
    now: u64,
    id: alloy_primitives::B256,
) -> Vec<(&'static str, Value)> {
    let user = key(USERS[2]).address();
    let provider = key(STAKED).address();
    let rfc = Rfc {
        user,
        model: MODEL.into(),
        tokenMax: 10,
        nonce: 77,
        deadline: now + 300,
    };
    let receipt = Receipt {
        requestId: id,
        provider,
        tokens: 10,
    };
    let report = Report {
        requestId: id,
        user,
        firstTokenMs: 0,
        elapsedMs: 1_000,
        tokens: 10,
        pass: true,
    };
    let bid = Bid {
        provider,
        model: MODEL.into(),
        pricePerToken: U256::from(1u64),
        capacity: 8,
        endpoint: "http://127.0.0.1:1".into(),
        nonce: 99,
        expiry: now + 3_600,
    };
    let attestation = ModelAttestation {
        provider,
        model: MODEL.into(),
        weightsHash: keccak256("w"),
        issuedAt: now,
    };
    vec![
        ("/v1/rfcs", json!(sign(as_user, rfc, domain))),
        ("/v1/receipts", json!(sign(as_provider, receipt, domain))),
        (
            "/v1/reports",
            json!({"report": sign(as_user, report, domain)}),
        ),
        ("/v1/bids", json!(sign(as_provider, bid, domain))),
        (
            "/v1/attestations",
            json!(sign(as_provider, attestation, domain)),
        ),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_high_s_and_foreign_domain_signatures_are_refused_on_every_message() {
    let Joined {
        net, running, api, ..
    } = joined("signatures").await;
    let now = net.now().await;
    // A live request of USERS[2], so that reports and receipts reach the signature check
    // with everything else right.
    let ticket = admit(&net, &api, USERS[2], 1).await;
    let id = ticket.message.requestId;

    let other_chain = domain(net.d.chain_id + 1, net.d.compute);
    let other_contract = domain(net.d.chain_id, Address::repeat_byte(0xc0));
    let (user, provider, stranger) = (key(USERS[2]), key(STAKED), key(8));
    let attempts = [
        (
            "signed by a stranger in the party's name",
            &stranger,
            &stranger,
            net.domain(),
        ),
        ("signed for another chain", &user, &provider, other_chain),
        (
            "signed for another contract",
            &user,
            &provider,
            other_contract,
        ),
    ];
    for (what, as_user, as_provider, domain) in &attempts {
        for (path, body) in messages(as_user, as_provider, domain, now, id) {
            let (status, answer) = api.post(path, &body).await;
            assert_eq!(
                (status, &answer["code"]),
                (401, &json!("bad_signature")),
                "{what} on {path}: {answer}"
            );
        }
    }

    // The high-s twin of a valid signature, and bytes that are no signature at all.
    let valid = rfc(&net, &key(USERS[2]), 2, 10, now);
    let twin = high_s_twin(&valid);
    let mut garbage = valid.clone();
    garbage.signature = vec![0x5a; 65].into();
    let mut short = valid.clone();
    short.signature = valid.signature[..64].to_vec().into();
    for (what, body) in [
        ("high-s twin", twin),
        ("65 bytes of garbage", garbage),
        ("64 bytes", short),
    ] {
        let (status, answer) = api.post("/v1/rfcs", &body).await;
        assert_eq!(
            (status, &answer["code"]),
            (401, &json!("bad_signature")),
            "{what}: {answer}"
        );
    }
    // The original still works: nothing above spent its nonce.
    let (status, answer) = api.post("/v1/rfcs", &valid).await;
    assert_eq!(status, 200, "{answer}");
    let (_, info) = api
        .get(&format!("/v1/providers/{}", key(STAKED).address()))
        .await;
    assert_eq!(
        info["bids"][0]["price_per_token"],
        json!(price_of(STAKED)),
        "no forged bid took"
    );
    running.kill();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mor_moved_to_a_fresh_address_mid_day_buys_no_second_allowance() {
    let Joined {
        net, running, api, ..
    } = joined("fresh-address").await;
    let holder = key(USERS[0]);
    let fresh = PrivateKeySigner::random();
    let (_, before) = api
        .get(&format!("/v1/allowance/{}", holder.address()))
        .await;
    let allowance = before["allowance"].clone();
    assert!(!u256(&allowance).is_zero(), "{before}");

    // Everything the holder has moves to an address that held nothing at midnight.
    let all = net.mor_of(holder.address()).await;
    net.send(
        USERS[0],
        net.d.mor,
        IMor::transferCall {
            to: fresh.address(),
            amount: all,
        },
    )
    .await;
    assert_eq!(net.mor_of(fresh.address()).await, all);
    let now = net.now().await;
    let (status, body) = api.post("/v1/rfcs", &rfc(&net, &fresh, 1, 10, now)).await;
    assert_eq!(
        (status, &body["code"]),
        (429, &json!("allowance_exhausted")),
        "{body}"
    );
    let (_, view) = api.get(&format!("/v1/allowance/{}", fresh.address())).await;
    assert_eq!(
        (view["balance"].clone(), view["allowance"].clone()),
        (json!("0x0"), json!("0x0")),
        "{view}"
    );
    // The holder keeps today's allowance (the snapshot was taken at midnight)...
    let (_, after) = api
        .get(&format!("/v1/allowance/{}", holder.address()))
        .await;
    assert_eq!(after["allowance"], allowance, "{after}");
    let (status, body) = api.post("/v1/rfcs", &rfc(&net, &holder, 1, 10, now)).await;
    assert_eq!(status, 200, "{body}");

    // ...and tomorrow the allowance follows the MOR: one allowance, never two.
    net.next_day().await;
    let now = net.now().await;
    let today = format!("/v1/allowance/{}", holder.address());
    eventually(
        "the router's clock to follow the chain past midnight",
        || async { api.get(&today).await.1["day"] == json!(now / 86_400) },
    )
    .await;
    let (status, body) = api.post("/v1/rfcs", &rfc(&net, &holder, 2, 10, now)).await;
    assert_eq!(
        (status, &body["code"]),
        (429, &json!("allowance_exhausted")),
        "{body}"
    );
    let (status, body) = api.post("/v1/rfcs", &rfc(&net, &fresh, 2, 10, now)).await;
    assert_eq!(status, 200, "{body}");
    running.kill();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_is_never_ticketed_to_itself_and_an_accomplice_is_bounded_by_its_allowance() {
    let Joined {
        net, running, api, ..
    } = joined("self-spam").await;
    let provider = key(STAKED);
    let now = net.now().await;

    // The only provider of the model asks for its own compute: no ticket.
    let (status, body) = api
        .post("/v1/rfcs", &rfc(&net, &provider, 1, 10, now))
        .await;
    assert_eq!(
        (status, &body["code"]),
        (503, &json!("no_provider")),
        "{body}"
    );
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("never ticketed to itself"),
        "{body}"
    );

    // An accomplice holding MOR spams it with requests of 4,096 tokens, each reported as
    // delivered in full: the tickets stop at the accomplice's allowance, held in MOR.
    let accomplice = key(USERS[0]);
    let (_, view) = api
        .get(&format!("/v1/allowance/{}", accomplice.address()))
        .await;
    let allowance = u256(&view["allowance"]);
    let largest = 4_096;
    let (mut nonce, mut tickets, mut credit) = (0, 0u64, U256::ZERO);
    loop {
        nonce += 1;
        let signed = rfc(&net, &accomplice, nonce, largest, now);
        let (status, issued) = api.post("/v1/rfcs", &signed).await;
        if status == 429 {
            assert_eq!(issued["code"], "allowance_exhausted", "{issued}");
            break;
        }
        assert_eq!(status, 200, "{issued}");
        tickets += 1;
        let id = issued["request_id"].as_str().unwrap().parse().unwrap();
        let domain = net.domain();
        let body = json!({
            "report": sign(&accomplice, Report { requestId: id, user: accomplice.address(), firstTokenMs: 150, elapsedMs: 900, tokens: largest, pass: true }, &domain),
            "receipt": sign(&provider, Receipt { requestId: id, provider: provider.address(), tokens: largest }, &domain),
        });
        let (status, answer) = api.post("/v1/reports", &body).await;
        assert_eq!(status, 200, "{answer}");
        credit += credited(&answer["verdict"]);
    }
    // The allowance is wei (SPEC 8): each ticket holds tokenMax x the bid's price.
    let hold = U256::from(largest) * price_of(STAKED);
    assert_eq!(
        U256::from(tickets),
        allowance / hold,
        "only whole requests fit"
    );
    let bound = allowance;
    assert!(credit <= bound && !credit.is_zero());
    // Whatever is credited settles no faster than the day's cap.
    let cap = net.view(net.d.compute, I::todayCall {}).await._1;
    eventually("the day's share to commit", || async {
        committed_total(&api).await == credit.min(cap)
    })
    .await;
    eprintln!(
        "accomplice: allowance {allowance} wei, {tickets} tickets, credited {credit} wei \
         (bound {bound}); daily cap {cap} wei"
    );
    running.kill();
}
