//! [`Publisher`], the sink that streams entries, its [`PublisherBuilder`]
//! and the [`PublisherHandle`] that stays readable once the publisher has
//! moved into a logger.

use std::collections::VecDeque;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use mimir_core::{Entry, Sink};

use crate::error::{Error, ErrorKind};
use crate::snapshot::{self, SnapshotServer};
use crate::wire::encode_sequence;

/// Default address the sockets bind to: this machine only.
pub const DEFAULT_BIND_ADDRESS: &str = "127.0.0.1";
/// Default port of the update (PUB) socket.
pub const DEFAULT_PUB_PORT: u16 = 5557;
/// Default port of the snapshot (ROUTER) socket.
pub const DEFAULT_SNAPSHOT_PORT: u16 = 5556;
/// Default number of entries the publisher queues for one subscriber that
/// is behind before ZeroMQ drops entries for it. libzmq's own default, 1000,
/// loses most of a burst; this holds 1.5 times the logger's default channel.
pub const DEFAULT_SEND_HWM: usize = 100_000;
/// Default time `close` waits for queued entries to reach connected
/// subscribers before giving up on them.
pub const DEFAULT_LINGER: Duration = Duration::from_secs(1);
/// Name of the thread that serves snapshots.
pub const DEFAULT_SNAPSHOT_THREAD_NAME: &str = "mimir-snapshot";

/// Builds a [`Publisher`]; see [`Publisher::builder`].
///
/// ```
/// use mimir_stream::Publisher;
///
/// // Port 0: let the system choose free ports, then read them back.
/// let publisher = Publisher::builder().ports(0, 0).stream_maxlen(100).build()?;
/// assert_ne!(publisher.pub_port(), 0);
/// assert!(publisher.snapshot_port().is_some());
/// # Ok::<(), mimir_stream::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct PublisherBuilder {
    bind_address: String,
    pub_port: u16,
    snapshot_port: u16,
    stream_maxlen: usize,
    send_hwm: usize,
    linger: Duration,
    thread_name: String,
}

impl Default for PublisherBuilder {
    fn default() -> PublisherBuilder {
        PublisherBuilder {
            bind_address: DEFAULT_BIND_ADDRESS.to_owned(),
            pub_port: DEFAULT_PUB_PORT,
            snapshot_port: DEFAULT_SNAPSHOT_PORT,
            stream_maxlen: 0,
            send_hwm: DEFAULT_SEND_HWM,
            linger: DEFAULT_LINGER,
            thread_name: DEFAULT_SNAPSHOT_THREAD_NAME.to_owned(),
        }
    }
}

impl PublisherBuilder {
    /// The address both sockets bind to (default
    /// [`DEFAULT_BIND_ADDRESS`], this machine only). `"0.0.0.0"` or `"*"`
    /// publishes on every interface, to anyone who can reach the machine;
    /// an address with a `:` is IPv6 (`"::1"`).
    pub fn bind_address(mut self, address: impl Into<String>) -> Self {
        self.bind_address = address.into();
        self
    }

    /// The port of the update socket (default [`DEFAULT_PUB_PORT`]); 0
    /// lets the system choose a free one, read it with
    /// [`Publisher::pub_port`].
    pub fn pub_port(mut self, port: u16) -> Self {
        self.pub_port = port;
        self
    }

    /// The port of the snapshot socket (default [`DEFAULT_SNAPSHOT_PORT`]);
    /// 0 lets the system choose. Unused while `stream_maxlen` is 0.
    pub fn snapshot_port(mut self, port: u16) -> Self {
        self.snapshot_port = port;
        self
    }

    /// Both ports at once: updates, then snapshots.
    pub fn ports(self, pub_port: u16, snapshot_port: u16) -> Self {
        self.pub_port(pub_port).snapshot_port(snapshot_port)
    }

    /// Keep the last `maxlen` entries for clients that join late, served on
    /// the snapshot socket. 0 (the default) keeps nothing and binds no
    /// snapshot socket. Costs one `Arc` clone and a short lock per entry on
    /// the logger's worker thread, and memory for `maxlen` entries.
    pub fn stream_maxlen(mut self, maxlen: usize) -> Self {
        self.stream_maxlen = maxlen;
        self
    }

    /// How many entries may wait for one subscriber that is behind
    /// (ZeroMQ's send high-water mark, default [`DEFAULT_SEND_HWM`]; at
    /// least 1). Past it ZeroMQ drops entries for that subscriber only,
    /// who sees a gap in the sequence numbers; the logger never waits.
    /// Memory is used only while a subscriber is behind: roughly the
    /// entry's size plus 150 bytes per queued entry.
    pub fn send_hwm(mut self, hwm: usize) -> Self {
        self.send_hwm = hwm;
        self
    }

