//! [`read`]: the entries of a log file.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use mimir_core::{EntryReader, Error};

use crate::Entry;

/// The entries of a log file, oldest first; see [`read`].
pub struct Entries {
    inner: EntryReader<Box<dyn BufRead + Send>>,
    name: String,
}

impl std::fmt::Debug for Entries {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Entries")
            .field("path", &self.name)
            .finish_non_exhaustive()
    }
}

/// Opens the log at `path` and iterates its entries, oldest first.
///
/// Reads `.jsonl` files (one JSON object per line). A line that is not a
/// JSON object is an `Err` naming the file and the line; iteration can go
/// on after it. An unfinished last line (a log being written right now) is
/// left out.
pub fn read(path: impl AsRef<Path>) -> Result<Entries, Error> {
    let path = path.as_ref();
    let file = File::open(path).map_err(|e| Error::io("opening", path, e))?;
    let input: Box<dyn BufRead + Send> = Box::new(BufReader::new(file));
    let name = path.display().to_string();
    Ok(Entries {
        inner: EntryReader::new(input, name.clone()),
        name,
    })
}

impl Entries {
    /// Whether the log ended in an unfinished line that was left out.
    pub fn torn_tail(&self) -> bool {
        self.inner.torn_tail()
    }
}

impl Iterator for Entries {
    type Item = Result<Entry, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        self.inner.next()
    }
}
