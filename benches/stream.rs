//! The cost of streaming: caller-thread time per `log` with the stream on
//! (no subscriber, one subscriber) against the stream off; end-to-end
//! throughput against a bare ZeroMQ PUB→SUB loop; latency from `log` to
//! receipt at 1,000 entries per second.
//!
//! Run with `cargo bench -p mimir-benches --bench stream`.
#![allow(clippy::unwrap_used, missing_docs)]

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use mimir_core::Logger;
use mimir_stream::{Item, Publisher, PublisherHandle, Subscriber};
use serde::Serialize;

#[derive(Serialize)]
struct Step {
    iteration: u64,
    epoch: u32,
    training_error: f64,
    learning_rate: f64,
}

fn step(i: u64) -> Step {
    Step {
        iteration: i,
        epoch: (i / 1000) as u32,
        training_error: 1.0 / (i as f64 + 1.0),
        learning_rate: 0.001,
    }
}

fn streaming_logger(hwm: usize) -> (Logger, PublisherHandle) {
    let publisher = Publisher::builder()
        .ports(0, 0)
        .stream_maxlen(1000)
        .send_hwm(hwm)
        .build()
        .unwrap();
    let handle = publisher.handle();
    let logger = Logger::builder()
        .no_formatter()
        .sink(publisher)
        .build()
        .unwrap();
    (logger, handle)
}

/// A subscriber on its own thread reading until told to stop; returns how
/// many entries it received.
fn reader(handle: &PublisherHandle, hwm: usize) -> (Arc<AtomicBool>, JoinHandle<u64>) {
    let mut sub = Subscriber::builder("127.0.0.1")
        .pub_port(handle.pub_port())
        .recv_hwm(hwm)
        .connect()
        .unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    let thread = std::thread::spawn(move || {
        let mut n = 0;
        while !flag.load(Ordering::Relaxed) {
            if let Some(Item::Entry { .. }) = sub.recv_timeout(Duration::from_millis(10)).unwrap() {
                n += 1;
            }
        }
        n
    });
    (stop, thread)
}

fn caller_cost(c: &mut Criterion) {
    let mut group = c.benchmark_group("log_caller");
    group
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .sample_size(30);

    let off = Logger::builder().no_formatter().build().unwrap();
    let mut i = 0;
    group.bench_function("stream_off", |b| {
        b.iter(|| {
            i += 1;
            off.log(&step(i)).unwrap()
        })
    });
    off.close().unwrap();

    let (on, _handle) = streaming_logger(mimir_stream::DEFAULT_SEND_HWM);
    group.bench_function("stream_on_no_subscriber", |b| {
        b.iter(|| {
            i += 1;
            on.log(&step(i)).unwrap()
        })
    });
    on.close().unwrap();

    let (on, handle) = streaming_logger(mimir_stream::DEFAULT_SEND_HWM);
    let (stop, thread) = reader(&handle, mimir_stream::DEFAULT_RECV_HWM);
    group.bench_function("stream_on_one_subscriber", |b| {
        b.iter(|| {
            i += 1;
            on.log(&step(i)).unwrap()
        })
    });
    on.close().unwrap();
    stop.store(true, Ordering::Relaxed);
    let received = thread.join().unwrap();
    eprintln!(
        "stream_on_one_subscriber: subscriber received {received} of {} published",
        handle.published()
    );
    group.finish();
}

const E2E: u64 = 200_000;

