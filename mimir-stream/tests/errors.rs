//! Clear errors for ports in use; garbage on the snapshot socket is
//! ignored and later snapshots are still served.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use mimir_core::Entry;
use mimir_stream::{ErrorKind, Publisher, Subscriber, SNAPSHOT_REQUEST};
use serde_json::json;

#[test]
fn a_pub_port_in_use_names_the_port() {
    let first = Publisher::builder().ports(0, 0).build().unwrap();
    let port = first.pub_port();
    let err = Publisher::builder().ports(port, 0).build().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AddrInUse);
    assert!(err.to_string().contains(&format!("port {port}")), "{err}");
    let core: mimir_core::Error = err.into();
    assert!(core.to_string().contains(&port.to_string()));
}

#[test]
fn a_snapshot_port_in_use_names_the_port() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let err = Publisher::builder()
        .ports(0, port)
        .stream_maxlen(5)
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AddrInUse);
    assert!(err.to_string().contains(&format!("port {port}")), "{err}");
    assert!(err.to_string().contains("snapshots"), "{err}");
}

#[test]
fn an_unknown_bind_address_is_an_address_error() {
    let err = Publisher::builder()
        .bind_address("no-such-interface.invalid")
        .ports(0, 0)
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Address, "{err}");
    assert!(
        err.to_string().contains("no-such-interface.invalid"),
        "{err}"
    );
}

#[test]
fn garbage_snapshot_requests_do_not_stop_later_snapshots() {
    let mut publisher = Publisher::builder()
        .ports(0, 0)
        .stream_maxlen(10)
        .build()
        .unwrap();
    let handle = publisher.handle();
    for i in 0..3 {
        publisher
            .publish(&Entry::new(&json!({"i": i})).unwrap())
            .unwrap();
    }
    let endpoint = handle.snapshot_endpoint().unwrap().to_owned();

    let ctx = zmq::Context::new();
    let dealer = ctx.socket(zmq::DEALER).unwrap();
    dealer.set_linger(0).unwrap();
    dealer.set_rcvtimeo(5000).unwrap();
    dealer.connect(&endpoint).unwrap();
    dealer.send("GIVE ME EVERYTHING", 0).unwrap();
    dealer
        .send_multipart([SNAPSHOT_REQUEST, b"extra"], 0)
        .unwrap();
    dealer.send("", 0).unwrap();
    dealer.send_multipart([&b""[..], b"ICANHAZ?"], 0).unwrap();
    dealer.send(SNAPSHOT_REQUEST, 0).unwrap();
    let mut replies = Vec::new();
    loop {
        let frames = dealer.recv_multipart(0).unwrap();
        assert_eq!(frames.len(), 2, "{frames:?}");
        if frames[0] == b"-1" {
            assert_eq!(frames[1], b"\"\"");
            break;
        }
        replies.push(frames);
    }
    let seqs: Vec<&[u8]> = replies.iter().map(|f| f[0].as_slice()).collect();
    assert_eq!(seqs, [&b"1"[..], b"2", b"3"]);
    assert_eq!(replies[0][1], br#"{"i":0}"#);
    assert_eq!(handle.bad_requests(), 4, "garbage is counted, not answered");

    // A client connecting afterwards is still served.
    let mut sub = Subscriber::builder("127.0.0.1")
        .ports(handle.pub_port(), handle.snapshot_port().unwrap())
        .history(true)
        .connect()
        .unwrap();
    let first = sub.recv_timeout(Duration::from_secs(5)).unwrap().unwrap();
    assert_eq!(first.sequence(), 1);
    assert_eq!(handle.snapshots_served(), 2);
    drop(dealer);
    publisher.close().unwrap();
}