    /// How long [`Publisher::close`] waits for queued entries to reach
    /// connected subscribers (default [`DEFAULT_LINGER`]).
    pub fn linger(mut self, linger: Duration) -> Self {
        self.linger = linger;
        self
    }

    /// The name of the snapshot thread (default
    /// [`DEFAULT_SNAPSHOT_THREAD_NAME`]).
    pub fn thread_name(mut self, name: impl Into<String>) -> Self {
        self.thread_name = name.into();
        self
    }

    /// Binds the sockets and, with `stream_maxlen > 0`, starts the snapshot
    /// thread. Does not wait for any subscriber.
    ///
    /// Fails with [`ErrorKind::AddrInUse`] (the message names the port and
    /// the address) when a port is taken, [`ErrorKind::Address`] when the
    /// address cannot be bound, [`ErrorKind::Config`] for a `send_hwm` of 0.
    pub fn build(self) -> Result<Publisher, Error> {
        Publisher::bind(self)
    }
}

/// Counters and endpoints of a publisher, shared with its [`PublisherHandle`].
#[derive(Debug, Default)]
pub(crate) struct Stats {
    pub_endpoint: String,
    pub_port: u16,
    snapshot_endpoint: Option<String>,
    snapshot_port: Option<u16>,
    published: AtomicU64,
    dropped: AtomicU64,
    pub(crate) snapshots_served: AtomicU64,
    pub(crate) snapshots_abandoned: AtomicU64,
    pub(crate) bad_requests: AtomicU64,
}

/// A cheap, cloneable view of a [`Publisher`]: its bound endpoints and its
/// counters. Take one with [`Publisher::handle`] before handing the
/// publisher to a logger; it stays valid after the publisher is closed.
/// Every accessor is one atomic load, no lock.
#[derive(Clone, Debug)]
pub struct PublisherHandle {
    stats: Arc<Stats>,
}

impl PublisherHandle {
    /// The update socket's endpoint, as bound: `tcp://127.0.0.1:5557`.
    pub fn pub_endpoint(&self) -> &str {
        &self.stats.pub_endpoint
    }

    /// The update socket's port (the actual one when built with port 0).
    pub fn pub_port(&self) -> u16 {
        self.stats.pub_port
    }

    /// The snapshot socket's endpoint; `None` when `stream_maxlen` is 0.
    pub fn snapshot_endpoint(&self) -> Option<&str> {
        self.stats.snapshot_endpoint.as_deref()
    }

    /// The snapshot socket's port; `None` when `stream_maxlen` is 0.
    pub fn snapshot_port(&self) -> Option<u16> {
        self.stats.snapshot_port
    }

    /// The sequence number of the last entry published (0 before the
    /// first); every entry gets one, including those counted as dropped.
    pub fn published(&self) -> u64 {
        self.stats.published.load(Ordering::Relaxed)
    }

    /// How many entries ZeroMQ refused to send at all (the socket failed).
    /// Entries that ZeroMQ queued and then discarded for one subscriber
    /// that fell behind are not counted here: a PUB socket does that
    /// without telling the sender. That subscriber sees them as a gap (see
    /// [`Subscriber::missed`](crate::Subscriber::missed)).
    pub fn dropped(&self) -> u64 {
        self.stats.dropped.load(Ordering::Relaxed)
    }

    /// How many snapshots were sent in full.
    pub fn snapshots_served(&self) -> u64 {
        self.stats.snapshots_served.load(Ordering::Relaxed)
    }

    /// How many snapshots were cut short because the client went away or
    /// had not read the previous one.
    pub fn snapshots_abandoned(&self) -> u64 {
        self.stats.snapshots_abandoned.load(Ordering::Relaxed)
    }

    /// How many requests on the snapshot socket were not `ICANHAZ?` (and
    /// were ignored).
    pub fn bad_requests(&self) -> u64 {
        self.stats.bad_requests.load(Ordering::Relaxed)
    }
}

/// The last `maxlen` published entries, shared with the snapshot thread.
#[derive(Debug)]
pub(crate) struct Store {
    maxlen: usize,
    entries: Mutex<VecDeque<(u64, Entry)>>,
}

impl Store {
    fn push(&self, seq: u64, entry: &Entry) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= self.maxlen {
            entries.pop_front();
        }
        entries.push_back((seq, entry.clone()));
    }

    /// A copy of the handles, oldest first, taken under the lock: O(len)
    /// `Arc` clones, no entry copied.
    pub(crate) fn snapshot(&self) -> Vec<(u64, Entry)> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries.iter().cloned().collect()
    }
}

