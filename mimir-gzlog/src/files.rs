//! File names derived from a prefix, and small file helpers.

use std::ffi::OsString;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The six files of one log (section 1).
#[derive(Debug, Clone)]
pub(crate) struct Paths {
    pub gz: PathBuf,
    pub add: PathBuf,
    pub dict: PathBuf,
    pub temp: PathBuf,
    pub lock: PathBuf,
    pub repairs: PathBuf,
    pub dir: PathBuf,
}

impl Paths {
    pub(crate) fn new(prefix: &Path) -> Paths {
        let with = |suffix: &str| {
            let mut s = OsString::from(prefix.as_os_str());
            s.push(suffix);
            PathBuf::from(s)
        };
        let dir = match prefix.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        Paths {
            gz: with(".gz"),
            add: with(".add"),
            dict: with(".dict"),
            temp: with(".temp"),
            lock: with(".lock"),
            repairs: with(".repairs"),
            dir,
        }
    }
}

/// Adds the path and a description to an I/O result.
pub(crate) trait Context<T> {
    fn ctx(self, path: &Path, what: &str) -> Result<T>;
}

impl<T> Context<T> for io::Result<T> {
    fn ctx(self, path: &Path, what: &str) -> Result<T> {
        self.map_err(|e| Error::io(path, what, e))
    }
}

/// Creates or truncates `path` (mode 0644), writes `data` and fsyncs it.
pub(crate) fn write_synced(path: &Path, data: &[u8]) -> Result<()> {
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o644)
        .open(path)
        .ctx(path, "cannot create")?;
    file.write_all(data).ctx(path, "cannot write")?;
    file.sync_all().ctx(path, "cannot fsync")
}

/// Makes directory entries (creations, renames, unlinks) durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .ctx(dir, "cannot fsync the directory")
}

/// Deletes a file, treating "already gone" as success.
pub(crate) fn remove_if_present(path: &Path) -> Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(Error::io(path, "cannot delete", e)),
        _ => Ok(()),
    }
}

/// Reads up to `max` bytes from the start of `path`; `None` if it does not
/// exist.
pub(crate) fn read_prefix(path: &Path, max: usize) -> Result<Option<Vec<u8>>> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(path, "cannot open", e)),
    };
    let mut buf = Vec::new();
    file.take(max as u64)
        .read_to_end(&mut buf)
        .ctx(path, "cannot read")?;
    Ok(Some(buf))
}

/// Reads exactly `len` bytes at `offset`, or fails (a short file is an
/// error of kind `UnexpectedEof`).
pub(crate) fn read_exact_at(file: &File, offset: u64, len: usize) -> io::Result<Vec<u8>> {
    let mut buf = vec![0u8; len];
    file.read_exact_at(&mut buf, offset)?;
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_prefix() {
        let p = Paths::new(Path::new("/var/log/run.jsonl"));
        assert_eq!(p.gz, Path::new("/var/log/run.jsonl.gz"));
        assert_eq!(p.repairs, Path::new("/var/log/run.jsonl.repairs"));
        assert_eq!(p.dir, Path::new("/var/log"));
        assert_eq!(Paths::new(Path::new("x")).dir, Path::new("."));
    }

    #[test]
    fn helpers_round_trip() -> std::result::Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("f");
        assert_eq!(read_prefix(&path, 10)?, None);
        write_synced(&path, b"hello world")?;
        assert_eq!(read_prefix(&path, 5)?, Some(b"hello".to_vec()));
        sync_dir(dir.path())?;
        remove_if_present(&path)?;
        remove_if_present(&path)?;
        Ok(())
    }
}
