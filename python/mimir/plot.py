"""Live Bokeh plots of a running Mímir log.

Two ways to watch a run that streams its entries (``stream(true)``, with
``stream_maxlen`` for the history):

- in a Jupyter notebook, :func:`notebook_plot` shows a figure filled with
  the entries the publisher keeps, then updated live from a background
  thread: the cell returns at once and the notebook stays usable;
- in a browser, ``python -m mimir.plot x_key y_key`` (or ``mimir-plot``)
  serves the same plot on ``http://127.0.0.1:5006``; every tab gets its
  own document, fed from one shared receiver.

Points are appended with :meth:`ColumnDataSource.stream` in batches, at
most ten times a second: the cost of an update is the cost of its new
points, whatever is already plotted.

Under the plot a status line tells what the receiver sees:

- ``waiting for a publisher on tcp://...`` until the first entry (a
  publisher that is not running yet is waited for, its snapshot asked for
  again every second);
- ``live: N entries ...`` while entries arrive, with the count of lost
  entries if the sequence numbers jumped;
- ``no new entry for S s ...`` when nothing came for `idle_timeout`
  seconds (default 10) while the publisher is still connected;
- ``the publisher ... went away ...`` when its TCP connection closed (the
  run ended, or crashed). Updates stop; the receiver keeps listening and
  resumes if a publisher comes back on the same ports.
"""
import argparse
import math
import threading
import time
import warnings

from . import stream

__all__ = ["notebook_plot", "LivePlot", "serve", "main"]

#: Seconds between two updates of a plot (at most 10 a second).
UPDATE_INTERVAL = 0.1
#: Seconds without an entry after which the status says so.
IDLE_TIMEOUT = 10.0


class _Store:
    """The points received so far, one (x, y) column pair per y key.

    Appends are O(1) amortized; :meth:`since` returns what a reader has not
    seen yet, in O(new points). With `rollover`, only about the last
    `rollover` points are kept (trimmed when twice that many).
    """

    def __init__(self, x_key, y_keys, rollover=None):
        self.x_key = x_key
        self.y_keys = list(y_keys)
        self.rollover = rollover
        self._lock = threading.Lock()
        self._xs = {k: [] for k in self.y_keys}
        self._ys = {k: [] for k in self.y_keys}
        self._offset = {k: 0 for k in self.y_keys}

    def add(self, entries):
        x_key = self.x_key
        with self._lock:
            for entry in entries:
                x = entry.get(x_key)
                if x is None:
                    continue
                for k in self.y_keys:
                    if k not in entry:
                        continue
                    y = entry[k]
                    if y is None:  # a non-finite float, logged as null
                        y = math.nan
                    self._xs[k].append(x)
                    self._ys[k].append(y)
                if self.rollover:
                    for k in self.y_keys:
                        extra = len(self._xs[k]) - self.rollover
                        if extra > self.rollover:
                            del self._xs[k][:extra]
                            del self._ys[k][:extra]
                            self._offset[k] += extra

    def cursor(self):
        """A reader's position: at the start of what is still kept."""
        with self._lock:
            return {k: self._offset[k] for k in self.y_keys}

    def since(self, cursor):
        """New points per key since `cursor` (updated in place):
        ``{key: (xs, ys)}``, fresh lists, only the keys with new points."""
        out = {}
        with self._lock:
            for k in self.y_keys:
                start = max(cursor[k] - self._offset[k], 0)
                if self.rollover:
                    start = max(start, len(self._xs[k]) - self.rollover)
                if start < len(self._xs[k]):
                    out[k] = (self._xs[k][start:], self._ys[k][start:])
                cursor[k] = self._offset[k] + len(self._xs[k])
        return out


