"""mimir.plot outside a notebook: the point store, the receiver thread and
the Bokeh sources it feeds, against real `mimir demo` processes."""
import math
import time

from mimir import plot


def test_store_skips_entries_lacking_a_key_and_hands_out_only_new_points():
    store = plot._Store("x", ["a", "b"])
    cursor = store.cursor()
    store.add([{"x": 0, "a": 1.0}, {"a": 5.0}, {"x": 1, "a": 2.0, "b": None},
               {"x": 2, "b": 3.0}])
    new = store.since(cursor)
    assert new["a"] == ([0, 1], [1.0, 2.0])
    assert new["b"][0] == [1, 2] and math.isnan(new["b"][1][0]) and new["b"][1][1] == 3.0
    assert store.since(cursor) == {}
    store.add([{"x": 3, "a": 4.0}])
    assert store.since(cursor) == {"a": ([3], [4.0])}
    # A reader that starts now sees everything kept.
    assert store.since(store.cursor())["a"] == ([0, 1, 3], [1.0, 2.0, 4.0])


def test_store_with_rollover_keeps_the_last_points():
    store = plot._Store("x", ["y"], rollover=10)
    cursor = store.cursor()
    store.add({"x": i, "y": i} for i in range(5))
    assert store.since(cursor)["y"][0] == list(range(5))
    store.add({"x": i, "y": i} for i in range(5, 1000))
    # A slow reader gets at most `rollover` points, the newest.
    assert store.since(cursor)["y"][0] == list(range(990, 1000))
    assert store.since(store.cursor())["y"][0] == list(range(990, 1000))
    assert len(store._xs["y"]) <= 20


class FakeDisplay:
    """Stands for the notebook: counts the pushes and when they happened."""

    def __init__(self):
        self.pushes = []
        self.layout = None

    def __call__(self, layout):
        self.layout = layout
        return (lambda: self.pushes.append(time.monotonic())), "handle"


def live(display, x_key, y_key, pub_port, snapshot_port, host="localhost", **kwargs):
    return plot._live_plot(display, x_key, y_key, host, pub_port, snapshot_port,
                           history=True, rollover=kwargs.pop("rollover", None), **kwargs)


def wait_for(condition, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def test_100000_points_stay_cheap(publisher):
    # A burst of 100,000 entries logged as fast as the publisher can, into
    # a plot that is already following: batched streaming keeps up;
    # rebuilding the columns on every point (O(n^2)) would not.
    display = FakeDisplay()
    p = live(display, "iteration", "training_error", publisher.pub_port,
             publisher.snapshot_port)
    column = p.source.data["iteration"]
    try:
        # Log one entry at a time until the plot has one (slow joiner).
        assert wait_for(lambda: publisher.log(1) and len(column) > 0, 10)
        start = time.monotonic()
        last = publisher.log(100000)
        assert wait_for(lambda: column and column[-1] == last - 1, 30), (
            len(column), p.status)
        elapsed = time.monotonic() - start
    finally:
        p.stop()
    assert not p.running
    iterations = p.source.data["iteration"]
    assert iterations == list(range(last)), p.status
    assert p.source.data["training_error"][-1] == 1 / last
    assert elapsed < 15, elapsed
    # At most ~10 pushes a second.
    gaps = [b - a for a, b in zip(display.pushes, display.pushes[1:])]
    assert gaps and min(gaps) >= plot.UPDATE_INTERVAL * 0.9, min(gaps)


def test_several_y_keys_give_one_source_each(demo):
    d = demo(100000, 2)
    time.sleep(0.3)  # more than 50 entries logged: the snapshot starts late
    display = FakeDisplay()
    # The snapshot is asked for on the given host too (the original plot
    # asked localhost whatever the host).
    p = live(display, "iteration", ["training_error", "no_such_key"], d.pub_port,
             d.snapshot_port, host="127.0.0.1")
    try:
        assert set(p.source) == {"training_error", "no_such_key"} == set(p.sources)
        errors = p.source["training_error"].data
        assert wait_for(lambda: len(errors["iteration"]) >= 80, 10)
        first = errors["iteration"][0]
        assert first > 0  # the snapshot's first entry
        assert errors["iteration"][:80] == list(range(first, first + 80))
        assert p.source["no_such_key"].data == {"iteration": [], "no_such_key": []}
        assert "live:" in p.status
    finally:
        p.stop()
    fig = display.layout.children[0]
    assert [item.label.value for item in fig.legend[0].items] == ["training_error",
                                                                  "no_such_key"]


def test_status_says_when_the_publisher_goes_away(demo):
    d = demo(100, 5)
    display = FakeDisplay()
    p = live(display, "iteration", "training_error", d.pub_port, d.snapshot_port)
    status_div = display.layout.children[1]
    try:
        assert wait_for(lambda: "live:" in p.status, 10), p.status
        d.wait()
        assert wait_for(lambda: "went away" in p.status, 10), p.status
        assert wait_for(lambda: "went away after" in status_div.text, 2)
        # Everything was plotted, snapshot then live.
        iterations = p.source.data["iteration"]
        assert iterations == list(range(iterations[0], 100))
    finally:
        p.stop()
    assert "stopped" in p.status


def test_status_says_when_nothing_comes(publisher):
    # The example publisher logs only when told to: a quiet run.
    publisher.log(5)
    display = FakeDisplay()
    p = live(display, "iteration", "training_error", publisher.pub_port,
             publisher.snapshot_port, idle_timeout=0.5)
    try:
        assert wait_for(lambda: len(p.source.data["iteration"]) == 5, 10)
        assert wait_for(lambda: "no new entry for" in p.status, 5), p.status
        publisher.log(3)
        assert wait_for(lambda: "live: 8 entries" in p.status, 5), p.status
        assert wait_for(lambda: p.source.data["iteration"] == list(range(8)), 5)
    finally:
        p.stop()
