//! SPEC 8: a ticket is served once, across restarts. The used-ticket set is journalled on disk
//! before the answer starts; a restarted gateway loads it.

use std::time::Duration;

use crate::common::*;

#[tokio::test(flavor = "multi_thread")]
async fn a_ticket_used_before_a_restart_is_refused_after_it() {
    let backend = textgen(Duration::ZERO).await;
    let scratch = Scratch::new("restart");
    let path = scratch.path();

    // The attack: the ticket's answer is received, the gateway restarts, the same ticket is
    // presented again.
    let mut journalled = config(backend.url());
    journalled.used_tickets_path = Some(path.clone());
    let gw = gateway(journalled.clone()).await;
    assert_eq!(
        outcome(post_chat(&gw, bearer(1), &chat(false)).await).await,
        (200, None)
    );
    gw.kill();
    let gw = gateway(journalled.clone()).await;
    assert_eq!(
        outcome(post_chat(&gw, bearer(1), &chat(false)).await).await,
        (409, Some("ticket_used".into()))
    );
    assert_eq!(
        backend.requests(),
        1,
        "the replay never reached the backend"
    );
    // The restart compacted the journal and kept the id: a second restart refuses it too; a
    // fresh ticket is served, streamed or not.
    gw.kill();
    let gw = gateway(journalled).await;
    for stream in [false, true] {
        assert_eq!(
            outcome(post_chat(&gw, bearer(1), &chat(stream)).await).await,
            (409, Some("ticket_used".into()))
        );
    }
    let fresh = post_chat(&gw, bearer(2), &chat(true)).await;
    assert_eq!(fresh.status(), 200);
    assert!(fresh.text().await.unwrap().ends_with("data: [DONE]\n\n"));

    // Without a journal (the library's default; the CLI always sets one) a restart forgets.
    let memory = config(backend.url());
    let gw = gateway(memory.clone()).await;
    assert_eq!(
        outcome(post_chat(&gw, bearer(3), &chat(false)).await).await,
        (200, None)
    );
    gw.kill();
    let gw = gateway(memory).await;
    assert_eq!(
        outcome(post_chat(&gw, bearer(3), &chat(false)).await).await,
        (200, None)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_journal_torn_by_a_crash_loads_and_keeps_its_whole_records() {
    let backend = textgen(Duration::ZERO).await;
    let scratch = Scratch::new("torn");
    let path = scratch.path();
    let mut journalled = config(backend.url());
    journalled.used_tickets_path = Some(path.clone());
    let gw = gateway(journalled.clone()).await;
    for n in [1, 2] {
        assert_eq!(
            outcome(post_chat(&gw, bearer(n), &chat(false)).await).await,
            (200, None)
        );
    }
    gw.kill();
    // A crash in the middle of writing a third record: part of it reached the disk.
    let mut bytes = std::fs::read(&path).unwrap();
    let record = bytes[bytes.len() - 48..].to_vec();
    bytes.extend_from_slice(&record[..20]);
    std::fs::write(&path, &bytes).unwrap();

    let gw = gateway(journalled).await;
    for n in [1, 2] {
        assert_eq!(
            outcome(post_chat(&gw, bearer(n), &chat(false)).await).await,
            (409, Some("ticket_used".into()))
        );
    }
    assert_eq!(
        outcome(post_chat(&gw, bearer(3), &chat(false)).await).await,
        (200, None)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tickets_path_that_is_not_a_journal_stops_the_start_and_is_left_alone() {
    let scratch = Scratch::new("foreign");
    let path = scratch.path();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, "someone's notes").unwrap();
    let mut config = config("http://127.0.0.1:9".into());
    config.used_tickets_path = Some(path.clone());
    let err = yellowstone_gateway::start(config, provider_key())
        .await
        .err()
        .expect("refused");
    assert!(
        format!("{err:#}").contains("not a used-tickets journal"),
        "{err:#}"
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "someone's notes");
}
