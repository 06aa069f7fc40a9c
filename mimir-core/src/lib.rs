//! The core of Mímir, a logger for experiments: entries, the ring buffer,
//! sinks and the background worker.
//!
//! - [`Entry`]: one JSON object, serialized once on the caller's thread and
//!   shared (an `Arc`) by every sink.
//! - [`Logger`], built with [`Logger::builder`] ([`LoggerBuilder`]): `log`
//!   serializes, keeps the last `maxlen` entries in memory (read them with
//!   [`Logger::get`], `-1` being the newest) and hands the entry to one
//!   worker thread over a bounded channel.
//! - [`Sink`]: what the worker feeds. [`Printer`] shows entries with a
//!   [`Format`]; [`JsonlFile`] appends them to a `.jsonl` file; other crates
//!   add gzip logs (`mimir-gzlog`) and streaming (`mimir-stream`).
//! - [`EntryReader`] and [`read_jsonl`] read logs back.
//! - [`Error`], with an [`ErrorKind`].
//!
//! Most programs depend on the `mimir` crate, which puts these together with
//! a default formatter, gzip files and streaming.
//!
//! ```
//! use mimir_core::Logger;
//! use serde_json::json;
//!
//! let dir = tempfile::tempdir()?;
//! let path = dir.path().join("log.jsonl");
//! let logger = Logger::builder().maxlen(10).filename(&path).build()?;
//! for i in 0..100 {
//!     logger.log(&json!({"iteration": i, "training_error": 1.0 / (i as f64 + 1.0)}))?;
//! }
//! assert_eq!(logger.get(-1).unwrap()["iteration"], 99);
//! logger.close()?;
//!
//! let entries = mimir_core::read_jsonl(&path)?.collect::<Result<Vec<_>, _>>()?;
//! assert_eq!(entries.len(), 100);
//! Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! This crate has no cargo features.
#![deny(missing_docs)]

mod entry;
mod error;
mod jsonl;
mod logger;
mod ring;
mod sink;
mod worker;

pub use crate::entry::Entry;
pub use crate::error::{Error, ErrorKind};
pub use crate::jsonl::{read_jsonl, EntryReader, JsonlFile};
pub use crate::logger::{
    Logger, LoggerBuilder, DEFAULT_BATCH_BYTES, DEFAULT_BATCH_DELAY, DEFAULT_CHANNEL_CAPACITY,
    DEFAULT_THREAD_NAME, DEFAULT_TIMEOUT,
};
pub use crate::sink::{Format, Printer, Sink};