/// Publishes entries on a ZeroMQ PUB socket and, with `stream_maxlen > 0`,
/// serves snapshots of the last entries to clients that join late.
///
/// A [`Sink`]: add it to a logger with `LoggerBuilder::sink`, and the
/// logger's worker thread publishes every entry. Publishing costs the
/// worker two non-blocking ZeroMQ sends (one copy of the entry's bytes)
/// and, with `stream_maxlen > 0`, an `Arc` clone under a short lock; it
/// never waits for a subscriber. Snapshots are served by a named thread
/// of the publisher, also while nothing is being logged.
///
/// Each entry gets the next sequence number, starting at 1. See
/// `docs/wire-protocol.md` for the frames.
///
/// Closing ([`close`](Publisher::close), `Sink::close` or `Drop`) waits up
/// to the linger time for queued entries to reach connected subscribers,
/// then stops the snapshot thread and joins it.
pub struct Publisher {
    socket: Option<zmq::Socket>,
    control: Option<zmq::Socket>,
    thread: Option<JoinHandle<()>>,
    store: Option<Arc<Store>>,
    sequence: u64,
    stats: Arc<Stats>,
    context: Option<zmq::Context>,
}

/// Where the snapshot thread listens for the word to stop; private to the
/// publisher's own ZeroMQ context.
const CONTROL_ENDPOINT: &str = "inproc://mimir-stream-control";

impl Publisher {
    /// A builder with the defaults: `127.0.0.1`, ports
    /// [`DEFAULT_PUB_PORT`] and [`DEFAULT_SNAPSHOT_PORT`], no snapshot.
    pub fn builder() -> PublisherBuilder {
        PublisherBuilder::default()
    }

    /// Binds a publisher as configured by `config`; same as
    /// [`PublisherBuilder::build`].
    pub fn bind(config: PublisherBuilder) -> Result<Publisher, Error> {
        if config.send_hwm == 0 {
            return Err(Error::new(
                ErrorKind::Config,
                "send_hwm must be at least 1 (0 would queue without bound for a slow subscriber)",
            ));
        }
        let context = zmq::Context::new();
        let linger = i32::try_from(config.linger.as_millis()).unwrap_or(i32::MAX);
        let socket = context
            .socket(zmq::PUB)
            .map_err(|e| Error::zmq("creating the PUB socket", e))?;
        let hwm = i32::try_from(config.send_hwm).unwrap_or(i32::MAX);
        socket
            .set_sndhwm(hwm)
            .and_then(|()| socket.set_linger(linger))
            .map_err(|e| Error::zmq("configuring the PUB socket", e))?;
        let (pub_endpoint, pub_port) =
            bind(&socket, &config.bind_address, config.pub_port, "updates")?;

        let mut stats = Stats {
            pub_endpoint,
            pub_port,
            ..Stats::default()
        };
        let mut server = None;
        let mut store = None;
        if config.stream_maxlen > 0 {
            let router = context
                .socket(zmq::ROUTER)
                .map_err(|e| Error::zmq("creating the snapshot ROUTER socket", e))?;
            // A whole snapshot must fit in the queue, or ZeroMQ would cut it.
            let hwm = config
                .stream_maxlen
                .saturating_add(1)
                .saturating_mul(2)
                .max(1000);
            router
                .set_sndhwm(i32::try_from(hwm).unwrap_or(i32::MAX))
                .and_then(|()| router.set_router_mandatory(true))
                .and_then(|()| router.set_linger(linger))
                .map_err(|e| Error::zmq("configuring the snapshot socket", e))?;
            let (endpoint, port) = bind(
                &router,
                &config.bind_address,
                config.snapshot_port,
                "snapshots",
            )?;
            stats.snapshot_endpoint = Some(endpoint);
            stats.snapshot_port = Some(port);
            let theirs = context
                .socket(zmq::PAIR)
                .and_then(|s| s.bind(CONTROL_ENDPOINT).map(|()| s))
                .map_err(|e| Error::zmq("creating the snapshot thread's control socket", e))?;
            let shared = Arc::new(Store {
                maxlen: config.stream_maxlen,
                entries: Mutex::new(VecDeque::with_capacity(config.stream_maxlen.min(4096))),
            });
            store = Some(Arc::clone(&shared));
            server = Some((router, theirs, shared));
        }
        let stats = Arc::new(stats);

        let mut publisher = Publisher {
            socket: Some(socket),
            control: None,
            thread: None,
            store,
            sequence: 0,
            stats: Arc::clone(&stats),
            context: Some(context),
        };
        if let Some((router, theirs, store)) = server {
            let context = publisher
                .context
                .as_ref()
                .ok_or_else(|| Error::new(ErrorKind::Thread, "the publisher's context is gone"))?;
            let ours = context
                .socket(zmq::PAIR)
                .and_then(|s| s.set_linger(0).map(|()| s))
                .and_then(|s| s.connect(CONTROL_ENDPOINT).map(|()| s))
                .map_err(|e| Error::zmq("connecting to the snapshot thread", e))?;
            publisher.control = Some(ours);
            let server = SnapshotServer::new(router, theirs, store, stats);
            let thread = std::thread::Builder::new()
                .name(config.thread_name.clone())
                .spawn(move || snapshot::run(server))
                .map_err(|e| {
                    Error::new(
                        ErrorKind::Thread,
                        format!("starting thread {}: {e}", config.thread_name),
                    )
                })?;
            publisher.thread = Some(thread);
        }
        Ok(publisher)
    }

