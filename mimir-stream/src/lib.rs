//! Live streaming of Mímir log entries over ZeroMQ: a publisher that
//! replays recent entries to clients that join late, and a subscriber that
//! sees every entry once, in order, with losses reported.
//!
//! - [`Publisher`], built with [`Publisher::builder`] ([`PublisherBuilder`]):
//!   a [`mimir_core::Sink`] that publishes each entry on a PUB socket
//!   (default `tcp://127.0.0.1:5557`) with a sequence number and, with
//!   `stream_maxlen > 0`, answers snapshot requests on a ROUTER socket
//!   (default port 5556) from a thread of its own. Bind to port 0 for a
//!   free port and read it back; a [`PublisherHandle`] keeps the ports and
//!   counters readable once the publisher belongs to a logger.
//! - [`Subscriber`], built with [`Subscriber::builder`]
//!   ([`SubscriberBuilder`]): subscribes, takes the snapshot when asked for
//!   history, then yields [`Item`]s: entries with their sequence numbers,
//!   and [`Item::Gap`] where entries were lost.
//! - [`Error`], with an [`ErrorKind`]; it converts into a
//!   [`mimir_core::Error`].
//!
//! The frames are those of the original Python Mímir, whose clients work
//! unchanged; `docs/wire-protocol.md` in the repository specifies them.
//!
//! ```
//! use mimir_core::Logger;
//! use mimir_stream::{Item, Publisher, Subscriber};
//! use serde_json::json;
//!
//! let publisher = Publisher::builder().ports(0, 0).stream_maxlen(50).build()?;
//! let stream = publisher.handle();
//! let logger = Logger::builder().no_formatter().sink(publisher).build()?;
//! for i in 0..10 {
//!     logger.log(&json!({"iteration": i}))?;
//! }
//! logger.flush()?;
//!
//! // A late joiner gets the kept entries first, then live ones.
//! let mut subscriber = Subscriber::builder("127.0.0.1")
//!     .ports(stream.pub_port(), stream.snapshot_port().unwrap_or(0))
//!     .history(true)
//!     .connect()?;
//! for i in 0..10 {
//!     let item = subscriber.recv()?;
//!     assert_eq!(item.sequence(), i + 1);
//!     assert_eq!(item.entry().map(|e| e["iteration"].clone()), Some(json!(i)));
//! }
//! logger.close()?;
//! assert_eq!(stream.published(), 10);
//! Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! This crate has no cargo features. It builds libzmq from source (through
//! `zmq-sys`), which needs a C++ compiler but no installed ZeroMQ.
#![deny(missing_docs)]

mod error;
mod publisher;
mod snapshot;
mod subscriber;
mod wire;

pub use crate::error::{Error, ErrorKind};
pub use crate::publisher::{
    Publisher, PublisherBuilder, PublisherHandle, DEFAULT_BIND_ADDRESS, DEFAULT_LINGER,
    DEFAULT_PUB_PORT, DEFAULT_SEND_HWM, DEFAULT_SNAPSHOT_PORT, DEFAULT_SNAPSHOT_THREAD_NAME,
};
pub use crate::subscriber::{
    Item, Subscriber, SubscriberBuilder, DEFAULT_JOIN_WAIT, DEFAULT_RECV_HWM,
    DEFAULT_SNAPSHOT_TIMEOUT,
};
pub use crate::wire::{END_BODY, END_SEQUENCE, SNAPSHOT_REQUEST};
