//! A logger that streams, driven from standard input: the publisher for
//! tests of other clients (the Python ones in `python/tests`).
//!
//! `publish [PUB_PORT SNAPSHOT_PORT [STREAM_MAXLEN]]` (ports default to 0,
//! free ports; maxlen to 100) prints `ports PUB SNAPSHOT`, then for each
//! line `log N` logs N entries `{"iteration": i, "training_error": ...}`
//! and prints `logged LAST_SEQUENCE`. End of input closes the logger.

use std::io::{BufRead, Write};

use mimir_core::Logger;
use mimir_stream::Publisher;
use serde_json::json;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .map(|a| a.parse())
        .collect::<Result<_, _>>()?;
    let port = |i: usize| args.get(i).map_or(Ok(0), |&p| u16::try_from(p));
    let publisher = Publisher::builder()
        .ports(port(0)?, port(1)?)
        .stream_maxlen(usize::try_from(args.get(2).copied().unwrap_or(100))?)
        .build()?;
    let handle = publisher.handle();
    let logger = Logger::builder().no_formatter().sink(publisher).build()?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "ports {} {}",
        handle.pub_port(),
        handle.snapshot_port().unwrap_or(0)
    )?;
    out.flush()?;
    let mut iteration = 0u64;
    for line in std::io::stdin().lock().lines() {
        let line = line?;
        let Some(n) = line
            .strip_prefix("log ")
            .and_then(|n| n.trim().parse::<u64>().ok())
        else {
            return Err(format!("expected `log N`, got {line:?}").into());
        };
        for _ in 0..n {
            let error = 1.0 / (iteration as f64 + 1.0);
            logger.log(&json!({"iteration": iteration, "training_error": error}))?;
            iteration += 1;
        }
        logger.flush()?;
        writeln!(out, "logged {}", handle.published())?;
        out.flush()?;
    }
    logger.close()?;
    Ok(())
}
