//! Helpers shared by the integration tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mimir::{Entry, Error, Sink};

/// A logger that prints nothing and writes the log at `path`.
pub fn logger(path: &Path) -> mimir::Logger {
    mimir::Logger::builder()
        .no_formatter()
        .filename(path)
        .build()
        .unwrap()
}

/// The lines of a file, each parsed as JSON.
pub fn json_lines(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad line {l:?}: {e}")))
        .collect()
}

/// Runs `jq` with `args` on `path` and returns its standard output.
pub fn jq(args: &[&str], path: &Path) -> String {
    let out = Command::new("jq")
        .args(args)
        .arg(path)
        .output()
        .expect("jq must be installed (test.sh installs it)");
    assert!(
        out.status.success(),
        "jq failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A sink that keeps what it receives, optionally slowly.
#[derive(Clone, Default)]
pub struct Collect {
    pub entries: Arc<Mutex<Vec<Entry>>>,
    pub delay: Duration,
}

impl Sink for Collect {
    fn write(&mut self, entry: &Entry) -> Result<(), Error> {
        if !self.delay.is_zero() {
            std::thread::sleep(self.delay);
        }
        self.entries.lock().unwrap().push(entry.clone());
        Ok(())
    }

    fn flush(&mut self) -> Result<(), Error> {
        Ok(())
    }
}
