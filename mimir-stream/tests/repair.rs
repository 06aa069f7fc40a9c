//! The subscriber against a scripted server speaking the wire protocol:
//! a gap is repaired from a fresh snapshot when the server still has the
//! entries, reported when it has not, and malformed updates are errors
//! that do not end the subscription.
#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use mimir_stream::{ErrorKind, Item, Subscriber};

type Kept = Arc<Mutex<Vec<u64>>>;

/// A server whose snapshot holds the sequence numbers in `kept` (entries
/// `{"n": seq}`), answering until it receives `STOP` on its control socket.
struct Script {
    ctx: zmq::Context,
    xpub: zmq::Socket,
    kept: Kept,
    control: zmq::Socket,
    thread: Option<JoinHandle<()>>,
    snapshot_port: u16,
    pub_port: u16,
}

fn port(socket: &zmq::Socket) -> u16 {
    let endpoint = socket.get_last_endpoint().unwrap().unwrap();
    endpoint.rsplit(':').next().unwrap().parse().unwrap()
}

impl Script {
    fn start(kept: &[u64]) -> Script {
        let ctx = zmq::Context::new();
        // XPUB: the test sees the subscription arrive, no probes needed.
        let xpub = ctx.socket(zmq::XPUB).unwrap();
        xpub.bind("tcp://127.0.0.1:*").unwrap();
        let router = ctx.socket(zmq::ROUTER).unwrap();
        router.bind("tcp://127.0.0.1:*").unwrap();
        let control = ctx.socket(zmq::PAIR).unwrap();
        control.bind("inproc://stop").unwrap();
        let theirs = ctx.socket(zmq::PAIR).unwrap();
        theirs.connect("inproc://stop").unwrap();
        let kept: Kept = Arc::new(Mutex::new(kept.to_vec()));
        let shared = Arc::clone(&kept);
        let (pub_port, snapshot_port) = (port(&xpub), port(&router));
        let thread = std::thread::spawn(move || loop {
            let mut items = [
                router.as_poll_item(zmq::POLLIN),
                theirs.as_poll_item(zmq::POLLIN),
            ];
            zmq::poll(&mut items, -1).unwrap();
            if items[1].is_readable() {
                return;
            }
            let frames = router.recv_multipart(0).unwrap();
            let id = &frames[0];
            for seq in shared.lock().unwrap().iter() {
                let body = format!(r#"{{"n":{seq}}}"#);
                router
                    .send_multipart(
                        [id.as_slice(), seq.to_string().as_bytes(), body.as_bytes()],
                        0,
                    )
                    .unwrap();
            }
            router
                .send_multipart([id.as_slice(), b"-1", b"\"\""], 0)
                .unwrap();
        });
        Script {
            ctx,
            xpub,
            kept,
            control,
            thread: Some(thread),
            snapshot_port,
            pub_port,
        }
    }

    fn subscriber(&self, history: bool) -> Subscriber {
        let sub = Subscriber::builder("127.0.0.1")
            .ports(self.pub_port, self.snapshot_port)
            .history(history)
            .snapshot_timeout(Duration::from_secs(5))
            .connect()
            .unwrap();
        // The subscription message: 0x01 followed by the (empty) prefix.
        assert_eq!(self.xpub.recv_bytes(0).unwrap(), [1]);
        sub
    }

    fn publish(&self, seq: u64) {
        self.send(&[
            seq.to_string().as_bytes(),
            format!(r#"{{"n":{seq}}}"#).as_bytes(),
        ]);
    }

    fn send(&self, frames: &[&[u8]]) {
        self.xpub.send_multipart(frames, 0).unwrap();
    }

    fn keep(&self, seqs: &[u64]) {
        *self.kept.lock().unwrap() = seqs.to_vec();
    }
}

impl Drop for Script {
    fn drop(&mut self) {
        self.control.send("STOP", 0).unwrap();
        self.thread.take().unwrap().join().unwrap();
        let _ = &self.ctx;
    }
}

fn next(sub: &mut Subscriber) -> Item {
    sub.recv_timeout(Duration::from_secs(5)).unwrap().unwrap()
}

fn entry(seq: u64) -> Item {
    Item::Entry {
        sequence: seq,
        entry: mimir_core::Entry::from_json(format!(r#"{{"n":{seq}}}"#)).unwrap(),
    }
}

#[test]
fn a_gap_is_repaired_from_a_new_snapshot_and_the_rest_reported() {
    let script = Script::start(&[1, 2]);
    let mut sub = script.subscriber(true);
    assert_eq!(next(&mut sub), entry(1));
    assert_eq!(next(&mut sub), entry(2));

    // 3 and 4 never arrive live, but the publisher still keeps them.
    script.keep(&[2, 3, 4, 5]);
    script.publish(5);
    assert_eq!(next(&mut sub), entry(3));
    assert_eq!(next(&mut sub), entry(4));
    assert_eq!(next(&mut sub), entry(5));
    script.publish(5); // a duplicate is dropped silently
    script.publish(6);
    assert_eq!(next(&mut sub), entry(6));

    // 7 to 9 are lost, and the publisher keeps only 10 and 11 by now.
    script.keep(&[10, 11]);
    script.publish(11);
    assert_eq!(next(&mut sub), Item::Gap { first: 7, last: 9 });
    assert_eq!(next(&mut sub), entry(10));
    assert_eq!(next(&mut sub), entry(11));
    assert_eq!(sub.missed(), 3);
    assert_eq!(sub.recv_timeout(Duration::from_millis(20)).unwrap(), None);
}

#[test]
fn without_history_gaps_are_reported_from_the_first_entry_received() {
    let script = Script::start(&[]);
    let mut sub = script.subscriber(false);
    script.publish(41);
    script.publish(42);
    script.publish(45);
    assert_eq!(next(&mut sub), entry(41));
    assert_eq!(next(&mut sub), entry(42));
    assert_eq!(
        next(&mut sub),
        Item::Gap {
            first: 43,
            last: 44
        }
    );
    assert_eq!(next(&mut sub), entry(45));
    assert_eq!(sub.missed(), 2);
}

#[test]
fn malformed_updates_are_errors_and_the_subscription_goes_on() {
    let script = Script::start(&[]);
    let mut sub = script.subscriber(false);
    script.send(&[b"1"]);
    script.send(&[b"one", b"{}"]);
    script.send(&[b"2", b"[1, 2]"]);
    script.send(&[b"3", b"{}", b"extra"]);
    script.publish(4);
    for what in ["two frames", "sequence number", "entry 2", "two frames"] {
        let err = sub.recv_timeout(Duration::from_secs(5)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Protocol, "{err}");
        assert!(
            err.to_string().contains(what),
            "{err} should mention {what}"
        );
    }
    assert_eq!(next(&mut sub), entry(4));
}
