//! A process logging to a `.jsonl.gz` as fast as it can is killed with
//! SIGKILL at 50 random instants. After each kill, `mimir recover` (at once:
//! the dead process's lock is taken over without waiting) and `gzip -t`
//! pass, every line is valid JSON, and the lines are exactly the entries
//! logged, in order, with at least every flushed one.
//!
//! This test is its own child process: run with `MIMIR_KILL_CHILD` set, it
//! logs `{"i": n}` from `MIMIR_KILL_START` on, flushing every 500 entries
//! and printing `flushed <count>` after each flush. (`harness = false`.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const KILLS: usize = 50;

fn main() {
    if let Ok(path) = std::env::var("MIMIR_KILL_CHILD") {
        child(Path::new(&path));
        return;
    }
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.jsonl.gz");
    let mut lines = 0u64;
    let mut kills_mid_write = 0;
    for round in 0..KILLS {
        let flushed = kill_a_child(&path, lines, round);
        common::recover(&path);
        common::gzip_t(&path);
        let text = common::zcat(&path);
        assert!(
            text.is_empty() || text.ends_with('\n'),
            "the log ends in a partial line"
        );
        let now = common::count_in_order(&text, "i");
        assert!(
            now >= flushed,
            "round {round}: {now} lines but {flushed} were flushed"
        );
        assert!(
            now >= lines,
            "round {round}: lines were lost ({now} < {lines})"
        );
        if now > flushed {
            kills_mid_write += 1;
        }
        lines = now;
    }
    assert!(lines > 0, "the children logged nothing");
    println!(
        "kill test: {KILLS} kills, {lines} entries kept, {kills_mid_write} kills after unflushed entries were written, {:?}",
        started.elapsed()
    );
    println!("1 passed, 0 failed");
}

/// Starts a child that logs from `start` on, kills it after a random delay,
/// and returns how many entries the log held at its last flush.
fn kill_a_child(path: &Path, start: u64, round: usize) -> u64 {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .env("MIMIR_KILL_CHILD", path)
        .env("MIMIR_KILL_START", start.to_string())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(n) = line.strip_prefix("flushed ") {
                tx.send(n.parse::<u64>().unwrap()).unwrap();
            }
        }
    });
    // Wait for the first flush so the child is really logging, then kill it
    // at a random instant within the next 0-100 ms.
    let mut flushed = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("child never flushed");
    let delay = RandomState::new().hash_one(round) % 100;
    std::thread::sleep(Duration::from_millis(delay));
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    reader.join().unwrap();
    while let Ok(n) = rx.try_recv() {
        flushed = n;
    }
    flushed
}

fn child(path: &Path) {
    let start: u64 = std::env::var("MIMIR_KILL_START").unwrap().parse().unwrap();
    let logger = mimir::Logger::builder()
        .no_formatter()
        .filename(path)
        .build()
        .unwrap();
    let mut out = std::io::stdout();
    for i in start.. {
        logger.log(&serde_json::json!({ "i": i })).unwrap();
        if (i + 1) % 500 == 0 {
            logger.flush().unwrap();
            writeln!(out, "flushed {}", i + 1).unwrap();
            out.flush().unwrap();
        }
    }
}
