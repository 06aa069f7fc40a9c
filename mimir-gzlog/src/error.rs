//! The crate's one error type.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

/// What kind of failure an [`Error`] is.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// A system call on one of the log's files failed (the disk is full, a
    /// permission is missing, the file system is read-only, ...).
    Io,
    /// The file is not a gzlog file: its first 16 bytes are not the gzlog
    /// header, or it is too short. The file was left untouched.
    NotGzlog,
    /// Another live process (or another handle in this process) holds the
    /// lock, and it was not released within the configured wait.
    Locked,
    /// The file starts like a gzlog file but its extra field or its stored
    /// blocks are inconsistent (offsets past the end of the file, wrong
    /// block lengths, ...). Nothing was written to it.
    Corrupt,
    /// An argument was unusable, for example an empty prefix or a
    /// compression level above 9.
    InvalidInput,
}

/// An error from a gzlog operation, with the path it concerns.
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
    path: PathBuf,
    detail: String,
    source: Option<io::Error>,
}

impl Error {
    /// The kind of failure.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The file the failure concerns (for [`ErrorKind::InvalidInput`], the
    /// prefix as given).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The underlying system error, for [`ErrorKind::Io`].
    pub fn io_error(&self) -> Option<&io::Error> {
        self.source.as_ref()
    }

    pub(crate) fn io(path: &Path, what: &str, err: io::Error) -> Error {
        Error {
            kind: ErrorKind::Io,
            path: path.to_path_buf(),
            detail: what.to_string(),
            source: Some(err),
        }
    }

    pub(crate) fn new(kind: ErrorKind, path: &Path, detail: impl Into<String>) -> Error {
        Error {
            kind,
            path: path.to_path_buf(),
            detail: detail.into(),
            source: None,
        }
    }

    pub(crate) fn corrupt(path: &Path, detail: impl Into<String>) -> Error {
        Error::new(ErrorKind::Corrupt, path, detail)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self.path.display();
        match self.kind {
            ErrorKind::Io => write!(f, "{}: {}", path, self.detail)?,
            ErrorKind::NotGzlog => write!(f, "{}: not a gzlog file ({})", path, self.detail)?,
            ErrorKind::Locked => {
                write!(f, "{}: locked by another process ({})", path, self.detail)?
            }
            ErrorKind::Corrupt => write!(f, "{}: corrupt gzlog state ({})", path, self.detail)?,
            ErrorKind::InvalidInput => write!(f, "{}: {}", path, self.detail)?,
        }
        if let Some(err) = &self.source {
            write!(f, ": {err}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_ref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

impl From<Error> for io::Error {
    fn from(err: Error) -> io::Error {
        let kind = match err.kind {
            ErrorKind::Io => err
                .source
                .as_ref()
                .map_or(io::ErrorKind::Other, io::Error::kind),
            ErrorKind::NotGzlog | ErrorKind::Corrupt => io::ErrorKind::InvalidData,
            ErrorKind::Locked => io::ErrorKind::WouldBlock,
            ErrorKind::InvalidInput => io::ErrorKind::InvalidInput,
        };
        io::Error::new(kind, err)
    }
}

/// Shorthand used throughout the crate.
pub(crate) type Result<T> = std::result::Result<T, Error>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_path_kind_and_cause() {
        let e = Error::io(
            Path::new("/x/log.gz"),
            "cannot write",
            io::Error::from_raw_os_error(28),
        );
        let s = e.to_string();
        assert!(s.starts_with("/x/log.gz: cannot write: "), "{s}");
        assert_eq!(e.kind(), ErrorKind::Io);
        let e = Error::new(ErrorKind::NotGzlog, Path::new("a.gz"), "header differs");
        assert_eq!(e.to_string(), "a.gz: not a gzlog file (header differs)");
        let io: io::Error = e.into();
        assert_eq!(io.kind(), io::ErrorKind::InvalidData);
    }
}
