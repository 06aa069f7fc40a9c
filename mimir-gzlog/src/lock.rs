//! The `P.lock` protocol (section 11), with owner information so that the
//! lock of a crashed process on this host can be taken over at once.
//!
//! gzlog.c creates the lock empty with O_EXCL and never reads it, so writing
//! `pid=... host=... start=... token=...` into it stays compatible. A lock
//! without that line, or from another host, is judged by its mtime alone.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::error::{Error, ErrorKind, Result};

/// The lock file as we hold it.
#[derive(Debug)]
pub(crate) struct Lock {
    path: PathBuf,
    content: String,
    mtime: Option<SystemTime>,
}

/// Owner information parsed from a lock file.
#[derive(Debug, PartialEq, Eq)]
struct Owner {
    pid: u32,
    host: String,
    start: Option<u64>,
}

/// What a lock file found in place means for us.
#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    /// Its owner is alive, or may be: wait.
    Live,
    /// Its owner is gone, or it is older than the patience: take it over.
    Abandoned,
}

static TOKEN_COUNTER: AtomicU64 = AtomicU64::new(0);

impl Lock {
    /// Acquires the lock, waiting up to `wait` for a live holder. Blocks
    /// (polling) while it waits; no fsync.
    pub(crate) fn acquire(path: &Path, patience: Duration, wait: Duration) -> Result<Lock> {
        let content = own_line();
        let deadline = Instant::now() + wait;
        let mut pause = Duration::from_millis(20);
        loop {
            match OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o644)
                .open(path)
            {
                Ok(mut file) => {
                    // A reader seeing the file before this write finds it
                    // empty and falls back to the mtime rule: it waits.
                    let written = file.write_all(content.as_bytes());
                    drop(file);
                    if let Err(err) = written {
                        let _ = fs::remove_file(path);
                        return Err(Error::io(path, "cannot write the lock file", err));
                    }
                    let mtime = mtime_of(path);
                    return Ok(Lock {
                        path: path.to_path_buf(),
                        content,
                        mtime,
                    });
                }
                Err(err) if err.kind() == io::ErrorKind::AlreadyExists => {}
                Err(err) => return Err(Error::io(path, "cannot create the lock file", err)),
            }
            if judge(path, patience) == Verdict::Abandoned {
                // Another process may have removed it first; either way retry.
                let _ = fs::remove_file(path);
                continue;
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(Error::new(
                    ErrorKind::Locked,
                    path,
                    format!("still held after waiting {:?}", wait),
                ));
            }
            std::thread::sleep(pause.min(deadline - now));
            pause = (pause * 2).min(Duration::from_millis(500));
        }
    }

    /// Sets the lock's mtime to now (the heartbeat) and records it.
    pub(crate) fn touch(&mut self) {
        if let Ok(file) = OpenOptions::new().write(true).open(&self.path) {
            let _ = file.set_modified(SystemTime::now());
        }
        self.mtime = mtime_of(&self.path);
    }

    /// True if the lock is still ours: it exists, holds our line and has the
    /// mtime we last gave it. Touches it when it is.
    pub(crate) fn check(&mut self) -> bool {
        if !self.is_ours() {
            return false;
        }
        self.touch();
        true
    }

    fn is_ours(&self) -> bool {
        let mtime = mtime_of(&self.path);
        mtime.is_some()
            && mtime == self.mtime
            && read_small(&self.path) == Some(self.content.clone())
    }

    /// Deletes the lock if it is still ours.
    pub(crate) fn release(self) -> Result<()> {
        if !self.is_ours() {
            return Ok(());
        }
        match fs::remove_file(&self.path) {
            Ok(()) => Ok(()),
            Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(err) => Err(Error::io(&self.path, "cannot delete the lock file", err)),
        }
    }
}

fn mtime_of(path: &Path) -> Option<SystemTime> {
    fs::metadata(path).and_then(|m| m.modified()).ok()
}

