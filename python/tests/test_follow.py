"""mimir.stream.follow and Follower against a real `mimir demo` process."""
import threading
import time
import warnings

import pytest

from conftest import free_port
from mimir import stream


def contiguous(pairs):
    """The sequence numbers are consecutive and each entry is the demo's
    (iteration = sequence - 1)."""
    seqs = [s for s, _ in pairs]
    return (seqs == list(range(seqs[0], seqs[0] + len(seqs)))
            and all(e["iteration"] == s - 1 for s, e in pairs))


def test_snapshot_of_the_demo_holds_its_last_50_entries(demo):
    d = demo(100000, 2)
    time.sleep(0.5)
    last, entries = stream.get_snapshot(port=d.snapshot_port, timeout=5)
    assert len(entries) == 50
    assert [e["iteration"] for e in entries] == list(range(last - 50, last))
    assert entries[-1]["training_error"] == pytest.approx(1 / last)


def test_follow_is_contiguous_across_the_snapshot_boundary(demo):
    d = demo(100000, 1)
    time.sleep(0.4)  # more than 50 entries logged: the snapshot is full
    pairs = []
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no gap may be reported
        for pair in stream.follow(pub_port=d.pub_port, snapshot_port=d.snapshot_port,
                                  with_sequence=True, timeout=5):
            pairs.append(pair)
            if len(pairs) == 400:
                break
    assert contiguous(pairs), [s for s, _ in pairs][:60]
    # The first 50 came from the snapshot: they were logged before we joined.
    assert pairs[0][0] > 100


def test_follow_yields_plain_entries_and_stops_after_timeout(demo):
    d = demo(400, 2)
    time.sleep(0.3)
    got = list(stream.follow(pub_port=d.pub_port, snapshot_port=d.snapshot_port,
                             timeout=1.0))
    iterations = [e["iteration"] for e in got]
    # From the snapshot's first entry to the demo's last, then the timeout.
    assert iterations == list(range(iterations[0], 400))
    assert 0 < iterations[0] < 400 - 50


