"""Mímir, a logger for experiments: the Python side.

Submodules:

- :mod:`mimir.stream`: follow the live stream of a Mímir logger.
"""

__version__ = "0.1.0"
