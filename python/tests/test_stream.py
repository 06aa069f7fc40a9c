"""Tests of mimir.stream against the Rust publisher."""
import threading

import pytest
import zmq

from conftest import Publisher, wait_subscribed
from mimir import stream


def test_get_snapshot_returns_last_sequence_and_entries(publisher):
    publisher.log(5)
    sequence, entries = stream.get_snapshot(port=publisher.snapshot_port, timeout=5)
    assert sequence == 5
    assert [e["iteration"] for e in entries] == [0, 1, 2, 3, 4]


def test_get_snapshot_of_an_empty_log(publisher):
    assert stream.get_snapshot(port=publisher.snapshot_port, timeout=5) == (0, [])


def test_get_snapshot_times_out_without_a_server():
    # A port that was free a moment ago; nobody answers there.
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(TimeoutError, match=str(port)):
        stream.get_snapshot(host="127.0.0.1", port=port, timeout=0.05)


def test_connect_and_recv(publisher):
    subscriber = stream.connect(port=publisher.pub_port)
    last = wait_subscribed(publisher, subscriber, stream.recv)
    upto = publisher.log(3)
    got = [stream.recv(subscriber) for _ in range(upto - last)]
    assert [s for s, _ in got] == list(range(last + 1, upto + 1))
    assert all(isinstance(e, dict) for _, e in got)
    subscriber.close()


def test_recv_passes_json_options(publisher):
    publisher.log(1)
    ctx = zmq.Context.instance()
    dealer = ctx.socket(zmq.DEALER)
    dealer.linger = 0
    dealer.connect("tcp://localhost:{}".format(publisher.snapshot_port))
    dealer.send(b"ICANHAZ?")
    seq, entry = stream.recv(dealer, parse_float=str)
    assert seq == 1 and entry["training_error"] == "1.0"
    dealer.close()


def test_callback_with_snapshot_sees_every_entry_once_in_order(publish_binary):
    # A store large enough that entry 0 is still kept when the client asks.
    publisher = Publisher(publish_binary, 100000)
    publisher.log(40)
    seen = []

    def collect(entry):
        seen.append(entry["iteration"])
        return len(seen) < 140

    result = {}
    thread = threading.Thread(
        target=lambda: result.setdefault(
            "last",
            stream.callback(collect, push_port=publisher.pub_port,
                            router_port=publisher.snapshot_port,
                            snapshot=True, timeout=10),
        )
    )
    thread.start()
    # Keep logging while the client joins: no entry may be lost or doubled.
    while thread.is_alive() and publisher.log(5) < 400:
        pass
    thread.join(timeout=20)
    publisher.close()
    assert not thread.is_alive()
    assert seen == list(range(140)), seen
    assert result["last"] == 140


def test_callback_stops_after_timeout(publisher):
    publisher.log(2)
    seen = []
    last = stream.callback(seen.append, push_port=publisher.pub_port,
                           router_port=publisher.snapshot_port,
                           snapshot=True, timeout=0.2)
    assert last == 2
    assert [e["iteration"] for e in seen] == [0, 1]


def test_no_argument_hides_a_function():
    import inspect

    for name in stream.__all__:
        params = inspect.signature(getattr(stream, name)).parameters
        assert not set(params) & set(stream.__all__), (name, list(params))
