//! A crash-safe gzip log: a name ending in `.gz` is written with zlib's
//! gzlog scheme, so the file is valid gzip after every write and survives
//! `kill -9`. Analyse it with `zcat log.jsonl.gz | jq -s 'min_by(.training_error)'`.

use mimir::{json, Logger};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::temp_dir().join("mimir-example.jsonl.gz");
    let _ = std::fs::remove_file(&path); // start afresh: an existing log is appended to
    let logger = Logger::builder().filename(&path).no_formatter().build()?;
    for i in 0..10_000 {
        logger.log(&json!({"iteration": i, "training_error": 1.0 / (i as f64 + 1.0)}))?;
        if i % 1000 == 999 {
            logger.flush()?; // durable: survives a crash or a power cut from here on
        }
    }
    logger.close()?;

    // Reading works at any time, also while another process writes the log.
    let entries = mimir::read(&path)?;
    println!("{} holds {} entries", path.display(), entries.count());
    Ok(())
}
