//! `mimir demo`: the quickstart training loop.

use std::path::PathBuf;
use std::time::Duration;

use mimir::{json, Error, Logger};

/// Log a demo training run: {"iteration": i, "training_error": 1/(i+1)}.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// How many entries to log.
    #[arg(long, default_value_t = 100)]
    n: u64,
    /// Pause between entries, in milliseconds.
    #[arg(long, default_value_t = 100)]
    interval_ms: u64,
    /// Also save the entries to this file (.jsonl); missing directories are
    /// created.
    #[arg(long)]
    file: Option<PathBuf>,
    /// Keep the last N entries in memory.
    #[arg(long, default_value_t = 0)]
    maxlen: usize,
    /// Print nothing (no formatter).
    #[arg(long)]
    quiet: bool,
    /// Publish the entries over ZeroMQ for `mimir tail` and live plots.
    #[arg(long)]
    stream: bool,
    /// Replay the last N entries to clients that join late (implies --stream).
    #[arg(long, value_name = "N")]
    stream_maxlen: Option<usize>,
    /// Address the stream binds to; 0.0.0.0 publishes to every network.
    #[arg(long, value_name = "ADDR", default_value = mimir::stream::DEFAULT_BIND_ADDRESS)]
    bind: String,
    /// Port of the updates (PUB) socket; 0 picks a free one.
    #[arg(long, value_name = "P", default_value_t = mimir::stream::DEFAULT_PUB_PORT)]
    pub_port: u16,
    /// Port of the snapshot socket; 0 picks a free one.
    #[arg(long, value_name = "P", default_value_t = mimir::stream::DEFAULT_SNAPSHOT_PORT)]
    snapshot_port: u16,
}

/// Runs the loop; returns only after the log is closed.
pub fn run(args: Args) -> Result<(), Error> {
    let mut builder = Logger::builder().maxlen(args.maxlen);
    if args.quiet {
        builder = builder.no_formatter();
    }
    if let Some(file) = &args.file {
        if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| Error::io("creating", dir, e))?;
        }
        builder = builder.filename(file);
    }
    if args.stream || args.stream_maxlen.is_some() {
        builder = builder
            .stream(true)
            .stream_maxlen(args.stream_maxlen.unwrap_or(0))
            .stream_bind(&args.bind)
            .stream_ports(args.pub_port, args.snapshot_port);
    }
    let logger = builder.build()?;
    if let Some(stream) = logger.stream() {
        // On standard error, so that it does not mix with the entries; a
        // client that asked for port 0 reads the real ports here.
        let snapshot = stream.snapshot_endpoint().unwrap_or("off");
        eprintln!(
            "mimir: publishing on {}, snapshots on {snapshot}",
            stream.pub_endpoint()
        );
    }
    let interval = Duration::from_millis(args.interval_ms);
    for i in 0..args.n {
        logger.log(&json!({"iteration": i, "training_error": 1.0 / (i as f64 + 1.0)}))?;
        if !interval.is_zero() {
            std::thread::sleep(interval);
        }
    }
    logger.close()
}
