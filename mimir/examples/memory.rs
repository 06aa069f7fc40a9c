//! Memory: keep the last `maxlen` entries and read them back while the run
//! goes on. `get(-1)` is the newest entry, `get(0)` the oldest kept.

use mimir::{json, Logger};

fn main() -> Result<(), mimir::Error> {
    let logger = Logger::builder().maxlen(5).no_formatter().build()?;
    for i in 0..100 {
        logger.log(&json!({"iteration": i, "training_error": 1.0 / (i as f64 + 1.0)}))?;
        if let Some(last) = logger.get(-1) {
            assert_eq!(last["iteration"], i);
        }
    }
    println!("kept {} entries", logger.len());
    for entry in logger.iter() {
        println!("{entry}");
    }
    logger.close()
}
