//! Streaming through the facade: real sockets on 127.0.0.1, free ports.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use mimir::stream::{Item, Subscriber};
use mimir::{json, ErrorKind, Logger};

#[test]
fn a_late_joiner_gets_the_snapshot_then_live_entries() {
    let logger = Logger::builder()
        .no_formatter()
        .stream_ports(0, 0)
        .stream_maxlen(10)
        .build()
        .unwrap();
    let stream = logger.stream().unwrap().clone();
    for i in 0..25 {
        logger.log(&json!({"iteration": i})).unwrap();
    }
    logger.flush().unwrap();
    let mut sub = Subscriber::builder("127.0.0.1")
        .ports(stream.pub_port(), stream.snapshot_port().unwrap())
        .history(true)
        .connect()
        .unwrap();
    let mut seen = Vec::new();
    for _ in 0..10 {
        seen.push(sub.recv_timeout(Duration::from_secs(5)).unwrap().unwrap());
    }
    assert_eq!(
        seen.iter().map(Item::sequence).collect::<Vec<_>>(),
        (16..=25).collect::<Vec<_>>()
    );
    assert_eq!(seen[0].entry().unwrap()["iteration"], 15);
    // Live entries follow without a gap or a duplicate.
    for i in 25..30 {
        logger.log(&json!({"iteration": i})).unwrap();
    }
    logger.flush().unwrap();
    for seq in 26..=30 {
        let item = sub.recv_timeout(Duration::from_secs(5)).unwrap().unwrap();
        assert_eq!(item.sequence(), seq);
    }
    logger.close().unwrap();
    assert_eq!(stream.published(), 30);
}

#[test]
fn a_port_in_use_fails_at_build_with_the_port() {
    let first = Logger::builder()
        .no_formatter()
        .stream_ports(0, 0)
        .stream_maxlen(1)
        .build()
        .unwrap();
    let port = first.stream().unwrap().pub_port();
    let err = Logger::builder()
        .no_formatter()
        .stream_ports(port, 0)
        .build()
        .unwrap_err();
    assert_ne!(err.kind(), ErrorKind::NotAnObject);
    assert!(err.to_string().contains(&port.to_string()), "{err}");
    first.close().unwrap();
}

#[test]
fn streaming_is_off_unless_asked_for() {
    let logger = Logger::builder().no_formatter().build().unwrap();
    assert!(logger.stream().is_none());
    logger.close().unwrap();
}
