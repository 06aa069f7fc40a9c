//! Crash-safe appends to a gzip file: a Rust port of zlib's `gzlog`.
//!
//! A log with prefix `P` is the file `P.gz`, one gzip member that is valid
//! between operations: any `zcat` or `gzip -t` accepts it. New data is
//! appended as stored (uncompressed) deflate blocks, and once 1 MiB has
//! accumulated it is compressed in place. Every step is ordered and marked
//! in the gzip header's extra field so that a crash at any point is
//! repaired the next time the log is opened. The on-disk format, the
//! `P.add`/`P.dict`/`P.temp`/`P.lock`/`P.repairs` files and the lock
//! protocol are those of gzlog.c 2.3, so either implementation can open,
//! repair and extend logs written by the other.
//!
//! - [`GzLog`] is an open, locked log: [`GzLog::open`], [`GzLog::write`],
//!   [`GzLog::compress`], [`GzLog::close`]; [`GzLog::options`] gives a
//!   [`GzLogOptions`] builder for the compression level, the lock's
//!   patience and how long opening waits for a live lock.
//! - [`recover`] opens and closes a log and returns the [`Recovery`] report
//!   (which [`Operation`] was completed, whether `P.add` was used).
//! - [`Reader`] decompresses a log without the lock, also one being written
//!   right now or left interrupted, and tells whether it needs recovery.
//! - [`Error`] is the one error type; [`Error::kind`] gives an
//!   [`ErrorKind`].
//!
//! ```
//! use std::io::Read;
//! use mimir_gzlog::{GzLog, Reader};
//!
//! let dir = tempfile::tempdir()?;
//! let prefix = dir.path().join("run.jsonl");
//!
//! let mut log = GzLog::options().level(6).open(&prefix)?;
//! log.write(b"{\"iteration\": 0}\n")?; // durable when it returns
//! log.write(b"{\"iteration\": 1}\n")?;
//! log.compress()?;
//! log.close()?;
//!
//! let mut text = String::new();
//! Reader::open(dir.path().join("run.jsonl.gz"))?.read_to_string(&mut text)?;
//! assert_eq!(text, "{\"iteration\": 0}\n{\"iteration\": 1}\n");
//! Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Features
//!
//! - `crash-points` (off by default): test-only crash injection at
//!   gzlog.c's eight bail points, with the same numbering and count rule as
//!   its `GZLOG_DEBUG` build; see `set_crash_point`. Without it the points
//!   compile to nothing.
//!
//! The crate is for Unix (it uses `pwrite`, file modes and fsync of
//! directories); owner liveness for the lock is read from Linux's `/proc`,
//! elsewhere only the patience rule applies.

#![deny(missing_docs)]
#![cfg(unix)]

mod crash;
mod deflate;
mod error;
mod files;
mod format;
mod journal;
mod lock;
mod log;
mod reader;

#[cfg(feature = "crash-points")]
pub use crate::crash::{set_crash_point, CRASH_EXIT_CODE};
pub use crate::{
    error::{Error, ErrorKind},
    format::Operation,
    log::{
        recover, GzLog, GzLogOptions, Recovery, DEFAULT_LEVEL, DEFAULT_LOCK_WAIT, DEFAULT_PATIENCE,
    },
    reader::Reader,
};

/// Result type of this crate's fallible calls.
pub type Result<T> = std::result::Result<T, Error>;

#[allow(dead_code)]
fn _assert_send_sync() {
    fn check<T: Send + Sync>() {}
    check::<GzLog>();
    check::<Reader>();
    check::<Error>();
}