class _Receiver:
    """A named background thread that follows the stream into a store and
    calls ``on_tick()`` at most every `interval` seconds."""

    def __init__(self, store, host, pub_port, snapshot_port, history,
                 idle_timeout=IDLE_TIMEOUT, interval=UPDATE_INTERVAL,
                 on_tick=None, snapshot_timeout=1.0):
        self.store = store
        self.endpoint = stream._endpoint(host, pub_port)
        self.idle_timeout = idle_timeout
        self.interval = interval
        self.on_tick = on_tick
        self.error = None
        self._args = dict(host=host, pub_port=pub_port,
                          snapshot_port=snapshot_port, history=history,
                          snapshot_timeout=snapshot_timeout,
                          on_gap=lambda first, last: None)
        self._stop = threading.Event()
        self._follower = None
        self._last_entry_at = None
        self._last_entry_wall = None
        self._was_connected = False
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name="mimir-plot-receiver")

    def start(self):
        self._thread.start()
        return self

    def stop(self, timeout=5.0):
        self._stop.set()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout)

    @property
    def running(self):
        return self._thread.is_alive()

    @property
    def received(self):
        f = self._follower
        return f.received if f else 0

    def status(self):
        """The status line (see the module's documentation)."""
        f = self._follower
        if self.error is not None:
            return "stopped by an error: {!r}".format(self.error)
        if self._stop.is_set() and not self.running:
            return "stopped after {} entries".format(self.received)
        if f is None or f.received == 0:
            if self._was_connected and f is not None and not f.connected:
                return "the publisher on {} went away before sending an entry; " \
                       "waiting for it".format(self.endpoint)
            return "waiting for a publisher on {}".format(self.endpoint)
        lost = ", {} lost".format(f.lost) if f.lost else ""
        at = time.strftime("%H:%M:%S", time.localtime(self._last_entry_wall))
        if not f.connected:
            return ("the publisher on {} went away after {} entries{} (last at "
                    "{}); updates stopped, waiting for it to come back".format(
                        self.endpoint, f.received, lost, at))
        idle = time.monotonic() - self._last_entry_at
        if idle >= self.idle_timeout:
            return "no new entry for {:.0f} s ({} entries{}, last at {})".format(
                idle, f.received, lost, at)
        return "live: {} entries from {}{} (last at {})".format(
            f.received, self.endpoint, lost, at)

    def _run(self):
        try:
            follower = stream.Follower(**self._args)
        except Exception as e:  # an invalid host, for instance
            self.error = e
            return
        self._follower = follower
        next_tick = 0.0
        try:
            with warnings.catch_warnings():
                # The status line reports gaps and restarts; warnings from
                # a background thread would land in a random cell.
                warnings.simplefilter("ignore", RuntimeWarning)
                while not self._stop.is_set():
                    batch = follower.poll(self.interval / 2)
                    if follower.connected:
                        self._was_connected = True
                    if batch:
                        self.store.add(entry for _, entry in batch)
                        self._last_entry_at = time.monotonic()
                        self._last_entry_wall = time.time()
                    now = time.monotonic()
                    if self.on_tick is not None and now >= next_tick:
                        next_tick = now + self.interval
                        self.on_tick()
        except Exception as e:
            self.error = e
            if self.on_tick is not None:
                try:
                    self.on_tick()
                except Exception:
                    pass
            raise
        finally:
            follower.close()


def _as_keys(y_key):
    if isinstance(y_key, str):
        return [y_key]
    keys = list(y_key)
    if not keys:
        raise ValueError("no y key to plot")
    return keys


def _build(x_key, y_keys, data, title=None, **figure_kwargs):
    """The figure, one source per y key (``{key: source}``) and the status
    Div, laid out in a column."""
    from bokeh.layouts import column
    from bokeh.models import ColumnDataSource, Div
    from bokeh.palettes import Category10_10
    from bokeh.plotting import figure

    options = dict(
        title=title if title is not None else "{} by {}".format(", ".join(y_keys), x_key),
        x_axis_label=x_key, height=400, sizing_mode="stretch_width",
        tools="pan,wheel_zoom,box_zoom,reset,save",
    )
    if len(y_keys) == 1:
        options["y_axis_label"] = y_keys[0]
    options.update(figure_kwargs)
    fig = figure(**options)
    sources = {}
    for i, k in enumerate(y_keys):
        xs, ys = data.get(k, ([], []))
        source = ColumnDataSource({x_key: list(xs), k: list(ys)},
                                  name="mimir:{}".format(k))
        line = dict(x=x_key, y=k, source=source,
                    color=Category10_10[i % len(Category10_10)], line_width=2)
        if len(y_keys) > 1:
            line["legend_label"] = k
        fig.line(**line)
        sources[k] = source
    if len(y_keys) > 1:
        fig.legend.location = "top_right"
        fig.legend.click_policy = "hide"
    status = Div(text="", name="mimir:status")
    return column(fig, status, sizing_mode="stretch_width"), sources, status


def _apply(new, sources, x_key, rollover):
    """Streams `new` (``{key: (xs, ys)}``) into the sources."""
    for k, (xs, ys) in new.items():
        sources[k].stream({x_key: xs, k: ys}, rollover)


