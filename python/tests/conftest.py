"""Fixtures: the Rust example publisher (`mimir-stream/examples/publish.rs`),
built once per session and driven over its standard input."""
import os
import pathlib
import subprocess

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def publish_binary():
    """Builds the example publisher in release mode and returns its path."""
    subprocess.run(
        ["cargo", "build", "--release", "-p", "mimir-stream", "--example", "publish"],
        cwd=REPO,
        check=True,
    )
    target = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    if not target.is_absolute():
        target = REPO / target
    binary = target / "release" / "examples" / "publish"
    assert binary.exists(), binary
    return binary


class Publisher:
    """A running example publisher on free ports."""

    def __init__(self, binary, stream_maxlen):
        self.process = subprocess.Popen(
            [str(binary), "0", "0", str(stream_maxlen)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        words = self.process.stdout.readline().split()
        assert words[0] == "ports", words
        self.pub_port, self.snapshot_port = int(words[1]), int(words[2])

    def log(self, n):
        """Logs `n` entries; returns the last sequence number published."""
        self.process.stdin.write("log {}\n".format(n))
        self.process.stdin.flush()
        words = self.process.stdout.readline().split()
        assert words[0] == "logged", words
        return int(words[1])

    def close(self):
        self.process.stdin.close()
        assert self.process.wait(timeout=10) == 0


@pytest.fixture
def publisher(publish_binary):
    """A publisher keeping the last 100 entries for snapshots."""
    p = Publisher(publish_binary, 100)
    yield p
    p.close()


def wait_subscribed(publisher, subscriber, recv):
    """Logs one entry at a time until `subscriber` receives one (ZeroMQ's
    slow joiner), and returns the last sequence number logged."""
    for _ in range(1000):
        last = publisher.log(1)
        if subscriber.poll(10):
            recv(subscriber)
            return last
    raise AssertionError("the subscription never took effect")
