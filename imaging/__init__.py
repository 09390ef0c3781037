"""spine-endpoints: imaging endpoints for spine clinical trials.

The core library. It never imports Qt or napari; front ends live in ``plugins/``.
Coordinates are (row, col) in pixels everywhere inside; pixel spacing is (row, col) in mm.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("spine-endpoints")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"

__all__ = ["__version__"]
