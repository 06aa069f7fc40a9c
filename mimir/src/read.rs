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
    needs_recovery: bool,
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
/// Reads `.jsonl` files (one JSON object per line) and, with the `gzip`
/// feature, `.jsonl.gz` gzlog files, also while they are being written or
/// after a crash left an operation unfinished (see
/// [`needs_recovery`](Entries::needs_recovery)); reading takes no lock and
/// changes nothing. A line that is not a JSON object is an `Err` naming the
/// file and the line; iteration can go on after it. An unfinished last line
/// (a log being written right now) is left out.
pub fn read(path: impl AsRef<Path>) -> Result<Entries, Error> {
    let path = path.as_ref();
    let name = path.display().to_string();
    let (input, needs_recovery) = open(path)?;
    Ok(Entries {
        inner: EntryReader::new(input, name.clone()),
        name,
        needs_recovery,
    })
}

#[cfg(feature = "gzip")]
fn open(path: &Path) -> Result<(Box<dyn BufRead + Send>, bool), Error> {
    if crate::gzip::is_gz(path) {
        let reader = mimir_gzlog::Reader::open(path).map_err(crate::gzip::from_gzlog)?;
        let needs_recovery = reader.needs_recovery();
        return Ok((Box::new(BufReader::new(reader)), needs_recovery));
    }
    open_plain(path)
}

#[cfg(not(feature = "gzip"))]
fn open(path: &Path) -> Result<(Box<dyn BufRead + Send>, bool), Error> {
    open_plain(path)
}

fn open_plain(path: &Path) -> Result<(Box<dyn BufRead + Send>, bool), Error> {
    let file = File::open(path).map_err(|e| Error::io("opening", path, e))?;
    Ok((Box::new(BufReader::new(file)), false))
}

impl Entries {
    /// Whether the log's last operation was interrupted (a gzip log that a
    /// crash left unfinished): the entries read are those complete before
    /// it; opening the log for writing, or `mimir recover`, completes it.
    pub fn needs_recovery(&self) -> bool {
        self.needs_recovery
    }

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
