//! [`Logger`], the handle a program logs through, and its [`LoggerBuilder`].

use std::fmt;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, SendTimeoutError, Sender, TrySendError};
use serde::Serialize;

use crate::entry::Entry;
use crate::error::{Error, ErrorKind};
use crate::jsonl::JsonlFile;
use crate::ring::Ring;
use crate::sink::{Format, Printer, Sink};
use crate::worker::{Bounds, Msg, Shared, Worker};

/// Default capacity of the channel between `log` and the worker, in entries.
pub const DEFAULT_CHANNEL_CAPACITY: usize = 65_536;
/// Default size at which a batch ends although entries keep coming.
pub const DEFAULT_BATCH_BYTES: usize = 1 << 20;
/// Default time after which a batch ends although entries keep coming.
pub const DEFAULT_BATCH_DELAY: Duration = Duration::from_millis(100);
/// Default time `flush` and `close` wait for a stuck sink before giving up.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Name of the worker thread.
pub const DEFAULT_THREAD_NAME: &str = "mimir-worker";

/// Builds a [`Logger`]; see [`Logger::builder`].
///
/// Sinks run in this order: the formatter, the file, then sinks added with
/// [`sink`](LoggerBuilder::sink) in the order they were added.
pub struct LoggerBuilder {
    maxlen: usize,
    filename: Option<PathBuf>,
    sync: bool,
    printer: Option<Printer>,
    sinks: Vec<Box<dyn Sink>>,
    history: Vec<Entry>,
    capacity: usize,
    lossy: bool,
    bounds: Bounds,
    timeout: Duration,
    thread_name: String,
}

impl Default for LoggerBuilder {
    fn default() -> LoggerBuilder {
        LoggerBuilder {
            maxlen: 0,
            filename: None,
            sync: false,
            printer: None,
            sinks: Vec::new(),
            history: Vec::new(),
            capacity: DEFAULT_CHANNEL_CAPACITY,
            lossy: false,
            bounds: Bounds {
                bytes: DEFAULT_BATCH_BYTES,
                delay: DEFAULT_BATCH_DELAY,
            },
            timeout: DEFAULT_TIMEOUT,
            thread_name: DEFAULT_THREAD_NAME.to_owned(),
        }
    }
}

impl LoggerBuilder {
    /// Keep the last `maxlen` entries in memory, readable with
    /// [`Logger::get`]. 0 (the default) keeps nothing; `usize::MAX` keeps
    /// everything.
    pub fn maxlen(mut self, maxlen: usize) -> Self {
        self.maxlen = maxlen;
        self
    }

    /// Append entries to this file as JSON lines. The file is created if
    /// missing and never truncated. `mimir-core` writes plain files only: a
    /// name ending in `.gz` is refused by `build` (the `mimir` crate writes
    /// those with gzlog).
    pub fn filename(mut self, path: impl Into<PathBuf>) -> Self {
        self.filename = Some(path.into());
        self
    }

    /// With `true`, `flush` and `close` also fsync the file, so that what
    /// they flushed survives a power loss. Off by default: data handed to
    /// the operating system already survives a crash of the process.
    pub fn sync(mut self, sync: bool) -> Self {
        self.sync = sync;
        self
    }

    /// Print each entry to standard output with `format`.
    pub fn formatter(mut self, format: impl Format) -> Self {
        self.printer = Some(Printer::stdout(format));
        self
    }

    /// Print each entry with a [`Printer`] of your own (another writer).
    pub fn printer(mut self, printer: Printer) -> Self {
        self.printer = Some(printer);
        self
    }

    /// Print nothing.
    pub fn no_formatter(mut self) -> Self {
        self.printer = None;
        self
    }

    /// Add a sink of your own; it runs on the worker thread.
    pub fn sink(mut self, sink: impl Sink) -> Self {
        self.sinks.push(Box::new(sink));
        self
    }

    /// Entries to put in the ring buffer before the first `log` (the last
    /// `maxlen` are kept), for example those of an earlier run read back
    /// from its file. They are not sent to the sinks.
    pub fn history(mut self, entries: impl IntoIterator<Item = Entry>) -> Self {
        self.history.extend(entries);
        self
    }

    /// How many entries may wait between `log` and the worker (at least 1).
    pub fn channel_capacity(mut self, capacity: usize) -> Self {
        self.capacity = capacity.max(1);
        self
    }

    /// What `log` does when the channel is full: `false` (the default)
    /// waits, losing nothing; `true` drops the entry for the sinks (it still
    /// reaches the ring buffer) and counts it in [`Logger::dropped`]; `close`
    /// warns on standard error when anything was dropped.
    pub fn lossy(mut self, lossy: bool) -> Self {
        self.lossy = lossy;
        self
    }

