//! Files that are not gzlog files, or whose gzlog state is garbage, are
//! refused with an error and left byte for byte untouched; no content makes
//! the crate panic.

mod common;

use std::fs;
use std::path::Path;

use common::*;
use mimir_gzlog::{ErrorKind, GzLog, Reader};

fn refused(prefix: &Path, content: &[u8]) -> Result<ErrorKind, Box<dyn std::error::Error>> {
    fs::write(gz(prefix), content)?;
    fs::write(with_suffix(prefix, ".dict"), b"keep me")?;
    let err = GzLog::open(prefix).err().ok_or("opened a non-gzlog file")?;
    assert_eq!(fs::read(gz(prefix))?, content, "file was modified");
    assert_eq!(fs::read(with_suffix(prefix, ".dict"))?, b"keep me");
    assert!(!with_suffix(prefix, ".lock").exists(), "lock left behind");
    assert!(Reader::open(gz(prefix)).is_err() || content.len() >= 51);
    Ok(err.kind())
}

#[test]
fn ordinary_gzip_random_bytes_and_short_files_are_refused() -> TestResult {
    let dir = tempfile::tempdir()?;
    let prefix = dir.path().join("log");
    let plain = std::process::Command::new("sh")
        .arg("-c")
        .arg("printf 'hello\\n' | gzip -c")
        .output()?
        .stdout;
    assert_eq!(refused(&prefix, &plain)?, ErrorKind::NotGzlog);
    assert_eq!(refused(&prefix, &noise(5000, 7))?, ErrorKind::NotGzlog);
    assert_eq!(refused(&prefix, b"\x1f\x8b\x08\x04")?, ErrorKind::NotGzlog);
    let fresh = fs::read(fixtures().join("fresh.gz"))?;
    assert_eq!(refused(&prefix, &fresh[..40])?, ErrorKind::NotGzlog);
    let err = GzLog::open("").err().map(|e| e.kind());
    assert_eq!(err, Some(ErrorKind::InvalidInput));
    Ok(())
}

#[test]
fn garbage_extra_fields_and_truncations_are_corrupt() -> TestResult {
    let dir = tempfile::tempdir()?;
    let prefix = dir.path().join("log");
    let good = fs::read(fixtures().join("compressed.gz"))?;
    // `last` far past the end of the file.
    let mut bad = good.clone();
    bad[24..32].copy_from_slice(&(1u64 << 40).to_le_bytes());
    assert_eq!(refused(&prefix, &bad)?, ErrorKind::Corrupt);
    // Stored length not matching the block on disk.
    let mut bad = good.clone();
    bad[48] ^= 1;
    assert_eq!(refused(&prefix, &bad)?, ErrorKind::Corrupt);
    // Truncated anywhere after the header.
    for cut in [51, 52, 60, good.len() / 2, good.len() - 9, good.len() - 1] {
        assert_eq!(
            refused(&prefix, &good[..cut])?,
            ErrorKind::Corrupt,
            "cut at {cut}"
        );
    }
    Ok(())
}

#[test]
fn no_content_makes_open_or_reader_panic() -> TestResult {
    let dir = tempfile::tempdir()?;
    let good = fs::read(fixtures().join("compressed.gz"))?;
    for case in 0..300u64 {
        let prefix = dir.path().join(format!("f{case}"));
        let mut bytes = good.clone();
        let flips = noise(8, case + 1);
        for pair in flips.chunks(2) {
            // Mostly the extra field, sometimes the stream.
            let at = if pair[0] % 4 == 0 {
                usize::from(pair[0]) * 37 % bytes.len()
            } else {
                16 + usize::from(pair[0]) % 35
            };
            bytes[at] ^= pair[1] | 1;
        }
        fs::write(gz(&prefix), &bytes)?;
        let mut sink = Vec::new();
        if let Ok(mut r) = Reader::open(gz(&prefix)) {
            let _ = std::io::Read::read_to_end(&mut r, &mut sink);
        }
        match GzLog::options()
            .lock_wait(std::time::Duration::ZERO)
            .open(&prefix)
        {
            Ok(log) => log.close()?,
            Err(_) => assert_eq!(
                fs::read(gz(&prefix))?,
                bytes,
                "case {case} modified the file"
            ),
        }
    }
    Ok(())
}
