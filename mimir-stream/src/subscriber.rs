//! [`Subscriber`], the client that follows a publisher: optionally the
//! snapshot first, then live entries, each exactly once and in order, gaps
//! reported.

use std::collections::VecDeque;
use std::fmt;
use std::time::{Duration, Instant};

use mimir_core::Entry;
use serde_json::value::RawValue;

use crate::error::{Error, ErrorKind};
use crate::publisher::{DEFAULT_PUB_PORT, DEFAULT_SNAPSHOT_PORT};
use crate::wire::{decode_sequence, Sequence, SNAPSHOT_REQUEST};

/// Default number of entries the subscriber's socket queues before ZeroMQ
/// stops reading from the network (and the publisher starts dropping for
/// this subscriber). libzmq's default, 1000, is far too small for a burst.
pub const DEFAULT_RECV_HWM: usize = 100_000;
/// Default time to wait for each message of a snapshot.
pub const DEFAULT_SNAPSHOT_TIMEOUT: Duration = Duration::from_secs(2);
/// Default longest time a subscriber with history waits, before asking for
/// the snapshot, for a first live entry to show that its subscription is
/// in effect. It only waits that long when nothing is being logged.
pub const DEFAULT_JOIN_WAIT: Duration = Duration::from_millis(100);

/// What a [`Subscriber`] yields.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Item {
    /// One entry, with its sequence number. Sequence numbers only grow.
    Entry {
        /// The publisher's sequence number of the entry (1 for the first).
        sequence: u64,
        /// The entry, checked to be a JSON object.
        entry: Entry,
    },
    /// Entries `first..=last` were lost: ZeroMQ dropped them because this
    /// subscriber fell behind, or they were published before it joined and
    /// are no longer in the publisher's snapshot. The next item continues
    /// at `last + 1`.
    Gap {
        /// The first sequence number missing.
        first: u64,
        /// The last sequence number missing.
        last: u64,
    },
}

impl Item {
    /// The entry, when this item is one.
    pub fn entry(&self) -> Option<&Entry> {
        match self {
            Item::Entry { entry, .. } => Some(entry),
            Item::Gap { .. } => None,
        }
    }

    /// The entry's sequence number; for a gap, its last missing number.
    pub fn sequence(&self) -> u64 {
        match self {
            Item::Entry { sequence, .. } => *sequence,
            Item::Gap { last, .. } => *last,
        }
    }
}

/// Connects a [`Subscriber`]; see [`Subscriber::builder`].
#[derive(Clone, Debug)]
pub struct SubscriberBuilder {
    host: String,
    pub_port: u16,
    snapshot_port: u16,
    history: bool,
    recv_hwm: usize,
    snapshot_timeout: Duration,
    join_wait: Duration,
}

impl SubscriberBuilder {
    /// The port of the publisher's update socket (default
    /// [`DEFAULT_PUB_PORT`]).
    pub fn pub_port(mut self, port: u16) -> Self {
        self.pub_port = port;
        self
    }

    /// The port of the publisher's snapshot socket (default
    /// [`DEFAULT_SNAPSHOT_PORT`]); used with [`history`](Self::history).
    pub fn snapshot_port(mut self, port: u16) -> Self {
        self.snapshot_port = port;
        self
    }

    /// Both ports at once: updates, then snapshots.
    pub fn ports(self, pub_port: u16, snapshot_port: u16) -> Self {
        self.pub_port(pub_port).snapshot_port(snapshot_port)
    }

    /// With `true`, start with the entries the publisher kept (it must run
    /// with `stream_maxlen > 0`), then go on with live entries, none twice
    /// and none missing. With `false` (the default), live entries only,
    /// from whenever the subscription takes effect.
    pub fn history(mut self, history: bool) -> Self {
        self.history = history;
        self
    }

    /// How many entries may wait in this subscriber's socket (default
    /// [`DEFAULT_RECV_HWM`], at least 1).
    pub fn recv_hwm(mut self, hwm: usize) -> Self {
        self.recv_hwm = hwm.max(1);
        self
    }

    /// How long to wait for each message of a snapshot before giving up
    /// (default [`DEFAULT_SNAPSHOT_TIMEOUT`]).
    pub fn snapshot_timeout(mut self, timeout: Duration) -> Self {
        self.snapshot_timeout = timeout;
        self
    }