    /// A batch ends once it holds this many bytes of entries, even if more
    /// are waiting (default [`DEFAULT_BATCH_BYTES`]).
    pub fn batch_bytes(mut self, bytes: usize) -> Self {
        self.bounds.bytes = bytes.max(1);
        self
    }

    /// A batch ends after this long, even if more entries are waiting
    /// (default [`DEFAULT_BATCH_DELAY`]).
    pub fn batch_delay(mut self, delay: Duration) -> Self {
        self.bounds.delay = delay;
        self
    }

    /// How long `flush` and `close` wait for the worker before returning an
    /// error of kind [`ErrorKind::Timeout`] (default [`DEFAULT_TIMEOUT`]).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The name of the worker thread (default [`DEFAULT_THREAD_NAME`]).
    pub fn thread_name(mut self, name: impl Into<String>) -> Self {
        self.thread_name = name.into();
        self
    }

    /// Opens the file, starts the worker thread and returns the logger.
    ///
    /// Fails with the path in the error when the file cannot be opened for
    /// appending (missing directory, no permission), and with
    /// [`ErrorKind::Config`] for a `.gz` name.
    pub fn build(self) -> Result<Logger, Error> {
        let mut sinks: Vec<Option<Box<dyn Sink>>> = Vec::new();
        if let Some(printer) = self.printer {
            sinks.push(Some(Box::new(printer)));
        }
        if let Some(path) = &self.filename {
            sinks.push(Some(Box::new(JsonlFile::open(path, self.sync)?)));
        }
        sinks.extend(self.sinks.into_iter().map(Some));

        let ring = Ring::new(self.maxlen);
        for entry in self.history {
            ring.push(entry);
        }
        let shared = Arc::new(Shared::default());
        let (tx, rx) = crossbeam_channel::bounded(self.capacity);
        let (done_tx, done_rx) = crossbeam_channel::bounded(1);
        let worker = Worker {
            sinks,
            rx,
            shared: Arc::clone(&shared),
            bounds: self.bounds,
        };
        let thread = std::thread::Builder::new()
            .name(self.thread_name.clone())
            .spawn(move || {
                worker.run();
                let _ = done_tx.send(());
            })
            .map_err(|e| {
                Error::new(
                    ErrorKind::Io,
                    format!("starting thread {}: {e}", self.thread_name),
                )
                .with_source(e)
            })?;
        Ok(Logger {
            tx: Some(tx),
            done: done_rx,
            thread: Some(thread),
            ring,
            shared,
            lossy: self.lossy,
            timeout: self.timeout,
        })
    }
}

impl fmt::Debug for LoggerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoggerBuilder")
            .field("maxlen", &self.maxlen)
            .field("filename", &self.filename)
            .field("printer", &self.printer)
            .field("sinks", &self.sinks.len())
            .field("capacity", &self.capacity)
            .field("lossy", &self.lossy)
            .finish_non_exhaustive()
    }
}

/// The handle a program logs through. `Send + Sync`: share it between
/// threads by reference or in an `Arc`; entries from one thread keep their
/// order.
///
/// `log` serializes on the caller's thread, updates the ring buffer and
/// hands the entry to the worker thread, which does all the I/O.
pub struct Logger {
    tx: Option<Sender<Msg>>,
    done: Receiver<()>,
    thread: Option<JoinHandle<()>>,
    ring: Ring,
    shared: Arc<Shared>,
    lossy: bool,
    timeout: Duration,
}

impl Logger {
    /// A builder with the defaults: nothing kept in memory, no file, no
    /// formatter, a lossless channel of [`DEFAULT_CHANNEL_CAPACITY`].
    pub fn builder() -> LoggerBuilder {
        LoggerBuilder::default()
    }

    /// Logs `value`, which must serialize to a JSON object.
    ///
    /// Costs one serialization and one channel send; blocks only when the
    /// channel is full and the logger is not lossy. An `Err` means this
    /// entry was not logged: the value is not an object
    /// ([`ErrorKind::NotAnObject`]), its `Serialize` failed, the worker is
    /// gone, or a sink failed since the last report (the error names it;
    /// that sink still gets later entries). The logger keeps working.
    pub fn log<T: Serialize + ?Sized>(&self, value: &T) -> Result<(), Error> {
        self.shared.take()?;
        self.send(Entry::new(value)?)
    }

    /// Logs an entry that is already serialized (for example one read back
    /// from a file). Same guarantees as [`log`](Logger::log).
    pub fn log_entry(&self, entry: Entry) -> Result<(), Error> {
        self.shared.take()?;
        self.send(entry)
    }

