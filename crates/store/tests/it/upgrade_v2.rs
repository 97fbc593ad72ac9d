//! Upgrading a version-2 database (written before contract v2's epoch deadlines): opened by
//! this build it gains the `deadline` column (0 for its roots, which no v2 contract accepts)
//! and the archive of signed roots; a root it left in flight is archived at the router's
//! first look at the chain, never deleted, and its credits are signed anew with a deadline.
//! The version-2 DDL is the fixture `schema_v2.sql`, copied from the release.

use alloy_primitives::{B256, U256};
use rusqlite::{params, Connection};
use yellowstone_market::{
    records::{Change, EpochRecord, EpochStatus},
    state::{Rules, State},
};
use yellowstone_store::{Durability, Store, SCHEMA_VERSION};

use crate::fixture::*;
use crate::tmp::{i, Dir};

const V2_SCHEMA: &str = include_str!("schema_v2.sql");

/// Writes `e` into a version-2 `epochs` table (no deadline column).
fn put_v2_epoch(db: &Connection, e: &EpochRecord, status: &str) {
    let fold = serde_json::to_string(
        &e.fold
            .iter()
            .map(|(seq, wei)| (*seq, wei.to_string()))
            .collect::<Vec<_>>(),
    )
    .unwrap();
    db.execute(
        "INSERT INTO epochs (epoch, root, cumulative_credited, cumulative_bootstrap, signature, \
         up_to_block, built_at, fold, status) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            i(e.epoch),
            e.root.as_slice(),
            e.cumulative_credited.to_string(),
            e.cumulative_bootstrap.to_string(),
            e.signature.as_ref(),
            i(e.up_to_block),
            i(e.built_at),
            fold,
            status
        ],
    )
    .unwrap();
}

#[test]
fn a_version_2_database_gains_deadlines_and_the_archive_and_its_root_in_flight_is_archived() {
    // A version-2 history: epoch 1 committed, epoch 2 built and never committed.
    let mut m = Market::new();
    let p = provider();
    m.serve(&p, 1, 100, NOW);
    let t = next_block(NOW);
    m.build(t, BIG, BIG).unwrap();
    m.commit();
    m.serve(&p, 2, 50, t);
    let e2 = m.build(t + 12, BIG, BIG).unwrap();
    let e1 = m.state.committed().unwrap().clone();

    let dir = Dir::new("deadline");
    {
        let db = Connection::open(dir.db()).unwrap();
        db.execute_batch(V2_SCHEMA).unwrap();
        db.pragma_update(None, "user_version", 2).unwrap();
        put_v2_epoch(&db, &e1, "committed");
        put_v2_epoch(&db, &e2, "built");
        for (epoch, tokens) in [(1u64, 100u64), (2, 150)] {
            db.execute(
                "INSERT INTO leaves (provider, epoch, earned, bootstrap) VALUES (?1, ?2, ?3, '0')",
                params![
                    p.address().as_slice(),
                    i(epoch),
                    (tokens * PRICE).to_string()
                ],
            )
            .unwrap();
        }
        db.execute(
            "INSERT INTO credits (seq, provider, amount, bootstrap, block) VALUES (2, ?1, ?2, 0, ?3)",
            params![p.address().as_slice(), (50 * PRICE).to_string(), i(t / 12)],
        )
        .unwrap();
    }

    let store = Store::open(&dir.db(), Durability::Normal).unwrap();
    assert_eq!(SCHEMA_VERSION, 3);
    let version: i64 = Connection::open(dir.db())
        .unwrap()
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .unwrap();
    assert_eq!(version, 3);
    let loaded = store.load(t + 12, 10).unwrap();
    let committed = loaded.committed.clone().unwrap();
    assert_eq!((committed.epoch, committed.deadline), (1, 0));
    let in_flight = loaded.in_flight.clone().unwrap();
    assert_eq!((in_flight.epoch, in_flight.root), (2, e2.root));
    assert_eq!(in_flight.deadline, 0, "signed without a deadline");
    assert!(store.archived_epochs().unwrap().is_empty());

    let table = store.table_at(1).unwrap();
    let mut state = State::restore(Rules::default(), dom(), router_key(), loaded, table);
    // At the first look at the chain (any block, epoch 2 free), root 2 is past its deadline.
    let changes = state.epoch_expired(t + 13, 1);
    assert!(matches!(&changes[..], [Change::ArchiveEpoch { .. }]));
    store.apply(&changes).unwrap();
    let (archived, leaves) = store.archived(2, e2.root).unwrap().unwrap();
    assert_eq!(archived.status, EpochStatus::Built);
    assert_eq!(leaves.len(), 1);
    assert_eq!(leaves[0].earned, U256::from(150 * PRICE));
    assert_eq!(
        store.epoch(2).unwrap(),
        None,
        "number 2 is free for a new root"
    );
    let (rebuilt, changes) = state
        .build_epoch(t + 24, U256::MAX, U256::MAX)
        .unwrap()
        .unwrap();
    store.apply(&changes).unwrap();
    assert_eq!(rebuilt.epoch, 2);
    assert_eq!(rebuilt.deadline, t + 24 + 300);
    assert_eq!(rebuilt.cumulative_credited, U256::from(150 * PRICE));
    assert_ne!(rebuilt.root, B256::ZERO);
    assert_eq!(store.epoch(2).unwrap(), Some(rebuilt));
}
