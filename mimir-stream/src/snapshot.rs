//! The snapshot thread: owns the ROUTER socket and answers `ICANHAZ?` with
//! the entries the publisher keeps, while the logger's worker goes on
//! publishing.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use crate::publisher::{Stats, Store};
use crate::wire::{encode_sequence, END_BODY, END_SEQUENCE, SNAPSHOT_REQUEST};

/// What the publisher sends on the control socket to stop the thread.
pub(crate) const STOP: &[u8] = b"STOP";

pub(crate) struct SnapshotServer {
    router: zmq::Socket,
    control: zmq::Socket,
    store: Arc<Store>,
    stats: Arc<Stats>,
}

impl SnapshotServer {
    pub(crate) fn new(
        router: zmq::Socket,
        control: zmq::Socket,
        store: Arc<Store>,
        stats: Arc<Stats>,
    ) -> SnapshotServer {
        SnapshotServer {
            router,
            control,
            store,
            stats,
        }
    }

    /// Answers every request waiting on the socket; returns `false` when
    /// the socket is unusable (the context is being terminated).
    fn drain_requests(&self) -> bool {
        loop {
            match self.router.recv_multipart(zmq::DONTWAIT) {
                Ok(frames) => self.answer(&frames),
                Err(zmq::Error::EAGAIN) => return true,
                Err(zmq::Error::EINTR) => continue,
                Err(_) => return false,
            }
        }
    }

    /// `frames` is what the ROUTER received: the client's identity, then
    /// its request.
    fn answer(&self, frames: &[Vec<u8>]) {
        match frames {
            [identity, request] if request.as_slice() == SNAPSHOT_REQUEST => {
                if self.serve(identity).is_ok() {
                    self.stats.snapshots_served.fetch_add(1, Ordering::Relaxed);
                } else {
                    self.stats
                        .snapshots_abandoned
                        .fetch_add(1, Ordering::Relaxed);
                }
            }
            // Anything else (another word, extra frames, an empty frame) is
            // not our protocol: ignore it and keep serving.
            _ => {
                self.stats.bad_requests.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Sends the stored entries, oldest first, then the end marker. Never
    /// blocks: a client that went away (`EHOSTUNREACH`, the socket is in
    /// mandatory mode) or has not read its previous snapshot (`EAGAIN`)
    /// gets no more of this one.
    fn serve(&self, identity: &[u8]) -> Result<(), zmq::Error> {
        let entries = self.store.snapshot();
        let mut digits = [0; 20];
        for (seq, entry) in &entries {
            self.router.send(identity, zmq::SNDMORE | zmq::DONTWAIT)?;
            self.router.send(
                encode_sequence(*seq, &mut digits),
                zmq::SNDMORE | zmq::DONTWAIT,
            )?;
            self.router.send(entry.as_bytes(), zmq::DONTWAIT)?;
        }
        self.router.send(identity, zmq::SNDMORE | zmq::DONTWAIT)?;
        self.router
            .send(END_SEQUENCE, zmq::SNDMORE | zmq::DONTWAIT)?;
        self.router.send(END_BODY, zmq::DONTWAIT)
    }
}

/// The thread's body: waits on both sockets, without timeout, until the
/// publisher says stop or its context is terminated.
pub(crate) fn run(server: SnapshotServer) {
    loop {
        let mut items = [
            server.router.as_poll_item(zmq::POLLIN),
            server.control.as_poll_item(zmq::POLLIN),
        ];
        match zmq::poll(&mut items, -1) {
            Ok(_) => {}
            Err(zmq::Error::EINTR) => continue,
            Err(_) => return,
        }
        if items[1].is_readable() {
            return;
        }
        if items[0].is_readable() && !server.drain_requests() {
            return;
        }
    }
}
