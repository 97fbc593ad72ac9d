//! Upgrading a version-1 database (written before SPEC 8): opened by this build it is converted
//! in place, once, every converted value is what version 1 meant, and the state it loads keeps
//! working. The version-1 DDL is the fixture `schema_v1.sql`, copied from the release.

use std::path::Path;

use alloy_primitives::{Address, B256, U256};
use rusqlite::{params, Connection};
use yellowstone_api::{v1::DayFigures, Refusal, Verdict};
use yellowstone_market::{
    allowance::Allowance,
    records::{AllowanceRecord, Change, ReportRecord, TicketRecord},
    selection::Score,
    state::{Rules, State},
};
use yellowstone_protocol::time::DAY;
use yellowstone_store::{Durability, Store, StoreError, SCHEMA_VERSION};

use crate::fixture::*;
use crate::tmp::{i, Dir};

const V1_SCHEMA: &str = include_str!("schema_v1.sql");

/// The reference price of `DAY0`'s figures: below the bid's `PRICE`, so a hold converted at it
/// would differ from what the ticket's settlement releases.
const REF: u64 = 5;
/// The reference price of the figures of `DAY0 - 2` (the latest before `DAY0 - 1`).
const OLD_REF: u64 = 3;

/// The requests of the version-1 history.
struct Ids {
    /// Open, 500 tokens held.
    open: B256,
    /// Reported and credited 100 tokens, with the receipt.
    credited: B256,
    /// Reported fail, no receipt: version 1 charged nothing.
    failed: B256,
    /// Reported pass, judged too slow by version 1's per-token rule (receipt 30 of 50).
    slow: B256,
    /// Never reported, swept: version 1 charged its 300 tokens.
    expired: B256,
}

/// A market history, as the market of this build makes it (signed, consistent records).
fn history() -> (Market, Ids) {
    let mut m = Market::new();
    let open = m.open(&user(), 1, 500, &provider(), NOW).request_id;
    let credited = m.serve(&provider(), 2, 100, NOW);
    let failed = m.open(&user(), 3, 200, &provider(), NOW).request_id;
    let (_, c) = m
        .state
        .report(report(&user(), failed, 0, 480, false), None, NOW)
        .unwrap();
    m.log.extend(c);
    let slow = m.open(&user(), 4, 50, &provider(), NOW).request_id;
    let expired = m.open(&user(), 5, 300, &provider(), NOW).request_id;
    let ids = Ids {
        open,
        credited,
        failed,
        slow,
        expired,
    };
    (m, ids)
}

fn figures(day: u64, price: u64) -> String {
    serde_json::to_string(&DayFigures {
        budget: u(3_000_000),
        day,
        price: u(price),
        snapshot_block: 77,
        supply: u(10_000_000),
    })
    .unwrap()
}

fn put_v1_ticket(db: &Connection, t: &TicketRecord, status: &str) {
    db.execute(
        "INSERT INTO tickets (request_id, user, provider, model, token_max, price, expiry, \
         issued_at, day, status, signature) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![
            t.request_id.as_slice(),
            t.user.as_slice(),
            t.provider.as_slice(),
            t.model,
            i(t.token_max),
            t.price.to_string(),
            i(t.expiry),
            i(t.issued_at),
            i(t.day),
            status,
            t.signature.as_ref()
        ],
    )
    .unwrap();
}

fn put_v1_report(db: &Connection, r: &ReportRecord, verdict: &str, credited: Option<(u64, U256)>) {
    db.execute(
        "INSERT INTO reports (request_id, model, provider, elapsed_ms, user_tokens, \
         receipt_tokens, pass, verdict, credited_tokens, credited_wei, micros_per_token, \
         accepted_at, signature) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        params![
            r.request_id.as_slice(),
            r.model,
            r.provider.as_slice(),
            i(r.elapsed_ms),
            i(r.user_tokens),
            r.receipt_tokens.map(i),
            r.pass,
            verdict,
            credited.map(|(t, _)| i(t)),
            credited.map(|(_, w)| w.to_string()),
            credited.map(|(t, _)| i(1_000_000 / t.max(1))),
            i(r.accepted_at),
            r.signature.as_ref()
        ],
    )
    .unwrap();
}

fn put_v1_allowance(db: &Connection, day: u64, user: Address, tokens: (u64, u64, u64)) {
    db.execute(
        "INSERT INTO allowances (day, user, balance, allowance, used, held) \
         VALUES (?1, ?2, '5000000000000000000', ?3, ?4, ?5)",
        params![
            i(day),
            user.as_slice(),
            i(tokens.0),
            i(tokens.1),
            i(tokens.2)
        ],
    )
    .unwrap();
}

