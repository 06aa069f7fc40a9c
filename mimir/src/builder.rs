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
    maxlen: usize,
    filename: Option<PathBuf>,
    load: Option<PathBuf>,
    #[cfg(feature = "gzip")]
    gzip_level: u32,
    #[cfg(feature = "stream")]
    stream: Option<mimir_stream::PublisherBuilder>,
}

impl Default for LoggerBuilder {
    fn default() -> LoggerBuilder {
        let core = mimir_core::Logger::builder();
        #[cfg(feature = "format")]
        let core = core.formatter(mimir_format::Simple);
        LoggerBuilder {
            core,
            maxlen: 0,
            filename: None,
            load: None,
            #[cfg(feature = "gzip")]
            gzip_level: mimir_gzlog::DEFAULT_LEVEL,
            #[cfg(feature = "stream")]
            stream: None,
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
    /// Keep the last `maxlen` entries in memory (0, the default, keeps none;
    /// `usize::MAX` keeps all).
    pub fn maxlen(mut self, maxlen: usize) -> Self {
        self.maxlen = maxlen;
        self.core = self.core.maxlen(maxlen);
        self
    }

    forward! {
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

    /// The compression level of a `.gz` log, 0 to 9 (default 6, as `gzip`
    /// and zlib's gzlog). Higher levels make smaller files at more CPU time
    /// on the worker thread; `log` itself costs the same. A level above 9 is
    /// refused by `build`.
    #[cfg(feature = "gzip")]
    pub fn gzip_level(mut self, level: u32) -> Self {
        self.gzip_level = level;
        self
    }

    /// Fill the ring buffer with the last `maxlen` entries of this log at
    /// `build` (as the original Python Mímir's `Logger.load` did), for
    /// example to resume a run. The entries are not written again.
    pub fn load(mut self, path: impl Into<PathBuf>) -> Self {
        self.load = Some(path.into());
        self
    }

    /// Publish every entry over ZeroMQ (the `stream` feature): on a PUB
    /// socket, default `tcp://127.0.0.1:5557`, each message being the
    /// sequence number then the entry's JSON. Off by default. Only this
    /// machine can connect unless [`stream_bind`](Self::stream_bind) says
    /// otherwise. Publishing never blocks `log`: a subscriber that falls
    /// behind is cut off by ZeroMQ and sees a gap.
    #[cfg(feature = "stream")]
    pub fn stream(mut self, on: bool) -> Self {
        self.stream = on.then(|| self.stream.take().unwrap_or_default());
        self
    }

    #[cfg(feature = "stream")]
    fn publisher(
        mut self,
        f: impl FnOnce(mimir_stream::PublisherBuilder) -> mimir_stream::PublisherBuilder,
    ) -> Self {
        self.stream = Some(f(self.stream.take().unwrap_or_default()));
        self
    }

    /// Keep the last `maxlen` published entries and replay them to clients
    /// that join late, on the snapshot socket (default port 5556). 0, the
    /// default, serves no snapshots. Turns streaming on.
    #[cfg(feature = "stream")]
    pub fn stream_maxlen(self, maxlen: usize) -> Self {
        self.publisher(|p| p.stream_maxlen(maxlen))
    }

    /// The address the stream's sockets bind to (default `127.0.0.1`, this
    /// machine only). `"0.0.0.0"` publishes to every network the machine is
    /// on: anyone who can reach it can read the run. Turns streaming on.
    #[cfg(feature = "stream")]
    pub fn stream_bind(self, address: impl Into<String>) -> Self {
        self.publisher(|p| p.bind_address(address))
    }

    /// The stream's ports: updates (default 5557) and snapshots (default
    /// 5556). Port 0 picks a free port; read it back with
    /// [`Logger::stream`]. Turns streaming on.
    #[cfg(feature = "stream")]
    pub fn stream_ports(self, pub_port: u16, snapshot_port: u16) -> Self {
        self.publisher(|p| p.ports(pub_port, snapshot_port))
    }

    /// Opens the file, binds the stream's sockets, starts the worker and
    /// returns the logger. Fails with the path in the error when the file
    /// cannot be opened or `load` cannot read its log, and with the port
    /// when a stream port is in use.
    pub fn build(self) -> Result<Logger, Error> {
        let mut core = self.core;
        if let Some(path) = self.load {
            // Keep only the tail while reading: the log may be far larger
            // than the ring buffer.
            let mut tail = std::collections::VecDeque::new();
            for entry in crate::read(&path)? {
                let entry = entry?;
                if self.maxlen > 0 {
                    if tail.len() == self.maxlen {
                        tail.pop_front();
                    }
                    tail.push_back(entry);
                }
            }
            core = core.history(tail);
        }
        if let Some(path) = self.filename {
            #[cfg(feature = "gzip")]
            if crate::gzip::is_gz(&path) {
                core = core.sink(crate::gzip::GzFile::open(&path, self.gzip_level)?);
            } else {
                core = core.filename(path);
            }
            #[cfg(not(feature = "gzip"))]
            {
                core = core.filename(path);
            }
        }
        #[cfg(feature = "stream")]
        let stream = match self.stream {
            Some(config) => {
                let publisher = config.build()?;
                let handle = publisher.handle();
                core = core.sink(publisher);
                Some(handle)
            }
            None => None,
        };
        #[cfg(not(feature = "stream"))]
        let stream = None;
        core.build().map(|logger| Logger::new(logger, stream))
    }
}