fn read_small(path: &Path) -> Option<String> {
    let mut s = String::new();
    File::open(path)
        .ok()?
        .take(4096)
        .read_to_string(&mut s)
        .ok()?;
    Some(s)
}

fn judge(path: &Path, patience: Duration) -> Verdict {
    let Ok(meta) = fs::metadata(path) else {
        // Gone already: retrying the create is the right move.
        return Verdict::Abandoned;
    };
    if let Some(owner) = read_small(path).as_deref().and_then(parse_owner) {
        if owner.host == host_name() && !process_alive(owner.pid, owner.start) {
            return Verdict::Abandoned;
        }
    }
    // gzlog.c's rule: stale when the mtime is *more* than `patience` old.
    match meta
        .modified()
        .ok()
        .and_then(|m| SystemTime::now().duration_since(m).ok())
    {
        Some(age) if age > patience => Verdict::Abandoned,
        _ => Verdict::Live,
    }
}

/// The line we write into a lock we create.
fn own_line() -> String {
    let pid = std::process::id();
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let token = nanos
        ^ TOKEN_COUNTER
            .fetch_add(1, Ordering::Relaxed)
            .rotate_left(40);
    let start = process_start(pid).map_or_else(|| "-".to_string(), |s| s.to_string());
    format!(
        "pid={pid} host={} start={start} token={token:x}\n",
        host_name()
    )
}

fn parse_owner(s: &str) -> Option<Owner> {
    let mut pid = None;
    let mut host = None;
    let mut start = None;
    for field in s.split_whitespace() {
        let (key, value) = field.split_once('=')?;
        match key {
            "pid" => pid = value.parse().ok(),
            "host" => host = Some(value.to_string()),
            "start" => start = value.parse().ok(),
            _ => {}
        }
    }
    Some(Owner {
        pid: pid?,
        host: host.filter(|h| !h.is_empty())?,
        start,
    })
}

/// This machine's name, or an empty string when it cannot be told (then
/// no lock is ever judged by liveness).
fn host_name() -> String {
    fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| fs::read_to_string("/etc/hostname"))
        .map(|s| s.trim().replace(char::is_whitespace, "_"))
        .unwrap_or_default()
}

/// Start time of a process in clock ticks since boot (Linux /proc).
fn process_start(pid: u32) -> Option<u64> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces and parentheses: fields count from
    // the last ')'. starttime is field 22, i.e. the 20th after it.
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(19)?.parse().ok()
}

/// Whether `pid` names a live process that is the lock's owner. Without
/// /proc (not Linux) every process counts as alive, so only the patience
/// rule applies.
fn process_alive(pid: u32, start: Option<u64>) -> bool {
    if !Path::new("/proc/self/stat").exists() {
        return true;
    }
    if !Path::new(&format!("/proc/{pid}")).exists() {
        return false;
    }
    match (start, process_start(pid)) {
        // Same PID, another process: the owner is gone.
        (Some(recorded), Some(now)) => recorded == now,
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_line_parses_back_to_this_process() {
        let line = own_line();
        let owner = parse_owner(&line);
        let me = std::process::id();
        assert_eq!(owner.as_ref().map(|o| o.pid), Some(me));
        assert!(process_alive(me, owner.and_then(|o| o.start)));
        assert_eq!(parse_owner(""), None);
        assert_eq!(parse_owner("garbage"), None);
        assert_ne!(own_line(), own_line());
    }

    #[test]
    fn empty_lock_follows_the_patience_rule() -> std::result::Result<(), Box<dyn std::error::Error>>
    {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("p.lock");
        fs::write(&path, b"")?;
        assert_eq!(judge(&path, Duration::from_secs(300)), Verdict::Live);
        let old = SystemTime::now() - Duration::from_secs(301);
        File::options().write(true).open(&path)?.set_modified(old)?;
        assert_eq!(judge(&path, Duration::from_secs(300)), Verdict::Abandoned);
        Ok(())
    }
}
