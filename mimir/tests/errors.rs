//! Bad input and failing sinks give clear errors; the logger keeps working.
mod common;

use std::time::{Duration, Instant};

use common::Collect;
use mimir::{json, Entry, Error, ErrorKind, Logger, Sink};

#[test]
fn a_non_object_is_refused_and_the_next_entry_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.jsonl");
    let logger = common::logger(&path);
    for bad in [json!([1, 2]), json!(3), json!("text"), json!(null)] {
        assert_eq!(logger.log(&bad).unwrap_err().kind(), ErrorKind::NotAnObject);
    }
    let mut int_keys = std::collections::BTreeMap::new();
    int_keys.insert(1, 2);
    assert_eq!(
        logger.log(&int_keys).unwrap_err().kind(),
        ErrorKind::NotAnObject
    );
    logger.log(&json!({"ok": true})).unwrap();
    logger.close().unwrap();
    assert_eq!(common::json_lines(&path), [json!({"ok": true})]);
}

#[test]
fn a_missing_directory_fails_at_build_with_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("no/such/dir/log.jsonl");
    let err = Logger::builder().filename(&path).build().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Io);
    assert!(
        err.to_string().contains(&path.display().to_string()),
        "{err}"
    );
    // A parent that is a file, not a directory (this also fails for root,
    // unlike a permission check).
    let file = dir.path().join("plain");
    std::fs::write(&file, "").unwrap();
    let err = Logger::builder()
        .filename(file.join("log.jsonl"))
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("plain/log.jsonl"), "{err}");
}

#[test]
fn close_reports_a_removed_directory_and_other_sinks_keep_working() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("run");
    std::fs::create_dir(&sub).unwrap();
    let path = sub.join("log.jsonl");
    let other = Collect::default();
    let got = other.entries.clone();
    let logger = Logger::builder()
        .no_formatter()
        .filename(&path)
        .sink(other)
        .build()
        .unwrap();
    logger.log(&json!({"i": 0})).unwrap();
    std::fs::remove_dir_all(&sub).unwrap();
    logger.log(&json!({"i": 1})).unwrap();
    let err = logger.close().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Io);
    assert!(
        err.to_string().contains(&path.display().to_string()),
        "{err}"
    );
    assert_eq!(got.lock().unwrap().len(), 2);
}

struct Failing;

impl Sink for Failing {
    fn write(&mut self, _: &Entry) -> Result<(), Error> {
        Err(Error::new(
            ErrorKind::Sink,
            "sending to the test sink failed",
        ))
    }
    fn flush(&mut self) -> Result<(), Error> {
        Ok(())
    }
}

#[test]
fn a_sink_error_is_reported_once_from_the_next_call_with_a_count() {
    let logger = Logger::builder()
        .no_formatter()
        .sink(Failing)
        .build()
        .unwrap();
    logger.log(&json!({"i": 0})).unwrap();
    logger.log(&json!({"i": 1})).unwrap();
    let err = logger.flush().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Sink);
    assert!(err
        .to_string()
        .starts_with("sending to the test sink failed"));
    assert_eq!(err.further_errors(), 1);
    assert!(
        logger.flush().is_ok(),
        "reported errors are not reported twice"
    );
    logger.close().unwrap();
}

struct Panics;

impl Sink for Panics {
    fn write(&mut self, _: &Entry) -> Result<(), Error> {
        panic!("sink bug");
    }
    fn flush(&mut self) -> Result<(), Error> {
        Ok(())
    }
}

#[test]
fn a_panicking_sink_is_removed_and_reported_while_others_keep_working() {
    let other = Collect::default();
    let got = other.entries.clone();
    let logger = Logger::builder()
        .no_formatter()
        .sink(Panics)
        .sink(other)
        .build()
        .unwrap();
    logger.log(&json!({"i": 0})).unwrap();
    let err = logger.flush().unwrap_err();
    assert!(err.to_string().contains("panicked"), "{err}");
    logger.log(&json!({"i": 1})).unwrap();
    logger.close().unwrap();
    assert_eq!(got.lock().unwrap().len(), 2);
}

/// A sink whose write never returns (until the test process ends).
struct Stuck;

impl Sink for Stuck {
    fn write(&mut self, _: &Entry) -> Result<(), Error> {
        loop {
            std::thread::park();
        }
    }
    fn flush(&mut self) -> Result<(), Error> {
        Ok(())
    }
}

#[test]
fn flush_and_close_give_up_on_a_stuck_sink() {
    let logger = Logger::builder()
        .no_formatter()
        .sink(Stuck)
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    logger.log(&json!({"i": 0})).unwrap();
    let start = Instant::now();
    assert_eq!(logger.flush().unwrap_err().kind(), ErrorKind::Timeout);
    assert_eq!(logger.close().unwrap_err().kind(), ErrorKind::Timeout);
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
}
