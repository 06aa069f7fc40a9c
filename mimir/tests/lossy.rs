//! The lossy policy drops and counts; the default loses nothing.
mod common;

use std::time::Duration;

use common::Collect;
use mimir::{json, Logger};

#[test]
fn lossy_drops_are_counted_exactly() {
    let slow = Collect {
        delay: Duration::from_micros(200),
        ..Collect::default()
    };
    let got = slow.entries.clone();
    let logger = Logger::builder()
        .no_formatter()
        .sink(slow)
        .channel_capacity(16)
        .lossy(true)
        .build()
        .unwrap();
    let logged = 2_000;
    for i in 0..logged {
        logger.log(&json!({"i": i})).unwrap();
    }
    let dropped = logger.dropped();
    logger.close().unwrap();
    let written = got.lock().unwrap().len() as u64;
    assert!(
        dropped > 0,
        "the slow sink should have made the channel overflow"
    );
    assert_eq!(dropped + written, logged);
}

#[test]
fn the_default_blocks_and_loses_nothing() {
    let slow = Collect {
        delay: Duration::from_micros(50),
        ..Collect::default()
    };
    let got = slow.entries.clone();
    let logger = Logger::builder()
        .no_formatter()
        .sink(slow)
        .channel_capacity(4)
        .build()
        .unwrap();
    for i in 0..2_000 {
        logger.log(&json!({"i": i})).unwrap();
    }
    assert_eq!(logger.dropped(), 0);
    logger.close().unwrap();
    let got = got.lock().unwrap();
    assert_eq!(got.len(), 2_000);
    assert!(got.iter().enumerate().all(|(i, e)| e["i"] == i));
}
