//! Helpers shared by the integration tests: line data, fixtures, the real
//! `gzip`/`zcat` tools and child processes.
#![allow(dead_code)]

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};
use std::time::{Duration, SystemTime};

use mimir_gzlog::{GzLog, Reader};

pub type TestResult = Result<(), Box<dyn std::error::Error>>;

/// Line `i` as the fixtures write it.
pub fn line(i: u64) -> String {
    format!(
        "{{\"iteration\": {}, \"training_error\": {:.6}}}\n",
        i,
        1.0 / (i as f64 + 1.0)
    )
}

/// Lines `start..start+n` concatenated.
pub fn lines(start: u64, n: u64) -> Vec<u8> {
    (start..start + n)
        .map(line)
        .collect::<String>()
        .into_bytes()
}

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Copies fixture `name` (all its files) into `dir`; returns the prefix.
/// Sets an existing lock's mtime back past the default patience, since a
/// checkout gives it the checkout time.
pub fn copy_fixture(name: &str, dir: &Path) -> std::io::Result<PathBuf> {
    for suffix in ["gz", "add", "dict", "temp", "lock"] {
        let from = fixtures().join(format!("{name}.{suffix}"));
        if from.exists() {
            let to = dir.join(format!("{name}.{suffix}"));
            fs::copy(&from, &to)?;
            if suffix == "lock" {
                age(&to, Duration::from_secs(301))?;
            }
        }
    }
    Ok(dir.join(name))
}

pub fn expected(name: &str) -> std::io::Result<Vec<u8>> {
    fs::read(fixtures().join(format!("{name}.expected")))
}

/// Sets a file's mtime `by` into the past.
pub fn age(path: &Path, by: Duration) -> std::io::Result<()> {
    let file = fs::File::options().write(true).open(path)?;
    file.set_modified(SystemTime::now() - by)
}

pub fn gz(prefix: &Path) -> PathBuf {
    with_suffix(prefix, ".gz")
}

