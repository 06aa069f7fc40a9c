//! Streaming: the logger publishes every entry over ZeroMQ, and a client
//! (here in the same program, usually `mimir tail` or a live plot on
//! another machine) follows it. A client that joins late first receives the
//! last `stream_maxlen` entries, then the live ones, each exactly once.

use std::time::Duration;

use mimir::stream::{Item, Subscriber};
use mimir::{json, Logger};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let logger = Logger::builder()
        .no_formatter()
        .stream_ports(0, 0) // free ports; the defaults are 5557 and 5556
        .stream_maxlen(50)
        .build()?;
    let stream = logger.stream().ok_or("streaming is on")?;
    println!("publishing on {}", stream.pub_endpoint());
    for i in 0..100 {
        logger.log(&json!({"iteration": i, "training_error": 1.0 / (i as f64 + 1.0)}))?;
    }
    logger.flush()?;

    let mut client = Subscriber::builder("127.0.0.1")
        .ports(stream.pub_port(), stream.snapshot_port().unwrap_or(0))
        .history(true)
        .connect()?;
    for i in 100..110 {
        logger.log(&json!({"iteration": i, "training_error": 1.0 / (i as f64 + 1.0)}))?;
    }
    // 50 entries from the snapshot (iterations 50..99), then 10 live ones.
    for _ in 0..60 {
        match client.recv_timeout(Duration::from_secs(5))? {
            Some(Item::Entry { sequence, entry }) => println!("#{sequence}: {entry}"),
            Some(Item::Gap { first, last }) => println!("lost {first}..={last}"),
            Some(_) | None => break,
        }
    }
    logger.close()?;
    Ok(())
}