    /// With history: how long to wait, at most, for a first live entry
    /// before asking for the snapshot (default [`DEFAULT_JOIN_WAIT`]).
    /// ZeroMQ applies a subscription a little after connecting; entries
    /// published in between are fetched again from a second snapshot, which
    /// waiting makes rarely necessary. `Duration::ZERO` does not wait.
    pub fn join_wait(mut self, wait: Duration) -> Self {
        self.join_wait = wait;
        self
    }

    /// Connects and subscribes to every entry; with history, then fetches
    /// the snapshot (waiting up to the snapshot timeout for each of its
    /// messages). Connecting does not wait for the publisher to be there:
    /// ZeroMQ connects in the background and retries.
    ///
    /// Fails with [`ErrorKind::Config`] for an empty host,
    /// [`ErrorKind::Address`] for an address ZeroMQ cannot use, and, with
    /// history, [`ErrorKind::Timeout`] when no snapshot comes (no publisher,
    /// or one without `stream_maxlen`) or [`ErrorKind::Protocol`] when it
    /// is malformed.
    pub fn connect(self) -> Result<Subscriber, Error> {
        if self.host.is_empty() {
            return Err(Error::new(
                ErrorKind::Config,
                "the host to connect to is empty",
            ));
        }
        let (host, ipv6) = if self.host.contains(':') && !self.host.starts_with('[') {
            (format!("[{}]", self.host), true)
        } else {
            let ipv6 = self.host.starts_with('[');
            (self.host.clone(), ipv6)
        };
        let pub_endpoint = format!("tcp://{host}:{}", self.pub_port);
        let snapshot_endpoint = format!("tcp://{host}:{}", self.snapshot_port);
        let context = zmq::Context::new();
        let socket = context
            .socket(zmq::SUB)
            .map_err(|e| Error::zmq("creating the SUB socket", e))?;
        let hwm = i32::try_from(self.recv_hwm).unwrap_or(i32::MAX);
        socket
            .set_rcvhwm(hwm)
            .and_then(|()| socket.set_linger(0))
            .and_then(|()| socket.set_ipv6(ipv6))
            .and_then(|()| socket.set_subscribe(b""))
            .map_err(|e| Error::zmq("configuring the SUB socket", e))?;
        socket.connect(&pub_endpoint).map_err(|e| {
            Error::zmq(format!("connecting to {pub_endpoint}"), e).with_kind(ErrorKind::Address)
        })?;
        let mut subscriber = Subscriber {
            socket,
            pub_endpoint,
            snapshot_endpoint,
            history: self.history,
            ipv6,
            snapshot_timeout: self.snapshot_timeout,
            pending: VecDeque::new(),
            last: None,
            missed: 0,
            seq_frame: zmq::Message::new(),
            body_frame: zmq::Message::new(),
            context,
        };
        if self.history {
            // Subscribed first, snapshot second: whatever is published after
            // the snapshot is in the live stream (or is seen as a gap and
            // repaired from a second snapshot). A queued live entry proves
            // the subscription is in effect; it stays queued for later.
            let wait_ms = i64::try_from(self.join_wait.as_millis()).unwrap_or(i64::MAX);
            match subscriber.socket.poll(zmq::POLLIN, wait_ms) {
                Ok(_) | Err(zmq::Error::EINTR) => {}
                Err(e) => {
                    return Err(Error::zmq(
                        format!("waiting on {}", subscriber.pub_endpoint),
                        e,
                    ))
                }
            }
            let snapshot = subscriber.take_snapshot()?;
            subscriber.last = Some(snapshot.last().map_or(0, |(seq, _)| *seq));
            subscriber.pending.extend(
                snapshot
                    .into_iter()
                    .map(|(sequence, entry)| Item::Entry { sequence, entry }),
            );
        }
        Ok(subscriber)
    }
}

