//! The [`Sink`] and [`Format`] traits, and [`Printer`], the sink that shows
//! entries to people.

use std::fmt;
use std::io::{self, Write};

use crate::entry::Entry;
use crate::error::{Error, ErrorKind};

/// A destination for entries, driven by the logger's worker thread.
///
/// The worker calls [`write`](Sink::write) for every entry in log order, then
/// [`end_batch`](Sink::end_batch) whenever the channel is momentarily empty
/// or a batch bound (size or time) is reached, [`flush`](Sink::flush) when
/// the user calls `Logger::flush`, and [`close`](Sink::close) once, last.
/// A sink may buffer between `end_batch` calls, but must not hold a partial
/// entry across them.
///
/// An error from any call is reported to the logger's user (from the next
/// `log`, `flush` or `close`); the sink keeps receiving entries, and the
/// other sinks are not affected. Errors should name what failed (the path,
/// the address).
pub trait Sink: Send + 'static {
    /// Receives one entry.
    fn write(&mut self, entry: &Entry) -> Result<(), Error>;

    /// Ends a batch of entries: write out what was buffered. The default does
    /// nothing.
    fn end_batch(&mut self) -> Result<(), Error> {
        Ok(())
    }

    /// Makes everything written so far reach its destination (for a file:
    /// handed to the operating system, or synced when the sink was built to
    /// sync).
    fn flush(&mut self) -> Result<(), Error>;

    /// The last call: flush and release resources. The default flushes.
    fn close(&mut self) -> Result<(), Error> {
        self.flush()
    }
}

/// Turns an entry into text for people, as used by [`Printer`].
///
/// Implemented by `mimir-format`'s `Simple`, `Compact` and `Json`, and by any
/// closure `FnMut(&Entry, &mut dyn Write) -> io::Result<()>`:
///
/// ```
/// use mimir_core::{Entry, Format};
/// use std::io::Write;
///
/// let mut loss_only = |e: &Entry, out: &mut dyn Write| writeln!(out, "loss = {}", e["loss"]);
/// let mut text = Vec::new();
/// loss_only.format(&Entry::new(&serde_json::json!({"loss": 0.5}))?, &mut text)?;
/// assert_eq!(text, b"loss = 0.5\n");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait Format: Send + 'static {
    /// Writes `entry` to `out`, including any trailing newline.
    fn format(&mut self, entry: &Entry, out: &mut dyn Write) -> io::Result<()>;
}

impl<F> Format for F
where
    F: FnMut(&Entry, &mut dyn Write) -> io::Result<()> + Send + 'static,
{
    fn format(&mut self, entry: &Entry, out: &mut dyn Write) -> io::Result<()> {
        self(entry, out)
    }
}

/// A sink that formats each entry with a [`Format`] and writes it to a
/// writer (standard output for the default logger).
///
/// Output is buffered within a batch and flushed at the end of each batch,
/// so that a person watching sees every entry promptly.
pub struct Printer {
    format: Box<dyn Format>,
    out: io::BufWriter<Box<dyn Write + Send>>,
    what: String,
}

impl Printer {
    /// A printer that writes to standard output.
    pub fn stdout(format: impl Format) -> Printer {
        Printer::new(format, io::stdout(), "standard output")
    }

    /// A printer writing to `out`; `what` names it in error messages.
    pub fn new(format: impl Format, out: impl Write + Send + 'static, what: &str) -> Printer {
        Printer {
            format: Box::new(format),
            out: io::BufWriter::new(Box::new(out)),
            what: what.to_owned(),
        }
    }

    fn error(&self, err: io::Error) -> Error {
        Error::new(ErrorKind::Sink, format!("printing to {}: {err}", self.what)).with_source(err)
    }
}

impl Sink for Printer {
    fn write(&mut self, entry: &Entry) -> Result<(), Error> {
        self.format
            .format(entry, &mut self.out)
            .map_err(|e| self.error(e))
    }

    fn end_batch(&mut self) -> Result<(), Error> {
        self.flush()
    }

    fn flush(&mut self) -> Result<(), Error> {
        self.out.flush().map_err(|e| self.error(e))
    }
}

impl fmt::Debug for Printer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Printer").field("to", &self.what).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0
                .lock()
                .map_err(|_| io::Error::other("poisoned"))?
                .write(buf)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn printer_formats_and_flushes_at_batch_end() {
        let out = Shared::default();
        let fmt = |e: &Entry, w: &mut dyn Write| writeln!(w, "{e}");
        let mut p = Printer::new(fmt, out.clone(), "test");
        p.write(&Entry::from_json(r#"{"a":1}"#).unwrap()).unwrap();
        assert!(out.0.lock().unwrap().is_empty(), "buffered within a batch");
        p.end_batch().unwrap();
        assert_eq!(&*out.0.lock().unwrap(), b"{\"a\":1}\n");
    }

    #[test]
    fn printer_errors_name_the_destination() {
        struct Broken;
        impl Write for Broken {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::Error::other("pipe closed"))
            }
            fn flush(&mut self) -> io::Result<()> {
                Err(io::Error::other("pipe closed"))
            }
        }
        let fmt = |e: &Entry, w: &mut dyn Write| writeln!(w, "{e}");
        let mut p = Printer::new(fmt, Broken, "the terminal");
        p.write(&Entry::from_json("{}").unwrap()).unwrap();
        let err = p.flush().unwrap_err();
        assert!(err.to_string().contains("the terminal"), "{err}");
    }
}
