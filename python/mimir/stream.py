"""Receive the log entries that a Mímir logger streams.

The publisher sends each entry as two frames, its sequence number (ASCII
decimal, the first entry is 1) and its JSON text, on a PUB socket (default
port 5557). With ``stream_maxlen > 0`` it keeps the last entries and sends
them to whoever asks with ``ICANHAZ?`` on its snapshot socket (default port
5556), ending with ``[-1, '""']``. See ``docs/wire-protocol.md``.

Functions that decode entries pass extra keyword arguments on to
:func:`json.loads` (for example ``object_hook``).
"""
import json
import warnings

import zmq

__all__ = ["get_snapshot", "connect", "recv", "callback"]

SNAPSHOT_REQUEST = b"ICANHAZ?"


def _endpoint(host, port):
    if ":" in host and not host.startswith("["):
        host = "[{}]".format(host)
    return "tcp://{}:{}".format(host, port)


def _ipv6(host):
    return ":" in host


def recv(socket, **kwargs):
    """Receive one ``(sequence, entry)`` pair from `socket`.

    Blocks until a message arrives (use the socket's ``RCVTIMEO`` or a
    poller to bound the wait). ``sequence`` is -1 for the end of a
    snapshot, whose entry is then the empty string.
    """
    sequence = int(socket.recv())
    entry = json.loads(socket.recv_string(), **kwargs)
    return sequence, entry


def get_snapshot(host="localhost", port=5556, ctx=None, timeout=None, **kwargs):
    """Ask the publisher on `host` for the entries it keeps.

    Parameters
    ----------
    host : str
        The publisher's host. Defaults to ``localhost``.
    port : int
        Its snapshot port. Defaults to 5556.
    ctx : zmq.Context, optional
        The context to use; the process-wide instance by default.
    timeout : float, optional
        Seconds to wait for each message of the snapshot; ``None`` waits
        forever. Raises :class:`TimeoutError` when it expires.

    Returns
    -------
    sequence : int
        The sequence number of the last entry of the snapshot (0 when it is
        empty). Live entries with a sequence number not greater than this
        are already in the snapshot.
    entries : list
        The entries, oldest first.
    """
    pairs = _snapshot_pairs(host, port, ctx or zmq.Context.instance(),
                            timeout, **kwargs)
    sequence = pairs[-1][0] if pairs else 0
    return sequence, [entry for _, entry in pairs]


def connect(host="localhost", port=5557, ctx=None, hwm=100000):
    """Subscribe to every entry published on `host`.

    The subscription takes effect shortly after this returns (ZeroMQ
    connects in the background): entries published in between are not
    received. Take a snapshot *after* connecting to get them.

    Returns the SUB socket; read it with :func:`recv`.
    """
    ctx = ctx or zmq.Context.instance()
    subscriber = ctx.socket(zmq.SUB)
    subscriber.linger = 0
    subscriber.rcvhwm = hwm
    if _ipv6(host):
        subscriber.ipv6 = True
    subscriber.setsockopt(zmq.SUBSCRIBE, b"")
    subscriber.connect(_endpoint(host, port))
    return subscriber


def _warn_gap(first, last):
    warnings.warn("entries {} to {} of the stream were lost".format(first, last))


def callback(func, host="localhost", push_port=5557, router_port=5556,
             snapshot=False, ctx=None, timeout=None, on_gap=_warn_gap,
             **kwargs):
    """Call ``func(entry)`` for each entry of the stream, in order, once.

    Subscribes first, then (with `snapshot`) takes the snapshot, so that no
    entry published in between is lost; live entries already in the
    snapshot are skipped. A gap in the sequence numbers is repaired from a
    new snapshot when `snapshot` is true and the publisher still has the
    entries; what remains missing is passed to ``on_gap(first, last)``
    (by default a warning).

    Stops when `func` returns ``False``, when no entry arrives for
    `timeout` seconds (``None``: never), or on Ctrl-C. Returns the sequence
    number of the last entry handled.
    """
    ctx = ctx or zmq.Context.instance()
    subscriber = connect(host=host, port=push_port, ctx=ctx)
    last = None

    def deliver(sequence, entry):
        nonlocal last
        if last is not None and sequence <= last:
            return True
        if last is not None and sequence > last + 1:
            on_gap(last + 1, sequence - 1)
        last = sequence
        return func(entry) is not False

    try:
        if snapshot:
            # A queued update proves the subscription is in effect; waiting
            # for one (briefly) makes the repair below rarely needed.
            subscriber.poll(100)
            for sequence, entry in _snapshot_pairs(host, router_port, ctx,
                                                   timeout, **kwargs):
                if not deliver(sequence, entry):
                    return last
            last = last or 0
        while True:
            if timeout is not None and not subscriber.poll(timeout * 1000):
                return last
            sequence, entry = recv(subscriber, **kwargs)
            if snapshot and last is not None and sequence > last + 1:
                # Entries went missing: the subscription was not yet active
                # when they were published, or this client fell behind.
                # The publisher may still have them.
                for seq_, entry_ in _snapshot_pairs(host, router_port, ctx,
                                                    timeout, **kwargs):
                    if last + 1 <= seq_ < sequence:
                        if not deliver(seq_, entry_):
                            return last
            if not deliver(sequence, entry):
                return last
    except KeyboardInterrupt:
        return last
    finally:
        subscriber.close()


def _snapshot_pairs(host, port, ctx, timeout, **kwargs):
    """The snapshot as a list of ``(sequence, entry)`` pairs."""
    snapshot = ctx.socket(zmq.DEALER)
    snapshot.linger = 0
    if _ipv6(host):
        snapshot.ipv6 = True
    try:
        snapshot.connect(_endpoint(host, port))
        snapshot.send(SNAPSHOT_REQUEST)
        pairs = []
        while True:
            if timeout is not None and not snapshot.poll(timeout * 1000):
                raise TimeoutError(
                    "no snapshot from {} within {} s after {} entries".format(
                        _endpoint(host, port), timeout, len(pairs)))
            sequence, entry = recv(snapshot, **kwargs)
            if sequence < 0:
                return pairs
            pairs.append((sequence, entry))
    finally:
        snapshot.close()