class LivePlot:
    """A live plot shown in a notebook; returned by :func:`notebook_plot`.

    Attributes
    ----------
    source : ColumnDataSource or dict
        The plot's data: x values in the column named after `x_key`, y
        values in the column named after the y key. With several y keys, a
        dict of sources by y key.
    sources : dict
        The sources by y key, always a dict.
    status : str
        The status line shown under the plot.
    """

    def __init__(self, receiver, sources, layout, handle):
        self._receiver = receiver
        self.sources = sources
        self.source = (next(iter(sources.values())) if len(sources) == 1
                       else dict(sources))
        self.layout = layout
        self.handle = handle

    @property
    def status(self):
        return self._receiver.status()

    @property
    def received(self):
        """How many entries the receiver has taken from the stream."""
        return self._receiver.received

    @property
    def running(self):
        return self._receiver.running

    def stop(self):
        """Stops the updates and closes the sockets (waits for the
        receiver thread, at most 5 s). The plot keeps its points."""
        self._receiver.stop()

    def _repr_html_(self):
        return "<p><code>&lt;Mímir live plot: {}&gt;</code></p>".format(
            self.status.replace("<", "&lt;"))


def notebook_plot(x_key, y_key, host="localhost", pub_port=5557,
                  snapshot_port=5556, history=True, rollover=None,
                  idle_timeout=IDLE_TIMEOUT, title=None, **figure_kwargs):
    """Shows a live plot of `y_key` against `x_key` in a Jupyter notebook.

    Parameters
    ----------
    x_key : str
        The entry key for the x axis (e.g. ``"iteration"``). Entries
        without it are skipped.
    y_key : str or list of str
        The key(s) for the y axis: one line each, with a legend when there
        are several. An entry lacking a key is skipped for that line.
    host, pub_port, snapshot_port :
        The publisher (defaults: localhost, 5557, 5556). It need not be
        running yet: the plot waits for it.
    history : bool
        Start with the entries the publisher keeps (its ``stream_maxlen``).
    rollover : int, optional
        Keep only the last `rollover` points of each line.
    idle_timeout : float
        Seconds without an entry after which the status line says so.
    title, figure_kwargs :
        Passed to :func:`bokeh.plotting.figure` (e.g. ``y_axis_type="log"``,
        ``output_backend="webgl"`` for very many points).

    Returns a :class:`LivePlot` at once; updates come from a background
    thread until its ``stop()`` (or the kernel's end).
    """
    from bokeh.io import output_notebook, push_notebook, show

    output_notebook(hide_banner=True)

    def display(layout):
        handle = show(layout, notebook_handle=True)
        return lambda: push_notebook(handle=handle), handle

    return _live_plot(display, x_key, y_key, host, pub_port, snapshot_port,
                      history, rollover, idle_timeout, title, **figure_kwargs)


def _live_plot(display, x_key, y_key, host, pub_port, snapshot_port, history,
               rollover, idle_timeout=IDLE_TIMEOUT, title=None, **figure_kwargs):
    """Builds the plot, shows it with ``display(layout) -> (push, handle)``
    and starts the receiver, whose thread streams new points into the
    sources and calls ``push()`` at most every :data:`UPDATE_INTERVAL`."""
    y_keys = _as_keys(y_key)
    store = _Store(x_key, y_keys, rollover)
    layout, sources, status_div = _build(x_key, y_keys, {}, title, **figure_kwargs)
    cursor = store.cursor()
    state = {"push": None, "status": None}

    def tick():
        new = store.since(cursor)
        _apply(new, sources, x_key, rollover)
        changed = bool(new)
        status = receiver.status()
        if status != state["status"]:
            state["status"] = status
            status_div.text = _status_html(status)
            changed = True
        if changed and state["push"] is not None:
            state["push"]()

    receiver = _Receiver(store, host, pub_port, snapshot_port, history,
                         idle_timeout=idle_timeout, on_tick=tick)
    state["status"] = receiver.status()
    status_div.text = _status_html(state["status"])
    state["push"], handle = display(layout)
    receiver.start()
    return LivePlot(receiver, sources, layout, handle)


def _status_html(status):
    import html

    return '<span style="font-family: monospace">{}</span>'.format(html.escape(status))


# -- the Bokeh server page -------------------------------------------------