/// Follows a [`Publisher`](crate::Publisher) (or the original Python
/// Mímir's server): yields [`Item`]s, entries in sequence order, each once,
/// and [`Item::Gap`] where entries were lost.
///
/// With history, a gap is first repaired from a fresh snapshot; only what
/// the publisher no longer keeps is reported. Without history, the first
/// entry received starts the sequence.
///
/// Receive with [`recv_timeout`](Subscriber::recv_timeout) (returns `None`
/// on timeout, so that a command-line loop can check for Ctrl-C), or
/// iterate: the iterator blocks until the next item. Each entry is parsed
/// once, on the receiving thread.
///
/// ```no_run
/// use mimir_stream::{Item, Subscriber};
/// use std::time::Duration;
///
/// let mut subscriber = Subscriber::builder("127.0.0.1").history(true).connect()?;
/// while let Some(item) = subscriber.recv_timeout(Duration::from_millis(100))? {
///     if let Item::Entry { sequence, entry } = item {
///         println!("{sequence}: {entry}");
///     }
/// }
/// # Ok::<(), mimir_stream::Error>(())
/// ```
pub struct Subscriber {
    socket: zmq::Socket,
    pub_endpoint: String,
    snapshot_endpoint: String,
    history: bool,
    ipv6: bool,
    snapshot_timeout: Duration,
    pending: VecDeque<Item>,
    /// The last sequence number yielded (or queued in `pending`).
    last: Option<u64>,
    missed: u64,
    seq_frame: zmq::Message,
    body_frame: zmq::Message,
    // Dropped last: terminating the context needs every socket closed.
    context: zmq::Context,
}

impl Subscriber {
    /// A builder for a subscriber to the publisher on `host` (a name or an
    /// address, `"127.0.0.1"`, `"::1"`), with the default ports and no
    /// history.
    pub fn builder(host: impl Into<String>) -> SubscriberBuilder {
        SubscriberBuilder {
            host: host.into(),
            pub_port: DEFAULT_PUB_PORT,
            snapshot_port: DEFAULT_SNAPSHOT_PORT,
            history: false,
            recv_hwm: DEFAULT_RECV_HWM,
            snapshot_timeout: DEFAULT_SNAPSHOT_TIMEOUT,
            join_wait: DEFAULT_JOIN_WAIT,
        }
    }

    /// Connects to `host` on the default ports, live entries only; same as
    /// `Subscriber::builder(host).connect()`.
    pub fn connect(host: impl Into<String>) -> Result<Subscriber, Error> {
        Subscriber::builder(host).connect()
    }

    /// The next item, waiting at most `timeout` (`Duration::ZERO`: only
    /// what has already arrived). `Ok(None)` when nothing came in time or
    /// the wait was interrupted by a signal.
    ///
    /// Repairing a gap from a snapshot may take up to the snapshot timeout
    /// on top. An `Err` is about one message (malformed, naming its
    /// sequence number) or the socket; the subscriber stays usable.
    pub fn recv_timeout(&mut self, timeout: Duration) -> Result<Option<Item>, Error> {
        self.next_item(Some(Instant::now() + timeout))
    }

    /// The next item, waiting as long as it takes.
    pub fn recv(&mut self) -> Result<Item, Error> {
        loop {
            if let Some(item) = self.next_item(None)? {
                return Ok(item);
            }
        }
    }

    /// The sequence number of the last entry yielded or queued to be
    /// yielded (with history, the snapshot's last entry right after
    /// connecting; 0 for an empty snapshot). `None` before any.
    pub fn last_sequence(&self) -> Option<u64> {
        self.last
    }

    /// How many entries were reported lost in [`Item::Gap`]s so far.
    pub fn missed(&self) -> u64 {
        self.missed
    }

    /// The update endpoint this subscriber is connected to.
    pub fn pub_endpoint(&self) -> &str {
        &self.pub_endpoint
    }

    fn next_item(&mut self, deadline: Option<Instant>) -> Result<Option<Item>, Error> {
        loop {
            if let Some(item) = self.pending.pop_front() {
                return Ok(Some(item));
            }
            // Receive first and wait only when nothing is queued: a poll
            // per message would cost a system call each.
            let Some(seq) = self.receive()? else {
                if !self.wait(deadline)? {
                    return Ok(None);
                }
                continue;
            };
            let expected = self.last.map_or(seq, |last| last + 1);
            if seq < expected {
                // Already yielded from the snapshot.
                continue;
            }
            let entry = self.parse_body(seq)?;
            if seq == expected {
                self.last = Some(seq);
                return Ok(Some(Item::Entry {
                    sequence: seq,
                    entry,
                }));
            }
            self.fill_gap(expected, seq, entry);
        }
    }

