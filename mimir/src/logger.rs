//! [`Logger`]: the facade's handle, a thin wrapper that adds the composing
//! builder to `mimir_core::Logger`.

use std::ops::Deref;

use crate::builder::LoggerBuilder;
use crate::Error;

/// The handle a program logs through; see the [crate docs](crate).
///
/// All of [`mimir_core::Logger`]'s methods are available on it (`log`,
/// `get`, `len`, `iter`, `flush`, `dropped`...). `Send + Sync`.
#[derive(Debug)]
pub struct Logger {
    inner: mimir_core::Logger,
    stream: Option<StreamHandle>,
}

/// What [`Logger::stream`] returns: the publisher's bound ports and counters
/// with the `stream` feature (`mimir_stream::PublisherHandle`).
#[cfg(feature = "stream")]
pub type StreamHandle = mimir_stream::PublisherHandle;

/// What [`Logger::stream`] returns; without the `stream` feature there is
/// never one.
#[cfg(not(feature = "stream"))]
pub type StreamHandle = std::convert::Infallible;

impl Logger {
    /// A builder with the defaults: the `Simple` formatter to standard
    /// output (with the `format` feature), nothing kept in memory, no file,
    /// a lossless channel.
    pub fn builder() -> LoggerBuilder {
        LoggerBuilder::default()
    }

    pub(crate) fn new(inner: mimir_core::Logger, stream: Option<StreamHandle>) -> Logger {
        Logger { inner, stream }
    }

    /// The stream's publisher, when the logger streams: its ports (the
    /// actual ones when built with port 0) and counters (entries published,
    /// snapshots served). Cheap atomic reads.
    pub fn stream(&self) -> Option<&StreamHandle> {
        self.stream.as_ref()
    }

    /// Flushes every sink, stops the worker and closes the sinks; returns
    /// the first sink error. See [`mimir_core::Logger::close`].
    pub fn close(self) -> Result<(), Error> {
        self.inner.close()
    }
}

impl Deref for Logger {
    type Target = mimir_core::Logger;

    fn deref(&self) -> &mimir_core::Logger {
        &self.inner
    }
}