/// Entries per second received by one subscriber of a logger logging `E2E`
/// entries as fast as it can, and how many arrived.
fn mimir_end_to_end() -> (f64, u64) {
    let (logger, handle) = streaming_logger(2 * E2E as usize);
    let mut sub = Subscriber::builder("127.0.0.1")
        .pub_port(handle.pub_port())
        .recv_hwm(2 * E2E as usize)
        .connect()
        .unwrap();
    // Wait for the subscription with probes, then measure from the first
    // real entry.
    let mut probes = 0;
    loop {
        logger.log(&step(0)).unwrap();
        probes += 1;
        if sub
            .recv_timeout(Duration::from_millis(10))
            .unwrap()
            .is_some()
        {
            break;
        }
    }
    while sub.last_sequence().unwrap_or(0) < probes {
        sub.recv_timeout(Duration::from_secs(1)).unwrap();
    }
    let last = probes + E2E;
    let started = Instant::now();
    let writer = std::thread::spawn(move || {
        for i in 0..E2E {
            logger.log(&step(i)).unwrap();
        }
        logger
    });
    let mut received = 0;
    while let Some(item) = sub.recv_timeout(Duration::from_secs(2)).unwrap() {
        if let Item::Entry { .. } = item {
            received += 1;
        }
        if item.sequence() >= last {
            break;
        }
    }
    let elapsed = started.elapsed();
    writer.join().unwrap().close().unwrap();
    (received as f64 / elapsed.as_secs_f64(), received)
}