    /// Publishes one entry with the next sequence number and returns that
    /// number. Never blocks. With `stream_maxlen > 0` the entry is also
    /// kept for snapshots (even if the send failed, so that a client with
    /// history can still get it).
    ///
    /// An error (the socket failed or is closed) names the endpoint and the
    /// sequence number; the entry is counted in
    /// [`dropped`](PublisherHandle::dropped).
    pub fn publish(&mut self, entry: &Entry) -> Result<u64, Error> {
        self.sequence += 1;
        let seq = self.sequence;
        if let Some(store) = &self.store {
            store.push(seq, entry);
        }
        self.stats.published.store(seq, Ordering::Relaxed);
        let Some(socket) = &self.socket else {
            self.stats.dropped.fetch_add(1, Ordering::Relaxed);
            return Err(Error::new(
                ErrorKind::Socket,
                format!(
                    "publishing entry {seq} on {}: the publisher is closed",
                    self.stats.pub_endpoint
                ),
            ));
        };
        let mut digits = [0; 20];
        let sent = socket
            .send(
                encode_sequence(seq, &mut digits),
                zmq::SNDMORE | zmq::DONTWAIT,
            )
            .and_then(|()| socket.send(entry.as_bytes(), zmq::DONTWAIT));
        sent.map(|()| seq).map_err(|e| {
            self.stats.dropped.fetch_add(1, Ordering::Relaxed);
            Error::zmq(
                format!("publishing entry {seq} on {}", self.stats.pub_endpoint),
                e,
            )
        })
    }

    /// A handle on the endpoints and counters that outlives the publisher;
    /// take it before giving the publisher to a logger.
    pub fn handle(&self) -> PublisherHandle {
        PublisherHandle {
            stats: Arc::clone(&self.stats),
        }
    }

    /// The update socket's port (the actual one when built with port 0).
    pub fn pub_port(&self) -> u16 {
        self.stats.pub_port
    }

    /// The snapshot socket's port; `None` when `stream_maxlen` is 0.
    pub fn snapshot_port(&self) -> Option<u16> {
        self.stats.snapshot_port
    }

    /// The update socket's endpoint, as bound: `tcp://127.0.0.1:5557`.
    pub fn pub_endpoint(&self) -> &str {
        &self.stats.pub_endpoint
    }

    /// The snapshot socket's endpoint; `None` when `stream_maxlen` is 0.
    pub fn snapshot_endpoint(&self) -> Option<&str> {
        self.stats.snapshot_endpoint.as_deref()
    }

    /// Closes the publisher: waits up to the linger time for queued entries
    /// to reach connected subscribers (not at all when none is connected or
    /// all have read everything), stops and joins the snapshot thread.
    /// Later calls do nothing.
    pub fn close(mut self) -> Result<(), Error> {
        self.shutdown()
    }

    fn shutdown(&mut self) -> Result<(), Error> {
        let mut result = Ok(());
        drop(self.socket.take());
        if let (Some(control), Some(thread)) = (self.control.take(), self.thread.take()) {
            match control.send(snapshot::STOP, zmq::DONTWAIT) {
                Ok(()) => {
                    if thread.join().is_err() {
                        result = Err(Error::new(
                            ErrorKind::Thread,
                            "the snapshot thread panicked",
                        ));
                    }
                }
                // Joining would wait forever; leave the thread to the
                // context's termination below, which ends its poll.
                Err(e) => result = Err(Error::zmq("stopping the snapshot thread", e)),
            }
        }
        // Terminating the context is what waits, up to the linger time,
        // for queued messages to leave.
        drop(self.context.take());
        result
    }
}

