//! Plain line-delimited JSON files: the [`JsonlFile`] sink and the
//! [`EntryReader`] that reads entries back.

use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::entry::Entry;
use crate::error::{Error, ErrorKind};
use crate::sink::Sink;

/// A sink that appends each entry as one line of JSON (UTF-8, `\n`).
///
/// The file is opened for appending and never truncated. Lines are buffered
/// within a batch and handed to the OS at the end of each batch, so a crash
/// of the process loses at most the entries still in the channel. `flush`
/// checks that the path still names the file being written (a deleted or
/// replaced file is an error, not silent loss) and, with `sync`, fsyncs.
#[derive(Debug)]
pub struct JsonlFile {
    out: BufWriter<File>,
    path: PathBuf,
    sync: bool,
    identity: (u64, u64),
}

impl JsonlFile {
    /// Opens `path` for appending, creating it if missing. Refuses names
    /// ending in `.gz`, which must not be written as plain text.
    pub fn open(path: impl AsRef<Path>, sync: bool) -> Result<JsonlFile, Error> {
        let path = path.as_ref();
        if path.extension().is_some_and(|ext| ext == "gz") {
            return Err(Error::new(
                ErrorKind::Config,
                format!(
                    "{}: a .gz log must be written as gzip (use the `mimir` crate with its `gzip` feature), not as plain text",
                    path.display()
                ),
            )
            .with_path(path));
        }
        let mut file = OpenOptions::new()
            .append(true)
            .create(true)
            .read(true)
            .open(path)
            .map_err(|e| Error::io("opening", path, e))?;
        let meta = file
            .metadata()
            .map_err(|e| Error::io("inspecting", path, e))?;
        // A file left by a crash mid-line: start on a fresh line so that our
        // first entry is not glued to the torn one.
        if meta.len() > 0
            && !ends_with_newline(&mut file).map_err(|e| Error::io("reading", path, e))?
        {
            file.write_all(b"\n")
                .map_err(|e| Error::io("writing", path, e))?;
        }
        Ok(JsonlFile {
            out: BufWriter::with_capacity(64 * 1024, file),
            path: path.to_path_buf(),
            sync,
            identity: (meta.dev(), meta.ino()),
        })
    }

    /// The path being written.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn still_there(&self) -> Result<(), Error> {
        let gone = |why: &str| {
            Error::new(
                ErrorKind::Io,
                format!(
                    "{}: {why} while it was being written; entries since then are not in it",
                    self.path.display()
                ),
            )
            .with_path(&self.path)
        };
        match std::fs::metadata(&self.path) {
            Ok(meta) if (meta.dev(), meta.ino()) == self.identity => Ok(()),
            Ok(_) => Err(gone("the file was replaced")),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Err(gone("the file was removed")),
            Err(e) => Err(Error::io("inspecting", &self.path, e)),
        }
    }
}

fn ends_with_newline(file: &mut File) -> io::Result<bool> {
    file.seek(SeekFrom::End(-1))?;
    let mut last = [0u8];
    file.read_exact(&mut last)?;
    Ok(last[0] == b'\n')
}

impl Sink for JsonlFile {
    fn write(&mut self, entry: &Entry) -> Result<(), Error> {
        self.out
            .write_all(entry.as_bytes())
            .and_then(|()| self.out.write_all(b"\n"))
            .map_err(|e| Error::io("writing", &self.path, e))
    }

    fn end_batch(&mut self) -> Result<(), Error> {
        self.out
            .flush()
            .map_err(|e| Error::io("writing", &self.path, e))
    }

    fn flush(&mut self) -> Result<(), Error> {
        self.end_batch()?;
        if self.sync {
            self.out
                .get_ref()
                .sync_data()
                .map_err(|e| Error::io("syncing", &self.path, e))?;
        }
        self.still_there()
    }
}

/// Iterates the entries of line-delimited JSON, one object per line.
///
/// Blank lines are skipped. A line that is not a JSON object is an error
/// naming the source and the line number; iteration can go on after it. A
/// last line without its newline that does not parse is taken for one
/// being written (or torn by a crash) and is left out; see
/// [`torn_tail`](EntryReader::torn_tail).
#[derive(Debug)]
pub struct EntryReader<R> {
    input: R,
    name: String,
    line: u64,
    buf: String,
    torn: bool,
}

