//! The background worker: one named thread per logger that feeds every sink.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, TryRecvError};

use crate::entry::Entry;
use crate::error::{Error, ErrorKind};
use crate::sink::Sink;

/// The worker's first sleep when it finds the channel empty; each further
/// sleep doubles, up to [`LONGEST_POLL`].
const FIRST_POLL: Duration = Duration::from_micros(25);
/// The longest sleep between polls: it bounds the latency polling adds.
const LONGEST_POLL: Duration = Duration::from_micros(200);
/// After sleeping this long in all without a message, the worker blocks.
const ACTIVE_WINDOW: Duration = Duration::from_millis(2);

/// What the caller side sends to the worker.
pub(crate) enum Msg {
    Entry(Entry),
    /// Flush every sink, then answer on the channel.
    Flush(Sender<()>),
}

/// State shared by the logger handle and its worker.
#[derive(Debug, Default)]
pub(crate) struct Shared {
    /// Set while `error` holds something, so `log` can check with one load.
    failed: AtomicBool,
    error: Mutex<Option<Error>>,
    pub(crate) dropped: AtomicU64,
}

impl Shared {
    /// Keeps the first unreported error and counts the ones after it.
    pub(crate) fn report(&self, err: Error) {
        let mut slot = self.error.lock().unwrap_or_else(|p| p.into_inner());
        match slot.as_mut() {
            Some(first) => first.count_further(),
            None => *slot = Some(err),
        }
        self.failed.store(true, Ordering::Release);
    }

    /// The pending sink error, if any; reporting it clears it.
    pub(crate) fn take(&self) -> Result<(), Error> {
        if !self.failed.load(Ordering::Acquire) {
            return Ok(());
        }
        let mut slot = self.error.lock().unwrap_or_else(|p| p.into_inner());
        self.failed.store(false, Ordering::Release);
        slot.take().map_or(Ok(()), Err)
    }
}

/// When a batch ends even though entries keep coming.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Bounds {
    pub(crate) bytes: usize,
    pub(crate) delay: Duration,
}

pub(crate) struct Worker {
    pub(crate) sinks: Vec<Option<Box<dyn Sink>>>,
    pub(crate) rx: Receiver<Msg>,
    pub(crate) shared: std::sync::Arc<Shared>,
    pub(crate) bounds: Bounds,
}

impl Worker {
    /// Runs until every sender is gone, then closes the sinks.
    pub(crate) fn run(mut self) {
        let mut busy = false;
        while let Some(first) = self.next_message(busy) {
            let started = Instant::now();
            let mut bytes = 0;
            let mut count = 0u32;
            let mut next = Some(first);
            while let Some(msg) = next {
                match msg {
                    Msg::Entry(entry) => {
                        bytes += entry.len() + 1;
                        self.each(|sink| sink.write(&entry));
                    }
                    Msg::Flush(ack) => {
                        self.each(|sink| sink.end_batch());
                        self.each(|sink| sink.flush());
                        // The flusher may have given up waiting; nothing to do then.
                        let _ = ack.send(());
                    }
                }
                count = count.wrapping_add(1);
                // Reading the clock costs more than a channel receive: look at
                // it every 64 entries only.
                if bytes >= self.bounds.bytes
                    || (count % 64 == 0 && started.elapsed() >= self.bounds.delay)
                {
                    break;
                }
                next = self.rx.try_recv().ok();
            }
            self.each(|sink| sink.end_batch());
            busy = count > 1;
        }
        self.each(|sink| sink.close());
    }

    /// Waits for the next message; `None` once every sender is gone.
    ///
    /// A worker blocked in `recv` must be woken by the next `send`, a system
    /// call that multiplies the caller's cost under sustained logging. So
    /// after a batch of several entries (`busy`) the worker polls with
    /// short, growing sleeps (which also let entries gather into batches),
    /// and blocks only after [`ACTIVE_WINDOW`] without any. After a batch of
    /// one entry it blocks at once: at that rate a wake-up costs little and
    /// polling would only add latency.
    fn next_message(&self, busy: bool) -> Option<Msg> {
        if !busy {
            return self.rx.recv().ok();
        }
        let mut slept = Duration::ZERO;
        let mut nap = FIRST_POLL;
        loop {
            match self.rx.try_recv() {
                Ok(msg) => return Some(msg),
                Err(TryRecvError::Disconnected) => return None,
                Err(TryRecvError::Empty) if slept < ACTIVE_WINDOW => {
                    std::thread::sleep(nap);
                    slept += nap;
                    nap = (nap * 2).min(LONGEST_POLL);
                }
                Err(TryRecvError::Empty) => return self.rx.recv().ok(),
            }
        }
    }

    /// Calls `f` on every live sink. A sink that panics is reported and
    /// dropped, so that one broken sink cannot take the others down.
    fn each(&mut self, mut f: impl FnMut(&mut dyn Sink) -> Result<(), Error>) {
        for (index, slot) in self.sinks.iter_mut().enumerate() {
            let Some(sink) = slot.as_deref_mut() else {
                continue;
            };
            match catch_unwind(AssertUnwindSafe(|| f(sink))) {
                Ok(Ok(())) => {}
                Ok(Err(err)) => self.shared.report(err),
                Err(_) => {
                    *slot = None;
                    self.shared.report(Error::new(
                        ErrorKind::Sink,
                        format!(
                            "sink #{index} panicked and was removed; it receives no more entries"
                        ),
                    ));
                }
            }
        }
    }
}