/// Binds `socket` to `address:port` (port 0: a free port) and returns the
/// endpoint actually bound and its port.
fn bind(
    socket: &zmq::Socket,
    address: &str,
    port: u16,
    role: &str,
) -> Result<(String, u16), Error> {
    if address.is_empty() {
        return Err(Error::new(ErrorKind::Config, "the bind address is empty"));
    }
    let host = if address.contains(':') && !address.starts_with('[') {
        socket
            .set_ipv6(true)
            .map_err(|e| Error::zmq("enabling IPv6", e))?;
        format!("[{address}]")
    } else {
        address.to_owned()
    };
    let endpoint = if port == 0 {
        format!("tcp://{host}:*")
    } else {
        format!("tcp://{host}:{port}")
    };
    socket.bind(&endpoint).map_err(|e| match e {
        zmq::Error::EADDRINUSE => Error::zmq(
            format!("port {port} on {address} is already in use (binding the {role} socket, {endpoint})"),
            e,
        )
        .with_kind(ErrorKind::AddrInUse),
        _ => Error::zmq(format!("binding the {role} socket to {endpoint}"), e)
            .with_kind(ErrorKind::Address),
    })?;
    let bound = match socket.get_last_endpoint() {
        Ok(Ok(text)) => text,
        Ok(Err(_)) | Err(_) => endpoint.clone(),
    };
    let actual = bound
        .rsplit(':')
        .next()
        .and_then(|p| p.parse::<u16>().ok())
        .ok_or_else(|| {
            Error::new(
                ErrorKind::Socket,
                format!("cannot read the port of the {role} socket bound to {bound}"),
            )
        })?;
    Ok((bound, actual))
}

impl Sink for Publisher {
    fn write(&mut self, entry: &Entry) -> Result<(), mimir_core::Error> {
        self.publish(entry)
            .map(|_| ())
            .map_err(mimir_core::Error::from)
    }

    /// Nothing to do: ZeroMQ sends in the background as soon as an entry is
    /// published.
    fn flush(&mut self) -> Result<(), mimir_core::Error> {
        Ok(())
    }

    fn close(&mut self) -> Result<(), mimir_core::Error> {
        self.shutdown().map_err(mimir_core::Error::from)
    }
}

impl Drop for Publisher {
    /// Closes as [`close`](Publisher::close) does; an error is printed to
    /// standard error, as it cannot be returned.
    fn drop(&mut self) {
        if let Err(err) = self.shutdown() {
            eprintln!("mimir-stream: error while closing the publisher: {err}");
        }
    }
}

impl fmt::Debug for Publisher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Publisher")
            .field("pub_endpoint", &self.stats.pub_endpoint)
            .field("snapshot_endpoint", &self.stats.snapshot_endpoint)
            .field("sequence", &self.sequence)
            .field("open", &self.socket.is_some())
            .finish()
    }
}

#[allow(dead_code)]
fn _assert_send_sync() {
    fn send<T: Send>() {}
    fn send_sync<T: Send + Sync>() {}
    send::<Publisher>();
    send_sync::<PublisherHandle>();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_zero_binds_a_free_port_and_reports_it() {
        let p = Publisher::builder().ports(0, 0).build().unwrap();
        assert_ne!(p.pub_port(), 0);
        assert_eq!(
            p.snapshot_port(),
            None,
            "no snapshot socket without stream_maxlen"
        );
        assert_eq!(
            p.pub_endpoint(),
            format!("tcp://127.0.0.1:{}", p.pub_port())
        );
        p.close().unwrap();
    }

    #[test]
    fn sequences_start_at_one_without_gaps() {
        let mut p = Publisher::builder()
            .ports(0, 0)
            .stream_maxlen(2)
            .build()
            .unwrap();
        let handle = p.handle();
        let e = Entry::from_json(r#"{"a":1}"#).unwrap();
        assert_eq!(p.publish(&e).unwrap(), 1);
        assert_eq!(p.publish(&e).unwrap(), 2);
        assert_eq!(p.publish(&e).unwrap(), 3);
        assert_eq!(handle.published(), 3);
        assert_eq!(handle.dropped(), 0);
        let kept: Vec<u64> = p
            .store
            .as_ref()
            .unwrap()
            .snapshot()
            .iter()
            .map(|(s, _)| *s)
            .collect();
        assert_eq!(kept, [2, 3], "only the last stream_maxlen are kept");
        p.close().unwrap();
        assert_eq!(handle.published(), 3, "the handle outlives the publisher");
    }

    #[test]
    fn zero_hwm_is_refused() {
        let err = Publisher::builder()
            .ports(0, 0)
            .send_hwm(0)
            .build()
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config);
    }
}