def _application(x_key, y_keys, receiver, store, rollover, title=None):
    """A function handler: a document of its own for every session."""

    def make_document(doc):
        cursor = store.cursor()
        layout, sources, status_div = _build(x_key, y_keys, store.since(cursor), title)
        status_div.text = _status_html(receiver.status())

        def update():
            _apply(store.since(cursor), sources, x_key, rollover)
            text = _status_html(receiver.status())
            if status_div.text != text:
                status_div.text = text

        doc.add_root(layout)
        doc.title = "Mímir: " + ", ".join(y_keys)
        doc.add_periodic_callback(update, int(UPDATE_INTERVAL * 1000))

    return make_document


def serve(x_key, y_key, host="localhost", pub_port=5557, snapshot_port=5556,
          history=True, rollover=None, port=5006, address="127.0.0.1",
          idle_timeout=IDLE_TIMEOUT, title=None, show=False,
          allow_websocket_origin=None):
    """Serves the live plot as a web page until interrupted (Ctrl-C).

    One receiver thread follows the stream and keeps the points; each
    browser tab gets its own Bokeh document, filled with every point kept
    so far and then updated with the new ones ten times a second.
    """
    from bokeh.application import Application
    from bokeh.application.handlers.function import FunctionHandler
    from bokeh.server.server import Server

    y_keys = _as_keys(y_key)
    store = _Store(x_key, y_keys, rollover)
    receiver = _Receiver(store, host, pub_port, snapshot_port, history,
                         idle_timeout=idle_timeout).start()
    origins = ["localhost:{}".format(port), "127.0.0.1:{}".format(port)]
    if address not in ("127.0.0.1", "localhost"):
        origins.append("{}:{}".format(address, port))
    origins += list(allow_websocket_origin or [])
    app = Application(FunctionHandler(
        _application(x_key, y_keys, receiver, store, rollover, title)))
    server = Server({"/": app}, port=port, address=address,
                    allow_websocket_origin=origins)
    server.start()
    url = "http://{}:{}/".format(address if ":" not in address else "[%s]" % address, port)
    import sys

    print("mimir: plotting {} by {} from {} on {}".format(
        ", ".join(y_keys), x_key, receiver.endpoint, url), file=sys.stderr, flush=True)
    if show:
        server.io_loop.add_callback(server.show, "/")
    try:
        server.io_loop.start()
    except KeyboardInterrupt:
        pass
    finally:
        receiver.stop()
        server.stop()


def main(argv=None):
    """``python -m mimir.plot x_key y_key [y_key ...]``: see :func:`serve`."""
    parser = argparse.ArgumentParser(
        prog="python -m mimir.plot",
        description="Live plot of a running Mímir log in the browser.")
    parser.add_argument("x_key", help="entry key for the x axis, e.g. iteration")
    parser.add_argument("y_key", nargs="+", help="entry key(s) for the y axis")
    parser.add_argument("--host", default="localhost", help="the publisher's host")
    parser.add_argument("--pub-port", type=int, default=5557,
                        help="the publisher's update port (default 5557)")
    parser.add_argument("--snapshot-port", type=int, default=5556,
                        help="the publisher's snapshot port (default 5556)")
    parser.add_argument("--no-history", action="store_true",
                        help="start at the next live entry, without the snapshot")
    parser.add_argument("--rollover", type=int, default=None,
                        help="keep only the last N points of each line")
    parser.add_argument("--port", type=int, default=5006,
                        help="port of the web page (default 5006)")
    parser.add_argument("--address", default="127.0.0.1",
                        help="address the page binds to (default 127.0.0.1; "
                             "0.0.0.0 serves every network)")
    parser.add_argument("--allow-websocket-origin", action="append", default=[],
                        metavar="HOST[:PORT]",
                        help="another origin allowed to connect (repeatable)")
    parser.add_argument("--idle-timeout", type=float, default=IDLE_TIMEOUT,
                        help="seconds without an entry before the status says so")
    parser.add_argument("--title", default=None)
    parser.add_argument("--show", action="store_true", help="open a browser tab")
    args = parser.parse_args(argv)
    serve(args.x_key, args.y_key, host=args.host, pub_port=args.pub_port,
          snapshot_port=args.snapshot_port, history=not args.no_history,
          rollover=args.rollover, port=args.port, address=args.address,
          idle_timeout=args.idle_timeout, title=args.title, show=args.show,
          allow_websocket_origin=args.allow_websocket_origin)


if __name__ == "__main__":
    main()