    /// Waits for a message until `deadline`; `false` on timeout or signal.
    fn wait(&self, deadline: Option<Instant>) -> Result<bool, Error> {
        let timeout_ms = match deadline {
            None => -1,
            Some(at) => {
                let left = at.saturating_duration_since(Instant::now());
                // Round up, so that a 0.5 ms wait does not become a busy loop.
                i64::try_from(left.as_micros().div_ceil(1000)).unwrap_or(i64::MAX)
            }
        };
        match self.socket.poll(zmq::POLLIN, timeout_ms) {
            Ok(n) => Ok(n > 0),
            Err(zmq::Error::EINTR) => Ok(false),
            Err(e) => Err(Error::zmq(format!("waiting on {}", self.pub_endpoint), e)),
        }
    }

    /// Receives one two-frame update, if one is queued, into the frame
    /// buffers; returns its sequence number. Never blocks.
    fn receive(&mut self) -> Result<Option<u64>, Error> {
        let what = || format!("receiving from {}", self.pub_endpoint);
        match self.socket.recv(&mut self.seq_frame, zmq::DONTWAIT) {
            Ok(()) => {}
            Err(zmq::Error::EAGAIN) | Err(zmq::Error::EINTR) => return Ok(None),
            Err(e) => return Err(Error::zmq(what(), e)),
        }
        let two_frames = self.seq_frame.get_more()
            && self
                .socket
                .recv(&mut self.body_frame, zmq::DONTWAIT)
                .is_ok()
            && !self.body_frame.get_more();
        if !two_frames {
            // Discard the rest of a message with too many frames.
            while self.socket.get_rcvmore().unwrap_or(false) {
                if self
                    .socket
                    .recv(&mut self.body_frame, zmq::DONTWAIT)
                    .is_err()
                {
                    break;
                }
            }
            return Err(Error::new(
                ErrorKind::Protocol,
                format!(
                    "{}: an update must have two frames (sequence, entry)",
                    what()
                ),
            ));
        }
        match decode_sequence(&self.seq_frame) {
            Ok(Sequence::Entry(seq)) => Ok(Some(seq)),
            Ok(Sequence::End) => Err(Error::new(
                ErrorKind::Protocol,
                format!("{}: sequence -1 on the update socket", what()),
            )),
            Err(e) => Err(Error::new(ErrorKind::Protocol, format!("{}: {e}", what()))),
        }
    }

    fn parse_body(&self, seq: u64) -> Result<Entry, Error> {
        parse_entry(&self.body_frame, seq, &self.pub_endpoint)
    }

    /// Entries `expected..seq` did not arrive; `entry` is number `seq`.
    /// Queues what a fresh snapshot still has, gaps for the rest, then the
    /// entries after.
    fn fill_gap(&mut self, expected: u64, seq: u64, entry: Entry) {
        let mut next = expected;
        // Taken after `seq` was received, so it holds `seq` and more when
        // the publisher keeps enough. When no snapshot can be had (the
        // publisher has closed), the whole gap is reported.
        let snapshot = if self.history {
            self.take_snapshot().unwrap_or_default()
        } else {
            Vec::new()
        };
        let later = std::iter::once((seq, entry));
        for (sequence, entry) in snapshot.into_iter().chain(later) {
            if sequence < next {
                continue;
            }
            if sequence > next {
                self.missed += sequence - next;
                self.pending.push_back(Item::Gap {
                    first: next,
                    last: sequence - 1,
                });
            }
            self.pending.push_back(Item::Entry { sequence, entry });
            next = sequence + 1;
        }
        self.last = Some(next - 1);
    }

