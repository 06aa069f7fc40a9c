//! A child with a low file-size limit (RLIMIT_FSIZE, SIGXFSZ ignored) gets
//! a clear error from write and compress; afterwards, without the limit,
//! recovery leaves a valid log holding every successfully written byte.

mod common;

use common::*;
use mimir_gzlog::GzLog;

const ENTRY: &str = "child_process_entry";

/// Not a test of its own: the entry point of the child processes.
#[test]
fn child_process_entry() {
    child_main();
}

fn writes_done(stderr: &str) -> Option<u64> {
    let at = stderr.find("after ")?;
    stderr[at + 6..].split_whitespace().next()?.parse().ok()
}

#[test]
fn write_hits_the_limit_then_recovery_keeps_every_written_line() -> TestResult {
    let dir = tempfile::tempdir()?;
    let prefix = dir.path().join("log");
    // One big write first (without a limit), then one line per write in a
    // child whose files may not grow past 200 blocks of 512 bytes (100 KiB).
    let base = 1900;
    let mut log = GzLog::open(&prefix)?;
    log.write(&lines(0, base))?;
    log.close()?;
    let (status, stderr) = child_output(&prefix, &format!("each:{base}:5000"), ENTRY, Some(200))?;
    assert_eq!(status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("File too large"), "{stderr}");
    assert!(
        stderr.contains("log.gz"),
        "the error names the file: {stderr}"
    );
    let done = writes_done(&stderr).ok_or("no count")?;
    assert!(done > 50, "only {done} writes");
    let done = base + done;

    let log = GzLog::open(&prefix)?;
    let recovered = log.recovery().cloned();
    log.close()?;
    // The failed write was marked with its .add: recovery completes it.
    assert!(recovered.is_some_and(|r| r.add_loaded == Some(true)));
    let got = read_log(&prefix)?;
    let written = lines(0, done);
    assert!(
        got == written || got == lines(0, done + 1),
        "{} bytes",
        got.len()
    );
    assert_content(&prefix, &got)?;
    extend_and_check(&prefix, got, &lines(done + 1, 100))
}

#[test]
fn add_file_over_the_limit_fails_write_and_compress_cleanly() -> TestResult {
    let dir = tempfile::tempdir()?;
    let prefix = dir.path().join("log");
    let mut log = GzLog::open(&prefix)?;
    let before = lines(0, 6000); // ~280 KB tail
    log.write(&before)?;
    log.close()?;
    // 100 KiB limit: the log itself is larger, so even the .add of a
    // compression (the whole tail) and of a 200 KB write cannot be written.
    for script in ["compress", "lines:6000:4500"] {
        let (status, stderr) = child_output(&prefix, script, ENTRY, Some(200))?;
        assert_eq!(status.code(), Some(3), "{script}: {stderr}");
        assert!(
            stderr.contains("log.add: cannot write: File too large"),
            "{stderr}"
        );
        // Nothing was marked: no recovery, the log is as before.
        let log = GzLog::open(&prefix)?;
        assert_eq!(log.recovery(), None);
        log.close()?;
        assert_content(&prefix, &before)?;
    }
    extend_and_check(&prefix, before, &lines(6000, 10))
}
