//! Saving to disk: every entry is appended to a line-delimited JSON file,
//! which is read back with `mimir::read` (or `jq`, or `mimir cat`).

use mimir::{json, Logger};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::temp_dir().join("mimir-save-to-disk.jsonl");
    let _ = std::fs::remove_file(&path);
    let logger = Logger::builder().filename(&path).no_formatter().build()?;
    for i in 0..1000 {
        logger.log(&json!({"iteration": i, "training_error": 1.0 / (i as f64 + 1.0)}))?;
    }
    logger.flush()?; // every entry so far is in the file now
    logger.close()?;

    let best = mimir::read(&path)?
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .min_by(|a, b| {
            a["training_error"]
                .as_f64()
                .partial_cmp(&b["training_error"].as_f64())
                .unwrap_or(std::cmp::Ordering::Equal)
        });
    println!("best entry in {}: {best:?}", path.display());
    Ok(())
}
