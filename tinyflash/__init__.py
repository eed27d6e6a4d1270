"""tinyflash: take a TensorFlow Lite model to a microcontroller and prove it runs there."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("tinyflash")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"
