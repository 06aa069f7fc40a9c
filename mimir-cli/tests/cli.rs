//! The `mimir` command, run as a real process.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::{Command, Output};

fn mimir(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mimir"))
        .args(args)
        .output()
        .unwrap()
}

fn jq(filter: &str, path: &Path) -> String {
    let out = Command::new("jq")
        .args(["-c", "-s", filter])
        .arg(path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

#[test]
fn demo_writes_a_log_that_jq_reads() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x/log.jsonl");
    let out = mimir(&[
        "demo",
        "--n",
        "1000",
        "--interval-ms",
        "0",
        "--file",
        path.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty(), "--quiet prints nothing");
    assert_eq!(jq("length", &path), "1000");
    assert_eq!(
        jq("min_by(.training_error)", &path),
        r#"{"iteration":999,"training_error":0.001}"#
    );
}

#[test]
fn demo_prints_with_the_simple_formatter() {
    let out = mimir(&["demo", "--n", "2", "--interval-ms", "1"]);
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "iteration: 0\ntraining_error: 1.0\n\niteration: 1\ntraining_error: 0.5\n\n"
    );
}

#[test]
fn cat_prints_simple_or_json() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.jsonl");
    std::fs::write(&path, "{\"a\":1,\"b\":{\"c\":\"x\"}}\n{\"a\":2}\n").unwrap();
    let out = mimir(&["cat", path.to_str().unwrap()]);
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "a: 1\nb:\n  c: x\n\na: 2\n\n"
    );
    let out = mimir(&["cat", "--json", path.to_str().unwrap()]);
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "{\"a\":1,\"b\":{\"c\":\"x\"}}\n{\"a\":2}\n"
    );
}

fn assert_one_line_failure(out: &Output, needle: &str) {
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(needle), "{err}");
    assert!(
        !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
        "{err}"
    );
}

#[test]
fn failures_are_one_line_with_exit_code_2() {
    let out = mimir(&["cat", "/no/such/log.jsonl"]);
    assert_one_line_failure(&out, "/no/such/log.jsonl");
    assert_eq!(String::from_utf8_lossy(&out.stderr).lines().count(), 1);
    assert_one_line_failure(&mimir(&["demo", "--n", "many"]), "invalid value");
    assert_one_line_failure(&mimir(&["frobnicate"]), "unrecognized subcommand");
}

#[test]
fn cat_names_the_line_of_a_malformed_entry() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.jsonl");
    std::fs::write(&path, "{\"a\":1}\n[1,2]\n").unwrap();
    let out = mimir(&["cat", "--json", path.to_str().unwrap()]);
    assert_one_line_failure(&out, "log.jsonl:2: ");
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "{\"a\":1}\n");
}
