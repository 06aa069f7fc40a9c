//! The error type of `mimir-stream`.

use std::error::Error as StdError;
use std::fmt;

/// What went wrong; see [`Error::kind`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The port is already used by another socket or process; the message
    /// names the address and the port.
    AddrInUse,
    /// Binding or connecting failed for another reason (unknown host, an
    /// address not on this machine, no permission for a low port).
    Address,
    /// A ZeroMQ call failed (creating a socket, setting an option, sending
    /// or receiving).
    Socket,
    /// A peer sent something that is not the wire protocol: a message with
    /// the wrong number of frames, a sequence number that is not a number,
    /// an entry that is not a JSON object. The message names the sequence
    /// number when there is one.
    Protocol,
    /// No answer within the allowed time (the snapshot did not come).
    Timeout,
    /// The publisher's background thread could not be started or stopped
    /// cleanly.
    Thread,
    /// An option is invalid (for example an empty host name).
    Config,
}

/// The error type of `mimir-stream`: a kind, a message with context (the
/// endpoint, the port, the sequence number) and the cause when there is one.
///
/// Converts into a [`mimir_core::Error`] with `?` or `From`, so that code
/// building a logger can return one error type.
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
    message: String,
    source: Option<Box<dyn StdError + Send + Sync>>,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error {
            kind,
            message: message.into(),
            source: None,
        }
    }

    /// A ZeroMQ failure while doing `what` ("binding tcp://127.0.0.1:5557").
    pub(crate) fn zmq(what: impl fmt::Display, err: zmq::Error) -> Error {
        Error {
            kind: ErrorKind::Socket,
            message: format!("{what}: {err}"),
            source: Some(Box::new(err)),
        }
    }

    pub(crate) fn with_kind(mut self, kind: ErrorKind) -> Error {
        self.kind = kind;
        self
    }

    /// What went wrong.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl StdError for Error {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn StdError + 'static))
    }
}

impl From<Error> for mimir_core::Error {
    /// A configuration problem becomes [`mimir_core::ErrorKind::Config`];
    /// everything else (a port in use, a socket failure) is a failure of
    /// the stream sink, [`mimir_core::ErrorKind::Sink`]. The message is
    /// kept and the original error is the source.
    fn from(err: Error) -> mimir_core::Error {
        let kind = match err.kind {
            ErrorKind::Config => mimir_core::ErrorKind::Config,
            _ => mimir_core::ErrorKind::Sink,
        };
        mimir_core::Error::new(kind, err.message.clone()).with_source(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zmq_errors_keep_context_and_cause() {
        let e = Error::zmq("binding tcp://127.0.0.1:5557", zmq::Error::EADDRINUSE);
        assert_eq!(e.kind(), ErrorKind::Socket);
        assert!(e.to_string().starts_with("binding tcp://127.0.0.1:5557: "));
        assert!(e.source().is_some());
    }

    #[test]
    fn converts_into_a_core_error() {
        let e = Error::new(ErrorKind::AddrInUse, "port 5557 is in use");
        let core: mimir_core::Error = e.into();
        assert_eq!(core.kind(), mimir_core::ErrorKind::Sink);
        assert_eq!(core.to_string(), "port 5557 is in use");
        let e = Error::new(ErrorKind::Config, "empty host");
        assert_eq!(
            mimir_core::Error::from(e).kind(),
            mimir_core::ErrorKind::Config
        );
    }
}
