//! The gzlog handle: open, append, compress, recover, close.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::crash::bail;
use crate::deflate::deflate_aligned;
use crate::error::{Error, ErrorKind, Result};
use crate::files::{self, Context, Paths};
use crate::format::{
    self, Extra, Operation, Refusal, BLOCK_STRIDE, DICT, MAX_STORE, MAX_TAIL, STREAM_START, TRIGGER,
};
use crate::journal;
use crate::lock::Lock;

/// Default compression level (zlib's default, as gzlog.c uses).
pub const DEFAULT_LEVEL: u32 = 6;
/// Default patience: a lock whose mtime is more than this old is stale.
pub const DEFAULT_PATIENCE: Duration = Duration::from_secs(300);
/// Default time [`GzLog::open`] waits for a lock held by a live process.
pub const DEFAULT_LOCK_WAIT: Duration = Duration::from_secs(10);

/// Options for opening a [`GzLog`]; made by [`GzLog::options`].
#[derive(Debug, Clone)]
pub struct GzLogOptions {
    level: u32,
    patience: Duration,
    lock_wait: Duration,
}

impl Default for GzLogOptions {
    fn default() -> Self {
        GzLogOptions {
            level: DEFAULT_LEVEL,
            patience: DEFAULT_PATIENCE,
            lock_wait: DEFAULT_LOCK_WAIT,
        }
    }
}

impl GzLogOptions {
    /// Compression level 0..=9 for [`GzLog::compress`] (default
    /// [`DEFAULT_LEVEL`]). Checked by [`open`](Self::open).
    pub fn level(mut self, level: u32) -> Self {
        self.level = level;
        self
    }

    /// How old a lock's mtime must be before it counts as abandoned
    /// (default [`DEFAULT_PATIENCE`], gzlog.c's 300 s). Keep it equal in
    /// every process sharing a log.
    pub fn patience(mut self, patience: Duration) -> Self {
        self.patience = patience;
        self
    }

    /// How long opening (or re-taking a lost lock) waits for a lock held by
    /// a live process before failing with [`ErrorKind::Locked`] (default
    /// [`DEFAULT_LOCK_WAIT`]). Zero means one try.
    pub fn lock_wait(mut self, wait: Duration) -> Self {
        self.lock_wait = wait;
        self
    }

    /// Opens or creates the log `prefix.gz`; see [`GzLog::open`].
    pub fn open(self, prefix: impl AsRef<Path>) -> Result<GzLog> {
        GzLog::open_with(prefix.as_ref(), self)
    }
}

/// What a recovery at open did; see [`GzLog::recovery`] and [`recover`].
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recovery {
    /// The operation that had been interrupted and was completed.
    pub operation: Operation,
    /// For append and compress: whether `P.add` was found and used (if not,
    /// an interrupted append was rolled back and an interrupted compression
    /// kept only the compressed part). `None` for replace.
    pub add_loaded: Option<bool>,
    /// Bytes read from `P.add`.
    pub add_len: u64,
}

/// An open gzlog: the lock on `prefix.gz` and the state of its extra field.
///
/// Every call blocks on file I/O. [`write`](Self::write) and
/// [`compress`](Self::compress) return only after their data is durable
/// (see `docs/durability.md`). Dropping the handle releases the lock on a
/// best-effort basis; [`close`](Self::close) reports failures.
#[derive(Debug)]
pub struct GzLog {
    prefix: PathBuf,
    paths: Paths,
    opts: GzLogOptions,
    file: Option<File>,
    extra: Extra,
    lock: Option<Lock>,
    recovery: Option<Recovery>,
    /// The in-memory extra may differ from the file (an operation failed
    /// half-way): re-read and recover before the next operation.
    stale: bool,
}

impl GzLog {
    /// Options with the defaults, to set the level, patience or lock wait.
    pub fn options() -> GzLogOptions {
        GzLogOptions::default()
    }

    /// Opens `prefix.gz` with the default options, creating a fresh log if
    /// it is missing or empty, and takes `prefix.lock`.
    ///
    /// Waits up to [`DEFAULT_LOCK_WAIT`] for a lock held by a live process;
    /// takes over at once a lock left by a dead process on this host, and a
    /// lock whose mtime is older than the patience. If an operation was
    /// interrupted, it is completed first (reported by
    /// [`recovery`](Self::recovery), journaled in `prefix.repairs`). A file
    /// that is not a gzlog file is refused ([`ErrorKind::NotGzlog`]) and
    /// left untouched. Costs a few reads; creating a log costs two fsyncs,
    /// a recovery the fsyncs of the operation it completes.
    pub fn open(prefix: impl AsRef<Path>) -> Result<GzLog> {
        GzLog::open_with(prefix.as_ref(), GzLogOptions::default())
    }

