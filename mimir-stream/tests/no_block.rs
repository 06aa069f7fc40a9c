//! The logger never waits for the network: not without subscribers, not
//! for a subscriber that stopped reading, and `close` stays bounded.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use mimir_stream::{Item, Publisher, Subscriber};
use serde_json::json;

const ENTRIES: u64 = 100_000;

/// Logs `ENTRIES` entries of about 100 bytes and returns the longest
/// single `log` call.
fn log_many(logger: &mimir_core::Logger) -> Duration {
    let mut longest = Duration::ZERO;
    for i in 0..ENTRIES {
        let started = Instant::now();
        logger
            .log(&json!({"i": i, "padding": "0123456789012345678901234567890123456789012345678901234567890123456789"}))
            .unwrap();
        longest = longest.max(started.elapsed());
    }
    longest
}

#[test]
fn without_subscribers_log_never_blocks_and_close_is_quick() {
    let (logger, handle) = common::streaming_logger(Publisher::builder().stream_maxlen(100));
    let longest = log_many(&logger);
    let started = Instant::now();
    logger.close().unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "close took {:?}",
        started.elapsed()
    );
    assert!(
        longest < Duration::from_millis(500),
        "a log call took {longest:?}"
    );
    assert_eq!(handle.published(), ENTRIES);
    assert_eq!(handle.dropped(), 0);
}

#[test]
fn a_subscriber_that_stops_reading_neither_blocks_nor_hangs_close() {
    let (logger, handle) = common::streaming_logger(Publisher::builder().send_hwm(100));
    let mut sub = Subscriber::builder("127.0.0.1")
        .pub_port(handle.pub_port())
        .recv_hwm(10)
        .connect()
        .unwrap();
    let probes = common::wait_until_subscribed(&logger, &handle, &mut sub);
    // From here on the subscriber reads nothing until the logger is closed.
    let longest = log_many(&logger);
    let started = Instant::now();
    logger.close().unwrap();
    let closing = started.elapsed();
    assert!(closing < Duration::from_secs(2), "close took {closing:?}");
    assert!(
        longest < Duration::from_millis(500),
        "a log call took {longest:?}"
    );

    // What ZeroMQ dropped for the stalled subscriber is reported to it.
    let mut gaps = 0;
    let mut last = 0;
    while let Some(item) = sub.recv_timeout(Duration::from_millis(200)).unwrap() {
        if let Item::Gap { first, last: end } = item {
            assert!(first > probes.min(last), "{first} after {last}");
            assert!(end >= first);
            gaps += 1;
        }
        assert!(item.sequence() > last, "in order");
        last = item.sequence();
    }
    assert!(gaps > 0, "a stalled subscriber must see its losses as gaps");
    assert!(sub.missed() > 0);
    assert!(sub.missed() < probes + ENTRIES);
}
