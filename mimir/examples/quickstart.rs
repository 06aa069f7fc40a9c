//! The quickstart: a training loop that prints every entry, keeps the last
//! ten in memory and saves all of them to `log.jsonl`.
//!
//! Run with `cargo run -p mimir --example quickstart`, then analyse the log
//! with `jq -s 'min_by(.training_error)' log.jsonl`.

use mimir::{json, Logger};

fn main() -> Result<(), mimir::Error> {
    let logger = Logger::builder().maxlen(10).filename("log.jsonl").build()?;
    for i in 0..100 {
        logger.log(&json!({"iteration": i, "training_error": 1.0 / (i as f64 + 1.0)}))?;
    }
    if let Some(newest) = logger.get(-1) {
        println!("newest entry in memory: iteration {}", newest["iteration"]);
    }
    logger.close()
}
