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
    let logger = builder.build()?;
    let interval = Duration::from_millis(args.interval_ms);
    for i in 0..args.n {
        logger.log(&json!({"iteration": i, "training_error": 1.0 / (i as f64 + 1.0)}))?;
        if !interval.is_zero() {
            std::thread::sleep(interval);
        }
    }
    logger.close()
}
