//! Property: any sequence of writes (0 B to 3 MiB) and compressions gives a
//! log whose content, read by `zcat` and by our reader, is the
//! concatenation of the writes.

mod common;

use common::*;
use mimir_gzlog::GzLog;
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Step {
    Write { len: usize, seed: u64, text: bool },
    Compress,
    Reopen,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        6 => (prop_oneof![0usize..64, 0usize..40_000, 0usize..(3 << 20)], any::<u64>(), any::<bool>())
            .prop_map(|(len, seed, text)| Step::Write { len, seed, text }),
        2 => Just(Step::Compress),
        1 => Just(Step::Reopen),
    ]
}

fn data(len: usize, seed: u64, text: bool) -> Vec<u8> {
    if text {
        let mut v = lines(seed % 1000, (len / 40 + 1) as u64);
        v.truncate(len);
        v
    } else {
        noise(len, seed)
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn content_is_the_concatenation_of_the_writes(steps in proptest::collection::vec(step(), 1..7)) {
        let dir = tempfile::tempdir().map_err(|e| TestCaseError::fail(e.to_string()))?;
        let prefix = dir.path().join("log");
        let mut want = Vec::new();
        let fail = |e: mimir_gzlog::Error| TestCaseError::fail(e.to_string());
        let mut log = GzLog::open(&prefix).map_err(fail)?;
        for s in steps {
            let r = match s {
                Step::Write { len, seed, text } => {
                    let d = data(len, seed, text);
                    want.extend_from_slice(&d);
                    log.write(&d)
                }
                Step::Compress => log.compress(),
                Step::Reopen => {
                    // Same process: the old handle must let go of the lock first.
                    let old = std::mem::replace(&mut log, GzLog::options().lock_wait(std::time::Duration::ZERO).open(dir.path().join("other")).map_err(fail)?);
                    old.close().and_then(|()| GzLog::open(&prefix)).map(|l| log = l)
                }
            };
            r.map_err(fail)?;
            prop_assert!(log.tail_len() <= 205 * 16384, "tail over gzlog.c's limit");
        }
        log.close().map_err(fail)?;
        let got = read_log(&prefix).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert!(got == want, "reader: {} bytes, want {}", got.len(), want.len());
        let z = zcat(&prefix).map_err(TestCaseError::fail)?;
        prop_assert!(z == want, "zcat differs");
    }
}

/// A write longer than gzlog.c can compress in one tail (205 blocks) is
/// appended in pieces, so the tail never outgrows that limit.
#[test]
fn a_write_over_the_tail_limit_is_split() -> TestResult {
    let dir = tempfile::tempdir()?;
    let prefix = dir.path().join("log");
    let mut log = GzLog::open(&prefix)?;
    let mut want = lines(0, 20_000); // ~0.9 MiB tail first
    log.write(&want)?;
    let big = noise(4 << 20, 3);
    log.write(&big)?;
    assert!(log.tail_len() <= 205 * 16384);
    want.extend_from_slice(&big);
    log.close()?;
    assert_content(&prefix, &want)
}
