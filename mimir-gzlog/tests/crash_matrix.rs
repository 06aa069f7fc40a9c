//! The crash matrix: a child process stops at each of the eight crash
//! points (no cleanup, lock left behind) in five situations; the parent
//! reopens at once and checks that every byte written, the interrupted
//! write included, is there, that `gzip -t` passes and that the log goes on.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::*;
use mimir_gzlog::{GzLog, CRASH_EXIT_CODE};

const ENTRY: &str = "child_process_entry";

/// Not a test of its own: the entry point of the child processes, a no-op
/// when the test harness runs it directly.
#[test]
fn child_process_entry() {
    child_main();
}

/// Runs a child that must stop at its armed crash point.
fn crash_child(prefix: &Path, script: &str) -> TestResult {
    let status = run_child(prefix, script, ENTRY)?;
    assert_eq!(
        status.code(),
        Some(CRASH_EXIT_CODE),
        "child `{script}` did not crash"
    );
    assert!(
        with_suffix(prefix, ".lock").exists(),
        "a crash leaves the lock behind"
    );
    Ok(())
}

/// Reopens right after a crash (the dead process's lock is taken over at
/// once), then checks content, gzip -t, and that appending still works.
fn recover_and_check(prefix: &Path, want: Vec<u8>, cell: &str) -> TestResult {
    let started = Instant::now();
    let log = GzLog::options()
        .lock_wait(Duration::from_secs(5))
        .open(prefix)?;
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{cell}: lock not taken over at once"
    );
    assert!(log.recovery().is_some(), "{cell}: no recovery reported");
    log.close()?;
    assert_content(prefix, &want).map_err(|e| format!("{cell}: {e}"))?;
    extend_and_check(prefix, want, &lines(700_000, 40))
}

/// Lines 0..n whose total length first exceeds `bytes`.
fn lines_over(bytes: usize) -> u64 {
    let mut total = 0;
    let mut n = 0;
    while total <= bytes {
        total += line(n).len();
        n += 1;
    }
    n
}

/// Fills the log in the parent; returns what it wrote.
fn prefill(prefix: &Path, steps: &[(u64, u64, bool)]) -> Result<Vec<u8>, mimir_gzlog::Error> {
    let mut log = GzLog::open(prefix)?;
    let mut data = Vec::new();
    for &(start, n, compress) in steps {
        let chunk = lines(start, n);
        log.write(&chunk)?;
        data.extend_from_slice(&chunk);
        if compress {
            log.compress()?;
        }
    }
    log.close()?;
    Ok(data)
}

#[test]
fn crash_in_first_append() -> TestResult {
    for point in 1..=8 {
        let dir = tempfile::tempdir()?;
        let prefix = dir.path().join("log");
        // Points 1, 2, 8 fire in the append, 3-7 in the compression after it.
        crash_child(&prefix, &format!("bail:{point}:0 lines:0:3 compress"))?;
        recover_and_check(
            &prefix,
            lines(0, 3),
            &format!("first append, point {point}"),
        )?;
    }
    Ok(())
}

#[test]
fn crash_in_append_crossing_a_block() -> TestResult {
    // A tail just under 1 MiB, so that the 400-line write (18.7 KB) crosses
    // a 16 KiB block boundary and then triggers the first compression.
    let n = lines_over((1 << 20) - 8000);
    for point in 1..=8 {
        let dir = tempfile::tempdir()?;
        let prefix = dir.path().join("log");
        let mut want = prefill(&prefix, &[(0, n, false)])?;
        // Point 1 on its second pass: the chunk written into the new block.
        let count = if point == 1 { 1 } else { 0 };
        crash_child(&prefix, &format!("bail:{point}:{count} lines:{n}:400"))?;
        want.extend_from_slice(&lines(n, 400));
        recover_and_check(&prefix, want, &format!("crossing append, point {point}"))?;
    }
    Ok(())
}

