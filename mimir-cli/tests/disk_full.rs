//! A disk that fills up: `mimir demo` runs with a file size limit
//! (`ulimit -f`, SIGXFSZ ignored, so writes fail with EFBIG as on a full
//! disk). It must fail with a one-line error naming the file, and after the
//! limit is gone, `mimir recover` must leave a valid log of whole entries.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::process::{Command, Output};

/// Runs `mimir demo` logging to `path` under a 256 KiB file size limit.
fn demo_with_small_disk(path: &Path) -> Output {
    let script = format!(
        "ulimit -f 256; trap '' XFSZ; exec '{}' demo --n 1000000 --interval-ms 0 --quiet --file '{}'",
        env!("CARGO_BIN_EXE_mimir"),
        path.display()
    );
    Command::new("bash").args(["-c", &script]).output().unwrap()
}

fn assert_fails_naming(out: &Output, path: &Path) {
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&path.display().to_string()), "{err}");
    assert!(err.contains("File too large"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn a_full_disk_is_a_clear_error_and_the_gzip_log_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.jsonl.gz");
    assert_fails_naming(&demo_with_small_disk(&path), &path);

    common::recover(&path);
    common::gzip_t(&path);
    let n = common::count_in_order(&common::zcat(&path), "iteration");
    assert!(n > 1000, "only {n} entries before the disk was full");
}

#[test]
fn a_full_disk_is_a_clear_error_for_a_plain_log() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.jsonl");
    assert_fails_naming(&demo_with_small_disk(&path), &path);
    let text = std::fs::read_to_string(&path).unwrap();
    // Whole lines, then at most one torn line that readers leave out.
    let whole = &text[..text.rfind('\n').map_or(0, |i| i + 1)];
    let n = common::count_in_order(whole, "iteration");
    assert!(n > 1000, "only {n} entries before the disk was full");
    let cat = common::mimir(&["cat", "--json", path.to_str().unwrap()]);
    assert!(
        cat.status.success(),
        "{}",
        String::from_utf8_lossy(&cat.stderr)
    );
    assert_eq!(
        String::from_utf8(cat.stdout).unwrap(),
        whole,
        "cat leaves the torn line out"
    );
}
