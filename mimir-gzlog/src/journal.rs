//! The `P.repairs` journal (section 13).

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use crate::format::Operation;

/// Appends one `<ctime> <op> recovery: <event>` line. Skipped silently if
/// the journal cannot be opened or written, like gzlog.c: it is a record for
/// people, never needed to read or repair the log.
pub(crate) fn record(path: &Path, op: Operation, event: &str) {
    let line = format!("{} {} recovery: {}\n", ctime_now(), op.name(), event);
    if let Ok(mut file) = OpenOptions::new()
        .append(true)
        .create(true)
        .mode(0o644)
        .open(path)
    {
        let _ = file.write_all(line.as_bytes());
    }
}

/// The 24 characters of C's `ctime()` for now, in local time:
/// `Www Mmm dd hh:mm:ss yyyy`, the day padded with a space.
fn ctime_now() -> String {
    chrono::Local::now()
        .format("%a %b %e %H:%M:%S %Y")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_have_the_gzlog_format() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("p.repairs");
        record(&path, Operation::Compress, "start");
        record(&path, Operation::Compress, "loaded .add file");
        let text = std::fs::read_to_string(&path)?;
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].len(), 24 + " compress recovery: start".len());
        assert!(lines[1].ends_with(" compress recovery: loaded .add file"));
        assert_eq!(&lines[0][3..4], " ");
        assert_eq!(&lines[0][19..20], " ");
        Ok(())
    }
}