    /// Asks for a snapshot on a fresh DEALER socket (so that no reply of an
    /// earlier, abandoned request can mix in) and reads it to the end.
    fn take_snapshot(&self) -> Result<Vec<(u64, Entry)>, Error> {
        let endpoint = &self.snapshot_endpoint;
        let dealer = self
            .context
            .socket(zmq::DEALER)
            .map_err(|e| Error::zmq("creating the snapshot DEALER socket", e))?;
        dealer
            .set_linger(0)
            .and_then(|()| dealer.set_ipv6(self.ipv6))
            .and_then(|()| dealer.set_rcvhwm(0))
            .map_err(|e| Error::zmq("configuring the snapshot socket", e))?;
        dealer.connect(endpoint).map_err(|e| {
            Error::zmq(format!("connecting to {endpoint}"), e).with_kind(ErrorKind::Address)
        })?;
        dealer
            .send(SNAPSHOT_REQUEST, 0)
            .map_err(|e| Error::zmq(format!("requesting a snapshot from {endpoint}"), e))?;
        let timeout_ms = i64::try_from(self.snapshot_timeout.as_millis()).unwrap_or(i64::MAX);
        let mut entries = Vec::new();
        loop {
            let ready = dealer
                .poll(zmq::POLLIN, timeout_ms)
                .map_err(|e| Error::zmq(format!("waiting for the snapshot from {endpoint}"), e))?;
            if ready == 0 {
                return Err(Error::new(
                    ErrorKind::Timeout,
                    format!(
                        "no snapshot from {endpoint} within {:?} after {} entries \
                         (is the publisher running, with stream_maxlen > 0?)",
                        self.snapshot_timeout,
                        entries.len()
                    ),
                ));
            }
            let frames = dealer
                .recv_multipart(0)
                .map_err(|e| Error::zmq(format!("receiving the snapshot from {endpoint}"), e))?;
            let [seq, body] = frames.as_slice() else {
                return Err(Error::new(
                    ErrorKind::Protocol,
                    format!(
                        "snapshot from {endpoint}: a message has {} frames, expected 2",
                        frames.len()
                    ),
                ));
            };
            let seq = decode_sequence(seq).map_err(|e| {
                Error::new(
                    ErrorKind::Protocol,
                    format!("snapshot from {endpoint}: {e}"),
                )
            })?;
            match seq {
                Sequence::End => return Ok(entries),
                Sequence::Entry(seq) => entries.push((seq, parse_entry(body, seq, endpoint)?)),
            }
        }
    }
}

fn parse_entry(body: &[u8], seq: u64, endpoint: &str) -> Result<Entry, Error> {
    let invalid = |why: String| {
        Error::new(
            ErrorKind::Protocol,
            format!("entry {seq} from {endpoint}: {why}"),
        )
    };
    // Checking the syntax without building a `Value` is several times
    // cheaper than parsing; `Entry::new` then refuses anything but an
    // object, and the `Value` is built only if the caller indexes the entry.
    let raw: &RawValue =
        serde_json::from_slice(body).map_err(|e| invalid(format!("invalid JSON: {e}")))?;
    Entry::new(raw).map_err(|e| invalid(e.to_string()))
}

impl Iterator for Subscriber {
    type Item = Result<Item, Error>;

    /// Blocks until the next item; never returns `None`.
    fn next(&mut self) -> Option<Self::Item> {
        Some(self.recv())
    }
}

impl fmt::Debug for Subscriber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Subscriber")
            .field("pub_endpoint", &self.pub_endpoint)
            .field("history", &self.history)
            .field("last", &self.last)
            .field("missed", &self.missed)
            .finish_non_exhaustive()
    }
}

#[allow(dead_code)]
fn _assert_send() {
    fn send<T: Send>() {}
    send::<Subscriber>();
    send::<Item>();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_host_is_a_config_error() {
        let err = Subscriber::connect("").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config);
    }

    #[test]
    fn history_without_a_publisher_times_out_naming_the_endpoint() {
        // A port nobody listens on: bind one and let it go.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let err = Subscriber::builder("127.0.0.1")
            .ports(port, port)
            .history(true)
            .snapshot_timeout(Duration::from_millis(50))
            .connect()
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Timeout);
        assert!(
            err.to_string().contains(&format!("127.0.0.1:{port}")),
            "{err}"
        );
    }

    #[test]
    fn recv_timeout_returns_none_when_idle() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut s = Subscriber::builder("127.0.0.1")
            .pub_port(port)
            .connect()
            .unwrap();
        let started = Instant::now();
        assert_eq!(s.recv_timeout(Duration::from_millis(20)).unwrap(), None);
        assert!(started.elapsed() >= Duration::from_millis(20));
        assert_eq!(s.recv_timeout(Duration::ZERO).unwrap(), None);
    }
}