/// The same with nothing but ZeroMQ: one thread sends two-frame messages
/// (sequence, pre-serialized JSON) on a PUB socket, one SUB receives them.
fn bare_zmq_end_to_end() -> (f64, u64) {
    let ctx = zmq::Context::new();
    let publisher = ctx.socket(zmq::PUB).unwrap();
    publisher.set_sndhwm(2 * E2E as i32).unwrap();
    publisher.bind("tcp://127.0.0.1:*").unwrap();
    let endpoint = publisher.get_last_endpoint().unwrap().unwrap();
    let sub = ctx.socket(zmq::SUB).unwrap();
    sub.set_rcvhwm(2 * E2E as i32).unwrap();
    sub.set_subscribe(b"").unwrap();
    sub.connect(&endpoint).unwrap();
    let body = serde_json::to_vec(&step(12345)).unwrap();
    loop {
        publisher.send("0", zmq::SNDMORE).unwrap();
        publisher.send(&body[..], 0).unwrap();
        if sub.poll(zmq::POLLIN, 10).unwrap() > 0 {
            break;
        }
    }
    while sub.poll(zmq::POLLIN, 50).unwrap() > 0 {
        sub.recv_multipart(0).unwrap();
    }
    let started = Instant::now();
    let writer = std::thread::spawn(move || {
        for i in 1..=E2E {
            publisher
                .send(i.to_string().as_bytes(), zmq::SNDMORE)
                .unwrap();
            publisher.send(&body[..], 0).unwrap();
        }
        publisher
    });
    // The plainest receiving loop: blocking receives, no poll.
    sub.set_rcvtimeo(2000).unwrap();
    let (mut seq, mut body_msg) = (zmq::Message::new(), zmq::Message::new());
    let mut received = 0;
    while sub.recv(&mut seq, 0).is_ok() {
        sub.recv(&mut body_msg, 0).unwrap();
        received += 1;
        if seq.as_str() == Some(E2E.to_string().as_str()) {
            break;
        }
    }
    let elapsed = started.elapsed();
    drop(writer.join().unwrap());
    (received as f64 / elapsed.as_secs_f64(), received)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn end_to_end(_: &mut Criterion) {
    let mut ours = Vec::new();
    let mut bare = Vec::new();
    for _ in 0..5 {
        let (rate, n) = mimir_end_to_end();
        assert_eq!(n, E2E, "mimir lost entries");
        ours.push(rate);
        let (rate, n) = bare_zmq_end_to_end();
        assert_eq!(n, E2E, "bare zmq lost messages");
        bare.push(rate);
    }
    let (ours, bare) = (median(ours), median(bare));
    println!(
        "end_to_end: mimir {:.0} entries/s, bare zmq {:.0} messages/s, ratio {:.2} (median of 5 runs of {E2E})",
        ours,
        bare,
        ours / bare
    );
}

fn latency(_: &mut Criterion) {
    const SAMPLES: u64 = 3000;
    let (logger, handle) = streaming_logger(mimir_stream::DEFAULT_SEND_HWM);
    let mut sub = Subscriber::builder("127.0.0.1")
        .pub_port(handle.pub_port())
        .connect()
        .unwrap();
    loop {
        logger.log(&serde_json::json!({"probe": true})).unwrap();
        if sub
            .recv_timeout(Duration::from_millis(10))
            .unwrap()
            .is_some()
        {
            break;
        }
    }
    let base = Instant::now();
    let writer = std::thread::spawn(move || {
        for i in 0..SAMPLES {
            let due = base + Duration::from_millis(i);
            std::thread::sleep(due.saturating_duration_since(Instant::now()));
            let sent = base.elapsed().as_nanos() as u64;
            logger
                .log(&serde_json::json!({"i": i, "sent_ns": sent}))
                .unwrap();
        }
        logger
    });
    let mut latencies = Vec::new();
    while (latencies.len() as u64) < SAMPLES {
        let Some(item) = sub.recv_timeout(Duration::from_secs(2)).unwrap() else {
            break;
        };
        let now = base.elapsed().as_nanos() as u64;
        if let Some(sent) = item.entry().and_then(|e| e["sent_ns"].as_u64()) {
            latencies.push(now.saturating_sub(sent));
        }
    }
    writer.join().unwrap().close().unwrap();
    latencies.sort_unstable();
    let pct = |p: f64| latencies[((latencies.len() - 1) as f64 * p) as usize] as f64 / 1000.0;
    println!(
        "latency at 1000 entries/s over {} entries: p50 {:.1} µs, p99 {:.1} µs, max {:.1} µs",
        latencies.len(),
        pct(0.5),
        pct(0.99),
        pct(1.0)
    );
}

/// The same pacing with nothing but ZeroMQ, to tell what the machine
/// costs from what Mímir adds.
fn bare_latency(_: &mut Criterion) {
    const SAMPLES: u64 = 3000;
    let ctx = zmq::Context::new();
    let publisher = ctx.socket(zmq::PUB).unwrap();
    publisher.bind("tcp://127.0.0.1:*").unwrap();
    let endpoint = publisher.get_last_endpoint().unwrap().unwrap();
    let sub = ctx.socket(zmq::SUB).unwrap();
    sub.set_subscribe(b"").unwrap();
    sub.set_rcvtimeo(2000).unwrap();
    sub.connect(&endpoint).unwrap();
    loop {
        publisher.send_multipart([&b"0"[..], b"{}"], 0).unwrap();
        if sub.poll(zmq::POLLIN, 10).unwrap() > 0 {
            break;
        }
    }
    while sub.poll(zmq::POLLIN, 50).unwrap() > 0 {
        sub.recv_multipart(0).unwrap();
    }
    let base = Instant::now();
    let writer = std::thread::spawn(move || {
        for i in 0..SAMPLES {
            let due = base + Duration::from_millis(i);
            std::thread::sleep(due.saturating_duration_since(Instant::now()));
            let sent = base.elapsed().as_nanos() as u64;
            let body = format!(r#"{{"i":{i},"sent_ns":{sent}}}"#);
            publisher
                .send_multipart([i.to_string().as_bytes(), body.as_bytes()], 0)
                .unwrap();
        }
        publisher
    });
    let mut latencies = Vec::new();
    while let Ok(frames) = sub.recv_multipart(0) {
        let now = base.elapsed().as_nanos() as u64;
        let body: serde_json::Value = serde_json::from_slice(&frames[1]).unwrap();
        latencies.push(now.saturating_sub(body["sent_ns"].as_u64().unwrap()));
        if latencies.len() as u64 == SAMPLES {
            break;
        }
    }
    drop(writer.join().unwrap());
    latencies.sort_unstable();
    let pct = |p: f64| latencies[((latencies.len() - 1) as f64 * p) as usize] as f64 / 1000.0;
    println!(
        "bare zmq latency at 1000 messages/s over {} messages: p50 {:.1} µs, p99 {:.1} µs, max {:.1} µs",
        latencies.len(),
        pct(0.5),
        pct(0.99),
        pct(1.0)
    );
}

criterion_group!(benches, caller_cost, end_to_end, latency, bare_latency);
criterion_main!(benches);