    fn send(&self, entry: Entry) -> Result<(), Error> {
        if self.ring.maxlen() > 0 {
            self.ring.push(entry.clone());
        }
        let tx = self.tx.as_ref().ok_or_else(closed)?;
        if self.lossy {
            match tx.try_send(Msg::Entry(entry)) {
                Ok(()) => Ok(()),
                Err(TrySendError::Full(_)) => {
                    self.shared.dropped.fetch_add(1, Ordering::Relaxed);
                    Ok(())
                }
                Err(TrySendError::Disconnected(_)) => Err(closed()),
            }
        } else {
            tx.send(Msg::Entry(entry)).map_err(|_| closed())
        }
    }

    /// The entry at `index` in the ring buffer, Python style: 0 is the
    /// oldest kept, -1 the newest. `None` when out of range. Cheap (an
    /// `Arc` clone under a short lock).
    pub fn get(&self, index: isize) -> Option<Entry> {
        self.ring.get(index)
    }

    /// How many entries the ring buffer holds.
    pub fn len(&self) -> usize {
        self.ring.len()
    }

    /// Whether the ring buffer is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The entries of the ring buffer, oldest first, as they were when
    /// called (a copy of the buffer's handles: O(len), no entry is copied).
    pub fn iter(&self) -> impl Iterator<Item = Entry> {
        self.ring.snapshot().into_iter()
    }

    /// How many entries a lossy logger dropped because the channel was full.
    pub fn dropped(&self) -> u64 {
        self.shared.dropped.load(Ordering::Relaxed)
    }

    /// Returns once every entry logged before the call has reached every
    /// sink (file data handed to the OS; fsync'd with `sync(true)`), with
    /// the first sink error since the last report. Waits at most the
    /// builder's `timeout` for a stuck sink.
    pub fn flush(&self) -> Result<(), Error> {
        let tx = self.tx.as_ref().ok_or_else(closed)?;
        let deadline = Instant::now() + self.timeout;
        let (ack_tx, ack_rx) = crossbeam_channel::bounded(1);
        match tx.send_timeout(Msg::Flush(ack_tx), self.timeout) {
            Ok(()) => {}
            Err(SendTimeoutError::Timeout(_)) => return Err(self.timed_out("flush")),
            Err(SendTimeoutError::Disconnected(_)) => return Err(closed()),
        }
        match ack_rx.recv_deadline(deadline) {
            Ok(()) => self.shared.take(),
            Err(crossbeam_channel::RecvTimeoutError::Timeout) => Err(self.timed_out("flush")),
            Err(crossbeam_channel::RecvTimeoutError::Disconnected) => Err(closed()),
        }
    }

    /// Flushes, stops the worker and closes every sink; returns the first
    /// sink error. Waits at most the builder's `timeout` for a stuck sink;
    /// if it expires, the worker thread is left to finish on its own and an
    /// error of kind [`ErrorKind::Timeout`] is returned. Warns on standard
    /// error when a lossy logger dropped entries.
    pub fn close(mut self) -> Result<(), Error> {
        self.shutdown()
    }

    fn shutdown(&mut self) -> Result<(), Error> {
        let Some(tx) = self.tx.take() else {
            return Ok(());
        };
        // Dropping the last sender lets the worker drain the channel, close
        // the sinks and exit.
        drop(tx);
        let waited = self.done.recv_timeout(self.timeout);
        let dropped = self.dropped();
        if dropped > 0 {
            eprintln!("mimir: {dropped} entries dropped because the channel was full (lossy mode)");
        }
        match waited {
            Ok(()) | Err(crossbeam_channel::RecvTimeoutError::Disconnected) => {
                if let Some(thread) = self.thread.take() {
                    if thread.join().is_err() {
                        self.shared
                            .report(Error::new(ErrorKind::Closed, "the worker thread panicked"));
                    }
                }
                self.shared.take()
            }
            Err(crossbeam_channel::RecvTimeoutError::Timeout) => {
                // Detach: joining would hang on the stuck sink.
                self.thread.take();
                Err(self.timed_out("close"))
            }
        }
    }

    fn timed_out(&self, what: &str) -> Error {
        Error::new(
            ErrorKind::Timeout,
            format!("{what} gave up after {:?}: a sink is stuck", self.timeout),
        )
    }
}

fn closed() -> Error {
    Error::new(ErrorKind::Closed, "the logger's worker thread is gone")
}

impl Drop for Logger {
    /// Closes the logger as [`close`](Logger::close) does; an error is
    /// printed to standard error, as it cannot be returned.
    fn drop(&mut self) {
        if let Err(err) = self.shutdown() {
            eprintln!("mimir: error while closing the logger: {err}");
        }
    }
}

impl fmt::Debug for Logger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Logger")
            .field("len", &self.len())
            .field("maxlen", &self.ring.maxlen())
            .field("lossy", &self.lossy)
            .field("dropped", &self.dropped())
            .field("open", &self.tx.is_some())
            .finish()
    }
}

#[allow(dead_code)]
fn _assert_send_sync() {
    fn assert<T: Send + Sync>() {}
    assert::<Logger>();
    assert::<Entry>();
}
