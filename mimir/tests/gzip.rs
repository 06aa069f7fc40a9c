//! `.jsonl.gz` logs through the facade, checked with the real gzip, zcat and jq.
#![allow(clippy::unwrap_used)]
mod common;

use std::path::Path;
use std::process::{Command, Stdio};

use mimir::{json, ErrorKind, Logger};

/// `zcat path | jq -c -s filter`.
fn zcat_jq(path: &Path, filter: &str) -> String {
    let out = Command::new("bash")
        .args([
            "-c",
            r#"set -o pipefail; zcat "$1" | jq -c -s "$2""#,
            "bash",
        ])
        .arg(path)
        .arg(filter)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

fn gzip_t(path: &Path) {
    let out = Command::new("gzip").arg("-t").arg(path).output().unwrap();
    assert!(
        out.status.success(),
        "gzip -t: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn quickstart(i: u64) -> serde_json::Value {
    json!({"iteration": i, "training_error": 1.0 / (i as f64 + 1.0)})
}

#[test]
fn a_gz_log_is_valid_gzip_that_jq_reads() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.jsonl.gz");
    let logger = common::logger(&path);
    for i in 0..1000 {
        logger.log(&quickstart(i)).unwrap();
    }
    logger.close().unwrap();
    gzip_t(&path);
    assert_eq!(zcat_jq(&path, "length"), "1000");
    assert_eq!(
        zcat_jq(&path, "min_by(.training_error)"),
        r#"{"iteration":999,"training_error":0.001}"#
    );
    let entries: Vec<_> = mimir::read(&path)
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(entries.len(), 1000);
    assert_eq!(entries[999]["iteration"], 999);
    assert!(
        !dir.path().join("log.jsonl.lock").exists(),
        "close releases the lock"
    );
}

#[test]
fn the_file_is_whole_after_every_flush_while_logging_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.jsonl.gz");
    let logger = common::logger(&path);
    let mut n = 0;
    for round in 0..8 {
        for _ in 0..(1 + round * 3000) {
            logger.log(&quickstart(n)).unwrap();
            n += 1;
        }
        logger.flush().unwrap();
        gzip_t(&path);
        assert_eq!(zcat_jq(&path, "length"), n.to_string());
        assert_eq!(mimir::read(&path).unwrap().count() as u64, n);
    }
    logger.close().unwrap();
}

#[test]
fn an_existing_log_is_appended_to_and_compresses_close_to_gzip() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.jsonl.gz");
    for run in 0..2u64 {
        let logger = common::logger(&path);
        for i in 0..30_000 {
            logger.log(&quickstart(run * 30_000 + i)).unwrap();
        }
        logger.close().unwrap();
    }
    gzip_t(&path);
    assert_eq!(zcat_jq(&path, "length"), "60000");
    assert_eq!(zcat_jq(&path, "map(.iteration) == [range(60000)]"), "true");

    // Compare with gzip -6 on the same text: close() compressed the tail.
    let text = Command::new("zcat").arg(&path).output().unwrap().stdout;
    let mut gzip = Command::new("gzip")
        .arg("-6")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = gzip.stdin.take().unwrap();
    let writer = std::thread::spawn(move || std::io::Write::write_all(&mut stdin, &text).unwrap());
    let gzip_size = gzip.wait_with_output().unwrap().stdout.len() as f64;
    writer.join().unwrap();
    let ours = std::fs::metadata(&path).unwrap().len() as f64;
    assert!(
        ours <= gzip_size * 1.03,
        "log {ours} B vs gzip -6 {gzip_size} B"
    );
}

#[test]
fn an_ordinary_gzip_file_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.jsonl.gz");
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!("echo '{{\"a\":1}}' | gzip -c > {}", path.display()))
        .status()
        .unwrap();
    assert!(out.success());
    let before = std::fs::read(&path).unwrap();
    let err = Logger::builder()
        .no_formatter()
        .filename(&path)
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Malformed);
    assert!(err.to_string().contains("log.jsonl.gz"), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), before);
    assert!(mimir::read(&path).is_err());
}

#[test]
fn a_second_logger_on_the_same_log_is_refused_while_the_first_runs() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.jsonl.gz");
    let first = common::logger(&path);
    first.log(&quickstart(0)).unwrap();
    // The default lock wait is bounded; this must not hang for minutes.
    let started = std::time::Instant::now();
    let err = Logger::builder()
        .no_formatter()
        .filename(&path)
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Locked, "{err}");
    assert!(started.elapsed() < std::time::Duration::from_secs(60));
    first.close().unwrap();
    assert_eq!(zcat_jq(&path, "length"), "1");
}

#[test]
fn the_gzip_level_is_the_users_choice_and_checked() {
    let dir = tempfile::tempdir().unwrap();
    let mut sizes = Vec::new();
    for level in [1, 9] {
        let path = dir.path().join(format!("level{level}.jsonl.gz"));
        let logger = Logger::builder()
            .no_formatter()
            .gzip_level(level)
            .filename(&path)
            .build()
            .unwrap();
        // 1.3 MB of lines: one compression happens.
        for i in 0..30_000 {
            logger.log(&quickstart(i)).unwrap();
        }
        logger.close().unwrap();
        gzip_t(&path);
        sizes.push(std::fs::metadata(&path).unwrap().len());
    }
    assert!(
        sizes[1] < sizes[0],
        "level 9 ({}) not smaller than level 1 ({})",
        sizes[1],
        sizes[0]
    );
    let err = Logger::builder()
        .gzip_level(10)
        .filename(dir.path().join("x.jsonl.gz"))
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config, "{err}");
}

#[test]
fn a_reader_never_sees_a_live_log_shrink_while_it_compresses() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.jsonl.gz");
    let logger = common::logger(&path);
    logger.log(&quickstart(0)).unwrap();
    logger.flush().unwrap();
    let reader_path = path.clone();
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stop = std::sync::Arc::clone(&done);
    let reader = std::thread::spawn(move || {
        let mut counts = Vec::new();
        while !stop.load(std::sync::atomic::Ordering::SeqCst) {
            let entries: Vec<_> = mimir::read(&reader_path)
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            assert!(
                entries.iter().enumerate().all(|(i, e)| e["iteration"] == i),
                "out of order"
            );
            counts.push(entries.len());
        }
        counts
    });
    // 5 MB of lines: several compressions while the reader reads.
    for i in 1..100_000 {
        logger.log(&quickstart(i)).unwrap();
    }
    logger.close().unwrap();
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    let counts = reader.join().unwrap();
    assert!(counts.len() > 5, "only {} reads", counts.len());
    assert!(
        counts.windows(2).all(|w| w[0] <= w[1]),
        "the log shrank: {counts:?}"
    );
}
