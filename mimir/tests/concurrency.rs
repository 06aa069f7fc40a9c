//! Several threads logging into one logger, and the ring buffer.
mod common;

use std::sync::Arc;

use mimir::{json, Logger};

#[test]
fn three_threads_lose_nothing_and_keep_their_order() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.jsonl");
    let logger = Arc::new(
        Logger::builder()
            .no_formatter()
            .filename(&path)
            .channel_capacity(64)
            .build()
            .unwrap(),
    );
    let threads: Vec<_> = (0..3)
        .map(|t| {
            let logger = Arc::clone(&logger);
            std::thread::spawn(move || {
                for i in 0..10_000 {
                    logger.log(&json!({"thread": t, "iteration": i})).unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    Arc::into_inner(logger).unwrap().close().unwrap();

    let lines = common::json_lines(&path);
    assert_eq!(lines.len(), 30_000);
    let mut next = [0u64; 3];
    for line in &lines {
        let t = line["thread"].as_u64().unwrap() as usize;
        assert_eq!(
            line["iteration"].as_u64().unwrap(),
            next[t],
            "thread {t} out of order"
        );
        next[t] += 1;
    }
    assert_eq!(next, [10_000; 3]);
    assert_eq!(common::jq(&["-s", "length"], &path).trim(), "30000");
}

#[test]
fn the_ring_buffer_sees_an_entry_right_after_log() {
    let logger = Logger::builder().no_formatter().maxlen(3).build().unwrap();
    logger.log(&json!({"training_error": 10})).unwrap();
    assert!(logger.get(-1).unwrap()["training_error"] == 10);
    for i in 0..5 {
        logger.log(&json!({"iteration": i})).unwrap();
    }
    assert_eq!(logger.len(), 3);
    assert_eq!(logger.get(-1).unwrap()["iteration"], 4);
    assert_eq!(logger.get(0).unwrap()["iteration"], 2);
    let all: Vec<_> = logger
        .iter()
        .map(|e| e["iteration"].as_i64().unwrap())
        .collect();
    assert_eq!(all, [2, 3, 4]);
    logger.close().unwrap();
}

#[test]
fn load_fills_the_ring_with_the_last_maxlen_entries_and_appends() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.jsonl");
    let first = common::logger(&path);
    for i in 0..20 {
        first.log(&json!({"iteration": i})).unwrap();
    }
    first.close().unwrap();

    let resumed = Logger::builder()
        .no_formatter()
        .maxlen(5)
        .load(&path)
        .filename(&path)
        .build()
        .unwrap();
    assert_eq!(resumed.len(), 5);
    assert_eq!(resumed.get(0).unwrap()["iteration"], 15);
    resumed.log(&json!({"iteration": 20})).unwrap();
    assert_eq!(resumed.get(-1).unwrap()["iteration"], 20);
    resumed.close().unwrap();
    assert_eq!(
        common::json_lines(&path).len(),
        21,
        "loaded entries are not written again"
    );
}

#[test]
fn flush_makes_every_earlier_entry_visible_in_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.jsonl");
    let logger = common::logger(&path);
    for round in 1..=5 {
        for i in 0..1000 {
            logger.log(&json!({"i": i})).unwrap();
        }
        logger.flush().unwrap();
        assert_eq!(common::json_lines(&path).len(), round * 1000);
    }
    logger.close().unwrap();
}
