"""Mímir, a logger for experiments: the Python side.

- :func:`read` / :func:`load`: the entries of a ``.jsonl`` or ``.jsonl.gz``
  log, also one that is still being written.
- :mod:`mimir.stream`: follow the live stream of a Mímir logger
  (:func:`mimir.stream.follow`).
- :mod:`mimir.plot`: live Bokeh plots of a running log, in a Jupyter
  notebook (:func:`mimir.plot.notebook_plot`) or a browser
  (``python -m mimir.plot``).
"""

from .files import load, read

__all__ = ["read", "load"]
__version__ = "0.1.0"
