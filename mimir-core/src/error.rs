//! The error type of `mimir-core`.

use std::error::Error as StdError;
use std::fmt;
use std::path::{Path, PathBuf};

/// What went wrong; see [`Error::kind`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The value given to `log` did not serialize to a JSON object (an
    /// array, a number, a string, a map with non-string keys...). Nothing
    /// was logged.
    NotAnObject,
    /// The value's `Serialize` implementation failed. Nothing was logged.
    Serialize,
    /// Reading or writing a file failed; [`Error::path`] names it.
    Io,
    /// A line of a log file is not a JSON object (the message names the file
    /// and the line number), or a log file is not in a format Mímir reads.
    Malformed,
    /// Another live process holds the lock of a log file.
    Locked,
    /// A sink failed on the worker thread (a network socket, a custom sink).
    Sink,
    /// The logger's worker thread is gone (it panicked or was closed).
    Closed,
    /// The worker did not answer within the logger's timeout: a sink is stuck.
    Timeout,
    /// A builder option is invalid (for example an unsupported file name).
    Config,
}

/// The error type of `mimir-core`: a kind, a message with context (the
/// path, the line), and the underlying cause when there is one.
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
    message: String,
    path: Option<PathBuf>,
    source: Option<Box<dyn StdError + Send + Sync>>,
    also: u64,
}

impl Error {
    /// A new error of `kind` with a message for people.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error {
            kind,
            message: message.into(),
            path: None,
            source: None,
            also: 0,
        }
    }

    /// An I/O error on `path`; `action` says what was being done ("opening",
    /// "writing"...). The message names the path.
    pub fn io(action: &str, path: &Path, err: std::io::Error) -> Error {
        Error {
            kind: ErrorKind::Io,
            message: format!("{action} {}: {err}", path.display()),
            path: Some(path.to_path_buf()),
            source: Some(Box::new(err)),
            also: 0,
        }
    }

    /// A sink failure with its cause. `what` says which sink failed and
    /// where (for example "publishing on tcp://127.0.0.1:5557").
    pub fn sink(what: impl Into<String>, cause: impl StdError + Send + Sync + 'static) -> Error {
        let what = what.into();
        Error {
            kind: ErrorKind::Sink,
            message: format!("{what}: {cause}"),
            path: None,
            source: Some(Box::new(cause)),
            also: 0,
        }
    }

    /// Attaches the underlying cause.
    pub fn with_source(mut self, source: impl StdError + Send + Sync + 'static) -> Error {
        self.source = Some(Box::new(source));
        self
    }

    /// Attaches the path the error is about.
    pub fn with_path(mut self, path: impl Into<PathBuf>) -> Error {
        self.path = Some(path.into());
        self
    }

    /// What went wrong.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The file the error is about, if any.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// How many further sink errors happened after this one before it was
    /// reported (they are counted, not kept).
    pub fn further_errors(&self) -> u64 {
        self.also
    }

    pub(crate) fn count_further(&mut self) {
        self.also += 1;
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if self.also > 0 {
            write!(f, " (and {} further sink errors)", self.also)?;
        }
        Ok(())
    }
}

impl StdError for Error {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn StdError + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_error_names_the_path() {
        let e = Error::io(
            "writing",
            Path::new("/tmp/x/log.jsonl"),
            std::io::Error::other("disk full"),
        );
        assert_eq!(e.kind(), ErrorKind::Io);
        assert_eq!(e.to_string(), "writing /tmp/x/log.jsonl: disk full");
        assert_eq!(e.path(), Some(Path::new("/tmp/x/log.jsonl")));
        assert!(e.source().is_some());
    }

    #[test]
    fn further_errors_are_counted_in_the_message() {
        let mut e = Error::new(ErrorKind::Sink, "boom");
        e.count_further();
        e.count_further();
        assert_eq!(e.further_errors(), 2);
        assert_eq!(e.to_string(), "boom (and 2 further sink errors)");
    }
}