    fn open_with(prefix: &Path, opts: GzLogOptions) -> Result<GzLog> {
        if prefix.as_os_str().is_empty() {
            return Err(Error::new(ErrorKind::InvalidInput, prefix, "empty prefix"));
        }
        if opts.level > 9 {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                prefix,
                format!("compression level {} is not in 0..=9", opts.level),
            ));
        }
        let paths = Paths::new(prefix);
        let lock = Lock::acquire(&paths.lock, opts.patience, opts.lock_wait)?;
        let mut log = GzLog {
            prefix: prefix.to_path_buf(),
            paths,
            opts,
            file: None,
            extra: format::FRESH_EXTRA,
            lock: Some(lock),
            recovery: None,
            stale: true,
        };
        if let Err(err) = log.load() {
            if let Some(lock) = log.lock.take() {
                let _ = lock.release();
            }
            return Err(err);
        }
        Ok(log)
    }

    /// The prefix this log was opened with.
    pub fn prefix(&self) -> &Path {
        &self.prefix
    }

    /// What the recovery done by the latest (re-)open did, if any.
    pub fn recovery(&self) -> Option<&Recovery> {
        self.recovery.as_ref()
    }

    /// Uncompressed bytes currently in the stored tail.
    pub fn tail_len(&self) -> u64 {
        self.extra.tail_len()
    }

    /// Appends `data` to the log. An empty `data` does nothing.
    ///
    /// When this returns `Ok`, the data is durable: `P.add` and the log are
    /// fsynced before and after the append is marked (five fsyncs). Once
    /// the tail reaches 1 MiB the log is compressed before returning (more
    /// fsyncs and CPU); an error from that compression is returned although
    /// the data itself is already safely in the log. A write longer than
    /// 3,358,720 bytes is appended in pieces of that size, each atomic on
    /// its own; shorter writes are all-or-nothing across a crash.
    pub fn write(&mut self, data: &[u8]) -> Result<()> {
        if data.is_empty() {
            return Ok(());
        }
        self.guarded(|log| {
            for piece in data.chunks(MAX_TAIL as usize) {
                // Keep the tail within what gzlog.c can compress (18.8).
                let tail = log.extra.tail_len();
                if tail > 0 && tail + piece.len() as u64 > MAX_TAIL {
                    log.compress_tail()?;
                }
                log.append(piece)?;
                if log.extra.tail_len() >= TRIGGER {
                    log.compress_tail()?;
                }
            }
            Ok(())
        })
    }

    /// Compresses the uncompressed tail into the compressed part. With an
    /// empty tail this does nothing and returns `Ok`.
    ///
    /// Blocks for the compression (about 30 ms per MiB at level 6 in a
    /// release build); fsyncs `P.add`, `P.temp`, the directory and, through
    /// the marks, the log several times.
    pub fn compress(&mut self) -> Result<()> {
        self.guarded(|log| {
            if log.extra.tail_len() > 0 {
                log.compress_tail()?;
            }
            Ok(())
        })
    }

    /// Releases the lock. Reports a failure to delete the lock file;
    /// dropping the handle does the same and ignores it.
    pub fn close(mut self) -> Result<()> {
        self.file = None;
        match self.lock.take() {
            Some(lock) => lock.release(),
            None => Ok(()),
        }
    }

    /// Runs an operation after checking the lock and the in-memory state;
    /// marks the state stale if the operation fails part-way.
    fn guarded(&mut self, op: impl FnOnce(&mut GzLog) -> Result<()>) -> Result<()> {
        let ours = self.lock.as_mut().is_some_and(Lock::check);
        if !ours {
            // Lost (another process judged it stale): not ours to delete.
            self.lock = None;
            self.lock = Some(Lock::acquire(
                &self.paths.lock,
                self.opts.patience,
                self.opts.lock_wait,
            )?);
            self.stale = true;
        }
        if self.stale {
            self.load()?;
        }
        let result = op(self);
        if result.is_err() {
            self.stale = true;
        }
        result
    }

    fn file(&self) -> Result<&File> {
        self.file
            .as_ref()
            .ok_or_else(|| Error::new(ErrorKind::Io, &self.paths.gz, "log file not open"))
    }

    fn touch(&mut self) {
        if let Some(lock) = self.lock.as_mut() {
            lock.touch();
        }
    }

    /// (Re-)opens `P.gz`, reads the extra field and recovers (section 10).
    fn load(&mut self) -> Result<()> {
        let gz = &self.paths.gz;
        self.file = None;
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o644)
            .open(gz)
            .ctx(gz, "cannot open")?;
        let len = file.metadata().ctx(gz, "cannot stat")?.len();
        if len == 0 {
            file.write_all_at(&format::fresh_log(), 0)
                .ctx(gz, "cannot write a fresh log")?;
            file.sync_all().ctx(gz, "cannot fsync")?;
            files::remove_if_present(&self.paths.dict)?;
            files::sync_dir(&self.paths.dir)?;
        }
        let head = match files::read_exact_at(&file, 0, STREAM_START as usize) {
            Ok(head) => head,
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                return Err(Error::new(
                    ErrorKind::NotGzlog,
                    gz,
                    "shorter than a gzlog header",
                ))
            }
            Err(e) => return Err(Error::io(gz, "cannot read the header", e)),
        };
        let extra = match Extra::decode(&head) {
            Ok(extra) => extra,
            Err(Refusal::NotGzlog(why)) => return Err(Error::new(ErrorKind::NotGzlog, gz, why)),
            Err(Refusal::Corrupt(why)) => return Err(Error::corrupt(gz, why)),
        };
        let len = file.metadata().ctx(gz, "cannot stat")?.len();
        check_layout(&file, gz, &extra, len)?;
        self.file = Some(file);
        self.extra = extra;
        self.recovery = None;
        if let Some(op) = extra.op {
            self.recover(op)?;
        }
        self.stale = false;
        self.touch();
        Ok(())
    }

    /// Completes an interrupted operation (section 12).
    fn recover(&mut self, op: Operation) -> Result<()> {
        let journal = self.paths.repairs.clone();
        journal::record(&journal, op, "start");
        let mut report = Recovery {
            operation: op,
            add_loaded: None,
            add_len: 0,
        };
        let mut data = Vec::new();
        if op != Operation::Replace {
            match files::read_prefix(&self.paths.add, usize::MAX) {
                Ok(Some(bytes)) if !bytes.is_empty() => {
                    journal::record(&journal, op, "loaded .add file");
                    report.add_loaded = Some(true);
                    report.add_len = bytes.len() as u64;
                    data = bytes;
                }
                Ok(_) => {
                    journal::record(&journal, op, "missing .add file!");
                    report.add_loaded = Some(false);
                }
                Err(err) => {
                    journal::record(&journal, op, ".add file read failure");
                    return Err(err);
                }
            }
        }
        let result = match op {
            Operation::Append => self.append_core(&data),
            Operation::Compress => self.compress_core(&data),
            Operation::Replace => self.replace_core(),
        };
        let event = if result.is_ok() {
            "complete"
        } else {
            "failure"
        };
        journal::record(&journal, op, event);
        result?;
        self.recovery = Some(report);
        Ok(())
    }

    /// Writes the extra field with `op` in progress, fsyncing before and
    /// after (section 9).
    fn mark(&mut self, op: Option<Operation>) -> Result<()> {
        self.extra.op = op;
        let bytes = self.extra.encode();
        let gz = &self.paths.gz;
        let file = self.file()?;
        file.sync_all().ctx(gz, "cannot fsync")?;
        file.write_all_at(&bytes, format::HEAD_LEN as u64)
            .ctx(gz, "cannot write the extra field")?;
        file.sync_all().ctx(gz, "cannot fsync")
    }

    /// Rewrites the last block's header (section 6); returns the offset
    /// just past its data.
    fn set_last(&self, final_block: bool) -> Result<u64> {
        let gz = &self.paths.gz;
        let file = self.file()?;
        let (at, len, k) = format::last_header_site(&self.extra);
        let current = if k == 0 {
            0
        } else {
            let mut b = [0u8; 1];
            file.read_exact_at(&mut b, at)
                .ctx(gz, "cannot read a block header")?;
            b[0]
        };
        let bytes = format::last_header_bytes(&self.extra, current, final_block);
        debug_assert_eq!(at + len, self.extra.last);
        file.write_all_at(&bytes, at)
            .ctx(gz, "cannot write a block header")?;
        Ok(self.extra.tail_end())
    }

    /// Writes the gzip trailer at `pos` and cuts the file after it.
    fn finish_stream(&self, pos: u64) -> Result<()> {
        let gz = &self.paths.gz;
        let file = self.file()?;
        let mut trailer = [0u8; 8];
        trailer[..4].copy_from_slice(&self.extra.tcrc.to_le_bytes());
        trailer[4..].copy_from_slice(&self.extra.tlen.to_le_bytes());
        file.write_all_at(&trailer, pos)
            .ctx(gz, "cannot write the trailer")?;
        file.set_len(pos + 8).ctx(gz, "cannot truncate")
    }

    /// One append: `P.add`, the mark, the core (section 7).
    fn append(&mut self, data: &[u8]) -> Result<()> {
        files::write_synced(&self.paths.add, data)?;
        self.touch();
        self.mark(Some(Operation::Append))?;
        bail(8);
        self.append_core(data)
    }

    /// The append core, also the recovery of an interrupted append.
    fn append_core(&mut self, data: &[u8]) -> Result<()> {
        let mut pos = self.set_last(true)?;
        let mut rest = data;
        while !rest.is_empty() {
            let room = (MAX_STORE - self.extra.stored) as usize;
            let put = room.min(rest.len());
            if put > 0 {
                let (chunk, after) = rest.split_at(put);
                self.file()?
                    .write_all_at(chunk, pos)
                    .ctx(&self.paths.gz, "cannot append")?;
                bail(1);
                let mut crc = crc32fast::Hasher::new_with_initial(self.extra.tcrc);
                crc.update(chunk);
                self.extra.tcrc = crc.finalize();
                self.extra.tlen = self.extra.tlen.wrapping_add(put as u32);
                self.extra.stored += put as u64;
                rest = after;
            }
            if !rest.is_empty() {
                self.set_last(false)?;
                self.extra.last += BLOCK_STRIDE;
                self.extra.stored = 0;
            }
            pos = self.set_last(true)?;
            bail(2);
        }
        self.finish_stream(pos)?;
        self.mark(None)?;
        // A leftover P.add is ignored while no operation is marked, so its
        // unlink needs no directory fsync.
        let _ = std::fs::remove_file(&self.paths.add);
        Ok(())
    }

    /// Reads the stored tail, checking every block header.
    fn read_tail(&self) -> Result<Vec<u8>> {
        let gz = &self.paths.gz;
        let e = &self.extra;
        let start = e.first - 1;
        let region = files::read_exact_at(self.file()?, start, (e.tail_end() - start) as usize)
            .ctx(gz, "cannot read the uncompressed tail")?;
        let blocks = (e.last - e.first) / BLOCK_STRIDE + 1;
        let mut data = Vec::with_capacity(e.tail_len() as usize);
        for i in 0..blocks {
            let at = (i * BLOCK_STRIDE) as usize;
            let want = if i + 1 == blocks { e.stored } else { MAX_STORE } as u16;
            let len = u16::from_le_bytes([region[at + 1], region[at + 2]]);
            let nlen = u16::from_le_bytes([region[at + 3], region[at + 4]]);
            if len != want || nlen != !want {
                return Err(Error::corrupt(
                    gz,
                    format!("stored block {i} has LEN {len}, expected {want}"),
                ));
            }
            data.extend_from_slice(&region[at + 5..at + 5 + usize::from(len)]);
        }
        Ok(data)
    }

    /// Compression preparation (section 8, steps 1-4), then the core.
    fn compress_tail(&mut self) -> Result<()> {
        let data = self.read_tail()?;
        self.touch();
        files::write_synced(&self.paths.add, &data)?;
        self.touch();
        files::write_synced(&self.paths.temp, &data[data.len().saturating_sub(DICT)..])?;
        // Both names must survive a power loss once the mark says compress.
        files::sync_dir(&self.paths.dir)?;
        self.touch();
        self.extra.last = self.extra.first;
        self.extra.stored = 0;
        self.mark(Some(Operation::Compress))?;
        bail(7);
        self.compress_core(&data)
    }

    /// The compress core (8.5-8.7), also the recovery of a compression.
    fn compress_core(&mut self, data: &[u8]) -> Result<()> {
        let gz = self.paths.gz.clone();
        self.extra.last = self.extra.first;
        self.extra.stored = 0;
        if data.is_empty() {
            // The tail is lost; only the compressed part stays. P.temp holds
            // the end of the lost data, so it must not become P.dict.
            self.extra.tcrc = self.extra.ccrc;
            self.extra.tlen = self.extra.clen;
            files::remove_if_present(&self.paths.temp)?;
            files::sync_dir(&self.paths.dir)?;
        } else {
            let dict = files::read_prefix(&self.paths.dict, DICT)?.unwrap_or_default();
            self.touch();
            // Close the old stream with an empty non-final stored block, so
            // that the new deflate data starts on a byte boundary.
            let mut pos = self.set_last(false)?;
            let file = self
                .file()?
                .try_clone()
                .ctx(&gz, "cannot duplicate handle")?;
            let mut lock = self.lock.take();
            let result = deflate_aligned(
                data,
                &dict,
                self.opts.level,
                |piece| {
                    file.write_all_at(piece, pos)
                        .ctx(&gz, "cannot write compressed data")?;
                    pos += piece.len() as u64;
                    if let Some(lock) = lock.as_mut() {
                        lock.touch();
                    }
                    Ok(())
                },
                |why| Error::new(ErrorKind::Io, &gz, why),
            );
            self.lock = lock;
            result?;
            bail(5);
            // The final empty stored block goes at `pos`, byte-aligned.
            self.extra.first = pos + 1;
            self.extra.back = 8;
            self.extra.ccrc = self.extra.tcrc;
            self.extra.clen = self.extra.tlen;
        }
        self.extra.last = self.extra.first;
        self.extra.stored = 0;
        let pos = self.set_last(true)?;
        self.finish_stream(pos)?;
        bail(6);
        self.mark(Some(Operation::Replace))?;
        self.replace_core()
    }

    /// The replace step (8.8), also the recovery of a replace.
    fn replace_core(&mut self) -> Result<()> {
        let _ = std::fs::remove_file(&self.paths.add);
        bail(3);
        match std::fs::rename(&self.paths.temp, &self.paths.dict) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io(&self.paths.temp, "cannot rename to .dict", e)),
        }
        files::sync_dir(&self.paths.dir)?;
        bail(4);
        self.mark(None)
    }
}