pub fn with_suffix(prefix: &Path, suffix: &str) -> PathBuf {
    let mut s = prefix.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// `gzip -t` on the log.
pub fn gzip_t(prefix: &Path) -> bool {
    Command::new("gzip")
        .arg("-t")
        .arg(gz(prefix))
        .output()
        .map(|o| o.status.success() && o.stderr.is_empty())
        .unwrap_or(false)
}

/// `zcat` of the log, or an error if it fails.
pub fn zcat(prefix: &Path) -> Result<Vec<u8>, String> {
    let out = Command::new("zcat")
        .arg(gz(prefix))
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    Ok(out.stdout)
}

/// The data our lock-free reader yields.
pub fn read_log(prefix: &Path) -> std::io::Result<Vec<u8>> {
    let mut data = Vec::new();
    Reader::open(gz(prefix))?.read_to_end(&mut data)?;
    Ok(data)
}

/// Everything a recovered log must satisfy: our reader, zcat and gzip -t
/// agree with `want`.
pub fn assert_content(prefix: &Path, want: &[u8]) -> TestResult {
    let got = read_log(prefix)?;
    assert_eq!(
        got.len(),
        want.len(),
        "length read back from {}",
        prefix.display()
    );
    assert!(got == want, "content of {} differs", prefix.display());
    let z = zcat(prefix)?;
    assert!(z == want, "zcat of {} differs", prefix.display());
    assert!(gzip_t(prefix), "gzip -t fails on {}", prefix.display());
    Ok(())
}

/// Appends `data`, compresses, and checks the content again.
pub fn extend_and_check(prefix: &Path, mut want: Vec<u8>, data: &[u8]) -> TestResult {
    let mut log = GzLog::open(prefix)?;
    log.write(data)?;
    want.extend_from_slice(data);
    log.compress()?;
    log.write(b"after compress\n")?;
    want.extend_from_slice(b"after compress\n");
    log.close()?;
    assert_content(prefix, &want)
}

// ---- child processes -------------------------------------------------------

const CHILD_ENV: &str = "MIMIR_GZLOG_CHILD";

/// Runs this test binary again as a child that performs `script` on the
/// log at `prefix` and exits; crash points make it exit without cleanup.
///
/// Script words: `bail:P:C` arms crash point P for pass C+1; `lines:S:N`
/// writes lines S..S+N as one write; `each:S:N` writes them one write each;
/// `bytes:N:SEED` writes N pseudo-random bytes; `compress`; `open` (only).
pub fn run_child(prefix: &Path, script: &str, entry: &str) -> std::io::Result<ExitStatus> {
    run_child_with(prefix, script, entry, None)
}

/// Like [`run_child`], with the file-size limit (RLIMIT_FSIZE, bytes) set
/// and SIGXFSZ ignored, through `sh` (`ulimit -f` counts 512-byte blocks).
pub fn run_child_with(
    prefix: &Path,
    script: &str,
    entry: &str,
    fsize_blocks: Option<u64>,
) -> std::io::Result<ExitStatus> {
    let exe = std::env::current_exe()?;
    let mut cmd = match fsize_blocks {
        Some(blocks) => {
            let mut c = Command::new("sh");
            c.arg("-c")
                .arg(format!(
                    "trap '' XFSZ; ulimit -f {blocks}; exec \"$0\" \"$@\""
                ))
                .arg(exe);
            c
        }
        None => Command::new(exe),
    };
    cmd.args([entry, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, format!("{}\n{}", prefix.display(), script));
    cmd.stdout(std::process::Stdio::null());
    cmd.status()
}

/// Like [`run_child_with`], capturing the child's stderr.
pub fn child_output(
    prefix: &Path,
    script: &str,
    entry: &str,
    fsize_blocks: Option<u64>,
) -> std::io::Result<(ExitStatus, String)> {
    let exe = std::env::current_exe()?;
    let mut cmd = Command::new("sh");
    let limit = fsize_blocks.map_or_else(|| "unlimited".to_string(), |b| b.to_string());
    cmd.arg("-c")
        .arg(format!(
            "trap '' XFSZ; ulimit -f {limit}; exec \"$0\" \"$@\""
        ))
        .arg(exe)
        .args([entry, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, format!("{}\n{}", prefix.display(), script))
        .stdout(std::process::Stdio::null());
    let out = cmd.output()?;
    Ok((
        out.status,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    ))
}

/// Pseudo-random bytes (xorshift), for less compressible data.
pub fn noise(n: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// The body of the child entry point: does nothing unless this process was
/// started by [`run_child`]. Exits with 0 after the script, 3 on an error
/// (printed), or the crash code at an armed crash point.
pub fn child_main() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let (prefix, script) = spec.split_once('\n').unwrap_or((&spec, ""));
    let code = match child_script(Path::new(prefix), script) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("child error: {e}");
            3
        }
    };
    std::process::exit(code);
}

fn child_script(prefix: &Path, script: &str) -> Result<(), mimir_gzlog::Error> {
    let words: Vec<&str> = script.split_whitespace().collect();
    // Arm before opening so that crash points also fire inside recovery.
    for w in &words {
        if let Some(rest) = w.strip_prefix("bail:") {
            let (p, c) = rest.split_once(':').unwrap_or((rest, "0"));
            mimir_gzlog::set_crash_point(p.parse().unwrap_or(0), c.parse().unwrap_or(0));
        }
    }
    let mut options = GzLog::options();
    for w in &words {
        if let Some(ms) = w.strip_prefix("wait:").and_then(|m| m.parse().ok()) {
            options = options.lock_wait(std::time::Duration::from_millis(ms));
        }
    }
    let mut log = options.open(prefix)?;
    let mut done = 0u64;
    for w in words {
        let parts: Vec<u64> = w
            .split(':')
            .skip(1)
            .filter_map(|x| x.parse().ok())
            .collect();
        if w.starts_with("lines:") {
            log.write(&lines(parts[0], parts[1]))
                .inspect_err(|_| eprintln!("after {done} writes"))?;
            done += 1;
        } else if w.starts_with("each:") {
            for i in parts[0]..parts[0] + parts[1] {
                log.write(line(i).as_bytes())
                    .inspect_err(|_| eprintln!("after {done} writes"))?;
                done += 1;
            }
        } else if w.starts_with("bytes:") {
            log.write(&noise(parts[0] as usize, parts[1]))?;
        } else if w == "compress" {
            log.compress()
                .inspect_err(|_| eprintln!("after {done} writes"))?;
        } else if let Some(ms) = w.strip_prefix("sleep:").and_then(|m| m.parse().ok()) {
            std::thread::sleep(std::time::Duration::from_millis(ms));
        }
    }
    log.close()
}
