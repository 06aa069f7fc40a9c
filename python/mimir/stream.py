"""Receive the log entries that a Mímir logger streams.

The publisher sends each entry as two frames, its sequence number (ASCII
decimal, the first entry is 1) and its JSON text, on a PUB socket (default
port 5557). With ``stream_maxlen > 0`` it keeps the last entries and sends
them to whoever asks with ``ICANHAZ?`` on its snapshot socket (default port
5556), ending with ``[-1, '""']``. See ``docs/wire-protocol.md``.

:func:`follow` iterates over a run's entries, each once and in order,
from the snapshot on; :class:`Follower` is the same engine as a
non-blocking object for loops of your own (the live plots use it).
:func:`get_snapshot`, :func:`connect`, :func:`recv` and :func:`callback`
are the original Python Mímir's client functions.

Functions that decode entries pass extra keyword arguments on to
:func:`json.loads` (for example ``object_hook``).
"""
import json
import time
import warnings

import zmq

__all__ = ["get_snapshot", "connect", "recv", "callback", "follow", "Follower"]

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
    warnings.warn("entries {} to {} of the stream were lost".format(first, last),
                  RuntimeWarning, stacklevel=4)


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


class Follower:
    """Receives a publisher's entries exactly once, in order, in batches.

    The non-blocking engine behind :func:`follow` and the live plots; use
    it when a loop of your own must also do other things (check a stop
    flag, redraw). All its sockets belong to the thread that calls
    :meth:`poll`; create, poll and close it on one thread.

    The procedure is the one of ``docs/wire-protocol.md``: the SUB socket
    is connected and subscribed first; with `history` the snapshot is asked
    for next, and live updates whose sequence number is not greater than
    the snapshot's last are dropped. A jump in the sequence numbers is
    repaired from a new snapshot when possible; what stays missing is
    counted in :attr:`lost`, listed in :attr:`gaps` and passed to
    ``on_gap(first, last)`` (by default a :class:`RuntimeWarning`): never
    hidden.

    A publisher that is not there yet is waited for: ZeroMQ connects in the
    background, and the snapshot request is sent again on a new socket
    every `snapshot_timeout` seconds until one answers. If live updates
    arrive but no snapshot does within `snapshot_timeout` after them (the
    publisher was started without ``stream_maxlen``), the follower warns
    and goes on with the live updates alone.

    A sequence number that goes back (a new publisher on the same ports
    starts again at 1) is reported as a restart (:attr:`restarts`, a
    warning) and followed from there.

    Attributes
    ----------
    last : int or None
        Sequence number of the last entry handed over (None before any).
    received : int
        How many entries were handed over.
    lost : int
        How many entries were detected as missing and could not be
        recovered.
    gaps : list of (int, int)
        The missing ranges, inclusive.
    connected : bool
        Whether the update socket has a TCP connection to the publisher
        right now.
    has_snapshot : bool
        Whether the snapshot phase is over (answered, or given up).
    """

    def __init__(self, host="localhost", pub_port=5557, snapshot_port=5556,
                 history=True, ctx=None, snapshot_timeout=1.0,
                 on_gap=None, max_batch=10000, hwm=100000, **kwargs):
        self.host = host
        self.pub_port = pub_port
        self.snapshot_port = snapshot_port
        self.history = history
        self.snapshot_timeout = snapshot_timeout
        self.on_gap = on_gap if on_gap is not None else _warn_gap
        self.max_batch = max_batch
        self._json = kwargs
        self._ctx = ctx or zmq.Context.instance()
        self.last = None
        self.received = 0
        self.lost = 0
        self.gaps = []
        self.restarts = 0
        self.connected = False
        self.has_snapshot = not history
        self._live_last = None
        # The monitor is set up before connecting, so that it cannot miss
        # the first connection.
        self._sub = self._ctx.socket(zmq.SUB)
        self._sub.linger = 0
        self._sub.rcvhwm = hwm
        if _ipv6(host):
            self._sub.ipv6 = True
        self._monitor = self._sub.get_monitor_socket(
            zmq.EVENT_CONNECTED | zmq.EVENT_HANDSHAKE_SUCCEEDED
            | zmq.EVENT_DISCONNECTED)
        self._sub.setsockopt(zmq.SUBSCRIBE, b"")
        self._sub.connect(_endpoint(host, pub_port))
        self._dealer = None
        self._dealer_sent = None
        self._snap_pairs = []
        self._first_update_at = None
        # A first queued update proves the subscription is in effect; wait
        # for one a little (as the Rust subscriber does) before asking.
        self._ask_after = time.monotonic() + 0.1
        self._closed = False

    @property
    def pub_endpoint(self):
        return _endpoint(self.host, self.pub_port)

    @property
    def snapshot_endpoint(self):
        return _endpoint(self.host, self.snapshot_port)

    # -- public -----------------------------------------------------------

    def poll(self, timeout=0.1):
        """Waits up to `timeout` seconds for entries; returns a list of
        ``(sequence, entry)`` pairs, in order, maybe empty.

        Returns as soon as something is there (everything already queued,
        up to ``max_batch`` entries), or when `timeout` expires.
        """
        deadline = time.monotonic() + max(timeout, 0)
        while True:
            self._check_monitor()
            out = []
            if not self.has_snapshot:
                self._snapshot_step(out)
            if self.has_snapshot:
                self._drain_updates(out)
            if out:
                return out
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return out
            self._wait(min(remaining, 0.05 if not self.has_snapshot else remaining))

    def close(self):
        """Closes the sockets (idempotent)."""
        if self._closed:
            return
        self._closed = True
        try:
            self._sub.disable_monitor()
        except zmq.ZMQError:
            pass
        self._monitor.close(linger=0)
        self._sub.close(linger=0)
        self._close_dealer()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- internals ---------------------------------------------------------

    def _wait(self, seconds):
        poller = zmq.Poller()
        poller.register(self._sub, zmq.POLLIN)
        poller.register(self._monitor, zmq.POLLIN)
        if self._dealer is not None:
            poller.register(self._dealer, zmq.POLLIN)
        poller.poll(seconds * 1000)

    def _check_monitor(self):
        from zmq.utils.monitor import recv_monitor_message

        while self._monitor.poll(0):
            event = recv_monitor_message(self._monitor)["event"]
            if event in (zmq.EVENT_CONNECTED, zmq.EVENT_HANDSHAKE_SUCCEEDED):
                self.connected = True
            elif event == zmq.EVENT_DISCONNECTED:
                self.connected = False

    def _close_dealer(self):
        if self._dealer is not None:
            self._dealer.close(linger=0)
            self._dealer = None

    def _new_dealer(self):
        self._close_dealer()
        dealer = self._ctx.socket(zmq.DEALER)
        dealer.linger = 0
        if _ipv6(self.host):
            dealer.ipv6 = True
        dealer.connect(self.snapshot_endpoint)
        dealer.send(SNAPSHOT_REQUEST)
        self._dealer = dealer
        self._dealer_sent = time.monotonic()
        self._snap_pairs = []

    def _snapshot_step(self, out):
        now = time.monotonic()
        if self._first_update_at is None and self._sub.poll(0):
            self._first_update_at = now
        if self._dealer is None:
            if now < self._ask_after and self._first_update_at is None:
                return
            self._new_dealer()
        # Read whatever part of the snapshot has come.
        while self._dealer.poll(0):
            sequence, entry = recv(self._dealer, **self._json)
            if sequence < 0:
                self._close_dealer()
                self.has_snapshot = True
                for seq, e in self._snap_pairs:
                    self._deliver(seq, e, out)
                if self.last is None:
                    self.last = 0
                self._snap_pairs = []
                return
            self._snap_pairs.append((sequence, entry))
            self._dealer_sent = time.monotonic()  # progress: keep waiting
        now = time.monotonic()
        if now - self._dealer_sent < self.snapshot_timeout:
            return
        if (self._first_update_at is not None and not self._snap_pairs
                and now - self._first_update_at >= self.snapshot_timeout):
            warnings.warn(
                "no snapshot from {} within {} s although updates arrive on "
                "{} (was the publisher started without stream_maxlen?): "
                "following live updates only".format(
                    self.snapshot_endpoint, self.snapshot_timeout,
                    self.pub_endpoint), RuntimeWarning, stacklevel=3)
            self._close_dealer()
            self.history = False
            self.has_snapshot = True
            return
        # Nobody answered (not there yet, or went away mid-snapshot): ask
        # again on a new socket.
        self._new_dealer()

    def _drain_updates(self, out):
        while len(out) < self.max_batch:
            try:
                sequence = int(self._sub.recv(zmq.NOBLOCK))
            except zmq.Again:
                return
            entry = json.loads(self._sub.recv_string(), **self._json)
            if self._live_last is not None and sequence <= self._live_last:
                self.restarts += 1
                warnings.warn(
                    "the sequence numbers on {} went back from {} to {}: a new "
                    "publisher; following it".format(
                        self.pub_endpoint, self._live_last, sequence),
                    RuntimeWarning, stacklevel=3)
                self.last = sequence - 1
            self._live_last = sequence
            if (self.last is not None and sequence > self.last + 1
                    and self.history):
                self._repair(sequence, out)
            self._deliver(sequence, entry, out)

    def _repair(self, sequence, out):
        """Fetches the entries before `sequence` missing since `last` from
        a new snapshot, waiting at most `snapshot_timeout`."""
        try:
            pairs = _snapshot_pairs(self.host, self.snapshot_port, self._ctx,
                                    self.snapshot_timeout, **self._json)
        except TimeoutError:
            return
        for seq, entry in pairs:
            if self.last < seq < sequence:
                self._deliver(seq, entry, out)

    def _deliver(self, sequence, entry, out):
        if self.last is not None:
            if sequence <= self.last:
                return
            if sequence > self.last + 1:
                first, last = self.last + 1, sequence - 1
                self.lost += last - first + 1
                self.gaps.append((first, last))
                self.on_gap(first, last)
        self.last = sequence
        self.received += 1
        out.append((sequence, entry))


