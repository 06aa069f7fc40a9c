"""A real notebook: nbclient runs tests/notebooks/live_plot.ipynb on an
ipykernel of this Python, against a live `mimir demo`."""
import json
import pathlib
import sys

import nbformat
from nbclient import NotebookClient

NOTEBOOK = pathlib.Path(__file__).parent / "notebooks" / "live_plot.ipynb"


def stdout_of(cell):
    return "".join(o.get("text", "") for o in cell.outputs
                   if o.output_type == "stream" and o.name == "stdout")


def test_notebook_plot_gets_the_snapshot_then_live_points(demo, monkeypatch, tmp_path):
    d = demo(100000, 10)
    # The kernel inherits the environment: the notebook reads the ports.
    monkeypatch.setenv("MIMIR_PUB_PORT", str(d.pub_port))
    monkeypatch.setenv("MIMIR_SNAPSHOT_PORT", str(d.snapshot_port))
    # The notebook's "python3" kernel is this interpreter whatever other
    # kernelspecs the machine has (JUPYTER_PATH comes first).
    spec = tmp_path / "jupyter" / "kernels" / "python3"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (mimir tests)", "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(nb, timeout=60, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    setup_cell, plot_cell, _, wait_cell, stop_cell = nb.cells[1:6]
    # The kernel ran this interpreter, the one mimir is installed in.
    assert stdout_of(setup_cell).strip() == sys.executable

    # The plot cell displayed a Bokeh figure and returned at once.
    mimes = {m for o in plot_cell.outputs if o.output_type == "display_data"
             for m in o.data}
    assert "application/vnd.bokehjs_exec.v0+json" in mimes, plot_cell.outputs
    returned_after = float(stdout_of(plot_cell).split()[2])
    assert returned_after < 2.0, returned_after

    result = json.loads(stdout_of(wait_cell))
    iterations = result["iterations"]
    assert result["n"] == len(iterations) >= 150, result["status"]
    # The demo had logged more than 50 entries when the kernel joined: the
    # plot starts with the snapshot (the last 50) and goes on live, every
    # iteration once, in order.
    assert iterations[0] > 0
    assert iterations == list(range(iterations[0], iterations[0] + len(iterations)))
    assert result["status"].startswith("live:"), result["status"]
    # And the live points went to the page as streamed patches.
    assert result["streamed"] > 0, result
    assert stdout_of(stop_cell).strip() == "running: False"
