//! The lock: a second handle or process waits (bounded) or fails clearly;
//! stale locks and locks of dead processes are taken over; a handle that
//! lost its lock re-takes it and re-reads the log.

mod common;

use std::fs;
use std::time::{Duration, Instant};

use common::*;
use mimir_gzlog::{ErrorKind, GzLog};

const ENTRY: &str = "child_process_entry";

/// Not a test of its own: the entry point of the child processes.
#[test]
fn child_process_entry() {
    child_main();
}

fn host() -> String {
    fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_default()
}

#[test]
fn second_handle_in_this_process_waits_then_fails_clearly() -> TestResult {
    let dir = tempfile::tempdir()?;
    let prefix = dir.path().join("log");
    let first = GzLog::open(&prefix)?;
    let started = Instant::now();
    let err = GzLog::options()
        .lock_wait(Duration::from_millis(300))
        .open(&prefix)
        .err()
        .ok_or("second open succeeded")?;
    let waited = started.elapsed();
    assert_eq!(err.kind(), ErrorKind::Locked);
    assert!(err.to_string().contains("log.lock"), "{err}");
    assert!(
        waited >= Duration::from_millis(300) && waited < Duration::from_secs(3),
        "{waited:?}"
    );
    first.close()?;
    GzLog::options()
        .lock_wait(Duration::ZERO)
        .open(&prefix)?
        .close()?;
    Ok(())
}

#[test]
fn second_process_fails_while_held_and_waits_for_a_release() -> TestResult {
    let dir = tempfile::tempdir()?;
    let prefix = dir.path().join("log");
    let mut held = GzLog::open(&prefix)?;
    held.write(b"parent\n")?;

    let (status, stderr) = child_output(&prefix, "wait:200 lines:0:1", ENTRY, None)?;
    assert_eq!(status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("locked by another process"), "{stderr}");

    // Now a child that may wait 10 s; release after it has started waiting.
    let exe = std::env::current_exe()?;
    let mut child = std::process::Command::new(exe)
        .args([ENTRY, "--exact", "--nocapture"])
        .env(
            "MIMIR_GZLOG_CHILD",
            format!("{}\nwait:10000 lines:0:1", prefix.display()),
        )
        .stdout(std::process::Stdio::null())
        .spawn()?;
    std::thread::sleep(Duration::from_millis(500));
    held.close()?;
    let status = child.wait()?;
    assert_eq!(status.code(), Some(0));
    assert_content(&prefix, &[b"parent\n".as_slice(), &lines(0, 1)].concat())
}

#[test]
fn stale_lock_is_taken_over_and_a_fresh_foreign_one_is_not() -> TestResult {
    let dir = tempfile::tempdir()?;
    let prefix = dir.path().join("log");
    GzLog::open(&prefix)?.close()?;
    let lock = with_suffix(&prefix, ".lock");
    for content in ["", "pid=1 host=some-other-machine start=5 token=1\n"] {
        fs::write(&lock, content)?;
        let err = GzLog::options()
            .lock_wait(Duration::from_millis(100))
            .open(&prefix)
            .err();
        assert_eq!(
            err.map(|e| e.kind()),
            Some(ErrorKind::Locked),
            "lock {content:?}"
        );
        // Older than the patience: stale, taken over at once.
        age(&lock, Duration::from_secs(301))?;
        let log = GzLog::options().lock_wait(Duration::ZERO).open(&prefix)?;
        log.close()?;
        assert!(!lock.exists());
    }
    // A shorter patience applies the same rule sooner.
    fs::write(&lock, "")?;
    age(&lock, Duration::from_secs(3))?;
    GzLog::options()
        .patience(Duration::from_secs(2))
        .lock_wait(Duration::ZERO)
        .open(&prefix)?
        .close()?;
    Ok(())
}

#[test]
fn lock_of_a_dead_process_on_this_host_is_taken_over_at_once() -> TestResult {
    let dir = tempfile::tempdir()?;
    let prefix = dir.path().join("log");
    GzLog::open(&prefix)?.close()?;
    let mut gone = std::process::Command::new("true").spawn()?;
    let pid = gone.id();
    gone.wait()?;
    let lock = with_suffix(&prefix, ".lock");
    fs::write(
        &lock,
        format!("pid={pid} host={} start=- token=9\n", host()),
    )?;
    let started = Instant::now();
    GzLog::options()
        .lock_wait(Duration::ZERO)
        .open(&prefix)?
        .close()?;
    assert!(started.elapsed() < Duration::from_secs(1));

    // Same PID as a live process but another start time: a reused PID.
    let me = std::process::id();
    fs::write(&lock, format!("pid={me} host={} start=1 token=9\n", host()))?;
    GzLog::options()
        .lock_wait(Duration::ZERO)
        .open(&prefix)?
        .close()?;

    // This live process's own lock is respected.
    let held = GzLog::open(&prefix)?;
    let err = GzLog::options()
        .lock_wait(Duration::ZERO)
        .open(&prefix)
        .err();
    assert_eq!(err.map(|e| e.kind()), Some(ErrorKind::Locked));
    held.close()?;
    Ok(())
}

#[test]
fn a_handle_that_lost_its_lock_retakes_it_and_rereads_the_log() -> TestResult {
    let dir = tempfile::tempdir()?;
    let prefix = dir.path().join("log");
    let mut a = GzLog::open(&prefix)?;
    a.write(b"a1\n")?;
    // A idles past the patience; B takes the lock over and appends.
    age(&with_suffix(&prefix, ".lock"), Duration::from_secs(301))?;
    let mut b = GzLog::options().lock_wait(Duration::ZERO).open(&prefix)?;
    b.write(b"b1\n")?;
    b.compress()?;
    b.write(b"b2\n")?;
    b.close()?;
    // A notices at its next call, re-takes the lock, re-reads the extra.
    a.write(b"a2\n")?;
    a.close()?;
    assert_content(&prefix, b"a1\nb1\nb2\na2\n")
}
