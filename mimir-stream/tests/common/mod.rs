//! Helpers shared by the integration tests: a logger streaming on free
//! ports, and a way to wait until a subscription is active.
#![allow(clippy::unwrap_used, dead_code)]

use std::time::{Duration, Instant};

use mimir_core::Logger;
use mimir_stream::{Item, Publisher, PublisherBuilder, PublisherHandle, Subscriber};
use serde_json::json;

/// A logger whose only sink is a publisher bound to free ports.
pub fn streaming_logger(config: PublisherBuilder) -> (Logger, PublisherHandle) {
    let publisher = Publisher::bind(config.ports(0, 0)).unwrap();
    let handle = publisher.handle();
    let logger = Logger::builder()
        .no_formatter()
        .sink(publisher)
        .build()
        .unwrap();
    (logger, handle)
}

/// A live-only subscriber to `handle`'s publisher.
pub fn subscriber(handle: &PublisherHandle) -> Subscriber {
    Subscriber::builder("127.0.0.1")
        .pub_port(handle.pub_port())
        .connect()
        .unwrap()
}

/// ZeroMQ's slow joiner: a subscription takes effect some time after
/// `connect`. Logs probe entries until one arrives (no blind sleep), then
/// returns the sequence number of the last probe logged, so that the
/// caller knows where its own entries start.
pub fn wait_until_subscribed(
    logger: &Logger,
    handle: &PublisherHandle,
    sub: &mut Subscriber,
) -> u64 {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        assert!(
            Instant::now() < deadline,
            "the subscription never took effect"
        );
        logger.log(&json!({"probe": true})).unwrap();
        logger.flush().unwrap();
        if let Some(item) = sub.recv_timeout(Duration::from_millis(10)).unwrap() {
            assert!(matches!(item, Item::Entry { .. }), "{item:?}");
            return handle.published();
        }
    }
}

/// Reads and discards items up to and including sequence `last`.
pub fn skip_through(sub: &mut Subscriber, last: u64) {
    while sub.last_sequence().map_or(true, |seen| seen < last) {
        sub.recv_timeout(Duration::from_secs(5)).unwrap().unwrap();
    }
}
