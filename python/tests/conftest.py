"""Fixtures: the Rust example publisher (`mimir-stream/examples/publish.rs`),
built once per session and driven over its standard input, and the `mimir
demo` command (`mimir-cli`) publishing on free ports."""
import os
import re
import socket
import pathlib
import subprocess

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]


def cargo_target():
    target = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    return target if target.is_absolute() else REPO / target


def cargo_build(args, path):
    """Builds with cargo (a debug build: the Rust tests that ran before have
    built it already, so this costs nothing) and returns the binary."""
    subprocess.run(["cargo", "build", *args], cwd=REPO, check=True)
    binary = cargo_target() / "debug" / path
    assert binary.exists(), binary
    return binary


@pytest.fixture(scope="session")
def publish_binary():
    """Builds the example publisher and returns its path."""
    return cargo_build(["-p", "mimir-stream", "--example", "publish"], "examples/publish")


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


@pytest.fixture(scope="session")
def mimir_binary():
    """Builds the `mimir` command and returns its path."""
    return cargo_build(["-p", "mimir-cli"], "mimir")


class Demo:
    """A running `mimir demo` publishing on free ports (read from the one
    line it prints on standard error)."""

    def __init__(self, binary, n, interval_ms, stream_maxlen=50, file=None):
        args = [str(binary), "demo", "--n", str(n), "--interval-ms", str(interval_ms),
                "--quiet", "--pub-port", "0", "--snapshot-port", "0"]
        if stream_maxlen is None:
            args.append("--stream")
        else:
            args += ["--stream-maxlen", str(stream_maxlen)]
        if file is not None:
            args += ["--file", str(file)]
        self.process = subprocess.Popen(args, stderr=subprocess.PIPE, text=True)
        line = self.process.stderr.readline()
        match = re.match(r"mimir: publishing on tcp://[^:]+:(\d+), snapshots on (\S+)", line)
        assert match, line
        self.pub_port = int(match.group(1))
        snapshot = match.group(2)
        self.snapshot_port = None if snapshot == "off" else int(snapshot.rsplit(":", 1)[1])

    def wait(self, timeout=60):
        assert self.process.wait(timeout=timeout) == 0

    def stop(self):
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)
        self.process.stderr.close()


@pytest.fixture
def demo(mimir_binary):
    """Starts demos with ``demo(n, interval_ms, ...)``; kills them at the end."""
    started = []

    def start(n, interval_ms, **kwargs):
        d = Demo(mimir_binary, n, interval_ms, **kwargs)
        started.append(d)
        return d

    yield start
    for d in started:
        d.stop()


def free_port():
    """A TCP port that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
