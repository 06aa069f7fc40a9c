//! A subscriber that keeps up loses nothing of a burst logged as fast as
//! possible.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use mimir_stream::{Item, Publisher};
use serde_json::json;

const BURST: u64 = 100_000;

#[test]
fn a_subscriber_connected_before_logging_receives_a_whole_burst() {
    let (logger, handle) = common::streaming_logger(Publisher::builder());
    let mut sub = common::subscriber(&handle);
    let probes = common::wait_until_subscribed(&logger, &handle, &mut sub);
    common::skip_through(&mut sub, probes);

    let reader = std::thread::spawn(move || {
        let mut received = Vec::with_capacity(BURST as usize);
        while received.len() < BURST as usize {
            match sub.recv_timeout(Duration::from_secs(10)).unwrap() {
                Some(Item::Entry { sequence, entry }) => {
                    received.push((sequence, entry["i"].as_u64().unwrap()));
                }
                Some(gap) => panic!("lost entries: {gap:?}"),
                None => panic!("stalled after {} entries", received.len()),
            }
        }
        (received, sub.missed())
    });
    for i in 0..BURST {
        logger
            .log(&json!({"i": i, "loss": 1.0 / (i as f64 + 1.0)}))
            .unwrap();
    }
    logger.close().unwrap();
    let (received, missed) = reader.join().unwrap();

    assert_eq!(missed, 0);
    assert_eq!(handle.dropped(), 0);
    assert_eq!(handle.published(), probes + BURST);
    for (k, (sequence, i)) in received.iter().enumerate() {
        assert_eq!(*sequence, probes + 1 + k as u64, "no gap, in order");
        assert_eq!(*i, k as u64, "the entry matches its sequence number");
    }
}