impl Drop for GzLog {
    fn drop(&mut self) {
        if let Some(lock) = self.lock.take() {
            let _ = lock.release();
        }
    }
}

/// Opens the log, recovering an interrupted operation, and closes it again.
/// Returns what the recovery did, or `None` if nothing was interrupted.
/// Blocks like [`GzLog::open`].
pub fn recover(prefix: impl AsRef<Path>) -> Result<Option<Recovery>> {
    let log = GzLog::open(prefix)?;
    let report = log.recovery.clone();
    log.close()?;
    Ok(report)
}

/// Checks the stored blocks against the extra field and the file length,
/// so that garbage is refused before anything is written.
fn check_layout(file: &File, gz: &Path, e: &Extra, len: u64) -> Result<()> {
    let (needed, blocks_to_check) = match e.op {
        None | Some(Operation::Replace) => {
            (e.tail_end() + 8, (e.last - e.first) / BLOCK_STRIDE + 1)
        }
        Some(Operation::Append) => (e.tail_end(), (e.last - e.first) / BLOCK_STRIDE),
        // The tail may already be overwritten by compressed data.
        Some(Operation::Compress) => (e.first, 0),
    };
    if len < needed {
        return Err(Error::corrupt(
            gz,
            format!(
                "extra field points to offset {needed}, past the end of the file ({len} bytes)"
            ),
        ));
    }
    if e.op.is_none() && len != needed {
        return Err(Error::corrupt(
            gz,
            format!("file has {len} bytes, extra field says {needed}"),
        ));
    }
    if blocks_to_check == 0 {
        return Ok(());
    }
    // The first block's header bits above BFINAL, and any byte up to
    // `first`, must be zero (BTYPE 00 and padding).
    let first = Extra {
        last: e.first,
        ..*e
    };
    let (at, hlen, k) = format::last_header_site(&first);
    let head = files::read_exact_at(file, at, hlen as usize).ctx(gz, "cannot read")?;
    // For an append only the blocks before the last are checked, and those
    // are never final.
    let high = head[0] >> k;
    if high != u8::from(e.first == e.last) || head[1..].iter().any(|&b| b != 0) {
        return Err(Error::corrupt(
            gz,
            "first stored block header is not where the extra field says",
        ));
    }
    for i in 0..blocks_to_check {
        let off = e.first + i * BLOCK_STRIDE;
        let b = files::read_exact_at(file, off - 1, 5).ctx(gz, "cannot read")?;
        let last = off == e.last;
        let want = if last {
            e.stored as u16
        } else {
            MAX_STORE as u16
        };
        let len = u16::from_le_bytes([b[1], b[2]]);
        let nlen = u16::from_le_bytes([b[3], b[4]]);
        let header_ok = i == 0 || b[0] == u8::from(last);
        if !header_ok || len != want || nlen != !want {
            return Err(Error::corrupt(
                gz,
                format!("stored block {i} at offset {off} does not match the extra field"),
            ));
        }
    }
    Ok(())
}
