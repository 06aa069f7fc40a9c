//! [`read`]: the entries of a log file.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use mimir_core::{EntryReader, Error};

use crate::Entry;

/// The entries of a log file, oldest first; see [`read`].
pub struct Entries {
    inner: EntryReader<Box<dyn BufRead + Send>>,
    name: String,
    needs_recovery: bool,
    /// For a gzip log: how to notice a read that overlapped a rewrite.
    gz: Option<Rereads>,
}

/// A gzlog compression rewrites the log's tail in place, so a read that
/// overlaps one can stop early. The read is clean when the log's first 51
/// bytes (header and extra field: offsets, lengths, CRCs, operation) are
/// the same after it as before, with no operation marked; otherwise it is
/// started again, skipping the entries already returned, for at most
/// [`SETTLE`].
#[derive(Debug)]
struct Rereads {
    path: PathBuf,
    head: Vec<u8>,
    returned: u64,
    seen: u64,
    deadline: Instant,
}

/// How long a read of a gzip log waits for a write or a compression that
/// overlaps it to end (a log left interrupted by a crash stays so).
const SETTLE: Duration = Duration::from_secs(2);

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
/// (a log being written right now) is left out. A read of a gzip log that
/// overlapped a compression (which rewrites the log's tail in place) is
/// started again, without returning any entry twice, for up to 2 s.
pub fn read(path: impl AsRef<Path>) -> Result<Entries, Error> {
    let path = path.as_ref();
    let name = path.display().to_string();
    let head = head(path);
    let (input, needs_recovery) = open(path)?;
    let gz = is_gzlog(&head).then(|| Rereads {
        path: path.to_path_buf(),
        head,
        returned: 0,
        seen: 0,
        deadline: Instant::now() + SETTLE,
    });
    Ok(Entries {
        inner: EntryReader::new(input, name.clone()),
        name,
        needs_recovery,
        gz,
    })
}

/// The first 51 bytes of the file (fewer if it is shorter or unreadable).
fn head(path: &Path) -> Vec<u8> {
    let mut head = Vec::with_capacity(51);
    if let Ok(file) = File::open(path) {
        let _ = file.take(51).read_to_end(&mut head);
    }
    head
}

/// Whether `head` starts like a gzlog file (gzip with the "ap" extra field).
fn is_gzlog(head: &[u8]) -> bool {
    head.len() == 51 && head[..4] == [0x1f, 0x8b, 8, 4] && head[12..14] == *b"ap"
}

/// Whether the extra field marks an operation in progress.
fn in_progress(head: &[u8]) -> bool {
    head.get(50).is_some_and(|flags| flags & 0x18 != 0)
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

impl Entries {
    /// After a read of a gzip log that may have overlapped a rewrite: starts
    /// it again and returns `true`, or `false` when it was clean (or waiting
    /// is over).
    fn reread(&mut self) -> Result<bool, Error> {
        let Some(gz) = self.gz.as_mut() else {
            return Ok(false);
        };
        let now = head(&gz.path);
        let clean = now == gz.head && !in_progress(&now);
        if clean || Instant::now() > gz.deadline {
            return Ok(false);
        }
        std::thread::sleep(Duration::from_millis(10));
        gz.head = head(&gz.path);
        gz.seen = 0;
        let (input, needs_recovery) = open(&gz.path)?;
        self.inner = EntryReader::new(input, self.name.clone());
        self.needs_recovery = needs_recovery;
        Ok(true)
    }
}

impl Iterator for Entries {
    type Item = Result<Entry, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let item = self.inner.next();
            let Some(gz) = self.gz.as_mut() else {
                return item;
            };
            match item {
                Some(Ok(entry)) => {
                    gz.seen += 1;
                    if gz.seen > gz.returned {
                        gz.returned += 1;
                        return Some(Ok(entry));
                    }
                }
                // The end, or data that stopped decoding: clean only if the
                // log did not change meanwhile.
                Some(Err(err)) => match self.reread() {
                    Ok(true) => {}
                    Ok(false) => return Some(Err(err)),
                    Err(again) => return Some(Err(again)),
                },
                None => match self.reread() {
                    Ok(true) => {}
                    Ok(false) => return None,
                    Err(err) => return Some(Err(err)),
                },
            }
        }
    }
}
