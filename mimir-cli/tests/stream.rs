//! `mimir demo --stream` and `mimir tail`, as real processes on free ports.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A child process that is killed when the test ends, even by a panic.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `mimir demo` streaming on free ports; returns it with its ports
/// (the snapshot port is 0 when it serves no snapshots).
fn demo(extra: &[&str]) -> (Running, u16, u16) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mimir"))
        .args(["demo", "--quiet", "--pub-port", "0", "--snapshot-port", "0"])
        .args(extra)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stderr.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    // "mimir: publishing on tcp://127.0.0.1:PORT, snapshots on tcp://127.0.0.1:PORT"
    let ports: Vec<u16> = line
        .split(", ")
        .map(|part| part.trim().rsplit(':').next().unwrap().parse().unwrap_or(0))
        .collect();
    assert_ne!(ports[0], 0, "{line}");
    (Running(child), ports[0], ports[1])
}

#[test]
fn tail_follows_a_demo_from_its_history_without_gaps() {
    let (_demo, pub_port, snapshot_port) =
        demo(&["--n", "400", "--interval-ms", "5", "--stream-maxlen", "50"]);
    std::thread::sleep(Duration::from_millis(300)); // let some history build up
    let out = Command::new(env!("CARGO_BIN_EXE_mimir"))
        .args(["tail", "--history", "--json", "--count", "80"])
        .args([
            "--pub-port",
            &pub_port.to_string(),
            "--snapshot-port",
            &snapshot_port.to_string(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let iterations: Vec<u64> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["iteration"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert_eq!(iterations.len(), 80);
    assert!(
        iterations[0] > 0,
        "history starts after the run's beginning"
    );
    assert!(
        iterations.windows(2).all(|w| w[1] == w[0] + 1),
        "{iterations:?}"
    );
}

#[test]
fn tail_exits_cleanly_on_ctrl_c() {
    let (_demo, pub_port, _) = demo(&["--n", "100000", "--interval-ms", "10", "--stream"]);
    let mut tail = Running(
        Command::new(env!("CARGO_BIN_EXE_mimir"))
            .args(["tail", "--pub-port", &pub_port.to_string()])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut first = String::new();
    BufReader::new(tail.0.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.starts_with("iteration: "), "{first:?}");
    let sent = Instant::now();
    Command::new("kill")
        .args(["-INT", &tail.0.id().to_string()])
        .status()
        .unwrap();
    let status = tail.0.wait().unwrap();
    assert!(status.success(), "{status:?}");
    assert!(sent.elapsed() < Duration::from_secs(2));
}

#[test]
fn demo_with_a_port_in_use_fails_with_the_port() {
    let (_first, pub_port, _) = demo(&["--n", "1000", "--interval-ms", "10", "--stream"]);
    let out = Command::new(env!("CARGO_BIN_EXE_mimir"))
        .args([
            "demo",
            "--quiet",
            "--stream",
            "--pub-port",
            &pub_port.to_string(),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains(&pub_port.to_string()));
}
