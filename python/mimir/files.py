"""Read Mímir's log files: line-delimited JSON, plain (``.jsonl``) or
gzip (``.jsonl.gz``, written with the gzlog algorithm).

Both may be read while the logger is still writing them: only whole lines
are returned. A gzlog file is a valid gzip file after every write, but a
reader can catch it in the middle of one (the last stored block being
extended, its trailer not yet rewritten, a compression under way). The
deflate stream is therefore inflated raw, without waiting for the gzip
trailer, and reading stops at the end of the valid data: at the final
block, at the first byte zlib rejects, or at the first line that is not
a JSON object.
"""
import json
import time
import zlib

__all__ = ["read", "load"]

_CHUNK = 1 << 16

# A gzlog rewrites its tail in place when it compresses: a reader that
# overlaps a write or a compression starts again (skipping what it already
# returned) until it has read the file with no operation under way, or
# until this long has passed (a log left interrupted by a crash stays so).
_SETTLE_SECONDS = 2.0
_GZLOG_HEADER = bytes.fromhex("1f8b080400000000 00ff 2700 6170 2300".replace(" ", ""))


def read(path, **kwargs):
    """Iterate over the entries (dicts) of the log at `path`, oldest first.

    `path` ending in ``.gz`` is read as gzip, anything else as plain
    line-delimited JSON. A last line without its newline (being written)
    is left out. Extra keyword arguments go to :func:`json.loads`.

    Raises :class:`ValueError` for a complete line of a plain file that is
    not a JSON object (with its line number); a gzip file stops there
    instead, as its tail may be in the middle of a rewrite. A read of a gzip
    log that overlapped a write or a compression is started again, without
    returning any entry twice, for up to two seconds.
    """
    path = str(path)
    if not path.endswith(".gz"):
        yield from _entries(_plain_chunks(path), path, False, kwargs)
        return
    returned = 0
    deadline = time.monotonic() + _SETTLE_SECONDS
    while True:
        before = _gzlog_state(path)
        seen = 0
        for entry in _entries(_gzip_chunks(path), path, True, kwargs):
            seen += 1
            if seen > returned:
                returned += 1
                yield entry
        after = _gzlog_state(path)
        if (before == after and not _in_progress(after)) or time.monotonic() > deadline:
            return
        time.sleep(0.01)


def _entries(chunks, path, gz, kwargs):
    """The entries in `chunks` of line-delimited JSON; see :func:`read`."""
    pending = b""
    number = 0
    for chunk in chunks:
        pending += chunk
        end = pending.rfind(b"\n")
        if end < 0:
            continue
        lines, pending = pending[:end].split(b"\n"), pending[end + 1:]
        for line in lines:
            number += 1
            if not line.strip():
                continue
            entry = _parse(line, **kwargs)
            if entry is None:
                if gz:
                    return
                raise ValueError("{}: line {} is not a JSON object: {!r}".format(
                    path, number, line[:80]))
            yield entry


def _gzlog_state(path):
    """The 35-byte gzlog extra field of `path` (offsets, lengths, CRCs and
    the operation in progress), or b"" for a file that is not a gzlog file
    (an ordinary gzip file, which nobody rewrites). Equal before and after a
    read, with no operation marked, means no write or compression overlapped
    the read."""
    try:
        with open(path, "rb") as f:
            head = f.read(51)
    except OSError:
        return b""
    if len(head) < 51 or head[:16] != _GZLOG_HEADER:
        return b""
    return head[16:]


def _in_progress(state):
    """Whether the extra field marks an operation (bits 3-4 of its flags)."""
    return bool(state) and bool(state[34] & 0x18)


def load(path, as_frame=False, **kwargs):
    """All the entries of the log at `path` (see :func:`read`) as a list,
    or with ``as_frame=True`` as a :class:`pandas.DataFrame` (one column per
    key; needs pandas)."""
    entries = list(read(path, **kwargs))
    if not as_frame:
        return entries
    try:
        import pandas
    except ImportError:
        raise ImportError(
            "mimir.load(..., as_frame=True) needs pandas: pip install pandas "
            "(or call it with as_frame=False for a list of dicts)") from None
    return pandas.DataFrame.from_records(entries)


def _parse(line, **kwargs):
    try:
        entry = json.loads(line, **kwargs)
    except ValueError:
        return None
    return entry if isinstance(entry, dict) else None


def _plain_chunks(path):
    with open(path, "rb") as f:
        while True:
            chunk = f.read(_CHUNK)
            if not chunk:
                return
            yield chunk


def _skip_gzip_header(f, path):
    """Reads the gzip header (with gzlog's extra field) from `f`."""
    header = f.read(10)
    if len(header) < 10 or header[:2] != b"\x1f\x8b" or header[2] != 8:
        raise ValueError("{}: not a gzip file".format(path))
    flags = header[3]
    if flags & 4:  # FEXTRA
        xlen = f.read(2)
        if len(xlen) < 2:
            raise ValueError("{}: truncated gzip header".format(path))
        f.read(int.from_bytes(xlen, "little"))
    for flag in (8, 16):  # FNAME, FCOMMENT: zero-terminated
        if flags & flag:
            while f.read(1) not in (b"\0", b""):
                pass
    if flags & 2:  # FHCRC
        f.read(2)


def _gzip_chunks(path):
    with open(path, "rb") as f:
        _skip_gzip_header(f, path)
        inflate = zlib.decompressobj(-15)
        while not inflate.eof:
            data = f.read(_CHUNK)
            if not data:
                return  # no final block yet: a write is under way
            saved = inflate.copy()
            try:
                yield inflate.decompress(data)
            except zlib.error:
                # Invalid data somewhere in this chunk: keep what decodes
                # before it, in small steps, then stop.
                inflate = saved
                for i in range(0, len(data), 256):
                    try:
                        out = inflate.decompress(data[i:i + 256])
                    except zlib.error:
                        return
                    yield out
                    if inflate.eof:
                        return
                return