/// Writes `m`'s history into a version-1 database at `path`, as version 1 would have left it.
fn write_v1(path: &Path, m: &Market, ids: &Ids) {
    let db = Connection::open(path).unwrap();
    db.execute_batch(V1_SCHEMA).unwrap();
    db.pragma_update(None, "user_version", 1).unwrap();
    for change in &m.log {
        match change {
            Change::Bid(b) => {
                db.execute(
                    "INSERT INTO bids (provider, model, price, endpoint, nonce, expiry, signature) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    params![
                        b.provider.as_slice(),
                        b.model,
                        b.price.to_string(),
                        b.endpoint,
                        i(b.nonce),
                        i(b.expiry),
                        b.signature.as_ref()
                    ],
                )
                .unwrap();
            }
            Change::Attestation(a) => {
                db.execute(
                    "INSERT INTO attestations (provider, model, weights_hash, issued_at, signature) \
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![
                        a.provider.as_slice(),
                        a.model,
                        a.weights_hash.as_slice(),
                        i(a.issued_at),
                        a.signature.as_ref()
                    ],
                )
                .unwrap();
            }
            Change::Nonce {
                user,
                nonce,
                deadline,
            } => {
                db.execute(
                    "INSERT INTO nonces (user, nonce, deadline) VALUES (?1, ?2, ?3)",
                    params![user.as_slice(), i(*nonce), i(*deadline)],
                )
                .unwrap();
            }
            Change::Receipt(r) => {
                db.execute(
                    "INSERT INTO receipts (request_id, provider, tokens, signature) \
                     VALUES (?1, ?2, ?3, ?4)",
                    params![
                        r.request_id.as_slice(),
                        r.provider.as_slice(),
                        i(r.tokens),
                        r.signature.as_ref()
                    ],
                )
                .unwrap();
            }
            Change::Report(r) => {
                let credited = match &r.verdict {
                    Verdict::Credited { tokens, wei, .. } => Some((*tokens, *wei)),
                    Verdict::Refused { .. } => None,
                };
                let verdict = serde_json::to_string(&r.verdict).unwrap();
                put_v1_report(&db, r, &verdict, credited);
            }
            Change::Credit(c) => {
                db.execute(
                    "INSERT INTO credits (seq, provider, amount, bootstrap, block) \
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![
                        i(c.seq),
                        c.provider.as_slice(),
                        c.amount.to_string(),
                        c.bootstrap,
                        i(c.block)
                    ],
                )
                .unwrap();
                db.execute(
                    "INSERT OR REPLACE INTO counters (name, value) VALUES ('next_seq', ?1)",
                    [i(c.seq + 1)],
                )
                .unwrap();
            }
            Change::Work {
                day,
                provider,
                wei,
                tokens,
            } => {
                db.execute(
                    "INSERT INTO work (day, provider, wei, tokens) VALUES (?1, ?2, ?3, ?4)",
                    params![i(*day), provider.as_slice(), wei.to_string(), i(*tokens)],
                )
                .unwrap();
            }
            _ => {}
        }
    }
    // Tickets as version 1 left them: the slow one reported, the last one swept.
    let ticket = |id| m.state.ticket(id).unwrap().clone();
    put_v1_ticket(&db, &ticket(ids.open), "open");
    put_v1_ticket(&db, &ticket(ids.credited), "reported");
    put_v1_ticket(&db, &ticket(ids.failed), "reported");
    put_v1_ticket(&db, &ticket(ids.slow), "reported");
    put_v1_ticket(&db, &ticket(ids.expired), "expired");
    // Version 1's too-slow verdict: µs per token against the model's average.
    let slow = ReportRecord {
        request_id: ids.slow,
        model: MODEL.into(),
        provider: provider().address(),
        first_token_ms: 0,
        elapsed_ms: 5_000,
        user_tokens: 40,
        receipt_tokens: Some(30),
        pass: true,
        verdict: Verdict::Refused {
            reason: Refusal::NoReceipt,
        },
        accepted_at: NOW,
        signature: vec![7u8; 65].into(),
    };
    put_v1_report(
        &db,
        &slow,
        r#"{"outcome":"refused","reason":{"reason":"too_slow","micros_per_token":166666,"average":100000,"limit":150000}}"#,
        None,
    );
    db.execute(
        "INSERT INTO receipts (request_id, provider, tokens, signature) VALUES (?1, ?2, 30, x'07')",
        params![ids.slow.as_slice(), provider().address().as_slice()],
    )
    .unwrap();
    db.execute(
        "INSERT INTO scores (provider, passes, fails) VALUES (?1, 1, 1)",
        [provider().address().as_slice()],
    )
    .unwrap();
    // Tokens: today 100,000 allowed, 100 credited + 300 swept used, 500 held by the open
    // ticket; yesterday (no figures of its own: priced with the day before's, as version 1's
    // chain-down fallback did); and a day older than any figures.
    put_v1_allowance(&db, DAY0, user().address(), (100_000, 400, 500));
    put_v1_allowance(&db, DAY0 - 1, other_user().address(), (2_000, 10, 0));
    put_v1_allowance(&db, DAY0 - 3, key(9).address(), (1_000, 0, 0));
    for (key, value) in [
        (format!("day_params:{DAY0}"), figures(DAY0, REF)),
        (
            format!("day_params:{}", DAY0 - 2),
            figures(DAY0 - 2, OLD_REF),
        ),
        ("bootstrap_day".to_string(), (DAY0 - 1).to_string()),
    ] {
        db.execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2)",
            params![key, value],
        )
        .unwrap();
    }
}

