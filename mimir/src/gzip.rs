//! The `.jsonl.gz` sink: entries batched into crash-safe gzlog writes.

use std::path::{Path, PathBuf};

use mimir_gzlog::GzLog;

use crate::{Entry, Error, ErrorKind, Sink};

/// Appends entries to a gzlog file, one gzlog write of whole lines per batch,
/// so the file only ever holds complete lines and stays a valid gzip file.
/// Lines are stored uncompressed until 1 MiB has gathered (gzlog's rule),
/// and what is left is compressed on close.
/// Lines are stored uncompressed until 1 MiB has gathered (gzlog's rule),
/// and what is left is compressed on close.
#[derive(Debug)]
pub(crate) struct GzFile {
    log: Option<GzLog>,
    lines: Vec<u8>,
    count: usize,
    path: PathBuf,
}

/// The gzlog prefix of a `.gz` path: `log.jsonl.gz` has prefix `log.jsonl`.
pub(crate) fn prefix(path: &Path) -> PathBuf {
    path.with_extension("")
}

pub(crate) fn is_gz(path: &Path) -> bool {
    path.extension().is_some_and(|ext| ext == "gz")
}

impl GzFile {
    /// Opens (creating, or recovering an interrupted write) the log at `path`,
    /// compressing at `level`.
    pub(crate) fn open(path: &Path, level: u32) -> Result<GzFile, Error> {
        let log = GzLog::options()
            .level(level)
            .open(prefix(path))
            .map_err(from_gzlog)?;
        Ok(GzFile {
            log: Some(log),
            lines: Vec::with_capacity(1 << 16),
            count: 0,
            path: path.to_path_buf(),
        })
    }
}

/// Converts a gzlog error (whose message names the file) to the facade's.
pub(crate) fn from_gzlog(err: mimir_gzlog::Error) -> Error {
    let kind = match err.kind() {
        mimir_gzlog::ErrorKind::Io => ErrorKind::Io,
        mimir_gzlog::ErrorKind::Locked => ErrorKind::Locked,
        mimir_gzlog::ErrorKind::InvalidInput => ErrorKind::Config,
        _ => ErrorKind::Malformed,
    };
    let path = err.path().to_path_buf();
    Error::new(kind, err.to_string())
        .with_path(path)
        .with_source(err)
}

impl Sink for GzFile {
    fn write(&mut self, entry: &Entry) -> Result<(), Error> {
        self.lines.extend_from_slice(entry.as_bytes());
        self.lines.push(b'\n');
        self.count += 1;
        Ok(())
    }

    /// One gzlog write for the whole batch: durable when it returns.
    fn end_batch(&mut self) -> Result<(), Error> {
        if self.lines.is_empty() {
            return Ok(());
        }
        let count = std::mem::take(&mut self.count);
        let result = match self.log.as_mut() {
            Some(log) => log.write(&self.lines).map_err(from_gzlog),
            None => Err(Error::new(ErrorKind::Closed, "the gzip log is closed")),
        };
        self.lines.clear();
        result.map_err(|e| {
            Error::new(
                e.kind(),
                format!("writing {count} entries failed (they may be missing): {e}"),
            )
            .with_path(&self.path)
            .with_source(e)
        })
    }

    fn flush(&mut self) -> Result<(), Error> {
        self.end_batch()
    }

    /// Writes the last batch and compresses what is still stored, so that a
    /// finished log is as small as gzip would make it, then releases the lock.
    fn close(&mut self) -> Result<(), Error> {
        let flushed = self.end_batch();
        let Some(mut log) = self.log.take() else {
            return flushed;
        };
        let compressed = log.compress().map_err(from_gzlog);
        let closed = log.close().map_err(from_gzlog);
        flushed.and(compressed).and(closed)
    }
}