#[test]
fn crash_in_first_compression() -> TestResult {
    for point in 1..=8 {
        let dir = tempfile::tempdir()?;
        let prefix = dir.path().join("log");
        let mut want = prefill(&prefix, &[(0, 2000, false)])?;
        crash_child(&prefix, &format!("bail:{point}:0 lines:2000:3 compress"))?;
        want.extend_from_slice(&lines(2000, 3));
        recover_and_check(&prefix, want, &format!("first compression, point {point}"))?;
    }
    Ok(())
}

#[test]
fn crash_in_later_compression() -> TestResult {
    for point in 1..=8 {
        let dir = tempfile::tempdir()?;
        let prefix = dir.path().join("log");
        let mut want = prefill(&prefix, &[(0, 2000, true), (2000, 500, false)])?;
        assert!(
            with_suffix(&prefix, ".dict").exists(),
            "the later compression uses a dictionary"
        );
        crash_child(&prefix, &format!("bail:{point}:0 lines:2500:3 compress"))?;
        want.extend_from_slice(&lines(2500, 3));
        recover_and_check(&prefix, want, &format!("later compression, point {point}"))?;
    }
    Ok(())
}

/// A recovery that is itself interrupted. Points 1 and 2 lie on the path of
/// an append recovery (first crash at 8), 3-6 on that of a compress
/// recovery (first crash at 7). No recovery passes 7 or 8, as in gzlog.c:
/// for those the second child crashes in its first operation after
/// recovering.
#[test]
fn crash_in_recovery() -> TestResult {
    for point in 1..=8 {
        let dir = tempfile::tempdir()?;
        let prefix = dir.path().join("log");
        let mut want = prefill(&prefix, &[(0, 2000, true), (2000, 500, false)])?;
        let first = if point <= 2 { 8 } else { 7 };
        crash_child(&prefix, &format!("bail:{first}:0 lines:2500:3 compress"))?;
        want.extend_from_slice(&lines(2500, 3));
        crash_child(&prefix, &format!("bail:{point}:0 lines:2503:2 compress"))?;
        if point >= 7 {
            want.extend_from_slice(&lines(2503, 2));
        } else {
            // The crash came inside the recovery: the journal says so.
            let journal = std::fs::read_to_string(with_suffix(&prefix, ".repairs"))?;
            assert!(
                journal
                    .lines()
                    .last()
                    .is_some_and(|l| !l.ends_with("complete")),
                "{journal}"
            );
        }
        recover_and_check(
            &prefix,
            want,
            &format!("interrupted recovery, point {point}"),
        )?;
    }
    Ok(())
}

/// A child killed with SIGKILL at an arbitrary moment while writing one
/// line per write (compressing every 1 MiB): after recovery the log holds
/// exactly lines 0..k for some k, every write all or nothing.
#[test]
fn sigkill_at_a_random_moment_keeps_whole_writes() -> TestResult {
    for delay_ms in [40u64, 150, 900] {
        let dir = tempfile::tempdir()?;
        let prefix = dir.path().join("log");
        let exe = std::env::current_exe()?;
        let mut child = std::process::Command::new(exe)
            .args([ENTRY, "--exact", "--nocapture"])
            .env(
                "MIMIR_GZLOG_CHILD",
                format!("{}\nlines:0:30000 each:30000:100000", prefix.display()),
            )
            .stdout(std::process::Stdio::null())
            .spawn()?;
        std::thread::sleep(Duration::from_millis(delay_ms));
        let killed = std::process::Command::new("kill")
            .args(["-9", &child.id().to_string()])
            .status()?;
        assert!(killed.success());
        child.wait()?;
        let log = GzLog::options()
            .lock_wait(Duration::from_secs(5))
            .open(&prefix)?;
        log.close()?;
        let got = read_log(&prefix)?;
        let newlines = got.iter().filter(|&&b| b == b'\n').count() as u64;
        assert!(
            got == lines(0, newlines),
            "after {delay_ms} ms: not whole lines 0..{newlines}"
        );
        eprintln!("killed after {delay_ms} ms: {newlines} lines");
        if delay_ms == 900 {
            assert!(
                newlines >= 30000,
                "the child wrote too little to test anything"
            );
        }
        assert_content(&prefix, &got)?;
    }
    Ok(())
}
