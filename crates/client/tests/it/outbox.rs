//! The outbox: a report stored survives the process until it is settled; a crash's torn line
//! costs nothing else; the file is rewritten without what is settled, and two processes
//! sharing it lose nothing. And which router answers settle a report.

use std::{fs, io::Write};

use yellowstone_client::{
    outbox::{unix_now, Outbox, GIVE_UP_SECONDS},
    postman::is_final,
    router::ClientError,
};

use crate::support::{stored, temp_outbox};

const ROUTER: &str = "http://127.0.0.1:8640";

fn ids(records: &[yellowstone_client::outbox::Stored]) -> Vec<u64> {
    records
        .iter()
        .map(|r| u64::from_be_bytes(r.request_id()[24..].try_into().unwrap()))
        .collect()
}

#[test]
fn a_stored_report_outlives_the_process_until_it_is_settled() {
    let path = temp_outbox("survives");
    let now = unix_now();
    let outbox = Outbox::open(&path).unwrap();
    for n in 1..=3 {
        outbox.store_blocking(&stored(n, ROUTER, now)).unwrap();
    }
    outbox
        .store_blocking(&stored(9, "http://elsewhere:1", now))
        .unwrap();
    drop(outbox); // the process dies

    let again = Outbox::open(&path).unwrap();
    assert_eq!(ids(&again.pending(ROUTER).unwrap()), [1, 2, 3]);
    // A trailing slash names the same router; another router's reports are its own.
    assert_eq!(
        ids(&again.pending(&format!("{ROUTER}/")).unwrap()),
        [1, 2, 3]
    );
    assert_eq!(ids(&again.pending("http://elsewhere:1").unwrap()), [9]);
    assert_eq!(again.pending(ROUTER).unwrap()[0], stored(1, ROUTER, now));

    again
        .settle_blocking(stored(2, ROUTER, now).request_id(), "credited")
        .unwrap();
    // Stored twice (a writer that wrote again after a rewrite): still one report.
    again.store_blocking(&stored(3, ROUTER, now)).unwrap();
    drop(again);
    let last = Outbox::open(&path).unwrap();
    assert_eq!(ids(&last.pending(ROUTER).unwrap()), [1, 3]);
}

#[test]
fn a_torn_last_line_is_ignored_and_the_next_line_is_read_whole() {
    let path = temp_outbox("torn");
    let now = unix_now();
    let outbox = Outbox::open(&path).unwrap();
    outbox.store_blocking(&stored(1, ROUTER, now)).unwrap();
    // The crash: half of report 2's line reached the disk.
    let other = temp_outbox("torn-source");
    Outbox::open(&other)
        .unwrap()
        .store_blocking(&stored(2, ROUTER, now))
        .unwrap();
    let line = fs::read(&other).unwrap();
    let mut file = fs::OpenOptions::new().append(true).open(&path).unwrap();
    file.write_all(&line[..line.len() / 2]).unwrap();
    drop(file);
    assert_eq!(ids(&outbox.pending(ROUTER).unwrap()), [1]);

    // The next write is not glued to the torn one.
    outbox.store_blocking(&stored(3, ROUTER, now)).unwrap();
    assert_eq!(ids(&outbox.pending(ROUTER).unwrap()), [1, 3]);
    drop(outbox);
    // Opening rewrites the file; the torn line is gone and nothing else.
    let again = Outbox::open(&path).unwrap();
    assert_eq!(ids(&again.pending(ROUTER).unwrap()), [1, 3]);
    assert!(fs::read_to_string(&path)
        .unwrap()
        .lines()
        .all(|l| l.is_empty() || serde_json::from_str::<serde_json::Value>(l).is_ok()));
}

#[test]
fn opening_drops_what_is_settled_or_a_day_old() {
    let path = temp_outbox("compact");
    let now = unix_now();
    let outbox = Outbox::open(&path).unwrap();
    for n in 1..=100 {
        outbox.store_blocking(&stored(n, ROUTER, now)).unwrap();
    }
    for n in 1..=99 {
        outbox
            .settle_blocking(stored(n, ROUTER, now).request_id(), "credited")
            .unwrap();
    }
    let old = stored(500, ROUTER, now - GIVE_UP_SECONDS - 1);
    outbox.store_blocking(&old).unwrap();
    let before = fs::metadata(&path).unwrap().len();
    drop(outbox);

    let again = Outbox::open(&path).unwrap();
    assert_eq!(ids(&again.pending(ROUTER).unwrap()), [100]);
    let after = fs::metadata(&path).unwrap().len();
    assert!(after * 50 < before, "{after} bytes left of {before}");
    // Nothing left over from the rewrite.
    let dir: Vec<_> = fs::read_dir(path.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(dir, ["outbox.jsonl"]);
}

/// `user proxy` and `user chat` share one outbox: while one rewrites the file, the other's
/// reports must not vanish with the old file.
#[test]
fn two_processes_sharing_an_outbox_lose_nothing_while_it_is_rewritten() {
    let path = temp_outbox("shared");
    let now = unix_now();
    let (writer, rewriter) = (Outbox::open(&path).unwrap(), Outbox::open(&path).unwrap());
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let rewrites = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut n = 0u64;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                rewriter.compact(now).unwrap();
                n += 1;
            }
            n
        })
    };
    for n in 1..=300 {
        writer.store_blocking(&stored(n, ROUTER, now)).unwrap();
        if n % 2 == 0 {
            writer
                .settle_blocking(stored(n, ROUTER, now).request_id(), "credited")
                .unwrap();
        }
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let rewrites = rewrites.join().unwrap();
    assert!(rewrites > 10, "only {rewrites} rewrites raced the writer");
    // Each odd report once (a line copied by the rewrite may come after a later one).
    let odd: Vec<u64> = (1..=300).filter(|n| n % 2 == 1).collect();
    let sorted = |mut v: Vec<u64>| {
        v.sort_unstable();
        v
    };
    assert_eq!(sorted(ids(&writer.pending(ROUTER).unwrap())), odd);
    let reopened = Outbox::open(&path).unwrap().pending(ROUTER).unwrap();
    assert_eq!(sorted(ids(&reopened)), odd);
}

#[test]
fn an_outbox_in_memory_keeps_nothing() {
    let outbox = Outbox::memory();
    outbox
        .store_blocking(&stored(1, ROUTER, unix_now()))
        .unwrap();
    assert!(outbox.pending(ROUTER).unwrap().is_empty());
    assert!(outbox.path().is_none());
}

#[test]
fn a_refusal_of_the_report_itself_is_final_and_a_router_in_trouble_is_retried() {
    let refused = |status: u16, code: &str| ClientError::Refused {
        status,
        code: code.into(),
        message: "m".into(),
        retry_after: None,
    };
    for (status, code) in [
        (409, "replayed"),
        (410, "expired"),
        (404, "not_found"),
        (401, "bad_signature"),
        (403, "forbidden"),
        (400, "invalid"),
    ] {
        assert!(is_final(&refused(status, code)), "{code}");
    }
    for (status, code) in [
        (500, "internal"),
        (503, "busy"),
        (503, "chain_unavailable"),
        (502, "http"),
        (429, "http"),
        (408, "http"),
    ] {
        assert!(!is_final(&refused(status, code)), "{status} {code}");
    }
    assert!(!is_final(&ClientError::Unreachable {
        url: ROUTER.into(),
        reason: "connection refused".into()
    }));
    assert!(!is_final(&ClientError::Answer("not JSON".into())));
}
