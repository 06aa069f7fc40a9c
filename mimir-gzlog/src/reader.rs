//! Reading a log without its lock, also while it is written or after it
//! was left interrupted.

use std::fs::File;
use std::io::{self, Read};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use flate2::{Decompress, FlushDecompress, Status};

use crate::error::{Error, ErrorKind, Result};
use crate::files::Context;
use crate::format::{Extra, Operation, Refusal, STREAM_START};

const INPUT_CHUNK: usize = 64 * 1024;

/// Decompresses the data of a gzlog file, never taking or reading its lock.
///
/// The extra field is read once, at [`open`](Self::open); the reader then
/// yields the data that snapshot describes as committed:
///
/// - no operation in progress (or only the final replace step): all data,
///   inflating from offset 51 up to the end of the last stored block. The
///   gzip trailer is not needed, so a trailer being rewritten does not
///   matter; the CRC and length in the extra field are checked at the end.
/// - an append in progress: the data before that append.
/// - a compression in progress: the compressed part, then the tail if it can
///   still be read from the file and matches the extra field's CRC-32.
///
/// A file that ends early ends the data cleanly. Only a stream that
/// contradicts the extra field is an error ([`io::ErrorKind::InvalidData`]);
/// a concurrent compression can cause that, and reopening the reader helps.
/// Lengths are checked modulo 2^32, as the format stores them, so for an
/// interrupted operation on a log of 4 GiB or more the cut can be wrong.
#[derive(Debug)]
pub struct Reader {
    path: PathBuf,
    file: File,
    extra: Extra,
    inflate: Decompress,
    input: Vec<u8>,
    input_pos: usize,
    offset: u64,
    limit: u64,
    crc: crc32fast::Hasher,
    count: u64,
    /// Output stops at this count; `None` runs to the stream's end.
    cap: Option<u64>,
    /// For a compression in progress: the tail, held until verified.
    held: Option<Vec<u8>>,
    held_pos: usize,
    done: bool,
    ended: bool,
}

impl Reader {
    /// Opens the gzlog file at `path` (the `.gz` file itself). Reads its
    /// first 51 bytes; refuses a file that is not a gzlog file
    /// ([`ErrorKind::NotGzlog`]). Does not block on the lock.
    pub fn open(path: impl AsRef<Path>) -> Result<Reader> {
        let path = path.as_ref();
        let file = File::open(path).ctx(path, "cannot open")?;
        let mut head = [0u8; STREAM_START as usize];
        let got = read_up_to(&file, 0, &mut head).ctx(path, "cannot read")?;
        let extra = match Extra::decode(&head[..got]) {
            Ok(extra) => extra,
            Err(Refusal::NotGzlog(why)) => return Err(Error::new(ErrorKind::NotGzlog, path, why)),
            Err(Refusal::Corrupt(why)) => return Err(Error::corrupt(path, why)),
        };
        let (limit, cap) = match extra.op {
            None | Some(Operation::Replace) => (extra.tail_end(), None),
            Some(Operation::Append) => (extra.tail_end(), Some(u64::from(extra.tlen))),
            Some(Operation::Compress) => (u64::MAX, Some(u64::from(extra.clen))),
        };
        Ok(Reader {
            path: path.to_path_buf(),
            file,
            extra,
            inflate: Decompress::new(false),
            input: Vec::new(),
            input_pos: 0,
            offset: STREAM_START,
            limit,
            crc: crc32fast::Hasher::new(),
            count: 0,
            cap,
            held: None,
            held_pos: 0,
            done: false,
            ended: false,
        })
    }

    /// The operation the extra field marks as in progress, if any: the log
    /// needs a recovery (by [`GzLog::open`](crate::GzLog::open)) to be
    /// complete.
    pub fn in_progress(&self) -> Option<Operation> {
        self.extra.op
    }

    /// True when an operation is marked in progress.
    pub fn needs_recovery(&self) -> bool {
        self.extra.op.is_some()
    }

    /// Total uncompressed length (mod 2^32) the extra field records.
    pub fn recorded_len(&self) -> u32 {
        self.extra.tlen
    }

    fn corrupt(&self, why: impl Into<String>) -> io::Error {
        Error::corrupt(&self.path, why).into()
    }

