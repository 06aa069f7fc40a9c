"""The original Python Mímir's client protocol, exactly as its
`mimir/stream.py` and `tests/test_persistent_client.py` spoke it, against the
Rust publisher."""
import json

import zmq

from conftest import wait_subscribed


def original_recv(s):
    # As the original: int() of the first frame, JSON of the second.
    sequence = int(s.recv())
    entry = json.loads(s.recv_string())
    return sequence, entry


def original_get_snapshot(host, port, ctx):
    snapshot = ctx.socket(zmq.DEALER)
    snapshot.linger = 0
    snapshot.rcvtimeo = 5000  # the original waits forever; a test must not
    snapshot.connect("tcp://{}:{}".format(host, port))
    snapshot.send(b"ICANHAZ?")
    sequence = 0
    entries = []
    while True:
        sequence_, entry = original_recv(snapshot)
        if sequence_ < 0:
            assert entry == ""  # the end marker's second frame is '""'
            break
        entries.append(entry)
        sequence = sequence_
    snapshot.close()
    return sequence, entries


def original_connect(host, port, ctx):
    subscriber = ctx.socket(zmq.SUB)
    subscriber.linger = 0
    subscriber.setsockopt(zmq.SUBSCRIBE, b"")
    subscriber.connect("tcp://{}:{}".format(host, port))
    return subscriber


def test_original_snapshot_then_updates(publisher):
    ctx = zmq.Context()
    publisher.log(30)
    sequence, entries = original_get_snapshot("localhost", publisher.snapshot_port, ctx)
    assert sequence == 30
    assert [e["iteration"] for e in entries] == list(range(30))
    assert entries[0]["training_error"] == 1.0

    subscriber = original_connect("localhost", publisher.pub_port, ctx)
    subscriber.rcvtimeo = 5000
    last = wait_subscribed(publisher, subscriber, original_recv)
    upto = publisher.log(50)
    received = [original_recv(subscriber) for _ in range(upto - last)]
    assert [s for s, _ in received] == list(range(last + 1, upto + 1))
    assert [e["iteration"] for _, e in received] == [s - 1 for s, _ in received]
    subscriber.close()
    ctx.term()


def test_original_snapshot_keeps_only_stream_maxlen(publisher):
    ctx = zmq.Context()
    last = publisher.log(250)
    sequence, entries = original_get_snapshot("localhost", publisher.snapshot_port, ctx)
    assert sequence == last == 250
    assert len(entries) == 100
    assert entries[0]["iteration"] == 150 and entries[-1]["iteration"] == 249
    ctx.term()


def test_original_persistent_client_dedups_against_the_snapshot(publisher):
    # The original's tests/test_persistent_client.py: subscribe, snapshot,
    # then keep only sequence numbers not seen yet.
    ctx = zmq.Context()
    publisher.log(10)
    subscriber = original_connect("localhost", publisher.pub_port, ctx)
    subscriber.rcvtimeo = 5000
    store = {}
    sequence, entries = original_get_snapshot("localhost", publisher.snapshot_port, ctx)
    for i, entry in enumerate(entries):
        store[sequence - len(entries) + 1 + i] = entry
    last = wait_subscribed(publisher, subscriber, original_recv)
    upto = publisher.log(20)
    while True:
        seq, entry = original_recv(subscriber)
        store.setdefault(seq, entry)
        if seq == upto:
            break
    # Everything from 1 is there except, possibly, probes sent before the
    # subscription took effect and after the snapshot (the original client
    # cannot recover those; ours can, see test_stream.py).
    assert set(range(last + 1, upto + 1)) <= set(store)
    assert set(range(1, 11)) <= set(store)
    subscriber.close()
    ctx.term()
