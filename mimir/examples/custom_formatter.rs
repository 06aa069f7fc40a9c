//! A custom formatter: any closure `FnMut(&Entry, &mut dyn Write)` (or a
//! type implementing `mimir::Format`) decides how entries are printed.

use std::io::Write;

use mimir::{json, Entry, Logger};

fn main() -> Result<(), mimir::Error> {
    let progress = |entry: &Entry, out: &mut dyn Write| {
        writeln!(
            out,
            "[{:>3}] error {:.4}",
            entry["iteration"].as_i64().unwrap_or(-1),
            entry["training_error"].as_f64().unwrap_or(f64::NAN)
        )
    };
    let logger = Logger::builder().formatter(progress).build()?;
    for i in 0..10 {
        logger.log(&json!({"iteration": i, "training_error": 1.0 / (i as f64 + 1.0)}))?;
    }
    // The built-in one-line formatter:
    let compact = Logger::builder()
        .formatter(mimir::format::Compact)
        .build()?;
    compact.log(&json!({"iteration": 10, "optimizer": {"lr": 0.01}}))?;
    compact.close()?;
    logger.close()
}