    /// Refills the input buffer; returns false at the end of the input.
    fn fill(&mut self) -> io::Result<bool> {
        if self.input_pos < self.input.len() {
            return Ok(true);
        }
        let want = (self.limit.saturating_sub(self.offset)).min(INPUT_CHUNK as u64) as usize;
        if want == 0 {
            return Ok(false);
        }
        self.input.resize(want, 0);
        let got = read_up_to(&self.file, self.offset, &mut self.input)?;
        self.input.truncate(got);
        self.input_pos = 0;
        self.offset += got as u64;
        Ok(got > 0)
    }

    /// Inflates into `out` (at most `out.len()` bytes); returns 0 at the end
    /// of the data.
    fn inflate_some(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.ended {
            return Ok(0);
        }
        loop {
            let more = self.fill()?;
            let before_in = self.inflate.total_in();
            let before_out = self.inflate.total_out();
            let status = self
                .inflate
                .decompress(&self.input[self.input_pos..], out, FlushDecompress::None)
                .map_err(|e| self.corrupt(format!("invalid deflate data: {e}")))?;
            self.input_pos += (self.inflate.total_in() - before_in) as usize;
            let produced = (self.inflate.total_out() - before_out) as usize;
            if status == Status::StreamEnd {
                self.ended = true;
            }
            if produced > 0 || self.ended {
                return Ok(produced);
            }
            if !more && self.inflate.total_in() == before_in {
                // The file ends before the stream does: end of the data.
                return Ok(0);
            }
        }
    }

    fn emit(&mut self, data: &[u8]) {
        self.crc.update(data);
        self.count += data.len() as u64;
    }

    /// The verified end of a complete stream.
    fn check_totals(&self) -> io::Result<()> {
        let crc = self.crc.clone().finalize();
        if self.count as u32 != self.extra.tlen || crc != self.extra.tcrc {
            return Err(
                self.corrupt("data does not match the CRC-32 and length of the extra field")
            );
        }
        Ok(())
    }

    /// For a compression in progress: reads and checks the tail.
    fn load_held_tail(&mut self) -> io::Result<()> {
        let want = u64::from(self.extra.tlen.wrapping_sub(self.extra.clen));
        let mut tail = Vec::new();
        let mut buf = vec![0u8; INPUT_CHUNK];
        while (tail.len() as u64) < want {
            let room = (want - tail.len() as u64).min(buf.len() as u64) as usize;
            // Past the splice the file may hold a half-written stream: an
            // inflate error there just means the tail is not readable.
            let n = self.inflate_some(&mut buf[..room]).unwrap_or_default();
            if n == 0 {
                break;
            }
            tail.extend_from_slice(&buf[..n]);
        }
        let mut crc = self.crc.clone();
        crc.update(&tail);
        if tail.len() as u64 == want && crc.finalize() == self.extra.tcrc {
            self.emit(&tail);
            self.held = Some(tail);
        } else {
            self.held = Some(Vec::new());
        }
        Ok(())
    }
}

impl Read for Reader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        if let Some(held) = &self.held {
            let n = (held.len() - self.held_pos).min(out.len());
            out[..n].copy_from_slice(&held[self.held_pos..self.held_pos + n]);
            self.held_pos += n;
            return Ok(n);
        }
        if self.done {
            return Ok(0);
        }
        let room = match self.cap {
            Some(cap) => (cap - self.count).min(out.len() as u64) as usize,
            None => out.len(),
        };
        let n = if room == 0 {
            0
        } else {
            self.inflate_some(&mut out[..room])?
        };
        if n > 0 {
            self.emit(&out[..n]);
            return Ok(n);
        }
        // End of what the snapshot lets us read.
        self.done = true;
        let reached_cap = self.cap.is_some_and(|cap| self.count == cap);
        match self.extra.op {
            Some(Operation::Compress) if reached_cap => {
                if self.crc.clone().finalize() != self.extra.ccrc {
                    return Err(self.corrupt("compressed part does not match its CRC-32"));
                }
                self.load_held_tail()?;
                self.read(out)
            }
            Some(Operation::Compress) => Ok(0),
            Some(Operation::Append) if reached_cap => {
                self.check_totals()?;
                Ok(0)
            }
            _ => {
                // The whole stream was there: it must match the extra field.
                if self.ended && self.cap.is_none() {
                    self.check_totals()?;
                }
                Ok(0)
            }
        }
    }
}

/// Like `read_exact_at`, but a short read at the end of the file is fine.
fn read_up_to(file: &File, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match file.read_at(&mut buf[got..], offset + got as u64) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}