def follow(host="localhost", pub_port=5557, snapshot_port=5556, history=True,
           timeout=None, with_sequence=False, ctx=None, on_gap=None,
           snapshot_timeout=1.0, **kwargs):
    """Iterate over the entries of a publisher's stream, each exactly once,
    in order, across the snapshot/live boundary.

    Subscribes first, then (with `history`) asks for the entries the
    publisher keeps, then yields live updates, skipping those already in
    the snapshot. Missing entries (the client fell behind, or the
    publisher's ``stream_maxlen`` did not reach back far enough to repair
    a jump) are reported to ``on_gap(first, last)``, by default a
    :class:`RuntimeWarning` naming the range; see :class:`Follower`.

    Parameters
    ----------
    host, pub_port, snapshot_port :
        Where the publisher is (defaults: localhost, 5557, 5556). It need
        not be running yet: the iterator waits for it.
    history : bool
        Start with the snapshot (the last ``stream_maxlen`` entries).
        Without it, start at the first live update.
    timeout : float, optional
        Stop after `timeout` seconds without an entry; ``None`` (the
        default) follows forever.
    with_sequence : bool
        Yield ``(sequence, entry)`` pairs instead of entries.

    Extra keyword arguments go to :func:`json.loads`.
    """
    follower = Follower(host, pub_port, snapshot_port, history=history,
                        ctx=ctx, snapshot_timeout=snapshot_timeout,
                        on_gap=on_gap, **kwargs)
    try:
        quiet_since = time.monotonic()
        while True:
            wait = 0.5 if timeout is None else max(
                0.0, timeout - (time.monotonic() - quiet_since))
            batch = follower.poll(min(wait, 0.5))
            if batch:
                for pair in batch:
                    yield pair if with_sequence else pair[1]
                quiet_since = time.monotonic()
            elif timeout is not None and time.monotonic() - quiet_since >= timeout:
                return
    finally:
        follower.close()
