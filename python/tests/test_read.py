"""mimir.read and mimir.load on plain and gzlog logs, also while written."""
import gzip
import json
import sys
import time

import pytest

import mimir


def test_read_a_growing_gzip_log_returns_only_whole_entries(demo, tmp_path):
    path = tmp_path / "run" / "log.jsonl.gz"
    d = demo(4000, 1, file=path)
    counts = []
    while d.process.poll() is None:
        if path.exists():
            entries = list(mimir.read(path))
            assert all(isinstance(e, dict) for e in entries)
            assert [e["iteration"] for e in entries] == list(range(len(entries)))
            counts.append(len(entries))
        time.sleep(0.005)
    d.wait()
    entries = mimir.load(path)
    assert [e["iteration"] for e in entries] == list(range(4000))
    # It was read many times while it grew, and it grew in between.
    assert len(counts) > 20
    assert len(set(counts)) > 10
    assert counts == sorted(counts)
    # The finished file is an ordinary gzip file with the same entries.
    with gzip.open(path, "rt") as f:
        assert [json.loads(line) for line in f] == entries


def test_read_plain_jsonl_skips_a_partial_last_line(tmp_path):
    path = tmp_path / "log.jsonl"
    path.write_text('{"a": 1}\n\n{"a": 2}\n{"a": 3')
    assert list(mimir.read(path)) == [{"a": 1}, {"a": 2}]
    path.write_text('{"a": 1}\n[1, 2]\n')
    with pytest.raises(ValueError, match="line 2"):
        list(mimir.read(path))


def test_read_a_gzip_file_cut_short(tmp_path):
    lines = "".join(json.dumps({"i": i, "pad": "x" * 50}) + "\n" for i in range(2000))
    whole = gzip.compress(lines.encode())
    path = tmp_path / "cut.jsonl.gz"
    for cut in (len(whole) - 4, len(whole) // 2, 30):
        path.write_bytes(whole[:cut])
        got = [e["i"] for e in mimir.read(path)]
        assert got == list(range(len(got)))
    path.write_bytes(whole)
    assert len(mimir.load(path)) == 2000


def test_load_as_frame(tmp_path):
    pandas = pytest.importorskip("pandas")
    path = tmp_path / "log.jsonl"
    path.write_text('{"iteration": 0, "e": 1.0}\n{"iteration": 1, "e": 0.5}\n')
    frame = mimir.load(path, as_frame=True)
    assert isinstance(frame, pandas.DataFrame)
    assert list(frame["e"]) == [1.0, 0.5]


def test_load_as_frame_without_pandas(tmp_path, monkeypatch):
    path = tmp_path / "log.jsonl"
    path.write_text('{"a": 1}\n')
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match="pip install pandas"):
        mimir.load(path, as_frame=True)
    assert mimir.load(path) == [{"a": 1}]
