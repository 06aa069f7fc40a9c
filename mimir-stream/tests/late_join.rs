//! A late joiner with history sees every entry from its snapshot's first
//! onwards exactly once, while the logger keeps logging at full speed.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use mimir_core::Logger;
use mimir_stream::{Item, Publisher, Subscriber};
use serde_json::json;

const ROUNDS: usize = 20;
const PER_ROUND: u64 = 20_000;
const MAXLEN: usize = 5_000;

fn late_join_once(round: usize) {
    let publisher = Publisher::builder()
        .ports(0, 0)
        .stream_maxlen(MAXLEN)
        .build()
        .unwrap();
    let handle = publisher.handle();
    let logger = Logger::builder()
        .no_formatter()
        .sink(publisher)
        .build()
        .unwrap();
    // The logger stays open until the subscriber is done: a publisher that
    // has closed cannot serve the snapshot that repairs a late join.
    let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
    let writer = std::thread::spawn(move || {
        for i in 0..PER_ROUND {
            logger.log(&json!({"i": i, "round": round})).unwrap();
        }
        let _ = done_rx.recv();
        logger.close().unwrap();
    });
    // Join somewhere in the run, varying from round to round, often after
    // the first entries have left the publisher's store.
    let join_at = 2_000 + (round as u64 * 797) % 14_000;
    while handle.published() < join_at {
        std::thread::yield_now();
    }
    let mut sub = Subscriber::builder("127.0.0.1")
        .ports(handle.pub_port(), handle.snapshot_port().unwrap())
        .history(true)
        .connect()
        .unwrap();
    let mut first = None;
    let mut previous = 0;
    while previous < PER_ROUND {
        match sub.recv_timeout(Duration::from_secs(10)).unwrap() {
            Some(Item::Entry { sequence, entry }) => {
                if first.is_none() {
                    first = Some(sequence);
                } else {
                    assert_eq!(
                        sequence,
                        previous + 1,
                        "round {round}: no gap, no duplicate"
                    );
                }
                assert_eq!(entry["i"], sequence - 1, "round {round}");
                previous = sequence;
            }
            Some(gap) => panic!(
                "round {round}: {gap:?}, served {} abandoned {} bad {} published {}",
                handle.snapshots_served(),
                handle.snapshots_abandoned(),
                handle.bad_requests(),
                handle.published()
            ),
            None => panic!("round {round}: stalled after {previous}"),
        }
    }
    done_tx.send(()).unwrap();
    writer.join().unwrap();
    let first = first.unwrap();
    assert!(
        first <= join_at,
        "round {round}: the snapshot started at {first}"
    );
    if join_at > MAXLEN as u64 {
        assert!(
            first > 1,
            "round {round}: joined at {join_at}, started at {first}"
        );
    }
    assert_eq!(
        previous, PER_ROUND,
        "round {round}: through the logger's last entry"
    );
    assert_eq!(sub.missed(), 0);
}

#[test]
fn late_joiners_see_a_contiguous_run_through_the_last_entry() {
    for round in 0..ROUNDS {
        late_join_once(round);
    }
}

#[test]
fn snapshots_are_served_while_nothing_is_logged() {
    let mut publisher = Publisher::builder()
        .ports(0, 0)
        .stream_maxlen(3)
        .build()
        .unwrap();
    for i in 0..5 {
        publisher
            .publish(&mimir_core::Entry::new(&json!({"i": i})).unwrap())
            .unwrap();
    }
    for _ in 0..2 {
        let mut sub = Subscriber::builder("127.0.0.1")
            .ports(publisher.pub_port(), publisher.snapshot_port().unwrap())
            .history(true)
            .connect()
            .unwrap();
        let got: Vec<u64> = (0..3)
            .map(|_| {
                sub.recv_timeout(Duration::from_secs(5))
                    .unwrap()
                    .unwrap()
                    .sequence()
            })
            .collect();
        assert_eq!(got, [3, 4, 5], "the last stream_maxlen, oldest first");
        assert_eq!(sub.recv_timeout(Duration::from_millis(20)).unwrap(), None);
    }
    assert_eq!(publisher.handle().snapshots_served(), 2);
    publisher.close().unwrap();
}
