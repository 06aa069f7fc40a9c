//! Mímir: a logger for experiments.
//!
//! A training loop calls [`Logger::log`](mimir_core::Logger::log) with a JSON object thousands of
//! times a second. Mímir serializes it once, keeps the last `maxlen` entries
//! in memory ([`Logger::get`](mimir_core::Logger::get), `-1` being the newest), and hands it to one
//! worker thread that prints it for the person watching, appends it to a
//! line-delimited JSON file (plain, or gzip that survives a crash) and
//! publishes it over ZeroMQ for anyone following the run live. Read logs
//! back with [`read`], or with `jq`.
//!
//! ```
//! use mimir::{json, Logger};
//!
//! let dir = tempfile::tempdir()?;
//! let logger = Logger::builder()
//!     .maxlen(10)                              // keep the last 10 entries in memory
//!     .filename(dir.path().join("log.jsonl"))  // and all of them on disk
//!     .no_formatter()                          // print nothing (the default prints each entry)
//!     .build()?;
//! for i in 0..100 {
//!     logger.log(&json!({"iteration": i, "training_error": 1.0 / (i as f64 + 1.0)}))?;
//! }
//! assert_eq!(logger.get(-1).unwrap()["iteration"], 99);
//! logger.close()?;
//!
//! let entries = mimir::read(dir.path().join("log.jsonl"))?.collect::<Result<Vec<_>, _>>()?;
//! assert_eq!(entries.len(), 100);
//! Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The main types: [`Logger`] and its [`LoggerBuilder`], [`Entry`],
//! [`Sink`] (write your own destination), [`Format`] (write your own
//! formatter), [`Error`] with its [`ErrorKind`].
//!
//! # Features
//!
//! - `gzip` (default): `.jsonl.gz` file names are written with
//!   [`mimir_gzlog`], zlib's crash-safe gzlog scheme, and [`read`] reads
//!   them.
//! - `stream` (default): [`LoggerBuilder::stream`] publishes every entry
//!   over ZeroMQ, replaying the last `stream_maxlen` to late joiners; the
//!   [`stream`] module has the subscriber.
//! - `format` (default): the [`format`](mod@format) module (`Simple`, `Compact`, `Json`);
//!   `Simple` to standard output is the default formatter. Without it a
//!   logger prints nothing unless given a formatter.
#![deny(missing_docs)]

mod builder;
#[cfg(feature = "gzip")]
mod gzip;
mod logger;
mod read;

pub use crate::builder::LoggerBuilder;
pub use crate::logger::{Logger, StreamHandle};
pub use crate::read::{read, Entries};
pub use mimir_core::{Entry, Error, ErrorKind, Format, Printer, Sink};
pub use serde_json::json;

/// The README's examples, compiled and run as doc-tests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;

/// zlib's crash-safe gzip log scheme (the `gzip` feature), for direct use
/// and for recovery.
#[cfg(feature = "gzip")]
#[doc(inline)]
pub use mimir_gzlog as gzlog;

/// Live streaming over ZeroMQ (the `stream` feature): the publisher behind
/// [`LoggerBuilder::stream`] and the [`Subscriber`](mimir_stream::Subscriber)
/// that follows a run.
#[cfg(feature = "stream")]
#[doc(inline)]
pub use mimir_stream as stream;

/// Formatters that show entries to people (the `format` feature).
#[cfg(feature = "format")]
#[doc(inline)]
pub use mimir_format as format;
