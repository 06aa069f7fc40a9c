//! Logs written and interrupted by gzlog.c itself (tests/fixtures): opened,
//! recovered and extended by this crate, compared byte for byte.

mod common;

use std::fs;

use common::*;
use mimir_gzlog::{GzLog, Operation, Reader};

#[test]
fn fresh_log_is_the_64_bytes_gzlog_c_writes() -> TestResult {
    let dir = tempfile::tempdir()?;
    let prefix = dir.path().join("fresh");
    GzLog::open(&prefix)?.close()?;
    let ours = fs::read(gz(&prefix))?;
    assert_eq!(ours.len(), 64);
    assert_eq!(ours, fs::read(fixtures().join("fresh.gz"))?);
    assert!(
        !with_suffix(&prefix, ".lock").exists(),
        "close removes the lock"
    );
    assert_content(&prefix, b"")
}

#[test]
fn uncompressed_appends_match_gzlog_c_byte_for_byte() -> TestResult {
    let dir = tempfile::tempdir()?;
    let prefix = dir.path().join("lines3");
    let mut log = GzLog::open(&prefix)?;
    for i in 0..3 {
        log.write(line(i).as_bytes())?;
    }
    log.close()?;
    assert_eq!(
        fs::read(gz(&prefix))?,
        fs::read(fixtures().join("lines3.gz"))?
    );

    let prefix = dir.path().join("block16k");
    let mut log = GzLog::open(&prefix)?;
    log.write(&lines(0, 400))?;
    log.close()?;
    assert_eq!(
        fs::read(gz(&prefix))?,
        fs::read(fixtures().join("block16k.gz"))?
    );
    Ok(())
}

#[test]
fn complete_fixtures_open_and_extend() -> TestResult {
    for name in ["fresh", "lines3", "block16k", "compressed"] {
        let dir = tempfile::tempdir()?;
        let prefix = copy_fixture(name, dir.path())?;
        let want = expected(name)?;
        assert_content(&prefix, &want)?;
        let log = GzLog::open(&prefix)?;
        assert_eq!(log.recovery(), None, "{name} needs no recovery");
        log.close()?;
        assert!(!with_suffix(&prefix, ".repairs").exists());
        extend_and_check(&prefix, want, &lines(90_000, 700))?;
    }
    Ok(())
}

/// (fixture, interrupted op, whether .add is there to load)
const CRASHES: [(&str, Operation, Option<bool>); 8] = [
    ("crash1", Operation::Append, Some(true)),
    ("crash2", Operation::Append, Some(true)),
    ("crash3", Operation::Replace, None),
    ("crash4", Operation::Replace, None),
    ("crash5", Operation::Compress, Some(true)),
    ("crash6", Operation::Compress, Some(true)),
    ("crash7", Operation::Compress, Some(true)),
    ("crash8", Operation::Append, Some(true)),
];

#[test]
fn interrupted_fixtures_are_recovered_and_extended() -> TestResult {
    for (name, op, loaded) in CRASHES {
        let dir = tempfile::tempdir()?;
        let prefix = copy_fixture(name, dir.path())?;
        let want = expected(name)?;

        let log = GzLog::open(&prefix)?;
        let report = log.recovery().cloned();
        log.close()?;
        let report = report.ok_or(format!("{name}: no recovery reported"))?;
        assert_eq!(report.operation, op, "{name}");
        assert_eq!(report.add_loaded, loaded, "{name}");
        assert_content(&prefix, &want)?;
        for leftover in [".add", ".temp", ".lock"] {
            assert!(
                !with_suffix(&prefix, leftover).exists(),
                "{name}{leftover} left"
            );
        }
        let journal = fs::read_to_string(with_suffix(&prefix, ".repairs"))?;
        let events: Vec<&str> = journal.lines().map(|l| &l[25..]).collect();
        let mut wanted = vec![format!("{op} recovery: start")];
        if loaded == Some(true) {
            wanted.push(format!("{op} recovery: loaded .add file"));
        }
        wanted.push(format!("{op} recovery: complete"));
        assert_eq!(events, wanted, "{name} journal");

        extend_and_check(&prefix, want, &lines(50_000, 800))?;
    }
    Ok(())
}

#[test]
fn reader_yields_committed_data_of_interrupted_fixtures() -> TestResult {
    for (name, op, _) in CRASHES {
        let dir = tempfile::tempdir()?;
        let prefix = copy_fixture(name, dir.path())?;
        let want = expected(name)?;
        let reader = Reader::open(gz(&prefix))?;
        assert_eq!(reader.in_progress(), Some(op), "{name}");
        assert!(reader.needs_recovery());
        let got = read_log(&prefix)?;
        let committed = match op {
            // The interrupted append is not committed yet: lines 0-2.
            Operation::Append => lines(0, 3),
            // The tail of a compression is readable while its stored blocks
            // or the finished compressed data are in place.
            _ => want.clone(),
        };
        match name {
            // Deflate output overwrote the stored tail but the stream is not
            // closed: only the compressed part (lines 0-999) is committed,
            // unless the new stream decodes to exactly the tail.
            "crash5" => assert!(got == want || got == lines(0, 1000), "{name}"),
            _ => assert!(got == committed, "{name}: reader gave {} bytes", got.len()),
        }
        // Reading changed nothing: the lock and the files are as they were.
        assert!(with_suffix(&prefix, ".lock").exists());
        assert_eq!(
            fs::read(gz(&prefix))?,
            fs::read(fixtures().join(format!("{name}.gz")))?
        );
    }
    Ok(())
}