/// Every table's columns and every index, by name: the schema's shape.
fn shape(path: &Path) -> Vec<String> {
    let db = Connection::open(path).unwrap();
    let mut names: Vec<(String, String)> = db
        .prepare("SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'")
        .unwrap()
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    names.sort();
    let mut out = Vec::new();
    for (kind, name) in names {
        if kind == "table" {
            let mut cols: Vec<String> = db
                .prepare(&format!("SELECT name FROM pragma_table_info('{name}')"))
                .unwrap()
                .query_map([], |row| row.get(0))
                .unwrap()
                .map(Result::unwrap)
                .collect();
            cols.sort();
            out.push(format!("table {name}: {}", cols.join(", ")));
        } else {
            out.push(format!("{kind} {name}"));
        }
    }
    out
}

fn version(path: &Path) -> i64 {
    Connection::open(path)
        .unwrap()
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .unwrap()
}

fn allowance(day: u64, user: Address, price: u64, wei: (u64, u64, u64)) -> AllowanceRecord {
    AllowanceRecord {
        day,
        user,
        balance: U256::from(5_000_000_000_000_000_000u64),
        price: u(price),
        allowance: Allowance {
            allowance: u(wei.0),
            used: u(wei.1),
            held: u(wei.2),
        },
    }
}

#[test]
fn a_version_1_database_is_upgraded_in_place_and_every_value_converted() {
    let (m, ids) = history();
    let dir = Dir::new("convert");
    write_v1(&dir.db(), &m, &ids);
    let store = Store::open(&dir.db(), Durability::Normal).unwrap();
    assert_eq!(version(&dir.db()), SCHEMA_VERSION);
    assert_eq!(SCHEMA_VERSION, 3);
    let fresh = Dir::new("fresh");
    drop(Store::open(&fresh.db(), Durability::Normal).unwrap());
    assert_eq!(
        shape(&dir.db()),
        shape(&fresh.db()),
        "same tables, columns and indexes as a new database"
    );

    let loaded = store.load(NOW, Rules::default().judge.window).unwrap();
    // Bids: dropped (signed without a capacity); attestations and nonces kept.
    assert!(loaded.bids.is_empty());
    assert_eq!(loaded.attestations.len(), 1);
    assert_eq!(loaded.nonces.len(), 5);
    // Allowances in wei at the day's reference price; held is what the open tickets hold.
    let mut allowances = loaded.allowances.clone();
    allowances.sort_by_key(|a| a.day);
    assert_eq!(
        allowances,
        vec![
            allowance(
                DAY0 - 1,
                other_user().address(),
                OLD_REF,
                (2_000 * OLD_REF, 10 * OLD_REF, 0)
            ),
            allowance(
                DAY0,
                user().address(),
                REF,
                (100_000 * REF, 400 * REF, 500 * PRICE)
            ),
        ]
    );
    assert_eq!(
        store.latest_allowance(key(9).address()).unwrap(),
        None,
        "a day older than every figure is dropped"
    );
    // Tickets: what version 1 charged, in wei at the ticket's price.
    let charged = |id| store.ticket(id).unwrap().unwrap().charged;
    assert_eq!(charged(ids.open), U256::ZERO);
    assert_eq!(charged(ids.credited), u(100 * PRICE), "the credited wei");
    assert_eq!(charged(ids.failed), U256::ZERO, "a fail without receipt");
    assert_eq!(charged(ids.slow), U256::ZERO, "refused: nothing");
    assert_eq!(charged(ids.expired), u(300 * PRICE), "tokenMax");
    // Reports: first_token_ms 0; the too-slow verdict restated for the 30 credited tokens.
    let credited = store.report(ids.credited).unwrap().unwrap();
    assert_eq!(credited.first_token_ms, 0);
    assert!(matches!(
        credited.verdict,
        Verdict::Credited { tokens: 100, .. }
    ));
    assert_eq!(
        store.report(ids.slow).unwrap().unwrap().verdict,
        Verdict::Refused {
            reason: Refusal::TooSlow {
                elapsed_ms: 5_000,
                expected_ms: 3_000,
                limit_ms: 4_500
            }
        }
    );
    // Scores without anyone's fail remembered; no speeds; the rest as it was.
    assert_eq!(
        loaded.scores,
        vec![(
            provider().address(),
            Score {
                passes: 1,
                fails: 1
            },
            Vec::new()
        )]
    );
    assert!(loaded.speeds.is_empty());
    assert_eq!((loaded.credits.len(), loaded.next_seq), (1, 2));
    assert_eq!(loaded.work, vec![(DAY0, provider().address(), u(700), 100)]);
    assert_eq!(loaded.meta.len(), 3);

    // Opening again changes nothing.
    drop(store);
    let again = Store::open(&dir.db(), Durability::Normal).unwrap();
    assert_eq!(version(&dir.db()), SCHEMA_VERSION);
    assert_eq!(
        format!(
            "{:?}",
            again.load(NOW, Rules::default().judge.window).unwrap()
        ),
        format!("{:?}", loaded)
    );
    assert_eq!(
        again.ticket(ids.expired).unwrap().unwrap().charged,
        u(300 * PRICE)
    );
}