/// Opens a plain `.jsonl` file for reading with an [`EntryReader`].
pub fn read_jsonl(path: impl AsRef<Path>) -> Result<EntryReader<BufReader<File>>, Error> {
    let path = path.as_ref();
    let file = File::open(path).map_err(|e| Error::io("opening", path, e))?;
    Ok(EntryReader::new(
        BufReader::new(file),
        path.display().to_string(),
    ))
}

impl<R: BufRead> EntryReader<R> {
    /// Reads entries from `input`; `name` (usually the path) appears in
    /// error messages.
    pub fn new(input: R, name: impl Into<String>) -> EntryReader<R> {
        EntryReader {
            input,
            name: name.into(),
            line: 0,
            buf: String::new(),
            torn: false,
        }
    }

    /// Whether the input ended in an unfinished line that was left out.
    pub fn torn_tail(&self) -> bool {
        self.torn
    }
}

impl<R: BufRead> Iterator for EntryReader<R> {
    type Item = Result<Entry, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            self.buf.clear();
            match self.input.read_line(&mut self.buf) {
                Ok(0) => return None,
                Ok(_) => {}
                Err(e) => {
                    let err = Error::new(ErrorKind::Io, format!("reading {}: {e}", self.name));
                    return Some(Err(err.with_source(e)));
                }
            }
            self.line += 1;
            if self.buf.trim().is_empty() {
                continue;
            }
            let terminated = self.buf.ends_with('\n');
            return match Entry::from_json(std::mem::take(&mut self.buf)) {
                Ok(entry) => Some(Ok(entry)),
                Err(_) if !terminated => {
                    self.torn = true;
                    None
                }
                Err(e) => Some(Err(Error::new(
                    ErrorKind::Malformed,
                    format!("{}:{}: {e}", self.name, self.line),
                )
                .with_source(e))),
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(text: &str) -> Vec<Result<Entry, Error>> {
        EntryReader::new(text.as_bytes(), "test.jsonl").collect()
    }

    #[test]
    fn reads_objects_and_skips_blank_lines() {
        let got = entries("{\"a\":1}\n\n{\"a\":2}\n");
        assert_eq!(got.len(), 2);
        assert_eq!(got[1].as_ref().unwrap()["a"], 2);
    }

    #[test]
    fn malformed_lines_name_file_and_line_and_reading_goes_on() {
        let got = entries("{\"a\":1}\n[1]\nnope\n{\"a\":4}\n");
        assert_eq!(got.len(), 4);
        let err = got[1].as_ref().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Malformed);
        assert!(err.to_string().starts_with("test.jsonl:2: "), "{err}");
        assert!(got[2]
            .as_ref()
            .unwrap_err()
            .to_string()
            .starts_with("test.jsonl:3: "));
        assert_eq!(got[3].as_ref().unwrap()["a"], 4);
    }

    #[test]
    fn a_torn_last_line_is_left_out_but_a_whole_one_is_kept() {
        let mut r = EntryReader::new(&b"{\"a\":1}\n{\"a\":"[..], "t");
        assert!(r.next().unwrap().is_ok());
        assert!(r.next().is_none());
        assert!(r.torn_tail());
        let got = entries("{\"a\":1}\n{\"a\":2}");
        assert_eq!(got.len(), 2);
    }

    #[test]
    fn gz_names_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let err = JsonlFile::open(dir.path().join("log.jsonl.gz"), false).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config);
        assert!(!dir.path().join("log.jsonl.gz").exists());
    }

    #[test]
    fn appends_and_repairs_a_torn_last_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.jsonl");
        std::fs::write(&path, "{\"a\":1}\n{\"a\":").unwrap();
        let mut sink = JsonlFile::open(&path, true).unwrap();
        sink.write(&Entry::from_json("{\"a\":3}").unwrap()).unwrap();
        sink.close().unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "{\"a\":1}\n{\"a\":\n{\"a\":3}\n"
        );
    }

    #[test]
    fn a_removed_file_is_reported_on_flush() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.jsonl");
        let mut sink = JsonlFile::open(&path, false).unwrap();
        std::fs::remove_file(&path).unwrap();
        sink.write(&Entry::from_json("{}").unwrap()).unwrap();
        let err = sink.flush().unwrap_err();
        assert!(
            err.to_string().contains("log.jsonl: the file was removed"),
            "{err}"
        );
        assert_eq!(err.path(), Some(path.as_path()));
    }
}
