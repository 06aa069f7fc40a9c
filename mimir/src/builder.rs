//! [`LoggerBuilder`]: composes the sinks of the enabled features.

use std::path::PathBuf;
use std::time::Duration;

use crate::{Error, Format, Logger, Sink};

/// Builds a [`Logger`]; see [`Logger::builder`].
///
/// Options that only configure the core are passed on to
/// [`mimir_core::LoggerBuilder`]; see there for details.
#[derive(Debug)]
pub struct LoggerBuilder {
    core: mimir_core::LoggerBuilder,
    filename: Option<PathBuf>,
    load: Option<PathBuf>,
}

impl Default for LoggerBuilder {
    fn default() -> LoggerBuilder {
        let core = mimir_core::Logger::builder();
        #[cfg(feature = "format")]
        let core = core.formatter(mimir_format::Simple);
        LoggerBuilder {
            core,
            filename: None,
            load: None,
        }
    }
}

/// Builder methods that pass their argument straight to the core builder.
macro_rules! forward {
    ($($(#[$doc:meta])* $name:ident($arg:ident: $ty:ty);)*) => {$(
        $(#[$doc])*
        pub fn $name(mut self, $arg: $ty) -> Self {
            self.core = self.core.$name($arg);
            self
        }
    )*};
}

impl LoggerBuilder {
    forward! {
        /// Keep the last `maxlen` entries in memory (0, the default, keeps
        /// none; `usize::MAX` keeps all).
        maxlen(maxlen: usize);
        /// With `true`, `flush` and `close` also fsync the file.
        sync(sync: bool);
        /// Print each entry to standard output with this formatter.
        formatter(format: impl Format);
        /// Add a sink of your own; it runs on the worker thread.
        sink(sink: impl Sink);
        /// How many entries may wait between `log` and the worker.
        channel_capacity(capacity: usize);
        /// Drop (and count) entries instead of waiting when the channel is full.
        lossy(lossy: bool);
        /// A batch ends once it holds this many bytes.
        batch_bytes(bytes: usize);
        /// A batch ends after this long.
        batch_delay(delay: Duration);
        /// How long `flush` and `close` wait for a stuck sink.
        timeout(timeout: Duration);
    }

    /// Print nothing.
    pub fn no_formatter(mut self) -> Self {
        self.core = self.core.no_formatter();
        self
    }

    /// Append entries to this file, one JSON object per line. Created if
    /// missing, never truncated.
    ///
    /// A name ending in `.gz` (with the `gzip` feature) is written with
    /// gzlog: one crash-safe gzip write of whole lines per batch, so the file
    /// is a valid gzip file after every write and an interrupted write is
    /// repaired on the next open; `flush` and `close` return once the data
    /// is durable (fsync'd). Without the feature a `.gz` name is refused.
    pub fn filename(mut self, path: impl Into<PathBuf>) -> Self {
        self.filename = Some(path.into());
        self
    }

    /// Fill the ring buffer with the last `maxlen` entries of this log at
    /// `build` (as the original Python Mímir's `Logger.load` did), for
    /// example to resume a run. The entries are not written again.
    pub fn load(mut self, path: impl Into<PathBuf>) -> Self {
        self.load = Some(path.into());
        self
    }

    /// Opens the file, starts the worker and returns the logger. Fails with
    /// the path in the error when the file cannot be opened or `load`
    /// cannot read its log.
    pub fn build(self) -> Result<Logger, Error> {
        let mut core = self.core;
        if let Some(path) = self.load {
            let entries = crate::read(&path)?.collect::<Result<Vec<_>, _>>()?;
            core = core.history(entries);
        }
        if let Some(path) = self.filename {
            #[cfg(feature = "gzip")]
            if crate::gzip::is_gz(&path) {
                core = core.sink(crate::gzip::GzFile::open(&path)?);
            } else {
                core = core.filename(path);
            }
            #[cfg(not(feature = "gzip"))]
            {
                core = core.filename(path);
            }
        }
        core.build().map(Logger::new)
    }
}