#[test]
fn the_state_an_upgraded_database_loads_keeps_working() {
    let (m, ids) = history();
    let dir = Dir::new("works");
    write_v1(&dir.db(), &m, &ids);
    let store = Store::open(&dir.db(), Durability::Normal).unwrap();
    let rules = Rules::default();
    let mut s = State::restore(
        rules.clone(),
        dom(),
        router_key(),
        store.load(NOW, rules.judge.window).unwrap(),
        Vec::new(),
    );
    let now = NOW + 1;
    // The provider must bid again; then it is offered as before.
    assert!(s.live_bids(None, now).is_empty());
    s.bid(
        sign(&provider(), bid(&provider(), PRICE, 1, now + DAY)),
        now,
    )
    .unwrap();
    s.set_chain_record(provider().address(), staked(), now);
    assert_eq!(s.live_bids(None, now).len(), 1);
    // The open ticket is credited (the empty speed window judges on pass alone), and its
    // settlement releases exactly the hold the upgrade computed.
    let (verdict, _) = s
        .report(
            report(&user(), ids.open, 480, 480, true),
            Some(receipt(&provider(), ids.open, 480)),
            now,
        )
        .unwrap();
    credited(480, PRICE, &verdict);
    let a = s.allowance(DAY0, user().address()).unwrap().allowance;
    assert_eq!((a.used, a.held), (u(400 * REF + 480 * PRICE), U256::ZERO));
    // The reported fail's receipt lands after the upgrade: the user pays for it.
    s.receipt(receipt(&provider(), ids.failed, 150)).unwrap();
    let a = s.allowance(DAY0, user().address()).unwrap().allowance;
    assert_eq!(a.used, u(400 * REF + 480 * PRICE + 150 * PRICE));
    // Nonces are still spent, new requests are admitted and held in wei.
    refused(
        s.check_rfc(rfc(&user(), 1, 10, now + 60), now),
        409,
        "replayed",
    );
    let checked = s.check_rfc(rfc(&user(), 6, 100, now + 60), now).unwrap();
    s.issue(&checked, provider().address(), now).unwrap();
    let a = s.allowance(DAY0, user().address()).unwrap().allowance;
    assert_eq!(a.held, u(100 * PRICE));
    // The pending credit of version 1 and the new one are both to be settled.
    assert_eq!(s.pending_credit(), (u(100 * PRICE + 480 * PRICE), 2));
    assert_eq!(s.bootstrap_day(), DAY0 - 1);
}

#[test]
fn a_version_1_row_that_does_not_decode_fails_the_upgrade_and_changes_nothing() {
    let (m, ids) = history();
    let dir = Dir::new("atomic");
    write_v1(&dir.db(), &m, &ids);
    Connection::open(dir.db())
        .unwrap()
        .execute(
            "UPDATE allowances SET used = 'many' WHERE day = ?1",
            [i(DAY0)],
        )
        .unwrap();
    let err = Store::open(&dir.db(), Durability::Normal).unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Corrupt {
                table: "allowances",
                column: "used",
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(version(&dir.db()), 1, "still version 1");
    let db = Connection::open(dir.db()).unwrap();
    let bids: i64 = db
        .query_row("SELECT count(*) FROM bids", [], |row| row.get(0))
        .unwrap();
    assert_eq!(bids, 1, "nothing dropped");
}