def test_follow_waits_for_a_publisher_that_is_not_there_yet(mimir_binary):
    # The client starts first, on ports nobody listens on yet: no error,
    # no entry, and the snapshot request is retried rather than blocking.
    import subprocess

    pub, snap = free_port(), free_port()
    follower = stream.Follower(pub_port=pub, snapshot_port=snap, snapshot_timeout=0.2)
    got = []
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline:
        got += follower.poll(0.1)
    assert got == [] and not follower.has_snapshot and not follower.connected
    # Then the publisher appears on those ports, a while after its first
    # entries: the same follower gets the snapshot, then live entries.
    p = subprocess.Popen([str(mimir_binary), "demo", "--n", "100000", "--interval-ms", "2",
                          "--quiet", "--stream-maxlen", "50", "--pub-port", str(pub),
                          "--snapshot-port", str(snap)], stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and len(got) < 300:
            got += follower.poll(0.1)
    finally:
        p.kill()
        p.wait()
        follower.close()
    assert len(got) >= 300 and contiguous(got)
    assert follower.connected and follower.lost == 0


def test_follow_without_snapshot_service_warns_and_follows_live(demo):
    d = demo(100000, 2, stream_maxlen=None)
    assert d.snapshot_port is None
    pairs = []
    with pytest.warns(RuntimeWarning, match="no snapshot"):
        for pair in stream.follow(pub_port=d.pub_port, snapshot_port=free_port(),
                                  with_sequence=True, timeout=5, snapshot_timeout=0.3):
            pairs.append(pair)
            if len(pairs) == 100:
                break
    assert contiguous(pairs)


class FakePublisher:
    """A publisher in Python speaking the wire protocol, that can skip
    sequence numbers and restart: gaps are hard to cause on purpose with
    the real one, whose queues hold 100,000 entries."""

    def __init__(self):
        import zmq

        self.ctx = zmq.Context()
        self.pub = self.ctx.socket(zmq.PUB)
        self.pub.linger = 0
        self.pub_port = self.pub.bind_to_random_port("tcp://127.0.0.1")
        self.router = self.ctx.socket(zmq.ROUTER)
        self.router.linger = 0
        self.snapshot_port = self.router.bind_to_random_port("tcp://127.0.0.1")
        self.kept = []  # (seq, entry) the snapshot serves
        self.lock = threading.Lock()
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        import json

        while self.running:
            if not self.router.poll(20):
                continue
            identity, request = self.router.recv_multipart()
            assert request == b"ICANHAZ?"
            with self.lock:
                kept = list(self.kept)
            for seq, entry in kept:
                self.router.send_multipart([identity, str(seq).encode(),
                                            json.dumps(entry).encode()])
            self.router.send_multipart([identity, b"-1", b'""'])

    def send(self, seq, keep=True, publish=True):
        import json

        entry = {"iteration": seq - 1}
        if keep:
            with self.lock:
                self.kept.append((seq, entry))
        if publish:
            self.pub.send_multipart([str(seq).encode(), json.dumps(entry).encode()])

    def close(self):
        self.running = False
        self.thread.join()
        self.pub.close()
        self.router.close()
        self.ctx.term()


def joined(publisher, follower, seq=1):
    """Publishes seq, seq+1, ... until the follower receives one (slow
    joiner); returns what it received and the next sequence number."""
    for _ in range(500):
        publisher.send(seq)
        seq += 1
        got = follower.poll(0.01)
        if got:
            return got, seq
    raise AssertionError("the follower never received an update")


@pytest.fixture
def fake():
    p = FakePublisher()
    yield p
    p.close()


def test_a_gap_without_history_is_reported(fake):
    gaps = []
    follower = stream.Follower(pub_port=fake.pub_port, snapshot_port=fake.snapshot_port,
                               history=False, on_gap=lambda a, b: gaps.append((a, b)))
    got, seq = joined(fake, follower)
    for s in range(seq, seq + 3):
        fake.send(s)
    for s in range(seq + 6, seq + 8):
        fake.send(s)  # seq+3 .. seq+5 never sent
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and (not got or got[-1][0] != seq + 7):
        got += follower.poll(0.1)
    follower.close()
    seqs = [s for s, _ in got]
    assert seqs == list(range(seqs[0], seq + 3)) + [seq + 6, seq + 7]
    assert gaps == [(seq + 3, seq + 5)] == follower.gaps
    assert follower.lost == 3


def test_a_gap_is_repaired_from_a_new_snapshot(fake):
    gaps = []
    follower = stream.Follower(pub_port=fake.pub_port, snapshot_port=fake.snapshot_port,
                               on_gap=lambda a, b: gaps.append((a, b)))
    got, seq = joined(fake, follower)
    # Missed by this subscriber (as when it falls behind) but kept by the
    # publisher: the follower must fetch them from a snapshot.
    for s in range(seq, seq + 3):
        fake.send(s, publish=False)
    fake.send(seq + 3)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and (not got or got[-1][0] != seq + 3):
        got += follower.poll(0.1)
    follower.close()
    assert contiguous(got), got
    assert got[0][0] == 1 and got[-1][0] == seq + 3
    assert gaps == [] and follower.lost == 0


def test_a_gap_the_snapshot_cannot_fill_is_reported(fake):
    gaps = []
    follower = stream.Follower(pub_port=fake.pub_port, snapshot_port=fake.snapshot_port,
                               on_gap=lambda a, b: gaps.append((a, b)))
    got, seq = joined(fake, follower)
    fake.send(seq, publish=False)            # repairable
    fake.send(seq + 1, keep=False, publish=False)  # lost for good
    fake.send(seq + 2)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and (not got or got[-1][0] != seq + 2):
        got += follower.poll(0.1)
    follower.close()
    seqs = [s for s, _ in got]
    assert seqs == list(range(1, seq + 1)) + [seq + 2]
    assert gaps == [(seq + 1, seq + 1)] and follower.lost == 1


def test_a_restarted_publisher_is_followed_and_reported(fake):
    follower = stream.Follower(pub_port=fake.pub_port, snapshot_port=fake.snapshot_port,
                               history=False)
    got, seq = joined(fake, follower, seq=100)
    with pytest.warns(RuntimeWarning, match="went back"):
        for s in (1, 2, 3):
            fake.send(s)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and got[-1][0] != 3:
            got += follower.poll(0.1)
    follower.close()
    assert [s for s, _ in got][-3:] == [1, 2, 3]
    assert follower.restarts == 1 and follower.lost == 0


def test_connected_tracks_the_publisher(demo):
    d = demo(100000, 5)
    follower = stream.Follower(pub_port=d.pub_port, snapshot_port=d.snapshot_port)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and follower.received < 10:
        follower.poll(0.1)
    assert follower.connected and follower.received >= 10
    d.stop()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and follower.connected:
        follower.poll(0.1)
    assert not follower.connected
    follower.close()
