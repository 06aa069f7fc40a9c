//! Helpers shared by the command's tests: run `mimir`, and check logs with
//! the real gzip and zcat.
#![allow(dead_code, clippy::unwrap_used)]

use std::path::Path;
use std::process::{Command, Output};

/// Runs `mimir` with `args` and returns what it did.
pub fn mimir(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mimir"))
        .args(args)
        .output()
        .unwrap()
}

/// `mimir recover path`, which must succeed.
pub fn recover(path: &Path) {
    let out = mimir(&["recover", path.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "mimir recover: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `gzip -t path`, which must pass.
pub fn gzip_t(path: &Path) {
    let out = Command::new("gzip").arg("-t").arg(path).output().unwrap();
    assert!(
        out.status.success(),
        "gzip -t: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The text `zcat path` prints, which must succeed.
pub fn zcat(path: &Path) -> String {
    let out = Command::new("zcat").arg(path).output().unwrap();
    assert!(
        out.status.success(),
        "zcat: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Checks that every line is a JSON object whose `key` counts 0, 1, 2...
/// and returns how many lines there are.
pub fn count_in_order(text: &str, key: &str) -> u64 {
    let mut n = 0;
    for line in text.lines() {
        let value: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("line {n}: {e}: {line:?}"));
        assert_eq!(value[key], n, "line {n} out of order: {line}");
        n += 1;
    }
    n
}
